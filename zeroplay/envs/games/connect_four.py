"""Connect Four: drop discs into columns of an upright grid; four in a line wins.

Player 0 is X and moves first. A move is a column number, written ``[3]``. Kwargs ``rows`` and
``columns`` (default 6 x 7). Returns: winner +1, loser -1, full board 0.
``info["view"]`` is the grid, top row first, rows separated by ``/`` (``X``, ``O``, ``.``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import ClassVar

import numpy as np

from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv, bracket_list

MARKS = ("X", "O")
EMPTY = "."
DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


class ConnectFourState(Game):
    """``grid[r][c]``, row 0 at the bottom (rows are strings); ``heights[c]`` discs in column c.

    ``shown[r]`` is row r as the renderer prints it, kept in step with ``grid`` so a move
    re-renders one row, not the board."""

    name: ClassVar[str] = "ConnectFour"

    def __init__(self, rows: int = 6, columns: int = 7):
        self.rows, self.columns = rows, columns
        self.grid = [EMPTY * columns] * rows
        self.shown = [" ".join(EMPTY * columns)] * rows
        self.heights = [0] * columns
        self.moves = 0
        self.winner: int | None = None
        self._names = [str(c) for c in range(columns)]
        self._legal: list[str] | None = None

    @classmethod
    def from_view(cls, view: str) -> ConnectFourState:
        lines = view.split("/")
        if not lines or len({len(x) for x in lines}) != 1 or set(view) - {"X", "O", EMPTY, "/"}:
            raise ValueError(f"a ConnectFour view is rows of X, O and '.' separated by '/', got {view[:80]!r}")
        state = cls(len(lines), len(lines[0]))
        for r, line in enumerate(reversed(lines)):
            state.grid[r], state.shown[r] = line, " ".join(line)
            for c, mark in enumerate(line):
                if mark != EMPTY:
                    state.heights[c] = r + 1
                    state.moves += 1
        return state

    def current_player(self) -> int:
        return self.moves % 2

    def legal_actions(self) -> list[str]:
        if self._legal is None:
            top = self.rows
            self._legal = [self._names[c] for c, h in enumerate(self.heights) if h < top]
        return self._legal

    def apply_action(self, action: str) -> None:
        c = int(action)
        r = self.heights[c]
        mark = MARKS[self.moves % 2]
        row = self.grid[r][:c] + mark + self.grid[r][c + 1:]
        self.grid[r], self.shown[r] = row, " ".join(row)
        self.heights[c] = r + 1
        self.moves += 1
        self._legal = None
        if self.line_length(r, c) >= 4:
            self.winner = MARKS.index(mark)

    def line_length(self, r: int, c: int) -> int:
        """Longest line through (r, c) of the disc there."""
        grid, mark, best = self.grid, self.grid[r][c], 1
        for dr, dc in DIRECTIONS:
            n = 1
            for sign in (1, -1):
                rr, cc = r + sign * dr, c + sign * dc
                while 0 <= rr < self.rows and 0 <= cc < self.columns and grid[rr][cc] == mark:
                    n += 1
                    rr, cc = rr + sign * dr, cc + sign * dc
            best = max(best, n)
        return best

    def is_terminal(self) -> bool:
        return self.winner is not None or self.moves == self.rows * self.columns

    def returns(self) -> list[float]:
        if self.winner is None:
            return [0.0, 0.0]
        return [1.0, -1.0] if self.winner == 0 else [-1.0, 1.0]

    def view(self, player: int) -> str:
        return "/".join(reversed(self.grid))

    def clone(self) -> ConnectFourState:
        new = ConnectFourState.__new__(ConnectFourState)
        new.__dict__.update(self.__dict__)
        new.grid, new.shown, new.heights = self.grid[:], self.shown[:], self.heights[:]
        new._legal = None
        return new

    def heuristic(self, player: int) -> float:
        """A cheap score in (-1, 1) for depth-limited search: open windows of 4 weighted by how full."""
        me, them = MARKS[player], MARKS[1 - player]
        flat = "".join(self.grid)
        score = 0
        for a, b, c, d in windows(self.rows, self.columns):
            w = flat[a] + flat[b] + flat[c] + flat[d]
            mine, theirs = w.count(me), w.count(them)
            if not theirs:
                score += mine * mine
            elif not mine:
                score -= theirs * theirs
        return math.tanh(score / 100.0) * 0.9


@lru_cache(maxsize=64)
def windows(rows: int, columns: int) -> list[tuple[int, int, int, int]]:
    """Every line of four cells of a grid, as indices into the rows joined bottom-up."""
    out = []
    for r in range(rows):
        for c in range(columns):
            for dr, dc in DIRECTIONS:
                if 0 <= r + 3 * dr < rows and 0 <= c + 3 * dc < columns:
                    out.append(tuple((r + i * dr) * columns + c + i * dc for i in range(4)))
    return out


class ConnectFour(GameEnv):
    """``zeroplay/ConnectFour-v0``: see the module docstring."""

    def __init__(self, rows: int = 6, columns: int = 7, **kwargs):
        super().__init__(**kwargs)
        if rows < 4 or columns < 4 or rows > 20 or columns > 20:
            raise ValueError(f"rows and columns must be between 4 and 20, got {rows} x {columns}")
        self.rows, self.columns = rows, columns
        self.rules = (
            f"Connect Four on a {rows}-row, {columns}-column grid. Players take turns dropping a disc into a "
            "column; it falls to the lowest empty row. The first to line up four discs (across, down or "
            "diagonally) wins; a full grid is a draw.\n"
        )
        self._header = " ".join(str(c % 10) for c in range(columns))
        self._intro = [
            f"{self.rules}You are {MARKS[p]} (player {p}); your opponent is {MARKS[1 - p]}.\n"
            "Grid (column numbers on top, . is empty):\n"
            for p in (0, 1)
        ]

    def new_state(self, rng: np.random.Generator) -> ConnectFourState:
        return ConnectFourState(self.rows, self.columns)

    def render_grid(self, state: ConnectFourState) -> str:
        return self._header + "\n" + "\n".join(reversed(state.shown))

    def observe(self, state: ConnectFourState, player: int) -> str:
        grid = self.render_grid(state)
        if state.is_terminal():
            result = "a draw" if state.winner is None else f"{MARKS[state.winner]} wins"
            you = "" if state.winner is None else (" You won." if state.winner == player else " You lost.")
            return f"{self.rules}Final grid:\n{grid}\nGame over: {result}.{you}"
        return self._intro[player] + grid + _moves_text(tuple(state.legal_actions()))


@lru_cache(maxsize=1024)
def _moves_text(legal: tuple[str, ...]) -> str:
    return f"\nLegal moves (columns): {bracket_list(list(legal))}\n" + ANSWER_FORMAT.format(example=legal[len(legal) // 2])
