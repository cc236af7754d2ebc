"""Checkpoints: model, optimizer, RNG states, loop buffers and the step, in one file.

Writes go to a temporary file that is then renamed over the old checkpoint (``os.replace`` is
atomic on POSIX), so a kill at any moment leaves either the previous checkpoint or the new
one, never a torn file. With ``checkpoint_every: 1`` a kill loses at most the step in flight.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT_NAME = "checkpoint.pt"


def rng_states() -> dict[str, Any]:
    states: dict[str, Any] = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_checkpoint(run_dir: Path, *, step: int, model: Any, optimizer: Any, extra: dict[str, Any]) -> Path:
    """Atomically write ``run_dir/checkpoint.pt``. ``extra`` holds the loop's buffers and logs (picklable)."""
    path = Path(run_dir) / CHECKPOINT_NAME
    tmp = path.with_suffix(".pt.tmp")
    state = {"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng_states(),
             "extra": extra}
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """The saved state, or None when the run has no checkpoint yet."""
    path = Path(run_dir) / CHECKPOINT_NAME
    if not path.is_file():
        return None
    # our own file, holding numpy RNG state and plain Python objects: full unpickling is needed
    return torch.load(path, map_location="cpu", weights_only=False)
