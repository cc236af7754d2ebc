"""Rollouts on Ray actors (the optional ``ray`` extra): ``ray_workers: N`` in a config.

Each actor holds its own copy of the policy (built from the run's initial model, on CPU) and
its own loop (envs, sandbox, verifiers). Every step the trainer puts the learner's weights and
the loop's state (the task buffers of propose-solve) into Ray's object store once; each actor
loads them, then runs whole shards of the step, generation *and* scoring, exactly as
:meth:`~zeroplay.training.rollout.ShardedLoop.run_shard` does in the trainer's process. Shard
``k`` goes to actor ``k % N``; results come back in shard order, so a run on Ray equals the
local run with the same ``rollout_shards`` and seed (tested on a local Ray instance).

With LoRA (``model.lora``) each actor builds the same adapted model from the initial model, its base
in the trainer's dtype (:func:`~zeroplay.training.build.weights_dtype` for the trainer's device, so a
bfloat16 base on a CUDA trainer is bfloat16 on the CPU actors too), and only the adapters travel each
step: the base weights never change.

Evaluation and the update stay in the trainer's process. Weights travel as CPU tensors through
the object store: fine for small models and CPU actors; a multi-GPU setup would broadcast them
with NCCL instead (not built). Ray is imported here only, when a config asks for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError
from zeroplay.core.optional import require
from zeroplay.training.adapters import load_model_state, model_state
from zeroplay.training.build import build_loop, build_policy, build_sampler, resolve_device, weights_dtype
from zeroplay.training.config import TrainConfig
from zeroplay.training.rollout import ShardResult


class _RolloutActor:
    """One Ray actor: a CPU copy of the policy and a loop, running the shards it is given."""

    def __init__(self, cfg_json: str, model_path: str, dtype: str):
        import torch

        cfg = TrainConfig.model_validate_json(cfg_json)
        torch.set_num_threads(cfg.threads or 1)
        self.policy = build_policy(cfg.model_copy(update={"backend": "hf"}), Path(model_path), torch.device("cpu"),
                                   dtype=getattr(torch, dtype))  # the trainer's: the same base as its model
        self.sampler = build_sampler(cfg, self.policy)
        self.loop = build_loop(cfg, self.sampler, self.policy)

    def run(self, step: int, shards: list[int], n_shards: int, weights: dict[str, Any],
            loop_state: dict[str, Any]) -> list[ShardResult]:
        load_model_state(self.policy.model, weights)  # every weight, or a LoRA model's adapters
        self.loop.load_state_dict(loop_state)
        return [self.loop.run_shard(step, k, n_shards) for k in shards]


class RayRollouts:
    """``workers`` rollout actors on Ray (a local instance is started if none is running)."""

    def __init__(self, cfg: TrainConfig, model_path: Path, workers: int):
        ray = require("ray", "ray", "rollouts on Ray actors (ray_workers > 0)")
        if not ray.is_initialized():
            ray.init(num_cpus=max(workers, os.cpu_count() or 1), include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        free = ray.available_resources().get("CPU", 0)
        if free < workers:
            raise ConfigError(f"ray_workers: {workers} rollout actors need {workers} free CPUs on the Ray cluster, "
                              f"which has {free:g}: lower ray_workers or add machines")
        remote = ray.remote(num_cpus=1)(_RolloutActor)
        self.ray = ray
        cfg_json = cfg.model_dump_json()
        dtype = str(weights_dtype(cfg, resolve_device(cfg.model.device))).removeprefix("torch.")
        self.actors = [remote.remote(cfg_json, str(model_path), dtype) for _ in range(workers)]

    def collect(self, step: int, n_shards: int, model: Any, loop_state: dict[str, Any]) -> list[ShardResult]:
        """Every shard of ``step``, run on the actors with ``model``'s current weights (a LoRA model's
        adapters); in shard order."""
        weights = self.ray.put({k: v.detach().cpu() for k, v in model_state(model).items()})
        state = self.ray.put(loop_state)
        n = len(self.actors)
        plan = [list(range(i, n_shards, n)) for i in range(n)]
        futures = [a.run.remote(step, ks, n_shards, weights, state) for a, ks in zip(self.actors, plan) if ks]
        by_shard: dict[int, ShardResult] = {}
        for ks, results in zip([ks for ks in plan if ks], self.ray.get(futures)):
            by_shard.update(zip(ks, results))
        return [by_shard[k] for k in range(n_shards)]

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        self.actors = []
