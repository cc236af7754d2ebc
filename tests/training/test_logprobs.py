"""The learner's log-probs of sampled tokens match the sampler's (HF backend)."""

import pytest
import torch

from zeroplay.agents.hf import HFAgent
from zeroplay.agents.policy import SamplingParams
from zeroplay.core.errors import ConfigError
from zeroplay.training.config import config_from_dict
from zeroplay.training.learner import Learner
from zeroplay.training.rollout import Sampler, to_sample
from zeroplay.training.templates import get_template


@pytest.fixture(scope="module")
def agent(tiny_model_dir):
    return HFAgent(str(tiny_model_dir), batch_size=8, seed=0)


def test_learner_logprobs_match_sampler(agent):
    cfg = config_from_dict({"loop": "games", "optim": {"micro_batch_size": 3}})
    sampler = Sampler(agent, get_template("plain"), SamplingParams(temperature=1.0, max_new_tokens=12), seed=5)
    # prompts of different lengths, so both sides pad, and completions of different lengths
    obs = ["hi", "Kuhn Poker. Your card: K. Legal moves: [check], [bet]", "x" * 40, "2 + 2 = ?", "[a] [b]"]
    outs = sampler.generate(obs)
    samples = [to_sample(g) for g, _, _ in outs]
    assert len({len(s.completion_ids) for s in samples}) > 1 or len({len(s.prompt_ids) for s in samples}) > 1
    learner = Learner(agent.model, cfg, pad_id=agent._pad_id)
    recomputed = learner.logprobs(samples)
    for s, lp in zip(samples, recomputed):
        assert len(lp) == len(s.logprobs) == len(s.completion_ids)
        assert torch.allclose(torch.tensor(lp), torch.tensor(s.logprobs), atol=2e-4), (lp, s.logprobs)


def test_a_learner_update_moves_logprobs_in_the_advantage_direction(agent, tiny_model_dir):
    # a fresh copy of the model: this test trains it
    fresh = HFAgent(str(tiny_model_dir), batch_size=8, seed=0)
    cfg = config_from_dict({"loop": "games", "optim": {"lr": 1e-2, "micro_batch_size": 2}})
    sampler = Sampler(fresh, get_template("plain"), SamplingParams(max_new_tokens=6), seed=1)
    samples = [to_sample(g) for g, _, _ in sampler.generate(["a", "b", "c", "d"])]
    adv = torch.tensor([1.0, -1.0, 1.0, -1.0])
    learner = Learner(fresh.model, cfg, pad_id=fresh._pad_id)
    before = [sum(x) for x in learner.logprobs(samples)]
    metrics = learner.update(samples, adv)
    after = [sum(x) for x in learner.logprobs(samples)]
    assert after[0] > before[0] and after[2] > before[2]
    assert after[1] < before[1] and after[3] < before[3]
    assert metrics["loss/entropy"] > 0 and metrics["loss/grad_norm"] > 0


def test_update_rejects_mismatched_advantages(agent):
    cfg = config_from_dict({"loop": "games"})
    learner = Learner(agent.model, cfg, pad_id=agent._pad_id)
    with pytest.raises(ValueError, match="advantages"):
        learner.update([], torch.zeros(2))


def test_kl_needs_a_reference_model():
    with pytest.raises(ConfigError, match="ref_model"):
        config_from_dict({"loop": "games", "loss": {"kl_coef": 0.05}})
