"""Integrity between jobs and of the result: no job harms the next one, hides memory from its
budget, or forges the status it is given.

Attacks in three classes, each a test: (1) cross-job harm through the warm worker (rlimits,
priority, affinity or scheduling of PID 1, forks of a Sandbox sharing host uids); (2) memory that
``memory_mb`` alone does not count (memfd, SysV shm, tmpfs inodes, pipe buffers); (3) statuses a
job could forge (a self-sent SIGXCPU, a "MemoryError" line, clean-up time billed to the job).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from zeroplay import sandbox
from zeroplay.sandbox import cgroup

POOL = "pool" in sandbox.available_backends()
needs_pool = pytest.mark.skipif(not POOL, reason="the warm pool is not available here")
MiB = 1 << 20


@pytest.fixture(scope="module")
def one_worker():
    """A pool of one worker: every job lands on the worker the previous job ran on."""
    if not POOL:
        pytest.skip("the warm pool is not available here")
    with sandbox.Sandbox(backend="pool", workers=1, timeout_s=3, memory_mb=128, disk_mb=16) as box:
        yield box


def run(box, code: str, **kw):
    return box.run(textwrap.dedent(code), **kw)


# What an innocent job checks about the worker it lands on: it can write a file, open files,
# fork, and runs with the limits, priority and CPUs a fresh worker gives it.
HEALTH = """
import os, resource
with open('probe', 'wb') as f:
    f.write(b'x' * (1 << 20))
fds = [open('/dev/null') for _ in range(50)]
pids = [os.fork() for _ in range(4)]
if 0 in pids:
    os._exit(0)
for p in pids:
    os.waitpid(p, 0)
print(resource.getrlimit(resource.RLIMIT_FSIZE)[0] >= 1 << 20, os.getpriority(os.PRIO_PROCESS, 0),
      sorted(os.sched_getaffinity(0)) == list(range(os.cpu_count())), os.sched_getscheduler(0))
"""
HEALTHY = f"True {os.getpriority(os.PRIO_PROCESS, 0)} True {os.SCHED_OTHER}\n"  # the nice value the tests run at

# Each attack aims at PID 1 (the warm worker) or at every process of the job's uid or group.
WORKER_POISONS = {
    "prlimit_fsize": "import resource; resource.prlimit(1, resource.RLIMIT_FSIZE, (100, 100))",
    "prlimit_nproc": "import resource; resource.prlimit(1, resource.RLIMIT_NPROC, (0, 0))",
    "prlimit_nofile": "import resource; resource.prlimit(1, resource.RLIMIT_NOFILE, (4, 4))",
    "prlimit_cpu": "import resource; resource.prlimit(1, resource.RLIMIT_CPU, (1, 1))",
    "prlimit_as": "import resource; resource.prlimit(1, resource.RLIMIT_AS, (40 << 20, 40 << 20))",
    "affinity_pid1": "import os; os.sched_setaffinity(1, {0})",
    "nice_pid1": "import os; os.setpriority(os.PRIO_PROCESS, 1, 19)",
    "nice_whole_uid": "import os; os.setpriority(os.PRIO_USER, 0, 19)",
    "nice_process_group": "import os; os.setpriority(os.PRIO_PGRP, 0, 19)",
    "sched_idle_pid1": "import os; os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0))",
    "sched_batch_pid1": "import os; os.sched_setscheduler(1, os.SCHED_BATCH, os.sched_param(0))",
    "sched_setattr_pid1": """
        import ctypes, struct
        libc = ctypes.CDLL(None, use_errno=True)
        attr = struct.pack('IIQiIQQQ', 48, 3, 0, 19, 0, 0, 0, 0)  # SCHED_BATCH, nice 19
        libc.syscall(314, 1, attr, 0)
    """,
    "ioprio_whole_uid": """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        IOPRIO_WHO_USER, IDLE = 3, 3 << 13
        libc.syscall(251, IOPRIO_WHO_USER, 0, IDLE)
    """,
    "prlimit_pid1_via_high_bits": """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        new = (ctypes.c_uint64 * 2)(100, 100)
        libc.syscall(302, ctypes.c_uint64((1 << 32) | 1), 1, new, None)  # RLIMIT_FSIZE; pid 1 in the low half
    """,
}


@needs_pool
@pytest.mark.parametrize("attack", sorted(WORKER_POISONS))
def test_a_job_cannot_poison_the_worker_for_the_next_job(one_worker, attack):
    res = run(one_worker, "try:\n" + textwrap.indent(textwrap.dedent(WORKER_POISONS[attack]), "    ")
              + "\nexcept OSError:\n    pass\n")
    assert res.status in ("ok", "error"), res
    for _ in range(2):
        nxt = run(one_worker, HEALTH)
        assert (nxt.status, nxt.stdout) == ("ok", HEALTHY), nxt


@needs_pool
def test_a_job_cannot_lower_the_cpu_share_of_the_next_jobs(one_worker):
    """A red team's: the job shared the worker's session, so a nice written to its scheduler autogroup (no
    privilege needed) held for every later job on the worker, and on a busy machine they timed out."""
    read = "print(open('/proc/self/autogroup').read().split()[-1])"
    if run(one_worker, read).status != "ok":
        pytest.skip("no scheduler autogroups on this kernel")
    res = run(one_worker, "try:\n    open('/proc/self/autogroup', 'w').write('19')\nexcept OSError:\n    pass\n" + read)
    assert res.status == "ok", res
    for _ in range(2):
        assert run(one_worker, read).stdout == "0\n"


def test_a_job_can_still_set_its_own_limits_and_priority(isolated_box):
    res = run(isolated_box, """
        import os, resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        resource.prlimit(0, resource.RLIMIT_NOFILE, (64, 64))
        os.setpriority(os.PRIO_PROCESS, 0, 5)
        os.sched_setaffinity(0, {0})
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        print(resource.getrlimit(resource.RLIMIT_FSIZE)[0], os.getpriority(os.PRIO_PROCESS, 0), os.sched_getaffinity(0))
    """)
    assert (res.status, res.stdout) == ("ok", "1000 5 {0}\n"), res


def test_the_worker_checks_its_own_health():
    """Defence in depth: what a job could still change about PID 1 makes the worker unclean."""
    from zeroplay.sandbox import _runner

    pid = os.fork()
    if pid == 0:
        import resource

        code = 1
        try:
            before = _runner.health()
            same = _runner.health() == before
            resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))
            os.setpriority(os.PRIO_PROCESS, 0, 3)
            keep = os.open("/dev/null", os.O_RDONLY)
            after = _runner.health()
            changed = {k for k in before if before[k] != after[k]}
            code = 0 if same and {"rlimits", "nice", "fds"} <= changed and keep else 2
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


# ------------------------------------------------------------------ memory memory_mb does not count

def _cap_mb(box) -> int:
    """The most RAM a job may hold: its memory budget, its RAM-backed disk, and the runner's headroom."""
    lim = box.limits
    return lim.memory_mb + lim.disk_mb + cgroup.HEADROOM_MB


HIDDEN_MEMORY = {
    "memfd": """
        import os
        fds = []
        for i in range(1, 46):  # one memfd per 8 MiB: RLIMIT_FSIZE caps each one, not their sum
            fds.append(os.memfd_create('hoard'))
            os.write(fds[-1], b'x' * (8 << 20)); print(i * 8, flush=True)
    """,
    "sysv_shm": """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmat.restype = ctypes.c_void_p
        for i in range(1, 46):
            sid = libc.shmget(0, 8 << 20, 0o1600)
            if sid < 0:
                break
            addr = libc.shmat(sid, None, 0)
            ctypes.memset(addr, 1, 8 << 20); libc.shmdt(ctypes.c_void_p(addr)); print(i * 8, flush=True)
    """,
    "pipe_buffers": """
        import fcntl, os
        held = []
        for i in range(1, 46 * 8):
            r, w = os.pipe(); held += [r, w]
            fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ
            os.set_blocking(w, False)
            n = 0
            try:
                while n < 1 << 20: n += os.write(w, b'x' * 65536)
            except BlockingIOError:
                pass
            if i % 8 == 0: print(i, flush=True)
    """,
}


@pytest.fixture(scope="module", params=["pool", "namespace"])
def small_box(request):
    if request.param not in sandbox.available_backends():
        pytest.skip(f"{request.param} is not available here")
    with sandbox.Sandbox(backend=request.param, workers=1, timeout_s=10, memory_mb=64, disk_mb=16,
                         max_open_files=1024) as box:
        yield box


@pytest.mark.parametrize("attack", sorted(HIDDEN_MEMORY))
def test_memory_hidden_from_rlimits_is_still_bounded(small_box, attack):
    res = run(small_box, HIDDEN_MEMORY[attack])
    held = [int(x) for x in res.stdout.split()] or [0]
    assert res.status in ("ok", "error", "memory"), res
    assert held[-1] <= _cap_mb(small_box) + 16, f"{attack}: the job held {held[-1]} MiB: {res}"
    nxt = small_box.run("print('next')")
    assert (nxt.status, nxt.stdout) == ("ok", "next\n"), nxt


INODE_FLOOD = """
import os, time
end = time.monotonic() + {seconds}
n = 0
while time.monotonic() < end and n < {most}:
    for _ in range(1000):
        try:
            os.close(os.open(f'/tmp/{{n}}', os.O_CREAT | os.O_WRONLY))
        except OSError:
            print('stopped', n, flush=True); os._exit(0)
        n += 1
print('made', n, flush=True)
"""


@needs_pool
def test_inode_flood_is_bounded_by_the_memory_cgroup():
    if cgroup.support() is None:
        pytest.skip("no memory cgroup here: the inode flood is bounded only by tmpfs's default nr_inodes")
    with sandbox.Sandbox(backend="pool", workers=1, timeout_s=20, memory_mb=32, disk_mb=8) as box:
        res = box.run(INODE_FLOOD.format(seconds=18, most=400_000))
        assert res.status in ("ok", "memory"), res
        if res.stdout:
            assert int(res.stdout.split()[1]) < 400_000, res  # ~1 KiB of kernel memory each: over 104 MiB
        assert box.run("print('next')").stdout == "next\n"


#: Memory no process holds once the job is over: memfds sent in flight inside a cycle of two unix sockets,
#: which only the kernel's unix garbage collector frees (a red team parked 600 MB this way, and the next jobs
#: on the worker were killed for memory).
PARK = """
import os, socket, array
chunk = b"z" * (1 << 20)
fds = []
for k in range({files}):
    fd = os.memfd_create("x")
    for _ in range(8):
        os.write(fd, chunk)
    fds.append(fd)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [b.fileno(), *fds]))])
b.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [a.fileno()]))])
print("parked")
"""


@needs_pool
def test_memory_parked_in_flight_does_not_stay_charged_to_the_next_jobs():
    if cgroup.support() is None:
        pytest.skip("no memory cgroup here: a job's memory is bounded by rlimits alone")
    with sandbox.Sandbox(backend="pool", workers=1, timeout_s=10, memory_mb=128, disk_mb=16) as box:
        assert box.run(PARK.format(files=13)).stdout == "parked\n"  # 104 MiB parked; the cgroup caps 208
        for _ in range(3):  # each needs 96 MiB more: on a worker still charged 104, the OOM killer ends it
            res = box.run("x = bytearray(96 << 20); x[::4096] = b'y' * len(x[::4096]); print('ok')")
            assert (res.status, res.stdout) == ("ok", "ok\n"), res


#: The same with pipe buffers (kernel memory, neither anonymous nor shared: a ninth round's way past a check
#: that counted those two only).
PARK_PIPES = """
import os, socket, array, fcntl
chunk = b"z" * (1 << 20)
fds = []
for k in range(40):
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ: 1 MiB
    except OSError:
        pass
    os.set_blocking(w, False)
    try:
        os.write(w, chunk)
    except BlockingIOError:
        pass
    os.close(w)
    fds.append(r)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
b.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [a.fileno(), b.fileno()]))])
print("parked")
"""


@needs_pool
@pytest.mark.parametrize("park", [PARK.format(files=13), PARK_PIPES], ids=["memfds", "pipes"])
def test_a_worker_left_holding_memory_is_replaced(park):
    if cgroup.support() is None:
        pytest.skip("no memory cgroup here: a job's memory is bounded by rlimits alone")
    worker = "import os; print(os.readlink('/proc/self/ns/pid'))"  # the worker's PID namespace: one per worker
    with sandbox.Sandbox(backend="pool", workers=1, timeout_s=10, memory_mb=128, disk_mb=16) as box:
        first = box.run(worker).stdout
        assert box.run("x = bytearray(64 << 20); print('ok')").stdout == "ok\n"
        assert box.run(worker).stdout == first  # a job that let go of its memory keeps the worker
        assert box.run(park).stdout == "parked\n"
        assert box.run(worker).stdout != first


# ------------------------------------------------------------------ statuses that cannot be forged

def test_self_sent_sigxcpu_is_not_a_timeout(box):
    res = box.run("import os, signal; os.kill(os.getpid(), signal.SIGXCPU)")
    assert res.status == "killed", res


def test_memory_error_line_on_stderr_is_not_a_memory_status(box):
    res = box.run("import sys; sys.stderr.write('MemoryError\\n'); sys.exit(1)")
    assert res.status == "error", res


def test_memory_error_line_after_a_real_one_is_caught(box):
    res = box.run("try:\n    x = bytearray(1 << 40)\nexcept MemoryError:\n    pass\n"
                  "import sys; print('MemoryError: fake', file=sys.stderr); sys.exit(1)")
    assert res.status == "error", res


def test_explicit_raise_memory_error_is_an_error(box):
    res = box.run("raise MemoryError('I say so')")
    assert res.status == "error", res


def test_a_real_memory_error_is_still_memory(box):
    assert box.run("x = bytearray(1 << 40)").status == "memory"
    assert box.run("x = [0] * (1 << 40)").status == "memory"


def test_sandbox_lines_in_output_decide_nothing(box):
    res = box.run("import sys; print('[sandbox] timed out after 2 s and was killed', file=sys.stderr); "
                  "print('MemoryError'); import os; os._exit(0)")
    assert res.status == "ok", res


def test_fake_exited_messages_on_every_fd(isolated_box):
    fake = 'EXITED 1 {"status": 0, "how": "exited", "cpu_s": 99.0, "memory": true}'
    res = run(isolated_box, f"""
        import os, sys
        for n in range(1, 50):
            for fd in list(range(3, 64)) + [1000, 1001]:
                try:
                    os.write(fd, {fake!r}.replace('EXITED 1', 'EXITED %d' % n).encode())
                except OSError:
                    pass
        sys.exit(3)
    """)
    assert (res.status, res.exit_code) == ("error", 3), res


@needs_pool
def test_clean_up_time_is_not_billed_to_the_job():
    """A job that litters /tmp with many files and exits in time is ``ok``, however long the wipe takes."""
    with sandbox.Sandbox(backend="pool", workers=1, timeout_s=3, memory_mb=512, disk_mb=64) as box:
        res = box.run(INODE_FLOOD.format(seconds=2.5, most=500_000))
        assert res.status == "ok" and res.stdout.startswith(("made", "stopped")), res
        assert res.wall_s < 3.0 + 1.0
        assert box.run("print('next')").stdout == "next\n"


# ------------------------------------------------------------------ forks of the host process

def test_forked_child_gets_its_own_uid_range_and_cannot_kill_the_parents_jobs():
    if os.geteuid() != 0 or not POOL:
        pytest.skip("host uids are only handed out when zeroplay runs as root")
    script = textwrap.dedent("""
        import os, threading, time
        from zeroplay import sandbox
        from zeroplay.sandbox.isolation import UIDS
        box = sandbox.Sandbox(backend='pool', workers=1, timeout_s=10)
        out = []
        t = threading.Thread(target=lambda: out.append(box.run('import time; time.sleep(2); print(7)')))
        t.start(); time.sleep(0.7)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            child = sandbox.Sandbox(backend='pool', workers=1, timeout_s=5)
            res = child.run('print(8)')
            os.write(w, f'{res.stdout.strip()} {UIDS.range[0]}'.encode()); child.close(); os._exit(0)
        os.waitpid(pid, 0)
        child_out, child_lo = os.read(r, 100).decode().split()
        t.join()
        print(out[0].status, out[0].stdout.strip(), child_out, int(child_lo) != UIDS.range[0])
        box.close()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "7", "8", "True"], proc.stdout


def test_forked_child_exiting_does_not_close_the_parents_pool():
    if not POOL:
        pytest.skip("the warm pool is not available here")
    script = textwrap.dedent("""
        import os, sys
        from zeroplay import sandbox
        box = sandbox.Sandbox(backend='pool', workers=1, timeout_s=5)
        box.run('print(1)')
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # runs atexit handlers inherited from the parent
        os.waitpid(pid, 0)
        print(box.run('print(2)').stdout.strip(), box.run('print(3)').stdout.strip())
        box.close()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2", "3"], proc.stdout


def test_uid_ranges_of_live_processes_never_collide(tmp_path):
    from zeroplay.sandbox.isolation import UidAllocator

    allocators = [UidAllocator(lock_dir=str(tmp_path), seed=7) for _ in range(3)]
    ranges = [a.range for a in allocators]
    assert len(set(ranges)) == 3
    for a in allocators:
        a.close()
    again = UidAllocator(lock_dir=str(tmp_path), seed=7)
    assert again.range == ranges[0]  # a released range is free again
    again.close()


# ------------------------------------------------------------------ what the job can see

def test_mountinfo_does_not_show_host_paths(isolated_box):
    from zeroplay.sandbox.isolation import STAGED_PREFIX, Runtime

    res = isolated_box.run("print(open('/proc/self/mountinfo').read())")
    assert res.status == "ok"
    assert Runtime.current().prefix not in res.stdout
    assert STAGED_PREFIX not in res.stdout


def test_describe_backends_says_what_enforces_memory():
    rows = dict(sandbox.describe_backends())
    for name in ("pool", "namespace", "process"):
        assert "memory cgroup" in rows[name], rows[name]


@pytest.mark.parametrize("backend", ["pool", "namespace", "process"])
def test_without_a_memory_cgroup_memfd_and_big_shm_are_refused(backend, monkeypatch):
    if backend not in sandbox.available_backends():
        pytest.skip(f"{backend} is not available here")
    monkeypatch.setattr(cgroup, "new_for", lambda limits: None)  # as on a host without cgroups
    with sandbox.Sandbox(backend=backend, workers=1, timeout_s=5, memory_mb=64) as box:
        res = run(box, """
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            try:
                os.memfd_create('x'); print('MEMFD')
            except OSError as e:
                print('no', e.errno)
            huge = ctypes.c_size_t((1 << 32) + 1)  # a low half under the cap must not pass
            print(libc.shmget(0, 4096, 0o1600) >= 0, libc.shmget(0, 8 << 20, 0o1600), libc.shmget(0, huge, 0o1600))
        """)
    assert (res.status, res.stdout) == ("ok", "no 1\nTrue -1 -1\n"), res


CONFINED_SUBJECT = """\
import signal, subprocess
def run():
    out = []
    try:
        out.append(subprocess.run(["/bin/true"]).returncode)
    except PermissionError:
        out.append("exec denied")
    try:
        signal.signal(signal.SIGUSR1, lambda *a: None)
        out.append("handler set")
    except OSError:
        out.append("handler denied")
    return out
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the seccomp filters are written for x86_64")
def test_a_confined_subject_starts_no_program_and_sets_no_signal_handler(isolated_box):
    """``Subject(confined=True)``: what a guard inside the subject's process cannot see (a started program
    escapes it; a signal handler is handed the running frame) is denied by seccomp; unconfined, both work."""
    judge = "from _zp_subject import subject\nprint(subject.call('run'))"
    subjects = [sandbox.Subject(CONFINED_SUBJECT, confined=confined) for confined in (True, False)]
    results = isolated_box.run_many([sandbox.Program(judge, subject=subject) for subject in subjects])
    assert [r.stdout.strip() for r in results] == ["['exec denied', 'handler denied']", "[0, 'handler set']"], results
