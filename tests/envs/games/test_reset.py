"""``reset`` really resets: 10k games in one env leave no trace (observation size, work per game)."""

from __future__ import annotations

import sys

import numpy as np

import zeroplay as zp

from .conftest import random_game

GAMES = 10_000
#: shorter variants where a default game is long: the property under test is the reset, not the length
SHORT = {
    "zeroplay/ConnectFour-v0": {"rows": 4, "columns": 5},
    "zeroplay/LiarsDice-v0": {"num_dice": 2},
    "zeroplay/DealOrNoDeal-v0": {"max_turns": 4},
}


def count_calls(fn) -> int:
    """Python function calls made by ``fn()``: a measure of work that does not depend on the clock."""
    calls = 0

    def profiler(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def replay(env, seed: int) -> list[str]:
    return random_game(env, np.random.default_rng(seed), seed)[1]


def test_ten_thousand_games_in_one_env_stay_flat(game_id: str) -> None:
    kwargs = SHORT.get(game_id, {})
    fresh = zp.make(game_id, **kwargs)
    reference = replay(fresh, 424242)
    fresh_work = count_calls(lambda: replay(fresh, 424242))

    env = zp.make(game_id, **kwargs)
    rng = np.random.default_rng(1)
    first_obs_len, step_obs_len = [], []
    for g in range(GAMES):
        steps, observations, _ = random_game(env, rng, g)
        first_obs_len.append(len(observations[0]))
        step_obs_len.append(sum(map(len, observations)) / len(observations))

    # the same game after 10k others: same text, same amount of work as in a fresh env
    assert replay(env, 424242) == reference
    # (a little slack: an lru cache may have evicted what the fresh env had just computed)
    assert count_calls(lambda: replay(env, 424242)) <= fresh_work * 1.05 + 50
    # observation size does not creep up across games
    head, tail = np.mean(step_obs_len[:1000]), np.mean(step_obs_len[-1000:])
    assert abs(tail - head) / head < 0.05, f"{game_id}: mean observation length went from {head:.0f} to {tail:.0f}"
    assert max(first_obs_len) <= 1.2 * min(first_obs_len), f"{game_id}: first observations vary too much in size"
