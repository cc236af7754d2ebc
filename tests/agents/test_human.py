"""The ``human`` agent, driven through a pseudo-terminal as a person would drive it."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

from zeroplay.agents.human import HumanAgent
from zeroplay.core.errors import AgentError

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")


class Terminal:
    """A child process on a pty: read what it shows, type lines into it."""

    def __init__(self, argv: list[str]):
        self.master, slave = pty.openpty()
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "TRANSFORMERS_VERBOSITY": "error"}
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = ""

    def read_until(self, pattern: str, timeout: float = 60.0) -> str:
        """Everything shown until ``pattern`` appears (or the process ends / time runs out)."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.seen) and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                self.seen += ANSI.sub("", chunk.decode("utf-8", "replace"))
            elif self.proc.poll() is not None:
                break
        return self.seen

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            os.close(self.master)


AGENT_ON_PTY = """
from zeroplay.agents.human import HumanAgent
obs = ["Board: pick a cell", "What is 6 * 7?"]
infos = [{"player": 0, "legal_actions": ["a1", "b2"]}, {}]
print("ACTIONS", HumanAgent().act(obs, infos), flush=True)
"""


def test_agent_through_a_pty() -> None:
    term = Terminal([sys.executable, "-c", AGENT_ON_PTY])
    screen = term.read_until(r"legal: \[a1\] \[b2\]")
    assert "game 1 of 2 (you are player 0)" in screen and "Board: pick a cell" in screen
    term.type("c3")  # not legal: asked again
    assert "'c3' is not a legal move" in term.read_until("not a legal move")
    term.type("  B2 ")  # bare, odd case and spaces: matched to the legal move
    assert "What is 6 * 7?" in term.read_until("type your answer")
    term.type("the answer is 42")
    assert "ACTIONS ['[b2]', 'the answer is 42']" in term.read_until("ACTIONS .*\\]")
    assert term.close() == 0


def test_quit_and_end_of_input() -> None:
    with pytest.raises(AgentError, match="quit"):
        HumanAgent(io.StringIO(":q\n"), io.StringIO()).act(["obs"], [{}])
    with pytest.raises(AgentError, match="closed the input"):
        HumanAgent(io.StringIO(""), io.StringIO()).act(["obs"], [{"legal_actions": ["1"]}])


def test_play_tictactoe_against_minimax_through_a_pty() -> None:
    pytest.importorskip("zeroplay.agents.game_solvers")
    term = Terminal(
        [
            sys.executable,
            "-m",
            "zeroplay.cli",
            "play",
            "zeroplay/TicTacToe-v0",
            "--agents",
            "human,minimax",
            "-n",
            "1",
            "--batch",
            "1",
        ]
    )
    prompt = r"legal: ((?:\[\d\] ?)+); :q quits"
    moves = 0
    while True:
        # wait for a new prompt, or for the results table once the game is over
        seen = moves
        screen = term.read_until(rf"(?s)(?:{prompt}.*){{{seen + 1}}}|losses", timeout=60)
        prompts = re.findall(prompt, screen)
        if len(prompts) <= moves:
            break
        term.type(re.findall(r"\[(\d)\]", prompts[-1])[0])  # the first legal cell
        moves += 1
        assert moves <= 5, screen
    screen = term.read_until(r"losses", timeout=60)
    assert term.close() == 0, screen
    assert moves >= 3 and "you are player 0" in screen
    assert re.search(r"0: human .*\n.*1: minimax", screen), screen
    # minimax never loses TicTacToe: the human's row shows 0 wins
    assert re.search(r"0: human\s*│[^│]*│\s*0\s*│", screen), screen
