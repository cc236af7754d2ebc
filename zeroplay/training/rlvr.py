"""(c) Plain RL with verifiable rewards (RLVR) on any single-step env.

Each step draws ``prompts_per_step`` problems (``env.reset`` with a seed derived from the step)
and samples ``group_size`` answers to each, one batched generate per shard; the env's verifier
scores them (``info["verdict"]``). The solver reward is shaped as in Absolute Zero (+1 / -0.5 /
-1 for malformed answers); a GRPO-family estimator groups the samples of one problem.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from zeroplay.training.config import TrainConfig
from zeroplay.training.rewards import solver_reward
from zeroplay.training.rollout import Sample, Sampler, ShardedLoop, ShardResult, concat_stats, seed_for, shard_range, to_sample


def score_answer(env: Any, seed: int, action: str) -> tuple[float, bool]:
    """(reward, correct) of ``action`` on the problem ``env.reset(seed=seed)`` serves."""
    env.reset(seed=seed)
    _, reward, _, _, info = env.step(action)
    verdict = info.get("verdict")
    return float(reward), (bool(verdict.correct) if verdict is not None else reward > 0)


class RLVRLoop(ShardedLoop):
    def __init__(self, cfg: TrainConfig, sampler: Sampler, policy: Any):
        import zeroplay as zp

        assert cfg.rlvr is not None
        self.cfg, self.sampler, self.policy, self.rc = cfg, sampler, policy, cfg.rlvr
        self.env = zp.make(self.rc.env, **self.rc.env_kwargs)

    def _answer(self, seeds: list[int], n: int) -> tuple[list[tuple[Any, str, bool]], list[bool]]:
        """``n`` sampled answers to each problem ``env.reset(seed=s)`` (one generate), and whether each is correct."""
        prompts = [self.env.reset(seed=s)[0] for s in seeds for _ in range(n)]
        outs = self.sampler.generate(prompts)
        t0 = time.perf_counter()
        correct = [score_answer(self.env, seeds[j // n], action)[1] for j, (_, action, _) in enumerate(outs)]
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(outs))
        return outs, correct

    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        n = self.rc.group_size
        problems = list(shard_range(self.rc.prompts_per_step, shard, shards))
        outs, correct = self._answer([seed_for(self.cfg.seed, step, i) for i in problems], n)
        samples = [to_sample(gen, reward=solver_reward(c, ok, self.cfg.rewards), role="solver", env=self.rc.env,
                             task_type=self.rc.env, group=f"{step}-{problems[j // n]}",
                             episode=f"{step}-{problems[j // n]}", well_formed=ok)
                   for j, ((gen, _, ok), c) in enumerate(zip(outs, correct))]
        return ShardResult(samples, {"correct": correct})

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)
        return samples, {"train/accuracy": float(np.mean(stats["correct"])),
                         "train/well_formed": float(np.mean([s.well_formed for s in samples]))}

    def evaluate(self, step: int) -> dict[str, float]:
        """Accuracy on ``eval.samples`` fixed problems (the same ones every time), one sample each."""
        _, correct = self._answer([seed_for(self.cfg.seed, 424242, i) for i in range(self.cfg.eval.samples)], 1)
        return {"eval/accuracy": float(np.mean(correct))}
