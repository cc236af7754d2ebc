"""Problem proposing for any task family, and the problem pool self-play loops keep.

- :mod:`zeroplay.envs.proposer.env`: ``zeroplay/ProblemProposer-v0``, a proposer env that turns a
  policy's ``<problem>``/``<answer>``/``<hint>`` into a :class:`~zeroplay.core.types.Task` of a family
  (``math``, ``exact``, or one added with :func:`register_family`); :func:`solver_env` serves them.
- :mod:`zeroplay.envs.proposer.pool`: :class:`ProblemPool`, problems with per-problem solve history.
"""

from __future__ import annotations

from zeroplay.envs.proposer.env import (FAMILIES, ProblemFamily, ProblemProposerEnv, Proposal, get_family,
                                        parse_proposal, register_family, solver_env)
from zeroplay.envs.proposer.pool import PoolEntry, ProblemPool, problem_key

ENVS: dict[str, str | tuple[str, dict]] = {
    "zeroplay/ProblemProposer-v0": "zeroplay.envs.proposer.env:ProblemProposerEnv",
}

__all__ = ["ENVS", "FAMILIES", "PoolEntry", "ProblemFamily", "ProblemPool", "ProblemProposerEnv", "Proposal",
           "get_family", "parse_proposal", "problem_key", "register_family", "solver_env"]
