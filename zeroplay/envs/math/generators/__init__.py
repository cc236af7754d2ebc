"""Procedural math problems with a difficulty knob, deterministic by seed.

Each generator is ``generate(rng, difficulty) -> Task``: it draws everything from ``rng`` (a
``numpy.random.Generator``), so a seed fixes the problem, and it builds the problem from its
answer, so the answer is right by construction (exact integer and ``Fraction`` arithmetic, no
floating point, no solving). ``difficulty`` is an int, 1 = easiest; higher levels mean larger
numbers, more terms, more unknowns or higher degree (each generator says how). Levels past 5
keep growing where that makes sense.

The task's ``reference`` is the answer as text (``"42"``, ``"-7/12"``, ``"(2, -1)"``,
``"-3, 1, 4"``), checked by the ``math`` verifier.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from zeroplay.core.types import Task
from zeroplay.envs.math.generators.algebra import linear_equation, linear_system, polynomial_roots
from zeroplay.envs.math.generators.arithmetic import arithmetic, fractions
from zeroplay.envs.math.generators.counting import combinatorics
from zeroplay.envs.math.generators.number_theory import modular
from zeroplay.envs.math.generators.word_problems import word_problem

Generator = Callable[[np.random.Generator, int], Task]

#: Every generator by name (the ``generator=`` of ``zeroplay/MathProcedural-v0``).
GENERATORS: dict[str, Generator] = {
    "arithmetic": arithmetic,
    "fractions": fractions,
    "linear_equation": linear_equation,
    "linear_system": linear_system,
    "modular": modular,
    "combinatorics": combinatorics,
    "polynomial_roots": polynomial_roots,
    "word_problem": word_problem,
}

__all__ = ["GENERATORS", "Generator"]
