"""Simple Negotiation and Deal or No Deal: offers, trades, private values, zero-sum scoring."""

from __future__ import annotations

import pytest

import zeroplay as zp
from zeroplay.envs.games.deal_or_no_deal import DealOrNoDealState, value_vectors
from zeroplay.envs.games.negotiation import parse_bundle, parse_offer

from .conftest import play


def test_offer_parsing() -> None:
    assert parse_offer("Offer: 3 Sheep, 2 Ore -> 5 Brick") == ((0, 0, 3, 0, 2), (0, 0, 0, 5, 0))
    assert parse_offer("offer I give 1 wheat and 2 woods -> 1 ore") == ((1, 2, 0, 0, 0), (0, 0, 0, 0, 1))
    assert parse_bundle("3 Gold") is None and parse_bundle("3 Sheep please") is None
    with pytest.raises(ValueError):
        parse_offer("Offer: 3 Sheep")


def test_accepted_trade_moves_resources_and_scores_by_private_values() -> None:
    env = zp.make("zeroplay/SimpleNegotiation-v0", max_turns=2)
    env.reset(seed=0)
    state = env.unwrapped.state
    before = [row[:] for row in state.inventory]
    obs, _, _, _, info = env.step("Let's trade. [Offer: 1 Wheat -> 1 Ore]")
    assert "Pending offer to you: you get 1 Wheat and give 1 Ore" in obs
    assert info["view"].split(";")[2] == "offer=0,0,0,0,1>1,0,0,0,0"
    assert info["legal_actions"][:2] == ["Accept", "Deny"]
    obs, reward, terminated, _, info = env.step("[accept]")
    assert terminated
    after = state.inventory
    assert after[0][0] == before[0][0] - 1 and after[0][4] == before[0][4] + 1
    assert after[1][0] == before[1][0] + 1 and after[1][4] == before[1][4] - 1
    g0, g1 = state.gains()
    assert g0 == state.values[0][4] - state.values[0][0] and g1 == state.values[1][0] - state.values[1][4]
    assert info["returns"] == ([1.0, -1.0] if g0 > g1 else [-1.0, 1.0])


def test_offers_must_be_affordable_and_accept_needs_an_offer() -> None:
    env = zp.make("zeroplay/SimpleNegotiation-v0")
    for text in ("[Offer: 500 Ore -> 1 Wheat]", "[Accept]", "[Deny]", "[Offer: 1 Ore -> 1 Ore]"):
        env.reset(seed=0)
        _, _, terminated, _, info = env.step(text)
        assert terminated and info["invalid_move"], text


def test_negotiation_hides_the_opponents_values() -> None:
    env = zp.make("zeroplay/SimpleNegotiation-v0")
    obs, info = env.reset(seed=4)
    state = env.unwrapped.state
    assert f"val={','.join(map(str, state.values[0]))}" in info["view"]
    assert ",".join(map(str, state.values[1])) not in info["view"]
    assert "value" in obs and str(state.start_value[1]) not in obs


def test_no_trade_is_a_draw() -> None:
    env = zp.make("zeroplay/SimpleNegotiation-v0", max_turns=4)
    _, reward, terminated, info = play(env, ["Pass"] * 4)
    assert terminated and info["returns"] == [0.0, 0.0]


def test_deal_values_sum_to_ten_and_pool_is_small() -> None:
    env = zp.make("zeroplay/DealOrNoDeal-v0")
    for seed in range(30):
        env.reset(seed=seed)
        state = env.unwrapped.state
        assert 5 <= sum(state.pool) <= 7
        for values in state.values:
            assert sum(c * v for c, v in zip(state.pool, values)) == 10
    assert all(max(c * x for c, x in zip((1, 2, 3), v)) < 10 for v in value_vectors((1, 2, 3)))


def test_deal_accept_scores_the_difference() -> None:
    state = DealOrNoDealState((2, 1, 2), [(2, 2, 2), (1, 4, 2)])
    state.apply_action("Propose 2 0 0")  # player 0 takes the books
    assert state.offered_to(1) == (0, 1, 2)
    state.apply_action("Accept")
    assert state.is_terminal() and state.scores() == [4, 8]
    assert state.returns() == [-0.4, 0.4]


def test_deal_parser_and_no_deal() -> None:
    env = zp.make("zeroplay/DealOrNoDeal-v0", max_turns=2)
    _, _, terminated, info = play(env, ["propose: 1 books, 0 hats, 0 balls", "Propose 0 0 0"])
    assert terminated and info["returns"] == [0.0, 0.0] and not info.get("invalid_move")
    for text in ("[Accept]", "[Propose 9 0 0]", "[Propose 1 1]"):
        env.reset(seed=0)
        _, _, terminated, _, info = env.step(text)
        assert terminated and info["invalid_move"], text
