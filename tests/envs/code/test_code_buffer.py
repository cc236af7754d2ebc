"""The task buffer (seed, dedup, JSONL persistence) and the learnability reward."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zeroplay.core.types import Task
from zeroplay.envs.code.buffer import IDENTITY, TaskBuffer, builtin_seeds, learnability_reward
from zeroplay.envs.code.triplet import CodeTask


@pytest.mark.parametrize("successes, expected", [
    ([1, 0, 0, 0], 0.75),       # mean 1/4
    ([1, 1, 0, 0], 0.5),
    ([1, 1, 1, 0], 0.25),
    ([1, 0, 0, 0, 0, 0, 0, 0], 0.875),
    ([0.5], 0.5),
    ([1, 1, 1, 1], 0.0),        # solved by all: nothing to learn
    ([0, 0, 0], 0.0),           # solved by none: too hard
    ([1], 0.0),
])
def test_learnability_reward_hand_computed(successes: list[float], expected: float) -> None:
    assert learnability_reward(successes) == pytest.approx(expected)


def test_learnability_reward_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        learnability_reward([])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        learnability_reward([2])


def _task(n: int) -> CodeTask:
    return CodeTask(f"def f(x):\n    return x + {n}", (str(n),), (str(2 * n),))


def test_buffer_starts_from_the_identity_seed_and_dedups() -> None:
    buf = TaskBuffer("deduction")
    assert list(buf) == [IDENTITY]
    assert buf.add(_task(1)) and not buf.add(_task(1))
    reformatted = CodeTask("def f(x):\n    return (x + 1)  # same", ("1",), ("2",))
    assert not buf.add(reformatted)
    assert len(buf) == 2


def test_buffer_persists_to_jsonl_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "buffer.jsonl"
    buf = TaskBuffer("induction", path=path)
    for n in range(3):
        buf.add(_task(n))
    buf.add(_task(0))  # duplicate: not written twice
    assert len(path.read_text().splitlines()) == 3
    again = TaskBuffer("induction", path=path)
    assert list(again) == list(buf)
    path.write_text(path.read_text() + json.dumps({"nonsense": 1}) + "\n")
    with pytest.raises(ValueError, match=r"buffer.jsonl:4"):
        TaskBuffer("induction", path=path)


def test_buffer_samples_deterministically_and_as_a_task_source() -> None:
    buf = TaskBuffer("abduction", seeds=builtin_seeds())
    refs_a = buf.references(np.random.default_rng(3), 4)
    refs_b = buf.references(np.random.default_rng(3), 4)
    assert refs_a == refs_b and len({r.program for r in refs_a}) == 4
    assert len(TaskBuffer("abduction").references(np.random.default_rng(0), 5)) == 1
    task = buf.sample(np.random.default_rng(0))
    assert isinstance(task, Task) and task.verifier == "code-abduction"


def test_buffer_max_size_keeps_the_seed() -> None:
    buf = TaskBuffer("deduction", max_size=3)
    for n in range(10):
        buf.add(_task(n))
    assert len(buf) == 3 and next(iter(buf)) == IDENTITY and list(buf)[-1] == _task(9)


def test_builtin_seeds_are_plenty_and_well_formed() -> None:
    seeds = builtin_seeds()
    assert len(seeds) >= 20 and seeds[0].program.strip() == "def f(x):\n    return x"
    for seed in seeds:
        assert len(seed.inputs) >= 4 and seed.message
