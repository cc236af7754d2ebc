"""Tic-tac-toe: two players mark cells of a 3x3 board; three in a row wins; a full board draws.

Player 0 is X and moves first. A move is the cell number 0-8 (row by row), written ``[4]``.
Returns: winner +1, loser -1, draw 0. ``info["view"]`` is the board as 9 characters
(``X``, ``O``, ``.``), row by row.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import numpy as np

from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv, bracket_list

LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
MARKS = ("X", "O")
EMPTY = "."
#: the legal-move strings, built once
CELLS = tuple(str(i) for i in range(9))


class TicTacToeState(Game):
    """A 3x3 board as a 9-character string; ``board[i]`` is ``"X"``, ``"O"`` or ``"."``."""

    name: ClassVar[str] = "TicTacToe"

    def __init__(self, board: str = EMPTY * 9):
        self.board = board
        self.moves = sum(c != EMPTY for c in self.board)
        self.winner: int | None = self._find_winner()
        self._legal: list[str] | None = None

    @classmethod
    def from_view(cls, view: str) -> TicTacToeState:
        if len(view) != 9 or set(view) - {"X", "O", EMPTY}:
            raise ValueError(f"a TicTacToe view is 9 characters of X, O and '.', got {view!r}")
        return cls(view)

    def _find_winner(self) -> int | None:
        b = self.board
        for i, j, k in LINES:
            if b[i] != EMPTY and b[i] == b[j] == b[k]:
                return MARKS.index(b[i])
        return None

    def current_player(self) -> int:
        return self.moves % 2

    def legal_actions(self) -> list[str]:
        # cached: the env asks several times per step (info, parser, renderer)
        if self._legal is None:
            b = self.board
            self._legal = [CELLS[i] for i in range(9) if b[i] == EMPTY]
        return self._legal

    def apply_action(self, action: str) -> None:
        cell = int(action)
        mark = MARKS[self.moves % 2]
        self.board = b = self.board[:cell] + mark + self.board[cell + 1:]
        self.moves += 1
        self._legal = None
        # only lines through the new mark can have been completed
        for line in LINES:
            if cell in line and b[line[0]] == b[line[1]] == b[line[2]] == mark:
                self.winner = MARKS.index(mark)
                break

    def is_terminal(self) -> bool:
        return self.winner is not None or self.moves == 9

    def returns(self) -> list[float]:
        if self.winner is None:
            return [0.0, 0.0]
        return [1.0, -1.0] if self.winner == 0 else [-1.0, 1.0]

    def view(self, player: int) -> str:
        return self.board

    def clone(self) -> TicTacToeState:
        new = TicTacToeState.__new__(TicTacToeState)
        new.board, new.moves, new.winner, new._legal = self.board, self.moves, self.winner, None
        return new


BOARD_TEMPLATE = "\n".join(f" {{}} | {{}} | {{}}      {3 * r} {3 * r + 1} {3 * r + 2}" for r in range(3))


def render_board(board: str) -> str:
    """The board with the cell numbers beside it."""
    return BOARD_TEMPLATE.format(*board)


class TicTacToe(GameEnv):
    """``zeroplay/TicTacToe-v0``: see the module docstring; invalid moves as in :class:`TurnBasedEnv`."""

    RULES = (
        "Tic-tac-toe. Players take turns marking an empty cell of a 3x3 board; "
        "the first to get three marks in a row (across, down or diagonally) wins; a full board is a draw.\n"
    )

    def new_state(self, rng: np.random.Generator) -> TicTacToeState:
        return TicTacToeState()

    def observe(self, state: TicTacToeState, player: int) -> str:
        return _observation_text(state.board, player, state.is_terminal(), state.winner)


@lru_cache(maxsize=16384)  # a few thousand positions in all: each text is built once
def _observation_text(board: str, player: int, over: bool, winner: int | None) -> str:
    grid = render_board(board)
    if over:
        result = "a draw" if winner is None else f"{MARKS[winner]} wins"
        you = "" if winner is None else (" You won." if winner == player else " You lost.")
        return f"{TicTacToe.RULES}Final board:\n{grid}\nGame over: {result}.{you}"
    legal = [CELLS[i] for i in range(9) if board[i] == EMPTY]
    return (
        f"{TicTacToe.RULES}You are {MARKS[player]} (player {player}); your opponent is {MARKS[1 - player]}.\n"
        f"Board (cell numbers on the right, . is empty):\n{grid}\n"
        f"Legal moves: {bracket_list(legal)}\n" + ANSWER_FORMAT.format(example=legal[len(legal) // 2])
    )
