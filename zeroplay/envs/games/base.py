"""What every zeroplay game shares: a state that can be copied and described compactly, and an
env that hands agents that compact description.

The info protocol of the games (on top of :class:`~zeroplay.core.env.TurnBasedEnv`'s ``player``,
``legal_actions``, ``returns``):

- ``info["game"]``: the game's name (``"TicTacToe"``, ``"KuhnPoker"``, ...), so a scripted agent
  knows which rules apply.
- ``info["view"]``: a compact string of exactly what the player to act knows, no more: the board
  of a perfect-information game, or one's own cards and the public betting of a poker game
  (the *information set*). It never holds the opponent's private cards or values, so an agent
  that reads it cannot cheat; solvers rebuild a state from it (``GameState.from_view``).

Both keys are only present while the game runs (not in the final info).

Invalid moves: the base rule (:class:`~zeroplay.core.env.TurnBasedEnv`: the offender gets
``invalid_move_penalty``, -1) is the worst a player can do in a game whose returns are -1..1. Where a
player can lose more than that by legal play (poker: the chips it has put in, over several hands), an
invalid move must not be a cheap way out of a lost hand: a game's :meth:`Game.forfeit_returns` says
what giving up now would cost, and the offender gets the worse of the two (the others the rest, zero-sum).
So an invalid move never pays more than the worst legal way to give up.
"""

from __future__ import annotations

import abc
import copy
from typing import Any, ClassVar

from zeroplay.core.env import GameState, TurnBasedEnv, last_bracketed

#: The answer-format line every game ends its observation with.
ANSWER_FORMAT = "Think if you like, then write your move in brackets, e.g. [{example}]."


class Game(GameState):
    """A :class:`GameState` with a compact view per player and a cheap copy (for search)."""

    #: Name put in ``info["game"]``.
    name: ClassVar[str] = ""

    @abc.abstractmethod
    def view(self, player: int) -> str:
        """What ``player`` knows, compactly (see the module docstring)."""

    def clone(self) -> Game:
        """An independent copy (solvers explore moves on copies)."""
        return copy.deepcopy(self)

    def forfeit_returns(self, player: int) -> list[float] | None:
        """Every player's returns if ``player`` gave up now (a poker fold: it loses what it has put in),
        for games where that can cost more than a loss of 1; None (the default) where it cannot."""
        return None


class GameEnv(TurnBasedEnv):
    """A :class:`TurnBasedEnv` whose infos carry ``game`` and ``view`` (see the module docstring)."""

    #: Returns sum to 0 (most games here); cooperative games (:mod:`zeroplay.envs.games.cooperative`)
    #: set both flags the other way: one team score, equal returns.
    zero_sum: ClassVar[bool] = True
    cooperative: ClassVar[bool] = False

    def info_extras(self, state: Game) -> dict[str, Any]:  # type: ignore[override]
        return {"game": state.name, "view": state.view(state.current_player())}

    def _invalid(self, player: int, reason: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """The base's rule, made no better for the offender than giving up (see the module docstring)."""
        obs, reward, terminated, truncated, info = super()._invalid(player, reason)
        forfeit = self.state.forfeit_returns(player) if terminated else None
        if forfeit is not None and forfeit[player] < reward:
            info["returns"] = [float(r) for r in forfeit]
            reward = float(forfeit[player])
        return obs, reward, terminated, truncated, info

    def parse_action(self, text: str, state: Game) -> str | None:  # type: ignore[override]
        # fast path: the move exactly as listed (what agents usually write); else the base's
        # case- and space-insensitive matching
        move = last_bracketed(text)
        if move is not None and move in state.legal_actions():
            return move
        return super().parse_action(text, state)


def bracket_list(moves: list[str]) -> str:
    """``[a], [b], [c]``: legal moves as the player should write them."""
    return "[" + "], [".join(moves) + "]" if moves else ""
