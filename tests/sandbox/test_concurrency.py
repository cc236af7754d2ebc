"""Many runs at once: every run ends within timeout_s + a fixed margin, in order, with nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from zeroplay import sandbox

# A hang guard, not a speed check (speed is benchmarks/bench_sandbox.py's): a job the sandbox failed to
# kill would run its 60 s sleep. The sandbox's own host margin is 2 s; 64 cold interpreters starting at
# once on a loaded 2-core machine took 4.1 s in one CI run, so the margin leaves room for that.
MARGIN_S = 10.0


@pytest.mark.parametrize("backend", ["pool", "process"])
def test_64_hung_jobs_at_once(backend, procs):
    if backend not in sandbox.available_backends():
        pytest.skip(f"{backend} unavailable here")
    hung = ["while True: pass", "import time; time.sleep(60)", "import os, time\nos.fork(); time.sleep(60)"]
    # Cold backends start 64 interpreters at once on 2 cores: start-up may eat the whole timeout,
    # so only the warm pool is asked to finish quick jobs among hung ones.
    n_hung = 48 if backend == "pool" else 64
    programs = [hung[i % 3] for i in range(n_hung)] + [f"print({i})" for i in range(64 - n_hung)]
    with sandbox.Sandbox(backend=backend, timeout_s=1, memory_mb=128) as box:
        start = time.monotonic()
        results = box.run_many(programs, concurrency=64)
        elapsed = time.monotonic() - start
        assert [r.status for r in results[:n_hung]] == ["timeout"] * n_hung
        assert [r.stdout for r in results[n_hung:]] == [f"{i}\n" for i in range(64 - n_hung)]
        for r in results:
            assert r.wall_s <= box.limits.timeout_s + MARGIN_S, r
        assert procs.leftover_sandbox_processes() == []
    # 64 sandboxes start and run in parallel: far less than 64 timeouts back to back.
    assert elapsed < 64 * box.limits.timeout_s / 2
    assert procs.leftover_sandbox_processes() == []


def test_mixed_statuses_under_load():
    if "pool" not in sandbox.available_backends():
        pytest.skip("pool unavailable here")
    kinds = {
        "ok": "print(sum(range(10**5)))",
        "error": "1/0",
        "timeout": "while True: pass",
        "memory": "x = bytearray(1 << 30)",
        "output_limit": "while True: print('x' * 1000)",
    }
    programs = [code for code in kinds.values() for _ in range(8)]
    with sandbox.Sandbox(timeout_s=1, memory_mb=128, max_output_bytes=10_000, workers=8) as box:
        results = box.run_many(programs)
    assert [r.status for r in results] == [k for k in kinds for _ in range(8)]


def test_close_kills_runs_in_progress_and_workers(procs):
    if "pool" not in sandbox.available_backends():
        pytest.skip("pool unavailable here")
    import threading

    box = sandbox.Sandbox(timeout_s=30)
    out = []
    t = threading.Thread(target=lambda: out.append(box.run("import time; time.sleep(60)")))
    t.start()
    time.sleep(1.0)
    box.close()
    t.join(timeout=10)
    assert not t.is_alive() and out[0].status in ("killed", "timeout")
    assert procs.leftover_sandbox_processes() == []
    with pytest.raises(Exception, match="closed"):
        box.run("print(1)")


def test_no_processes_left_after_interpreter_exit():
    """A script that leaves its Sandbox open: atexit closes the pool, nothing of it survives."""
    code = (
        "from zeroplay import sandbox\n"
        "from zeroplay.sandbox.isolation import UIDS\n"
        "box = sandbox.Sandbox(timeout_s=5)\n"
        "print(box.run('print(1)').stdout.strip(), *UIDS.range)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    first, lo, hi = proc.stdout.split()
    assert first == "1"
    time.sleep(0.5)
    live = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        uid = int(status.split("\nUid:")[1].split()[0])
        if int(lo) <= uid < int(hi) and "\nState:\tZ" not in status:
            live.append(pid)
    assert live == []


def test_auto_falls_back_and_warns_once_when_namespaces_are_missing():
    code = (
        "import warnings\n"
        "from zeroplay import sandbox\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    a = sandbox.Sandbox(); b = sandbox.Sandbox()\n"
        "print(a.backend, b.backend, len(w)); print(w[0].message)\n"
        "print(a.run('print(2 + 2)').stdout.strip())\n"
        "print(dict(sandbox.describe_backends())['auto'])\n"
    )
    env = {**os.environ, "ZEROPLAY_BWRAP": "/nonexistent/bwrap"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "process process 1"
    assert "bubblewrap is not installed" in lines[1] and "weaker" in lines[1]
    assert lines[2] == "4"
    assert "picks `process`" in lines[3]
