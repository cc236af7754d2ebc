"""Training by self-play: rollouts, advantage estimators, the PPO-clip loss, and three loops.

    from zeroplay.training import load_config, train
    run_dir = train(load_config("configs/demo.yaml"))

- (a) propose-solve (Absolute Zero): :mod:`zeroplay.training.selfplay.propose_solve`
- (b) game self-play (SPIRAL): :mod:`zeroplay.training.selfplay.games`
- (c) plain RLVR on a single-step env: :mod:`zeroplay.training.rlvr`

The loop itself is :mod:`zeroplay.training.trainer`; estimators :mod:`.advantages`, loss
:mod:`.loss`, reward shaping :mod:`.rewards`, prompt templates :mod:`.templates`.
This package's ``__init__`` imports nothing heavy: torch loads when ``train`` is called.
A run's ``metrics.jsonl`` is append-only; read it with :func:`read_metrics` (one row per step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zeroplay.training.config import TrainConfig, config_from_dict, load_config
from zeroplay.training.runlog import read_metrics


def train(config: TrainConfig | dict[str, Any] | str | Path, *, quiet: bool = False) -> Path:
    """Run (or resume) a training run; ``config`` is a :class:`TrainConfig`, a dict or a YAML path."""
    from zeroplay.training.trainer import train as _train

    if isinstance(config, (str, Path)):
        config = load_config(config)
    elif isinstance(config, dict):
        config = config_from_dict(config)
    return _train(config, quiet=quiet)


__all__ = ["TrainConfig", "config_from_dict", "load_config", "read_metrics", "train"]
