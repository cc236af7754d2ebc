"""The caller's mistakes raise one clear line before any job starts; a model's hostile text still runs.

Bad limits (NaN, infinities, absurd sizes), bad files (wrong types, names that are not files,
more than ``disk_mb`` holds), a single str as argv, a closed Sandbox: each is an exception at
construction or at the call, never a run that "fails" as if the program had. Lone surrogates in a
model's code or stdin are replaced (U+FFFD), so the program runs and can be scored. Language
files: a shipped name is not taken silently, a missing tool names its Debian packages, and a
Sandbox's own limits are what a program runs under whatever its language file says.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from zeroplay import sandbox
from zeroplay.core.errors import ConfigError, SandboxError
from zeroplay.sandbox import language_files as lf

from .conftest import ALL, need


def one_line(e: pytest.ExceptionInfo) -> str:
    text = str(e.value)
    assert text and "\n" not in text
    return text


# -- limits --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("timeout_s", float("nan")), ("timeout_s", float("inf")), ("timeout_s", float("-inf")), ("timeout_s", 1e9),
    ("memory_mb", 10**12), ("disk_mb", 10**9), ("max_output_bytes", 1 << 40), ("max_processes", 10**6),
    ("max_open_files", 10**9), ("memory_mb", 0),
])
def test_non_finite_or_absurd_limits_are_refused_at_construction(field, value):
    with pytest.raises(ConfigError, match=rf"Sandbox limit {field} must be > 0 and at most") as e:
        sandbox.Sandbox(backend="process", **{field: value})
    one_line(e)


def test_the_largest_limits_are_accepted():
    top = sandbox.Limits(**sandbox.spec.MAX_LIMITS)
    assert top.timeout_s == 24 * 3600 and top.memory_mb == 1 << 20


# -- programs: wrong types and bad file names ------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"files": {"a": 5}}, r"Sandbox file 'a' must hold str or bytes, got int"),
    ({"files": {5: "x"}}, r"A sandbox file name is a str, got int"),
    ({"files": ["a.txt"]}, r"files is a mapping of file name to str or bytes, got list"),
    ({"files": None}, r"files is a mapping"),
    ({"argv": "abc"}, r"argv is a list of str .* got str; wrap a single argument in a list"),
    ({"argv": 5}, r"argv is a list of str"),
])
def test_wrong_types_are_type_errors(kwargs, match):
    with pytest.raises(TypeError, match=match) as e:
        sandbox.Program("print(1)", **kwargs)
    one_line(e)


@pytest.mark.parametrize("files", [
    {".": "x"}, {"a/": "x"}, {"a/.": "x"}, {"": "x"}, {"/etc/x": "x"}, {"a/../../x": "x"}, {"a\0b": "x"},
    {"\ud800.txt": "x"}, {"x" * 300: "x"},
    {"a": "file", "a/b": "a's directory"},  # a is both a file and a directory
    {"d/a": "1", "d/./a": "2"},  # one file, two names
])
def test_bad_file_names_are_config_errors(files):
    with pytest.raises(ConfigError, match=r"[Ss]andbox file") as e:
        sandbox.Program("print(1)", files=files)
    one_line(e)


def test_files_that_cannot_fit_disk_mb_are_refused_before_any_job():
    with sandbox.Sandbox(backend="process", disk_mb=1) as box:
        with pytest.raises(ConfigError, match=r"more than disk_mb=1: raise disk_mb") as e:
            box.run("print(1)", files={"big.bin": b"a" * (2 << 20)})
        one_line(e)
        # 300 one-byte files take 300 pages of tmpfs (1.2 MiB), not 300 bytes
        with pytest.raises(ConfigError, match=r"disk_mb=1"):
            box.run_many([sandbox.Program("print(1)", files={f"d/f{i}": "x" for i in range(300)})])
        with pytest.raises(ConfigError, match=r"disk_mb=1"):
            asyncio.run(box.arun("print(1)", files={"big.txt": "é" * (1 << 20)}))  # 2 MiB as UTF-8
        res = box.run("import os; print(len(os.listdir('d')))", files={f"d/f{i}": "x" for i in range(100)})
        assert (res.status, res.stdout) == ("ok", "100\n")


def test_a_closed_sandbox_says_so():
    for backend in ALL:
        need(backend)
        box = sandbox.Sandbox(backend=backend, timeout_s=2, memory_mb=256)
        assert box.run("print(1)").stdout == "1\n"
        box.close()
        box.close()  # twice is fine
        for call in (lambda: box.run("print(1)"), lambda: box.run_program("print(1)"),
                     lambda: box.run_many(["print(1)"]), lambda: asyncio.run(box.arun("print(1)"))):
            with pytest.raises(SandboxError, match=r"This Sandbox is closed; create a new one") as e:
                call()
            one_line(e)


# -- a model's text with lone surrogates still runs --------------------------------------------------------


def test_surrogates_in_a_models_text_are_replaced_and_the_program_runs(box):
    code = "import sys\nprint('\ud800' + input() + open('f.txt').read() + sys.argv[1])"
    res = box.run(code, stdin="a\udfffb\n", files={"f.txt": "\udc80"}, argv=["\ud83d"])
    assert res.status == "ok", res.stderr
    assert res.stdout == "\ufffda\ufffdb\ufffd\ufffd\n"


def test_surrogate_replacement_keeps_everything_else():
    text = "x = '\U0001f600 é \ud800 \udfff'"
    assert sandbox.Program(text).code == "x = '\U0001f600 é \ufffd \ufffd'"
    assert sandbox.Subject("s = '\udcff'").code == "s = '\ufffd'"
    assert sandbox.Program("ok", files={"b": b"\xff"}).files == {"b": b"\xff"}  # bytes are sent as they are


# -- languages ---------------------------------------------------------------------------------------------


def write(tmp_path, name, text):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_arun_takes_a_language(tmp_path):
    sandbox.load_languages(str(write(tmp_path, "callerr-cat", "name: callerr-cat\nfile: main.txt\nrun: cat {file}\n")))
    with sandbox.Sandbox(backend="process", timeout_s=5) as box:
        res = asyncio.run(box.arun("not python at all", language="callerr-cat"))
    assert (res.status, res.stdout) == ("ok", "not python at all")


def test_a_missing_tool_names_the_packages_to_install(box, tmp_path_factory):
    path = write(tmp_path_factory.mktemp("langs"), "callerr-ghost", """
name: callerr-ghost
title: Ghost
file: main.g
compile: ghost-compiler-xyz {file}
run: ./main
requires: [sh, ghost-compiler-xyz]
debian: [ghost-lang, ghost-dev]
""")
    if "callerr-ghost" not in {s.name for s in lf.registered_specs()}:
        sandbox.load_languages(str(path))
    res = box.run("anything", language="callerr-ghost")
    assert (res.status, res.exit_code) == ("error", lf.START_ERROR_EXIT)
    assert lf.COMPILE_ERROR_MARK not in res.stderr  # the program is not blamed for a missing compiler
    assert res.stderr.strip() == ("zeroplay: cannot start the program: ghost-compiler-xyz is not installed in the "
                                  "sandbox; Ghost needs it: apt-get install ghost-lang ghost-dev")


def test_the_sandboxs_limits_win_over_the_language_files(tmp_path):
    sandbox.load_languages(str(write(tmp_path, "callerr-slow", """
name: callerr-slow
file: main.txt
compile: sleep 1
run: cat {file}
timeout_s: 0.2
""")))
    with sandbox.Sandbox(backend="process", timeout_s=10) as box:
        res = box.run("slow but in time", language="callerr-slow")
    assert (res.status, res.stdout) == ("ok", "slow but in time")


def test_a_file_does_not_take_a_shipped_name_silently(tmp_path):
    with pytest.raises(ConfigError, match=r"'python' is a shipped language; name yours otherwise") as e:
        sandbox.load_languages(str(write(tmp_path, "python", "name: python\nfile: main.py\nrun: '{python} {file}'\n")))
    one_line(e)
    assert lf.language_spec("python").fence_labels >= {"python", "py"}  # the shipped one still holds
    with pytest.raises(ConfigError, match=r"no shipped language is named 'callerr-new'"):
        sandbox.load_languages(str(write(tmp_path, "new", "name: callerr-new\nfile: a\nrun: cat\n"
                                                          "replaces_shipped: true\n")))
    lf.language_spec("lua")  # now in use in this process
    mine = write(tmp_path, "lua", "name: lua\nfile: m.lua\nrun: lua {file}\nreplaces_shipped: true\n")
    with pytest.raises(ConfigError, match=r"the shipped 'lua' is already in use in this process; load your file"):
        sandbox.load_languages(str(mine))


def test_replaces_shipped_takes_the_name_when_loaded_first(tmp_path):
    path = write(tmp_path, "lua", "name: lua\ntitle: My Lua\nfile: m.lua\nrun: lua5.4 {file}\nreplaces_shipped: true\n")
    script = ("from zeroplay import sandbox\nfrom zeroplay.sandbox import language_files as lf\n"
              f"sandbox.load_languages({str(path)!r})\nprint(lf.language_spec('lua').title, "
              "sandbox.get_language('lua').source_name)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "My Lua m.lua"


def test_load_languages_of_a_non_path_is_a_type_error():
    with pytest.raises(TypeError, match=r"load_languages takes the path .* got int"):
        sandbox.load_languages(5)
