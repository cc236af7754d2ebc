#!/usr/bin/env python
"""Generate an independently labelled benchmark of (model output, gold) pairs
for math answer checkers: zeroplay/verifiers/data/math_outside.jsonl

Labels were assigned by hand (a human grader's judgement of whether the model's
final answer is mathematically equivalent to the gold for the problem), without
consulting the project's checker.  Self-contained: run with any Python 3.

Pairs considered and deliberately left out as genuinely ambiguous:
  * exact gold with only a rounded decimal answer (1/3 vs 0.33, sqrt(7) vs 2.65)
  * "expand"/"factor" problems answered in the other (equivalent) form
  * angle given in degrees when radians were asked (pi/6 vs 30 degrees), and vice versa
  * probability asked as decimal answered as percent (0.35 vs 35%)
  * zero matrix answered as "0"; quantities in a different but correct unit
  * polar point with negative radius; complex number in exponential form when rectangular asked


    python benchmarks/data_tools/make_math_outside.py [out_path]
"""
import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "zeroplay", "verifiers", "data", "math_outside.jsonl")

ITEMS = []
_wrap_counter = [0]


def _wrap(F, W, k):
    W = W.strip()
    if k == 0:
        s = f"{W}\n\nTherefore, the final answer is $\\boxed{{{F}}}$."
    elif k == 1:
        s = f"{W}\n\nFinal Answer: The final answer is ${F}$. I hope it is correct."
    elif k == 2:
        s = f"{W}\n\nThe answer is ${F}$."
    elif k == 3:
        s = (f"<think>\n{W}\n</think>\n<answer>{F}</answer>" if W else f"<answer>{F}</answer>")
    elif k == 4:
        s = f"{W}\n\n\\[\n\\boxed{{{F}}}\n\\]"
    elif k == 5:
        s = f"{W}\n\n**Answer:** ${F}$"
    elif k == 6:
        s = f"$\\boxed{{{F}}}$"
    else:
        s = f"{W}\nSo the answer is $\\boxed{{{F}}}$."
    return s.strip()


def a(cat, style, gold, F, label, note="", W="", wrap=None, raw=False):
    """Add a pair. F is the model's final answer (LaTeX, no $) unless raw=True,
    in which case F is the whole model output verbatim."""
    if raw:
        ans = F
    else:
        if wrap is None:
            k = _wrap_counter[0] % 8
            _wrap_counter[0] += 1
            if k == 6 and W:
                k = 7
        else:
            k = wrap
        ans = _wrap(F, W, k)
    ITEMS.append(dict(answer=ans, gold=gold, label=bool(label), category=cat,
                      source_style=style, note=note))


T, F_ = True, False

# ---------------------------------------------------------------- integer
W_even = r"The first six positive even integers are $2, 4, 6, 8, 10, 12$. Their sum is $2(1+2+3+4+5+6) = 2\cdot 21 = 42$."
a("integer", "MATH", "42", "42", T, W=W_even)
a("integer", "MATH", "42", "42.0", T, "trailing .0")
a("integer", "MATH", "42", "40", F_, "arithmetic slip 1+..+6=20",
  W=r"The first six positive even integers are $2,4,6,8,10,12$, so the sum is $2(1+2+3+4+5+6)=2\cdot 20=40$.")
a("integer", "AIME", "204", "204", T)
a("integer", "AIME", "204", "205", F_, "off by one")
a("integer", "AIME", "42", "042", T, "AIME three-digit padding")
a("integer", "AIME", "80", "080", T, "AIME three-digit padding")
a("integer", "MATH", "3", r"3 \text{ solutions}", T, "count with word")
a("integer", "MATH", "10", r"\text{ten}", T, "number word")
a("integer", "MATH", "1000", "1,000", T, "thousands comma")
a("integer", "MATH", "1000", "1{,}000", T, "LaTeX thousands comma")
a("integer", "MATH", "-7", "-7", T)
a("integer", "MATH", "-7", "7", F_, "sign error")
a("integer", "MATH", "120", "120", T,
  W=r"We arrange 5 distinct books on a shelf. There are $5$ choices for the first slot, $4$ for the second, and so on, giving $5\cdot4\cdot3\cdot2\cdot1 = 120$ arrangements.")
a("integer", "MATH", "120", "24", F_, "used 4! instead of 5!",
  W=r"Fix one book and arrange the remaining 4: $4! = 24$.")
a("integer", "MATH", "1024", "2^{10}", T, "unevaluated power equal to gold")
a("integer", "MATH", "4", "4", T,
  W=r"We compute $2^{1} \equiv 2$, $2^2\equiv 4$, $2^3 \equiv 3$, $2^4\equiv 1 \pmod 5$. Since $2022 = 4\cdot 505 + 2$, $2^{2022} \equiv 2^2 = 4 \pmod 5$.")
a("integer", "MATH", "4", "-1", F_, "congruent but not a remainder in [0,5)",
  W=r"Since $2^2 = 4 \equiv -1 \pmod 5$ and $2022 = 4\cdot505+2$, the remainder is $-1$.")
a("integer", "Omni-MATH", "2016", "2016", T)
a("integer", "Omni-MATH", "2016", "2015", F_, "off by one")
a("integer", "OlympiadBench", "$7$", "7", T, "gold wrapped in dollars")
a("integer", "OlympiadBench", "$7$", "6", F_)
a("integer", "AMC", "25", "25", T)
a("integer", "MATH", "0", "0", T)
a("integer", "MATH", "15", "16", F_, "counted an endpoint twice",
  W=r"The multiples of 7 between 1 and 110 are $7, 14, \dots, 105$, which is $105/7 = 15$ numbers; including 0 gives $16$.")

# ---------------------------------------------------------------- fraction
a("fraction", "MATH", r"\frac{3}{4}", r"\dfrac{3}{4}", T, "dfrac")
a("fraction", "MATH", r"\frac{3}{4}", "0.75", T, "decimal form")
a("fraction", "MATH", r"\frac{3}{4}", "3/4", T, "slash form")
a("fraction", "MATH", r"\frac{3}{4}", r"\frac{6}{8}", T, "unreduced but equal")
a("fraction", "MATH", r"\frac{3}{4}", r"\tfrac34", T, "tfrac without braces")
a("fraction", "MATH", r"\frac{3}{4}", r"\frac{4}{3}", F_, "reciprocal")
a("fraction", "MATH", r"\frac{3}{4}", r"\frac{3}{8}", F_, "forgot factor 2")
a("fraction", "MATH", r"-\frac{2}{5}", r"\frac{-2}{5}", T, "sign in numerator")
a("fraction", "MATH", r"-\frac{2}{5}", "-0.4", T)
a("fraction", "MATH", r"-\frac{2}{5}", r"\frac{2}{-5}", T, "sign in denominator")
a("fraction", "MATH", r"-\frac{2}{5}", r"\frac{2}{5}", F_, "sign error")
a("fraction", "MATH", r"-\frac{2}{5}", r"-\frac{5}{2}", F_, "reciprocal")
a("fraction", "MATH", r"\frac{7}{2}", r"3\frac{1}{2}", T, "mixed number")
a("fraction", "MATH", r"\frac{7}{2}", "3.5", T)
a("fraction", "MATH", r"\frac{7}{2}", r"\frac{7}{4}", F_)
a("fraction", "MATH", r"\frac{1}{12}", r"\frac{2}{24}", T, "unreduced")
a("fraction", "MATH", r"\frac{11}{36}", r"\frac{11}{36}", T,
  W=r"The probability that neither die shows a 6 is $\left(\frac{5}{6}\right)^2 = \frac{25}{36}$, so the probability that at least one die shows a 6 is $1 - \frac{25}{36} = \frac{11}{36}$.")
a("fraction", "MATH", r"\frac{11}{36}", r"\frac{25}{36}", F_, "complement",
  W=r"The probability that neither die shows a 6 is $\left(\frac{5}{6}\right)^2 = \frac{25}{36}$.")
a("fraction", "MATH", r"\frac{11}{36}", r"\frac{1}{3}", F_, "double counted (1/6+1/6)",
  W=r"Each die shows a 6 with probability $\frac16$, so at least one shows a 6 with probability $\frac16+\frac16 = \frac13$.")
a("fraction", "DeepMind-math", "-5/3", r"-\frac{5}{3}", T)
a("fraction", "DeepMind-math", "-5/3", r"\frac{5}{3}", F_, "sign error")
a("fraction", "MATH", r"\frac{1}{12}", r"\frac{1}{6}", F_, "forgot to halve")

# ---------------------------------------------------------------- decimal
a("decimal", "MATH", "2.5", r"\frac{5}{2}", T)
a("decimal", "MATH", "2.5", "2.50", T, "trailing zero")
a("decimal", "MATH", "2.5", "25", F_, "decimal point dropped")
a("decimal", "MATH", "3.6", "3.6", T,
  W=r"The mean is $\frac{2.1+3.4+4.9+3.8}{4} = \frac{14.2}{4} = 3.55$, which to the nearest tenth is $3.6$.")
a("decimal", "MATH", "3.6", "3.55", F_, "not rounded to nearest tenth as asked",
  W=r"The mean is $\frac{2.1+3.4+4.9+3.8}{4} = \frac{14.2}{4} = 3.55$.")
a("decimal", "MATH", "3.6", "3.5", F_, "rounded the wrong way")
a("decimal", "MATH", "0.5", ".5", T, "no leading zero")
a("decimal", "MATH", "1.25", "1.250", T)
a("decimal", "MATH", "1.25", r"\frac54", T)
a("decimal", "MATH", "1.25", "1.2", F_, "truncated")
a("decimal", "MATH", "17.5", "17.50", T)
a("decimal", "MATH", "17.5", "17.05", F_, "misplaced digit")
a("decimal", "DeepMind-math", "-0.3", "-.3", T)
a("decimal", "DeepMind-math", "-0.3", "-0.03", F_, "decimal place error")
a("decimal", "Minerva", "0.25", r"\frac{1}{4}", T)

# ---------------------------------------------------------------- radical
a("radical", "MATH", r"2\sqrt{3}", r"\sqrt{12}", T, "unsimplified radical")
a("radical", "MATH", r"2\sqrt{3}", r"2 \sqrt 3", T, "no braces")
a("radical", "MATH", r"2\sqrt{3}", r"2\cdot\sqrt{3}", T)
a("radical", "MATH", r"2\sqrt{3}", r"3\sqrt{2}", F_, "swapped")
a("radical", "MATH", r"2\sqrt{3}", r"\sqrt{6}", F_)
a("radical", "MATH", r"2\sqrt{3}", r"4\sqrt{3}", F_, "forgot to halve",
  W=r"The side length is $4$, so the altitude of the equilateral triangle is $\frac{\sqrt3}{2}\cdot 4 \cdot 2 = 4\sqrt3$.")
a("radical", "MATH", r"\frac{\sqrt{3}}{2}", r"\frac{1}{2}\sqrt{3}", T)
a("radical", "MATH", r"\frac{\sqrt{3}}{2}", r"\sqrt{3}/2", T)
a("radical", "MATH", r"\frac{\sqrt{3}}{2}", r"\frac{3}{2\sqrt{3}}", T, "unrationalized equal form")
a("radical", "MATH", r"\frac{\sqrt{3}}{2}", r"\frac{\sqrt{2}}{2}", F_)
a("radical", "MATH", r"\frac{\sqrt{3}}{2}", r"\frac{\sqrt{3}}{3}", F_)
a("radical", "MATH", r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}", T, "unrationalized")
a("radical", "MATH", r"\frac{\sqrt{2}}{2}", r"\sqrt{\frac{1}{2}}", T)
a("radical", "MATH", r"\frac{\sqrt{2}}{2}", r"\frac{1}{2}", F_)
a("radical", "MATH", r"5\sqrt{2}-3", r"-3+5\sqrt{2}", T, "reordered")
a("radical", "MATH", r"5\sqrt{2}-3", r"5\sqrt{2}+3", F_, "sign error")
a("radical", "MATH", r"\sqrt[3]{4}", r"2^{2/3}", T)
a("radical", "MATH", r"\sqrt[3]{4}", r"4^{1/3}", T)
a("radical", "MATH", r"\sqrt[3]{4}", r"\sqrt[3]{2}", F_)
a("radical", "MATH", r"3+2\sqrt{2}", r"(1+\sqrt{2})^2", T, "unexpanded but equal")
a("radical", "MATH", r"3+2\sqrt{2}", r"3-2\sqrt{2}", F_, "conjugate")
a("radical", "MATH", r"\sqrt{13}", r"\sqrt{13}", T,
  W=r"The distance between $(1,2)$ and $(4,4)$ is $\sqrt{(4-1)^2+(4-2)^2} = \sqrt{9+4} = \sqrt{13}$.")
a("radical", "MATH", r"\sqrt{13}", "13", F_, "forgot square root",
  W=r"The squared distance is $(4-1)^2+(4-2)^2 = 13$.")

# ---------------------------------------------------------------- pi-expression
a("pi-expression", "MATH", r"16\pi", r"16 \pi", T)
a("pi-expression", "MATH", r"16\pi", r"\pi \cdot 16", T)
a("pi-expression", "MATH", r"16\pi", r"16\pi \text{ square units}", T, "units text")
a("pi-expression", "MATH", r"16\pi", r"8\pi", F_, "circumference-style slip")
a("pi-expression", "MATH", r"16\pi", r"16\pi^2", F_)
a("pi-expression", "MATH", r"16\pi", r"64\pi", F_, "used diameter as radius",
  W=r"The diameter is $8$, so the area is $\pi \cdot 8^2 = 64\pi$.")
a("pi-expression", "MATH", r"\frac{9\pi}{2}", r"4.5\pi", T)
a("pi-expression", "MATH", r"\frac{9\pi}{2}", r"\frac{9}{2}\pi", T)
a("pi-expression", "MATH", r"\frac{9\pi}{2}", r"\frac{9\pi}{4}", F_)
a("pi-expression", "MATH", r"36 - 9\pi", r"9(4-\pi)", T, "factored")
a("pi-expression", "MATH", r"36 - 9\pi", r"36-9\pi", T,
  W=r"The square has area $6^2 = 36$ and the inscribed circle has radius $3$, area $9\pi$. The shaded region is $36 - 9\pi$.")
a("pi-expression", "MATH", r"36 - 9\pi", r"9\pi-36", F_, "sign reversed")
a("pi-expression", "MATH", r"\frac{32\pi}{3}", r"\frac{32}{3}\pi", T)
a("pi-expression", "MATH", r"\frac{32\pi}{3}", r"\frac{16\pi}{3}", F_)

# ---------------------------------------------------------------- polynomial
a("polynomial", "MATH", "x^2+2x+1", "1+2x+x^2", T, "reordered terms")
a("polynomial", "MATH", "x^2+2x+1", "x^2 + 2x + 1", T)
a("polynomial", "MATH", "x^2+2x+1", "x^2+2x-1", F_)
a("polynomial", "MATH", "x^2+2x+1", "x^2+x+1", F_, "missed the cross term factor 2")
a("polynomial", "MATH", "6x^3-4x^2+2x", "6x^3 - 4x^2 + 2x", T,
  W=r"Distributing, $2x(3x^2 - 2x + 1) = 6x^3 - 4x^2 + 2x$.")
a("polynomial", "MATH", "6x^3-4x^2+2x", "6x^3-4x^2-2x", F_, "sign error")
a("polynomial", "MATH", "6x^3-4x^2+2x", "2x-4x^2+6x^3", T, "ascending order")
a("polynomial", "MATH", "3x^2-7x+4", "3x^{2}-7x+4", T)
a("polynomial", "MATH", "3x^2-7x+4", "3x^2+7x+4", F_)
a("polynomial", "MATH", "x^3-3x^2+3x-1", "x^3-3x^2+3x-1", T)
a("polynomial", "MATH", "x^3-3x^2+3x-1", "x^3-3x^2-3x-1", F_)
a("polynomial", "MATH", "(x-3)(x+2)", "(x+2)(x-3)", T, "factor order")
a("polynomial", "MATH", "(x-3)(x+2)", "(x-2)(x+3)", F_, "signs swapped")
a("polynomial", "DeepMind-math", "-2*x**2 + 3", "-2x^2+3", T, "python-style gold")
a("polynomial", "DeepMind-math", "-2*x**2 + 3", "3 - 2x^2", T)
a("polynomial", "DeepMind-math", "-2*x**2 + 3", "2x^2+3", F_)
a("polynomial", "DeepMind-math", "(x - 1)*(x + 2)", "(x+2)(x-1)", T)
a("polynomial", "DeepMind-math", "(x - 1)*(x + 2)", "(x+1)(x-2)", F_)

# ---------------------------------------------------------------- equation
a("equation", "MATH", "y = 2x + 3", "y=2x+3", T)
a("equation", "MATH", "y = 2x + 3", "y = 3 + 2x", T)
a("equation", "MATH", "y = 2x + 3", "y - 2x = 3", T, "rearranged equation")
a("equation", "MATH", "y = 2x + 3", "y = 2x - 3", F_)
a("equation", "MATH", "y = 2x + 3", "y = 3x + 2", F_, "slope/intercept swapped")
a("equation", "MATH", "x^2+y^2=25", "x^2 + y^2 = 25", T)
a("equation", "MATH", "x^2+y^2=25", "y^2+x^2=25", T)
a("equation", "MATH", "x^2+y^2=25", "x^2+y^2=5", F_, "radius not squared")
a("equation", "MATH", "5", "x = 5", T, "value given as equation")
a("equation", "MATH", "-2", "x = 2", F_, "sign error")
a("equation", "MATH", r"\frac{3}{2}", r"x=\frac{3}{2}", T)
a("equation", "MATH", r"\frac{3}{2}", "x = 1.5", T)
a("equation", "MATH", "2x - y + 3z - 8 = 0", "2x - y + 3z = 8", T, "same plane")
a("equation", "MATH", "2x - y + 3z - 8 = 0", "2x - y + 3z + 8 = 0", F_, "constant sign")
a("equation", "MATH", r"y = -\frac{1}{2}x + 4", "y = -0.5x + 4", T)
a("equation", "MATH", r"y = -\frac{1}{2}x + 4", "x + 2y = 8", T, "standard form, same line")
a("equation", "MATH", r"y = -\frac{1}{2}x + 4", r"y = \frac{1}{2}x + 4", F_, "slope sign")

# ---------------------------------------------------------------- inequality
a("inequality", "MATH", r"x \ge 4", r"x \geq 4", T)
a("inequality", "MATH", r"x \ge 4", r"4 \le x", T, "reversed sides")
a("inequality", "MATH", r"x \ge 4", "x > 4", F_, "strict vs non-strict")
a("inequality", "MATH", r"x \ge 4", r"[4, \infty)", T, "interval notation")
a("inequality", "MATH", "-2 < x < 3", "(-2, 3)", T, "interval notation")
a("inequality", "MATH", "-2 < x < 3", r"-2 \le x \le 3", F_, "endpoints included")
a("inequality", "MATH", "-2 < x < 3", r"x > -2 \text{ and } x < 3", T)
a("inequality", "MATH", r"x \le 1", r"x \ge 1", F_, "direction flipped")
a("inequality", "MATH", r"x \le 1", r"x \leqslant 1", T)
a("inequality", "MATH", r"x < -1 \text{ or } x > 5", r"x<-1 \text{ or } x>5", T,
  W=r"We need $x^2 - 4x - 5 > 0$, i.e. $(x-5)(x+1) > 0$. This holds when both factors have the same sign.")
a("inequality", "MATH", r"x < -1 \text{ or } x > 5", "-1 < x < 5", F_, "solved the complementary inequality",
  W=r"We need $x^2-4x-5>0$, i.e. $(x-5)(x+1)>0$, which is negative between the roots.")

# ---------------------------------------------------------------- interval
a("interval", "MATH", r"(-\infty, 2]", r"(-\infty,2]", T)
a("interval", "MATH", r"(-\infty, 2]", r"x \le 2", T, "inequality form")
a("interval", "MATH", r"(-\infty, 2]", r"(-\infty, 2)", F_, "wrong bracket")
a("interval", "MATH", r"(-\infty, 2]", r"[2, \infty)", F_, "wrong side")
a("interval", "MATH", r"(-\infty, 2]", r"\left(-\infty, 2\right]", T, "left/right")
a("interval", "MATH", "[-3, 5)", "[-3,5)", T)
a("interval", "MATH", "[-3, 5)", "[-3, 5]", F_, "wrong bracket")
a("interval", "MATH", "[-3, 5)", r"-3 \le x < 5", T)
a("interval", "MATH", "[-3, 5)", "(-3, 5)", F_, "wrong bracket")
a("interval", "MATH", r"[1, \infty)", r"[1, +\infty)", T)
a("interval", "MATH", r"[1, \infty)", r"(1, \infty)", F_, "endpoint excluded")
a("interval", "MATH", r"[1, \infty)", r"[1,\infty)", T,
  W=r"We need $x - 1 \ge 0$ for the square root to be defined, so $x \ge 1$.")
a("interval", "MATH", r"\left[ -\frac{1}{2}, \frac{3}{2} \right]", "[-0.5, 1.5]", T)
a("interval", "MATH", r"\left[ -\frac{1}{2}, \frac{3}{2} \right]", r"\left[-\frac{1}{2}, \frac{3}{2}\right)", F_, "wrong bracket")
a("interval", "MATH", r"[0, 4]", r"[0,4]", T,
  W=r"Since $-1 \le \sin x \le 1$, the expression $2\sin x + 2$ ranges from $0$ to $4$.")
a("interval", "MATH", r"[0, 4]", r"[-1, 1]", F_, "gave range of sin x itself")

# ---------------------------------------------------------------- union-of-intervals
a("union-of-intervals", "MATH", r"(-\infty, -2) \cup (3, \infty)", r"(-\infty,-2)\cup(3,\infty)", T)
a("union-of-intervals", "MATH", r"(-\infty, -2) \cup (3, \infty)", r"(3,\infty) \cup (-\infty,-2)", T, "order of union")
a("union-of-intervals", "MATH", r"(-\infty, -2) \cup (3, \infty)", r"(-\infty, -2] \cup [3, \infty)", F_, "closed brackets")
a("union-of-intervals", "MATH", r"(-\infty, -2) \cup (3, \infty)", "(-2, 3)", F_, "complement")
a("union-of-intervals", "MATH", r"(-\infty, -2) \cup (3, \infty)", r"x < -2 \text{ or } x > 3", T)
a("union-of-intervals", "MATH", r"(-\infty, -2) \cup (3, \infty)", r"(-\infty, -2) \text{ U } (3, \infty)", T, "letter U for union")
a("union-of-intervals", "MATH", r"[-1, 0) \cup (0, 1]", r"[-1,1] \setminus \{0\}", T)
a("union-of-intervals", "MATH", r"[-1, 0) \cup (0, 1]", "[-1, 1]", F_, "forgot to exclude 0")
a("union-of-intervals", "MATH", r"[-1, 0) \cup (0, 1]", r"(-1, 0) \cup (0, 1)", F_, "endpoints")
a("union-of-intervals", "MATH", r"(-\infty, 1) \cup (1, \infty)", r"\mathbb{R}\setminus\{1\}", T)
a("union-of-intervals", "MATH", r"(-\infty, 1) \cup (1, \infty)", r"(-\infty, \infty)", F_)
a("union-of-intervals", "MATH", r"(-\infty, 1) \cup (1, \infty)", r"(-\infty, 1] \cup [1, \infty)", F_, "includes 1")
a("union-of-intervals", "MATH", r"(-\infty, -3] \cup [3, \infty)", r"(-\infty,-3]\cup[3,\infty)", T,
  W=r"We need $x^2 - 9 \ge 0$, so $|x| \ge 3$.")
a("union-of-intervals", "MATH", r"(-\infty, -3] \cup [3, \infty)", r"(-\infty, -3) \cup (3, \infty)", F_, "open brackets")
a("union-of-intervals", "MATH", r"(-\infty, -3] \cup [3, \infty)", "[-3, 3]", F_, "complement with endpoints")

# ---------------------------------------------------------------- set (solution lists)
W_quad = r"Factoring, $x^2 - x - 6 = (x-3)(x+2) = 0$."
a("set", "MATH", "-2, 3", "3, -2", T, "order of solutions", W=W_quad)
a("set", "MATH", "-2, 3", r"\{-2, 3\}", T, "set braces")
a("set", "MATH", "-2, 3", r"x = -2 \text{ or } x = 3", T)
a("set", "MATH", "-2, 3", "3", F_, "missing a solution", W=W_quad + r" Since we need a positive root, ")
a("set", "MATH", "-2, 3", "-2, 3, 0", F_, "extra solution")
a("set", "MATH", "-2, 3", "2, -3", F_, "sign error on both roots",
  W=r"Factoring, $x^2 - x - 6 = (x+3)(x-2)$.")
a("set", "MATH", "1, 2, 3", "1,2,3", T)
a("set", "MATH", "1, 2, 3", r"\{1, 2, 3\}", T)
a("set", "MATH", "1, 2, 3", "1, 2", F_, "missing a solution")
a("set", "MATH", r"\{1, 3, 5\}", r"\{5, 3, 1\}", T)
a("set", "MATH", r"\{1, 3, 5\}", r"\{1, 3\}", F_, "missing element")
a("set", "MATH", "-2, 2", r"\pm 2", T, "plus-minus notation")
a("set", "MATH", "-2, 2", "2", F_, "missing negative root")
a("set", "MATH", r"\frac{1}{2}, -3", "-3, 0.5", T)
a("set", "MATH", r"\frac{1}{2}, -3", r"\frac{1}{2}, 3", F_)
a("set", "MATH", r"\emptyset", r"\varnothing", T)
a("set", "MATH", r"\emptyset", r"\{0\}", F_, "set containing 0 is not empty")
a("set", "DeepMind-math", "2, 5", "5, 2", T)
a("set", "DeepMind-math", "2, 5", "2, -5", F_)

# ---------------------------------------------------------------- tuple/point
a("tuple", "MATH", "(2, -3)", "(2,-3)", T,
  W=r"Adding the equations $x + y = -1$ and $x - y = 5$ gives $2x = 4$, so $x = 2$ and $y = -3$.")
a("tuple", "MATH", "(2, -3)", "(-3, 2)", F_, "swapped order")
a("tuple", "MATH", "(2, -3)", "x=2, y=-3", T, "named coordinates")
a("tuple", "MATH", "(2, -3)", "(2, 3)", F_, "sign error")
a("tuple", "MATH", "(2, -3)", r"\left(2, -3\right)", T)
a("tuple", "MATH", r"(1, \frac{1}{2})", "(1, 0.5)", T)
a("tuple", "MATH", r"(1, \frac{1}{2})", r"\left(1,\tfrac12\right)", T)
a("tuple", "MATH", r"(1, \frac{1}{2})", r"(\frac{1}{2}, 1)", F_, "swapped order")
a("tuple", "MATH", r"\left( 3, \frac{\pi}{2} \right)", r"\left(3, \frac{\pi}{2}\right)", T, "polar coordinates",
  W=r"We have $r = \sqrt{0^2 + 3^2} = 3$, and the point $(0,3)$ lies on the positive $y$-axis, so $\theta = \frac{\pi}{2}$.")
a("tuple", "MATH", r"\left( 3, \frac{\pi}{2} \right)", r"(3, \frac{\pi}{4})", F_, "wrong angle")
a("tuple", "MATH", "(4,7)", "a = 4, b = 7", T, "named values for (a,b)")
a("tuple", "MATH", "(4,7)", "(7,4)", F_, "swapped")
a("tuple", "MATH", "(1, -1, 2)", "(1,-1,2)", T)
a("tuple", "MATH", "(1, -1, 2)", "(1, 2, -1)", F_, "swapped coordinates")
a("tuple", "OlympiadBench", "$(2,3),(3,2)$", "(3,2), (2,3)", T, "order of solution pairs")
a("tuple", "OlympiadBench", "$(2,3),(3,2)$", "(2,3)", F_, "missing symmetric solution")
a("tuple", "MATH", r"(-1, 4)", r"(-1,4)", T,
  W=r"The midpoint of $(-3, 1)$ and $(1, 7)$ is $\left(\frac{-3+1}{2}, \frac{1+7}{2}\right) = (-1, 4)$.")
a("tuple", "MATH", r"(-1, 4)", r"(-2, 8)", F_, "forgot to divide by 2",
  W=r"The midpoint of $(-3,1)$ and $(1,7)$ is $(-3+1, 1+7)$.")

# ---------------------------------------------------------------- vector
P12 = r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"
a("vector", "MATH", P12, r"\begin{pmatrix}1\\2\end{pmatrix}", T, "no spaces")
a("vector", "MATH", P12, r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}", T, "bmatrix")
a("vector", "MATH", P12, r"\begin{pmatrix} 2 \\ 1 \end{pmatrix}", F_, "swapped components")
a("vector", "MATH", P12, r"\begin{pmatrix} -1 \\ 2 \end{pmatrix}", F_, "sign error")
a("vector", "MATH", P12, "(1, 2)", T, "tuple notation for vector")
P34 = r"\begin{pmatrix} 3/5 \\ 4/5 \end{pmatrix}"
a("vector", "MATH", P34, r"\begin{pmatrix} \frac{3}{5} \\ \frac{4}{5} \end{pmatrix}", T)
a("vector", "MATH", P34, r"\begin{pmatrix} 0.6 \\ 0.8 \end{pmatrix}", T)
a("vector", "MATH", P34, r"\frac{1}{5}\begin{pmatrix} 3 \\ 4 \end{pmatrix}", T, "scalar factored out")
a("vector", "MATH", P34, r"\begin{pmatrix} 3 \\ 4 \end{pmatrix}", F_, "not normalized",
  W=r"The vector $\begin{pmatrix} 3 \\ 4 \end{pmatrix}$ has length $5$; it points in the required direction.")
P632 = r"\begin{pmatrix} 6 \\ -3 \\ 2 \end{pmatrix}"
W_cross = (r"With $\mathbf{a} = \begin{pmatrix} 1 \\ 2 \\ 0 \end{pmatrix}$ and $\mathbf{b} = \begin{pmatrix} 0 \\ 2 \\ 3 \end{pmatrix}$, "
           r"$\mathbf{a}\times\mathbf{b} = \begin{pmatrix} 2\cdot 3 - 0\cdot 2 \\ 0\cdot 0 - 1\cdot 3 \\ 1\cdot 2 - 2\cdot 0 \end{pmatrix}$.")
a("vector", "MATH", P632, r"\begin{pmatrix} 6 \\ -3 \\ 2 \end{pmatrix}", T, W=W_cross)
a("vector", "MATH", P632, r"\langle 6, -3, 2 \rangle", T, "angle-bracket vector")
a("vector", "MATH", P632, r"\begin{pmatrix} -6 \\ 3 \\ -2 \end{pmatrix}", F_, "computed b x a")

# ---------------------------------------------------------------- matrix
M2174 = r"\begin{pmatrix} 2 & 1 \\ 7 & 4 \end{pmatrix}"
W_inv = (r"For $\mathbf{A} = \begin{pmatrix} 4 & -1 \\ -7 & 2 \end{pmatrix}$, $\det \mathbf{A} = 4\cdot 2 - (-1)(-7) = 8 - 7 = 1$, "
         r"so $\mathbf{A}^{-1} = \frac{1}{1}\begin{pmatrix} 2 & 1 \\ 7 & 4 \end{pmatrix}$.")
a("matrix", "MATH", M2174, r"\begin{bmatrix} 2 & 1 \\ 7 & 4 \end{bmatrix}", T, "bmatrix", W=W_inv)
a("matrix", "MATH", M2174, r"\begin{pmatrix} 2 & 7 \\ 1 & 4 \end{pmatrix}", F_, "transposed")
a("matrix", "MATH", M2174, r"\begin{pmatrix}2&1\\7&4\end{pmatrix}", T)
a("matrix", "MATH", M2174, r"\left[\begin{array}{cc} 2 & 1 \\ 7 & 4 \end{array}\right]", T, "array environment")
a("matrix", "MATH", M2174, r"\begin{pmatrix} 2 & -1 \\ -7 & 4 \end{pmatrix}", F_, "sign pattern of adjugate wrong")
MH = r"\begin{pmatrix} 1/2 & -1/2 \\ 1/2 & 1/2 \end{pmatrix}"
a("matrix", "MATH", MH, r"\frac{1}{2}\begin{pmatrix} 1 & -1 \\ 1 & 1 \end{pmatrix}", T, "scalar factored")
a("matrix", "MATH", MH, r"\begin{pmatrix} 0.5 & -0.5 \\ 0.5 & 0.5 \end{pmatrix}", T)
a("matrix", "MATH", MH, r"\begin{pmatrix} 1/2 & 1/2 \\ -1/2 & 1/2 \end{pmatrix}", F_, "transposed")
M52 = r"\begin{pmatrix} -5 & 2 \\ 3 & -1 \end{pmatrix}"
a("matrix", "MATH", M52, r"\begin{pmatrix} 5 & -2 \\ -3 & 1 \end{pmatrix}", F_, "forgot det = -1",
  W=r"For $\begin{pmatrix} 1 & 2 \\ 3 & 5 \end{pmatrix}$ we swap the diagonal and negate the off-diagonal entries.")
a("matrix", "MATH", M52, r"-\begin{pmatrix} 5 & -2 \\ -3 & 1 \end{pmatrix}", T, "scalar -1 outside",
  W=r"The determinant of $\begin{pmatrix} 1 & 2 \\ 3 & 5 \end{pmatrix}$ is $5 - 6 = -1$.")
a("matrix", "MATH", r"\begin{pmatrix} 0 & 0 \\ 0 & 0 \end{pmatrix}", r"\begin{pmatrix} 0 & 0 \\ 0 & 0 \end{pmatrix}", T,
  W=r"The matrix has determinant $6\cdot 2 - 4\cdot 3 = 0$, so the inverse does not exist and we enter the zero matrix.")

# ---------------------------------------------------------------- complex
a("complex", "MATH", "3 - 4i", "3-4i", T)
a("complex", "MATH", "3 - 4i", "-4i + 3", T, "reordered")
a("complex", "MATH", "3 - 4i", "3+4i", F_, "conjugate")
a("complex", "MATH", "3 - 4i", "3 - 4 i", T)
a("complex", "MATH", "3 - 4i", "4 - 3i", F_)
a("complex", "MATH", "-1 + i", "i - 1", T)
a("complex", "MATH", "-1 + i", "-1 - i", F_, "conjugate")
a("complex", "MATH", "2i", "0 + 2i", T)
a("complex", "MATH", "2i", "-2i", F_, "sign error")
a("complex", "MATH", r"\frac{1}{2} + \frac{\sqrt{3}}{2}i", r"\frac{1+i\sqrt{3}}{2}", T, "combined fraction")
a("complex", "MATH", r"\frac{1}{2} + \frac{\sqrt{3}}{2}i", r"\frac{1}{2} - \frac{\sqrt{3}}{2}i", F_, "conjugate")
W_cdiv = r"Multiply numerator and denominator by $3-4i$: $\frac{(3-4i)^2}{(3+4i)(3-4i)} = \frac{9 - 24i + 16i^2}{25} = \frac{-7-24i}{25}$."
a("complex", "MATH", r"-\frac{7}{25} - \frac{24}{25}i", r"\frac{-7-24i}{25}", T, W=W_cdiv)
a("complex", "MATH", r"-\frac{7}{25} - \frac{24}{25}i", "-0.28 - 0.96i", T, "decimal parts")
a("complex", "MATH", r"-\frac{7}{25} - \frac{24}{25}i", r"\frac{7}{25} - \frac{24}{25}i", F_, "used i^2=+1 effectively",
  W=r"Multiply by the conjugate: $\frac{(3-4i)^2}{25}$, and $(3-4i)^2 = 16 - 24i - 9 = 7 - 24i$, giving $\frac{7-24i}{25}$.")

# ---------------------------------------------------------------- degrees/angle
a("degrees", "MATH", r"30^\circ", "30", T, "bare number for degrees")
a("degrees", "MATH", r"30^\circ", "30°", T, "unicode degree sign")
a("degrees", "MATH", r"30^\circ", r"30 \text{ degrees}", T)
a("degrees", "MATH", r"30^\circ", r"60^\circ", F_, "complement")
a("degrees", "MATH", "120", r"120^\circ", T,
  W=r"Each interior angle of a regular hexagon is $\frac{(6-2)\cdot 180^\circ}{6} = 120^\circ$.")
a("degrees", "MATH", "120", r"120^{\circ}", T)
a("degrees", "MATH", "120", r"240^\circ", F_, "reflex angle")
a("degrees", "MATH", "120", r"60^\circ", F_, "exterior angle",
  W=r"Each exterior angle of a regular hexagon is $\frac{360^\circ}{6} = 60^\circ$.")
# (dropped: gold \frac{\pi}{6} vs "30^\circ" -- degrees-vs-radians acceptance is grader-dependent)
a("degrees", "MATH", "45", r"45^\circ", T)
a("degrees", "MATH", r"\frac{5\pi}{6}", r"\frac{5}{6}\pi", T)
a("degrees", "MATH", r"\frac{5\pi}{6}", r"\frac{\pi}{6}", F_, "reference angle instead of angle")

# ---------------------------------------------------------------- percent
a("percent", "MATH", r"25\%", r"25\%", T)
a("percent", "MATH", r"25\%", "25", T, "percent sign omitted")
a("percent", "MATH", r"25\%", r"0.25\%", F_, "fraction written with percent sign")
a("percent", "MATH", r"25\%", r"75\%", F_, "complement")
a("percent", "MATH", r"20\%", r"20 \text{ percent}", T)
a("percent", "MATH", r"20\%", r"2\%", F_)
a("percent", "MATH", "12.5", r"12.5\%", T)
a("percent", "MATH", "12.5", r"12\%", F_, "rounded although not asked")
a("percent", "GSM8K", "40",
  "There are 30 students and 12 of them passed, so 12/30 = 0.4 of the class passed.\nThat is 0.4 * 100 = 40%.\n#### 40%", T, raw=True)
a("percent", "GSM8K", "40",
  "There are 30 students and 12 of them passed, so 30 - 12 = 18 failed.\n18/30 = 0.6, so 60% of the class.\n#### 60", F_,
  "computed the complementary percentage", raw=True)
a("percent", "MATH", r"150\%", r"150\%", T,
  W=r"The price went from $\$20$ to $\$50$, an increase of $\$30$, which is $\frac{30}{20} = 1.5 = 150\%$ of the original.")
a("percent", "MATH", r"150\%", r"60\%", F_, "divided by the new price",
  W=r"The increase is $\$30$, and $\frac{30}{50} = 0.6$.")

# ---------------------------------------------------------------- units
a("units", "MATH", "24", r"24 \text{ cm}^2", T, "unit attached")
a("units", "MATH", "24", r"24\,\mathrm{cm}^2", T, "mathrm unit")
a("units", "MATH", "24", r"48 \text{ cm}^2", F_, "forgot the 1/2",
  W=r"The legs are $6$ cm and $8$ cm, so the area is $6 \cdot 8 = 48$.")
a("units", "MATH", "12", r"12 \text{ inches}", T)
a("units", "MATH", "12", r"12\text{ in}", T)
a("units", "GSM8K", "150",
  "Maria walks for 2.5 hours in total.\nThere are 60 minutes in an hour, so she walks 2.5 * 60 = <<2.5*60=150>>150 minutes.\n#### 150", T, raw=True)
a("units", "GSM8K", "150",
  "Maria walks for 2.5 hours in total.\nConverting to minutes: 2.5 * 100 = 250 minutes.\n#### 250", F_,
  "wrong hours-to-minutes conversion", raw=True)
a("units", "MATH", "60", r"60 \text{ mph}", T)
a("units", "MATH", "60", r"60 \text{ miles per hour}", T,
  W=r"The car travels $150$ miles in $2.5$ hours, so its average speed is $\frac{150}{2.5} = 60$.")
a("units", "MATH", "108", r"90 \text{ inches}", F_, "used 10 inches per foot",
  W=r"The board is $9$ feet long, i.e. $9 \times 10 = 90$ inches.")
a("units", "MATH", "108", r"108 \text{ in.}", T,
  W=r"The board is $9$ feet long, i.e. $9 \times 12 = 108$ inches.")
a("units", "Minerva", "500", r"500 \, \text{nm}", T, "unit attached")
a("units", "Minerva", "500", r"50 \, \text{nm}", F_, "power of ten slip")
a("units", "MATH", "7", r"7\text{ meters}", T)

# ---------------------------------------------------------------- currency
a("currency", "GSM8K", "18", "Janet makes $18 every day at the farmers' market.", T, "dollar sign in plain text", raw=True)
a("currency", "GSM8K", "18", r"\$18.00", T, "cents shown")
a("currency", "GSM8K", "18", r"18 \text{ dollars}", T)
a("currency", "GSM8K", "18",
  "Janet's ducks lay 16 eggs. She eats 3 and bakes with 4, so she uses 3 + 4 = 8 eggs.\nShe sells 16 - 8 = 8 eggs at $2 each, making 8 * 2 = $16.\nThe answer is $16.", F_,
  "arithmetic slip 9 -> 8", raw=True)
a("currency", "MATH", r"\$1.25", "1.25", T, "dollar sign omitted")
a("currency", "MATH", r"\$1.25", r"\$1.25", T)
a("currency", "MATH", r"\$1.25", r"\$1.52", F_, "digits transposed")
a("currency", "MATH", "2.50", r"\$2.5", T)
a("currency", "GSM8K", "1260", r"\$1,260", T, "dollar and comma")
a("currency", "GSM8K", "1260", r"\$1,206", F_, "digits transposed")
a("currency", "MATH", r"\$42.50", "42.5", T)
a("currency", "MATH", r"\$42.50", r"\$425", F_, "decimal point lost")
a("currency", "GSM8K", "35",
  "Each ticket costs $7 and they buy 5 tickets, so the total is 5 x $7 = $35.\n\nThe answer is \\$35.", T, raw=True)
a("currency", "GSM8K", "35",
  "Each ticket costs $7 and they buy 5 tickets, so the total is 5 x $7 = $35. With the $5 discount they pay $30.\n\nThe answer is $30.", F_,
  "applied a discount not in the problem", raw=True)

# ---------------------------------------------------------------- scientific-notation
a("scientific-notation", "MATH", r"3.2 \times 10^{5}", "320000", T, "expanded")
a("scientific-notation", "Minerva", r"3.2 \times 10^{5}", "3.2e5", T, "e-notation")
a("scientific-notation", "MATH", r"3.2 \times 10^{5}", r"3.2\cdot 10^5", T, "cdot")
a("scientific-notation", "MATH", r"3.2 \times 10^{5}", r"3.2 \times 10^{6}", F_, "exponent off by one")
a("scientific-notation", "MATH", r"3.2 \times 10^{5}", r"32 \times 10^4", T, "non-normalized mantissa")
a("scientific-notation", "MATH", r"4.5 \times 10^{-4}", "0.00045", T)
a("scientific-notation", "MATH", r"4.5 \times 10^{-4}", "0.0045", F_, "exponent off by one")
a("scientific-notation", "MATH", r"4.5 \times 10^{-4}", r"4.5\times10^{-4}", T)
a("scientific-notation", "Minerva", "1.5e11", r"1.5 \times 10^{11} \text{ m}", T, "unit attached")
a("scientific-notation", "Minerva", "1.5e11", r"1.5 \times 10^{10}", F_, "exponent off by one")
a("scientific-notation", "Minerva", "6.0e23", r"6 \times 10^{23}", T)
a("scientific-notation", "Minerva", "6.0e23", r"6 \times 10^{-23}", F_, "exponent sign")

# ---------------------------------------------------------------- multiple-choice
a("multiple-choice", "AMC", "C", "C", T)
a("multiple-choice", "AMC", "C", "(C)", T)
a("multiple-choice", "AMC", "C", r"\textbf{(C)}", T)
a("multiple-choice", "AMC", "C", "The answer is C.", T, raw=True)
a("multiple-choice", "AMC", "C", "B", F_)
a("multiple-choice", "AMC", "C", r"\text{(C) } 12", T, "letter with value")
a("multiple-choice", "NuminaMath", r"\textbf{(C) }12", "12", T, "value matching the choice")
a("multiple-choice", "NuminaMath", r"\textbf{(C) }12", r"\textbf{(D) }15", F_)
a("multiple-choice", "NuminaMath", r"\textbf{(C) }12", r"\textbf{(C)}\ 12", T)
a("multiple-choice", "MMLU-STEM", "B", "The correct answer is (B).", T, raw=True)
a("multiple-choice", "MMLU-STEM", "B", "Answer: D", F_, raw=True)
a("multiple-choice", "MMLU-STEM", "B", "The answer is either B or C.", F_, "hedged between two choices", raw=True)
a("multiple-choice", "MMLU-STEM", "A",
  "Newton's second law gives F = ma, so the acceleration is 10 N / 2 kg = 5 m/s^2, which is option (a).", T,
  "lowercase letter", raw=True)
a("multiple-choice", "AMC", "E", "D", F_)
a("multiple-choice", "MATH", r"\text{A, C}", "A, C", T)
a("multiple-choice", "MATH", r"\text{A, C}", "C, A", T, "order of letters")
a("multiple-choice", "MATH", r"\text{A, C}", "A", F_, "missing a letter")
a("multiple-choice", "MATH", r"\text{A, C}", "A, B, C", F_, "extra letter")
a("multiple-choice", "MMLU-STEM", "D",
  "Let's evaluate each option.\n(A) is false because the function is not continuous at 0.\n(B) is false: the derivative does not exist at 0.\n(C) is false.\n(D) is true since the integral converges.\n\nAnswer: (D)", T, raw=True)
a("multiple-choice", "MMLU-STEM", "D",
  "Let's evaluate each option.\n(A) is false.\n(B) looks correct because the series converges absolutely.\n(C) is false.\n(D) is false.\n\nAnswer: (B)", F_, raw=True)

# ---------------------------------------------------------------- text-answer
a("text-answer", "MATH", r"\text{odd}", r"\text{odd}", T,
  W=r"We have $f(-x) = (-x)^3 - (-x) = -(x^3 - x) = -f(x)$, so $f$ is odd.")
a("text-answer", "MATH", r"\text{odd}", "Odd", T, "capitalized")
a("text-answer", "MATH", r"\text{odd}", r"\text{even}", F_)
a("text-answer", "MATH", r"\text{odd}", r"\text{neither}", F_)
a("text-answer", "MATH", r"\text{Tuesday}", r"\text{Tuesday}", T,
  W=r"Since $40 = 5\cdot 7 + 5$, the day is 5 days after Thursday.")
a("text-answer", "MATH", r"\text{Tuesday}", r"\text{Wednesday}", F_, "off by one day",
  W=r"Since $40 = 5\cdot 7 + 5$, the day is 6 days after Thursday.")
a("text-answer", "MATH", r"\text{Tuesday}", "It will be a tuesday.", T, "lowercase, sentence", raw=True)
a("text-answer", "Omni-MATH", "No",
  "Color the board like a chessboard. Each domino covers one black and one white square, but removing two opposite corners removes two squares of the same color, leaving 30 of one color and 32 of the other. So no, it is not possible to tile the board.", T, raw=True)
a("text-answer", "Omni-MATH", "No",
  "We try a greedy tiling row by row and it seems to work for the first few rows, so yes, a tiling exists.", F_, raw=True)
a("text-answer", "MATH", r"\text{(E)}", "E", T, "letter without text wrapper")
a("text-answer", "MATH", r"\text{ellipse}", "ellipse", T)
a("text-answer", "MATH", r"\text{ellipse}", r"\text{circle}", F_)
a("text-answer", "MATH", r"\text{Devon}", "Devon", T)
a("text-answer", "MATH", r"\text{Devon}", r"\text{Brian}", F_)
a("text-answer", "MATH", r"\text{neither}", r"\text{neither}", T)
a("text-answer", "MATH", r"\text{neither}", r"\text{even}", F_)

# ---------------------------------------------------------------- base-n
a("base-n", "MATH", "1011_2", "1011_{2}", T, "braced subscript")
a("base-n", "MATH", "1011_2", "1011", T, "base subscript omitted")
a("base-n", "MATH", "1011_2", "1101_2", F_, "bits reversed")
W_b3 = r"$68 = 2\cdot 27 + 14$, $14 = 1\cdot 9 + 5$, $5 = 1\cdot 3 + 2$, so the base-3 digits are $2,1,1,2$."
a("base-n", "MATH", "2112_3", "2112_3", T, W=W_b3)
a("base-n", "MATH", "2112_3", "2121_3", F_, "digit order slip")
a("base-n", "MATH", "4A_{16}", "4A_{16}", T)
a("base-n", "MATH", "4A_{16}", "4a", T, "lowercase hex digit, base implied")
a("base-n", "MATH", "4A_{16}", "A4_{16}", F_, "digits reversed")
a("base-n", "MATH", "143_5", "143_5", T,
  W=r"$48 = 1\cdot 25 + 23$ and $23 = 4\cdot 5 + 3$, so $48 = 143_5$.")
a("base-n", "MATH", "143_5", "134_5", F_, "digits swapped")
a("base-n", "MATH", "10001_2", r"10001_{2}", T)
a("base-n", "MATH", "10001_2", r"10010_2", F_)

# ---------------------------------------------------------------- formatting-unicode
a("formatting-unicode", "MATH", "-3", "\u22123", T, "unicode minus")
a("formatting-unicode", "MATH", "-3", "\u22124", F_, "unicode minus, wrong value")
a("formatting-unicode", "MATH", r"\frac{1}{2}", "\u00bd", T, "vulgar fraction")
a("formatting-unicode", "MATH", r"\frac{1}{2}", "1\u20442", T, "fraction slash")
a("formatting-unicode", "MATH", r"2\sqrt{3}", "2\u221a3", T, "unicode root")
a("formatting-unicode", "MATH", r"2\sqrt{3}", "3\u221a2", F_, "unicode root, swapped")
a("formatting-unicode", "MATH", r"\frac{\pi}{4}", "\u03c0/4", T, "unicode pi")
a("formatting-unicode", "MATH", r"\frac{\pi}{4}", "\u03c0/2", F_)
a("formatting-unicode", "MATH", r"x \le 5", "x \u2264 5", T, "unicode le")
a("formatting-unicode", "MATH", r"x \le 5", "x \u2265 5", F_, "unicode ge, flipped")
a("formatting-unicode", "GSM8K", "1000000",
  "The company produced 250\u2009000 units each quarter, so in a year it made 4 \u00d7 250\u2009000 = 1\u2009000\u2009000 units.\n#### 1\u2009000\u2009000", T,
  "thin-space digit grouping", raw=True)
a("formatting-unicode", "MATH", "1000000", r"1\,000\,000", T, "LaTeX thin spaces")
a("formatting-unicode", "MATH", "1000000", "100\u2009000", F_, "missing a zero")
a("formatting-unicode", "MATH", "x^2", "x\u00b2", T, "superscript two")
a("formatting-unicode", "MATH", r"90^\circ", "90\u00b0", T)
a("formatting-unicode", "MATH", r"-\frac{1}{4}", "\u2212\u00bc", T)
a("formatting-unicode", "MATH", r"-\frac{1}{4}", "\u00bc", F_, "sign dropped")
a("formatting-unicode", "MATH", r"[0, \infty)", "[0, \u221e)", T, "unicode infinity")
a("formatting-unicode", "MATH", r"[0, \infty)", "(0, \u221e)", F_, "bracket")
a("formatting-unicode", "MATH", "5", "5\u00a0cm", T, "no-break space before unit")
a("formatting-unicode", "MATH", r"\sqrt{2}", "\u221a2", T)
a("formatting-unicode", "MATH", r"(-\infty, -2) \cup (3, \infty)", "(\u2212\u221e, \u22122) \u222a (3, \u221e)", T, "unicode union")
a("formatting-unicode", "MATH", r"(-\infty, -2) \cup (3, \infty)", "(\u2212\u221e, \u22122] \u222a [3, \u221e)", F_, "unicode union, closed brackets")
a("formatting-unicode", "MATH", r"3\pi", "3\u03c0", T)
a("formatting-unicode", "MATH", r"-\frac{3}{2}", "\uff0d3/2", T, "fullwidth hyphen-minus")

# ---------------------------------------------------------------- no-box-last-sentence
a("no-box-last-sentence", "GSM8K", "14",
  "Each row has 7 chairs and there are 2 rows, so there are 7 \u00d7 2 = 14 chairs. So the answer is 14.", T, raw=True)
a("no-box-last-sentence", "MATH", "7",
  "The ordered pairs of positive integers $(a, b)$ with $a + b = 8$ are $(1,7), (2,6), (3,5), (4,4), (5,3), (6,2), (7,1)$. Therefore, there are 7 ways.", T, raw=True)
a("no-box-last-sentence", "MATH", "-4",
  "Completing the square, $f(x) = x^2 - 6x + 5 = (x-3)^2 - 4$. Since $(x-3)^2 \\ge 0$, the minimum value is $-4$.", T, raw=True)
a("no-box-last-sentence", "MATH", "-4",
  "Completing the square, $f(x) = x^2 - 6x + 5 = (x-3)^2 - 4$. The minimum occurs at $x = 3$, so the minimum value is $3$.", F_,
  "gave the minimizer instead of the minimum", raw=True)
a("no-box-last-sentence", "MATH", r"\frac{3}{2}",
  "We solve $2x - 3 = 0$ to get $2x = 3$. Thus $x = 3/2$.", T, raw=True)
a("no-box-last-sentence", "MATH", "12",
  "Using the Pythagorean theorem with hypotenuse 13 and one leg 5, the other leg is $\\sqrt{169 - 25} = 12$. The perimeter is therefore $5 + 12 + 13 = 30$, so the final answer is 30.", F_,
  "correct intermediate, wrong final quantity", raw=True)
a("no-box-last-sentence", "MATH", "36",
  "$12 = 2^2\\cdot 3$ and $18 = 2\\cdot 3^2$, so the least common multiple is $2^2 \\cdot 3^2 = 36$.", T, raw=True)
a("no-box-last-sentence", "MATH", "36",
  "$12 = 2^2\\cdot 3$ and $18 = 2\\cdot 3^2$. Taking the lowest powers, the answer is $2 \\cdot 3 = 6$.", F_,
  "computed gcd instead of lcm", raw=True)
a("no-box-last-sentence", "MATH", r"\frac{1}{4}",
  "Each coin lands heads with probability 1/2 independently, so the probability that both land heads is 1/2 \u00b7 1/2 = 1/4.", T, raw=True)
a("no-box-last-sentence", "MATH", "5", "Substituting back, $3(5) - 7 = 8$ checks out. Thus the value of $x$ is $5$.", T, raw=True)
a("no-box-last-sentence", "MATH", "9",
  "The positive divisors of $2^8 = 256$ are $2^0, 2^1, \\dots, 2^8$, so there are $8 + 1 = 9$ of them. Hence 9 is our answer.", T, raw=True)
a("no-box-last-sentence", "MATH", "2",
  "We have $f(1) = 1^2 - 2\\cdot 1 + 3 = 2$. Then $f(f(1)) = f(2) = 4 - 4 + 3 = 3$, so the answer is 3.", F_,
  "gold is f(1)=2; model answered f(f(1))", raw=True)
a("no-box-last-sentence", "MATH", r"\sqrt{5}",
  "The distance between (1,2) and (2,4) is sqrt((2-1)^2 + (4-2)^2) = sqrt(1 + 4) = sqrt(5).", T, raw=True)
a("no-box-last-sentence", "GSM8K", "100",
  "He reads 20 pages a day for 5 days, which is 20 * 5 = 100 pages in total. The final answer: 100", T, raw=True)
a("no-box-last-sentence", "GSM8K", "100",
  "He reads 20 pages a day for 5 days, which is 20 * 5 = 100 pages. He has 120 pages left, so the final answer: 120", F_,
  "answered a different quantity", raw=True)
a("no-box-last-sentence", "OlympiadBench", r"$\frac{1}{2}$",
  "By AM-GM, $ab \\le \\left(\\frac{a+b}{2}\\right)^2 = \\frac{1}{4}$, and equality holds when $a = b = \\frac12$. Hence the maximum of $2ab$ is one half.", T,
  "answer in words", raw=True)

# ---------------------------------------------------------------- gsm8k-####
G_janet = ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
           "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer's market.\n")
a("gsm8k-####", "GSM8K", "18", G_janet + "#### 18", T, raw=True)
a("gsm8k-####", "GSM8K", "18", G_janet + "#### 18.00", T, "decimal cents", raw=True)
a("gsm8k-####", "GSM8K", "18", G_janet + "#### $18", T, "dollar sign", raw=True)
a("gsm8k-####", "GSM8K", "18", "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day.\nOver a week that is 18 * 7 = $126.\n#### 126", F_,
  "answered per week instead of per day", raw=True)
a("gsm8k-####", "GSM8K", "3",
  "It takes 2/2=<<2/2=1>>1 bolt of white fiber\nSo the total amount of fabric is 2+1=<<2+1=3>>3 bolts of fabric\n#### 3", T, raw=True)
a("gsm8k-####", "GSM8K", "3",
  "It takes 2*2=<<2*2=4>>4 bolts of white fiber\nSo the total amount of fabric is 2+4=<<2+4=6>>6 bolts of fabric\n#### 6", F_,
  "doubled instead of halved", raw=True)
G_house = ("The cost of the house and repairs came out to 80,000+50,000=$<<80000+50000=130000>>130,000\n"
           "He increased the value of the house by 80,000*1.5=<<80000*1.5=120000>>120,000\n"
           "So the new value of the house is 120,000+80,000=$<<120000+80000=200000>>200,000\n"
           "So he made a profit of 200,000-130,000=$<<200000-130000=70000>>70,000\n")
a("gsm8k-####", "GSM8K", "70000", G_house + "#### 70000", T, raw=True)
a("gsm8k-####", "GSM8K", "70000", G_house + "#### 70,000", T, "comma grouping", raw=True)
a("gsm8k-####", "GSM8K", "70000",
  "The cost of the house and repairs came out to 80,000+50,000=$130,000\n"
  "The new value is 80,000*1.5=$120,000\nSo he made a profit of 120,000-130,000=$-10,000\n#### -10000", F_,
  "misread 'increased by 150%'", raw=True)
a("gsm8k-####", "GSM8K", "540",
  "He sprints 3*3=<<3*3=9>>9 times\nSo he runs 9*60=<<9*60=540>>540 meters\n#### 540", T, raw=True)
a("gsm8k-####", "GSM8K", "540",
  "Each session he runs 3*60=<<3*60=180>>180 meters\n#### 180", F_, "per-session intermediate", raw=True)
a("gsm8k-####", "GSM8K", "1080", "He earns 45*24 = <<45*24=1080>>1,080 dollars.\n#### 1,080", T, "comma grouping", raw=True)
a("gsm8k-####", "GSM8K", "5", "She had 12 apples and gave away 7, leaving 12 - 7 = <<12-7=5>>5 apples.\n#### 5 apples", T, "unit word", raw=True)
a("gsm8k-####", "GSM8K", "64",
  "The discount price of one glass is 60/100 * 5 = $<<60/100*5=3>>3.\n"
  "If every second glass is cheaper, that means Kylar is going to buy 16 / 2 = <<16/2=8>>8 cheaper glasses.\n"
  "So for the cheaper glasses, Kylar is going to pay 8 * 3 = $<<8*3=24>>24.\n"
  "And for the regular-priced glasses, Kylar will pay 8 * 5 = $<<8*5=40>>40.\n"
  "So in total Kylar needs to pay 24 + 40 = $<<24+40=64>>64 for the glasses he wants to buy.\n#### 64", T, raw=True)
a("gsm8k-####", "GSM8K", "64",
  "Each glass costs $5 and he buys 16 glasses, so he pays 16 * 5 = $<<16*5=80>>80.\n#### 80", F_, "ignored the discount", raw=True)
a("gsm8k-####", "GSM8K", "20",
  "If each chicken eats 3 cups of feed per day, then for 20 chickens they would need 3*20=<<3*20=60>>60 cups of feed per day.\n"
  "If she feeds the flock 15 cups of feed in the morning, and 25 cups in the afternoon, then the final meal would require 60-15-25=<<60-15-25=20>>20 cups of chicken feed.\n#### 20", T, raw=True)
a("gsm8k-####", "GSM8K", "20",
  "For 20 chickens she needs 3*20=<<3*20=60>>60 cups per day.\nAfter the morning meal she still needs 60-15=<<60-15=45>>45 cups.\n#### 45", F_,
  "forgot the afternoon meal", raw=True)
a("gsm8k-####", "GSM8K", "260",
  "If Seattle has 20 sheep, Charleston has 4 * 20 sheep = <<20*4=80>>80 sheep\n"
  "Toulouse has twice as many sheep as Charleston, which is 2 * 80 sheep = <<2*80=160>>160 sheep\n"
  "Together, the three cities have 20 sheep + 160 sheep + 80 sheep = <<20+160+80=260>>260 sheep\n#### 260", T, raw=True)
a("gsm8k-####", "GSM8K", "260",
  "Charleston has 4 * 20 = <<4*20=80>>80 sheep.\nToulouse has 2 * 80 = <<2*80=160>>160 sheep.\n#### 160", F_,
  "gave one city instead of the total", raw=True)
a("gsm8k-####", "GSM8K", "8",
  "Let me think step by step. Tom has 3 boxes with 4 pencils each, so 3 x 4 = 12 pencils. He gives away 4 pencils, so 12 - 4 = 8 pencils remain.\n#### 8", T, raw=True)
a("gsm8k-####", "GSM8K", "8",
  "Tom has 3 boxes with 4 pencils each, so 3 + 4 = 7 pencils. He gives away 4, so 7 - 4 = 3.\n#### 3", F_, "added instead of multiplied", raw=True)

# ---------------------------------------------------------------- json-escaped (doubled backslashes as in a JSON dump)
a("json-escaped", "MATH", r"\frac{1}{2}", r"The final answer is $\\boxed{\\frac{1}{2}}$.", T, raw=True)
a("json-escaped", "MATH", r"\frac{2}{3}", r"$\\boxed{\\frac{3}{2}}$", F_, "reciprocal", raw=True)
a("json-escaped", "MATH", r"\sqrt{2}", r"Thus the answer is $\\sqrt{2}$.", T, raw=True)
a("json-escaped", "MATH", P12, r"\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", T, "escaped matrix row separator", raw=True)
a("json-escaped", "MATH", r"(-\infty, 3]", r"\\boxed{(-\\infty, 3]}", T, raw=True)
a("json-escaped", "MATH", r"(-\infty, 3]", r"\\boxed{(-\\infty, 3)}", F_, "wrong bracket", raw=True)
a("json-escaped", "MATH", "17",
  r"Step 1: $3 \\times 4 = 12$.\nStep 2: $12 + 5 = 17$.\n\nThe answer is $\\boxed{17}$.", T, "literal \\n sequences", raw=True)
a("json-escaped", "MATH", "17",
  r"Step 1: $3 \\times 4 = 12$.\nStep 2: $12 - 5 = 7$.\n\nThe answer is $\\boxed{7}$.", F_, "literal \\n sequences", raw=True)
a("json-escaped", "MATH", r"\frac{\sqrt{3}}{2}", r"\\boxed{\\dfrac{\\sqrt{3}}{2}}", T, raw=True)
a("json-escaped", "MATH", r"2\pi", r"So the period is $\\boxed{2\\pi}$.", T, raw=True)
a("json-escaped", "MATH", r"2\pi", r"So the period is $\\boxed{4\\pi}$.", F_, raw=True)
a("json-escaped", "MATH", "[-2, 5]", r"\\boxed{x \\in [-2, 5]}", T, raw=True)
a("json-escaped", "MATH", "1, 2", r"\\boxed{\\{1, 2\\}}", T, "escaped set braces", raw=True)
a("json-escaped", "MATH", r"2\sqrt{3}", r"\\boxed{3\\sqrt{2}}", F_, raw=True)
a("json-escaped", "MATH", r"-\frac{7}{25} - \frac{24}{25}i", r"\\boxed{-\\frac{7}{25}-\\frac{24}{25}i}", T, raw=True)
a("json-escaped", "MATH", r"30^\circ", r"\\boxed{30^\\circ}", T, raw=True)

# ---------------------------------------------------------------- multiple-boxes
a("multiple-boxes", "MATH", "2, 3",
  r"Factoring $x^2 - 5x + 6 = (x-2)(x-3)$, the solutions are $\boxed{2}$ and $\boxed{3}$.", T, "one box per solution", raw=True)
a("multiple-boxes", "MATH", "5",
  r"Solving $3n + 4 = 18$ gives $3n = 12$, so $n = \boxed{4}$." "\n\n"
  r"Wait, let me recheck the setup: the total is $19$, not $18$, so $3n + 4 = 19$, $3n = 15$ and $n = 5$. The correct answer is $\boxed{5}$.",
  T, "explicit self-correction; final box is the answer", raw=True)
a("multiple-boxes", "MATH", "-1, 1", r"From $x^2 = 1$ we get $\boxed{x = 1}$ or $\boxed{x = -1}$.", T, raw=True)
a("multiple-boxes", "MATH", "24",
  r"The legs are $6$ and $8$, so the area is $\frac{1}{2}\cdot 6\cdot 8 = \boxed{24}$." "\n\n**Final Answer**\n\n" r"$\boxed{24}$",
  T, "same answer boxed twice", raw=True)
a("multiple-boxes", "MATH", "6",
  r"The answer is either $\boxed{6}$ or $\boxed{8}$, depending on whether the endpoints are counted.", F_, "hedged", raw=True)
a("multiple-boxes", "MATH", "5",
  r"So there are $\boxed{5}$ such numbers... or possibly $\boxed{4}$ if we exclude zero.", F_, "hedged", raw=True)
a("multiple-boxes", "MATH", "(3, 7)", r"Solving the system gives $a = \boxed{3}$ and $b = \boxed{7}$.", T, "components boxed separately", raw=True)
a("multiple-boxes", "MATH", "(3, 7)", r"Solving the system gives $a = \boxed{7}$ and $b = \boxed{3}$.", F_, "components swapped", raw=True)
a("multiple-boxes", "MATH", "-3, 2", r"The roots are $\boxed{2}$, $\boxed{-3}$.", T, raw=True)
a("multiple-boxes", "MATH", "-3, 2", r"The roots are $\boxed{2}$, $\boxed{3}$.", F_, "sign error on one root", raw=True)
a("multiple-boxes", "MATH", "3",
  r"Squaring gives $x^2 - x - 6 = 0$, so $x = 3$ or $x = -2$. Checking in $\sqrt{x+6} = x$: $x=-2$ gives $2 \ne -2$, so it is extraneous. $x = \boxed{3}$ ($x = -2$ is rejected.)",
  T, "extraneous root mentioned but rejected", raw=True)
a("multiple-boxes", "MATH", "3",
  r"Squaring gives $x^2 - x - 6 = 0$, so $x = \boxed{3}$ and $x = \boxed{-2}$.", F_, "kept the extraneous root", raw=True)

# ---------------------------------------------------------------- chain-of-equalities
a("chain-of-equalities", "MATH", "11", r"x = 5 + 6 = 11", T)
a("chain-of-equalities", "MATH", r"\frac{3}{4}", r"\frac{12}{16} = \frac{3}{4}", T)
a("chain-of-equalities", "MATH", "1024", r"2^{10} = 1024", T)
a("chain-of-equalities", "MATH", "15", r"\binom{6}{2} = 15", T)
a("chain-of-equalities", "MATH", "13", r"3 \cdot 4 = 12", F_, "chain ends at wrong value")
a("chain-of-equalities", "MATH", "24",
  r"The triangle has legs $6$ and $8$. Area $= \frac{1}{2}\cdot 6 \cdot 8 = 24$.", T, "chain in last sentence", raw=True)
a("chain-of-equalities", "MATH", r"5\sqrt{2}", r"\sqrt{50} = 5\sqrt{2}", T)
a("chain-of-equalities", "MATH", "42", r"\frac{7!}{5!} = 7 \cdot 6 = 42", T)
a("chain-of-equalities", "MATH", "24", r"\frac{1}{2}\cdot 6\cdot 8 = 48", F_, "arithmetic slip at end of chain")
a("chain-of-equalities", "MATH", "3", r"\log_2 8 = 3", T)
a("chain-of-equalities", "MATH", "120", r"5! = 120", T)
a("chain-of-equalities", "MATH", "120", r"\binom{10}{3} = 10\cdot 9\cdot 8 = 720", F_, "forgot to divide by 3!")
a("chain-of-equalities", "GSM8K", "56",
  "Total cost = 4 \u00d7 $12 + $8 = $48 + $8 = $56", T, raw=True)
a("chain-of-equalities", "MATH", "-1", r"i^{2} = -1", T)
a("chain-of-equalities", "MATH", "10", r"\sqrt{6^2+8^2} = \sqrt{100} = 10", T)
a("chain-of-equalities", "MATH", "10", r"\sqrt{6^2+8^2} = 6 + 8 = 14", F_, "invalid step gives wrong value")

# ---------------------------------------------------------------- approx
a("approx", "MATH", r"\frac{5}{36}", r"\frac{5}{36} \approx 0.139", T, "exact value followed by approximation")
a("approx", "MATH", "3.14", r"\approx 3.14", T)
a("approx", "MATH", "3.14", r"\approx 3.1416", F_, "asked to nearest hundredth")
a("approx", "MATH", "2.65", r"\sqrt{7} \approx 2.65", T)
a("approx", "MATH", "2.65", "2.646", F_, "wrong precision (nearest hundredth asked)")
a("approx", "MATH", "2.65", "2.64", F_, "truncated instead of rounded")
a("approx", "MATH", "7.5", r"\approx 7.50", T)
a("approx", "MATH", "0.3", r"\frac{2}{7} \approx 0.29", F_, "nearest tenth asked")
a("approx", "MATH", r"\frac{\sqrt{3}}{2}", r"\frac{\sqrt{3}}{2} \approx 0.866", T)
a("approx", "MATH", "19.6", "\u2248 19.6", T, "unicode approx")
a("approx", "MATH", "19.6", "\u2248 19.5", F_)
a("approx", "Minerva", "4.5",
  r"The period is $T = 2\pi\sqrt{L/g} = 2\pi\sqrt{5/9.8} \approx 4.49 \approx 4.5$ s.", T, "chained approximations", raw=True)
a("approx", "MATH", "1.4", r"\sqrt{2} \approx 1.41", F_, "nearest tenth asked")
a("approx", "MATH", "1.4", r"\sqrt{2} \approx 1.4", T)

# ---------------------------------------------------------------- expression
a("expression", "MATH", r"\frac{x+1}{x-1}", r"\frac{1+x}{x-1}", T)
a("expression", "MATH", r"\frac{x+1}{x-1}", r"\frac{x+1}{1-x}", F_, "sign of denominator")
a("expression", "MATH", r"\frac{x+1}{x-1}", r"-\frac{x+1}{1-x}", T, "double sign flip")
a("expression", "MATH", r"\frac{x+1}{x-1}", r"\frac{x-1}{x+1}", F_, "reciprocal")
a("expression", "MATH", "2a+3b", "3b+2a", T)
a("expression", "MATH", "2a+3b", "2a-3b", F_)
a("expression", "MATH", "4x^2y^3", "4y^3x^2", T, "factor order")
a("expression", "MATH", "4x^2y^3", "4x^3y^2", F_, "exponents swapped")
a("expression", "MATH", r"\frac{1}{x(x+1)}", r"\frac{1}{x^2+x}", T, "expanded denominator",
  W=r"Combining, $\frac{1}{x} - \frac{1}{x+1} = \frac{(x+1) - x}{x(x+1)} = \frac{1}{x(x+1)}$.")
a("expression", "MATH", r"\frac{1}{x(x+1)}", r"\frac{2x+1}{x(x+1)}", F_, "added instead of subtracted")

# ---------------------------------------------------------------- function
a("function", "MATH", r"\frac{x-3}{2}", r"f^{-1}(x) = \frac{x-3}{2}", T,
  W=r"Let $y = 2x + 3$. Solving for $x$ gives $x = \frac{y - 3}{2}$.")
a("function", "MATH", r"\frac{x-3}{2}", r"\frac{x}{2} - \frac{3}{2}", T)
a("function", "MATH", r"\frac{x-3}{2}", r"\frac{x+3}{2}", F_, "sign error")
a("function", "MATH", r"\frac{x-3}{2}", "2x+3", F_, "gave f instead of its inverse")
a("function", "MATH", "2x+1", "f'(x) = 2x + 1", T)
a("function", "MATH", "2x+1", "2x", F_, "dropped derivative of x")
a("function", "MATH", "3x^2 - 2", r"3x^2-2", T, W=r"$\frac{d}{dx}(x^3 - 2x + 7) = 3x^2 - 2$.")
a("function", "MATH", "3x^2 - 2", r"3x^2-2+7", F_, "kept the constant")

# ---------------------------------------------------------------- logarithm
a("logarithm", "MATH", r"\log_2 3", r"\frac{\ln 3}{\ln 2}", T, "change of base")
a("logarithm", "MATH", r"\log_2 3", r"\log_3 2", F_, "base and argument swapped")
a("logarithm", "MATH", r"2\ln 3", r"\ln 9", T)
a("logarithm", "MATH", r"2\ln 3", r"\ln 6", F_)
a("logarithm", "MATH", r"-2", r"-2", T, W=r"$\log_3 \frac{1}{9} = \log_3 3^{-2} = -2$.")
a("logarithm", "MATH", r"-2", r"\frac{1}{2}", F_, W=r"$\log_3 \frac19$: since $9 = 3^2$, we get $\frac12$.")

# ---------------------------------------------------------------- ratio
a("ratio", "MATH", r"\frac{3}{2}", "3:2", T, "colon ratio")
a("ratio", "MATH", r"\frac{3}{2}", "2:3", F_, "ratio reversed")
a("ratio", "MATH", r"\frac{3}{2}", "1.5", T)
a("ratio", "MATH", "1:4", r"\frac{1}{4}", T)
a("ratio", "MATH", "1:4", "1:2", F_, "ratio of sides instead of areas",
  W=r"The side lengths of the two squares are in the ratio $1:2$.")

# ---------------------------------------------------------------- time
a("time", "MATH", r"\text{3:45 p.m.}", "3:45 PM", T)
a("time", "MATH", r"\text{3:45 p.m.}", "4:45 PM", F_, "off by an hour")
a("time", "MATH", r"\text{3:45 p.m.}", "15:45", T, "24-hour clock")
a("time", "GSM8K", "45",
  "The first leg takes 20 minutes and the second 25 minutes, so the trip takes 20 + 25 = <<20+25=45>>45 minutes.\n#### 45", T, raw=True)
a("time", "GSM8K", "45",
  "The first leg takes 20 minutes and the second 25 minutes, so the trip takes 20 + 25 = 45 minutes, i.e. 0.45 hours.\n#### 0.45", F_,
  "bad minutes-to-hours conversion", raw=True)

# ---------------------------------------------------------------- probability
a("probability", "MATH", r"\frac{1}{6}", "1/6", T)
a("probability", "MATH", r"\frac{1}{6}", r"\frac{5}{6}", F_, "complement")
a("probability", "MATH", r"\frac{1}{6}", r"\frac{1}{6} \approx 16.7\%", T, "exact then percent approximation")
a("probability", "MATH", r"\frac{3}{8}", r"\frac{3}{8}", T,
  W=r"There are $\binom{3}{2} = 3$ ways to get exactly two heads out of $2^3 = 8$ equally likely outcomes.")
a("probability", "MATH", r"\frac{3}{8}", r"\frac{1}{8}", F_, "counted one arrangement")
a("probability", "MATH", r"\frac{3}{8}", "0.375", T)
a("probability", "MATH", r"\frac{4}{663}", r"\frac{4}{663}", T,
  W=r"$P = \frac{4}{52}\cdot\frac{3}{51} = \frac{12}{2652} = \frac{1}{221}$ for two aces... no: we want an ace then a king, $\frac{4}{52}\cdot\frac{4}{51} = \frac{16}{2652} = \frac{4}{663}$.")
a("probability", "MATH", r"\frac{4}{663}", r"\frac{1}{169}", F_, "with replacement instead of without",
  W=r"$P = \frac{4}{52}\cdot\frac{4}{52} = \frac{1}{169}$.")

# ---------------------------------------------------------------- trig
a("trig", "MATH", r"\frac{\sqrt{6}-\sqrt{2}}{4}", r"\frac{\sqrt{2}(\sqrt{3}-1)}{4}", T,
  W=r"$\sin 15^\circ = \sin(45^\circ - 30^\circ) = \frac{\sqrt2}{2}\cdot\frac{\sqrt3}{2} - \frac{\sqrt2}{2}\cdot\frac12$.")
a("trig", "MATH", r"\frac{\sqrt{6}-\sqrt{2}}{4}", r"\frac{\sqrt{6}+\sqrt{2}}{4}", F_, "computed cos 15 instead")
a("trig", "MATH", r"-\frac{1}{2}", "-0.5", T)
a("trig", "MATH", r"-\frac{1}{2}", r"\frac{1}{2}", F_, "sign in second quadrant")
a("trig", "MATH", r"\sqrt{3}", r"\frac{3}{\sqrt{3}}", T, "unrationalized equal form")
a("trig", "MATH", r"\sqrt{3}", r"\frac{\sqrt{3}}{3}", F_, "computed cot instead of tan")

# ---------------------------------------------------------------- sequence
a("sequence", "MATH", "2n+1", "a_n = 2n + 1", T)
a("sequence", "MATH", "2n+1", "2n-1", F_, "index shift")
a("sequence", "MATH", "3^{n-1}", r"\frac{3^n}{3}", T)
a("sequence", "MATH", "3^{n-1}", "3^n", F_, "index shift")
a("sequence", "MATH", "29", "29", T, W=r"The $10$th term is $a_{10} = 2 + (10-1)\cdot 3 = 29$.")
a("sequence", "MATH", "29", "32", F_, "used n instead of n-1", W=r"The $10$th term is $a_{10} = 2 + 10\cdot 3 = 32$.")

# ---------------------------------------------------------------- boolean / DeepMind text golds
a("boolean", "DeepMind-math", "True", "True", T)
a("boolean", "DeepMind-math", "True", "False", F_)
a("boolean", "DeepMind-math", "False", r"\text{False}", T)
a("boolean", "DeepMind-math", "False", "Yes, 91 is prime.", F_, "91 = 7*13", raw=True)
a("boolean", "DeepMind-math", "True", "Yes, 97 is prime.", T, raw=True)


# ---------------------------------------------------------------- extra near-misses across dataset styles
a("integer", "AIME", "588", "587", F_, "off by one")
a("fraction", "AIME", "113", r"\frac{13}{100}", F_, "gave the probability, problem asks for m+n",
  W=r"The probability is $\frac{13}{100}$, which is already in lowest terms since $\gcd(13, 100) = 1$.")
a("integer", "AIME", "73",
  r"Simplifying, the probability is $\frac{m}{n} = \frac{72}{74} = \frac{36}{37}$, and $\gcd(36, 37) = 1$. Thus $m + n = 36 + 37 = 73$.",
  T, "answer stated in last sentence", raw=True)
a("radical", "OlympiadBench", r"$2 \sqrt{2}$", r"2\sqrt{3}", F_)
a("tuple", "OlympiadBench", r"$(1,1,1)$", r"(1,1,1), (-1,-1,-1)", F_, "extra solution (positive reals required)")
a("fraction", "OlympiadBench", r"$\frac{1}{4}$", "0.25", T)
a("equation", "OlympiadBench", r"$n=3$", r"n = 4", F_)
a("interval", "OlympiadBench", r"$[1,2)$", "[1,2]", F_, "wrong bracket")
a("polynomial", "Omni-MATH", r"2^{n-1}", r"2^n", F_, "off by factor 2")
a("expression", "Omni-MATH", r"\frac{n(n+1)}{2}", r"\frac{n(n-1)}{2}", F_, "index shift")
a("expression", "Omni-MATH", r"\frac{n(n+1)}{2}", r"\binom{n+1}{2}", T, "binomial form, equal")
a("integer", "Omni-MATH", "1011", "1012", F_, "off by one")
a("multiple-choice", "NuminaMath", r"\textbf{(B)}\ 8", r"\textbf{(C)}\ 10", F_)
a("fraction", "NuminaMath", r"-\frac{1}{3}", r"\frac{1}{3}", F_, "sign error")
a("gsm8k-####", "GSM8K", "12",
  "Lisa saves $3 a week for 4 weeks, so she saves 3 * 4 = <<3*4=12>>12 dollars.\nShe spends $1 on a snack, so 12 - 1 = <<12-1=11>>11.\n#### 11", F_,
  "subtracted a cost not in the problem", raw=True)
a("gsm8k-####", "GSM8K", "7",
  "He needs 50 / 8 = <<50/8=6.25>>6.25 boxes, so he buys 6 boxes.\n#### 6", F_, "rounded down instead of up", raw=True)
a("gsm8k-####", "GSM8K", "48",
  "Each of the 6 bags has 8 marbles, so 6 * 8 = 48 marbles. Split among 10 friends: 48 / 10 = 4.8\n#### 4.8", F_,
  "extra division step", raw=True)
a("gsm8k-####", "GSM8K", "600",
  "He earns 15 * 40 = <<15*40=600>>600 dollars per week.\nIn a month of 4 weeks he earns 600 * 4 = <<600*4=2400>>2400 dollars.\n#### 2400", F_,
  "answered per month, asked per week", raw=True)
a("no-box-last-sentence", "GSM8K", "250",
  "The tank holds 1000 liters and is one quarter full, so it contains 1000 / 4 = 25 liters. The answer is 25.", F_,
  "division slip", raw=True)
a("radical", "MATH", r"\frac{\sqrt{5}-1}{2}", r"\frac{\sqrt{5}+1}{2}", F_, "reciprocal of the golden ratio vs the ratio itself")
a("decimal", "MATH", "6", "6.5", F_)
a("polynomial", "MATH", "x^2-4", "x^2+4", F_, "sign error")
a("tuple", "MATH", "(-2, 1)", "(-2, -1)", F_, "sign error")
a("interval", "MATH", "[2, 6]", "[2, 6)", F_, "wrong bracket")
a("vector", "MATH", r"\begin{pmatrix} 4 \\ -2 \end{pmatrix}", r"\begin{pmatrix} -4 \\ 2 \end{pmatrix}", F_, "negated vector")
a("radical", "MATH", r"10\sqrt{2}", "10", F_, "dropped radical factor")
a("set", "MATH", "1, 7", "1", F_, "missing a solution")
a("fraction", "MATH", r"\frac{2}{3}", r"\frac{2}{9}", F_)
a("pi-expression", "MATH", r"81\pi", "81", F_, "dropped pi")
a("radical", "MATH", r"\sqrt{2}", "2", F_, "forgot square root")
a("pi-expression", "MATH", r"-\frac{\pi}{4}", r"\frac{3\pi}{4}", F_, "outside arctan range")
a("equation", "MATH", "1", "x = -1", F_, "sign error")
a("set", "MATH", "2", r"\pm 2", F_, "extra negative solution; positive value asked")
a("scientific-notation", "Minerva", "1.2e-5", r"1.2 \times 10^{-6}", F_, "exponent off by one")
a("units", "Minerva", "300", r"300 \text{ K}", T, "unit attached")
a("multiple-choice", "MMLU-STEM", "C",
  "The derivative of sin(x) is cos(x), and evaluating at 0 gives 1, so the answer is (A).", F_, raw=True)
a("percent", "MATH", r"80\%", r"8\%", F_)
a("degrees", "MATH", r"72^\circ", r"108^\circ", F_, "interior angle instead of central angle")
a("tuple", "MATH", "(0, 0)", "(0,0), (1,1)", F_, "extra point")
a("complex", "MATH", "1 + 2i", "1 - 2i", F_, "conjugate")
a("complex", "MATH", "1 + 2i", "2i + 1", T)
a("matrix", "MATH", r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", r"\begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix}", F_)
a("text-answer", "MATH", r"\text{Thursday}", r"\text{Friday}", F_, "off by one day")
a("currency", "GSM8K", "90", r"\$9", F_, "decimal slip")
a("base-n", "MATH", "1204_5", "1240_5", F_, "digits swapped")
a("trig", "MATH", r"\frac{1}{2}", r"\frac{\sqrt{3}}{2}", F_, "cos instead of sin")
a("logarithm", "MATH", "4", "3", F_, "off by one")
a("probability", "MATH", r"\frac{1}{36}", r"\frac{1}{6}", F_)
a("sequence", "MATH", "55", "89", F_, "next Fibonacci term")


def main(argv):
    out = argv[1] if len(argv) > 1 else DEFAULT_OUT
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    seen = set()
    with open(out, "w", encoding="utf-8") as fh:
        for i, it in enumerate(ITEMS, 1):
            rec = {"id": f"out-{i:04d}", "answer": it["answer"], "gold": it["gold"],
                   "label": it["label"], "category": it["category"],
                   "source_style": it["source_style"]}
            if it["note"]:
                rec["note"] = it["note"]
            key = (rec["answer"], rec["gold"])
            assert key not in seen, f"duplicate pair: {key}"
            seen.add(key)
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    # validate by reloading
    with open(out, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert len(rows) == len(ITEMS)
    for r in rows:
        assert isinstance(r["label"], bool) and r["answer"] and r["gold"] and r["category"]
    n = len(rows)
    nt = sum(r["label"] for r in rows)
    print(f"wrote {out}")
    print(f"pairs: {n}  true: {nt} ({100*nt/n:.1f}%)  false: {n-nt} ({100*(n-nt)/n:.1f}%)")
    cats = Counter(r["category"] for r in rows)
    print(f"categories: {len(cats)}")
    for c in sorted(cats):
        t = sum(1 for r in rows if r["category"] == c and r["label"])
        print(f"  {c:24s} {cats[c]:4d}  true={t:3d} false={cats[c]-t:3d}")
    print("source styles:", dict(Counter(r["source_style"] for r in rows)))


if __name__ == "__main__":
    main(sys.argv)
