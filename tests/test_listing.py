"""``zeroplay list``: the training registries (loops, rewards, advantage estimators, loss terms) are listed
with their descriptions, plug-ins from entry points included (a broken one with its error); ``zeroplay list
SECTION`` narrows; listing envs imports no training code and no torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zeroplay.cli import main

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "vllm")
SECTIONS = ("envs", "verifiers", "agents", "sandbox", "loops", "rewards", "advantages", "loss_terms")

PKG = "zp_list_probe"
PARTS = '''
"""A plug-in package for the listing test."""

import torch  # what a real plug-in imports: listing it may load torch, listing envs must not


class EchoLoop:
    """Say the word the section names, and be rewarded for it.

    More text that the listing leaves out.
    """

    config_class = None


def says_it(correct, well_formed, shaping):
    """Two points for saying it. Minus two otherwise."""
    return 2.0 if correct else -2.0


def undocumented(correct, well_formed, shaping):
    return 0.0
'''
ENTRY_POINTS = f"""
[zeroplay.loops]
echo = {PKG}.parts:EchoLoop

[zeroplay.rewards]
says_it = {PKG}.parts:says_it
quiet = {PKG}.parts:undocumented
gone = {PKG}.nowhere:says_it

[zeroplay.advantages]
counted = {PKG}.parts:Counted
"""


def _list(*args: str, pythonpath: str | None = None, importtime: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}  # rich wraps at the terminal width: one row per line here
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run([sys.executable, *flags, "-m", "zeroplay.cli", "list", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def _imported(stderr: str) -> set[str]:
    return {line.split("|")[-1].strip().split(".")[0] for line in stderr.splitlines() if "|" in line}


def _rows(out: str) -> dict[str, str]:
    """name -> description of the listing's rows (sections' titles included, as names)."""
    rows = {}
    for line in out.splitlines():
        name, _, rest = line.strip().partition(" ")
        if name:
            rows[name] = " ".join(rest.split())
    return rows


def test_list_shows_the_training_sections_with_their_descriptions(monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    titles = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert titles == list(SECTIONS), titles
    assert "loops  (loop: NAME)" in out and "advantages  (advantage.estimator: NAME or mypkg.module:Name)" in out
    # every section whose parts may be named by where they live says so in its title; loops and sandbox may not
    unregistered = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")
                    and "mypkg.module:" in line]
    assert unregistered == ["envs", "verifiers", "agents", "rewards", "advantages", "loss_terms"], unregistered
    rows = _rows(out)
    assert rows["rlvr"] == "RL with verifiable rewards on single-step envs"
    assert rows["correctness"] == "solver: +1 correct, -0.5 wrong, -1 malformed (Absolute Zero)"
    assert rows["grpo"] == "reward standardized within its group (DeepSeekMath)"
    assert rows["kl"].startswith("k3 estimate of KL(policy || reference) per token")
    from zeroplay.training.registry import ADVANTAGES, LOOPS, LOSS_TERMS, REWARDS

    for reg in (LOOPS, REWARDS, ADVANTAGES, LOSS_TERMS):  # every registered name is listed, with a description
        for name in reg.registered():
            assert rows.get(name), f"{reg.kind} {name!r} is not listed with a description"


@pytest.mark.parametrize("section", ["loops", "rewards", "advantages", "loss_terms"])
def test_list_section_shows_that_section_only(section: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["list", section]) == 0
    out = capsys.readouterr().out
    titles = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert titles == [section]
    assert ("rlvr" in _rows(out)) == (section == "loops")


def test_list_refuses_an_unknown_section_naming_the_choices() -> None:
    proc = _list("estimatorz")
    assert proc.returncode == 2 and "invalid choice: 'estimatorz'" in proc.stderr and "advantages" in proc.stderr


def test_plugins_are_listed_with_their_docstring_and_a_broken_one_with_its_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / PKG).mkdir(parents=True)
    (site / PKG / "__init__.py").write_text("")
    (site / PKG / "parts.py").write_text(PARTS)
    dist = site / f"{PKG}-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PKG.replace('_', '-')}\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)

    proc = _list(pythonpath=str(site))
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = _rows(proc.stdout)
    assert rows["echo"] == f"Say the word the section names, and be rewarded for it. (plug-in {PKG}.parts:EchoLoop)"
    assert rows["says_it"] == f"Two points for saying it. (plug-in {PKG}.parts:says_it)"
    assert rows["quiet"] == f"plug-in {PKG}.parts:undocumented"
    assert rows["gone"] == (f"does not load: reward 'gone' (entry point '{PKG}.nowhere:says_it'): cannot import module "
                            f"'{PKG}.nowhere'; module {PKG} has no submodule nowhere ({PKG} is at {site / PKG})")
    assert rows["counted"] == (f"does not load: advantage estimator 'counted' (entry point '{PKG}.parts:Counted'): "
                               f"module '{PKG}.parts' has no 'Counted'; fix the registration")
    assert rows["correctness"].startswith("solver: +1 correct")  # the built-ins are still there
    # listing the plug-in's section imported its module, and so torch; listing envs does not
    # (importlib.import_module is not logged by -X importtime, what the module imports is)
    proc = _list("envs", pythonpath=str(site), importtime=True)
    assert proc.returncode == 0 and "zeroplay/KuhnPoker-v0" in proc.stdout, proc.stderr[-2000:]
    imported = _imported(proc.stderr)
    assert "zeroplay" in imported and not set(HEAVY) & imported, sorted(set(HEAVY) & imported)
    proc = _list("loops", pythonpath=str(site), importtime=True)
    assert "torch" in _imported(proc.stderr)  # the check above can fail


@pytest.mark.parametrize("what", [(), ("envs",), ("loops",)])
def test_listing_without_plugins_imports_no_heavy_package(what: tuple[str, ...]) -> None:
    proc = _list(*what, importtime=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = _imported(proc.stderr)
    assert "zeroplay" in imported and not set(HEAVY) & imported, sorted(set(HEAVY) & imported)
    training = any(line.split("|")[-1].strip().startswith("zeroplay.training") for line in proc.stderr.splitlines())
    assert training == (what != ("envs",))  # listing envs does not even import the training registries
