"""Staged validation: every broken source rejected at its own stage; good sources and every seed pass.

All sources are validated in one ``validate_many`` call (their sandbox jobs run together).
"""

from __future__ import annotations

import pytest
from synth_corpus import BROKEN, GOOD, IMPORTS_GOOD, MAX_SUBARRAY, ROMAN, TEST_VALIDATION

from zeroplay.envs.synth import spec
from zeroplay.envs.synth.pipeline import seed_sources
from zeroplay.envs.synth.validate import STAGES, ValidationReport, validate, validate_many

GOOD_SOURCES = {"ListSum": GOOD, "MaxSubarray": MAX_SUBARRAY, "RomanNumerals": ROMAN, "ImportsGood": IMPORTS_GOOD, **seed_sources()}


@pytest.fixture(scope="module")
def reports(runner) -> dict[str, ValidationReport]:
    names = [c for c, _, _ in BROKEN] + list(GOOD_SOURCES)
    sources = [s for _, _, s in BROKEN] + list(GOOD_SOURCES.values())
    return dict(zip(names, validate_many(sources, TEST_VALIDATION, runner=runner, names=names)))


def test_corpus_is_large_and_covers_every_automatic_stage() -> None:
    assert len(BROKEN) >= 25
    assert {stage for _, stage, _ in BROKEN} == set(STAGES) - {"review"}


@pytest.mark.parametrize("case_id,stage", [(c, s) for c, s, _ in BROKEN])
def test_broken_source_rejected_at_its_stage(reports, case_id: str, stage: str) -> None:
    report = reports[case_id]
    assert not report.passed, f"{case_id} was accepted"
    assert report.stage == stage, f"{case_id}: rejected at {report.stage} ({report.reason}), expected {stage}"
    assert report.reason


def test_at_least_twelve_seeds_all_pass(reports) -> None:
    seeds = seed_sources()
    assert len(seeds) >= 12
    failed = [str(reports[name]) for name in seeds if not reports[name].passed]
    assert not failed, failed


@pytest.mark.parametrize("name", ["ListSum", "MaxSubarray", "RomanNumerals", "ImportsGood"])
def test_good_sources_pass_with_stats(reports, name: str) -> None:
    report = reports[name]
    assert report.passed, str(report)
    assert report.stage is None
    assert report.stats["probe_means"]["empty"] == 0.0
    assert report.stats["difficulty_change"] >= 0.5
    assert report.examples and report.examples[0]["prompt"]


def test_validate_single_and_declared_name(runner) -> None:
    report = validate(GOOD, TEST_VALIDATION, runner=runner)
    assert report.passed and report.name == "ListSum"
    assert len(report.sha) == 64


class ScriptedReviewer:
    """Accepts sources that mention a word, rejects the rest; one reply without a verdict."""

    name = "reviewer"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def act(self, observations, infos=None):
        self.prompts += observations
        out = []
        for prompt in observations:
            if "Roman" in prompt:
                out.append("Looks fine.\nACCEPT")
            elif "MaxSubarray" in prompt:
                out.append("I am not sure.")
            else:
                out.append("The prompt is vague. REJECT")
        return out


def test_review_stage_uses_the_agent(runner) -> None:
    reviewer = ScriptedReviewer()
    got = validate_many([ROMAN, GOOD, MAX_SUBARRAY, "import os\n" + GOOD], TEST_VALIDATION, runner=runner, review_agent=reviewer)
    assert got[0].passed and got[0].reason == "passed stages 1-7"
    assert (got[1].passed, got[1].stage) == (False, "review") and "vague" in got[1].reason
    assert (got[2].passed, got[2].stage) == (False, "review") and "neither" in got[2].reason
    assert got[3].stage == "static"
    assert len(reviewer.prompts) == 3  # the statically rejected source is never shown
    assert "Example prompts" in reviewer.prompts[0] and spec.ANSWER_INSTRUCTION not in reviewer.prompts[0]
