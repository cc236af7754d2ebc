"""A resume keeps the config its run was trained with: another config is refused with the changed fields
(unless allowed, then recorded in config_history.jsonl and noted in summary.json and report.html);
the fields a resume may change (steps, logging, checkpointing, threads...) pass. Ctrl-C before the first
checkpoint says that nothing can be resumed."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from zeroplay.cli import main
from zeroplay.training import config_from_dict, read_metrics
from zeroplay.training.checkpoint import (HISTORY_NAME, ConfigChangedError, CheckpointError, check_resume_config,
                                          config_changes, load_checkpoint, read_config_history)
from zeroplay.training.cli import interrupted_message
from zeroplay.training.trainer import train

from .conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
QUICK = {"eval.exploitability": False, "eval.games": 2, "warmup.steps": 1}
OTHER_GAME = {"games.env": "zeroplay/TicTacToe-v0", "optim.lr": 0.1}


def _dump(tmp_path, **over):
    return json.loads(json.dumps(config_from_dict(tiny_config(tmp_path, **over)).model_dump(mode="json")))


# -- the comparison, on config dicts ------------------------------------------------------------------

def test_changed_fields_are_listed_as_old_to_new_the_first_three_then_a_count(tmp_path):
    old = _dump(tmp_path)
    new = _dump(tmp_path, **OTHER_GAME, **{"seed": 4, "loss.clip_low": 0.1, "sampling.temperature": 0.5})
    with pytest.raises(ConfigChangedError) as e:
        check_resume_config(tmp_path / "t", old, new, allow=False)
    msg = str(e.value)
    assert "\n" not in msg
    # in the config's own order: seed, sampling, optim, loss, games
    assert ('(seed: 3 -> 4, sampling.temperature: 1.0 -> 0.5, optim.lr: 0.001 -> 0.1 and 2 more)' in msg), msg
    assert "--allow-config-change" in msg and "allow_config_change=True" in msg and "--name" in msg
    assert isinstance(e.value, CheckpointError)  # what a resume that does not fit raised before
    changes = check_resume_config(tmp_path / "t", old, new, allow=True)
    assert changes["games.env"] == ("zeroplay/KuhnPoker-v0", "zeroplay/TicTacToe-v0")
    assert set(changes) == {"seed", "sampling.temperature", "optim.lr", "loss.clip_low", "games.env"}


def test_what_a_resume_may_change_passes_and_everything_else_is_refused(tmp_path):
    old = _dump(tmp_path)
    free = {"steps": 9, "name": "u", "out_dir": str(tmp_path / "moved"), "log": ["tensorboard"], "eval.every": 3,
            "checkpoint_every": 2, "checkpoint_keep": 3, "threads": 2, "step_delay_s": 1.0, "model.device": "cpu",
            "sampling.batch_size": 3, "sampling.cache": "static", "optim.micro_batch_size": 2,
            "optim.micro_batch_tokens": 64, "rollout_shards": 1}
    changes = check_resume_config(tmp_path, old, _dump(tmp_path, **free), allow=False)
    assert set(changes) == set(free) - {"rollout_shards"}  # 1 shard, set or not
    for key, value in {"eval.games": 8, "eval.opponents": ["self"], "warmup.lr": 0.1, "advantage.estimator": "grpo",
                       "games.games_per_step": 8, "model.tiny.hidden_size": 48, "optim.betas": [0.8, 0.9],
                       "template": "r1", "games.env_kwargs": {"x": 1}}.items():
        with pytest.raises(ConfigChangedError, match=re.escape(key)):
            check_resume_config(tmp_path, old, _dump(tmp_path, **{key: value}), allow=False)


def test_the_tiny_models_shape_never_changes_on_resume_even_when_changes_are_allowed(tmp_path):
    # the run's model was built once with it: a new value could not take effect, only be recorded as if it had
    old = _dump(tmp_path)
    for key, value in {"model.tiny.hidden_size": 48, "model.tiny.num_layers": 3}.items():
        with pytest.raises(ConfigChangedError, match=re.escape(key) + r": \d+ -> \d+: the tiny model's shape cannot "
                                                     r"change .* even with --allow-config-change.*another --name"):
            check_resume_config(tmp_path, old, _dump(tmp_path, **{key: value}), allow=True)


def test_ray_workers_may_change_only_while_the_rollout_shards_stay():
    old = {"ray_workers": 0, "rollout_shards": 2}
    assert check_resume_config(Path("r"), old, {"ray_workers": 2, "rollout_shards": 2}, allow=False) == {
        "ray_workers": (0, 2)}
    with pytest.raises(ConfigChangedError, match=r"rollout_shards: 1 -> 2"):  # unset: ray_workers shards the steps
        check_resume_config(Path("r"), {"ray_workers": 0, "rollout_shards": None},
                            {"ray_workers": 2, "rollout_shards": None}, allow=False)


def test_a_field_only_one_side_has_shows_as_unset():
    assert config_changes({"policies": {"a": {"roles": ["x"]}}}, {"policies": {}}) == {
        "policies.a": ({"roles": ["x"]}, "(unset)")}
    assert config_changes({"a": {"b": [1, 2]}}, {"a": {"b": [1, 2]}}) == {}


# -- end to end -----------------------------------------------------------------------------------

def test_a_resume_with_another_env_and_lr_is_refused_and_leaves_the_run_as_it_was(tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config(tmp_path, steps=1, **QUICK)))
    run_dir = tmp_path / "t"
    assert main(["train", str(cfg), "--quiet"]) == 0
    files = {p: p.read_bytes() for p in (run_dir / "config.json", run_dir / "metrics.jsonl", run_dir / HISTORY_NAME)}
    capsys.readouterr()
    rc = main(["train", str(cfg), "--quiet", "--steps", "2", "--set", "games.env=zeroplay/TicTacToe-v0",
               "--set", "optim.lr=0.1"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    listed = err.split("(")[1].split(")")[0]
    assert listed == 'optim.lr: 0.001 -> 0.1, games.env: "zeroplay/KuhnPoker-v0" -> "zeroplay/TicTacToe-v0"', err
    assert all(p.read_bytes() == data for p, data in files.items())  # nothing written
    # more steps alone: the resume goes on, with the step-1 checkpoint
    assert main(["train", str(cfg), "--quiet", "--steps", "2"]) == 0
    assert [r["step"] for r in read_metrics(run_dir)] == [0, 1, 2]
    history = read_config_history(run_dir)
    assert [(e["step"], e["changes"], e["significant"]) for e in history] == [(0, {}, []), (1, {"steps": [1, 2]}, [])]
    assert "config_changes" not in json.loads((run_dir / "summary.json").read_text())


def test_an_allowed_config_change_is_recorded_with_its_step_and_noted_in_summary_and_report(tmp_path):
    base = tiny_config(tmp_path, steps=1, **QUICK)
    run_dir = train(config_from_dict(base), quiet=True)
    first = json.loads((run_dir / "config.json").read_text())
    changed = tiny_config(tmp_path, steps=2, **QUICK, **OTHER_GAME)
    with pytest.raises(ConfigChangedError):
        train(config_from_dict(changed), quiet=True)
    train(config_from_dict(changed), quiet=True, allow_config_change=True)
    assert [r["step"] for r in read_metrics(run_dir)] == [0, 1, 2]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["games"]["env"] == "zeroplay/TicTacToe-v0"  # config.json: the current config
    history = read_config_history(run_dir)
    assert [e["step"] for e in history] == [0, 1]
    assert history[0]["config"] == first  # the first config is kept
    assert history[1]["config"] == config
    assert history[1]["changes"] == {"optim.lr": [0.001, 0.1], "games.env": ["zeroplay/KuhnPoker-v0",
                                                                              "zeroplay/TicTacToe-v0"], "steps": [1, 2]}
    assert history[1]["significant"] == ["optim.lr", "games.env"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["config_changes"] == [{"step": 1, "changes": {
        "optim.lr": [0.001, 0.1], "games.env": ["zeroplay/KuhnPoker-v0", "zeroplay/TicTacToe-v0"]}}]
    report = (run_dir / "report.html").read_text()
    assert 'id="config-changed"' in report and "from step 1: optim.lr, games.env" in report
    # the new config is now the run's: resuming with it needs no flag, the old one is refused
    train(config_from_dict({**changed, "steps": 3}), quiet=True)
    with pytest.raises(ConfigChangedError, match="games.env"):
        train(config_from_dict({**base, "steps": 4}), quiet=True)
    assert len(read_config_history(run_dir)) == 3  # steps 2 -> 3 recorded, nothing for the refusal
    # an accepted change the checkpoint cannot take (a KL reference it does not hold) records nothing either
    kept = {p: p.read_bytes() for p in (run_dir / "config.json", run_dir / HISTORY_NAME)}
    no_fit = tiny_config(tmp_path, steps=4, **QUICK, **OTHER_GAME, **{"model.ref_model": True, "loss.kl_coef": 0.1})
    with pytest.raises(CheckpointError, match="does not fit"):
        train(config_from_dict(no_fit), quiet=True, allow_config_change=True)
    assert all(p.read_bytes() == data for p, data in kept.items())


def test_a_finished_run_evaluated_anew_under_a_changed_config_logs_the_new_evaluation(tmp_path):
    """A finished run resumed at its own step count with an accepted change trains nothing: it is
    evaluated anew, and its last metrics row carries that evaluation, as summary.json does."""
    run_dir = train(config_from_dict(tiny_config(tmp_path, steps=1, **QUICK)), quiet=True)
    old_row = read_metrics(run_dir)[-1]
    train(config_from_dict(tiny_config(tmp_path, steps=1, **{**QUICK, "eval.games": 6})), quiet=True,
          allow_config_change=True)
    rows = read_metrics(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert [r["step"] for r in rows] == [0, 1]
    assert {k: rows[-1][k] for k in summary["eval_after"]} == summary["eval_after"]
    assert rows[-1]["loss/pg"] == old_row["loss/pg"]  # the step's training metrics are kept
    assert summary["config_changes"] == [{"step": 1, "changes": {"eval.games": [2, 6]}}]
    # the page comparing the runs of tmp_path says so beside the run's figures
    from zeroplay.training.report import write_comparison

    page = write_comparison(tmp_path).read_text()
    assert "finished; config changed from step 1 (see its report)" in page


def test_a_new_run_starts_its_history_over(tmp_path):
    run_dir = tmp_path / "t"
    run_dir.mkdir()
    (run_dir / HISTORY_NAME).write_text('{"step": 7, "config": {"stale": 1}}\nnot json\n')
    train(config_from_dict(tiny_config(tmp_path, steps=1, **QUICK)), quiet=True)
    history = read_config_history(run_dir)
    assert len(history) == 1 and history[0]["step"] == 0
    assert history[0]["config"]["games"]["env"] == "zeroplay/KuhnPoker-v0"


# -- Ctrl-C -----------------------------------------------------------------------------------------

def test_the_interrupt_message_says_what_a_rerun_does(tmp_path):
    assert "nothing to resume" in interrupted_message(tmp_path / "new") and "start the run over" in \
        interrupted_message(tmp_path / "new")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "checkpoint-3.pt").write_bytes(b"x")
    done = interrupted_message(tmp_path / "done")
    assert "from its last checkpoint" in done and "nothing" not in done


def test_ctrl_c_in_the_warm_up_says_nothing_was_saved(tmp_path):
    """A real SIGINT while the warm-up runs (it writes config.json, then builds the model and warms up)."""
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config(tmp_path, **{**QUICK, "warmup.steps": 3000})))
    run_dir = tmp_path / "t"
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "train", str(cfg), "--quiet"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (run_dir / "init_model").is_dir() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            time.sleep(0.05)
        time.sleep(1.0)  # into the warm-up (the message is the same anywhere before the first checkpoint)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err[-2000:]
    assert not (run_dir / "checkpoint.pt").exists()
    assert "nothing to resume" in err and "from its last checkpoint" not in err, err[-2000:]


def test_sigterm_stops_a_run_as_ctrl_c_does_and_it_resumes(tmp_path):
    """``kill``/``timeout``/a batch scheduler send SIGTERM: the run stops cleanly (exit 143, no traceback,
    the message says how to resume) and the same command resumes from its last checkpoint."""
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({**tiny_config(tmp_path, **QUICK), "steps": 400, "step_delay_s": 0.2}))
    run_dir = tmp_path / "t"
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "train", str(cfg), "--quiet"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while not (run_dir / "checkpoint.pt").is_file() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err[-2000:]
    assert "Traceback" not in err and "from its last checkpoint" in err, err[-2000:]
    saved = load_checkpoint(run_dir)["step"]
    assert saved < 400
    cfg.write_text(yaml.safe_dump({**tiny_config(tmp_path, **QUICK), "steps": saved + 1, "step_delay_s": 0.2}))
    done = subprocess.run([sys.executable, "-m", "zeroplay.cli", "train", str(cfg), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert load_checkpoint(run_dir)["step"] == saved + 1
