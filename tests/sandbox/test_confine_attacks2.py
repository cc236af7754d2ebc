"""A second campaign against the compile step's confinement (``_confine.py``, ``language_files.py``):
a C answer (tests/sandbox/conftest.py's user language) whose output another language's runtime
computes earns the any-language verifier's reward for the wrong language.

The hole it found: the job's ``/bin/sh`` script ran the compiler, and Landlock lets a process
execute only what it may read, so ``/bin/sh`` (with ``head`` and ``grep``) was readable to gcc too.
``.incbin "/bin/sh"`` put dash into the program, which wrote it to the work dir, cleared its
``DF_1_PIE`` flag, ``dlopen``ed it as a library (the run may load what it wrote: its own files)
and called dash's ``main`` with ``-c SCRIPT``: a shell script computed the answer, in every backend.
Now a compile of simple commands runs without the shell (``_confine.compile_alone``: the runner
starts the compiler in a child that reads only the work dir, common data and ``compile_reads``),
and a compile with shell syntax that runs a C compiler is refused at load. The attacks that were
already refused stay here as regression tests: ``.incbin`` of the shell under other names and by a
relative path, of ``grep`` and ``head``; Fortran's ``include`` of the shell; the run reading its
parent's memory (a Python interpreter) through ``/proc/PID/mem``, ``process_vm_readv``, ``ptrace``.
"""

from __future__ import annotations

import os
import shutil

import pytest

from zeroplay import sandbox
from zeroplay.core.errors import ConfigError
from zeroplay.sandbox import language_files as lf
from zeroplay.sandbox.language_files import COMPILE_DENIED_HINT, COMPILE_ERROR_EXIT, available

from .conftest import C_LANGUAGE, landlock

# dash, embedded at compile time, loaded as a library at run time and asked to run a script: before
# the fix it printed "sh ran 5" for stdin "2 3" in the pool, namespace and process backends.
C_EMBEDDED_SHELL = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
__asm__(".section .rodata\nsh_bytes:\n.incbin \"SHELL\"\nsh_end:\n.previous\n");
extern const unsigned char sh_bytes[] __asm__("sh_bytes"), sh_end[] __asm__("sh_end");
static unsigned char copy[4 << 20];
int main(int argc, char **argv, char **envp) {
  size_t n = sh_end - sh_bytes; memcpy(copy, sh_bytes, n);
  Elf64_Ehdr *eh = (Elf64_Ehdr *)copy; Elf64_Phdr *ph = (Elf64_Phdr *)(copy + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; i++) if (ph[i].p_type == PT_DYNAMIC)  /* glibc refuses to dlopen a PIE */
    for (Elf64_Dyn *d = (Elf64_Dyn *)(copy + ph[i].p_offset); d->d_tag; d++)
      if (d->d_tag == DT_FLAGS_1) d->d_un.d_val &= ~DF_1_PIE;
  FILE *f = fopen("sh.so", "wb"); fwrite(copy, 1, n, f); fclose(f);
  void *h = dlopen("./sh.so", RTLD_NOW); if (!h) { puts(dlerror()); return 1; }
  unsigned char *start = (unsigned char *)((struct link_map *)h)->l_addr + eh->e_entry;
  for (int i = 0; i < 64; i++) if (start[i] == 0x48 && start[i + 1] == 0x8d && start[i + 2] == 0x3d) {
    int disp; memcpy(&disp, start + i + 3, 4);  /* _start's lea main(%rip), %rdi */
    int (*shell_main)(int, char **, char **) = (void *)(start + i + 7 + disp);
    char *av[] = {"sh", "-c", "read a b; echo sh ran $((a + b))", NULL};
    return shell_main(3, av, envp);
  }
  puts("no main"); return 1;
}
"""

INCBIN = '__asm__(".section .rodata\\n.incbin \\"PATH\\"\\n.previous\\n");\nint main(void) { return 0; }\n'


@pytest.fixture(scope="module")
def c_lang(c_language):
    if not landlock():
        pytest.skip("this kernel has no Landlock: the compile step's read limit is skipped (documented)")
    return c_language


def assert_compile_denied(res, named: str, what: str) -> None:
    assert "ran" not in res.stdout, (what, "another runtime computed the answer", res.stdout)
    assert (res.status, res.exit_code) == ("error", COMPILE_ERROR_EXIT), (what, res.status, res.stderr[-2000:])
    assert f"file not found: {named}" in res.stderr and COMPILE_DENIED_HINT in res.stderr, (what, res.stderr[-2000:])


def test_c_cannot_embed_the_shell_and_run_a_script_with_it(lbox, c_lang):
    res = lbox.run_many([sandbox.Program(C_EMBEDDED_SHELL.replace("SHELL", "/bin/sh"), language=c_lang,
                                         stdin="2 3\n")])[0]
    assert_compile_denied(res, "/bin/sh", "incbin /bin/sh")


def test_c_compile_reads_none_of_the_scripts_tools(lbox, c_lang):
    """The shell under its other names and by a path relative to the work dir, and the two tools the
    job's script runs on a failed compile (grep, head): all readable to the script, none to gcc."""
    paths = [p for p in ("/usr/bin/dash", "/bin/dash", os.path.realpath("/bin/sh"), shutil.which("grep"),
                         shutil.which("head")) if p and os.path.isfile(p)]
    paths.append("../../../../../../../../bin/sh")
    results = lbox.run_many([sandbox.Program(INCBIN.replace("PATH", p), language=c_lang) for p in paths])
    for path, res in zip(paths, results):
        assert_compile_denied(res, path, f"incbin {path}")


def test_honest_c_still_compiles_alone_and_runs(lbox, c_lang):
    code = '#include <stdio.h>\nint main(void) { int a, b; scanf("%d %d", &a, &b); printf("%d\\n", a * b); }\n'
    (res,) = lbox.run_many([sandbox.Program(code, language=c_lang, stdin="6 7\n")])
    assert (res.status, res.stdout) == ("ok", "42\n"), res.stderr[-2000:]
    broken = lbox.run_many([sandbox.Program("int main(void) { return x; }\n", language=c_lang)])[0]
    assert (broken.status, broken.exit_code) == ("error", COMPILE_ERROR_EXIT)
    assert broken.stderr.startswith(lf.COMPILE_ERROR_MARK + "\n"), broken.stderr[-2000:]
    assert "x’ undeclared" in broken.stderr.replace("'", "’"), broken.stderr[-2000:]
    assert COMPILE_DENIED_HINT not in broken.stderr  # a plain compile error is not blamed on the read limit


def test_fortran_include_cannot_read_the_shell(lbox):
    ok, why = available("fortran")
    if not ok:
        pytest.skip(why)
    if not landlock():
        pytest.skip("this kernel has no Landlock")
    code = 'program main\n  include "/bin/sh"\n  print *, 1\nend program main\n'
    (res,) = lbox.run_many([sandbox.Program(code, language="fortran")])
    assert (res.status, res.exit_code) == ("error", COMPILE_ERROR_EXIT), res.stderr[-2000:]
    assert "Cannot open included file" in res.stderr, res.stderr[-2000:]  # denied, not read and misparsed


C_PARENT_MEMORY = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
static void report(const char *what, int ok) { printf("%s %s\n", what, ok ? "GOT-THROUGH" : "refused"); }
int main(void) {
  char path[64], buf[4096], word[16]; pid_t parent = getppid();
  snprintf(path, sizeof path, "/proc/%d/maps", parent);
  int fd = open(path, O_RDONLY), n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  report("read-parent-maps", n > 0);
  unsigned long at = 0x400000; if (n > 0) { buf[n] = 0; sscanf(buf, "%lx", &at); }
  snprintf(path, sizeof path, "/proc/%d/mem", parent); report("open-parent-mem", open(path, O_RDONLY) >= 0);
  struct iovec local = {word, 16}, remote = {(void *)at, 16};
  report("process_vm_readv", process_vm_readv(parent, &local, 1, &remote, 1, 0) == 16);
  report("ptrace-attach", ptrace(PTRACE_ATTACH, parent, 0, 0) == 0);
  report("ptrace-seize", ptrace(PTRACE_SEIZE, parent, 0, 0) == 0);
  snprintf(path, sizeof path, "/proc/%d/environ", parent);
  fd = open(path, O_RDONLY); report("read-parent-environ", fd >= 0 && read(fd, buf, 16) > 0);
  return 0;
}
"""


def test_c_cannot_read_its_parents_memory(lbox, c_language):
    """The program's parent is the sandbox's runner or worker, a Python interpreter: its memory
    holds a runtime to copy. Landlock refuses ptrace-class access outside the program's domain."""
    if not landlock():
        pytest.skip("this kernel has no Landlock")
    (res,) = lbox.run_many([sandbox.Program(C_PARENT_MEMORY, language=c_language)])
    assert res.status == "ok", res.stderr[-2000:]
    attacks = ["read-parent-maps", "open-parent-mem", "process_vm_readv", "ptrace-attach", "ptrace-seize",
               "read-parent-environ"]
    assert res.stdout.splitlines() == [f"{a} refused" for a in attacks], res.stdout


# ------------------------------------------------------------------ the language file's side
def test_a_c_compile_with_shell_syntax_is_refused_at_load():
    """Shell syntax would put the compiler under the script's /bin/sh; simple commands joined by &&
    start without it."""
    base = {"name": "c-shell-test", "file": "m.c", "run": "./m", "compile_reads": ["gcc"]}
    for compile_command in ("gcc -o m {file}; strip m", "gcc -o m {file} | cat", "gcc -o m \"{file}\"",
                            "gcc -o m {file}\nstrip m", "CC=1 gcc -o m {file}", "gcc -o m $FILE",
                            "{python} x.py && gcc -o m {file}"):
        with pytest.raises(ConfigError, match="through the shell"):
            lf.spec_from_dict({**base, "compile": compile_command})
    spec = lf.spec_from_dict({**base, "compile": "ln -s x y  &&  gcc -O1 -o m {file} -lm"})
    assert spec.compiles_alone and spec.language().confine["compile"] == "ln -s x y && gcc -O1 -o m m.c -lm"
    assert "gcc" not in spec.script("/py")  # the runner compiles, after the script
    anything = lf.spec_from_dict({**base, "compile": "gcc -o m {file}; strip m", "compile_reads": "any"})
    assert not anything.compiles_alone and "strip m" in anything.script("/py")  # the risk accepted: as before
    for name in ("fortran", "ocaml", "lua"):
        assert lf.language_spec(name).compiles_alone, name
    assert not lf.language_spec("r").compiles_alone  # R's compile is a shell script (it runs no compiler)


def test_the_documented_c_language_compiles_alone():
    import yaml

    spec = lf.spec_from_dict(yaml.safe_load(C_LANGUAGE))
    assert spec.compiles_alone and "sh" not in spec.compile_reads and "/bin/sh" not in spec.compile_reads
