"""Math envs: problems from a JSONL file, or made on demand by procedural generators.

- ``zeroplay/Math-v0`` (:class:`MathEnv`): problems from a JSONL file with the fields
  ``problem`` and ``answer`` (``id`` optional); by default the small set shipped with zeroplay
  (``problems.jsonl`` beside this file, written by the zeroplay authors).
- ``zeroplay/MathProcedural-v0`` (:class:`ProceduralMathEnv`): ``generator=`` one of
  :data:`~zeroplay.envs.math.generators.GENERATORS` or ``"mixed"`` (default: one drawn per
  episode), ``difficulty=`` the level (int >= 1). ``zeroplay/MathArithmetic-v0``,
  ``zeroplay/MathFractions-v0``, ... fix the generator.

Both are single step: the answer is checked by the ``math`` verifier (reward 1.0 or 0.0) and
the prompt asks for it in ``\\boxed{}``. Change the difficulty between episodes with
``env.difficulty = 3`` or ``reset(options={"difficulty": 3})``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.core.tasks import GeneratorSource, JSONLSource, TaskEnv
from zeroplay.core.types import Task

#: The problems shipped with zeroplay.
DEFAULT_PROBLEMS = Path(__file__).with_name("problems.jsonl")
#: How a math prompt asks for the answer (the ``math`` verifier reads the last ``\boxed{}``).
PROMPT_TEMPLATE = "{prompt}\n\nReason step by step, then put your final answer in \\boxed{{}}."


class MathEnv(TaskEnv):
    """Problems from a JSONL file (``problem``, ``answer``), checked by the ``math`` verifier.

    ``path``: the file (default: the problems shipped with zeroplay). ``verifier``: a name or a
    verifier object (default ``"math"``). ``fields`` renames columns for other files, e.g.
    ``{"question": "prompt", "solution": "reference"}``.
    """

    def __init__(self, path: str | Path | None = None, *, verifier: Any = "math", fields: dict[str, str] | None = None,
                 prompt_template: str = PROMPT_TEMPLATE, render_mode: str | None = None):
        columns = {"problem": "prompt", "answer": "reference", **(fields or {})}
        source = JSONLSource(path or DEFAULT_PROBLEMS, fields=columns, defaults={"verifier": "math"})
        super().__init__(source, verifier=verifier, prompt_template=prompt_template, render_mode=render_mode)


class _MixedGenerator:
    """Draws one of ``names`` per episode, then that generator's problem (both from the env's rng)."""

    def __init__(self, names: list[str]):
        self.names = names

    def __call__(self, rng: np.random.Generator, difficulty: int) -> Task:
        from zeroplay.envs.math.generators import GENERATORS

        return GENERATORS[self.names[int(rng.integers(len(self.names)))]](rng, difficulty)


class ProceduralMathEnv(TaskEnv):
    """Problems made by a procedural generator (see the module docstring), deterministic by seed.

    Answers are checked by the ``math`` verifier with ``literal_answer``: the gold is a computed number,
    so an answer must be one too (``\\boxed{37 + 12 \\cdot 5}`` restates "Compute 37 + 12 * 5", it does not
    answer it). Pass ``verifier=`` to choose another.

    ``generator``: a name of :data:`~zeroplay.envs.math.generators.GENERATORS`, ``"mixed"``
    (all of them), or a list of names to mix. ``difficulty``: int >= 1.
    """

    def __init__(self, generator: str | list[str] = "mixed", difficulty: int = 1, *, verifier: Any = "math",
                 prompt_template: str = PROMPT_TEMPLATE, render_mode: str | None = None):
        from zeroplay.envs.math.generators import GENERATORS
        from zeroplay.envs.math.generators._common import level

        names = list(GENERATORS) if generator == "mixed" else [generator] if isinstance(generator, str) else list(generator)
        unknown = [n for n in names if n not in GENERATORS]
        if unknown or not names:
            raise ValueError(f"unknown generator {unknown or generator!r}; choose from {sorted(GENERATORS)} or 'mixed'")
        self.generator_names = names
        generate = GENERATORS[names[0]] if len(names) == 1 else _MixedGenerator(names)
        self.source: GeneratorSource
        if verifier == "math":  # a problem that asks to compute an expression is not answered by restating it
            from zeroplay import verifiers

            verifier = verifiers.make("math", literal_answer=True)
        super().__init__(GeneratorSource(generate, level(difficulty)), verifier=verifier,
                         prompt_template=prompt_template, render_mode=render_mode)

    @property
    def difficulty(self) -> int:
        return self.source.difficulty

    @difficulty.setter
    def difficulty(self, value: int) -> None:
        from zeroplay.envs.math.generators._common import level

        self.source.difficulty = level(value)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        if options and "difficulty" in options:
            self.difficulty = options["difficulty"]
        return super().reset(seed=seed, options=options)
