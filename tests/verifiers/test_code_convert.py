"""The converter from Python `calls`/`tests` references to I/O form: hand-made cases, what it
refuses, hostile references, and converted tasks solved in Python and Lua through the verifier."""

from __future__ import annotations

import random

import pytest

from zeroplay import verifiers
from zeroplay.sandbox.language_files import available
from zeroplay.verifiers.code.convert import FLOAT_TOL, encode_args, encode_result, to_io


def test_calls_with_scalars_and_lists():
    ref = {"entry_point": "f", "calls": [
        {"args": [[1, 2, 3], 2], "expected": [2, 3]},
        {"args": ["hello world", True], "expected": 11},
        {"args": [[], -4], "expected": []},
    ]}
    assert to_io(ref) == {"io": [
        {"stdin": "3\n1 2 3\n2\n", "stdout": "2 3\n"},
        {"stdin": "hello world\ntrue\n", "stdout": "11\n"},
        {"stdin": "0\n\n-4\n", "stdout": "\n"},
    ], "compare": "lines"}


def test_lists_of_lists_and_floats():
    ref = {"entry_point": "t", "calls": [{"args": [[[1, 2], [3]], 0.5], "expected": [[1.5, 2.5], [3.5]]}]}
    assert to_io(ref) == {"io": [{"stdin": "2\n2\n1 2\n1\n3\n0.5\n", "stdout": "1.5 2.5\n3.5\n"}],
                          "float_tol": FLOAT_TOL, "compare": "lines"}
    assert encode_result((True, False)) == "true false\n"
    assert encode_args([("a", "b")]) == "2\na b\n"


def test_humaneval_style_check_function():
    tests = '''
METADATA = {"author": "jt"}


def check(candidate):
    """Docstring."""
    assert candidate([1.0, 2.0, 3.9], 0.3) == True
    assert candidate([1.0, 2.8], 0.05) == False
    assert True, "filler"
    assert not candidate([5.0], 1.0)
    assert candidate([1.0, 1.05], 0.1)
'''
    assert to_io({"tests": tests, "entry_point": "close"}) == {"io": [
        {"stdin": "3\n1.0 2.0 3.9\n0.3\n", "stdout": "true\n"},
        {"stdin": "2\n1.0 2.8\n0.05\n", "stdout": "false\n"},
        {"stdin": "1\n5.0\n1.0\n", "stdout": "false\n"},
        {"stdin": "2\n1.0 1.05\n0.1\n", "stdout": "true\n"},
    ], "compare": "lines"}


def test_mbpp_style_assert_list_without_entry_point():
    tests = ["assert rev('abc') == 'cba'", "assert 'x' == rev('x')", "assert rev('') == ''"]
    assert to_io({"tests": tests}) == {"io": [
        {"stdin": "abc\n", "stdout": "cba\n"}, {"stdin": "x\n", "stdout": "x\n"}, {"stdin": "\n", "stdout": "\n"},
    ], "compare": "lines"}


@pytest.mark.parametrize("ref", [
    {"tests": ["assert f(1) == 1", "assert g(1) == 1"]},  # two functions, no entry point
    {"tests": "assert abs(f(1.0) - 2.0) < 1e-6", "entry_point": "f"},  # not `call == literal`
    {"tests": "assert f(x) == 1", "entry_point": "f"},  # an argument that is not a literal
    {"tests": "assert f(1) == None", "entry_point": "f"},  # None has no text form
    {"tests": "assert f({'a': 1}) == 1", "entry_point": "f"},  # dicts neither
    {"tests": "assert f('a\\nb') == 1", "entry_point": "f"},  # nor strings with line breaks
    {"tests": "assert f(['a b', 'c']) == 1", "entry_point": "f"},  # nor list items with spaces
    {"tests": "assert f([[1], 2]) == 1", "entry_point": "f"},  # nor ragged nesting
    {"tests": "assert f([[[1]]]) == 1", "entry_point": "f"},  # nor three levels
    {"tests": "assert f(k=1) == 1", "entry_point": "f"},  # keyword arguments
    {"tests": "assert f(*xs) == 1", "entry_point": "f"},
    {"tests": "for i in range(3):\n    assert f(i) == i", "entry_point": "f"},  # a loop
    {"tests": "assert g(1) == 1", "entry_point": "f"},  # not the function under test
    {"tests": "assert f(float('nan')) == 1", "entry_point": "f"},
    {"tests": "assert f(1) == float('inf')", "entry_point": "f"},
    {"tests": "def check(candidate):\n    pass\n", "entry_point": "f"},  # no tests at all
    {"tests": "assert f(1 +", "entry_point": "f"},  # does not parse
    {"tests": 42},
    {"calls": [{"args": [1], "kwargs": {"k": 2}, "expected": 1}], "entry_point": "f"},
    {"calls": [{"args": [1]}], "entry_point": "f"},  # no expected
    {"calls": "not a list", "entry_point": "f"},
    {"calls": [{"args": [None], "expected": 1}], "entry_point": "f"},
    {"calls": [], "entry_point": "f"},
    {"prompt": "no tests"},
    "not a dict",
])
def test_what_has_no_io_form_is_none(ref):
    assert to_io(ref) is None


def test_io_references_pass_through():
    ref = {"io": [{"stdin": "1\n", "stdout": "1\n"}], "language": "lua"}
    assert to_io(ref) == ref and to_io(ref) is not ref


def test_hostile_tests_never_raise():
    rng = random.Random(0)
    pieces = ["assert ", "f(", ")", " == ", "[", "]", "1", "'a'", ",", "\n", "not ", "candidate", "def check(c):\n ",
              "(" * 50, "1e999", "\0", "\ud800", "lambda: 0", "__import__('os')"]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        out = to_io({"tests": text, "entry_point": "f"})
        assert out is None or isinstance(out["io"], list)
    deep = "assert f(" + "[" * 5000 + "]" * 5000 + ") == 1"
    assert to_io({"tests": deep, "entry_point": "f"}) is None


PYTHON_READER = '''
n = int(input())
xs = list(map(int, input().split())) if n else (input(), [])[1]
k = int(input())
print(sum(x > k for x in xs))
'''
LUA_READER = '''
local n = io.read("n")
local xs = {}
for i = 1, n do xs[i] = io.read("n") end
local k = io.read("n")
local c = 0
for _, x in ipairs(xs) do if x > k then c = c + 1 end end
print(c)
'''


def test_one_converted_task_serves_python_and_lua():
    calls = [{"args": [[1, 5, 9], 4], "expected": 2}, {"args": [[], 0], "expected": 0},
             {"args": [[3, 3, 3], 3], "expected": 0}, {"args": [[-1, 0, 1], -2], "expected": 3}]
    ref = to_io({"calls": calls, "entry_point": "count_greater"})
    v = verifiers.make("code", timeout_s=5.0)
    try:
        assert v.verify(f"```python\n{PYTHON_READER}```", ref).correct
        if available("lua")[0]:
            assert v.verify(f"```lua\n{LUA_READER}```", {**ref, "language": "lua"}).correct
    finally:
        v.close()


# -- a converted reference accepts no solution the original rejects ----------------------------------

# (expected result, a wrong result, what a program returning the wrong result prints)
WEAKER_BEFORE = [
    ([[1, 2], [3]], [[1], [2, 3]], "1\n2 3\n"),  # rows regrouped: the same tokens
    ([1, 2], [[1], [2]], "1\n2\n"),  # a list printed as rows
    ([], None, ""),  # an empty list is one empty line, not no output
    ([[], []], [[]], "\n"),  # two empty rows are not one
    ([[1], []], [[1]], "1\n"),  # a last empty row counts
]


@pytest.mark.parametrize("expected, wrong, printed", WEAKER_BEFORE)
def test_a_converted_reference_rejects_what_the_original_rejects(expected, wrong, printed):
    calls = {"entry_point": "f", "calls": [{"args": [1], "expected": expected}]}
    v = verifiers.make("code", timeout_s=5.0)
    try:
        original = v.verify(f"```python\ndef f(x):\n    return {wrong!r}\n```", calls)
        converted = v.verify(f"```python\nimport sys\nsys.stdout.write({printed!r})\n```", to_io(calls))
        right = v.verify(f"```python\nimport sys\nsys.stdout.write({encode_result(expected)!r})\n```", to_io(calls))
    finally:
        v.close()
    assert not original.correct and not converted.correct, converted.reason
    assert right.correct, right.reason


@pytest.mark.parametrize("result", ["  a", "a ", "a  b", "a\tb", "a\u00a0b", "a\u2028b", "a\x0bb"])
def test_result_strings_whose_spacing_output_cannot_show_have_no_io_form(result):
    # a function that pads or spaces text would pass with any spacing: no I/O form rather than a weaker one
    assert to_io({"entry_point": "pad", "calls": [{"args": ["a"], "expected": result}]}) is None
    assert to_io({"entry_point": "pad", "calls": [{"args": [result.replace("\u2028", "")], "expected": "a b"}]})


def test_ints_too_long_to_print_have_no_io_form():
    assert to_io({"entry_point": "f", "calls": [{"args": [10 ** 5000], "expected": 1}]}) is None
    assert to_io({"entry_point": "f", "calls": [{"args": [1], "expected": [1, 10 ** 5000]}]}) is None
    long_ok = to_io({"entry_point": "f", "calls": [{"args": [10 ** 200], "expected": 1}]})
    assert long_ok["io"][0]["stdin"] == "1" + "0" * 200 + "\n"
