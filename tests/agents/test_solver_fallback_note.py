"""Solver agents on games they do not solve: the random moves are counted, said in one line under
``zeroplay play``'s results (and in ``--json``), refused with ``strict=True``, and the listing's
descriptions say which games each solves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import zeroplay as zp
from zeroplay import agents
from zeroplay.agents.play import fallback_notes, run_episodes
from zeroplay.cli import main
from zeroplay.core import AgentError, GameState, TurnBasedEnv

SOLVERS = ["minimax", "nash", "cfr", "negotiator"]


class CountState(GameState):
    """Add 1 or 2 to a running total; whoever reaches the target wins (a game no solver knows)."""

    num_players = 2

    def __init__(self, target: int = 5):
        self.total, self.player, self.target, self.winner = 0, 0, target, None

    def current_player(self) -> int:
        return self.player

    def legal_actions(self) -> list[str]:
        return [str(k) for k in (1, 2) if self.total + k <= self.target]

    def apply_action(self, action: str) -> None:
        self.total += int(action)
        if self.total == self.target:
            self.winner = self.player
        self.player = 1 - self.player

    def is_terminal(self) -> bool:
        return self.winner is not None

    def returns(self) -> list[float]:
        return [1.0 if self.winner == p else -1.0 for p in range(2)]


class CountTo5(TurnBasedEnv):
    """Players add 1 or 2 to a running total; who reaches 5 wins."""

    def new_state(self, rng):
        return CountState()

    def observe(self, state, player):
        return f"Total is {state.total}. Say " + " ".join(f"[{a}]" for a in state.legal_actions())


COUNT = "tests/CountTo5-v0"


@pytest.fixture(autouse=True)
def _count_game() -> None:
    zp.register(COUNT, entry_point=CountTo5)


def test_minimax_on_an_unsolved_game_counts_every_move_as_random() -> None:
    mm = agents.make("minimax", seed=0)
    run_episodes(lambda: zp.make(COUNT), [mm, agents.make("random", seed=1)], 10, batch=4)
    assert mm.moves > 0 and mm.fallbacks == mm.moves
    assert mm.fallback_note() == (f"minimax played {mm.moves} of {mm.moves} moves at random: "
                                  "the game is not one it solves (TicTacToe, ConnectFour, Nim)")
    assert fallback_notes(["minimax", "random"], [mm, agents.make("random")]) == [f"note: 0: {mm.fallback_note()}"]


def test_no_note_on_games_the_solvers_solve() -> None:
    mm, nash = agents.make("minimax", seed=0), agents.make("nash", seed=0)
    run_episodes(lambda: zp.make("zeroplay/TicTacToe-v0"), [mm, agents.make("random", seed=1)], 4)
    run_episodes(lambda: zp.make("zeroplay/KuhnPoker-v0"), [agents.make("random", seed=1), nash], 20)
    assert mm.moves > 0 and nash.moves > 0
    assert fallback_notes(["minimax", "nash"], [mm, nash]) == []


def test_mixed_reasons_are_counted_apart() -> None:
    nash = agents.make("nash", seed=0)
    kuhn = {"game": "KuhnPoker", "view": "no such infoset", "legal_actions": ["check", "bet"]}
    nash.act(["-"] * 3, [kuhn, {"legal_actions": ["a"]}, {"legal_actions": ["a"]}])
    assert nash.fallback_reasons == {"unreadable position": 1, "unsolved game": 2}
    assert nash.fallback_note("1: nash") == ("1: nash played 3 of 3 moves at random: 1 for positions it could not "
                                             "read; 2 for the game is not one it solves (KuhnPoker, LeducHoldem)")


@pytest.mark.parametrize("name", SOLVERS)
def test_strict_solvers_refuse_games_they_do_not_solve(name: str) -> None:
    agent = agents.make(name, seed=0, strict=True)
    refused = rf"{agent.name} does not solve the game 'Chess'; it solves .*drop strict=True"
    with pytest.raises(AgentError, match=refused):
        agent.act(["-"], [{"game": "Chess", "view": "?", "legal_actions": ["e4"]}])
    with pytest.raises(AgentError, match="this env"):
        agent.act(["-"], [{"legal_actions": ["1", "2"]}])
    assert agent.fallbacks == 0


def test_strict_minimax_still_plays_its_own_games() -> None:
    mm = agents.make("minimax", seed=0, strict=True)
    run_episodes(lambda: zp.make("zeroplay/TicTacToe-v0"), [mm, agents.make("random", seed=1)], 3)
    assert mm.moves > 0 and mm.fallbacks == 0


@pytest.mark.parametrize("name", SOLVERS)
def test_listed_descriptions_name_the_solved_games_and_the_fallback(name: str) -> None:
    description = agents.descriptions()[name]
    assert all(game in description for game in agents.make(name).solves()), description
    assert "random legal moves in any other game" in description


def test_cli_prints_the_note_after_the_results(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "play.json"
    assert main(["play", COUNT, "--agents", "minimax,random", "-n", "6", "--json", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    notes = [line for line in lines if line.startswith("note:")]
    assert len(notes) == 1 and lines[-1] == notes[0]  # one line, after the table
    assert notes[0].startswith("note: 0: minimax played ")
    assert "not one it solves (TicTacToe, ConnectFour, Nim)" in notes[0]
    moves = int(notes[0].split(" played ")[1].split(" of ")[0])
    assert notes[0].split(" of ")[1].startswith(f"{moves} moves at random") and moves >= 6  # every move, >= 1 a game
    assert json.loads(out.read_text())["notes"] == notes
    assert main(["play", "zeroplay/TicTacToe-v0", "--agents", "minimax,random", "-n", "2"]) == 0
    assert "note:" not in capsys.readouterr().out
