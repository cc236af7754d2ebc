"""The public API on every backend: statuses, stdin/files/argv, ordering of run_many, async forms."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from zeroplay import sandbox
from zeroplay.core.errors import ConfigError, UnknownIdError


def test_ok_with_stdin_files_argv(box):
    code = "import sys\nprint(input()[::-1], open('data/x.txt').read(), open('b.bin','rb').read(), sys.argv[1:])"
    res = box.run(code, stdin="abc\n", files={"data/x.txt": "hello", "b.bin": b"\x00\x01"}, argv=["-v", "7"])
    assert res.status == "ok", res
    assert res.exit_code == 0
    assert res.stdout == "cba hello b'\\x00\\x01' ['-v', '7']\n"
    assert res.wall_s > 0


def test_error_exit_code_and_traceback(box):
    res = box.run("def f():\n    raise ValueError('boom')\nf()")
    assert res.status == "error" and res.exit_code == 1
    assert "ValueError: boom" in res.stderr and "main.py" in res.stderr
    assert box.run("import sys; sys.exit(3)").exit_code == 3
    assert box.run("import sys; sys.exit('bye')").stderr.startswith("bye")
    assert box.run("raise SystemExit").status == "ok"


def test_syntax_error_is_error(box):
    res = box.run("def (:")
    assert res.status == "error" and "SyntaxError" in res.stderr


def test_timeout(box):
    res = box.run("while True: pass")
    assert res.status == "timeout" and res.exit_code is None
    assert res.wall_s < box.limits.timeout_s + 3


def test_memory(box):
    res = box.run("x = bytearray(1 << 30)\nprint('survived')")
    assert res.status == "memory", res
    assert "survived" not in res.stdout


def test_output_limit(box):
    res = box.run("import sys\nwhile True: sys.stdout.write('x' * 4096)")
    assert res.status == "output_limit"
    assert len(res.stdout) + len(res.stderr.split("\n[sandbox]")[0]) <= box.limits.max_output_bytes


def test_unicode_and_binary_output(box):
    res = box.run("import sys\nprint('héllo ✓')\nsys.stdout.flush()\nsys.stdout.buffer.write(b'\\xff\\n')")
    assert res.status == "ok"
    assert res.stdout.startswith("héllo ✓\n") and "\ufffd" in res.stdout


def test_run_many_keeps_order(box):
    programs = [f"print({i} * {i})" for i in range(12)] + [sandbox.Program("import sys; sys.exit(5)")]
    results = box.run_many(programs, concurrency=4)
    assert [r.stdout for r in results[:12]] == [f"{i * i}\n" for i in range(12)]
    assert results[12].status == "error" and results[12].exit_code == 5


def test_async_forms(box):
    async def go():
        one = await box.arun("print(input())", stdin="hi")
        many = await box.arun_many(["print(1)", "print(2)", "raise SystemExit(1)"])
        return one, many

    one, many = asyncio.run(go())
    assert one.stdout == "hi\n"
    assert [r.status for r in many] == ["ok", "ok", "error"]


def test_fresh_state_between_runs(box):
    box.run("open('left.txt', 'w').write('secret'); import json; json.MARK = 1")
    res = box.run("import os, json; print(os.listdir('.'), hasattr(json, 'MARK'))")
    assert res.stdout == "['main.py'] False\n"


def test_describe_backends_says_process_is_weaker_and_what_auto_picks():
    rows = dict(sandbox.describe_backends())
    assert "WEAKER" in rows["process"]
    assert "picks" in rows["auto"] and sandbox.auto_backend()[0] in rows["auto"]
    assert set(rows) == {"auto", "pool", "namespace", "process", "docker"}


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(UnknownIdError, match="Did you mean"):
        sandbox.Sandbox(backend="namespce")
    with pytest.raises(ConfigError, match="timeout_s"):
        sandbox.Sandbox(timeout_s=0)
    with pytest.raises(ConfigError, match="network"):
        sandbox.Sandbox(network=True)
    with pytest.raises(ConfigError, match="relative"):
        sandbox.Sandbox(backend="process").run("print(1)", files={"../x": "y"})


def test_auto_picks_pool_here_without_warning():
    if "pool" not in sandbox.available_backends():
        pytest.skip("namespaces unavailable here")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with sandbox.Sandbox() as box:
            assert box.backend == "pool"
