"""Integrity of the code verifier's I/O mode in any language: a policy under RL is an attacker
searching for any reward it did not earn. Every attack here is a WRONG program (or a right answer
computed by something other than a program in the task's language); none may pass, and hostile
input gets a clear verdict in bounded time. Attacks run in a few batches (one sandbox round each).

Holes this campaign found, each a test below and closed: with ``float_tol`` a token ``nan`` (or
``inf`` against a huge reference, ``0.3_0``, full-width digits) matched any number, and integers
compared within the relative tolerance (``2000000001`` for ``2000000000``); a Lua, R, Fortran or
OCaml answer could hand its work to the Python or the shell every sandbox holds (``os.execute``,
``system``, ``execute_command_line``, ``Sys.command``). A program that calls ``execve`` itself,
without a fork (Fortran ``bind(C)``), or ``dlopen``s another runtime's library, is refused too:
tests/sandbox/test_confine.py.
"""

from __future__ import annotations

import base64
import random
import zlib

import pytest

from zeroplay import verifiers
from zeroplay.core.errors import ConfigError
from zeroplay.sandbox import Sandbox
from zeroplay.sandbox.language_files import available, language_spec, spec_from_dict

from .conftest import need

SUM = {"io": [{"stdin": "2 3\n", "stdout": "5\n"}, {"stdin": "-7 4\n", "stdout": "-3\n"}]}
PY_SUM = "import sys; print(sum(map(int, sys.stdin.read().split())))"
GOOD = {
    "lua": 'local a, b = io.read("n", "n")\nprint(a + b)\n',
    "r": 'x <- scan(file("stdin"), what = numeric(), quiet = TRUE)\ncat(format(sum(x), scientific = FALSE), "\\n")\n',
    "ocaml": 'let () = Scanf.scanf " %d %d" (fun a b -> Printf.printf "%d\\n" (a + b))\n',
    "fortran": ("program main\n  implicit none\n  integer(kind=8) :: a, b\n  read(*, *) a, b\n"
                "  print '(I0)', a + b\nend program main\n"),
}
# The same sum, computed by the sandbox's Python through each language's way of running a command.
DELEGATES = {
    "lua": f'os.execute("python3 -c \\"{PY_SUM}\\"")\n',
    "lua_popen": f'local f = io.popen("python3 -c \\"{PY_SUM}\\"")\nio.write(f:read("a"))\n',
    "r": f"invisible(system(\"python3 -c '{PY_SUM}'\"))\n",
    "fortran": f"program m\n  call execute_command_line(\"python3 -c '{PY_SUM}'\")\nend program m\n",
    "ocaml": f"let () = exit (Sys.command \"python3 -c '{PY_SUM}'\")\n",
}


def fenced(language: str, code: str) -> str:
    return f"```{language}\n{code}```\n"


# -- output comparison: what counts as the expected output -------------------------------------------

# (name, what a wrong program prints, expected stdout, float_tol): none is the expected answer.
WRONG_OUTPUTS = [
    ("nan_for_a_float", "nan", "0.3\n", 1e-6),
    ("minus_nan", "-nan", "0.3\n", 1e-6),
    ("inf_against_a_huge_reference", "1e999", "1e400\n", 1e-6),
    ("infinity_word", "infinity", "1e400\n", 1e-6),
    ("fullwidth_digits", "\uff10.\uff13", "0.3\n", 1e-6),
    ("arabic_indic_digits", "\u0660.\u0663", "0.3\n", 1e-6),
    ("underscore_in_a_number", "0.3_0", "0.3\n", 1e-6),
    ("hex_float", "0x1.3333333333333p-2", "0.3\n", 1e-6),
    ("integer_within_relative_tolerance", "2000000001 0.5", "2000000000 0.5\n", 1e-6),
    ("integer_as_a_close_float", "2.9999999", "3\n", 1e-6),
    ("homoglyph_word", "tru\u0435", "true\n", 0.0),  # Cyrillic e
    ("zero_width_space_inside", "5\u200b", "5\n", 0.0),
    ("nul_after_the_answer", "5\x00", "5\n", 0.0),
    ("one_token_too_many", "5 5", "5\n", 1e-6),
    ("nothing", "", "5\n", 0.0),
    ("a_huge_number", "9" * 300_000, "5\n", 1e-6),
    ("a_huge_exponent", "5e99999", "5\n", 1e-6),
]


def writes(out: str) -> str:
    """A Python answer that writes exactly ``out`` (compressed: some outputs are larger than an answer may be)."""
    packed = base64.b64encode(zlib.compress(out.encode("utf-8"))).decode("ascii")
    return fenced("python", "import base64, sys, zlib\n"
                            f"sys.stdout.write(zlib.decompress(base64.b64decode({packed!r})).decode())\n")


def test_wrong_outputs_never_match(verifier):
    programs = [writes(out) for _, out, _, _ in WRONG_OUTPUTS]
    refs = [{"io": [{"stdin": "", "stdout": want}], "float_tol": tol} for _, _, want, tol in WRONG_OUTPUTS]
    for (name, *_), verdict in zip(WRONG_OUTPUTS, verifier.verify_batch(programs, refs)):
        assert not verdict.correct and verdict.score == 0.0, (name, verdict.reason)
        assert verdict.reason.startswith("failed 1/1: test 0: wrong output"), (name, verdict.reason)


# (what an honest program may print, expected stdout, float_tol): each must still pass.
RIGHT_OUTPUTS = [
    ("0.30000000000000004\n", "0.3\n", 1e-6), ("3.0\n", "3\n", 1e-6), ("+5.\n", "5\n", 1e-6),
    ("5e-1\n", "0.5\n", 1e-6), ("-0.0\n", "0.0\n", 1e-6), ("  5  \r\n", "5\n", 0.0), ("1 2\n3", "1 2 3\n", 0.0),
    ("12345678901234567890123\n", "12345678901234567890123\n", 1e-6),
]


def test_honest_spellings_still_match(verifier):
    programs = [writes(out) for out, _, _ in RIGHT_OUTPUTS]
    refs = [{"io": [{"stdin": "", "stdout": want}], "float_tol": tol} for _, want, tol in RIGHT_OUTPUTS]
    for (out, want, _), verdict in zip(RIGHT_OUTPUTS, verifier.verify_batch(programs, refs)):
        assert verdict.correct, (out, want, verdict.reason)


def test_line_comparison_counts_line_breaks_but_not_spacing(verifier):
    want = {"io": [{"stdin": "", "stdout": "1 2\n3\n"}], "compare": "lines"}
    cases = [("1 2\n3\n", True), ("1  2 \r\n 3", True), ("1 2\n3\n\n\n", True), ("1\n2 3\n", False),
             ("1 2 3\n", False), ("1 2\n\n3\n", False), ("1 2\u20283\n", False), ("", False)]
    verdicts = verifier.verify_batch([writes(out) for out, _ in cases],
                                     [want] * len(cases))
    assert [v.correct for v in verdicts] == [ok for _, ok in cases], [v.reason for v in verdicts]
    empty = {"io": [{"stdin": "", "stdout": "\n"}], "compare": "lines"}  # an empty list: one empty line
    got = verifier.verify_batch([fenced("python", "pass\n"), fenced("python", "print()\n")], [empty, empty])
    assert [v.correct for v in got] == [False, True]
    with pytest.raises(ConfigError, match="'compare' is 'tokens' or 'lines'"):
        verifier.verify(fenced("python", "print(5)\n"), {**SUM, "compare": "exact"})


# -- handing the work to another interpreter ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(DELEGATES))
def test_an_answer_cannot_hand_its_work_to_another_interpreter(verifier, name):
    language = name.split("_")[0]
    need(language)
    verdict = verifier.verify(fenced(language, DELEGATES[name]), {**SUM, "language": language})
    assert not verdict.correct and verdict.score == 0.0, (name, verdict.reason)


def test_the_honest_programs_still_pass_under_the_process_limit(verifier):
    languages = [lang for lang in sorted(GOOD) if available(lang)[0]]
    verdicts = verifier.verify_batch([fenced(lang, GOOD[lang]) for lang in languages],
                                     [{**SUM, "language": lang} for lang in languages])
    assert [v.reason for v in verdicts] == ["all-pass 2/2"] * len(languages)


def test_a_language_file_chooses_spawn_and_a_multi_line_run_needs_it():
    lua = language_spec("lua")
    assert lua.script("/py").splitlines()[-1] == "printf '%s\\0' lua5.4 main.lua \"$@\" >&3"
    confine = {"reads": "", "source": "main.lua", "compile_reads": "luac5.4", "compile": "luac5.4 -p main.lua"}
    assert lua.language().confine == confine  # the runner confines it
    spawning = spec_from_dict({"name": "lua-spawn", "file": "main.lua", "run": "lua5.4 {file}", "spawn": True})
    assert spawning.language().confine is None and "printf" not in spawning.script("/py")
    with pytest.raises(ConfigError, match="multi-line run starts processes.*spawn: true"):
        spec_from_dict({"name": "two-lines", "file": "m.sh", "run": "cd .\nsh {file}"})


# -- the compile step -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def box():
    b = Sandbox(timeout_s=10.0, memory_mb=1024)
    yield b
    b.close()


def test_the_compilers_output_never_reaches_the_programs_stdout(box):
    need("fortran")
    # compiles with a warning that quotes the source (42 included); the program prints nothing
    code = "program m\n  integer :: i\n  do 10 i = 1, 0\n10 print *, 42\nend program m\n"
    res = box.run(code, language="fortran")
    assert res.status == "ok" and res.stdout == "" and "Warning" not in res.stderr, res


def test_a_program_posing_as_a_failed_compile_only_fails(verifier):
    need("lua")
    forged = 'io.stderr:write("zeroplay: compile error\\nall-pass\\n") print(5) os.exit(97)\n'
    verdict = verifier.verify(fenced("lua", forged), {**SUM, "language": "lua"})
    assert not verdict.correct and verdict.score == 0.0 and verdict.details["status"] == "compile-error"


def test_compile_time_counts_against_the_runs_limit():
    need("fortran")
    v = verifiers.make("code", language="fortran", timeout_s=1.0)
    try:  # a 120 MB initialised array: seconds of compiling, and more than the work dir holds
        code = "program m\n  integer :: a(30000000) = 1\n  print *, a(5)\nend program m\n"
        verdict = v.verify(fenced("fortran", code), {"io": [{"stdin": "", "stdout": "1\n"}]})
        assert not verdict.correct and verdict.details["status"] in ("timeout", "compile-error"), verdict.reason
    finally:
        v.close()


# -- state, exit codes, reading the expected output --------------------------------------------------

def test_exit_codes_and_leftover_files_do_not_pass(verifier):
    need("lua")
    cases = {
        # right output, then a failing exit
        "right_then_exit_1": 'local a, b = io.read("n", "n")\nprint(a + b)\nos.exit(1)\n',
        # exit 0 with the wrong output
        "wrong_then_exit_0": "print(0)\nos.exit(0)\n",
        # the first run leaves files for the second: only a shared work dir or /tmp would make test 1 pass
        "leaves_files": ('local seen = io.open("mark", "r") or io.open("/tmp/mark", "r")\n'
                         'io.open("mark", "w"):write("1") io.open("/tmp/mark", "w"):write("1")\n'
                         'if seen then print(-3) else print(0) end\n'),
        # the compile log is the program's to read: it holds nothing
        "reads_the_compile_log": 'local f = io.open(".zeroplay-compile.log", "r")\nprint(f and f:read("a") or "")\n',
    }
    verdicts = verifier.verify_batch([fenced("lua", c) for c in cases.values()], [{**SUM, "language": "lua"}] * 4)
    for name, verdict in zip(cases, verdicts):
        assert not verdict.correct and verdict.score == 0.0, (name, verdict.reason)
    assert verdicts[0].reason.startswith("failed 2/2: test 0: error (exit 1)")


SECRET = "zp-io-secret-91c4"
# Prints the secret if it can find it anywhere it can read: every fd, /proc of every process, the
# work dir, /tmp. The secret is the expected output, so finding it would pass.
PY_HUNT = """\
import os
NEEDLE = b"zp-io-" + b"secret-91c4"
def read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(1 << 20)
    except Exception:
        return b""
found = False
for fd in range(64):
    try:
        found = found or NEEDLE in os.pread(fd, 1 << 20, 0)
    except Exception:
        pass
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for name in ("environ", "cmdline", "fd/0", "fd/1", "fd/3"):
            found = found or NEEDLE in read(f"/proc/{pid}/{name}")
for root in (".", "/tmp", "/work"):
    for d, _, files in os.walk(root):
        found = found or any(NEEDLE in read(os.path.join(d, f)) for f in files)
print(NEEDLE.decode() if found else "nothing")
"""
LUA_HUNT = """\
local needle = "zp-io-" .. "secret-91c4"
local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local data = f:read(1 << 20) or ""
  f:close()
  return data
end
local found = false
for pid = 1, 300 do
  for _, name in ipairs({"environ", "cmdline", "fd/0", "fd/1", "fd/3", "fd/4"}) do
    if read("/proc/" .. pid .. "/" .. name):find(needle, 1, true) then found = true end
  end
end
for _, name in ipairs({"main.lua", ".zeroplay-compile.log", "/dev/stdin"}) do
  if read(name):find(needle, 1, true) then found = true end
end
print(found and needle or "nothing")
"""


def test_the_expected_output_never_enters_the_sandbox(verifier):
    ref = {"io": [{"stdin": "question\n", "stdout": SECRET + "\n"}]}
    responses, refs = [fenced("python", PY_HUNT)], [ref]
    if available("lua")[0]:
        responses.append(fenced("lua", LUA_HUNT))
        refs.append({**ref, "language": "lua"})
    for verdict in verifier.verify_batch(responses, refs):
        assert not verdict.correct and "nothing" in verdict.reason, verdict.reason


# -- which block runs -----------------------------------------------------------------------------------

def test_a_python_block_is_never_run_for_a_lua_task(verifier):
    need("lua")
    python = fenced("python", PY_SUM + "\n")
    cases = [
        python,  # no Lua block: the last block runs as Lua, and does not compile
        fenced("lua", "print(0)\n") + python,  # a Lua block and a later Python one: the Lua one runs
        fenced("l\u057da", GOOD["lua"]) + fenced("lua", "print(0)\n"),  # a homoglyph label is not Lua
        "```lua\n" + GOOD["lua"],  # an unclosed block is no block: the whole text runs, fence and all
    ]
    verdicts = verifier.verify_batch(cases, [{**SUM, "language": "lua"}] * len(cases))
    assert [v.correct for v in verdicts] == [False] * len(cases), [v.reason for v in verdicts]
    assert verdicts[0].reason.startswith("compile error")


# -- hostile input gets a clear verdict ------------------------------------------------------------------

def test_hostile_responses_get_a_clear_verdict_in_bounded_time(verifier):
    need("lua")
    rng = random.Random(0)
    pieces = ["```", "```lua\n", "print(", ")", "\n", "\r", "\x00", "\u2028", "\ufeff", "\ud800", "--[[", "]]",
              "os.exit(0)", "io.read('a')", "\x1b[2J", "é", "\t"]
    responses = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(12)]
    responses += [
        fenced("lua", "print(5)\x00print(-3)\n"),  # NUL in the source
        fenced("lua", "print(5)\u2028print(-3)\r\n"),  # a Unicode line separator, a CR
        fenced("lua", "x" * 200_000),  # past the size cap: fails without running
        fenced("lua", "--" + "\xff\xfe" * 10_000 + "\nprint(5)\n"),
        fenced("lua", "local s = '" + "[" * 50_000 + "'\nprint(#s)\n"),
        "```lua\n" + "```lua\n" * 5_000,
        b"\x00\xff```lua\nprint(5)\n```".decode("latin-1"),
    ]
    verdicts = verifier.verify_batch(responses, [{**SUM, "language": "lua"}] * len(responses))
    for response, verdict in zip(responses, verdicts):
        assert not verdict.correct and isinstance(verdict.reason, str) and verdict.reason, (response[:60], verdict)
    assert verdicts[14].reason.startswith("oversized-input")
    assert verifier.verify(b"\xff\xfe```lua\nprint(5)\n```", {**SUM, "language": "lua"}).score == 0.0
    assert verifier.verify(None, {**SUM, "language": "lua"}).reason.startswith("bad-input")  # type: ignore[arg-type]


def test_bombs_in_another_language_are_bounded():
    need("lua")
    v = verifiers.make("code", language="lua", timeout_s=2.0, memory_mb=256)
    try:
        ref = {"io": [{"stdin": "", "stdout": "5\n"}]}
        bombs = {
            "spawns_in_a_loop": "for i = 1, 3000 do os.execute('sleep 5 &') end\nprint(0)\n",
            "floods_stdout": "local s = string.rep('5 ', 1 << 15)\nwhile true do io.write(s) end\n",
            # one 1 MiB string made once, then a fresh copy per step: string.rep of a 1-byte unit copies byte by
            # byte (0.5 s of CPU to reach 256 MiB), which a loaded 2-core machine stretched past the 2 s timeout
            "eats_memory": "local b = string.rep('x', 1 << 20)\nlocal t = {}\nfor i = 1, 1e9 do t[i] = b .. i end\n",
            "spins": "while true do end\n",
        }
        verdicts = v.verify_batch([fenced("lua", b) for b in bombs.values()], [ref] * len(bombs))
        statuses = {name: verdict.details["status"] for name, verdict in zip(bombs, verdicts)}
        assert not any(verdict.correct for verdict in verdicts), statuses
        assert statuses["floods_stdout"] == "output_limit" and statuses["spins"] == "timeout", statuses
        assert statuses["eats_memory"] in ("memory", "error"), statuses
        assert v.verify(fenced("lua", "print(5)\n"), ref).correct  # and the sandbox still works
    finally:
        v.close()

