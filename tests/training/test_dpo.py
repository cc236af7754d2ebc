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


# -- the learner's DPO update ----------------------------------------------------------------------
def _pair(pair, chosen, rejected, prompt=(5, 6, 7)):
    from zeroplay.training.rollout import Sample

    return [Sample(list(prompt), list(chosen), [], meta={"pair": pair, "preferred": True}),
            Sample(list(prompt), list(rejected), [], meta={"pair": pair, "preferred": False})]


PAIRS = (_pair("a", [8, 9, 10], [11, 12]) + _pair("b", [13], [14, 15, 16, 17], prompt=(20, 21))
         + _pair("c", [30, 31], [32, 33, 34], prompt=(40, 41, 42, 43)))


def _dpo_learner(tiny_model_dir, mb=8, beta=0.5, lr=1e-3):
    from transformers import AutoModelForCausalLM

    from zeroplay.training import config_from_dict
    from zeroplay.training.learner import Learner
    from zeroplay.training.trainer import _frozen_copy

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    cfg = config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"},
                            "optim": {"lr": lr, "micro_batch_size": mb},
                            "loss": {"objective": "dpo", "dpo_beta": beta}})
    learner = Learner(model, cfg, pad_id=0)
    learner.ref_model = _frozen_copy(model)
    return learner


def test_dpo_pairs_keep_complete_pairs_and_count_the_rest():
    from zeroplay.training.learner import dpo_pairs
    from zeroplay.training.rollout import Sample

    lone = Sample([1], [2], [], meta={"pair": "x", "preferred": True})
    unmarked = Sample([1], [2], [])
    two_chosen = [Sample([1], [2], [], meta={"pair": "y", "preferred": True}) for _ in range(2)]
    bad_flag = Sample([1], [2], [], meta={"pair": "z", "preferred": "yes"})
    empty = _pair("e", [], [3])
    pairs, unpaired = dpo_pairs(PAIRS[:2] + [lone, unmarked, *two_chosen, bad_flag] + empty)
    assert [(c.completion_ids, r.completion_ids) for c, r in pairs] == [([8, 9, 10], [11, 12])]
    assert unpaired == 1 + 1 + 2 + 1 + 2


def test_dpo_update_starts_at_log_2_and_moves_the_margin_up(tiny_model_dir):
    learner = _dpo_learner(tiny_model_dir)
    first = learner.update_dpo(PAIRS)
    # the policy is its reference before the first step: every margin is 0, each pair's loss -log sigmoid(0)
    assert first["loss/dpo"] == pytest.approx(math.log(2), abs=1e-6)
    assert first["dpo/margin"] == pytest.approx(0.0, abs=1e-6) and first["dpo/accuracy"] == 0.0
    assert first["dpo/pairs"] == 3.0 and first["dpo/unpaired"] == 0.0
    for _ in range(3):
        after = learner.update_dpo(PAIRS)
    assert after["dpo/margin"] > 0 and after["dpo/accuracy"] == 1.0 and after["loss/dpo"] < math.log(2)
    # the reference did not move: its log-ratio to the frozen copy of the initial model is the margin's source
    assert not any(p.requires_grad for p in learner.ref_model.parameters())


def test_dpo_update_needs_its_reference_and_skips_a_batch_without_pairs(tiny_model_dir):
    learner = _dpo_learner(tiny_model_dir)
    assert learner.update_dpo(PAIRS[:1]) == {"loss/skipped": 1.0, "dpo/pairs": 0.0, "dpo/unpaired": 1.0}
    learner.ref_model = None
    with pytest.raises(RuntimeError, match="frozen reference"):
        learner.update_dpo(PAIRS)


def _perturbed(tiny_model_dir, mb):
    """A DPO learner moved off its reference (the same way every call), so margins differ per pair."""
    learner = _dpo_learner(tiny_model_dir, mb=mb)
    with torch.no_grad():
        for p in learner.model.parameters():
            p.add_(0.01 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    return learner


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def test_dpo_gradient_does_not_depend_on_the_micro_batch_and_is_the_one_batch_gradient(tiny_model_dir):
    from zeroplay.training.loss import completion_logprobs, pack

    small_learner, big_learner = _perturbed(tiny_model_dir, 1), _perturbed(tiny_model_dir, 8)
    small, big = small_learner.update_dpo(PAIRS), big_learner.update_dpo(PAIRS)
    assert small["loss/dpo"] == pytest.approx(big["loss/dpo"], abs=1e-6)
    assert small["dpo/margin"] == pytest.approx(big["dpo/margin"], abs=1e-6)
    # the perturbation puts one of the three pairs the wrong way round
    assert small["dpo/accuracy"] == pytest.approx(2 / 3) and big["dpo/accuracy"] == pytest.approx(2 / 3)
    g1, g8 = _grads(small_learner.model), _grads(big_learner.model)
    assert g1.keys() == g8.keys() and g1
    for name in g1:
        assert torch.allclose(g1[name], g8[name], atol=1e-7, rtol=1e-4), name
    # by hand: one forward over all six sequences, dpo_loss over the three pairs, one backward
    ref = _perturbed(tiny_model_dir, 8)
    model = ref.model
    batch = pack([x.prompt_ids for x in PAIRS], [x.completion_ids for x in PAIRS], 0)
    lp, _ = completion_logprobs(model, batch)
    with torch.no_grad():
        ref_lp, _ = completion_logprobs(ref.ref_model, batch)
    seq, ref_seq = sequence_logprobs(lp, batch.completion_mask), sequence_logprobs(ref_lp, batch.completion_mask)
    loss, stats = dpo_loss(seq[0::2], seq[1::2], ref_seq[0::2], ref_seq[1::2], beta=0.5)
    loss.backward()
    assert loss.item() == pytest.approx(big["loss/dpo"], abs=1e-6)
    assert stats["dpo/margin"] == pytest.approx(big["dpo/margin"], abs=1e-6)
    hand = _grads(model)
    for name in g8:  # the learner clips its gradients (optim.grad_clip 1.0) in place: clip the hand ones alike
        assert torch.allclose(hand[name] * _clip_scale(hand), g8[name], atol=1e-7, rtol=1e-4), name


def _clip_scale(grads, max_norm=1.0):
    """The factor clip_grad_norm_ (optim.grad_clip 1.0) scales gradients by."""
    total = torch.norm(torch.stack([g.norm() for g in grads.values()]))
    return min(1.0, max_norm / (float(total) + 1e-6))
