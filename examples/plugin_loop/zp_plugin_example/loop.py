"""A plug-in training loop, whole: the policy is asked for an answer of ``target`` characters.

It shows everything a loop gives the trainer, and nothing else:

- ``config_class``: the schema of the loop's own config section (``target_length:`` in the YAML,
  named like the loop). The trainer validates that section against it; the loop reads the
  validated section as ``cfg.loop_config`` (``cfg.target_length`` does not exist: a plug-in
  loop's section is not a field of ``TrainConfig``).
- ``collect_shard``: this shard's part of a step. Prompts go through ``self.sampler.generate``
  (the run's template and sampling settings; reseeded by the trainer), each completion becomes a
  :class:`~zeroplay.training.rollout.Sample` through ``to_sample(generation, reward=..., labels)``,
  and raw per-prompt figures go in ``stats`` (a dict of lists, concatenated over shards).
- ``merge``: the step's samples (shard order) and its metrics (a flat dict of floats). The trainer
  then computes advantages over those samples with ``advantage.estimator``, updates the policy,
  and logs these metrics with its own (``reward/mean``, ``loss``, ``time/...``).
- ``evaluate``: ``eval/...`` metrics, before training, every ``eval.every`` steps and at the end.

What this loop does not show: envs and verifiers (read ``zeroplay/training/rlvr.py``), several roles
(``roles`` and ``sampler_for``: ``zeroplay/training/selfplay/propose_solve.py``), loop state kept in
checkpoints (``state_dict``/``load_state_dict``), a warm-up (``warmup_pairs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rollout import Sample, ShardedLoop, ShardResult, concat_stats, shard_range, to_sample


class TargetLengthConfig(BaseModel):
    """The ``target_length:`` section of a config."""

    model_config = ConfigDict(extra="forbid")  # a typo in the section is an error, not a silent default

    target: int = Field(3, ge=1)
    """Characters the answer must have (surrounding whitespace not counted)."""
    prompts: int = Field(4, ge=1)
    """Prompts per step."""
    group_size: int = Field(4, ge=1)
    """Answers sampled per prompt: a group for GRPO-family estimators."""
    reward: str = "hit_or_miss"
    """A registered solver reward, ``(correct, well_formed, shaping) -> float``: ``hit_or_miss`` (this
    package's), or zeroplay's ``binary``, ``correctness``."""
    eval_prompts: int = Field(8, ge=1)
    """Answers sampled per evaluation."""

    _registered = field_validator("reward")(reward_field("solver"))  # registered, and of the solver kind


def prompt(target: int, i: int) -> str:
    return f"write {target} letters ({i}):"


class TargetLengthLoop(ShardedLoop):
    """Reward answers of exactly ``target`` characters."""

    config_class = TargetLengthConfig

    def __init__(self, cfg: Any, sampler: Any, policy: Any):
        super().__init__(cfg, sampler, policy)  # sets self.cfg (the whole TrainConfig), self.sampler, self.policy
        self.tc: TargetLengthConfig = cfg.loop_config
        self.reward = lookup(REWARDS, self.tc.reward)

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        """Text for the tiny model's tokenizer (built before the loop): the prompts."""
        return [prompt(cfg.loop_config.target, i) for i in range(8)]

    def hit(self, action: str) -> bool:
        return len(action.strip()) == self.tc.target

    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        n = self.tc.group_size
        mine = list(shard_range(self.tc.prompts, shard, shards))  # this shard's prompts
        outs = self.sampler.generate([prompt(self.tc.target, i) for i in mine for _ in range(n)])
        samples, stats = [], {"hit": [], "length": []}
        for k, (gen, action, well_formed) in enumerate(outs):
            i = mine[k // n]
            hit = self.hit(action)
            samples.append(to_sample(gen, reward=self.reward(hit, well_formed, self.cfg.rewards), role="solver",
                                     env="target_length", group=f"{step}-{i}", episode=f"{step}-{i}-{k % n}",
                                     well_formed=well_formed))
            stats["hit"].append(hit)
            stats["length"].append(len(action.strip()))
        return ShardResult(samples, stats)

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)
        return samples, {"train/hit_rate": float(np.mean(stats["hit"])),
                         "train/length": float(np.mean(stats["length"]))}

    def evaluate(self, step: int) -> dict[str, float]:
        outs = self.sampler.generate([prompt(self.tc.target, -1)] * self.tc.eval_prompts)
        return {"eval/hit_rate": float(np.mean([self.hit(action) for _, action, _ in outs]))}

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("reward", ["reward/mean"]), ("hit rate", ["train/hit_rate", "eval/hit_rate"])]
