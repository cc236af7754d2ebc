"""Kuhn Poker: rules, known values (-1/18), exact exploitability, multi-hand matches."""

from __future__ import annotations

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.envs.games.cfr import PublicTree, exploitability, expected_values, solve
from zeroplay.envs.games.kuhn_poker import (
    KUHN_INFOSETS,
    KuhnPokerState,
    kuhn_equilibrium,
    kuhn_exploitability,
    kuhn_head_to_head,
    kuhn_policy_to_actions,
)

from .conftest import play


@pytest.fixture(scope="module")
def tree() -> PublicTree:
    return PublicTree.build(KuhnPokerState.chance_deals())


def test_public_tree_has_the_twelve_infosets(tree: PublicTree) -> None:
    assert sorted(tree.infoset_keys) == sorted(KUHN_INFOSETS)
    assert tree.chance.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("alpha", [0.0, 1 / 6, 1 / 3])
def test_game_value_is_minus_one_eighteenth(tree: PublicTree, alpha: float) -> None:
    v0, v1 = expected_values(tree, kuhn_policy_to_actions(kuhn_equilibrium(alpha)))
    assert v0 == pytest.approx(-1 / 18, abs=1e-12) and v1 == pytest.approx(1 / 18, abs=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1 / 6, 1 / 3])
def test_equilibrium_is_unexploitable(alpha: float) -> None:
    assert kuhn_exploitability(kuhn_equilibrium(alpha)) < 1e-3
    assert abs(kuhn_exploitability(kuhn_equilibrium(alpha))) < 1e-12


def test_exploitability_of_known_policies() -> None:
    assert kuhn_exploitability({}) == pytest.approx(11 / 24)  # uniform random
    always_bet = {k: 1.0 for k in KUHN_INFOSETS}
    assert kuhn_exploitability(always_bet) == pytest.approx(1 / 3)  # worked out by hand: each best response wins 1/3
    # a small deviation from equilibrium is exploitable, a little
    nudged = {**kuhn_equilibrium(0.0), "Qb": 0.5}
    assert 0 < kuhn_exploitability(nudged) < 0.1


def test_cfr_converges_below_1e3(tree: PublicTree) -> None:
    table = solve(tree, iterations=1000)
    assert exploitability(tree, table) < 1e-3
    v0, _ = expected_values(tree, tree.policy(table))
    assert v0 == pytest.approx(-1 / 18, abs=2e-3)
    policy = tree.policy(table)
    assert policy["Kb"]["call"] > 0.99 and policy["Jb"]["fold"] > 0.99  # dominated choices gone
    assert policy["Jp"]["bet"] == pytest.approx(1 / 3, abs=0.02)  # player 2's bluff rate is unique


def test_policy_validation_names_the_infoset() -> None:
    with pytest.raises(ValueError, match="'Kb'"):
        kuhn_exploitability({"Kb": 1.5})
    with pytest.raises(ValueError, match="unknown Kuhn infosets"):
        kuhn_exploitability({"Xpb": 0.5})


def test_views_are_the_infoset_strings_and_hide_the_opponent_card() -> None:
    env = zp.make("zeroplay/KuhnPoker-v0")
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        state = env.unwrapped.state
        mine, theirs = "JQK"[state.cards[0]], "JQK"[state.cards[1]]
        assert info["view"] == mine and f"Your card: {mine}" in obs
        assert f"Your card: {theirs}" not in obs
        obs, _, _, _, info = env.step("[bet]")
        assert info["view"] == theirs + "b" and info["legal_actions"] == ["fold", "call"]
        assert f"Your card: {theirs}" in obs and "player 0 bets" in obs


@pytest.mark.parametrize("moves, returns", [
    (["check", "check"], None),  # showdown for 1
    (["bet", "fold"], [1.0, -1.0]),
    (["check", "bet", "fold"], [-1.0, 1.0]),
    (["bet", "call"], None),  # showdown for 2
    (["check", "bet", "call"], None),
])
def test_hand_outcomes(moves: list[str], returns: list[float] | None) -> None:
    env = zp.make("zeroplay/KuhnPoker-v0")
    for seed in range(6):
        obs, reward, terminated, info = play(env, moves, seed)
        assert terminated
        if returns is None:
            cards = env.unwrapped.state.cards
            amount = 1.0 if moves == ["check", "check"] else 2.0
            expected = [amount, -amount] if cards[0] > cards[1] else [-amount, amount]
            assert info["returns"] == expected
            assert "cards: player 0" in obs  # showdown reveals the cards
        else:
            assert info["returns"] == returns
            assert "cards: player" not in obs  # a fold shows nothing


def test_multi_hand_match_alternates_first_player_and_sums_chips() -> None:
    env = zp.make("zeroplay/KuhnPoker-v0", hands=4)
    obs, info = env.reset(seed=3)
    firsts, total = [], 0
    while True:
        if info["view"][1:] == "":
            firsts.append(info["player"])
        obs, reward, terminated, _, info = env.step("[check]" if "check" in info["legal_actions"] else "[call]")
        total += 1
        if terminated:
            break
    assert firsts == [0, 1, 0, 1]
    assert total == 8  # check-check each hand
    assert sum(info["returns"]) == 0 and all(r == int(r) for r in info["returns"])
    assert obs.count("hand ") >= 4 and "Game over" in obs


def test_hands_must_be_positive() -> None:
    with pytest.raises(Exception, match="hands must be >= 1"):
        zp.make("zeroplay/KuhnPoker-v0", hands=0)


def test_head_to_head_of_symmetric_matchups() -> None:
    assert kuhn_head_to_head({}) == pytest.approx((0.0, 0.5))  # uniform vs uniform (no draws in Kuhn)
    ret, win = kuhn_head_to_head(kuhn_equilibrium(1 / 6), kuhn_equilibrium(1 / 6))
    assert ret == pytest.approx(0.0, abs=1e-12)  # -1/18 in one seat, +1/18 in the other
    assert 0.0 < win < 1.0


def test_head_to_head_equals_what_many_played_games_measure() -> None:
    """The exact figures against a Monte Carlo estimate from the real env (within 4 standard errors)."""
    policy = kuhn_equilibrium(1 / 6)
    exact_return, exact_win = kuhn_head_to_head(policy)  # against the uniformly random player
    assert exact_return > 0.1  # an equilibrium wins chips from random play
    env = zp.make("zeroplay/KuhnPoker-v0")
    rng = np.random.default_rng(0)
    mine = []
    for g in range(20_000):
        seat = g % 2
        _, info = env.reset(seed=g)
        while True:
            legal = info["legal_actions"]
            if info["player"] == seat:
                move = legal[1] if rng.random() < policy[info["view"]] else legal[0]
            else:
                move = legal[int(rng.integers(len(legal)))]
            _, _, done, _, info = env.step(f"[{move}]")
            if done:
                mine.append(info["returns"][seat])
                break
    mine = np.array(mine)
    se = mine.std() / np.sqrt(len(mine))
    assert abs(mine.mean() - exact_return) < 4 * se
    assert abs((mine > 0).mean() - exact_win) < 4 * np.sqrt(exact_win * (1 - exact_win) / len(mine))
