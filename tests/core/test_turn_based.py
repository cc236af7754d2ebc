"""The turn-based protocol of TurnBasedEnv, on a tiny game defined here: players take turns
saying a number 1-2; whoever brings the running total to 4 wins."""

from __future__ import annotations

import numpy as np
import pytest

from zeroplay.core import EpisodeOverError, GameState, TurnBasedEnv, last_bracketed


class RaceState(GameState):
    def __init__(self, first: int):
        self.total, self.player, self.winner = 0, first, None

    def current_player(self) -> int:
        return self.player

    def legal_actions(self) -> list[str]:
        return [str(k) for k in (1, 2) if self.total + k <= 4]

    def apply_action(self, action: str) -> None:
        self.total += int(action)
        if self.total == 4:
            self.winner = self.player
        self.player = 1 - self.player

    def is_terminal(self) -> bool:
        return self.winner is not None

    def returns(self) -> list[float]:
        return [1.0 if p == self.winner else -1.0 for p in (0, 1)]


class RaceTo4(TurnBasedEnv):
    def new_state(self, rng: np.random.Generator) -> RaceState:
        return RaceState(first=int(rng.integers(2)))

    def observe(self, state: RaceState, player: int) -> str:
        return f"You are player {player}. Total {state.total}. Moves: " + " ".join(f"[{a}]" for a in state.legal_actions())


def test_last_bracketed_reads_the_final_move_after_reasoning() -> None:
    assert last_bracketed("I could [1] but I will say [ 2 ]") == "2"
    assert last_bracketed("no move here") is None
    assert last_bracketed("[" * 10000) is None


def test_info_protocol_and_returns_go_to_the_right_player() -> None:
    env = RaceTo4()
    obs, info = env.reset(seed=0)
    first = info["player"]
    assert info["legal_actions"] == ["1", "2"] and f"player {first}" in obs
    _, r, term, _, info = env.step("thinking... [2]")
    assert (r, term, info["player"]) == (0.0, False, 1 - first)
    _, r, term, _, info = env.step("[2]")  # the second player reaches 4 and wins
    assert term and r == 1.0
    assert info["returns"][1 - first] == 1.0 and info["returns"][first] == -1.0
    assert sum(info["returns"]) == 0
    with pytest.raises(EpisodeOverError):
        env.step("[1]")


@pytest.mark.parametrize("bad", ["", "[7]", "no brackets", "x" * 100_000, None, 42])
def test_an_invalid_move_loses_by_default(bad) -> None:
    env = RaceTo4()
    _, info = env.reset(seed=1)
    offender = info["player"]
    _, r, term, _, info = env.step(bad)
    assert term and info["invalid_move"] and r == -1.0
    assert info["offender"] == offender and info["returns"][1 - offender] == 1.0 and sum(info["returns"]) == 0
    assert info["reason"]


def test_retries_show_the_error_then_lose_when_spent() -> None:
    env = RaceTo4(invalid_move_retries=2)
    _, info = env.reset(seed=1)
    offender = info["player"]
    obs, r, term, _, info = env.step("[9]")
    assert not term and info["invalid_move"] and info["retries_left"] == 1 and info["player"] == offender
    assert obs.startswith("Invalid move: [9] is not a legal move")
    env.step("[9]")
    _, r, term, _, info = env.step("[9]")
    assert term and r == -1.0 and info["offender"] == offender


def test_a_legal_move_restores_the_retry_budget() -> None:
    env = RaceTo4(invalid_move_retries=1)
    env.reset(seed=1)
    env.step("[x]")
    _, _, term, _, _ = env.step("[1]")
    assert not term
    _, _, term, _, info = env.step("[x]")
    assert not term and info["retries_left"] == 0


def test_moves_are_case_and_space_insensitive_and_penalty_is_configurable() -> None:
    env = RaceTo4(invalid_move_penalty=-1.5)
    env.reset(seed=0)
    assert env.step("[ 1 ]")[2] is False
    _, r, term, _, info = env.step("[3]")
    assert term and r == -1.5 and sorted(info["returns"]) == [-1.5, 1.5]
