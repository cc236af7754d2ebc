"""Counting: combinations, permutations, arrangements of letters, lattice paths, stars and bars."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from zeroplay.core.types import Task
from zeroplay.envs.math.generators._common import level, make_task, pick, task_rng

_WORDS = ("LEVEL", "BANANA", "LETTER", "APPLE", "COOKIE", "BALLOON", "MISSISSIPPI", "STATISTICS",
          "COMMITTEE", "ASSESSMENT", "PEPPER", "PARALLEL")
_GROUPS = ("students", "players", "books", "colours", "volunteers", "cards")


def combinatorics(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """A counting question with an exact integer answer. Level d: sets of up to 5 + 3d items;
    longer words and bigger grids at higher levels."""
    d = level(difficulty)
    rng = task_rng(rng)
    kind = rng.randrange(5)
    n = rng.randint(4, 5 + 3 * d)
    group = pick(rng, _GROUPS)
    if kind == 0:
        k = rng.randint(2, max(2, min(n - 1, 2 + d)))
        prompt = f"In how many ways can a team of {k} be chosen from {n} {group} (order does not matter)?"
        return make_task("combinatorics", d, prompt, str(math.comb(n, k)))
    if kind == 1:
        k = rng.randint(2, max(2, min(n - 1, 1 + d)))
        prompt = f"In how many ways can {k} distinct prizes be given to {k} of {n} {group} (at most one prize each)?"
        return make_task("combinatorics", d, prompt, str(math.perm(n, k)))
    if kind == 2:
        words = [w for w in _WORDS if len(w) <= 4 + 2 * d] or [_WORDS[0]]
        word = pick(rng, words)
        count = math.factorial(len(word))
        for c in Counter(word).values():
            count //= math.factorial(c)
        prompt = f"How many distinct arrangements of the letters of the word {word} are there?"
        return make_task("combinatorics", d, prompt, str(count))
    if kind == 3:
        a, b = rng.randint(2, 2 + 2 * d), rng.randint(2, 2 + 2 * d)
        prompt = (f"On a grid, how many shortest paths go from $(0, 0)$ to $({a}, {b})$ "
                  "moving one unit right or one unit up at each step?")
        return make_task("combinatorics", d, prompt, str(math.comb(a + b, a)))
    boxes = rng.randint(2, 2 + d)
    prompt = (f"In how many ways can {n} identical balls be put into {boxes} distinct boxes "
              "(boxes may stay empty)?")
    return make_task("combinatorics", d, prompt, str(math.comb(n + boxes - 1, boxes - 1)))
