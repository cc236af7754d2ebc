"""`zeroplay synth`: --add-seeds, --list, and a run with a registered scripted agent."""

from __future__ import annotations

from pathlib import Path

import pytest
from synth_corpus import BROKEN, GOOD, MAX_SUBARRAY

from zeroplay import agents
from zeroplay.agents.base import Agent
from zeroplay.cli import main
from zeroplay.envs.synth.library import Library


class TwoGoodOneBad(Agent):
    name = "synth-cli-author"

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def act(self, observations, infos=None):
        replies = [GOOD, MAX_SUBARRAY, BROKEN[0][2]]
        return [self.prefix + replies[i % 3] for i in range(len(observations))]


@pytest.fixture(autouse=True)
def _author() -> None:
    agents.register("synth-cli-author", TwoGoodOneBad)


def test_run_with_agent_fills_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "lib"
    code = main(["synth", "--agent", "synth-cli-author", "--agent-arg", "prefix='# written for a test\n'",
                 "-n", "3", "--library", str(lib), "--theme", "sums"])
    out = capsys.readouterr().out
    assert code == 0 and "2 of 3 accepted" in out and "static" in out
    assert Library(lib).names() == ["ListSum", "MaxSubarray"]
    assert main(["synth", "--list", "--library", str(lib)]) == 0
    assert "zeroplay/synth/ListSum-v0" in capsys.readouterr().out


def test_add_seeds_then_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "lib"
    assert main(["synth", "--add-seeds", "--library", str(lib)]) == 0
    assert len(Library(lib)) >= 12
    assert main(["synth", "--add-seeds", "--library", str(lib)]) == 0  # idempotent
    assert "0 seed environments added" in capsys.readouterr().out and len(Library(lib)) >= 12


def test_without_agent_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth"]) == 2
    assert "--agent" in capsys.readouterr().err


def test_bad_agent_arg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--agent", "synth-cli-author", "--agent-arg", "oops", "--library", str(tmp_path)]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
