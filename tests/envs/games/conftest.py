"""Helpers of the game tests: the game ids, and playing moves quickly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.envs.games import ENVS

GAME_IDS = sorted(ENVS)


def play(env: Any, moves: Sequence[str], seed: int = 0) -> tuple[str, float, bool, dict[str, Any]]:
    """Reset with ``seed`` and write each move as ``[move]``; returns the last step's results."""
    obs, info = env.reset(seed=seed)
    reward, terminated = 0.0, False
    for m in moves:
        obs, reward, terminated, _, info = env.step(f"[{m}]")
    return obs, reward, terminated, info


def random_game(env: Any, rng: np.random.Generator, seed: int,
                choose: Callable[[list[str], np.random.Generator], str] | None = None) -> tuple[int, list[str], dict]:
    """One game of uniformly random legal moves: (steps, observations, final info)."""
    obs, info = env.reset(seed=seed)
    observations, steps = [obs], 0
    while True:
        legal = info["legal_actions"]
        move = choose(legal, rng) if choose else legal[int(rng.integers(len(legal)))]
        obs, _, terminated, truncated, info = env.step(f"[{move}]")
        observations.append(obs)
        steps += 1
        if terminated or truncated:
            return steps, observations, info


@pytest.fixture(params=GAME_IDS)
def game_id(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def env(game_id: str):
    e = zp.make(game_id)
    yield e
    e.close()
