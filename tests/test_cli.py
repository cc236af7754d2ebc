"""The command line: `zeroplay --help`, every subcommand's --help, and `zeroplay list`."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from zeroplay.cli import COMMANDS


def zeroplay(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zeroplay.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_command() -> None:
    proc = zeroplay("--help")
    assert proc.returncode == 0
    for name in COMMANDS:
        assert name in proc.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_help(command: str) -> None:
    module = importlib.import_module(COMMANDS[command][0])  # the command is really there, not "not available"
    assert callable(module.add_arguments) and callable(module.run)
    proc = zeroplay(command, "--help")
    assert proc.returncode == 0, f"`zeroplay {command} --help` failed:\n{proc.stderr[-2000:]}"
    assert "usage: zeroplay" in proc.stdout


def test_list_shows_envs_verifiers_agents_and_sandbox() -> None:
    proc = zeroplay("list")
    assert proc.returncode == 0, proc.stderr
    for section in ("envs", "verifiers", "agents", "sandbox"):
        assert section in proc.stdout
    assert "math" in proc.stdout and "random" in proc.stdout


def test_errors_are_one_clear_line_not_a_traceback() -> None:
    proc = zeroplay("bench", "nosuch")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
