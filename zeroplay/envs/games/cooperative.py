"""What cooperative games share: one team score, the same return for every player.

A cooperative game is declared by its env class: ``cooperative = True`` and ``zero_sum = False``
(zero-sum games keep :class:`~zeroplay.envs.games.base.GameEnv`'s defaults, the other way round). Then:

- ``info["returns"]`` holds the team's score once for every player (all entries equal).
- ``step``'s reward is what the move added to the team score (per-turn rewards: a Hanabi play
  earns +1 at once), given to the mover as the turn protocol says; the rewards of all moves of a game
  sum to the team return. A game whose score only comes at the end rewards only its last move.
- An invalid move (the default rule) ends the game with ``invalid_move_penalty`` (-1) for the
  whole team: everyone loses, so nobody profits from a partner's mistake. The last step's
  reward is then the penalty minus what the team had scored before.

The state's ``returns()`` must be the team's score so far at every point, not only at the end.
"""

from __future__ import annotations

from typing import Any, ClassVar

from zeroplay.envs.games.base import GameEnv


class CooperativeGameEnv(GameEnv):
    """A :class:`GameEnv` whose players share one score (see the module docstring)."""

    cooperative: ClassVar[bool] = True
    zero_sum: ClassVar[bool] = False

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        before = self.state.returns()[0] if self.state is not None and not self._done else 0.0
        obs, _, terminated, truncated, info = super().step(action)
        if terminated and info.get("invalid_move"):
            # the base's rule is zero-sum (the partner would gain): the whole team loses instead
            info["returns"] = [self.invalid_move_penalty] * self.state.num_players
            return obs, self.invalid_move_penalty - before, terminated, truncated, info
        return obs, float(self.state.returns()[0]) - before, terminated, truncated, info
