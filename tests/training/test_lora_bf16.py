"""LoRA on a bfloat16 base (``model.lora`` with ``model.dtype: bfloat16``): the frozen base weights are
held in bfloat16, the adapters and their optimizer state in float32; only the adapters train and the
base never moves; the reference (adapters off) is the initial bfloat16 model exactly; a killed run
resumes to the unbroken run's weights; ``final_model/`` is the merged model in bfloat16, close to the
adapted model; the HF sampler samples from it; and Ray actors, sent the adapters only, give the local run.
Full fine-tuning with ``model.dtype: bfloat16`` keeps its float32 master weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from zeroplay.agents.hf import HFAgent  # noqa: E402
from zeroplay.training import config_from_dict, read_metrics, train  # noqa: E402
from zeroplay.training.adapters import (adapter_keys, adapters_off, is_lora, load_model_state,  # noqa: E402
                                        model_state, save_model)
from zeroplay.training.build import build_policy, weights_dtype  # noqa: E402
from zeroplay.training.checkpoint import load_checkpoint  # noqa: E402
from zeroplay.training.learner import Learner  # noqa: E402
from zeroplay.training.rollout import Sample  # noqa: E402

from .conftest import kill_mid_run, tiny_config  # noqa: E402
from .test_lora import (CPU, LORA, final_weights, logprobs_of, lora_learner, lora_run, random_samples,  # noqa: E402
                        trained)

BF16 = {"model.dtype": "bfloat16"}


def bf16_learner(tmp_path, model_dir, **over):
    return lora_learner(tmp_path, model_dir, **{**BF16, **over})


def plain_bf16_model(path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.bfloat16)


def base_state(model):
    adapters = set(adapter_keys(model))
    return {k: v.clone() for k, v in model.state_dict().items() if k not in adapters}


# -- dtypes: a bfloat16 base, float32 adapters, float32 optimizer state --------------------------------
def test_the_base_is_bfloat16_and_the_adapters_and_their_optimizer_state_float32(tmp_path, tiny_model_dir):
    policy, learner = bf16_learner(tmp_path, tiny_model_dir)
    model = policy.model
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    frozen = {n: p for n, p in model.named_parameters() if not p.requires_grad}
    assert len(trainable) == 8 and {p.dtype for p in trainable.values()} == {torch.float32}
    assert frozen and {p.dtype for p in frozen.values()} == {torch.bfloat16}
    assert all("lora_" not in n for n in frozen)
    in_optimizer = {id(p) for g in learner.optimizer.param_groups for p in g["params"]}
    assert in_optimizer == {id(p) for p in trainable.values()}
    trained(learner, steps=1)
    moments = [t for s in learner.optimizer.state.values() for k, t in s.items() if k != "step"]
    assert len(moments) == 16 and {t.dtype for t in moments} == {torch.float32}


def test_full_fine_tuning_keeps_float32_master_weights_under_bfloat16_autocast(tmp_path, tiny_model_dir):
    cfg = config_from_dict(tiny_config(tmp_path, **BF16))
    policy = build_policy(cfg, Path(tiny_model_dir), CPU)
    assert {p.dtype for p in policy.model.parameters()} == {torch.float32}
    assert Learner(policy.model, cfg, pad_id=policy._pad_id).amp == torch.bfloat16  # and it computes in bf16
    # LoRA without bf16 autocast (auto on CPU computes in float32): a float32 base, as before
    assert weights_dtype(config_from_dict(tiny_config(tmp_path, **{"model.lora": LORA})), CPU) == torch.float32
    assert weights_dtype(config_from_dict(tiny_config(tmp_path, **{"model.lora": LORA, **BF16})), CPU) == torch.bfloat16


def test_a_few_steps_train_the_adapters_and_leave_the_bfloat16_base_bit_for_bit(tmp_path, tiny_model_dir):
    policy, learner = bf16_learner(tmp_path, tiny_model_dir)
    model = policy.model
    base = base_state(model)
    before = {k: v.clone() for k, v in model_state(model).items()}
    samples = random_samples()
    adv = torch.tensor([1.0, -1.0, 0.5, -0.5, 2.0, -2.0])
    losses = [learner.update(samples, adv) for _ in range(3)]
    assert all(torch.isfinite(torch.tensor(m["loss/pg"])) and m["loss/grad_norm"] > 0 for m in losses)
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in base.items())  # the base never moves
    assert all(not torch.equal(after[k], v) for k, v in before.items() if "lora_B" in k)  # every B left zero
    assert all(after[k].dtype == torch.float32 for k in before)


# -- the reference: adapters off is the initial bfloat16 model ---------------------------------------------
def test_reference_logprobs_are_the_initial_bfloat16_models_exactly(tmp_path, tiny_model_dir):
    policy, learner = bf16_learner(tmp_path, tiny_model_dir, **{"model.ref_model": True, "loss.kl_coef": 0.5})
    assert learner.ref_model is None and learner.has_ref  # no copy
    samples = trained(learner, steps=3)
    assert learner.update(samples, torch.ones(len(samples)))["loss/kl"] > 0
    with learner.reference() as ref:
        got = learner.logprobs(samples, ref)
    cfg = config_from_dict(tiny_config(tmp_path, **BF16))
    want = Learner(plain_bf16_model(tiny_model_dir), cfg, pad_id=policy._pad_id).logprobs(samples)
    assert got == want  # bit for bit, both under bf16 autocast
    plain32 = Learner(plain_bf16_model(tiny_model_dir).float(), config_from_dict(tiny_config(tmp_path)),
                      pad_id=policy._pad_id).logprobs(samples)
    assert got != plain32  # the test can tell a bf16 forward pass from a float32 one
    assert learner.logprobs(samples) != got  # the adapters are on again after the block


# -- the sampler on a bfloat16 base ---------------------------------------------------------------------
@pytest.mark.parametrize("cache", ["dynamic", "static"])
def test_the_hf_sampler_samples_from_the_adapted_bfloat16_model(tmp_path, tiny_model_dir, cache):
    from zeroplay.agents.policy import SamplingParams

    policy, learner = bf16_learner(tmp_path, tiny_model_dir, **{"optim.lr": 5e-2})
    trained(learner, steps=4)
    agent = HFAgent(policy.model, policy.tokenizer, batch_size=4, seed=0, cache=cache, compile=False)
    gens = agent.generate_from_ids([[5, 6, 7], [20, 21], [40, 41, 42, 43]],
                                   SamplingParams(max_new_tokens=6, logprobs=True, seed=1))
    assert agent.last_decode["cache"] == cache and all(len(g.completion_ids) == 6 for g in gens)
    samples = [Sample(g.prompt_ids, g.completion_ids, g.logprobs) for g in gens]
    adapted = learner.logprobs(samples)
    with adapters_off(policy.model):
        base = learner.logprobs(samples)
    gap = max(abs(x - y) for g, a in zip(gens, adapted) for x, y in zip(g.logprobs, a))
    moved = max(abs(x - y) for a, b in zip(adapted, base) for x, y in zip(a, b))
    assert gap < 0.01  # the sampler's log-probs are the adapted model's, up to bf16 rounding (measured 1.5e-3)
    assert moved > max(0.05, 5 * gap)  # ... not the base's


# -- the merged final model ----------------------------------------------------------------------------
def test_the_merged_model_is_saved_in_bfloat16_and_matches_the_adapted_model(tmp_path, tiny_model_dir):
    policy, learner = bf16_learner(tmp_path, tiny_model_dir, **{"optim.lr": 5e-2})
    trained(learner, steps=4)
    save_model(policy.model, tmp_path / "merged")
    policy.tokenizer.save_pretrained(tmp_path / "merged")  # as the trainer writes final_model/
    served = HFAgent(path=str(tmp_path / "merged"), device="cpu").model
    assert not is_lora(served) and {p.dtype for p in served.parameters()} == {torch.bfloat16}
    assert json.loads((tmp_path / "merged" / "config.json").read_text())["dtype"] == "bfloat16"
    samples = random_samples(seed=1)
    adapted = logprobs_of(policy.model, samples)
    with adapters_off(policy.model):
        base = logprobs_of(policy.model, samples)
    gap = float((logprobs_of(served, samples) - adapted).abs().max())
    assert gap < 0.02  # the adapted model's log-probs up to bf16 rounding (measured 1.5e-3)
    assert float((adapted - base).abs().max()) > max(0.1, 5 * gap)  # the merge carries the training
    # the merge is summed in float32 and rounded once: each merged weight is round(W + delta)
    layer = policy.model.model.layers[0].self_attn.q_proj
    want = (layer.base_layer.weight.float() + layer.get_delta_weight("default").float()).to(torch.bfloat16)
    assert torch.equal(served.model.layers[0].self_attn.q_proj.weight, want)


# -- runs: a kill -9 resume, and Ray actors --------------------------------------------------------------
@pytest.fixture(scope="module")
def unbroken(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lora_bf16")
    cfg = lora_run(tmp, **BF16)
    return cfg, train(config_from_dict({**cfg, "name": "one"}), quiet=True)


def test_a_killed_bfloat16_lora_run_resumes_to_the_unbroken_runs_weights(unbroken, tmp_path):
    cfg, one = unbroken
    assert all(r["loss/grad_norm"] > 0 for r in read_metrics(one)[1:])
    assert {v.dtype for v in load_checkpoint(one)["model"].values()} == {torch.float32}  # the adapters
    killed = kill_mid_run({**cfg, "out_dir": str(tmp_path)}, tmp_path, name="killed")
    resumed = train(config_from_dict({**cfg, "out_dir": str(tmp_path), "name": "killed"}), quiet=True)
    a, b = final_weights(one), final_weights(resumed)
    assert a.keys() == b.keys() and {v.dtype for v in a.values()} == {torch.bfloat16}
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["loss/pg"] for r in read_metrics(one)[1:]] == [r["loss/pg"] for r in read_metrics(killed)[1:]]
    assert not is_lora(HFAgent(path=str(resumed / "final_model"), device="cpu").model)  # the hf agent loads it


def test_a_ray_actor_holds_the_trainers_base_dtype_and_gets_the_adapters_only(tmp_path, tiny_model_dir):
    from zeroplay.training.ray_workers import _RolloutActor

    policy, learner = bf16_learner(tmp_path, tiny_model_dir, **{"optim.lr": 5e-2})
    trained(learner, steps=3)
    weights = model_state(policy.model)
    assert set(weights) == set(adapter_keys(policy.model))  # what collect() sends: 8 small matrices
    # the actor's own config says auto (float32 on CPU); it follows the trainer's dtype instead
    cfg = config_from_dict(tiny_config(tmp_path, **{"model.lora": LORA, "warmup.steps": 0}))
    actor = _RolloutActor(cfg.model_dump_json(), str(tiny_model_dir), "bfloat16")
    load_model_state(actor.policy.model, {k: v.clone() for k, v in weights.items()})  # as run() does
    got, want = actor.policy.model.state_dict(), policy.model.state_dict()
    assert got.keys() == want.keys()
    assert all(got[k].dtype == want[k].dtype and torch.equal(got[k], want[k]) for k in want)


def test_bfloat16_lora_rollouts_on_a_ray_actor_give_the_local_run(tmp_path):
    from .test_loops import _same_run

    base = tiny_config(tmp_path, threads=1, **{"model.lora": LORA, "optim.lr": 5e-2, **BF16})
    rows = _same_run(tmp_path, base, workers=1)
    assert all(r["loss/grad_norm"] > 0 for r in rows[1:])  # the adapters trained: step 2 sampled from moved ones
