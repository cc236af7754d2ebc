"""Modular arithmetic: remainders of powers, modular inverses, linear congruences."""

from __future__ import annotations

import math

import numpy as np

from zeroplay.core.types import Task
from zeroplay.envs.math.generators._common import level, make_task, task_rng


def modular(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """One of: the remainder of a power ``a^b mod m``; the remainder of a product; the smallest
    non-negative solution of ``a x ≡ c (mod m)`` with ``gcd(a, m) = 1``. Moduli up to 10 + 15d,
    exponents up to 5 + 20d."""
    d = level(difficulty)
    rng = task_rng(rng)
    kind = rng.randrange(3)
    m = rng.randint(3, 10 + 15 * d)
    if kind == 0:
        a, b = rng.randint(2, 10 + 10 * d), rng.randint(2, 5 + 20 * d)
        prompt = f"What is the remainder when ${a}^{{{b}}}$ is divided by ${m}$?"
        return make_task("modular", d, prompt, str(pow(a, b, m)))
    if kind == 1:
        factors = [rng.randint(10, 10 ** (1 + d)) for _ in range(2 + d // 2)]
        product = " \\times ".join(map(str, factors))
        prompt = f"What is the remainder when ${product}$ is divided by ${m}$?"
        return make_task("modular", d, prompt, str(math.prod(factors) % m))
    while True:
        a = rng.randint(2, m + 5 * d)
        if a % m and math.gcd(a, m) == 1:
            break
    x = rng.randint(0, m - 1)
    c = (a * x) % m
    prompt = f"Find the smallest non-negative integer $x$ such that ${a}x \\equiv {c} \\pmod{{{m}}}$."
    return make_task("modular", d, prompt, str(x))
