"""LoRA adapters (``model.lora``, through peft): only the adapters train, the reference is the policy
with its adapters off (exactly the initial model), checkpoints hold the adapters and resume after a
kill to the unbroken run's weights, ``final_model/`` is the merged plain model, the HF sampler samples
from the adapted model, and two processes give the one-process weights."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from zeroplay.agents.hf import HFAgent  # noqa: E402
from zeroplay.core.errors import ConfigError  # noqa: E402
from zeroplay.training import config_from_dict, read_metrics, train  # noqa: E402
from zeroplay.training.adapters import (adapter_keys, adapters_off, is_lora, load_model_state,  # noqa: E402
                                        require_peft, trainable_counts)
from zeroplay.training.build import build_policy  # noqa: E402
from zeroplay.training.checkpoint import CheckpointError, load_checkpoint  # noqa: E402
from zeroplay.training.learner import Learner  # noqa: E402
from zeroplay.training.loss import completion_logprobs, pack  # noqa: E402
from zeroplay.training.rollout import Sample  # noqa: E402

from .conftest import kill_mid_run, random_samples, tiny_config  # noqa: E402

LORA = {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}
CPU = torch.device("cpu")


def lora_config(tmp_path, **over):
    return config_from_dict(tiny_config(tmp_path, **{"model.lora": LORA, **over}))


def lora_learner(tmp_path, model_dir, **over):
    cfg = lora_config(tmp_path, **{"optim.lr": 1e-2, "warmup.steps": 0, **over})
    policy = build_policy(cfg, Path(model_dir), CPU)
    return policy, Learner(policy.model, cfg, pad_id=policy._pad_id)


def trained(learner, steps=2):
    """Move the adapters off zero with real policy-gradient updates on fixed samples."""
    samples = random_samples()
    adv = torch.tensor([1.0, -1.0, 0.5, -0.5, 2.0, -2.0])
    for _ in range(steps):
        learner.update(samples, adv)
    return samples


def plain_model(path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)


def logprobs_of(model, samples):
    batch = pack([s.prompt_ids for s in samples], [s.completion_ids for s in samples], 0)
    with torch.no_grad():
        lp, _ = completion_logprobs(model, batch)
    return lp * batch.completion_mask


# -- only the adapters train -------------------------------------------------------------------------
def test_only_the_adapters_train_and_the_optimizer_holds_only_them(tmp_path, tiny_model_dir):
    policy, learner = lora_learner(tmp_path, tiny_model_dir)
    model = policy.model
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    assert names == {f"model.layers.{i}.self_attn.{m}_proj.lora_{ab}.default.weight"
                     for i in (0, 1) for m in "qv" for ab in "AB"}
    # 2 layers x (q_proj, v_proj) x r (in + out) = 2 * 2 * 4 * (32 + 32)
    assert trainable_counts(model)[0] == 1024
    in_optimizer = {id(p) for g in learner.optimizer.param_groups for p in g["params"]}
    assert in_optimizer == {id(p) for p in model.parameters() if p.requires_grad}
    base = {k: v.clone() for k, v in model.state_dict().items() if k not in adapter_keys(model)}
    trained(learner)
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in base.items())  # the base weights never move
    assert any(after[k].abs().sum() > 0 for k in adapter_keys(model) if "lora_B" in k)  # B started at 0


def test_the_adapted_model_starts_as_the_initial_model_exactly(tmp_path, tiny_model_dir):
    policy, _ = lora_learner(tmp_path, tiny_model_dir)
    samples = random_samples()
    assert torch.equal(logprobs_of(policy.model, samples), logprobs_of(plain_model(tiny_model_dir), samples))


# -- the reference: the same model with its adapters off ------------------------------------------------
def test_reference_logprobs_are_the_initial_models_exactly_with_no_copy(tmp_path, tiny_model_dir):
    policy, learner = lora_learner(tmp_path, tiny_model_dir, **{"model.ref_model": True, "loss.kl_coef": 0.5})
    assert not learner.wants_ref and learner.ref_model is None and learner.has_ref  # the trainer copies nothing
    samples = trained(learner)
    metrics = learner.update(samples, torch.ones(len(samples)))
    assert metrics["loss/kl"] > 0  # the adapters moved away from the reference, and the KL sees it
    with learner.reference() as ref:
        got = learner.logprobs(samples, ref)
    want = Learner(plain_model(tiny_model_dir), config_from_dict(tiny_config(tmp_path)), pad_id=policy._pad_id)
    assert got == want.logprobs(samples)  # bit for bit: the adapters are off, the base never moved
    assert learner.logprobs(samples) != got  # and on again after the block, trainable as before
    assert trainable_counts(policy.model)[0] == 1024


def test_dpo_with_lora_starts_at_log_2_against_the_adapters_off(tmp_path, tiny_model_dir):
    _, learner = lora_learner(tmp_path, tiny_model_dir, **{"loss.objective": "dpo", "optim.lr": 1e-2})
    pairs = []
    for i, (c, r) in enumerate([([8, 9, 10], [11, 12]), ([13], [14, 15, 16]), ([30, 31], [32, 33, 34])]):
        pairs += [Sample([5, 6, 7], c, [], meta={"pair": i, "preferred": True}),
                  Sample([5, 6, 7], r, [], meta={"pair": i, "preferred": False})]
    first = learner.update_dpo(pairs)
    assert first["loss/dpo"] == pytest.approx(math.log(2), abs=1e-6)
    assert first["dpo/margin"] == pytest.approx(0, abs=1e-6)  # the adapters start at zero: policy == reference
    for _ in range(3):
        after = learner.update_dpo(pairs)
    assert after["dpo/margin"] > 0 and after["loss/dpo"] < math.log(2)


# -- the sampler samples from the adapted model ------------------------------------------------------
@pytest.mark.parametrize("cache", ["dynamic", "static"])
def test_the_hf_sampler_samples_from_the_adapted_model(tmp_path, tiny_model_dir, cache):
    from zeroplay.agents.policy import SamplingParams

    policy, learner = lora_learner(tmp_path, tiny_model_dir, **{"optim.lr": 5e-2})
    trained(learner, steps=3)
    agent = HFAgent(policy.model, policy.tokenizer, batch_size=4, seed=0, cache=cache, compile=False)
    gens = agent.generate_from_ids([[5, 6, 7], [20, 21], [40, 41, 42, 43]],
                                   SamplingParams(max_new_tokens=6, logprobs=True, seed=1))
    assert agent.last_decode["cache"] == cache
    samples = [Sample(g.prompt_ids, g.completion_ids, g.logprobs) for g in gens]
    adapted = learner.logprobs(samples)
    with adapters_off(policy.model):
        base = learner.logprobs(samples)
    for g, a, b in zip(gens, adapted, base):
        assert g.logprobs == pytest.approx(a, abs=1e-4)  # the sampler's log-probs are the adapted model's
    assert max(abs(x - y) for a, b in zip(adapted, base) for x, y in zip(a, b)) > 1e-3  # ... not the base's


# -- runs: checkpoints, resume after a kill, the merged final model -------------------------------------
def lora_run(tmp_path, **over):
    return tiny_config(tmp_path, steps=3, threads=1, **{"model.lora": LORA, "optim.lr": 1e-2, **over})


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lora")
    cfg = lora_run(tmp)
    return cfg, train(config_from_dict({**cfg, "name": "one"}), quiet=True)


def final_weights(run_dir):
    from safetensors.torch import load_file

    return load_file(str(Path(run_dir) / "final_model" / "model.safetensors"))


def test_a_checkpoint_holds_the_adapters_and_their_optimizer_state_only(unbroken):
    cfg, run_dir = unbroken
    state = load_checkpoint(run_dir)
    assert sorted(state["model"]) == sorted(f"model.layers.0.self_attn.{m}_proj.lora_{ab}.default.weight"
                                            for m in "qv" for ab in "AB")
    assert len(state["optimizer"]["state"]) == 4  # AdamW moments of the 4 adapter matrices
    assert all(r["loss/grad_norm"] > 0 for r in read_metrics(run_dir)[1:])  # it trained


def test_a_killed_lora_run_resumes_to_the_unbroken_runs_weights(unbroken, tmp_path):
    cfg, one = unbroken
    killed = kill_mid_run({**cfg, "out_dir": str(tmp_path)}, tmp_path, name="killed")
    resumed = train(config_from_dict({**cfg, "out_dir": str(tmp_path), "name": "killed"}), quiet=True)
    a, b = final_weights(one), final_weights(resumed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["loss/pg"] for r in read_metrics(one)[1:]] == [r["loss/pg"] for r in read_metrics(killed)[1:]]


def test_the_final_model_is_the_merged_plain_model(unbroken):
    cfg, run_dir = unbroken
    from safetensors.torch import load_file

    init = load_file(str(run_dir / "init_model" / "model.safetensors"))
    assert final_weights(run_dir).keys() == init.keys()  # the plain model's weights, no adapter keys
    served = HFAgent(path=str(run_dir / "final_model"), device="cpu")  # as `zeroplay serve` and the hf agent load it
    assert not is_lora(served.model)
    adapted = build_policy(config_from_dict(cfg), run_dir / "init_model", CPU).model
    load_model_state(adapted, load_checkpoint(run_dir)["model"])
    samples = random_samples()
    want = logprobs_of(adapted, samples)
    assert torch.allclose(logprobs_of(served.model, samples), want, atol=1e-5)
    with adapters_off(adapted):
        assert (logprobs_of(adapted, samples) - want).abs().max() > 1e-3  # the merge carries the training


def test_two_processes_with_lora_give_the_one_process_weights(tmp_path):
    from .test_distributed import assert_same_run, base, torchrun

    cfg = {**base(tmp_path), "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}, "lora": LORA}}
    one = train(config_from_dict({**cfg, "name": "one_lora"}), quiet=True)
    assert all(r["loss/grad_norm"] > 0 for r in read_metrics(one)[1:])  # the adapters train: the test can fail
    two = torchrun(cfg, tmp_path, "two_lora", 2)
    assert_same_run(one, two)
    assert load_checkpoint(two)["model"].keys() == load_checkpoint(one)["model"].keys()


# -- what is refused, and the dry run --------------------------------------------------------------
def test_lora_with_vllm_or_with_a_warmup_before_its_reference_is_one_clear_line(tmp_path):
    with pytest.raises(ConfigError, match="LoRA with backend vllm is not built yet; use backend hf") as e:
        lora_config(tmp_path, backend="vllm")
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="warmup.steps: 0"):
        lora_config(tmp_path, **{"model.ref_model": True})  # tiny_config has a 2-step warm-up
    lora_config(tmp_path, **{"model.ref_model": True, "warmup.steps": 0})  # no warm-up: fine


def test_a_missing_peft_or_a_wrong_target_is_one_line_saying_what_to_do(tmp_path, tiny_model_dir, monkeypatch):
    cfg = lora_config(tmp_path, **{"model.lora": {**LORA, "target_modules": ["no_such_proj"]}})
    with pytest.raises(ConfigError, match="target_modules.*'all-linear'") as e:
        build_policy(cfg, Path(tiny_model_dir), CPU)
    assert "\n" not in str(e.value)
    monkeypatch.setitem(sys.modules, "peft", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[lora\]'") as e:
        require_peft()
    assert "\n" not in str(e.value)


def test_dry_run_shows_the_trainable_parameter_count(tmp_path):
    from zeroplay.training.cli import describe

    text = describe(lora_config(tmp_path))
    # 1 layer x (q_proj, v_proj) x 4 (32 + 32), on the meta device: nothing built
    assert "LoRA r 4, alpha 8, dropout 0 on q_proj, v_proj: 512 trainable parameters of" in text
    assert not (tmp_path / "t").exists()


def test_a_policy_of_several_trains_with_lora_and_resumes(tmp_path):
    from .test_loops import propose_solve_config

    solver_model = {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}, "lora": LORA}
    policies = {"proposer": {"roles": ["proposer"]}, "solver": {"roles": ["solver"], "model": solver_model}}
    cfg = propose_solve_config(name="two", out_dir=str(tmp_path), steps=1, policies=policies)
    run_dir = train(config_from_dict(cfg), quiet=True)
    state = load_checkpoint(run_dir)["model"]
    assert all("lora_" in k for k in state["solver"]) and len(state["solver"]) == 4
    assert not any("lora_" in k for k in state["proposer"])  # the other policy: every weight
    train(config_from_dict({**cfg, "steps": 2}), quiet=True)  # resumes: each policy's state loads into its model
    assert load_checkpoint(run_dir)["step"] == 2
    assert (run_dir / "final_model" / "solver" / "model.safetensors").is_file()
    assert not is_lora(HFAgent(path=str(run_dir / "final_model" / "solver"), device="cpu").model)


# -- the base a resume puts the adapters back on ------------------------------------------------------
def overwrite_weights(model_dir, how):
    """Save the model at ``model_dir`` again, its weights changed by ``how`` (in place), as a user re-saving
    a fine-tune or another checkpoint to the same directory would."""
    model = plain_model(model_dir)
    how(model)
    model.save_pretrained(str(model_dir))


def test_a_resume_refuses_adapters_on_a_base_that_changed_at_model_path(tmp_path, tiny_model_dir, capsys):
    import shutil

    base = tmp_path / "base"
    shutil.copytree(tiny_model_dir, base)
    cfg = {**lora_run(tmp_path, **{"model": {"path": str(base), "lora": LORA}}), "steps": 1}
    run_dir = train(config_from_dict(cfg), quiet=True)
    assert len(load_checkpoint(run_dir)["extra"]["lora_base"]) == 1  # the one policy's base, recorded
    # the same weights saved again in bfloat16: the same base as far as bfloat16 sees it, so it resumes
    overwrite_weights(base, lambda m: m.to(torch.bfloat16))
    train(config_from_dict({**cfg, "steps": 2}), quiet=True)
    assert load_checkpoint(run_dir)["step"] == 2
    # a fine-tune of it (every weight moved a little) is another base: refused, in one clear error
    overwrite_weights(base, lambda m: [p.data.add_(1e-2 * torch.randn_like(p)) for p in m.parameters()])
    with pytest.raises(ConfigError, match=r"base model's weights differ from those the checkpoint's LoRA adapters "
                                          r"were trained on .*--allow-config-change"):
        train(config_from_dict({**cfg, "steps": 3}), quiet=True)
    assert load_checkpoint(run_dir)["step"] == 2  # nothing trained
    capsys.readouterr()
    train(config_from_dict({**cfg, "steps": 3}), quiet=True, allow_config_change=True)  # accepted, with a warning
    assert "warning: the base model's weights differ" in capsys.readouterr().err
    assert load_checkpoint(run_dir)["step"] == 3
    # ... and recorded as a change of the run's config, as the summary and report show it
    from zeroplay.training.runlog import config_changes_of

    (change,) = config_changes_of(run_dir)
    assert change["step"] == 2 and list(change["changes"]) == ["model.path (its weights)"]
    assert "model.path (its weights)" in (run_dir / "report.html").read_text()


def test_a_resume_with_another_lora_rank_names_the_weight_and_both_shapes(unbroken, tmp_path):
    import shutil

    cfg, one = unbroken
    shutil.copytree(one, tmp_path / "one")
    over = {**cfg, "out_dir": str(tmp_path), "name": "one", "steps": 4,
            "model": {**cfg["model"], "lora": {**LORA, "r": 8}}}
    with pytest.raises(ConfigError, match=r"model\.lora\.r"):  # a config change, refused first
        train(config_from_dict(over), quiet=True)
    with pytest.raises(CheckpointError, match=r"lora_A\.default\.weight is torch\.Size\(\[4, 32\]\) in the checkpoint, "
                                              r"torch\.Size\(\[8, 32\]\) in this model \(3 more weights differ"):
        train(config_from_dict(over), quiet=True, allow_config_change=True)
