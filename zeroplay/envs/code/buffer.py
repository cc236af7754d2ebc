"""The task buffer of proposer/solver self-play, and the proposer's learnability reward.

A :class:`TaskBuffer` holds the validated :class:`CodeTask` objects of one kind. It starts from
seed tasks (the identity function by default), drops duplicates (same program up to formatting
and renaming, see :func:`~zeroplay.envs.code.triplet.program_key`; same inputs), appends every
new task to a JSONL file when given one and reloads it on start.
It is also a :class:`~zeroplay.core.tasks.TaskSource`, so solver envs can draw from it directly.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from zeroplay.core.tasks import TaskSource, read_jsonl
from zeroplay.core.types import Task
from zeroplay.envs.code.triplet import KINDS, CodeTask

#: The seed every buffer starts from when given none: the identity function.
IDENTITY = CodeTask(
    program="def f(x):\n    return x",
    inputs=("'Hello world'", "[1, 2, 3]", "0", "{'a': 1}"),
    outputs=("'Hello world'", "[1, 2, 3]", "0", "{'a': 1}"),
    message="returns its argument unchanged",
    n_shown=2,
)


#: The built-in seed tasks shipped with the package (hand-written programs, six I/O pairs each).
SEEDS_PATH = Path(__file__).with_name("seeds.jsonl")


@functools.lru_cache(maxsize=1)
def _builtin_seeds() -> tuple[CodeTask, ...]:
    return tuple(CodeTask.from_dict(row) for _, row in read_jsonl(SEEDS_PATH))


def builtin_seeds() -> list[CodeTask]:
    """The seed tasks shipped with zeroplay (the identity function first); solver envs serve them by default."""
    return list(_builtin_seeds())


def learnability_reward(solver_successes: Sequence[float] | Iterable[float]) -> float:
    """The proposer's reward for a task from the solvers' results on it (as in Absolute Zero):
    ``1 - mean`` when ``0 < mean < 1``, else ``0`` (a task every solver gets right, or none
    does, teaches nothing). ``solver_successes`` are 0/1 outcomes or scores in [0, 1]."""
    values = [float(s) for s in solver_successes]
    if not values:
        raise ValueError("learnability_reward needs at least one solver result")
    if any(not 0.0 <= v <= 1.0 for v in values):
        raise ValueError(f"solver results must lie in [0, 1], got {values}")
    mean = sum(values) / len(values)
    return 1.0 - mean if 0.0 < mean < 1.0 else 0.0


class TaskBuffer(TaskSource):
    """Validated code tasks of one ``kind``, deduplicated, optionally persisted to ``path`` (JSONL).

    ``sample(rng)`` gives a solver :class:`Task` (a ``TaskSource``); ``references(rng, k)`` gives
    ``k`` distinct :class:`CodeTask` objects for a proposer prompt. Not thread-safe.
    """

    def __init__(self, kind: str, *, path: str | Path | None = None, seeds: Iterable[CodeTask] | None = None,
                 max_size: int | None = None):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.path = Path(path) if path is not None else None
        self.max_size = max_size
        self._tasks: list[CodeTask] = []
        self._keys: set[str] = set()
        for seed in seeds if seeds is not None else [IDENTITY]:
            self._insert(seed)
        if self.path is not None and self.path.is_file():
            self._load(self.path)

    # -- contents ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self):
        return iter(list(self._tasks))

    def __contains__(self, task: CodeTask) -> bool:
        return task.key(self.kind) in self._keys

    def add(self, task: CodeTask) -> bool:
        """Add a validated task; False (and nothing written) when it is a duplicate."""
        if not self._insert(task):
            return False
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(task.to_dict(), ensure_ascii=False) + "\n")
        return True

    def _insert(self, task: CodeTask) -> bool:
        key = task.key(self.kind)
        if key in self._keys:
            return False
        self._keys.add(key)
        self._tasks.append(task)
        if self.max_size is not None and len(self._tasks) > self.max_size:
            # keep the seeds' successors fresh: drop the oldest non-first task
            old = self._tasks.pop(1)
            self._keys.discard(old.key(self.kind))
        return True

    def _load(self, path: Path) -> None:
        for lineno, row in read_jsonl(path):
            try:
                self._insert(CodeTask.from_dict(row))
            except (ValueError, TypeError) as e:
                raise ValueError(f"{path}:{lineno}: not a code task ({e}); was this file written by TaskBuffer?") from None

    # -- sampling ------------------------------------------------------------------------
    def references(self, rng: np.random.Generator, k: int) -> list[CodeTask]:
        """``k`` distinct tasks (fewer when the buffer is smaller), drawn uniformly from ``rng``."""
        k = min(k, len(self._tasks))
        picks = rng.choice(len(self._tasks), size=k, replace=False) if k else []
        return [self._tasks[int(i)] for i in picks]

    def sample(self, rng: np.random.Generator) -> Task:
        """A solver task of this buffer's kind (deduction/abduction use a random pair of the task)."""
        task = self._tasks[int(rng.integers(len(self._tasks)))]
        if self.kind != "induction":
            task = task.pick(int(rng.integers(len(task.inputs))))
        return task.to_task(self.kind)
