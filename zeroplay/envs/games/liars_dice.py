"""Liar's Dice for two: bid on the dice under both cups, or call the last bid a lie.

Each player rolls ``num_dice`` dice (default 5) and sees only their own. Players take turns
raising the bid ``[Bid: q, f]`` ("at least q dice, among all, show face f"): a raise has a
higher quantity, or the same quantity and a higher face. Instead of raising, a player may
``[Call]``: all dice are shown; if fewer than q show f the bidder loses a die, else the caller
does. Then everyone rerolls and the loser of the round opens the next. Whoever loses their last
die loses the game (returns +1 / -1). There are no wild ones.

``info["view"]``: ``"dice=1,3,3,5,6;counts=5,4;bids=3x4,4x2"``: own dice (sorted), dice left
for players 0 and 1, and this round's bids as quantity x face.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

import numpy as np

from zeroplay.core.env import last_bracketed, move_numbers
from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv

_NUMBER = re.compile(r"\d{1,3}")


@lru_cache(maxsize=4096)
def raises(total_dice: int, quantity: int, face: int) -> list[str]:
    """Every legal bid above ``quantity`` x ``face`` with ``total_dice`` dice in play, then ``Call``
    when there is a bid to call."""
    bids = [f"Bid: {q}, {f}" for q in range(max(quantity, 1), total_dice + 1) for f in range(1, 7)
            if q > quantity or f > face]
    return bids + ["Call"] if quantity else bids


@lru_cache(maxsize=4096)
def bid_numbers(bid: str) -> tuple[int, int]:
    """``"Bid: 3, 4"`` -> (3, 4)."""
    q, f = (int(x) for x in _NUMBER.findall(bid))
    return q, f


class LiarsDiceState(Game):
    """Dice per player, this round's bids ``(player, quantity, face)``, and a public log."""

    name: ClassVar[str] = "LiarsDice"

    def __init__(self, rng: np.random.Generator, num_dice: int = 5):
        self.rng = rng
        self.counts = [num_dice, num_dice]
        self.starter = 0
        self.log: list[str] = []
        self._roll()

    def _roll(self) -> None:
        u = self.rng.random(sum(self.counts)).tolist()  # one draw for all dice: cheaper than integers()
        n0 = self.counts[0]
        self.dice = [sorted(1 + int(x * 6) for x in u[:n0]), sorted(1 + int(x * 6) for x in u[n0:])]
        self.dice_text = [",".join(map(str, d)) for d in self.dice]
        self.bids: list[tuple[int, int, int]] = []
        # this round's bids as text, grown one bid at a time (a round can hold dozens of bids)
        self.bids_view = ""
        self.bids_text = ""

    def current_player(self) -> int:
        return (self.starter + len(self.bids)) % 2

    def legal_actions(self) -> list[str]:
        q, f = (self.bids[-1][1], self.bids[-1][2]) if self.bids else (0, 0)
        return raises(sum(self.counts), q, f)

    def apply_action(self, action: str) -> None:
        player = self.current_player()
        if action != "Call":
            q, f = bid_numbers(action)
            self.bids.append((player, q, f))
            sep = "," if len(self.bids) > 1 else ""
            self.bids_view += f"{sep}{q}x{f}"
            self.bids_text += f"{', ' if sep else ''}player {player} bid {q} x {f}"
            return
        bidder, q, f = self.bids[-1]
        shown = sum(d.count(f) for d in self.dice)
        loser = bidder if shown < q else player
        self.counts[loser] -= 1
        hands = "; ".join(f"player {p} {','.join(map(str, self.dice[p]))}" for p in (0, 1))
        self.log.append(f"player {player} called {q} x {f}: {shown} shown ({hands}); player {loser} loses a die")
        self.starter = loser
        if min(self.counts) > 0:
            self._roll()

    def is_terminal(self) -> bool:
        return 0 in self.counts

    def is_raise(self, quantity: int, face: int) -> bool:
        """Whether ``quantity`` x ``face`` is a legal bid now."""
        q, f = (self.bids[-1][1], self.bids[-1][2]) if self.bids else (0, 0)
        in_range = 1 <= quantity <= self.counts[0] + self.counts[1] and 1 <= face <= 6
        return in_range and (quantity > q or (quantity == q and face > f))

    def returns(self) -> list[float]:
        return [-1.0, 1.0] if self.counts[0] == 0 else [1.0, -1.0]

    def view(self, player: int) -> str:
        return f"dice={self.dice_text[player]};counts={self.counts[0]},{self.counts[1]};bids={self.bids_view}"

    def clone(self) -> LiarsDiceState:
        new = LiarsDiceState.__new__(LiarsDiceState)
        new.__dict__.update(self.__dict__)
        new.counts, new.log, new.bids = self.counts[:], self.log[:], self.bids[:]
        new.dice, new.dice_text = [d[:] for d in self.dice], self.dice_text[:]
        return new


class LiarsDice(GameEnv):
    """``zeroplay/LiarsDice-v0``: see the module docstring. Kwarg ``num_dice`` (default 5).
    Bids may be written loosely (``[bid 3 4]``, ``[Bid: 3, 4]``): the first two numbers count."""

    RULES = (
        "Liar's Dice. Each player has dice under a cup and sees only their own. Raise the bid with "
        "[Bid: q, f], meaning at least q dice among ALL dice show face f (a raise has a higher quantity, or "
        "the same quantity and a higher face), or [Call] the last bid: if fewer than q dice show f the bidder "
        "loses a die, otherwise the caller does. Lose all your dice and you lose the game. No wild ones.\n"
    )

    def __init__(self, num_dice: int = 5, **kwargs):
        super().__init__(**kwargs)
        if not 1 <= num_dice <= 10:
            raise ValueError(f"num_dice must be in 1..10, got {num_dice}")
        self.num_dice = num_dice

    def new_state(self, rng: np.random.Generator) -> LiarsDiceState:
        return LiarsDiceState(rng, self.num_dice)

    def parse_action(self, text: str, state: LiarsDiceState) -> str | None:
        move = last_bracketed(text)
        if move is None:
            return None
        word = move.strip().lower()
        if word == "call":
            return "Call" if state.bids else None
        numbers = move_numbers(move)
        if not word.startswith("bid") or numbers is None or len(numbers) != 2:
            return None
        q, f = int(numbers[0]), int(numbers[1])
        return f"Bid: {q}, {f}" if state.is_raise(q, f) else None

    def observe(self, state: LiarsDiceState, player: int) -> str:
        lines = [self.RULES + f"You are player {player}."]
        if state.log:
            lines.append("Earlier rounds:\n  " + "\n  ".join(state.log))
        if state.is_terminal():
            lines.append(f"Game over: you {'won' if state.counts[player] else 'lost'}.")
            return "\n".join(lines)
        lines.append(f"Your dice: {state.dice_text[player]}. "
                     f"Your opponent has {state.counts[1 - player]} dice.")
        lines.append("Bids this round: " + (state.bids_text or "none yet; you open") + ".")
        if state.bids:
            _, q, f = state.bids[-1]
            lines.append(f"Legal moves: [Call], or a raise above {q} x {f}, e.g. [Bid: {q + 1}, {f}]")
            example = f"Bid: {q + 1}, {f}" if q < sum(state.counts) else "Call"
        else:
            lines.append("Legal moves: an opening bid [Bid: q, f] with 1 <= q <= "
                         f"{sum(state.counts)} and 1 <= f <= 6")
            example = "Bid: 1, 6"
        lines.append(ANSWER_FORMAT.format(example=example))
        return "\n".join(lines)
