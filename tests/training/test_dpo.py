"""Loss terms for label-free and preference training: the DPO loss and the entropy bonus, against
hand-computed values."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from zeroplay.training.loss import dpo_loss, ppo_clip_loss, sequence_logprobs


# -- DPO -------------------------------------------------------------------------------------------
def test_dpo_loss_of_one_pair_by_hand():
    # beta (log-ratio chosen - log-ratio rejected) = 0.1 * ((-1 - -2) - (-3 - -2)) = 0.1 * 2 = 0.2
    chosen = torch.tensor([-1.0], requires_grad=True)
    loss, stats = dpo_loss(chosen, torch.tensor([-3.0]), torch.tensor([-2.0]), torch.tensor([-2.0]), beta=0.1)
    assert loss.item() == pytest.approx(math.log1p(math.exp(-0.2)))  # -log sigmoid(0.2) = 0.5981388...
    assert loss.item() == pytest.approx(0.5981388693815918)
    assert stats == pytest.approx({"dpo/margin": 0.2, "dpo/reward_chosen": 0.1, "dpo/reward_rejected": -0.1,
                                   "dpo/accuracy": 1.0})
    loss.backward()
    sigmoid = 1 / (1 + math.exp(-0.2))
    assert float(chosen.grad) == pytest.approx(-0.1 * (1 - sigmoid))  # d/dc -log sigmoid(beta (c - ...))


def test_dpo_loss_is_the_mean_over_pairs_and_the_reference_gets_no_gradient():
    chosen = torch.tensor([-1.0, -5.0], requires_grad=True)
    rejected = torch.tensor([-3.0, -4.0], requires_grad=True)
    ref_c = torch.tensor([-2.0, -4.0], requires_grad=True)
    ref_r = torch.tensor([-2.0, -4.0], requires_grad=True)
    loss, stats = dpo_loss(chosen, rejected, ref_c, ref_r, beta=0.1)
    # pair 2: 0.1 * ((-5 - -4) - (-4 - -4)) = -0.1: loss log(1 + e^0.1) = 0.7443966...
    assert loss.item() == pytest.approx((math.log1p(math.exp(-0.2)) + math.log1p(math.exp(0.1))) / 2)
    assert stats["dpo/accuracy"] == 0.5 and stats["dpo/margin"] == pytest.approx((0.2 - 0.1) / 2)
    loss.backward()
    assert ref_c.grad is None and ref_r.grad is None
    assert float(rejected.grad[1]) == pytest.approx(0.5 * 0.1 * (1 / (1 + math.exp(-0.1))))  # = -dL/dchosen


def test_dpo_loss_refuses_bad_inputs():
    one = torch.zeros(2)
    with pytest.raises(ValueError, match="beta"):
        dpo_loss(one, one, one, one, beta=0.0)
    with pytest.raises(ValueError, match="shape"):
        dpo_loss(one, torch.zeros(3), one, one)


def test_sequence_logprobs_sum_the_real_tokens():
    lp = torch.tensor([[-1.0, -2.0, -7.0], [-0.5, -9.0, -9.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert sequence_logprobs(lp, mask).tolist() == [-3.0, -0.5]


# -- entropy bonus ---------------------------------------------------------------------------------
def test_entropy_bonus_by_hand():
    lp = torch.zeros(1, 2)
    entropy = torch.tensor([[1.0, 2.0]], requires_grad=True)
    # ratio 1, advantage 0: the policy term is 0; the bonus is -0.1 * (1 + 2) / 2 tokens = -0.15
    loss, st = ppo_clip_loss(lp, lp, torch.tensor([0.0]), torch.ones(1, 2), normalizer=2.0, entropy=entropy,
                             entropy_coef=0.1)
    assert loss.item() == pytest.approx(-0.15)
    loss.backward()
    assert entropy.grad[0].tolist() == pytest.approx([-0.05, -0.05])
    assert st.means()["entropy"] == pytest.approx(1.5)
    # masked tokens earn no bonus; sequence norm averages per sequence first
    loss, _ = ppo_clip_loss(lp, lp, torch.tensor([0.0]), torch.tensor([[1.0, 0.0]]), normalizer=1.0,
                            entropy=entropy, entropy_coef=0.1, loss_norm="sequence")
    assert loss.item() == pytest.approx(-0.1)


def test_entropy_coef_0_is_the_loss_without_it_bit_for_bit():
    g = torch.Generator().manual_seed(0)
    lp, old = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    adv, mask = torch.randn(3, generator=g), (torch.rand(3, 4, generator=g) > 0.3).float()
    ent = torch.rand(3, 4, generator=g)
    base, _ = ppo_clip_loss(lp, old, adv, mask, normalizer=7.0)
    logged, _ = ppo_clip_loss(lp, old, adv, mask, normalizer=7.0, entropy=ent, entropy_coef=0.0)
    assert torch.equal(base, logged)
    with pytest.raises(ValueError, match="entropy"):
        ppo_clip_loss(lp, old, adv, mask, normalizer=7.0, entropy_coef=0.1)


def test_the_learner_raises_entropy_with_the_bonus_and_leaves_it_alone_without(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    from zeroplay.training import config_from_dict
    from zeroplay.training.learner import Learner
    from zeroplay.training.loss import completion_logprobs, pack
    from zeroplay.training.rollout import Sample

    samples = [Sample([5, 6, 7], [8, 9, 10, 11], [0.0] * 4), Sample([12, 13], [14, 15], [0.0] * 2)]

    def mean_entropy(model):
        batch = pack([s.prompt_ids for s in samples], [s.completion_ids for s in samples], 0)
        _, ent = completion_logprobs(model, batch, with_entropy=True)
        return float((ent * batch.completion_mask).sum() / batch.completion_mask.sum())

    after = {}
    for coef in (0.0, 0.5):
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
        before = mean_entropy(model)
        cfg = config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"},
                                "optim": {"lr": 1e-3}, "loss": {"entropy_coef": coef, "old_logprobs": "learner"}})
        Learner(model, cfg, pad_id=0).update(samples, torch.zeros(2))  # advantage 0: only the bonus pushes
        after[coef] = mean_entropy(model) - before
    assert after[0.0] == pytest.approx(0.0, abs=1e-6)
    assert after[0.5] > 1e-4  # ~1.6e-3 here: Adam's first step moves each weight by ~lr
