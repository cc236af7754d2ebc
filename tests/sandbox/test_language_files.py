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
    assert sandbox.get_language("shc").confine == {"reads": "", "source": "prog.txt"}
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
    ("name: Bad Name\nfile: a.txt\nrun: x\n", r"name: Value error, 'Bad Name' is not a language id"),
    ("name: dirs\nfile: ../a.txt\nrun: x\n", r"file: Value error, '\.\./a\.txt' must be a plain file name"),
    ("name: blank\nfile: a.txt\nrun: '  '\n", r"run: Value error, must be a non-empty shell command"),
    ("- just\n- a list\n", r"must be a mapping of fields"),
    ("name: [unclosed\n", r"is not valid YAML"),
    ("name: python\nfile: main.py\nrun: x\ncompile: y\n", r"python is the built-in in-process language"),
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
