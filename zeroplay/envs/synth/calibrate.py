"""Difficulty calibration: a solver's pass rate per difficulty level, and the levels worth keeping.

A level is kept when the solver's pass rate there lies inside the target band (default 0.2 to
0.8): easier levels teach it nothing, harder ones give it no signal. The recommended default
difficulty is the kept level whose rate is closest to the band's middle. With ``episodes``
instances per level the rates are estimates (a binomial standard error of about
``0.5 / sqrt(episodes)``); raise ``episodes`` where a level sits near a band edge.
Two sandbox jobs per source: one makes every prompt, one scores every answer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zeroplay.core.types import Task
from zeroplay.envs.synth import spec
from zeroplay.envs.synth.runner import EnvRunner
from zeroplay.envs.synth.verify import synth_reference

DEFAULT_BAND = (0.2, 0.8)


@dataclass
class CalibrationReport:
    """Pass rate per level, the levels inside ``band``, and the recommended default ``difficulty``."""

    pass_rates: dict[int, float]
    band: tuple[float, float]
    levels: list[int] = field(default_factory=list)
    difficulty: int | None = None
    reason: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.levels)


def calibrate(source: str, solver: Any, *, levels: Sequence[int] = spec.DIFFICULTIES, episodes: int = 16,
              band: tuple[float, float] = DEFAULT_BAND, seed: int = 0, runner: EnvRunner | None = None,
              name: str = "synth") -> CalibrationReport:
    """Estimate ``solver``'s pass rate (score == 1) at each level; keep the levels inside ``band``."""
    lo, hi = band
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"band must satisfy 0 <= low <= high <= 1, got {band}")
    own = runner is None
    runner = runner or EnvRunner()
    try:
        rng = random.Random(seed)
        cases = [[rng.randrange(2**31 - 1), d] for d in levels for _ in range(episodes)]
        made = runner.run_jobs([runner.job(source, "instances", cases=cases)])[0]
        why = made.failure()
        if why is not None:
            return CalibrationReport({}, band, reason=f"could not make instances: {why}")
        items, prompts, infos = [], [], []
        for (s, d), inst in zip(cases, made.result["instances"]):
            if "error" in inst:
                continue
            prompt = spec.full_prompt(inst["prompt"])
            where = {"difficulty": d, "instance_seed": s, "inst_hash": inst["inst_hash"]}
            reference = synth_reference(name=name, answer=inst["reference"], source=source, **where)
            task = Task(f"{name}/{d}/{s}", prompt, reference, "synth", {**where, "oracle_answer": inst["reference"]})
            items.append({"seed": s, "difficulty": d, "inst_hash": inst["inst_hash"]})
            prompts.append(prompt)
            infos.append({"task": task, "difficulty": d})
        answers = solver.act(prompts, infos) if prompts else []
        for item, answer in zip(items, answers):
            item["answer"] = spec.extract_answer(answer if isinstance(answer, str) else "")
        scored = runner.run_jobs([runner.job(source, "score", items=items)])[0]
        if scored.result is None:
            return CalibrationReport({}, band, reason=f"could not score answers: {scored.problem}")
        passes: dict[int, list[bool]] = {d: [] for d in levels}
        for item, res in zip(items, scored.result.get("scores", [])):
            passes[item["difficulty"]].append(res.get("score", 0.0) >= 1.0 - 1e-9)
        rates = {d: (sum(p) / len(p) if p else 0.0) for d, p in passes.items()}
        return _judge(rates, band)
    finally:
        if own:
            runner.close()


def _judge(rates: dict[int, float], band: tuple[float, float]) -> CalibrationReport:
    lo, hi = band
    kept = [d for d, r in sorted(rates.items()) if lo <= r <= hi]
    shown = ", ".join(f"{d}: {r:.2f}" for d, r in sorted(rates.items()))
    if not kept:
        return CalibrationReport(rates, band, reason=f"no level has a pass rate in [{lo}, {hi}] (rates {shown})")
    middle = (lo + hi) / 2
    best = min(kept, key=lambda d: (abs(rates[d] - middle), d))
    return CalibrationReport(rates, band, kept, best, f"levels {kept} in band (rates {shown})")
