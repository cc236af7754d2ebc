"""Difficulty calibration: a solver's pass rate per difficulty level, and the levels worth keeping.

A level is kept when the solver's pass rate there lies inside the target band (default 0.2 to
0.8): easier levels teach it nothing, harder ones give it no signal. The recommended default
difficulty is the kept level whose rate is closest to the band's middle. With ``episodes``
instances per level the rates are estimates (a binomial standard error of about
``0.5 / sqrt(episodes)``); raise ``episodes`` where a level sits near a band edge.

A level is kept only when its passes are not chance: every answer that scores 1 is also scored on
:data:`CHANCE_CHECKS` other instances of its level whose references differ from its own, and the share
of those that score 1 is the level's *chance rate*: how often the env pays an answer that solves
another instance, not this one. A checking env's is 0 (a few envs accept many answers, and some of
those solve other instances too); one that pays a salted hash of the answer has one near its pass
rate. A level whose chance rate is above ``max_chance`` (default 0.1) on at least
:data:`MIN_CHANCE_HITS` such scores is not kept, whatever its pass rate.
Sandbox jobs per source: one makes every prompt, then one per few answers scores them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zeroplay.core.types import Task
from zeroplay.envs.synth import spec
from zeroplay.envs.synth.runner import EnvRunner
from zeroplay.envs.synth.verify import synth_reference

DEFAULT_BAND = (0.2, 0.8)
#: Other instances each passing answer is scored on to estimate a level's chance rate.
CHANCE_CHECKS = 8
#: Highest chance rate of a kept level.
DEFAULT_MAX_CHANCE = 0.1
#: Passes elsewhere a level needs before its chance rate counts (one coincidence is not evidence).
MIN_CHANCE_HITS = 3


@dataclass
class CalibrationReport:
    """Pass rate per level, the levels inside ``band``, and the recommended default ``difficulty``."""

    pass_rates: dict[int, float]
    band: tuple[float, float]
    levels: list[int] = field(default_factory=list)
    difficulty: int | None = None
    reason: str = ""
    chance_rates: dict[int, float] = field(default_factory=dict)
    """The share of other instances on which those answers scored 1 too, per level."""

    @property
    def passed(self) -> bool:
        return bool(self.levels)


def calibrate(source: str, solver: Any, *, levels: Sequence[int] = spec.DIFFICULTIES, episodes: int = 16,
              band: tuple[float, float] = DEFAULT_BAND, seed: int | None = None, runner: EnvRunner | None = None,
              name: str = "synth", max_chance: float = DEFAULT_MAX_CHANCE) -> CalibrationReport:
    """Estimate ``solver``'s pass rate (score == 1) at each level; keep the levels inside ``band`` whose
    chance rate is at most ``max_chance``. ``seed`` picks the instances; None (the default) draws
    them at random, so a source cannot recognise calibration's instances and behave there only."""
    lo, hi = band
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"band must satisfy 0 <= low <= high <= 1, got {band}")
    own = runner is None
    runner = runner or EnvRunner()
    try:
        rng = random.Random(seed if seed is not None else secrets.randbits(64))
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
        results = []
        jobs = runner.score_jobs(source, items, elsewhere=CHANCE_CHECKS)
        for job, scored in zip(jobs, runner.run_jobs(jobs)):
            why = scored.failure()
            if why is None and len(scored.result.get("scores", [])) != len(job["items"]):
                why = "the scoring job gave too few scores"
            if why is not None:
                return CalibrationReport({}, band, reason=f"could not score answers: {why}")
            results += scored.result["scores"]
        passes: dict[int, list[bool]] = {d: [] for d in levels}
        chance: dict[int, list[int]] = {d: [0, 0] for d in levels}  # (passes elsewhere, scores elsewhere)
        for item, res in zip(items, results):
            passes[item["difficulty"]].append(res.get("score", 0.0) >= 1.0 - 1e-9)
            if isinstance(res.get("elsewhere"), list) and len(res["elsewhere"]) == 2:
                chance[item["difficulty"]][0] += int(res["elsewhere"][0])
                chance[item["difficulty"]][1] += int(res["elsewhere"][1])
        rates = {d: (sum(p) / len(p) if p else 0.0) for d, p in passes.items()}
        return _judge(rates, band, chance, max_chance)
    finally:
        if own:
            runner.close()


def _judge(rates: dict[int, float], band: tuple[float, float], checks: dict[int, Sequence[int]] | None = None,
           max_chance: float = DEFAULT_MAX_CHANCE) -> CalibrationReport:
    """Keep the levels in ``band`` whose chance is not too high; ``checks`` maps a level to (passes
    elsewhere, scores elsewhere)."""
    lo, hi = band
    hits = {d: (checks or {}).get(d, (0, 0)) for d in rates}
    chance = {d: (k / n if n else 0.0) for d, (k, n) in hits.items()}
    kept = [d for d, r in sorted(rates.items())
            if lo <= r <= hi and not (chance[d] > max_chance and hits[d][0] >= MIN_CHANCE_HITS)]
    shown = ", ".join(f"{d}: {r:.2f}" + (f" (chance {chance[d]:.2f})" if chance[d] else "")
                      for d, r in sorted(rates.items()))
    report = CalibrationReport(rates, band, chance_rates=chance)
    if not kept:
        chancy = [d for d, r in sorted(rates.items()) if lo <= r <= hi]
        report.reason = (f"no level has a pass rate in [{lo}, {hi}] (rates {shown})" if not chancy else
                         f"levels {chancy} pass answers that solve other instances above the chance limit "
                         f"{max_chance:g} (rates {shown}): the env pays answers it does not check")
        return report
    middle = (lo + hi) / 2
    report.levels = kept
    report.difficulty = min(kept, key=lambda d: (abs(rates[d] - middle), d))
    report.reason = f"levels {kept} in band (rates {shown})"
    return report
