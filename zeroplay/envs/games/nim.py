"""Nim: take one or more objects from a single pile; whoever takes the last object wins.

A move is ``[pile count]``, e.g. ``[0 3]`` takes 3 from pile 0. Kwargs: ``piles`` (default
(3, 4, 5)); ``misere=True`` makes taking the last object lose instead. Returns: +1 / -1.
``info["view"]`` is the pile sizes joined by commas (``"3,0,5"``), then ``;misere`` in misère play.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import ClassVar

import numpy as np

from zeroplay.core.env import last_bracketed, move_numbers
from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv, bracket_list



@lru_cache(maxsize=4096)
def legal_moves(piles: tuple[int, ...]) -> list[str]:
    """Every ``"pile count"`` move from these piles (positions repeat a lot: cached)."""
    return [f"{i} {k}" for i, size in enumerate(piles) for k in range(1, size + 1)]


class NimState(Game):
    """Pile sizes and who is to move; the player who cannot move (all piles empty) has lost
    (normal play) or won (misère)."""

    name: ClassVar[str] = "Nim"

    def __init__(self, piles: Sequence[int], misere: bool = False, moves: int = 0):
        self.piles = list(piles)
        self.misere = misere
        self.moves = moves
        self._legal: list[str] | None = None

    @classmethod
    def from_view(cls, view: str) -> NimState:
        body, _, flag = view.partition(";")
        try:
            piles = [int(x) for x in body.split(",")]
        except ValueError:
            raise ValueError(f"a Nim view is pile sizes joined by commas, got {view[:80]!r}") from None
        return cls(piles, misere=flag == "misere")

    def current_player(self) -> int:
        return self.moves % 2

    def legal_actions(self) -> list[str]:
        if self._legal is None:
            self._legal = legal_moves(tuple(self.piles))
        return self._legal

    def apply_action(self, action: str) -> None:
        pile, count = (int(x) for x in action.split())
        self.piles[pile] -= count
        self.moves += 1
        self._legal = None

    def is_terminal(self) -> bool:
        return not any(self.piles)

    def returns(self) -> list[float]:
        last_mover = (self.moves - 1) % 2
        winner = 1 - last_mover if self.misere else last_mover
        return [1.0, -1.0] if winner == 0 else [-1.0, 1.0]

    def view(self, player: int) -> str:
        return ",".join(map(str, self.piles)) + (";misere" if self.misere else "")

    def clone(self) -> NimState:
        return NimState(self.piles, self.misere, self.moves)


class Nim(GameEnv):
    """``zeroplay/Nim-v0``: see the module docstring. Moves may also be written ``[pile 0 take 3]``
    or ``[0, 3]``: the first two numbers in the brackets count."""

    def __init__(self, piles: Sequence[int] = (3, 4, 5), misere: bool = False, **kwargs):
        super().__init__(**kwargs)
        piles = [int(p) for p in piles]
        if not piles or len(piles) > 10 or min(piles) < 0 or max(piles) > 50 or not any(piles):
            raise ValueError(f"piles must be 1-10 sizes in 0..50, not all empty; got {piles}")
        self.piles, self.misere = piles, misere
        last = "loses" if misere else "wins"
        self.rules = (
            f"Nim. On your turn remove one or more objects from exactly one pile. Whoever takes the last object {last}.\n"
            "Write a move as [pile count], e.g. [0 2] removes 2 objects from pile 0.\n"
        )

    def new_state(self, rng: np.random.Generator) -> NimState:
        return NimState(self.piles, self.misere)

    def parse_action(self, text: str, state: NimState) -> str | None:
        move = super().parse_action(text, state)
        if move is not None:
            return move
        found = last_bracketed(text)
        numbers = move_numbers(found) if found else None
        if numbers is not None and len(numbers) == 2:
            move = f"{numbers[0]} {numbers[1]}"
            if 0 <= numbers[0] < len(state.piles) and 1 <= numbers[1] <= state.piles[numbers[0]]:
                return move
        return None

    def observe(self, state: NimState, player: int) -> str:
        if state.is_terminal():
            won = state.returns()[player] > 0
            return f"{self.rules}All piles are empty. Game over: you {'won' if won else 'lost'}."
        return self.rules + _position_text(tuple(state.piles), player)


@lru_cache(maxsize=4096)
def _position_text(piles: tuple[int, ...], player: int) -> str:
    """The position part of an observation (a pure function of the piles: cached)."""
    rows = "\n".join(f"  pile {i}: {size}" for i, size in enumerate(piles))
    legal = legal_moves(piles)
    return (
        f"You are player {player}. Piles:\n{rows}\n"
        f"Legal moves: {bracket_list(legal)}\n" + ANSWER_FORMAT.format(example=legal[-1])
    )
