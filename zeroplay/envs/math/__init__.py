"""Math environments: a JSONL problem set, procedural generators, and reasoning-gym (optional).

See :mod:`zeroplay.envs.math.env` for the envs and :mod:`zeroplay.envs.math.generators` for
the generators and their difficulty levels. The ids below are lazy entry points.
"""

from __future__ import annotations

import importlib.util

_PROCEDURAL = "zeroplay.envs.math.env:ProceduralMathEnv"

ENVS: dict[str, str | tuple[str, dict]] = {
    "zeroplay/Math-v0": "zeroplay.envs.math.env:MathEnv",
    "zeroplay/MathProcedural-v0": _PROCEDURAL,
    "zeroplay/MathArithmetic-v0": (_PROCEDURAL, {"generator": "arithmetic"}),
    "zeroplay/MathFractions-v0": (_PROCEDURAL, {"generator": "fractions"}),
    "zeroplay/MathLinearEquation-v0": (_PROCEDURAL, {"generator": "linear_equation"}),
    "zeroplay/MathLinearSystem-v0": (_PROCEDURAL, {"generator": "linear_system"}),
    "zeroplay/MathModular-v0": (_PROCEDURAL, {"generator": "modular"}),
    "zeroplay/MathCombinatorics-v0": (_PROCEDURAL, {"generator": "combinatorics"}),
    "zeroplay/MathPolynomialRoots-v0": (_PROCEDURAL, {"generator": "polynomial_roots"}),
    "zeroplay/MathWordProblem-v0": (_PROCEDURAL, {"generator": "word_problem"}),
}



def register_dynamic() -> None:
    """Register ``zeroplay/ReasoningGym-v0`` when reasoning-gym is installed (found, not imported)."""
    if importlib.util.find_spec("reasoning_gym") is None:
        return
    from zeroplay.core.registry import register

    register("zeroplay/ReasoningGym-v0", "zeroplay.envs.math.reasoning_gym:ReasoningGymEnv")
