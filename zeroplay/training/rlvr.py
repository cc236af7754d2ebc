"""(c) Plain RL with verifiable rewards (RLVR) on any single-step env.

Each step draws ``prompts_per_step`` problems (``env.reset`` with a seed derived from the step)
and samples ``group_size`` answers to each; the env's verifier scores them
(``info["verdict"]``). The solver reward is shaped as in Absolute Zero (+1 / -0.5 / -1 for
malformed answers); a GRPO-family estimator groups the samples of one problem.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from zeroplay.training.config import TrainConfig
from zeroplay.training.rewards import solver_reward
from zeroplay.training.rollout import Sample, Sampler, to_sample
from zeroplay.training.selfplay.games import seed_for


class RLVRLoop:
    def __init__(self, cfg: TrainConfig, sampler: Sampler, policy: Any):
        import zeroplay as zp

        assert cfg.rlvr is not None
        self.cfg, self.sampler, self.policy, self.rc = cfg, sampler, policy, cfg.rlvr
        self.env = zp.make(self.rc.env, **self.rc.env_kwargs)
        self.remote = None
        if cfg.ray_workers:
            from zeroplay.training.ray_workers import RayVerifier

            self.remote = RayVerifier(self.rc.env, self.rc.env_kwargs, cfg.ray_workers)

    def _answer(self, obs_seed: int, n: int) -> tuple[list[tuple[Any, str, bool]], list[tuple[float, bool]], str]:
        obs, _ = self.env.reset(seed=obs_seed)
        outs = self.sampler.generate([obs] * n)
        t0 = time.perf_counter()
        jobs = [(obs_seed, action) for _, action, _ in outs]
        if self.remote is not None:
            scored = self.remote.score(jobs)
        else:
            from zeroplay.training.ray_workers import score_answer

            scored = [score_answer(self.env, seed, action) for seed, action in jobs]
        self.sampler.timer.add("verify", time.perf_counter() - t0, n)
        return outs, scored, obs

    def collect(self, step: int) -> tuple[list[Sample], dict[str, float]]:
        samples: list[Sample] = []
        correct = []
        for i in range(self.rc.prompts_per_step):
            outs, scored, _ = self._answer(seed_for(self.cfg.seed, step, i), self.rc.group_size)
            for (gen, _, ok), (_, is_correct) in zip(outs, scored):
                samples.append(to_sample(gen, reward=solver_reward(is_correct, ok, self.cfg.rewards), role="solver",
                                         env=self.rc.env, task_type=self.rc.env, group=f"{step}-{i}",
                                         episode=f"{step}-{i}", well_formed=ok))
                correct.append(is_correct)
        return samples, {"train/accuracy": float(np.mean(correct)),
                         "train/well_formed": float(np.mean([s.well_formed for s in samples]))}

    def evaluate(self, step: int) -> dict[str, float]:
        """Accuracy on ``eval.samples`` fixed problems (the same ones every time), one sample each."""
        correct = []
        for i in range(self.cfg.eval.samples):
            _, scored, _ = self._answer(seed_for(self.cfg.seed, 424242, i), 1)
            correct.append(scored[0][1])
        return {"eval/accuracy": float(np.mean(correct))}

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass
