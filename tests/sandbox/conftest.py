"""Fixtures shared by the sandbox tests: one Sandbox per backend per module (workers start once)."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest

from zeroplay import sandbox
from zeroplay.sandbox.isolation import UIDS

ISOLATED = [b for b in ("pool", "namespace") if b in sandbox.available_backends()]
ALL = [*ISOLATED, "process"]


def need(backend: str) -> None:
    if backend not in sandbox.available_backends():
        pytest.skip(f"sandbox backend {backend!r} is not available here: see `zeroplay list sandbox`")


@pytest.fixture(scope="module", params=ALL)
def box(request):
    need(request.param)
    with sandbox.Sandbox(backend=request.param, timeout_s=2, memory_mb=256, max_output_bytes=64_000) as b:
        yield b


@pytest.fixture(scope="module", params=ISOLATED or ["pool"])
def isolated_box(request):
    need(request.param)
    with sandbox.Sandbox(backend=request.param, timeout_s=2, memory_mb=256, max_output_bytes=64_000) as b:
        yield b



def _processes() -> list[tuple[int, int, int, str, bytes]]:
    """(pid, ppid, real uid, comm, cmdline) of every live, non-zombie process."""
    rows = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        rows.append((int(entry.name), int(fields["PPid"]), int(fields["Uid"].split()[0]), fields["Name"].strip(), cmdline))
    return rows


def processes_with(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker`` (ours excluded)."""
    me = os.getpid()
    return [pid for pid, _pp, _uid, _comm, cmd in _processes() if marker.encode() in cmd and pid != me]


def leftover_sandbox_processes(grace_s: float = 2.0) -> list[tuple[int, str]]:
    """Processes under this test process's sandbox uids that are neither bubblewrap nor a warm worker
    (a warm worker is the direct child of a bubblewrap). Outside a run, there must be none.

    A process SIGKILLed a moment ago may still be tearing down (no user code runs any more), so
    this polls for up to ``grace_s`` before it reports what is left.
    """
    import time

    deadline = time.monotonic() + grace_s
    while True:
        left = _leftovers()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _leftovers() -> list[tuple[int, str]]:
    lo, hi = UIDS.range
    rows = _processes()
    comm = {pid: c for pid, _pp, _uid, c, _cmd in rows}
    return [
        (pid, c) for pid, pp, uid, c, _cmd in rows
        if lo <= uid < hi and c != "bwrap" and comm.get(pp) != "bwrap"
    ]


@pytest.fixture(scope="session")
def procs():
    """Host-side process checks: ``procs.processes_with(marker)``, ``procs.leftover_sandbox_processes()``."""
    return types.SimpleNamespace(processes_with=processes_with, leftover_sandbox_processes=leftover_sandbox_processes)


# A user-added language, as a user would add it: C through gcc (the confinement tests' attacker),
# with the compile read list zeroplay.sandbox.language_files shows for gcc on Debian/Ubuntu x86_64.
C_LANGUAGE = """
name: c-test
file: main.c
compile: gcc -O1 -o main {file} -lm
run: ./main
timeout_s: 15
memory_mb: 1024
compile_reads:
  - gcc
  - as
  - ld
  - /usr/lib/gcc
  - /usr/lib/gcc/*/*/cc1
  - /usr/libexec/gcc
  - /usr/libexec/gcc/*/*/cc1
  - /usr/include
  - /usr/lib/x86_64-linux-gnu/Scrt1.o
  - /usr/lib/x86_64-linux-gnu/crt1.o
  - /usr/lib/x86_64-linux-gnu/crti.o
  - /usr/lib/x86_64-linux-gnu/crtn.o
  - /usr/lib/x86_64-linux-gnu/libc.so
  - /usr/lib/x86_64-linux-gnu/libc_nonshared.a
  - /usr/lib/x86_64-linux-gnu/libm.so
  - /usr/lib/x86_64-linux-gnu/libm.so.6
  - /usr/lib/x86_64-linux-gnu/libmvec.so.1
  - /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
  - /usr/lib/x86_64-linux-gnu/gconv
"""


@pytest.fixture(scope="session")
def c_language(tmp_path_factory):
    import shutil

    if shutil.which("gcc") is None:
        pytest.skip("no C compiler here (Debian: apt-get install gcc)")
    path = tmp_path_factory.mktemp("langs") / "c.yaml"
    path.write_text(C_LANGUAGE)
    (spec,) = sandbox.load_languages(str(path))
    return spec.name


def landlock() -> bool:
    """Whether this kernel has Landlock (the confinement's read limit needs it)."""
    import ctypes

    return ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1) >= 1  # LANDLOCK_CREATE_RULESET_VERSION


@pytest.fixture(scope="module", params=ALL)
def lbox(request):
    """A sandbox per backend with room for a compiler (the `box` fixture's 2 s and 256 MiB are not), one per
    test module."""
    need(request.param)
    with sandbox.Sandbox(backend=request.param, timeout_s=20, memory_mb=1024, max_output_bytes=64_000,
                         disk_mb=128, workers=2) as b:
        yield b
