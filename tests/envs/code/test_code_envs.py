"""The six code envs: gymnasium's checker, the contract, oracle and random scores, seeds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import zeroplay as zp
from zeroplay.agents.oracle import OracleAgent
from zeroplay.agents.scripted import RandomAgent
from zeroplay.envs.code.buffer import builtin_seeds
from zeroplay.envs.code.propose import ProposalValidator
from zeroplay.envs.code.solve import CodeDeductionEnv, CodeInductionEnv
from zeroplay.envs.code.triplet import CodeTask

SOLVERS = ["zeroplay/CodeDeduction-v0", "zeroplay/CodeAbduction-v0", "zeroplay/CodeInduction-v0"]
PROPOSERS = ["zeroplay/CodeDeductionPropose-v0", "zeroplay/CodeAbductionPropose-v0", "zeroplay/CodeInductionPropose-v0"]


def test_every_code_env_is_registered() -> None:
    assert set(SOLVERS + PROPOSERS) <= set(zp.registered())


@pytest.mark.parametrize("env_id", SOLVERS + PROPOSERS)
def test_check_env_and_deterministic_reset(env_id: str) -> None:
    env = zp.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)
    for seed in (0, 7):
        assert env.reset(seed=seed)[0] == env.reset(seed=seed)[0]
    assert env.reset(seed=0)[0] != env.reset(seed=1)[0]
    with pytest.raises(zp.core.EpisodeOverError):
        env.step("x")
        env.step("x")


# Oracle 1.0 / random ~0 on the solver envs: tests/agents/test_oracle.py (every task type at once).


@pytest.mark.parametrize("env_id", PROPOSERS)
def test_oracle_proposals_are_valid_and_random_ones_are_not(env_id: str, quick_box) -> None:
    env = zp.make(env_id, sandbox=quick_box)
    oracle, rand = OracleAgent(seed=1), RandomAgent(seed=0)
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        _, reward, _, _, out = env.step(oracle.act([obs], [info])[0])
        assert out["stage"] is None and reward == 0.0, out.get("error")
        obs, info = env.reset(seed=seed)
        _, reward, _, _, out = env.step(rand.act([obs], [info])[0])
        assert out["stage"] == "parse" and reward < 0
    assert len(env.buffer) == len(builtin_seeds()) + 5  # the seeds and five new tasks


def test_every_builtin_seed_is_reproduced_by_the_sandbox(quick_box) -> None:
    """The shipped outputs are what the programs really return (checked in the sandbox)."""
    validator = ProposalValidator("induction", sandbox=quick_box, min_inputs=2)
    outcomes = validator.runner.run_many([(s.program, s.inputs) for s in builtin_seeds()])
    for seed, outcome in zip(builtin_seeds(), outcomes):
        assert outcome.outputs() == list(seed.outputs), seed.program


def test_deduction_parses_free_text_and_compares_by_value() -> None:
    task = CodeTask("def f(x):\n    return [x, x * 2.5]", ("2",), ("[2, 5.0]",))
    env = CodeDeductionEnv([task])
    cases = {
        "so the answer is <answer>[2, 5.0]</answer>": 1.0,
        "<answer> [2,5.0] </answer>": 1.0,
        "```\n[2, 5.0]\n```": 1.0,
        "[2, 5.0]": 1.0,
        "<answer>[2, 5]</answer>": 0.0,   # 5 is not 5.0: types count
        "<answer>(2, 5.0)</answer>": 0.0,
        "The answer is [2, 5.0] I think": 0.0,  # no tags and not a bare literal: no guessing
    }
    for answer, expected in cases.items():
        env.reset(seed=0)
        assert env.step(answer)[1] == expected, answer


def test_induction_rejects_lookup_tables_and_banned_code(quick_box) -> None:
    task = CodeTask("def f(x):\n    return x * x", tuple(map(str, range(6))), tuple(str(i * i) for i in range(6)))
    env = CodeInductionEnv([task], sandbox=quick_box)
    shown_only = "```python\ndef f(x):\n    return {0: 0, 1: 1, 2: 4}[x]\n```"
    banned = "```python\nimport os\ndef f(x):\n    return x * x\n```"
    for answer, reason in ((shown_only, "passed 0/3"), (banned, "banned")):
        env.reset(seed=0)
        _, reward, _, _, info = env.step(answer)
        assert reward == 0.0 and reason in info["verdict"].reason
    partial = CodeInductionEnv([task], sandbox=quick_box, partial_credit=True)
    partial.reset(seed=0)
    assert partial.step("```python\ndef f(x):\n    return x * x if x < 4 else 0\n```")[1] == pytest.approx(1 / 3)


def test_verify_batch_runs_many_answers_at_once(quick_box) -> None:
    env = CodeInductionEnv(sandbox=quick_box)
    tasks = [env.reset(seed=s)[1]["task"] for s in range(8)]
    answers = OracleAgent().act([""] * 8, [{"task": t} for t in tasks])
    answers[3] = "```python\ndef f(*a):\n    return None\n```"
    verdicts = env.verifier.verify_batch(answers, [t.reference for t in tasks])
    assert [v.correct for v in verdicts] == [True, True, True, False, True, True, True, True]


def test_tasks_from_a_jsonl_file(tmp_path, quick_box) -> None:
    from zeroplay.envs.code.buffer import TaskBuffer

    path = tmp_path / "tasks.jsonl"
    buffer = TaskBuffer("abduction", path=path, seeds=[])
    buffer.add(CodeTask("def f(a, b):\n    return a - b", ("5, 3",), ("2",)))
    env = zp.make("zeroplay/CodeAbduction-v0", tasks=str(path), sandbox=quick_box)
    obs, _ = env.reset(seed=0)
    assert "a - b" in obs and env.step("<answer>10, 8</answer>")[1] == 1.0
    with pytest.raises(zp.core.EnvCreationError, match="No task file"):
        zp.make("zeroplay/CodeAbduction-v0", tasks=str(tmp_path / "missing.jsonl"))


def test_hostile_answers_never_raise(quick_box) -> None:
    rng = np.random.default_rng(0)
    hostile = ["", "\x00" * 100, "<answer>" * 5000, "```" * 3000, "x" * (1 << 20), "<answer>[" * 300 + "</answer>",
               "```python\ndef f(*a):\n    while True: pass\n```", "<answer>" + "9" * 5000 + "</answer>",
               "```python\ndef f(*a):\n    return f\n```", "```python\nimport os\nos._exit(0)\ndef f(x): pass\n```",
               "\ud800", "<answer>__import__('os').system('true')</answer>"]
    hostile += ["".join(chr(int(c)) for c in rng.integers(0, 0x2FFF, 100)) for _ in range(20)]
    for env_id in SOLVERS:
        env = zp.make(env_id, sandbox=quick_box)
        for n, action in enumerate(hostile):
            env.reset(seed=n)
            _obs, reward, terminated, _, info = env.step(action)
            assert terminated and reward == 0.0 and not info["verdict"].correct, (env_id, action[:40])
