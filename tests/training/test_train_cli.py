"""`zeroplay train`: --dry-run builds nothing, a finished run says it is complete, numbered checkpoints
are kept up to checkpoint_keep and a damaged latest one falls back to the one before."""

import subprocess
import sys
from pathlib import Path

import torch
import yaml

from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import CHECKPOINT_NAME, numbered_checkpoints

from .conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
QUICK = {"eval.exploitability": False, "eval.games": 2}


def zeroplay(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zeroplay.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_dry_run_prints_the_config_and_the_plan_and_builds_nothing(tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config(tmp_path, **QUICK)))
    code = ("import sys; from zeroplay.cli import main; rc = main(sys.argv[1:]); "
            "print('HEAVY', 'transformers' in sys.modules, file=sys.stderr); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, "train", str(cfg), "--dry-run", "--set", "optim.lr=0.5"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    resolved = yaml.safe_load(out.split("# what the run would build")[0])
    assert resolved["optim"]["lr"] == 0.5 and resolved["log"] == ["jsonl"]  # overrides applied, defaults filled in
    for line in ("loop: games", "env: zeroplay/KuhnPoker-v0 (weight 1)", "reward: illegal_move_penalty",
                 "policy policy (every role): model tiny", "advantage estimator rae", "checkpoints: every 1 step(s), keeping 1",
                 f"run directory: {tmp_path / 't'} (new: a new run)"):
        assert line in out, out
    assert "HEAVY False" in proc.stderr  # no model library loaded
    assert not (tmp_path / "t").exists()


def test_a_finished_run_says_it_is_complete_and_more_steps_train_further(tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config(tmp_path, steps=1, **QUICK)))
    run_dir = tmp_path / "t"
    assert zeroplay("train", str(cfg), "--quiet").returncode == 0
    report = (run_dir / "report.html").stat().st_mtime_ns
    again = zeroplay("train", str(cfg), "--quiet")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "is complete: it trained 1 steps" in again.stderr and "--steps" in again.stderr, again.stderr
    assert (run_dir / "report.html").stat().st_mtime_ns == report  # nothing evaluated or written again
    more = zeroplay("train", str(cfg), "--quiet", "--steps", "2")
    assert more.returncode == 0 and "is complete" not in more.stderr, more.stderr[-2000:]
    assert [r["step"] for r in read_metrics(run_dir)] == [0, 1, 2]


def test_numbered_checkpoints_are_kept_and_a_damaged_latest_falls_back_to_the_previous(tmp_path, capfd):
    base = tiny_config(tmp_path, **QUICK, checkpoint_keep=2)
    straight = train(config_from_dict({**base, "name": "straight", "steps": 5}), quiet=True)
    run_dir = train(config_from_dict({**base, "steps": 4}), quiet=True)
    assert [s for s, _ in numbered_checkpoints(run_dir)] == [4, 3]
    assert (run_dir / CHECKPOINT_NAME).samefile(run_dir / "checkpoint-4.pt")  # a hard link: no extra disk
    state = torch.load(run_dir / CHECKPOINT_NAME, map_location="cpu", weights_only=True)
    assert state["step"] == 4
    capfd.readouterr()

    (run_dir / CHECKPOINT_NAME).write_bytes(b"not a checkpoint\n" * 9)  # in place: checkpoint-4.pt too
    train(config_from_dict({**base, "steps": 5}), quiet=True)
    warnings = [line for line in capfd.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "checkpoint-3.pt (step 3)" in warnings[0], warnings
    assert [r["step"] for r in read_metrics(run_dir)] == [0, 1, 2, 3, 4, 5]
    assert [s for s, _ in numbered_checkpoints(run_dir)] == [5, 4]
    # resumed from step 3, the run still equals an uninterrupted one
    from safetensors.torch import load_file

    a, b = (load_file(str(d / "final_model" / "model.safetensors")) for d in (straight, run_dir))
    assert all(torch.equal(a[k], b[k]) for k in a)
