"""The ``human`` agent, driven through a pseudo-terminal as a person would drive it."""

from __future__ import annotations

import io
import json
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


PROMPT = r"legal: ((?:\[\d\] ?)+); :q quits"


def play_cli(*args: str) -> Terminal:
    return Terminal([sys.executable, "-m", "zeroplay.cli", "play", *args])


def play_first_legal_cells(term: Terminal, game: int) -> int:
    """Play the first legal cell at each prompt until ``game over`` shows; returns the moves made."""
    moves = 0
    start = rf"game {game - 1} over" if game > 1 else ""
    while True:
        # wait for a new prompt of this game, or for its end
        screen = term.read_until(rf"(?s){start}.*(?:{PROMPT}.*){{{moves + 1}}}|game {game} over", timeout=60)
        screen = screen[screen.index(f"game {game - 1} over"):] if game > 1 else screen
        if f"game {game} over" in screen:
            return moves
        term.type(re.findall(r"\[(\d)\]", re.findall(PROMPT, screen)[-1])[0])  # the first legal cell
        moves += 1
        assert moves <= 5, screen


def test_play_tictactoe_against_minimax_through_a_pty(tmp_path) -> None:
    """A human seat: one game by default, then the final board, the result, and the summary."""
    pytest.importorskip("zeroplay.agents.game_solvers")
    transcripts = tmp_path / "games.jsonl"
    term = play_cli("zeroplay/TicTacToe-v0", "--agents", "human,minimax", "--transcripts", str(transcripts))
    moves = play_first_legal_cells(term, 1)
    screen = term.read_until(r"losses", timeout=60)
    assert term.close() == 0, screen
    assert moves >= 3 and "you are player 0" in screen
    end = screen[screen.index("game 1 over"):]
    assert "Final board:" in end and "O wins. You lost." in end  # the board as the human's seat sees it
    assert "result: you lost (human -1, minimax +1)" in end and "tally: 0 won, 0 drawn, 1 lost" in end
    assert "1 episodes" in end  # one game by default when a human plays
    assert re.search(r"0: human .*\n.*1: minimax", screen), screen
    # minimax never loses TicTacToe: the human's row shows 0 wins
    assert re.search(r"0: human\s*│[^│]*│\s*0\s*│", screen), screen
    [line] = [json.loads(x) for x in transcripts.read_text().splitlines()]
    assert line["agents"] == ["human", "minimax"] and line["returns"] == [-1.0, 1.0]
    human_moves = [s["action"] for s in line["steps"] if s["agent"] == 0]
    assert len(human_moves) == moves and all(re.fullmatch(r"\[\d\]", m) for m in human_moves)
    assert all("Board" in s["observation"] for s in line["steps"]) and "You lost" in line["final_observations"][0]


def test_quit_ends_the_session_with_the_tally_so_far(tmp_path) -> None:
    pytest.importorskip("zeroplay.agents.game_solvers")
    transcripts = tmp_path / "games.jsonl"
    term = play_cli("zeroplay/TicTacToe-v0", "--agents", "human,minimax", "-n", "3", "--transcripts", str(transcripts))
    play_first_legal_cells(term, 1)
    term.read_until(rf"(?s)game 1 over.*{PROMPT}")
    term.type(":q")
    screen = term.read_until(r"losses", timeout=60)
    assert term.close() == 0, screen
    assert "quit after 1 finished game(s)" in screen and "1 episodes" in screen, screen
    assert "Traceback" not in screen and "error" not in screen
    assert len(transcripts.read_text().splitlines()) == 1  # the unfinished game is not saved


def test_a_person_sees_the_full_text_while_the_model_reads_the_view() -> None:
    """``--observation view`` changes what the other seat reads, not what the person is shown."""
    pytest.importorskip("zeroplay.agents.game_solvers")
    term = play_cli("zeroplay/KuhnPoker-v0", "--agents", "human,nash", "--observation", "view")
    screen = term.read_until(r"legal: \[\w+\] \[\w+\]; :q quits")
    assert "Kuhn Poker" in screen and "Your card:" in screen
    term.type(":q")
    screen = term.read_until(r"quit after")
    assert term.close() == 0, screen
    assert "quit after 0 finished game(s)" in screen
