"""TextArena's games as zeroplay envs (zeroplay/envs/textarena): the turn protocol on every id, a fresh
inner env per reset, known outcomes, and a light ``import zeroplay``. Skipped without textarena."""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.core.errors import EnvCreationError

pytestmark = pytest.mark.skipif(importlib.util.find_spec("textarena") is None,
                                reason="textarena is not installed (pip install textarena==0.7.4)")

TA_IDS = [i for i in zp.registered() if i.startswith("zeroplay/ta/")]


def play(env_id: str, seed: int, max_turns: int = 60) -> tuple[list[float], bool]:
    """One episode, cut after ``max_turns`` moves: a random legal move where the env lists them, else
    a move most games reject (talk games take it as talk). Checks the turn protocol at every step;
    returns (returns, truncated)."""
    env = zp.make(env_id, max_turns=max_turns)
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    n = env.num_players
    for step in range(max_turns):
        player = info["player"]
        assert isinstance(obs, str) and obs and 0 <= player < n, (env_id, step, info)
        legal = info.get("legal_actions")
        action = f"[{legal[int(rng.integers(len(legal)))]}]" if legal else "[zeroplay: not a move]"
        obs, reward, terminated, truncated, info = env.step(action)
        assert np.isfinite(reward)
        if info.get("invalid_move"):
            assert isinstance(info["reason"], str) and info["reason"], (env_id, info)
        if terminated or truncated:
            returns = info["returns"]
            assert len(returns) == n and all(np.isfinite(returns)), (env_id, returns)
            assert reward == returns[player], (env_id, reward, returns, player)
            assert info["player"] == -1 and terminated != truncated
            return returns, truncated
        assert reward == 0.0
    raise AssertionError(f"{env_id}: max_turns={max_turns} did not end the game")


@pytest.mark.skipif(not TA_IDS, reason="no zeroplay/ta/ ids registered")
def test_textarena_games_are_registered_lazily_under_ta_ids() -> None:
    assert len(TA_IDS) >= 100, len(TA_IDS)
    for expected in ("zeroplay/ta/TicTacToe-v0", "zeroplay/ta/KuhnPoker-v0", "zeroplay/ta/Poker-small-v0",
                     "zeroplay/ta/Taboo-city-country-v0", "zeroplay/ta/SecretMafia-v0"):
        assert expected in TA_IDS
    assert not any(i.endswith(("-raw-v0", "-train-v0")) for i in TA_IDS)


def test_import_zeroplay_does_not_import_textarena_or_reasoning_gym() -> None:
    code = "import sys, zeroplay; print('textarena' in sys.modules, 'reasoning_gym' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("env_id", TA_IDS)
def test_every_textarena_game_plays_under_the_turn_protocol(env_id: str) -> None:
    for seed in (0, 1):
        returns, truncated = play(env_id, seed)
        assert not truncated or returns == [0.0] * len(returns)


def test_fresh_inner_env_per_reset_keeps_observations_flat() -> None:
    env = zp.make("zeroplay/ta/TicTacToe-v0")
    lengths = []
    for i in range(1000):
        obs, info = env.reset(seed=i)
        lengths.append(len(obs))
        env.step(f"[{info['legal_actions'][0]}]")  # some history in every game
    assert max(lengths) == min(lengths), (min(lengths), max(lengths))


def test_textarenas_own_env_reused_does_grow() -> None:
    """The pitfall the fresh env avoids (BENCHMARKS.md): the check above would catch it."""
    import textarena as ta

    inner = ta.make("TicTacToe-v0")
    lengths = []
    for i in range(20):
        inner.reset(num_players=2, seed=i)
        lengths.append(len(inner.get_observation()[1]))
        inner.step("[4]")
    assert lengths[-1] > 2 * lengths[0]


def test_tictactoe_known_game_and_returns() -> None:
    env = zp.make("zeroplay/ta/TicTacToe-v0")
    obs, info = env.reset(seed=0)
    assert info == {"player": 0, "game": "TicTacToe-v0", "legal_actions": [str(c) for c in range(9)]}
    for move, player in ((0, 0), (3, 1), (1, 0), (4, 1)):
        assert info["player"] == player
        obs, reward, terminated, _, info = env.step(f"I'll take [{move}]")
        assert (reward, terminated) == (0.0, False)
    assert info["legal_actions"] == ["2", "5", "6", "7", "8"]
    obs, reward, terminated, truncated, info = env.step("[2]")
    assert (reward, terminated, truncated, info["returns"]) == (1.0, True, False, [1.0, -1.0])
    assert "Game over" in obs


def test_invalid_moves_follow_textarenas_rule_and_never_raise() -> None:
    env = zp.make("zeroplay/ta/TicTacToe-v0")
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("\x00 no move \ud800")
    assert (reward, terminated, info["player"], info["invalid_move"]) == (0.0, False, 0, True)  # one retry
    assert "format" in info["reason"]
    _, reward, terminated, _, info = env.step("[4]")  # an occupied cell would be as bad; this one is free
    assert (terminated, info["player"]) == (False, 1)
    env.step("[4]")
    _, reward, terminated, _, info = env.step("[4]")  # the retry is spent: player 1 loses
    assert (reward, terminated, info["returns"], info["offender"]) == (-1.0, True, [1.0, -1.0], 1)
    assert "occupied" in info["reason"]


def test_seeds_reproduce_games_and_leave_global_random_alone() -> None:
    def trajectory(seed: int) -> list[str]:
        env = zp.make("zeroplay/ta/LiarsDice-small-v0")
        obs, _ = env.reset(seed=seed)
        seen = [obs]
        for action in ("[Bid: 1, 2]", "[Call]"):
            obs, *_ = env.step(action)
            seen.append(obs)
        return seen

    random.seed(123)
    expected = random.random()
    random.seed(123)
    first = trajectory(7)
    assert random.random() == expected  # TextArena's random.seed(...) did not leak out
    assert trajectory(7) == first
    assert trajectory(8)[0] != first[0]  # different dice


def test_num_players_is_checked_and_used() -> None:
    env = zp.make("zeroplay/ta/Poker-small-v0", num_players=4)
    _, info = env.reset(seed=0)
    assert env.num_players == 4 and info["player"] in range(4)
    with pytest.raises(EnvCreationError, match="2..2 players"):
        zp.make("zeroplay/ta/TicTacToe-v0", num_players=3)
    with pytest.raises(EnvCreationError, match="not supported: a single-player game"):
        zp.make("zeroplay/ta/TicTacToe-v0", game="Sudoku-v0")
    with pytest.raises(EnvCreationError, match="not supported: .*OpenRouter"):
        zp.make("zeroplay/ta/TicTacToe-v0", game="Debate-v0")


def test_everyone_eliminated_ends_the_game_instead_of_hanging() -> None:
    """TextArena's multi-player rotation loops forever once every player is out; the env ends the game."""
    contract = Path(__file__).parents[1] / "core" / "test_contract.py"
    spec = importlib.util.spec_from_file_location("_contract_for_textarena", contract)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env = zp.make("zeroplay/ta/PublicGoodsGame-v0")
    env.reset(seed=0)
    for action in module.hostile_actions(np.random.default_rng(0), 200):  # the sequence that hung
        _, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    assert terminated and info["returns"] == [-1.0, -1.0, -1.0] and info["invalid_move"]


@pytest.mark.skipif(importlib.util.find_spec("reasoning_gym") is None, reason="reasoning-gym is not installed")
def test_at_least_150_envs_listed_with_textarena_and_reasoning_gym(capsys) -> None:
    ids = zp.registered()
    assert len(ids) >= 150, len(ids)
    from zeroplay.cli import main

    assert main(["list", "envs"]) == 0
    listed = capsys.readouterr().out
    for env_id in ("zeroplay/ta/TicTacToe-v0", "zeroplay/rg/leg_counting-v0", "zeroplay/TicTacToe-v0"):
        assert env_id in listed
