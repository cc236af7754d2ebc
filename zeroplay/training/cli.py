"""``zeroplay train CONFIG``: run (or resume) a training run from a YAML config.

A run directory that holds a checkpoint is resumed; one that has run its ``steps`` to the end
says so and exits 0 (a larger ``--steps`` trains further). A resume whose config differs from the
run's (``config.json``) in more than the fields :data:`~zeroplay.training.checkpoint.RESUMABLE` lists
(``steps``, logging, eval and checkpoint frequency, threads, devices...) is refused with the changed
fields, unless ``--allow-config-change``: then ``config_history.jsonl`` keeps every config the run
used. ``--dry-run`` prints the resolved config and what would be built (policies, scripted roles),
builds nothing, and refuses what the run would refuse before building (a refused resume, a bad
``--nproc``). Settings the chosen loop does not read (another loop's section, ``eval`` fields of
another loop) get a one-line warning on stderr: :func:`~zeroplay.training.config.ignored_settings`.

``--nproc N`` runs the training over N processes (:mod:`zeroplay.training.distributed`): it starts
``torchrun --standalone --nproc_per_node N -m zeroplay.cli train ...`` with the same arguments, one
process per GPU (or CPU processes with gloo). Launching torchrun yourself works the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Train from a YAML config. The run directory is OUT/NAME; when it already holds a "
                          "checkpoint the run resumes from it (pass --name to start a new one).")
    parser.add_argument("config", help="YAML config, e.g. configs/demo.yaml")
    parser.add_argument("--out", dest="out_dir", help="parent directory of the run (overrides out_dir)")
    parser.add_argument("--name", help="run name: the run directory is OUT/NAME (overrides name)")
    parser.add_argument("--steps", type=int, help="number of RL steps (overrides steps)")
    parser.add_argument("--seed", type=int, help="random seed (overrides seed)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override any field with a dotted key, e.g. --set optim.lr=1e-4 (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or tables")
    parser.add_argument("--nproc", type=int, default=1, metavar="N",
                        help="train over N processes (one per GPU; CPU processes with gloo) through torchrun")
    parser.add_argument("--allow-config-change", action="store_true",
                        help="resume even though the config differs from the run's (e.g. another env or lr); "
                             "the change is recorded in config_history.jsonl")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the resolved config and what the run would build, then exit (builds nothing)")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes KEY=VALUE (e.g. optim.lr=1e-4), got {item!r}")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key.strip()] = value  # not a YAML value (e.g. "[", "a: b: c"): the text itself
    return out


def run(args: argparse.Namespace) -> int:
    from zeroplay.training.config import ignored_settings, load_config

    overrides = parse_overrides(args.overrides)
    for key in ("out_dir", "name", "steps", "seed"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    cfg = load_config(args.config, overrides)
    if args.nproc < 1:
        raise ConfigError(f"--nproc takes a number of processes >= 1, got {args.nproc}")
    launching = args.nproc > 1 and "WORLD_SIZE" not in os.environ and not args.dry_run
    warning = ignored_settings(cfg)
    if warning and not launching and os.environ.get("RANK", "0") == "0":  # once: rank 0 of a launched run says it
        print(warning, file=sys.stderr)
    if args.dry_run:
        print(describe(cfg, allow_config_change=args.allow_config_change))
        return 0
    if launching:
        return launch(args, Path(cfg.out_dir) / cfg.name)
    from zeroplay.training.trainer import train

    if "WORLD_SIZE" not in os.environ:  # under torchrun its agent stops the ranks
        _stop_on_sigterm()
    try:
        run_dir = train(cfg, quiet=args.quiet, allow_config_change=args.allow_config_change)
    except KeyboardInterrupt as e:
        print(interrupted_message(Path(cfg.out_dir) / cfg.name), file=sys.stderr)
        return 143 if isinstance(e, Terminated) else 130
    if os.environ.get("RANK", "0") == "0":
        print(run_dir)
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (``kill``, ``timeout``, a batch scheduler ending or preempting the job)."""


def _stop_on_sigterm() -> None:
    """Make SIGTERM stop a one-process run the way Ctrl-C does: the sandbox's workers and memory
    cgroups are closed, nothing half-written is left, and the message says what can be resumed
    (exit status 143). Python's default for SIGTERM is to die at once, leaving them behind."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
        raise Terminated

    signal.signal(signal.SIGTERM, stop)


def interrupted_message(run_dir: Path) -> str:
    """What a Ctrl-C left: a checkpoint to resume from, or (in the warm-up or the first evaluation,
    before the step-0 checkpoint) nothing but the initial model, so the same command starts over."""
    from zeroplay.training.checkpoint import CHECKPOINT_NAME, numbered_checkpoints

    if (run_dir / CHECKPOINT_NAME).exists() or numbered_checkpoints(run_dir):
        return f"interrupted: run the same command again to resume {run_dir} from its last checkpoint"
    return (f"interrupted before the first checkpoint (written after the warm-up and the first evaluation): "
            f"nothing to resume in {run_dir}; run the same command again to start the run over")


def launch(args: argparse.Namespace, run_dir: Path) -> int:
    """Run this command again under torchrun with ``args.nproc`` processes (through
    :mod:`zeroplay.training.torchrun`: a failed rank is one line, not the launcher's traceback); the
    exit status of the rank that failed first, or 0. SIGTERM (``kill``, ``timeout``, a batch scheduler)
    is passed on to torchrun, which stops every rank, and the run ends as a Ctrl-C does: the message
    says what can be resumed, exit status 143. (Left alone, the launcher alone would die and the ranks
    train on, unseen.)"""
    import signal
    import subprocess

    cmd = [sys.executable, "-m", "zeroplay.training.torchrun", "--standalone", f"--nproc_per_node={args.nproc}",
           "-m", "zeroplay.cli", "train", args.config]
    for key in ("out_dir", "name", "steps", "seed"):
        if getattr(args, key) is not None:
            cmd += [f"--{key.replace('_dir', '')}", str(getattr(args, key))]
    for item in args.overrides:
        cmd += ["--set", item]
    if args.quiet:
        cmd.append("--quiet")
    if args.allow_config_change:
        cmd.append("--allow-config-change")
    terminated = []
    proc = subprocess.Popen(cmd)

    def forward(signum: int, frame: Any) -> None:
        terminated.append(signum)
        proc.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C went to the whole process group: torchrun stops the ranks
        proc.wait()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if terminated:
        print(interrupted_message(run_dir), file=sys.stderr)
        return 143
    return code


def describe(cfg: Any, allow_config_change: bool = False) -> str:
    """The resolved config (YAML) and what a run of it would build; builds no model and loads no
    checkpoint. Refuses (raises) what the run would refuse before building anything: a missing
    tracker package, a run directory that is a file, and a resume whose config the run's
    ``config.json`` does not allow (see ``--allow-config-change``)."""
    import yaml

    from zeroplay.training.checkpoint import CHECKPOINT_NAME, numbered_checkpoints
    from zeroplay.training.registry import LOOPS, lookup
    from zeroplay.training.trackers import check_trackers

    check_trackers(cfg.log)  # what the run itself would fail on first
    _check_names(cfg)
    run_dir = Path(cfg.out_dir) / cfg.name
    for parent in (run_dir, *run_dir.parents):
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"out_dir/name: {parent} is a file, not a directory; pick another out_dir or name")
    loop_cls = lookup(LOOPS, cfg.loop)
    section = cfg.loop_config
    lines = ["# resolved config", yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False).rstrip(), "",
             "# what the run would build (dry run: nothing was built)"]
    if (run_dir / CHECKPOINT_NAME).exists() or numbered_checkpoints(run_dir):
        changes = _resume_changes(cfg, run_dir, allow_config_change)  # a refused resume raises, as the run would
        lines.append(f"run directory: {run_dir} (holds a checkpoint: the run resumes from it, or says it is complete)")
        if changes:
            why = "--allow-config-change" if allow_config_change else "a resume may change them"
            lines.append(f"config changes from the run's config.json ({why}): {', '.join(changes)}")
    else:
        lines.append(f"run directory: {run_dir} ({'exists, no checkpoint' if run_dir.exists() else 'new'}: a new run)")
    lines.append(f"loop: {cfg.loop} ({loop_cls.__module__}.{loop_cls.__qualname__}), {cfg.steps} steps, "
                 f"{cfg.shards} rollout shard(s)" + (f" on {cfg.ray_workers} Ray actors" if cfg.ray_workers else ""))
    for entry in getattr(section, "mixture", None) or []:
        kwargs = f" {entry.kwargs}" if entry.kwargs else ""
        lines.append(f"env: {entry.id} (weight {entry.weight:g}){kwargs}")
    for entry in getattr(section, "held_out", None) or []:
        lines.append(f"held-out env (evaluated, not trained on): {entry.id}")
    for field in ("reward", "solver_reward", "proposer_reward"):
        if isinstance(getattr(section, field, None), str):
            lines.append(f"{field.replace('_', ' ')}: {getattr(section, field)}")
    policies = {name: cfg.for_policy(name) for name in cfg.policies} or {"policy": cfg}
    loop_roles = tuple(getattr(loop_cls, "roles", ()) or ())
    for name, pcfg in policies.items():
        if cfg.policies:
            roles = f"roles {', '.join(cfg.policies[name].roles)}"
        elif cfg.scripted:
            roles = f"roles {', '.join(r for r in loop_roles if r not in cfg.scripted)}"
        else:
            roles = "every role"
        lines.append(f"policy {name} ({roles}): model {_model_line(pcfg, run_dir, name if cfg.policies else None)}; "
                     f"backend {cfg.backend}, template {cfg.template}; optimizer AdamW lr {pcfg.optim.lr:g}; "
                     f"advantage estimator {pcfg.advantage.estimator}")
        if pcfg.model.lora is not None:
            from zeroplay.training.adapters import lora_summary

            init_dir = run_dir / (f"init_model-{name}" if cfg.policies else "init_model")
            lines.append(f"policy {name}: {lora_summary(pcfg.model, init_dir)}")
        if pcfg.optim.gradient_checkpointing:
            lines.append(f"policy {name}: gradient checkpointing (activations recomputed in the backward pass)")
    for role, scripted in cfg.scripted.items():
        kwargs = f" {scripted.kwargs}" if scripted.kwargs else ""
        lines.append(f"scripted role {role}: agent {scripted.agent}{kwargs} (not trained)")
    if cfg.warmup.steps:
        lines.append(f"warm-up: {cfg.warmup.steps} supervised steps of {cfg.warmup.batch_size}")
    lines.append(f"checkpoints: every {cfg.checkpoint_every} step(s), keeping {cfg.checkpoint_keep}")
    lines.append(f"log: {', '.join(cfg.log)}")
    return "\n".join(lines)


def _check_names(cfg: Any) -> None:
    """Refuse, as the run would seconds or minutes later, an env, an opponent or a ``model.path`` that names
    nothing: cheap checks that build nothing."""
    from zeroplay import agents
    from zeroplay.agents.local_model import checked_model_path
    from zeroplay.core.registry import check_env_id

    section = cfg.loop_config
    entries = [*(getattr(section, "mixture", None) or []), *(getattr(section, "held_out", None) or [])]
    for entry in entries:
        check_env_id(entry.id)
    opponents = [*(getattr(cfg.eval, "opponents", None) or []), *(getattr(section, "opponents", None) or [])]
    for entry in entries:
        opponents += getattr(entry, "opponents", None) or []
    for name in dict.fromkeys(opponents):
        if name != "self":
            agents.check_name(name)
    for name in cfg.policies or [None]:
        path = (cfg.for_policy(name) if name else cfg).model.path
        if path:
            checked_model_path(path)


def _resume_changes(cfg: Any, run_dir: Path, allow: bool) -> list[str]:
    """The fields a resume of ``run_dir`` with ``cfg`` changes (``a: old -> new``); raises what the run
    raises (:class:`~zeroplay.training.checkpoint.ConfigChangedError`) for a change it refuses."""
    import json

    from zeroplay.training.checkpoint import _brief, check_resume_config
    from zeroplay.training.trainer import _trained_config

    previous = _trained_config(run_dir)
    if previous is None:
        return []
    changes = check_resume_config(run_dir, previous, json.loads(json.dumps(cfg.model_dump(mode="json"))), allow=allow)
    return [f"{k}: {_brief(old)} -> {_brief(new)}" for k, (old, new) in changes.items()]


def _model_line(cfg: Any, run_dir: Path, policy: str | None) -> str:
    m = cfg.model
    if m.path:
        return f"{m.path} (device {m.device}, dtype {m.dtype})"
    t = m.tiny
    where = run_dir / ("init_model" if policy is None else f"init_model-{policy}")
    return (f"tiny, built in {where} (hidden {t.hidden_size}, {t.num_layers} layers, {t.num_heads} heads, "
            f"vocab {t.vocab_size}; device {m.device})")
