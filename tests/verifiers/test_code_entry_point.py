"""The code verifier without ``entry_point``: inferred from the tests when they name one function
of the solution; otherwise the verdict says the reference is missing it (it never blames the
solution, and never passes a solution the tests did not reach)."""

from __future__ import annotations

from zeroplay.verifiers.code.verifier import infer_entry_point

CHECK_BY_NAME = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert add(-1, 1) == 0\n"
CHECK_ONLY = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
GOOD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"


def test_infer_the_one_function_the_tests_call():
    assert infer_entry_point(["assert add(1, 2) == 3", "assert add(0, 0) == 0"], GOOD) == "add"
    helper = "def _norm(x):\n    return x\n\n" + GOOD
    assert infer_entry_point(["assert add(1, 2) == 3"], helper) == "add"  # helpers the tests never call do not count
    assert infer_entry_point(["assert sorted(add(1, 2)) == 3"], GOOD) == "add"  # builtins are not the solution's


def test_no_inference_when_it_is_not_exactly_one():
    two = GOOD + "def sub(a, b):\n    return a - b\n"
    assert infer_entry_point(["assert add(1, 2) == 3 and sub(2, 1) == 1"], two) is None
    assert infer_entry_point(["assert plus(1, 2) == 3"], GOOD) is None
    assert infer_entry_point(["assert add(1, 2) == 3"], "def add(:\n") is None  # the solution does not parse
    # names the tests or the prelude define are theirs, even when the solution defines them too
    prelude = "def helper(x):\n    return x + 1\n"
    assert infer_entry_point(["assert add(helper(0), 1) == 2"], GOOD + prelude, prelude) == "add"
    assert infer_entry_point(["def add(a, b):\n    return 0\nassert add(1, 2) == 0"], GOOD) is None


def test_inferred_entry_point_runs_check(code_v):
    ref = {"tests": CHECK_BY_NAME}
    good, wrong = code_v.verify_batch([GOOD, WRONG], [ref, ref])
    assert good.correct and good.reason == "all-pass 1/1"
    assert not wrong.correct and "AssertionError" in wrong.reason


def test_mbpp_style_asserts_without_entry_point(code_v):
    ref = {"tests": ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]}
    assert code_v.verify(GOOD, ref).correct
    assert code_v.verify(WRONG, ref).details["tests"][0]["passed"] is False
    # a solution that misnames the function is at fault: the tests name it
    misnamed = code_v.verify("def plus(a, b):\n    return a + b\n", ref)
    assert not misnamed.correct and "name 'add' is not defined" in misnamed.reason


def test_missing_entry_point_is_the_reference_s_fault(code_v):
    """Before: a check(candidate) test without entry_point was never called, so any solution passed."""
    for code in (GOOD, WRONG):
        v = code_v.verify(code, {"tests": CHECK_ONLY})
        assert not v.correct and v.reason.startswith("missing-entry-point"), v.reason
        assert "add 'entry_point': NAME" in v.reason and "none of the solution's functions" in v.reason
    two = GOOD + "def sub(a, b):\n    return a - b\n"
    v = code_v.verify(two, {"tests": "def check(candidate):\n    assert candidate(1, 1) == add(1, 1) - sub(1, 1) + 2\n"})
    assert v.reason.startswith("missing-entry-point") and "(add, sub)" in v.reason and "ambiguous" in v.reason
    assert code_v.verify(GOOD, {"tests": CHECK_ONLY, "entry_point": "add"}).correct  # naming it fixes it
