"""Answers a red-team found rewarded although wrong (a helper who had not read the rules, attacking the
math, exact and format verifiers as a policy under RL would), each beside a right answer that must
still score. Every wrong answer here scored 1 before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zeroplay import verifiers

DATA = Path(__file__).resolve().parents[2] / "zeroplay" / "verifiers" / "data"


@pytest.fixture(scope="module")
def math_v():
    return verifiers.make("math", workers=1)


# (response, gold): wrong answers that were rewarded
WRONG = [
    # a reversed or degenerate interval held no number, and two empty sets compared equal: one constant
    # answer matched every pair (a, b) with a >= b
    (r"\boxed{[1, 0]}", "(3, -2)"),
    (r"\boxed{(1, 0]}", "(7, 4)"),
    (r"\boxed{1 < x < 0}", r"\left(\frac{1}{2}, -\frac{3}{2}\right)"),
    (r"\boxed{(0, 0]}", "(2, 2)"),
    (r"\boxed{(1, 0)}", "[5, 1]"),
    # a function's argument in bars ended at the first + or -: \ln|x+1| read as \ln|x| + 1
    (r"\boxed{-2}", r"\ln|x-1| - \ln|x+1|"),
    (r"\boxed{\ln|x+1| - \ln|x+3| + C}", r"\ln|x-1| - \ln|x+1| + C"),
    (r"\boxed{\ln|x| + 1 + C}", r"\ln\left|x+1\right| + C"),
    (r"\boxed{\sin|x| - 1}", r"\sin|x-1|"),
    (r"\boxed{\ln\lvert x \rvert + 1}", r"\ln\lvert x+1 \rvert"),
    # points where the answer was not real were skipped even where the gold is real
    (r"\boxed{\ln x + C}", r"\ln|x| + C"),
    (r"\boxed{\ln(-x)}", r"\ln|x|"),
    (r"\boxed{2\ln x}", r"\ln(x^2)"),
    (r"\boxed{7 + \sqrt{\lfloor x \rfloor - x}}", "7"),
    # exact numbers agreed "to 20 digits": relative, so 1e-435 was 0 and an 18-digit integer took a neighbour
    (r"\boxed{e^{-1000}}", "0"),
    (r"\boxed{10^{-200}\pi}", "0"),
    (r"\boxed{e^{\pi\sqrt{163}}}", "262537412640768744"),
    (r"\boxed{10^{25} + \sqrt{2}}", "10000000000000000000000000"),
    # words that change the value were dropped as units
    (r"\boxed{5 hundreds}", "5"),
    (r"\boxed{3 fourths}", "3"),
    (r"\boxed{5 factorial}", "5"),
    (r"\boxed{3 \text{ millions}}", "3"),
    # a hedge in a second \text{} was dropped as a unit
    (r"\boxed{\text{yes}\text{ maybe no}}", r"\text{yes}"),
    # a two-letter word was a product of symbols: "on" was n*o
    (r"\boxed{on}", r"\text{no}"),
    (r"\boxed{ON}", "NO"),
    # a parenthesized lower-case second choice was no hedge
    (r"\boxed{(B) or (c)}", "B"),
    # text golds ignored points and colons inside numbers
    (r"\boxed{(1:5, north)}", r"(1.5, \text{north})"),
    # a degree sign on an angle in radians was stripped
    (r"\boxed{\frac{\pi}{6}^\circ}", r"\frac{\pi}{6}"),
    # second round --------------------------------------------------------------------------------
    # abs_tol 1e-12 made every tiny decimal gold a zero: 0, the wrong sign, the wrong power of ten
    (r"\boxed{0}", r"1.6 \times 10^{-19}"),
    (r"\boxed{-1.6e-19}", "1.6e-19"),
    (r"\boxed{9.11 \times 10^{-13}}", r"9.11 \times 10^{-31}"),
    # spaces were dropped before reading a plain number: 2 1/2 was 21/2, Euler's 2e - 1 was 0.2
    (r"\boxed{10.5}", "2 1/2"),
    (r"\boxed{4}", "1 2/3"),
    (r"\boxed{0.2}", "2e - 1"),
    (r"\boxed{23}", "2 3"),
    # ^{-1} was the inverse for sin, cos and tan only: \cot^{-1} was tan
    (r"\boxed{\tan x + C}", r"\cot^{-1} x + C"),
    # an unbraced exponent of several digits: 2^10 was 2^1 * 0
    (r"\boxed{0}", "2^10"),
    # a variable the gold has not, close at every test point
    (r"\boxed{5 + 10^{-30}x}", "5"),
    (r"\boxed{(x/10)^{999}}", "0"),
    (r"\boxed{262537412640768744 + x}", "262537412640768743"),
    # an unbracketed function argument ran across /: \sin x / x was sin(1)
    (r"\boxed{\sin(1)}", r"\sin x / x"),
    # a bare list matched a named gold in any order
    (r"\boxed{5, 3}", "x = 3, y = 5"),
    # \approx before "or": two roots read as the last one
    (r"\boxed{x \approx 1.41 \text{ or } x \approx -1.41}", "-1.41"),
    # \circ of a composition stripped as a degree sign
    (r"\boxed{g \circ f}", r"f \circ g"),
    # a repeating decimal in parentheses, a mixed number with unbraced \frac
    (r"\boxed{6}", "1.(6)"),
    (r"\boxed{0}", "0.(3)"),
    (r"\boxed{\frac{3}{2}}", r"3\frac12"),
    (r"\boxed{3 twelfths}", "3"),
    # third round
    (r"\boxed{0}", r"1.6\times10^{-19}\,\mathrm{C}"),  # abs_tol was still a floor at random points
    (r"\boxed{1}", "2^1.5"),  # an unbraced decimal exponent: 2^1 * 0.5
    (r"\boxed{5 millionths}", "5"),
    # 0 is not sqrt(10^300 + 1) - 10^150 (5e-151): evalf's default working precision cancelled to 0.e-15
    (r"\boxed{0}", r"\sqrt{10^{300}+1}-10^{150}"),
]

# (response, gold): right answers next to the fixes, which must still score
RIGHT = [
    (r"\boxed{[1, 3)}", "[1, 3)"),
    (r"\boxed{1 \le x < 3}", "[1, 3)"),
    (r"\boxed{[3, -2]}", "(3, -2)"),  # the same point in other brackets
    (r"\boxed{\ln\left|\frac{x-1}{x+1}\right| + C}", r"\ln|x-1| - \ln|x+1| + C"),
    (r"\boxed{\ln|x+1|}", r"\ln\left|x+1\right|"),
    (r"\boxed{\ln||x|-1|}", r"\ln\left|\left|x\right|-1\right|"),
    (r"\boxed{\ln|x|}", r"\ln x"),  # the gold's real domain is x > 0, where they agree
    (r"\boxed{\ln(x^2)}", r"2\ln x"),
    (r"\boxed{\frac{x^2-1}{x-1}}", "x+1"),
    (r"\boxed{\sin^2 x + \cos^2 x}", "1"),
    (r"\boxed{\sqrt{2}\sqrt{3}}", r"\sqrt{6}"),
    (r"\boxed{\cos\frac{\pi}{5}}", r"\frac{1+\sqrt{5}}{4}"),
    (r"\boxed{\tan\frac{\pi}{8}}", r"\sqrt{2}-1"),
    (r"\boxed{\sqrt{5+2\sqrt{6}}}", r"\sqrt{2}+\sqrt{3}"),
    (r"\boxed{\log_2 8}", "3"),
    (r"\boxed{5 meters}", "5"),
    (r"\boxed{500 \text{ nm}}", "500"),
    (r"\boxed{10}", "10 (songs)"),
    (r"\boxed{no}", "No"),
    (r"\boxed{yx}", "xy"),  # two letters that are no word stay a product
    (r"\boxed{(B) 12}", "B"),
    (r"\boxed{(1.5, north)}", r"(1.5, \text{north})"),
    (r"\boxed{30^\circ}", "30"),
    (r"\boxed{180^\circ \cdot \frac{\pi}{180}}", r"\pi"),
    # second round
    (r"\boxed{1.6 \times 10^{-19}}", "1.6e-19"),
    (r"\boxed{10^{-13}}", "0.0"),  # abs_tol still serves a gold of zero
    (r"\boxed{\frac{5}{2}}", "2 1/2"),
    (r"\boxed{2.5}", r"2\frac{1}{2}"),
    (r"\boxed{\frac{7}{2}}", r"3\frac12"),
    (r"\boxed{\frac{1}{3}}", "0.(3)"),
    (r"\boxed{\frac{5}{3}}", "1.(6)"),
    (r"\boxed{1024}", "2^10"),
    (r"\boxed{2e - 1}", "2e-1"),  # the same characters
    (r"\boxed{\arctan\frac{1}{x}}", r"\cot^{-1} x"),
    (r"\boxed{\frac{\sin x}{x}}", r"\sin x / x"),
    (r"\boxed{3, 5}", "x = 3, y = 5"),
    (r"\boxed{x = 3, y = 5}", "x = 3, y = 5"),
    (r"\boxed{-1.41, 1.41}", r"x \approx 1.41 \text{ or } x \approx -1.41"),
    (r"\boxed{30^\circ}", r"30^\circ"),
    (r"\boxed{1000000}", "1\u2009000\u2009000"),
    (r"\boxed{300 \text{ K}}", "300"),
    ("#### Final Answer\nThe answer is 42.", "42"),
    # third round
    (r"\boxed{2\sqrt{2}}", "2^1.5"),
    ("#### Answer: 7", "7"),
    ("#### **Final Answer:** 7", "7"),
    (r"\boxed{\sin^2(\pi/7)+\cos^2(\pi/7)}", "1"),  # a true zero stays noise at any working precision
]


@pytest.mark.parametrize("response, gold", WRONG)
def test_wrong_answers_the_red_team_found_score_nothing(math_v, response: str, gold: str) -> None:
    got = math_v.verify(response, gold)
    assert not got.correct and got.score == 0.0, got


@pytest.mark.parametrize("response, gold", RIGHT)
def test_right_answers_beside_the_fixes_still_score(math_v, response: str, gold: str) -> None:
    got = math_v.verify(response, gold)
    assert got.correct, got


def test_one_constant_answer_matches_no_pair_gold_of_the_data(math_v) -> None:
    """``[1, 0]`` used to match about a third of the data's two-coordinate golds."""
    golds = set()
    for path in DATA.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            gold = json.loads(line)["gold"]
            if isinstance(gold, str) and gold.count(",") == 1:
                golds.add(gold)
    assert len(golds) > 20
    for answer in (r"\boxed{[1, 0]}", r"\boxed{(0, 0]}", r"\boxed{1 < x < 0}"):
        taken = [g for g in sorted(golds) if math_v.verify(answer, g).correct]
        assert taken == [], (answer, taken)


@pytest.mark.parametrize("gold", [None, float("nan"), {"answer": None}])
def test_a_missing_gold_pays_for_no_answer(math_v, gold) -> None:
    for response in (r"\boxed{None}", "None", r"\boxed{nan}"):
        got = math_v.verify(response, gold)
        assert not got.correct and got.reason.startswith("bad-gold"), got
    assert verifiers.as_trl_reward("math")(completions=[r"\boxed{None}"], answer=[None]) == [0.0]


def test_exact_keeps_the_marks_that_are_part_of_a_value() -> None:
    exact = verifiers.make("exact")
    for response, reference in (("5", "5!"), ("f", "f'"), (".5", "5"), ("none", None), ("nan", float("nan")),
                                ("?!", ""), ("", "")):
        assert not exact.verify(response, reference).correct, (response, reference)
    for response, reference in (("Yes!", "yes"), ('"Yes."', "yes"), ("  Paris. ", "paris"), ("5!", "5!"),
                                ("`x`", "x")):
        assert exact.verify(response, reference).correct, (response, reference)


def test_format_holes_of_invisible_characters_are_empty() -> None:
    fmt = verifiers.make("format")
    for blank in ("\u200b", "\u2800", "\u3164", "\ufeff", "\u200d \u200c"):
        got = fmt.verify(f"<think>{blank}</think><answer>{blank}</answer>")
        assert not got.correct and "empty" in got.reason, (blank, got)
    assert fmt.verify("<think>a</think><answer>\u200b5</answer>").correct  # visible text beside them counts


def test_a_long_list_against_a_short_set_is_decided_not_timed_out(math_v) -> None:
    """Deduplicating 150 terms pairwise (each a sympy comparison) ran past the 3 s budget every time; now
    it stops once it holds more distinct terms than the gold."""
    answer = r"\boxed{" + ",".join(f"{k}x^2" for k in range(1, 151)) + "}"
    got = math_v.verify(answer, r"\{x^2, 2x^2\}")
    assert not got.correct and not got.reason.startswith("timeout"), got


QUESTIONS = [  # (question, gold, the answer that restates it, a right answer)
    (r"Express $\frac{7}{16}$ as a decimal.", "0.4375", r"\boxed{\frac{7}{16}}", r"\boxed{0.4375}"),
    (r"Simplify $\sqrt{12}$.", r"2\sqrt{3}", r"\boxed{\sqrt{12}}", r"\boxed{2\sqrt{3}}"),
    (r"Rationalize the denominator: $\frac{5}{\sqrt{3} - 1}$.", r"\frac{5\sqrt{3}+5}{2}",
     r"\boxed{\frac{5}{\sqrt{3}-1}}", r"\boxed{\frac{5+5\sqrt{3}}{2}}"),
    ("Express 7/16 as a decimal.", "0.4375", "Express 7/16 as a decimal.", "The answer is 0.4375."),
    # third round: another notation of the question's value, normalized into the gold's form, or in a span's side
    (r"Express $\frac{7}{16}$ as a decimal.", "0.4375", r"\boxed{7/16}", r"\boxed{.4375}"),
    (r"Express $\frac{7}{16}$ as a decimal.", "0.4375", r"\boxed{\frac{14}{32}}", r"\boxed{0.4375}"),
    (r"Express $0.\overline{36}$ as a common fraction in lowest terms.", r"\frac{4}{11}", r"\boxed{0.\overline{36}}",
     r"\boxed{\frac{4}{11}}"),
    (r"Write $3\frac{1}{2}$ as an improper fraction.", r"\frac{7}{2}", r"\boxed{3\frac{1}{2}}", r"\boxed{\frac72}"),
    (r"If $P(A) = \frac{7}{16}$, write it as a decimal.", "0.4375", r"\boxed{\frac{7}{16}}", r"\boxed{0.4375}"),
    (r"Simplify $\frac{6}{3}$.", "2", r"\boxed{\frac{4}{2}}", r"\boxed{2}"),
]


@pytest.mark.parametrize("question, gold, answer", [
    (r"Which is larger, $\sqrt2$ or $1.5$?", r"\sqrt2", r"\boxed{\sqrt{2}}"),  # the gold's own form is a value of it
    (r"Which is larger, $2/3$ or $0.6$?", "2/3", r"\boxed{\frac{2}{3}}"),
    (r"What is $\sqrt{9}$?", r"Since $\sqrt9=3$, the answer is \boxed{3}", r"\boxed{3}"),  # a solution as the gold
    (r"What fraction is $0.25$?", r"\frac{1}{4}", r"\boxed{\frac14}"),
])
def test_right_answers_to_questions_that_write_values_still_score(math_v, question, gold, answer) -> None:
    got = math_v.verify(answer, {"answer": gold, "question": question})
    assert got.correct, got


@pytest.mark.parametrize("question, gold, restated, right", QUESTIONS)
def test_an_answer_that_restates_the_question_earns_nothing(math_v, question, gold, restated, right) -> None:
    """Copying the question's value into the answer ('Express 7/16 as a decimal' -> 7/16) is equal in
    value: without the question it scores, with it (as task envs pass it) it does not."""
    assert math_v.verify(restated, gold).correct  # the verifier alone cannot tell
    got = math_v.verify(restated, {"answer": gold, "question": question})
    assert not got.correct and got.reason.startswith("restates-question"), got
    assert math_v.verify(right, {"answer": gold, "question": question}).correct
    assert [v.correct for v in math_v.verify_batch([restated, right], [{"answer": gold, "question": question}] * 2)] \
        == [False, True]


def test_task_envs_pass_the_question_and_exempt_choices_and_the_golds_own_form(math_v) -> None:
    from zeroplay.core.tasks import TaskEnv
    from zeroplay.core.types import Task

    tasks = [Task("a", r"Express $\frac{7}{16}$ as a decimal.", "0.4375"),
             Task("b", r"Which is larger: (A) $\frac34$ (B) $0.7$?", r"\frac{3}{4}"),
             Task("c", "Tom has $12$ apples and eats none. How many are left?", "12")]
    env = TaskEnv(tasks, verifier=math_v)
    rewards = {}
    for task, answer in zip(tasks, (r"\boxed{\frac{7}{16}}", r"\boxed{\frac{3}{4}}", r"\boxed{12}")):
        env.reset(seed=0, options={"task": task})
        rewards[task.id] = env.step(answer)[1]
    assert rewards == {"a": 0.0, "b": 1.0, "c": 1.0}
