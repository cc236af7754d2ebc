"""How sandboxed processes are started: which interpreter, under which host uid, inside which namespaces.

Guarantees (namespace backend and warm pool): user, PID, network, mount, IPC and UTS namespaces
(bubblewrap); the root filesystem is a read-only tmpfs holding only read-only binds of /usr (and
/lib*, /bin links) and of the interpreter's prefix at ``/opt/python`` with its site-packages
hidden; a private ``/work`` and ``/tmp`` capped at ``disk_mb``; a fresh /proc and a minimal /dev;
no host environment variables; no capabilities; no new privileges; no nested user namespaces.

When zeroplay runs as root, sandboxed processes never run as host root: each worker gets its own
unprivileged host uid (so RLIMIT_NPROC counts only that worker's processes, and two workers cannot
signal each other). The interpreter may live where that uid cannot read (pyenv under /root): then
a private mount namespace binds it onto a world-readable staging dir first.

Every backend (``process`` too) installs a seccomp filter on the job (x86_64): the system calls
kernel exploits lean on (io_uring, bpf, userfaultfd, keyrings, perf events, ptrace, mounts,
namespaces, kernel modules, clocks) fail with EPERM, and the x32 and 32-bit ABIs are refused.

Not guaranteed: protection against kernel bugs reachable through the system calls still allowed,
or against side channels (timing, CPU caches). On other architectures there is no seccomp filter.
"""

from __future__ import annotations

import collections
import os
import shutil
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zeroplay.sandbox.spec import Limits

#: bubblewrap; ZEROPLAY_BWRAP overrides where it lives (an empty path turns the namespace backends off).
BWRAP = os.environ.get("ZEROPLAY_BWRAP", "/usr/bin/bwrap")
INSIDE_PREFIX = "/opt/python"
#: Where the private mount namespace of a root host exposes the interpreter to the unprivileged uid.
STAGED_PREFIX = "/tmp/.zeroplay-python"
RUNNER_SOURCE = (Path(__file__).parent / "_runner.py").read_text()


@dataclass(frozen=True)
class Runtime:
    """The Python installation sandboxed code runs with (its standard library only)."""

    prefix: str  # on the host
    executable: str  # relative to prefix, e.g. bin/python3.11
    site_dirs: tuple[str, ...]  # relative to prefix; hidden inside the sandbox

    @classmethod
    def current(cls) -> Runtime:
        prefix = os.path.realpath(sys.base_prefix)
        exe = os.path.realpath(sys.executable)
        rel = os.path.relpath(exe, prefix)
        if rel.startswith(".."):
            rel = f"bin/python{sys.version_info.major}.{sys.version_info.minor}"
        lib = f"lib/python{sys.version_info.major}.{sys.version_info.minor}"
        site = tuple(
            f"{lib}/{d}" for d in ("site-packages", "dist-packages") if os.path.isdir(os.path.join(prefix, lib, d))
        )
        return cls(prefix, rel, site)

    def python_at(self, prefix: str) -> str:
        return os.path.join(prefix, self.executable)


def is_root() -> bool:
    return os.geteuid() == 0


class UidAllocator:
    """Hands out host uids no one else uses, one per live worker or run, when we run as root.

    Fresh uids first, then the least recently released: the processes of a finished run may linger
    as zombies for a moment, and they still count against RLIMIT_NPROC of their uid.
    """

    BASE = 1_600_000_000
    SPAN = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: collections.deque[int] = collections.deque()
        start = self.BASE + (os.getpid() % 100_000) * self.SPAN
        self._fresh = iter(range(start, start + self.SPAN))
        self.range = (start, start + self.SPAN)

    def acquire(self) -> int:
        with self._lock:
            uid = next(self._fresh, None)
            if uid is not None:
                return uid
            if not self._free:
                raise RuntimeError(f"sandbox uid range exhausted (more than {self.SPAN} live workers)")
            return self._free.popleft()

    def release(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)


UIDS = UidAllocator()


def host_launcher(uid: int | None, runtime: Runtime, work_mb: int | None = None) -> tuple[list[str], str]:
    """argv prefix that drops to ``uid`` (root hosts only) and the interpreter prefix path it exposes.

    As root: a private mount namespace with its own /tmp, where the interpreter is bound read-only
    at :data:`STAGED_PREFIX`, then ``setpriv`` to ``uid`` with no groups and no capabilities. With
    ``work_mb`` (the process backend) the command also starts in a fresh ``/tmp/work`` owned by
    ``uid``, on that private /tmp capped at ``work_mb``.
    """
    if uid is None:
        return [], runtime.prefix
    size = f"{(work_mb or 0) + 1}m"
    work = 'mkdir -m 700 /tmp/work && chown "$0:$0" /tmp/work && cd /tmp/work && ' if work_mb else ""
    script = (
        f'mount -t tmpfs -o mode=1777,size={size} tmpfs /tmp && mkdir "$2" && mount --bind -o ro "$1" "$2" && {work}'
        'shift 2 && exec setpriv --reuid="$0" --regid="$0" --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"'
    )
    argv = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, str(uid)]
    return [*argv, runtime.prefix, STAGED_PREFIX], STAGED_PREFIX


def bwrap_argv(prefix_on_host: str, runtime: Runtime, limits: Limits, as_pid_1: bool) -> list[str]:
    """bubblewrap options for one sandbox: see the module docstring for what they guarantee."""
    size = str(limits.disk_mb << 20)
    argv = [
        BWRAP, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
        "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
        "--ro-bind", "/usr", "/usr",
    ]
    for name in ("lib", "lib64", "lib32", "bin", "sbin"):
        target = os.path.join("/", name)
        if os.path.islink(target):
            argv += ["--symlink", os.readlink(target), target]
        elif os.path.isdir(target):
            argv += ["--ro-bind", target, target]
    argv += ["--ro-bind", prefix_on_host, INSIDE_PREFIX]
    for site in runtime.site_dirs:
        argv += ["--tmpfs", os.path.join(INSIDE_PREFIX, site), "--remount-ro", os.path.join(INSIDE_PREFIX, site)]
    argv += [
        "--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--mqueue", "/dev/mqueue",
        "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/work", "--chdir", "/work",
        # Only /work, /tmp and /dev/shm stay writable (and are wiped between pool jobs).
        "--remount-ro", "/dev", "--remount-ro", "/",
        "--clearenv", "--setenv", "PATH", f"{INSIDE_PREFIX}/bin:/usr/bin:/bin", "--setenv", "HOME", "/work",
        "--setenv", "LANG", "C.UTF-8", "--setenv", "PYTHONIOENCODING", "utf-8",
    ]
    if as_pid_1:
        argv.append("--as-pid-1")
    return argv


@lru_cache(maxsize=1)
def namespace_support() -> tuple[bool, str]:
    """(works, why not) for the namespace backend on this machine; probes once per process."""
    import subprocess

    if not sys.platform.startswith("linux"):
        return False, f"namespaces need Linux; this is {sys.platform}"
    if not BWRAP or not os.access(BWRAP, os.X_OK):
        return False, f"bubblewrap is not installed at {BWRAP} (Debian/Ubuntu: apt-get install bubblewrap)"
    if is_root() and not (shutil.which("unshare") and shutil.which("setpriv")):
        return False, "running as root needs util-linux `unshare` and `setpriv` to drop to an unprivileged uid"
    runtime = Runtime.current()
    uid = UIDS.acquire() if is_root() else None
    try:
        launcher, prefix = host_launcher(uid, runtime)
        argv = [*launcher, *bwrap_argv(prefix, runtime, Limits(), as_pid_1=False)]
        argv += [runtime.python_at(INSIDE_PREFIX), "-S", "-I", "-c", "print('ok')"]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, f"bubblewrap could not start: {e}"
        if proc.returncode != 0 or proc.stdout.strip() != "ok":
            why = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            return False, f"the kernel refused the namespaces bubblewrap needs ({why})"
        return True, ""
    finally:
        if uid is not None:
            UIDS.release(uid)
