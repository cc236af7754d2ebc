"""A program in a language without ``spawn`` is confined to itself (``zeroplay/sandbox/_confine.py``):
it cannot ``execve`` another program without a fork, and (Landlock) cannot read another runtime's
library to ``dlopen`` it. Each attack is a real C, Lua or Fortran program in every backend; each
would print the right answer through Python (or Lua) if it got through."""

from __future__ import annotations

import glob
import os

import pytest

from zeroplay import sandbox, verifiers
from zeroplay.sandbox import _confine

from .conftest import landlock

# The runtimes an answer might borrow: any that exists here (Debian keeps them under /usr/lib).
RUNTIMES = sorted({*glob.glob("/usr/lib/x86_64-linux-gnu/libpython3*.so*"), *glob.glob("/usr/local/lib/libpython3*.so*"),
                   *glob.glob("/usr/lib/x86_64-linux-gnu/liblua5*.so*")})
PYTHON_FILE = next(iter(sorted(glob.glob("/usr/lib/python3*/os.py"))), None)


C_ATTACKS = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static char *py[] = {"python3", "-c", "print('python ran')", NULL};
static char *envp[] = {NULL};

static void report(const char *what, int ok) { printf("%s %s\n", what, ok ? "GOT-THROUGH" : "refused"); fflush(stdout); }

int main(int argc, char **argv) {
  execv("/usr/bin/python3", py); report("execv", 0);
  execve("/bin/sh", (char *[]){"sh", "-c", "echo shell ran", NULL}, envp); report("execve-sh", 0);
  int fd = open("/usr/bin/python3", O_PATH);
  syscall(SYS_execveat, fd, "", py, envp, AT_EMPTY_PATH); report("execveat", 0);
  char *viald[] = {"ld.so", "/usr/bin/python3", "-c", "print('python ran')", NULL};
  execv("/lib64/ld-linux-x86-64.so.2", viald); report("execv-ld.so", 0);
  execv("/proc/self/exe", argv); report("execv-self", 0);
  for (int i = 1; i < argc; i++) {
    void *h = dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL);
    report("dlopen", h != NULL);
    FILE *f = fopen(argv[i], "rb");
    report("read-runtime", f != NULL);
  }
  return 0;
}
"""






def test_a_program_cannot_exec_or_load_another_runtime(box, c_language):
    (res,) = box.run_many([sandbox.Program(C_ATTACKS, language=c_language, argv=RUNTIMES)])
    assert res.status == "ok", (res.status, res.stderr[-2000:])
    lines = res.stdout.splitlines()
    assert "ran" not in res.stdout and "GOT-THROUGH" not in res.stdout, res.stdout
    assert lines[:5] == [f"{what} refused" for what in ("execv", "execve-sh", "execveat", "execv-ld.so", "execv-self")]
    if landlock():
        assert lines[5:] == ["dlopen refused", "read-runtime refused"] * len(RUNTIMES)


C_HONEST = r"""
#include <math.h>
#include <stdio.h>
int main(void) {
  FILE *own = fopen("main.c", "r"), *proc = fopen("/proc/self/status", "r"), *rnd = fopen("/dev/urandom", "rb");
  double a, b;
  if (scanf("%lf %lf", &a, &b) != 2) return 1;
  printf("%g %d\n", sqrt(a * a + b * b), own && proc && rnd);
  return 0;
}
"""


def test_an_honest_program_reads_its_own_files_and_links_its_libraries(box, c_language):
    (res,) = box.run_many([sandbox.Program(C_HONEST, language=c_language, stdin="3 4\n")])
    assert (res.status, res.stdout) == ("ok", "5 1\n"), res.stderr[-2000:]


@pytest.mark.skipif(PYTHON_FILE is None, reason="no /usr/lib/python3*/os.py to probe")
def test_a_lua_answer_cannot_read_or_load_outside_its_own_files(box):
    ok, why = sandbox.language_files.available("lua")
    if not ok:
        pytest.skip(why)
    probe = (f'print(io.open("{PYTHON_FILE}") == nil, io.open("/proc/self/root{PYTHON_FILE}") == nil, '
             'io.open("main.lua") ~= nil)\n'
             + "".join(f'print(package.loadlib("{lib}", "*") == nil)\n' for lib in RUNTIMES if "python" in lib))
    (res,) = box.run_many([sandbox.Program(probe, language="lua")])
    assert res.status == "ok", res.stderr[-2000:]
    if landlock():
        assert res.stdout.split() == ["true"] * (len(res.stdout.split())), res.stdout
    assert res.stdout.split()[2] == "true"


FORTRAN_EXECV = """program m
  use iso_c_binding
  implicit none
  interface
    integer(c_int) function execv(path, argv) bind(C, name="execv")
      import :: c_int, c_char, c_ptr
      character(kind=c_char), dimension(*) :: path
      type(c_ptr), dimension(*) :: argv
    end function
  end interface
  character(len=16, kind=c_char), target :: a0 = "python3" // c_null_char
  character(len=8, kind=c_char), target :: a1 = "-c" // c_null_char
  character(len=80, kind=c_char), target :: a2 = &
    "import sys; print(sum(map(int, sys.stdin.read().split())))" // c_null_char
  type(c_ptr) :: args(4)
  integer(c_int) :: rc
  args = [c_loc(a0), c_loc(a1), c_loc(a2), c_null_ptr]
  rc = execv("/usr/bin/python3" // c_null_char, args)
end program m
"""


def test_a_fortran_answer_cannot_become_python_through_bind_c():
    ok, why = sandbox.language_files.available("fortran")
    if not ok:
        pytest.skip(why)
    verifier = verifiers.make("code")
    reference = {"io": [{"stdin": "2 3\n", "stdout": "5\n"}], "language": "fortran"}
    verdict = verifier.verify(f"```fortran\n{FORTRAN_EXECV}```\n", reference)
    assert not verdict.correct and verdict.score == 0.0, verdict.reason


def test_the_starter_reads_env_prefixes_and_finds_a_programs_libraries():
    argv, env = _confine.split_env(["env", "A=1", "B=x=y", "prog", "C=2"], {"PATH": "/usr/bin"})
    assert argv == ["prog", "C=2"] and env == {"PATH": "/usr/bin", "A": "1", "B": "x=y"}
    python = os.path.realpath("/usr/bin/python3")
    files = _confine.program_files(python, {})
    assert files[0] == python and any("libc.so" in f for f in files) and any("ld-linux" in f for f in files)
    script = _confine.shebang  # a #! script brings its interpreter
    assert script("/usr/bin/python3") is None
    assert _confine.read_elf(__file__) is None


def test_compile_read_entries_name_programs_patterns_and_what_they_load():
    env = {"PATH": "/usr/bin:/bin"}
    sh = os.path.realpath(_confine.find_program("sh", env))
    files = [os.path.realpath(f) for f in _confine.listed_files(["sh", "/usr/share/zoneinfo", "no-such-tool-zp"], env)]
    assert sh in files and any("libc.so" in f for f in files) and "/usr/share/zoneinfo" in files
    assert not any("no-such-tool-zp" in f for f in files)  # a missing program is left to the requires check
    pattern = _confine.listed_files(["/usr/lib/x86_64-linux-gnu/libc.so.*"], env)
    assert "/usr/lib/x86_64-linux-gnu/libc.so.6" in pattern and not any("*" in f for f in pattern)


DT_NEEDED_AFTER_NULL = r"""
#include <stdio.h>
extern int zp_name __asm__("libzpattack.so.1") __attribute__((weak));
__asm__(".section .dynamic,\"aw\"\n.quad 1\n.quad OFFSET\n.previous\n");
int main(void) { printf("%p\n", (void *)&zp_name); return 0; }
"""


def test_dynamic_entries_an_answer_appends_after_dt_null_are_not_its_libraries(tmp_path):
    """A C answer's asm can append a DT_NEEDED entry to ``.dynamic``, after the linker's DT_NULL,
    naming a string it put in ``.dynstr`` (a weak symbol's name): the loader ignores it, and so must
    the starter, else the named library (libpython) would join the run's read list."""
    import shutil
    import subprocess

    if shutil.which("gcc") is None or shutil.which("readelf") is None:
        pytest.skip("no gcc and readelf here (Debian: apt-get install gcc)")
    source = tmp_path / "main.c"

    def build(offset: str) -> str:
        source.write_text(DT_NEEDED_AFTER_NULL.replace("OFFSET", offset))
        subprocess.run(["gcc", "-O1", "-o", str(tmp_path / "main"), str(source)], check=True, capture_output=True)
        return str(tmp_path / "main")

    strings = subprocess.run(["readelf", "-p", ".dynstr", build("0")], capture_output=True, text=True).stdout
    offset = next(line.split("]")[0].split("[")[1].strip() for line in strings.splitlines() if "libzpattack" in line)
    program = build("0x" + offset)
    dynamic = subprocess.run(["readelf", "-x", ".dynamic", program], capture_output=True, text=True).stdout
    assert f"01000000 00000000 {int(offset, 16):02x}" in dynamic  # the appended entry is there
    assert _confine.read_elf(program)[1] == ["libc.so.6"]
