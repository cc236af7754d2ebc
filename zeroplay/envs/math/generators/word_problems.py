"""Word problems from templates; each is built from its answer, so the numbers always work out."""

from __future__ import annotations

import numpy as np

from zeroplay.core.types import Task
from zeroplay.envs.math.generators._common import Draws, level, make_task, pick, task_rng

_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kira", "Liam")
_ITEMS = ("notebook", "pencil", "apple", "ticket", "sandwich", "marker", "candle", "plant")


def _shopping(rng: Draws, d: int) -> tuple[str, int]:
    name, item = pick(rng, _NAMES), pick(rng, _ITEMS)
    n, price = rng.randint(2, 3 + 2 * d), rng.randint(2, 4 + 3 * d)
    bill = next(b for b in (10, 20, 50, 100, 200, 500, 1000) if b > n * price)
    return (f"{name} buys {n} {item}s at ${price} each and pays with a ${bill} bill. "
            f"How many dollars of change does {name} get?"), bill - n * price


def _journey(rng: Draws, d: int) -> tuple[str, int]:
    v1, t1 = 10 * rng.randint(3, 6 + d), rng.randint(1, 2 + d)
    v2, t2 = 10 * rng.randint(3, 6 + d), rng.randint(1, 2 + d)
    return (f"A train travels at {v1} km/h for {t1} hours, then at {v2} km/h for {t2} hours. "
            "How many kilometres does it travel in total?"), v1 * t1 + v2 * t2


def _ages(rng: Draws, d: int) -> tuple[str, int]:
    a, b = pick(rng, _NAMES), pick(rng, [n for n in _NAMES if n != "Ada"])
    if a == b:
        b = "Ada"
    young, k, years = rng.randint(2, 6 + 2 * d), rng.randint(2, 2 + d), rng.randint(1, 4 + d)
    old = k * young
    total = old + young + 2 * years
    return (f"{a} is {k} times as old as {b}. In {years} years the sum of their ages will be {total}. "
            f"How old is {a} now?"), old


def _marbles(rng: Draws, d: int) -> tuple[str, int]:
    a, b = pick(rng, _NAMES), pick(rng, _NAMES)
    start, given = rng.randint(10, 20 + 10 * d), rng.randint(1, 9)
    packs, per = rng.randint(2, 2 + d), rng.randint(3, 5 + 2 * d)
    other = b if b != a else "a friend"
    return (f"{a} has {start} marbles, gives {given} to {other}, then buys {packs} bags of {per} marbles each. "
            f"How many marbles does {a} have now?"), start - given + packs * per


def _rectangle(rng: Draws, d: int) -> tuple[str, int]:
    w, extra = rng.randint(2, 5 + 3 * d), rng.randint(1, 4 + 2 * d)
    length = w + extra
    return (f"A rectangle is {extra} cm longer than it is wide, and its perimeter is {2 * (w + length)} cm. "
            "What is its area in square centimetres?"), w * length


def _workers(rng: Draws, d: int) -> tuple[str, int]:
    rate, workers, hours = rng.randint(2, 4 + 2 * d), rng.randint(2, 3 + d), rng.randint(2, 3 + d)
    more = rng.randint(1, 2 + d)
    joiners = "1 more worker joins" if more == 1 else f"{more} more workers join"
    return (f"One worker packs {rate} boxes an hour. {workers} workers pack for {hours} hours, then {joiners} "
            f"them for another {hours} hours. How many boxes are packed in total?"), \
        rate * workers * hours + rate * (workers + more) * hours


_TEMPLATES = (_shopping, _journey, _marbles, _rectangle, _ages, _workers)


def word_problem(rng: np.random.Generator, difficulty: int = 1) -> Task:
    """A short word problem with an integer answer. Levels 1-2 use the one- and two-step
    templates (shopping, journeys, marbles); level 3+ adds the multi-step ones (areas from
    perimeters, ages, work rates); numbers grow with the level."""
    d = level(difficulty)
    rng = task_rng(rng)
    templates = _TEMPLATES[:3] if d <= 2 else _TEMPLATES
    prompt, answer = pick(rng, templates)(rng, d)
    return make_task("word_problem", d, prompt, str(answer))
