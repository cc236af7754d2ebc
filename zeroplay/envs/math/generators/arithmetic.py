"""Arithmetic with integers and with fractions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from zeroplay.core.types import Task
from zeroplay.envs.math.generators._common import Draws, fraction_text, level, make_task, pick, task_rng


class _ExpressionWriter:
    """Draws a random integer expression tree and writes its text and value in the same pass.

    No tree is kept: a node's text only depends on its own operator and on its parent's (for
    parentheses), both known when the node is drawn, so one recursive pass gives the prompt and
    the answer. Draws are taken in a fixed order (for an operation: the split of the operations
    between the sides, the operator, the left side, then the right side), so a seed fixes the
    problem.
    """

    def __init__(self, rng: Draws, ops: str, bound: int):
        self.rng = rng
        self.operators = [o for o in "+-*" if o in ops]
        self.low = -bound if "neg" in ops else 1  # leaves are drawn from [low, bound]
        self.bound = bound
        self.factor_high = 9 + bound // 10  # products multiply by a small leaf in [2, factor_high]

    def write(self, n_ops: int, parent_op: str = "", right_side: bool = False) -> tuple[str, int]:
        """``(text, value)`` of an expression with ``n_ops`` operations, in parentheses where its
        place under ``parent_op`` (as the right operand when ``right_side``) needs them."""
        rng = self.rng
        if n_ops == 0:
            value = rng.randint(self.low, self.bound)
            return (f"({value})" if value < 0 else str(value)), value
        left_ops = rng.randint(0, n_ops - 1)
        op = self.operators[rng.randrange(len(self.operators))]
        if op == "*":  # keep products readable: multiply by a small leaf
            left, a = self.write(n_ops - 1, op)
            b = rng.randint(2, self.factor_high)
            text, value = f"{left} × {b}", a * b
        else:
            left, a = self.write(left_ops, op)
            right, b = self.write(n_ops - 1 - left_ops, op, True)
            text, value = f"{left} {op} {right}", a + b if op == "+" else a - b
        # parentheses where precedence or the left-to-right reading of '-' asks for them
        needs = (parent_op == "*" and op != "*") or (parent_op == "-" and right_side)
        return (f"({text})" if needs else text), value


def arithmetic(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """Evaluate an integer expression. Level d: d + 1 operations; + and - at level 1, × from 2,
    negative numbers from 4; numbers up to 10, 20, 50, 100, 1000, ..."""
    d = level(difficulty)
    ops = "+-" if d == 1 else "+-*" if d < 4 else "+-*neg"
    bound = (10, 20, 50, 100)[d - 1] if d <= 4 else 10 ** (d - 2)
    text, value = _ExpressionWriter(task_rng(rng), ops, bound).write(d + 1)
    return make_task("arithmetic", d, f"Compute {text}.", str(value))


def fractions(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """Add, subtract or multiply fractions; answer in lowest terms. Level d: 1 + ceil(d / 2)
    fractions, denominators up to 3 + 3d, × from level 3."""
    d = level(difficulty)
    rng = task_rng(rng)
    count = 1 + (d + 1) // 2
    ops = "+-" if d < 3 else "+-*"
    terms = [Fraction(rng.randint(1, 4 + 2 * d), rng.randint(2, 3 + 3 * d)) for _ in range(count)]
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
