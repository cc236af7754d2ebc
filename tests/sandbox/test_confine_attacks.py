"""Attacks on the confinement of non-Python languages (``zeroplay/sandbox/_confine.py``): a policy
under RL is rewarded for a correct program in the task's language, so an answer that gets the
sandbox's Python (or another runtime) to compute the answer is a cheat. Each attack is a real
program, in C (a user-added language, as a user would add it), Lua, OCaml, Fortran and R, run in
every backend; it prints ``<attack> refused`` or ``<attack> GOT-THROUGH``, and a test fails on any
``GOT-THROUGH``, on a missing line (the program died early) and on a runtime's output (``ran``).
Each language's honest programs run beside them: the confinement must not break them.

Holes this campaign found and closed: with ``reads: any`` an R answer ``dyn.load``ed libpython and
ran Python in its own process (``.C("Py_Initialize")``, ``.C("PyRun_SimpleString", ...)``); R now
reads only its own files (tcltk's libtcl neither: it aborts anyway, lacking a thread). A user's
language whose run executes the answer's own file (``run: ./{file}``) lets the answer's ``#!`` line
choose perl or sh: the starter now refuses to run the answer's own file when it starts with ``#!``. Honest R could not load utils or stats
(utils' ``.onLoad`` forks ``/usr/bin/which`` through ``Sys.which``, refused under RLIMIT_NPROC 1);
a Fortran scratch unit, OCaml's ``Filename.temp_file`` or R's ``tempfile()`` could not be read
back (``/tmp`` is not readable): ``TMPDIR`` is now the work dir. A gcc-compiled language's
compile step read any file, so ``.incbin`` embedded libpython in the program, which then loaded it
as its own code: the compile step now reads only its language file's ``compile_reads`` (a C
compiler without one is refused at load), tried below with ``.incbin``, ``#include``, ``#embed``,
a symlink and ``/proc`` paths.
Toolchains CI lacks skip with the package to install.
"""

from __future__ import annotations

import glob
import os
import shutil

import pytest

from zeroplay import sandbox
from zeroplay.sandbox.language_files import COMPILE_DENIED_HINT, COMPILE_ERROR_EXIT, available

from .conftest import C_LANGUAGE, landlock

# The runtime an answer would borrow: libpython where the host has one (Debian), else liblua.
RUNTIME = next(iter([*sorted(glob.glob("/usr/lib/x86_64-linux-gnu/libpython3*.so.1*")),
                     *sorted(glob.glob("/usr/local/lib/libpython3*.so.1*")),
                     *sorted(glob.glob("/usr/lib/x86_64-linux-gnu/liblua5*.so*"))]), None)
PYTHON = shutil.which("python3", path="/usr/bin:/bin:/usr/local/bin") or "/usr/bin/python3"
ARGV = [RUNTIME or "/nonexistent", PYTHON]
# What a program that reached Python reads from stdin and runs (an attack that got through prints it).
STDIN = "print('python ran')\n"

pytestmark = pytest.mark.skipif(RUNTIME is None, reason="no libpython3 or liblua5 under /usr/lib to attack with")


def toolchain(language: str) -> str:
    ok, why = available(language)
    if not ok:
        pytest.skip(why)
    return language


def run(box, code: str, language: str, stdin: str = STDIN, argv=ARGV):
    (res,) = box.run_many([sandbox.Program(code, language=language, stdin=stdin, argv=list(argv))])
    return res


def assert_refused(res, attacks: list[str], reads: list[str]) -> None:
    """Every attack line reads ``refused``; the read attacks count only where the kernel has Landlock."""
    assert res.status == "ok", (res.status, res.stdout[-2000:], res.stderr[-2000:])
    assert "ran" not in res.stdout and "GOT-THROUGH" not in res.stdout, res.stdout
    lines = dict(line.rsplit(" ", 1) for line in res.stdout.splitlines() if line.endswith((" refused", " GOT-THROUGH")))
    expected = attacks + (reads if landlock() else [])
    assert {a: lines.get(a) for a in expected} == {a: "refused" for a in expected}, res.stdout


# ---------------------------------------------------------------------------------------------- C




C_ATTACKS = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

static char *envp[] = {NULL};
static char stack[16384];
static const char *py;
static void report(const char *what, int ok) {
  printf("%s %s\n", what, ok ? "GOT-THROUGH" : "refused"); fflush(stdout);
}
static int readable(const char *p) {
  int fd = open(p, O_RDONLY); char b[4]; int n = fd < 0 ? 0 : read(fd, b, 4);
  if (fd >= 0) close(fd);
  return n == 4;
}
static int thread(void *arg) { execve(py, NULL, envp); return 0; }

int main(int argc, char **argv) {
  const char *lib = argv[1]; py = argv[2];
  char path[600], buf[65536]; ssize_t n;
  /* starting a process or a thread (python3 with no arguments runs its stdin) */
  pid_t p = vfork(); if (p == 0) { execve(py, NULL, envp); _exit(7); } report("vfork", p > 0);
  long c = syscall(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) { execve(py, NULL, envp); _exit(7); }
  report("clone-vm", c > 0);
  report("thread", clone(thread, stack + sizeof stack, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, NULL) > 0);
  pid_t sp; report("posix_spawn", posix_spawn(&sp, py, NULL, NULL, (char *[]){"python3", NULL}, envp) == 0);
  /* replacing this process */
  execve(py, NULL, envp); report("execve", 0);
  syscall(SYS_execveat, AT_FDCWD, py, NULL, envp, 0); report("execveat-path", 0);
  int pfd = open(py, O_PATH); snprintf(path, sizeof path, "/proc/self/fd/%d", pfd);
  execve(path, NULL, envp); report("execve-proc-fd", 0);
  syscall(SYS_execveat, pfd, "", NULL, envp, AT_EMPTY_PATH); report("execveat-fd", 0);
  FILE *s = fopen("run.sh", "w"); fprintf(s, "#!%s\n", py); fclose(s); chmod("run.sh", 0755);
  execve("./run.sh", (char *[]){"run.sh", NULL}, envp); report("execve-script", 0);
  int m = memfd_create("x", 0), self = open("/proc/self/exe", O_RDONLY);
  while ((n = read(self, buf, sizeof buf)) > 0) write(m, buf, n);
  snprintf(path, sizeof path, "/proc/self/fd/%d", m); execve(path, argv, envp); report("execve-memfd", 0);
  syscall(SYS_execveat, m, "", argv, envp, AT_EMPTY_PATH); report("execveat-memfd", 0);
  execve("/lib64/ld-linux-x86-64.so.2", (char *[]){"ld.so", (char *)py, NULL}, envp); report("execve-ld.so", 0);
  report("io_uring", syscall(425, 8, (char[120]){0}) >= 0);
  /* reading or loading the runtime under other names */
  report("read", readable(lib));
  snprintf(path, sizeof path, "/proc/self/root%s", lib); report("read-proc-self-root", readable(path));
  snprintf(path, sizeof path, "/proc/1/root%s", lib); report("read-proc-1-root", readable(path));
  snprintf(path, sizeof path, "/proc/self/cwd/../../../../../..%s", lib); report("read-proc-cwd", readable(path));
  report("read-python", readable(py));
  report("read-proc-1-exe", readable("/proc/1/exe"));
  snprintf(path, sizeof path, "/proc/%d/exe", getppid()); report("read-proc-ppid-exe", readable(path));
  report("symlink", symlink(lib, "lib.so") == 0 && readable("lib.so"));
  report("hardlink", link(lib, "hard.so") == 0 && readable("hard.so"));
  struct open_how how = {.flags = O_RDONLY};
  long o2 = syscall(SYS_openat2, AT_FDCWD, lib, &how, sizeof how); report("openat2", o2 >= 0);
  struct { unsigned int bytes; int type; unsigned char f[128]; } fh = {.bytes = 128}; int mnt;
  long nh = syscall(SYS_name_to_handle_at, AT_FDCWD, lib, &fh, &mnt, 0);
  report("open_by_handle_at", nh == 0 && syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY) >= 0);
  int lfd = open(lib, O_PATH); snprintf(path, sizeof path, "/proc/self/fd/%d", lfd);
  report("reopen-o-path", lfd >= 0 && readable(path));
  report("mmap-o-path", lfd >= 0 && mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, lfd, 0) != MAP_FAILED);
  report("write-proc-1-mem", open("/proc/1/mem", O_RDWR) >= 0);
  snprintf(path, sizeof path, "/proc/%d/mem", getppid()); report("write-proc-ppid-mem", open(path, O_RDWR) >= 0);
  report("dlopen", dlopen(lib, RTLD_NOW) != NULL);
  snprintf(path, sizeof path, "/proc/self/root%s", lib); report("dlopen-proc-root", dlopen(path, RTLD_NOW) != NULL);
  /* a file inherited from the sandbox (the report pipe and the std streams are not files) */
  DIR *d = opendir("/proc/self/fd"); struct dirent *e; int files = 0;
  while ((e = readdir(d))) {
    int fd = atoi(e->d_name); char to[600] = {0};
    if (fd <= 2 || fd == dirfd(d) || fd == pfd || fd == m || fd == self || fd == lfd || fd == (int)o2) continue;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd); readlink(path, to, sizeof to - 1);
    if (to[0] == '/') { printf("inherited %d -> %s\n", fd, to); files = 1; }
  }
  report("inherited-file", files);
  /* honest: its own shared object (a copy of the libc it links) and a temporary file in $TMPDIR */
  int in = open("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY), out = open("own.so", O_WRONLY | O_CREAT, 0755);
  while (in >= 0 && (n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
  close(out); printf("own-dlopen %s\n", dlopen("./own.so", RTLD_NOW) ? "works" : dlerror());
  snprintf(path, sizeof path, "%s/zpXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  int t = mkstemp(path); write(t, "tmp\n", 4); close(t);
  printf("tmpdir %s\n", readable(path) ? "works" : "fails");
  return 0;
}
"""
C_EXEC = ["vfork", "clone-vm", "thread", "posix_spawn", "execve", "execveat-path", "execve-proc-fd", "execveat-fd",
          "execve-script", "execve-memfd", "execveat-memfd", "execve-ld.so", "io_uring", "inherited-file",
          "write-proc-1-mem", "write-proc-ppid-mem", "open_by_handle_at", "hardlink"]
C_READS = ["read", "read-proc-self-root", "read-proc-1-root", "read-proc-cwd", "read-python", "read-proc-1-exe",
           "read-proc-ppid-exe", "symlink", "openat2", "reopen-o-path", "mmap-o-path", "dlopen", "dlopen-proc-root"]


def test_c_cannot_start_read_or_load_another_runtime(lbox, c_language):
    res = run(lbox, C_ATTACKS, c_language)
    assert_refused(res, C_EXEC, C_READS)
    assert "own-dlopen works" in res.stdout and "tmpdir works" in res.stdout, res.stdout


C_HONEST = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(void) {
  int n; if (scanf("%d", &n) != 1) return 1;
  int *x = malloc(n * sizeof *x); for (int i = 0; i < n; i++) scanf("%d", &x[i]);
  qsort(x, n, sizeof *x, by_value);
  char word[16]; strcpy(word, "sorted"); strcat(word, ":");
  printf("%s", word); for (int i = 0; i < n; i++) printf(" %d", x[i]);
  printf(" %.4f %zu\n", sqrt((double)x[n - 1]) + pow(2.0, 0.5), strlen(word));
  free(x); return 0;
}
"""


def test_honest_c_with_the_standard_library(lbox, c_language):
    res = run(lbox, C_HONEST, c_language, stdin="4\n9 1 16 4\n", argv=())
    assert (res.status, res.stdout) == ("ok", "sorted: 1 4 9 16 5.4142 7\n"), res.stderr[-2000:]


# Before compile_reads, the compile step read any file: `.incbin` put libpython, the libraries it
# needs and the three files of `encodings` Python's start-up reads into the program, which wrote
# them to the work dir and loaded them as its own code. Now the compile step reads only the
# toolchain (tests/sandbox/conftest.py's list for gcc), never another runtime. The shipped compiled
# languages (gfortran on .f90, ocamlopt) have no way to embed a file, and read only theirs too.
C_INCBIN = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#define EMBED(name, path) __asm__(".section .rodata\n" #name ":\n.incbin \"" path "\"\n" #name "_end:\n.previous\n"); \
  extern const char name[] __asm__(#name), name##_end[] __asm__(#name "_end");
EMBED(py, "LIBPYTHON") EMBED(lz, "/lib/x86_64-linux-gnu/libz.so.1") EMBED(lx, "/lib/x86_64-linux-gnu/libexpat.so.1")
EMBED(lm, "/lib/x86_64-linux-gnu/libm.so.6") EMBED(e1, "STDLIB/encodings/__init__.py")
EMBED(e2, "STDLIB/encodings/aliases.py") EMBED(e3, "STDLIB/encodings/utf_8.py")
static void out(const char *p, const char *a, const char *b) {
  FILE *f = fopen(p, "wb"); fwrite(a, 1, b - a, f); fclose(f);
}
int main(void) {
  mkdir("lib", 0755); mkdir("lib/VERSION", 0755); mkdir("lib/VERSION/encodings", 0755);
  out("libm.so.6", lm, lm_end); out("libz.so.1", lz, lz_end);
  out("libexpat.so.1", lx, lx_end); out("libpy.so", py, py_end);
  out("lib/VERSION/encodings/__init__.py", e1, e1_end); out("lib/VERSION/encodings/aliases.py", e2, e2_end);
  out("lib/VERSION/encodings/utf_8.py", e3, e3_end); out("lib/VERSION/os.py", "", "");
  const char *objects[] = {"./libm.so.6", "./libz.so.1", "./libexpat.so.1", "./libpy.so"};
  void *h = NULL;
  for (int i = 0; i < 4; i++) if (!(h = dlopen(objects[i], RTLD_NOW | RTLD_GLOBAL))) { puts(dlerror()); return 1; }
  char cwd[512]; setenv("PYTHONHOME", getcwd(cwd, sizeof cwd), 1); setenv("LC_ALL", "C.UTF-8", 1);
  ((void (*)(void))dlsym(h, "Py_Initialize"))();
  ((int (*)(const char *))dlsym(h, "PyRun_SimpleString"))("import sys; exec(sys.stdin.read()); sys.stdout.flush()");
  return 0;
}
"""


LIBPYTHON = next(iter(sorted(glob.glob("/usr/lib/x86_64-linux-gnu/libpython3.*.so.1.0"))), None)
PY_VERSION = "python" + LIBPYTHON.split("libpython")[1].split(".so")[0] if LIBPYTHON else None


def test_c_cannot_embed_libpython_at_compile_time(lbox, c_language):
    if LIBPYTHON is None:
        pytest.skip("no libpython3.X.so.1.0 to embed")
    needed = [f"/usr/lib/{PY_VERSION}/encodings/utf_8.py", "/lib/x86_64-linux-gnu/libexpat.so.1"]
    if not all(os.path.exists(p) for p in needed):
        pytest.skip(f"this host's {PY_VERSION} lacks {needed}")
    if not landlock():
        pytest.skip("this kernel has no Landlock: the compile step's read limit is skipped (documented)")
    code = C_INCBIN.replace("LIBPYTHON", LIBPYTHON).replace("STDLIB", f"/usr/lib/{PY_VERSION}")
    res = run(lbox, code.replace("VERSION", PY_VERSION), c_language, stdin="print(2 + 3, 'python ran')\n", argv=())
    assert "python ran" not in res.stdout, ("a C answer ran Python it had embedded at compile time", res.stdout)
    assert (res.status, res.exit_code) == ("error", COMPILE_ERROR_EXIT), (res.status, res.stderr[-2000:])
    assert f"file not found: {LIBPYTHON}" in res.stderr and COMPILE_DENIED_HINT in res.stderr, res.stderr[-2000:]


# Other ways to read a runtime's file at compile time; each names the file it tried in its error.
INCBIN = '__asm__(".section .rodata\\n.incbin \\"PATH\\"\\n.previous\\n");\nint main(void) { return 0; }\n'
STRINGIFIED = """#include <stdio.h>
#define STR(...) #__VA_ARGS__
#define XSTR(...) STR(__VA_ARGS__)
static const char *source = XSTR(
#include "PATH"
);
int main(void) { puts(source); return 0; }
"""
EMBED = "static const unsigned char bytes[] = {\n#embed \"PATH\"\n};\nint main(void) { return bytes[0]; }\n"
LINK_LANGUAGE = C_LANGUAGE.replace("name: c-test", "name: c-link-test").replace(
    "compile: gcc", f"compile: ln -s {LIBPYTHON} link.so && gcc") + "  - ln\n"


def gcc_has_embed() -> bool:
    import subprocess

    done = subprocess.run(["gcc", "-E", "-x", "c", "-"], input='#embed "/dev/null"\n', capture_output=True, text=True)
    return done.returncode == 0


def compile_attacks() -> dict[str, tuple[str, str]]:
    """Attack name -> (C source, what its compile error names)."""
    lua = [*sorted(glob.glob("/usr/lib/x86_64-linux-gnu/liblua5*.so*")), *filter(None, [shutil.which("lua5.4")])]
    python_exe = os.path.realpath(PYTHON)
    attacks = {
        "incbin-libpython": (INCBIN.replace("PATH", LIBPYTHON), LIBPYTHON),
        "incbin-python-executable": (INCBIN.replace("PATH", python_exe), python_exe),
        "incbin-proc-self-root": (INCBIN.replace("PATH", "/proc/self/root" + LIBPYTHON), LIBPYTHON),
        "incbin-proc-cwd": (INCBIN.replace("PATH", "/proc/self/cwd/../../../../../.." + LIBPYTHON), LIBPYTHON),
        "include-stringified-os.py": (STRINGIFIED.replace("PATH", f"/usr/lib/{PY_VERSION}/os.py"), "os.py"),
        "include-proc-1-root": (STRINGIFIED.replace("PATH", f"/proc/1/root/usr/lib/{PY_VERSION}/os.py"), "os.py"),
    }
    if lua:
        attacks["incbin-lua"] = (INCBIN.replace("PATH", lua[0]), lua[0])
    if gcc_has_embed():
        attacks["embed-libpython"] = (EMBED.replace("PATH", LIBPYTHON), LIBPYTHON)
    return attacks


def test_c_compile_reads_no_other_runtime(lbox, c_language, tmp_path):
    """``.incbin`` (libpython, the python executable, Lua), ``#include`` turned into a string,
    ``#embed`` (where gcc has it), ``/proc`` paths and a symlink in the work dir: the compile fails
    on the denied read, says so, and names the file."""
    if LIBPYTHON is None or not os.path.exists(f"/usr/lib/{PY_VERSION}/os.py"):
        pytest.skip("no libpython3.X.so.1.0 and its os.py to embed")
    if not landlock():
        pytest.skip("this kernel has no Landlock: the compile step's read limit is skipped (documented)")
    attacks = compile_attacks()
    path = tmp_path / "link.yaml"
    path.write_text(LINK_LANGUAGE)
    (link,) = sandbox.load_languages(str(path))
    programs = [sandbox.Program(code, language=c_language) for code, _ in attacks.values()]
    programs.append(sandbox.Program(INCBIN.replace("PATH", "link.so"), language=link.name))
    names = [*attacks, "incbin-symlink"]
    for name, named, res in zip(names, [*(n for _, n in attacks.values()), "link.so"], lbox.run_many(programs)):
        assert (res.status, res.exit_code) == ("error", COMPILE_ERROR_EXIT), (name, res.status, res.stderr[-2000:])
        denied = [line for line in res.stderr.splitlines() if named in line and (
            "Permission denied" in line or "file not found" in line)]
        assert denied and COMPILE_DENIED_HINT in res.stderr, (name, res.stderr[-2000:])


SCRIPT_LANGUAGE = """
name: script-attack-test
file: main.txt
compile: chmod +x {file}
run: ./{file}
"""


def test_an_answer_run_as_a_script_cannot_choose_its_interpreter(lbox, tmp_path):
    """A language file whose run executes the answer's own file would let the answer's ``#!`` line
    pick the interpreter (perl, sh compute the answer): the starter knows the answer's file name
    (``ZEROPLAY_SOURCE``) and refuses it as the program when it starts with ``#!``. A launcher the
    compile step writes (test_language_files' shc) still runs."""
    path = tmp_path / "script.yaml"
    path.write_text(SCRIPT_LANGUAGE)
    (spec,) = sandbox.load_languages(str(path))
    answers = ["#!/bin/sh\nread a b; echo sh ran $((a + b))\n",
               "#!/usr/bin/perl\nmy @x = split ' ', <STDIN>; print 'perl ran ', $x[0] + $x[1], \"\\n\";\n"]
    for res in lbox.run_many([sandbox.Program(code, language=spec.name, stdin="2 3\n") for code in answers]):
        assert "ran" not in res.stdout, (res.stdout, res.stderr[-2000:])
        assert "executes the answer's own file" in res.stderr, res.stderr[-2000:]


# -------------------------------------------------------------------------------------------- Lua
LUA_ATTACKS = r"""
local lib, py = arg[1], arg[2]
local function report(what, ok) print(what .. (ok and " GOT-THROUGH" or " refused")) io.stdout:flush() end
local function readable(p)
  local f = io.open(p, "rb") if not f then return false end
  local c = f:read(1) f:close() return c ~= nil
end
report("os.execute", os.execute("echo shell ran") == true)
local p = io.popen(py .. " -c 'print(1)'") report("io.popen", p ~= nil and (p:read("a") or "") ~= "")
report("loadlib", package.loadlib(lib, "*") ~= nil)
report("loadlib-proc-root", package.loadlib("/proc/self/root" .. lib, "*") ~= nil)
report("loadlib-symbol", package.loadlib(lib, "PyRun_SimpleString") ~= nil)
package.cpath = lib:match("^(.*)/") .. "/?.so.1"
report("require-c-module", (pcall(require, "libpython3")))
report("read", readable(lib))
report("read-proc-root", readable("/proc/self/root" .. lib))
report("read-python", readable(py))
report("read-proc-1-exe", readable("/proc/1/exe"))
"""

LUA_HONEST = r"""
local words = {}
for w in io.read("a"):gmatch("%a+") do words[#words + 1] = w:lower() end
table.sort(words)
print(table.concat(words, ","))
print(("hello world"):gsub("o", "0"), ("%5.2f|%-4s|%x"):format(math.pi, "ab", 255))
print(("abc"):rep(2, "-"), ("x=12, y=345"):match("y=(%d+)"), string.char(("A"):byte() + 1), #"héllo")
print(select("#", ("a b c"):find("b")), utf8.len("héllo"), tostring(2^53), math.tointeger(7.0))
"""


def test_lua_cannot_start_read_or_load_another_runtime(lbox):
    res = run(lbox, LUA_ATTACKS, toolchain("lua"))
    assert_refused(res, ["os.execute", "io.popen", "require-c-module"],
                   ["loadlib", "loadlib-proc-root", "loadlib-symbol", "read", "read-proc-root", "read-python",
                    "read-proc-1-exe"])


def test_honest_lua_string_library(lbox):
    res = run(lbox, LUA_HONEST, toolchain("lua"), stdin="Banana apple Cherry\n", argv=())
    assert (res.status, res.stdout) == ("ok", "apple,banana,cherry\nhell0 w0rld\t 3.14|ab  |ff\n"
                                              "abc-abc\t345\tB\t6\n2\t5\t9.007199254741e+15\t7\n"), res.stderr


# ------------------------------------------------------------------------------------------ OCaml
OCAML_ATTACKS = r"""
external execve : string -> (nativeint [@unboxed]) -> (nativeint [@unboxed]) -> (int [@untagged])
  = "zp_execve_byte" "execve" [@@noalloc]
external system : string -> int = "system"
external dlopen : string -> (int [@untagged]) -> (nativeint [@unboxed]) = "zp_dlopen_byte" "dlopen" [@@noalloc]
let report what ok = Printf.printf "%s %s\n%!" what (if ok then "GOT-THROUGH" else "refused")
let readable p = try let ic = open_in_bin p in ignore (input_char ic); close_in ic; true with _ -> false
let () =
  let lib = Sys.argv.(1) and py = Sys.argv.(2) in
  ignore (execve py 0n 0n); report "execve" false;
  report "system" (system "echo shell ran" = 0);
  report "Sys.command" (Sys.command "echo shell ran" = 0);
  report "dlopen" (dlopen lib 2 <> 0n);
  report "dlopen-proc-root" (dlopen ("/proc/self/root" ^ lib) 2 <> 0n);
  report "read" (readable lib);
  report "read-proc-root" (readable ("/proc/self/root" ^ lib));
  report "read-python" (readable py);
  report "read-proc-1-exe" (readable "/proc/1/exe")
"""

OCAML_HONEST = r"""
let () =
  let line = input_line stdin in
  let words = Str.split (Str.regexp "[ \t,]+") line in
  let nums = List.sort compare (List.map int_of_string words) in
  let tbl = Hashtbl.create 8 in
  List.iter (fun n -> Hashtbl.replace tbl (n mod 3) ()) nums;
  Printf.printf "%s|%d|%d\n" (String.concat " " (List.map string_of_int nums)) (List.fold_left ( + ) 0 nums)
    (Hashtbl.length tbl);
  Printf.printf "%.3f %5s %x %b\n" (sqrt 2.0) "ok" 255 (Str.string_match (Str.regexp "^[0-9]+$") "123" 0);
  let buf = Buffer.create 16 in
  String.iter (fun c -> Buffer.add_char buf (Char.uppercase_ascii c)) "hello";
  print_endline (Buffer.contents buf ^ " " ^ Str.global_replace (Str.regexp "l+") "L" "hello");
  let f = Filename.temp_file "zp" ".txt" in
  let oc = open_out f in output_string oc "tmp"; close_out oc;
  let ic = open_in f in print_endline (input_line ic); close_in ic
"""


def test_ocaml_cannot_start_read_or_load_another_runtime(lbox):
    res = run(lbox, OCAML_ATTACKS, toolchain("ocaml"))
    assert_refused(res, ["execve", "system", "Sys.command"],
                   ["dlopen", "dlopen-proc-root", "read", "read-proc-root", "read-python", "read-proc-1-exe"])


def test_honest_ocaml_with_str_and_printf(lbox):
    res = run(lbox, OCAML_HONEST, toolchain("ocaml"), stdin="5, 3 10 1\n", argv=())
    assert (res.status, res.stdout) == ("ok", "1 3 5 10|19|3\n1.414    ok ff true\nHELLO heLo\ntmp\n"), res.stderr


# ---------------------------------------------------------------------------------------- Fortran
FORTRAN_ATTACKS = """program main
  use iso_c_binding
  implicit none
  interface
    integer(c_int) function execve(path, argv, envp) bind(C, name="execve")
      import :: c_int, c_char, c_ptr
      character(kind=c_char), dimension(*) :: path
      type(c_ptr), value :: argv, envp
    end function
    type(c_ptr) function dlopen(path, flags) bind(C, name="dlopen")
      import :: c_ptr, c_char, c_int
      character(kind=c_char), dimension(*) :: path
      integer(c_int), value :: flags
    end function
    integer(c_int) function system(cmd) bind(C, name="system")
      import :: c_int, c_char
      character(kind=c_char), dimension(*) :: cmd
    end function
  end interface
  character(len=256) :: lib, py
  integer :: rc, cmd
  call get_command_argument(1, lib)
  call get_command_argument(2, py)
  rc = execve(trim(py) // c_null_char, c_null_ptr, c_null_ptr)
  call report("execve", .false.)
  call report("system", system("echo shell ran" // c_null_char) == 0)
  rc = 1
  call execute_command_line("echo shell ran", exitstat=rc, cmdstat=cmd)
  call report("execute_command_line", rc == 0)
  call report("dlopen", c_associated(dlopen(trim(lib) // c_null_char, 2_c_int)))
  call report("dlopen-proc-root", c_associated(dlopen("/proc/self/root" // trim(lib) // c_null_char, 2_c_int)))
  call report("read", readable(trim(lib)))
  call report("read-proc-root", readable("/proc/self/root" // trim(lib)))
  call report("read-python", readable(trim(py)))
contains
  subroutine report(what, ok)
    character(len=*), intent(in) :: what
    logical, intent(in) :: ok
    if (ok) then
      print '(A,A)', what, " GOT-THROUGH"
    else
      print '(A,A)', what, " refused"
    end if
    flush(6)
  end subroutine
  logical function readable(path)
    character(len=*), intent(in) :: path
    integer :: u, ios
    character :: c
    open(newunit=u, file=path, access='stream', form='unformatted', status='old', action='read', iostat=ios)
    readable = ios == 0
    if (ios == 0) then
      read(u, iostat=ios) c
      readable = ios == 0
      close(u)
    end if
  end function
end program main
"""

FORTRAN_HONEST = """program main
  implicit none
  integer :: n, i, u, k
  real(kind=8), allocatable :: x(:)
  character(len=32) :: label
  read(*, *) n
  allocate(x(n))
  read(*, *) x
  x = x * 2
  write(*, '(I0,1X,F8.3,1X,ES10.3)') n, sum(x) / n, maxval(x)
  write(*, '(*(F6.1))') (x(i), i = 1, n)
  write(label, '(A,I3.3)') 'item', n
  print '(A)', trim(label)
  open(newunit=u, status='scratch')
  write(u, *) 42
  rewind(u)
  read(u, *) k
  close(u)
  print '(I0)', k
  deallocate(x)
end program main
"""


def test_fortran_cannot_start_read_or_load_another_runtime(lbox):
    res = run(lbox, FORTRAN_ATTACKS, toolchain("fortran"))
    assert_refused(res, ["execve", "system", "execute_command_line"],
                   ["dlopen", "dlopen-proc-root", "read", "read-proc-root", "read-python"])


def test_honest_fortran_with_allocatable_arrays_and_a_scratch_unit(lbox):
    res = run(lbox, FORTRAN_HONEST, toolchain("fortran"), stdin="3\n1.5 2 4\n", argv=())
    assert (res.status, res.stdout) == ("ok", "3    5.000  8.000E+00\n   3.0   4.0   8.0\nitem003\n42\n"), res.stderr


# ---------------------------------------------------------------------------------------------- R
R_ATTACKS = r"""
args <- commandArgs(trailingOnly = TRUE); lib <- args[1]; py <- args[2]
report <- function(what, expr) {
  ok <- tryCatch({ force(expr); TRUE }, error = function(e) FALSE)
  cat(sprintf("%s %s\n", what, if (ok) "GOT-THROUGH" else "refused"))
}
report("dyn.load", dyn.load(lib))
# where dyn.load works, this is Python computing the answer in R's own process
if (is.loaded("PyRun_SimpleString")) {
  invisible(.C("Py_Initialize"))
  invisible(.C("PyRun_SimpleString", as.raw(c(charToRaw("import sys; exec(sys.stdin.read()); sys.stdout.flush()"), 0))))
}
report("dyn.load-proc-root", dyn.load(paste0("/proc/self/root", lib)))
report("read", readBin(lib, "raw", 4))
report("read-python", readBin(py, "raw", 4))
report("tcltk", { suppressWarnings(library(tcltk)); .Tcl("expr 2+3") })
report("system", stopifnot(suppressWarnings(system("echo shell ran")) == 0))
report("pipe", stopifnot(length(suppressWarnings(readLines(pipe(paste(py, "-V"))))) > 0))
report("mcparallel", parallel::mccollect(parallel::mcparallel(1)))
"""

R_HONEST = r"""
x <- scan(file("stdin"), what = numeric(), quiet = TRUE)
cat(sum(x), sort(x, decreasing = TRUE), "\n")
s <- "a1b22c333"
cat(regmatches(s, gregexpr("[0-9]+", s))[[1]], sprintf("%.3f|%5s|%d", pi, "ab", 42L), "\n")
cat(median(x), sd(c(2, 4, 4, 4, 5, 5, 7, 9)), var(1:10), round(qnorm(0.975), 4), "\n")
fit <- lm(y ~ x, data = data.frame(x = 1:5, y = c(3, 5, 7, 9, 11)))
cat(round(coef(fit), 6), head(letters, 2), tail(LETTERS, 1), "\n")
cat(solve(matrix(c(2, 0, 0, 4), 2)) %*% c(2, 4), "\n")
f <- tempfile(); writeLines(c("p", "q"), f)
cat(readLines(f), toupper(paste(rev(strsplit("abc", "")[[1]]), collapse = "")), "\n")
"""


def test_r_cannot_load_python_into_its_own_process(lbox):
    res = run(lbox, R_ATTACKS, toolchain("r"))
    assert_refused(res, ["system", "pipe", "mcparallel"],
                   ["dyn.load", "dyn.load-proc-root", "read", "read-python", "tcltk"])


def test_honest_r_with_base_stats_and_utils(lbox):
    res = run(lbox, R_HONEST, toolchain("r"), stdin="4 1 3\n", argv=())
    assert (res.status, res.stdout) == ("ok", "8 4 3 1 \n1 22 333 3.142|   ab|42 \n3 2.13809 9.166667 1.96 \n"
                                              "1 2 a b Z \n1 1 \np q CBA \n"), (res.stdout, res.stderr[-2000:])
