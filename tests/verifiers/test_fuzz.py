"""Hypothesis fuzzing of the math verifier: 10,000 inputs in all; no exception escapes, no call
runs past its hard budget (checked with a wide margin: this is a bound, not a speed test)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zeroplay import verifiers
from zeroplay.core.types import Verdict
from zeroplay.verifiers.math.extract import extract_answer, gold_answer
from zeroplay.verifiers.math.normalize import choice_letter, normalize, plain_number
from zeroplay.verifiers.math.options import MathOptions

BUDGET_S = 2.0
MARGIN_S = 10.0  # worker replacement and a loaded CI machine; far below "hangs"
FUZZ = settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))

TOKENS = ["\\boxed{", "\\fbox{", "{", "}", "\\frac", "\\sqrt", "^", "_", "\\pi", "\\infty", "\\cdot", "(", ")", "[", "]",
          ",", "=", "<", "\\le", "x", "y", "i", "e", "!", "\\%", "$", "\\left(", "\\right)", "\\text{", "\\{", "\\}",
          "\\cup", "\\pm", "-", "+", "/", "*", "0", "1", "2", "9", "10", "0.5", "1e5", " ", "\n", "<answer>",
          "</answer>", "Answer:", "the answer is", "\\begin{pmatrix}", "&", "\\\\", "\\end{pmatrix}", "\\log_", "\\sin",
          "\\binom", "|", "A", "(B)", "\u0000", "é", "∞"]
token_text = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
any_text = st.text(max_size=120)
number = st.one_of(st.integers(-10**6, 10**6).map(str), st.fractions(max_denominator=50).map(str),
                   st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr))


@settings(FUZZ, max_examples=5000)
@given(st.one_of(any_text, token_text))
def test_fuzz_extraction_and_normalization_never_raise(text):  # 5000 inputs
    opts = MathOptions()
    for fallback in ("short", "last-line", "none"):
        got = extract_answer(text, fallback=fallback)
        if got is not None:
            norm = normalize(got.text, opts)
            plain_number(norm)
            choice_letter(norm, gold=False)
    normalize(gold_answer(text), opts)


_verifier = None


def _math():
    global _verifier
    if _verifier is None:
        _verifier = verifiers.make("math", timeout_s=BUDGET_S, workers=2)
    return _verifier


def _check(response, gold) -> Verdict:
    t = time.monotonic()
    v = _math().verify(response, gold)
    elapsed = time.monotonic() - t
    assert isinstance(v, Verdict) and v.reason
    assert 0.0 <= v.score <= 1.0
    assert elapsed < BUDGET_S + MARGIN_S, (response, gold, elapsed)
    return v


@settings(FUZZ, max_examples=4000)
@given(st.one_of(number, number, number, number, token_text, any_text), st.one_of(number, number, token_text))
def test_fuzz_verify_never_raises_and_stays_in_budget(answer, gold):  # 4000 inputs, fast paths mostly
    _check(f"so \\boxed{{{answer}}}", gold)


atom = st.one_of(st.sampled_from(["x", "y", "\\pi", "e", "i", "2", "3", "\\frac{1}{2}", "\\sqrt{2}", "0.25"]),
                 st.integers(-20, 20).map(str))


def _expr(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "\\cdot ", "/"]), children).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(children, st.sampled_from(["2", "3", "x", "{-1}", "{\\frac12}"])).map(lambda t: f"({t[0]})^{t[1]}"),
        children.map(lambda c: f"\\sqrt{{{c}}}"),
        children.map(lambda c: f"\\sin({c})"),
        st.tuples(children, children).map(lambda t: f"\\frac{{{t[0]}}}{{{t[1]}}}"),
    )


expressions = st.recursive(atom, _expr, max_leaves=8)


@settings(FUZZ, max_examples=1000)
@given(expressions, expressions)
def test_fuzz_sympy_path(a, b):  # 1000 inputs through sympy; a form always equals itself
    _check(f"\\boxed{{{a}}}", b)
    v = _check(f"The final answer is ${a}$.", a)
    assert v.correct, (a, v.reason)
