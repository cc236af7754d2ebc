"""A throw-away plugin package, installed into this venv with pip, is found through its
entry points: an env (`zeroplay.envs`), an agent (`zeroplay.agents`) and a verifier."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PKG = "zp_plugin_probe"

PYPROJECT = f"""
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{PKG.replace('_', '-')}"
version = "0.0.1"

[project.entry-points."zeroplay.envs"]
probe = "{PKG}.envs:register"

[project.entry-points."zeroplay.agents"]
always-yes = "{PKG}.agents:AlwaysYes"

[project.entry-points."zeroplay.verifiers"]
yes = "{PKG}.agents:YesVerifier"

[tool.setuptools]
packages = ["{PKG}"]
"""

ENVS = """
import zeroplay as zp
from zeroplay.core import Task, TaskEnv

class ProbeEnv(TaskEnv):
    def __init__(self):
        super().__init__([Task("p", "Say yes.", "yes")], verifier="exact_placeholder")

    def verifier_for(self, task):
        from zeroplay import verifiers
        return verifiers.make("yes")

def register():
    zp.register("probe/Probe-v0", entry_point="zp_plugin_probe.envs:ProbeEnv")
"""

AGENTS = """
from zeroplay.agents.base import Agent
from zeroplay.core import Verdict, Verifier

class AlwaysYes(Agent):
    def act(self, observations, infos=None):
        return ["yes" for _ in observations]

class YesVerifier(Verifier):
    def verify(self, response, reference):
        ok = response.strip() == "yes"
        return Verdict(ok, float(ok), "plugin-yes", response)
"""

CHECK = """
import zeroplay as zp
from zeroplay import agents, verifiers
assert "probe/Probe-v0" in zp.registered(), zp.registered()
assert "always-yes" in agents.registered() and "yes" in verifiers.registered()
env = zp.make("probe/Probe-v0")
obs, info = env.reset(seed=0)
action = agents.make("always-yes").act([obs], [info])[0]
_, reward, terminated, _, info = env.step(action)
assert reward == 1.0 and terminated and info["verdict"].reason == "plugin-yes", info
print("PLUGIN-OK")
"""


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def plugin_installed(tmp_path: Path):
    root = tmp_path / "plugin"
    (root / PKG).mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / PKG / "__init__.py").write_text("")
    (root / PKG / "envs.py").write_text(textwrap.dedent(ENVS))
    (root / PKG / "agents.py").write_text(textwrap.dedent(AGENTS))
    proc = _pip("install", "--no-deps", "--no-build-isolation", "-q", str(root))
    assert proc.returncode == 0, f"pip install of the probe plugin failed:\n{proc.stdout}\n{proc.stderr}"
    yield
    _pip("uninstall", "-y", "-q", PKG.replace("_", "-"))


def test_plugin_env_agent_and_verifier_are_found_through_entry_points(plugin_installed, tmp_path: Path) -> None:
    # a fresh interpreter, as a user would start one after `pip install` (and away from the source tree)
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0 and "PLUGIN-OK" in proc.stdout, proc.stderr[-3000:]


def test_plugin_envs_are_visible_to_gymnasium_make_right_after_import(plugin_installed, tmp_path: Path) -> None:
    code = ("import gymnasium, zeroplay\n"
            "env = gymnasium.make('probe/Probe-v0')\n"
            "print('GYM-OK', env.reset(seed=0)[0])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0 and "GYM-OK Say yes." in proc.stdout, proc.stderr[-3000:]


def test_a_broken_plugin_warns_and_does_not_take_zeroplay_down(tmp_path: Path) -> None:
    dist = tmp_path / "broken_probe-0.0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-probe\nVersion: 0.0.1\n")
    (dist / "entry_points.txt").write_text("[zeroplay.envs]\nbroken = no_such_module_xyz:register\n")
    code = "import warnings, zeroplay as zp\nwarnings.simplefilter('always')\nprint(len(zp.registered()) >= 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "True" in proc.stdout and "plugin 'broken'" in proc.stderr and "failed to load" in proc.stderr
