"""The library on disk: add, read back, registration, restarts, tampering, corruption, location."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from synth_corpus import GOOD, ROMAN

import zeroplay as zp
from zeroplay.core.errors import ConfigError, UnknownIdError
from zeroplay.envs.synth.library import ENV_VAR, Library, default_library_path, env_id
from zeroplay.envs.synth.validate import source_sha


def _add(lib: Library, source: str, name: str):
    return lib.add(source, name=name, sha256=source_sha(source), difficulty=2, levels=[1, 2, 3])


def test_add_and_read_back(library: Library) -> None:
    assert library.entries() == {} and len(library) == 0
    entry = _add(library, GOOD, "ListSum")
    assert entry.name == "ListSum" and (library.path / "ListSum.py").read_text() == GOOD
    again = Library(library.path)  # a fresh object reads the same state from disk
    assert again.names() == ["ListSum"] and again.source("ListSum") == GOOD
    assert again.get("ListSum").difficulty == 2 and again.get("ListSum").levels == [1, 2, 3]


def test_names_are_unique_and_sanitized(library: Library) -> None:
    assert _add(library, GOOD, "ListSum").name == "ListSum"
    assert _add(library, GOOD, "ListSum").name == "ListSum2"
    assert _add(library, ROMAN, "roman numerals!").name == "RomanNumerals"
    assert _add(library, ROMAN, "9 lives").name == "Env9Lives"


def test_remove(library: Library) -> None:
    _add(library, GOOD, "ListSum")
    library.remove("ListSum")
    assert library.names() == [] and not (library.path / "ListSum.py").exists()
    with pytest.raises(UnknownIdError):
        library.remove("ListSum")


def test_tampered_source_is_refused(library: Library) -> None:
    _add(library, GOOD, "ListSum")
    (library.path / "ListSum.py").write_text(GOOD + "\nimport os\n")
    with pytest.raises(ConfigError, match="changed after it was validated"):
        library.source("ListSum")
    assert list(library.sources()) == []


def test_corrupt_index_says_so(library: Library) -> None:
    library.path.mkdir(parents=True)
    (library.path / "index.json").write_text("{not json")
    with pytest.raises(ConfigError, match="corrupt"):
        library.entries()


def test_register_makes_envs_available(library: Library, runner) -> None:
    _add(library, GOOD, "ListSumLib")
    assert library.register() == [env_id("ListSumLib")]
    assert env_id("ListSumLib") in zp.registered()
    env = zp.make(env_id("ListSumLib"), runner=runner)
    obs, info = env.reset(seed=0)
    assert "Add these numbers" in obs and info["difficulty"] == 2
    assert env.step(info["task"].reference["answer"])[1] == 1.0


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "here"))
    assert default_library_path() == tmp_path / "here" and Library().path == tmp_path / "here"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_library_path() == tmp_path / "xdg" / "zeroplay" / "synth"


def test_survives_restart_and_registers_at_import(library: Library) -> None:
    _add(library, GOOD, "ListSumRestart")
    env = {**os.environ, ENV_VAR: str(library.path)}
    code = "import sys, zeroplay as zp; print('zeroplay/synth/ListSumRestart-v0' in zp.registered())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.stdout.strip() == "True", out.stderr
    (library.path / "index.json").write_text(json.dumps({"envs": 3}))  # broken: import still works, with a warning
    out = subprocess.run([sys.executable, "-c", "import zeroplay"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0 and "synth library not registered" in out.stderr
