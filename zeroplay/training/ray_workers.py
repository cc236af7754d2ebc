"""Verification on Ray actors (the optional ``ray`` extra): ``ray_workers: N`` in a config.

Each actor holds its own copy of the env and scores answers as the local path does (``reset``
with the problem's seed, then ``step(answer)``), so results are identical to the local path for
a fixed seed; only where the work runs changes. Useful when verification is the slow phase
(code run in sandboxes, heavy math checks) and more cores or machines are at hand.

Ray is imported here only, when a config asks for it. Not covered: rollouts (generation stays in
the trainer's process, next to the model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.core.optional import require


def score_answer(env: Any, seed: int, action: str) -> tuple[float, bool]:
    """(reward, correct) of ``action`` on the problem ``env.reset(seed=seed)`` serves."""
    env.reset(seed=seed)
    _, reward, _, _, info = env.step(action)
    verdict = info.get("verdict")
    return float(reward), (bool(verdict.correct) if verdict is not None else reward > 0)


class _EnvWorker:
    def __init__(self, env_id: str, env_kwargs: dict[str, Any]):
        import zeroplay as zp

        self.env = zp.make(env_id, **env_kwargs)

    def score(self, jobs: list[tuple[int, str]]) -> list[tuple[float, bool]]:
        return [score_answer(self.env, seed, action) for seed, action in jobs]


class RayVerifier:
    """Scores ``(seed, answer)`` jobs of one single-step env on ``workers`` Ray actors, in order."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], workers: int):
        ray = require("ray", "ray", "verification on Ray actors (ray_workers > 0)")
        if not ray.is_initialized():
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        remote = ray.remote(num_cpus=1)(_EnvWorker)
        self.ray = ray
        self.actors = [remote.remote(env_id, env_kwargs) for _ in range(workers)]

    def score(self, jobs: Sequence[tuple[int, str]]) -> list[tuple[float, bool]]:
        n = len(self.actors)
        chunks = [list(jobs[i::n]) for i in range(n)]
        results = self.ray.get([a.score.remote(c) for a, c in zip(self.actors, chunks) if c])
        out: list[tuple[float, bool] | None] = [None] * len(jobs)
        for i, chunk_result in enumerate(results):
            for j, r in enumerate(chunk_result):
                out[i + j * n] = r
        return out  # type: ignore[return-value]

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
