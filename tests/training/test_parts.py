"""Named parts (loops, rewards, advantage estimators) and env mixtures."""

import ast
from pathlib import Path

import pytest

import zeroplay as zp
from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.advantages import GRPO, RAE, make_estimator
from zeroplay.training.checkpoint import load_checkpoint
from zeroplay.training.registry import ADVANTAGES, LOOPS, REWARDS, lookup
from zeroplay.training.rollout import Loop, split_over_mixture

from .conftest import tiny_config

TRAINING = Path(__file__).resolve().parents[2] / "zeroplay" / "training"

# ---- registries


def test_the_builtin_parts_are_registered_by_name():
    assert {"games", "propose_solve", "rlvr"} <= set(LOOPS.registered())
    assert {"grpo", "dr_grpo", "reinforce_pp", "trr_pp", "rae"} <= set(ADVANTAGES.registered())
    assert {"correctness", "binary", "learnability", "illegal_move_penalty", "env_returns"} <= set(REWARDS.registered())


@pytest.mark.parametrize("name", ["games", "propose_solve", "rlvr"])
def test_every_builtin_loop_follows_the_loop_protocol_and_declares_its_section(name):
    cls = lookup(LOOPS, name)
    for member in ("collect_shard", "merge", "evaluate", "panels", "corpus_lines", "warmup_pairs", "state_dict",
                   "load_state_dict", "run_shard", "collect"):
        assert callable(getattr(cls, member)) and hasattr(Loop, member), (name, member)
    section = type(getattr(config_from_dict({"loop": name, "rlvr": {"env": "zeroplay/MathArithmetic-v0"}}), name))
    assert cls.config_class is section


def test_estimators_are_built_by_name_and_keep_their_state():
    assert isinstance(make_estimator("grpo"), GRPO)
    rae = make_estimator("rae", config_from_dict({"loop": "games", "advantage": {"rae_decay": 0.5}}).advantage)
    assert isinstance(rae, RAE) and rae.baseline.decay == 0.5
    with pytest.raises(ValueError, match="unknown advantage estimator 'gae'"):
        make_estimator("gae")


def test_unknown_part_names_are_config_errors_that_list_the_choices():
    with pytest.raises(ConfigError, match=r"advantage\.estimator: .*registered: dr_grpo, expert_iteration, grpo"):
        config_from_dict({"loop": "games", "advantage": {"estimator": "gae"}})
    with pytest.raises(ConfigError, match=r"propose_solve\.proposer_reward: .*learnability"):
        config_from_dict({"loop": "propose_solve", "propose_solve": {"proposer_reward": "novelty"}})
    with pytest.raises(ConfigError, match=r"loop: .*no loop named 'chess'.*zeroplay.loops"):
        config_from_dict({"loop": "chess"})
    with pytest.raises(ConfigError, match=r"rlvr\.env: Field required.*needs a 'rlvr:' section"):
        config_from_dict({"loop": "rlvr"})


def test_trainer_and_rollout_actors_build_from_one_module_and_do_not_import_each_other():
    def imports(name):
        tree = ast.parse((TRAINING / f"{name}.py").read_text())
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}

    assert "zeroplay.training.ray_workers" not in imports("trainer")
    assert "zeroplay.training.trainer" not in imports("ray_workers")
    assert "zeroplay.training.build" in imports("trainer") & imports("ray_workers")
    for path in TRAINING.rglob("*.py"):
        assert "cfg.loop ==" not in path.read_text(), path  # loops are looked up, never branched on


# ---- env mixtures


def test_split_over_mixture_is_deterministic_and_follows_the_weights():
    assert split_over_mixture(5, [3.0], seed=1) == [0] * 5
    assert split_over_mixture(6, [2, 1], seed=1) == [0, 0, 0, 0, 1, 1]
    a = split_over_mixture(10, [1, 1, 1], seed=7)
    assert a == split_over_mixture(10, [1, 1, 1], seed=7) and a == sorted(a)
    assert sorted(a.count(e) for e in range(3)) == [3, 3, 4]
    counts = {tuple(a.count(e) for e in range(3)) for a in (split_over_mixture(10, [1, 1, 1], s) for s in range(20))}
    assert len(counts) > 1  # the leftover game goes to a different env from one seed to another


def test_mixture_config_accepts_a_weighted_list_and_names_mistakes():
    cfg = config_from_dict({"loop": "games", "games": {"env": [
        {"id": "zeroplay/KuhnPoker-v0", "weight": 2}, {"id": "zeroplay/TicTacToe-v0", "kwargs": {}}]}})
    mixture = [(e.id, e.weight) for e in cfg.games.mixture]
    assert mixture == [("zeroplay/KuhnPoker-v0", 2.0), ("zeroplay/TicTacToe-v0", 1.0)]
    assert config_from_dict({"loop": "games"}).games.mixture[0].id == "zeroplay/KuhnPoker-v0"  # one id: today's form
    bare = config_from_dict({"loop": "games", "games": {"env": ["zeroplay/Nim-v0", "zeroplay/TicTacToe-v0"]}})
    assert [(e.id, e.weight) for e in bare.games.mixture] == [("zeroplay/Nim-v0", 1.0), ("zeroplay/TicTacToe-v0", 1.0)]
    with pytest.raises(ConfigError, match="give one env id or a list"):
        config_from_dict({"loop": "games", "games": {"env": 5}})
    with pytest.raises(ConfigError, match="distinct 'name's"):
        config_from_dict({"loop": "games", "games": {"env": [{"id": "zeroplay/Nim-v0"}, {"id": "zeroplay/Nim-v0"}]}})
    with pytest.raises(ConfigError, match="env_kwargs applies to a single env"):
        config_from_dict({"loop": "games", "games": {"env": [{"id": "zeroplay/Nim-v0"}], "env_kwargs": {"a": 1}}})
    with pytest.raises(ConfigError, match=r"games\.env: .*entry 0: weight: Input should be greater than 0"):
        config_from_dict({"loop": "games", "games": {"env": [{"id": "zeroplay/Nim-v0", "weight": 0}]}})
    with pytest.raises(ConfigError, match=r"games\.env: .*entry 1: wieght: unknown field"):
        config_from_dict({"loop": "games",
                          "games": {"env": ["zeroplay/Nim-v0", {"id": "zeroplay/Nim-v0", "wieght": 1}]}})


def test_a_games_mixture_logs_per_env_and_seat_and_keeps_rae_baselines_per_env_id(tmp_path):
    cfg = tiny_config(tmp_path, steps=1, **{
        "games.env": [{"id": "zeroplay/KuhnPoker-v0", "opponents": ["nash"]}, {"id": "zeroplay/TicTacToe-v0"}],
        "games.games_per_step": 4, "eval.games": 2})
    run_dir = train(config_from_dict(cfg), quiet=True)
    last = read_metrics(run_dir)[-1]
    for env in ("KuhnPoker-v0", "TicTacToe-v0"):
        assert last[f"selfplay/{env}/games"] == 2.0
        assert {f"selfplay/{env}/p0/reward", f"selfplay/{env}/p1/reward"} <= set(last)
    assert "eval/KuhnPoker-v0/nash/win_rate" in last and "eval/TicTacToe-v0/random/win_rate" in last
    assert "eval/KuhnPoker-v0/exploitability" in last and "eval/nash/win_rate" not in last
    baselines = load_checkpoint(run_dir)["extra"]["advantage"]["baselines"]
    assert {k.rsplit("|", 1)[0] for k in baselines} == {"zeroplay/KuhnPoker-v0", "zeroplay/TicTacToe-v0"}


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_an_rlvr_mixture_with_a_named_reward(tmp_path):
    cfg = config_from_dict({
        "name": "mix", "out_dir": str(tmp_path), "seed": 0, "loop": "rlvr", "steps": 1,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 4, "batch_size": 16},
        "rlvr": {"env": [{"id": "zeroplay/MathArithmetic-v0", "weight": 3}, {"id": "zeroplay/MathModular-v0"}],
                 "prompts_per_step": 4, "group_size": 2, "reward": "binary"},
        "eval": {"samples": 4},
    })
    last = read_metrics(train(cfg, quiet=True))[-1]
    assert {"train/MathArithmetic-v0/solver/reward", "train/MathModular-v0/solver/reward"} <= set(last)
    assert 0.0 <= last["reward/mean"] <= 1.0  # binary: no -1 format penalty
    assert "eval/MathArithmetic-v0/accuracy" in last and "eval/accuracy" in last


def test_loops_whose_step_is_one_piece_refuse_rollout_shards():
    """Loops whose state grows within a step say so in ``one_piece``; the shared check refuses shards for them."""
    one_piece = [name for name in LOOPS.registered() if getattr(lookup(LOOPS, name), "one_piece", None)]
    assert {"evoenv", "stp", "sws", "ttcs", "svs", "multi_agent_evolve", "deepseekmath_v2"} <= set(one_piece)
    for name in one_piece:
        cfg = config_from_dict({"loop": name, name: {}, "rollout_shards": 2})
        with pytest.raises(ConfigError, match=rf"{name}: a step is one piece \(.+\); use rollout_shards: 1"):
            lookup(LOOPS, name)(cfg, None, None)


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_a_run_without_a_learning_signal_says_so_once(tmp_path, capsys):
    """The random tiny model never answers right in 2 tokens: every reward is the wrong answer's, every
    GRPO advantage 0, and the policy never changes. After 3 such steps the run says so (once), naming
    samples.jsonl; it still runs to the end."""
    cfg = config_from_dict({
        "name": "flat", "out_dir": str(tmp_path), "seed": 0, "loop": "rlvr", "steps": 4,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 2, "batch_size": 16},
        "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 2, "group_size": 2},
        "eval": {"samples": 2, "every": 0},
    })
    run_dir = train(cfg, quiet=True)
    rows = read_metrics(run_dir)[1:]
    assert [r["adv/mean_abs"] for r in rows] == [0.0] * 4 and {r["reward/mean"] for r in rows} == {-0.5}
    err = capsys.readouterr().err
    assert err.count("no learning signal") == 1, err
    assert "warning: steps 1-3 had no learning signal: every advantage was 0 (rewards seen: -0.5)" in err
    assert str(run_dir / "samples.jsonl") in err
