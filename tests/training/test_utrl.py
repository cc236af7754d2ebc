"""The utrl loop: a test writer and a coder scored against each other in the sandbox, with the
rewards checked against hand-computed values (scripted roles where a tiny model writes nothing useful)."""

from __future__ import annotations

import pytest

from zeroplay.core.answers import code_block
from zeroplay.envs.code.unit_tests import coder_prompt, load_problems, writer_prompt
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.policies import RoleSamplers, ScriptedSampler, is_scripted
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.selfplay.utrl import (ScriptedCoder, ScriptedTestWriter, UTRLConfig, UTRLLoop,
                                             utrl_code_reward, utrl_discrimination_reward, wrong_value)
from zeroplay.training.templates import get_template
from zeroplay.verifiers.code.unit_tests import SuiteOutcome, UnitTestCodeVerifier, parse_tests

BANK = {q.id: q for q in load_problems()}


def utrl_config(tmp_path, **utrl):
    return {"name": "u", "out_dir": str(tmp_path), "seed": 2, "loop": "utrl", "steps": 1,
            "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
            "sampling": {"max_new_tokens": 8, "batch_size": 16}, "optim": {"micro_batch_size": 8},
            "eval": {"samples": 2},
            "utrl": {"problems_per_step": 3, "coder_samples": 2, "test_samples": 2, **utrl}}


def scripted_loop(tmp_path, coder, writer, **utrl):
    """The loop with both roles scripted (built directly: a run needs one role to train)."""
    cfg = config_from_dict(utrl_config(tmp_path, **utrl))
    template = get_template("plain")
    roles = {"coder": ScriptedSampler(coder, template, "coder"),
             "test_writer": ScriptedSampler(writer, template, "test_writer")}
    return UTRLLoop(cfg, RoleSamplers({"any": roles["coder"]}, {}, roles), None)


def test_the_rewards_are_registered_with_the_paper_s_weights():
    weights = UTRLConfig()
    assert lookup(REWARDS, "utrl_discrimination") is utrl_discrimination_reward
    assert lookup(REWARDS, "utrl_code") is utrl_code_reward
    outcome = SuiteOutcome(5, (True, True, True, False), (True, False, True, True), True)
    assert utrl_discrimination_reward(outcome, weights) == pytest.approx(0.85 * 0.75 + 0.05 * 3 / 12 + 0.1)
    costly = UTRLConfig(invalid_cost=0.5, validity_tau=4)
    assert utrl_discrimination_reward(outcome, costly) == pytest.approx(0.85 * 0.75 + 0.05 * 3 / 5 + 0.1 - 0.5 * 2 / 5)
    assert utrl_code_reward([True, True, False, True], True, weights) == pytest.approx(0.9 * 0.75 + 0.1)
    assert utrl_code_reward([], False, weights) == 0.0


def test_bad_settings_are_refused_with_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="at least 1 s below timeout_s"):
        config_from_dict(utrl_config(tmp_path, timeout_s=2.0, call_timeout_s=1.5))
    with pytest.raises(ValueError, match="no reward named"):
        config_from_dict(utrl_config(tmp_path, coder_reward="nope"))
    with pytest.raises(ValueError, match="every role is scripted"):
        both = {"coder": "zeroplay.training.selfplay.utrl:ScriptedCoder",
                "test_writer": "zeroplay.training.selfplay.utrl:ScriptedTestWriter"}
        config_from_dict({**utrl_config(tmp_path), "scripted": both})
    with pytest.raises(Exception, match="no unit-test problem file"):
        UTRLLoop(config_from_dict(utrl_config(tmp_path, problems=str(tmp_path / "missing.jsonl"))), None, None)


def test_the_scripted_agents_read_the_problem_from_the_prompt():
    q = BANK["gcd"]
    coder, writer = ScriptedCoder(seed=0, correct=1.0), ScriptedTestWriter(seed=0, wrong=1.0)
    assert coder.act([coder_prompt(q)]) == [f"```python\n{q.reference}```"]
    assert code_block(ScriptedCoder(correct=0.0).act([coder_prompt(q)])[0]) in q.buggy
    parsed = parse_tests(writer.act([writer_prompt(q)])[0], "gcd")
    assert len(parsed.tests) == 2 * len(q.tests) and not parsed.rejected  # each test and a wrong copy
    assert coder.act(["what?"]) == ["I do not know this problem."]
    assert wrong_value(None) == 0 and wrong_value(True) is False
    assert wrong_value([1]) == [1, 0] and wrong_value("a") == "ax" and wrong_value({}) == {"zz_wrong": 0}


def test_correct_coders_and_ground_truth_tests_give_the_hand_computed_rewards(tmp_path):
    loop = scripted_loop(tmp_path, ScriptedCoder(correct=1.0), ScriptedTestWriter(wrong=0.0))
    samples, metrics = loop.collect(0)
    drawn = loop.draw(0)
    assert len(samples) == 3 * (2 + 2) and all(is_scripted(s) for s in samples)
    for s in samples:
        q = BANK[s.task_type]
        n = len(q.tests)
        if s.role == "test_writer":  # all valid, nothing to catch (every coder is right): 0.05 * n/12 + 0.1
            assert s.meta["valid"] == n and s.meta["discrimination"] == 0.0
            assert s.reward == pytest.approx(0.05 * n / 12 + 0.1)
        else:  # passes every valid generated test, well formed
            assert s.reward == pytest.approx(1.0)
    assert sorted({s.task_type for s in samples}) == sorted(q.id for q in drawn)
    assert metrics["utrl/test_writer/valid_rate"] == 1.0 and metrics["utrl/test_writer/discrimination"] == 0.0
    assert metrics["utrl/coder/gt_pass_rate"] == 1.0 and metrics["utrl/coder/gt_accuracy"] == 1.0


def test_buggy_coders_are_caught_and_invalid_tests_cost_validity(tmp_path):
    loop = scripted_loop(tmp_path, ScriptedCoder(correct=0.0), ScriptedTestWriter(wrong=1.0), coder_tests="generated")
    samples, metrics = loop.collect(1)
    checker = UnitTestCodeVerifier()
    for s in samples:
        q = BANK[s.task_type]
        n = len(q.tests)
        if s.role == "test_writer":  # n valid + n wrong copies; the ground truth catches every buggy solution
            assert (s.meta["valid"], s.meta["tests"], s.meta["discrimination"]) == (n, 2 * n, 1.0)
            assert s.reward == pytest.approx(0.85 + 0.05 * n / max(12, 2 * n) + 0.1)
        else:  # the valid generated tests are the ground-truth tests: 0.9 * (fraction passed) + 0.1
            frac = checker.verify(s.text, {"entry_point": q.entry_point, "tests": list(q.tests)}).score
            assert frac < 1.0 and s.reward == pytest.approx(0.9 * frac + 0.1)
    checker.close()
    assert metrics["utrl/test_writer/valid_rate"] == 0.5 and metrics["utrl/test_writer/discrimination"] == 1.0
    assert metrics["utrl/coder/gt_accuracy"] == 0.0


def test_evaluation_scores_the_coder_on_ground_truth_and_the_tests_on_known_bugs(tmp_path):
    loop = scripted_loop(tmp_path, ScriptedCoder(correct=1.0), ScriptedTestWriter(wrong=0.0))
    assert loop.evaluate(0) == {"eval/coder/gt_pass_rate": 1.0, "eval/accuracy": 1.0,
                                "eval/test_writer/discrimination": 1.0, "eval/test_writer/valid_rate": 1.0}


def test_a_run_trains_the_policy_s_role_and_not_the_scripted_one(tmp_path):
    cfg = {**utrl_config(tmp_path, coder_tests="both"), "steps": 2,
           "scripted": {"coder": {"agent": "zeroplay.training.selfplay.utrl:ScriptedCoder",
                                  "kwargs": {"correct": 1.0}}}}
    run_dir = train(cfg, quiet=True)
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2]
    last = rows[-1]
    # a tiny model writes no readable test: no valid test, no discrimination; the scripted coder is
    # always right, so its reward is 0.9 * (ground-truth pass rate 1.0) + 0.1 with coder_tests: both
    assert last["utrl/test_writer/discrimination"] == 0.0 and last["utrl/coder/reward"] == pytest.approx(1.0)
    assert last["utrl/coder/gt_accuracy"] == 1.0 and last["eval/accuracy"] == 1.0
    assert last["count/trained_samples"] == 3 * 2  # the test writer's samples only
    assert "utrl/tests/test_writer/reward" in last and "utrl/code/coder/reward" in last


def test_a_suite_that_hangs_the_reference_cannot_invalidate_another_suite(tmp_path):
    """Each suite runs in its own jobs: four tests that time out on the reference (costing the rounds of
    the job they run in) leave another suite's honest tests valid and its verdicts on the coder intact."""
    loop = scripted_loop(tmp_path, ScriptedCoder(correct=1.0), ScriptedTestWriter(wrong=0.0))
    q = next(p for p in load_problems() if p.entry_point == "is_prime")
    slow = [1000000007 * 1000000009, 998244353 * 1000000007, 999999937 * 1000000009, 2**61 - 1]
    hanging = parse_tests("\n".join(f"assert is_prime({n}) == False" for n in slow), q.entry_point)
    honest = parse_tests("assert is_prime(7) == True\nassert is_prime(8) == False", q.entry_point)
    buggy = "def is_prime(n):\n    return n % 2 == 1\n"  # wrong on 9, right on 7 and 8
    ((outcomes, coder),) = loop._score([q], [[(None, q.reference), (None, buggy)]],
                                       [[(None, None, True, hanging), (None, None, True, honest)]], [[q.reference]])
    assert outcomes[1].valid == (True, True) and outcomes[1].detected == (False, False)
    assert not any(outcomes[0].valid)
    assert coder[0][0] == [True, True] and all(coder[0][1])  # the reference passes the honest tests and the ground truth
    assert not all(coder[1][1])  # the buggy solution fails a ground-truth test
