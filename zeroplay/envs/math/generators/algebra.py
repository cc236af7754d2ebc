"""Linear equations, systems of linear equations, roots of polynomials."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from zeroplay.core.types import Task
from zeroplay.envs.math.generators._common import (
    fraction_text,
    level,
    make_task,
    nonzero,
    pick,
    signed,
    task_rng,
)

_VARIABLES = ("x", "y", "z")


def _linear_side(coef: int, const: int, var: str) -> str:
    """``3x + 4``, ``-x``, ``7`` (a side of a linear equation)."""
    if coef == 0:
        return str(const)
    lead = {1: var, -1: f"-{var}"}.get(coef, f"{coef}{var}")
    return lead if const == 0 else f"{lead} {signed(const)}"


def linear_equation(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """Solve ``a x + b = c x + e`` for x. Level 1-2: x on one side, integer solution; level 3+:
    x on both sides and a fractional solution from level 4; coefficients grow with the level."""
    d = level(difficulty)
    rng = task_rng(rng)
    bound = 5 * d
    c = 0 if d <= 2 else nonzero(rng, bound)
    q = 1 if d <= 3 else rng.randint(2, 1 + d)  # denominator of the solution
    k = nonzero(rng, max(2, bound // q))
    a = c + k * q  # so that a - c = k q
    if a == 0:  # keep x on the left side
        a, c = a + k * q, c + k * q
    p = nonzero(rng, 3 * bound)
    b = rng.randint(-3 * bound, 3 * bound)
    e = b + k * p  # then (a - c) x = e - b = k p, so x = p / q
    x = Fraction(p, q)
    prompt = f"Solve for x: ${_linear_side(a, b, 'x')} = {_linear_side(c, e, 'x')}$."
    return make_task("linear_equation", d, prompt, fraction_text(x))


def _det(m: list[list[int]]) -> int:
    """Exact determinant (Laplace expansion; the systems are at most 4×4)."""
    if len(m) == 1:
        return m[0][0]
    return sum((-1) ** j * m[0][j] * _det([row[:j] + row[j + 1:] for row in m[1:]]) for j in range(len(m)))


def linear_system(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """Solve a square linear system with an integer solution. Level 1-3: two unknowns, level 4+:
    three; coefficients up to 2 + 2d, solution entries up to 3 + 2d."""
    d = level(difficulty)
    rng = task_rng(rng)
    n = 2 if d <= 3 else 3
    solution = [rng.randint(-(3 + 2 * d), 3 + 2 * d) for _ in range(n)]
    while True:  # redraw until the system has exactly one solution
        matrix = [[rng.randint(-(2 + 2 * d), 2 + 2 * d) for _ in range(n)] for _ in range(n)]
        if _det(matrix) != 0 and all(any(row) for row in matrix):
            break
    names = _VARIABLES[:n]
    lines = []
    for row in matrix:
        rhs = sum(c * s for c, s in zip(row, solution))
        terms = [(c, v) for c, v in zip(row, names) if c != 0]
        text = " ".join(_term(c, v, i == 0) for i, (c, v) in enumerate(terms))
        lines.append(f"{text} = {rhs}")
    tuple_name = f"({', '.join(names)})"
    prompt = (
        "Solve the system of equations:\n" + "\n".join(f"$${line}$$" for line in lines)
        + f"\nGive the solution as an ordered tuple ${tuple_name}$."
    )
    return make_task("linear_system", d, prompt, f"({', '.join(map(str, solution))})")


def _term(coef: int, var: str, first: bool) -> str:
    magnitude = "" if abs(coef) == 1 else str(abs(coef))
    if first:
        return f"{'-' if coef < 0 else ''}{magnitude}{var}"
    return f"{'-' if coef < 0 else '+'} {magnitude}{var}"


def _expand(roots: list[int], lead: int) -> list[int]:
    """Coefficients, highest degree first, of ``lead * prod(x - r)``."""
    coeffs = [lead]
    for r in roots:
        coeffs = [a - r * b for a, b in zip(coeffs + [0], [0] + coeffs)]
    return coeffs


def _poly_text(coeffs: list[int]) -> str:
    degree = len(coeffs) - 1
    parts = []
    for i, c in enumerate(coeffs):
        power = degree - i
        if c == 0:
            continue
        var = "" if power == 0 else "x" if power == 1 else f"x^{power}"
        magnitude = str(abs(c)) if (abs(c) != 1 or power == 0) else ""
        sign = ("-" if c < 0 else "") if not parts else ("- " if c < 0 else "+ ")
        parts.append(f"{sign}{magnitude}{var}")
    return " ".join(parts)


def polynomial_roots(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """Find every real root of a polynomial with distinct integer roots. Degree 2 at levels 1-2,
    3 at levels 3-4, 4 from level 5; roots up to 3 + 2d; a leading coefficient other than 1 from level 2."""
    d = level(difficulty)
    rng = task_rng(rng)
    degree = 2 if d <= 2 else 3 if d <= 4 else 4
    bound = 3 + 2 * d
    roots = sorted(rng.sample(range(-bound, bound + 1), degree))
    lead = 1 if d == 1 else pick(rng, (1, 1, 2, 3, -1, -2))
    prompt = (
        f"Find all real roots of $ {_poly_text(_expand(roots, lead))} = 0 $. "
        "List them in increasing order, separated by commas."
    )
    return make_task("polynomial_roots", d, prompt, ", ".join(map(str, roots)), roots=roots)
