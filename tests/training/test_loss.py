"""PPO-clip loss: hand-computed values, clipping, k3 KL, normalization for gradient accumulation."""

import math

import pytest
import torch

from zeroplay.training.loss import loss_normalizer, pack, ppo_clip_loss


def test_unclipped_loss_is_minus_advantage_weighted_ratio_mean_over_tokens():
    old = torch.zeros(2, 3)
    lp = torch.tensor([[0.1, 0.0, 0.0], [0.0, -0.1, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    adv = torch.tensor([1.0, -2.0])
    loss, st = ppo_clip_loss(lp, old, adv, mask, normalizer=5.0, clip_low=0.2, clip_high=0.28)
    # ratios: e^0.1, 1 | 1, e^-0.1, 1 (all inside [0.8, 1.28])
    want = -(math.exp(0.1) + 1 + -2 * (1 + math.exp(-0.1) + 1)) / 5
    assert loss.item() == pytest.approx(want, rel=1e-6)
    assert st.tokens == 5 and st.clipped == 0


def test_clip_low_and_high_are_separate():
    old = torch.zeros(1, 2)
    lp = torch.log(torch.tensor([[1.5, 0.5]]))  # ratios 1.5 and 0.5
    mask = torch.ones(1, 2)
    # positive advantage: ratio 1.5 clipped to 1 + 0.28; ratio 0.5 is below, min keeps 0.5
    loss, st = ppo_clip_loss(lp, old, torch.tensor([1.0]), mask, normalizer=2.0, clip_low=0.2, clip_high=0.28)
    assert loss.item() == pytest.approx(-(1.28 + 0.5) / 2, rel=1e-6)
    assert st.clipped == 1
    # negative advantage: ratio 0.5 clipped to 1 - 0.2 (-0.8 > -0.5 is not min...): -min(-1.5, -1.28) = 1.5; -min(-0.5, -0.8) = 0.8
    loss, st = ppo_clip_loss(lp, old, torch.tensor([-1.0]), mask, normalizer=2.0, clip_low=0.2, clip_high=0.28)
    assert loss.item() == pytest.approx((1.5 + 0.8) / 2, rel=1e-6)
    assert st.clipped == 1


def test_clipped_tokens_get_no_gradient():
    lp = torch.log(torch.tensor([[1.5, 1.0]])).requires_grad_()
    loss, _ = ppo_clip_loss(lp, torch.zeros(1, 2), torch.tensor([1.0]), torch.ones(1, 2), normalizer=2.0)
    loss.backward()
    assert lp.grad[0, 0].item() == 0.0 and lp.grad[0, 1].item() != 0.0


def test_k3_kl_term():
    lp = torch.tensor([[0.0]])
    ref = torch.tensor([[math.log(0.5)]])
    loss, st = ppo_clip_loss(lp, lp, torch.tensor([0.0]), torch.ones(1, 1), normalizer=1.0,
                             ref_logprobs=ref, kl_coef=0.1)
    k3 = 0.5 - math.log(0.5) - 1
    assert loss.item() == pytest.approx(0.1 * k3, rel=1e-6) and st.kl == pytest.approx(k3, rel=1e-6)


def test_sequence_norm_averages_each_sequence_first():
    lp = torch.zeros(2, 4)
    mask = torch.tensor([[1.0, 0, 0, 0], [1.0, 1, 1, 1]])
    loss, _ = ppo_clip_loss(lp, lp, torch.tensor([1.0, 1.0]), mask, normalizer=2.0, loss_norm="sequence")
    assert loss.item() == pytest.approx(-1.0)
    loss, _ = ppo_clip_loss(lp, lp, torch.tensor([1.0, 0.0]), mask, normalizer=2.0, loss_norm="sequence")
    assert loss.item() == pytest.approx(-0.5)


def test_normalizers():
    assert loss_normalizer([2, 3], "token", 16) == 5
    assert loss_normalizer([2, 3], "sequence", 16) == 2
    assert loss_normalizer([2, 3], "constant", 16) == 32


def test_accumulated_micro_batches_equal_one_big_batch():
    torch.manual_seed(0)
    lp = torch.randn(4, 3, requires_grad=True)
    old = lp.detach() + 0.05 * torch.randn(4, 3)
    adv = torch.randn(4)
    mask = torch.tensor([[1.0, 1, 0], [1, 0, 0], [1, 1, 1], [1, 1, 0]])
    norm = float(mask.sum())
    full, _ = ppo_clip_loss(lp, old, adv, mask, normalizer=norm)
    g_full = torch.autograd.grad(full, lp)[0]
    parts = [ppo_clip_loss(lp[i:i + 2], old[i:i + 2], adv[i:i + 2], mask[i:i + 2], normalizer=norm)[0] for i in (0, 2)]
    g_acc = torch.autograd.grad(parts[0] + parts[1], lp)[0]
    assert torch.allclose(g_full, g_acc, atol=1e-7)


def test_pack_aligns_completions_and_masks():
    b = pack([[1, 2, 3], [4]], [[5], [6, 7]], pad_id=0)
    assert b.input_ids.tolist() == [[1, 2, 3, 5, 0], [0, 0, 4, 6, 7]]
    assert b.completion_mask.tolist() == [[1.0, 0.0], [1.0, 1.0]]
    assert b.position_ids.tolist()[1][2:] == [0, 1, 2]


def test_bad_normalizer_is_an_error():
    with pytest.raises(ValueError, match="normalizer"):
        ppo_clip_loss(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1), torch.ones(1, 1), normalizer=0.0)
