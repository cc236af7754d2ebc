"""The acceptance test of open training: a loop, a reward, an advantage estimator and a loss term defined in a
throw-away package, found through its entry points (an installed package is a directory on the path
with a ``*.dist-info`` holding ``entry_points.txt``: what importlib.metadata reads), are used by a
config run with ``zeroplay train``, without touching zeroplay's code."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

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
