"""The PettingZoo AEC adapter passes PettingZoo's own API test and plays games correctly."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
from pettingzoo.test import api_test  # noqa: E402

from zeroplay.envs.games.aec import TextGameAEC, aec_env  # noqa: E402

from .conftest import GAME_IDS  # noqa: E402


@pytest.mark.filterwarnings("ignore:Observation is not a NumPy array", "ignore:.*space for each agent probably")
@pytest.mark.parametrize("game_id", GAME_IDS)
def test_pettingzoo_api_test(game_id: str) -> None:
    api_test(aec_env(game_id), num_cycles=200)


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_legal_play_through_the_adapter(game_id: str) -> None:
    env = aec_env(game_id, render_mode="ansi")
    rng = np.random.default_rng(0)
    for seed in range(10):
        env.reset(seed=seed)
        totals = {a: 0.0 for a in env.possible_agents}
        moves = 0
        for agent in env.agent_iter(max_iter=2000):
            obs, reward, terminated, truncated, info = env.last()
            totals[agent] += reward
            assert isinstance(obs["text"], str) and obs["text"]
            if terminated or truncated:
                assert totals[agent] == info["returns"][env.possible_agents.index(agent)]
                env.step(None)
                continue
            assert agent == f"player_{info['player']}"
            # the waiting player sees its own view too
            other = next(a for a in env.agents if a != agent)
            assert env.observe(other)["text"] and env.render() == obs["text"]
            legal = info["legal_actions"]
            env.step(f"[{legal[int(rng.integers(len(legal)))]}]")
            moves += 1
        assert not env.agents and moves >= 1
        if env.env.unwrapped.zero_sum:
            assert abs(sum(totals.values())) < 1e-9
        else:  # cooperative: everyone gets the team score
            assert len(set(totals.values())) == 1


def test_invalid_move_through_the_adapter_ends_the_game() -> None:
    env = aec_env("zeroplay/TicTacToe-v0")
    env.reset(seed=0)
    env.step("no move at all")
    assert all(env.terminations.values())
    assert env.rewards == {"player_0": -1.0, "player_1": 1.0}
    assert "invalid move" in env.observe("player_1")["text"]
    assert isinstance(env, TextGameAEC)
