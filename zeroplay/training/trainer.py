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
"""

from __future__ import annotations

import copy
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.training.advantages import RAEBaseline, nonzero_mask, sample_advantages
from zeroplay.training.checkpoint import (CHECKPOINT_NAME, CheckpointError, load_checkpoint, restore_rng_states,
                                          save_checkpoint)
from zeroplay.training.config import TrainConfig
from zeroplay.training.learner import Learner
from zeroplay.training.rollout import PhaseTimer, Sampler, seed_for
from zeroplay.training.runlog import RunLog, write_atomically
from zeroplay.training.templates import get_template


# -- building the pieces ---------------------------------------------------------------------

def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def tokenizer_corpus(cfg: TrainConfig) -> list[str]:
    """Lines for the tiny tokenizer's BPE merges: the default corpus, the config's, and what
    the loop's envs show (so prompts tokenize short)."""
    from zeroplay.agents.tiny import default_corpus

    lines = default_corpus() + list(cfg.model.tiny.corpus or [])
    if cfg.loop == "games":
        import zeroplay as zp

        from zeroplay.training.selfplay.games import observation_for

        env = zp.make(cfg.games.env, **cfg.games.env_kwargs)
        for g in range(8):
            obs, info = env.reset(seed=g)
            lines.append(observation_for(cfg.games.observation, obs, info))
    if cfg.loop == "propose_solve":
        from zeroplay.training.selfplay.propose_solve import ProposeSolveLoop

        lines += ProposeSolveLoop(cfg, None, None).example_prompts()  # its envs need no policy
    template = get_template(cfg.template)
    if template.system:
        lines.append(template.system)
    return lines


def model_dir(cfg: TrainConfig, run_dir: Path) -> Path:
    """The initial model: ``model.path``, or a tiny model built once into ``run_dir/init_model``."""
    if cfg.model.path:
        path = Path(cfg.model.path).expanduser()
        if not path.exists():
            raise ConfigError(f"model.path {path} does not exist: give a local Hugging Face model directory, "
                              "or leave model.path empty to build a tiny model")
        return path
    path = run_dir / "init_model"
    if (path / "config.json").is_file():
        return path
    from zeroplay.agents.tiny import build_tiny_model

    tmp = run_dir / "init_model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    t = cfg.model.tiny
    build_tiny_model(tmp, corpus=tokenizer_corpus(cfg), vocab_size=t.vocab_size, hidden_size=t.hidden_size,
                     num_layers=t.num_layers, num_heads=t.num_heads, seed=cfg.seed)
    tmp.rename(path)  # atomic: a killed build leaves no half model behind
    return path


def build_policy(cfg: TrainConfig, path: Path, device: torch.device) -> Any:
    """The sampling policy; for ``hf`` it is also the model the learner trains (same object)."""
    import transformers

    from zeroplay.agents.hf import HFAgent

    transformers.utils.logging.disable_progress_bar()  # our own progress bars say what is happening

    if not (path / "config.json").is_file():
        raise ConfigError(f"model.path {path} holds no config.json: give a local Hugging Face model directory "
                          "(what save_pretrained writes), or leave model.path empty to build a tiny model")
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32).to(device)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError) as e:  # a broken config.json, missing weights or tokenizer files
        detail = " ".join(str(e).split())[:300]
        fix = ("give a directory written by save_pretrained (config.json, the weights and the tokenizer)" if cfg.model.path
               else f"delete {path} and run again to rebuild the tiny model")
        raise ConfigError(f"could not load the model in {path} ({type(e).__name__}: {detail}); {fix}") from None
    if cfg.backend == "vllm":
        from zeroplay.training.vllm_backend import VLLMPolicy

        return VLLMPolicy(model, tokenizer, path, gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
                          seed=cfg.seed)
    return HFAgent(model, tokenizer, batch_size=cfg.sampling.batch_size, seed=cfg.seed)


def build_sampler(cfg: TrainConfig, policy: Any) -> Sampler:
    """The policy with the config's template and sampling settings (log-probs on, for the learner)."""
    from zeroplay.agents.policy import SamplingParams

    s = cfg.sampling
    return Sampler(policy, get_template(cfg.template),
                   SamplingParams(temperature=s.temperature, top_p=s.top_p, max_new_tokens=s.max_new_tokens, logprobs=True))


def build_loop(cfg: TrainConfig, sampler: Sampler, policy: Any) -> Any:
    if cfg.loop == "games":
        from zeroplay.training.selfplay.games import GamesLoop

        return GamesLoop(cfg, sampler, policy)
    if cfg.loop == "propose_solve":
        from zeroplay.training.selfplay.propose_solve import ProposeSolveLoop

        return ProposeSolveLoop(cfg, sampler, policy)
    from zeroplay.training.rlvr import RLVRLoop

    return RLVRLoop(cfg, sampler, policy)


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
    rae = RAEBaseline(cfg.advantage.rae_decay)
    progress = _Progress(quiet)

    # ---- resume, or warm up and evaluate the starting point
    if ckpt is not None:
        eval_before, warmup_info, start = _resume(ckpt, run_dir, model, learner, rae, loop, cfg)
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
        _save(run_dir, 0, learner, rae, loop, eval_before, warmup_info)
    policy.sync_weights() if hasattr(policy, "sync_weights") else None

    remote = None
    if cfg.ray_workers and cfg.steps > start:
        from zeroplay.training.ray_workers import RayRollouts

        remote = RayRollouts(cfg, init_path, cfg.ray_workers)

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
            adv = sample_advantages(cfg.advantage.estimator, samples, rae)
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
                _save(run_dir, step, learner, rae, loop, eval_before, warmup_info)
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
    log.plot(_panels(cfg), title=f"{cfg.name}: {cfg.loop}")
    final = run_dir / "final_model"
    model.save_pretrained(final)
    policy.tokenizer.save_pretrained(final)
    progress.report(run_dir, eval_before, eval_after)
    return run_dir


def collect(loop: Any, remote: Any, step: int, shards: int, model: Any) -> tuple[list[Any], dict[str, float]]:
    """The step's samples and rollout metrics: the shards run in this process, or on Ray actors."""
    if remote is None:
        return loop.collect(step, shards)
    results = remote.collect(step, shards, model, loop.state_dict())
    for r in results:
        loop.sampler.timer.merge(r.timer)
    return loop.merge(step, results)


def evaluate(loop: Any, sampler: Sampler, seed: int, step: int) -> dict[str, float]:
    """The loop's evaluation, sampled with a seed of its own (the same wherever the rollouts ran)."""
    sampler.reseed(seed_for(seed, step, 3))
    return loop.evaluate(step)


def _warmup(cfg: TrainConfig, loop: Any, policy: Any, template: Any, progress: _Progress) -> dict[str, float]:
    w = cfg.warmup
    if not w.steps or not hasattr(loop, "warmup_pairs"):
        return {}
    from zeroplay.training.warmup import supervised_warmup

    pairs = [(template.messages(o), c) for o, c in loop.warmup_pairs(w.steps * w.batch_size // 4 + 64, cfg.seed)]
    progress.start("warm-up", w.steps, 0)
    t0 = time.perf_counter()
    losses = supervised_warmup(policy, pairs, steps=w.steps, batch_size=w.batch_size, lr=w.lr, seed=cfg.seed,
                               on_step=lambda i, loss: progress.advance(i + 1, {"loss": loss}))
    progress.stop()
    return {"steps": float(w.steps), "first_loss": losses[0], "final_loss": losses[-1], "seconds": time.perf_counter() - t0}


def _resume(ckpt: dict[str, Any], run_dir: Path, model: Any, learner: Learner, rae: RAEBaseline, loop: Any,
            cfg: TrainConfig) -> tuple[dict, dict, int]:
    """Load a checkpoint's state into the run's pieces; (eval_before, warmup info, step)."""
    try:
        model.load_state_dict(ckpt["model"])
        learner.optimizer.load_state_dict(ckpt["optimizer"])
        restore_rng_states(ckpt["rng"])
        extra = ckpt["extra"]
        rae.load_state_dict(extra["rae"])
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


def _save(run_dir: Path, step: int, learner: Learner, rae: RAEBaseline, loop: Any, eval_before: dict, warmup: dict) -> None:
    extra = {"rae": rae.state_dict(), "loop": loop.state_dict(), "eval_before": eval_before, "warmup": warmup}
    if learner.ref_model is not None:
        extra["ref_model"] = learner.ref_model.state_dict()
    save_checkpoint(run_dir, step=step, model=learner.model, optimizer=learner.optimizer, extra=extra)


def _panels(cfg: TrainConfig) -> list[tuple[str, list[str]]]:
    if cfg.loop == "games":
        opp = cfg.eval.opponents
        return [("exploitability (exact, lower is better)", ["eval/exploitability"]),
                ("win rate vs fixed opponents", [f"eval/{o}/win_rate" for o in opp] +
                 [f"eval/exact/{o}/win_rate" for o in ("random", "nash")]),
                ("mean return vs fixed opponents", [f"eval/{o}/mean_return" for o in opp] +
                 [f"eval/exact/{o}/mean_return" for o in ("random", "nash")]),
                ("self-play", ["reward/mean", "selfplay/invalid_rate"])]
    if cfg.loop == "propose_solve":
        return [("proposer", ["propose/valid_rate", "propose/learnability"]),
                ("solver", ["solve/accuracy", "eval/accuracy"]), ("reward", ["reward/mean"])]
    return [("accuracy", ["train/accuracy", "eval/accuracy"]), ("reward", ["reward/mean"])]


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
