"""Staged validation of environment sources: ``validate(source) -> ValidationReport``.

Stages, in order (the report names the first that fails and why):

1. ``static``: parses; defines the four spec functions; imports only what is allowed.
2. ``sandbox``: loads and runs in the sandbox within its limits (time, memory, output); the
   functions return the right types (a dict instance, a str prompt under the size limit).
3. ``deterministic``: the same seed gives the same instance, prompt and reference, twice in one
   process and across two sandbox runs.
4. ``self_consistent``: ``score(instance, reference(instance)) == 1`` on every instance.
5. ``discriminating``: empty, trivial (``0``, ``yes``, ``a``...), random, echoed-prompt,
   everything-at-once and other-instance answers score low on average; other instances' references
   (right-shaped wrong answers) rarely score 1 at any level; ``score`` never raises.
6. ``difficulty``: the difficulty knob changes the instances for the same seed.
7. ``review`` (optional): an agent reads the source and examples and answers ACCEPT or REJECT.

Stages 2 to 6 come from two sandbox jobs per source, run concurrently with those of every
other source given to :func:`validate_many`: one does every check, the other only re-derives
the instances in a fresh process. Nothing here runs the source in this process. The cross-run
check catches string-hash (set order) dependence only when the two runs get different hash
seeds, which the warm pool does not promise (its workers fork from a few interpreters).
What validation does not guarantee: that the task is interesting, that the prompt states the
task unambiguously (the review stage is the place for that), or that a reference that scores 1
is the only answer that does.
"""

from __future__ import annotations

import re
import secrets
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from zeroplay.envs.synth import spec
from zeroplay.envs.synth.runner import EnvRunner, JobOutcome, RunnerConfig
from zeroplay.envs.synth.spec import source_sha
from zeroplay.envs.synth.static import check_source

#: Stage names in the order they run.
STAGES: tuple[str, ...] = ("static", "sandbox", "deterministic", "self_consistent", "discriminating", "difficulty", "review")


@dataclass(frozen=True)
class ValidationConfig:
    """How hard validation looks."""

    seeds_per_level: int = 8
    """Instances drawn at each difficulty level (so 8 x 5 = 40 instances by default)."""
    levels: tuple[int, ...] = spec.DIFFICULTIES
    """Difficulty levels exercised."""
    first_seed: int | None = None
    """Seeds used are first_seed, first_seed + 1, ...; None (the default) draws first_seed at random for
    each validation, so a source cannot know the instances validation looks at (and behave there only)."""
    max_empty_score: float = 0.05
    """Highest mean score the empty answer may get."""
    max_probe_mean: float = 0.5
    """Highest mean score any other low-effort answer (trivial, random, echoed...) may get."""
    max_wrong_pass_rate: float = 0.2
    """Highest share of other instances' references (right-shaped wrong answers) that may score 1 at any
    one level: an env that pays them pays by chance, not for solving (a salted hash of the answer)."""
    min_difficulty_change: float = 0.5
    """Fraction of seeds whose instance must change between the lowest and highest level."""
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    """Sandbox limits."""


@dataclass
class ValidationReport:
    """The outcome of validating one source. ``stage`` is the first failing stage (None when passed)."""

    passed: bool
    stage: str | None
    reason: str
    name: str
    sha: str
    stats: dict[str, Any] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.name}: passed" if self.passed else f"{self.name}: rejected at {self.stage}: {self.reason}"


def validate(source: str, config: ValidationConfig | None = None, *, runner: EnvRunner | None = None,
             review_agent: Any = None, name: str | None = None) -> ValidationReport:
    """Validate one source through every stage. See the module docstring for what each checks."""
    return validate_many([source], config, runner=runner, review_agent=review_agent, names=[name] if name else None)[0]


def validate_many(sources: Sequence[str], config: ValidationConfig | None = None, *, runner: EnvRunner | None = None,
                  review_agent: Any = None, names: Sequence[str | None] | None = None) -> list[ValidationReport]:
    """Validate many sources; their sandbox jobs all go out in one ``run_many``. Reports in order."""
    config = config or ValidationConfig()
    own_runner = runner is None
    runner = runner or EnvRunner(config.runner)
    try:
        given = list(names) if names is not None else [None] * len(sources)
        names = [n or _default_name(src) for n, src in zip(given, sources)]
        first = config.first_seed if config.first_seed is not None else secrets.randbelow(1 << 30)
        cases = [[first + i, d] for d in config.levels for i in range(config.seeds_per_level)]
        reports: list[ValidationReport | None] = []
        jobs: list[dict[str, Any]] = []
        for src, name in zip(sources, names):
            problem = check_source(src)
            if problem:
                reports.append(ValidationReport(False, "static", problem, name, source_sha(str(src))))
                continue
            reports.append(None)
            # the second job only re-derives hashes in a fresh process: the cross-run half of stage 3
            jobs += [runner.job(src, "probe", cases=cases), runner.job(src, "hashes", cases=cases)]
        outcomes = iter(runner.run_jobs(jobs))
        for i, src in enumerate(sources):
            if reports[i] is None:
                first, second = next(outcomes), next(outcomes)
                reports[i] = _judge(src, names[i], first, second, config)
        if review_agent is not None:
            _review([r for r in reports if r.passed], [s for s, r in zip(sources, reports) if r.passed], review_agent)
        return reports  # type: ignore[return-value]
    finally:
        if own_runner:
            runner.close()


def _default_name(source: Any) -> str:
    text = source if isinstance(source, str) else ""
    return spec.declared_name(text) or f"Env{source_sha(str(source))[:8]}"


def _judge(source: str, name: str, first: JobOutcome, second: JobOutcome, config: ValidationConfig) -> ValidationReport:
    sha = source_sha(source)

    def fail(stage: str, reason: str, **stats: Any) -> ValidationReport:
        return ValidationReport(False, stage, reason, name, sha, stats)

    found = _job_failure(first) or _job_failure(second)
    if found:
        return fail(*found)
    cases, again = first.result["cases"], second.result["cases"]
    for case, other in zip(cases, again):
        where = f"seed {case['seed']}, difficulty {case['difficulty']}"
        if case["hash"] != case["hash_again"]:
            return fail("deterministic", f"the same seed gave two different instances ({where}); draw all randomness from `rng`")
        if case["hash"] != other["hash"]:
            return fail("deterministic", f"the same seed gave different instances in two runs ({where}); "
                        "avoid hash(), id() and set order of strings")
    for case in cases:
        if case["ref_score"] < 1.0 - 1e-9:
            return fail("self_consistent", f"score(instance, reference(instance)) = {case['ref_score']:g}, not 1 "
                        f"(seed {case['seed']}, difficulty {case['difficulty']})")
    means = {label: statistics.fmean(c["probes"][label] for c in cases) for label in cases[0]["probes"]}
    stats = {"probe_means": means, "instances": len(cases), "wall_s": first.wall_s}
    if means["empty"] > config.max_empty_score:
        return fail("discriminating", f"the empty answer scores {means['empty']:.2f} on average", **stats)
    label, worst = max(((k, v) for k, v in means.items() if k != "empty"), key=lambda kv: kv[1])
    if worst > config.max_probe_mean:
        return fail("discriminating", f"the low-effort answer '{label}' scores {worst:.2f} on average "
                    f"(limit {config.max_probe_mean}); score must check the answer, not accept anything", **stats)
    for d in config.levels:
        passed, asked = (sum(c["wrong_passed"][i] for c in cases if c["difficulty"] == d) for i in (0, 1))
        stats.setdefault("wrong_pass_rates", {})[d] = rate = passed / asked if asked else 0.0
        if rate > config.max_wrong_pass_rate:
            return fail("discriminating", f"other instances' references score 1 on {passed} of {asked} instances at "
                        f"difficulty {d} (limit {config.max_wrong_pass_rate:.0%}); score must check the answer "
                        "against this instance, not pay answers by chance", **stats)
    lo, hi = min(config.levels), max(config.levels)
    by_seed = {(c["seed"], c["difficulty"]): c["inst_hash"] for c in cases}
    seeds = sorted({c["seed"] for c in cases})
    changed = sum(by_seed[(s, lo)] != by_seed[(s, hi)] for s in seeds) / len(seeds)
    stats["difficulty_change"] = changed
    stats["prompt_chars"] = {d: statistics.fmean(c["prompt_chars"] for c in cases if c["difficulty"] == d) for d in config.levels}
    if changed < config.min_difficulty_change:
        return fail("difficulty", f"difficulty {lo} and {hi} gave the same instance for {1 - changed:.0%} of seeds; "
                    "make sample_instance use `difficulty`", **stats)
    report = ValidationReport(True, None, "passed stages 1-6", name, sha, stats, first.result.get("examples", []))
    return report


def _job_failure(outcome: JobOutcome) -> tuple[str, str] | None:
    if outcome.result is None:
        return "sandbox", outcome.problem or "no result"
    if "load_error" in outcome.result:
        err = outcome.result["load_error"]
        return err["stage"], err["message"]
    for case in outcome.result["cases"]:
        if "error" in case:
            where = f"seed {case['seed']}, difficulty {case['difficulty']}"
            return case["error"]["stage"], f"{case['error']['message']} ({where})"
    return None


# -- stage 7: review by a model -------------------------------------------------------------

REVIEW_PROMPT = """You review a generated training environment for a language model. It is Python source with
sample_instance(rng, difficulty), render(instance) (the prompt), reference(instance) (the answer) and
score(instance, answer) in [0, 1]. Automatic checks already passed: it runs, is deterministic, its reference
scores 1 and trivial answers score low. Judge what they cannot: is each prompt clear and self-contained, does
the reference truly solve it, and is the task worth learning?

Source:
```python
{source}
```

Example prompts and references:
{examples}

Reply with your reasoning, then ACCEPT or REJECT as the last word."""

_VERDICT = re.compile(r"\b(ACCEPT|REJECT)\b")


def review_prompt(source: str, examples: Sequence[dict[str, Any]]) -> str:
    shown = "\n\n".join(f"[difficulty {e['difficulty']}]\n{e['prompt']}\n-> reference: {e['reference']}" for e in examples)
    return REVIEW_PROMPT.format(source=source, examples=shown or "(none)")


def _review(reports: list[ValidationReport], sources: list[str], agent: Any) -> None:
    if not reports:
        return
    prompts = [review_prompt(s, r.examples) for s, r in zip(sources, reports)]
    try:
        replies = agent.act(prompts, [{} for _ in prompts])
    except Exception as e:  # noqa: BLE001 - a reviewer that fails rejects nothing silently: it says so
        for r in reports:
            r.passed, r.stage, r.reason = False, "review", f"the review agent failed: {type(e).__name__}: {e}"
        return
    for r, reply in zip(reports, replies):
        verdicts = _VERDICT.findall(reply if isinstance(reply, str) else "")
        r.stats["review"] = (reply or "")[-500:] if isinstance(reply, str) else ""
        if not verdicts:
            r.passed, r.stage, r.reason = False, "review", "the reviewer answered neither ACCEPT nor REJECT"
        elif verdicts[-1] == "REJECT":
            r.passed, r.stage, r.reason = False, "review", "the reviewer rejected it: " + reply.strip()[-300:]
        else:
            r.reason = "passed stages 1-7"
