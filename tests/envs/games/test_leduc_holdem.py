"""Leduc Hold'em: rules, the known game value and CFR+ exploitability."""

from __future__ import annotations

import pytest

import zeroplay as zp
from zeroplay.envs.games.cfr import PublicTree, exploitability, expected_values, solve
from zeroplay.envs.games.leduc_holdem import LeducHoldemState, leduc_exploitability, leduc_tree

from .conftest import play


@pytest.fixture(scope="module")
def tree() -> PublicTree:
    return PublicTree.build(LeducHoldemState.chance_deals())


def test_tree_size_and_uniform_exploitability(tree: PublicTree) -> None:
    assert len(tree.infoset_keys) == 288  # the standard count for Leduc
    # uniform random play: NashConv 4.7472 (published with OpenSpiel), so exploitability 2.3736
    assert exploitability(tree, {}) == pytest.approx(4.747222222 / 2, abs=1e-6)


def test_cfr_plus_reaches_low_exploitability_and_the_known_value(tree: PublicTree) -> None:
    table = solve(tree, iterations=400)
    assert exploitability(tree, table) < 2e-3
    v0, v1 = expected_values(tree, tree.policy(table))
    assert v0 == pytest.approx(-0.0856, abs=5e-3) and v0 == -v1  # the first player's known disadvantage


def test_fold_loses_what_was_put_in() -> None:
    env = zp.make("zeroplay/LeducHoldem-v0")
    _, reward, terminated, info = play(env, ["bet", "raise", "fold"])
    assert terminated and info["returns"] == [-3.0, 3.0]  # player 0 put in ante 1 + bet 2, then folded to the raise
    _, reward, terminated, info = play(env, ["bet", "fold"])
    assert info["returns"] == [1.0, -1.0]


def test_raises_capped_at_two_per_round_and_board_shown_in_round_two() -> None:
    env = zp.make("zeroplay/LeducHoldem-v0")
    obs, info = env.reset(seed=5)
    for move in ("bet", "raise"):
        obs, _, _, _, info = env.step(f"[{move}]")
    assert info["legal_actions"] == ["fold", "call"]
    assert "Board card: not shown yet" in obs
    obs, _, _, _, info = env.step("[call]")
    state = env.unwrapped.state
    assert info["view"] == "JQK"[state.cards[0]] + "JQK"[state.cards[2]] + ":brc/"
    assert f"Board card: {'JQK'[state.cards[2]]}" in obs
    assert info["legal_actions"] == ["check", "bet"]


def test_showdown_pairs_beat_high_cards() -> None:
    for deal, winner in [((0, 2, 0), 0), ((2, 1, 1), 1), ((2, 1, 0), 0), ((1, 1, 2), None)]:
        state = LeducHoldemState(None, deal=deal)
        for move in ("check", "check", "bet", "call"):
            state.apply_action(move)
        assert state.is_terminal()
        r = state.returns()
        assert r == ([0.0, 0.0] if winner is None else ([5.0, -5.0] if winner == 0 else [-5.0, 5.0]))


def test_opponent_card_hidden_until_showdown() -> None:
    env = zp.make("zeroplay/LeducHoldem-v0")
    for seed in range(10):
        obs, info = env.reset(seed=seed)
        state = env.unwrapped.state
        assert f"Your card: {'JQK'[state.cards[0]]}" in obs and "cards: player" not in obs
        assert ":" in info["view"] and len(info["view"].split(":")[0]) == 1


def test_leduc_exploitability_by_infoset_names() -> None:
    assert leduc_exploitability({}) == pytest.approx(4.747222222 / 2, abs=1e-6)
    assert len(leduc_tree().infoset_keys) == 288 and "K:" in leduc_tree().infoset_keys
    always_call = {k: {"call": 1.0, "check": 1.0} for k in leduc_tree().infoset_keys}
    assert leduc_exploitability(always_call) > 0.5  # never folding, never betting: easy to exploit
