"""A garbled number in a move is an invalid move, never another legal one (a red team's finding: the
number readers skipped signs and decimal points, so ``[0 -1]`` was played as ``0 1`` in Nim, ``[1.4 2]``
as "take 4 from pile 1", and ``[Propose -1 0 0]`` as ``Propose 1 0 0``, escaping the invalid-move
penalty training applies)."""

from __future__ import annotations

import pytest

import zeroplay as zp
from zeroplay.core.env import move_numbers


@pytest.mark.parametrize("env_id, garbled, fine", [
    ("zeroplay/Nim-v0", ["[0 -1]", "[1.4 2]", "[+0 1]", "[0 1.0]", "[0 0001]"], "[0 1]"),
    ("zeroplay/DealOrNoDeal-v0", ["[Propose -1 0 0]", "[Propose 1.5 0 0]", "[Propose 1 0 +0]"], "[Propose 1 0 0]"),
    ("zeroplay/LiarsDice-v0", ["[Bid -1 4]", "[Bid 1 4.0]", "[Bid 2,5 3]"], "[Bid 1 4]"),
])
def test_a_garbled_number_is_an_invalid_move(env_id: str, garbled: list[str], fine: str) -> None:
    for move in garbled:
        env = zp.make(env_id)
        env.reset(seed=0)
        info = env.step(move)[4]
        assert info.get("invalid_move"), (move, info)
    env = zp.make(env_id)
    env.reset(seed=0)
    assert not env.step(fine)[4].get("invalid_move"), fine


def test_move_numbers() -> None:
    assert move_numbers("take 2 from 10") == [2, 10]
    assert move_numbers("[0 -1]") is None and move_numbers("1.4 2") is None and move_numbers("1234") is None
    assert move_numbers("12", max_digits=1) is None and move_numbers("no numbers") == []
