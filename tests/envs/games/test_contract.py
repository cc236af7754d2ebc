"""The turn-based protocol (DESIGN.md) and the games' own info keys, for every game."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import zeroplay as zp
from zeroplay.core.errors import EpisodeOverError

from .conftest import GAME_IDS, random_game


def test_all_games_registered() -> None:
    ids = set(zp.registered())
    for name in ("TicTacToe", "KuhnPoker", "SimpleNegotiation", "ConnectFour", "Nim", "LeducHoldem", "DealOrNoDeal"):
        assert f"zeroplay/{name}-v0" in ids
    assert len(GAME_IDS) >= 7


def test_check_env(env) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)


def test_gymnasium_make_works_too(game_id: str) -> None:
    import gymnasium

    env = gymnasium.make(game_id)
    obs, info = env.reset(seed=0)
    assert isinstance(obs, str) and info["legal_actions"]


def test_protocol_over_random_games(env, game_id: str) -> None:
    rng = np.random.default_rng(0)
    for seed in range(30):
        obs, info = env.reset(seed=seed)
        rewards: list[float] = []
        assert isinstance(obs, str) and obs.endswith("]."), f"{game_id}: observation must end with the answer format"
        assert "brackets" in obs
        while True:
            player, legal = info["player"], info["legal_actions"]
            assert player in (0, 1) and legal and all(isinstance(a, str) for a in legal)
            assert info["game"] and isinstance(info["view"], str)
            move = legal[int(rng.integers(len(legal)))]
            obs, reward, terminated, truncated, info = env.step(f"Let me think. [{move}]")
            rewards.append(reward)
            assert not truncated and not info.get("invalid_move"), f"{game_id}: legal move {move!r} rejected: {info}"
            if terminated:
                break
            assert reward == 0.0 or not env.unwrapped.zero_sum, f"{game_id}: zero-sum games reward only the end"
        returns = info["returns"]
        assert len(returns) == 2
        if env.unwrapped.zero_sum:
            assert abs(sum(returns)) < 1e-9, f"{game_id}: not zero-sum: {returns}"
            assert reward == returns[player], "the final reward goes to the player who moved"
        else:  # cooperative: one team score, and the moves' rewards add up to it
            assert env.unwrapped.cooperative and len(set(returns)) == 1, f"{game_id}: unequal team returns {returns}"
            assert sum(rewards) == pytest.approx(returns[0]), f"{game_id}: step rewards {rewards} do not sum to {returns}"
        assert info["player"] == -1 and info["legal_actions"] == [] and "view" not in info
        with pytest.raises(EpisodeOverError):
            env.step("[0]")


def test_reset_is_deterministic_through_the_game(env) -> None:
    def trace(seed: int) -> list[str]:
        return random_game(env, np.random.default_rng(7), seed)[1]

    assert trace(3) == trace(3)


@pytest.mark.parametrize("game_id", [g for g in GAME_IDS if not any(x in g for x in ("TicTacToe", "ConnectFour", "Nim"))])
def test_chance_comes_from_the_seed(game_id: str) -> None:
    env = zp.make(game_id)
    first = {env.reset(seed=s)[0] for s in range(8)}
    assert len(first) > 1, f"{game_id}: deals do not depend on the seed"


def test_invalid_move_loses_by_default(env) -> None:
    obs, info = env.reset(seed=0)
    player = info["player"]
    obs, reward, terminated, _, info = env.step("I refuse to write a move")
    assert terminated and info["invalid_move"] and info["offender"] == player
    assert reward == -1.0 and info["returns"][player] == -1.0
    if env.unwrapped.zero_sum:
        assert sum(info["returns"]) == 0
    else:  # cooperative: the whole team loses
        assert info["returns"] == [-1.0] * len(info["returns"])
    assert "bracket" in info["reason"]


def test_retries_show_the_error_then_allow_a_legal_move(game_id: str) -> None:
    env = zp.make(game_id, invalid_move_retries=2)
    obs, info = env.reset(seed=0)
    player = info["player"]
    obs, reward, terminated, _, info = env.step("[definitely not a move]")
    assert not terminated and info["invalid_move"] and info["retries_left"] == 1
    assert obs.startswith("Invalid move:") and "not a legal move" in obs
    assert info["player"] == player, "the offender moves again"
    obs, reward, terminated, _, info = env.step("")
    assert not terminated and info["retries_left"] == 0
    obs, reward, terminated, _, info = env.step(f"[{info['legal_actions'][0]}]")
    assert not info.get("invalid_move")
    assert terminated or info["player"] != player, "after a legal move the turn passes"


def test_retries_run_out(game_id: str) -> None:
    env = zp.make(game_id, invalid_move_retries=1)
    env.reset(seed=0)
    env.step("nothing")
    obs, reward, terminated, _, info = env.step("still nothing")
    assert terminated and info["invalid_move"] and reward == -1.0


def test_parser_reads_the_last_bracketed_move_case_and_spaces_ignored(env) -> None:
    obs, info = env.reset(seed=1)
    legal = info["legal_actions"]
    target = legal[-1]
    text = f"Maybe [{legal[0]}]? No. Final answer: [  {target.upper()}  ]"
    obs, reward, terminated, _, info2 = env.step(text)
    assert not info2.get("invalid_move"), info2
    again, _ = env.reset(seed=1)
    obs_direct, *_ = env.step(f"[{target}]")
    assert obs == obs_direct


def test_render_ansi_returns_the_last_observation(game_id: str) -> None:
    env = zp.make(game_id, render_mode="ansi")
    obs, _ = env.reset(seed=0)
    assert env.render() == obs
