"""Calibration against a solver: pass rates per level, and the levels kept inside the band."""

from __future__ import annotations

import pytest
from synth_corpus import GOOD

from zeroplay.agents.base import Agent
from zeroplay.agents.oracle import OracleAgent
from zeroplay.envs.synth.calibrate import _judge, calibrate


class LevelSolver(Agent):
    """Right on every level up to ``skill``, right on every other instance of level skill + 1, wrong above."""

    name = "level-solver"

    def __init__(self, skill: int):
        self.skill = skill
        self.seen: dict[int, int] = {}

    def act(self, observations, infos=None):
        out = []
        for info in infos:
            d = info["difficulty"]
            self.seen[d] = self.seen.get(d, 0) + 1
            right = d <= self.skill or (d == self.skill + 1 and self.seen[d] % 2 == 0)
            out.append(f"<answer>{info['task'].reference['answer'] if right else 'no idea'}</answer>")
        return out


def test_pass_rate_per_level_and_band(runner) -> None:
    report = calibrate(GOOD, LevelSolver(skill=2), episodes=8, runner=runner)
    assert report.pass_rates == {1: 1.0, 2: 1.0, 3: 0.5, 4: 0.0, 5: 0.0}
    assert report.passed and report.levels == [3] and report.difficulty == 3


def test_too_easy_for_the_solver_is_rejected(runner) -> None:
    report = calibrate(GOOD, OracleAgent(), episodes=4, runner=runner)
    assert report.pass_rates == {d: 1.0 for d in range(1, 6)}
    assert not report.passed and "no level" in report.reason


def test_band_is_configurable(runner) -> None:
    report = calibrate(GOOD, OracleAgent(), episodes=4, band=(0.9, 1.0), runner=runner)
    assert report.levels == [1, 2, 3, 4, 5] and report.difficulty == 1
    with pytest.raises(ValueError, match="band"):
        calibrate(GOOD, OracleAgent(), band=(0.8, 0.2), runner=runner)


def test_default_level_is_closest_to_the_band_middle() -> None:
    report = _judge({1: 0.9, 2: 0.7, 3: 0.45, 4: 0.25, 5: 0.0}, (0.2, 0.8))
    assert report.levels == [2, 3, 4] and report.difficulty == 3


def test_broken_source_reports_why(runner) -> None:
    report = calibrate("raise SystemExit\n" + GOOD, OracleAgent(), episodes=2, runner=runner)
    assert not report.passed and "could not make instances" in report.reason
