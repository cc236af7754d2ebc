"""The weaker `process` backend: what it still guarantees (limits, clean env, no leftovers, not root)."""

from __future__ import annotations

import os
import uuid

import pytest

from zeroplay import sandbox

MARK = f"zpproc{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def pbox():
    with sandbox.Sandbox(backend="process", timeout_s=2, memory_mb=256, max_output_bytes=64_000) as b:
        yield b


def test_clean_environment(pbox, monkeypatch):
    monkeypatch.setenv("ZEROPLAY_PROC_SECRET", MARK)
    res = pbox.run("import os; print(sorted(os.environ))")
    assert res.status == "ok" and MARK not in res.stdout and "ZEROPLAY_PROC_SECRET" not in res.stdout


def test_never_runs_as_root(pbox):
    res = pbox.run("import os; print(os.getuid(), os.geteuid(), os.getgroups())")
    uid, euid, groups = res.stdout.split(maxsplit=2)
    assert int(uid) != 0 and int(euid) != 0 and groups.strip() == "[]"
    if os.geteuid() == 0:
        assert pbox.run("open('/root/x-" + MARK + "', 'w')").status == "error"


def test_fresh_work_dir(pbox):
    pbox.run("open('left.txt', 'w').write('x')")
    assert pbox.run("import os; print(os.listdir('.'))").stdout == "['main.py']\n"


def test_fork_bomb_is_bounded(pbox):
    res = pbox.run(
        "import os, time\nn = 0\nfor _ in range(3000):\n    try:\n        if os.fork() == 0:\n"
        "            time.sleep(30); os._exit(0)\n        n += 1\n    except OSError:\n        break\nprint(n)"
    )
    assert res.status == "ok" and int(res.stdout) <= pbox.limits.max_processes + 4


def test_setsid_daemon_is_killed(pbox, procs):
    if os.geteuid() != 0:
        pytest.skip("without root the process backend can only kill its process group (documented weakness)")
    res = pbox.run(
        "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(120)', '{MARK}'])\n"
        "    os._exit(0)\nprint('bye')"
    )
    assert res.status == "ok"
    assert procs.processes_with(MARK) == []


def test_cannot_raise_limits(pbox):
    res = pbox.run(
        "import resource\ntry:\n    resource.setrlimit(resource.RLIMIT_AS, (-1, -1)); print('RAISED')\n"
        "except (ValueError, OSError):\n    print('no')"
    )
    assert res.stdout == "no\n"
