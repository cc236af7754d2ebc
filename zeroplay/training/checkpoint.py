"""Checkpoints: model, optimizer, RNG states, loop buffers and the step, in one file. With LoRA
(``model.lora``) the model's part is its adapters only: the base weights are the initial model's.

``checkpoint.pt`` is always the latest. With ``checkpoint_keep: K`` above 1, each checkpoint is
also kept as ``checkpoint-STEP.pt`` (a hard link to the same file, so the latest costs no extra
disk) and the K newest of those are kept; a resume whose ``checkpoint.pt`` does not load then
falls back to the newest numbered checkpoint that does, with a warning line.

Writes go to a temporary file in the run directory, fsynced, then renamed over the old
checkpoint (``os.replace`` is atomic on POSIX), so a kill or a full disk at any moment leaves
either the previous checkpoint or the new one, never a torn file. With ``checkpoint_every: 1``
a kill loses at most the step in flight.

The file holds plain data only (tensors, dicts, lists, tuples, numbers, strings), so it loads
with ``torch.load(weights_only=True)``: loading a checkpoint never runs code from it. A file
that does not load (empty, truncated, not a checkpoint) raises :class:`CheckpointError` naming
the file and what to do.

A checkpoint resumes only with the config its run was trained with (``config.json``), but for the
fields :data:`RESUMABLE` lists (``steps``, logging, checkpointing, threads, devices...):
:func:`check_resume_config` refuses any other change with :class:`ConfigChangedError` naming the
fields, unless the change is accepted (``--allow-config-change``); :func:`record_config` keeps every
config a run used in ``config_history.jsonl``.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.training.adapters import model_state
from zeroplay.training.runlog import HISTORY_NAME, RunFileError, read_config_history, write_atomically

CHECKPOINT_NAME = "checkpoint.pt"
#: The numbered checkpoints ``checkpoint_keep`` keeps: ``checkpoint-STEP.pt``.
NUMBERED = re.compile(r"checkpoint-(\d+)\.pt")
#: The keys every checkpoint holds.
KEYS = ("step", "model", "optimizer", "rng", "extra")


class CheckpointError(RunFileError):
    """A checkpoint that cannot be written or read; the message names the file and what to do."""

    problem: str = ""
    """What is wrong, without the fix (for the warning of a resume that falls back to an older checkpoint)."""


def _unreadable(problem: str, fix: str) -> CheckpointError:
    e = CheckpointError(f"{problem}; {fix}")
    e.problem = problem
    return e


def rng_states() -> dict[str, Any]:
    """The torch, numpy, Python (and CUDA) generator states, as tensors, lists and numbers."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    states: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": str(kind), "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": int(version), "internal": list(internal), "gauss": gauss},
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    n = states["numpy"]
    torch.set_rng_state(states["torch"])
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    p = states["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def plain(value: Any, where: str = "checkpoint") -> Any:
    """``value`` as what ``torch.load(weights_only=True)`` reads: numpy arrays become tensors and
    numpy scalars Python numbers; anything else outside plain data is an error naming its place."""
    if isinstance(value, np.generic):  # before the Python types: np.float64 is a float subclass
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, torch.Tensor, torch.dtype)):
        return value
    if isinstance(value, dict):
        out = type(value)((k, plain(v, f"{where}[{k!r}]")) for k, v in value.items())
        if hasattr(value, "_metadata"):  # a module's state_dict keeps its version info
            out._metadata = value._metadata  # type: ignore[attr-defined]
        return out
    if isinstance(value, (list, tuple, set)):
        return type(value)(plain(v, f"{where}[{i}]") for i, v in enumerate(value))
    raise TypeError(f"{where} is a {type(value).__name__}: a checkpoint holds plain data only "
                    "(tensors, dicts, lists, tuples, sets, numbers, strings)")


def save_checkpoint(run_dir: Path, *, step: int, model: Any, optimizer: Any, extra: dict[str, Any],
                    keep: int = 1) -> Path:
    """Atomically write ``run_dir/checkpoint.pt``. ``extra`` holds the loop's buffers and logs (plain data).
    ``model``: its whole ``state_dict``, or a LoRA model's adapters only
    (:func:`~zeroplay.training.adapters.model_state`; resume with :func:`~zeroplay.training.adapters.load_model_state`).

    ``keep`` above 1 also keeps it as ``checkpoint-STEP.pt`` and deletes all but the ``keep`` newest of those.
    """
    path = Path(run_dir) / CHECKPOINT_NAME
    tmp = path.with_name(CHECKPOINT_NAME + ".tmp")
    state = plain({"step": int(step), "model": model_state(model), "optimizer": optimizer.state_dict(),
                   "rng": rng_states(), "extra": extra})
    try:
        with _interrupts_deferred(), open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
            os.replace(tmp, path)
    except (OSError, RuntimeError) as e:  # a full disk: torch's writer raises RuntimeError, plain writes OSError
        tmp.unlink(missing_ok=True)
        raise CheckpointError(f"could not write the checkpoint {path} ({_why(e)}); the previous checkpoint, "
                              "if any, is intact: free some disk space (or make the run directory writable) and "
                              "run the same command again to resume") from e
    if keep > 1:
        _keep_numbered(path, int(step), keep)
    return path


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block ends: a KeyboardInterrupt raised inside torch's
    writer comes out as a RuntimeError from its C++ stream and would read as a failed write. A signal
    that came meanwhile is raised again right after the checkpoint is complete, so the run stops as it
    would have, with the new checkpoint in place. (Python handlers run in the main thread only: there
    the handlers are swapped; elsewhere the block runs as is.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    previous = {s: h for s, h in previous.items() if h is not None}  # None: a handler set outside Python
    for s in previous:
        signal.signal(s, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if held:
            signal.raise_signal(held[0])


def numbered_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """The run's ``checkpoint-STEP.pt`` files as (step, path), newest first."""
    found = [(int(m.group(1)), p) for p in Path(run_dir).glob("checkpoint-*.pt") if (m := NUMBERED.fullmatch(p.name))]
    return sorted(found, reverse=True)


def _keep_numbered(latest: Path, step: int, keep: int) -> None:
    """Keep ``latest`` as ``checkpoint-STEP.pt`` (a hard link, or a copy where links are not supported)
    and delete all but the ``keep`` newest numbered checkpoints. A failure here costs an old
    checkpoint, never the run: it is reported in one line and the run goes on."""
    import shutil

    target = latest.with_name(f"checkpoint-{step}.pt")
    tmp = latest.with_name(target.name + ".tmp")
    try:
        tmp.unlink(missing_ok=True)
        try:
            os.link(latest, tmp)
        except OSError:  # a filesystem without hard links
            shutil.copyfile(latest, tmp)
        os.replace(tmp, target)
        for _, old in numbered_checkpoints(latest.parent)[keep:]:
            old.unlink(missing_ok=True)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        print(f"warning: could not keep {target.name} ({e.strerror}); {latest} is intact", file=sys.stderr)


def latest_checkpoint(run_dir: Path) -> tuple[dict[str, Any] | None, Path]:
    """The state to resume from and its file: ``checkpoint.pt``, or, when that does not load, the newest
    ``checkpoint-STEP.pt`` that does (a warning line names the file skipped). (None, path) for a new run.
    Without a numbered checkpoint to fall back to, a broken one raises :class:`CheckpointError`."""
    run_dir = Path(run_dir)
    path = run_dir / CHECKPOINT_NAME
    candidates = ([path] if path.exists() else []) + [p for _, p in numbered_checkpoints(run_dir)]
    skipped: list[CheckpointError] = []
    tried: set[tuple[int, int]] = set()
    for candidate in candidates:
        try:
            ident = (candidate.stat().st_dev, candidate.stat().st_ino)
        except OSError:
            ident = (-1, len(tried))
        if ident in tried:  # a hard link to a file that did not load
            continue
        tried.add(ident)
        try:
            state = _load_file(candidate)
        except CheckpointError as e:
            skipped.append(e)
            continue
        for e in skipped:
            print(f"warning: {e.problem}; resuming from {candidate} (step {state['step']}) instead", file=sys.stderr)
        return state, candidate
    if skipped:
        raise skipped[0]
    return None, path


def load_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """The state in ``run_dir/checkpoint.pt``, or None when the run has no checkpoint yet."""
    path = Path(run_dir) / CHECKPOINT_NAME
    return _load_file(path) if path.exists() else None


def _load_file(path: Path) -> dict[str, Any]:
    fix = f"delete {path} (or its whole run directory) to start over, or pass another --out or --name"
    if not path.is_file():
        raise _unreadable(f"{path} is not a file", fix)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError:
        raise _unreadable(f"cannot read the checkpoint {path}: permission denied",
                          "fix its permissions, or pass another --out or --name") from None
    except Exception as e:  # noqa: BLE001 - empty, truncated or foreign files fail in many ways inside torch
        size = path.stat().st_size
        what = "is empty" if size == 0 else f"cannot be loaded ({_why(e)}; {size} bytes)"
        raise _unreadable(f"{path} {what}", fix) from None
    if not isinstance(state, dict) or any(k not in state for k in KEYS):
        raise _unreadable(f"{path} is not a zeroplay checkpoint (it lacks {', '.join(KEYS)})", fix)
    return state


def _why(e: BaseException) -> str:
    """What failed, in a few words (torch's own messages run to a page)."""
    text = " ".join(str(e).split())
    if "Unsupported operand" in text or "Weights only load failed" in text and "WeightsUnpickler" not in text:
        return "not a checkpoint archive"
    if "WeightsUnpickler error:" in text:  # pickled objects that are not plain data (or an older zeroplay's file)
        text = text.split("WeightsUnpickler error:", 1)[1].split(". ")[0].strip()
        return f"it holds objects that are not plain data: {text[:150]}"
    if "PytorchStreamReader" in text:
        return "not a complete checkpoint archive: truncated or another kind of file"
    return f"{type(e).__name__}: {text.split('. ')[0][:150]}"


# -- the config a run resumes with -------------------------------------------------------------------

RESUMABLE = ("name", "out_dir", "steps", "step_delay_s", "log", "eval.every", "checkpoint_every", "checkpoint_keep",
             "threads", "ray_workers", "model.device", "vllm_gpu_memory_utilization", "sampling.batch_size",
             "sampling.cache", "sampling.compile", "optim.micro_batch_size", "optim.micro_batch_tokens",
             "optim.compile", "optim.gradient_checkpointing",
             *(f"policies.*.{k}" for k in ("model.device", "sampling.batch_size", "sampling.cache", "sampling.compile",
                                           "optim.micro_batch_size", "optim.micro_batch_tokens", "optim.compile",
                                           "optim.gradient_checkpointing")))
"""The fields a resume may change without ``allow_config_change`` (``*``: any policy's name): where the
run lives and how long it trains; what is logged, evaluated when, checkpointed; and where and how fast it
runs. The last may change float rounding, never what is trained on, with which objective, or how it is
evaluated. ``ray_workers`` is free only while the rollout shards stay the same: the comparison sees
``rollout_shards`` as the run's shard count (``ray_workers`` when unset)."""

FIXED = ("model.tiny.*", "policies.*.model.tiny.*")
"""Fields no resume may change, even with ``allow_config_change``: the run's tiny model was built once
from them (``RUN/init_model``) and is what the checkpoint's weights belong to, so a new value could not
take effect and would only be recorded as if it had."""

UNSET = "(unset)"
"""How a change shows a field that one of the two configs lacks."""


class ConfigChangedError(CheckpointError, ConfigError):
    """A resume whose config differs from the run's in fields :data:`RESUMABLE` does not list."""


def config_changes(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> dict[str, tuple[Any, Any]]:
    """Every field that differs, by dotted path: sections compare field by field, lists as wholes; a field
    only one side has shows :data:`UNSET` on the other."""
    out: dict[str, tuple[Any, Any]] = {}
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key, UNSET), new.get(key, UNSET)
        if isinstance(a, dict) and isinstance(b, dict):
            out.update(config_changes(a, b, f"{prefix}{key}."))
        elif a != b:
            out[f"{prefix}{key}"] = (a, b)
    return out


def significant(changes: dict[str, Any]) -> list[str]:
    """The changed fields a resume refuses without ``allow_config_change`` (those :data:`RESUMABLE` does not list)."""
    resumable = set(_matching(changes, RESUMABLE))
    return [path for path in changes if path not in resumable]


def _matching(paths: Iterable[str], patterns: Sequence[str]) -> list[str]:
    """The dotted ``paths`` that one of ``patterns`` matches (fnmatch patterns: ``*`` matches any text)."""
    from fnmatch import fnmatchcase

    return [path for path in paths if any(fnmatchcase(path, pattern) for pattern in patterns)]


def comparable(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (a JSON dump) as a resume compares it: ``rollout_shards`` is the run's shard count."""
    workers = config.get("ray_workers")
    shards = config.get("rollout_shards") or (workers if isinstance(workers, int) and workers > 1 else 1)
    return {**config, "rollout_shards": shards}


def check_resume_config(run_dir: Path, old: dict[str, Any], new: dict[str, Any], *,
                        allow: bool) -> dict[str, tuple[Any, Any]]:
    """The changes from ``old`` (the config ``run_dir`` was trained with) to ``new``; raises
    :class:`ConfigChangedError` when one is significant and ``allow`` is false."""
    changes = config_changes(comparable(old), comparable(new))
    fixed = _matching(changes, FIXED)
    if fixed:
        shown = ", ".join(f"{p}: {_brief(changes[p][0])} -> {_brief(changes[p][1])}" for p in fixed)
        raise ConfigChangedError(
            f"{shown}: the tiny model's shape cannot change when {run_dir} resumes, even with "
            "--allow-config-change: the run's model was built with it and its checkpoint holds that model's "
            "weights; pass another --name or --out to start a new run with this shape")
    refused = significant(changes)
    if refused and not allow:
        shown = ", ".join(f"{p}: {_brief(changes[p][0])} -> {_brief(changes[p][1])}" for p in refused[:3])
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        raise ConfigChangedError(
            f"the checkpoint in {run_dir} does not fit this config: the run was trained with another one "
            f"({shown}{more}); resume with the config it was trained with ({Path(run_dir) / 'config.json'}), "
            "pass another --name or --out for a new run, or pass "
            "--allow-config-change (train(..., allow_config_change=True)) to train on with this one (recorded in "
            f"{HISTORY_NAME})")
    return changes


def _brief(value: Any) -> str:
    import json

    text = value if value is UNSET else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def record_config(run_dir: Path, step: int, config: dict[str, Any], changes: dict[str, tuple[Any, Any]],
                  previous: dict[str, Any] | None) -> None:
    """Add ``config`` to the run's history when it starts a run (``previous`` None: the history starts
    over) or changes the previous one (a run older than the history gets ``previous`` as its first line)."""
    import json

    history = read_config_history(run_dir) if previous is not None else []
    if previous is not None and not history:
        history.append({"step": 0, "changes": {}, "significant": [], "config": previous})
    if history and not changes:
        return
    history.append({"step": int(step), "changes": {k: list(v) for k, v in changes.items()},
                    "significant": significant(changes), "config": config})
    write_atomically(Path(run_dir) / HISTORY_NAME, "".join(json.dumps(e) + "\n" for e in history))
