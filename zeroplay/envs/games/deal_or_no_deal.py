"""Deal or No Deal (the bargaining game of Lewis et al., 2017), made zero-sum.

A pool of books, hats and balls (1-4 of each, 5-7 items in all) is to be split. Each player
values the item kinds privately, so that the whole pool is worth 10 to each. Players alternate
(player 0 first) for at most ``max_turns`` turns (default 8): ``[Propose 2 0 1]`` claims 2 books,
0 hats and 1 ball for oneself, the rest for the opponent; ``[Accept]`` takes the opponent's
last proposal and ends the game. Returns: (own value of one's share - opponent's value of
theirs) / 10, so the sum is zero; no deal by the last turn gives both 0.

``info["view"]``: ``"pool=3,1,2;values=1,4,1;offer=0,1,2;turn=2/8"``: the pool, own values,
the share the viewer would get by accepting (empty when there is no proposal), the turn.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product
from typing import ClassVar

import numpy as np

from zeroplay.core.env import last_bracketed, move_numbers
from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv

ITEMS = ("books", "hats", "balls")
TOTAL_VALUE = 10


@lru_cache(maxsize=None)
def value_vectors(pool: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every non-negative integer valuation of the pool worth exactly 10, no kind worth it all."""
    return [
        v for v in product(range(TOTAL_VALUE + 1), repeat=len(pool))
        if sum(c * x for c, x in zip(pool, v)) == TOTAL_VALUE and max(c * x for c, x in zip(pool, v)) < TOTAL_VALUE
    ]


@lru_cache(maxsize=None)
def proposals(pool: tuple[int, ...], can_accept: bool = False) -> list[str]:
    """Every proposal text for a pool, ``"Propose a b c"`` (after ``"Accept"`` when one may accept)."""
    moves = ["Propose " + " ".join(map(str, share)) for share in product(*(range(c + 1) for c in pool))]
    return ["Accept", *moves] if can_accept else moves


class DealOrNoDealState(Game):
    """The pool, private values, the last proposal ``(proposer, share of the proposer)``."""

    name: ClassVar[str] = "DealOrNoDeal"

    def __init__(self, pool: tuple[int, ...], values: list[tuple[int, ...]], max_turns: int = 8):
        self.pool, self.values, self.max_turns = pool, values, max_turns
        self.turn = 0
        self.proposal: tuple[int, tuple[int, ...]] | None = None
        self.deal: tuple[tuple[int, ...], tuple[int, ...]] | None = None  # shares of players 0, 1
        self.log: list[str] = []

    def current_player(self) -> int:
        return self.turn % 2

    def legal_actions(self) -> list[str]:
        return proposals(self.pool, self.proposal is not None)

    def apply_action(self, action: str) -> None:
        p = self.current_player()
        if action == "Accept":
            proposer, share = self.proposal
            rest = tuple(c - s for c, s in zip(self.pool, share))
            self.deal = (share, rest) if proposer == 0 else (rest, share)
            self.log.append(f"player {p} accepted")
        else:
            share = tuple(int(x) for x in action.split()[1:])
            self.proposal = (p, share)
            self.log.append(f"player {p} proposed to take {describe(share)}")
        self.turn += 1

    def is_terminal(self) -> bool:
        return self.deal is not None or self.turn >= self.max_turns

    def scores(self) -> list[int]:
        if self.deal is None:
            return [0, 0]
        return [sum(s * v for s, v in zip(self.deal[p], self.values[p])) for p in (0, 1)]

    def returns(self) -> list[float]:
        a, b = self.scores()
        return [(a - b) / TOTAL_VALUE, (b - a) / TOTAL_VALUE]

    def offered_to(self, player: int) -> tuple[int, ...] | None:
        """The share ``player`` gets by accepting, or None."""
        if self.proposal is None or self.proposal[0] == player:
            return None
        return tuple(c - s for c, s in zip(self.pool, self.proposal[1]))

    def view(self, player: int) -> str:
        offer = self.offered_to(player)
        return (f"pool={','.join(map(str, self.pool))};values={','.join(map(str, self.values[player]))};"
                f"offer={','.join(map(str, offer)) if offer else ''};turn={self.turn + 1}/{self.max_turns}")

    def clone(self) -> DealOrNoDealState:
        new = DealOrNoDealState.__new__(DealOrNoDealState)
        new.__dict__.update(self.__dict__)
        new.log = self.log[:]
        return new


@lru_cache(maxsize=4096)
def _header(player: int, pool: tuple[int, ...], values: tuple[int, ...]) -> str:
    rows = "\n".join(f"  {n} {name:<5} worth {v} each to you" for n, name, v in zip(pool, ITEMS, values))
    return f"{DealOrNoDeal.RULES}You are player {player}. The pool:\n{rows}"


def describe(share: tuple[int, ...]) -> str:
    return ", ".join(f"{n} {name}" for n, name in zip(share, ITEMS))


class DealOrNoDeal(GameEnv):
    """``zeroplay/DealOrNoDeal-v0``: see the module docstring. Kwarg ``max_turns`` (default 8).
    Proposals may also be written ``[propose: 2 books, 0 hats, 1 ball]``: the numbers count."""

    RULES = (
        "Deal or No Deal. Split a pool of books, hats and balls with your opponent. Each of you values the "
        f"items privately; the whole pool is worth {TOTAL_VALUE} to each. Your score is (your value of your share "
        f"- opponent's value of theirs) / {TOTAL_VALUE}; no deal scores 0 for both.\n"
        "Moves: [Propose a b c] claims a books, b hats, c balls for you (the rest go to your opponent); "
        "[Accept] takes your opponent's last proposal and ends the game.\n"
    )

    def __init__(self, max_turns: int = 8, **kwargs):
        super().__init__(**kwargs)
        if not 2 <= max_turns <= 100:
            raise ValueError(f"max_turns must be in 2..100, got {max_turns}")
        self.max_turns = max_turns

    def new_state(self, rng: np.random.Generator) -> DealOrNoDealState:
        while True:  # 5-7 items in all; about one draw in three qualifies
            pool = tuple(int(x) for x in rng.integers(1, 5, size=3))
            if 5 <= sum(pool) <= 7:
                break
        options = value_vectors(pool)
        values = [options[int(rng.integers(len(options)))] for _ in (0, 1)]
        return DealOrNoDealState(pool, values, self.max_turns)

    def parse_action(self, text: str, state: DealOrNoDealState) -> str | None:
        move = last_bracketed(text)
        if move is None:
            return None
        if move.strip().lower() == "accept":
            return "Accept" if state.proposal is not None and state.proposal[0] != state.current_player() else None
        numbers = move_numbers(move, max_digits=2)
        if not move.lower().lstrip().startswith("propose") or numbers is None or len(numbers) != 3:
            return None
        share = tuple(int(x) for x in numbers)
        if any(s > c for s, c in zip(share, state.pool)):
            return None
        return "Propose " + " ".join(map(str, share))

    def observe(self, state: DealOrNoDealState, player: int) -> str:
        vals = state.values[player]
        lines = [_header(player, state.pool, vals)]
        if state.log:
            lines.append("History:\n  " + "\n  ".join(state.log))
        if state.is_terminal():
            s = state.scores()
            deal = "deal made" if state.deal else "no deal"
            lines.append(f"Game over ({deal}): your value {s[player]}, opponent's value {s[1 - player]}.")
            return "\n".join(lines)
        lines.append(f"Turn {state.turn + 1} of {state.max_turns}.")
        offer = state.offered_to(player)
        if offer is not None:
            worth = sum(o * v for o, v in zip(offer, vals))
            lines.append(f"Accepting now gives you {describe(offer)} (worth {worth} to you).")
            lines.append("Legal moves: [Accept] or [Propose a b c] with a <= {}, b <= {}, c <= {}".format(*state.pool))
        else:
            lines.append("Legal moves: [Propose a b c] with a <= {}, b <= {}, c <= {}".format(*state.pool))
        lines.append(ANSWER_FORMAT.format(example="Propose " + " ".join(str(c // 2) for c in state.pool)))
        return "\n".join(lines)
