"""The format verifier."""

from __future__ import annotations

import pytest

from zeroplay import verifiers
from zeroplay.core.errors import ConfigError


@pytest.mark.parametrize("text, ok", [
    ("<think>reasoning</think><answer>4</answer>", True),
    ("  <think>\nstep 1\n</think>\n\n<answer> 4 </answer>\n", True),
    ("<think>r</think>4", False),
    ("preamble <think>r</think><answer>4</answer>", False),
    ("<think>r</think><answer>4</answer> trailing", False),
    ("<think>r<answer>1</answer></think><answer>4</answer>", False),
    ("<think></think><answer>4</answer>", False),
    ("<answer>4</answer><think>r</think>", False),
    ("", False),
])
def test_default_think_answer_template(text, ok):
    v = verifiers.make("format").verify(text, None)
    assert v.correct is ok, v.reason
    if ok:
        assert v.extracted == "4" and v.reason == "format-match"
    else:
        assert v.reason.startswith("format-mismatch")


def test_tags_and_custom_templates():
    assert verifiers.make("format", tags=["reasoning", "final"]).verify("<reasoning>a</reasoning><final>b</final>").correct
    v = verifiers.make("format", template="Reasoning: ... Final: ...")
    assert v.verify("Reasoning: abc\nFinal: 7").extracted == "7"
    assert not v.verify("Final: 7").correct


def test_raw_regex_pattern():
    v = verifiers.make("format", pattern=r"<answer>\d+</answer>")
    assert v.verify("<answer>42</answer>").correct
    assert not v.verify("<answer>x</answer>").correct


def test_partial_credit_is_a_shaping_score():
    v = verifiers.make("format", partial_credit=True)
    got = v.verify("<think>only reasoning</think> 5")
    assert not got.correct and got.score == 2 / 5  # 2 of 4 tags, over tags + 1: below a match even with all
    # every tag in place around a mismatch (text outside the tags, an empty hole) is still below a match's 1.0
    for response in ("junk <think>a</think> junk <answer>b</answer> junk", "<think></think><answer></answer>",
                     "<think>\u200b</think><answer>\u2800</answer>"):
        got = v.verify(response)
        assert not got.correct and got.score == 4 / 5, got


def test_hostile_inputs_fail_cleanly():
    v = verifiers.make("format")
    assert v.verify(None).reason.startswith("bad-input")
    assert v.verify("<think>" + "a" * 1_000_000 + "</think><answer>1</answer>").reason.startswith("oversized-input")
    assert not v.verify("<think>" * 10_000).correct


@pytest.mark.parametrize("kwargs, message", [
    ({"template": "no holes"}, "at least one hole"),
    ({"tags": ["bad tag"]}, "tags must be"),
    ({"pattern": "("}, "not a valid regex"),
    ({"template": "<a>…</a>", "tags": ["a"]}, "not several"),
])
def test_bad_configuration_says_how_to_fix(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        verifiers.make("format", **kwargs)


@pytest.mark.parametrize("text", [
    "<think>" + " " * 50_000 + "</think><answer>1</answer>x",
    "<think>a</think>" + " " * 50_000 + "<answer>1</answer>x",
    "<think>" + "\n" * 50_000,
])
def test_long_whitespace_runs_do_not_backtrack(text):
    # before the fix this pattern was quadratic: 50k spaces took minutes (pytest-timeout catches a regression)
    assert not verifiers.make("format").verify(text).correct
