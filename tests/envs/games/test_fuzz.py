"""10k fuzzed moves per game: legal, nearly legal and hostile text, never an exception."""

from __future__ import annotations

import math
import zlib

import numpy as np

import zeroplay as zp

JUNK = [
    "", " ", "[]", "[ ]", "[[]]", "[" * 3000, "]" * 3000, "x" * 70_000, "\x00\x01[\x02]", "\ud800[1]",
    "[-1]", "[999999999999999999999999]", "[1e308]", "[nan]", "[0 0]", "[0 -3]", "[Offer: -> ]",
    "[Offer: 99999 Ore -> 1 Wheat]", "[Offer: 1 Gold -> 1 Ore]", "[Offer: 1 Ore -> 1 Ore]", "[Propose 9 9 9]",
    "[Propose 1 2]", "[propose -1 0 0]", "[Accept]", "[Deny]", "[Pass]", "[raise]", "[call]", "[fold]",
    "é漢字😀[♠]", "[bet]\n[", "[\n4\n]", "[4]" * 1000, "[ 4 ]", "[col 3]",
]
NON_TEXT = [None, 3, 2.5, b"[1]", b"\xff\xfe", ["[1]"], {"move": 1}]


def fuzzed_move(rng: np.random.Generator, legal: list[str]) -> object:
    kind = rng.random()
    if kind < 0.45 and legal:  # a legal move, dressed up
        move = legal[int(rng.integers(len(legal)))]
        dress = int(rng.integers(4))
        return [f"[{move}]", f"reasoning... [{move.upper()}]", f"[ {move} ] trailing", f"[x] then [{move}]"][dress]
    if kind < 0.7:
        return JUNK[int(rng.integers(len(JUNK)))]
    if kind < 0.75:
        return NON_TEXT[int(rng.integers(len(NON_TEXT)))]
    length = int(rng.integers(0, 80))
    return "".join(chr(int(c)) for c in rng.integers(1, 0x3000, length))


def test_ten_thousand_fuzzed_moves_raise_nothing(game_id: str) -> None:
    env = zp.make(game_id, invalid_move_retries=2)
    rng = np.random.default_rng(zlib.crc32(game_id.encode()))
    obs, info = env.reset(seed=0)
    games = 0
    for i in range(10_000):
        obs, reward, terminated, truncated, info = env.step(fuzzed_move(rng, info.get("legal_actions", [])))
        assert isinstance(obs, str) and math.isfinite(reward)
        if terminated or truncated:
            if env.unwrapped.zero_sum:
                assert abs(sum(info["returns"])) < 1e-9
            else:  # cooperative: one team score
                assert len(set(info["returns"])) == 1
            games += 1
            obs, info = env.reset(seed=i)
        else:
            assert info["legal_actions"] and info["player"] in (0, 1)
    assert games > 100, "the fuzz should finish many games"
