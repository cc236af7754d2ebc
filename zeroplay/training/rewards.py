"""Reward shaping, with the papers' defaults.

- Solver (Absolute Zero): +1 correct, -0.5 well-formed but wrong, -1 malformed (the template's
  answer format was not followed).
- Proposer (Absolute Zero): learnability ``1 - solve_rate`` when the solvers sometimes but not
  always succeed, 0 when they always or never do; -1 for an invalid proposal.
- Games (SPIRAL): an illegal or unparsable move ends the game with -1.5 for the offender and
  +0.5 for the opponent during training, so that the offender pays more than a loss and the
  opponent gains less than a win; in evaluation the env's own -1/+1 is kept.

Rewards are named parts (:data:`zeroplay.training.registry.REWARDS`, entry-point group
``zeroplay.rewards``), of three kinds, each a plain function a loop calls:

- :class:`SolverReward`   ``(correct, well_formed, shaping) -> float``: ``correctness`` (default), ``binary``;
- :class:`ProposerReward` ``(valid, solve_rate, shaping) -> float``: ``learnability`` (default);
- :class:`GameReward`     ``(returns, info, shaping) -> list[float]``: ``illegal_move_penalty`` (default),
  ``env_returns``.

A loop section picks them by name, e.g. ``propose_solve.proposer_reward: learnability``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class RewardShaping(BaseModel):
    """Reward values; every field has the default of the paper it comes from."""

    model_config = ConfigDict(extra="forbid")

    solver_correct: float = 1.0
    """Solver answer judged correct by the verifier."""
    solver_wrong: float = -0.5
    """Solver answer in the right format but wrong."""
    solver_malformed: float = -1.0
    """Solver output that does not follow the answer format."""
    proposer_invalid: float = -1.0
    """Proposal the proposer env rejected (does not run, not deterministic, ...)."""
    illegal_move_offender: float = -1.5
    """Training return of a player whose illegal move ended the game."""
    illegal_move_opponent: float = 0.5
    """Training return of the other player(s) when an illegal move ended the game."""


class SolverReward(Protocol):
    def __call__(self, correct: bool, well_formed: bool, shaping: RewardShaping) -> float: ...


class ProposerReward(Protocol):
    def __call__(self, valid: bool, solve_rate: float | None, shaping: RewardShaping) -> float:
        """``solve_rate`` is None for an invalid proposal (nothing was solved)."""
        ...


class GameReward(Protocol):
    def __call__(self, returns: Sequence[float], info: dict[str, Any], shaping: RewardShaping) -> list[float]:
        """Every player's training return from the env's final ``returns`` and the last ``info``."""
        ...


def solver_reward(correct: bool, well_formed: bool, shaping: RewardShaping) -> float:
    if not well_formed:
        return shaping.solver_malformed
    return shaping.solver_correct if correct else shaping.solver_wrong


def binary_reward(correct: bool, well_formed: bool, shaping: RewardShaping) -> float:
    """1 for a correct, well-formed answer, else 0 (no format penalty)."""
    return 1.0 if correct and well_formed else 0.0


def learnability(solve_rate: float) -> float:
    """Absolute Zero's proposer reward for a valid task: ``1 - solve_rate``, or 0 when the
    task is trivial (always solved) or impossible (never solved): both teach nothing."""
    if solve_rate <= 0.0 or solve_rate >= 1.0:
        return 0.0
    return 1.0 - solve_rate


def proposer_reward(valid: bool, solve_rate: float | None, shaping: RewardShaping) -> float:
    if not valid or solve_rate is None:
        return shaping.proposer_invalid
    return learnability(solve_rate)


def game_training_returns(returns: Sequence[float], info: dict[str, Any], shaping: RewardShaping) -> list[float]:
    """The env's final returns, with the training penalty applied when an invalid move ended
    the game (``info["invalid_move"]`` with ``info["offender"]``)."""
    offender = info.get("offender")
    if not info.get("invalid_move") or offender is None:
        return [float(r) for r in returns]
    return [shaping.illegal_move_offender if p == offender else shaping.illegal_move_opponent
            for p in range(len(returns))]


def env_returns(returns: Sequence[float], info: dict[str, Any], shaping: RewardShaping) -> list[float]:
    """The env's own returns, unchanged (its rule for illegal moves applies in training too)."""
    return [float(r) for r in returns]
