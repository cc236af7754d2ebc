"""Is a parsed answer equal to a parsed gold? Each rule returns ``(equal, reason)``.

Expressions: structurally equal after sympy's automatic simplification; else, with no free
symbols, numerically equal at 30 digits (complex numbers included); else equal at
``random_points`` points (deterministic per pair; integers, fixed irrational-looking values and
uniform random values, of both signs, so ``|x|`` is not ``x`` and ``ceil(x) - 1`` is not
``floor(x)``; points where the gold is not real are skipped, so the answer ``ln(x^2)`` is the gold
``2 ln x``, but an answer that is not real where the gold is differs: ``2 ln x`` is not the gold
``ln(x^2)``, ``ln x`` is not ``ln|x|``) and, where too few points evaluate, ``simplify(a - b) == 0``.

Numeric policy: a decimal is a rounded value, so ``rel_tol`` applies only where one is involved
and the gold is not exact: a decimal gold (``3.1416``), or a decimal answer to an irrational
gold constant (``1.41421356237`` for ``\\sqrt2``). A gold written exactly (no decimal point) is
exact: a decimal answer is read as the exact fraction it spells (``0.5`` is ``1/2``, ``0.3333``
is not ``1/3``, ``1234567891.0`` is not ``1234567890``), and two exact numbers are equal only when
their difference evaluates to zero (sympy's evalf raises its precision until it knows: ``e^{-1000}``
is not 0, ``e^{\\pi\\sqrt{163}}`` is not 262537412640768744, ``1234567890 + 10^{-10}\\pi`` is not
``1234567890``); at random points they must agree to 15 digits, with an absolute floor of 1e-20.

Rounding rule (containers only): inside an answer matrix, vector, tuple or interval, a decimal
cell equals an exact gold cell whose value does not terminate (``8/3``, ``\\sqrt2``, ``\\pi``) when
it is that value rounded to the digits written: ``|answer - gold| <=`` half a unit in the last
written digit, with at least 4 significant digits written (``2.6667`` and ``2.667`` are ``8/3``;
``2.67`` and ``2.6666`` are not; ``0.6001`` is never ``3/5``, which terminates). Scalars stay exact
(``0.3333`` is not ``1/3``), and a terminating gold never rounds (``1234567891.0`` is not
``1234567890``, in a matrix or not).

Approximations: in ``a \\approx b`` the exact ``a`` is the answer when it has no decimal point;
else (or with no ``a``: ``\\approx 3.14``, ``x \\approx 11``) ``b`` is. ``b`` also counts against a
decimal gold when it is ``a`` correctly rounded to its written digits (``\\sqrt7 \\approx 2.65`` for
``2.65``); an inconsistent ``b`` never counts (``x = 1/3 \\approx 1.3`` is ``1/3``, not ``1.3``), so
one answer cannot name two values. Chains (see parse.py): ``x = 5+5+1 = 7 = 11`` is ``x = 11``,
``2^{10} = 1024`` is ``1024`` (middle steps are not checked), ``3 = 3`` is no answer.

Sequences compare in order, sets and bare lists as multisets (a bare list is never an interval
nor a pair: ``1, 2`` is not ``(1, 2)``), lists of named values by name (``y = 5, x = 3`` is
``x = 3, y = 5``; ``y = 3, x = 5`` and ``x = 3, x = 5`` are not), intervals by endpoints and
open/closed ends, matrices cell by cell (``pmatrix``, ``bmatrix``, bracketed ``array``, a number times a matrix; a
``vmatrix`` is a determinant and is compared as written), inequalities as sets: a relation in one
variable (rational, degree at most 6) is its solution set over the reals (``-x > -1`` is
``x < 1`` is ``(-\\infty, 1)``; ``x \\neq 3`` is ``(-\\infty, 3) \\cup (3, \\infty)``), and the variable's
name is not compared. Equations compare by sides, a solved ``x = v`` by ``v``, and an equation
in two or more variables by its solution set (lhs - rhs equal up to a nonzero constant factor);
a one-variable equation must be solved (``2x = 4`` is not ``x = 2``).

Sets of reals: ``A \\setminus B`` is the difference (``\\mathbb{R} \\setminus \\{1\\}`` is
``(-\\infty, 1) \\cup (1, \\infty)``), a ``U`` between intervals is ``\\cup``, and relations in one
variable joined by "and" are the intersection of their solution sets (``x > -2 \\text{ and } x < 3``
is ``(-2, 3)``; an empty intersection, ``x < -2 and x > 3``, is refused, since it is a slip for
"or" or the empty set). Named components ``x = 1, y = 2`` are the point ``(1, 2)`` when the
one-letter names are distinct and written in alphabetical order (``a, b``; ``x, y, z``), the order
of a point's coordinates; in any other order they are not read as a point. A decorated name is
kept: ``f^{-1}(x) = ...`` and ``f'(x) = ...`` compare their right sides with a bare gold, and their
names with a gold equation (``f^{-1}(x) = 2x + 1`` is not ``f(x) = 2x + 1``).

Ambiguous notation never matches a reading it may not mean: a set (``\\{1,3\\}``, or ``{1,3}``
with plain braces) is never an ordered pair or interval ``(1,3)`` / ``[1,3]``, whatever the
order (a grader could not tell a set of solutions from a point, and accepting it would reopen
the list-for-interval leak); it matches a set or a bare list of the same elements. ``1,22`` (two
integers, a comma, no space) is a decimal comma or a list: it matches neither ``1.22`` nor the
list ``22, 1``, only the same text (``1,22`` or ``1, 22``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import sympy

from zeroplay.verifiers.math.options import MathOptions
from zeroplay.verifiers.math.parse import Value, as_set

_PREC = 30
#: Exact against exact, no free symbols: relative agreement of the 30-digit difference.
_EXACT_REL = 1e-20
#: What evalf leaves of a difference that is exactly zero: a Float of about 1e-165 with no significant bits.
_NOISE_BITS = 8
#: Working precision (digits) evalf may go up to before a difference that vanished is believed zero.
_DEEP_PREC = 600
#: Exact against exact at random points: (relative, absolute) tolerance, above 30-digit rounding noise.
_EXACT_POINTS = (1e-15, 1e-20)
#: The identity test's points cycle through: integers (floor/ceil and other step functions differ
#: only there), fixed irrational-looking values, and uniform random values in [-2.9, -0.3] or [0.3, 2.9].
_INTEGER_POINTS = ("-3", "-2", "-1", "1", "2", "3")
_IRRATIONAL_POINTS = ("0.3719", "1.618", "-2.71", "2.2361", "-0.5772", "1.3247", "-1.4142", "0.6931")


def _number(e: sympy.Basic) -> complex | None:
    """``e`` evaluated to a Python complex at 30 digits, or None when it is not a finite number."""
    try:
        v = sympy.N(e, _PREC)
        c = complex(v)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError, RecursionError):
        return None
    if c != c or abs(c) == float("inf"):
        return None
    return c


def _vanishes(d: sympy.Basic) -> bool:
    """An evaluated difference is zero: exactly, or what evalf leaves when it cancels to nothing
    (``0.e-165``: a Float with no significant bits), in both parts of a complex one."""
    return d == 0 or all(f._prec <= _NOISE_BITS for f in d.atoms(sympy.Float))


def _difference_vanishes(d: sympy.Basic, size: float) -> bool:
    """Two exact numbers whose difference is ``d`` are equal: it evaluates to zero (:func:`_vanishes`),
    or, when tiny next to them (``size``), it shrinks as the precision doubles: rounding noise of a
    function evaluated at fixed precision. A real difference keeps its value at any precision, however
    small: ``e^{-1000}`` is not 0 and ``e^{\\pi\\sqrt{163}}`` is not 262537412640768744."""
    try:
        first = sympy.N(d, _PREC)
        if _vanishes(first):
            # cancellation can eat every bit evalf works with by default (sqrt(10^300 + 1) - 10^150 came
            # out 0.e-15): only a zero that stays noise at a far higher working precision is one
            return first == 0 or _vanishes(sympy.N(d, _PREC, maxn=_DEEP_PREC))
        small = _number(first)
        if small is None or abs(small) > _EXACT_REL * size:
            return False
        again = sympy.N(d, 2 * _PREC)
        later = _number(again)
        return _vanishes(again) or (later is not None and abs(later) < 1e-10 * abs(small))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError, RecursionError):
        return False


def _close(x: complex, y: complex, tol: tuple[float, float]) -> bool:
    """``|x - y|`` within ``tol = (relative, absolute)``."""
    return abs(x - y) <= max(tol[0] * max(abs(x), abs(y)), tol[1])


def _rationalized(e: sympy.Basic) -> sympy.Basic:
    """``e`` with each decimal literal replaced by the exact fraction it spells (``0.3333`` -> 3333/10000).
    A parsed decimal keeps at least 15 significant digits, which its ``str`` gives back."""
    return e.xreplace({f: sympy.Rational(str(f)) for f in e.atoms(sympy.Float)})


def _seed(a: sympy.Basic, b: sympy.Basic) -> int:
    return int.from_bytes(hashlib.blake2b(f"{a}|{b}".encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class _Rounding(MathOptions):
    """Options while comparing the cells of an answer matrix, tuple or interval: ``written`` holds
    its decimal literals as written, for the rounding rule (module docstring)."""

    written: tuple[str, ...] = ()


#: The rounding rule needs this many significant digits written (``2.667`` is too few for ``8/3``).
ROUNDED_MIN_DIGITS = 4


def _with_written(opts: MathOptions, written: tuple[str, ...]) -> _Rounding:
    fields = {k: v for k, v in opts.to_dict().items() if k != "written"}
    return _Rounding(**fields, written=written)


def _non_terminating(b: sympy.Basic) -> bool:
    """``b`` is a real number without a finite decimal expansion (``8/3``, ``\\sqrt 2``), as far as
    sympy can tell; unknown counts as terminating."""
    if b.is_Rational:
        q = int(b.q)
        for p in (2, 5):
            while q % p == 0:
                q //= p
        return q != 1
    return bool(b.is_real and b.is_rational is False)


def _rounds_to(a: sympy.Basic, b: sympy.Basic, written: tuple[str, ...]) -> bool:
    """The rounding rule: the decimal ``a`` is the non-terminating exact ``b`` rounded to the digits
    written (``|a - b| <=`` half a unit in its last written digit, at least
    :data:`ROUNDED_MIN_DIGITS` significant digits written)."""
    if not a.is_Float or b.has(sympy.Float) or b.free_symbols or not b.is_number or not _non_terminating(b):
        return False
    literal = next((w for w in written if sympy.Float(w) == abs(a)), None)
    if literal is None or len(literal.replace(".", "").lstrip("0")) < ROUNDED_MIN_DIGITS:
        return False
    value = sympy.Rational(literal) * (1 if a > 0 else -1)
    half_unit = sympy.Rational(1, 2) / 10 ** len(literal.partition(".")[2])
    diff = sympy.N(value - b, _PREC)
    return bool(diff.is_real and abs(diff) <= half_unit)


def expr_equal(a: sympy.Basic, b: sympy.Basic, opts: MathOptions) -> tuple[bool, str]:
    eq, reason = _expr_equal(a, b, opts)
    if not eq and isinstance(opts, _Rounding) and _rounds_to(a, b, opts.written):
        return True, "numeric-equal (rounded to the digits written)"
    return eq, reason


def _expr_equal(a: sympy.Basic, b: sympy.Basic, opts: MathOptions) -> tuple[bool, str]:
    if a == b:
        return True, "symbolic-equal"
    if not isinstance(a, sympy.Expr) or not isinstance(b, sympy.Expr):
        return False, "not-equal (different kinds)"
    if a.has(sympy.oo, -sympy.oo, sympy.zoo) or b.has(sympy.oo, -sympy.oo, sympy.zoo):
        return False, "not-equal (infinities differ)"
    free = sorted(a.free_symbols | b.free_symbols, key=str)
    if a.free_symbols - b.free_symbols:  # a variable the gold has not: equal only if it cancels exactly
        eq = _cancels(a - b)  # (5 + 10^{-30} x is not 5, however close at any point)
        return eq, "symbolic-equal (simplify)" if eq else "not-equal (the answer has a variable the gold has not)"
    exact = not b.has(sympy.Float)  # see the numeric policy in the module docstring
    if exact and a.has(sympy.Float):
        if b.is_Rational or free:
            a = _rationalized(a)
            if a == b:
                return True, "symbolic-equal (decimals read exactly)"
        else:
            exact = False  # a decimal approximating an irrational gold constant
    if a.is_Rational and b.is_Rational:
        return False, "number-different (exact)"
    if not free:
        x, y = _number(a), _number(b)
        if x is None or y is None:
            eq = sympy.simplify(a - b) == 0
            return eq, "symbolic-equal (simplify)" if eq else "not-equal (not numbers)"
        if exact:
            if _difference_vanishes(a - b, max(abs(x), abs(y))):
                return True, "numeric-equal (exact: the difference vanishes)"
        elif _close(x, y, (opts.rel_tol, opts.abs_tol if y == 0 else 0.0)):  # abs_tol: for a gold of 0 only
            return True, f"numeric-equal rel={opts.rel_tol:g}"
        beyond = "" if exact else f", beyond rel_tol={opts.rel_tol:g}"  # the knob that would change it
        return False, f"numeric-different ({_shown_apart(x, y)}{beyond})"
    # abs_tol is for a gold of 0, never a floor at points: 0 is not 1.6e-19 C
    return _random_points(a, b, free, _EXACT_POINTS if exact else (opts.rel_tol, min(opts.abs_tol, _EXACT_POINTS[1])),
                          opts)


def _cancels(d: sympy.Expr) -> bool:
    """``d`` simplifies to exactly 0 (``sin^2 x + cos^2 x - 1``). A value clearly off 0 at a test point
    decides at once (``5x - 5``), without sympy's simplify, which costs a second or more."""
    free = sorted(d.free_symbols, key=str)
    rng = random.Random(_seed(d, sympy.S.Zero))
    for k in range(3):
        value = _number(d.xreplace(_draw(rng, free, k)))
        if value is not None and abs(value) > 1e-6:
            return False
    try:
        return sympy.simplify(d) == 0
    except (TypeError, ValueError, AttributeError, RecursionError, ZeroDivisionError):
        return False


def _shown_apart(x: complex, y: complex) -> str:
    """``x vs y`` with enough significant digits to see where they differ (at least 6; two past the
    first that differs): ``3.14159 vs 3.14159265``; real values as reals, complex ones as ``1+2i``.
    Values that agree to all 17 digits also give their difference. Plain float formatting: this
    runs for every wrong numeric answer, so it must cost next to nothing."""
    for digits in range(6, 18):
        if _written(x, digits) != _written(y, digits):
            digits = min(digits + 2, 17)
            return f"{_written(x, digits)} vs {_written(y, digits)}"
    return f"{_written(x, 17)} vs {_written(y, 17)}, difference {_written(x - y, 3)}"


def _written(v: complex, digits: int) -> str:
    """``v`` to ``digits`` significant digits (``3.1415927``, ``3``, ``1e+40``, ``1-2.5i``)."""
    re_part = f"{v.real:.{digits}g}"
    if _real(v):
        return re_part
    im_part = f"{v.imag:.{digits}g}"
    if abs(v.real) <= 1e-12 * abs(v.imag):
        return f"{im_part}i"
    return f"{re_part}{'' if im_part.startswith('-') else '+'}{im_part}i"


def _draw(rng: random.Random, free: list[sympy.Symbol], k: int) -> dict[sympy.Symbol, sympy.Float]:
    """The ``k``-th test point: integer coordinates when ``k % 3 == 0``, irrational-looking ones
    when 1, uniform random ones in [-2.9, -0.3] or [0.3, 2.9] when 2. Negative values catch
    ``|x|`` vs ``x``; integers catch ``ceil(x) - 1`` vs ``floor(x)``; staying away from 0 avoids
    poles and branch points there."""
    def one() -> sympy.Float:
        if k % 3 == 0:
            return sympy.Float(rng.choice(_INTEGER_POINTS), _PREC)
        if k % 3 == 1:
            return sympy.Float(rng.choice(_IRRATIONAL_POINTS), _PREC)
        return sympy.Float(rng.choice((-1, 1)) * rng.uniform(0.3, 2.9), _PREC)

    return {s: one() for s in free}


def _real(c: complex) -> bool:
    return abs(c.imag) <= 1e-12 * max(1.0, abs(c.real))


def _random_points(a: sympy.Expr, b: sympy.Expr, free: list[sympy.Symbol], tol: tuple[float, float],
                   opts: MathOptions) -> tuple[bool, str]:
    rng = random.Random(_seed(a, b))
    agree = 0
    for k in range(opts.random_points * 4):
        point = _draw(rng, free, k)
        x, y = _number(a.xreplace(point)), _number(b.xreplace(point))
        if x is None or y is None or (_real(x) and not _real(y)):
            continue  # a pole, or outside the gold's real domain: ln(x^2) for the gold 2 ln x at x < 0
        if _real(y) and not _real(x):  # the gold's real domain is the answer's too: 2 ln x is not ln(x^2)
            where = ", ".join(f"{s}={float(v):.3g}" for s, v in point.items())
            return False, f"not-equal (not real at {where}, where the gold is)"
        if not _close(x, y, tol):
            where = ", ".join(f"{s}={float(v):.3g}" for s, v in point.items())
            return False, f"numeric-different at {where}"
        agree += 1
        if agree == opts.random_points:
            return True, f"numeric-equal at {agree} random points rel={tol[0]:g}"
    eq = sympy.simplify(a - b) == 0
    return eq, "symbolic-equal (simplify)" if eq else "not-equal (could not evaluate)"


def _multiset_equal(xs: tuple[Value, ...], ys: tuple[Value, ...], opts: MathOptions) -> bool:
    if len(xs) != len(ys):
        return False
    left = list(ys)
    for x in xs:
        for k, y in enumerate(left):
            if values_equal(x, y, opts)[0]:
                del left[k]
                break
        else:
            return False
    return True


def _distinct(items: tuple[Value, ...], opts: MathOptions, most: int | None = None) -> tuple[Value, ...]:
    """``items`` without repeats; it stops once more than ``most`` are kept (they cannot match then), so
    a long list against a short set costs ``len(items) * most`` comparisons, not ``len(items) ** 2``."""
    kept: list[Value] = []
    for item in items:
        if not any(values_equal(item, k, opts)[0] for k in kept):
            kept.append(item)
            if most is not None and len(kept) > most:
                break
    return tuple(kept)


def _sets_equal(a: sympy.Set, b: sympy.Set, opts: MathOptions) -> bool:
    if a == b:
        return True
    pa, pb = _pieces(a), _pieces(b)
    if pa is None or pb is None or len(pa) != len(pb):
        return False
    for x, y in zip(pa, pb):
        if type(x) is not type(y):
            return False
        if isinstance(x, sympy.Interval):
            if (x.left_open, x.right_open) != (y.left_open, y.right_open):
                return False
            if not (_endpoint_equal(x.start, y.start, opts) and _endpoint_equal(x.end, y.end, opts)):
                return False
        elif not _endpoint_equal(x, y, opts):
            return False
    return True


def _endpoint_equal(x: sympy.Basic, y: sympy.Basic, opts: MathOptions) -> bool:
    return x == y or (x.is_finite is not False and y.is_finite is not False and expr_equal(x, y, opts)[0])


def _pieces(s: sympy.Set) -> list[sympy.Basic] | None:
    """The intervals and points of a set, sorted by where they start."""
    parts = list(s.args) if isinstance(s, sympy.Union) else [s]
    out: list[sympy.Basic] = []
    for p in parts:
        if isinstance(p, sympy.FiniteSet):
            out.extend(p.args)
        elif isinstance(p, sympy.Interval):
            out.append(p)
        else:
            return None

    def key(p: sympy.Basic) -> float:
        v = p.start if isinstance(p, sympy.Interval) else p
        n = _number(v) if v.is_finite is not False else None
        return (n.real if n is not None else float(v.is_positive and "inf" or "-inf"))

    try:
        return sorted(out, key=key)
    except (TypeError, ValueError):
        return None


def _proportional(a: sympy.Expr, b: sympy.Expr, opts: MathOptions) -> bool:
    """a = c * b for a nonzero constant c (checked at random points)."""
    if a == 0 or b == 0:
        return a == b
    free = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(_seed(a, b))
    ratio = None
    seen = 0
    for k in range(opts.random_points * 4):
        point = _draw(rng, free, k)
        x, y = _number(a.xreplace(point)), _number(b.xreplace(point))
        if x is None or y is None or abs(y) < 1e-12:
            continue
        r = x / y
        if ratio is None:
            ratio = r
        elif not _close(r, ratio, (opts.rel_tol, opts.abs_tol)):
            return False
        seen += 1
        if seen == opts.random_points:
            return abs(ratio) > 0
    return False


def values_equal(answer: Value, gold: Value, opts: MathOptions) -> tuple[bool, str]:
    """Whether ``answer`` equals ``gold``, and the rule that decided."""
    if gold.kind == "approx":
        gold = gold.items[0]
    if answer.kind == "approx":  # a ≈ b: a, or b where the gold is itself a rounded (decimal) value
        exact, rounded = answer.items
        eq, reason = values_equal(exact, gold, opts)
        if eq or not _is_decimal(gold):
            return eq, reason
        eq, reason = values_equal(rounded, gold, opts)
        return eq, reason + " (the rounded value after \\approx)" if eq else reason
    if answer.decimals and answer.kind in ("matrix", "seq", "interval"):
        opts = _with_written(opts, answer.decimals)
    ak, gk = answer.kind, gold.kind
    if gk == "eq" and ak != "eq" and isinstance(gold.items[0], sympy.Symbol):
        return values_equal(answer, Value("expr", (gold.items[1],)), opts)
    if ak == "eq" and gk != "eq" and isinstance(answer.items[0], sympy.Symbol):
        return values_equal(Value("expr", (answer.items[1],)), gold, opts)
    if ak == gk == "expr":
        return expr_equal(answer.items[0], gold.items[0], opts)
    if ak == gk == "text":
        eq = answer.items[0] == gold.items[0]
        return eq, "text-equal" if eq else "text-different"
    if ak == gk == "eq":
        return _equations_equal(answer, gold, opts)
    if ak == gk == "matrix":
        return _matrices_equal(answer.items[0], gold.items[0], opts)
    if "matrix" in (ak, gk):
        return _vector_vs_seq(answer, gold, opts)
    if {ak, gk} == {"list", "seq"}:  # x = 1, y = 2 against the point (1, 2)
        named, point = (answer, gold) if ak == "list" else (gold, answer)
        values = _named_values(named)
        if values is not None and point.brackets == "()":
            eq = len(values) == len(point.items) and all(
                values_equal(x, y, opts)[0] for x, y in zip(*((values, point.items) if ak == "list" else
                                                               (point.items, values))))
            return eq, "tuple-equal (named components)" if eq else "tuple-different (named components)"
    if ak == "list" and gk == "seq" and len(gold.items) == 2:  # (a, b) may be an interval: values are not one
        return False, "not-equal (a bare list is not the interval or pair (a, b))"
    if gk == "interval" or ak == "interval" or (gk == "seq" and ak == "seq" and answer.brackets != gold.brackets):
        sa, sg = as_set(answer), as_set(gold)
        if sa is not None and sg is not None:
            eq = _sets_equal(sa, sg, opts)
            return eq, "interval-equal" if eq else "interval-different"
        if _half_open(answer) or _half_open(gold):  # (0, 0]: an interval that holds no number, never a point
            return False, "not-equal (an interval that holds no number)"
    if ak == gk == "seq":
        if len(answer.items) != len(gold.items):
            return False, f"tuple-different (length {len(answer.items)} vs {len(gold.items)})"
        eq = all(values_equal(x, y, opts)[0] for x, y in zip(answer.items, gold.items))
        return eq, "tuple-equal (ordered)" if eq else "tuple-different"
    if ak == gk == "list" and _name_map(gold) is not None and any(x.kind == "eq" for x in answer.items):
        names, gnames = _name_map(answer), _name_map(gold)  # x = 3, y = 5: each value under its own name
        eq = names is not None and names.keys() == gnames.keys() and all(  # type: ignore[union-attr]
            values_equal(names[k], gnames[k], opts)[0] for k in names)  # type: ignore[index]
        return eq, "list-equal (by name)" if eq else "list-different (by name)"
    if ak == gk == "list" and _named_values(gold) is not None and _named_values(answer) is None:
        values = _named_values(gold)  # 3, 5 for x = 3, y = 5: the values in the names' order, not any order
        eq = len(values) == len(answer.items) and all(values_equal(x, y, opts)[0] for x, y in zip(answer.items, values))
        return eq, "list-equal (the named gold's order)" if eq else "list-different (the named gold's order)"
    if {ak, gk} <= {"set", "list"} or (ak == "list" and gk == "seq"):
        if ak == "list" and gk == "seq" or (ak == gk == "list" and not opts.unordered_lists):
            eq = len(answer.items) == len(gold.items) and all(
                values_equal(x, y, opts)[0] for x, y in zip(answer.items, gold.items))
            return eq, "list-equal (ordered)" if eq else "list-different"
        xs, ys = answer.items, gold.items
        if "set" in (ak, gk):  # a set has no repeats: {1, 2, 2} is {1, 2}
            ys = _distinct(ys, opts)
            xs = _distinct(xs, opts, most=len(ys))
        eq = _multiset_equal(xs, ys, opts)
        return eq, "set-equal (unordered)" if eq else "set-different"
    if ak == gk == "rel":
        return _relations_equal(answer, gold, opts)
    return False, f"not-equal ({ak} vs {gk})"


def _half_open(v: Value) -> bool:
    """A pair in mixed brackets, ``(a, b]`` or ``[a, b)``: only an interval can be written so."""
    return v.kind == "seq" and v.brackets in ("(]", "[)")


def _name_map(v: Value) -> dict[str, Value] | None:
    """``y = 5, x = 3`` -> ``{x: 3, y: 5}``: a list whose every item names a distinct one-letter variable;
    None otherwise (a bare value among them, or a name twice: ``x = 3, x = 5``)."""
    if v.kind != "list" or len(v.items) < 2:
        return None
    out: dict[str, Value] = {}
    for item in v.items:
        if item.kind != "eq" or not isinstance(item.items[0], sympy.Symbol) or len(item.items[0].name) != 1:
            return None
        out[item.items[0].name] = Value("expr", (item.items[1],))
    return out if len(out) == len(v.items) else None


def _named_values(v: Value) -> tuple[Value, ...] | None:
    """``x = 1, y = 2`` -> ``(1, 2)``: the values of a list that names a distinct one-letter variable
    in each item, written in alphabetical order (the order of a point's coordinates: x, y, z or a,
    b, c); None otherwise (``y = 2, x = 1`` is not read: the order a tuple wants is not known)."""
    if v.kind != "list" or len(v.items) < 2:
        return None
    names = []
    for item in v.items:
        if item.kind != "eq" or not isinstance(item.items[0], sympy.Symbol) or len(item.items[0].name) != 1:
            return None
        names.append(item.items[0].name)
    if names != sorted(set(names)):
        return None
    return tuple(Value("expr", (item.items[1],)) for item in v.items)


def _is_decimal(v: Value) -> bool:
    """Whether a value holds a decimal (a rounded number) anywhere."""
    for item in v.items:
        if isinstance(item, Value) and _is_decimal(item):
            return True
        if isinstance(item, sympy.Basic) and item.has(sympy.Float):
            return True
    return False


def _equations_equal(answer: Value, gold: Value, opts: MathOptions) -> tuple[bool, str]:
    """Same sides; or, for an equation of a curve or surface (two or more variables, the same in
    both), the same solution set: ``lhs - rhs`` equal up to a nonzero constant factor
    (``y = -x/2 + 3/4`` is ``2x + 4y - 3 = 0``; ``x(2x + 4y - 3) = 0`` is not). In one variable the
    solved form is the answer: ``2x = 4`` and ``x^2 = 4`` are not ``x = 2`` (``equation_rearranged``
    allows it there too)."""
    (al, ar), (gl, gr) = answer.items, gold.items
    if expr_equal(al, gl, opts)[0] and expr_equal(ar, gr, opts)[0]:
        return True, "equation-equal"
    if expr_equal(al, gr, opts)[0] and expr_equal(ar, gl, opts)[0]:
        return True, "equation-equal (sides swapped)"
    da, dg = al - ar, gl - gr
    curve = len(dg.free_symbols) >= 2 and da.free_symbols == dg.free_symbols
    if (curve or opts.equation_rearranged) and _proportional(da, dg, opts):
        return True, "equation-equal (rearranged)"
    return False, "equation-different"


def _relations_equal(answer: Value, gold: Value, opts: MathOptions) -> tuple[bool, str]:
    al, aop, ar = answer.items
    gl, gop, gr = gold.items
    if aop in (">", ">="):
        al, ar, aop = ar, al, {">": "<", ">=": "<="}[aop]
    if gop in (">", ">="):
        gl, gr, gop = gr, gl, {">": "<", ">=": "<="}[gop]
    if aop != gop:
        return False, "inequality-different (strictness)"
    # a < b  <=>  b - a > 0; equal when the positive sides agree up to a positive factor
    da, dg = ar - al, gr - gl
    if expr_equal(da, dg, opts)[0]:
        return True, "inequality-equal"
    return False, "inequality-different"


def _matrices_equal(a: sympy.Matrix, b: sympy.Matrix, opts: MathOptions) -> tuple[bool, str]:
    if a.shape != b.shape:
        return False, f"matrix-different (shape {a.shape} vs {b.shape})"
    eq = all(expr_equal(x, y, opts)[0] for x, y in zip(a, b))
    return eq, "matrix-equal" if eq else "matrix-different"


def _vector_vs_seq(answer: Value, gold: Value, opts: MathOptions) -> tuple[bool, str]:
    """A column/row vector matrix against a tuple: compared in order."""
    m, other = (answer.items[0], gold) if answer.kind == "matrix" else (gold.items[0], answer)
    if 1 not in m.shape or other.kind != "seq" or any(i.kind != "expr" for i in other.items):
        return False, "not-equal (matrix vs non-matrix)"
    if len(m) != len(other.items):
        return False, "vector-different (length)"
    eq = all(expr_equal(x, y.items[0], opts)[0] for x, y in zip(m, other.items))
    return eq, "vector-equal" if eq else "vector-different"
