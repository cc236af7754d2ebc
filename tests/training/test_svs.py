"""SvS: the band reward, answer-keeping variants, the growing pool and its checkpoint state."""

import json

import numpy as np
import pytest

from zeroplay.core.errors import ConfigError
from zeroplay.core.types import Task
from zeroplay.envs.proposer.scripted import (ScriptedArithmeticSolver, ScriptedVariantWriter, evaluate_arithmetic,
                                             original_problem)
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint
from zeroplay.training.policies import RoleSamplers, ScriptedSampler
from zeroplay.training.registry import LOOPS, REWARDS, lookup
from zeroplay.training.selfplay.svs import SvSLoop, band_reward
from zeroplay.training.templates import get_template

WRITER = "zeroplay.envs.proposer.scripted:ScriptedVariantWriter"
SMALL = {"train_problems": 8, "problems_per_step": 4, "group_size": 4, "variants_per_solution": 2}


def svs_config(tmp_path, **over):
    return {"name": "svs", "out_dir": str(tmp_path), "seed": 0, "loop": "svs", "steps": 2,
            "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
            "sampling": {"max_new_tokens": 8, "batch_size": 32}, "optim": {"micro_batch_size": 16},
            "svs": dict(SMALL), "scripted": {"synthesizer": WRITER}, "eval": {"samples": 2}, **over}


def scripted_loop(tmp_path, accuracy=0.5, wrong_rate=0.25, **svs):
    """The loop with both roles played by scripted agents (a tiny random model can neither write a problem
    nor solve one): the real proposer env, verifier, rewards and pool."""
    cfg = config_from_dict(svs_config(tmp_path, svs={**SMALL, **svs}))
    template = get_template(cfg.template)
    solver = ScriptedSampler(ScriptedArithmeticSolver(accuracy=accuracy), template, "solver")
    writer = ScriptedSampler(ScriptedVariantWriter(wrong_rate=wrong_rate), template, "synthesizer")
    return SvSLoop(cfg, RoleSamplers({"solver": solver}, {"solver": "solver"}, scripted={"synthesizer": writer}), None)


def run_step(loop, step):
    """(every sample of the step, the samples it trains on, its metrics)."""
    result = loop.run_shard(step, 0, 1)
    trained, metrics = loop.merge(step, [result])
    return result.samples, trained, metrics


def task(prompt, reference):
    return Task.from_dict({"prompt": prompt, "reference": reference, "verifier": "math"})


# -- the band reward, against hand-computed values ----------------------------------------------------

@pytest.mark.parametrize(("rate", "expected"), [
    (0.0, 0.0),     # unsolvable: no answer reaches the original's
    (0.1, 0.0),     # below 0.125
    (0.125, 1.0),   # 1 of 8: the band's low end is included
    (0.25, 1.0), (0.5, 1.0),
    (0.625, 1.0),   # 5 of 8: the high end is included
    (0.75, 0.0),    # too easy
    (1.0, 0.0),
])
def test_the_synthesizer_is_paid_only_inside_the_band(rate, expected):
    assert band_reward(True, rate, band=(0.125, 0.625)) == expected


def test_invalid_or_unsolved_variants_earn_nothing_and_the_band_is_configurable():
    assert band_reward(False, 0.5) == 0.0 and band_reward(True, None) == 0.0
    assert band_reward(True, 0.75, band=(0.0, 0.8)) == 1.0 and band_reward(True, 0.9, band=(0.0, 0.8)) == 0.0
    assert lookup(REWARDS, "svs_band") is band_reward and lookup(LOOPS, "svs") is SvSLoop


# -- answer-keeping variants --------------------------------------------------------------------------------

def test_a_variant_with_a_changed_answer_is_rejected(tmp_path):
    loop = scripted_loop(tmp_path)
    original = task("Compute 3 + 8 + 8.", "19")
    variant, stage = loop.check_variant("<problem>Compute 3 + 8 + 9.</problem><answer>20</answer>", original)
    assert variant is None and stage == "answer"
    # the same answer in another form passes; the variant's reference is the original's, its parent the original
    variant, stage = loop.check_variant("<problem>Compute 11 + 8.</problem><answer>19.0</answer>", original)
    assert stage is None and variant.reference == "19" and variant.meta["parent"] == original.id
    # the original inside an operation that does nothing is the original
    assert loop.check_variant("<problem>Compute (3 + 8 + 8) * 2 / 2.</problem><answer>19</answer>",
                              original)[1] == "check"
    assert loop.check_variant("<problem>compute 3 + 8 +  8.</problem><answer>19</answer>", original)[1] == "check"
    assert loop.check_variant("<problem>Compute 3 + 16.</problem>", original)[1] == "parse"  # no <answer>


def test_without_a_stated_answer_the_variant_inherits_the_original_s(tmp_path):
    loop = scripted_loop(tmp_path, state_answer=False)
    original = task("Compute 3 + 8 + 8.", "19")
    assert "<answer>" not in loop.synth_env.prompt([original], "it is \\boxed{19}")
    variant, stage = loop.check_variant("<problem>Compute 10 + 9.</problem>", original)
    assert stage is None and variant.reference == "19"


def test_the_scripted_writer_keeps_the_answer_unless_it_is_told_to_err():
    original = task("Compute 4 + 2 - 7.", "-1")
    from zeroplay.envs.proposer import ProblemProposerEnv

    prompt = ProblemProposerEnv("math", mode="variant").prompt([original], "4 + 2 - 7 = -1")
    assert original_problem(prompt) == ("Compute 4 + 2 - 7.", "-1")
    for text in ScriptedVariantWriter(seed=1, wrong_rate=0.0).act([prompt] * 10):
        expression = text.split("<problem>Compute ")[1].split(".</problem>")[0]
        assert evaluate_arithmetic(expression) == -1 and text.endswith("<answer>-1</answer>")
    for text in ScriptedVariantWriter(seed=1, wrong_rate=1.0).act([prompt] * 10):
        assert "<answer>-1</answer>" not in text


def test_arithmetic_helpers_refuse_hostile_text():
    assert evaluate_arithmetic("(1 + 2) * 3 / 4") == pytest.approx(2.25)
    for bad in ("2 ** 100000", "__import__('os')", "1 / 0", "(" * 500, "x" * 10_000, "", None, "1e9999"):
        assert evaluate_arithmetic(bad) is None
    solver = ScriptedArithmeticSolver(accuracy=1.0)
    assert solver.act(["Compute 2 + 3.\n\nReason step by step.", "What is love?"]) == \
        ["The value is \\boxed{5}.", "I do not know."]
    rng = np.random.default_rng(0)
    pieces = ["### Original\n", "Answer: ", "Compute ", "1", "+", "(", ")", "\n", "<answer>", "\x00"]
    writer = ScriptedVariantWriter()
    for _ in range(200):
        writer.write("".join(rng.choice(pieces, size=int(rng.integers(0, 40)))))  # never raises


# -- the data flow --------------------------------------------------------------------------------------------

def test_the_pool_grows_with_variants_that_keep_their_parent_s_answer(tmp_path):
    loop = scripted_loop(tmp_path, accuracy=0.5)
    seeds = {e.id: e.task for e in loop.pool}
    sizes, rejected = [], 0.0
    for step in (1, 2, 3, 4):
        before = {e.id for e in loop.pool}
        samples, trained, metrics = run_step(loop, step)
        sizes.append(metrics["svs/pool/variants"])
        rejected += metrics.get("svs/rejected/answer", 0.0)
        for e in loop.pool:
            if e.source == "variant" and e.added_step == step:
                assert e.parent in before  # a variant of a problem that was in the pool when the step began
        for s in samples:  # the answers to a variant are trained on exactly when it joined the pool
            if s.env == "synthetic":
                assert s.meta["trained"] == (s.meta["question"] in loop.pool)
                assert (s in trained) == s.meta["trained"]
    assert sizes[-1] > sizes[0] >= 0 and sizes == sorted(sizes)
    assert rejected > 0  # the writer's changed-answer variants were refused
    variants = [e for e in loop.pool if e.source == "variant"]
    by_id = {e.id: e.task for e in loop.pool}
    for e in variants:
        root = e
        while root.source == "variant":
            root = loop.pool.get(root.parent)
        assert e.task.reference == by_id[e.parent].reference == seeds[root.id].reference
        assert e.history and 0.125 <= e.history[0][1] <= 0.625  # admitted inside the band


def test_synthesizer_rewards_follow_the_variant_s_solve_rate(tmp_path):
    loop = scripted_loop(tmp_path, accuracy=0.5, wrong_rate=0.5)
    for step in (1, 2, 3):
        samples, _, metrics = run_step(loop, step)
        synth = [s for s in samples if s.role == "synthesizer"]
        for s in synth:
            if s.meta["stage"] is not None:
                assert s.reward == 0.0  # refused variants earn nothing
                continue
            answers = [x.meta["correct"] for x in samples
                       if x.env == "synthetic" and x.meta["question"] == s.meta["variant"]]
            rate = sum(answers) / len(answers)  # answers that reach the original's answer
            assert len(answers) == 4 and s.reward == (1.0 if 0.125 <= rate <= 0.625 else 0.0)
        if synth:
            assert metrics["svs/synthesizer/reward"] == pytest.approx(np.mean([s.reward for s in synth]))


def test_the_pool_round_trips_through_the_checkpoint_state(tmp_path):
    loop = scripted_loop(tmp_path)
    for step in (1, 2, 3):
        loop.collect(step)
    state = json.loads(json.dumps(loop.state_dict()))
    fresh = scripted_loop(tmp_path / "fresh")
    fresh.load_state_dict(state)
    assert fresh.pool.state_dict() == loop.pool.state_dict()
    assert any(e.source == "variant" for e in fresh.pool) and any(e.history for e in fresh.pool)


def test_bad_settings_say_what_to_fix(tmp_path):
    with pytest.raises(ConfigError, match="band must satisfy"):
        config_from_dict(svs_config(tmp_path, svs={"band": [0.7, 0.2]}))
    with pytest.raises(ConfigError, match="no labelled info"):
        scripted_loop(tmp_path, train_env="zeroplay/KuhnPoker-v0")
    with pytest.raises(ConfigError, match=r"no role 'judge'"):
        config_from_dict(svs_config(tmp_path, scripted={"judge": WRITER}))


def test_each_role_may_have_its_own_policy(tmp_path):
    cfg = config_from_dict(svs_config(tmp_path, scripted={}, policies={"solver": {"roles": ["solver"]},
                                                                       "writer": {"roles": ["synthesizer"]}}))
    assert cfg.policy_of("synthesizer") == "writer"


def test_a_run_with_the_tiny_policy_solving_logs_its_metrics_and_saves_the_pool(tmp_path):
    run_dir = train(config_from_dict(svs_config(tmp_path)), quiet=True)
    rows = read_metrics(run_dir)
    for key in ("svs/original/accuracy", "svs/original/solver/reward", "svs/pool/variants", "eval/accuracy"):
        assert key in rows[-1], key
    pool = load_checkpoint(run_dir)["extra"]["loop"]["pool"]["entries"]
    assert len(pool) == 8 + rows[-1]["svs/pool/variants"]
    assert sum(e["attempts"] for e in pool) >= 2 * 4 * 4  # two steps of 4 problems x 4 answers were recorded
