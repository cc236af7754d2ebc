"""Advantage estimators against hand-computed examples."""

import pytest
import torch

from zeroplay.training.advantages import RAEBaseline, dr_grpo, grpo, nonzero_mask, reinforce_pp, sample_advantages, trr_pp
from zeroplay.training.rollout import Sample


def close(a, b, tol=1e-5):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32), atol=tol)


def test_grpo_two_groups_by_hand():
    # group a: rewards 1, 0 -> mean 0.5, population std 0.5 -> +1, -1
    # group b: rewards 2, 2, 5 -> mean 3, std sqrt(((1+1+4)/3)) = sqrt(2) -> -1/sqrt2, -1/sqrt2, 2/sqrt2
    r = torch.tensor([1.0, 2.0, 0.0, 2.0, 5.0])
    a = grpo(r, ["a", "b", "a", "b", "b"], eps=0.0)
    s = 2 ** 0.5
    assert close(a, [1.0, -1 / s, -1.0, -1 / s, 2 / s])


def test_grpo_equal_rewards_and_singletons_give_zero_not_nan():
    a = grpo(torch.tensor([1.0, 1.0, 3.0]), ["x", "x", "y"])
    assert close(a, [0.0, 0.0, 0.0])


def test_dr_grpo_only_subtracts_group_mean():
    a = dr_grpo(torch.tensor([1.0, 0.0, 2.0, 2.0, 5.0]), ["a", "a", "b", "b", "b"])
    assert close(a, [0.5, -0.5, -1.0, -1.0, 2.0])


def test_reinforce_pp_normalizes_over_the_whole_batch():
    # mean 2, population std sqrt((1+1+0+4... )): rewards 1,3,2,2 -> mean 2, var (1+1+0+0)/4 = 0.5
    a = reinforce_pp(torch.tensor([1.0, 3.0, 2.0, 2.0]), eps=0.0)
    s = 0.5 ** 0.5
    assert close(a, [-1 / s, 1 / s, 0.0, 0.0])


def test_trr_pp_normalizes_within_task_type_and_role():
    r = torch.tensor([1.0, -1.0, 0.5, 0.0, 4.0, 4.0])
    types = ["deduction", "deduction", "deduction", "deduction", "abduction", "abduction"]
    roles = ["solver", "solver", "proposer", "proposer", "solver", "solver"]
    a = trr_pp(r, types, roles, eps=0.0)
    # (ded, solver): 1, -1 -> +1, -1; (ded, proposer): 0.5, 0 -> +1, -1; (abd, solver): equal -> 0
    assert close(a, [1.0, -1.0, 1.0, -1.0, 0.0, 0.0])


def test_rae_reads_baseline_before_update():
    rae = RAEBaseline(decay=0.95)
    a = rae.advantages([1.0, -1.0, 1.0, 2.0], ["kuhn"] * 4, [0, 0, 0, 1])
    # seat 0: b=0 -> A=1, b=0.05; A=-1-0.05=-1.05, b=0.95*0.05-0.05=-0.0025; A=1.0025
    # seat 1 has its own baseline: A=2
    assert close(a, [1.0, -1.05, 1.0025, 2.0])
    assert rae.baselines["kuhn|0"] == pytest.approx(0.95 * -0.0025 + 0.05 * 1.0)
    assert rae.baselines["kuhn|1"] == pytest.approx(0.1)


def test_rae_state_round_trips():
    rae = RAEBaseline(0.9)
    rae.advantages([1.0], ["g"], ["0"])
    other = RAEBaseline()
    other.load_state_dict(rae.state_dict())
    assert other.decay == 0.9 and other.baselines == rae.baselines


def test_rae_gives_every_move_of_a_player_the_same_advantage_and_updates_once_per_episode():
    def s(ep, role, r):
        return Sample([1], [2], [0.0], reward=r, role=role, env="g", episode=ep)

    samples = [s("e1", "0", 1.0), s("e1", "1", -1.0), s("e1", "0", 1.0), s("e2", "0", -1.0)]
    rae = RAEBaseline(0.5)
    a = sample_advantages("rae", samples, rae)
    # e1 seat0: A=1, b=0.5; e1 seat1: A=-1; e2 seat0: A=-1-0.5=-1.5
    assert close(a, [1.0, -1.0, 1.0, -1.5])


def test_nonzero_mask_drops_zero_advantages():
    assert nonzero_mask(torch.tensor([0.0, 0.3, -1e-12, -2.0])).tolist() == [False, True, False, True]


def test_unknown_estimator_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown advantage estimator"):
        sample_advantages("ppo-gae", [Sample([1], [2], [0.0])])
