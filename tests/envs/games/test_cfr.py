"""cfr: which games have a public tree, the tree's representative states, and score_policy."""

from __future__ import annotations

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.envs.games.cfr import head_to_head, public_tree, score_policy


@pytest.mark.parametrize("env_id, infosets", [("zeroplay/KuhnPoker-v0", 12), ("zeroplay/LeducHoldem-v0", 288)])
def test_poker_games_have_a_tree_built_once(env_id: str, infosets: int) -> None:
    tree = public_tree(zp.make(env_id))
    assert tree is not None and len(tree.infoset_keys) == infosets
    assert public_tree(zp.make(env_id)) is tree  # cached per game


@pytest.mark.parametrize("env_id, kwargs", [("zeroplay/TicTacToe-v0", {}), ("zeroplay/SimpleNegotiation-v0", {}),
                                            ("zeroplay/KuhnPoker-v0", {"hands": 3}),
                                            ("zeroplay/LeducHoldem-v0", {"hands": 2})])
def test_games_without_chance_deals_and_multi_hand_matches_have_none(env_id: str, kwargs: dict) -> None:
    assert public_tree(zp.make(env_id, **kwargs)) is None


@pytest.mark.parametrize("env_id", ["zeroplay/KuhnPoker-v0", "zeroplay/LeducHoldem-v0"])
def test_each_infoset_keeps_a_state_of_its_own_whose_view_and_moves_are_the_infosets(env_id: str) -> None:
    tree = public_tree(zp.make(env_id))
    assert len(tree.infoset_states) == len(tree.infoset_keys)
    for key, legal, state in zip(tree.infoset_keys, tree.infoset_actions, tree.infoset_states):
        assert not state.is_terminal()
        assert state.view(state.current_player()) == key and state.legal_actions() == legal


def test_representative_states_give_the_observation_the_env_shows_at_that_infoset() -> None:
    """The observation of an infoset's stored state is what the env writes when play reaches it."""
    env = zp.make("zeroplay/LeducHoldem-v0")
    tree = public_tree(env)
    where = {key: i for i, key in enumerate(tree.infoset_keys)}
    rng = np.random.default_rng(0)
    seen = 0
    for seed in range(40):
        obs, info = env.reset(seed=seed)
        while "view" in info:
            state = tree.infoset_states[where[info["view"]]]
            assert env.unwrapped.observe(state, state.current_player()) == obs
            seen += 1
            legal = info["legal_actions"]
            obs, _, done, _, info = env.step(f"[{legal[int(rng.integers(len(legal)))]}]")
            if done:
                break
    assert seen > 100


def test_score_policy_is_exploitability_plus_head_to_head_per_opponent() -> None:
    tree = public_tree(zp.make("zeroplay/KuhnPoker-v0"))
    always_bet = {k: {"bet": 1.0, "call": 1.0} for k in tree.infoset_keys}
    out = score_policy(tree, always_bet, {"random": {}, "itself": always_bet})
    assert out["exploitability"] == pytest.approx(1 / 3)  # by hand: each best response wins 1/3
    assert (out["exact/random/mean_return"], out["exact/random/win_rate"]) == pytest.approx(head_to_head(tree, always_bet, {}))
    assert out["exact/itself/mean_return"] == pytest.approx(0.0)
    assert sorted(out) == ["exact/itself/mean_return", "exact/itself/win_rate", "exact/random/mean_return",
                           "exact/random/win_rate", "exploitability"]
