"""A pool of killable worker processes with a hard wall-clock budget per call.

Why processes: a sympy call cannot be interrupted from another thread, and SIGALRM only works
in the main thread of the main interpreter. A worker that runs past its budget is killed
(SIGKILL) and replaced, so the caller always gets an answer within the budget plus a few
milliseconds, from any thread, inside or outside other worker processes.

Protocol: the worker is ``python -m MODULE ARGS...``; it writes one JSON line ``{"ready": true}``
once its imports are done, then answers each JSON request line with one JSON line. Start-up
is waited for separately (``startup_s``) and does not count against a call's budget.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_live_pools: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


class _Worker:
    def __init__(self, argv: list[str]):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, close_fds=True,
        )
        self._buf = bytearray()
        self.ready = False

    def _readline(self, deadline: float) -> bytes | None:
        fd = self.proc.stdout.fileno()
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line = bytes(self._buf[:nl])
                del self._buf[: nl + 1]
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # the worker died
                return None
            self._buf += chunk

    def call(self, payload: bytes, timeout_s: float, startup_s: float) -> dict[str, Any] | None:
        if not self.ready:
            if self._readline(time.monotonic() + startup_s) is None:
                return None
            self.ready = True
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        line = self._readline(time.monotonic() + timeout_s)
        return None if line is None else json.loads(line)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL'd processes exit
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


class WorkerPool:
    """Up to ``size`` workers running ``python -m argv...``; thread-safe; workers start on first use.

    ``call`` returns the worker's JSON answer, or ``{"timeout": True}`` when the budget ran out
    (the worker is killed and replaced), or ``{"died": True, "exit_code": N}`` when it crashed.
    With ``spare=True`` one extra worker is kept started, so a killed worker is replaced at once
    instead of after an interpreter start-up.
    """

    def __init__(self, argv: list[str], size: int, startup_s: float = 60.0, spare: bool = True):
        if size < 1:
            raise ValueError(f"a worker pool needs size >= 1, got {size}")
        self.argv, self.size, self.startup_s = list(argv), size, startup_s
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._started = 0
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self.spare = spare
        self._spare: _Worker | None = None
        self._pid = os.getpid()
        _live_pools.add(self)

    def _spawn(self) -> _Worker:
        w = _Worker(self.argv)
        with self._lock:
            self._all.add(w)
        return w

    def _forget_inherited(self) -> None:
        """In a forked child the workers belong to the parent: start afresh, leave theirs alone."""
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._all, self._started, self._spare = set(), 0, None
            self._idle = queue.LifoQueue()

    def _checkout(self) -> _Worker:
        if self._pid != os.getpid():
            self._forget_inherited()
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = self._started < self.size
            if grow:
                self._started += 1
            first = grow and self._started == 1
        if first and self.spare:
            spare = self._spawn()
            with self._lock:
                self._spare = spare
        return self._spawn() if grow else self._idle.get()

    def call(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        payload = json.dumps(request).encode() + b"\n"
        worker = self._checkout()
        try:
            answer = worker.call(payload, timeout_s, self.startup_s)
        except (ValueError, OSError):
            answer = None
        if answer is None:
            died = worker.proc.poll()
            self._retire(worker)
            worker = self._replacement()
            answer = {"timeout": True} if died is None or died == -9 else {"died": True, "exit_code": died}
        self._idle.put(worker)
        return answer

    def _replacement(self) -> _Worker:
        """The spare (already started) when there is one; a new spare starts in the background."""
        with self._lock:
            spare, self._spare = self._spare, None
        worker = spare if spare is not None and spare.proc.poll() is None else self._spawn()
        if self.spare:
            fresh = self._spawn()
            with self._lock:
                self._spare = fresh
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def close(self) -> None:
        """Kill every worker. The pool restarts workers if used again."""
        if self._pid != os.getpid():
            self._forget_inherited()
            return
        with self._lock:
            workers, self._all = list(self._all), set()
            self._started = 0
            self._spare = None
        self._idle = queue.LifoQueue()
        for w in workers:
            w.kill()

    def __del__(self) -> None:  # pragma: no cover - best effort at garbage collection
        try:
            self.close()
        except Exception:
            pass


@atexit.register
def _close_all() -> None:
    for pool in list(_live_pools):
        pool.close()
