"""Fixtures for the synth tests: one shared sandbox runner, and a library in a temp dir (never the user's home)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # synth_corpus.py sits beside the tests

from synth_corpus import TEST_RUNNER

from zeroplay.envs.synth.library import ENV_VAR, Library
from zeroplay.envs.synth.runner import EnvRunner


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
