"""Model output is hostile input: the templates' answer parsing and the reward shaping never
raise on anything a model can write, and giant or pathological completions stay linear."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zeroplay.training.config import RewardShaping
from zeroplay.training.rewards import proposer_reward, solver_reward
from zeroplay.training.templates import TEMPLATES, follows_r1_format, last_answer, last_boxed

FUZZ = settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
TOKENS = ["<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "\\boxed", "{", "}", "[bet]", "[", "]",
          " ", "\n", "x", "42", "\x00", "\ud800", "é", "<", ">", "/", "\\"]
completion = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))


@settings(FUZZ, max_examples=3000)
@given(completion)
def test_every_template_parses_any_completion(text):
    for template in TEMPLATES.values():
        action, well_formed = template.parse(text)
        assert isinstance(action, str) and isinstance(well_formed, bool)
        if template.name == "r1" and well_formed:
            assert "<answer>" in text and "</answer>" in text
        if template.name == "boxed" and well_formed:
            # \boxed{..}, or \boxed 5 (core.answers policy: a one-token argument is a box too)
            assert "\\boxed" in text and action == last_boxed(text[-65536:])


@settings(FUZZ, max_examples=2000)
@given(completion)
def test_answer_found_is_inside_the_last_block(text):
    found = last_answer(text)
    if found is not None:
        assert f"<answer>{found}</answer>" in text
    follows_r1_format(text)  # never raises


def test_pathological_completions_parse_without_blowing_up():
    """Inputs that make naive parsers quadratic or recursive (bounded by pytest-timeout)."""
    cases = ["\\boxed{" * 50_000, "\\boxed{" * 20_000 + "}" * 20_000, "<answer>" * 50_000, "</answer>" * 50_000,
             "<think>" * 20_000 + "</think>" * 20_000, "<answer>\\boxed{x</answer>}" * 10_000, "a" * 5_000_000,
             "\x00" * 100_000, "\ud800<answer>x</answer>", b"<answer>1</answer>", None, 42]
    for template in TEMPLATES.values():
        for text in cases:
            action, well_formed = template.parse(text)  # type: ignore[arg-type]
            assert isinstance(action, str) and isinstance(well_formed, bool)
            if not isinstance(text, str):
                assert (action, well_formed) == ("", False)  # bytes, None, numbers: malformed, not a crash
    nested = TEMPLATES["boxed"].parse("\\boxed{" * 20_000 + "}" * 20_000)
    assert nested == ("", True)  # the last \\boxed to open is the innermost one, which is empty


@settings(FUZZ, max_examples=500)
@given(st.booleans(), st.booleans(), st.one_of(st.none(), st.floats(0, 1)))
def test_shaped_rewards_stay_within_the_documented_range(correct, well_formed, rate):
    shaping = RewardShaping()
    assert solver_reward(correct, well_formed, shaping) in (1.0, -0.5, -1.0)
    assert -1.0 <= proposer_reward(True, rate, shaping) <= 1.0
    assert proposer_reward(False, rate, shaping) == -1.0
