"""TicTacToe, Connect Four and Nim: rules, views, parsing."""

from __future__ import annotations

import pytest

import zeroplay as zp
from zeroplay.envs.games.connect_four import ConnectFourState
from zeroplay.envs.games.nim import NimState
from zeroplay.envs.games.tictactoe import TicTacToeState

from .conftest import play


@pytest.mark.parametrize("moves, winner", [
    (["0", "3", "1", "4", "2"], 0),  # top row
    (["0", "1", "3", "4", "8", "7"], 1),  # middle column
    (["2", "0", "4", "1", "6"], 0),  # anti-diagonal
])
def test_tictactoe_wins(moves: list[str], winner: int) -> None:
    env = zp.make("zeroplay/TicTacToe-v0")
    obs, reward, terminated, info = play(env, moves)
    assert terminated and reward == 1.0
    assert info["returns"] == ([1.0, -1.0] if winner == 0 else [-1.0, 1.0])
    assert "You won." in obs


def test_tictactoe_draw_and_occupied_cell() -> None:
    env = zp.make("zeroplay/TicTacToe-v0")
    obs, reward, terminated, info = play(env, ["0", "1", "2", "4", "3", "5", "7", "6", "8"])
    assert terminated and info["returns"] == [0.0, 0.0] and "a draw" in obs
    obs, reward, terminated, info = play(env, ["4", "4"])
    assert terminated and info["invalid_move"] and info["offender"] == 1 and "not a legal move" in info["reason"]


def test_tictactoe_view_round_trips() -> None:
    env = zp.make("zeroplay/TicTacToe-v0")
    _, _, _, info = play(env, ["4", "0"])
    assert info["view"] == "O...X...."
    state = TicTacToeState.from_view(info["view"])
    assert state.current_player() == 0 and state.legal_actions() == ["1", "2", "3", "5", "6", "7", "8"]
    with pytest.raises(ValueError, match="9 characters"):
        TicTacToeState.from_view("XO")


def test_connect_four_vertical_and_diagonal_wins() -> None:
    env = zp.make("zeroplay/ConnectFour-v0")
    obs, reward, terminated, info = play(env, ["3", "4", "3", "4", "3", "4", "3"])
    assert terminated and info["returns"] == [1.0, -1.0]
    # X builds a diagonal 0,1,2,3 from the bottom left
    moves = ["0", "1", "1", "2", "2", "3", "2", "3", "3", "6", "3"]
    obs, reward, terminated, info = play(env, moves)
    assert terminated and info["returns"] == [1.0, -1.0]


def test_connect_four_full_column_and_view() -> None:
    env = zp.make("zeroplay/ConnectFour-v0", rows=4, columns=5)
    _, _, terminated, info = play(env, ["0", "0", "0", "0"])
    assert not terminated and "0" not in info["legal_actions"]
    assert info["view"] == "O..../X..../O..../X...."
    state = ConnectFourState.from_view(info["view"])
    assert state.heights == [4, 0, 0, 0, 0] and state.current_player() == 0
    obs, reward, terminated, _, info = env.step("[0]")
    assert terminated and info["invalid_move"]


def test_connect_four_size_checked() -> None:
    with pytest.raises(Exception, match="between 4 and 20"):
        zp.make("zeroplay/ConnectFour-v0", rows=3)


def test_nim_last_object_wins_and_misere() -> None:
    env = zp.make("zeroplay/Nim-v0", piles=[1, 2])
    _, reward, terminated, info = play(env, ["1 2", "0 1"])
    assert terminated and info["returns"] == [-1.0, 1.0] and reward == 1.0
    env = zp.make("zeroplay/Nim-v0", piles=[1, 2], misere=True)
    _, reward, terminated, info = play(env, ["1 2", "0 1"])
    assert info["returns"] == [1.0, -1.0]
    assert NimState.from_view("1,0;misere").misere


def test_nim_parser_accepts_loose_forms_but_not_illegal_ones() -> None:
    env = zp.make("zeroplay/Nim-v0")
    for text in ("[pile 2 take 3]", "[2, 3]", "I take three: [2 3]"):
        env.reset(seed=0)
        _, _, _, _, info = env.step(text)
        assert not info.get("invalid_move") and info["view"] == "3,4,2"
    for text in ("[0 4]", "[3 1]", "[1 0]", "[one two]"):
        env.reset(seed=0)
        _, _, terminated, _, info = env.step(text)
        assert terminated and info["invalid_move"], text
