"""What a long or often-restarted training run must not pile up (found by benchmarks/soak.py).

The metrics log keeps no row in memory: a run of 10^5 steps held ~3.4 KB per row before (the
whole metrics.jsonl, again, in the trainer's RSS). A run killed before it can clean up (SIGKILL, or SIGTERM, which Python does not turn into an exit
that runs atexit) leaves each warm worker's memory cgroup behind, empty. Practitioners kill and
resume runs for hours, so the next process must sweep them: this test kills a real process that
holds a real warm pool and checks that the sweep removes exactly its cgroups.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys

import pytest

from zeroplay import sandbox
from zeroplay.sandbox import cgroup
from zeroplay.training.runlog import RunLog

HOLD_A_POOL = """
import os, sys, time
from zeroplay import sandbox
box = sandbox.Sandbox(backend="pool", timeout_s=2, memory_mb=128, workers=2)
box.run_many(["print(1)", "print(2)"])
print(os.getpid(), flush=True)
time.sleep(120)
"""
NEXT_PROCESS = """
from zeroplay.sandbox import cgroup
from zeroplay.training.runlog import RunLog
cgroup.STALE_AFTER_S = 0.0
assert cgroup.support() is not None
"""


def _cgroups_of(hierarchy: cgroup.Hierarchy, pid: int) -> list[str]:
    return sorted(e.path for e in os.scandir(hierarchy.path) if e.name.startswith(f"zeroplay-{pid}-"))


def test_cgroups_of_a_killed_run_are_swept_by_the_next_process():
    hierarchy = cgroup.support()
    if hierarchy is None or "pool" not in sandbox.available_backends():
        pytest.skip(f"needs the warm pool and memory cgroups here ({cgroup.describe()})")
    child = subprocess.Popen([sys.executable, "-c", HOLD_A_POOL], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(child.stdout.readline())
        assert _cgroups_of(hierarchy, pid), "the pool made no cgroup: nothing to test"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    left = _cgroups_of(hierarchy, pid)
    assert left, "the killed process's cgroups are gone already: the leak this test guards is not reproduced"
    mine = cgroup.MemoryCgroup(hierarchy, 64 << 20)  # a live one of ours must survive the sweep
    try:
        # the next process sweeps on its first probe (no age wait here: the child is surely dead)
        subprocess.run([sys.executable, "-c", NEXT_PROCESS], check=True, timeout=60)
        assert _cgroups_of(hierarchy, pid) == []
        assert os.path.isdir(mine.path)
    finally:
        mine.remove()


def test_the_sweep_keeps_young_and_live_cgroups():
    hierarchy = cgroup.support()
    if hierarchy is None:
        pytest.skip(f"needs memory cgroups here ({cgroup.describe()})")
    mine = cgroup.MemoryCgroup(hierarchy, 64 << 20)
    try:
        assert mine.path not in cgroup.sweep_stale(hierarchy, min_age_s=0.0)  # our pid: alive
        assert os.path.isdir(mine.path)
    finally:
        mine.remove()


def _held_bytes(log: RunLog) -> int:
    return len(pickle.dumps({k: v for k, v in vars(log).items() if k != "trackers"}))


def test_the_metrics_log_holds_no_row_in_memory(tmp_path):
    log = RunLog(tmp_path)
    metrics = {f"m/{i}": i / 7 for i in range(30)}  # a row about the size of a real step's
    for step in range(10):
        log.log(step, metrics)
    held = _held_bytes(log)
    for step in range(10, 400):
        log.log(step, metrics)
    assert _held_bytes(log) == held  # nothing per step stays on the object
    assert [r["step"] for r in log.rows] == list(range(400))  # the rows are all still there, from the file
    assert log.rows[-1]["m/29"] == pytest.approx(29 / 7)


def test_a_resumed_log_drops_the_rows_past_its_checkpoint(tmp_path):
    log = RunLog(tmp_path)
    for step in range(6):
        log.log(step, {"x": float(step)})
    resumed = RunLog(tmp_path, resume_step=3)  # the checkpoint was at step 3; rows 4-5 are stale
    assert [r["step"] for r in resumed.rows] == [0, 1, 2, 3]
    resumed.log(4, {"x": 40.0})
    assert [(r["step"], r["x"]) for r in resumed.rows][-2:] == [(3, 3.0), (4, 40.0)]
