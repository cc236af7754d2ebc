"""The oracle agent: 1.0 on every task type, while a random agent scores near 0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import zeroplay as zp
from zeroplay import agents
from zeroplay.agents.oracle import OracleAgent, answer_for
from zeroplay.core.errors import AgentError
from zeroplay.core.types import Task
from zeroplay.sandbox import Sandbox

CODE_IDS = ["zeroplay/CodeDeduction-v0", "zeroplay/CodeAbduction-v0", "zeroplay/CodeInduction-v0"]
MATH_IDS = sorted(i for i in zp.registered() if i.startswith("zeroplay/Math"))
TASK_IDS = CODE_IDS + MATH_IDS + [i for i in zp.registered() if i == "zeroplay/ReasoningGym-v0"]
EPISODES = 24


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox(backend="auto", timeout_s=2.0, memory_mb=256)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def math_verifier():
    from zeroplay import verifiers

    return verifiers.make("math")  # one verifier (and its workers) for every math env here


def _env(env_id: str, box: Sandbox, math_verifier):
    if env_id in CODE_IDS:
        return zp.make(env_id, sandbox=box)
    if env_id.startswith("zeroplay/Math"):
        return zp.make(env_id, verifier=math_verifier)
    return zp.make(env_id)


def _mean_reward(env, agent, *, difficulty: int | None = None) -> float:
    observations, infos = [], []
    for seed in range(EPISODES):  # a batch, as a trainer would hand it to an agent
        obs, info = env.reset(seed=seed, options={"difficulty": difficulty} if difficulty else None)
        observations.append(obs)
        infos.append(info)
    actions = agent.act(observations, infos)
    total = 0.0
    for seed, action in enumerate(actions):
        env.reset(seed=seed, options={"difficulty": difficulty} if difficulty else None)
        _, reward, terminated, _, info = env.step(action)
        assert terminated
        total += reward
    return total / EPISODES


def test_every_task_type_is_covered() -> None:
    assert set(CODE_IDS) <= set(TASK_IDS) and len(MATH_IDS) >= 10


@pytest.mark.parametrize("env_id", TASK_IDS)
def test_oracle_scores_one_random_scores_near_zero(env_id: str, box, math_verifier) -> None:
    env = _env(env_id, box, math_verifier)
    procedural = env_id not in ("zeroplay/Math-v0", "zeroplay/ReasoningGym-v0") and env_id not in CODE_IDS
    for difficulty in ((1, 3, 6) if procedural else (None,)):
        assert _mean_reward(env, agents.make("oracle"), difficulty=difficulty) == 1.0, (env_id, difficulty)
        assert _mean_reward(env, agents.make("random", seed=0), difficulty=difficulty) <= 0.1, (env_id, difficulty)


def test_answers_use_each_documented_format() -> None:
    from zeroplay.envs.code.triplet import CodeTask

    code = CodeTask("def f(x):\n    return -x", ("3",), ("-3",))
    assert answer_for(code.to_task("deduction")) == "<answer>-3</answer>"
    assert answer_for(code.to_task("abduction")) == "<answer>3</answer>"
    assert answer_for(code.to_task("induction")).startswith("```python\ndef f(x):")
    assert "\\boxed{7/12}" in answer_for(Task("t", "?", "7/12", verifier="math"))
    assert answer_for(Task("t", "?", "Paris")) == "Paris"
    assert answer_for(Task("t", "?", "x", meta={"oracle_answer": "<answer>x</answer>"})) == "<answer>x</answer>"


def test_oracle_writes_new_valid_proposals(box) -> None:
    oracle = OracleAgent(seed=3)
    for kind in ("deduction", "abduction", "induction"):
        env = zp.make(f"zeroplay/Code{kind.title()}Propose-v0", sandbox=box)
        for seed in range(3):
            obs, info = env.reset(seed=seed)
            _, _, _, _, out = env.step(oracle.act([obs], [info])[0])
            assert out["stage"] is None, out.get("error")


def test_oracle_without_a_task_says_what_it_needs() -> None:
    with pytest.raises(AgentError, match="info\\['task'\\]"):
        OracleAgent().act(["a game"], [{"player": 0, "legal_actions": ["a"]}])
    with pytest.raises(AgentError):
        OracleAgent().act(["no infos"])
