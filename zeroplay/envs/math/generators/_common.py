"""Helpers shared by the generators: building the Task, drawing numbers, writing them."""

from __future__ import annotations

import hashlib
import random
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


def task_rng(rng: np.random.Generator) -> random.Random:
    """The generator's own stream, seeded from the env's numpy rng (so a seed still fixes the
    problem). Python's ``random`` draws single ints about 20x faster than numpy does."""
    return random.Random(int(rng.integers(1 << 62)))


def randint(rng: random.Random, low: int, high: int) -> int:
    """An int in [low, high], both ends included."""
    return rng.randint(low, high)


def nonzero(rng: random.Random, bound: int) -> int:
    """An int in [-bound, bound] other than 0."""
    value = rng.randint(1, bound)
    return value if rng.random() < 0.5 else -value


def pick(rng: random.Random, items: list | tuple):
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
