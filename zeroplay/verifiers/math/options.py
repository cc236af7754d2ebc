"""Every knob of the math verifier, in one dataclass (documented field by field)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from zeroplay.core.errors import ConfigError


@dataclass(frozen=True)
class MathOptions:
    """Options of :class:`~zeroplay.verifiers.math.MathVerifier`. Defaults suit RL on competition math."""

    #: Two numbers are equal when ``|a - b| <= rel_tol * max(|a|, |b|)`` (or ``<= abs_tol``), where a decimal
    #: is involved and the gold is not exact: a decimal gold, or a decimal answer for an irrational gold
    #: constant. An exact gold (integer, fraction) is compared exactly (see MathVerifier). The default wants about
    #: ten significant digits (``\\pi`` is not the gold ``3.14159``); ``1e-5`` suits golds rounded to about six.
    rel_tol: float = 1e-9
    #: Absolute tolerance, for a gold of zero only (a gold ``1.6e-19`` wants its own digits: 0 is not it).
    abs_tol: float = 1e-12
    #: What to read when no marked answer is found (see extract.py): ``"last-math"`` (the last mathematical
    #: answer, as Math-Verify reads it: final display math, else the last sentence's math or number), or the
    #: stricter ``"short"`` (a short one-line response whole), ``"last-line"`` or ``"none"``.
    fallback: str = "last-math"
    #: Longest unmarked response (or last line) the fallback takes whole.
    short_chars: int = 80
    #: Drop trailing units (``5 cm``, ``\\text{ dollars}``) after a number; where both sides have a
    #: physical unit, they must agree or convert (``500 cm`` is ``5 m``; ``5 cm`` is not).
    strip_units: bool = True
    #: ``50\\%`` reads as ``50`` (the usual convention when the gold is written without the sign), and as
    #: ``0.5`` against a proportion gold (strictly between -1 and 1); ``5000\\%`` is never ``50``.
    strip_percent: bool = True
    #: ``30^\\circ`` reads as ``30``.
    strip_degrees: bool = True
    #: ``1,000,000`` (the whole answer) reads as ``1000000``.
    thousands_separators: bool = True
    #: Equations in one variable equal up to rearrangement and scaling too (``2x = 4`` vs ``x = 2``); off:
    #: the solved form is the answer. Equations in two or more variables (lines, planes, conics) always
    #: compare up to a nonzero constant factor (``y=2x+1`` vs ``2x-y+1=0``).
    equation_rearranged: bool = False
    #: Bare comma lists (``1, 2, 3``: e.g. all solutions) compare as multisets; tuples ``(1, 2)`` stay ordered.
    unordered_lists: bool = True
    #: ``i`` is the imaginary unit and ``e`` is Euler's number.
    constants_i_e: bool = True
    #: Random points at which expressions with free symbols are compared.
    random_points: int = 6
    #: When the gold is a plain number (integer, decimal, fraction), the answer must be written as one too
    #: (``x = 97``, ``3/2`` and ``\\frac{3}{2}`` are; ``37 + 12 \\cdot 5`` is not: ``unsimplified``). Off by
    #: default, as in Math-Verify, which accepts any equal expression; on for problems that ask to compute
    #: an expression, where restating it is not an answer (the procedural math envs turn it on).
    literal_answer: bool = False
    #: Extracted answers (and golds) longer than this are rejected as ``oversized-input``.
    max_chars: int = 1000
    #: Hard wall-clock budget for the sympy part of one item; past it the verdict is ``timeout``.
    timeout_s: float = 3.0
    #: Address-space cap of each sympy worker process (MiB), so a runaway item fails instead of swapping.
    worker_memory_mb: int = 2048

    def __post_init__(self) -> None:
        if self.fallback not in ("last-math", "short", "last-line", "none"):
            raise ConfigError(f"fallback must be 'last-math', 'short', 'last-line' or 'none', got {self.fallback!r}")
        if not (0 <= self.rel_tol < 1) or self.abs_tol < 0:
            raise ConfigError(f"rel_tol must be in [0, 1) and abs_tol >= 0, got {self.rel_tol}, {self.abs_tol}")
        if self.timeout_s <= 0:
            raise ConfigError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.random_points < 2:
            raise ConfigError(f"random_points must be >= 2, got {self.random_points}")

    def to_dict(self) -> dict[str, Any]:
        """Every option by name (what :meth:`from_dict` reads back)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MathOptions:
        """Options from keyword values; ConfigError naming the known options for an unknown one."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"Unknown math verifier options {sorted(unknown)}; known: {sorted(names)}")
        return cls(**d)
