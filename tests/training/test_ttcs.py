"""TTCS: the synthesizer's frontier reward, self-consistency, the label-free data flow and the pool."""

import json

import numpy as np
import pytest

from zeroplay.core.errors import ConfigError
from zeroplay.core.types import Task
from zeroplay.envs.proposer.scripted import ScriptedArithmeticSolver, ScriptedHarderVariantWriter
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint
from zeroplay.training.policies import RoleSamplers, ScriptedSampler
from zeroplay.training.registry import LOOPS, REWARDS, lookup
from zeroplay.training.selfplay.ttcs import (label_free_variant_env, TTCSLoop, frontier_reward, repetition_shares,
                                             self_consistency, shaped_synthesizer_reward, similarity)
from zeroplay.training.templates import get_template
from zeroplay.verifiers import make as make_verifier

WRITER = "zeroplay.envs.proposer.scripted:ScriptedHarderVariantWriter"
SMALL = {"test_questions": 6, "questions_per_step": 2, "variants_per_question": 2, "test_per_step": 2,
         "replay_per_step": 1, "group_size": 4, "solver_filter": [0.0, 1.0]}


def ttcs_config(tmp_path, **over):
    return {"name": "ttcs", "out_dir": str(tmp_path), "seed": 0, "loop": "ttcs", "steps": 2,
            "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
            "sampling": {"max_new_tokens": 8, "batch_size": 32}, "optim": {"micro_batch_size": 16},
            "ttcs": dict(SMALL), "scripted": {"synthesizer": WRITER}, "eval": {"samples": 2}, **over}


def scripted_loop(tmp_path, accuracy=0.5, **ttcs):
    """The loop with both roles played by scripted agents (a tiny random model can neither write a problem
    nor answer one): the real envs, verifier, votes, rewards and pool."""
    cfg = config_from_dict(ttcs_config(tmp_path, ttcs={**SMALL, **ttcs}))
    template = get_template(cfg.template)
    solver = ScriptedSampler(ScriptedArithmeticSolver(accuracy=accuracy), template, "solver")
    writer = ScriptedSampler(ScriptedHarderVariantWriter(), template, "synthesizer")
    return TTCSLoop(cfg, RoleSamplers({"solver": solver}, {"solver": "solver"}, scripted={"synthesizer": writer}), None)


# -- rewards, against hand-computed values ------------------------------------------------------------

@pytest.mark.parametrize(("s", "expected"), [
    (0.5, 1.0),            # 4 * 0.5 * 0.5 = 1, 1 ** 1.2 = 1
    (0.25, 0.70807),       # 4 * 0.25 * 0.75 = 0.75, exp(1.2 * ln 0.75) = exp(-0.345218)
    (0.75, 0.70807),       # symmetric
    (0.125, 0.37083),      # 4 * 0.125 * 0.875 = 0.4375, exp(1.2 * ln 0.4375) = exp(-0.992015)
    (0.9, 0.29347),        # 0.36 ** 1.2 = exp(-1.225982)
    (0.0, 0.0), (1.0, 0.0),  # never or always consistent: no signal
])
def test_the_frontier_reward_peaks_where_the_solver_is_least_consistent(s, expected):
    assert frontier_reward(True, s) == pytest.approx(expected, abs=1e-5)


def test_an_invalid_or_unanswered_variant_earns_nothing():
    assert frontier_reward(False, 0.5) == 0.0
    assert frontier_reward(True, None) == 0.0
    assert lookup(REWARDS, "ttcs_frontier") is frontier_reward and lookup(LOOPS, "ttcs") is TTCSLoop


@pytest.mark.parametrize(("answers", "expected"), [
    (["7", "7", "8", None], 0.5),       # clusters 7:2, 8:1 over 4 answers
    (["7", "7", "7", "7"], 1.0),
    ([None, None, None, "3"], 0.0),     # "no answer" is the most common
    (["1", "1", None, None], 0.5),      # a tie with "no answer" goes to the answer
    (["1", "2", "3", "4"], 0.25),       # all different: the largest cluster is 1
    ([], 0.0),
])
def test_self_consistency_is_the_largest_cluster_over_all_answers(answers, expected):
    assert self_consistency(answers) == expected


def test_self_consistency_clusters_equivalent_answers_with_the_verifier():
    math = make_verifier("math")
    same = lambda a, b: bool(math.verify(a, b).correct)  # noqa: E731
    assert self_consistency(["0.5", "1/2", "\\frac{1}{2}", "3"], same) == 0.75


def test_a_copy_of_the_original_is_scaled_down_and_repeats_are_charged():
    assert similarity("Compute 1 + 2.", "compute  1 + 2.") == 1.0
    assert shaped_synthesizer_reward(1.0, "Compute 1 + 2.", "Compute 1 + 2.", 0.0, 0.88) == 0.0  # x (1 - 1)
    far = "A train leaves at 3 pm and travels 120 km; when does it arrive?"
    assert similarity("Compute 1 + 2.", far) < 0.88
    assert shaped_synthesizer_reward(0.5, "Compute 1 + 2.", far, 0.25, 0.88) == pytest.approx(0.25)  # 0.5 - 0.25
    assert shaped_synthesizer_reward(0.1, "Compute 1 + 2.", far, 0.25, 0.88) == 0.0  # floor 0
    texts = ["Compute 1 + 2 + 3 now.", "Compute 1 + 2 + 3 now.", "Name the capital city of France please.", None]
    assert repetition_shares(texts) == [0.5, 0.5, 0.25, 0.0]


def test_the_synthesizer_never_sees_the_label():
    env = label_free_variant_env("math")
    original = Task.from_dict({"prompt": "Compute 40 + 2.", "reference": "42", "verifier": "math"})
    prompt = env.prompt([original])
    assert "Compute 40 + 2." in prompt and "42" not in prompt.replace("40 + 2", "")
    assert "harder variant" in prompt and "<problem>" in prompt and "<answer>" not in prompt
    info = env.validate("<problem>Compute 400 + 25 - 3.</problem>", shown=[original])
    assert info["task"].reference is None and info["task"].meta["parent"] == original.id
    assert env.validate("<problem>compute 40  + 2.</problem>", shown=[original])["stage"] == "check"


# -- the data flow ----------------------------------------------------------------------------------------

def test_rewards_never_read_the_test_labels(tmp_path):
    """Two runs of a step that differ only in the test labels: the same rewards, different logged accuracy."""
    loops = [scripted_loop(tmp_path / "a", accuracy=0.6), scripted_loop(tmp_path / "b", accuracy=0.6)]
    loops[1].tests = [Task.from_dict({**t.to_dict(), "reference": "123456"}) for t in loops[1].tests]
    (a, ma), (b, mb) = (loop.collect(1) for loop in loops)
    assert [s.reward for s in a] == [s.reward for s in b] and len(a) > 0
    assert ma["train/test_accuracy"] > 0 and mb["train/test_accuracy"] == 0.0
    assert ma["ttcs/synthesizer/reward"] == mb["ttcs/synthesizer/reward"]


def test_variants_join_the_pool_under_their_test_question_and_earn_the_frontier_reward(tmp_path):
    loop = scripted_loop(tmp_path, accuracy=0.5)
    test_ids = {t.id for t in loop.tests}
    sizes = []
    for step in (1, 2, 3):
        samples, metrics = loop.collect(step)
        sizes.append(metrics["ttcs/pool/variants"])
        synth = [s for s in samples if s.role == "synthesizer"]
        assert len(synth) == 4 and metrics["ttcs/synthesizer/valid_rate"] == 1.0
        assert all(0.0 <= s.reward <= 1.0 for s in synth)
        assert {s.env for s in samples if s.role == "solver"} == {"test", "synthetic"}
    assert sizes[0] > 0 and sizes == sorted(sizes) and sizes[-1] > sizes[0]  # the pool grows across steps
    variants = [e for e in loop.pool if e.source == "variant"]
    assert variants and all(e.parent in test_ids and e.task.meta["parent"] == e.parent for e in variants)
    assert all(e.task.reference is None for e in variants)  # label-free: no answer is ever attached
    assert any(e.history for e in variants)  # the solver's agreement was recorded


def test_solver_groups_outside_the_filter_are_not_trained(tmp_path):
    loop = scripted_loop(tmp_path, accuracy=1.0, solver_filter=[0.25, 0.75])
    samples, metrics = loop.collect(1)
    # an always-right solver agrees with itself in every group of test questions: mean reward 1, filtered out
    assert not [s for s in samples if s.role == "solver" and s.env == "test"]
    assert metrics["ttcs/solver/trained_groups"] < 1.0 and metrics["ttcs/test/solver/reward"] == 1.0


def test_the_pool_round_trips_through_the_checkpoint_state(tmp_path):
    loop = scripted_loop(tmp_path)
    loop.collect(1)
    loop.collect(2)
    state = json.loads(json.dumps(loop.state_dict()))
    fresh = scripted_loop(tmp_path / "fresh")
    assert len(fresh.pool) == len(fresh.tests)
    fresh.load_state_dict(state)
    assert fresh.pool.state_dict() == loop.pool.state_dict() and len(fresh.pool) > len(fresh.tests)


def test_the_loop_is_checked_at_construction(tmp_path):
    with pytest.raises(ConfigError, match="solver_filter must satisfy"):
        config_from_dict(ttcs_config(tmp_path, ttcs={"solver_filter": [0.8, 0.2]}))
    with pytest.raises(ConfigError, match="not a group reward"):
        scripted_loop(tmp_path, solver_reward="binary")
    with pytest.raises(ConfigError, match="gives no info\\['task'\\]"):
        scripted_loop(tmp_path, test_env="zeroplay/KuhnPoker-v0")
    with pytest.raises(ConfigError, match="one piece"):
        TTCSLoop(config_from_dict(ttcs_config(tmp_path, rollout_shards=2)), None, None)


def test_a_run_with_the_tiny_policy_solving_logs_pool_and_label_free_metrics(tmp_path):
    run_dir = train(config_from_dict(ttcs_config(tmp_path)), quiet=True)
    last = read_metrics(run_dir)[-1]
    for key in ("ttcs/synthesizer/valid_rate", "ttcs/synthesize/synthesizer/reward", "ttcs/test/solver/reward",
                "ttcs/solver/consistency/test", "train/test_accuracy", "eval/accuracy"):
        assert key in last, key
    # the scripted synthesizer is scored, never trained: every trained sample is a solver answer
    assert last["count/trained_samples"] == last["count/generate_samples"] - 4
    pool = load_checkpoint(run_dir)["extra"]["loop"]["pool"]["entries"]
    assert sum(e["source"] == "variant" for e in pool) == last["ttcs/pool/variants"] > 0


def test_hostile_synthesizer_text_is_refused_without_raising():
    env = label_free_variant_env("math", max_chars=300)
    original = Task.from_dict({"prompt": "Compute 1 + 1.", "reference": "2", "verifier": "math"})
    rng = np.random.default_rng(0)
    pieces = ["<problem>", "</problem>", "x", "\x00", "{", "Compute", " ", "\u2028"]
    for _ in range(200):
        text = "".join(rng.choice(pieces, size=int(rng.integers(0, 80))))
        info = env.validate(text, shown=[original])
        assert ("task" in info) != ("error" in info)
    assert "error" in env.validate("<problem>" + "y" * 301 + "</problem>", shown=[original])
