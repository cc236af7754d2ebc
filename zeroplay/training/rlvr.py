"""(c) Plain RL with verifiable rewards (RLVR) on any single-step env, or a weighted mixture of them.

Each step draws ``prompts_per_step`` problems (``env.reset`` with a seed derived from the step;
a mixture's share of them from (seed, step), :func:`~zeroplay.training.rollout.split_over_mixture`)
and samples ``group_size`` answers to each, one batched generate per shard; the env's verifier
scores them (``info["verdict"]``). The solver reward is ``rlvr.reward`` (default ``correctness``:
+1 / -0.5 / -1 for malformed answers, as in Absolute Zero); a GRPO-family estimator groups the
samples of one problem. Metrics per env: ``train/<env>/solver/reward``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from zeroplay.training.config import RLVRConfig, TrainConfig
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, shard_range, split_over_mixture, to_sample)


def score_answer(env: Any, seed: int, action: str) -> tuple[float, bool]:
    """(reward, correct) of ``action`` on the problem ``env.reset(seed=seed)`` serves."""
    env.reset(seed=seed)
    _, reward, _, _, info = env.step(action)
    verdict = info.get("verdict")
    return float(reward), (bool(verdict.correct) if verdict is not None else reward > 0)


class RLVRLoop(ShardedLoop):
    config_class = RLVRConfig

    def __init__(self, cfg: TrainConfig, sampler: Sampler, policy: Any):
        import zeroplay as zp

        super().__init__(cfg, sampler, policy)
        self.rc: RLVRConfig = cfg.loop_config
        self.mixture = self.rc.mixture
        self.envs = [zp.make(e.id, **e.kwargs) for e in self.mixture]
        self.reward = lookup(REWARDS, self.rc.reward)

    def _problems(self, n: int, seed: int) -> list[int]:
        """The mixture entry of each of ``n`` problems drawn with ``seed``."""
        return split_over_mixture(n, [e.weight for e in self.mixture], seed)

    def _answer(self, problems: list[tuple[int, int]], n: int) -> tuple[list[tuple[Any, str, bool]], list[bool]]:
        """``n`` sampled answers to each problem (entry e, ``reset(seed=s)``), in one generate, and whether
        each is correct."""
        prompts = [self.envs[e].reset(seed=s)[0] for e, s in problems for _ in range(n)]
        outs = self.sampler.generate(prompts)
        t0 = time.perf_counter()
        correct = [score_answer(self.envs[problems[j // n][0]], problems[j // n][1], action)[1]
                   for j, (_, action, _) in enumerate(outs)]
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(outs))
        return outs, correct

    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        n = self.rc.group_size
        entry = self._problems(self.rc.prompts_per_step, seed_for(self.cfg.seed, step, 5))
        problems = list(shard_range(self.rc.prompts_per_step, shard, shards))
        outs, correct = self._answer([(entry[i], seed_for(self.cfg.seed, step, i)) for i in problems], n)
        samples = []
        for j, ((gen, _, ok), c) in enumerate(zip(outs, correct)):
            i = problems[j // n]
            key = self.mixture[entry[i]].key
            samples.append(to_sample(gen, reward=self.reward(c, ok, self.cfg.rewards), role="solver", env=key,
                                     task_type=key, group=f"{step}-{i}", episode=f"{step}-{i}", well_formed=ok))
        return ShardResult(samples, {"correct": correct})

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)
        return samples, {"train/accuracy": float(np.mean(stats["correct"])),
                         "train/well_formed": float(np.mean([s.well_formed for s in samples])),
                         **reward_by_env_role(samples, "train")}

    def evaluate(self, step: int) -> dict[str, float]:
        """Accuracy on ``eval.samples`` fixed problems (the same ones every time), one sample each;
        per env too when the mixture has several."""
        n = self.cfg.eval.samples
        entry = self._problems(n, seed_for(self.cfg.seed, 424242))
        _, correct = self._answer([(entry[i], seed_for(self.cfg.seed, 424242, i)) for i in range(n)], 1)
        out = {"eval/accuracy": float(np.mean(correct))}
        if len(self.mixture) > 1:
            for e, m in enumerate(self.mixture):
                mine = [c for c, x in zip(correct, entry) if x == e]
                if mine:
                    out[f"eval/{m.label}/accuracy"] = float(np.mean(mine))
        return out

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("accuracy", ["train/accuracy", "eval/accuracy"]), ("reward", ["reward/mean"])]
