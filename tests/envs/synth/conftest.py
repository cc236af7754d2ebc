"""Fixtures for the synth tests: one shared sandbox runner, and a library in a temp dir (never the user's home)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # synth_corpus.py sits beside the tests

from zeroplay.envs.synth.library import ENV_VAR, Library
from zeroplay.envs.synth.runner import EnvRunner, RunnerConfig
from zeroplay.envs.synth.validate import ValidationConfig

#: Short sandbox limit: the runaway sources in the corpus hit it, so it bounds the suite's time.
TEST_RUNNER = RunnerConfig(timeout_s=8.0, call_timeout_s=2.0)
TEST_VALIDATION = ValidationConfig(runner=TEST_RUNNER)


@pytest.fixture(autouse=True)
def _temp_library_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default library at a temp dir for every test, so nothing touches the user's home."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path_factory.mktemp("default-library")))


@pytest.fixture(scope="session")
def runner() -> EnvRunner:
    r = EnvRunner(TEST_RUNNER)
    yield r
    r.close()


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library(tmp_path / "library")
