"""A plug-in reward, of the solver kind: ``(correct, well_formed, shaping) -> float``.

Which arguments a reward gets is the calling loop's choice; :mod:`zeroplay.training.rewards` lists
the kinds zeroplay's loops call. A loop section names it (``target_length.reward: hit_or_miss``),
so built-in rewards of the same kind (``binary``, ``correctness``) can take its place.
``@reward_kind("solver")`` says which kind it is: a reward field of another kind (a proposer's, a
game's) then refuses it when the config is validated, instead of calling it with the wrong arguments.
"""

from __future__ import annotations

from zeroplay.training.rewards import RewardShaping, reward_kind


@reward_kind("solver")
def hit_or_miss(correct: bool, well_formed: bool, shaping: RewardShaping) -> float:
    """1 for a correct answer, 0 for a wrong one, ``shaping.solver_malformed`` (-1 by default) for one
    that breaks the template's answer format."""
    if not well_formed:
        return shaping.solver_malformed
    return 1.0 if correct else 0.0
