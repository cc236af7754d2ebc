"""Build ``math_labelled.jsonl``: labelled (response, gold, label) items for the math verifier benchmark.

Provenance: every item was written by the zeroplay team for this benchmark (no third-party data).
Each group is a gold answer, forms that ARE equal to it (label true) and near-misses that are NOT
(label false); responses wrap the form the way models write answers (\\boxed{}, "The final answer
is", "Answer:", <answer> tags). Labels follow exact mathematics: a decimal is equal to a gold only
when it is the same number (``3.14`` is not ``\\pi``); a bare comma list of solutions is unordered,
a tuple is ordered; the imaginary unit is ``i``. Re-run to regenerate: ``python build_math_labelled.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

WRAPS = [
    "We simplify step by step and get $\\boxed{{{x}}}$.",
    "Putting everything together, the final answer is ${x}$.",
    "Reasoning done.\nAnswer: ${x}$",
    "<think>work it out</think><answer>{x}</answer>",
    "So the result is \\boxed{{{x}}}",
]

# (category, gold, equal forms, unequal forms)
GROUPS: list[tuple[str, str, list[str], list[str]]] = [
    # -- numbers: integers, decimals, fractions -------------------------------------------------
    ("number", "42", ["42", "42.0", "+42", "\\text{42}", "42 \\text{ apples}"], ["43", "4.2", "-42", "420"]),
    ("number", "-7", ["-7", "-7.00", "- 7", "(-7)"], ["7", "-1/7", "-71"]),
    ("number", "0", ["0", "0.0", "-0", "0/5"], ["0.001", "1", "O"]),
    ("number", "1000000", ["1,000,000", "10^6", "1000000", "1{,}000{,}000", "1\\,000\\,000"], ["100000", "10^7", "1,000,001"]),
    ("number", "3.5", ["3.5", "\\frac{7}{2}", "7/2", "3\\frac{1}{2}", "3.50"], ["3.55", "\\frac{5}{2}", "35", "3.499"]),
    ("fraction", "\\frac{1}{3}", ["\\frac{1}{3}", "1/3", "\\dfrac{1}{3}", "\\frac{2}{6}", "\\tfrac13"], ["0.333", "0.33", "\\frac{1}{4}", "3"]),
    ("fraction", "\\frac{3}{4}", ["0.75", "\\frac{6}{8}", "3/4", "75\\%", "\\frac{3}{4}"], ["\\frac{4}{3}", "0.7", "34"]),
    ("fraction", "-\\frac{2}{5}", ["-0.4", "\\frac{-2}{5}", "-\\frac{4}{10}", "\\frac{2}{-5}"], ["\\frac{2}{5}", "-2.5", "-0.25"]),
    ("fraction", "\\frac{22}{7}", ["\\frac{22}{7}", "22/7", "3\\frac{1}{7}"], ["\\pi", "3.14", "3.142857"]),
    ("fraction", "\\frac{5}{12}", ["\\frac{5}{12}", "\\frac{10}{24}", "5/12"], ["\\frac{12}{5}", "0.42", "\\frac{5}{11}"]),
    ("number", "0.125", ["\\frac{1}{8}", "0.125", ".125", "1/8", "12.5\\%"], ["0.12", "0.13", "\\frac{1}{7}"]),
    ("number", "2.5 \\times 10^{-3}", ["0.0025", "2.5e-3", "\\frac{1}{400}", "25 \\times 10^{-4}"], ["0.025", "2.5 \\times 10^{3}", "0.00025"]),
    ("number", "12", ["12 \\text{ cm}", "12\\text{ units}", "12 square units", "\\$12", "12.00"], ["12.5", "21", "1.2"]),
    ("number", "45", ["45^\\circ", "45^{\\circ}", "45 degrees", "45°"], ["46", "44", "4.5"]),
    ("number", "25", ["25\\%", "25 \\%", "25"], ["0.26", "2.5", "250"]),
    ("number", "2023", ["2023", "2,023", "2023.0"], ["2024", "2022", "203"]),
    ("number", "1", ["1", "1.0", "\\frac{7}{7}", "\\sin^2 30^\\circ + \\cos^2 30^\\circ"], ["-1", "0", "11", "0.999"]),
    # -- radicals ------------------------------------------------------------------------------
    ("radical", "2\\sqrt{3}", ["\\sqrt{12}", "2\\sqrt3", "2 \\sqrt{3}", "\\sqrt{3} \\cdot 2", "2*sqrt(3)"], ["\\sqrt{6}", "3\\sqrt{2}", "2\\sqrt{2}", "3.46"]),
    ("radical", "\\frac{\\sqrt{2}}{2}", ["\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt2}{2}", "\\sqrt{2}/2", "\\sqrt{\\frac{1}{2}}", "\\frac{2}{2\\sqrt{2}}"], ["\\sqrt{2}", "0.707", "\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}"]),
    ("radical", "3\\sqrt{2}", ["\\sqrt{18}", "3 \\sqrt 2", "\\frac{6}{\\sqrt{2}}"], ["\\sqrt{6}", "2\\sqrt{3}", "4.24"]),
    ("radical", "\\sqrt[3]{2}", ["2^{1/3}", "2^{\\frac{1}{3}}", "\\sqrt[3]{2}"], ["\\sqrt{2}", "2^{3}", "1.26"]),
    ("radical", "1+\\sqrt{5}", ["\\sqrt{5}+1", "1 + \\sqrt5", "\\frac{2+2\\sqrt{5}}{2}"], ["1-\\sqrt{5}", "\\sqrt{6}", "1+\\sqrt{3}"]),
    ("radical", "\\frac{1+\\sqrt{5}}{2}", ["\\frac{\\sqrt{5}+1}{2}", "\\frac{1}{2}+\\frac{\\sqrt{5}}{2}", "0.5+0.5\\sqrt{5}"], ["\\frac{1-\\sqrt{5}}{2}", "1+\\frac{\\sqrt5}{2}", "1.618"]),
    ("radical", "4\\sqrt{6}", ["\\sqrt{96}", "4\\sqrt6", "2\\sqrt{24}"], ["6\\sqrt{4}", "\\sqrt{24}", "4\\sqrt{5}"]),
    ("radical", "\\sqrt{2}+\\sqrt{3}", ["\\sqrt{5+2\\sqrt{6}}", "\\sqrt3+\\sqrt2"], ["\\sqrt{5}", "\\sqrt{6}", "\\sqrt{2}\\sqrt{3}"]),
    # -- constants, pi, e, logs, trig -----------------------------------------------------------
    ("constant", "\\pi", ["\\pi", "180^\\circ \\cdot \\frac{\\pi}{180}", "\\frac{2\\pi}{2}", "pi"], ["3.14", "3.1416", "\\frac{22}{7}", "2\\pi"]),
    ("constant", "\\frac{\\pi}{4}", ["\\frac{\\pi}{4}", "\\pi/4", "0.25\\pi", "\\frac{1}{4}\\pi", "\\arctan 1"], ["\\frac{\\pi}{3}", "0.785", "\\frac{4}{\\pi}", "45\\pi"]),
    ("constant", "2\\pi", ["2\\pi", "\\pi \\cdot 2", "\\frac{4\\pi}{2}"], ["\\pi", "6.28", "\\pi^2"]),
    ("constant", "e^2", ["e^2", "e^{2}", "e \\cdot e", "\\exp(2)"], ["2e", "7.39", "e^{3}"]),
    ("log", "3", ["\\log_2 8", "\\log_{2}(8)", "\\ln e^3", "3"], ["\\log_2 9", "\\log_3 8", "8"]),
    ("log", "\\ln 2", ["\\ln 2", "\\ln(2)", "-\\ln\\frac{1}{2}", "\\frac{1}{2}\\ln 4"], ["\\ln 3", "0.69", "\\log_2 e", "2"]),
    ("log", "\\log_2 3", ["\\frac{\\ln 3}{\\ln 2}", "\\log_{2}3", "\\frac{\\log 3}{\\log 2}"], ["\\log_3 2", "1.58", "\\frac{3}{2}"]),
    ("trig", "\\frac{\\sqrt{3}}{2}", ["\\sin\\frac{\\pi}{3}", "\\cos 30^\\circ", "\\sin(60^\\circ)", "\\frac{\\sqrt3}{2}"], ["\\frac{1}{2}", "\\frac{\\sqrt{2}}{2}", "0.866"]),
    ("trig", "\\frac{1}{2}", ["\\sin\\frac{\\pi}{6}", "\\cos\\frac{\\pi}{3}", "0.5", "\\frac{2}{4}"], ["\\frac{\\sqrt{3}}{2}", "\\sin\\frac{\\pi}{3}", "0.49"]),
    ("trig", "\\sqrt{3}", ["\\tan\\frac{\\pi}{3}", "\\tan 60^\\circ", "\\frac{3}{\\sqrt{3}}"], ["\\tan\\frac{\\pi}{6}", "\\frac{\\sqrt{3}}{3}", "1.73"]),
    # -- complex -------------------------------------------------------------------------------
    ("complex", "1+i", ["i+1", "1 + i", "\\frac{2+2i}{2}", "(1+i)"], ["1-i", "i", "1+2i", "\\sqrt{2}"]),
    ("complex", "3-4i", ["-4i+3", "3 - 4i", "(2-i)^2"], ["3+4i", "4-3i", "5"]),
    ("complex", "i", ["i", "\\sqrt{-1}", "e^{i\\pi/2}", "\\frac{1+i}{1-i}"], ["-i", "1", "-1"]),
    ("complex", "-1", ["e^{i\\pi}", "i^2", "-1", "\\cos\\pi"], ["1", "i", "-i"]),
    ("complex", "2i", ["2i", "i \\cdot 2", "(1+i)^2", "\\sqrt{-4}"], ["-2i", "2", "2+i"]),
    # -- polynomials and expressions -------------------------------------------------------------
    ("expression", "(x+1)^2", ["x^2+2x+1", "(1+x)^2", "x^{2} + 2x + 1", "(x+1)(x+1)", "1+2x+x^2"], ["x^2+1", "x^2+2x+2", "(x-1)^2", "x^2+x+1"]),
    ("expression", "x^2-4", ["(x-2)(x+2)", "(x+2)(x-2)", "x^2 - 4", "-4+x^2"], ["(x-2)^2", "x^2+4", "x^2-2"]),
    ("expression", "2x+3", ["3+2x", "2x + 3", "x+x+3", "\\frac{4x+6}{2}"], ["2x-3", "3x+2", "2(x+3)"]),
    ("expression", "\\frac{x}{2}", ["x/2", "\\frac{1}{2}x", "0.5x", "\\frac{2x}{4}"], ["2x", "\\frac{2}{x}", "x-2"]),
    ("expression", "\\frac{1}{x+1}", ["(x+1)^{-1}", "\\frac{1}{1+x}", "1/(x+1)", "\\frac{2}{2x+2}"], ["\\frac{1}{x}+1", "\\frac{1}{x-1}", "x+1"]),
    ("expression", "a^2+b^2", ["b^2+a^2", "(a+b)^2-2ab", "a^{2} + b^{2}"], ["(a+b)^2", "a^2-b^2", "2ab"]),
    ("expression", "\\sin^2 x", ["1-\\cos^2 x", "\\frac{1-\\cos 2x}{2}", "(\\sin x)^2", "\\sin^{2}(x)"], ["\\sin x^2", "\\cos^2 x", "2\\sin x"]),
    ("expression", "\\sin 2x", ["2\\sin x \\cos x", "2\\cos x\\sin x", "\\sin(2x)"], ["2\\sin x", "\\sin x \\cos x", "\\cos 2x"]),
    ("expression", "e^{x}", ["\\exp(x)", "e^x", "\\exp x"], ["e x", "x^e", "e^{2x}"]),
    ("expression", "n(n+1)/2", ["\\frac{n(n+1)}{2}", "\\frac{n^2+n}{2}", "\\binom{n+1}{2}", "\\frac{1}{2}n^2+\\frac{1}{2}n"], ["\\frac{n(n-1)}{2}", "n^2", "\\frac{n(n+1)}{3}"]),
    ("expression", "3x^2y", ["3yx^2", "3 x^{2} y", "x \\cdot 3xy"], ["3xy^2", "3x^2", "x^2y"]),
    ("expression", "\\ln x + 1", ["1+\\ln x", "\\ln(ex)", "\\ln x+\\ln e"], ["\\ln(x+1)", "\\ln x", "x+1"]),
    ("expression", "\\sqrt{x^2+1}", ["(x^2+1)^{1/2}", "\\sqrt{1+x^2}"], ["x+1", "x^2+1", "\\sqrt{x^2-1}"]),
    ("expression", "\\frac{2}{x^2-1}", ["\\frac{1}{x-1}-\\frac{1}{x+1}", "\\frac{2}{(x-1)(x+1)}"], ["\\frac{1}{x-1}+\\frac{1}{x+1}", "\\frac{2}{x^2+1}"]),
    # -- equations ------------------------------------------------------------------------------
    ("equation", "5", ["x=5", "x = 5", "n=5", "5"], ["x=6", "x=-5", "5x"]),
    ("equation", "y=2x+1", ["y = 2x + 1", "y=1+2x", "y=\\frac{4x+2}{2}"], ["y=2x-1", "y=x+1", "y=2x"]),
    ("equation", "x^2+y^2=25", ["y^2+x^2=25", "x^2+y^2=5^2", "25=x^2+y^2"], ["x^2+y^2=5", "x^2-y^2=25", "x^2+y^2=26"]),
    ("equation", "x=\\frac{3}{2}", ["x=1.5", "\\frac{3}{2}", "x=\\frac{6}{4}"], ["x=\\frac{2}{3}", "x=1.4", "x=3"]),
    # -- sets, tuples, lists -------------------------------------------------------------------
    ("set", "\\{1,2,3\\}", ["\\{3,2,1\\}", "\\{1, 2, 3\\}", "1, 2, 3", "3,1,2"], ["\\{1,2\\}", "\\{1,2,4\\}", "\\{1,2,3,4\\}"]),
    ("set", "\\{-2, 2\\}", ["\\{2,-2\\}", "\\pm 2", "-2, 2", "x=2, x=-2"], ["\\{2\\}", "2", "\\{-2,2,0\\}"]),
    ("list", "1, 4", ["4, 1", "1,4", "x=1 \\text{ or } x=4", "\\{1,4\\}"], ["1", "1, 5", "1, 4, 7"]),
    ("list", "-1, 3", ["3, -1", "x = -1, x = 3", "-1 \\text{ and } 3"], ["1, 3", "-1, -3", "-1"]),
    ("set", "\\{\\frac{1}{2}, 3\\}", ["\\{3, 0.5\\}", "\\{\\frac12, 3\\}", "3, \\frac{1}{2}"], ["\\{\\frac{1}{3}, 2\\}", "\\{3\\}", "\\{0.5, 3, 1\\}"]),
    ("tuple", "(1,2)", ["(1, 2)", "\\left(1,2\\right)", "(\\frac{2}{2}, 2)"], ["(2,1)", "(1,3)", "(1,2,3)"]),
    ("tuple", "(3,-1,2)", ["(3, -1, 2)", "\\left( 3, -1, 2 \\right)", "(\\sqrt9,-1,2)"], ["(3,1,2)", "(-1,3,2)", "(3,-1)"]),
    ("tuple", "(\\frac{1}{2}, -\\frac{3}{2})", ["(0.5, -1.5)", "\\left(\\frac12,-\\frac32\\right)"], ["(-\\frac{3}{2}, \\frac{1}{2})", "(\\frac12, \\frac32)"]),
    ("tuple", "(2, \\pi)", ["(2,\\pi)", "\\left(2, \\pi\\right)"], ["(2, 3.14)", "(\\pi, 2)"]),
    # -- intervals and inequalities ------------------------------------------------------------
    ("interval", "(1,3]", ["(1, 3]", "\\left(1,3\\right]", "1 < x \\le 3", "x \\in (1,3]"], ["[1,3]", "(1,3)", "[1,3)", "(1,4]"]),
    ("interval", "[0, \\infty)", ["[0,\\infty)", "x \\ge 0", "x\\geq 0", "[0, +\\infty)"], ["(0,\\infty)", "x > 0", "(-\\infty, 0]"]),
    ("interval", "(-\\infty, 2)", ["(-\\infty,2)", "x<2", "x < 2", "2 > x"], ["(-\\infty, 2]", "x \\le 2", "x > 2", "(2, \\infty)"]),
    ("interval", "(-\\infty,-1) \\cup (1,\\infty)", ["(-\\infty,-1)\\cup(1,\\infty)", "(1,\\infty) \\cup (-\\infty,-1)"], ["(-1,1)", "(-\\infty,-1]\\cup[1,\\infty)", "(1, \\infty)"]),
    ("interval", "[-2, 5]", ["[-2,5]", "-2 \\le x \\le 5", "\\left[-2, 5\\right]"], ["(-2,5)", "[-2,5)", "[2,5]"]),
    ("interval", "(\\frac{1}{2}, 4)", ["(0.5, 4)", "\\frac{1}{2} < x < 4"], ["[\\frac12, 4)", "(\\frac12, 4]", "(2,4)"]),
    ("inequality", "x \\le 3", ["x \\leq 3", "3 \\ge x", "(-\\infty, 3]"], ["x < 3", "x \\ge 3", "x \\le 4"]),
    # -- matrices ------------------------------------------------------------------------------
    ("matrix", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", ["\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix}\\frac{2}{2}&2\\\\3&4\\end{pmatrix}"], ["\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", "\\begin{pmatrix}1&2\\end{pmatrix}"]),
    ("matrix", "\\begin{pmatrix}2\\\\-1\\end{pmatrix}", ["\\begin{bmatrix}2\\\\-1\\end{bmatrix}", "(2,-1)", "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}"], ["\\begin{pmatrix}-1\\\\2\\end{pmatrix}", "(2,1)", "\\begin{pmatrix}2\\\\1\\end{pmatrix}"]),
    # -- multiple choice and text ----------------------------------------------------------------
    ("choice", "C", ["C", "(C)", "\\text{(C)}", "C) 12", "\\textbf{(C)}"], ["B", "(D)", "A", "E"]),
    ("choice", "(A)", ["A", "(A)", "\\text{A}"], ["(B)", "C", "D"]),
    ("text", "\\text{Monday}", ["Monday", "monday", "\\text{monday}", "\\textbf{Monday}"], ["Tuesday", "Sunday", "Mon day."]),
    ("text", "\\text{odd}", ["odd", "\\text{Odd}", "ODD"], ["even", "neither", "odd and even"]),
    ("text", "\\text{no solution}", ["no solution", "\\text{No solution}", "No Solution"], ["one solution", "infinitely many solutions"]),
    # -- factorials, binomials, big numbers ------------------------------------------------------
    ("combinatorics", "120", ["5!", "\\binom{10}{3}", "120", "5 \\cdot 4 \\cdot 3 \\cdot 2"], ["24", "4!", "\\binom{10}{2}", "121"]),
    ("combinatorics", "\\binom{6}{2}", ["15", "\\frac{6!}{2!4!}", "\\binom{6}{4}"], ["30", "\\binom{6}{3}", "12"]),
    ("bignumber", "2^{100}", ["1267650600228229401496703205376", "2^{100}", "4^{50}", "1024^{10}"], ["2^{99}", "1267650600228229401496703205377", "100^2", "1.26765 \\times 10^{30}"]),
    ("bignumber", "10^{18}", ["1000000000000000000", "10^{18}", "1e18", "(10^9)^2"], ["10^{17}", "1e19", "18"]),
    ("percent", "0.3", ["0.3", "\\frac{3}{10}", "0.30"], ["3", "0.03", "\\frac{1}{3}"]),
    ("units", "7", ["7 \\text{ meters}", "7\\text{m}", "7 m", "7 \\mbox{ cm}", "\\$7"], ["7.5 \\text{ meters}", "70 \\text{ cm}", "17"]),
    ("units", "36", ["36 \\text{ square feet}", "36\\text{ ft}^2", "36 \\text{ sq units}"], ["6 \\text{ feet}", "63", "3.6"]),
]

# Responses whose answer must be read, or not read, by the extraction rules
EXTRACTION: list[tuple[str, str, bool]] = [
    ("First I tried \\boxed{3} but that was wrong. The correct value is \\boxed{5}.", "5", True),
    ("First I tried \\boxed{5} but that was wrong. The correct value is \\boxed{3}.", "5", False),
    ("The numbers 5, 12 and 13 form a triple; so the hypotenuse is \\boxed{13}.", "13", True),
    ("The numbers 5, 12 and 13 form a triple; so the hypotenuse is \\boxed{12}.", "13", False),
    ("We know 13 appears in the problem. I am not sure of the result.", "13", False),
    ("The area is 24, the perimeter is 20 and I think the answer might be something else entirely.", "24", False),
    ("", "1", False),
    ("\\boxed{}", "1", False),
    ("\\boxed{\\frac{1}{2}", "\\frac{1}{2}", False),
    ("The answer is \\boxed{\\boxed{7}}", "7", True),
    ("\\fbox{9}", "9", True),
    ("The final answer is $\\boxed{\\dfrac{9}{4}}$. I hope it is correct.", "\\frac{9}{4}", True),
    ("Final Answer: The final answer is $2$. I hope it is correct.", "2", True),
    ("Final Answer: The final answer is $3$. I hope it is correct.", "2", False),
    ("<answer>\\frac{\\pi}{2}</answer>", "\\frac{\\pi}{2}", True),
    ("<answer>\n  x = 4\n</answer>", "4", True),
    ("Answer: 4\nWait, let me recheck. Answer: 6", "6", True),
    ("Answer: 6\nWait, let me recheck. Answer: 4", "6", False),
    ("42", "42", True),
    ("$\\frac{1}{2}$", "0.5", True),
    ("I computed 2+2 = 4 and 3+3 = 6, then 10. I'm done.", "10", False),
    ("The answer is 17 because 17 is prime.", "17", True),
    ("the answer is: $-3$", "-3", True),
    ("Therefore, the answer is \\(\\sqrt{2}\\).", "\\sqrt{2}", True),
    ("Therefore, the answer is \\(\\sqrt{3}\\).", "\\sqrt{2}", False),
    ("**Final answer:** 81", "81", True),
    ("The expected value is $\\boxed{3.5}$ dollars.", "\\frac{7}{2}", True),
    ("So $x = \\boxed{-2}$", "-2", True),
    ("\\boxed{2} \\boxed{3} \\boxed{4}", "2", False),
    ("\\boxed 8", "8", True),
    ("x" * 100000 + " The answer is \\boxed{1}", "1", True),
]

# Harder realistic forms, labelled by mathematics (some are beyond today's rules: kept to measure honestly)
HARD: list[tuple[str, str, bool]] = [
    ("0.\\overline{3}", "\\frac{1}{3}", True),
    ("0.1\\overline{6}", "\\frac{1}{6}", True),
    ("0.\\overline{3}", "0.3", False),
    ("50\\%", "\\frac{1}{2}", True),
    ("\\$1,000", "1000", True),
    ("1.5 \\times 10^3", "1500", True),
    ("three", "3", True),
    ("\\frac{\\sqrt{3}}{2}i + \\frac{1}{2}", "\\frac12 + \\frac{\\sqrt3}{2}i", True),
    ("[2,5)", "2 \\le x < 5", True),
    ("\\emptyset", "\\{\\}", True),
    ("\\varnothing", "\\{1\\}", False),
    ("x > 2 \\text{ or } x < -1", "(-\\infty,-1)\\cup(2,\\infty)", True),
    ("x > 2 \\text{ or } x < 1", "(-\\infty,-1)\\cup(2,\\infty)", False),
    ("\\text{all real numbers}", "(-\\infty, \\infty)", True),
    ("\\mathbb{R}", "(-\\infty,\\infty)", True),
    ("\\frac{\\pi}{6}, \\frac{5\\pi}{6}", "\\frac{5\\pi}{6}, \\frac{\\pi}{6}", True),
    ("10!", "3628800", True),
    ("\\sqrt[4]{16}", "2", True),
    ("e^{-1}", "\\frac{1}{e}", True),
    ("\\frac{\\log 8}{\\log 2}", "3", True),
    ("\\frac{1}{\\sqrt{3}}", "\\frac{\\sqrt{3}}{3}", True),
    ("4\\pi", "12.566", False),
    ("x^2-5x+6=0", "(x-2)(x-3)=0", True),
    ("x^2-5x+6=0", "(x-2)(x+3)=0", False),
    ("\\sqrt{x^2}", "x", False),
    ("|x|", "x", False),
    ("\\ln(x^2)", "2\\ln|x|", True),
    ("\\frac{x^2-1}{x-1}", "x+1", True),
    ("\\cos^{-1}(0)", "\\frac{\\pi}{2}", True),
    ("\\tan^2 x + 1", "\\sec^2 x", True),
    ("2\\sin x\\cos x", "\\sin 2x", True),
    ("\\sin x^2", "\\sin^2 x", False),
    ("(a-b)(a+b)", "a^2-b^2", True),
    ("\\binom{n}{2}", "\\frac{n(n-1)}{2}", True),
    ("1,2,3", "(1,2,3)", True),
    ("\\{1,2,2\\}", "\\{1,2\\}", True),
    ("x=1, y=2", "(1,2)", True),
    ("\\text{yes}", "\\text{Yes}", True),
    ("\\text{no}", "\\text{yes}", False),
    ("\\frac{3}{2}\\text{ hours}", "1.5", True),
]

# Inputs built to hang, exhaust memory or crash a verifier: each must be rejected quickly
ADVERSARIAL: list[tuple[str, str]] = [
    ("\\boxed{2^{2^{2^{2^{2^{2}}}}}}", "4"),
    ("\\boxed{9^{9^{9^{9}}}}", "1"),
    ("\\boxed{10^{10^{10}}}", "0"),
    ("\\boxed{100000!}", "1"),
    ("\\boxed{(10^{6})!}", "2"),
    ("\\boxed{\\binom{10^9}{5\\cdot 10^8}}", "3"),
    ("\\boxed{" + "9" * 5000 + "}", "9"),
    ("\\boxed{" + "(" * 300 + "1" + ")" * 300 + "}", "2"),
    ("\\boxed{" + "{" * 500 + "1" + "}" * 500 + "}", "2"),
    ("\\boxed{" + "x+" * 2000 + "1}", "1"),
    ("\\boxed{" + "\\frac{1}{" * 100 + "2" + "}" * 100 + "}", "2"),
    ("\\boxed{2**2**2**2**2**2}", "16"),
    ("\\boxed{x^{x^{x^{x^{x^{x}}}}}}", "0"),
    ("\\boxed{__import__('os').system('echo hacked')}", "0"),
    ("\\boxed{lambda: 1}", "1"),
    ("\\boxed{().__class__.__bases__[0]}", "0"),
    ("\\boxed{eval('1')}", "1"),
    ("\\boxed{1e999999}", "1"),
    ("\\boxed{\\sqrt{\\sqrt{\\sqrt{\\sqrt{\\sqrt{\\sqrt{\\sqrt{\\sqrt{2}}}}}}}}^{10^{8}}}", "1"),
    ("\\boxed{\\sin(10^{10^{5}})}", "0"),
    ("\\boxed{\\text{" + "a" * 3000 + "}}", "a"),
    ("\\boxed{\u0000\u0001\u0002}", "0"),
    ("\\boxed{1/0}", "0"),
    ("\\boxed{0/0}", "0"),
    ("\\boxed{\\frac{1}{0}}", "\\infty"),
    ("\\boxed{\\infty - \\infty}", "0"),
    ("\\boxed{[[[[[[[[]]]]]]]]}", "0"),
    ("\\boxed{\\begin{pmatrix}" + "&".join(["1"] * 400) + "\\end{pmatrix}}", "1"),
    ("\\boxed{1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}", "1"),
]


def items() -> list[dict]:
    out: list[dict] = []
    k = 0
    for gi, (cat, gold, good, bad) in enumerate(GROUPS):
        for forms, label in ((good, True), (bad, False)):
            for form in forms:
                wrap = WRAPS[k % len(WRAPS)]
                k += 1
                out.append({"id": f"g{gi:03d}-{len(out):04d}", "category": cat, "response": wrap.format(x=form),
                            "gold": gold, "label": label})
    for i, (response, gold, label) in enumerate(EXTRACTION):
        out.append({"id": f"x{i:03d}", "category": "extraction", "response": response, "gold": gold, "label": label})
    for i, (answer, gold, label) in enumerate(HARD):
        wrap = WRAPS[i % len(WRAPS)]
        out.append({"id": f"h{i:03d}", "category": "hard", "response": wrap.format(x=answer), "gold": gold, "label": label})
    for i, (response, gold) in enumerate(ADVERSARIAL):
        out.append({"id": f"a{i:03d}", "category": "adversarial", "response": response, "gold": gold, "label": False})
    return out


def main() -> None:
    path = Path(__file__).with_name("math_labelled.jsonl")
    rows = items()
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} items to {path}")


if __name__ == "__main__":
    main()
