"""Reward leaks of the math verifier: answers a policy could be rewarded for without earning it.

Each class below was a reproduced false positive (or, at the end, a false negative or a repeated
cost); the first pair of each list is the reported example, the rest are variants of the same
class. Every pair goes through ``verify`` end to end (extraction, normalization, fast paths,
sympy workers), with the answer in a ``\\boxed{}``.
"""

from __future__ import annotations

import re

import pytest

from zeroplay import verifiers
from zeroplay.verifiers.math.verifier import MathVerifier

B = r"\boxed{%s}"

#: Sign games: where the gold is read as text, a minus sign (or the brackets it applies to) still counts.
SIGN_GAMES = [
    (r"\overrightarrow{AB} = 3", r"\overrightarrow{AB} = -3"),
    (r"-\vec{i}+2\vec{j}", r"\vec{i}-2\vec{j}"),
    (r"\vec{a}-(\vec{b}-\vec{c})", r"\vec{a}-\vec{b}-\vec{c}"),
    (r"\overrightarrow{AB} = -3", r"\overrightarrow{AB} = 3"),
    (r"\vec{i}+2\vec{j}", r"\vec{i}-2\vec{j}"),
    ("−3", "3"),
    (r"\hat{i} - \hat{j}", r"\hat{i} + \hat{j}"),
    ("--3", "-3"), ("+-3", "3"), (r"\mp 3", "3"), (r"\left|-3\right|", "-3"), ("-x", "x"),
]

#: A bare list of values is never an interval (nor a bracketed pair that may be one).
LISTS_FOR_INTERVALS = [
    (r"-\infty, 2", r"(-\infty, 2)"),
    ("x = 1, 2", r"x \in (1,2)"),
    ("1, 3", "[1, 3]"),
    (r"0, \infty", r"[0, \infty)"),
    ("1, 2", "(1, 2)"),
    ("1, 2", "1 < x < 2"),
    (r"\frac{1}{2}, \frac{1}{3}", r"\left(\frac12, \frac13\right)"),
    (r"x \in [1, 2]", "1, 2"),
]

#: Against an exact gold (integer or rational) a decimal must be exactly equal; exact answers get
#: no tolerance either.
TOLERANCE_GAMES = [
    ("1234567891.0", "1234567890"),
    ("0.3333", r"\frac{1}{3}"),
    ("0.3333333333333", r"\frac{1}{3}"),
    ("2.00000000001", "2"),
    ("x = 1234567891.0", "1234567890"),
    (r"1234567890 + 10^{-10}\pi", "1234567890"),
    (r"\sqrt{2}+10^{-12}", r"\sqrt{2}"),
    (r"0.3333333333333x", r"\frac{x}{3}"),
    (r"\frac{1}{3} + 10^{-15}\sqrt{2}", r"\frac{1}{3}"),
    ("1e-13", "0"),
    (r"10^{-13}\pi", "0"),
    ("1.0000000000001", "1"),
    (r"x + 10^{-12}", "x"),
]

#: Golds with no content: nothing may match them, not even the same punctuation.
EMPTY_GOLDS = ["", " ", ".", ",", "()", r"\{\}", "$$", r"\boxed{}", r"\text{ }", "-", "[]", r"\,", r"\boxed{\,}", r"\%"]

#: Functions that differ only at integers (or only off them): the random points include both.
STEP_FUNCTIONS = [
    (r"\lceil x\rceil-1", r"\lfloor x\rfloor"),
    (r"\lfloor x\rfloor+1", r"\lceil x\rceil"),
    (r"\lceil x\rceil-\lfloor x\rfloor", "1"),
    (r"\lfloor x\rfloor", "x"),
    (r"\lceil x\rceil + \lfloor y\rfloor - 1", r"\lfloor x\rfloor + \lfloor y\rfloor"),
]

#: Percent games: ``p%`` reads as the gold ``p``, or as ``p/100`` only for a proportion gold (|g| < 1).
PERCENT_GAMES = [
    (r"5000\%", "50"),
    (r"150\%", "1.5"),
    (r"100\%", "1"),
    (r"5\%0", "50"),
    (r"1\%2", "12"),
    ("0.5", r"50\%"),
]

#: Words after a number that change its value are not units.
WORD_GAMES = [("5 minus two", "5"), ("3 million", "3"), ("5 and six", "5"), ("7 plus one", "7"), ("2 thousand", "2"),
              (r"3 \text{ thousand}", "3000"), ("3k", "3000")]

#: Answers that list many candidates (or otherwise hedge) against a single value.
HEDGES = [
    ("1, 2, 3, 4, 5", "3"), (r"\{1,2,3\}", "3"), (r"3 \text{ or } 4", "3"), (r"\pm 3", "3"),
    (r"x \in \{3, 4\}", "3"), (r"(-\infty, \infty)", "3"), ("x", "3"), ("3 = 3", "3"), (r"3 \ne 4", "3"),
]

LEAKS = ([("sign", a, g) for a, g in SIGN_GAMES] + [("list-interval", a, g) for a, g in LISTS_FOR_INTERVALS]
         + [("tolerance", a, g) for a, g in TOLERANCE_GAMES] + [("step", a, g) for a, g in STEP_FUNCTIONS]
         + [("percent", a, g) for a, g in PERCENT_GAMES] + [("words", a, g) for a, g in WORD_GAMES]
         + [("hedge", a, g) for a, g in HEDGES])

#: What the fixes above must keep accepting.
STILL_EQUAL = [
    (r"\overrightarrow{AB} = -3", r"\overrightarrow{AB} = -3"),
    (r"\vec{i} - 2 \vec{j}", r"\vec{i}-2\vec{j}"),
    (r"\text{Odd}", r"\text{odd}"),
    ("−3", "-3"),
    (r"−\frac{1}{2}", "-0.5"),
    ("x = −3", "-3"),
    (r"−30^\circ", "-30"),
    ("1, 2, 3", "(1, 2, 3)"),
    ("(1, 2)", r"x \in (1, 2)"),
    ("2.0", "2"),
    ("0.5", r"\frac{1}{2}"),
    ("-1.25", r"-\frac{5}{4}"),
    ("1234567890.0", "1234567890"),
    ("0.3333333333333", "0.333333333333"),
    (r"\frac{1}{3}", "0.333333333333333"),
    (r"0.5\pi", r"\frac{\pi}{2}"),
    ("0.5x", r"\frac{x}{2}"),
    (r"\sin^2 1 + \cos^2 1", "1"),
    (r"\log_2 8", "3"),
    (r"-\lfloor -x\rfloor", r"\lceil x\rceil"),
    (r"\lfloor x\rfloor", r"\lfloor x\rfloor"),
    (r"\frac{x^2-1}{x-1}", "x+1"),
    (r"50\%", "50"),
    (r"50\%", "0.5"),
    (r"12.5\%", "0.125"),
    (r"0.5\%", "0.005"),
    (r"-50\%", "-0.5"),
    ("50", r"50\%"),
    (r"50\%, 25\%", "50, 25"),
    (r"\{\}", r"\emptyset"),
    (r"\emptyset", r"\varnothing"),
    ("5 cm", "5"),
    ("42 apples", "42"),
]


@pytest.mark.parametrize("kind, answer, gold", LEAKS)
def test_leaks_are_rejected(math_v, kind, answer, gold):
    v = math_v.verify(B % answer, gold)
    assert not v.correct and v.score == 0.0, (kind, v)


@pytest.mark.parametrize("answer, gold", STILL_EQUAL)
def test_fixes_keep_true_answers(math_v, answer, gold):
    v = math_v.verify(B % answer, gold)
    assert v.correct, v


@pytest.mark.parametrize("gold", EMPTY_GOLDS)
@pytest.mark.parametrize("answer", ["", ".", ",", "()", r"\{\}", "anything", "0", "x"])
def test_golds_without_content_never_match(math_v, gold, answer):
    v = math_v.verify(B % answer, gold)
    assert not v.correct
    if answer:  # an empty answer is refused as such first
        assert v.reason.startswith("bad-gold:"), v.reason


def test_golds_without_content_are_refused_however_given(math_v):
    for gold in ({"answer": ","}, {"answer": ""}, r"\boxed{.}"):
        assert math_v.verify(B % ",", gold).reason.startswith("bad-gold:")


@pytest.mark.parametrize("response", [r"\boxed{−3}", "−3", r"The answer is $−3$.", r"\boxed{x=−3}"])
def test_unicode_minus_sign_is_a_minus(math_v, response):
    v = math_v.verify(response, "-3")
    assert v.correct, v
    assert not math_v.verify(response, "3").correct


def test_plain_numbers_against_exact_golds_are_exact():
    v = MathVerifier()
    assert v.verify(B % "1234567891.0", "1234567890").reason == "number-different"
    assert v.verify(B % "2.0", "2").reason == "number-equal (exact)"
    # a decimal gold is a rounded value: the tolerance applies
    assert v.verify(B % "3.14159265358", "3.14159265359").reason.startswith("numeric-equal")


def test_percent_policy_reasons():
    v = MathVerifier()
    assert v.verify(B % r"12.5\%", "0.125").reason == "number-equal (exact) (percent as fraction)"
    assert v.verify(B % r"50\%", "50").correct
    assert v.verify(B % r"5000\%", "50").reason == "number-different"


@pytest.mark.parametrize("answer", ["2^{2^{2^{2^{2^{2}}}}}", r"2^{2^{2^{2^{2^{2}}}}} + 1", "x^{2^{2^{2^{2^{2}}}}}"])
def test_over_budget_refusals_are_answered_once(answer):
    v = verifiers.make("math", workers=1)
    first = v.verify(B % answer, "4")
    calls = v.worker_calls
    again = v.verify(B % answer, "4")
    assert not first.correct and first.reason.startswith(("oversized-input", "timeout"))
    assert (again.correct, again.reason) == (first.correct, first.reason)
    assert v.worker_calls == calls  # the second call never reached a worker


def test_timeouts_are_cached_for_the_budget_they_ran_under():
    v = verifiers.make("math", timeout_s=1e-9, workers=1)  # no pair is judged within 1 ns
    try:
        first = v.verify(B % r"\frac{x^3-1}{x-1}", "x^2+x+1")
        assert first.reason.startswith("timeout"), first.reason
        calls = v.worker_calls
        again = v.verify(B % r"\frac{x^3-1}{x-1}", "x^2+x+1")
        assert again.reason == first.reason and v.worker_calls == calls
        v.options = type(v.options)(timeout_s=5.0)  # a bigger budget is a new question
        assert v.verify(B % r"\frac{x^3-1}{x-1}", "x^2+x+1").correct
        assert v.worker_calls == calls + 1
    finally:
        v.close()


@pytest.mark.parametrize("answer", ["Answer: B or C", "The answer is B or C", r"\boxed{B \text{ or } C}",
                                    "Answer: B and C", r"\boxed{(B), (D)}", "(B) or (A)"])
def test_a_hedge_over_choice_letters_is_no_answer(answer):
    # "B or C" used to read as the letter B ("choice-equal"): a free reward for naming two choices
    assert not verifiers.make("math").verify(answer, "B").correct


# -- literal_answer: restating an expression does not answer "compute it" ----------------------------

@pytest.mark.parametrize(("answer", "gold", "ok"), [
    (r"\boxed{37 + 12 \cdot 5}", "97", False),
    (r"\boxed{37+12*5}", "97", False),
    (r"\boxed{(3 + 4)}", "7", False),
    (r"\boxed{2^{3}}", "8", False),
    (r"\boxed{97}", "97", True),
    (r"\boxed{x = 97}", "97", True),
    (r"\boxed{\frac{3}{2}}", "1.5", True),
    (r"\boxed{3/2}", r"\frac{3}{2}", True),
    (r"\boxed{-4}", "-4", True),
    (r"\boxed{1,000}", "1000", True),
    (r"\boxed{98}", "97", False),
    (r"\boxed{2\sqrt{3}}", r"\sqrt{12}", True),  # the gold is no plain number: equivalence as usual
])
def test_literal_answer_requires_a_number_for_a_number_gold(answer, gold, ok):
    from zeroplay import verifiers

    verdict = verifiers.make("math", literal_answer=True).verify(answer, gold)
    assert verdict.correct is ok, verdict
    if not ok and "98" not in answer:
        assert verdict.reason.startswith("unsimplified")


def test_literal_answer_is_off_by_default_as_in_math_verify():
    from zeroplay import verifiers

    assert verifiers.make("math").verify(r"\boxed{37 + 12 \cdot 5}", "97").correct


def test_procedural_math_envs_do_not_pay_for_a_restated_expression():
    import zeroplay as zp

    for env_id in ("zeroplay/MathArithmetic-v0", "zeroplay/MathFractions-v0"):
        env = zp.make(env_id, difficulty=2)
        _, info = env.reset(seed=3)
        task = info["task"]
        math = re.search(r"\$(.+?)\$", task.prompt)  # "Compute $...$." or "Compute 1 + 2."
        expression = math.group(1) if math else task.prompt.split("\n")[0].removeprefix("Compute ").rstrip(".")
        assert env.step(f"\\boxed{{{expression}}}")[1] == 0.0, (env_id, task.prompt)
        env.reset(seed=3)
        assert env.step(f"\\boxed{{{task.reference}}}")[1] == 1.0
