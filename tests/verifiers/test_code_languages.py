"""The code verifier's I/O mode in other languages: one reference for every language, wrong
programs, compile errors as verdicts, timeouts. A language whose toolchain is not installed skips
with the command that installs it (``./setup.sh --dev`` installs Lua; ``--languages`` the rest)."""

from __future__ import annotations

import random

import pytest

from zeroplay import verifiers
from zeroplay.core.errors import ConfigError
from zeroplay.verifiers.code import extract_code

from .conftest import need

SUM = {"io": [{"stdin": "2 3\n", "stdout": "5\n"}, {"stdin": "-7 4\n", "stdout": "-3\n"},
              {"stdin": "1000000000 1000000000\n", "stdout": "2000000000\n"}]}

SOLUTIONS = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "lua": 'local a, b = io.read("n", "n")\nprint(a + b)\n',
    "ocaml": 'let () = Scanf.scanf " %d %d" (fun a b -> Printf.printf "%d\\n" (a + b))\n',
    "fortran": ("program main\n  implicit none\n  integer(kind=8) :: a, b\n  read(*, *) a, b\n"
                "  print '(I0)', a + b\nend program main\n"),
    "r": 'x <- scan(file("stdin"), what = numeric(), quiet = TRUE)\ncat(format(sum(x), scientific = FALSE), "\\n")\n',
}
COMPILE_ERRORS = {
    "lua": ('local a = io.read("n"\nprint(a)\n', "')' expected"),
    "ocaml": ("let () = print_int (1 +. 2)\n", "Error: This expression has type int"),
    "fortran": ("program main\n  print *, undefined_thing(\nend program main\n", "Error"),
}


def fenced(language: str, code: str) -> str:
    return f"Here is my program.\n```{language}\n{code}```\n"


def test_one_io_reference_serves_python_and_lua(verifier):
    need("lua")
    for language in ("python", "lua"):
        verdict = verifier.verify(fenced(language, SOLUTIONS[language]), {**SUM, "language": language})
        assert verdict.correct and verdict.reason == "all-pass 3/3", (language, verdict)


def test_the_verifiers_own_language_applies_when_the_reference_names_none():
    need("lua")
    v = verifiers.make("code", language="lua", timeout_s=5.0)
    try:
        assert v.verify(fenced("lua", SOLUTIONS["lua"]), SUM).correct
        assert not v.verify(fenced("python", SOLUTIONS["python"]), SUM).correct  # Python text run as Lua
    finally:
        v.close()


def test_a_wrong_lua_program_fails(verifier):
    need("lua")
    wrong = 'local a, b = io.read("n", "n")\nprint(a - b)\n'
    verdict = verifier.verify(fenced("lua", wrong), {**SUM, "language": "lua"})
    assert not verdict.correct and verdict.score == 0.0
    assert verdict.reason == "failed 3/3: test 0: wrong output: '-1\\n'"
    crash = verifier.verify(fenced("lua", 'error("boom")\n'), {**SUM, "language": "lua"})
    assert not crash.correct and "error (exit 1)" in crash.reason and "boom" in crash.reason


def test_fraction_scoring_counts_passed_pairs():
    need("lua")
    v = verifiers.make("code", language="lua", score="fraction", timeout_s=5.0)
    try:  # right for positive a only: passes 2 of the 3 pairs
        half = 'local a, b = io.read("n", "n")\nif a > 0 then print(a + b) else print(0) end\n'
        verdict = v.verify(fenced("lua", half), SUM)
        assert verdict.score == pytest.approx(2 / 3) and not verdict.correct
    finally:
        v.close()


@pytest.mark.parametrize("language", sorted(COMPILE_ERRORS))
def test_a_compile_error_is_a_clear_verdict(verifier, language):
    need(language)
    code, message = COMPILE_ERRORS[language]
    verdict = verifier.verify(fenced(language, code), {**SUM, "language": language})
    assert not verdict.correct and verdict.score == 0.0
    assert verdict.reason.startswith("compile error: ") and message in verdict.reason, verdict.reason
    assert verdict.details["status"] == "compile-error"
    assert [t["error"] for t in verdict.details["tests"]] == [verdict.reason] * 3


def test_a_lua_program_past_its_limit_is_a_timeout():
    need("lua")
    v = verifiers.make("code", language="lua", timeout_s=1.0)
    try:
        verdict = v.verify(fenced("lua", "while true do end\n"), {"io": [{"stdin": "", "stdout": "x"}]})
        assert not verdict.correct and verdict.reason.startswith("failed 1/1: test 0: timeout")
        assert verdict.details["status"] == "timeout"
    finally:
        v.close()


@pytest.mark.parametrize("language", ["ocaml", "fortran"])
def test_compiled_languages_pass_the_same_reference(verifier, language):
    need(language)
    verdict = verifier.verify(fenced(language, SOLUTIONS[language]), {**SUM, "language": language})
    assert verdict.correct, verdict


@pytest.mark.parametrize("backend", ["process", "auto"])
def test_r_passes_in_every_backend(backend):
    """Debian's R runs /usr/bin/which, a link through /etc/alternatives, which the sandbox shows read-only."""
    need("r")
    v = verifiers.make("code", language="r", backend=backend)
    try:
        verdict = v.verify(fenced("r", SOLUTIONS["r"]), SUM)
        assert verdict.correct, verdict
    finally:
        v.close()


def test_limits_come_from_the_language_file_unless_given():
    v = verifiers.make("code")
    assert v.limits_for("python") == (5.0, 512)
    assert v.limits_for("ocaml") == (15.0, 1024)
    assert verifiers.make("code", timeout_s=2.0).limits_for("ocaml") == (2.0, 1024)
    assert verifiers.make("code", timeout_s=2.0, memory_mb=300).limits_for("lua") == (2.0, 300)


def test_bad_references_are_config_errors(verifier):
    with pytest.raises(ConfigError, match="Unknown code language 'cobol'"):
        verifier.verify("x", {**SUM, "language": "cobol"})
    with pytest.raises(ConfigError, match="language name"):
        verifier.verify("x", {**SUM, "language": 3})
    with pytest.raises(ConfigError, match="run Python only.*to_io"):
        verifier.verify("x", {"tests": "assert f(1) == 1", "language": "lua"})
    with pytest.raises(ConfigError, match="float_tol"):
        verifier.verify("x", {**SUM, "float_tol": "big"})


def test_a_references_float_tol_is_used():
    need("lua")
    v = verifiers.make("code", language="lua", timeout_s=5.0)
    try:
        ref = {"io": [{"stdin": "", "stdout": "0.3\n"}]}
        code = fenced("lua", 'print(string.format("%.17g", 0.1 + 0.2))\n')
        assert not v.verify(code, ref).correct
        assert v.verify(code, {**ref, "float_tol": 1e-9}).correct
    finally:
        v.close()


def test_extraction_prefers_the_languages_own_block():
    text = "```python\nprint(1)\n```\nNow in Lua:\n```lua\nprint(2)\n```\n```\nplain\n```"
    assert extract_code(text, "lua") == "print(2)\n"
    assert extract_code(text, "python") == "print(1)\n"
    assert extract_code("```ml\nlet x = 1\n```", "ocaml") == "let x = 1\n"
    assert extract_code("```\nno label\n```", "fortran") == "no label\n"
    assert extract_code("no fences at all", "lua") == "no fences at all"
    assert extract_code("```lua\nunclosed", "lua") == "```lua\nunclosed"


def test_extraction_survives_hostile_text():
    rng = random.Random(0)
    alphabet = ["```", "```lua", "```LUA\n", "\n", "lua", "x", " ", "\0", "\ud800", "`", "``"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        for language in ("lua", "ocaml", "python"):
            out = extract_code(text, language)
            assert isinstance(out, str) and len(out) <= len(text)
    big = "```lua\n" + "x" * 2_000_000 + "\n```"
    assert len(extract_code(big, "lua")) == 2_000_001
