"""A plug-in advantage estimator: the reward minus its group's mean, times ``advantage.options.scale``.

An estimator is built once per run with the run's ``advantage:`` section (an ``AdvantageConfig``;
options of its own go in ``advantage.options``), then called by the trainer with each step's
samples, after the loop's ``merge``; it returns one advantage per sample. Stateful estimators
(a running baseline) save their state in ``state_dict``, which goes into the checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from zeroplay.training.advantages import AdvantageEstimator, dr_grpo


class ScaledCentered(AdvantageEstimator):
    """``scale * (R - mean of R over the sample's group)`` (``sample.group``: one prompt's answers)."""

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        rewards = torch.tensor([float(s.reward) for s in samples], dtype=torch.float32)
        if not samples:
            return rewards
        scale = float(self.config.options.get("scale", 1.0))
        return scale * dr_grpo(rewards, [s.group for s in samples])
