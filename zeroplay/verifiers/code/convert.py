"""Turn Python function-call references into I/O references, so one task set serves every language.

``to_io(reference)`` reads a ``{"calls": [...], "entry_point": NAME}`` reference, or a
``{"tests": ...}`` one whose every test is a plain assertion about one call of the function under
test (``assert f(1, [2, 3]) == 6``, ``assert candidate("ab") == "ba"`` inside HumanEval's
``check``, ``assert f(x)``, ``assert not f(x)``), and returns the same tests as
``{"io": [{"stdin", "stdout"}, ...], "compare": "lines"}`` in the text format :data:`IO_FORMAT`
describes; ``None`` when that is not possible. The I/O form accepts no solution the original
rejects, short of types (``1``, ``1.0``, ``True`` and ``"1"`` print alike) and the tolerance on
floats: line breaks count (``[[1, 2], [3]]`` is not ``[[1], [2, 3]]`` nor ``[1, 2, 3]``, and ``[]``
is one empty line, not no output), so the verifier compares converted references by lines; a
result string is one that reads back from its tokens (no leading, trailing or repeated spaces,
tabs or other ASCII white space). It never runs the tests: they are parsed with :mod:`ast` and their
arguments read with :func:`ast.literal_eval`.

Possible: arguments and results that are ints, floats, booleans, strings on one line, and lists
(or tuples) of those, or lists of such lists. Not possible (``None``): ``None``/dict/set values,
strings holding a line break, strings with spaces inside lists, result strings whose spacing the
output could not show, ints of more digits than Python prints, assertions that are not
``call == literal`` (``abs(f(x) - y) < 1e-6``, loops, helper calls, ``is``), calls with keyword
arguments, and tests without any call. A reference whose results hold floats gets ``"float_tol"``
in the output mapping, a hint for the verifier's ``float_tol`` (printed floats differ by language).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from typing import Any

#: How a converted task's input and output are laid out; prompts quote it.
IO_FORMAT = (
    "The input holds the arguments in order. A number, true/false or a word or line of text takes "
    "one line; a list takes two lines: its length, then its items separated by spaces; a list of "
    "lists takes a line with the number of rows, then each row as a list. Print the result the "
    "same way, without the length lines: a list's items on one line separated by spaces, a list "
    "of lists one row a line; booleans as true or false."
)
#: Tolerance suggested for references whose results hold floats.
FLOAT_TOL = 1e-6


class NotConvertible(ValueError):
    """A value or test that has no I/O form."""


def to_io(reference: Any) -> dict[str, Any] | None:
    """The I/O form of a ``calls`` or ``tests`` reference (an ``io`` one is returned as is), or None."""
    if not isinstance(reference, dict):
        return None
    if "io" in reference:
        return dict(reference)
    try:
        if "calls" in reference:
            cases = _calls_cases(reference.get("calls"))
        elif "tests" in reference:
            cases = _tests_cases(reference["tests"], str(reference.get("entry_point") or ""))
        else:
            return None
        if not cases:
            return None
        pairs = [{"stdin": encode_args(args), "stdout": encode_result(result)} for args, result in cases]
    except NotConvertible:
        return None
    out: dict[str, Any] = {"io": pairs, "compare": "lines"}
    if any(_has_float(result) for _, result in cases):
        out["float_tol"] = FLOAT_TOL
    return out


# -- values -----------------------------------------------------------------------------------
def encode_args(args: Sequence[Any]) -> str:
    """The stdin of one call: each argument in turn (:data:`IO_FORMAT`)."""
    return "".join(_encode_input(a) for a in args)


def encode_result(value: Any) -> str:
    """The expected stdout of one call (:data:`IO_FORMAT`)."""
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, (list, tuple)) for v in value):
            return "".join(_row(r) + "\n" for r in value)
        return _row(value) + "\n"
    text = _scalar(value)
    if " ".join(text.split()) != text:  # (any white space but single spaces between words)
        raise NotConvertible("a result string with leading, trailing, repeated or non-space white space: "
                             "its spacing would not be compared")
    return text + "\n"


def _encode_input(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) for v in value):
            return f"{len(value)}\n" + "".join(f"{len(r)}\n{_row(r)}\n" for r in value)
        return f"{len(value)}\n{_row(value)}\n"
    return _scalar(value) + "\n"


def _row(items: Any) -> str:
    if not isinstance(items, (list, tuple)):
        raise NotConvertible("a list of lists mixes lists and single values")
    words = [_scalar(v) for v in items]
    if any(not w or any(c.isspace() for c in w) for w in words):
        raise NotConvertible("a list item that is empty or holds spaces cannot be read back from one line")
    return " ".join(words)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise NotConvertible("an int too long to print") from None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise NotConvertible("nan and infinities have no portable text form")
        return repr(value)
    if isinstance(value, str):
        if "\n" in value or "\r" in value:
            raise NotConvertible("a string with a line break")
        return value
    raise NotConvertible(f"a {type(value).__name__} value")


def _has_float(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


# -- reading references -------------------------------------------------------------------------
def _calls_cases(calls: Any) -> list[tuple[list[Any], Any]]:
    if not isinstance(calls, (list, tuple)):
        raise NotConvertible("calls is not a list")
    cases = []
    for call in calls:
        if not isinstance(call, dict) or "expected" not in call or call.get("kwargs"):
            raise NotConvertible("a call without 'expected', or with keyword arguments")
        args = call.get("args", [])
        if not isinstance(args, (list, tuple)):
            raise NotConvertible("a call's args is not a list")
        cases.append((list(args), call["expected"]))
    return cases


def _tests_cases(tests: Any, entry_point: str) -> list[tuple[list[Any], Any]]:
    sources = [tests] if isinstance(tests, str) else list(tests) if isinstance(tests, (list, tuple)) else None
    if sources is None or not all(isinstance(s, str) for s in sources):
        raise NotConvertible("tests are not source text")
    names = {entry_point} - {""}  # empty: any one function (``candidate`` always means the function under test)
    found: list[tuple[str, list[Any], Any]] = []
    for source in sources:
        try:
            with warnings.catch_warnings():  # a hostile test's odd literals warn; they are only read
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            raise NotConvertible("a test does not parse") from None
        found += _asserts(tree.body, names)
    called = {name for name, _, _ in found} - {"candidate"}
    if len(called) > 1:  # without an entry point, the tests must all call one function
        raise NotConvertible(f"the tests call several functions: {sorted(called)}")
    return [(args, expected) for _, args, expected in found]


def _asserts(body: list[ast.stmt], names: set[str]) -> list[tuple[str, list[Any], Any]]:
    """The (function, args, expected) of every assert; anything else than asserts, a docstring,
    HumanEval's ``METADATA`` or ``def check(candidate)`` (whose body is read the same way) makes
    the tests not convertible. ``assert True`` (HumanEval's filler) is skipped."""
    cases = []
    for node in body:
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant) and node.test.value is True:
            continue
        if isinstance(node, ast.Assert):
            cases.append(_assert_case(node.test, names))
        elif isinstance(node, ast.FunctionDef) and node.name == "check":
            cases += _asserts(node.body, names)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring
        elif isinstance(node, ast.Assign) and _is_metadata(node):
            continue  # HumanEval's METADATA = {...}
        else:
            raise NotConvertible(f"a test statement that is not an assertion (line {getattr(node, 'lineno', '?')})")
    return cases


def _is_metadata(node: ast.Assign) -> bool:
    return all(isinstance(t, ast.Name) and t.id == "METADATA" for t in node.targets)


def _assert_case(test: ast.expr, names: set[str]) -> tuple[str, list[Any], Any]:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = test.left, test.comparators[0]
        call, literal = (left, right) if _is_call(left, names) else (right, left)
        return (*_call(call, names), _literal(literal))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return (*_call(test.operand, names), False)
    return (*_call(test, names), True)


def _is_call(node: ast.expr, names: set[str]) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and (node.func.id == "candidate" or node.func.id in names or not names))


def _call(node: ast.expr, names: set[str]) -> tuple[str, list[Any]]:
    """(function name, literal arguments) of an assertion's one call of the function under test."""
    if not isinstance(node, ast.Call) or not _is_call(node, names):
        raise NotConvertible("an assertion that is not about one call of the function under test")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise NotConvertible("a call with keyword or starred arguments")
    assert isinstance(node.func, ast.Name)
    return node.func.id, [_literal(a) for a in node.args]


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise NotConvertible("a value that is not a literal") from None
