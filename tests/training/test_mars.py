"""MARS's parts against hand-computed values: turn-level credit and per-agent normalization."""

import pytest
import torch

from zeroplay.training.advantages import mars, sample_advantages
from zeroplay.training.config import GamesConfig
from zeroplay.training.rollout import Sample
from zeroplay.training.selfplay.games import turn_credit


def close(a, b, tol=1e-6):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64), atol=tol)


def test_turn_credit_cooperative_per_turn_rewards_by_hand():
    # Tiny Hanabi: p0 hints (0), p1 plays (+1), p0 hints (0), p1 plays (+1); team return 2
    movers, rewards, final = [0, 1, 0, 1], [0.0, 1.0, 0.0, 1.0], [2.0, 2.0]
    # gamma 1: reward-to-go of the team score from each move: 2, 2, 1, 1
    assert turn_credit(movers, rewards, final, cooperative=True) == [2.0, 2.0, 1.0, 1.0]
    # gamma 0.5, from the end: 1; 0 + .5*1 = .5; 1 + .5*.5 = 1.25; 0 + .5*1.25 = .625
    assert turn_credit(movers, rewards, final, cooperative=True, gamma=0.5) == [0.625, 1.25, 0.5, 1.0]
    # final credit would give every move 2: the last hint did not help score the first card


def test_turn_credit_terminal_only_zero_sum_equals_final_credit_at_gamma_one():
    # Kuhn: p0 checks, p1 bets, p0 folds: the env rewards only the last move (-1 to p0); p1 won +1
    movers, rewards, final = [0, 1, 0], [0.0, 0.0, -1.0], [-1.0, 1.0]
    assert turn_credit(movers, rewards, final) == [-1.0, 1.0, -1.0]
    # gamma 0.5: p0's first move is 2 moves before the end, p1's move 1: -0.25, 0.5, -1
    assert turn_credit(movers, rewards, final, gamma=0.5) == [-0.25, 0.5, -1.0]


def test_turn_credit_takes_the_training_penalty_at_the_end():
    # an illegal move by p1 at move 2 of a zero-sum game: env -1/+1, SPIRAL's training returns -1.5/+0.5
    movers, rewards, final = [0, 1, 0, 1], [0.0, 0.0, 0.0, -1.0], [0.5, -1.5]
    assert turn_credit(movers, rewards, final) == [0.5, -1.5, 0.5, -1.5]
    # a cooperative game whose team scored 1 then was penalized: every move's credit ends at -1
    assert turn_credit([0, 1, 0], [1.0, 0.0, -2.0], [-1.0, -1.0], cooperative=True) == [-1.0, -2.0, -2.0]
    assert turn_credit([], [], [0.0, 0.0]) == []
    with pytest.raises(ValueError, match="movers"):
        turn_credit([0, 1], [0.0], [0.0, 0.0])


def test_mars_normalizes_within_env_and_role_by_hand():
    r = torch.tensor([1.0, 0.0, 2.0, 2.0, 5.0, 3.0])
    envs = ["hanabi", "hanabi", "hanabi", "hanabi", "kuhn", "kuhn"]
    roles = ["0", "0", "1", "1", "0", "1"]
    a = mars(r, envs, roles, eps=0.0)
    # (hanabi, 0): 1, 0 -> mean .5, std .5 -> +1, -1; (hanabi, 1): equal -> 0; kuhn seats: singletons -> 0
    assert close(a, [1.0, -1.0, 0.0, 0.0, 0.0, 0.0])
    # over the batch instead (REINFORCE++) the two agents would share one mean (13/6): not what MARS does
    with pytest.raises(ValueError, match="roles"):
        mars(r, envs, roles[:2])


def test_mars_estimator_groups_samples_by_env_and_role():
    def sample(reward, env, role):
        return Sample([1], [2], [0.0], reward=reward, env=env, role=role)

    samples = [sample(3.0, "a", "0"), sample(1.0, "a", "0"), sample(0.0, "a", "1"), sample(4.0, "a", "1"),
               sample(7.0, "b", "0")]
    a = sample_advantages("mars", samples)
    # (a, 0): 3, 1 -> mean 2, std 1 -> +1, -1 (eps 1e-6); (a, 1): 0, 4 -> mean 2, std 2 -> -1, +1; (b, 0) -> 0
    assert close(a, [1.0, -1.0, -1.0, 1.0, 0.0], tol=1e-5)


def test_games_config_credit_options():
    assert GamesConfig().credit == "final" and GamesConfig().gamma == 1.0
    assert GamesConfig(credit="turn", gamma=0.9).gamma == 0.9
    with pytest.raises(ValueError):
        GamesConfig(credit="episode")
    with pytest.raises(ValueError):
        GamesConfig(gamma=1.5)
