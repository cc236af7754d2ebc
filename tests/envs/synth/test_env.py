"""SynthEnv: the env contract (gymnasium checker, deterministic reset, hostile actions) and scoring."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from synth_corpus import GOOD, TEST_RUNNER, hostile_actions

from zeroplay.agents.oracle import OracleAgent
from zeroplay.core.errors import EpisodeOverError, ZeroplayError
from zeroplay.envs.synth import spec
from zeroplay.envs.synth.env import SynthEnv
from zeroplay.envs.synth.runner import EnvRunner


@pytest.fixture
def env(runner) -> SynthEnv:
    return SynthEnv(source=GOOD, runner=runner)


def test_gymnasium_checker(env: SynthEnv) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)


def test_reset_is_deterministic_and_prompt_has_answer_format(env: SynthEnv) -> None:
    for seed in (0, 1, 12345):
        first, info = env.reset(seed=seed)
        again, _ = env.reset(seed=seed)
        assert first == again and first.endswith(spec.ANSWER_INSTRUCTION)
        assert info["task"].prompt == first
    a = [env.reset(seed=7)[0]] + [env.reset()[0] for _ in range(10)]  # past one batch of prompts
    b = [env.reset(seed=7)[0]] + [env.reset()[0] for _ in range(10)]
    assert a == b and len(set(a)) > 5


def test_oracle_scores_one_and_wrong_answers_zero(env: SynthEnv) -> None:
    oracle = OracleAgent()
    for i in range(10):
        obs, info = env.reset(seed=i)
        answer = oracle.act([obs], [info])[0]
        _, reward, terminated, truncated, step_info = env.step(f"Let me add them up. <answer>{answer}</answer>")
        assert (reward, terminated, truncated) == (1.0, True, False)
        assert step_info["verdict"].correct and step_info["verdict"].extracted == answer
        env.reset(seed=i)
        _, reward, *_ = env.step(f"<answer>{int(answer) + 1}</answer>")
        assert reward == 0.0


def test_hostile_actions_never_raise(env: SynthEnv) -> None:
    rng = np.random.default_rng(0)
    for i, action in enumerate(hostile_actions(rng)):
        env.reset(seed=i)
        obs, reward, terminated, truncated, info = env.step(action)
        assert isinstance(obs, str) and reward == 0.0 and terminated and not truncated
        assert info["verdict"].score == 0.0


def test_step_before_reset_and_after_end_raise(env: SynthEnv) -> None:
    with pytest.raises(EpisodeOverError):
        env.step("1")
    env.reset(seed=0)
    env.step("1")
    with pytest.raises(EpisodeOverError):
        env.step("1")


def test_difficulty_knob_and_option(runner) -> None:
    env = SynthEnv(source=GOOD, runner=runner, difficulty=5)
    hard, _ = env.reset(seed=0)
    easy, info = env.reset(seed=0, options={"difficulty": 1})
    assert info["difficulty"] == 1 and len(hard) > len(easy)
    with pytest.raises(ValueError, match="difficulty"):
        env.reset(seed=0, options={"difficulty": 9})
    with pytest.raises(ValueError, match="difficulty"):
        SynthEnv(source=GOOD, runner=runner, difficulty=0)


def test_score_many_batches(env: SynthEnv) -> None:
    tasks, answers = [], []
    for i in range(6):
        _, info = env.reset(seed=i)
        tasks.append(info["task"])
        answers.append(info["task"].reference["answer"] if i % 2 == 0 else "wrong")
    assert [v.score for v in env.score_many(tasks, answers)] == [1.0, 0.0] * 3


def test_env_that_breaks_at_play_time_fails_softly(runner) -> None:
    # passes validation's seeds but raises on most others: reset skips failing instances,
    # and a score that crashes is a failing verdict, not an exception
    src = GOOD.replace('def score(instance, answer):\n', 'def score(instance, answer):\n    if answer == "boom":\n        raise RuntimeError("boom")\n')
    env = SynthEnv(source=src, runner=runner)
    env.reset(seed=0)
    _, reward, _, _, info = env.step("boom")
    assert reward == 0.0 and info["verdict"].reason.startswith("env-error") and "boom" in info["verdict"].reason
    env.reset(seed=1)
    env.source = "RATIO = 1 / 0\n" + GOOD  # the source on disk went bad between reset and step
    _, reward, _, _, info = env.step("1")
    assert reward == 0.0 and "ZeroDivisionError" in info["verdict"].reason
    dead = SynthEnv(source=GOOD.replace("return {", "raise ValueError('never')\n    return {"), runner=runner)
    with pytest.raises(ZeroplayError, match="every instance"):
        dead.reset(seed=0)


def test_needs_name_or_source() -> None:
    with pytest.raises(ValueError, match="source"):
        SynthEnv()


def test_own_runner_is_closed() -> None:
    env = SynthEnv(source=GOOD, runner_config=TEST_RUNNER)
    env.reset(seed=0)
    env.close()


class CountingRunner(EnvRunner):
    """The real runner, counting the sandbox jobs it sends."""

    def __init__(self) -> None:
        super().__init__(TEST_RUNNER)
        self.jobs = 0

    def run_jobs(self, jobs):
        self.jobs += len(jobs)
        return super().run_jobs(jobs)


def test_reset_to_the_same_seed_reuses_the_batch() -> None:
    runner = CountingRunner()
    env = SynthEnv(source=GOOD, runner=runner)
    first, _ = env.reset(seed=5)
    assert runner.jobs == 1
    for _ in range(4):  # an RLVR loop: the same problem once per sampled answer
        assert env.reset(seed=5)[0] == first
        env.step("1")
    assert runner.jobs == 1 + 4  # one job per step, none for the repeated resets
    runner.close()


def test_mixed_difficulty_draws_from_the_kept_levels(runner) -> None:
    env = SynthEnv(source=GOOD, runner=runner, difficulty="mixed", levels=[2, 4])
    seen = {env.reset(seed=s)[1]["difficulty"] for s in range(12)}
    assert seen == {2, 4}
    first = [env.reset(seed=3)[0]] + [env.reset()[0] for _ in range(6)]
    again = [env.reset(seed=3)[0]] + [env.reset()[0] for _ in range(6)]
    assert first == again
    with pytest.raises(ValueError, match="mixed"):
        SynthEnv(source=GOOD, runner=runner, levels=[7])
