"""Propose-solve and RLVR end to end with a tiny model and a tiny budget (real sandbox, real verifiers)."""

import json

import pytest

import zeroplay as zp
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint


def propose_solve_config(**over):
    """A propose-solve config with a tiny budget: 3 proposals and 3 tasks x 2 answers per step."""
    return {
        "seed": 0, "loop": "propose_solve", "steps": 1,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 12, "batch_size": 16},
        "optim": {"micro_batch_size": 8},
        "advantage": {"estimator": "trr_pp"},
        "warmup": {"steps": 1, "batch_size": 4},
        "propose_solve": {"proposals_per_type": 1, "solver_samples": 2, "solve_tasks_per_type": 1,
                          "env_kwargs": {"timeout_s": 5.0}},
        "eval": {"samples": 3},
        **over,
    }


def test_propose_solve_runs_end_to_end_and_logs_its_metrics(tmp_path):
    cfg = config_from_dict(propose_solve_config(name="ps", out_dir=str(tmp_path)))
    run_dir = train(cfg, quiet=True)
    last = read_metrics(run_dir)[-1]
    for key in ("propose/valid_rate", "propose/learnability", "solve/accuracy", "eval/accuracy",
                "propose/deduction/valid_rate", "buffer/induction", "loss/pg"):
        assert key in last, key
    assert 0.0 <= last["propose/valid_rate"] <= 1.0
    # 3 proposals + 3 tasks x 2 answers, all trained on (one update of the shared policy)
    assert last["count/trained_samples"] == 9
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "eval/deduction/accuracy" in summary["eval_before"] and "eval/accuracy" in summary["eval_after"]
    # the task buffers travel in the checkpoint
    state = load_checkpoint(run_dir)["extra"]["loop"]
    assert set(state) == {"deduction", "abduction", "induction"} and all(state.values())


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_on_a_single_step_env(tmp_path):
    cfg = config_from_dict({
        "name": "rlvr", "out_dir": str(tmp_path), "seed": 0, "loop": "rlvr", "steps": 1, "template": "boxed",
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 8, "batch_size": 16},
        "advantage": {"estimator": "dr_grpo"}, "loss": {"loss_norm": "constant"},
        "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 2, "group_size": 3},
        "eval": {"samples": 2},
    })
    run_dir = train(cfg, quiet=True)
    last = read_metrics(run_dir)[-1]
    assert last["count/trained_samples"] == 6
    # a random model does not write \boxed{}: every answer is malformed and earns the -1 penalty
    assert last["train/well_formed"] < 1.0 or last["reward/mean"] >= -1.0
    assert "eval/accuracy" in last


# -- rollouts on Ray actors: the same run as the local path with the same shards ----------------

def _final_weights(run_dir):
    from safetensors.torch import load_file

    return load_file(str(run_dir / "final_model" / "model.safetensors"))


def _same_run(tmp_path, base, workers):
    """Train ``base`` locally and with ``workers`` Ray actors; both runs' rows, and the weights compared."""
    pytest.importorskip("ray")
    import torch

    runs = {}
    for name, w in (("local", 0), ("ray", workers)):
        run_dir = train(config_from_dict({**base, "name": name, "out_dir": str(tmp_path), "ray_workers": w}), quiet=True)
        runs[name] = (read_metrics(run_dir), _final_weights(run_dir))
    (local, w_local), (remote, w_remote) = runs["local"], runs["ray"]
    assert [r["step"] for r in local] == [r["step"] for r in remote]
    for a, b in zip(local, remote):
        for key in a:
            if not key.startswith("time/") and not key.endswith("seconds"):
                assert a[key] == b[key], (a["step"], key)
    assert w_local.keys() == w_remote.keys()
    assert all(torch.equal(w_local[k], w_remote[k]) for k in w_local)
    return local


def test_games_rollouts_on_ray_actors_give_the_same_run_as_the_local_path(tmp_path):
    from .conftest import tiny_config

    base = tiny_config(tmp_path, **{"games.games_per_step": 6, "rollout_shards": 3, "threads": 1})
    rows = _same_run(tmp_path, base, workers=2)
    assert rows[-1]["count/generate_samples"] >= 6  # at least a move per game, from three shards on two actors


def test_sharding_changes_the_samples_but_not_the_shape_of_a_step(tmp_path):
    from .conftest import tiny_config

    def run(name, shards):
        cfg = tiny_config(tmp_path, name=name, steps=1, rollout_shards=shards, **{"games.games_per_step": 6,
                                                                                    "eval.exploitability": False})
        return read_metrics(train(config_from_dict(cfg), quiet=True))[-1]

    one, three = run("one", 1), run("three", 3)
    # each shard has its own sampling seed: a different (equally valid) step, on the same games
    assert one["selfplay/moves_per_game"] != three["selfplay/moves_per_game"] or one["loss/pg"] != three["loss/pg"]
    assert one["count/generate_samples"] >= 6 and three["count/generate_samples"] >= 6


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_rollouts_and_verification_on_ray_actors_give_the_same_run_as_the_local_path(tmp_path):
    base = {
        "seed": 1, "loop": "rlvr", "steps": 2, "template": "plain", "rollout_shards": 2, "threads": 1,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 6, "batch_size": 16},
        "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 3, "group_size": 3},
        "eval": {"samples": 2},
    }
    rows = _same_run(tmp_path, base, workers=2)
    assert rows[-1]["count/trained_samples"] == 9 and "train/accuracy" in rows[-1]


def test_propose_solve_rollouts_on_ray_actors_give_the_same_run_as_the_local_path(tmp_path):
    base = propose_solve_config(steps=2, rollout_shards=3, threads=1)
    rows = _same_run(tmp_path, base, workers=2)
    assert rows[-1]["count/trained_samples"] == 9 and "propose/valid_rate" in rows[-1]


def test_more_ray_workers_than_free_cpus_is_a_clear_error_not_a_hang(tmp_path):
    pytest.importorskip("ray")
    from zeroplay.core.errors import ConfigError

    from .conftest import tiny_config

    cfg = config_from_dict(tiny_config(tmp_path, steps=1, ray_workers=10_000))
    with pytest.raises(ConfigError, match="free CPUs"):
        train(cfg, quiet=True)


def test_ray_workers_with_the_vllm_backend_is_refused_by_the_config():
    from zeroplay.core.errors import ConfigError

    with pytest.raises(ConfigError, match="ray_workers"):
        config_from_dict({"loop": "games", "backend": "vllm", "ray_workers": 2})


class _ScriptedCoder:
    """A scripted policy: proposes f(x) = 3x + 1 with inputs 4, 5, 6... (a new task each time),
    answers every solver prompt with 13 (right for input 4 only)."""

    PROPOSAL = "```python\ndef f(x):\n    return x * 3 + 1\n```\n```input\n{x}\n```"

    def __init__(self):
        self.proposed = 0

    def generate(self, prompts, params):
        from zeroplay.agents.policy import Generation

        def text(p):
            if "propose" not in str(p).lower():
                return "<answer>13</answer>"
            self.proposed += 1
            return self.PROPOSAL.format(x=3 + self.proposed)

        return [Generation(text=text(p), prompt_ids=[1], completion_ids=[2, 3], logprobs=[-0.5, -0.5],
                           finish_reason="stop") for p in prompts]


def test_a_shard_run_elsewhere_brings_its_new_tasks_back_into_the_trainers_buffers():
    """What a Ray actor does, without Ray: a second loop loads the trainer loop's state, runs the
    shard, and ``merge`` adds the shard's valid new task to the trainer loop's buffer."""
    from zeroplay.agents.policy import SamplingParams
    from zeroplay.training.rollout import Sampler
    from zeroplay.training.selfplay.propose_solve import ProposeSolveLoop
    from zeroplay.training.templates import get_template

    cfg = config_from_dict({"loop": "propose_solve", "template": "plain", "propose_solve": {
        "task_types": ["deduction"], "proposals_per_type": 1, "solver_samples": 2, "solve_tasks_per_type": 1,
        "env_kwargs": {"timeout_s": 5.0}}})

    def loop():
        return ProposeSolveLoop(cfg, Sampler(_ScriptedCoder(), get_template("plain"), SamplingParams()), None)

    trainer_side, actor_side = loop(), loop()
    before = len(trainer_side.buffers["deduction"])
    actor_side.load_state_dict(trainer_side.state_dict())
    result = actor_side.run_shard(1, 0, 1)
    samples, metrics = trainer_side.merge(1, [result])
    assert metrics["propose/valid_rate"] == 1.0, [s.meta for s in samples if s.role == "proposer"]
    assert len(trainer_side.buffers["deduction"]) == before + 1 == metrics["buffer/deduction"]
    # the solver answered the new task (f(4) = 13) correctly: learnability 0 for an always-solved task
    assert metrics["solve/accuracy"] == 1.0 and metrics["propose/learnability"] == 0.0
    # merging the same shard again adds nothing (the local path merges tasks already in the buffer)
    trainer_side.merge(1, [result])
    assert len(trainer_side.buffers["deduction"]) == before + 1


def test_every_valid_proposal_is_solved_even_beyond_solve_tasks_per_type():
    """Two valid proposals, solve_tasks_per_type 1: both get a solve rate (learnability), neither
    the invalid penalty."""
    from zeroplay.agents.policy import SamplingParams
    from zeroplay.training.rollout import Sampler
    from zeroplay.training.selfplay.propose_solve import ProposeSolveLoop
    from zeroplay.training.templates import get_template

    cfg = config_from_dict({"loop": "propose_solve", "template": "plain", "propose_solve": {
        "task_types": ["deduction"], "proposals_per_type": 2, "solver_samples": 2, "solve_tasks_per_type": 1,
        "env_kwargs": {"timeout_s": 5.0}}})
    loop = ProposeSolveLoop(cfg, Sampler(_ScriptedCoder(), get_template("plain"), SamplingParams()), None)
    samples, metrics = loop.collect(1)
    proposer = [s for s in samples if s.role == "proposer"]
    assert metrics["propose/valid_rate"] == 1.0 and len(proposer) == 2
    assert [s.reward for s in proposer] == [0.0, 0.0]  # f(4) = 13 always solved, f(5) never: learnability 0 both
    assert sum(s.role == "solver" for s in samples) == 4  # two tasks x two answers
    assert metrics["solve/accuracy"] == 0.5
