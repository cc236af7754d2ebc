"""Languages from YAML files: the shipped ones, adding one from a path or a folder, bad files, and
the compile-then-run job in every backend (with /bin/sh "toolchains", so no compiler is needed)."""

from __future__ import annotations

import pytest

from zeroplay import sandbox
from zeroplay.core.errors import ConfigError, UnknownIdError
from zeroplay.sandbox import language_files as lf

SHIPPED = ["fortran", "lua", "ocaml", "python", "r"]

# A "compiled" language whose compiler is /bin/sh tools: compile copies the source to an executable
# file in the work dir (so the run execs a file the job wrote), or fails when the source says so.
SHC = """
name: shc
title: Compiled shell
fences: [shc]
file: prog.txt
compile: |
  if grep -q SYNTAX-ERROR {file}; then echo "prog.txt:1: bad token" >&2; echo "second line" >&2; exit 1; fi
  { echo '#!/bin/sh'; cat {file}; } > prog && chmod +x prog
run: ./prog
timeout_s: 2
memory_mb: 256
"""


@pytest.fixture(scope="module")
def shc(tmp_path_factory):
    path = tmp_path_factory.mktemp("langs") / "shc.yaml"
    path.write_text(SHC)
    (spec,) = sandbox.load_languages(str(path))
    return spec


def write(tmp_path, text, name="lang.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_files_parse_and_are_listed():
    assert lf.shipped_names() == SHIPPED
    assert set(SHIPPED) <= set(sandbox.languages())
    python = lf.language_spec("python")
    assert (python.timeout_s, python.memory_mb, python.compile) == (5.0, 512, None)
    assert sandbox.get_language("python") is sandbox.PYTHON  # the file does not replace the in-process runner
    ocaml = lf.language_spec("ocaml")
    assert ocaml.compile and ocaml.timeout_s == 15 and "ml" in ocaml.fence_labels and ocaml.debian == ("ocaml-nox",)
    assert sandbox.get_language("lua").source_name == "main.lua"


def test_script_compiles_without_stdin_then_execs_the_run(shc):
    script = shc.script("/opt/python/bin/python3")
    first, _, last = script.strip().rpartition("\n")
    assert "</dev/null" in first and "3>&-" in first and f"exit {lf.COMPILE_ERROR_EXIT}" in first
    # without spawn the run's words go back to the runner on fd 3, which confines and execs them
    assert last == "printf '%s\\0' ./prog \"$@\" >&3"
    assert sandbox.get_language("shc").confine == {"reads": "", "source": "prog.txt", "compile_reads": "any"}
    spawning = shc.model_copy(update={"spawn": True})
    assert spawning.script("/py").strip().rpartition("\n")[2] == 'exec ./prog "$@"'
    assert spawning.language().confine is None


def test_compiled_language_runs_in_every_backend(box, shc):
    prog = sandbox.Program('read x; echo "got $x $1"', stdin="hi\n", argv=["arg"], language="shc")
    (res,) = box.run_many([prog])
    assert (res.status, res.stdout) == ("ok", "got hi arg\n")


def test_compiler_reads_no_stdin_and_writes_no_stdout(box, tmp_path):
    (spec,) = sandbox.load_languages(str(write(tmp_path, """
name: catc
file: main.txt
compile: cat; echo compiler-noise; cat {file}
run: cat
""")))
    (res,) = box.run_many([sandbox.Program("ignored", stdin="all of stdin\n", language=spec.name)])
    assert (res.status, res.stdout) == ("ok", "all of stdin\n")


def test_failed_compile_is_marked_with_the_compiler_message(box, shc):
    (res,) = box.run_many([sandbox.Program("echo SYNTAX-ERROR", language="shc")])
    assert res.status == "error" and res.exit_code == lf.COMPILE_ERROR_EXIT
    assert res.stderr.splitlines()[:3] == [lf.COMPILE_ERROR_MARK, "prog.txt:1: bad token", "second line"]
    assert res.stdout == ""


def test_compile_time_counts_against_the_limit(box, tmp_path):
    (spec,) = sandbox.load_languages(str(write(tmp_path, """
name: slowc
file: main.txt
compile: while :; do :; done
run: cat {file}
""")))
    (res,) = box.run_many([sandbox.Program("never printed", language=spec.name)])
    assert res.status == "timeout" and res.stdout == ""


def test_a_folder_of_files_loads_every_one(tmp_path):
    write(tmp_path, "name: fa\nfile: a.txt\nrun: cat {file}\n", "fa.yaml")
    write(tmp_path, "name: fb\nfile: b.txt\nrun: cat {file}\n", "fb.yml")
    assert [s.name for s in sandbox.load_languages(str(tmp_path))] == ["fa", "fb"]
    assert {"fa", "fb"} <= set(sandbox.languages())
    assert sandbox.load_languages(str(tmp_path / "fa.yaml"))[0].name == "fa"  # the same file again: a no-op


@pytest.mark.parametrize(("text", "match"), [
    ("file: a.txt\nrun: cat a.txt\n", r"name: missing"),
    ("name: nofile\nrun: cat x\n", r"file: missing"),
    ("name: norun\nfile: a.txt\n", r"run: missing"),
    ("name: typo\nfile: a.txt\nrun: x\ntimeout: 3\n", r"timeout: unknown field \(known: name, title"),
    ("name: zero\nfile: a.txt\nrun: x\ntimeout_s: 0\n", r"timeout_s: Input should be greater than 0"),
    ("name: huge\nfile: a.txt\nrun: x\ntimeout_s: 100000\n", r"timeout_s: Input should be less than or equal to 600"),
    ("name: tiny\nfile: a.txt\nrun: x\nmemory_mb: 8\n", r"memory_mb: Input should be greater than or equal to 32"),
    ("name: words\nfile: a.txt\nrun: x\nmemory_mb: lots\n", r"memory_mb: Input should be a valid integer"),
    ("name: Bad Name\nfile: a.txt\nrun: x\n", r"name: 'Bad Name' is not a language id"),
    ("name: dirs\nfile: ../a.txt\nrun: x\n", r"file: '\.\./a\.txt' must be a plain file name"),
    ("name: blank\nfile: a.txt\nrun: '  '\n", r"run: must be a non-empty shell command"),
    ("- just\n- a list\n", r"must be a mapping of fields"),
    ("name: [unclosed\n", r"is not valid YAML"),
    ("name: python\nfile: main.py\nrun: x\ncompile: y\n", r"python is the built-in in-process language"),
    ("name: c1\nfile: m.c\nrun: ./m\ncompile: gcc -o m {file}\n",
     r"compile runs gcc, which can embed any file .*compile_reads: \[gcc, as, ld.* "
     r"or accept the risk with compile_reads: any"),
    ("name: c2\nfile: m.c\nrun: ./m\ncompile: mkdir -p o && /usr/bin/x86_64-linux-gnu-g++-12 -o m {file}\n",
     r"compile runs x86_64-linux-gnu-g\+\+-12, which can embed"),
    ("name: asm\nfile: m.s\nrun: ./m\ncompile: as -o m.o {file} && ld -o m m.o\n", r"compile runs as, which"),
    ("name: c3\nfile: m.c\nrun: ./m\ncompile: gcc {file}\ncompile_reads: [usr/lib]\n",
     r"compile_reads: 'usr/lib': each entry must be an absolute path without ':' or a program name"),
    ("name: c4\nfile: m.c\nrun: ./m\ncompile: gcc {file}\ncompile_reads: ['/a:/b']\n",
     r"compile_reads: '/a:/b'"),
    ("name: c5\nfile: m.c\nrun: ./m\ncompile: gcc {file}\ncompile_reads: all\n",
     r"compile_reads.literal\['any'\]: Input should be 'any'"),
])
def test_bad_files_are_one_clear_error(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=match) as info:
        sandbox.load_languages(str(path))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_paths_and_name_clashes_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="No language file or folder"):
        sandbox.load_languages(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="No language files"):
        sandbox.load_languages(str(tmp_path))
    write(tmp_path, "name: clash\nfile: a.txt\nrun: cat {file}\n", "one.yaml")
    sandbox.load_languages(str(tmp_path / "one.yaml"))
    write(tmp_path, "name: clash\nfile: b.txt\nrun: cat {file}\n", "two.yaml")
    with pytest.raises(ConfigError, match="already registered with a different description"):
        sandbox.load_languages(str(tmp_path / "two.yaml"))
    with pytest.raises(UnknownIdError, match="language file"):
        lf.language_spec("cobol")


def test_a_missing_toolchain_says_what_to_install(tmp_path):
    sandbox.load_languages(str(write(tmp_path, """
name: ghostlang
title: Ghost
file: main.g
run: ghostc-does-not-exist {file}
requires: [ghostc-does-not-exist]
debian: [ghost-lang]
""")))
    ok, why = lf.available("ghostlang")
    assert not ok
    assert why == ("Ghost needs ghostc-does-not-exist, not found on PATH: "
                   "apt-get install ghost-lang")  # setup.sh installs only the shipped languages
    assert lf.available("python") == (True, "")


def test_a_c_compiler_loads_once_its_compile_reads_are_said(tmp_path):
    base = "name: {name}\nfile: m.c\nrun: ./m\ncompile: gcc -o m {{file}}\n"
    listed = lf.parse_language_file(write(tmp_path, base.format(name="cl") + "compile_reads: [gcc, /usr/include]\n"))
    assert listed.language().confine["compile_reads"] == "gcc:/usr/include"
    anything = lf.parse_language_file(write(tmp_path, base.format(name="ca") + "compile_reads: any\n"))
    assert anything.language().confine["compile_reads"] == "any"
    nothing = lf.parse_language_file(write(tmp_path, base.format(name="cn") + "compile_reads: []\n"))
    assert nothing.language().confine["compile_reads"] == ""  # only the work dir, /bin/sh and common data
    spawning = lf.parse_language_file(write(tmp_path, base.format(name="cs") + "spawn: true\n"))
    assert spawning.language().confine is None  # its program may start any program: nothing to gain
    # a simple compile runs without the shell (the runner starts gcc: it cannot read /bin/sh); else in the script
    assert listed.language().confine["compile"] == "gcc -o m m.c" and "gcc" not in listed.script("/py")
    assert "compile" not in anything.language().confine and "gcc -o m m.c" in anything.script("/py")


def test_shipped_files_say_what_their_compile_reads():
    for name in ("fortran", "lua", "ocaml", "r"):
        spec = lf.language_spec(name)
        assert spec.compile and isinstance(spec.compile_reads, tuple) and spec.compile_reads, name
        assert "/usr/lib/x86_64-linux-gnu" not in spec.compile_reads, name  # libpython lives there


def test_the_documented_c_language_is_the_tested_one():
    """The module docstring's C example lists what tests/sandbox/conftest.py's C language (which
    test_confine_attacks compiles honest and hostile programs with) lists."""
    import yaml

    from .conftest import C_LANGUAGE

    example = lf.__doc__.split("x86_64\n(tests/sandbox/conftest.py's) reads::\n")[1].split("\n\n")[0]
    documented = yaml.safe_load("\n".join(line[4:] for line in example.splitlines()))
    assert documented["compile_reads"] == yaml.safe_load(C_LANGUAGE)["compile_reads"]


LISTC = """
name: {name}
file: list.txt
compile: while read -r f; do cat "$f"; done <{{file}} >data
run: cat data
compile_reads: {reads}
"""


def test_the_compile_step_reads_only_what_it_lists(box, tmp_path):
    """A /bin/sh "compiler" that copies the files its source names: its own source and common data
    are readable; another runtime's file (Python's os.py) is not, and the compile error says why.
    With ``compile_reads: any`` it is."""
    import glob

    from .conftest import landlock

    os_py = next(iter(sorted(glob.glob("/usr/lib/python3*/os.py"))), None)
    if os_py is None:
        pytest.skip("no /usr/lib/python3*/os.py to read")
    (listed,) = sandbox.load_languages(str(write(tmp_path, LISTC.format(name="listc", reads="[cat]"), "a.yaml")))
    (anything,) = sandbox.load_languages(str(write(tmp_path, LISTC.format(name="listc-any", reads="any"), "b.yaml")))
    own, foreign = "list.txt\n/usr/share/zoneinfo/UTC\n", f"{os_py}\n"
    results = box.run_many([sandbox.Program(own, language=listed.name), sandbox.Program(foreign, language=listed.name),
                            sandbox.Program(foreign, language=anything.name)])
    assert results[0].status == "ok" and results[0].stdout.startswith(own), results[0].stderr[-2000:]
    assert results[2].status == "ok" and "import abc" in results[2].stdout, results[2].stderr[-2000:]
    if landlock():
        res = results[1]
        assert (res.status, res.exit_code) == ("error", lf.COMPILE_ERROR_EXIT), (res.status, res.stderr[-2000:])
        assert res.stderr.splitlines()[:3] == [lf.COMPILE_ERROR_MARK, lf.COMPILE_DENIED_HINT,
                                               f"cat: {os_py}: Permission denied"], res.stderr
