"""Helpers shared by the generators: building the Task, drawing numbers, writing them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from zeroplay.core.types import Task


def make_task(generator: str, difficulty: int, prompt: str, answer: str, **meta: object) -> Task:
    """A ``math`` task; its id is stable for the same problem text."""
    digest = hashlib.sha1(prompt.encode()).hexdigest()[:10]
    return Task(
        id=f"{generator}-d{difficulty}-{digest}",
        prompt=prompt,
        reference=answer,
        verifier="math",
        meta={"generator": generator, "difficulty": difficulty, **meta},
    )


def level(difficulty: int) -> int:
    """The difficulty as an int >= 1 (bad values are refused with a hint)."""
    try:
        d = int(difficulty)
    except (TypeError, ValueError):
        raise ValueError(f"difficulty must be an int >= 1, got {difficulty!r}") from None
    if d < 1 or d != difficulty:
        raise ValueError(f"difficulty must be an int >= 1, got {difficulty!r}")
    return d


class Draws:
    """Uniform draws for one problem, taken from the env's numpy rng in blocks.

    One numpy call yields a block of floats; each draw then costs a few Python operations
    instead of a numpy call (~10 us each), which made generation the slow part of a step.
    Deterministic: the same rng state gives the same draws. Ints come from ``floor(u * n)``,
    whose bias (below 2**-40 for the ranges used here) does not matter for problem generation.
    """

    _BLOCK = 32

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._block: list[float] = []

    def random(self) -> float:
        """A float in [0, 1): the next of the block (a new block when it is used up)."""
        if not self._block:
            self._block = self._rng.random(self._BLOCK).tolist()[::-1]
        return self._block.pop()

    # randrange and randint are the hot draws: they take the next float from the block themselves
    # and clamp with a comparison, which is min(k, n - 1) without a call.
    def randrange(self, n: int) -> int:
        """An int in [0, n)."""
        k = int((self._block.pop() if self._block else self.random()) * n)
        return k if k < n else n - 1  # u * n can round up to n

    def randint(self, low: int, high: int) -> int:
        """An int in [low, high], both ends included."""
        n = high - low + 1
        k = int((self._block.pop() if self._block else self.random()) * n)
        return low + (k if k < n else n - 1)

    def sample(self, population: Sequence[int], k: int) -> list[int]:
        """``k`` distinct items of ``population`` (a partial Fisher-Yates shuffle)."""
        pool = list(population)
        for i in range(k):
            j = i + self.randrange(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def task_rng(rng: np.random.Generator) -> Draws:
    """The draws of one problem, from the env's rng (so a seed still fixes the problem)."""
    return Draws(rng)


def nonzero(rng: Draws, bound: int) -> int:
    """An int in [-bound, bound] other than 0."""
    value = rng.randint(1, bound)
    return value if rng.random() < 0.5 else -value


def pick(rng: Draws, items: list | tuple):
    return items[rng.randrange(len(items))]


def fraction_text(q: Fraction) -> str:
    """``7/12``, ``-3/4`` or ``5``: lowest terms, sign in front."""
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def signed(value: int | Fraction, *, first: bool = False) -> str:
    """A term's sign and magnitude for writing sums: ``+ 3``, ``- 3`` (``-3`` when ``first``)."""
    text = fraction_text(abs(Fraction(value)))
    if first:
        return text if value >= 0 else f"-{text}"
    return f"+ {text}" if value >= 0 else f"- {text}"
