"""Gradient checkpointing (``optim.gradient_checkpointing``): each decoder layer really is recomputed in
the backward pass, the losses and weights are those of the run without it (up to float rounding), with
and without LoRA, and the HF sampler keeps its KV cache (same generations, dynamic and static cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from zeroplay.agents.hf import HFAgent  # noqa: E402
from zeroplay.agents.policy import SamplingParams  # noqa: E402
from zeroplay.training import config_from_dict, read_metrics, train  # noqa: E402
from zeroplay.training.build import build_policy  # noqa: E402
from zeroplay.training.checkpoint import significant  # noqa: E402
from zeroplay.training.learner import Learner  # noqa: E402

from .conftest import random_samples, tiny_config  # noqa: E402

CPU = torch.device("cpu")


def learner(tmp_path, model_dir, checkpointing, lora=None):
    over = {"optim.gradient_checkpointing": checkpointing, "optim.micro_batch_size": 2, "optim.lr": 1e-2,
            "warmup.steps": 0}
    if lora:
        over["model.lora"] = lora
    cfg = config_from_dict(tiny_config(tmp_path, **over))
    policy = build_policy(cfg, Path(model_dir), CPU)
    return policy, Learner(policy.model, cfg, pad_id=policy._pad_id)


def mlp_calls(model):
    """A counter of the first layer's MLP forward calls (the checkpointed layer's forward is replayed in
    the backward pass, and with it its MLP's; torch runs no module hooks in the replay, so the method
    itself is counted)."""
    mlp, calls = model.model.layers[0].mlp, [0]
    forward = mlp.forward

    def counted(*args, **kwargs):
        calls[0] += 1
        return forward(*args, **kwargs)

    mlp.forward = counted
    return calls


@pytest.mark.parametrize("lora", [None, {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}])
def test_checkpointing_recomputes_the_layers_and_gives_the_same_losses_and_weights(tmp_path, tiny_model_dir, lora):
    if lora:
        pytest.importorskip("peft")
    runs = {}
    for on in (False, True):
        policy, lrn = learner(tmp_path, tiny_model_dir, on, lora)
        calls = mlp_calls(policy.model)
        batch, adv = random_samples(), torch.tensor([1.0, -1.0, 0.5, -0.5, 2.0, -2.0])
        losses = [lrn.update(batch, adv)["loss/pg"] for _ in range(3)]
        runs[on] = (losses, calls[0], {k: v.clone() for k, v in policy.model.state_dict().items()})
    (loss_a, calls_a, w_a), (loss_b, calls_b, w_b) = runs[False], runs[True]
    assert calls_a == 3 * 3  # 3 updates x 3 micro-batches of 2 samples
    assert calls_b == 2 * calls_a  # each forward replayed once in the backward pass
    assert loss_b == pytest.approx(loss_a, rel=1e-5, abs=1e-7)
    assert w_a.keys() == w_b.keys()
    for k in w_a:
        assert torch.allclose(w_a[k], w_b[k], rtol=1e-5, atol=1e-6), k
    assert any(not torch.equal(w_a[k], v) for k, v in
               build_policy(config_from_dict(tiny_config(tmp_path, **({"model.lora": lora} if lora else {}))),
                            Path(tiny_model_dir), CPU).model.state_dict().items())  # it trained


@pytest.mark.parametrize("cache", ["dynamic", "static"])
def test_the_sampler_keeps_its_kv_cache_under_checkpointing(tmp_path, tiny_model_dir, cache):
    gens = {}
    for on in (False, True):
        policy, lrn = learner(tmp_path, tiny_model_dir, on)
        policy.model.train()  # as the learner leaves it: the sampler must still decode with its cache
        agent = HFAgent(policy.model, policy.tokenizer, batch_size=4, seed=0, cache=cache, compile=False)
        out = agent.generate_from_ids([[5, 6, 7], [20, 21], [40, 41, 42, 43]],
                                      SamplingParams(max_new_tokens=8, logprobs=True, seed=1))
        assert agent.last_decode["cache"] == cache and policy.model.training
        gens[on] = [(g.completion_ids, g.logprobs) for g in out]
    assert [c for c, _ in gens[True]] == [c for c, _ in gens[False]]
    for (_, a), (_, b) in zip(gens[True], gens[False]):
        assert a == pytest.approx(b, abs=1e-6)


def test_a_run_with_checkpointing_is_the_run_without(tmp_path):
    base = tiny_config(tmp_path, threads=1)
    plain = train(config_from_dict({**base, "name": "plain"}), quiet=True)
    ckpt = train(config_from_dict({**base, "name": "ckpt", "optim": {**base["optim"], "gradient_checkpointing": True}}),
                 quiet=True)
    a, b = read_metrics(plain)[1:], read_metrics(ckpt)[1:]
    assert any(r["loss/grad_norm"] > 0 for r in a)
    for x, y in zip(a, b):
        assert y["loss/pg"] == pytest.approx(x["loss/pg"], rel=1e-5, abs=1e-7)


def test_a_resume_may_turn_checkpointing_on_or_off():
    assert significant({"optim.gradient_checkpointing": (False, True),
                        "policies.solver.optim.gradient_checkpointing": (True, False)}) == []
