"""Task sources and the single-step task env.

A task source serves :class:`Task` objects: an in-memory list, a JSONL file, or a generator
with a difficulty knob. :class:`TaskEnv` serves one task per episode: ``reset`` shows the
prompt, ``step(answer)`` ends the episode with the verifier's score as reward and the
:class:`Verdict` in ``info["verdict"]``.
"""

from __future__ import annotations

import abc
import json
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.core.env import TextEnv
from zeroplay.core.errors import ConfigError, EpisodeOverError, ZeroplayError
from zeroplay.core.types import Task, Verdict


class TaskSource(abc.ABC):
    """Serves tasks. ``sample`` draws from ``rng`` only, so a seeded env is deterministic."""

    @abc.abstractmethod
    def sample(self, rng: np.random.Generator) -> Task: ...


class ListSource(TaskSource):
    """Tasks held in memory; ``sample`` picks one uniformly."""

    def __init__(self, tasks: Iterable[Task | dict[str, Any]]):
        self.tasks: list[Task] = [t if isinstance(t, Task) else task_from_row(t) for t in tasks]
        if not self.tasks:
            raise ValueError("ListSource needs at least one task")

    def __len__(self) -> int:
        return len(self.tasks)

    def sample(self, rng: np.random.Generator) -> Task:
        return self.tasks[int(rng.integers(len(self.tasks)))]


class JSONLSource(ListSource):
    """Tasks from a JSONL file, one object a line with the fields of :class:`Task`.

    ``fields`` renames columns, e.g. ``{"problem": "prompt", "answer": "reference"}``;
    ``defaults`` fills missing fields (e.g. ``{"verifier": "math"}``).
    """

    def __init__(self, path: str | Path, *, fields: dict[str, str] | None = None, defaults: dict[str, Any] | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"No task file at {self.path}: pass the path of a JSONL file, one task per line")
        fields = fields or {}
        column = {new: old for old, new in fields.items()}  # errors name the file's own column
        tasks = []
        for lineno, raw in read_jsonl(self.path):
            row = {fields.get(k, k): v for k, v in raw.items()}
            row = {**(defaults or {}), **row}
            missing = [column.get(f, f) for f in ("prompt", "reference") if f not in row]
            if missing:
                raise ValueError(f"{self.path}:{lineno}: a task needs 'prompt' and 'reference'; this line has no "
                                 f"{' or '.join(map(repr, missing))} (its keys: {sorted(raw)})")
            row.setdefault("id", f"{self.path.stem}-{lineno}")
            try:
                tasks.append(task_from_row(row, column))
            except (TypeError, ValueError) as e:
                raise ValueError(f"{self.path}:{lineno}: {e}") from None
        super().__init__(tasks)


#: The JSON types each :class:`Task` field takes (``reference`` is whatever its verifier reads).
TASK_FIELD_TYPES: dict[str, tuple[type, ...]] = {"id": (str, int), "prompt": (str,), "verifier": (str,), "meta": (dict,)}
_JSON_NAMES = {str: "a string", int: "an integer", dict: "an object"}


def task_from_row(row: dict[str, Any], column: dict[str, str] | None = None) -> Task:
    """A :class:`Task` from a JSON object, each field's type checked first (an integer id is
    read as its text). ``column`` maps a field back to the name it had in the file, for errors."""
    for name, types in TASK_FIELD_TYPES.items():
        value = row.get(name)
        if name in row and (not isinstance(value, types) or isinstance(value, bool)):
            shown = (column or {}).get(name, name)
            want = " or ".join(_JSON_NAMES[t] for t in types)
            got = _json_type(value) if value is None else f"{_json_type(value)} {json.dumps(value)[:60]}"
            raise ValueError(f"field {shown!r} must be {want}, got {got}")
    if isinstance(row.get("id"), int):
        row = {**row, "id": str(row["id"])}
    return Task.from_dict(row)


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", type(None): "null", list: "a list", dict: "an object", str: "a string",
             int: "an integer", float: "a number"}
    return names.get(type(value), type(value).__name__)


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file.

    Raises ValueError naming ``path:line`` for a line that is not JSON or not a JSON object, or
    whose ``verifier`` is neither a name nor null.
    """
    path = Path(path)
    with path.open("rb") as f:  # decoded a line at a time, so a bad byte is reported with its line
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8-sig")  # (-sig: a BOM some editors write is skipped)
            except UnicodeDecodeError:
                raise ValueError(f"{path}:{lineno}: not UTF-8 text; a JSONL file holds one JSON object a line") from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            except RecursionError:  # json's decoder recurses once per level of nesting
                raise ValueError(f"{path}:{lineno}: JSON nested too deeply to read") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
            verifier = row.get("verifier")
            if verifier is not None and not isinstance(verifier, str):  # the field means the same in every zeroplay file
                raise ValueError(f"{path}:{lineno}: field 'verifier' must be a verifier's name (a string), "
                                 f"got {_json_type(verifier)} {json.dumps(verifier)[:60]}")
            yield lineno, row


def write_jsonl(path: str | Path, tasks: Iterable[Task]) -> None:
    """Write tasks one JSON object a line (the format :class:`JSONLSource` reads)."""
    with Path(path).open("w", encoding="utf-8") as f:
        for t in tasks:
            f.write(json.dumps(t.to_dict(), ensure_ascii=False) + "\n")


class GeneratorSource(TaskSource):
    """Tasks made on demand by ``generate(rng, difficulty) -> Task``.

    ``difficulty`` is the knob (an int level, 1 = easiest, or a float the generator
    documents); change it between episodes with ``source.difficulty = ...``.
    """

    def __init__(self, generate: Callable[[np.random.Generator, Any], Task], difficulty: Any = 1):
        self.generate = generate
        self.difficulty = difficulty

    def sample(self, rng: np.random.Generator) -> Task:
        return self.generate(rng, self.difficulty)


def as_source(tasks: TaskSource | Sequence[Task | dict] | str | Path) -> TaskSource:
    """A task source from a source, a list of tasks, or the path of a JSONL file."""
    if isinstance(tasks, TaskSource):
        return tasks
    if isinstance(tasks, (str, Path)):
        return JSONLSource(tasks)
    return ListSource(tasks)


class VerifierErrorWarning(UserWarning):
    """A task's verifier raised: the answer was scored as wrong (``verifier-error``). Shown once per message."""


class TaskEnv(TextEnv):
    """A single-step env over a task source.

    ``reset`` draws a task and shows ``prompt_template.format(prompt=task.prompt)``;
    ``step(answer)`` ends the episode: reward is ``verdict.score``, ``info["verdict"]`` the
    :class:`Verdict`, ``info["task"]`` the task. The verifier is ``verifier`` when given (an
    object or a registered name), else the one named by each task (``task.verifier``).
    """

    def __init__(
        self,
        tasks: TaskSource | Sequence[Task | dict] | str | Path,
        *,
        verifier: Any = None,
        prompt_template: str = "{prompt}",
        render_mode: str | None = None,
    ):
        super().__init__(render_mode=render_mode)
        self.source = as_source(tasks)
        self.prompt_template = prompt_template
        self._verifier = verifier
        self._verifiers: dict[str, Any] = {}
        self.task: Task | None = None
        self._done = True

    def verifier_for(self, task: Task) -> Any:
        """The verifier object for ``task``: the env's own, or the one the task names (built once)."""
        name = self._verifier if self._verifier is not None else task.verifier
        if not isinstance(name, str):
            return name  # a verifier object
        if name not in self._verifiers:
            from zeroplay import verifiers

            try:
                self._verifiers[name] = verifiers.make(name)
            except ZeroplayError:
                raise
            except Exception as e:  # a function that is no factory (verify's signature), a constructor's bug
                raise ConfigError(f"the verifier {name!r} of task {task.id!r} could not be built: {type(e).__name__}: "
                                  f"{e}; name a Verifier subclass, or a function that returns one, built with no "
                                  "arguments") from e
        return self._verifiers[name]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        if options and "task" in options:
            task = options["task"]
            self.task = task if isinstance(task, Task) else task_from_row(task)
        else:
            self.task = self.source.sample(self.np_random)
        self.verifier_for(self.task)  # an unknown verifier name fails here, loudly, not as a zero reward
        self._done = False
        self._last_obs = self.prompt_template.format(prompt=self.task.prompt)
        return self._last_obs, {"task": self.task}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.task is None or self._done:
            raise EpisodeOverError("step() on a finished or never-started episode; call reset() first")
        self._done = True
        text, problem = self.clean_action(action)
        verdict = self.verify(text, self.task) if not problem or text else Verdict.fail(problem)
        info = {"verdict": verdict, "task": self.task}
        if problem:
            info["reason"] = problem
        return self._last_obs, float(verdict.score), True, False, info

    def verify(self, answer: str, task: Task) -> Verdict:
        """The verdict on ``answer``; a verifier that raises gives a failing verdict, not an exception. A
        verifier that reads the question (``reads_question``: the math one, which refuses an answer that
        only restates a value of the question) gets ``{"answer": reference, "question": prompt}``."""
        try:
            verifier = self.verifier_for(task)
            if getattr(verifier, "reads_question", False) and not isinstance(task.reference, dict):
                return verifier.verify(answer, {"answer": task.reference, "question": task.prompt})
            return verifier.verify(answer, task.reference)
        except Exception as e:  # a verifier bug must not crash a training run, nor pass unnoticed
            warnings.warn(f"{type(self).__name__}: its verifier raised {type(e).__name__}: {str(e)[:120]}; such "
                          "answers score as wrong (reason 'verifier-error'): fix the verifier", VerifierErrorWarning,
                          stacklevel=2)
            return Verdict.fail(f"verifier-error: {type(e).__name__}: {str(e)[:200]}")
