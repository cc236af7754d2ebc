"""The proof step-checker: known grades, generated proofs and flaws, exact polynomial identity, hostile text."""

import string
from fractions import Fraction

import numpy as np
import pytest

from zeroplay.envs.math.proofs import (
    GRADES,
    KINDS,
    Claim,
    Polynomial,
    ProofError,
    flawed_proof,
    grade_proof,
    labelled_proof,
    parse_expression,
    parse_proof,
    prove,
    random_claim,
    read_grade,
    render_proof,
    to_polynomial,
    value_of,
)

CLAIM = "(x + 2)*(x + 3) = x^2 + 5*x + 6"
GOOD = """(x + 2)*(x + 3)
= x*(x + 3) + 2*(x + 3)   [distribute]
= x^2 + 3*x + 2*x + 6     [distribute]
= x^2 + 5*x + 6           [collect like terms]"""


def poly(text):
    return to_polynomial(parse_expression(text))


@pytest.mark.parametrize(("proof", "score", "step"), [
    (GOOD, 1.0, None),
    (GOOD.replace("[distribute]\n= x^2", "\n= x^2"), 0.5, 2),                  # a step without justification
    (GOOD.replace("2*x + 6", "2*x + 7"), 0.0, 3),                                # an arithmetic slip
    ("x^2 + 5*x + 6\n= x^2 + 5*x + 6 [restated]", 0.0, 1),                      # starts from the right side
    ("(x + 2)*(x + 3)\n= x^2 + 5*x + 6 [expand]\n= 6 + 5*x + x^2 [commute]", 0.0, 3),  # ends elsewhere
    ("(x+2)(x+3)\n= x^2+5x+6 [expand]", 1.0, None),                              # spacing, implicit products
    ("(x + 2)*(x + 3)", 0.0, None),                                              # no step
    ("(x + 2)*(x + 3)\nx^2 + 5*x + 6 [expand]", 0.0, None),                      # a line without '='
    ("= (x + 2)*(x + 3)\n= x^2 + 5*x + 6 [expand]", 0.0, None),
    ("(x + 2)*(x + 3)\n= x^2 + 5*x + 6 []", 0.5, 2),                             # an empty justification
])
def test_known_grades(proof, score, step):
    g = grade_proof(CLAIM, proof)
    assert (g.score, g.step) == (score, step), g.reason


def test_the_grade_says_why():
    assert grade_proof(CLAIM, GOOD.replace("2*x + 6", "2*x + 7")).reason == "line 3 does not equal line 2"
    assert "left side" in grade_proof(CLAIM, "x^2 + 5*x + 6\n= x^2 + 5*x + 6 [r]").reason


def test_arithmetic_claims_and_exact_rationals():
    assert grade_proof("3*(4 + 5) - 6 = 21", "3*(4 + 5) - 6\n= 3*9 - 6 [add]\n= 27 - 6 [multiply]\n= 21 [subtract]"
                       ).score == 1.0
    assert value_of("3*(4 + 5) - 6") == 21 and value_of("7/2 - 1/2") == 3 and value_of("1/3") == Fraction(1, 3)
    assert value_of("x + 1") is None and value_of("1/0") is None and value_of("nonsense!") is None
    assert poly("(a + b)^2") == poly("a^2 + 2ab + b^2") != poly("a^2 + b^2")
    assert poly("(x - 1)(x + 1)/2") == poly("x^2/2 - 1/2")
    assert poly("-x^2") == -poly("x^2") and poly("2^3^2") == Polynomial.constant(512)  # right associative


@pytest.mark.parametrize("text", ["x/y", "x/(1 - 1)", "x^y", "x^(1/2)", "x^13", "x^-1", "1234567890", "x y)", "(x",
                                  "x + ", "", "2 3", "X", "x.5"])
def test_what_is_not_an_expression_is_refused(text):
    with pytest.raises(ProofError):
        poly(text)


def test_generated_proofs_grade_as_made():
    for seed in range(300):
        rng = np.random.default_rng(seed)
        claim, steps = random_claim(rng)
        assert grade_proof(claim, render_proof(steps)).score == 1.0, render_proof(steps)
        assert parse_proof(render_proof(steps)) == steps
        assert prove(Claim.parse(claim.text)) is not None
        assert grade_proof(claim, render_proof(prove(Claim.parse(claim.text)))).score == 1.0
        assert grade_proof(claim, render_proof(flawed_proof(steps, "unjustified", rng))).score == 0.5
        assert grade_proof(claim, render_proof(flawed_proof(steps, "slip", rng))).score == 0.0


def test_every_kind_is_drawn_and_labelled_proofs_cover_the_three_grades():
    rng = np.random.default_rng(0)
    assert {random_claim(rng, k)[0].kind for k in KINDS} == set(KINDS)
    items = [labelled_proof(np.random.default_rng(s)) for s in range(60)]
    assert {it.grade for it in items} == set(GRADES)
    assert all(grade_proof(it.claim, it.proof).score == it.grade for it in items)
    assert prove(Claim.parse("(x + 1)*(x + 2) = x^2 + 3*x + 3")) is None  # a false claim has no proof
    with pytest.raises(ValueError, match="unknown claim kind"):
        random_claim(rng, "cubic")


@pytest.mark.parametrize(("text", "grade"), [("1", 1.0), ("0", 0.0), ("0.5", 0.5), (".5", 0.5), ("1/2", 0.5),
                                             ("1.0", 1.0), (" 0.5 ", 0.5), ("2", None), ("0.7", None), ("half", None),
                                             ("1" * 40, None), (None, None)])
def test_read_grade(text, grade):
    assert read_grade(text) == grade


HOSTILE = [
    "__import__('os').system('echo hi')",
    "(" * 5000 + "x" + ")" * 5000,
    "x^12^12^12",
    "(a+b+c+d+e+f+g+h+i+j+k+l)^12",
    "9" * 100_000,
    "\x00\n= x [a]",
    "x\n" + "= x [j]\n" * 5000,
    "(x + 2)*(x + 3)\n= " + " + ".join(["(a+b+c+d+e+f+g+h)^12"] * 12) + " [j]",
]


@pytest.mark.parametrize("proof", HOSTILE)
def test_hostile_proofs_grade_zero_and_never_raise(proof):
    g = grade_proof(CLAIM, proof)
    assert g.score == 0.0 and g.reason


def test_fuzzed_text_never_raises():
    rng = np.random.default_rng(7)
    alphabet = list(string.ascii_lowercase[:6] + string.digits + "+-*/^()[]= \n\\{}.")
    for _ in range(300):
        text = "".join(rng.choice(alphabet, size=int(rng.integers(0, 200))))
        assert grade_proof(CLAIM, text).score in GRADES
        assert grade_proof(text, GOOD).score in GRADES
    assert grade_proof(CLAIM, None).score == 0.0 and grade_proof(None, GOOD).score == 0.0


# -- attacks: a grade 1 (or a hang) from a proof that proves nothing ---------------------------------
# Found by the attack campaign: a tower of powers of constants (no degree, no term count to stop it)
# took 1.6 s at five levels, 91 s at six, hours at seven; coefficients are now capped in bits.
TOWER = "(" * 5 + "999999999" + "^12)" * 5
FRACTION_TOWER = "(" * 5 + "(1/999999999)" + "^12)" * 5


@pytest.mark.parametrize("tower", [TOWER, FRACTION_TOWER])
def test_a_tower_of_powers_stops_at_the_coefficient_cap(tower):
    assert value_of(tower) is None
    g = grade_proof(CLAIM, f"(x + 2)*(x + 3)\n= x^2 + 5*x + 6 + {tower} - {tower} [cancel]\n= x^2 + 5*x + 6 [cancel]")
    assert g.score == 0.0 and "bits" in g.reason and g.step == 2


def test_coefficients_up_to_the_cap_still_work():
    assert value_of("(999999999^12)^2") == 999999999 ** 24
    assert value_of("((2^12)^12)^7") == 2 ** 1008


@pytest.mark.parametrize(("proof", "why"), [
    ("(x + \uff12)*(x + 3)\n= x^2 + 5*x + 6 [expand]", "U+FF12"),           # a full-width digit
    ("(x + \u0662)*(x + 3)\n= x^2 + 5*x + 6 [expand]", "U+0662"),           # an Arabic-Indic digit
    ("(\u0445 + 2)*(\u0445 + 3)\n= x^2 + 5*x + 6 [expand]", "U+0445"),      # a Cyrillic x
    ("(x + 2)*(x\u00a0+ 3)\n= x^2 + 5*x + 6 [expand]", "U+00A0"),           # a no-break space
    ("(x + 2)*(x + 3)\u2028= x^2 + 5*x + 6 [expand]", "U+2028"),            # a line separator
    ("(x + 2)*(x + 3)\n= x^2 + 5*x + 6 [ok\u2028]", "U+2028"),
    ("(x + 2)*(x + 3)\x0b= x^2 + 5*x + 6 [expand]", "U+000B"),
    ("(x + 2)*(x + 3)\n= x^2 + 5*x + 6 + 0^0 - 1 [powers]", "0^0"),          # an undefined power that reads as 1
    ("(x + 2)*(x + 3)\n= x^2 + 5*x + 6 + x/2x - x^2/2 [cancel]", "two ways"),  # 1/2x: (1/2)x or 1/(2x)?
    ("(x + 2)*(x + 3)\n= x^2 + 5*x + 6 + 3/(x - x) [zero]", "non-zero"),
])
def test_unicode_tricks_and_ambiguous_forms_grade_zero_with_a_reason(proof, why):
    """Each proof ends at the right side; before the campaign the digits, the no-break space, ``0^0``
    and ``x/2x`` (read as x^2/2) all graded 1."""
    g = grade_proof(CLAIM, proof + "\n= x^2 + 5*x + 6 [simplify]")
    assert g.score == 0.0 and why in g.reason, g.reason


def test_line_ends_and_blanks_an_editor_writes_still_read():
    assert grade_proof(CLAIM, GOOD.replace("\n", "\r\n")).score == 1.0
    assert grade_proof(CLAIM, GOOD.replace("\n", "\r")).score == 1.0
    assert grade_proof(CLAIM, GOOD.replace("    ", "\t")).score == 1.0
    assert grade_proof(CLAIM, GOOD.replace("[collect like terms]", "[r\u00e9duire]")).score == 1.0  # prose may be any


def test_justification_spoofing_is_no_justification():
    for fake in ("[ ]", "[\t]", "[]"):
        assert grade_proof(CLAIM, f"(x + 2)*(x + 3)\n= x^2 + 5*x + 6 {fake}").score == 0.5
    assert grade_proof(CLAIM, "(x + 2)*(x + 3)\n= x^2 + 5*x + 6 [expand] [again]").score == 0.0
    assert grade_proof(CLAIM, "(x + 2)*(x + 3)\n= x^2 + 5*x + 6 [expand]\n= x^2 + 5*x + 6 [=]").score == 1.0


def test_each_expansion_has_its_own_work_budget():
    for _ in range(300):  # 300 x 1260 products: more than one MAX_TOTAL_WORK, fine one call at a time
        poly("(a+b+c+d+e+f)^5")


@pytest.mark.parametrize(("text", "grade"), [("1e0", None), ("-0", None), ("\uff11", None), ("\u0661", None),
                                             ("inf", None), ("nan", None), ("0.50", 0.5), ("1.", 1.0), ("0\n", 0.0)])
def test_read_grade_takes_ascii_decimals_only(text, grade):
    assert read_grade(text) == grade
    assert grade is None or str(read_grade(text)) == str(grade)  # never -0.0
