"""The warm pool: pre-started interpreters inside bubblewrap namespaces that fork a fresh child per job.

Each worker ("zygote") is PID 1 of its own sandbox (same isolation as the ``namespace`` backend, see
:mod:`zeroplay.sandbox.isolation`) with the standard library already imported. A job costs a
``fork`` instead of a sandbox set-up plus an interpreter start. Between jobs the zygote kills every
other process of its namespace, wipes ``/work``, ``/tmp`` and ``/dev/shm`` and removes SysV IPC
objects, so a job never sees another job's files, processes or modules; the zygote never reads job
data itself, so a job finds no other job's code or input in its (forked) memory.

The host talks to a zygote over a socketpair (``RUN``/``KILL`` in, ``EXITED`` then ``DONE`` out,
see ``_runner.py``). The host enforces its own deadline of ``timeout_s`` + a margin on the job
alone (up to ``EXITED``): a zygote that does not answer in time is killed whole (with everything in
it) and replaced. Clean-up (up to ``DONE``) has a bound of its own, :data:`CLEANUP_TIMEOUT_S`, and
is never billed to the job: a worker that cannot clean up in time, that reports itself unclean
(its rlimits, priority, CPUs or fds changed; see ``_runner.health``), or whose memory cgroup still
holds more unreclaimable memory than at rest (:data:`HELD_SLACK_BYTES`: memory parked where no process
of the job holds it, e.g. memfds in flight in a closed cycle of unix sockets), is replaced.

Each zygote lives in a memory cgroup of its own where one can be made (see
:mod:`zeroplay.sandbox.cgroup`); a job its OOM killer kills ends with status ``memory``.

Every job forked from one zygote shares its string-hash seed: a random one per zygote, or the
``hash_seed`` the Sandbox pins for all of them (set at start-up, never changed in a live interpreter).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

from zeroplay.core.errors import SandboxError
from zeroplay.core.types import ExecResult
from zeroplay.sandbox import cgroup
from zeroplay.sandbox.cold import Backend, kill_uid, memfd_with, runner_flags
from zeroplay.sandbox.isolation import INSIDE_PREFIX, RUNNER_SOURCE, UIDS, bwrap_argv, host_launcher, is_root
from zeroplay.sandbox.outcome import HOST_MARGIN_S, classify, collect
from zeroplay.sandbox.spec import Limits, Program

START_TIMEOUT_S = 60.0
#: Seconds a zygote may take to wipe its sandbox after a job (a job may leave ~1e5 files behind).
CLEANUP_TIMEOUT_S = 30.0
#: How much more unreclaimable memory than at rest a worker may hold after a job before it is replaced.
HELD_SLACK_BYTES = 8 << 20
#: How long ``run`` waits for the clean-up report before handing the wait to a background thread.
CLEANUP_WAIT_S = 0.05
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zeroplay-sandbox-spawner")


class Zygote:
    """One pre-started sandboxed interpreter; runs one job at a time."""

    def __init__(self, backend: PoolBackend) -> None:
        self.limits = backend.limits
        self.python = backend.runtime.python_at(INSIDE_PREFIX)
        self.uid = UIDS.acquire() if is_root() else None
        self.alive = False
        self.cleaning: bytes | None = None  # id of the job whose DONE (clean-up report) is awaited
        self._jobs = 0
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the zygote; closed in kill)
        self.cgroup = cgroup.new_for(self.limits)
        host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = host
        launcher, prefix = host_launcher(self.uid, backend.runtime, cgroup_procs=self.cgroup and self.cgroup.procs,
                                         clock_shift_s=backend.clock_shift_s)
        argv = [*launcher, *bwrap_argv(prefix, backend.runtime, self.limits, as_pid_1=True), *backend.bwrap_seed_args()]
        argv += [self.python, *backend.python_flags(), "-c", RUNNER_SOURCE, *runner_flags(self.cgroup), "zygote",
                 str(child.fileno())]
        try:
            # bwrap --die-with-parent ties the sandbox to the *thread* that forks it (PR_SET_PDEATHSIG),
            # so zygotes are forked by one long-lived thread, not by short-lived run_many threads.
            self.proc = _SPAWNER.submit(
                subprocess.Popen, argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
                pass_fds=(child.fileno(),), env={"PATH": "/usr/bin:/bin"}, start_new_session=True,
            ).result()
        finally:
            child.close()
        self.sock.settimeout(START_TIMEOUT_S)
        try:
            hello = self.sock.recv(64)
        except OSError:
            hello = b""
        self.sock.settimeout(None)
        if hello != b"READY":
            self._log.seek(0)
            why = self._log.read().decode(errors="replace").strip()[-2000:] or "no output"
            self.kill()
            raise SandboxError(f"A warm-pool worker failed to start: {why}")
        self.alive = True
        #: What the zygote holds at rest (see :meth:`finish_cleanup`).
        self.held = self.cgroup.held_bytes() if self.cgroup is not None else None

    def run(self, program: Program) -> ExecResult:
        limits = self.limits
        payload = memfd_with(program.payload(limits, self.python))
        sent = [payload]
        if program.subject is not None:
            sent.append(memfd_with(program.subject.payload(limits)))
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            start = time.monotonic()
            self._jobs += 1
            job_id = str(self._jobs).encode()
            socket.send_fds(self.sock, [b"RUN %s %r" % (job_id, limits.timeout_s)], [payload, out_w, err_w, *sent[1:]])
        except OSError:
            self.alive = False
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (*sent, out_w, err_w):
                os.close(fd)
        ended: dict = {}
        oom_before = self.cgroup.oom_kills() if self.cgroup else 0

        def on_ctl() -> bool:
            msg = self.sock.recv(4096)
            if not msg:
                ended["how"] = "lost"
                return True
            if msg.startswith(b"EXITED %s " % job_id):
                ended.update(json.loads(msg.split(b" ", 2)[2]))
                return True
            return False  # not ours: keep waiting

        def on_exceeded() -> None:
            try:
                self.sock.send(b"KILL " + job_id)
            except OSError:
                self.kill()

        out = collect(
            out_r, err_r, limits.max_output_bytes, start + limits.timeout_s + HOST_MARGIN_S, on_exceeded,
            (self.sock.fileno(), on_ctl),
        )
        wall = time.monotonic() - start
        if out.deadline_hit or ended.get("how") in (None, "lost"):
            self.kill()  # unresponsive: the whole sandbox goes, a fresh one replaces it
        else:
            self.cleaning = job_id
            self.finish_cleanup(CLEANUP_WAIT_S)
        oom_killed = self.cgroup is not None and self.cgroup.oom_kills() > oom_before
        how = ended.get("how", "timeout" if out.deadline_hit else "killed")
        if how == "lost":
            how = "killed"
        return classify(ended.get("status"), how, out, min(wall, limits.timeout_s) if how == "timeout" else wall,
                        limits.timeout_s, cpu_s=ended.get("cpu_s"), memory_error=bool(ended.get("memory_error")),
                        oom_killed=oom_killed)

    def finish_cleanup(self, wait_s: float) -> bool:
        """Wait up to ``wait_s`` for the clean-up report of the last job; True once it is settled
        (clean: the zygote takes jobs again; unclean or lost: it was killed). False: not yet."""
        import select

        deadline = time.monotonic() + wait_s
        while self.cleaning is not None and self.alive:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return False
            try:
                msg = self.sock.recv(4096)
            except OSError:
                msg = b""
            if not msg:
                self.kill()
            elif msg.startswith(b"DONE %s " % self.cleaning):
                self.cleaning = None
                if not json.loads(msg.split(b" ", 2)[2]).get("clean", False) or self._holds_more():
                    self.kill()  # it changed under the job (or could not wipe): a fresh one replaces it
        return True

    def _holds_more(self) -> bool:
        """Whether memory that no process of the job holds is still charged to the worker once the job is
        over and wiped: pages only the kernel can free (memfds sent in flight inside a cycle of unix
        sockets that the job closed: a red team's parked 600 MB, and the next jobs were killed for memory)."""
        if self.held is None:
            return False
        now = self.cgroup.held_bytes() if self.cgroup is not None else None
        return now is not None and now > self.held + HELD_SLACK_BYTES

    def kill(self) -> None:
        """Kill the zygote and everything in its namespace; idempotent."""
        self.alive = False
        try:
            # shutdown, not close: a thread blocked in run() then reads EOF ("lost") at once; the
            # socket itself closes when this object is collected.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        proc = getattr(self, "proc", None)
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        if self.uid is not None:
            kill_uid(self.uid)
            UIDS.release(self.uid)
            self.uid = None
        if getattr(self, "cgroup", None) is not None:
            self.cgroup.remove()
            self.cgroup = None
        self._log.close()


class PoolBackend(Backend):
    """A growing set of zygotes (up to ``workers``, or more if ``reserve`` asks); ``run`` checks one out."""

    name = "pool"

    def __init__(self, limits: Limits, workers: int, hash_seed: int | None = None, clock_shift_s: int = 0) -> None:
        super().__init__(limits, hash_seed, clock_shift_s)
        self.size = workers
        self._idle: queue.SimpleQueue[Zygote] = queue.SimpleQueue()
        self._all: set[Zygote] = set()
        self._started = 0
        self._lock = threading.Lock()
        self._closed = False
        self._owner = os.getpid()
        _LIVE.add(self)

    def reserve(self, n: int) -> None:
        """Allow at least ``n`` zygotes (so ``n`` jobs can run at once)."""
        with self._lock:
            self.size = max(self.size, n)

    def warm(self, n: int | None = None) -> None:
        """Start zygotes now (in parallel) rather than on first use."""
        n = min(n or self.size, self.size)
        want = max(n - self._started, 0)
        if want:
            with ThreadPoolExecutor(max_workers=want) as ex:
                for z in ex.map(lambda _: self._checkout(block=False), range(want)):
                    if z is not None:
                        self._idle.put(z)

    def _new(self) -> Zygote:
        try:
            z = Zygote(self)
        except BaseException:
            with self._lock:
                self._started -= 1
            raise
        with self._lock:
            self._all.add(z)
        return z

    def _checkout(self, block: bool = True) -> Zygote | None:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._closed:
                raise SandboxError("This Sandbox is closed; create a new one")
            grow = self._started < self.size
            if grow:
                self._started += 1
        if grow:
            return self._new()
        return self._idle.get() if block else None

    def _checkin(self, z: Zygote) -> None:
        if z.alive and z.cleaning is not None and not self._closed:
            # The last job left a lot to wipe: wait for the zygote's report off the caller's thread.
            threading.Thread(target=self._checkin_after_cleanup, args=(z,), daemon=True).start()
            return
        if z.alive and not self._closed:
            self._idle.put(z)
            return
        z.kill()
        with self._lock:
            self._all.discard(z)
            self._started -= 1
        if not self._closed:
            # Replace it in the background so the next job finds a warm worker.
            threading.Thread(target=self._refill, daemon=True).start()

    def _checkin_after_cleanup(self, z: Zygote) -> None:
        if not z.finish_cleanup(CLEANUP_TIMEOUT_S):
            z.kill()  # could not clean up in time: replaced, never reported as the job's timeout
        self._checkin(z)

    def _refill(self) -> None:
        try:
            z = self._checkout(block=False)
        except (SandboxError, OSError):
            return
        if z is not None:
            self._checkin(z)

    def run(self, program: Program) -> ExecResult:
        z = self._checkout()
        assert z is not None
        try:
            return z.run(program)
        except OSError:
            z.kill()
            return ExecResult("killed", None, "", "[sandbox] the worker was lost; the run was killed", 0.0)
        finally:
            self._checkin(z)

    def close(self) -> None:
        if os.getpid() != self._owner:
            self._closed = True  # a forked child's copy: the workers are its parent's, not ours to kill
            return
        with self._lock:
            self._closed = True
            zygotes = list(self._all)
            self._all.clear()
        for z in zygotes:
            z.kill()


_LIVE: weakref.WeakSet[PoolBackend] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for backend in list(_LIVE):
        backend.close()


def _forget_inherited() -> None:
    """In a forked child: the parent's pools are not ours (closing them would kill its jobs), and
    the spawner thread did not survive the fork."""
    global _SPAWNER
    _SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zeroplay-sandbox-spawner")
    for backend in list(_LIVE):
        backend._closed = True
    _LIVE.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited)
