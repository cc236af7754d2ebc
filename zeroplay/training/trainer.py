"""The training loop: collect, score, update, checkpoint, repeat. Read it top to bottom.

Simplifications, stated up front (as nanochat does):
- One policy plays every role (proposer and solver, every seat of a game); one update per step
  (``optim.minibatches`` splits it into several optimizer steps if asked).
- Old log-probs come from the sampler by default (no extra forward pass); with one update per
  step the PPO ratio is 1 at the start of the update, so the clip only matters with minibatches.
- Randomness is re-derived from (seed, step) at the start of every step, so a run resumed from
  its checkpoint continues exactly like an uninterrupted one.
- A step's rollouts are ``rollout_shards`` pieces (one by default), each sampled with a seed from
  (seed, step, shard): they run here, or on Ray actors (``ray_workers``) with the same result.

The pieces (policy, sampler, the loop named by ``loop``, the advantage estimator named by
``advantage.estimator``) are built in :mod:`zeroplay.training.build`; what a loop does is its own
module's business (:class:`~zeroplay.training.rollout.Loop`).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.training.advantages import AdvantageEstimator, nonzero_mask
from zeroplay.training.build import (build_estimator, build_loop, build_policy, build_rollouts, build_sampler,
                                     model_dir, resolve_device)
from zeroplay.training.checkpoint import (CHECKPOINT_NAME, CheckpointError, load_checkpoint, restore_rng_states,
                                          save_checkpoint)
from zeroplay.training.config import TrainConfig
from zeroplay.training.learner import Learner
from zeroplay.training.rollout import Loop, PhaseTimer, Sampler, seed_for
from zeroplay.training.runlog import RunLog, write_atomically


# -- the loop ---------------------------------------------------------------------------------

def train(cfg: TrainConfig, *, quiet: bool = False) -> Path:
    """Run (or resume) the training described by ``cfg``; returns the run directory."""
    run_dir = Path(cfg.out_dir) / cfg.name
    for parent in (run_dir, *run_dir.parents):
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"out_dir/name: {parent} is a file, not a directory; pick another out_dir or name")
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt = load_checkpoint(run_dir)  # a broken checkpoint fails here, before any model is built
    write_atomically(run_dir / "config.json", cfg.model_dump_json(indent=2))
    torch.manual_seed(cfg.seed)
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    device = resolve_device(cfg.model.device)

    # ---- model, sampler, learner, loop (and rollout actors on Ray, if asked)
    init_path = model_dir(cfg, run_dir)
    policy = build_policy(cfg, init_path, device)
    model = policy.model
    sampler = build_sampler(cfg, policy)
    template = sampler.template
    learner = Learner(model, cfg, pad_id=policy._pad_id)
    loop = build_loop(cfg, sampler, policy)
    estimator = build_estimator(cfg)
    progress = _Progress(quiet)

    # ---- resume, or warm up and evaluate the starting point
    if ckpt is not None:
        eval_before, warmup_info, start = _resume(ckpt, run_dir, model, learner, estimator, loop, cfg)
        progress.note(f"resuming {run_dir} from step {start}")
    else:
        warmup_info = _warmup(cfg, loop, policy, template, progress)
        if cfg.model.ref_model:  # the KL anchor is the policy RL starts from: after the warm-up
            learner.ref_model = _frozen_copy(model)
        eval_before = evaluate(loop, sampler, cfg.seed, 0)
        start = 0
    log = RunLog(run_dir, resume_step=start)
    if ckpt is None:
        log.log(0, {**eval_before, **{f"warmup/{k}": v for k, v in warmup_info.items()}})
        _save(run_dir, 0, learner, estimator, loop, eval_before, warmup_info)
    policy.sync_weights() if hasattr(policy, "sync_weights") else None

    remote = build_rollouts(cfg, init_path) if cfg.steps > start else None  # None: rollouts run here

    # ---- RL steps
    last: dict[str, Any] = {}
    eval_metrics: dict[str, Any] = {}
    progress.start("RL", cfg.steps, start)
    try:
        for step in range(start + 1, cfg.steps + 1):
            torch.manual_seed(seed_for(cfg.seed, step))
            sampler.timer = PhaseTimer()
            t0 = time.perf_counter()
            samples, metrics = collect(loop, remote, step, cfg.shards, model)
            sampler.timer.add("rollout_wall", time.perf_counter() - t0, len(samples))
            adv = estimator(samples)
            rewards = np.array([x.reward for x in samples], dtype=float)
            if cfg.advantage.drop_zero:
                keep = nonzero_mask(adv).nonzero().flatten().tolist()
                samples, adv = [samples[i] for i in keep], adv[keep]
            t0 = time.perf_counter()
            metrics.update(learner.update(samples, adv) if samples else {"loss/skipped": 1.0})
            if hasattr(policy, "sync_weights"):
                policy.sync_weights()  # vLLM: push the new weights into the engine
            sampler.timer.add("learn", time.perf_counter() - t0, len(samples), sum(len(x.completion_ids) for x in samples))
            metrics.update(sampler.timer.metrics())
            metrics.update({"reward/mean": float(rewards.mean()) if rewards.size else 0.0,
                            "adv/mean_abs": float(adv.abs().mean()) if adv.numel() else 0.0,
                            "count/trained_samples": float(len(samples))})
            if (cfg.eval.every and step % cfg.eval.every == 0) or step == cfg.steps:
                eval_metrics = evaluate(loop, sampler, cfg.seed, step)
                metrics.update(eval_metrics)
            log.log(step, metrics)
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                _save(run_dir, step, learner, estimator, loop, eval_before, warmup_info)
            last = metrics
            progress.advance(step, metrics)
            if cfg.step_delay_s:
                time.sleep(cfg.step_delay_s)
    finally:
        progress.stop()
        if remote is not None:
            remote.close()

    # ---- summarize (the last step ran the final evaluation), save
    eval_after = eval_metrics if cfg.steps > start else evaluate(loop, sampler, cfg.seed, cfg.steps)
    summary = {"config": cfg.model_dump(mode="json"), "steps": cfg.steps, "final_metrics": last,
               "eval_before": eval_before, "eval_after": eval_after, "warmup": warmup_info}
    log.write_summary(summary)
    log.plot(loop.panels(), title=f"{cfg.name}: {cfg.loop}")
    final = run_dir / "final_model"
    model.save_pretrained(final)
    policy.tokenizer.save_pretrained(final)
    progress.report(run_dir, eval_before, eval_after)
    return run_dir


def collect(loop: Loop, remote: Any, step: int, shards: int, model: Any) -> tuple[list[Any], dict[str, float]]:
    """The step's samples and rollout metrics: the shards run in this process, or on Ray actors."""
    if remote is None:
        return loop.collect(step, shards)
    results = remote.collect(step, shards, model, loop.state_dict())
    for r in results:
        loop.sampler.timer.merge(r.timer)
    return loop.merge(step, results)


def evaluate(loop: Loop, sampler: Sampler, seed: int, step: int) -> dict[str, float]:
    """The loop's evaluation, sampled with a seed of its own (the same wherever the rollouts ran)."""
    sampler.reseed(seed_for(seed, step, 3))
    return loop.evaluate(step)


def _warmup(cfg: TrainConfig, loop: Loop, policy: Any, template: Any, progress: _Progress) -> dict[str, float]:
    w = cfg.warmup
    if not w.steps:
        return {}
    from zeroplay.training.warmup import supervised_warmup

    pairs = [(template.messages(o), c) for o, c in loop.warmup_pairs(w.steps * w.batch_size // 4 + 64, cfg.seed)]
    if not pairs:  # the loop has no warm-up data
        return {}
    progress.start("warm-up", w.steps, 0)
    t0 = time.perf_counter()
    losses = supervised_warmup(policy, pairs, steps=w.steps, batch_size=w.batch_size, lr=w.lr, seed=cfg.seed,
                               on_step=lambda i, loss: progress.advance(i + 1, {"loss": loss}))
    progress.stop()
    return {"steps": float(w.steps), "first_loss": losses[0], "final_loss": losses[-1], "seconds": time.perf_counter() - t0}


def _resume(ckpt: dict[str, Any], run_dir: Path, model: Any, learner: Learner, estimator: AdvantageEstimator,
            loop: Loop, cfg: TrainConfig) -> tuple[dict, dict, int]:
    """Load a checkpoint's state into the run's pieces; (eval_before, warmup info, step)."""
    try:
        model.load_state_dict(ckpt["model"])
        learner.optimizer.load_state_dict(ckpt["optimizer"])
        restore_rng_states(ckpt["rng"])
        extra = ckpt["extra"]
        # checkpoints written before estimators were named parts hold the RAE state under "rae"
        estimator.load_state_dict(extra["advantage"] if "advantage" in extra else extra["rae"])
        loop.load_state_dict(extra["loop"])
        if cfg.model.ref_model:
            learner.ref_model = _frozen_copy(model)
            learner.ref_model.load_state_dict(extra["ref_model"])
        return extra["eval_before"], extra["warmup"], int(ckpt["step"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:  # another model, loop or option set
        detail = " ".join(str(e).split())[:200]
        raise CheckpointError(
            f"{run_dir / CHECKPOINT_NAME} does not fit this config ({type(e).__name__}: {detail}): it was written "
            "with another model, loop or model.ref_model; resume with the config it was written with, "
            "or pass another --name to start a new run") from None


def _frozen_copy(model: Any) -> Any:
    return copy.deepcopy(model).eval().requires_grad_(False)


def _save(run_dir: Path, step: int, learner: Learner, estimator: AdvantageEstimator, loop: Loop, eval_before: dict,
          warmup: dict) -> None:
    extra = {"advantage": estimator.state_dict(), "loop": loop.state_dict(), "eval_before": eval_before, "warmup": warmup}
    if learner.ref_model is not None:
        extra["ref_model"] = learner.ref_model.state_dict()
    save_checkpoint(run_dir, step=step, model=learner.model, optimizer=learner.optimizer, extra=extra)


class _Progress:
    """rich progress bars, with the headline metrics in the description."""

    SHOW = ("reward/mean", "loss", "eval/exploitability", "selfplay/invalid_rate", "solve/accuracy", "propose/valid_rate")

    def __init__(self, quiet: bool):
        from rich.console import Console

        self.console = Console(stderr=True, quiet=quiet)
        self.bar: Any = None

    def note(self, text: str) -> None:
        self.console.print(text)

    def start(self, label: str, total: int, done: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.label = label
        self.bar = Progress(TextColumn("[bold]{task.fields[label]}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.description}"),
                            console=self.console, transient=False)
        self.bar.start()
        self.task = self.bar.add_task("", total=total, completed=done, label=label)

    def advance(self, done: int, metrics: dict[str, Any]) -> None:
        shown = "  ".join(f"{k.split('/')[-1]}={metrics[k]:.3f}" for k in self.SHOW if isinstance(metrics.get(k), float))
        self.bar.update(self.task, completed=done, description=shown)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def report(self, run_dir: Path, before: dict[str, Any], after: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table(title="evaluation before and after training")
        table.add_column("metric")
        table.add_column("before", justify="right")
        table.add_column("after", justify="right")
        for k in sorted(set(before) | set(after)):
            if k.startswith("policy/"):
                continue
            b, a = before.get(k), after.get(k)
            table.add_row(k, f"{b:.3f}" if isinstance(b, float) else "-", f"{a:.3f}" if isinstance(a, float) else "-")
        self.console.print(table)
        self.console.print(f"run directory: {run_dir}  (metrics.jsonl, summary.json, curve.png, final_model/)")
