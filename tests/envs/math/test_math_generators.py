"""Procedural generators: deterministic by seed, a working difficulty knob, and answers that an
independent solver (sympy, brute force, re-reading the word problem) agrees with."""

from __future__ import annotations

import itertools
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from zeroplay.envs.math.generators import GENERATORS

LEVELS = (1, 2, 3, 4, 5, 6)
SEEDS = range(25)
TRANSFORMS = (*standard_transformations, implicit_multiplication_application, convert_xor)
X, Y, Z = sympy.symbols("x y z")


def _expr(text: str) -> sympy.Expr:
    return parse_expr(text, transformations=TRANSFORMS, local_dict={"x": X, "y": Y, "z": Z})


def _math(prompt: str) -> str:
    return re.search(r"\$(.+?)\$", prompt).group(1).strip()


def _tasks(name: str):
    for level in LEVELS:
        for seed in SEEDS:
            yield level, GENERATORS[name](np.random.default_rng(seed), level)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_deterministic_by_seed_and_vary(name: str) -> None:
    generate = GENERATORS[name]
    for level in (1, 4):
        assert generate(np.random.default_rng(5), level) == generate(np.random.default_rng(5), level)
        prompts = {generate(np.random.default_rng(s), level).prompt for s in range(20)}
        assert len(prompts) >= 10, f"{name} at level {level} repeats itself"
    task = generate(np.random.default_rng(0), 2)
    assert task.verifier == "math" and task.meta["generator"] == name and task.meta["difficulty"] == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "hard", None])
def test_difficulty_must_be_a_positive_int(bad) -> None:
    with pytest.raises(ValueError, match="difficulty"):
        GENERATORS["arithmetic"](np.random.default_rng(0), bad)


def test_the_difficulty_knob_makes_problems_bigger() -> None:
    def mean(name: str, level: int, measure) -> float:
        return float(np.mean([measure(GENERATORS[name](np.random.default_rng(s), level)) for s in SEEDS]))

    ops = lambda t: len(re.findall(r" [-+×] ", t.prompt))
    assert mean("arithmetic", 1, ops) < mean("arithmetic", 3, ops) < mean("arithmetic", 6, ops)
    degree = lambda t: len(t.meta["roots"])
    assert (mean("polynomial_roots", 1, degree), mean("polynomial_roots", 3, degree), mean("polynomial_roots", 5, degree)) == (2, 3, 4)
    unknowns = lambda t: t.prompt.count("$$") / 2
    assert mean("linear_system", 1, unknowns) == 2 and mean("linear_system", 4, unknowns) == 3
    size = lambda t: max((int(n) for n in re.findall(r"\d+", t.prompt)), default=0)
    for name in ("modular", "combinatorics", "word_problem", "fractions"):
        assert mean(name, 1, size) < mean(name, 6, size), name


def test_arithmetic_answers() -> None:
    for _, task in _tasks("arithmetic"):
        expression = task.prompt.removeprefix("Compute ").removesuffix(".").replace("×", "*")
        assert sympy.sympify(expression) == int(task.reference), task.prompt


def test_fraction_answers() -> None:
    for _, task in _tasks("fractions"):
        text = re.sub(r"\\frac\{(\d+)\}\{(\d+)\}", r"Rational(\1, \2)", _math(task.prompt)).replace("\\times", "*")
        assert sympy.sympify(text) == sympy.Rational(task.reference), task.prompt
        assert Fraction(task.reference).denominator == sympy.Rational(task.reference).q  # lowest terms


def test_linear_equation_answers() -> None:
    for _, task in _tasks("linear_equation"):
        lhs, rhs = _math(task.prompt).split("=")
        assert sympy.linsolve([sympy.Eq(_expr(lhs), _expr(rhs))], [X]) == {(sympy.Rational(task.reference),)}, task.prompt


def test_linear_system_answers() -> None:
    for _, task in _tasks("linear_system"):
        equations = [sympy.Eq(_expr(a), _expr(b)) for a, b in
                     (line.split("=") for line in re.findall(r"\$\$(.+?)\$\$", task.prompt))]
        symbols = [X, Y, Z][: len(equations)]
        (solution,) = sympy.linsolve(equations, symbols)  # exactly one solution, or this unpacking fails
        got = "(" + ", ".join(str(v) for v in solution) + ")"
        assert got == task.reference, task.prompt


def test_polynomial_root_answers() -> None:
    for _, task in _tasks("polynomial_roots"):
        lhs = _math(task.prompt).split("=")[0]
        roots = sorted(set(sympy.real_roots(sympy.Poly(_expr(lhs), X))))
        assert ", ".join(str(r) for r in roots) == task.reference, task.prompt


def test_modular_answers() -> None:
    for _, task in _tasks("modular"):
        p = task.prompt
        if m := re.search(r"\$(\d+)\^\{(\d+)\}\$ is divided by \$(\d+)\$", p):
            a, b, mod = map(int, m.groups())
            expected = sympy.Integer(a) ** b % mod
        elif m := re.search(r"\$([\d \\times]+)\$ is divided by \$(\d+)\$", p):
            expected = sympy.prod(int(n) for n in m.group(1).split("\\times")) % int(m.group(2))
        else:
            a, c, mod = map(int, re.search(r"\$(\d+)x \\equiv (\d+) \\pmod\{(\d+)\}\$", p).groups())
            expected = next(x for x in range(mod) if (a * x - c) % mod == 0)
        assert str(expected) == task.reference, p


def test_counting_answers_by_brute_force() -> None:
    for level in (1, 2):
        for seed in SEEDS:
            task = GENERATORS["combinatorics"](np.random.default_rng(seed), level)
            p, numbers = task.prompt, [int(n) for n in re.findall(r"\d+", task.prompt)]
            if "team of" in p:
                k, n = numbers
                count = sum(1 for _ in itertools.combinations(range(n), k))
            elif "distinct prizes" in p:
                k, _, n = numbers
                count = sum(1 for _ in itertools.permutations(range(n), k))
            elif "arrangements" in p:
                word = re.search(r"word ([A-Z]+)", p).group(1)
                count = len(set(itertools.permutations(word)))
            elif "shortest paths" in p:
                _, _, a, b = numbers
                count = sum(1 for steps in itertools.product("RU", repeat=a + b) if steps.count("R") == a)
            else:
                balls, boxes = numbers
                count = sum(1 for split in itertools.product(range(balls + 1), repeat=boxes) if sum(split) == balls)
            assert str(count) == task.reference, p


def _solve_word_problem(p: str) -> int:
    n = [int(v) for v in re.findall(r"\d+", p)]
    if "change" in p:
        return n[2] - n[0] * n[1]
    if "train" in p:
        return n[0] * n[1] + n[2] * n[3]
    if "marbles" in p:
        return n[0] - n[1] + n[2] * n[3]
    if "rectangle" in p:
        extra, perimeter = n
        width = (perimeter // 2 - extra) // 2
        return width * (width + extra)
    if "times as old" in p:
        k, years, total = n
        young = sympy.Rational(total - 2 * years, k + 1)
        return int(k * young)
    rate, workers, hours, more = n[0], n[1], n[2], n[3]
    return rate * workers * hours + rate * (workers + more) * hours


def test_word_problem_answers_by_rereading_the_text() -> None:
    kinds = set()
    for _, task in _tasks("word_problem"):
        kinds.add(task.prompt.split()[2])
        assert str(_solve_word_problem(task.prompt)) == task.reference, task.prompt
        assert int(task.reference) >= 0
    assert len(kinds) >= 5  # every template shows up


def test_draws_cover_their_ranges_and_repeat_by_seed() -> None:
    from zeroplay.envs.math.generators._common import Draws

    draws = Draws(np.random.default_rng(0))
    values = {draws.randint(-2, 2) for _ in range(500)}
    assert values == {-2, -1, 0, 1, 2}
    picks = draws.sample(range(10), 4)
    assert len(set(picks)) == 4 and set(picks) <= set(range(10))
    a, b = Draws(np.random.default_rng(9)), Draws(np.random.default_rng(9))
    assert [a.randint(0, 100) for _ in range(100)] == [b.randint(0, 100) for _ in range(100)]


@pytest.mark.parametrize(("level", "prompt", "answer"), [
    (1, "Compute 4 - 5 - 9.", "-10"),
    (2, "Compute 17 + 15 - (6 + 14).", "12"),
    (3, "Compute 41 + 8 - 37 + 26 - 22.", "16"),
    (4, "Compute 75 + 9 - ((-14) - 58) + 97 - (-26).", "279"),
    (5, "Compute ((-183) - (999 + 305) + 949 - ((-215) × 55)) × 75.", "846525"),
    (6, "Compute 3487 - (-3401) - ((-8966) + 7004) - ((6998 + (-1350)) × 634 × 125).", "-447595150"),
])
def test_arithmetic_problems_stay_the_same_for_a_seed(level: int, prompt: str, answer: str) -> None:
    """Known problems (seed = level): a rewrite of the generator must keep every seed's problem."""
    task = GENERATORS["arithmetic"](np.random.default_rng(level), level)
    assert (task.prompt, task.reference) == (prompt, answer)
