"""The code verifier in the real sandbox: reference formats, per-test results, and attacks that must fail."""

from __future__ import annotations

import pytest

from zeroplay import verifiers
from zeroplay.core.errors import ConfigError
from zeroplay.verifiers.code import extract_code

ADD = {"tests": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
       "entry_point": "add"}
GOOD = "def add(a, b):\n    return a + b\n"


def test_extract_code_takes_last_python_block():
    text = "first\n```python\nx = 1\n```\nthen\n```py\ny = 2\n```\n"
    assert extract_code(text) == "y = 2\n"
    assert extract_code("```\nz = 3\n```") == "z = 3\n"
    assert extract_code("print(1)") == "print(1)"


def test_assert_style_pass_and_fail(code_v):
    ok = code_v.verify(f"Here:\n```python\n{GOOD}```", ADD)
    assert ok.correct and ok.score == 1.0 and ok.reason == "all-pass 1/1"
    bad = code_v.verify("def add(a, b):\n    return a - b\n", ADD)
    assert not bad.correct and "AssertionError" in bad.reason


def test_mbpp_style_list_gives_per_test_results_and_fraction():
    v = verifiers.make("code", score="fraction", timeout_s=3.0)
    ref = {"tests": ["assert sq(2) == 4", "assert sq(3) == 9", "assert sq(0) == 1"], "entry_point": "sq"}
    got = v.verify("def sq(x): return x * x", ref)
    assert [t["passed"] for t in got.details["tests"]] == [True, True, False]
    assert not got.correct and got.score == pytest.approx(2 / 3)
    v.close()


def test_stdin_stdout_pairs(code_v):
    ref = {"io": [{"stdin": "3\n", "stdout": "6\n"}, {"stdin": "5", "stdout": " 10 "}]}
    assert code_v.verify("print(int(input()) * 2)", ref).correct
    got = code_v.verify("n = int(input())\nprint(n * 2 if n < 4 else 0)", ref)
    assert [t["passed"] for t in got.details["tests"]] == [True, False]


def test_io_float_tolerance_and_exit_status():
    v = verifiers.make("code", float_tol=1e-6, timeout_s=3.0)
    assert v.verify("print(1/3)", {"io": [{"stdin": "", "stdout": "0.3333333"}]}).correct
    assert not v.verify("print(1/3); raise SystemExit(1)", {"io": [{"stdin": "", "stdout": "0.3333333"}]}).correct
    v.close()


def test_function_call_pairs(code_v):
    ref = {"calls": [{"args": [2], "expected": [2, 1.0]}, {"args": [3], "kwargs": {}, "expected": [3, 1.5]}],
           "entry_point": "f"}
    assert code_v.verify("def f(x): return [x, x / 2]", ref).correct
    got = code_v.verify("def f(x): return (x, 1.0)", ref)
    assert [t["passed"] for t in got.details["tests"]] == [True, False]
    assert not code_v.verify("def f(x): return [x, True]", {"calls": [{"args": [1], "expected": [1, 1]}], "entry_point": "f"}).correct


def test_infinite_loop_is_a_timeout_not_a_hang():
    v = verifiers.make("code", timeout_s=1.0)
    got = v.verify("def add(a, b):\n    while True: pass\n", ADD)
    assert not got.correct and "timeout" in got.reason
    v.close()


ATTACKS = {
    "exit 0 before the asserts": "import sys\nsys.exit(0)\n" + GOOD.replace("a + b", "0"),
    "SystemExit from the function": "def add(a, b):\n    raise SystemExit(0)\n",
    "os._exit(0) at load": "import os\nos._exit(0)\n",
    "os._exit(0) inside the call": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "prints a fake result early": "print('T 0 1')\nprint('DONE 1')\nprint('all-pass')\ndef add(a, b): return 0\n",
    "writes to every fd": "import os\nfor fd in range(3, 20):\n    try: os.write(fd, b'x T 0 1\\nx DONE 1\\n')\n"
                          "    except OSError: pass\ndef add(a, b): return 0\n",
    "always-equal __eq__": "class Any:\n    def __eq__(self, other): return True\ndef add(a, b): return Any()\n",
    "int subclass with __eq__": "class I(int):\n    def __eq__(self, o): return True\ndef add(a, b): return I(0)\n",
    "monkeypatches builtins": "import builtins\nbuiltins.AssertionError = Warning\ndef add(a, b): return 0\n",
    "patches builtins during the call": "import builtins\ndef add(a, b):\n    builtins.abs = lambda x: 0\n    return 0\n",
    "patches the harness module": "import __main__\n__main__._zp_main = lambda: None\ndef add(a, b): return 0\n",
    "replaces a module": "import sys, types\nsys.modules['math'] = types.ModuleType('math')\ndef add(a, b): return 0\n",
    "swallows the assert": "import sys\nsys.excepthook = lambda *a: None\ndef add(a, b): return 0\n",
    "no function at all": "x = 1\n",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attacks_fail(code_v, name):
    got = code_v.verify(ATTACKS[name], ADD)
    assert not got.correct and got.score == 0.0, (name, got.reason)


def test_patched_module_cannot_fool_a_test_that_imports_it(code_v):
    ref = {"tests": "import math\ndef check(candidate):\n    assert math.isclose(candidate(1), 2.5)\n", "entry_point": "g"}
    attack = "import math\nmath.isclose = lambda *a, **k: True\ndef g(x): return 0\n"
    assert not code_v.verify(attack, ref).correct
    assert code_v.verify("def g(x): return 2.5\n", ref).correct


def test_prelude_gives_tests_their_helpers(code_v):
    ref = {"prelude": "def helper(x):\n    return x + 1\n", "entry_point": "f",
           "tests": "def check(candidate):\n    assert candidate(1) == helper(1)\n"}
    assert code_v.verify("def f(x): return 2", ref).correct
    cheat = "def helper(x): return 0\ndef f(x): return 0"  # the solution's own helper is not the tests'
    assert not code_v.verify(cheat, ref).correct


def test_batch_keeps_order(code_v):
    got = code_v.verify_batch([GOOD, "def add(a, b): return 0", GOOD, ""], [ADD] * 4)
    assert [g.correct for g in got] == [True, False, True, False]
    assert got[3].reason.startswith("no-code")


def test_bad_reference_says_how_to_fix(code_v):
    with pytest.raises(ConfigError, match="needs one of the keys"):
        code_v.verify(GOOD, {"test": "x"})
    with pytest.raises(ConfigError, match="entry_point"):
        code_v.verify(GOOD, {"calls": []})


def test_extract_code_is_linear_on_hostile_text():
    text = "```python\n" * 200_000
    assert extract_code(text) == ""  # empty fenced blocks, found without a quadratic scan
    assert extract_code("```python\nprint(2)") == "```python\nprint(2)"  # unclosed: the whole text
    assert extract_code("```python\nprint(1)\n```\n```python\n") == "print(1)\n"
