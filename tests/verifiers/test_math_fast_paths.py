"""The math verifier's shortcuts give what the full functions give, on every input we can think of.

The shortcuts (a plain decimal skips reading the gold and normalizing; ``braced`` and
``strip_math_delimiters`` answer the common case without scanning) exist only for speed: each
test here runs the shortcut and the full path on generated answers and hostile strings and
asks for identical results, then pins a few verdicts on plain numbers end to end.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from zeroplay.envs.math.generators import GENERATORS
from zeroplay.verifiers.math.extract import _braced_scan, _strip_delimiters, braced, gold_answer, strip_math_delimiters
from zeroplay.verifiers.math.normalize import normalize
from zeroplay.verifiers.math.verifier import MathVerifier, _gold_text

#: Strings chosen to sit on the edges of the shortcuts: signs, dots, exponents, separators,
#: Unicode digits and spaces, delimiters, braces, escapes, percent and degree marks, units.
HOSTILE = [
    "42", "-42", "+42", "042", "-042", "42.0", "42.", ".5", "-.5", "0.5", "-0.0", "0", "-0", "+0", "00", "0.000",
    "1e3", "1E3", "1e-3", "1.0e-3", "1,000", "1,000.5", "1 000", "1\\,000", "1{,}000", "4 2", "--42", "+-42", "-+42",
    "42%", "42\\%", "42^\\circ", "42°", "42 cm", "42 apples", "42 square feet", "x = 42", "x=42", "y=-3.5",
    "٤٢", "４２", "42\u0663", "²", "ⅷ", "1_000", "0x10", "nan", "inf", "-inf", "1.5e400",
    "42\n", " 42", "42 ", "\t42", "\u00a042", "42\u2009", "\u300042", "42\x1c", "\x8542", "42\u2028", "\u200b42",
    "4\u00002", "$42$", "$$42$$", "\\(42\\)", "\\[42\\]", "**42**", "*42", "42*", "42.5.", "42..", ".",
    "$", "\\", "*", "", " ", "{", "}", "{}", "{42}", "\\{42\\}", "\\boxed{42}", "\\boxed{{42}}", "\\boxed{4\\}2}",
    "\\frac12", "\\frac{1}{2}", "-\\frac{1}{2}", "1/2", "3\\frac{1}{2}", "0.1\\overline{6}", "(A)", "A", "B) 4",
    "\\text{42}", "\\mathrm{42}", "(42)", "[42]", "42)", "42]", "(2, -1)", "-3, 1, 4", "1" * 1001, "9" * 400,
]


def _generated_answers() -> list[str]:
    """Every generator's references (levels 1-6) and random integers and decimals."""
    rng = random.Random(7)
    golds = {gen(np.random.default_rng(seed), level).reference
             for gen in GENERATORS.values() for level in range(1, 7) for seed in range(15)}
    numbers = [str(rng.randint(-10**9, 10**9)) for _ in range(300)]
    numbers += [f"{rng.uniform(-1e4, 1e4):.{rng.randint(0, 9)}f}" for _ in range(300)]
    return sorted(golds) + numbers


def _random_strings(n: int, seed: int) -> list[str]:
    """Short strings over an alphabet of the characters the shortcuts look at."""
    alphabet = "0123456789+-.eE,/%*$\\{}()[] \t\n\u00a0\u2009\u3000\x1c\u0663x"
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(n)]


ANSWERS = HOSTILE + _generated_answers() + _random_strings(3000, seed=1)
#: Option sets that change what normalization removes.
OPTIONS = [
    {},
    {"strip_units": False, "strip_percent": False, "strip_degrees": False, "thousands_separators": False},
    {"fallback": "none", "unordered_lists": False},
]


@pytest.mark.parametrize("options", OPTIONS, ids=["defaults", "nothing-stripped", "strict"])
def test_plain_decimal_shortcut_normalizes_like_the_full_path(options: dict) -> None:
    verifier = MathVerifier(**options)
    for text in ANSWERS:
        assert verifier._normalized(text) == normalize(text, verifier.options), repr(text)


def test_plain_decimal_shortcut_reads_golds_like_the_full_path() -> None:
    for text in ANSWERS:
        assert _gold_text(text) == gold_answer(text), repr(text)


def test_strip_math_delimiters_shortcut_matches_the_full_peeling() -> None:
    for text in ANSWERS + [f"{a}{b}" for a in ("", "$", " ", "*", "\\(") for b in ANSWERS[:200]]:
        assert strip_math_delimiters(text) == _strip_delimiters(text), repr(text)


def test_braced_shortcut_matches_the_full_scan() -> None:
    wrapped = [f"\\boxed{{{a}}} and {{{a}}}}}" for a in ANSWERS[:500]]
    for text in ANSWERS + wrapped + _random_strings(3000, seed=2):
        for start in (i for i, c in enumerate(text) if c == "{"):
            assert braced(text, start) == _braced_scan(text, start), (text, start)


@pytest.mark.parametrize(("answer", "gold", "correct", "reason"), [
    ("214", "214", True, "string-equal"),
    ("-7", "-7", True, "string-equal"),
    ("214.0", "214", True, "number-equal (exact)"),
    ("0214", "214", True, "number-equal (exact)"),
    ("+214", "214", True, "number-equal (exact)"),
    ("-0", "0", True, "number-equal (exact)"),
    ("215", "214", False, "number-different"),
    ("-214", "214", False, "number-different"),
    ("3.14159265358", "3.14159265359", True, "numeric-equal rel=1e-09"),
    ("3.14159", "3.1416", False, "number-different"),
    ("2.5", "5/2", True, "number-equal (exact)"),
    ("1,000", "1000", True, "string-equal"),
    ("12.5%", "0.125", True, "number-equal (exact) (percent as fraction)"),
    ("x = 214", "214", True, "number-equal (exact)"),
    ("214 apples", "214", True, "string-equal"),
])
def test_verdicts_on_plain_numbers(answer: str, gold: str, correct: bool, reason: str) -> None:
    verdict = MathVerifier().verify(f"The final answer is \\boxed{{{answer}}}.", gold)
    assert (verdict.correct, verdict.reason, verdict.extracted) == (correct, reason, answer)


def test_generated_tasks_score_their_own_answer_and_not_a_neighbour() -> None:
    verifier = MathVerifier()
    for level in range(1, 7):
        for seed in range(40):
            gold = GENERATORS["arithmetic"](np.random.default_rng(seed), level).reference
            assert verifier.verify(f"so \\boxed{{{gold}}}", gold).correct, gold
            assert not verifier.verify(f"so \\boxed{{{int(gold) + 1}}}", gold).correct, gold
            verdict = verifier.verify(f"so \\boxed{{{gold}}}", gold)
            assert verdict.details == {"extraction": "boxed", "answer": gold, "gold": gold}
