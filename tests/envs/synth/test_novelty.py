"""Novelty: renamed or re-numbered copies are near-duplicates; different tasks are not."""

from __future__ import annotations

import itertools

from synth_corpus import GOOD, GOOD_RENAMED, MAX_SUBARRAY, ROMAN

from zeroplay.envs.synth.novelty import DEFAULT_THRESHOLD, fingerprint, nearest, similarity
from zeroplay.envs.synth.pipeline import seed_sources


def test_identical_and_renamed_copies_are_near_duplicates() -> None:
    assert similarity(GOOD, GOOD) == 1.0
    assert similarity(GOOD, GOOD_RENAMED) >= DEFAULT_THRESHOLD
    with_docs = '"""A module docstring."""\n' + GOOD.replace("def render(instance):\n", 'def render(instance):\n    """Show it."""\n')
    assert similarity(GOOD, with_docs) >= 0.95


def test_seeds_and_test_sources_are_mutually_novel() -> None:
    sources = {**seed_sources(), "ListSum": GOOD, "MaxSubarray": MAX_SUBARRAY, "RomanNumerals": ROMAN}
    worst = max((similarity(a, b), na, nb) for (na, a), (nb, b) in itertools.combinations(sources.items(), 2))
    assert worst[0] < 0.7 < DEFAULT_THRESHOLD, worst  # the overlap of distinct envs stays well under it


def test_a_copy_padded_with_code_is_still_the_copy() -> None:
    """A red team's generator earned 0.94 for a seed plus a helper never called (its 400 attribute loads
    diluted the Jaccard index to 0.11); the overlap is over the smaller set of grams."""
    seed = seed_sources()["WordSort"]
    loads = ", ".join(f"o.q{k}" for k in range(400))
    padded = seed + f"\n\ndef unused_helper(o):\n    return [{loads}]\n"
    assert similarity(padded, seed) >= DEFAULT_THRESHOLD
    fewer = seed + "\n\ndef unused_helper(o):\n    return [" + ", ".join(f"o.r{k}" for k in range(20)) + "]\n"
    assert similarity(fewer, seed) >= DEFAULT_THRESHOLD


def test_nearest_finds_the_copy() -> None:
    others = [("Roman", ROMAN), ("ListSum", GOOD), ("Max", MAX_SUBARRAY)]
    name, sim = nearest(GOOD_RENAMED, others)
    assert name == "ListSum" and sim >= DEFAULT_THRESHOLD
    assert nearest(GOOD, []) == (None, 0.0)


def test_unparsable_source_has_empty_fingerprint() -> None:
    assert fingerprint("def (").grams == frozenset()
    assert similarity("def (", GOOD) == 0.0


def test_one_inserted_line_keeps_most_of_the_similarity() -> None:
    # names used to be numbered across the whole file, read breadth first: one added line shifted
    # every later number and the copy scored 0.3-0.4, i.e. "novel" (a cheap reward for a generator)
    variant = GOOD.replace("def sample_instance(rng, difficulty):\n",
                           "def sample_instance(rng, difficulty):\n    difficulty = min(5, difficulty + 1)\n")
    assert variant != GOOD and similarity(GOOD, variant) >= 0.7
