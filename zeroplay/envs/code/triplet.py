"""The data model of code-execution tasks (as in Absolute Zero): a program and its I/O pairs.

A :class:`CodeTask` holds a Python program that defines ``f``, a list of inputs and the
outputs the sandbox computed for them. Inputs and outputs are **text**: an input is the
argument list of a call (``[1, 2], 3`` means ``f([1, 2], 3)``), an output is the ``repr`` of the
returned value. Both must be Python literals, so the host reads them with ``ast.literal_eval``
and never runs any of it.

One ``CodeTask`` serves the three task types:

- deduction: program + ``inputs[0]`` shown, ``outputs[0]`` is the answer;
- abduction: program + ``outputs[0]`` shown, any input giving that output is an answer;
- induction: ``message`` + the first ``n_shown`` pairs shown, the program must reproduce the
  held-out pairs.
"""

from __future__ import annotations

import ast
import hashlib
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from zeroplay.core.types import Task
from zeroplay.envs.code.canonical import canonical_program

#: The three task types.
KINDS = ("deduction", "abduction", "induction")
#: The function every program defines; the task calls it.
ENTRY = "f"
#: Verifier names registered for each kind (see :mod:`zeroplay.envs.code.verify`).
VERIFIER_NAMES = {kind: f"code-{kind}" for kind in KINDS}
#: Longest literal text the host parses (inputs, outputs, answers). Longer text is refused.
MAX_LITERAL_CHARS = 20_000


class LiteralError(ValueError):
    """Text that is not a Python literal (or literal argument list) we accept."""


def parse_value(text: str) -> Any:
    """The value of a Python literal (``[1, 'a']``, ``{'k': (1, 2)}``, ``set()``...).

    Raises :class:`LiteralError` for anything else: names, calls, operators, over-long text.
    Never executes code.
    """
    if not isinstance(text, str):
        raise LiteralError(f"expected text, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise LiteralError("empty value")
    if len(text) > MAX_LITERAL_CHARS:
        raise LiteralError(f"value longer than {MAX_LITERAL_CHARS} characters")
    try:
        return ast.literal_eval(text)
    # literal_eval raises many types on junk (SyntaxError, ValueError, TypeError, MemoryError,
    # RecursionError on deep nesting, ValueError past the int-digits limit): all mean "not a literal".
    except (Exception, RecursionError, MemoryError) as e:  # noqa: BLE001
        raise LiteralError(f"not a Python literal ({type(e).__name__})") from None


def parse_args(text: str) -> tuple[Any, ...]:
    """The positional arguments of a call written as text: ``"[1, 2], 3"`` -> ``([1, 2], 3)``.

    Only literal positional arguments are accepted (no keywords, no ``*args``, no names).
    Raises :class:`LiteralError` otherwise. Never executes code.
    """
    if not isinstance(text, str):
        raise LiteralError(f"expected text, got {type(text).__name__}")
    text = text.strip()
    if len(text) > MAX_LITERAL_CHARS:
        raise LiteralError(f"input longer than {MAX_LITERAL_CHARS} characters")
    if text.startswith(f"{ENTRY}(") and text.endswith(")"):
        text = text[len(ENTRY) + 1 : -1]  # accept "f(1, 2)" for "1, 2"
    try:
        call = ast.parse(f"{ENTRY}({text}\n)", mode="eval").body
    except (Exception, RecursionError, MemoryError) as e:  # noqa: BLE001
        raise LiteralError(f"not an argument list ({type(e).__name__})") from None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.func.id != ENTRY:
        raise LiteralError("not an argument list")  # e.g. "1)(2" parses as f(1)(2)
    if call.keywords:
        raise LiteralError("keyword arguments are not supported; pass arguments by position")
    args = []
    for node in call.args:
        if isinstance(node, ast.Starred):
            raise LiteralError("*args is not supported; write the arguments out")
        try:
            args.append(ast.literal_eval(node))
        except (Exception, RecursionError, MemoryError) as e:  # noqa: BLE001
            raise LiteralError(f"argument is not a Python literal ({type(e).__name__})") from None
    return tuple(args)


def canonical_args(text: str) -> str:
    """``text`` rewritten in one canonical form (``repr`` of each argument), for dedup and display."""
    return ", ".join(_repr(a) for a in parse_args(text))


def canonical_value(text: str) -> str:
    return _repr(parse_value(text))


def _repr(value: Any) -> str:
    """``repr`` that must read back as a literal: ``1e999`` parses to ``inf``, whose repr does not."""
    try:
        text = repr(value)
        ast.literal_eval(text)
    except (Exception, RecursionError, MemoryError):  # noqa: BLE001
        raise LiteralError("value has no literal form (inf or nan?); use finite numbers") from None
    return text


def values_equal(a: Any, b: Any, *, rel_tol: float = 1e-9) -> bool:
    """Value equality that keeps types apart (``1``, ``1.0`` and ``True`` differ) and compares
    floats with a tight relative tolerance. Containers compare element by element."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=rel_tol, abs_tol=0.0)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y, rel_tol=rel_tol) for x, y in zip(a, b))
    if isinstance(a, dict):  # keys by type too: {1: 'x'} is not {True: 'x'}
        ka, kb = {_typed(k): v for k, v in a.items()}, {_typed(k): v for k, v in b.items()}
        return ka.keys() == kb.keys() and all(values_equal(ka[k], kb[k], rel_tol=rel_tol) for k in ka)
    if isinstance(a, (set, frozenset)):  # {1, 'a'} is not {True, 'a'}
        return len(a) == len(b) and ({_typed(x) for x in a} == {_typed(x) for x in b} or _matched(a, b, rel_tol))
    if isinstance(a, complex):
        return values_equal(a.real, b.real, rel_tol=rel_tol) and values_equal(a.imag, b.imag, rel_tol=rel_tol)
    return a == b  # int, str, bytes, bool, None


def _typed(x: Any) -> Any:
    """A hashable key of ``x`` that keeps types apart inside (``1``, ``1.0`` and ``True`` are three keys)."""
    if isinstance(x, tuple):
        return (tuple, tuple(_typed(i) for i in x))
    if isinstance(x, frozenset):
        return (frozenset, frozenset(_typed(i) for i in x))
    if isinstance(x, float) and math.isnan(x):
        return (float, "nan")
    return (type(x), x)


#: Sets up to this size whose elements differ as keys are matched pairwise (floats with the tolerance).
_MATCHED_SET_SIZE = 64


def _matched(a: Any, b: Any, rel_tol: float) -> bool:
    """Each element of ``a`` equals (:func:`values_equal`) its own element of ``b``: floats in a set get the
    tolerance they get in a list. Larger sets must be equal as typed keys."""
    if len(a) > _MATCHED_SET_SIZE:
        return False
    left = list(b)
    for x in a:
        k = next((k for k, y in enumerate(left) if values_equal(x, y, rel_tol=rel_tol)), None)
        if k is None:
            return False
        del left[k]
    return True


def program_key(program: str) -> str:
    """A key equal for programs that differ only in formatting, comments, docstrings, annotations
    and the names of their own variables (see :func:`~zeroplay.envs.code.canonical.canonical_program`)."""
    try:
        return canonical_program(program)
    except (Exception, RecursionError, MemoryError):  # noqa: BLE001
        return program.strip()


@dataclass(frozen=True)
class CodeTask:
    """A program defining ``f`` with inputs and their outputs (see the module docstring).

    ``outputs[i]`` is the ``repr`` of ``f(*inputs[i])`` as the sandbox computed it. ``n_shown`` is
    how many pairs an induction prompt shows; the rest are held out for checking (at least one when
    there are two pairs or more: a larger ``n_shown`` is cut to ``len(inputs) - 1``).
    """

    program: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    message: str = ""
    n_shown: int = 0
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        if not self.inputs or len(self.inputs) != len(self.outputs):
            raise ValueError(f"a CodeTask needs as many outputs as inputs (>= 1); got {len(self.inputs)} and {len(self.outputs)}")
        if self.n_shown <= 0:
            object.__setattr__(self, "n_shown", max(1, len(self.inputs) // 2))
        if len(self.inputs) >= 2 and self.n_shown >= len(self.inputs):  # keep one pair to check induction on:
            object.__setattr__(self, "n_shown", len(self.inputs) - 1)  # else a lookup table of the shown ones passes

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.inputs, self.outputs))

    @property
    def shown(self) -> list[tuple[str, str]]:
        return self.pairs[: self.n_shown]

    @property
    def hidden(self) -> list[tuple[str, str]]:
        """Held-out pairs for induction (all pairs when there is only one)."""
        return self.pairs[self.n_shown :] or self.pairs

    def key(self, kind: str) -> str:
        """Dedup key: same program (up to formatting and renaming, see :func:`program_key`) and same
        inputs for this kind."""
        inputs = self.inputs[:1] if kind != "induction" else tuple(sorted(self.inputs))
        raw = program_key(self.program) + "\x00" + "\x00".join(inputs)
        return hashlib.sha1(raw.encode("utf-8", "replace")).hexdigest()

    def pick(self, index: int) -> CodeTask:
        """The single-pair task made of pair ``index`` (for deduction and abduction)."""
        return CodeTask(self.program, (self.inputs[index],), (self.outputs[index],), self.message, 1, dict(self.meta))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs"], d["outputs"] = list(self.inputs), list(self.outputs)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CodeTask:
        allowed = {"program", "inputs", "outputs", "message", "n_shown", "meta"}
        unknown = set(d) - allowed
        if unknown:
            raise ValueError(f"CodeTask got unknown fields {sorted(unknown)}; allowed: {sorted(allowed)}")
        if not isinstance(d.get("program"), str):
            raise TypeError("CodeTask needs 'program' (text of a Python program defining f)")
        return cls(
            program=d["program"],
            inputs=tuple(str(x) for x in d.get("inputs", ())),
            outputs=tuple(str(x) for x in d.get("outputs", ())),
            message=str(d.get("message", "")),
            n_shown=int(d.get("n_shown", 0)),
            meta=dict(d.get("meta", {})),
        )

    def to_task(self, kind: str, *, task_id: str | None = None) -> Task:
        """The :class:`Task` a solver of ``kind`` sees: prompt, reference (this task as a dict), verifier name."""
        from zeroplay.envs.code.prompts import solver_prompt

        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        source = self if kind == "induction" else self.pick(0)
        return Task(
            id=task_id or f"{kind}-{source.key(kind)[:12]}",
            prompt=solver_prompt(kind, source),
            reference=source.to_dict(),
            verifier=VERIFIER_NAMES[kind],
            meta={"kind": kind},
        )

    @classmethod
    def from_reference(cls, reference: Any) -> CodeTask:
        """The task back from a :class:`Task`'s ``reference`` (a dict, or a CodeTask)."""
        if isinstance(reference, CodeTask):
            return reference
        if not isinstance(reference, dict):
            raise TypeError(f"a code task reference must be a dict with program/inputs/outputs, got {type(reference).__name__}")
        return cls.from_dict(reference)
