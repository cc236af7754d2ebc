"""The code that runs *inside* the sandbox. Standard library only; it is passed to the interpreter as
``python -S -I -c <this file> MODE`` and never imports zeroplay.

MODE ``run FD``: fork a child that reads one job (JSON, see ``Program.payload``) from fd 0 and runs
it; write ``S`` to fd FD once it has started, then the child's raw wait status, and exit. The child
closes FD before any job code runs, so the job cannot forge its status.

MODE ``zygote FD``: the warm-pool server. It must be PID 1 of its own PID namespace. It preloads
the standard library, then loops on the control socket FD: each ``RUN <id> <timeout>`` message
carries three fds (job payload, stdout, stderr). It forks a child that reads the job and runs it; the
zygote itself never reads job data, so no job can find another job's code in its memory. When the
child ends (or the timeout or a ``KILL <id>`` message comes) the zygote sends SIGKILL to every other
process of the namespace (``kill(-1)`` from PID 1), reaps them, wipes the writable dirs and SysV
IPC objects, and only then answers ``DONE <id> {json}``. The job cannot forge that answer: the child
closes the control socket before any job code runs, and the zygote is not dumpable, so its
``/proc/1/fd`` and memory are closed to the job. PID 1 only receives signals it handles, and it
handles none, so the job cannot kill it either.
"""

# ruff: noqa: BLE001, S102, S110
# (The runner executes hostile code on purpose and must survive whatever it raises or breaks.)

import json
import os
import signal
import sys

MEMORY_EXIT = 1  # what plain Python exits with; the status comes from the MemoryError line
WRITABLE_DIRS = ("/work", "/tmp", "/dev/shm", "/dev/mqueue")  # POSIX message queues live in the last
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


_SECCOMP = []  # the zygote builds the filter once; forked jobs reuse it


def seccomp_program():
    """A classic-BPF seccomp filter: EPERM for :data:`DENIED_SYSCALLS_X86_64` and the x32 ABI, kill
    the process on any other architecture's calling convention, allow the rest."""
    import struct

    def op(code, k, jt=0, jf=0):
        return struct.pack("HBBI", code, jt, jf, k)

    LD_ABS, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
    AUDIT_ARCH_X86_64, X32_BIT = 0xC000003E, 0x40000000
    ALLOW, KILL, EPERM = 0x7FFF0000, 0x80000000, 0x00050000 | 1
    denied = DENIED_SYSCALLS_X86_64
    prog = [op(LD_ABS, 4), op(JEQ, AUDIT_ARCH_X86_64, jt=1), op(RET, KILL), op(LD_ABS, 0)]
    # Each test jumps to the final EPERM on a match: over the tests left and the ALLOW.
    prog.append(op(JGE, X32_BIT, jt=len(denied) + 1))
    for i, nr in enumerate(denied):
        prog.append(op(JEQ, nr, jt=len(denied) - i))
    prog += [op(RET, ALLOW), op(RET, EPERM)]
    return b"".join(prog)


def _install_seccomp():
    """Install :func:`seccomp_program` on this process and all it starts (x86_64 only)."""
    import ctypes

    if os.uname().machine != "x86_64":
        return
    prog = _SECCOMP[0] if _SECCOMP else seccomp_program()

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
    sys.path[:] = [os.getcwd(), *[p for p in sys.path if p.startswith(sys.prefix)]]
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    code = 0
    try:
        exec(compile(job["code"], path, "exec"), main.__dict__)
    except SystemExit as e:
        code = _exit_code(e)
    except MemoryError:
        code = MEMORY_EXIT
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
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code)


def run_job():
    """Read the job from fd 0, set it up in the current dir, run it; never returns."""
    job = json.loads(_read_all(0))
    _write_files(job)
    _stdin_from(job["stdin"])
    for sig in (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    _apply_limits(job["limits"])
    _install_seccomp()
    if not job["in_process"]:
        os.execv(job["command"][0], [*job["command"], *job["argv"]])
    import random

    random.seed()
    _fresh_std_streams()
    _run_python(job)


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


def _child(ctl, payload, out, err):
    ctl.close()
    os.dup2(payload, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in (payload, out, err):
        if fd > 2:
            os.close(fd)
    try:
        os.closerange(3, 1 << 16)
        _set_dumpable(True)
        os.chdir("/work")
        run_job()
    except BaseException as e:
        os.write(2, f"sandbox runner failed: {e!r}\n".encode())
    os._exit(70)


def _supervise(pid, ctl, timeout, job_id):
    """Wait for the job; return (raw wait status or None, how it ended)."""
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
                    return os.waitpid(pid, 0)[1], "exited"
                msg = ctl.recv(64)
                if not msg:
                    _kill_all()
                    os._exit(0)  # the host went away
                if msg == b"KILL " + job_id:  # a late KILL for an earlier job is ignored
                    return None, "killed"
    finally:
        os.close(pidfd)


def zygote(ctl_fd):
    import socket

    if os.getpid() != 1:
        sys.exit("the zygote must be PID 1 of its own PID namespace")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_dumpable(False)
    import importlib

    for name in PRELOAD.split():
        importlib.import_module(name)
    _SECCOMP.append(seccomp_program())
    import gc

    gc.freeze()  # what the zygote built stays out of the jobs' collections (and their copy-on-write)
    ctl = socket.socket(fileno=ctl_fd)
    ctl.send(b"READY")
    while True:
        msg, fds, _flags, _addr = socket.recv_fds(ctl, 64, 3)
        if not msg:
            _kill_all()
            return
        if not msg.startswith(b"RUN ") or len(fds) != 3:
            for fd in fds:  # a stale KILL (its job already ended) or garbage: nothing to answer
                os.close(fd)
            continue
        _, job_id, timeout = msg.split()
        pid = os.fork()
        if pid == 0:
            _child(ctl, *fds)
        for fd in fds:
            os.close(fd)
        status, how = _supervise(pid, ctl, float(timeout), job_id)
        _kill_all()
        clean = True
        try:
            for d in WRITABLE_DIRS:
                _wipe_dir(d)
            _remove_sysv_ipc()
        except Exception:
            clean = False
        ctl.send(b"DONE " + job_id + b" " + json.dumps({"status": status, "how": how, "clean": clean}).encode())
        if not clean:
            return  # the host starts a fresh zygote


def run_once(status_fd):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as PID 1 (namespace backend) it then gets no signal at all
    _set_dumpable(False)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(status_fd)
            _set_dumpable(True)
            run_job()
        except BaseException as e:
            os.write(2, f"sandbox runner failed: {e!r}\n".encode())
        os._exit(70)
    os.write(status_fd, b"S")  # started: the host's timeout clock starts now
    for fd in (0, 1, 2):
        os.close(fd)
    status = os.waitpid(pid, 0)[1]
    os.write(status_fd, str(status).encode())


if __name__ == "__main__":
    if sys.argv[1] == "zygote":
        zygote(int(sys.argv[2]))
    else:
        run_once(int(sys.argv[2]))
