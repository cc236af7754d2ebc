"""Shared fixtures: one tiny model built per session (real tokenizer, real random-init weights)."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    from zeroplay.agents.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", hidden_size=32, num_layers=2, num_heads=2, seed=0)


def random_samples(n=6, seed=0):
    """``n`` samples of random token ids (prompt 2-8, completion 2-6 tokens) with random old log-probs."""
    from zeroplay.training.rollout import Sample

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        c = [rng.randrange(3, 300) for _ in range(rng.randrange(2, 7))]
        out.append(Sample(prompt_ids=[rng.randrange(3, 300) for _ in range(rng.randrange(2, 9))], completion_ids=c,
                          logprobs=[-rng.random() * 3 for _ in c]))
    return out


def tiny_config(tmp_path, **over):
    """A games config on Kuhn Poker with a tiny budget (seconds on 2 cores)."""
    cfg = {
        "name": "t", "out_dir": str(tmp_path), "seed": 3, "loop": "games", "steps": 2,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 4, "batch_size": 16},
        "optim": {"lr": 1e-3, "micro_batch_size": 8},
        "advantage": {"estimator": "rae"},
        "warmup": {"steps": 2, "batch_size": 8},
        "games": {"env": "zeroplay/KuhnPoker-v0", "games_per_step": 4, "observation": "view"},
        "eval": {"opponents": ["random"], "games": 4, "exploitability": True},
    }
    for key, value in over.items():
        node = cfg
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return cfg


def kill_mid_run(base: dict, tmp_path: Path, *, name: str = "killed", delay_s: float = 1.0) -> Path:
    """Run ``base`` as ``zeroplay train`` in a subprocess, SIGKILL it once step 2 is logged, and
    return its run directory (checked: killed before the end, at most one step lost)."""
    from zeroplay.training import read_metrics
    from zeroplay.training.checkpoint import load_checkpoint

    cfg_path = tmp_path / f"{name}.yaml"
    cfg_path.write_text(yaml.safe_dump({**base, "name": name, "step_delay_s": delay_s}))
    run_dir = tmp_path / name
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "train", str(cfg_path), "--quiet"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if (run_dir / "metrics.jsonl").is_file() and any(r["step"] >= 2 for r in read_metrics(run_dir)):
                break
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    logged = max(r["step"] for r in read_metrics(run_dir))
    saved = load_checkpoint(run_dir)["step"]
    assert logged < base["steps"] and saved >= logged - 1  # at most one step lost
    return run_dir
