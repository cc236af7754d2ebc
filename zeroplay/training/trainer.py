"""The training loop: collect, score, update, checkpoint, repeat. Read it top to bottom.

Simplifications, stated up front (as nanochat does):
- One policy plays every role (proposer and solver, every seat of a game) unless the config gives
  ``policies:`` (one policy per role, for loops that sample per role): then each policy trains on
  its roles' samples only, with its own advantage estimator and optimizer, and all of them are
  saved in the one checkpoint file (so a kill never leaves them at different steps).
- One update per policy per step (``optim.minibatches`` splits it into several optimizer steps if asked):
  a policy-gradient update from advantages, or, for a policy with ``loss.objective: dpo``, a DPO update
  from the preference pairs its loop marks (no advantages; its reference is the post-warm-up policy).
- Old log-probs come from the sampler by default (no extra forward pass); with one update per
  step the PPO ratio is 1 at the start of the update, so the clip only matters with minibatches.
- Randomness is re-derived from (seed, step) at the start of every step, so a run resumed from
  its checkpoint continues exactly like an uninterrupted one.
- A resume takes the config the run was trained with (``config.json``), changed only where
  :data:`~zeroplay.training.checkpoint.RESUMABLE` allows (``steps``, logging, checkpointing, threads...);
  any other change is refused unless ``allow_config_change``, and each accepted one is kept in
  ``config_history.jsonl`` and noted in ``summary.json`` (``config_changes``: "before" was evaluated
  under the first config).
- A step's rollouts are ``rollout_shards`` pieces (one by default), each sampled with a seed from
  (seed, step, shard): they run here, or on Ray actors (``ray_workers``) with the same result.
- Under torchrun (several processes, :mod:`zeroplay.training.distributed`) the shards are dealt out
  over the ranks and gathered back, every rank runs the same steps on the same samples, the learner
  sums gradients over ranks, and rank 0 alone writes the run's files: the run equals the one-process
  run with the same ``rollout_shards``, and its checkpoints resume on any process count.
- A NaN or infinite reward (after the loop scored the step), advantage (after the estimator) or loss or
  gradient norm (in the learner) stops the run at once with a :class:`~zeroplay.training.learner.TrainingError`
  naming the step and what produced it, before any optimizer step on it and before its checkpoint:
  the last checkpoint stays the last good step, and a rerun resumes from it. Every rank checks the same
  numbers (the samples are gathered, the loss and gradients summed), so every rank raises alike.

The pieces (policies, samplers, the loop named by ``loop``, the advantage estimator named by
``advantage.estimator``) are built in :mod:`zeroplay.training.build`; what a loop does is its own
module's business (:class:`~zeroplay.training.rollout.Loop`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.training.adapters import base_fingerprint, is_lora, load_model_state, save_model
from zeroplay.training.advantages import nonzero_mask
from zeroplay.training.build import (PolicySlot, build_loop, build_policies, build_rollouts, init_model_dirs,
                                     resolve_device, run_sampler)
from zeroplay.training.checkpoint import (CheckpointError, ConfigChangedError, check_resume_config, latest_checkpoint,
                                          read_config_history, record_config, restore_rng_states, save_checkpoint)
from zeroplay.training.config import TrainConfig
from zeroplay.training.distributed import Dist, check_distributable, init_distributed, rank_device
from zeroplay.training.learner import TrainingError, dpo_pairs
from zeroplay.training.policies import is_scripted
from zeroplay.training.rollout import Loop, PhaseTimer, seed_for
from zeroplay.training.runlog import RunLog, SampleLog, config_changes_of, write_atomically
from zeroplay.training.trackers import check_trackers, open_trackers


# -- the loop ---------------------------------------------------------------------------------

def train(cfg: TrainConfig, *, quiet: bool = False, allow_config_change: bool = False) -> Path:
    """Run (or resume) the training described by ``cfg``; returns the run directory.

    A run directory with a checkpoint resumes only with the config it was trained with, but for the
    fields :data:`~zeroplay.training.checkpoint.RESUMABLE` lists (``steps``, logging, checkpointing...);
    ``allow_config_change`` accepts other changes, and ``config_history.jsonl`` records them."""
    run_dir = Path(cfg.out_dir) / cfg.name
    for parent in (run_dir, *run_dir.parents):
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"out_dir/name: {parent} is a file, not a directory; pick another out_dir or name")
    check_trackers(cfg.log)  # a missing tracker package fails here, before anything is built
    device = resolve_device(cfg.model.device)
    dist = init_distributed(device)  # torchrun's process group, or one process
    try:
        check_distributable(cfg, dist)
        return _train(cfg, run_dir, rank_device(device, dist), dist, quiet, allow_config_change)
    finally:
        dist.close()


def _train(cfg: TrainConfig, run_dir: Path, device: torch.device, dist: Dist, quiet: bool,
           allow_config_change: bool) -> Path:
    main = dist.is_main  # rank 0 (or the one process) writes the run's files
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt, ckpt_path = latest_checkpoint(run_dir)  # a broken checkpoint fails here, before any model is built
    if ckpt is not None and finished(run_dir, int(ckpt["step"]), cfg):
        if main:
            print(f"{run_dir} is complete: it trained {ckpt['step']} steps and holds its final model and summary; "
                  "pass a larger --steps to train further, or another --name for a new run", file=sys.stderr)
        return run_dir
    config = _as_json(cfg.model_dump(mode="json"))
    previous = _trained_config(run_dir) if ckpt is not None else None
    changes = (check_resume_config(run_dir, previous, config, allow=allow_config_change)
               if previous is not None else {})  # a changed config fails here, before anything is written
    dist.barrier()  # every rank has read the checkpoint before rank 0 writes anything
    if main:
        if ckpt is None:  # a resume writes its config once the checkpoint has loaded into it
            _write_config(run_dir, cfg, 0, {}, None)
        init_model_dirs(cfg, run_dir)
    dist.barrier()  # the initial models are on disk for every rank
    torch.manual_seed(cfg.seed)
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)

    # ---- policies (model, sampler, learner, estimator each), loop (and rollout actors on Ray, if asked)
    slots = build_policies(cfg, run_dir, device, dist)
    bases = _lora_bases(slots)  # the frozen LoRA bases' fingerprints: once, they never change
    sampler = run_sampler(cfg, slots)
    loop = build_loop(cfg, sampler, slots[0].policy)
    progress = _Progress(quiet or not main)

    # ---- resume, or warm up and evaluate the starting point
    if ckpt is not None:
        changes = {**changes, **_check_lora_bases(ckpt, slots, bases, allow_config_change, main)}
        eval_before, warmup_info, start = _resume(ckpt, ckpt_path, slots, loop, cfg)
        if main:
            _write_config(run_dir, cfg, start, changes, previous)
        progress.note(f"resuming {run_dir} from step {start}")
    else:
        warmup_info = _warmup(cfg, loop, slots, progress)
        for slot in slots:  # the KL (or DPO) anchor is the policy RL starts from: after the warm-up
            dist.broadcast_module(slot.learner.model)  # replicas start identical even where kernels are not
            if slot.learner.wants_ref:
                slot.learner.ref_model = _frozen_copy(slot.learner.model)
        eval_before = evaluate(loop, sampler, cfg.seed, 0)
        start = 0
    trackers = (open_trackers(cfg.log, run_dir, cfg.name, cfg.model_dump(mode="json"), start)
                if cfg.log[1:] and main else None)
    log = RunLog(run_dir, resume_step=start, trackers=trackers) if main else None
    samples_log = SampleLog(run_dir, resume_step=start) if main else None
    if ckpt is None and main:
        log.log(0, {**eval_before, **{f"warmup/{k}": v for k, v in warmup_info.items()}})
        _save(run_dir, 0, slots, loop, eval_before, warmup_info, cfg, bases)
    _sync(slots)

    remote = build_rollouts(cfg, slots[0].init_path) if cfg.steps > start else None  # None: rollouts run here

    # ---- RL steps
    last: dict[str, Any] = {}
    eval_metrics: dict[str, Any] = {}
    progress.start("RL", cfg.steps, start)
    signal_less, dpo = 0, any(slot.learner.objective == "dpo" for slot in slots)  # steps in a row without a gradient
    try:
        for step in range(start + 1, cfg.steps + 1):
            torch.manual_seed(seed_for(cfg.seed, step))
            sampler.timer = PhaseTimer()
            t0 = time.perf_counter()
            samples, metrics = collect(loop, remote, step, cfg.shards, slots[0].learner.model, dist)
            sampler.timer.add("rollout_wall", time.perf_counter() - t0, len(samples))
            if samples_log is not None:
                samples_log.add(step, samples, lambda x: _prompt_text(slots, x))
            samples = [x for x in samples if not is_scripted(x)]  # a scripted role's text has no tokens to train
            rewards = np.array([x.reward for x in samples], dtype=float)
            check_rewards(samples, rewards, cfg, step)  # before any estimator or update sees them
            t0 = time.perf_counter()
            trained, advs = [], []
            for slot in slots:  # each policy: advantages over its roles' samples, then its own update
                mine, adv, update = _update_policy(slot, samples, cfg, step)
                trained += mine
                advs.append(adv)
                if slot.roles is None:
                    metrics.update(update)
                else:
                    metrics.update({f"policies/{slot.name}/{k}": v for k, v in update.items()})
                    metrics.update(_policy_metrics(slot.name, mine, adv))
            _sync(slots)  # vLLM: push the new weights into the engine
            all_adv = torch.cat(advs) if len(advs) > 1 else advs[0]
            sampler.timer.add("learn", time.perf_counter() - t0, len(trained), sum(len(x.completion_ids) for x in trained))
            metrics.update(sampler.timer.metrics())
            metrics.update({"reward/mean": float(rewards.mean()) if rewards.size else 0.0,
                            "adv/mean_abs": float(all_adv.abs().mean()) if all_adv.numel() else 0.0,
                            "count/trained_samples": float(len(trained))})
            signal_less = signal_less + 1 if metrics["adv/mean_abs"] == 0.0 and not dpo else 0
            if signal_less == NO_SIGNAL_STEPS and main:
                print(_no_signal_warning(step, rewards, run_dir), file=sys.stderr)
            if (cfg.eval.every and step % cfg.eval.every == 0) or step == cfg.steps:
                eval_metrics = evaluate(loop, sampler, cfg.seed, step)
                metrics.update(eval_metrics)
            if main:
                log.log(step, metrics)
            if main and (step % cfg.checkpoint_every == 0 or step == cfg.steps):
                _save(run_dir, step, slots, loop, eval_before, warmup_info, cfg, bases)
            last = metrics
            progress.advance(step, metrics)
            if cfg.step_delay_s:
                time.sleep(cfg.step_delay_s)
    except BaseException:
        if log is not None:
            log.close(ok=False)
        raise
    finally:
        progress.stop()
        if remote is not None:
            remote.close()

    # ---- summarize (the last step ran the final evaluation), save
    eval_after = eval_metrics if cfg.steps > start else evaluate(loop, sampler, cfg.seed, cfg.steps)
    if not main:
        return run_dir
    if cfg.steps <= start:  # a finished run evaluated anew (its config changed): its last row says so too
        old = next((r for r in log.rows if r["step"] == cfg.steps), {})
        log.log(cfg.steps, {**{k: v for k, v in old.items() if k != "step"}, **eval_after})
    summary = {"config": cfg.model_dump(mode="json"), "steps": cfg.steps, "final_metrics": last,
               "eval_before": eval_before, "eval_after": eval_after, "warmup": warmup_info}
    changed = config_changes_of(run_dir)
    if changed:  # "before" was evaluated under the first config, "after" under this one
        summary["config_changes"] = changed
    for slot in slots:  # final_model/, or final_model/NAME/ per policy
        final = run_dir / "final_model" if slot.roles is None else run_dir / "final_model" / slot.name
        save_model(slot.learner.model, final)  # a LoRA model merged: a plain model to serve
        slot.policy.tokenizer.save_pretrained(final)
    log.write_summary(summary)  # after the final model: a summary for these steps means the run is complete
    log.close(eval_before, eval_after)
    log.plot(loop.panels(), title=f"{cfg.name}: {cfg.loop}")
    _write_report(run_dir)
    progress.report(run_dir, eval_before, eval_after, changed)
    return run_dir


def _write_config(run_dir: Path, cfg: TrainConfig, step: int, changes: dict[str, Any],
                  previous: dict[str, Any] | None) -> None:
    """``config.json`` (the run's config from now on) and its line in ``config_history.jsonl``."""
    write_atomically(run_dir / "config.json", cfg.model_dump_json(indent=2))
    record_config(run_dir, step, _as_json(cfg.model_dump(mode="json")), changes, previous)


def _trained_config(run_dir: Path) -> dict[str, Any] | None:
    """The config the run in ``run_dir`` was last started with (``config.json``, else the history's last),
    with the fields a newer zeroplay added filled in; None, with a warning, when neither is readable."""
    for read in (lambda: json.loads((run_dir / "config.json").read_text(encoding="utf-8")),
                 lambda: read_config_history(run_dir)[-1]["config"]):
        try:
            config = read()
        except (OSError, ValueError, IndexError, KeyError):
            continue
        if isinstance(config, dict):
            try:  # the same defaults as the config it is compared with
                return _as_json(TrainConfig.model_validate(config).model_dump(mode="json"))
            except (ValueError, KeyError, TypeError):  # a loop or field this zeroplay does not know: compare as is
                return config
    print(f"warning: {run_dir} holds a checkpoint but no readable config.json: this config is not checked "
          "against the one the checkpoint was trained with", file=sys.stderr)
    return None


def _as_json(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(config))


def finished(run_dir: Path, checkpoint_step: int, cfg: TrainConfig) -> bool:
    """Whether the run in ``run_dir`` (its checkpoint at ``checkpoint_step``) has already run ``cfg``
    to the end: its checkpoint and its summary (written after the final model) reach ``cfg.steps``, and
    the summary's config is ``cfg`` but for ``steps``, ``name`` and ``out_dir``. A changed config is
    run again: refused by the resume unless only fields it may change changed (or ``allow_config_change``),
    then evaluated anew."""
    path = run_dir / "summary.json"
    if checkpoint_step < cfg.steps or not path.is_file() or not (run_dir / "final_model").is_dir():
        return False
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        ran, config = summary["steps"], summary["config"]
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError):  # a summary torn by hand: finish again
        return False
    same = ("steps", "name", "out_dir")
    now = json.loads(json.dumps(cfg.model_dump(mode="json")))
    return ran >= cfg.steps and {k: v for k, v in config.items() if k not in same} == {
        k: v for k, v in now.items() if k not in same}


def _prompt_text(slots: list[PolicySlot], sample: Any) -> str:
    """A sample's prompt as text, decoded by the tokenizer of the policy that played it."""
    slot = next((s for s in slots if s.owns(sample)), slots[0])
    tokenizer = getattr(slot.policy, "tokenizer", None)
    return tokenizer.decode(sample.prompt_ids) if tokenizer is not None else ""


def _write_report(run_dir: Path) -> None:
    """``report.html``; the run's results are saved already, so a failure here is a warning, not an error."""
    from zeroplay.training.report import write_report

    try:
        write_report(run_dir)
    except Exception as e:  # noqa: BLE001 - `zeroplay report RUN_DIR` can write it again
        print(f"warning: could not write {run_dir / 'report.html'} ({type(e).__name__}: {e}); "
              f"try again with: zeroplay report {run_dir}", file=sys.stderr)


def collect(loop: Loop, remote: Any, step: int, shards: int, model: Any,
            dist: Dist | None = None) -> tuple[list[Any], dict[str, float]]:
    """The step's samples and rollout metrics: the shards run in this process, on Ray actors, or dealt
    out over the ranks of a run under torchrun (each rank runs its shards, every rank gets them all)."""
    if dist is not None and dist.active:
        results = dist.gather({k: loop.run_shard(step, k, shards) for k in dist.mine(shards)}, shards)
    elif remote is None:
        return loop.collect(step, shards)
    else:
        results = remote.collect(step, shards, model, loop.state_dict())
    for r in results:
        loop.sampler.timer.merge(r.timer)
    return loop.merge(step, results)


def evaluate(loop: Loop, sampler: Any, seed: int, step: int) -> dict[str, float]:
    """The loop's evaluation, sampled with a seed of its own (the same wherever the rollouts ran)."""
    sampler.reseed(seed_for(seed, step, 3))
    return loop.evaluate(step)


#: Steps in a row whose advantages are all 0 (nothing to learn from) before the run says so, once.
NO_SIGNAL_STEPS = 3


def _no_signal_warning(step: int, rewards: np.ndarray, run_dir: Path) -> str:
    values = sorted({round(float(r), 4) for r in rewards})
    seen = ", ".join(map(str, values[:5])) + (" ..." if len(values) > 5 else "")
    return (f"warning: steps {step - NO_SIGNAL_STEPS + 1}-{step} had no learning signal: every advantage was 0 "
            f"(rewards seen: {seen}), so the policy is not changing. Every answer of a group was rewarded "
            f"alike, e.g. none is well formed or none is right; look at {run_dir / 'samples.jsonl'} and the "
            "template, the reward and sampling.max_new_tokens")


def _update_policy(slot: PolicySlot, samples: list[Any], cfg: TrainConfig,
                   step: int) -> tuple[list[Any], torch.Tensor, dict[str, float]]:
    """One policy's update on its roles' share of ``samples``: (the samples it trained on, their
    advantages, the learner's metrics). A non-finite advantage, loss or gradient norm raises
    :class:`TrainingError` naming the step (and the policy, with several) before the optimizer steps."""
    mine = samples if slot.roles is None else [x for x in samples if slot.owns(x)]
    where = f"step {step}" if slot.roles is None else f"step {step}, policy {slot.name!r}"
    if slot.learner.objective == "dpo":  # preference pairs: no advantages; only paired samples train
        pairs, unpaired = dpo_pairs(mine)
        with _named(where):
            update = slot.learner.update_dpo_pairs(pairs, unpaired)
        return [x for pair in pairs for x in pair], torch.zeros(2 * len(pairs)), update
    adv = check_advantages(slot.estimator(mine), mine, _estimator_name(slot), where)
    if cfg.advantage.drop_zero:
        keep = nonzero_mask(adv).nonzero().flatten().tolist()
        mine, adv = [mine[i] for i in keep], adv[keep]
    if not mine:
        return mine, adv, {"loss/skipped": 1.0}
    with _named(where):
        return mine, adv, slot.learner.update(mine, adv)


# -- non-finite values: caught where they appear, before they reach the weights or a checkpoint -----

_NOT_SAVED = "the step was not saved: fix it and rerun to resume from the last checkpoint"


@contextlib.contextmanager
def _named(where: str) -> Iterator[None]:
    """The learner's :class:`TrainingError` (a non-finite loss or gradient norm) with the step (and policy)."""
    try:
        yield
    except TrainingError as e:
        raise TrainingError(f"{where}: {e}; {_NOT_SAVED}") from None


def check_rewards(samples: list[Any], rewards: np.ndarray, cfg: TrainConfig, step: int) -> None:
    """Raise :class:`TrainingError` if a reward of ``samples`` (``rewards``, as floats) is NaN or infinite,
    naming the step, the first such sample's env and role, and the config's rewards that produce it."""
    bad = ~np.isfinite(rewards)
    if not bad.any():
        return
    first = samples[int(np.argmax(bad))]
    raise TrainingError(
        f"step {step}: {int(bad.sum())} of {len(samples)} rewards are not finite ({rewards[bad][0]} for env "
        f"{first.env!r}, role {first.role!r}), from {_reward_source(cfg, first.role)}; {_NOT_SAVED}")


def _reward_source(cfg: TrainConfig, role: str) -> str:
    """Where a loop's rewards come from, as far as the config says: a non-finite ``rewards:`` value, else
    the loop section's named rewards (``ROLE_reward`` for that role when there is one), else the loop."""
    shaping = [f"{k} = {v}" for k, v in cfg.rewards.model_dump().items() if not math.isfinite(v)]
    if shaping:
        return f"the config's rewards: section ({', '.join(shaping)}): use finite numbers"
    section = cfg.loop_config
    fields = section.model_dump() if hasattr(section, "model_dump") else dict(section or {})
    named = {k: v for k, v in fields.items() if "reward" in k and isinstance(v, str)}
    named = {k: v for k, v in named.items() if k == f"{role}_reward"} or named
    if named:
        which = ", ".join(f"{v!r} ({cfg.loop}.{k})" for k, v in named.items())
        return f"reward {which} or the env it scores: make it return a finite number"
    return f"loop {cfg.loop!r} (its rewards or its env's): make them finite"


def check_advantages(adv: Any, samples: list[Any], estimator: str, where: str) -> torch.Tensor:
    """``adv`` if it is a tensor of one finite advantage per sample; else :class:`TrainingError` naming
    ``where`` (the step) and the estimator (the rewards were checked before, so it is the estimator's)."""
    if not isinstance(adv, torch.Tensor) or adv.numel() != len(samples):
        got = f"{adv.numel()} values" if isinstance(adv, torch.Tensor) else f"a {type(adv).__name__}"
        raise TrainingError(f"{where}: advantage estimator {estimator!r} returned {got} for {len(samples)} samples: "
                            f"return a torch.Tensor of one advantage per sample; {_NOT_SAVED}")
    adv = adv.reshape(-1)
    bad = ~torch.isfinite(adv)
    if bool(bad.any()):
        raise TrainingError(f"{where}: advantage estimator {estimator!r} returned {adv[bad][0].item()} for "
                            f"{int(bad.sum())} of {len(samples)} samples (their rewards are finite): make it return "
                            f"finite numbers; {_NOT_SAVED}")
    return adv


def _estimator_name(slot: PolicySlot) -> str:
    """The ``advantage.estimator`` a slot's estimator was built from (its class name if it has no config)."""
    return str(getattr(slot.estimator.config, "estimator", None) or type(slot.estimator).__name__)


def _policy_metrics(name: str, samples: list[Any], adv: torch.Tensor) -> dict[str, float]:
    """A policy's own reward, advantage and sample count (runs with several policies)."""
    rewards = [x.reward for x in samples]
    return {f"policies/{name}/reward/mean": float(np.mean(rewards)) if rewards else 0.0,
            f"policies/{name}/adv/mean_abs": float(adv.abs().mean()) if adv.numel() else 0.0,
            f"policies/{name}/count/trained_samples": float(len(samples))}


def _sync(slots: list[PolicySlot]) -> None:
    for slot in slots:
        if hasattr(slot.policy, "sync_weights"):
            slot.policy.sync_weights()


def _warmup(cfg: TrainConfig, loop: Loop, slots: list[PolicySlot], progress: _Progress) -> dict[str, float]:
    """Supervised warm-up of every policy on the loop's warm-up pairs (all roles' pairs: a loop's pairs
    carry no role); one policy's figures are ``steps``, ``final_loss``...; several policies' ``NAME/...``."""
    w = cfg.warmup
    if not w.steps:
        return {}
    from zeroplay.training.warmup import supervised_warmup

    raw = loop.warmup_pairs(w.steps * w.batch_size // 4 + 64, cfg.seed)
    if not raw:  # the loop has no warm-up data
        return {}
    out: dict[str, float] = {}
    for slot in slots:
        pairs = [(slot.sampler.template.messages(o), c) for o, c in raw]
        progress.start("warm-up" if slot.roles is None else f"warm-up {slot.name}", w.steps, 0)
        t0 = time.perf_counter()
        losses = supervised_warmup(slot.policy, pairs, steps=w.steps, batch_size=w.batch_size, lr=w.lr, seed=cfg.seed,
                                   on_step=lambda i, loss: progress.advance(i + 1, {"loss": loss}))
        progress.stop()
        prefix = "" if slot.roles is None else f"{slot.name}/"
        out.update({f"{prefix}steps": float(w.steps), f"{prefix}first_loss": losses[0],
                    f"{prefix}final_loss": losses[-1], f"{prefix}seconds": time.perf_counter() - t0})
    return out


def _resume(ckpt: dict[str, Any], ckpt_path: Path, slots: list[PolicySlot], loop: Loop,
            cfg: TrainConfig) -> tuple[dict, dict, int]:
    """Load a checkpoint's state into the run's pieces; (eval_before, warmup info, step)."""
    try:
        extra = ckpt["extra"]
        names = extra.get("policies")
        if names != ([s.name for s in slots] if cfg.policies else None):
            raise ValueError(f"it holds policies {names or 'one shared policy'}, the config "
                             f"{[s.name for s in slots] if cfg.policies else 'one shared policy'}")
        if cfg.policies:
            for slot in slots:
                load_model_state(slot.learner.model, ckpt["model"][slot.name])
                slot.learner.optimizer.load_state_dict(ckpt["optimizer"][slot.name])
                slot.estimator.load_state_dict(extra["advantage"][slot.name])
                if slot.learner.wants_ref:
                    slot.learner.ref_model = _frozen_copy(slot.learner.model)
                    slot.learner.ref_model.load_state_dict(extra["ref_model"][slot.name])
        else:
            slot = slots[0]
            load_model_state(slot.learner.model, ckpt["model"])  # a LoRA model's adapters, or every weight
            slot.learner.optimizer.load_state_dict(ckpt["optimizer"])
            # checkpoints written before estimators were named parts hold the RAE state under "rae"
            slot.estimator.load_state_dict(extra["advantage"] if "advantage" in extra else extra["rae"])
            if slot.learner.wants_ref:
                slot.learner.ref_model = _frozen_copy(slot.learner.model)
                slot.learner.ref_model.load_state_dict(extra["ref_model"])
        restore_rng_states(ckpt["rng"])
        loop.load_state_dict(extra["loop"])
        return extra["eval_before"], extra["warmup"], int(ckpt["step"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:  # another model, loop or option set
        detail = _load_error(e)
        raise CheckpointError(
            f"{ckpt_path} does not fit this config ({type(e).__name__}: {detail}): it was written "
            "with another model, loop, policies, model.ref_model or loss.objective; resume with the config it was "
            "written with, or pass another --name to start a new run") from None


def _load_error(e: Exception) -> str:
    """One line for a checkpoint's state that did not load: torch's list of size mismatches as its first
    mismatch, whole (both shapes), and how many more; anything else as its first 300 characters."""
    text = " ".join(str(e).split())
    mismatches = re.findall(r"size mismatch for (\S+): copying a param with shape (torch\.Size\(\[[^]]*\]\)) from "
                            r"checkpoint, the shape in current model is (torch\.Size\(\[[^]]*\]\))", text)
    if not mismatches:
        return text[:300]
    key, saved, now = mismatches[0]
    more = f" ({len(mismatches) - 1} more weights differ in shape)" if len(mismatches) > 1 else ""
    return f"{key} is {saved} in the checkpoint, {now} in this model{more}"


def _lora_bases(slots: list[PolicySlot]) -> dict[str, str]:
    """The :func:`~zeroplay.training.adapters.base_fingerprint` of each LoRA policy's base, by policy name."""
    return {s.name: base_fingerprint(s.learner.model) for s in slots if is_lora(s.learner.model)}


def _check_lora_bases(ckpt: dict[str, Any], slots: list[PolicySlot], now: dict[str, str], allow: bool,
                      say: bool = True) -> dict[str, tuple[Any, Any]]:
    """Refuse to put a checkpoint's LoRA adapters on another base than the one they were trained on: a
    checkpoint holds the adapters only, and the base is read again from ``model.path``, which may have
    been overwritten since (another model, a fine-tune of it). ``now``: this run's bases (:func:`_lora_bases`).
    ``allow`` (``--allow-config-change``)
    accepts it with a warning line (when ``say``: rank 0) and returns it as a config change to record
    (``model.path (its weights)``: the old and new fingerprints), else {}. A checkpoint from before bases
    were recorded is not checked."""
    saved = ckpt.get("extra", {}).get("lora_base") if isinstance(ckpt.get("extra"), dict) else None
    if not isinstance(saved, dict):
        return {}
    changed = [name for name, fp in now.items() if name in saved and saved[name] != fp]
    if not changed:
        return {}
    where = ", ".join(str(s.init_path) if len(slots) == 1 else f"policy {s.name}: {s.init_path}"
                      for s in slots if s.name in changed)
    what = (f"the base model's weights differ from those the checkpoint's LoRA adapters were trained on ({where}); "
            "the adapters would be resumed on another model")
    if allow:
        if say:
            print(f"warning: {what} (accepted: --allow-config-change)", file=sys.stderr)
        prefix = {s.name: "" if len(slots) == 1 else f"policies.{s.name}." for s in slots}
        return {f"{prefix[n]}model.path (its weights)": (saved[n], now[n]) for n in changed}
    raise ConfigChangedError(f"{what}: put the original model back at model.path, pass --allow-config-change "
                             "to resume on this one anyway, or another --name to start a new run")


def _frozen_copy(model: Any) -> Any:
    return copy.deepcopy(model).eval().requires_grad_(False)


def _save(run_dir: Path, step: int, slots: list[PolicySlot], loop: Loop, eval_before: dict, warmup: dict,
          cfg: TrainConfig, bases: dict[str, str]) -> None:
    """One checkpoint file for the whole run; with several policies, ``model``, ``optimizer`` and
    ``extra["advantage"]`` map each policy's name to its state, and ``extra["policies"]`` lists them;
    ``extra["lora_base"]`` holds ``bases``, the LoRA policies' base fingerprints (:func:`_lora_bases`);
    ``extra["ref_model"]`` holds the frozen reference (by name, of each policy that keeps one)."""
    extra: dict[str, Any] = {"loop": loop.state_dict(), "eval_before": eval_before, "warmup": warmup}
    if bases:
        extra["lora_base"] = bases
    if not cfg.policies:
        learner = slots[0].learner
        extra["advantage"] = slots[0].estimator.state_dict()
        if learner.ref_model is not None:
            extra["ref_model"] = learner.ref_model.state_dict()
        save_checkpoint(run_dir, step=step, model=learner.model, optimizer=learner.optimizer, extra=extra,
                        keep=cfg.checkpoint_keep)
        return
    extra["advantage"] = {s.name: s.estimator.state_dict() for s in slots}
    extra["policies"] = [s.name for s in slots]
    refs = {s.name: s.learner.ref_model.state_dict() for s in slots if s.learner.ref_model is not None}
    if refs:
        extra["ref_model"] = refs
    save_checkpoint(run_dir, step=step, model=_ByName({s.name: s.learner.model for s in slots}),
                    optimizer=_ByName({s.name: s.learner.optimizer for s in slots}), extra=extra, keep=cfg.checkpoint_keep)


class _ByName(dict):
    """Several models (or optimizers) by name, saved as one ``{name: state_dict}``."""

    def state_dict(self) -> dict[str, Any]:
        return {name: x.state_dict() for name, x in self.items()}


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

    def report(self, run_dir: Path, before: dict[str, Any], after: dict[str, Any],
               changed: list[dict[str, Any]] | None = None) -> None:
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
        for change in changed or []:
            self.console.print(f"note: from step {change['step']} the run trained with another config "
                               f"({', '.join(change['changes'])}): 'before' was evaluated under the first one")
        self.console.print(f"run directory: {run_dir}  (report.html, metrics.jsonl, summary.json, curve.png, final_model/)")
