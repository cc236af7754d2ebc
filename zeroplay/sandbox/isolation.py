"""How sandboxed processes are started: which interpreter, under which host uid, inside which namespaces.
This docstring is the sandbox's threat model: what each guarantee rests on and what is not covered.

Guarantees (namespace backend and warm pool): user, PID, network, mount, IPC and UTS namespaces
(bubblewrap); the root filesystem is a read-only tmpfs holding only read-only binds of /usr (and
/lib*, /bin links) and of the interpreter's prefix at ``/opt/python`` with its site-packages
hidden; a private ``/work`` and ``/tmp`` capped at ``disk_mb``; a fresh /proc (its /proc/sys hidden) and a
minimal /dev;
no host environment variables; no capabilities; no new privileges; no nested user namespaces.

When zeroplay runs as root, sandboxed processes never run as host root: each worker gets its own
unprivileged host uid (so RLIMIT_NPROC counts only that worker's processes, and two workers cannot
signal each other). Each host process claims its own range of uids (an ``flock``'ed slot file
under /run/zeroplay-uids); a forked child claims a fresh one, so one process's ``close()`` never
kills another's jobs. The interpreter may live where that uid cannot read (pyenv under /root):
then a private mount namespace mounts it as a read-only one-layer overlay on a world-readable
staging dir first (which also keeps its host path out of the sandbox's mountinfo).

Every backend (``process`` too) installs a seccomp filter on the job (x86_64): the system calls
kernel exploits lean on (io_uring, bpf, userfaultfd, keyrings, perf events, ptrace, mounts,
namespaces, kernel modules, clocks) fail with EPERM, and the x32 and 32-bit ABIs are refused. The
calls that set rlimits, priority, I/O priority, scheduling or CPU affinity work on the calling
process only (``prlimit64``/``sched_set*`` with pid 0, ``setpriority``/``ioprio_set`` for the
process itself): the warm worker runs as the same uid as its jobs, and a limit set on it would
pass to every later job. As a second line, the worker compares its own rlimits, priority,
scheduling, CPUs, fds, cwd and umask after each job with what it recorded at start and is
replaced when anything changed.

A job in another language without ``spawn`` (``language_files``) also runs under RLIMIT_NPROC 1
and is started by ``_confine.py``: one ``execve`` only, and (Landlock) reads of its own files only,
so its answer cannot be computed by the Python or another runtime the sandbox holds.

Memory: ``memory_mb`` caps each process's address space (RLIMIT_AS). Where a memory cgroup can
be made (:mod:`zeroplay.sandbox.cgroup`; root on cgroup v1, or a delegated cgroup v2) each worker
or cold run also lives in one capped at ``memory_mb + disk_mb + 64 MiB``: that counts what
RLIMIT_AS misses (memfd and SysV shm pages, tmpfs files, kernel memory such as the inodes of a
flood of empty files, pipe buffers), for all processes of the run together, a split job's subject
included. Its OOM kills are reported as status ``memory``. Without a cgroup the filter refuses
``memfd_create`` and ``shmget`` over 4 KiB instead; tmpfs inodes are then bounded only by the
kernel's default ``nr_inodes`` (bubblewrap cannot set it) and kernel memory such as pipe and
socket buffers only by the per-user pipe limits and ``max_open_files``.

Statuses come from the sandbox's own knowledge, never from the job's output: ``timeout`` from the
host's or the worker's clock, or from a SIGXCPU when ``wait4`` shows the CPU limit was really
reached; ``memory`` from the cgroup's OOM counter or from the runner seeing the interpreter raise
MemoryError (on a pipe the supervisor reads; a job can claim it by raising MemoryError from C,
which is no better for it than allocating past its limit). The warm worker tells the host the job
has ended before it cleans up: clean-up time is never billed to the job.

Not guaranteed: protection against kernel bugs reachable through the system calls still allowed,
or against side channels (timing, CPU caches). On other architectures there is no seccomp filter.
Known limits: the sandbox's mountinfo still shows the host's block device and file system
options, and the tmpfs options show the host uid the sandbox runs as; without root (no staging
overlay) it also shows the interpreter's host path. PIDs inside a warm worker rise from job to job
(a job can tell how many processes earlier jobs on that worker started): a fresh PID namespace per
job would need privileges the worker does not have.
"""

from __future__ import annotations

import collections
import os
import shlex
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
_CONFINE_MARK = "_CONFINE_SOURCE = None\n"
#: The in-sandbox runner, with ``_confine.py``'s source in its ``_CONFINE_SOURCE``.
RUNNER_SOURCE = (Path(__file__).parent / "_runner.py").read_text().replace(
    _CONFINE_MARK, f"_CONFINE_SOURCE = {(Path(__file__).parent / '_confine.py').read_text()!r}\n", 1)
if "_CONFINE_SOURCE = None" in RUNNER_SOURCE or "def confine_and_exec" not in RUNNER_SOURCE:
    raise RuntimeError("_runner.py lost its _CONFINE_SOURCE line: the confinement would be missing")


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

    Each process claims a range of :data:`SPAN` uids of its own: slot ``pid % SLOTS`` (or the next
    free one) of a lock dir, held with ``flock`` for as long as the process lives, so two live
    processes never share a range. A forked child drops the range it inherited and claims its
    own on first use (``os.register_at_fork``): otherwise its ``close()`` would kill its parent's
    jobs. Within the range: fresh uids first, then the least recently released (the processes of
    a finished run may linger as zombies for a moment, and they still count against
    RLIMIT_NPROC of their uid).
    """

    BASE = 1_600_000_000
    SPAN = 4096
    SLOTS = 100_000

    def __init__(self, lock_dir: str | None = None, seed: int | None = None) -> None:
        self._lock_dir = lock_dir
        self._seed = seed
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._claim: tuple[int, int] | None = None  # (lock fd, first uid)
        self._free: collections.deque[int] = collections.deque()
        self._fresh = iter(())

    def _claimed(self) -> int:
        """The first uid of our range, claiming a range on first use (caller holds ``_lock``)."""
        import fcntl

        if self._claim is not None:
            return self._claim[1]
        lock_dir = self._lock_dir or _uid_lock_dir()
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
        first = (self._seed if self._seed is not None else os.getpid()) % self.SLOTS
        for i in range(self.SLOTS):
            slot = (first + i) % self.SLOTS
            fd = os.open(os.path.join(lock_dir, f"{slot}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            start = self.BASE + slot * self.SPAN
            self._claim = (fd, start)
            self._fresh = iter(range(start, start + self.SPAN))
            return start
        raise RuntimeError(f"every sandbox uid range under {lock_dir} is claimed by a live process")

    @property
    def range(self) -> tuple[int, int]:
        with self._lock:
            start = self._claimed()
        return start, start + self.SPAN

    def acquire(self) -> int:
        with self._lock:
            self._claimed()
            uid = next(self._fresh, None)
            if uid is not None:
                return uid
            if not self._free:
                raise RuntimeError(f"sandbox uid range exhausted (more than {self.SPAN} live workers)")
            return self._free.popleft()

    def release(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)

    def close(self) -> None:
        """Give the range back (tests; a process's range is freed when it exits anyway)."""
        with self._lock:
            if self._claim is not None:
                os.close(self._claim[0])
        self._reset()

    def _after_fork_in_child(self) -> None:
        # The inherited fd shares the parent's open file (and so its flock): closing our copy
        # leaves the parent's claim intact; we claim a range of our own on first use.
        if self._claim is not None:
            try:
                os.close(self._claim[0])
            except OSError:
                pass
        self._reset()


def _uid_lock_dir() -> str:
    run = "/run/zeroplay-uids"
    if os.access("/run", os.W_OK) or os.path.isdir(run):
        return run
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"zeroplay-uids-{os.geteuid()}")


UIDS = UidAllocator()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=UIDS._after_fork_in_child)


@lru_cache(maxsize=1)
def faketime_library() -> str | None:
    """libfaketime's preload library (Debian's ``faketime`` package), or None when it is missing."""
    found = [*sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1")), Path("/usr/lib/faketime/libfaketime.so.1")]
    found = [f for f in found if f.is_file()]
    return str(found[0]) if found else None


@lru_cache(maxsize=1)
def time_namespace_support() -> bool:
    """Whether ``unshare --time`` with clock offsets works here (root hosts; kernel 5.6+)."""
    if not is_root() or not shutil.which("unshare"):
        return False
    import subprocess

    try:
        done = subprocess.run(["unshare", "--time", "--monotonic", "1", "--boottime", "1", "true"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def clock_env(shift_s: int) -> dict[str, str]:
    """Environment that shifts the wall clock of a sandbox's processes by ``shift_s`` seconds
    (libfaketime preloaded; empty when there is no shift). The monotonic and boot clocks are shifted by
    the launcher's time namespace instead (:func:`host_launcher`), where it can make one."""
    lib = faketime_library()
    if not shift_s or lib is None:
        return {}
    return {"LD_PRELOAD": lib, "FAKETIME": f"+{int(shift_s)}", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def host_launcher(
    uid: int | None, runtime: Runtime, work_mb: int | None = None, cgroup_procs: str | None = None,
    clock_shift_s: int = 0,
) -> tuple[list[str], str]:
    """argv prefix that drops to ``uid`` (root hosts only) and the interpreter prefix path it exposes.

    As root: a private mount namespace with its own /tmp, where the interpreter is mounted
    read-only at :data:`STAGED_PREFIX` as a one-layer overlay (so the sandbox's mountinfo shows
    ``overlay`` at ``/``, not the host path of the interpreter; a plain bind where overlayfs is
    missing), then ``setpriv`` to ``uid`` with no groups and no capabilities. With ``work_mb``
    (the process backend) the command also starts in a fresh ``/tmp/work`` owned by ``uid``, on
    that private /tmp capped at ``work_mb``. With ``cgroup_procs`` (a memory cgroup's
    ``cgroup.procs``) the launcher joins that cgroup before it runs anything else. With
    ``clock_shift_s`` (root hosts whose kernel has time namespaces) the namespace's monotonic and
    boot clocks, and so ``/proc/uptime``, run ``clock_shift_s`` seconds ahead.
    """
    join = f"echo $$ > {shlex.quote(cgroup_procs)} && " if cgroup_procs else ""
    if uid is None:
        return (["/bin/sh", "-c", join + 'exec "$@"', "sh"] if join else []), runtime.prefix
    size = f"{(work_mb or 0) + 1}m"
    work = 'mkdir -m 700 /tmp/work && chown "$0:$0" /tmp/work && cd /tmp/work && ' if work_mb else "cd / && "
    stage = (
        'mkdir "$2" /tmp/.empty && cd "$1" && '
        '{ mount -t overlay -o ro,lowerdir=.:/tmp/.empty overlay "$2" 2>/dev/null '
        '|| mount --bind -o ro "$1" "$2"; } && '
    )
    script = (
        f"{join}mount -t tmpfs -o mode=1777,size={size} tmpfs /tmp && {stage}{work}"
        'shift 2 && exec setpriv --reuid="$0" --regid="$0" --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"'
    )
    shift = (["--time", "--monotonic", str(int(clock_shift_s)), "--boottime", str(int(clock_shift_s))]
             if clock_shift_s and time_namespace_support() else [])
    argv = ["unshare", "--mount", "--propagation", "private", *shift, "--", "/bin/sh", "-c", script, str(uid)]
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
    # Debian's /usr/bin/which, cc, ... are links through /etc/alternatives (links only; R needs `which`)
    argv += ["--ro-bind-try", "/etc/alternatives", "/etc/alternatives"]
    argv += ["--ro-bind", prefix_on_host, INSIDE_PREFIX]
    for site in runtime.site_dirs:
        argv += ["--tmpfs", os.path.join(INSIDE_PREFIX, site), "--remount-ro", os.path.join(INSIDE_PREFIX, site)]
    argv += [
        # /proc/sys hidden (an empty read-only tmpfs): bwrap leaves it writable where a user namespace owns the
        # sysctls of the job's PID and IPC namespaces (kernel.pid_max, shmmni...), which outlive a warm job
        "--proc", "/proc", "--tmpfs", "/proc/sys", "--remount-ro", "/proc/sys",
        "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--mqueue", "/dev/mqueue",
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
