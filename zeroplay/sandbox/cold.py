"""Backends that start a fresh interpreter per run: ``namespace`` (bubblewrap) and ``process``.

Both start the in-sandbox runner (``_runner.py`` mode ``run``), which forks the job and reports
its raw wait status on a pipe the job cannot write to. Both kill every process of the run before
``run`` returns: ``namespace`` by killing bubblewrap (its PID namespace dies with it); ``process``
by killing its process group and, on root hosts, every process of the run's private uid. Each run
gets a memory cgroup of its own where one can be made (see :mod:`zeroplay.sandbox.cgroup`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod

from zeroplay.core.types import ExecResult
from zeroplay.sandbox import cgroup
from zeroplay.sandbox.isolation import (
    INSIDE_PREFIX,
    RUNNER_SOURCE,
    UIDS,
    Runtime,
    bwrap_argv,
    clock_env,
    host_launcher,
    is_root,
)
from zeroplay.sandbox.outcome import HOST_MARGIN_S, classify, collect
from zeroplay.sandbox.spec import Limits, Program

#: Seconds of sandbox and interpreter start-up a cold backend does not count against the timeout.
STARTUP_S = HOST_MARGIN_S


class Backend(ABC):
    """One way of running programs. Thread-safe: ``run`` may be called from many threads.

    ``hash_seed`` (see :class:`~zeroplay.sandbox.Sandbox`): the string-hash seed of every
    interpreter the backend starts, or None for a random one per interpreter; ``clock_shift_s``:
    how far ahead the clocks of its processes run (0: the host's)."""

    name: str

    def __init__(self, limits: Limits, hash_seed: int | None = None, clock_shift_s: int = 0) -> None:
        self.limits = limits
        self.runtime = Runtime.current()
        self.hash_seed = hash_seed
        self.clock_shift_s = clock_shift_s

    def python_flags(self) -> list[str]:
        """The runner interpreter's flags. ``-I`` would ignore ``PYTHONHASHSEED``, so a pinned seed
        spells out the rest of it (``-s -P``: no user site, no script dir on the path); the
        environment is ours either way (a clean one, or bubblewrap's ``--clearenv``)."""
        if self.hash_seed is None:
            return ["-S", "-I"]
        return ["-S", "-s", "-P"] if sys.version_info >= (3, 11) else ["-S", "-s"]

    def seed_env(self) -> dict[str, str]:
        """Environment variables that pin the string-hash seed (none when it is random) and shift the
        wall clock (:func:`~zeroplay.sandbox.isolation.clock_env`)."""
        seed = {} if self.hash_seed is None else {"PYTHONHASHSEED": str(self.hash_seed)}
        return {**seed, **clock_env(self.clock_shift_s)}

    def bwrap_seed_args(self) -> list[str]:
        """bubblewrap options that set :meth:`seed_env` inside the sandbox."""
        return [arg for name, value in self.seed_env().items() for arg in ("--setenv", name, value)]

    @abstractmethod
    def run(self, program: Program) -> ExecResult: ...

    def reserve(self, n: int) -> None:
        """Prepare for ``n`` concurrent runs (the pool grows to ``n`` workers)."""

    def close(self) -> None:
        """Release workers. Runs in progress are killed."""


def memfd_with(data: bytes) -> int:
    fd = os.memfd_create("zeroplay-job")
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def runner_flags(group: cgroup.MemoryCgroup | None) -> list[str]:
    """The runner's options: without a memory cgroup its seccomp filter refuses memfd and big shm."""
    return [] if group is not None else ["--no-memory-cgroup"]


def kill_uid(uid: int) -> None:
    """SIGKILL every host process whose uid is ``uid`` (root hosts only; each run has its own uid).

    ``kill(-1)`` run *as* ``uid`` reaches exactly the processes that uid may signal: its own. Done
    twice, so a process forked while the first sweep ran is caught by the second.
    """
    argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", "kill", "-KILL", "-1"]
    for _ in range(2):
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


class ColdBackend(Backend):
    """Shared logic: start the runner under ``argv_for``, feed it the job, collect the outcome."""

    def argv_for(
        self, uid: int | None, runner_args: list[str], group: cgroup.MemoryCgroup | None = None,
    ) -> tuple[list[str], str | None]:
        """The command line (the runner gets ``runner_args``; it joins ``group`` first) and the host cwd
        (None: the command picks its own)."""
        raise NotImplementedError

    def run(self, program: Program) -> ExecResult:
        limits = self.limits
        uid = UIDS.acquire() if is_root() else None
        status_r, status_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        payload = memfd_with(program.payload(limits, self._python_inside()))
        extra = [status_w]
        if program.subject is not None:  # a split job: the subject's own payload, on an fd of its own
            extra.append(memfd_with(program.subject.payload(limits)))
        workdir = None
        group = cgroup.new_for(limits)
        try:
            argv, cwd = self.argv_for(uid, [*runner_flags(group), "run", *map(str, extra)], group)
            if cwd == "":
                workdir = cwd = tempfile.mkdtemp(prefix="zeroplay-run-")
            start = time.monotonic()
            proc = subprocess.Popen(
                argv, stdin=payload, stdout=out_w, stderr=err_w, pass_fds=tuple(extra), cwd=cwd,
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **self.seed_env()}, start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            if group is not None:
                group.remove()
            raise
        finally:
            for fd in (*extra, out_w, err_w, payload):
                os.close(fd)
        status_buf = bytearray()
        ended: list[float] = []  # when the runner reported the job's end
        # The timeout counts from the moment the runner has started (a loaded machine may take a
        # while to start an interpreter), but the run never lasts past timeout_s + STARTUP_S.
        hard_deadline = start + STARTUP_S + limits.timeout_s
        deadline = [hard_deadline]

        def kill() -> None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if uid is not None:
                kill_uid(uid)

        def on_status() -> bool:
            chunk = os.read(status_r, 64)
            if not chunk:
                kill()  # the job is over: daemons it left must not keep the pipes open
                return True
            if chunk.startswith(b"S") and not status_buf:
                deadline[0] = min(time.monotonic() + limits.timeout_s, hard_deadline)
                chunk = b" " + chunk[1:]
            status_buf.extend(chunk)
            if status_buf.endswith(b"\n") and not ended:
                # The job is over: what is left (the sandbox's teardown) is not billed to it.
                ended.append(time.monotonic())
                deadline[0] = max(deadline[0], ended[0] + HOST_MARGIN_S)
            return False

        oom_before = group.oom_kills() if group is not None else 0
        try:
            out = collect(out_r, err_r, limits.max_output_bytes, lambda: deadline[0], kill, (status_r, on_status))
            wall = (ended[0] if ended else time.monotonic()) - start
            kill()
            try:
                proc.wait(timeout=HOST_MARGIN_S)
            except subprocess.TimeoutExpired:
                kill()
                proc.wait()
            oom_killed = group is not None and group.oom_kills() > oom_before
        finally:
            os.close(status_r)
            if uid is not None:
                UIDS.release(uid)
            if workdir is not None:
                _remove_tree(workdir)
            if group is not None:
                group.remove()
        raw, cpu_s, memory_error = _parse_status(bytes(status_buf))
        how = "timeout" if out.deadline_hit and not ended else "exited"
        if raw is None and how == "exited":
            how = "killed"
        return classify(raw, how, out, wall, limits.timeout_s, cpu_s=cpu_s, memory_error=memory_error,
                        oom_killed=oom_killed)

    def _python_inside(self) -> str:
        return self.runtime.python_at(INSIDE_PREFIX)


def _parse_status(buf: bytes) -> tuple[int | None, float | None, bool]:
    """The runner's report ``<raw wait status> <CPU s> <M|->`` (see ``_runner.run_once``)."""
    fields = buf.split()
    if len(fields) != 3 or not fields[0].isdigit():
        return None, None, False
    try:
        cpu_s = float(fields[1])
    except ValueError:
        cpu_s = None
    return int(fields[0]), cpu_s, fields[2] == b"M"


def _remove_tree(path: str) -> None:
    import shutil

    def unlock(func, p, _exc):  # the program may have chmod'ed its files
        os.chmod(os.path.dirname(p), 0o700)
        func(p)

    shutil.rmtree(path, onerror=unlock)


class NamespaceBackend(ColdBackend):
    """A fresh bubblewrap sandbox per run (see :mod:`zeroplay.sandbox.isolation` for what it isolates)."""

    name = "namespace"

    def argv_for(
        self, uid: int | None, runner_args: list[str], group: cgroup.MemoryCgroup | None = None,
    ) -> tuple[list[str], str | None]:
        launcher, prefix = host_launcher(uid, self.runtime, cgroup_procs=group and group.procs,
                                         clock_shift_s=self.clock_shift_s)
        runner = [self._python_inside(), *self.python_flags(), "-c", RUNNER_SOURCE, *runner_args]
        # The runner is PID 1: the job cannot signal or trace it, and when it exits the kernel kills
        # everything left in the namespace.
        bwrap = bwrap_argv(prefix, self.runtime, self.limits, as_pid_1=True)
        return [*launcher, *bwrap, *self.bwrap_seed_args(), *runner], "/"


class ProcessBackend(ColdBackend):
    """Weaker fallback: rlimits, a fresh work dir, a clean environment, its own process group.

    The program sees the host's filesystem (read-only where permissions say so), its processes and
    its network. On root hosts it runs under a private unprivileged uid with a private /tmp.
    """

    name = "process"

    def argv_for(
        self, uid: int | None, runner_args: list[str], group: cgroup.MemoryCgroup | None = None,
    ) -> tuple[list[str], str | None]:
        launcher, prefix = host_launcher(uid, self.runtime, work_mb=self.limits.disk_mb,
                                         cgroup_procs=group and group.procs, clock_shift_s=self.clock_shift_s)
        runner = [self.runtime.python_at(prefix), *self.python_flags(), "-c", RUNNER_SOURCE, *runner_args]
        return [*launcher, *runner], (None if uid is not None else "")

    def _python_inside(self) -> str:
        if is_root():
            return self.runtime.python_at("/tmp/.zeroplay-python")
        return self.runtime.python_at(self.runtime.prefix) if self.runtime.prefix else sys.executable
