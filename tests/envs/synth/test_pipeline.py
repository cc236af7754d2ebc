"""End to end: a scripted author returns good and bad sources; the library fills with the good ones,
which then pass the env contract, survive a restart and play through `zeroplay play`."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from synth_corpus import BROKEN, GOOD, GOOD_RENAMED, MAX_SUBARRAY, ROMAN, TEST_VALIDATION, hostile_actions

import zeroplay as zp
from zeroplay.agents.base import Agent
from zeroplay.envs.synth.library import ENV_VAR, Library
from zeroplay.envs.synth.pipeline import authoring_prompt, extract_source, seed_sources, synthesize
from zeroplay.envs.synth.spec import ALLOWED_IMPORTS

BROKEN_BY_ID = {c: s for c, _, s in BROKEN}

#: (reply, stage it must stop at, or None when it must be accepted)
REPLIES = [
    (f"Here is my environment:\n```python\n{GOOD}\n```\nHope you like it.", None),
    (MAX_SUBARRAY, None),
    (f"```py\n{ROMAN}```", None),
    (f"```python\n{GOOD_RENAMED}\n```", "novelty"),  # a near-copy of the first reply
    (seed_sources()["Knapsack"].replace("Knapsack", "Backpack"), "novelty"),  # a copy of a seed
    (BROKEN_BY_ID["always_one"], "discriminating"),
    (BROKEN_BY_ID["infinite_loop"], "sandbox"),
    (BROKEN_BY_ID["import_os"], "static"),
    (BROKEN_BY_ID["global_random"], "deterministic"),
    (BROKEN_BY_ID["reference_off_by_one"], "self_consistent"),
    (BROKEN_BY_ID["difficulty_ignored"], "difficulty"),
    ("Sorry, I cannot write code today.", "static"),
]


class ScriptedAuthor(Agent):
    """Replies with REPLIES in order, cycling; records the prompts it got."""

    name = "scripted-author"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def act(self, observations, infos=None):
        self.prompts += observations
        return [REPLIES[i % len(REPLIES)][0] for i in range(len(observations))]


class HalfRight(Agent):
    """Calibration solver: right on even-numbered calls, wrong on odd ones, at every level."""

    name = "half-right"

    def __init__(self) -> None:
        self.calls = 0

    def act(self, observations, infos=None):
        out = []
        for info in infos:
            self.calls += 1
            out.append(info["task"].reference["answer"] if self.calls % 2 == 0 else "nope")
        return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory):
    library = Library(tmp_path_factory.mktemp("e2e") / "lib")
    author = ScriptedAuthor()
    results = synthesize(author, len(REPLIES), theme="number puzzles", library=library, solver=HalfRight(),
                         config=TEST_VALIDATION, episodes=8)
    return library, author, results


def test_each_reply_ends_where_it_should(filled) -> None:
    _, _, results = filled
    assert len(results) == len(REPLIES)
    for (reply, stage), result in zip(REPLIES, results):
        assert result.accepted == (stage is None), f"{result.name}: {result.stage} {result.reason}"
        assert result.stage == stage, f"{result.name}: {result.stage} ({result.reason}), expected {stage}"


def test_library_holds_the_accepted_with_calibration(filled) -> None:
    library, _, results = filled
    assert library.names() == ["ListSum", "MaxSubarray", "RomanNumerals"]
    entry = library.get("MaxSubarray")
    assert entry.origin == "scripted-author" and entry.theme == "number puzzles"
    assert entry.levels and entry.difficulty in entry.levels
    assert all(0.2 <= entry.pass_rates[str(d)] <= 0.8 for d in entry.levels)
    assert {r.env_id for r in results if r.accepted} == {f"zeroplay/synth/{n}-v0" for n in library.names()}


def test_prompts_show_two_seeds_and_the_theme(filled) -> None:
    _, author, _ = filled
    prompt = author.prompts[0]
    assert prompt.count("```python\n") == 2 and "number puzzles" in prompt and "sample_instance" in prompt
    assert all(m in prompt for m in ALLOWED_IMPORTS)
    assert authoring_prompt([GOOD]).count("```python\n") == 1


@pytest.mark.parametrize("name", ["ListSum", "MaxSubarray", "RomanNumerals"])
def test_accepted_envs_pass_the_contract(filled, runner, name: str) -> None:
    env = zp.make(f"zeroplay/synth/{name}-v0", runner=runner)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)
    for seed in (0, 1, 12345):
        first, _ = env.reset(seed=seed)
        assert first == env.reset(seed=seed)[0] and first
    rng = np.random.default_rng(0)
    for i, action in enumerate(hostile_actions(rng)):
        env.reset(seed=i)
        obs, reward, terminated, _, info = env.step(action)
        assert isinstance(obs, str) and np.isfinite(reward) and terminated and "verdict" in info
    obs, info = env.reset(seed=3)
    assert env.step(f"<answer>{info['task'].reference['answer']}</answer>")[1] == 1.0


def test_second_run_adds_nothing_new(filled) -> None:
    library, _, _ = filled
    again = synthesize(ScriptedAuthor(), 3, library=Library(library.path), config=TEST_VALIDATION)
    assert [r.stage for r in again] == ["novelty"] * 3 and len(library) == 3


def test_library_plays_after_restart(filled) -> None:
    library, _, _ = filled
    env = {**os.environ, ENV_VAR: str(library.path)}
    cmd = [sys.executable, "-m", "zeroplay.cli", "play", "zeroplay/synth/RomanNumerals-v0", "--agents", "oracle", "-n", "4"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "RomanNumerals" in out.stdout and "1.0" in out.stdout


def test_extract_source() -> None:
    assert extract_source("text\n```python\nA = 1\n```\nmore\n```python\nB = 22222\n```") == "B = 22222\n"
    assert extract_source("A = 1") == "A = 1"
    assert extract_source(None) == ""  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        synthesize(ScriptedAuthor(), 0)


class Replies(Agent):
    name = "replies"

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies

    def act(self, observations, infos=None):
        return [self.replies[i % len(self.replies)] for i in range(len(observations))]


def test_novelty_threshold_is_configurable(tmp_path) -> None:
    strict = synthesize(Replies([GOOD, GOOD_RENAMED]), 2, library=Library(tmp_path / "a"), config=TEST_VALIDATION)
    assert [r.stage for r in strict] == [None, "novelty"]
    loose = synthesize(Replies([GOOD, GOOD_RENAMED]), 2, library=Library(tmp_path / "b"), config=TEST_VALIDATION,
                       novelty_threshold=1.01)
    assert [r.accepted for r in loose] == [True, True] and Library(tmp_path / "b").names() == ["ListSum", "NumberTotal"]
