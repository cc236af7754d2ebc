"""Solver envs of the code-execution tasks: deduction, abduction, induction (single step).

Each serves tasks from a source (default: the seed tasks shipped with zeroplay; pass a shared
:class:`~zeroplay.envs.code.buffer.TaskBuffer` for self-play) and scores the answer with its
verifier (:mod:`zeroplay.envs.code.verify`): reward 1.0 when correct, else 0.0
(``partial_credit=True`` gives induction the fraction of held-out pairs passed).

Answer formats (also stated in every prompt):

- ``zeroplay/CodeDeduction-v0``: the returned value as a Python literal, ``<answer>[1, 2]</answer>``;
- ``zeroplay/CodeAbduction-v0``: the call's arguments, ``<answer>[1, 2], 'x'</answer>`` for ``f([1, 2], 'x')``;
- ``zeroplay/CodeInduction-v0``: the program in a fenced block, ```` ```python def f(...): ...``` ````.

Without answer tags the parser falls back to the last fenced block, then the whole text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from zeroplay.core.tasks import TaskEnv, TaskSource
from zeroplay.core.types import Task
from zeroplay.envs.code.buffer import TaskBuffer, builtin_seeds
from zeroplay.envs.code.triplet import CodeTask
from zeroplay.envs.code.verify import VERIFIERS

TaskInput = TaskSource | Sequence[CodeTask | Task | dict] | str | Path | None


def code_task_source(kind: str, tasks: TaskInput) -> TaskSource:
    """A task source of ``kind`` from: None (the built-in seeds), a source (a buffer), a list of
    :class:`CodeTask` (or of solver :class:`Task`), or the path of a JSONL file a buffer wrote."""
    if tasks is None:
        return TaskBuffer(kind, seeds=builtin_seeds())
    if isinstance(tasks, TaskSource):
        return tasks
    if isinstance(tasks, (str, Path)):
        if not Path(tasks).is_file():
            raise FileNotFoundError(f"No task file at {tasks}: pass a JSONL file of code tasks (as TaskBuffer writes)")
        return TaskBuffer(kind, path=tasks, seeds=())
    tasks = list(tasks)
    if tasks and all(isinstance(t, CodeTask) for t in tasks):
        return TaskBuffer(kind, seeds=tasks)
    from zeroplay.core.tasks import ListSource

    return ListSource(tasks)  # solver Tasks (or their dicts) as they are


class CodeTaskEnv(TaskEnv):
    """A single-step code task env of one kind; see the module docstring. ``sandbox``,
    ``timeout_s`` and ``memory_mb`` set where and how answers run."""

    kind: ClassVar[str] = ""

    def __init__(self, tasks: TaskInput = None, *, sandbox: Any = None, timeout_s: float = 5.0, memory_mb: int = 512,
                 partial_credit: bool = False, render_mode: str | None = None):
        verifier = VERIFIERS[self.kind](sandbox, timeout_s=timeout_s, memory_mb=memory_mb, partial_credit=partial_credit)
        super().__init__(code_task_source(self.kind, tasks), verifier=verifier, render_mode=render_mode)
        self.verifier = verifier


class CodeDeductionEnv(CodeTaskEnv):
    """Predict a program's output for a given input (checked by value, no sandbox needed)."""

    kind = "deduction"


class CodeAbductionEnv(CodeTaskEnv):
    """Find an input that makes the program return a given output (checked by running it)."""

    kind = "abduction"


class CodeInductionEnv(CodeTaskEnv):
    """Write the program from a hint and some input/output pairs (checked on held-out pairs)."""

    kind = "induction"
