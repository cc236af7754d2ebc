"""Memory cgroups for sandboxed jobs: one child cgroup of our own per warm worker or cold run.

RLIMIT_AS bounds each process's address space, but not memory a job holds outside it: memfd and
SysV shared memory pages, tmpfs files, kernel objects (inodes, dentries, pipe buffers). A memory
cgroup counts all of them. Each worker or cold run gets a cgroup under the one this process
lives in (read from ``/proc/self/cgroup``) with a limit of ``memory_mb + disk_mb +``
:data:`HEADROOM_MB`: the job's memory, its RAM-backed files (tmpfs pages are charged to the
cgroup of whoever writes them) and a fixed headroom for the runner, the warm worker and
bubblewrap. Swap is not granted beyond that limit. The launcher joins the cgroup before it execs
anything of the run, so every process of the run, the subject of a split job included, counts
against the one limit. A process the cgroup's OOM killer kills is reported as status ``memory``
(the host reads the cgroup's ``oom_kill`` counter before and after the job).

cgroup v1 (``memory.limit_in_bytes``, ``memory.memsw.limit_in_bytes``, ``memory.oom_control``)
and v2 (``memory.max``, ``memory.swap.max``, ``memory.events``) are both supported. v2 needs a
cgroup whose ``cgroup.subtree_control`` can enable ``memory`` (a delegated one with no process of
its own in it); v1 needs write access to our own memory cgroup (root, in practice). Where neither
works, :func:`support` says why and the runner denies ``memfd_create`` and large ``shmget``
instead (see :mod:`zeroplay.sandbox.isolation`).

Each cgroup is named ``zeroplay-<pid>-<n>`` and removed when its worker or run ends. A process
killed before it can (SIGKILL, or a SIGTERM Python does not handle: atexit does not run) leaves
its cgroups behind, empty; :func:`sweep_stale` (run once per process, on the first probe) removes
such empty cgroups of processes that are gone, so repeated killed runs do not pile them up. It
sees only the cgroup this process lives in; leftovers under another parent stay.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from zeroplay.sandbox.spec import Limits

#: MiB each cgroup grants beyond ``memory_mb + disk_mb``: the runner, a warm worker's preloaded
#: standard library, bubblewrap, page tables and kernel bookkeeping.
HEADROOM_MB = 64
_COUNTER = itertools.count()
_LEFTOVER: list[str] = []  # cgroups whose rmdir failed (a process still exiting): retried later
_LEFTOVER_LOCK = threading.Lock()
#: Seconds a ``zeroplay-*`` cgroup must have existed before :func:`sweep_stale` may remove it (one
#: made a moment ago may be empty only because its run has not joined it yet).
STALE_AFTER_S = 60.0


@dataclass(frozen=True)
class Hierarchy:
    """Where our own memory cgroup is and which cgroup version it speaks."""

    version: int
    path: str


def limit_bytes(limits: Limits) -> int:
    return (limits.memory_mb + limits.disk_mb + HEADROOM_MB) << 20


def _own_hierarchy() -> tuple[Hierarchy | None, str]:
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError as e:
        return None, f"cannot read /proc/self/cgroup ({e.strerror})"
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            root = "/sys/fs/cgroup/memory"
            if not os.path.exists(os.path.join(root, "memory.limit_in_bytes")):
                root = "/sys/fs/cgroup"
            return Hierarchy(1, os.path.join(root, path.lstrip("/"))), ""
    for line in lines:
        if line.startswith("0::"):
            return Hierarchy(2, os.path.join("/sys/fs/cgroup", line[3:].lstrip("/"))), ""
    return None, "this process is in no memory cgroup"


@lru_cache(maxsize=1)
def probe() -> tuple[Hierarchy | None, str]:
    """(hierarchy, why not): whether we can make memory cgroups here; probes once per process."""
    if not os.path.isdir("/sys/fs/cgroup"):
        return None, "no cgroup file system at /sys/fs/cgroup"
    hierarchy, why = _own_hierarchy()
    if hierarchy is None:
        return None, why
    if hierarchy.version == 2:
        try:
            with open(os.path.join(hierarchy.path, "cgroup.subtree_control")) as f:
                enabled = f.read().split()
            if "memory" not in enabled:
                with open(os.path.join(hierarchy.path, "cgroup.subtree_control"), "w") as f:
                    f.write("+memory")
        except OSError as e:
            return None, f"cgroup v2: cannot enable the memory controller under {hierarchy.path} ({e.strerror})"
    try:
        test = MemoryCgroup(hierarchy, 64 << 20)
    except OSError as e:
        return None, f"cgroup v{hierarchy.version}: cannot create a memory cgroup under {hierarchy.path} ({e.strerror})"
    test.remove()
    sweep_stale(hierarchy)
    return hierarchy, ""


def sweep_stale(hierarchy: Hierarchy, min_age_s: float | None = None) -> list[str]:
    """Remove the empty ``zeroplay-<pid>-<n>`` cgroups under ``hierarchy`` whose process is gone
    and that are older than ``min_age_s`` (default :data:`STALE_AFTER_S`): what killed runs left.
    Returns the paths removed. ``rmdir`` only removes a cgroup with no process in it, so one in use
    is never touched."""
    min_age_s = STALE_AFTER_S if min_age_s is None else min_age_s
    removed = []
    try:
        entries = list(os.scandir(hierarchy.path))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        parts = entry.name.split("-")
        if len(parts) != 3 or parts[0] != "zeroplay" or not parts[1].isdigit() or not entry.is_dir():
            continue
        pid = int(parts[1])
        if pid == os.getpid() or os.path.exists(f"/proc/{pid}"):
            continue  # ours, or its process (or one that reused its pid) still lives
        try:
            if now - entry.stat().st_mtime < min_age_s:
                continue
            os.rmdir(entry.path)
        except OSError:
            continue  # not empty, or gone already
        removed.append(entry.path)
    return removed


def support() -> Hierarchy | None:
    return probe()[0]


def describe() -> str:
    """One line for ``zeroplay list``: whether a memory cgroup enforces ``memory_mb`` here."""
    hierarchy, why = probe()
    if hierarchy is None:
        return f"no memory cgroup here ({why}): memfd_create and shmget over 4 KiB are refused instead"
    return f"memory cgroup v{hierarchy.version} per run caps all of the job's RAM, kernel memory included"


class MemoryCgroup:
    """A child memory cgroup with a hard limit; :meth:`remove` when the processes in it are gone."""

    def __init__(self, hierarchy: Hierarchy, limit: int) -> None:
        _retry_leftovers()
        self.version = hierarchy.version
        self.path = os.path.join(hierarchy.path, f"zeroplay-{os.getpid()}-{next(_COUNTER)}")
        os.mkdir(self.path)
        try:
            if self.version == 1:
                self._write("memory.limit_in_bytes", limit)
                self._write("memory.memsw.limit_in_bytes", limit, optional=True)  # no swap beyond it
            else:
                self._write("memory.max", limit)
                self._write("memory.swap.max", 0, optional=True)
        except OSError:
            self.remove()
            raise

    @property
    def procs(self) -> str:
        """The file a process writes its pid to in order to join."""
        return os.path.join(self.path, "cgroup.procs")

    def _write(self, name: str, value: int, optional: bool = False) -> None:
        try:
            with open(os.path.join(self.path, name), "w") as f:
                f.write(str(value))
        except OSError:
            if not optional:
                raise

    def oom_kills(self) -> int:
        """How many processes the OOM killer has killed in this cgroup so far."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            with open(os.path.join(self.path, name)) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def held_bytes(self) -> int | None:
        """Memory charged to the cgroup that reclaim cannot free: all of it but the file page cache
        (anonymous pages, shared memory such as tmpfs and memfds, and kernel memory such as pipe and socket
        buffers); None when it cannot be read."""
        usage = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        try:
            with open(os.path.join(self.path, "memory.stat")) as f:
                stat = dict(line.split() for line in f if line.count(" ") == 1)
            with open(os.path.join(self.path, usage)) as f:
                total = int(f.read())
            return total - int(stat.get("active_file", 0)) - int(stat.get("inactive_file", 0))
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        """Remove the cgroup (its processes must be dead); retried later if one is still exiting."""
        for _ in range(20):
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.01)
        with _LEFTOVER_LOCK:
            _LEFTOVER.append(self.path)


def _retry_leftovers() -> None:
    with _LEFTOVER_LOCK:
        paths = list(_LEFTOVER)
        _LEFTOVER.clear()
    for path in paths:
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError:
            with _LEFTOVER_LOCK:
                _LEFTOVER.append(path)


atexit.register(_retry_leftovers)


def new_for(limits: Limits) -> MemoryCgroup | None:
    """A cgroup sized for one run or worker under ``limits``, or None where cgroups are unavailable."""
    hierarchy = support()
    if hierarchy is None:
        return None
    try:
        return MemoryCgroup(hierarchy, limit_bytes(limits))
    except OSError:
        return None
