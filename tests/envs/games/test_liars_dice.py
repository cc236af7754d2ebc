"""Liar's Dice: raises, calls, losing dice, hidden dice."""

from __future__ import annotations

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.envs.games.liars_dice import LiarsDiceState, raises


def test_raises_are_higher_quantity_or_same_quantity_higher_face() -> None:
    assert raises(4, 0, 0)[:2] == ["Bid: 1, 1", "Bid: 1, 2"] and "Call" not in raises(4, 0, 0)
    after = raises(4, 2, 5)
    assert after[:3] == ["Bid: 2, 6", "Bid: 3, 1", "Bid: 3, 2"] and after[-1] == "Call"
    assert "Bid: 2, 4" not in after and "Bid: 5, 1" not in after  # lower, and more dice than exist
    assert raises(4, 4, 6) == ["Call"]


def test_call_takes_a_die_from_the_right_player() -> None:
    state = LiarsDiceState(np.random.default_rng(0), num_dice=2)
    state.dice = [[3, 3], [3, 5]]
    state.apply_action("Bid: 3, 3")  # player 0: true (three 3s)
    state.apply_action("Call")  # player 1 calls and loses a die
    assert state.counts == [2, 1] and state.starter == 1 and state.bids == []
    assert "3 shown" in state.log[-1]
    state.dice = [[1, 2], [6]]
    state.apply_action("Bid: 1, 6")  # player 1 opens: true
    state.apply_action("Bid: 2, 6")  # player 0 over-bids: false
    state.apply_action("Call")  # player 1 calls: player 0 loses a die
    assert state.counts == [1, 1]


def test_game_ends_when_a_player_has_no_dice() -> None:
    env = zp.make("zeroplay/LiarsDice-v0", num_dice=1)
    obs, info = env.reset(seed=3)
    state = env.unwrapped.state
    total_sixes = sum(d.count(6) for d in state.dice)
    env.step("[Bid: 2, 6]")
    obs, reward, terminated, _, info = env.step("I doubt it. [call]")
    assert terminated
    bidder_lost = total_sixes < 2
    assert info["returns"] == ([-1.0, 1.0] if bidder_lost else [1.0, -1.0])
    assert "Game over" in obs


def test_views_and_observations_hide_the_opponents_dice() -> None:
    env = zp.make("zeroplay/LiarsDice-v0")
    for seed in range(10):
        obs, info = env.reset(seed=seed)
        state = env.unwrapped.state
        assert info["view"].startswith("dice=" + ",".join(map(str, state.dice[0])) + ";counts=5,5;bids=")
        assert f"Your dice: {','.join(map(str, state.dice[0]))}." in obs
        if state.dice[0] != state.dice[1]:
            assert ",".join(map(str, state.dice[1])) not in obs


def test_loose_bid_forms_parse_and_illegal_bids_lose() -> None:
    env = zp.make("zeroplay/LiarsDice-v0")
    env.reset(seed=0)
    _, _, _, _, info = env.step("[bid 3 4]")
    assert info["view"].endswith("bids=3x4") and not info.get("invalid_move")
    for bad in ("[Bid: 3, 4]", "[Bid: 2, 6]", "[Bid: 11, 1]", "[Bid: 4, 7]", "[bid 4]"):
        env.reset(seed=0)
        env.step("[Bid: 3, 4]")
        _, _, terminated, _, info = env.step(bad)
        assert terminated and info["invalid_move"], bad
    env.reset(seed=0)
    _, _, terminated, _, info = env.step("[Call]")
    assert terminated and info["invalid_move"]  # nothing to call yet


def test_num_dice_checked() -> None:
    with pytest.raises(Exception, match="num_dice"):
        zp.make("zeroplay/LiarsDice-v0", num_dice=0)
