"""Lewis signaling game: rules, and the optimal team return by brute force over every pure team."""

from __future__ import annotations

import itertools

import pytest

import zeroplay as zp
from zeroplay.envs.games.lewis_signaling import LewisSignalingState, optimal_team_return

from .conftest import play


def team_return(states: int, messages: int, send: tuple[int, ...], guess: tuple[int, ...]) -> float:
    """Exact expected team return of a pure sender (state -> message) and receiver (message -> guess)."""
    total = 0.0
    for p, s in LewisSignalingState.chance_outcomes(states, messages):
        s.apply_action(s.legal_actions()[send[s.state]])
        s.apply_action(s.legal_actions()[guess[send[s.state]]])
        total += p * s.returns()[0]
    return total


@pytest.mark.parametrize("states,messages", [(3, 3), (3, 2), (2, 3), (4, 4)])
def test_optimal_team_return_by_brute_force(states: int, messages: int) -> None:
    best = max(team_return(states, messages, send, guess)
               for send in itertools.product(range(messages), repeat=states)
               for guess in itertools.product(range(states), repeat=messages))
    assert best == pytest.approx(optimal_team_return(states, messages))
    assert optimal_team_return(3, 3) == 1.0 and optimal_team_return(3, 2) == pytest.approx(2 / 3)


def test_random_team_scores_one_in_k() -> None:
    # a uniformly random receiver is right with probability 1/states whatever the sender does
    k = 3
    mean = sum(team_return(k, k, send, guess) for send in itertools.product(range(k), repeat=k)
               for guess in itertools.product(range(k), repeat=k)) / k ** (2 * k)
    assert mean == pytest.approx(1 / k)


def test_a_round_sender_sees_the_state_receiver_only_the_message() -> None:
    env = zp.make("zeroplay/LewisSignaling-v0")
    obs, info = env.reset(seed=0)
    secret = env.unwrapped.state.state
    assert info["player"] == 0 and info["legal_actions"] == ["a", "b", "c"] and info["view"] == f"s{secret}"
    assert f"The secret state is {secret}" in obs
    obs, reward, done, _, info = env.step("[b]")
    assert reward == 0.0 and not done and info["player"] == 1 and info["view"] == "mb"
    assert f"secret state is {secret}" not in obs and "message is b" in obs
    obs, reward, done, _, info = env.step(f"[{secret}]")
    assert done and reward == 1.0 and info["returns"] == [1.0, 1.0]


def test_wrong_guess_scores_zero_for_both_and_invalid_costs_both() -> None:
    env = zp.make("zeroplay/LewisSignaling-v0", states=2, messages=2)
    env.reset(seed=0)
    wrong = 1 - env.unwrapped.state.state
    _, reward, done, info = play(env, ["a", str(wrong)])
    assert done and reward == 0.0 and info["returns"] == [0.0, 0.0]
    env.reset(seed=0)
    _, reward, done, _, info = env.step("[z]")
    assert done and info["invalid_move"] and info["returns"] == [-1.0, -1.0] and reward == -1.0


def test_states_come_from_the_seed_and_kwargs_are_checked() -> None:
    env = zp.make("zeroplay/LewisSignaling-v0", states=4)
    assert {env.reset(seed=s)[1]["view"] for s in range(40)} == {"s0", "s1", "s2", "s3"}
    with pytest.raises(Exception, match="messages must be in 2..10"):
        zp.make("zeroplay/LewisSignaling-v0", messages=1)
