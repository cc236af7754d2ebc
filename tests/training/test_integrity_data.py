"""A run's files survive what runs meet: a full disk, a kill mid-write, a resume from an older
checkpoint, a broken checkpoint. ``metrics.jsonl`` only ever grows; checkpoints are replaced
whole and load as plain data (``weights_only=True``)."""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from zeroplay.training import config_from_dict, train
from zeroplay.training.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint
from zeroplay.training.runlog import RESUME_MARKER, RunLog, read_metrics

from .conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
QUICK = {"eval.exploitability": False, "eval.games": 2}


def _write_rows(path: Path, steps: range) -> None:
    path.write_text("".join(json.dumps({"step": s, "reward/mean": s / 10}) + "\n" for s in steps))


def _run_limited(code: str, file_size_limit: int) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter whose files cannot grow past ``file_size_limit`` bytes (a full disk)."""
    prelude = textwrap.dedent(f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, ({file_size_limit}, {file_size_limit}))
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


# -- metrics.jsonl -----------------------------------------------------------------------------------


def test_a_resume_on_a_full_disk_keeps_every_logged_row(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    _write_rows(metrics, range(31))
    before = metrics.read_bytes()
    # resume from the step-30 checkpoint while no file may grow past half the log's size
    proc = _run_limited(f"from zeroplay.training.runlog import RunLog; RunLog({str(tmp_path)!r}, resume_step=30)",
                        len(before) // 2)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert metrics.read_bytes() == before
    # then a normal resume goes on from step 31 with the whole history
    RunLog(tmp_path, resume_step=30).log(31, {"reward/mean": 3.1})
    assert [r["step"] for r in read_metrics(metrics)] == list(range(32))


def test_a_full_disk_while_logging_is_a_one_line_error_and_loses_no_rows(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    _write_rows(metrics, range(5))
    before = metrics.read_bytes()
    proc = _run_limited(f"""
        from zeroplay.training.runlog import RunLog, RunFileError
        try:
            RunLog({str(tmp_path)!r}, resume_step=4).log(5, {{"text": "x" * 10000}})
        except RunFileError as e:
            print(e)
    """, len(before) + 100)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "metrics.jsonl" in proc.stdout and "free some disk space" in proc.stdout, proc.stdout
    assert metrics.read_bytes().startswith(before)
    assert [r["step"] for r in read_metrics(metrics)] == list(range(5))


def test_a_torn_last_line_is_skipped_and_the_next_row_starts_a_line_of_its_own(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    _write_rows(metrics, range(3))
    with metrics.open("a") as f:
        f.write('{"step": 3, "reward/me')  # killed in the middle of a write
    log = RunLog(tmp_path, resume_step=2)
    assert [r["step"] for r in log.rows] == [0, 1, 2]
    log.log(3, {"reward/mean": 0.3})
    assert read_metrics(metrics)[-1] == {"step": 3, "reward/mean": 0.3}
    assert [r["step"] for r in read_metrics(tmp_path)] == [0, 1, 2, 3]


def test_lines_that_are_no_rows_are_skipped(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text('{"step": 0, "a": 1}\n[1, 2]\n"text"\n{"step": "1"}\n\n{"step": 1, "a": 2}\n\x00\x00\n')
    assert [r["step"] for r in RunLog(tmp_path, resume_step=1).rows] == [0, 1]


def test_a_resume_from_an_older_checkpoint_appends_and_reads_as_one_run(tmp_path):
    """The log ran ahead of the checkpoint (a kill with checkpoint_every > 1): the old rows stay in
    the file, and the reader sees one row per step, the resumed run's."""
    base = {**tiny_config(tmp_path, **QUICK), "name": "run"}
    run_dir = train(config_from_dict({**base, "steps": 2}), quiet=True)
    at_step_2 = tmp_path / "checkpoint-step-2.pt"
    shutil.copy(run_dir / CHECKPOINT_NAME, at_step_2)
    train(config_from_dict({**base, "steps": 4}), quiet=True)
    first = (run_dir / "metrics.jsonl").read_bytes()
    first_rows = read_metrics(run_dir)
    shutil.copy(at_step_2, run_dir / CHECKPOINT_NAME)  # the checkpoint is now behind the log

    train(config_from_dict({**base, "steps": 4}), quiet=True)
    after = (run_dir / "metrics.jsonl").read_bytes()
    assert after.startswith(first)  # nothing rewritten, only appended
    lines = [json.loads(line) for line in after.decode().splitlines()]
    assert {RESUME_MARKER: 2} in lines
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[3] is not first_rows[3] and rows[3] == lines[-2]  # the latest row of each step
    for a, b in zip(first_rows, rows):  # the resumed steps replay the same run
        assert a.get("reward/mean") == pytest.approx(b.get("reward/mean"), abs=1e-6)


# -- checkpoint.pt ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A tiny one-step run (with a KL reference, so the checkpoint holds a second state dict)."""
    tmp = tmp_path_factory.mktemp("finished")
    cfg = tiny_config(tmp, steps=1, **QUICK, **{"model.ref_model": True, "loss.kl_coef": 0.1})
    return train(config_from_dict(cfg), quiet=True), cfg


def test_checkpoints_load_as_plain_data(finished_run):
    run_dir, _ = finished_run
    state = torch.load(run_dir / CHECKPOINT_NAME, map_location="cpu", weights_only=True)
    assert state["step"] == 1 and "ref_model" in state["extra"]
    assert load_checkpoint(run_dir)["step"] == 1


def _copy_run(run_dir: Path, to: Path) -> Path:
    shutil.copytree(run_dir, to)
    return to


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "directory"])
def test_a_broken_checkpoint_says_which_file_and_what_to_do(finished_run, tmp_path, damage):
    run_dir, cfg = finished_run
    run = _copy_run(run_dir, tmp_path / "run")
    path = run / CHECKPOINT_NAME
    data = path.read_bytes()
    if damage == "directory":
        path.unlink()
        path.mkdir()
    else:
        path.write_bytes({"empty": b"", "truncated": data[: len(data) // 2], "garbage": b"not a checkpoint\n" * 9}[damage])
    with pytest.raises(CheckpointError) as e:
        train(config_from_dict({**cfg, "out_dir": str(tmp_path), "name": "run"}), quiet=True)
    message = str(e.value)
    assert str(path) in message and "delete" in message and "\n" not in message, message


def test_a_checkpoint_of_another_model_is_a_clear_error(finished_run, tmp_path, tiny_model_dir):
    run_dir, cfg = finished_run
    _copy_run(run_dir, tmp_path / "run")
    other = {**cfg, "out_dir": str(tmp_path), "name": "run", "model": {**cfg["model"], "path": str(tiny_model_dir)}}
    with pytest.raises(CheckpointError, match="does not fit this config.*another --name"):
        train(config_from_dict(other), quiet=True)


def test_a_checkpoint_write_on_a_full_disk_keeps_the_previous_one(finished_run, tmp_path):
    run_dir, _ = finished_run
    run = _copy_run(run_dir, tmp_path / "run")
    before = (run / CHECKPOINT_NAME).read_bytes()
    proc = _run_limited(f"""
        import torch
        from zeroplay.training.checkpoint import CheckpointError, save_checkpoint
        model = torch.nn.Linear(512, 512)
        try:
            save_checkpoint({str(run)!r}, step=9, model=model, optimizer=torch.optim.SGD(model.parameters()), extra={{}})
        except CheckpointError as e:
            print(e)
    """, 100_000)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "could not write the checkpoint" in proc.stdout and "free some disk space" in proc.stdout, proc.stdout
    assert (run / CHECKPOINT_NAME).read_bytes() == before
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(CHECKPOINT_NAME)) == [CHECKPOINT_NAME]


def test_ctrl_c_during_a_checkpoint_write_waits_until_the_checkpoint_is_complete(tmp_path, monkeypatch):
    """A KeyboardInterrupt inside torch's writer would surface as a failed write (a RuntimeError from its
    C++ stream); the interrupt is held until the file is in place, then raised."""
    import os
    import signal

    from zeroplay.training import checkpoint

    real_save = torch.save

    def save_interrupted(obj, f):  # Ctrl-C arrives while torch writes
        os.kill(os.getpid(), signal.SIGINT)
        real_save(obj, f)

    monkeypatch.setattr(checkpoint.torch, "save", save_interrupted)
    model = torch.nn.Linear(2, 2)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(tmp_path, step=3, model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                                   extra={})
    assert load_checkpoint(tmp_path)["step"] == 3
