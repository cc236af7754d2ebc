"""A fourth red team round on the math verifier (a helper who read the code and the earlier rounds):
one response paid for two answers, or for a wrong one. Each pair below was paid."""

from __future__ import annotations

import pytest

#: (gold, whole response): named values swapped (y = 3, x = 5 for x = 3, y = 5), a name twice, two boxes
#: offered together (or, /, |, \\pm, \\text{ or }, maybe, alternatively), a box in a box, a determinant
#: (vmatrix) for the matrix.
PAID_WRONG = [
    ('x=3, y=5', '\\boxed{y=3, x=5}'),
    ('a = 2, b = 7', '\\boxed{b = 2, a = 7}'),
    ('a=2, b=7', 'So $b = \\boxed{2}$ and $a = \\boxed{7}$.'),
    ('p = 3, q = 5', 'Therefore $q = \\boxed{3}$ and $p = \\boxed{5}$.'),
    ('x = -1, y = 4', '\\boxed{y = -1, x = 4}'),
    ('m=1, n=4', '\\boxed{n=1, m=4}'),
    ('x=1, y=2, z=3', '\\boxed{z=1, y=2, x=3}'),
    ('x=1, y=2, z=3', '\\boxed{y=1, x=2, z=3}'),
    ('x=3, y=5', '\\boxed{x=3, x=5}'),
    ('x=3, y=5', '\\boxed{y=3, y=5}'),
    ('a=1, b=2, c=3', '\\boxed{c=1, c=2, c=3}'),
    ('x=3, y=5', '\\boxed{z=3, w=5}'),
    ('x=3, y=5', '\\boxed{y=3, 5}'),
    ('6', '\\boxed{5} \\text{ or } \\boxed{6}'),
    ('6', '\\boxed{5}\\text{ or }\\boxed{6}'),
    ('6', '\\boxed{5}\\ \\text{or}\\ \\boxed{6}'),
    ('6', '\\boxed{5}\\,\\text{or}\\,\\boxed{6}'),
    ('6', '$\\boxed{5}$ \\text{or} $\\boxed{6}$'),
    ('6', '\\boxed{5} OR \\boxed{6}'),
    ('6', 'either \\boxed{5} or maybe \\boxed{6}'),
    ('6', '\\boxed{5}, or possibly \\boxed{6}'),
    ('6', '\\boxed{5} (or \\boxed{6})'),
    ('6', '\\boxed{5} or \\boxed{6}, depending.'),
    ('6', '\\boxed{5} or \\boxed{6} depending on interpretation'),
    ('6', '\\boxed{5} / \\boxed{6}'),
    ('6', '\\boxed{5} \\lor \\boxed{6}'),
    ('6', '\\boxed{5} | \\boxed{6}'),
    ('6', '\\boxed{5}\\pm\\boxed{6}'),
    ('6', 'It is $\\boxed{5}$; alternatively it is $\\boxed{6}$'),
    ('6', '<answer>\\boxed{5} or \\boxed{6}</answer>'),
    ('6', '<answer>\\boxed{5}\\text{ or }\\boxed{6}</answer>'),
    ('5', '\\boxed{\\boxed{5}, 6}'),
    ('5', '\\boxed{6\\boxed{5}}'),
    ('\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', '\\boxed{\\begin{vmatrix}1&2\\\\3&4\\end{vmatrix}}'),
    # every box alone must be right: one wrong box (or its unit) keeps the refusal
    ('3', '\\boxed{3} or \\boxed{-3}'),
    ('3', '\\boxed{3} (or equivalently \\boxed{4})'),
    ('5 m', '\\boxed{5} or \\boxed{5}\\text{ cm}'),
    ('5 m', '\\boxed{5\\text{ m}} or \\boxed{5\\text{ cm}}'),
    ('x=3, y=5', '\\boxed{x=3, y=5} or \\boxed{x=5, y=3}'),
    # a second round: a unit or factor outside a box, between boxes, is no glue
    ('5 m', '\\boxed{5} cm or \\boxed{500} cm'),
    ('5 m', '\\boxed{5}\\text{ cm} or \\boxed{500}\\text{ cm}'),
    ('2 hours', '\\boxed{2} minutes or \\boxed{120} minutes'),
    ('2 hours', '\\boxed{2} minutes or \\boxed{2} hours'),
    ('3', '\\boxed{3} \\times 10^3 or \\boxed{3}'),
]

#: Right answers these rules must not refuse: names in another order, a correction, one box per
#: sentence, both values for a gold of both, a derivation read as its last value.
RIGHT = [
    ('x=3, y=5', '\\boxed{y=5, x=3}'),
    ('x=3, y=5', '\\boxed{x=3, y=5}'),
    ('a=2, b=7', '\\boxed{b = 7, a = 2}'),
    ('5', '\\boxed{3} no wait \\boxed{5}'),
    ('5', 'First $\\boxed{3}$ apples. So the answer is $\\boxed{5}$.'),
    ('5, 6', '\\boxed{5} or \\boxed{6}'),
    ('x = 11', '\\boxed{x = 5+5+1 = 7 = 11}'),
    ('\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', '\\boxed{\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}}'),
    # boxes that each hold the answer: the same value twice or in two forms
    ('3', '\\boxed{3} (or equivalently \\boxed{6/2})'),
    ('5', '\\boxed{5} or \\boxed{5}'),
    ('1/2', '\\boxed{0.5} or \\boxed{\\frac{1}{2}}'),
    ('5 m', '\\boxed{5\\text{ m}} or \\boxed{500\\text{ cm}}'),
    ('x=3, y=5', '\\boxed{x=3, y=5} or \\boxed{y=5, x=3}'),
]



@pytest.mark.parametrize(("gold", "response"), PAID_WRONG)
def test_paid_wrong_answers_are_refused(math_v, gold: str, response: str) -> None:
    verdict = math_v.verify(response, gold)
    assert verdict.score == 0.0, (gold, response, verdict.reason)


@pytest.mark.parametrize(("gold", "response"), RIGHT)
def test_right_answers_stay_right(math_v, gold: str, response: str) -> None:
    verdict = math_v.verify(response, gold)
    assert verdict.score == 1.0, (gold, response, verdict.reason)


def test_every_box_in_a_batch_as_alone(math_v) -> None:
    """verify_batch gives the verdicts verify gives, boxes re-read alone among other items."""
    pairs = PAID_WRONG[-13:] + RIGHT[-5:]
    batch = math_v.verify_batch([r for _, r in pairs], [g for g, _ in pairs])
    assert [v.correct for v in batch] == [False] * 13 + [True] * 5
    assert [v.reason for v in batch] == [math_v.verify(r, g).reason for g, r in pairs]
    assert batch[-1].details["boxes"] == ["x=3, y=5", "y=5, x=3"]
