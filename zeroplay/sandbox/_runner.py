"""The code that runs *inside* the sandbox. Standard library only; it is passed to the interpreter as
``python -S -I -c <this file> [--no-memory-cgroup] MODE`` and never imports zeroplay.

MODE ``run FD``: fork a child that reads one job (JSON, see ``Program.payload``) from fd 0 and runs
it; write ``S`` to fd FD once it has started, then ``<raw wait status> <CPU s> <M|->`` and a
newline once it has ended, and exit. The child closes FD before any job code runs, so the job
cannot forge its status; the CPU seconds come from ``wait4`` (a SIGXCPU counts as a timeout only
if they reached the limit), ``M`` from the job's report pipe (:data:`REPORT_FD`: the runner
writes it when the interpreter raised MemoryError; see :func:`_interpreter_memory_error`).

MODE ``zygote FD``: the warm-pool server. It must be PID 1 of its own PID namespace. It preloads
the standard library, then loops on the control socket FD: each ``RUN <id> <timeout>`` message
carries three fds (job payload, stdout, stderr; a fourth for a split job's subject). It forks a
child that reads the job and runs it; the zygote itself never reads job data, so no job can find
another job's code in its memory. When the child ends (or the timeout or a ``KILL <id>`` message
comes) the zygote sends SIGKILL to every other process of the namespace (``kill(-1)`` from PID 1),
reaps them and answers ``EXITED <id> {status, how, cpu_s, memory_error}``; then it wipes the
writable dirs and SysV IPC objects, compares its own :func:`health` with what it recorded at start
and answers ``DONE <id> {clean}``. The job cannot forge either answer: the child closes the
control socket before any job code runs, and the zygote is not dumpable, so its ``/proc/1/fd`` and
memory are closed to the job. PID 1 only receives signals it handles, and it handles none, so the
job cannot kill it either; the seccomp filter keeps the job from changing PID 1's rlimits,
priority, scheduling or CPUs (:data:`SELF_ONLY_X86_64`).

``--no-memory-cgroup``: no memory cgroup counts the run's memory, so the filter also refuses
``memfd_create`` and ``shmget`` of more than :data:`SMALL_SHM_BYTES` (pages RLIMIT_AS misses).
"""

# ruff: noqa: BLE001, S102, S110
# (The runner executes hostile code on purpose and must survive whatever it raises or breaks.)

import json
import os
import signal
import sys

MEMORY_EXIT = 1  # what plain Python exits with on an uncaught MemoryError
#: The job process's end of a pipe to its supervisor: the runner writes ``M`` there when the
#: interpreter ran out of memory (see :func:`_interpreter_memory_error`).
REPORT_FD = 1000
WRITABLE_DIRS = ("/work", "/tmp", "/dev/shm", "/dev/mqueue")  # POSIX message queues live in the last
#: ``_confine.py``'s source: isolation.RUNNER_SOURCE puts it here (see :func:`_run_confined`).
_CONFINE_SOURCE = None
_CONFINE = {}  # its functions, made once (the zygote makes them before it forks any job)
PRELOAD = (
    "abc argparse array base64 bisect collections copy csv dataclasses datetime decimal enum fractions functools "
    "hashlib heapq io itertools json math operator random re resource select shutil stat string statistics struct "
    "textwrap time traceback types typing unittest"
)


def _apply_limits(limits):
    import resource

    def cap(which, soft, hard=None):
        hard = soft if hard is None else hard
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            _soft, cur_hard = resource.getrlimit(which)
            # Never above what we already have: a lower hard limit set by the host stays.
            lim = cur_hard if cur_hard != resource.RLIM_INFINITY else hard
            resource.setrlimit(which, (min(soft, lim), min(hard, lim)))

    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_CPU, limits["cpu_s"], limits["cpu_s"] + 1)
    cap(resource.RLIMIT_AS, limits["memory_bytes"])
    # +4: the sandbox's own helpers (bwrap, the zygote) run under the same uid.
    cap(resource.RLIMIT_NPROC, limits["nproc"] + 4)
    cap(resource.RLIMIT_NOFILE, limits["nofile"])
    cap(resource.RLIMIT_FSIZE, limits["fsize"])


# x86_64 system calls no job needs and kernel exploits love: tracing other processes, kernel
# modules and BPF, io_uring, userfaultfd, keyrings, perf events, namespaces and mounts, clocks.
DENIED_SYSCALLS_X86_64 = (
    101, 310, 311,  # ptrace, process_vm_readv, process_vm_writev
    246, 320, 175, 313, 176,  # kexec_load, kexec_file_load, init_module, finit_module, delete_module
    321, 298, 323,  # bpf, perf_event_open, userfaultfd
    248, 249, 250,  # add_key, request_key, keyctl
    425, 426, 427,  # io_uring_setup, io_uring_enter, io_uring_register
    165, 166, 155, 428, 429, 430, 431, 432, 433, 442,  # mount, umount2, pivot_root, open_tree .. mount_setattr
    272, 308,  # unshare, setns
    303, 304,  # name_to_handle_at, open_by_handle_at
    163, 167, 168, 169, 172, 173, 103, 134, 153, 179,  # acct swapon swapoff reboot iopl ioperm syslog uselib vhangup quotactl
    159, 164, 227, 305,  # adjtimex, settimeofday, clock_settime, clock_adjtime
)


# x86_64 calls that change a process's limits, priority or CPUs. A job may apply them to itself
# only (arg == 0 below): PID 1 of the sandbox, the warm worker, runs as the same uid, and an rlimit,
# nice value or affinity set on it would be inherited by every later job. Each entry lists
# (argument index, required value), compared on the low 32 bits, which is all the kernel reads of
# these int arguments.
SELF_ONLY_X86_64 = {
    302: ((0, 0),),  # prlimit64(pid, ...)
    203: ((0, 0),),  # sched_setaffinity(pid, ...)
    144: ((0, 0),),  # sched_setscheduler(pid, ...)
    142: ((0, 0),),  # sched_setparam(pid, ...)
    314: ((0, 0),),  # sched_setattr(pid, ...)
    141: ((0, 0), (1, 0)),  # setpriority(which=PRIO_PROCESS, who=0, ...)
    251: ((0, 1), (1, 0)),  # ioprio_set(which=IOPRIO_WHO_PROCESS, who=0, ...)
}
MEMFD_CREATE, SHMGET = 319, 29
#: Without a memory cgroup: the largest SysV segment a job may create (SHMMNI of them at most).
SMALL_SHM_BYTES = 4096

_SECCOMP = {}  # the zygote builds the filter once; forked jobs reuse it
_NO_MEMORY_CGROUP = []  # set from the command line: no cgroup counts memfd and shm pages


def seccomp_program(no_memory_cgroup=False, extra_denied=()):
    """A classic-BPF seccomp filter: EPERM for :data:`DENIED_SYSCALLS_X86_64`, ``extra_denied`` and the x32
    ABI and for :data:`SELF_ONLY_X86_64` aimed at another process; with ``no_memory_cgroup`` also for
    ``memfd_create`` and for ``shmget`` of more than :data:`SMALL_SHM_BYTES`; kill the process on
    any other architecture's calling convention; allow the rest."""
    import struct

    LD_ABS, JEQ, JGT, JGE, RET = 0x20, 0x15, 0x25, 0x35, 0x06
    AUDIT_ARCH_X86_64, X32_BIT = 0xC000003E, 0x40000000
    ALLOW, KILL, EPERM = 0x7FFF0000, 0x80000000, 0x00050000 | 1
    code, labels = [], {}

    def emit(op, k, jt=None, jf=None):  # jt/jf: a label to jump to, None for the next instruction
        code.append((op, k, jt, jf))

    def arg_low(i):  # struct seccomp_data: nr, arch, instruction_pointer, then args[6] (u64, little-endian)
        return 16 + 8 * i

    emit(LD_ABS, 4)
    emit(JEQ, AUDIT_ARCH_X86_64, jf="kill")
    emit(LD_ABS, 0)
    emit(JGE, X32_BIT, jt="eperm")
    for nr in (*DENIED_SYSCALLS_X86_64, *extra_denied):
        emit(JEQ, nr, jt="eperm")
    for nr in SELF_ONLY_X86_64:
        emit(JEQ, nr, jt=f"self{nr}")
    if no_memory_cgroup:
        emit(JEQ, MEMFD_CREATE, jt="eperm")
        emit(JEQ, SHMGET, jt="shmget")
    emit(RET, ALLOW)
    for nr, checks in SELF_ONLY_X86_64.items():
        labels[f"self{nr}"] = len(code)
        for i, value in checks:
            emit(LD_ABS, arg_low(i))
            emit(JEQ, value, jf="eperm")
        emit(RET, ALLOW)
    labels["shmget"] = len(code)
    emit(LD_ABS, arg_low(1) + 4)  # size_t size: the high half must be 0 ...
    emit(JEQ, 0, jf="eperm")
    emit(LD_ABS, arg_low(1))  # ... and the low half small
    emit(JGT, SMALL_SHM_BYTES, jt="eperm")
    emit(RET, ALLOW)
    labels["eperm"] = len(code)
    emit(RET, EPERM)
    labels["kill"] = len(code)
    emit(RET, KILL)

    def offset(here, label):
        if label is None:
            return 0
        n = labels[label] - here - 1
        assert 0 <= n < 256, "seccomp jump out of range"
        return n

    return b"".join(
        struct.pack("HBBI", op, offset(i, jt), offset(i, jf), k) for i, (op, k, jt, jf) in enumerate(code)
    )


#: x86_64 calls a confined subject may not make besides (see ``Subject.confined``): rt_sigaction, execve,
#: execveat, memfd_create (a file of its own to load native code from), mknod and mknodat (files made unaudited).
CONFINED_SUBJECT_DENIED = (13, 59, 322, 319, 133, 259)


def _forget_ctypes():
    """Drop this process's ctypes (the sandbox's own, for prctl): a confined subject's code must not find
    a loaded ctypes, or the libc handle, which read and write any memory and call any C function unaudited."""
    _LIBC.clear()
    for name in [n for n in sys.modules if n in ("ctypes", "_ctypes") or n.startswith("ctypes.")]:
        del sys.modules[name]


def _seccomp_for_jobs(extra_denied=()):
    key = (bool(_NO_MEMORY_CGROUP), tuple(extra_denied))
    if key not in _SECCOMP:
        _SECCOMP[key] = seccomp_program(*key)
    return _SECCOMP[key]


def _install_seccomp(extra_denied=()):
    """Install :func:`seccomp_program` (``extra_denied`` as well) on this process and all it starts
    (x86_64 only)."""
    import ctypes

    if os.uname().machine != "x86_64":
        return
    prog = _seccomp_for_jobs(extra_denied)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    libc = _libc()
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "installing the seccomp filter failed")


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _write_files(job):
    import base64

    for name, content in job["files"].items():
        directory = os.path.dirname(name)
        if directory:
            os.makedirs(directory, exist_ok=True)
        data = base64.b64decode(content["b64"]) if "b64" in content else content["text"].encode()
        with open(name, "wb") as f:
            f.write(data)
    with open(job["source_name"], "w", encoding="utf-8") as f:
        f.write(job["code"])


def _stdin_from(text):
    fd = os.memfd_create("stdin")
    os.write(fd, text.encode())
    os.lseek(fd, 0, os.SEEK_SET)
    os.dup2(fd, 0)
    os.close(fd)


def _fresh_std_streams():
    import io

    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace")
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def _exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _run_python(job):
    """Run the job's code as ``__main__`` in this interpreter; mirrors ``python main.py``."""
    import traceback
    import types

    path = os.path.abspath(job["source_name"])
    sys.argv = [job["source_name"], *job["argv"]]
    stdlib = [p for p in sys.path if p.startswith(sys.prefix)]
    # A split job's judge imports only the standard library: /work is the subject's to write, and a
    # module planted there (ast.py, copy.py...) must never run in the judge.
    sys.path[:] = stdlib if "_zp_subject" in sys.modules else [os.getcwd(), *stdlib]
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    code = 0
    try:
        exec(compile(job["code"], path, "exec"), main.__dict__)
    except SystemExit as e:
        code = _exit_code(e)
    except MemoryError as e:
        code = MEMORY_EXIT
        try:
            if _interpreter_memory_error(e):
                os.write(REPORT_FD, b"M")
        except BaseException:
            pass
        try:
            sys.stderr.write("MemoryError: the program ran out of its memory limit\n")
        except BaseException:
            pass
    except BaseException as e:  # what an uncaught exception does in plain Python
        try:
            traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        except BaseException:
            pass
        code = 1
    try:
        import atexit

        atexit._run_exitfuncs()
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
    except BaseException:
        pass
    _flush_std()
    os._exit(code)


def _raise_ops():
    import opcode

    names = ("RAISE_VARARGS", "RERAISE", "YIELD_VALUE", "SEND", "RESUME", "RETURN_GENERATOR", "END_ASYNC_FOR",
             "CLEANUP_THROW", "GEN_START")
    return frozenset(opcode.opmap[n] for n in names if n in opcode.opmap)


#: Opcodes at which a MemoryError was raised by the program, not by an allocation (built once, at
#: start-up: the zygote's jobs inherit it).
_RAISE_OPS = _raise_ops()


def _lock_down(limits, extra_denied=()):
    """What every job process gets before untrusted code runs: default signals, the rlimits and
    the seccomp filter (denying ``extra_denied`` too)."""
    for sig in (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    _apply_limits(limits)
    _install_seccomp(extra_denied)


def _fresh_python_state():
    """A forked interpreter about to run Python job code: its own random seed, fresh std streams."""
    import random

    random.seed()
    _fresh_std_streams()


def _interpreter_memory_error(e):
    """Whether a MemoryError came from the interpreter failing to allocate, not from a ``raise``.

    The status ``memory`` is reported on the supervisor's channel, never read from stderr. A job
    can still claim it by raising MemoryError from C (ctypes) or by allocating more than it may,
    which costs it nothing either way; this check only keeps a plain ``raise`` from counting."""
    if type(e) is not MemoryError:
        return False
    tb = e.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code.co_code
    return tb.tb_lasti < len(code) and code[tb.tb_lasti] not in _RAISE_OPS


def _prefer_for_oom_kill():
    """Make this process (and what it forks) the memory cgroup's OOM killer's first choice, so a
    job out of memory is killed before its warm worker is. Raising the score needs no privilege;
    /proc/self files are only ours to write while we are dumpable."""
    _set_dumpable(True)
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    _set_dumpable(False)


def _read_report(fd):
    """What the job process wrote to its report pipe (the job has ended: no writer is left)."""
    os.set_blocking(fd, False)
    try:
        data = os.read(fd, 64)
    except OSError:
        data = b""
    os.close(fd)
    return data.startswith(b"M")


def _wait(pid):
    """Reap ``pid``: (raw wait status, CPU seconds it and its reaped children used)."""
    _pid, status, usage = os.wait4(pid, 0)
    return status, round(usage.ru_utime + usage.ru_stime, 3)


def run_job(link=None):
    """Read the job from fd 0, set it up in the current dir, run it; never returns.

    ``link`` is ``(pid, socket)`` of the subject process of a split job: the judge reaches it as
    ``import _zp_subject``."""
    job = json.loads(_read_all(0))
    _write_files(job)
    _stdin_from(job["stdin"])
    _lock_down(job["limits"])
    if job.get("confine") is not None:
        _run_confined(job)
    if not job["in_process"]:
        os.execv(job["command"][0], [*job["command"], *job["argv"]])
    _fresh_python_state()
    if link is not None:
        _install_subject_client(*link)
    _run_python(job)


def _confine_functions():
    if not _CONFINE and _CONFINE_SOURCE is not None:
        _CONFINE["__name__"] = "_confine"
        exec(compile(_CONFINE_SOURCE, "_confine.py", "exec"), _CONFINE)
    return _CONFINE


def _run_confined(job):
    """A job in a language without ``spawn``: its shell script (``job["command"]``) compiles and
    writes the run's words to fd 3, NUL-terminated; this process then limits itself to one process
    (RLIMIT_NPROC 1) and starts them through ``_confine.py`` (one execve, reads of its own files).
    The script runs in a child that may read only what the language's ``compile_reads`` allows
    (``_confine.confine_compile``; ``any``: no limit), so the compiler cannot embed other files; a
    compile that is one simple command (``job["confine"]["compile"]``) runs after it, without the
    shell (``_confine.compile_alone``).
    A failed script's exit status (a compile error's) is the job's. Never returns."""
    import resource

    functions = _confine_functions()
    if not functions:
        os.write(2, b"zeroplay: this runner lacks _confine.py's source\n")
        os._exit(70)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.dup2(w, 3)
            if w != 3:
                os.close(w)
            functions["confine_compile"](job["confine"].get("compile_reads", "any"), os.environ)
            os.execv(job["command"][0], [*job["command"], *job["argv"]])
        finally:
            os._exit(127)
    os.close(w)
    words = _read_all(r)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    if os.WEXITSTATUS(status) != 0:
        os._exit(os.WEXITSTATUS(status))
    argv = [os.fsdecode(word) for word in words.split(b"\0")[:-1]]
    if job["confine"].get("compile"):  # a simple compile command: the compiler starts without the shell
        functions["compile_alone"](job["confine"]["compile"], job["confine"].get("compile_reads", "any"), os.environ)
    resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
    functions["confine_and_exec"](argv, os.environ, job["confine"]["reads"], job["confine"]["source"])
    os._exit(70)  # not reached: confine_and_exec execs or exits


# ---------------------------------------------------------------- split jobs: judge and subject
#
# A split job runs trusted judge code and untrusted subject code in two processes, both forked
# from a process that has read no job data. The subject gets its own payload fd (its code and
# setup), one end of a stream socket and the job's stderr as stdout and stderr; it never holds
# the judge's payload, stdin, stdout or files. The judge is not dumpable, so the subject cannot
# open its /proc/PID/{mem,fd,environ}; ptrace and process_vm_* are denied by seccomp. What the
# subject can do to the judge is stop or kill it (same uid), which ends the run with fewer
# results, never with better ones. Messages are a 4-byte big-endian length and a marshal body;
# each request carries a fresh random tag that its reply must echo; the judge reads replies under
# a size cap and accepts only plain built-in values.

MAX_REPLY_BYTES = 1 << 26


def _send_msg(sock, obj):
    import marshal

    data = marshal.dumps(obj)
    sock.sendall(len(data).to_bytes(4, "big") + data)


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_msg(sock, limit):
    import marshal

    head = _recv_exact(sock, 4)
    if head is None:
        return None
    n = int.from_bytes(head, "big")
    if n > limit:
        raise ValueError(f"message of {n} bytes is over the {limit}-byte cap")
    body = _recv_exact(sock, n)
    if body is None:
        return None
    return marshal.loads(body)


def _start_subject(subject_fd):
    """Fork the subject process from this (still pristine) process; return (pid, judge's socket).

    The caller has fds 0/1/2 = judge payload / stdout / stderr and ``subject_fd``; the subject
    keeps only ``subject_fd``, its socket end and stderr (as its fds 1 and 2)."""
    import socket

    judge_end, subject_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        try:
            import fcntl

            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)  # the judge's payload: closed before anything else runs here
            os.dup2(2, 1)
            payload = fcntl.fcntl(subject_fd, fcntl.F_DUPFD, 10)  # above 4, so the dup2s below clobber nothing
            link = fcntl.fcntl(subject_end.fileno(), fcntl.F_DUPFD, 10)
            os.dup2(payload, 3)
            os.dup2(link, 4)
            os.closerange(5, 1 << 16)
            _serve_subject(socket.socket(fileno=4), 3)
        except BaseException as e:
            os.write(2, f"sandbox subject failed: {e!r}\n".encode())
        os._exit(70)
    subject_end.close()
    os.close(subject_fd)
    return pid, judge_end


def _plain(x, depth=0):
    """Built-in data only (exact types): what a reply may carry across the socket."""
    t = type(x)
    if t in (int, float, complex, str, bytes, bool, type(None)):
        return True
    if depth > 100:
        return False
    if t in (list, tuple, set, frozenset):
        return all(_plain(i, depth + 1) for i in x)
    if t is dict:
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in x.items())
    return False


def _describe(e):
    try:
        return str(e)[:2000]
    except BaseException:
        return "(unprintable exception)"


def _serve_subject(sock, payload_fd):
    """The subject's side: load the untrusted code, then answer calls until the socket closes."""
    import builtins
    import marshal

    doc = json.loads(_read_all(payload_fd))  # the cwd is the job's, inherited from the runner
    os.close(payload_fd)
    _lock_down(doc["limits"], CONFINED_SUBJECT_DENIED if doc.get("confined") else ())
    _set_dumpable(True)
    if doc.get("confined"):
        _forget_ctypes()
    _fresh_python_state()
    handles = {}
    setup = {"__name__": "__zp_setup__", "__builtins__": builtins}
    try:
        exec(_setup_code(doc), setup)
        load = setup.get("load")
        if load is None:
            sol = {"__name__": "solution", "__builtins__": builtins}
            exec(compile(doc["code"], "solution.py", "exec"), sol)
        else:
            sol = load(doc["code"])
        reply = ("ready",)
    except BaseException as e:
        sol, reply = None, ("load_error", type(e).__name__, _describe(e))
    _flush_std()
    _send_msg(sock, reply)
    if sol is None:
        os._exit(0)

    def resolve(target):
        if type(target) is int:
            return handles[target]
        if target.startswith("@"):
            return setup[target[1:]]
        if target not in sol:
            raise NameError(f"name {target!r} is not defined")
        return sol[target]

    while True:
        try:
            msg = _recv_msg(sock, MAX_REPLY_BYTES)
        except BaseException:
            msg = None
        if msg is None:
            _flush_std()
            os._exit(0)
        tag = msg[-1] if type(msg) is tuple and msg else None
        try:
            kind = msg[0]
            if kind == "names":
                result = sorted(k for k, v in sol.items() if callable(v) and not k.startswith("__"))
            else:
                args = [handles[v] if how == "h" else v for how, v in msg[3]]
                kwargs = msg[4]
                fn = resolve(msg[1]) if kind == "call" else getattr(resolve(msg[1]), msg[2])
                result = fn(*args, **kwargs)
            if _plain(result):
                try:
                    data = marshal.dumps(("ok", result, tag))
                except BaseException:
                    data = None
            else:
                data = None
            if data is None:
                handles[len(handles) + 1] = result
                data = marshal.dumps(("handle", len(handles), type(result).__name__, tag))
        except BaseException as e:
            try:
                name = type(e).__name__
            except BaseException:
                name = "BaseException"
            data = marshal.dumps(("raise", str(name), _describe(e), tag))
        _flush_std()
        try:
            sock.sendall(len(data).to_bytes(4, "big") + data)
        except BaseException:
            os._exit(0)


def _setup_code(doc):
    """The subject's trusted setup as a code object: the host's compiled copy when this interpreter is the
    host's (same cache tag), else compiled from its text."""
    import base64
    import marshal

    if doc.get("setup_code") and doc.get("cache_tag") == sys.implementation.cache_tag:
        try:
            return marshal.loads(base64.b64decode(doc["setup_code"]))
        except (ValueError, TypeError, EOFError):
            pass
    return compile(doc["setup"], "setup.py", "exec")


def _flush_std():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _install_subject_client(pid, sock):
    """Make ``import _zp_subject`` give the judge its client (see :class:`SubjectClient`)."""
    import types

    mod = types.ModuleType("_zp_subject")
    mod.subject = SubjectClient(pid, sock)
    mod.SubjectGone, mod.SubjectError, mod.Remote = SubjectGone, SubjectError, Remote
    mod.plain = _plain
    sys.modules["_zp_subject"] = mod


class SubjectGone(Exception):
    """The subject process ended, timed out or broke the protocol: no more calls can be made."""


class SubjectError(Exception):
    """The subject raised an exception that is not a built-in ``Exception`` subclass."""


class Remote:
    """A value that stayed in the subject's process (not plain data): call it or its methods.

    It has no ``__eq__`` or ``__bool__`` of the subject's: comparing it is comparing identity."""

    __slots__ = ("_client", "_id", "type_name")

    def __init__(self, client, ident, type_name):
        self._client, self._id, self.type_name = client, ident, type_name

    def __call__(self, *args, **kwargs):
        return self._client.call(self, *args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._client.method(self, name, *args, **kwargs)

    def __repr__(self):
        return f"<remote {self.type_name}>"


#: Exceptions a subject's error is re-raised as in the judge: built-in ``Exception`` types, less the
#: ones that steer control flow (a ``StopIteration`` would end a test's ``map``/``all`` quietly).
_BUILTIN_ERRORS = {
    k: v for k, v in (__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)).items()
    if isinstance(v, type) and issubclass(v, Exception) and not issubclass(v, (StopIteration, StopAsyncIteration))
}


class SubjectClient:
    """The judge's end of a split job. ``call(name, *args)`` calls ``name`` in the subject's code
    (``"@name"``: a function of the trusted setup; a :class:`Remote`: that value), returns plain
    data or a :class:`Remote`, and re-raises what the subject raised (as the same built-in
    exception type, else :class:`SubjectError`). ``timeout_s`` bounds each call; a call past it
    kills the subject. After :class:`SubjectGone` every call raises it again."""

    def __init__(self, pid, sock):
        self.pid, self._sock = pid, sock
        self.timeout_s = None
        self.gone = None
        self.load_error = None
        try:
            first = self._receive()
            if first[0] == "load_error" and len(first) == 3:
                self.load_error = f"{first[1]}: {first[2]}"[:2000]
            elif first[0] != "ready":
                self._lose("the subject broke the protocol at start-up")
        except SubjectGone as e:
            self.load_error = str(e) + " while loading"

    @property
    def ready(self):
        return self.load_error is None and self.gone is None

    def _lose(self, why):
        if self.gone is None:
            self.gone = why
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        raise SubjectGone(self.gone)

    def _receive(self):
        import socket

        if self.gone is not None:
            raise SubjectGone(self.gone)
        self._sock.settimeout(self.timeout_s)
        try:
            msg = _recv_msg(self._sock, MAX_REPLY_BYTES)
        except socket.timeout:
            self._lose(f"the subject ran past its {self.timeout_s:g} s budget for one call and was killed")
        except BaseException as e:
            self._lose(f"the subject sent a reply that cannot be read ({type(e).__name__})")
        if msg is None:
            self._lose("the subject process ended")
        if type(msg) is not tuple or not msg or type(msg[0]) is not str:
            self._lose("the subject broke the protocol")
        return msg

    def _request(self, msg):
        import socket

        if self.load_error is not None:
            raise SubjectGone("the subject failed to load: " + self.load_error)
        if self.gone is not None:
            raise SubjectGone(self.gone)
        try:
            self._sock.settimeout(self.timeout_s)
            _send_msg(self._sock, msg)
        except ValueError as e:  # marshal: an argument that is not plain data
            raise TypeError(f"only plain data can be sent to the subject: {e}") from None
        except socket.timeout:
            self._lose(f"the subject ran past its {self.timeout_s:g} s budget for one call and was killed")
        except OSError:
            self._lose("the subject process ended")
        reply = self._receive()
        if len(reply) < 2 or reply[-1] != msg[-1]:
            # not the answer to this request (a reply written ahead by the subject's own code, or
            # one left over from an earlier call): the stream cannot be trusted any more
            self._lose("the subject answered out of turn")
        reply = reply[:-1]
        kind = reply[0]
        if kind == "ok" and len(reply) == 2 and _plain(reply[1]):
            return reply[1]
        if kind == "handle" and len(reply) == 3 and type(reply[1]) is int and type(reply[2]) is str:
            return Remote(self, reply[1], reply[2][:100])
        if kind == "raise" and len(reply) == 3 and type(reply[1]) is str and type(reply[2]) is str:
            cls = _BUILTIN_ERRORS.get(reply[1])
            if cls is not None:
                try:
                    exc = cls(reply[2])
                except BaseException:
                    exc = SubjectError(f"{reply[1]}: {reply[2]}")
            else:
                exc = SubjectError(f"{reply[1][:100]}: {reply[2]}")
            raise exc
        self._lose("the subject broke the protocol")

    def _tag(self):
        """A fresh random tag the reply must echo: the subject's code cannot guess it ahead."""
        return int.from_bytes(os.urandom(8), "big")

    def _args(self, args):
        return [("h", a._id) if type(a) is Remote else ("v", a) for a in args]

    def call(self, target, *args, **kwargs):
        ref = target._id if type(target) is Remote else str(target)
        return self._request(("call", ref, None, self._args(args), kwargs, self._tag()))

    def method(self, target, name, *args, **kwargs):
        if type(target) is not Remote:
            raise TypeError("method() takes a Remote value")
        return self._request(("method", target._id, str(name), self._args(args), kwargs, self._tag()))

    def names(self):
        """Public callable names the subject's code defines."""
        names = self._request(("names", self._tag()))
        return [n for n in names if type(n) is str] if type(names) is list else []

    def stub(self, name):
        """A local function that calls ``name`` in the subject."""
        def stub(*args, **kwargs):
            return self.call(name, *args, **kwargs)

        stub.__name__ = str(name)
        return stub


# ---------------------------------------------------------------- warm pool


_LIBC = []


def _libc():
    if not _LIBC:
        import ctypes

        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _set_dumpable(flag):
    PR_SET_DUMPABLE = 4
    _libc().prctl(PR_SET_DUMPABLE, int(flag), 0, 0, 0)


def _kill_all():
    """From PID 1: SIGKILL every other process of the namespace (daemons included) and reap them."""
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _wipe_dir(root):
    import shutil
    import stat

    def unlock(func, path, _exc):
        # The job may have chmod'ed its dirs to 000: give them back to ourselves and retry.
        os.chmod(os.path.dirname(path) or root, stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
            shutil.rmtree(path)
        else:
            os.unlink(path)

    if not os.path.isdir(root):
        return
    try:
        os.chmod(root, 0o1777 if root != "/work" else 0o700)
    except PermissionError:
        pass  # /dev/mqueue's root is not ours to chmod; a job cannot change it either
    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=unlock)
        else:
            os.unlink(entry.path)


def _remove_sysv_ipc():
    """SysV IPC objects live as long as the IPC namespace: remove the job's, or the next job sees them."""
    IPC_RMID = 0
    for table, remove in (
        ("shm", lambda i: _libc().shmctl(i, IPC_RMID, None)),
        ("sem", lambda i: _libc().semctl(i, 0, IPC_RMID)),
        ("msg", lambda i: _libc().msgctl(i, IPC_RMID, None)),
    ):
        try:
            with open(f"/proc/sysvipc/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            remove(int(row.split()[1]))


def _child(ctl, payload, out, err, subject=None):
    ctl.close()
    os.dup2(payload, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    if subject is not None:
        os.dup2(subject, 3)
    for fd in (payload, out, err, subject):
        if fd is not None and fd > (2 if subject is None else 3):
            os.close(fd)
    try:
        os.closerange(3 if subject is None else 4, REPORT_FD)
        os.closerange(REPORT_FD + 1, 1 << 16)
        os.chdir("/work")
        if subject is None:
            _set_dumpable(True)
            run_job()
        else:
            run_job(_start_subject(3))  # the judge stays not dumpable, out of the subject's reach
    except BaseException as e:
        os.write(2, f"sandbox runner failed: {e!r}\n".encode())
    os._exit(70)


def _supervise(pid, ctl, timeout, job_id):
    """Wait for the job; return ((raw wait status, CPU seconds) or None, how it ended)."""
    import select
    import time

    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(ctl.fileno(), select.POLLIN)
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, "timeout"
            for fd, _ev in poller.poll(left * 1000):
                if fd == pidfd:
                    return _wait(pid), "exited"
                msg = ctl.recv(64)
                if not msg:
                    _kill_all()
                    os._exit(0)  # the host went away
                if msg == b"KILL " + job_id:  # a late KILL for an earlier job is ignored
                    return None, "killed"
    finally:
        os.close(pidfd)


def health():
    """What a job must not be able to change about the process that forks the next one: its
    rlimits, priority, I/O priority, scheduling, its session's autogroup nice, CPUs, open fds, cwd and umask."""
    import resource

    names = sorted(n for n in dir(resource) if n.startswith("RLIMIT_"))
    umask = os.umask(0o022)
    os.umask(umask)
    IOPRIO_GET, IOPRIO_WHO_PROCESS = 252, 1
    return {
        "rlimits": [(n, resource.getrlimit(getattr(resource, n))) for n in names],
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "ioprio": _libc().syscall(IOPRIO_GET, IOPRIO_WHO_PROCESS, 0),
        "scheduler": (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority),
        "affinity": sorted(os.sched_getaffinity(0)),
        "fds": sorted(os.listdir("/proc/self/fd"), key=int),
        "cwd": os.getcwd(),
        "umask": umask,
        "autogroup": _autogroup_nice(),
    }


def _autogroup_nice():
    """The nice value of the scheduler autogroup (the session's CPU share), or None without autogroups."""
    try:
        with open("/proc/self/autogroup") as f:
            return f.read().split()[-1]
    except (OSError, IndexError):
        return None


def zygote(ctl_fd):
    """Serve jobs: ``RUN`` in; ``EXITED <id> {status}`` once the job is over and every process
    of it is dead, then ``DONE <id> {clean}`` once the sandbox is wiped and checked, so the host
    bills the job only for the job's own time."""
    import socket

    if os.getpid() != 1:
        sys.exit("the zygote must be PID 1 of its own PID namespace")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_dumpable(False)
    import importlib

    for name in PRELOAD.split():
        importlib.import_module(name)
    _seccomp_for_jobs()
    _seccomp_for_jobs(CONFINED_SUBJECT_DENIED)
    _confine_functions()
    import gc

    gc.freeze()  # what the zygote built stays out of the jobs' collections (and their copy-on-write)
    ctl = socket.socket(fileno=ctl_fd)
    baseline = health()
    ctl.send(b"READY")
    while True:
        msg, fds, _flags, _addr = socket.recv_fds(ctl, 64, 4)
        if not msg:
            _kill_all()
            return
        if not msg.startswith(b"RUN ") or len(fds) not in (3, 4):
            for fd in fds:  # a stale KILL (its job already ended) or garbage: nothing to answer
                os.close(fd)
            continue
        _, job_id, timeout = msg.split()
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.setsid()  # a session (and scheduler autogroup) of its own: a nice written to it ends with the job
            os.close(report_r)
            os.dup2(report_w, REPORT_FD)
            os.close(report_w)
            _prefer_for_oom_kill()
            _child(ctl, *fds)
        os.close(report_w)
        for fd in fds:
            os.close(fd)
        ended, how = _supervise(pid, ctl, float(timeout), job_id)
        _kill_all()
        status, cpu_s = ended if ended is not None else (None, None)
        exited = {"status": status, "how": how, "cpu_s": cpu_s, "memory_error": _read_report(report_r)}
        ctl.send(b"EXITED " + job_id + b" " + json.dumps(exited).encode())
        clean = True
        try:
            for d in WRITABLE_DIRS:
                _wipe_dir(d)
            _remove_sysv_ipc()
            clean = health() == baseline
        except Exception:
            clean = False
        ctl.send(b"DONE " + job_id + b" " + json.dumps({"clean": clean}).encode())
        if not clean:
            return  # the host starts a fresh zygote


def run_once(status_fd, subject_fd=-1):
    """Run one job; write ``S`` to ``status_fd`` once it has started, then
    ``<raw wait status> <CPU seconds> <M or ->`` and a newline once it has ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as PID 1 (namespace backend) it then gets no signal at all
    _set_dumpable(False)
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(status_fd)
            os.close(report_r)
            os.dup2(report_w, REPORT_FD)
            os.close(report_w)
            _prefer_for_oom_kill()
            if subject_fd < 0:
                _set_dumpable(True)
                run_job()
            else:
                run_job(_start_subject(subject_fd))  # the judge stays not dumpable
        except BaseException as e:
            os.write(2, f"sandbox runner failed: {e!r}\n".encode())
        os._exit(70)
    os.close(report_w)
    if subject_fd >= 0:
        os.close(subject_fd)
    os.write(status_fd, b"S")  # started: the host's timeout clock starts now
    for fd in (0, 1, 2):
        os.close(fd)
    status, cpu_s = _wait(pid)
    memory = "M" if _read_report(report_r) else "-"
    os.write(status_fd, f"{status} {cpu_s} {memory}\n".encode())


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "--no-memory-cgroup":  # nothing counts memfd and shm pages: the filter refuses them
        _NO_MEMORY_CGROUP.append(True)
        args = args[1:]
    if args[0] == "zygote":
        zygote(int(args[1]))
    else:
        run_once(int(args[1]), int(args[2]) if len(args) > 2 else -1)
