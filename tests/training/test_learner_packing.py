"""Packed micro-batches (``optim.micro_batch_tokens``): rows planned by hand-checked first-fit
decreasing, samples kept apart inside a row, and log-probs and updates equal to the padded layout's."""

import copy
import random

import pytest
import torch

from zeroplay.agents.hf import HFAgent
from zeroplay.core.errors import ConfigError
from zeroplay.training.config import config_from_dict
from zeroplay.training.learner import Learner
from zeroplay.training.loss import completion_logprobs, pack
from zeroplay.training.packing import pack_row, packed_logprobs, plan_micro_batches, plan_rows
from zeroplay.training.rollout import Sample


@pytest.fixture(scope="module")
def agent(tiny_model_dir):
    return HFAgent(str(tiny_model_dir), batch_size=8, seed=0)


def samples(n=7, seed=0, masks=False):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        c = [rng.randrange(3, 300) for _ in range(rng.randrange(1, 9))]
        mask = [rng.randrange(2) for _ in c] if masks else None
        if mask is not None:
            mask[0] = 1  # at least one trained token
        out.append(Sample(prompt_ids=[rng.randrange(3, 300) for _ in range(rng.randrange(1, 12))], completion_ids=c,
                          logprobs=[-rng.random() * 3 for _ in c], loss_mask=mask))
    return out


def test_rows_are_first_fit_decreasing_by_hand():
    # lengths 7, 5, 4, 3, 2 in that order of placement: 7 -> row A (1 free), 5 -> B (3), 4 -> C (4),
    # 3 -> B (0), 2 -> C (2)
    assert plan_rows([5, 3, 4, 2, 7], 8) == [[4], [0, 1], [2, 3]]
    assert plan_rows([10, 1], 4) == [[0], [1]]  # a sample above the budget gets a row of its own
    assert plan_rows([], 4) == []
    with pytest.raises(ValueError, match="budget"):
        plan_rows([1], 0)


def test_micro_batches_stack_rows_as_long_as_the_longest_sample():
    # rows of 7 tokens (the longest): [4] (7), [0, 3] (5 + 2), [2, 1] (4 + 3); 14 tokens: two rows a micro-batch
    assert plan_rows([5, 3, 4, 2, 7], 7) == [[4], [0, 3], [1, 2]]
    assert plan_micro_batches([5, 3, 4, 2, 7], 14) == [[4, 0, 3], [1, 2]]
    assert plan_micro_batches([5, 3, 4, 2, 7], 1) == [[4], [0, 3], [1, 2]]  # at least one row each
    assert plan_micro_batches([], 8) == []


def test_rows_cover_every_sample_once_within_the_budget_fuzzed():
    rng = random.Random(1)
    for _ in range(200):
        lengths = [rng.randrange(0, 60) for _ in range(rng.randrange(0, 40))]
        budget = rng.randrange(1, 80)
        rows = plan_rows(lengths, budget)
        assert sorted(i for r in rows for i in r) == list(range(len(lengths)))
        assert all(sum(lengths[i] for i in r) <= budget or len(r) == 1 for r in rows)
        assert rows == plan_rows(lengths, budget)  # deterministic


def test_packed_logprobs_and_entropies_are_the_padded_ones(agent):
    xs = samples(masks=True)
    P, C, M = [s.prompt_ids for s in xs], [s.completion_ids for s in xs], [s.loss_mask for s in xs]
    padded = pack(P, C, agent._pad_id, M)
    row = pack_row(P, C, M)
    assert torch.equal(row.completion_mask, padded.completion_mask)
    with torch.no_grad():
        a, ha = completion_logprobs(agent.model, padded, with_entropy=True)
        b, hb = packed_logprobs(agent.model, row, with_entropy=True)
    real = torch.zeros_like(padded.completion_mask)
    for i, c in enumerate(C):
        real[i, :len(c)] = 1
    assert torch.allclose(a * real, b * real, atol=1e-5)
    assert torch.allclose(ha * real, hb * real, atol=1e-5)
    assert row.tokens == sum(len(p) + len(c) for p, c in zip(P, C))  # no padding at all


def test_samples_in_one_row_do_not_see_each_other(agent):
    xs = samples(3, seed=2)
    P, C = [s.prompt_ids for s in xs], [s.completion_ids for s in xs]
    other = [list(reversed(P[0]))] + P[1:]  # change the first sample only
    with torch.no_grad():
        a, _ = packed_logprobs(agent.model, pack_row(P, C))
        b, _ = packed_logprobs(agent.model, pack_row(other, C))
    assert not torch.allclose(a[0], b[0])
    assert torch.equal(a[1:], b[1:])


def test_an_empty_prompt_cannot_be_packed_and_empty_completions_cost_nothing(agent):
    with pytest.raises(ValueError, match="empty prompt"):
        pack_row([[]], [[5, 6]])
    row = pack_row([[5, 6]], [[]])
    lp, h = packed_logprobs(agent.model, row, with_entropy=True)
    assert lp.shape == h.shape == (1, 1) and float(lp.abs().sum()) == 0.0


def _updated(agent, xs, adv, **optim):
    model = copy.deepcopy(agent.model)
    cfg = config_from_dict({"loop": "games", "optim": {"lr": 1e-2, **optim}})
    learner = Learner(model, cfg, pad_id=agent._pad_id)
    metrics = learner.update(xs, adv)
    return model, metrics, learner


@pytest.mark.parametrize("masks", [False, True])
def test_a_packed_update_is_the_padded_update(agent, masks):
    xs = samples(9, seed=3, masks=masks)
    adv = torch.linspace(-1, 1, len(xs))
    padded, m0, _ = _updated(agent, xs, adv, micro_batch_size=4)
    packed, m1, learner = _updated(agent, xs, adv, micro_batch_tokens=24)
    assert len(learner.micro_batches(xs)) > 1  # several rows: accumulation over packed rows
    one_row, m2, _ = _updated(agent, xs, adv, micro_batch_tokens=10_000)
    for m in (m1, m2):
        for key in ("loss/pg", "loss/grad_norm", "loss/ratio", "loss/entropy"):
            assert m[key] == pytest.approx(m0[key], rel=1e-4, abs=1e-6), key
    for model in (packed, one_row):
        for (name, p), q in zip(padded.named_parameters(), model.parameters()):
            assert torch.allclose(p, q, atol=1e-5), name


def test_learner_logprobs_with_packing_match_the_samplers_layout(agent):
    xs = samples(6, seed=4)
    cfg = config_from_dict({"loop": "games", "optim": {"micro_batch_tokens": 20}})
    packed = Learner(agent.model, cfg, pad_id=agent._pad_id).logprobs(xs)
    padded = Learner(agent.model, config_from_dict({"loop": "games"}), pad_id=agent._pad_id).logprobs(xs)
    assert [len(x) for x in packed] == [len(s.completion_ids) for s in xs]
    for a, b in zip(packed, padded):
        assert torch.allclose(torch.tensor(a), torch.tensor(b), atol=1e-5)


def test_a_negative_token_budget_is_refused():
    with pytest.raises(ConfigError, match="micro_batch_tokens"):
        config_from_dict({"loop": "games", "optim": {"micro_batch_tokens": -1}})


def test_several_rows_padded_at_their_ends_give_the_one_row_logprobs(agent):
    xs = samples(7, seed=5, masks=True)
    P, C, M = [s.prompt_ids for s in xs], [s.completion_ids for s in xs], [s.loss_mask for s in xs]
    longest = max(len(p) + len(c) for p, c in zip(P, C))
    rows = pack_row(P, C, M, row_tokens=longest, pad_id=agent._pad_id)
    one = pack_row(P, C, M)
    assert rows.input_ids.shape[0] > 1 and rows.input_ids.shape[1] == longest
    assert torch.equal(rows.completion_mask, one.completion_mask)
    with torch.no_grad():
        a, _ = packed_logprobs(agent.model, one)
        b, _ = packed_logprobs(agent.model, rows)
    assert torch.allclose(a, b, atol=1e-5)
