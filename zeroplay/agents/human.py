"""``human``: a person at the terminal.

    zeroplay play zeroplay/TicTacToe-v0 --agents human,minimax

Each observation is shown, then one line is read. Where the env lists legal moves
(``info["legal_actions"]``), a bare move (``4``) is accepted as well as a bracketed one
(``[4]``), and a move that is not legal is asked for again instead of forfeiting the game;
elsewhere the line is sent as typed. ``:q`` (or end of input) quits: :class:`HumanQuit`, which
``zeroplay play`` answers with the tally of the games finished so far.

Guarantees: reads only whole lines; never sends an illegal move where legal moves are known.
Does not: offer line editing beyond the terminal's own, or a time limit.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

from zeroplay.agents.base import Agent, infos_or_empty
from zeroplay.core.env import last_bracketed
from zeroplay.core.errors import AgentError

QUIT = ":q"
_RULE = "─" * 60


class HumanQuit(AgentError):
    """The person typed ``:q`` or closed the input: not a failure, the end of the session."""


class HumanAgent(Agent):
    """Asks the person at ``stdin``/``stdout`` (by default the process's own) for each move."""

    name = "human"
    #: a person types at the terminal: callers hide live displays (progress bars) meanwhile
    interactive = True

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None):
        self._stdin, self._stdout = stdin, stdout

    @property
    def stdin(self) -> TextIO:
        return self._stdin or sys.stdin  # looked up late: a caller may redirect sys.stdin/stdout

    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        infos = infos_or_empty(observations, infos)
        return [self._ask(obs, info, k, len(observations)) for k, (obs, info) in enumerate(zip(observations, infos))]

    def _ask(self, observation: str, info: dict[str, Any], k: int, n: int) -> str:
        header = f"game {k + 1} of {n}" if n > 1 else "your turn"
        if "player" in info:
            header += f" (you are player {info['player']})"
        self._say(f"{_RULE}\n{header}\n{observation}")
        legal = [str(a) for a in info.get("legal_actions") or []]
        while True:
            hint = f"legal: {' '.join(f'[{a}]' for a in legal)}" if legal else "type your answer"
            self._say(f"{hint}; {QUIT} quits\n> ")
            line = self.stdin.readline()
            if not line or line.strip() == QUIT:
                raise HumanQuit("the human player quit (typed :q or closed the input)")
            text = line.rstrip("\n")
            if not legal:
                return text
            move = _match(text, legal)
            if move is not None:
                return f"[{move}]"
            self._say(f"{text.strip()!r} is not a legal move here.\n")

    def _say(self, text: str) -> None:
        self.stdout.write(text if text.endswith(("\n", "> ")) else text + "\n")
        self.stdout.flush()


def _match(text: str, legal: list[str]) -> str | None:
    """The legal move the person meant: bracketed or bare, case and spacing ignored."""
    candidate = last_bracketed(text) or text
    key = " ".join(candidate.lower().split())
    return next((a for a in legal if " ".join(a.lower().split()) == key), None)
