"""Multi-turn tool episodes: tool output is masked out of the loss (hand-made cases), a sample
without a mask trains exactly as before, and the recorded log-probs of a multi-turn episode match
a learner forward pass over the whole sequence."""

from __future__ import annotations

import copy

import pytest
import torch

from zeroplay.agents.hf import HFAgent
from zeroplay.agents.policy import SamplingParams
from zeroplay.core.errors import ConfigError
from zeroplay.core.tools import Turn
from zeroplay.core.types import Task
from zeroplay.envs.search.env import SearchQAEnv
from zeroplay.training.config import config_from_dict
from zeroplay.training.learner import Learner
from zeroplay.training.loss import loss_normalizer, pack, ppo_clip_loss
from zeroplay.training.multiturn import run_tool_episodes
from zeroplay.training.policies import ScriptedSampler
from zeroplay.training.rollout import Sample, Sampler
from zeroplay.training.selfplay.search import SearchThenRead
from zeroplay.training.templates import get_template

# -- the mask in the loss, by hand ---------------------------------------------------------------


def test_pack_multiplies_the_padding_mask_by_the_loss_mask():
    batch = pack([[1, 2], [3]], [[4, 5, 6, 7], [8, 9]], pad_id=0, loss_masks=[[1, 0, 0, 1], None])
    assert batch.completion_mask.tolist() == [[1, 0, 0, 1], [1, 1, 0, 0]]
    plain = pack([[1, 2], [3]], [[4, 5, 6, 7], [8, 9]], pad_id=0)
    same = pack([[1, 2], [3]], [[4, 5, 6, 7], [8, 9]], pad_id=0, loss_masks=[None, None])
    for a, b in zip((plain.input_ids, plain.attention_mask, plain.position_ids, plain.completion_mask),
                    (same.input_ids, same.attention_mask, same.position_ids, same.completion_mask)):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="3 entries for 4"):
        pack([[1]], [[4, 5, 6, 7]], pad_id=0, loss_masks=[[1, 0, 1]])


def test_masked_tokens_get_no_gradient_and_do_not_count_in_the_normalizer():
    # one completion of 4 tokens: 2 model tokens, then 2 tool-output tokens (mask 0)
    sample = Sample([1], [4, 5, 6, 7], [-1.0, -1.0, 0.0, 0.0], loss_mask=[1, 1, 0, 0])
    assert sample.trained_tokens() == 2
    norm = loss_normalizer([sample.trained_tokens()], "token", 16)
    assert norm == 2.0
    logp = torch.tensor([[-1.0, -1.0, -3.0, -5.0]], requires_grad=True)
    mask = pack([[1]], [[4, 5, 6, 7]], 0, [sample.loss_mask]).completion_mask
    loss, stats = ppo_clip_loss(logp, torch.tensor([sample.logprobs]), torch.tensor([2.0]), mask, normalizer=norm)
    loss.backward()
    # ratio 1 on the two model tokens: loss = -(2 * 1 + 2 * 1) / 2 = -2; d loss / d logp = -A / 2 = -1 there
    assert loss.item() == pytest.approx(-2.0)
    assert logp.grad.tolist() == [[-1.0, -1.0, 0.0, 0.0]]
    assert stats.tokens == 2.0


@pytest.fixture(scope="module")
def agent(tiny_model_dir):
    return HFAgent(str(tiny_model_dir), batch_size=8, seed=0)


def _updated(agent, samples, adv):
    model = copy.deepcopy(agent.model)
    cfg = config_from_dict({"loop": "games", "optim": {"lr": 1e-2, "micro_batch_size": 2}})
    Learner(model, cfg, pad_id=agent._pad_id).update(samples, torch.tensor(adv))
    return [p.detach().clone() for p in model.parameters()]


def test_a_sample_without_a_mask_trains_exactly_as_an_all_ones_mask(agent):
    base = [Sample([5, 6, 7], [8, 9, 10, 11], [-2.0, -3.0, -1.5, -2.5]), Sample([5], [12, 13], [-4.0, -1.0])]
    masked = [copy.deepcopy(s) for s in base]
    for s in masked:
        s.loss_mask = [1] * len(s.completion_ids)
    for a, b in zip(_updated(agent, base, [1.0, -1.0]), _updated(agent, masked, [1.0, -1.0])):
        assert torch.equal(a, b)


def test_what_sits_under_a_zero_mask_does_not_change_the_update(agent):
    # the old log-probs of tool tokens are never used: 0.0 or anything else gives the same step
    a = [Sample([5, 6], [8, 9, 10, 11], [-2.0, -3.0, 0.0, 0.0], loss_mask=[1, 1, 0, 0])]
    b = [Sample([5, 6], [8, 9, 10, 11], [-2.0, -3.0, -40.0, -7.0], loss_mask=[1, 1, 0, 0])]
    changed = _updated(agent, a, [1.0])
    assert any(not torch.equal(x, y) for x, y in zip(changed, agent.model.parameters()))
    for x, y in zip(changed, _updated(agent, b, [1.0])):
        assert torch.equal(x, y)


def test_a_sample_with_only_tool_tokens_is_skipped(agent):
    cfg = config_from_dict({"loop": "games"})
    learner = Learner(copy.deepcopy(agent.model), cfg, pad_id=agent._pad_id)
    assert learner.update([Sample([5], [8, 9], [0.0, 0.0], loss_mask=[0, 0])], torch.tensor([1.0])) == \
        {"loss/skipped": 1.0}


# -- multi-turn episodes with a real tiny model ------------------------------------------------------


class ForcedCalls(SearchQAEnv):
    """SearchQA where the first ``forced`` turns are searches whatever the model writes (a random tiny
    model writes no tags), then the turn is read as the answer: so tool output really is interleaved."""

    def __init__(self, forced: int = 2, **kw):
        super().__init__(**kw)
        self.forced = forced

    def parse(self, text):
        if self.calls < self.forced:
            return Turn("call", "search", "Pellwick clock", len(text))
        return Turn("answer", "", text.strip(), len(text))


def _episodes(agent, forced=2, budget=4096, n=3):
    sampler = Sampler(agent, get_template("plain"), SamplingParams(temperature=1.0, max_new_tokens=6), seed=3)
    envs = [ForcedCalls(forced, max_output_chars=800) for _ in range(n)]
    task = Task("t", "When was the Pellwick Clock built?", "1654", "math")
    obs = [env.reset(seed=0, options={"task": task})[0] for env in envs]
    return envs, run_tool_episodes(sampler, envs, obs, max_episode_tokens=budget)


def test_tool_output_is_interleaved_masked_and_tokenized_as_the_model_saw_it(agent):
    envs, episodes = _episodes(agent)
    tok = agent.tokenizer
    for ep in episodes:
        assert ep.turns == 3 and ep.info["calls"] == 2 and ep.info["answered"]
        assert len(ep.completion_ids) == len(ep.logprobs) == len(ep.loss_mask)
        # two runs of 0s (two tool outputs), each exactly the tokens of the env's tool output
        runs, prev = [], 1
        for pos, m in enumerate(ep.loss_mask):
            if m == 0 and prev == 1:
                runs.append([pos, pos])
            if m == 0:
                runs[-1][1] = pos + 1
            prev = m
        assert len(runs) == 2
        for start, end in runs:
            shown = tok.decode(ep.completion_ids[start:end])
            assert shown.startswith("\n<result>\n[1] (pellwick-clock)") and shown.endswith("</result>\n")
            assert all(lp == 0.0 for lp in ep.logprobs[start:end])
        assert ep.loss_mask[0] == 1 and ep.loss_mask[-1] == 1
        sample = ep.to_sample(role="solver")
        assert sample.loss_mask == ep.loss_mask and sample.trained_tokens() < len(sample.completion_ids)


def test_recorded_logprobs_match_a_forward_pass_over_the_whole_sequence(agent):
    _, episodes = _episodes(agent)
    samples = [ep.to_sample() for ep in episodes]
    cfg = config_from_dict({"loop": "games", "optim": {"micro_batch_size": 2}})
    recomputed = Learner(agent.model, cfg, pad_id=agent._pad_id).logprobs(samples)
    for s, lp in zip(samples, recomputed):
        own = [i for i, m in enumerate(s.loss_mask) if m]
        assert torch.allclose(torch.tensor([lp[i] for i in own]), torch.tensor([s.logprobs[i] for i in own]),
                              atol=2e-4)


def test_a_token_budget_ends_the_episode_truncated(agent):
    _, episodes = _episodes(agent, forced=5, budget=40, n=1)
    ep = episodes[0]
    assert "token budget" in ep.info["reason"] and ep.reward == 0.0 and not ep.answered
    assert len(ep.completion_ids) < 40 and ep.info["budget_spent"]


def test_a_scripted_role_plays_on_text():
    sampler = ScriptedSampler(SearchThenRead(), get_template("plain"), "solver")
    env = SearchQAEnv()
    task = Task("t", "Which subject fits the blank: ___ was the currency of Morvane before 1703?", "Silver shell")
    obs = env.reset(seed=0, options={"task": task})[0]
    ep = run_tool_episodes(sampler, [env], [obs])[0]
    assert ep.turns == 2 and ep.finish_reason == "scripted" and ep.completion_ids == []
    assert ep.text.startswith("<search>Which subject fits the blank")
    assert ep.text.endswith("<answer>Silver shell</answer>")
    assert ep.reward == 1.0 and ep.to_sample().loss_mask is None


class TextOnlyPolicy:
    """A policy that cannot continue from token ids (as the vllm backend)."""

    def generate(self, prompts, params=None):
        raise AssertionError("never called")


def test_a_policy_without_generate_from_ids_is_a_clear_error():
    sampler = Sampler(TextOnlyPolicy(), get_template("plain"), SamplingParams())
    env = SearchQAEnv()
    with pytest.raises(ConfigError, match="backend: hf"):
        run_tool_episodes(sampler, [env], [env.reset(seed=0)[0]])
