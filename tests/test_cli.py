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


# -- zeroplay bench: extras checked first, results where the user says ----------------------------


def test_bench_says_how_to_install_what_it_needs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from zeroplay import bench
    from zeroplay.cli import main

    monkeypatch.setitem(bench.NEEDS, "verifiers", (("zeroplay_no_such_module", "no-such-peer", "bench"),))
    assert main(["bench", "verifiers", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "needs no-such-peer" in err and "./setup.sh --bench" in err and "pip install -e '.[bench]'" in err
    assert set(bench.NEEDS) == set(bench.BENCHMARKS)


def test_bench_writes_where_out_says(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out` (before or after the name) reaches the script as ZEROPLAY_BENCH_OUT; the default is
    ./bench-results in the current directory; the script's own options pass through."""
    from zeroplay import bench
    from zeroplay.cli import main

    scripts = tmp_path / "benchmarks"
    scripts.mkdir()
    (scripts / "bench_sandbox.py").write_text(
        "import os, sys, pathlib\n"
        "out = pathlib.Path(os.environ['ZEROPLAY_BENCH_OUT'])\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'sandbox.json').write_text(' '.join(sys.argv[1:]))\n"
    )
    monkeypatch.setattr(bench, "benchmarks_dir", lambda: scripts)
    monkeypatch.setattr(bench, "NEEDS", {})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(bench.OUT_ENV, raising=False)
    assert main(["bench", "sandbox", "--quick"]) == 0
    assert (tmp_path / "bench-results" / "sandbox.json").read_text() == "--quick"
    assert main(["bench", "--out", "a", "sandbox"]) == 0 and (tmp_path / "a" / "sandbox.json").is_file()
    assert main(["bench", "sandbox", "--out", "b", "--quick"]) == 0
    assert (tmp_path / "b" / "sandbox.json").read_text() == "--quick"


def test_every_bench_script_honours_the_results_override(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each script's results directory is benchmarks/results/ run directly, the override when set;
    a script without a RESULTS line of its own takes report.RESULTS (no other path to results/)."""
    from zeroplay.bench import OUT_ENV, benchmarks_dir

    here = benchmarks_dir()
    scripts = sorted(here.glob("bench_*.py"))
    assert len(scripts) >= 5
    for override in (None, tmp_path):
        if override is None:
            monkeypatch.delenv(OUT_ENV, raising=False)
        else:
            monkeypatch.setenv(OUT_ENV, str(override))
        for path in [here / "report.py", *scripts]:
            source = path.read_text()
            lines = [x for x in source.splitlines() if x.startswith("RESULTS = ")]
            if not lines:
                assert '/ "results"' not in source, f"{path.name} writes to results/ without the override"
                continue
            namespace = {"__file__": str(path)}
            exec("import os\nfrom pathlib import Path\n" + lines[0], namespace)  # the line alone: nothing runs
            assert namespace["RESULTS"] == (override or here / "results"), path
