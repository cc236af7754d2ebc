"""From an agent's replies to library entries: ask, validate, check novelty, calibrate, keep.

:func:`synthesize` asks ``agent`` for ``n`` new environments (each prompt shows two seed
environments as examples, and the theme), then runs every reply through staged validation
(:mod:`~zeroplay.envs.synth.validate`), novelty against the seeds, the library and the batch
itself (:mod:`~zeroplay.envs.synth.novelty`), and, when a ``solver`` is given, difficulty
calibration (:mod:`~zeroplay.envs.synth.calibrate`). Accepted sources go to the library and are
registered as ``zeroplay/synth/NAME-v0`` at once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from zeroplay.core.answers import PYTHON_LANGS, fenced_blocks
from zeroplay.envs.synth import spec
from zeroplay.envs.synth.calibrate import DEFAULT_BAND, CalibrationReport, calibrate
from zeroplay.envs.synth.library import Library, LibraryEntry, env_id
from zeroplay.envs.synth.novelty import DEFAULT_THRESHOLD, fingerprint
from zeroplay.envs.synth.runner import EnvRunner
from zeroplay.envs.synth.validate import ValidationConfig, ValidationReport, validate_many

AUTHORING_PROMPT = """Write a new training environment for a language model, as Python source.

It must define exactly these top-level functions:
- sample_instance(rng, difficulty) -> dict: a random problem. rng is a random.Random; draw ALL randomness
  from it. difficulty is an int from 1 (easy) to 5 (hard) and must change the problems.
- render(instance) -> str: the problem statement, self-contained, saying how to write the answer.
- reference(instance) -> str: a correct answer, written as a solver should write it.
- score(instance, answer: str) -> float in [0, 1]: 1.0 for a correct answer; low for wrong, empty or junk
  answers; it must never raise, whatever the text.
Optionally set NAME = "CamelCaseName". Import only these modules: {allowed}. No files, no clock, no global
state, no private or dunder attributes.

Two examples of good environments:

{examples}

Theme for the new environment: {theme}
It must be a different task from the examples. Reply with the source in one ```python block."""



@lru_cache(maxsize=1)
def seed_sources() -> dict[str, str]:
    """The shipped seed environments, by NAME (hand-checked; see ``seeds/``)."""
    out = {}
    for path in sorted(resources.files("zeroplay.envs.synth").joinpath("seeds").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".py.txt"):
            text = path.read_text(encoding="utf-8")
            out[spec.declared_name(text) or path.name.split(".")[0]] = text
    return out


def authoring_prompt(examples: Sequence[str], theme: str = "") -> str:
    shown = "\n\n".join(f"```python\n{src.strip()}\n```" for src in examples)
    return AUTHORING_PROMPT.format(allowed=", ".join(sorted(spec.ALLOWED_IMPORTS)), examples=shown,
                                   theme=theme.strip() or "your choice: any task whose answers a program can check")


def extract_source(reply: str) -> str:
    """The code in a reply: its longest closed ```python (or unlabeled) block, else the whole reply.

    Longest rather than last (the general rule, :func:`zeroplay.core.answers.code_block`): an
    author often follows the source with a short usage example."""
    if not isinstance(reply, str):
        return ""
    blocks = [b.body for b in fenced_blocks(reply) if b.closed and b.lang in PYTHON_LANGS | {""} and b.body.strip()]
    return max(blocks, key=len) if blocks else reply


@dataclass
class SynthResult:
    """What became of one reply. ``stage`` is where it was rejected (a validation stage,
    ``novelty`` or ``calibration``); ``entry`` is its library entry when accepted."""

    name: str
    accepted: bool
    stage: str | None
    reason: str
    source: str
    report: ValidationReport | None = None
    calibration: CalibrationReport | None = None
    entry: LibraryEntry | None = None

    @property
    def env_id(self) -> str | None:
        return env_id(self.entry.name) if self.entry else None


def synthesize(
    agent: Any,
    n: int,
    *,
    theme: str = "",
    library: Library | str | None = None,
    solver: Any = None,
    reviewer: Any = None,
    config: ValidationConfig | None = None,
    novelty_threshold: float = DEFAULT_THRESHOLD,
    band: tuple[float, float] = DEFAULT_BAND,
    episodes: int = 16,
    seed: int = 0,
) -> list[SynthResult]:
    """Ask ``agent`` for ``n`` environments and keep those that pass every check. One result per reply."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    library = library if isinstance(library, Library) else Library(library)
    config = config or ValidationConfig()
    seeds = seed_sources()
    rng = random.Random(seed)
    prompts = [authoring_prompt(rng.sample(list(seeds.values()), 2), theme) for _ in range(n)]
    replies = agent.act(prompts, [{"theme": theme} for _ in prompts])
    sources = [extract_source(r) for r in replies]
    runner = EnvRunner(config.runner)
    try:
        reports = validate_many(sources, config, runner=runner, review_agent=reviewer)
        known = [(f"seed:{k}", fingerprint(v)) for k, v in seeds.items()]
        known += [(name, fingerprint(src)) for name, src in library.sources()]
        results = []
        for source, report in zip(sources, reports):
            results.append(_admit(source, report, known, library, runner, solver=solver, threshold=novelty_threshold,
                                  band=band, episodes=episodes, theme=theme, origin=getattr(agent, "name", "") or type(agent).__name__))
    finally:
        runner.close()
    if any(r.accepted for r in results):
        library.register()
    return results


def _admit(source: str, report: ValidationReport, known: list[tuple[str, Any]], library: Library, runner: EnvRunner, *,
           solver: Any, threshold: float, band: tuple[float, float], episodes: int, theme: str, origin: str) -> SynthResult:
    if not report.passed:
        return SynthResult(report.name, False, report.stage, report.reason, source, report)
    mine = fingerprint(source)
    for other, fp in known:
        sim = mine.similarity(fp)
        if sim >= threshold:
            return SynthResult(report.name, False, "novelty", f"near-duplicate of {other} (similarity {sim:.2f} >= {threshold})",
                               source, report)
    meta: dict[str, Any] = {"theme": theme, "origin": origin, "stats": {"probe_means": report.stats.get("probe_means", {})}}
    cal = None
    if solver is not None:
        cal = calibrate(source, solver, band=band, episodes=episodes, runner=runner, name=report.name)
        if not cal.passed:
            return SynthResult(report.name, False, "calibration", cal.reason, source, report, cal)
        meta.update(difficulty=cal.difficulty, levels=cal.levels, pass_rates={str(d): r for d, r in cal.pass_rates.items()})
    entry = library.add(source, name=report.name, sha256=report.sha, **meta)
    known.append((entry.name, mine))
    return SynthResult(entry.name, True, None, report.reason, source, report, cal, entry)
