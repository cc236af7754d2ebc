"""zeroplay/CodeIO-v0: I/O problems in a chosen language, the shipped problem set, converted rows."""

from __future__ import annotations

import json

import pytest

import zeroplay as zp
from zeroplay import sandbox
from zeroplay.core.errors import ConfigError
from zeroplay.envs.code.anylang import DEFAULT_PROBLEMS, load_problems
from zeroplay.sandbox.language_files import available

LUA_SUM = "```lua\nlocal a, b = io.read(\"n\", \"n\")\nprint(a + b)\n```"


def needs_lua():
    ok, why = available("lua")
    if not ok:
        pytest.skip(why)


def reset_to(env, problem: str):
    task = next(t for t in env.unwrapped.source.tasks if t.meta["problem"] == problem)
    return env.reset(seed=0, options={"task": task})


def test_shipped_problems_load_in_every_shipped_language():
    rows = [json.loads(line) for line in DEFAULT_PROBLEMS.read_text().splitlines()]
    assert len(rows) == 24 and len({r["id"] for r in rows}) == 24
    assert all(3 <= len(r.get("io") or r.get("calls")) <= 5 for r in rows)
    for language in ("python", "lua", "ocaml", "fortran", "r"):
        tasks = load_problems(DEFAULT_PROBLEMS, language)
        assert len(tasks) == 24 and all(t.reference["language"] == language for t in tasks)
    converted = [t for t in load_problems(DEFAULT_PROBLEMS, "lua") if "Input and output:" in t.prompt]
    assert len(converted) == 4 and all("io" in t.reference for t in converted)


def test_prompt_names_the_language_and_its_fence():
    needs_lua()
    env = zp.make("zeroplay/CodeIO-v0", language="lua")
    obs, info = reset_to(env, "sum-two")
    assert obs.startswith("Solve the following problem in Lua 5.4.") and "```lua ... ```" in obs
    assert "Read two integers a and b" in obs and info["task"].reference["language"] == "lua"


def test_a_lua_answer_is_scored_by_running_it():
    needs_lua()
    env = zp.make("zeroplay/CodeIO-v0", language="lua")
    reset_to(env, "sum-two")
    _, reward, terminated, _, info = env.step("My answer:\n" + LUA_SUM)
    assert (reward, terminated, info["verdict"].reason) == (1.0, True, "all-pass 4/4")
    reset_to(env, "sum-two")
    _, reward, _, _, info = env.step("```python\nimport sys\nprint(sum(map(int, sys.stdin.read().split())))\n```")
    assert reward == 0.0 and info["verdict"].reason.startswith("compile error")
    env.close()


def test_a_converted_problem_is_solved_in_lua():
    needs_lua()
    env = zp.make("zeroplay/CodeIO-v0", language="lua", score="fraction")
    obs, _ = reset_to(env, "count-greater")
    assert "its length, then its items" in obs
    lua = ('local n = io.read("n")\nlocal xs = {}\nfor i = 1, n do xs[i] = io.read("n") end\n'
           'local k = io.read("n")\nlocal c = 0\nfor _, x in ipairs(xs) do if x > k then c = c + 1 end end\nprint(c)\n')
    _, reward, _, _, info = env.step(f"```lua\n{lua}```")
    assert reward == 1.0, info["verdict"]


def test_unknown_languages_missing_toolchains_and_bad_rows_are_clear_errors(tmp_path):
    with pytest.raises(Exception, match="cobol"):
        zp.make("zeroplay/CodeIO-v0", language="cobol")
    ghost = tmp_path / "ghost.yaml"
    ghost.write_text("name: ghost2\nfile: g\nrun: ghost2 {file}\nrequires: [ghost2-missing]\ndebian: [ghost2]\n")
    sandbox.load_languages(str(ghost))
    with pytest.raises(Exception, match=r"apt-get install ghost2; known"):  # a user's language: no setup.sh
        zp.make("zeroplay/CodeIO-v0", language="ghost2")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "statement": "s", "io": [{"stdin": "1", "stdout": "1"}]}\n'
                   '{"id": "b", "statement": "s", "tests": "assert abs(f(1) - 1) < 1e-9", "entry_point": "f"}\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:2: .*I/O form"):
        load_problems(bad, "python")
    bad.write_text('{"id": "a", "io": [{"stdin": "1", "stdout": "1"}]}\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:1: a problem needs a non-empty 'statement'"):
        load_problems(bad, "python")
    bad.write_text('{"id": "a", "statement": "s", "io": [{"stdin": 1, "stdout": "1"}]}\n')
    with pytest.raises(ConfigError, match=r"'io' must be a non-empty list"):
        load_problems(bad, "python")
