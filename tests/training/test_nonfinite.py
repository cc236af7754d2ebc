"""A NaN or infinite reward, advantage, loss or gradient norm stops training at once, with a one-line
TrainingError naming the step and what produced the value, before the optimizer steps and before the
step's checkpoint: the last checkpoint stays the last good step, and a rerun resumes from it. Over two
processes (gloo) every rank raises alike, nothing hangs.

The plug-ins below (a reward, an advantage estimator, loss terms) are registered through the training
registries, in code for the runs in this process and through entry points for the torchrun test."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml

from zeroplay.core.errors import ZeroplayError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.advantages import AdvantageEstimator
from zeroplay.training.checkpoint import load_checkpoint
from zeroplay.training.learner import Learner, TrainingError
from zeroplay.training.registry import ADVANTAGES, LOSS_TERMS, REWARDS
from zeroplay.training.rollout import Sample

REPO = Path(__file__).resolve().parents[2]
NAN = float("nan")

# -- the plug-ins ---------------------------------------------------------------------------------------
POISON = {"reward": False}
"""Switch: while True, :func:`sometimes_nan` returns NaN (so a run can go bad after good steps)."""


def sometimes_nan(correct, well_formed, shaping):
    """A solver reward: 1 / 0 as ``binary``, NaN while ``POISON["reward"]``."""
    return NAN if POISON["reward"] else float(correct and well_formed)


class NanAdvantages(AdvantageEstimator):
    """Finite rewards in, NaN advantages out (a plug-in estimator's bug)."""

    def __call__(self, samples):
        return torch.full((len(samples),), NAN)


class InfAdvantages(AdvantageEstimator):
    """+inf for the first sample, 1 for the rest."""

    def __call__(self, samples):
        return torch.tensor([float("inf")] + [1.0] * (len(samples) - 1))


def nan_term(x):
    """A loss term worth NaN on every token."""
    return torch.full_like(x.logprobs, NAN)


def infinite_slope(x):
    """A loss term worth 0 with an infinite gradient (d sqrt(u)/du at u = 0): a finite loss, a non-finite norm."""
    return torch.sqrt(x.logprobs - x.logprobs.detach())


REWARDS.register("zp_test_sometimes_nan", sometimes_nan)
ADVANTAGES.register("zp_test_nan_adv", NanAdvantages)
ADVANTAGES.register("zp_test_inf_adv", InfAdvantages)
LOSS_TERMS.register("zp_test_nan_term", nan_term)
LOSS_TERMS.register("zp_test_infinite_slope", infinite_slope)


@pytest.fixture(autouse=True)
def _healthy_reward():
    POISON["reward"] = False
    yield
    POISON["reward"] = False


def rlvr(tmp_path, name, **over):
    """A tiny RLVR run on arithmetic (16 samples a step, one micro-batch of 8: two of them)."""
    cfg = {"name": name, "out_dir": str(tmp_path), "seed": 0, "loop": "rlvr", "steps": 2, "threads": 1,
           "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
           "sampling": {"max_new_tokens": 4, "batch_size": 16},
           "optim": {"lr": 1e-3, "micro_batch_size": 8},
           "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 4, "group_size": 4,
                    "reward": "zp_test_sometimes_nan"},
           "eval": {"samples": 2}}
    for key, value in over.items():
        node = cfg
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return cfg


def assert_finite_checkpoint_at(run_dir: Path, step: int) -> dict:
    ckpt = load_checkpoint(run_dir)
    assert ckpt["step"] == step
    assert all(bool(torch.isfinite(w).all()) for w in ckpt["model"].values())
    assert [r["step"] for r in read_metrics(run_dir)] == list(range(step + 1))  # the bad step was not logged
    return ckpt


# -- rewards --------------------------------------------------------------------------------------------
def test_a_nan_reward_stops_the_run_and_a_rerun_resumes_from_the_last_good_checkpoint(tmp_path):
    cfg = rlvr(tmp_path, "reward", steps=1)
    run_dir = train(config_from_dict(cfg), quiet=True)
    good = assert_finite_checkpoint_at(run_dir, 1)["model"]
    POISON["reward"] = True
    with pytest.raises(TrainingError) as e:
        train(config_from_dict({**cfg, "steps": 3}), quiet=True)
    msg = str(e.value)
    assert msg.startswith("step 2: 16 of 16 rewards are not finite "
                          "(nan for env 'zeroplay/MathArithmetic-v0', role 'solver')")
    assert "reward 'zp_test_sometimes_nan' (rlvr.reward)" in msg and "\n" not in msg
    kept = assert_finite_checkpoint_at(run_dir, 1)["model"]
    assert all(torch.equal(good[k], kept[k]) for k in good)  # step 1's checkpoint, untouched
    POISON["reward"] = False  # fixed: the same command resumes from step 1 and finishes
    train(config_from_dict({**cfg, "steps": 3}), quiet=True)
    assert [r["step"] for r in read_metrics(run_dir)] == [0, 1, 2, 3] and load_checkpoint(run_dir)["step"] == 3


def test_a_nan_reward_shaping_value_is_named(tmp_path):
    cfg = rlvr(tmp_path, "shaping", **{"rlvr.reward": "correctness", "rewards.solver_malformed": NAN,
                                       "rewards.solver_wrong": float("-inf")})
    with pytest.raises(TrainingError, match=r"^step 1: .* from the config's rewards: section \(solver_wrong = -inf, "
                                            r"solver_malformed = nan\): use finite numbers"):
        train(config_from_dict(cfg), quiet=True)
    assert_finite_checkpoint_at(tmp_path / "shaping", 0)


# -- advantages -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("estimator, value, drop_zero", [("zp_test_nan_adv", "nan", False),
                                                         ("zp_test_nan_adv", "nan", True),  # not dropped as "zero"
                                                         ("zp_test_inf_adv", "inf", False)])
def test_non_finite_advantages_stop_the_run_and_name_the_estimator(tmp_path, estimator, value, drop_zero):
    cfg = rlvr(tmp_path, "adv", **{"advantage.estimator": estimator, "advantage.drop_zero": drop_zero})
    with pytest.raises(TrainingError) as e:
        train(config_from_dict(cfg), quiet=True)
    n = 16 if value == "nan" else 1
    assert str(e.value).startswith(f"step 1: advantage estimator {estimator!r} returned {value} for {n} of 16 "
                                   "samples (their rewards are finite)")
    assert_finite_checkpoint_at(tmp_path / "adv", 0)


# -- the loss and the gradient norm ---------------------------------------------------------------------
def test_a_nan_loss_stops_the_run_before_the_optimizer_steps(tmp_path):
    cfg = rlvr(tmp_path, "loss", **{"loss.terms": {"zp_test_nan_term": 1.0}})
    with pytest.raises(TrainingError, match=r"^step 1: the loss is nan \(check optim.lr, the model and the data\); "
                                            r"the optimizer did not step; the step was not saved"):
        train(config_from_dict(cfg), quiet=True)
    assert_finite_checkpoint_at(tmp_path / "loss", 0)


def _samples(n=6):
    return [Sample(prompt_ids=[5, 6, 7 + i], completion_ids=[8 + i, 9, 10][: 1 + i % 3], logprobs=[-1.0] * (1 + i % 3))
            for i in range(n)]


@pytest.mark.parametrize("term, message", [
    ("zp_test_nan_term", r"^the loss is nan "),
    ("zp_test_infinite_slope", r"^the gradient norm is (nan|inf) with a finite loss"),
])
def test_the_learner_refuses_a_non_finite_loss_or_gradient_norm_and_keeps_its_weights(tiny_model_dir, term, message):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    before = copy.deepcopy(model.state_dict())
    cfg = config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"},
                            "optim": {"lr": 1e-2, "micro_batch_size": 2, "minibatches": 2},
                            "loss": {"terms": {term: 1.0}}})
    learner = Learner(model, cfg, pad_id=0)
    with pytest.raises(TrainingError, match=message + r".*optim.lr.*the optimizer did not step$"):
        learner.update(_samples(), torch.tensor([1.0, -1.0, 0.5, -0.5, 1.0, -1.0]))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not learner.optimizer.state  # no AdamW step was taken
    assert all(p.grad is None for p in model.parameters())  # nothing left to leak into a later step
    plain = config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"}})
    healthy = Learner(model, plain, pad_id=0)
    assert healthy.update(_samples(), torch.ones(6))["loss/grad_norm"] > 0  # the model itself is fine


def test_a_nan_dpo_loss_is_refused_too(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    from zeroplay.training.trainer import _frozen_copy

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    before = copy.deepcopy(model.state_dict())
    cfg = config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"},
                            "loss": {"objective": "dpo"}})
    learner = Learner(model, cfg, pad_id=0)
    learner.ref_model = _frozen_copy(model)
    with torch.no_grad():
        next(learner.ref_model.parameters()).fill_(NAN)  # a poisoned reference: NaN log-probs, NaN loss
    pair = [Sample([5, 6], [8, 9], [], meta={"pair": "a", "preferred": True}),
            Sample([5, 6], [10], [], meta={"pair": "a", "preferred": False})]
    with pytest.raises(TrainingError, match=r"^the loss is nan"):
        learner.update_dpo(pair)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_training_error_is_a_zeroplay_error():
    assert issubclass(TrainingError, ZeroplayError)  # the CLI prints it as one line, no traceback


# -- the CLI, over two processes ------------------------------------------------------------------------
PKG = "zp_nonfinite_probe"
PARTS = """
import torch


def nan_term(x):
    return torch.full_like(x.logprobs, float("nan"))
"""


def _plugin_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / PKG).mkdir(parents=True)
    (site / PKG / "__init__.py").write_text("")
    (site / PKG / "parts.py").write_text(textwrap.dedent(PARTS))
    dist = site / f"{PKG}-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PKG.replace('_', '-')}\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(f"[zeroplay.loss_terms]\nprobe_nan = {PKG}.parts:nan_term\n")
    return site


@pytest.mark.parametrize("nproc", [1, 2])
def test_zeroplay_train_prints_one_line_and_every_rank_stops(tmp_path, nproc):
    cfg = rlvr(tmp_path, f"cli{nproc}", rollout_shards=2, **{"rlvr.reward": "binary", "loss.terms": {"probe_nan": 1.0},
                                                              "optim.micro_batch_size": 4})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "PYTHONPATH": str(_plugin_site(tmp_path))}
    cmd = [sys.executable, "-m", "zeroplay.cli", "train", str(path), "--quiet", "--nproc", str(nproc)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=240)  # a rank left waiting in an all-reduce would hang here
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    said = "zeroplay train: error: step 1: the loss is nan (check optim.lr, the model and the data)"
    assert proc.returncode != 0 and err.count(said) == nproc, err[-3000:]  # every rank raised and said so
    assert "zeroplay/training" not in err, err[-3000:]  # no traceback through zeroplay on any rank
    if nproc == 1:  # (torchrun's launcher prints a traceback of its own when a rank fails)
        assert "Traceback" not in err and err.strip() == said + "; the optimizer did not step; " + \
            "the step was not saved: fix it and rerun to resume from the last checkpoint", err
    assert_finite_checkpoint_at(tmp_path / f"cli{nproc}", 0)
