"""Arithmetic with integers and with fractions."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from zeroplay.core.types import Task
from zeroplay.envs.math.generators._common import Draws, fraction_text, level, make_task, pick, randint, task_rng


@dataclass(frozen=True)
class _Node:
    """An expression tree: a leaf holds ``value``; an inner node ``op`` over ``left`` and ``right``."""

    value: int = 0
    op: str = ""
    left: _Node | None = None
    right: _Node | None = None

    def evaluate(self) -> int:
        if not self.op:
            return self.value
        a, b = self.left.evaluate(), self.right.evaluate()
        return a + b if self.op == "+" else a - b if self.op == "-" else a * b

    def text(self, parent_op: str = "", right_side: bool = False) -> str:
        if not self.op:
            return f"({self.value})" if self.value < 0 else str(self.value)
        inner = f"{self.left.text(self.op)} {'×' if self.op == '*' else self.op} {self.right.text(self.op, True)}"
        # parentheses where precedence or the left-to-right reading of '-' asks for them
        needs = (parent_op == "*" and self.op in "+-") or (parent_op == "-" and right_side)
        return f"({inner})" if needs else inner


def _tree(rng: Draws, n_ops: int, ops: str, bound: int) -> _Node:
    if n_ops == 0:
        return _Node(value=randint(rng, -bound if "neg" in ops else 1, bound))
    left_ops = randint(rng, 0, n_ops - 1)
    op = pick(rng, [o for o in "+-*" if o in ops])
    if op == "*":  # keep products readable: multiply by a small leaf
        return _Node(op=op, left=_tree(rng, n_ops - 1, ops, bound), right=_Node(value=randint(rng, 2, 9 + bound // 10)))
    return _Node(op=op, left=_tree(rng, left_ops, ops, bound), right=_tree(rng, n_ops - 1 - left_ops, ops, bound))


def arithmetic(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """Evaluate an integer expression. Level d: d + 1 operations; + and - at level 1, × from 2,
    negative numbers from 4; numbers up to 10, 20, 50, 100, 1000, ..."""
    d = level(difficulty)
    rng = task_rng(rng)
    ops = "+-" if d == 1 else "+-*" if d < 4 else "+-*neg"
    bound = (10, 20, 50, 100)[d - 1] if d <= 4 else 10 ** (d - 2)
    tree = _tree(rng, d + 1, ops, bound)
    prompt = f"Compute {tree.text()}."
    return make_task("arithmetic", d, prompt, str(tree.evaluate()))


def fractions(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """Add, subtract or multiply fractions; answer in lowest terms. Level d: 1 + ceil(d / 2)
    fractions, denominators up to 3 + 3d, × from level 3."""
    d = level(difficulty)
    rng = task_rng(rng)
    count = 1 + (d + 1) // 2
    ops = "+-" if d < 3 else "+-*"
    terms = [Fraction(randint(rng, 1, 4 + 2 * d), randint(rng, 2, 3 + 3 * d)) for _ in range(count)]
    chosen = [pick(rng, ops) for _ in range(count - 1)]
    # evaluate with the usual precedence: products first, then sums left to right
    groups, signs = [terms[0]], []
    for op, term in zip(chosen, terms[1:]):
        if op == "*":
            groups[-1] *= term
        else:
            groups.append(term)
            signs.append(op)
    value = groups[0]
    for op, g in zip(signs, groups[1:]):
        value = value + g if op == "+" else value - g
    symbols = {"+": "+", "-": "-", "*": "\\times"}
    shown = " ".join([_frac_tex(terms[0])] + [f"{symbols[op]} {_frac_tex(t)}" for op, t in zip(chosen, terms[1:])])
    prompt = f"Compute ${shown}$. Give the answer as a fraction in lowest terms (or an integer)."
    return make_task("fractions", d, prompt, fraction_text(value))


def _frac_tex(q: Fraction) -> str:
    return f"\\frac{{{q.numerator}}}{{{q.denominator}}}"
