"""Training by self-play: rollouts, advantage estimators, the PPO-clip loss, and pluggable loops.

    from zeroplay.training import load_config, train
    run_dir = train(load_config("recipes/spiral.yaml"))

Loops, rewards and advantage estimators are named parts (:mod:`.registry`; entry-point groups
``zeroplay.loops``, ``zeroplay.rewards``, ``zeroplay.advantages``), picked by name in a config:

- ``propose_solve`` (Absolute Zero): :mod:`zeroplay.training.selfplay.propose_solve`
- ``games`` (SPIRAL; one game or a weighted mixture): :mod:`zeroplay.training.selfplay.games`
- ``rlvr`` (single-step envs, or a mixture): :mod:`zeroplay.training.rlvr`

The loop every run shares is :mod:`.trainer`; its pieces are built in :mod:`.build`; the
:class:`~.rollout.Loop` protocol, estimators :mod:`.advantages`, loss :mod:`.loss`, rewards
:mod:`.rewards`, prompt templates :mod:`.templates`. Recipes for published systems: ``recipes/``.
This package's ``__init__`` imports nothing heavy: torch loads when ``train`` is called.
A run's ``metrics.jsonl`` is append-only; read it with :func:`read_metrics` (one row per step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zeroplay.training.config import TrainConfig, config_from_dict, load_config
from zeroplay.training.runlog import read_metrics


def train(config: TrainConfig | dict[str, Any] | str | Path, *, quiet: bool = False,
          allow_config_change: bool = False) -> Path:
    """Run (or resume) a training run; ``config`` is a :class:`TrainConfig`, a dict or a YAML path.

    Resuming a run dir whose config differs in more than what a resume may change (``steps``,
    logging, speed settings: :data:`zeroplay.training.checkpoint.RESUMABLE`) raises a ConfigError
    listing the changes, unless ``allow_config_change`` (then recorded in ``config_history.jsonl``)."""
    from zeroplay.training.trainer import train as _train

    if isinstance(config, (str, Path)):
        config = load_config(config)
    elif isinstance(config, dict):
        config = config_from_dict(config)
    return _train(config, quiet=quiet, allow_config_change=allow_config_change)


__all__ = ["TrainConfig", "config_from_dict", "load_config", "read_metrics", "train"]
