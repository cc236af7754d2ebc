"""Training over several processes (torchrun, gloo on CPU) is the one-process run: the same per-step
loss and final weights, and checkpoints that resume after kill -9 on another process count.

Every spawned run gets its own process group (session), a deadline, and is killed with it at the end
of its test, pass or fail."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint
from zeroplay.training.distributed import Dist, world_from_env

from .conftest import kill_mid_run, tiny_config

REPO = Path(__file__).resolve().parents[2]
STEPS = 3
DEADLINE_S = 300


def base(tmp_path):
    # 2 rollout shards (one per rank with 2 processes), micro-batches of 2 samples: several per step,
    # so both ranks compute gradients and the all-reduce carries real work
    return tiny_config(tmp_path, steps=STEPS, rollout_shards=2, threads=1, **{
        "optim.micro_batch_size": 2, "games.games_per_step": 6, "eval.exploitability": False, "eval.games": 2})


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (torchrun starts each rank in a session of its own)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except (OSError, ValueError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def kill_tree(pid: int) -> None:
    for p in [*descendants(pid), pid]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def torchrun(cfg: dict, tmp_path: Path, name: str, nproc: int, *, kill_at_step: int | None = None) -> Path:
    """``zeroplay train --nproc N`` in its own session; with ``kill_at_step``, SIGKILL the launcher once that
    step is logged (its ranks die with it: they ask the kernel to, PR_SET_PDEATHSIG). Returns the run directory."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**cfg, "name": name, "step_delay_s": 1.0 if kill_at_step else 0.0}))
    run_dir = Path(cfg["out_dir"]) / name
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "train", str(path), "--quiet", "--nproc", str(nproc)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and proc.poll() is None:
            if kill_at_step is not None and (run_dir / "metrics.jsonl").is_file() and any(
                    r["step"] >= kill_at_step for r in read_metrics(run_dir)):
                ranks = descendants(proc.pid)
                os.killpg(proc.pid, signal.SIGKILL)  # the launcher alone: the ranks must follow it
                proc.wait(timeout=30)
                gone = time.monotonic() + 30
                while any(Path(f"/proc/{r}").exists() and "Z" != _state(r) for r in ranks) and time.monotonic() < gone:
                    time.sleep(0.05)
                assert not any(Path(f"/proc/{r}").exists() and "Z" != _state(r) for r in ranks), "ranks outlived torchrun"
                break
            time.sleep(0.05)
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)  # pass or fail, nothing of the run outlives the test
        proc.wait(timeout=30)
        err = proc.stderr.read().decode(errors="replace")[-3000:]
        proc.stderr.close()
    if kill_at_step is None:
        assert proc.returncode == 0, err
    else:
        assert proc.returncode == -signal.SIGKILL, f"the run ended before it was killed: {err}"
        logged = max(r["step"] for r in read_metrics(run_dir))
        assert kill_at_step <= logged < STEPS and load_checkpoint(run_dir)["step"] >= logged - 1, err
    return run_dir


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def weights(run_dir):
    from safetensors.torch import load_file

    return load_file(str(Path(run_dir) / "final_model" / "model.safetensors"))


def assert_same_run(a: Path, b: Path):
    ra, rb = read_metrics(a), read_metrics(b)
    assert [r["step"] for r in rb] == list(range(STEPS + 1))  # rank 1 wrote no rows of its own
    for x, y in zip(ra[1:], rb[1:]):
        for key in ("loss/pg", "reward/mean", "count/trained_samples", "loss/ratio"):
            assert y[key] == pytest.approx(x[key], rel=1e-5, abs=1e-7), (x["step"], key)
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.allclose(wa[k], wb[k], rtol=1e-5, atol=1e-6), (k, float((wa[k] - wb[k]).abs().max()))


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """The uninterrupted one-process run every test compares against (run in this process)."""
    tmp = tmp_path_factory.mktemp("dist")
    cfg = base(tmp)
    run_dir = train(config_from_dict({**cfg, "name": "one"}), quiet=True)
    trained = [r["count/trained_samples"] for r in read_metrics(run_dir)[1:]]
    assert min(trained) > 2 * 2  # more than two micro-batches a step: both ranks get a share
    return cfg, run_dir


def test_two_processes_give_the_one_process_losses_and_weights(one_process):
    cfg, one = one_process
    two = torchrun(cfg, Path(cfg["out_dir"]), "two", 2)
    assert_same_run(one, two)
    assert json.loads((two / "summary.json").read_text())["steps"] == STEPS


def test_a_two_process_run_killed_with_sigkill_resumes_on_one_process(one_process):
    cfg, one = one_process
    torchrun(cfg, Path(cfg["out_dir"]), "killed2", 2, kill_at_step=2)
    resumed = train(config_from_dict({**cfg, "name": "killed2"}), quiet=True)
    assert_same_run(one, resumed)


def test_a_one_process_run_killed_with_sigkill_resumes_on_two_processes(one_process):
    cfg, one = one_process
    tmp = Path(cfg["out_dir"])
    kill_mid_run(cfg, tmp, name="killed1")
    resumed = torchrun(cfg, tmp, "killed1", 2)
    assert_same_run(one, resumed)


def test_one_process_dist_is_the_identity():
    d = Dist()
    assert not d.active and d.is_main and d.mine(3) == [0, 1, 2]
    assert d.gather({1: "b", 0: "a"}, 2) == ["a", "b"]
    assert d.sum_floats([1.5, 2.0]) == [1.5, 2.0]
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.full((2,), 3.0)
    d.sum_grads([p])
    assert p.grad.tolist() == [3.0, 3.0]


def test_ranks_take_shards_round_robin():
    assert Dist(0, 2).mine(5) == [0, 2, 4] and Dist(1, 2).mine(5) == [1, 3] and Dist(2, 3).mine(2) == []


@pytest.mark.parametrize("env, message", [
    ({"WORLD_SIZE": "two"}, "integers"),
    ({"WORLD_SIZE": "2", "RANK": "2"}, "rank must lie"),
    ({"WORLD_SIZE": "0"}, "rank must lie"),
])
def test_a_broken_torchrun_environment_is_a_clear_error(env, message):
    with pytest.raises(ConfigError, match=message):
        world_from_env(env)
    assert world_from_env({}) == (0, 1, 0)


def test_nproc_below_one_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(tiny_config(tmp_path)))
    out = subprocess.run([sys.executable, "-m", "zeroplay.cli", "train", str(path), "--nproc", "0"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "--nproc" in out.stderr and "Traceback" not in out.stderr


def test_a_rank_that_fails_is_its_own_error_and_one_line_not_the_launchers_traceback(tmp_path):
    """Every rank refuses backend vllm at start: each prints its one-line error, the launcher one line
    naming the rank that failed first, and the run exits with that rank's status (2: a config error)."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**tiny_config(tmp_path), "backend": "vllm"}))
    out = subprocess.run([sys.executable, "-m", "zeroplay.cli", "train", str(path), "--nproc", "2"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert "Traceback" not in out.stderr and "ChildFailedError" not in out.stderr, out.stderr
    assert any("backend vllm does not run under torchrun" in line for line in lines), out.stderr
    assert "exited with status 2" in lines[-1] and "error is above" in lines[-1], out.stderr


def test_two_processes_with_packed_micro_batches_give_the_one_process_run(tmp_path):
    cfg = {**base(tmp_path), "optim": {"lr": 1e-3, "micro_batch_tokens": 48}}
    one = train(config_from_dict({**cfg, "name": "one_packed"}), quiet=True)
    two = torchrun(cfg, tmp_path, "two_packed", 2)
    assert_same_run(one, two)


def test_sigterm_on_a_two_process_run_stops_every_rank_and_says_what_to_resume(tmp_path):
    """``kill`` (a scheduler's SIGTERM) on ``zeroplay train --nproc 2``: torchrun stops both ranks (none
    trains on unseen), the launcher says the run can be resumed and exits 143, as a one-process run does."""
    cfg = base(tmp_path)
    path = tmp_path / "term.yaml"
    # many steps: ranks left running would still be training when the test looks (3 would end in time)
    path.write_text(yaml.safe_dump({**cfg, "name": "term", "steps": 100, "step_delay_s": 1.0}))
    run_dir = Path(cfg["out_dir"]) / "term"
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "train", str(path), "--quiet", "--nproc", "2"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    tree: list[int] = []
    try:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and proc.poll() is None and not (
                (run_dir / "metrics.jsonl").is_file() and any(r["step"] >= 1 for r in read_metrics(run_dir))):
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it was sent SIGTERM"
        tree = descendants(proc.pid)
        assert len(tree) >= 3, tree  # torchrun and its two ranks
        proc.send_signal(signal.SIGTERM)  # the launcher alone, as `kill PID` does
        proc.wait(timeout=120)
        gone = time.monotonic() + 30
        while any(_state(p) != "Z" for p in tree) and time.monotonic() < gone:
            time.sleep(0.05)
        assert [p for p in tree if _state(p) != "Z"] == [], "a process of the run outlived SIGTERM"
    finally:
        for p in tree:  # ranks that outlived the launcher (the failure above) are not left training
            kill_tree(p)
        if proc.poll() is None:
            kill_tree(proc.pid)
        proc.wait(timeout=30)
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
    assert proc.returncode == 143, err[-3000:]
    resume = f"interrupted: run the same command again to resume {run_dir} from its last checkpoint"
    assert err.strip().splitlines()[-1] == resume, err[-3000:]
    assert "Traceback" not in err and "SignalException" not in err, err[-3000:]
    assert "closing signal" not in err, err[-3000:]  # torch elastic's own warnings: the line above tells the stop
    assert load_checkpoint(run_dir)["step"] >= 0
