"""Unit-test writing and coding on small Python function problems (UTRL's two roles).

A :class:`UnitTestProblem` is a function to write: its name, signature and description (what a
model sees), a reference solution, a few ground-truth tests and some known-buggy solutions (what a
model never sees). The built-in bank (``utrl_problems.jsonl``, 21 problems written for zeroplay)
is checked by the tests: every reference passes its ground-truth tests and every buggy solution
fails at least one. Each has a precondition on the arguments (types, ``lo <= hi``, sorted input, a
valid numeral...), so a test outside the spec is invalid; give yours one.

- ``zeroplay/UnitTestWriter-v0`` (:class:`UnitTestWriterEnv`): write tests for a problem, one
  ``assert NAME(ARGS) == EXPECTED`` a line (:func:`~zeroplay.verifiers.code.unit_tests.parse_tests`).
  Reward: UTRL's discrimination reward (:func:`~zeroplay.verifiers.code.unit_tests.suite_score`)
  with the problem's buggy solutions as the candidates: the share of them caught by a test that
  holds on the reference, plus the clipped validity ratio and a format bonus. (In the ``utrl``
  training loop the candidates are the coder's own samples instead.)
- ``zeroplay/UnitTestCoder-v0`` (:class:`UnitTestCoderEnv`): write the function; reward the
  fraction of the ground-truth tests it passes (``score="all"``: 1 only when all pass).

Both run everything in the sandbox through :class:`~zeroplay.verifiers.code.unit_tests.UnitTestRunner`
(the solution as an untrusted subject, the tests as data). The references and buggy solutions are
in the task's ``reference``, never in an observation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError
from zeroplay.core.tasks import ListSource, TaskEnv
from zeroplay.core.types import Task

BANK = Path(__file__).with_name("utrl_problems.jsonl")
_FIELDS = ("id", "entry_point", "signature", "description", "reference", "tests")


@dataclass(frozen=True)
class UnitTestProblem:
    """One function to write: what a model sees (``signature``, ``description``, one example) and
    what only the judge holds (``reference``, ``tests``, ``buggy``)."""

    id: str
    entry_point: str
    signature: str
    description: str
    reference: str
    """A correct solution (with :attr:`precondition`, it decides which generated tests are valid)."""
    tests: tuple[str, ...]
    """Ground-truth tests, ``assert NAME(...) == ...`` lines (the coder's evaluation)."""
    buggy: tuple[str, ...] = ()
    """Wrong solutions that fail at least one ground-truth test (the test-writer env's candidates)."""
    precondition: str = ""
    """Source of ``def precondition(ARGS) -> bool`` (the entry point's arguments): True when they are
    inside the description's spec. A generated test whose arguments it refuses is invalid; without
    one, a test outside the spec that holds on the one reference catches every correct solution
    that returns something else there (``clamp(5, 10, 0)`` with ``lo > hi``)."""

    @property
    def judged_reference(self) -> str:
        """The reference as tests are judged on it: raising ``ValueError`` outside the precondition."""
        from zeroplay.verifiers.code.unit_tests import with_precondition

        return with_precondition(self.reference, self.entry_point, self.precondition)

    @property
    def example(self) -> str:
        """The one test shown in prompts (the first ground-truth test)."""
        return self.tests[0]

    @classmethod
    def from_dict(cls, row: dict[str, Any], where: str = "") -> UnitTestProblem:
        missing = [k for k in _FIELDS if k not in row]
        if missing:
            raise ConfigError(f"unit-test problem {where}: missing field(s) {', '.join(missing)}; a row has "
                              f"{', '.join(_FIELDS)} and optionally 'buggy' and 'precondition'")
        if not row["tests"] or not all(isinstance(t, str) for t in row["tests"]):
            raise ConfigError(f"unit-test problem {where}: 'tests' must be a non-empty list of assert lines")
        if not isinstance(row.get("precondition", ""), str):
            raise ConfigError(f"unit-test problem {where}: 'precondition' must be the source of "
                              "`def precondition(ARGS)` returning True inside the spec")
        return cls(str(row["id"]), str(row["entry_point"]), str(row["signature"]), str(row["description"]),
                   str(row["reference"]), tuple(row["tests"]), tuple(str(b) for b in row.get("buggy", ())),
                   row.get("precondition", ""))


def load_problems(path: str | Path | None = None) -> list[UnitTestProblem]:
    """The problems of a JSONL file (default: the built-in bank), one object a line."""
    return list(_load(str(path or BANK)))


@lru_cache(maxsize=8)
def _load(path: str) -> tuple[UnitTestProblem, ...]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"no unit-test problem file at {p}: give a JSONL file with one problem a line "
                          f"(fields {', '.join(_FIELDS)}), or leave it empty for the built-in bank")
    out = []
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError as e:
                raise ConfigError(f"{p}:{lineno}: not a JSON object ({e})") from None
            out.append(UnitTestProblem.from_dict(row, f"{p.name}:{lineno}"))
    if not out:
        raise ConfigError(f"{p} holds no problems")
    ids = [q.id for q in out]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{p}: problem ids must be unique")
    return tuple(out)


def problem_by_entry_point(entry_point: str, path: str | Path | None = None) -> UnitTestProblem | None:
    """The bank's problem whose function is ``entry_point`` (names are unique in the built-in bank)."""
    return next((q for q in load_problems(path) if q.entry_point == entry_point), None)


# -- prompts --------------------------------------------------------------------------------------

def coder_prompt(problem: UnitTestProblem) -> str:
    return (f"Write a Python function `{problem.signature}`.\n\n{problem.description}\n\n"
            f"Example: {problem.example}\n\n"
            "Reply with the complete function in one ```python block (standard library only).")


def writer_prompt(problem: UnitTestProblem, max_tests: int = 32) -> str:
    name = problem.entry_point
    return (f"Write unit tests for a Python function `{problem.signature}`.\n\n{problem.description}\n\n"
            f"Example: {problem.example}\n\n"
            f"Write up to {max_tests} test cases in one ```python block, one per line, each of the form\n"
            f"assert {name}(ARGUMENTS) == EXPECTED\n"
            "where the arguments and the expected value are Python literals (numbers, strings, lists, tuples, "
            "dicts, sets, True, False, None). Tests score when they hold for a correct solution and catch "
            "wrong ones: think of edge cases.")


def entry_point_of(prompt: str) -> str | None:
    """The function name a prompt of this module asks about (its first backquoted signature)."""
    start = prompt.find("`")
    end = prompt.find("(", start + 1)
    if start < 0 or end < 0:
        return None
    name = prompt[start + 1:end]
    return name if name.isidentifier() else None


# -- envs -----------------------------------------------------------------------------------------

def _tasks(problems: list[UnitTestProblem] | str | Path | None, make: Any) -> ListSource:
    if problems is None or isinstance(problems, (str, Path)):
        problems = load_problems(problems)
    return ListSource([make(q) for q in problems])


class UnitTestCoderEnv(TaskEnv):
    """Write the function; scored on the problem's ground-truth tests in the sandbox (see the module
    docstring). ``score``: ``fraction`` (default) or ``all``."""

    def __init__(self, problems: list[UnitTestProblem] | str | Path | None = None, *, score: str = "fraction",
                 timeout_s: float = 5.0, call_timeout_s: float = 1.0, memory_mb: int = 256, sandbox: Any = None,
                 render_mode: str | None = None):
        from zeroplay.verifiers.code.unit_tests import UnitTestCodeVerifier

        verifier = UnitTestCodeVerifier(score=score, timeout_s=timeout_s, call_timeout_s=call_timeout_s,
                                        memory_mb=memory_mb, sandbox=sandbox)
        tasks = _tasks(problems, lambda q: Task(f"code-{q.id}", coder_prompt(q),
                                                {"entry_point": q.entry_point, "tests": list(q.tests)},
                                                "unit-test-code", {"problem": q.id}))
        super().__init__(tasks, verifier=verifier, render_mode=render_mode)
        self.verifier = verifier


class UnitTestWriterEnv(TaskEnv):
    """Write unit tests; scored by UTRL's discrimination reward against the problem's buggy
    solutions, validity decided by its reference (see the module docstring). ``weights`` are
    :func:`~zeroplay.verifiers.code.unit_tests.suite_score`'s keyword arguments."""

    def __init__(self, problems: list[UnitTestProblem] | str | Path | None = None, *, max_tests: int = 32,
                 weights: dict[str, float] | None = None, timeout_s: float = 5.0, call_timeout_s: float = 1.0,
                 memory_mb: int = 256, sandbox: Any = None, render_mode: str | None = None):
        from zeroplay.verifiers.code.unit_tests import UnitTestSuiteVerifier

        verifier = UnitTestSuiteVerifier(max_tests=max_tests, weights=weights, timeout_s=timeout_s,
                                         call_timeout_s=call_timeout_s, memory_mb=memory_mb, sandbox=sandbox)
        tasks = _tasks(problems, lambda q: Task(f"tests-{q.id}", writer_prompt(q, max_tests),
                                                {"entry_point": q.entry_point, "references": [q.reference],
                                                 "precondition": q.precondition, "solutions": list(q.buggy)},
                                                "unit-test-suite", {"problem": q.id}))
        super().__init__(tasks, verifier=verifier, render_mode=render_mode)
        self.verifier = verifier
