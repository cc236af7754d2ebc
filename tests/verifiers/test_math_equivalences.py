"""False negatives of the math verifier, class by class: right answers it used to refuse.

Every answer is written inside ``\\boxed{}`` so extraction does not matter. Each class lists
answers that must now be accepted (``*_EQUAL``) and near misses that must stay refused
(``*_WRONG``): a reward a policy did not earn is worse than a refused right answer.
"""

from __future__ import annotations

import pytest

B = r"\boxed{%s}"

RELATIONS_EQUAL = [
    (r"x \geq 5", "x >= 5"),
    (r"x \lt 3", "x < 3"),
    ("x <= 2", r"x \leq 2"),
    (r"x \neq 3", "x != 3"),
    ("-x > -1", "x < 1"),
    ("x > 2", r"(2, \infty)"),
    (r"1 \le x < 3", "[1,3)"),
    (r"x \geqslant 5", r"x \ge 5"),
    (r"5 \geq x", r"x \leq 5"),
    ("2x + 1 > 5", "x > 2"),
    (r"x \ge -1", r"[-1, \infty)"),
    (r"3 > x > 1", "(1, 3)"),
    (r"x \ne 3", r"(-\infty, 3) \cup (3, \infty)"),
    ("x ≠ 3", r"x \neq 3"),
    ("x^2 < 4", "(-2, 2)"),
    ("-2x \\leq 6", "x \\geq -3"),
]
RELATIONS_WRONG = [
    ("x > 2", "(2, 3)"),
    (r"x \geq 5", "x > 5"),
    ("x < 3", "x > 3"),
    (r"x \neq 3", "x = 3"),
    (r"x \neq 3", "3"),
    ("-x > -1", "x > 1"),
    ("x > 2", r"[2, \infty)"),
    (r"1 \le x < 3", "[1,3]"),
    ("x^2 < 4", "(0, 2)"),
    ("2x + 1 > 5", "x > 3"),
]

EQUATIONS_EQUAL = [
    (r"y=-\frac{1}{2}x+\frac{3}{4}", "2x+4y-3=0"),
    (r"x^2/16 + y^2/12 = 1/4", r"\frac{x^2}{4} + \frac{y^2}{3} = 1"),
    ("-34x-45y+20z-100=0", "34x+45y-20z+100=0"),
    ("2x - y + 3z = 8", "2x - y + 3z - 8 = 0"),
    ("y - 2x = 3", "y = 2x + 3"),
    ("x + 2y = 8", r"y = -\frac{1}{2}x + 4"),
]
EQUATIONS_WRONG = [
    ("x^2 = 4", "x = 2"),
    ("2x = 4", "x = 2"),  # an unsolved restatement is not the solution
    ("y = 2x + 2", "2x - y + 1 = 0"),
    ("x(2x+4y-3) = 0", "2x+4y-3=0"),  # a multiple by an expression with a variable
    ("-34x-45y+20z+100=0", "34x+45y-20z+100=0"),
    ("0 = 0", "2x+4y-3=0"),
    (r"x^2/16 + y^2/12 = 1", r"\frac{x^2}{4} + \frac{y^2}{3} = 1"),
]

CHAINS_EQUAL = [
    ("x = 5+5+1 = 7 = 11", "x = 11"),
    ("x = 5+5+1 = 7 = 11", "11"),
    (r"x \approx 11", "11"),
    (r"x=1/3\approx1.3", "1/3"),
    (r"2^{10} = 1024", "1024"),
    (r"\frac{12}{16} = \frac{3}{4}", r"\frac{3}{4}"),
    (r"\frac{5}{36} \approx 0.139", r"\frac{5}{36}"),
    (r"\approx 3.14", "3.14"),
    (r"\sqrt{7} \approx 2.65", "2.65"),
    (r"\frac{\sqrt{3}}{2} \approx 0.866", r"\frac{\sqrt{3}}{2}"),
    ("5! = 120", "120"),
    (r"\frac{1}{3} \approx 0.33", "0.33"),  # a correct rounding of the exact value, for a decimal gold
    (r"\frac{1}{6} \approx 16.7\%", r"\frac{1}{6}"),
    (r"y = 2x + 3x = 5x", "y = 5x"),
]
CHAINS_WRONG = [
    ("x = 5+5+1 = 11 = 7", "11"),
    (r"x=1/3\approx1.3", "1.3"),  # the exact value before the ≈ is the answer
    (r"x \approx 11", "12"),
    (r"\frac{1}{3} \approx 0.34", "0.34"),  # 0.34 is not 1/3 rounded: the approximation does not count
    (r"\frac{1}{3} \approx 0.33", r"\frac{1}{3} + 1"),
    ("3 = 3", "3"),
    ("4 = 3", "3"),
    (r"2^{10} = 1000", "1024"),
    (r"\sqrt{7} \approx 2.6", "2.65"),
]

MATRICES_EQUAL = [
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
    (r"\left[\begin{array}{cc} 2 & 1 \\ 7 & 4 \end{array}\right]", r"\begin{pmatrix} 2 & 1 \\ 7 & 4 \end{pmatrix}"),
    (r"\begin{pmatrix} 2 & 1 \\ 7 & 4 \end{pmatrix}", r"\left[\begin{array}{cc} 2 & 1 \\ 7 & 4 \end{array}\right]"),
    (r"\begin{pmatrix} 0.6 \\ 2.6667 \end{pmatrix}", r"\begin{pmatrix} \frac{3}{5} \\ \frac{8}{3} \end{pmatrix}"),
    (r"\begin{bmatrix} 0.6 \\ -2.6667 \end{bmatrix}", r"\begin{pmatrix} \frac{3}{5} \\ -\frac{8}{3} \end{pmatrix}"),
    (r"(0.6,2.6667]", r"(\frac{3}{5},\frac{8}{3}]"),
    (r"(0.3333, 1.414)", r"\left(\frac{1}{3}, \sqrt{2}\right)"),
    (r"\begin{pmatrix} 0.3333 \\ 0.5 \end{pmatrix}", r"\left(\frac{1}{3}, \frac{1}{2}\right)"),
    (r"\begin{pmatrix} 0.6 \\ 2.667 \end{pmatrix}", r"\begin{pmatrix} \frac{3}{5} \\ \frac{8}{3} \end{pmatrix}"),
    (r"[-0.006667, 3.1416)", r"\left[-\frac{1}{150}, \pi\right)"),
    (r"\frac{1}{5}\begin{pmatrix} 3 \\ 4 \end{pmatrix}", r"\begin{pmatrix} 3/5 \\ 4/5 \end{pmatrix}"),
    (r"-\begin{pmatrix} 5 & -2 \\ -3 & 1 \end{pmatrix}", r"\begin{pmatrix} -5 & 2 \\ 3 & -1 \end{pmatrix}"),
    (r"\langle 6, -3, 2 \rangle", r"\begin{pmatrix} 6 \\ -3 \\ 2 \end{pmatrix}"),
]
MATRICES_WRONG = [
    # 3 significant digits: too few
    (r"\begin{pmatrix} 0.6 \\ 2.67 \end{pmatrix}", r"\begin{pmatrix} \frac{3}{5} \\ \frac{8}{3} \end{pmatrix}"),
    (r"(0.333, 1)", r"\left(\frac{1}{3}, 1\right)"),  # 3 significant digits: too few
    # misrounded
    (r"\begin{pmatrix} 0.6 \\ 2.6666 \end{pmatrix}", r"\begin{pmatrix} \frac{3}{5} \\ \frac{8}{3} \end{pmatrix}"),
    # 3/5 terminates: a decimal must spell it exactly
    (r"\begin{pmatrix} 0.6001 \\ 2.6667 \end{pmatrix}", r"\begin{pmatrix} \frac{3}{5} \\ \frac{8}{3} \end{pmatrix}"),
    (r"(0.6,2.6667)", r"(\frac{3}{5},\frac{8}{3}]"),
    (r"\begin{bmatrix} 1 & 2 \\ 4 & 3 \end{bmatrix}", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
    (r"\begin{vmatrix} 1 & 2 \\ 3 & 4 \end{vmatrix}", "-2"),
    (r"\begin{pmatrix} 1234567891.0 \\ 1 \end{pmatrix}", r"\begin{pmatrix} 1234567890 \\ 1 \end{pmatrix}"),
    (r"(2.6667, 1)", r"(\frac{8}{3}, 2)"),
    (r"-\begin{pmatrix} 5 & -2 \\ -3 & 1 \end{pmatrix}", r"\begin{pmatrix} 5 & -2 \\ -3 & 1 \end{pmatrix}"),
]

UNITS_EQUAL = [
    (r"125\textnormal{ miles}", "125 miles"),
    (r"125\textnormal{ miles}", "125"),
    (r"\$16386.20", "16386.2"),
    ("16386.20 dollars", "16386.2"),
    (r"16386.20\text{ dollars}", r"\$16386.20"),
    (r"45\%", r"45\%"),
    ("45%", r"45\%"),
    (r"45\%", "45"),
]
UNITS_WRONG = [
    (r"126\textnormal{ miles}", "125 miles"),
    (r"\$16386.21", "16386.2"),
    (r"4.5\%", r"45\%"),
    (r"125\textnormal{ thousand miles}", "125"),
]

SETS_EQUAL = [
    ("{1,3}", r"\{1,3\}"),
    ("{3,1}", r"\{1,3\}"),
    ("{1,3}", "1, 3"),
    (r"\\left(\\frac{4}{5},\\frac{1}{5}\\right)", r"(\frac{4}{5},\frac{1}{5})"),
    (r"\\sqrt{2}", r"\sqrt{2}"),
    (r"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
    (r"\\{1, 2\\}", "1, 2"),
]
SETS_WRONG = [
    ("{1,3}", "(1,3)"),  # a set is not an ordered pair nor an interval
    ("{3,1}", "(1,3)"),
    ("{1,3}", "[1,3]"),
    ("{1,3}", r"\{1,4\}"),
    (r"\\left(\\frac{1}{5},\\frac{4}{5}\\right)", r"(\frac{4}{5},\frac{1}{5})"),
    (r"\\{1, 2\\}", "(1, 2)"),
]

TYPOGRAPHY_EQUAL = [
    ("\u22123", "-3"),
    (r"\frac{1}{2}\,x", r"\frac{x}{2}"),
    (r"2\;x", "2x"),
    (r"2\!x", "2x"),
    ("2\u2009x", "2x"),
    ("2\u202fx", "2x"),
    (r"\dfrac{3}{4}", r"\frac{3}{4}"),
    (r"\tfrac{3}{4}", "0.75"),
    (r"30^\circ", "30"),
    ("30", r"30^{\circ}"),
    (r"30^{\circ}", r"30^\circ"),
    (r"\frac{1}{2}\%", r"\frac{1}{2}\%"),
    ("(\u22121, 2]", "(-1, 2]"),
]
TYPOGRAPHY_WRONG = [
    ("\u22123", "3"),
    (r"\dfrac{4}{3}", r"\frac{3}{4}"),
    (r"31^\circ", "30"),
    ("2\u2009x", "2 + x"),
]

DECIMAL_COMMA_EQUAL = [("1,22", "1,22"), ("1,22", "1, 22")]
DECIMAL_COMMA_WRONG = [("1,22", "1.22"), ("1.22", "1,22"), ("1,22", "22, 1"), ("1,22", r"\{1, 22\}")]

EQUAL = (RELATIONS_EQUAL + EQUATIONS_EQUAL + CHAINS_EQUAL + MATRICES_EQUAL + UNITS_EQUAL + SETS_EQUAL
         + TYPOGRAPHY_EQUAL + DECIMAL_COMMA_EQUAL)
WRONG = (RELATIONS_WRONG + EQUATIONS_WRONG + CHAINS_WRONG + MATRICES_WRONG + UNITS_WRONG + SETS_WRONG
         + TYPOGRAPHY_WRONG + DECIMAL_COMMA_WRONG)


@pytest.mark.parametrize("answer, gold", EQUAL)
def test_equivalent_answers_are_accepted(math_v, answer, gold):
    v = math_v.verify(B % answer, gold)
    assert v.correct, v


@pytest.mark.parametrize("answer, gold", WRONG)
def test_near_misses_stay_refused(math_v, answer, gold):
    v = math_v.verify(B % answer, gold)
    assert not v.correct, v


UNICODE_EQUAL = [("[0, ∞)", r"[0, \infty)"), ("(−∞, −2) ∪ (3, ∞)", r"(-\infty, -2) \cup (3, \infty)"),
                 ("3π", r"3\pi"), ("2 × 3", "6"),
                 (r"m + n = 36 + 37 = 73", "73"), (r"= \frac{1}{2}\cdot 6 \cdot 8 = 24", "24")]
UNICODE_WRONG = [("[0, ∞)", r"(0, \infty)"), ("3π", r"-3\pi"), (r"m + n = 36 + 37 = 72", "73"),
                 ("x + y = 5", "5"), (r"m + n = 36 + 37 = x", "73")]


@pytest.mark.parametrize("answer, gold", UNICODE_EQUAL)
def test_unicode_symbols_and_derivations_are_accepted(math_v, answer, gold):
    assert math_v.verify(B % answer, gold).correct


@pytest.mark.parametrize("answer, gold", UNICODE_WRONG)
def test_unicode_and_derivation_near_misses_stay_refused(math_v, answer, gold):
    assert not math_v.verify(B % answer, gold).correct


# -- classes the outside-labelled set found (math_outside.jsonl) -----------------------------------
OUTSIDE_EQUAL = [
    ("½", r"\frac12"), ("1⁄2", r"\frac12"), ("2√3", r"2\sqrt3"), ("x²", "x^2"), ("−¼", r"-\frac14"), ("√2", r"\sqrt2"),
    ("2½", "5/2"), ("√(x+1)", r"\sqrt{x+1}"),
    ("1011_{2}", "1011_2"), ("1011", "1011_2"), ("4a", "4A_{16}"), ("12_{(3)}", "12_3"),
    (r"16\pi \text{ square units}", r"16\pi"), (r"20 \text{ percent}", r"20\%"), (r"500 \, \text{nm}", "500"),
    (r"300 \text{ K}", "300"),
    (r"(-\infty, -2) \text{ U } (3, \infty)", r"(-\infty,-2)\cup(3,\infty)"),
    (r"[-1,1] \setminus \{0\}", r"[-1,0)\cup(0,1]"), (r"\mathbb{R}\setminus\{1\}", r"(-\infty,1)\cup(1,\infty)"),
    (r"x > -2 \text{ and } x < 3", "-2 < x < 3"),
    ("3:2", r"\frac32"), (r"\frac14", "1:4"), ("3:45 PM", r"\text{3:45 p.m.}"), ("15:45", r"\text{3:45 p.m.}"),
    ("x=2, y=-3", "(2,-3)"), ("a = 4, b = 7", "(4,7)"), ("x=1, y=2, z=3", "(1,2,3)"),
    (r"f^{-1}(x) = \frac{x-3}{2}", r"\frac{x-3}{2}"), ("f'(x) = 2x + 1", "2x+1"),
    ("12", r"\textbf{(C) }12"), ("(C)", r"\textbf{(C) }12"), ("(C) 12", r"\textbf{(C) }12"),
    (r"\text{Total cost} = 4 \times 12 + 8 = 56", "56"),
]
OUTSIDE_WRONG = [
    ("3:45", r"\frac{1}{15}"), ("1:15", "3:45"), ("2:3", r"\frac32"), ("3:45", r"\text{3:45 p.m.}"),
    ("y=-3, x=2", "(2,-3)"), ("x=2, y=-3", "(-3,2)"), ("x=2, y=-3", "[2,-3]"), ("x=1, x=2", "(1,2)"),
    ("11", "1011_2"), ("1011_3", "1011_2"), ("a", "a_{12}"), ("1012", "1011_2"),
    (r"f^{-1}(x) = 2x+1", "f(x) = 2x+1"), ("f'(x) = 2", "f(x) = 2"),
    (r"x < -2 \text{ and } x > 3", r"(-\infty,-2)\cup(3,\infty)"),
    (r"x > -2 \text{ and } x < 3", r"(-\infty, \infty)"),  # the union reading of "and" used to accept this
    (r"x > -2 \text{ and } x < 3", r"(-2, 3]"),
    ("(B) 12", r"\textbf{(C) }12"), ("(C) 15", r"\textbf{(C) }12"), ("15", r"\textbf{(C) }12"),
    (r"5 \text{ million}", "5"), ("300 K", "300"), (r"2 \text{ e}", "2"),
    (r"[-1,1] \setminus \{0\}", "[-1,1]"), (r"\mathbb{R}\setminus\{1\}", r"(-\infty,\infty)"),
    (r"(-\infty, -2) \text{ U } (3, \infty)", r"(-\infty,-2]\cup(3,\infty)"),
    ("½", r"\frac13"), ("2√3", r"3\sqrt2"), ("x²", "x^3"), ("2½", "1"),
]


@pytest.mark.parametrize("answer, gold", OUTSIDE_EQUAL)
def test_outside_set_classes_are_accepted(math_v, answer, gold):
    v = math_v.verify(B % answer, gold)
    assert v.correct, v


@pytest.mark.parametrize("answer, gold", OUTSIDE_WRONG)
def test_outside_set_near_misses_stay_refused(math_v, answer, gold):
    v = math_v.verify(B % answer, gold)
    assert not v.correct, v


@pytest.mark.parametrize("response, gold, correct", [
    (r"The solutions are $\boxed{2}$ and $\boxed{3}$.", "2, 3", True),
    (r"From $x^2 = 1$ we get $\boxed{x = 1}$ or $\boxed{x = -1}$.", "-1, 1", True),
    (r"Solving the system gives $a = \boxed{3}$ and $b = \boxed{7}$.", "(3, 7)", True),
    (r"The roots are $\boxed{2}$, $\boxed{-3}$.", "-3, 2", True),
    (r"The solutions are $\boxed{2}$ and $\boxed{3}$.", "3", False),  # the answer is both: not just 3
    (r"First $\boxed{2}$. Then the answer is $\boxed{3}$.", "3", True),  # boxes in different sentences
    (r"Solving gives $b = \boxed{7}$ and $a = \boxed{3}$.", "(3, 7)", False),  # names out of order: not read
    ("The correct answer is (B).", "B", True), ("It is option (a).", "A", True),
    ("The correct answer is not (B).", "B", False),
    (r"Final Answer: The final answer is $\$1,260$. I hope it is correct.", "1260", True),
    ("The distance is sqrt(1 + 4) = sqrt(5).", r"\sqrt{5}", True),
    ("The distance is sqrt(1 + 4) = sqrt(5).", "5", False),  # was read as 5: the number inside the root
    ("Total cost = 4 × $12 + $8 = $48 + $8 = $56", "56", True),
])
def test_outside_set_responses(math_v, response, gold, correct):
    v = math_v.verify(response, gold)
    assert v.correct == correct, v
