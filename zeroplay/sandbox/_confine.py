"""Run a non-Python language's program confined to itself: one ``execve``, and reads only of its own files.

This file runs inside the sandbox, in the job process of the sandbox runner (``_runner.py`` holds
its source): the job's shell script (:meth:`zeroplay.sandbox.language_files.LanguageSpec.script`)
compiles, then hands the run command's words back to the runner, which sets RLIMIT_NPROC 1 and
calls :func:`confine_and_exec`. It imports only the standard library (and runs standalone too:
``python _confine.py PROGRAM [ARG ...]``). What it sets up, then replaces itself with PROGRAM:

* **One exec.** A seccomp filter (stacked on the job's own) allows ``execve`` only when its path
  argument is one pointer value, a random address this process maps and writes PROGRAM's path to
  just before it calls ``execve``; ``execveat`` always fails. The address and the page are gone
  with this process's memory once PROGRAM starts, and the filter cannot be read back without
  CAP_SYS_ADMIN, so PROGRAM would have to guess the address (about 2^45 values, one system call
  per guess) to start another program (say, the Python every sandbox holds) without a fork.
* **Its own files.** Where the kernel has Landlock (Linux 5.13+), PROGRAM may open for reading
  only: files under the work dir; PROGRAM itself, a ``#!`` interpreter, the ELF interpreter and
  the shared libraries its ``DT_NEEDED`` entries reach (those before ``DT_NULL``, as the loader
  reads them: a C answer's asm can append more; searched in ``DT_RPATH``/``DT_RUNPATH``,
  ``LD_LIBRARY_PATH`` and the default directories); what ``reads`` lists (a language
  file's ``reads``; a listed shared library brings the libraries it needs, as PROGRAM's do); and
  data any program may read (``/proc``, a few of ``/dev``, locales, time
  zones, ``/sys/devices/system/cpu``). So a Fortran or OCaml program cannot ``dlopen`` another
  runtime's library (``libpython3.so``, ``liblua5.4.so``) and run its answer in that language.
  A language file with ``reads: any`` skips this part (no shipped one does: with it an R answer
  could ``dyn.load`` libpython and run Python in its own process); writes are not limited here
  (the sandbox limits them). ``TMPDIR`` is then the work dir, so a program reads back its
  temporary files (``/tmp`` is not readable; C's ``tmpfile()`` and Lua's ``os.tmpname`` ignore
  ``TMPDIR`` and fail).

The compile step before it is confined too (:func:`confine_compile`, called in the process that
execs the job's ``/bin/sh`` script): where the kernel has Landlock it and the compiler, assembler
and linker it starts (they may fork) read only the work dir, ``/bin/sh``, ``head`` and ``grep``,
common data and what the language file's ``compile_reads`` lists (:func:`listed_files`: paths,
``*`` patterns, program names, each program or shared library with the libraries it loads), so
gcc cannot ``.incbin`` libpython into the program; ``compile_reads: any`` skips it. Run and
compile share :func:`confine_reads`. A compile of simple commands (no shell syntax but ``&&``: every
language file whose compiler can embed files) does not run in that script: :func:`compile_alone`
starts the compiler itself, after the script, in a child that reads only the work dir, common data
and ``compile_reads``, not ``/bin/sh``, ``head`` or ``grep`` (gcc could ``.incbin`` dash, which
the program loads as a library and calls with ``-c SCRIPT``: a shell script computed the answer).

PROGRAM may not be the answer's own source file (``source``) when that starts with ``#!``:
its ``#!`` line would choose the interpreter (perl, sh) that computes the answer.

``env NAME=VALUE ... PROGRAM`` is understood (the program then runs with those variables), since a
second exec through ``/usr/bin/env`` would be refused. Not guaranteed: on a kernel without
Landlock the read limit is skipped silently (the exec limit stays); a runtime's own plug-in
mechanism reaching only files listed above is not prevented (they are its own). The libraries
allowed are those the executable names, so the limit holds where the language's compile command,
not the answer, decides what is linked (every shipped language); a language whose answer can
choose link flags or write the executable's bytes itself could name another runtime's library.
"""

import ctypes
import glob
import os
import stat
import struct
import sys

DEFAULT_LIB_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
                    "/usr/local/lib")
HWCAPS = ("x86-64-v4", "x86-64-v3", "x86-64-v2")
ALWAYS_READABLE = ("/proc", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full", "/dev/tty",
                   "/usr/lib/locale", "/usr/share/locale", "/usr/share/zoneinfo", "/usr/share/i18n",
                   "/sys/devices/system/cpu", "/etc/ld.so.cache", "/etc/localtime")
MAX_OBJECTS = 512  # shared objects followed per program: a bound, not a limit any toolchain meets
# The compile step's error report (zeroplay.sandbox.language_files re-exports these; the job's script writes the same)
COMPILE_ERROR_EXIT = 97
COMPILE_ERROR_MARK = "zeroplay: compile error"
COMPILE_LOG = ".zeroplay-compile.log"
COMPILE_LOG_BYTES = 4000
COMPILE_DENIED_HINT = ("zeroplay: the compile step may read only the work dir and the language file's compile_reads; "
                       "other files cannot be opened (Permission denied)")

SYS_EXECVE, SYS_EXECVEAT = 59, 322
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_ACCESS_FS_READ_FILE, LANDLOCK_ACCESS_FS_READ_DIR = 1 << 2, 1 << 3
LANDLOCK_RULE_PATH_BENEATH = 1


def fail(message):
    sys.stderr.write(f"zeroplay: cannot start the program: {message}\n")
    sys.stderr.flush()
    os._exit(96)


def split_env(argv, env):
    """``env NAME=VALUE ... PROGRAM ARGS`` -> (PROGRAM ARGS, env with the assignments)."""
    if argv and os.path.basename(argv[0]) == "env":
        argv = argv[1:]
        while argv and "=" in argv[0] and not argv[0].startswith(("=", "-")):
            name, _, value = argv[0].partition("=")
            env[name] = value
            argv = argv[1:]
        if argv and argv[0].startswith("-"):
            fail(f"env options are not supported in a run command ({argv[0]})")
    if not argv:
        fail("the run command names no program")
    return argv, env


def find_program(name, env):
    """``name``'s path: itself when it holds a ``/``, else the first executable file of that name on PATH, or None."""
    if "/" in name:
        return os.path.abspath(name)
    for d in env.get("PATH", "/usr/bin:/bin").split(":"):
        path = os.path.join(d or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
    return None


def which(name, env):
    return find_program(name, env) or fail(f"{name}: not found on PATH")


# ------------------------------------------------------------------ what a program needs to read
def read_elf(path):
    """(ELF interpreter or None, DT_NEEDED names, DT_RPATH + DT_RUNPATH dirs) of a 64-bit
    little-endian ELF file, or None when ``path`` is not one."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            phoff, = struct.unpack_from("<Q", head, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            headers = [struct.unpack_from("<IIQQQQQQ", table, i * phentsize) for i in range(phnum)]
            interp, dynamic = None, None
            loads = [(h[3], h[2], h[5]) for h in headers if h[0] == 1]  # PT_LOAD: vaddr, offset, filesz
            for h in headers:
                if h[0] == 3:  # PT_INTERP
                    f.seek(h[2])
                    interp = f.read(h[5]).split(b"\0")[0].decode("utf-8", "replace")
                elif h[0] == 2:  # PT_DYNAMIC
                    f.seek(h[2])
                    dynamic = f.read(h[5])
            if dynamic is None:
                return interp, [], []
            entries = []
            for i in range(0, len(dynamic) - 15, 16):  # up to DT_NULL, as the loader reads them: a C answer's
                entry = struct.unpack_from("<qQ", dynamic, i)  # asm can append entries after it (naming libpython)
                if entry[0] == 0:
                    break
                entries.append(entry)
            strtab = next((v for tag, v in entries if tag == 5), None)
            offset = next((off + strtab - va for va, off, size in loads if va <= (strtab or -1) < va + size), None)

            def string(at):
                f.seek(offset + at)
                return f.read(4096).split(b"\0")[0].decode("utf-8", "replace")

            if offset is None:
                return interp, [], []
            needed = [string(v) for tag, v in entries if tag == 1]
            paths = [d for tag, v in entries if tag in (15, 29) for d in string(v).split(":") if d]
            return interp, needed, paths
    except (OSError, struct.error, ValueError):
        return None


def shebang(path):
    try:
        with open(path, "rb") as f:
            line = f.read(256).split(b"\n")[0]
    except OSError:
        return None
    if not line.startswith(b"#!"):
        return None
    words = line[2:].decode("utf-8", "replace").split()
    return words[0] if words else None


def program_files(program, env):
    """PROGRAM, its ``#!`` and ELF interpreters and every shared library its DT_NEEDED entries
    reach: every candidate file of each name, wherever the loader may look."""
    return files_of([program], env)


def files_of(programs, env):
    """:func:`program_files` of every one of ``programs`` at once: each file is read once (one path
    per file: Landlock allows a file, not a path) and each library name looked up once per search path."""
    found, seen, todo = [], set(), list(reversed(programs))
    extra_dirs = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d]
    search_paths, looked_up = {}, set()  # rpaths -> the directories that exist; (name, rpaths) done
    while todo and len(found) < MAX_OBJECTS:
        path = todo.pop()
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        found.append(path)
        script = shebang(path)
        if script:
            todo.append(script)
            continue
        elf = read_elf(path)
        if elf is None:
            continue
        interp, needed, rpaths = elf
        if interp:
            todo.append(interp)
        if any("ORIGIN" in d for d in rpaths):
            origin = os.path.dirname(os.path.realpath(path))
            rpaths = [d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for d in rpaths]
        key = tuple(rpaths)
        if key not in search_paths:
            dirs = (*key, *extra_dirs, *DEFAULT_LIB_DIRS)
            search_paths[key] = [w for d in dirs for w in (d, *(os.path.join(d, "glibc-hwcaps", h) for h in HWCAPS))
                                 if os.path.isdir(w)]
        for name in needed:
            if "/" in name:
                todo.append(name)
            elif (name, key) not in looked_up:
                looked_up.add((name, key))
                todo += [c for c in (os.path.join(d, name) for d in search_paths[key]) if os.path.isfile(c)]
    return found


def listed_files(entries, env):
    """What a language file's ``reads``/``compile_reads`` entries let a process read: a directory
    (all beneath it); a file with what :func:`program_files` adds (a listed program or shared library
    brings the libraries it loads); a name without ``/``, the program of that name on PATH, likewise
    (skipped when there is none: the job's ``requires`` check names a missing tool); an entry with
    ``*?[`` stands for what it matches (``/usr/lib/gcc/*/*/cc1``: any gcc version)."""
    found, files = [], []
    for entry in entries:
        if "/" not in entry:
            program = find_program(entry, env)
            paths = [program] if program else []
        else:
            paths = sorted(glob.glob(entry)) if glob.has_magic(entry) else [entry]
        found += [p for p in paths if not os.path.isfile(p)]
        files += [p for p in paths if os.path.isfile(p)]
    return found + files_of(files, env)


# ------------------------------------------------------------------ Landlock and seccomp
def libc():
    return ctypes.CDLL(None, use_errno=True)


def restrict_reads(c, paths):
    """Landlock: reading is allowed beneath ``paths`` only. False when the kernel has no Landlock."""
    c.syscall.restype = ctypes.c_long
    handled = LANDLOCK_ACCESS_FS_READ_FILE
    attr = ctypes.c_uint64(handled)
    ruleset = c.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    rule = ctypes.create_string_buffer(12)
    for path in paths:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        struct.pack_into("<Qi", rule, 0, handled, fd)
        if c.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH),
                     rule, ctypes.c_uint32(0)) != 0:
            fail(f"landlock_add_rule({path}): {os.strerror(ctypes.get_errno())}")
        os.close(fd)
    if c.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS (the job has it already)
        fail("prctl(PR_SET_NO_NEW_PRIVS) failed")
    if c.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
        fail(f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    os.close(ruleset)
    return True


def confine_reads(c, programs, entries, env):
    """Landlock for this process and what it starts: reading only the work dir, ``programs`` (paths)
    with their own files (:func:`program_files`), data any program may read (``ALWAYS_READABLE``) and
    what ``entries`` list (:func:`listed_files`); ``TMPDIR`` in ``env`` becomes the work dir, so
    temporary files can be read back (``/tmp`` is not readable). False, changing nothing, when the
    kernel has no Landlock."""
    allowed = [os.getcwd(), *ALWAYS_READABLE, *listed_files([*programs, *entries], env)]
    if not restrict_reads(c, allowed):
        return False
    env["TMPDIR"] = os.getcwd()  # temporary files (gcc's, Fortran scratch units, R's tempfile) must be readable
    return True


def confine_compile(compile_reads, env):
    """In the compile step's process, before it execs the job's ``/bin/sh`` script: unless
    ``compile_reads`` is ``any``, that script and every program it starts (the compiler, its
    assembler and linker; they may fork) read only the work dir, ``/bin/sh``, the tools the script
    itself uses on a failed compile (``head``, ``grep``), ``ALWAYS_READABLE`` and what
    ``compile_reads`` (``:``-separated entries) lists, so a compiler cannot embed another runtime
    into the program (``.incbin``, ``#embed``, ``#include``): a file outside the list fails to
    open (``Permission denied``). Skipped, like the run's read limit, without Landlock."""
    if compile_reads == "any" or os.uname().machine != "x86_64":
        return False
    programs = ["/bin/sh", *filter(None, (find_program(tool, env) for tool in ("head", "grep")))]
    return confine_reads(libc(), programs, [e for e in compile_reads.split(":") if e], env)


def compile_alone(commands, compile_reads, env):
    """Run a compile step made of simple commands (``commands``: words separated by spaces, commands
    by `` && ``, no other shell syntax) one after the other, each in a child that starts the program
    itself, not through ``/bin/sh``: unless ``compile_reads`` is ``any`` it reads only the work dir,
    ``ALWAYS_READABLE`` and what ``compile_reads`` lists, so the shell (an interpreter: dash,
    embedded with ``.incbin`` and loaded by the program, would compute the answer), ``head`` and
    ``grep`` are not readable to it as they are to the job's script. Stdin is ``/dev/null``, output
    goes to ``COMPILE_LOG``, no other descriptor is inherited. Returns when every command succeeded;
    else writes the compile error (``COMPILE_ERROR_MARK``, ``COMPILE_DENIED_HINT`` where a read was
    refused, the log's first ``COMPILE_LOG_BYTES`` bytes) to stderr and exits ``COMPILE_ERROR_EXIT``."""
    log = os.open(COMPILE_LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        failed = any(run_alone(command.split(), compile_reads, env, log) != 0 for command in commands.split(" && "))
    finally:
        os.close(log)
    if not failed:
        return
    try:
        with open(COMPILE_LOG, "rb") as f:
            text = f.read(1 << 20)
    except OSError:
        text = b""
    denied = b"Permission denied" in text or b"file not found" in text
    os.write(2, "\n".join([COMPILE_ERROR_MARK, *([COMPILE_DENIED_HINT] if denied else []), ""]).encode()
             + text[:COMPILE_LOG_BYTES])
    os._exit(COMPILE_ERROR_EXIT)


def run_alone(words, compile_reads, env, log):
    """One command of :func:`compile_alone` in a child (stdin ``/dev/null``, output to ``log``, reads
    confined); its wait status."""
    pid = os.fork()
    if pid == 0:
        try:
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.closerange(3, 1 << 16)
            env = dict(env)
            program = find_program(words[0], env) if words else None
            if program is None:
                os.write(2, f"{words[0] if words else '(empty command)'}: command not found\n".encode())
                os._exit(127)
            if compile_reads != "any":
                confine_reads(libc(), [], [e for e in compile_reads.split(":") if e], env)
            os.execve(program, words, env)
        except BaseException as e:  # noqa: BLE001 - the child never returns into the runner
            os.write(2, f"{words[0]}: {e}\n".encode("utf-8", "replace"))
        finally:
            os._exit(127)
    return os.waitpid(pid, 0)[1]


def exec_once_filter(pointer):
    """Classic BPF: ``execve`` only with ``pointer`` as its path, never ``execveat``; all else allowed
    (the job's own filter, stacked below, still applies)."""
    LD_ABS, JEQ, RET = 0x20, 0x15, 0x06
    ALLOW, EPERM = 0x7FFF0000, 0x00050000 | 1
    low, high = pointer & 0xFFFFFFFF, pointer >> 32
    code = [  # (op, jump if true, jump if false, k); a jump skips that many instructions
        (LD_ABS, 0, 0, 0),  # 0: nr
        (JEQ, 5, 0, SYS_EXECVEAT),  # 1: -> 7 eperm
        (JEQ, 0, 5, SYS_EXECVE),  # 2: not execve -> 8 allow
        (LD_ABS, 0, 0, 16),  # 3: args[0], low half
        (JEQ, 0, 2, low),  # 4: else -> 7 eperm
        (LD_ABS, 0, 0, 20),  # 5: args[0], high half
        (JEQ, 1, 0, high),  # 6: -> 8 allow, else 7
        (RET, 0, 0, EPERM),  # 7
        (RET, 0, 0, ALLOW),  # 8
    ]
    return b"".join(struct.pack("HBBI", *ins) for ins in code)


def exec_once(c, program, argv, env):
    """Install :func:`exec_once_filter` for a random address holding ``program`` and execve it."""
    c.mmap.restype = ctypes.c_void_p
    c.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    path = os.fsencode(program) + b"\0"
    if len(path) > 2048:
        fail(f"the program's path is too long ({len(path)} bytes)")
    page = None
    for _ in range(64):  # a free page at a random address below 2^46 (MAP_FIXED_NOREPLACE: never over a mapping)
        hint = (int.from_bytes(os.urandom(8), "little") % ((1 << 46) - (1 << 32)) + (1 << 32)) & ~0xFFF
        got = c.mmap(ctypes.c_void_p(hint), 4096, 3, 0x22 | 0x100000, -1, 0)  # RW, PRIVATE|ANONYMOUS|FIXED_NOREPLACE
        if got == hint:
            page = got
            break
    if page is None:
        fail("no free page for the exec check")
    at = page + int.from_bytes(os.urandom(2), "little") % (4096 - len(path))
    ctypes.memmove(at, path, len(path))
    prog = exec_once_filter(at)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    args = (ctypes.c_char_p * (len(argv) + 1))(*[os.fsencode(a) for a in argv], None)
    envp = (ctypes.c_char_p * (len(env) + 1))(*[os.fsencode(f"{k}={v}") for k, v in env.items()], None)
    if c.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS (the job has it already)
        fail("prctl(PR_SET_NO_NEW_PRIVS) failed")
    if c.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        fail(f"installing the exec filter: {os.strerror(ctypes.get_errno())}")
    sys.stdout.flush()
    sys.stderr.flush()
    c.execve(ctypes.c_void_p(at), args, envp)
    fail(f"{program}: {os.strerror(ctypes.get_errno())}")


def confine_and_exec(argv, env, reads="", source=""):
    """Start ``argv`` (a run command's words, ``env NAME=VALUE`` prefix allowed) confined as the
    module docstring says; never returns (a failure exits 96 with a one-line message)."""
    argv, env = split_env(argv, dict(env))
    program = which(argv[0], env)
    if source and os.path.realpath(program) == os.path.realpath(source) and shebang(program):
        fail("the run command executes the answer's own file, whose #! line would choose the interpreter; "
             "run it through the language's interpreter instead (run: INTERPRETER {file})")
    if os.uname().machine != "x86_64":  # the job's seccomp filter is x86_64-only as well
        os.execve(program, argv, env)
    c = libc()
    if reads != "any":
        confine_reads(c, [program], [e for e in reads.split(":") if e], env)
    exec_once(c, program, argv, env)


def main(argv):
    """Standalone: ``python _confine.py PROGRAM [ARG ...]``, ``ZEROPLAY_READS`` and ``ZEROPLAY_SOURCE``
    from the environment."""
    env = dict(os.environ)
    reads, source = env.pop("ZEROPLAY_READS", ""), env.pop("ZEROPLAY_SOURCE", "")
    confine_and_exec(argv, env, reads, source)


if __name__ == "__main__":
    main(sys.argv[1:])
