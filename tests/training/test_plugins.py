"""The acceptance test of open training: a loop, a reward, an advantage estimator and a loss term defined in a
throw-away package, found through its entry points (an installed package is a directory on the path
with a ``*.dist-info`` holding ``entry_points.txt``: what importlib.metadata reads), are used by a
config run with ``zeroplay train``, without touching zeroplay's code."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from .conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
PKG = "zp_train_probe"

ENTRY_POINTS = f"""
[zeroplay.loops]
echo = {PKG}.parts:EchoLoop

[zeroplay.rewards]
says_it = {PKG}.parts:says_it

[zeroplay.advantages]
counted_mean = {PKG}.parts:CountedMean

[zeroplay.loss_terms]
length_penalty = {PKG}.parts:length_penalty
"""

PARTS = """
import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from zeroplay.training.advantages import AdvantageEstimator
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.rollout import ShardedLoop, ShardResult, concat_stats, seed_for, to_sample


class EchoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    word: str = "yes"
    prompts: int = 3
    reward: str = "says_it"


def says_it(correct, well_formed, shaping):
    return 2.0 if correct else -2.0


class EchoLoop(ShardedLoop):
    \"\"\"Ask the policy to say a word; reward from the section's named reward.\"\"\"

    config_class = EchoConfig

    def __init__(self, cfg, sampler, policy):
        super().__init__(cfg, sampler, policy)
        self.ec = cfg.loop_config
        self.reward = lookup(REWARDS, self.ec.reward)

    @classmethod
    def corpus_lines(cls, cfg):
        return [f"say {cfg.loop_config.word}"] * 4

    def collect_shard(self, step, shard, shards):
        outs = self.sampler.generate([f"say {self.ec.word}"] * self.ec.prompts)
        samples = [to_sample(g, reward=self.reward(self.ec.word in a, ok, self.cfg.rewards), role="speaker",
                             env="echo", group=str(step), episode=f"{step}-{i}", well_formed=ok)
                   for i, (g, a, ok) in enumerate(outs)]
        return ShardResult(samples, {"said": [self.ec.word in a for _, a, _ in outs]})

    def merge(self, step, results):
        samples, stats = concat_stats(results)
        return samples, {"echo/said": float(np.mean(stats["said"])),
                         "echo/reward": float(np.mean([s.reward for s in samples]))}

    def evaluate(self, step):
        return {"eval/echo_prompts": float(self.ec.prompts)}


def length_penalty(x):
    \"\"\"1 per completion token (a weight > 0 favours short completions).\"\"\"
    return torch.ones_like(x.logprobs)


class CountedMean(AdvantageEstimator):
    \"\"\"Reward minus the batch mean; counts its calls (saved in the checkpoint, so the test sees it ran).\"\"\"

    def __init__(self, config=None):
        super().__init__(config)
        self.calls = 0

    def __call__(self, samples):
        self.calls += 1
        r = torch.tensor([s.reward for s in samples], dtype=torch.float32)
        return r - r.mean() + float(self.config.options.get("shift", 0.0))

    def state_dict(self):
        return {"calls": self.calls}

    def load_state_dict(self, state):
        self.calls = int(state["calls"])
"""

CONFIG = {
    "name": "probe", "seed": 0, "loop": "echo", "steps": 1,
    "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
    "sampling": {"max_new_tokens": 3, "batch_size": 8},
    "advantage": {"estimator": "counted_mean", "options": {"shift": 0.0}},
    "echo": {"word": "yes", "prompts": 3, "reward": "says_it"},
    "loss": {"terms": {"length_penalty": 0.01}},
}


def _plugin_path(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / PKG).mkdir(parents=True, exist_ok=True)
    (site / PKG / "__init__.py").write_text("")
    (site / PKG / "parts.py").write_text(textwrap.dedent(PARTS))
    dist = site / f"{PKG}-0.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PKG.replace('_', '-')}\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    return site


def _train(tmp_path: Path, config: dict, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(_plugin_path(tmp_path))}
    return subprocess.run([sys.executable, "-m", "zeroplay.cli", "train", str(path), "--out", str(tmp_path / "runs"),
                           "--quiet", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=240)


def test_a_plugin_loop_reward_and_estimator_run_from_a_config(tmp_path):
    proc = _train(tmp_path, CONFIG, "--steps", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    from zeroplay.training import read_metrics
    from zeroplay.training.checkpoint import load_checkpoint

    run_dir = tmp_path / "runs" / "probe"
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2]
    last = rows[-1]
    assert last["eval/echo_prompts"] == 3.0 and "echo/said" in last
    # the plug-in reward gave every sample +2 (said the word) or -2
    assert abs(last["echo/reward"] - (4 * last["echo/said"] - 2)) < 1e-9
    assert abs(last["reward/mean"] - last["echo/reward"]) < 1e-9
    # the plug-in loss term was added (its per-token value is 1 on every completion token)
    assert last["loss/term/length_penalty"] == 1.0
    # the plug-in estimator ran once per step, and its state went into the checkpoint
    extra = load_checkpoint(run_dir)["extra"]
    assert extra["advantage"] == {"calls": 2}
    # the plug-in loop's section is saved where the user wrote it
    saved = yaml.safe_load((run_dir / "config.json").read_text())
    assert saved["echo"] == {"word": "yes", "prompts": 3, "reward": "says_it"} and "sections" not in saved
    assert (run_dir / "final_model" / "config.json").is_file()


def test_a_typo_in_a_plugin_section_names_the_field(tmp_path):
    proc = _train(tmp_path, {**CONFIG, "name": "typo", "echo": {"wrod": "yes"}})
    assert proc.returncode != 0
    assert "echo.wrod: unknown field" in proc.stderr, proc.stderr[-2000:]
    proc = _train(tmp_path, {**CONFIG, "name": "badname", "advantage": {"estimator": "countedmean"}})
    assert proc.returncode != 0 and "counted_mean" in proc.stderr, proc.stderr[-2000:]  # the choices are listed


# -- a plug-in that does not load: one line naming the kind, the name and the module ----------------------

BROKEN = "zp_broken_probe"
#: failure -> (entry point, what the one-line error says after "KIND 'NAME' (entry point 'EP')")
FAILURES = {
    "nomodule": ("zp_broken_nowhere.parts:Thing", ": cannot import module 'zp_broken_nowhere.parts'; add the "
                                                  "directory that holds zp_broken_nowhere to PYTHONPATH "
                                                  "(PYTHONPATH=DIR zeroplay ...) or install its package"),
    "raises": (f"{BROKEN}.raises:Thing", f": importing '{BROKEN}.raises' failed: RuntimeError: boom at import"),
    "noattr": (f"{BROKEN}.parts:Nope", f": module '{BROKEN}.parts' has no 'Nope'; fix the registration"),
    "notcallable": (f"{BROKEN}.parts:THRESHOLD", " is a int, not a class or a function; fix the registration"),
}
#: kind -> (entry-point group, registry name, the config that names the broken part NAME)
KINDS = {
    "loop": ("zeroplay.loops", "LOOPS", lambda tmp, name: tiny_config(tmp, loop=name)),
    "reward": ("zeroplay.rewards", "REWARDS", lambda tmp, name: tiny_config(tmp, **{"games.reward": name})),
    "advantage estimator": ("zeroplay.advantages", "ADVANTAGES",
                            lambda tmp, name: tiny_config(tmp, **{"advantage.estimator": name})),
}


def _broken_site(tmp_path: Path) -> Path:
    """An installed package whose entry points name, in each group, one broken part per failure."""
    site = tmp_path / "broken_site"
    (site / BROKEN).mkdir(parents=True)
    (site / BROKEN / "__init__.py").write_text("")
    (site / BROKEN / "parts.py").write_text("THRESHOLD = 3\n")
    (site / BROKEN / "raises.py").write_text("raise RuntimeError('boom\\n at import')\n")  # a two-line message
    dist = site / f"{BROKEN}-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {BROKEN.replace('_', '-')}\nVersion: 0.0\n")
    groups = "".join(f"[{group}]\n" + "".join(f"broken_{f} = {ep}\n" for f, (ep, _) in FAILURES.items()) + "\n"
                     for group, _, _ in KINDS.values())
    (dist / "entry_points.txt").write_text(groups)
    return site


@pytest.fixture
def broken_plugins(tmp_path, monkeypatch):
    """The broken package on sys.path, and the training registries reading their entry points again
    (restored afterwards)."""
    from zeroplay.training import registry

    monkeypatch.syspath_prepend(str(_broken_site(tmp_path)))
    for _, attr, _ in KINDS.values():
        reg = getattr(registry, attr)
        monkeypatch.setattr(reg, "_specs", dict(reg._specs))
        monkeypatch.setattr(reg, "_plugins_loaded", False)
    return registry


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_broken_plugin_part_is_one_line_naming_kind_name_and_module(kind, failure, broken_plugins, tmp_path,
                                                                      capsys):
    from zeroplay.cli import main
    from zeroplay.core.registry import EntryPointError
    from zeroplay.training import config_from_dict

    group, attr, config = KINDS[kind]
    name = f"broken_{failure}"
    entry_point, said = FAILURES[failure]
    expected = f"{kind} {name!r} (entry point {entry_point!r}){said}"
    # the Python API: lookup, and a config that names it (validation loads what it names)
    with pytest.raises(EntryPointError) as e:
        broken_plugins.lookup(getattr(broken_plugins, attr), name)
    assert str(e.value) == expected and isinstance(e.value, ImportError)
    with pytest.raises(EntryPointError, match=re.escape(expected)):
        config_from_dict(config(tmp_path, name))
    # the CLI: `zeroplay train CONFIG --dry-run` says it on one line, exit 2
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(config(tmp_path, name)))
    assert main(["train", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err == f"zeroplay train: error: {expected}\n", err


def test_a_broken_plugin_reward_stops_a_real_dry_run_process_without_a_traceback(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(tiny_config(tmp_path, **{"games.reward": "broken_raises"})))
    env = {**os.environ, "PYTHONPATH": str(_broken_site(tmp_path))}
    proc = subprocess.run([sys.executable, "-m", "zeroplay.cli", "train", str(path), "--dry-run"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout[-2000:]
    assert proc.stderr == (f"zeroplay train: error: reward 'broken_raises' (entry point '{BROKEN}.raises:Thing'): "
                           f"importing '{BROKEN}.raises' failed: RuntimeError: boom at import\n"), proc.stderr[-2000:]


def test_a_scripted_agent_that_does_not_import_is_one_config_error_line(tmp_path, monkeypatch):
    from zeroplay.core.errors import ConfigError
    from zeroplay.training.policies import build_scripted_agent

    monkeypatch.syspath_prepend(str(_broken_site(tmp_path)))
    for agent, said in (("zp_broken_nowhere:Agent", "cannot import module 'zp_broken_nowhere'"),
                        (f"{BROKEN}.raises:Agent", "RuntimeError: boom at import"),
                        (f"{BROKEN}.parts:Agent", f"module '{BROKEN}.parts' has no 'Agent'")):
        with pytest.raises(ConfigError) as e:  # a ZeroplayError: the CLI prints it on one line, exit 2
            build_scripted_agent("proposer", agent, {})
        msg = str(e.value)
        assert msg.startswith(f"scripted.proposer: could not build agent {agent!r} (entry point {agent!r}: ")
        assert said in msg and "\n" not in msg, msg
