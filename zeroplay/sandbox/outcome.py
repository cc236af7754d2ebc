"""Host side of a run: read stdout/stderr under the output cap and a deadline, then name the status."""

from __future__ import annotations

import os
import selectors
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from zeroplay.core.types import ExecResult

#: Seconds a backend waits past ``timeout_s`` before it kills everything from the host side.
HOST_MARGIN_S = 2.0


@dataclass
class Output:
    stdout: bytearray
    stderr: bytearray
    exceeded: bool = False
    deadline_hit: bool = False


def collect(
    out_fd: int,
    err_fd: int,
    max_bytes: int,
    deadline: float | Callable[[], float],
    on_exceeded: Callable[[], None],
    extra: tuple[int, Callable[[], bool]] | None = None,
) -> Output:
    """Read both pipes until EOF on both (and, if ``extra`` is given, until its callback returns True).

    Keeps at most ``max_bytes`` of stdout+stderr; past that it calls ``on_exceeded`` once and goes
    on draining (so the writer never blocks on a full pipe). Stops at ``deadline`` (monotonic) in
    any case, with ``deadline_hit`` set; ``deadline`` may be a callable, asked again at every wake-up
    (a cold backend moves it once the interpreter has started). Closes both fds.
    """
    res = Output(bytearray(), bytearray())
    sel = selectors.DefaultSelector()
    bufs = {out_fd: res.stdout, err_fd: res.stderr}
    for fd in bufs:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    extra_done = extra is None
    if extra is not None:
        sel.register(extra[0], selectors.EVENT_READ)
    open_pipes = 2
    try:
        while open_pipes or not extra_done:
            left = (deadline() if callable(deadline) else deadline) - time.monotonic()
            if left <= 0:
                res.deadline_hit = True
                break
            for key, _ in sel.select(left):
                fd = key.fd
                if extra is not None and fd == extra[0]:
                    if extra[1]():
                        extra_done = True
                        sel.unregister(fd)
                    continue
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(fd)
                    open_pipes -= 1
                    continue
                room = max_bytes - len(res.stdout) - len(res.stderr)
                if len(chunk) > room:
                    chunk = chunk[: max(room, 0)]
                    if not res.exceeded:
                        res.exceeded = True
                        on_exceeded()
                bufs[fd] += chunk
    finally:
        sel.close()
        for fd in bufs:
            os.close(fd)
    return res


def classify(
    wait_status: int | None, how: str, out: Output, wall_s: float, timeout_s: float, *,
    cpu_s: float | None = None, memory_error: bool = False, oom_killed: bool = False,
) -> ExecResult:
    """Turn what happened into an :class:`ExecResult`. Only the sandbox's own knowledge decides
    the status; nothing the program writes to stdout or stderr does.

    ``how`` is ``exited`` (``wait_status`` is a raw ``waitpid`` status), ``timeout`` or ``killed``
    (the sandbox ended the run: host-side kill, lost worker). ``cpu_s`` is the CPU time the job
    used (from ``wait4``): a SIGXCPU is a timeout only if it reached the CPU limit, else the job
    sent it to itself. ``memory_error``: the runner saw the interpreter raise MemoryError (on its
    report pipe); ``oom_killed``: the run's memory cgroup killed a process. Order matters: a flood
    that was cut reports ``output_limit`` even though the kill made the process die of SIGKILL.
    """
    stdout = out.stdout.decode("utf-8", errors="replace")
    stderr = out.stderr.decode("utf-8", errors="replace")
    exit_code: int | None = None
    if wait_status is not None:
        exit_code = os.waitstatus_to_exitcode(wait_status)
    cpu_limit_s = int(timeout_s) + 1  # what the runner sets RLIMIT_CPU to (see spec._limits_doc)
    if out.exceeded:
        status = "output_limit"
        stderr += "\n[sandbox] output limit reached: stdout+stderr were cut and the program was killed"
    elif oom_killed:
        status = "memory"
        stderr += "\n[sandbox] out of memory: the run's memory cgroup killed it"
    elif how == "timeout" or out.deadline_hit:
        status = "timeout"
        stderr += f"\n[sandbox] timed out after {timeout_s:g} s and was killed"
    elif how == "killed" or exit_code is None:
        status = "killed"
        stderr += "\n[sandbox] the run was killed"
    elif exit_code == -signal.SIGXCPU and cpu_s is not None and cpu_s >= cpu_limit_s - 0.05:
        status = "timeout"
        stderr += f"\n[sandbox] CPU time limit ({cpu_limit_s} s) exceeded"
    elif exit_code == -signal.SIGXFSZ:
        status = "error"
        stderr += "\n[sandbox] file size limit exceeded"
    elif exit_code < 0:
        status = "killed"
        stderr += f"\n[sandbox] killed by signal {_signal_name(-exit_code)}"
    elif exit_code != 0 and memory_error:
        status = "memory"
    elif exit_code == 0:
        status = "ok"
    else:
        status = "error"
    return ExecResult(status, exit_code, stdout, stderr, wall_s)


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return str(num)
