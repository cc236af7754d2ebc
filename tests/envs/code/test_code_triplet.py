"""The code-task data model: literal parsing, value equality, CodeTask round trips."""

from __future__ import annotations

import pytest

from zeroplay.envs.code.triplet import (
    CodeTask,
    LiteralError,
    canonical_args,
    parse_args,
    parse_value,
    values_equal,
)


@pytest.mark.parametrize("text, expected", [
    ("1", (1,)),
    ("[1, 2], 3", ([1, 2], 3)),
    ("'a', {'k': (1, 2)}", ("a", {"k": (1, 2)})),
    ("f(4, 5)", (4, 5)),
    ("", ()),
    ("set(), None, True", (set(), None, True)),
    ("  -3.5 ,", (-3.5,)),
])
def test_parse_args_reads_literal_argument_lists(text: str, expected: tuple) -> None:
    assert parse_args(text) == expected


@pytest.mark.parametrize("text", [
    "x", "__import__('os')", "1 + 2", "a=1", "*[1]", "1)(2", "print(1)", "[1, 2", "lambda: 0", "1" * 30000,
    "\x00", "[" * 500 + "]" * 500, "f(1)(2)",
])
def test_parse_args_refuses_everything_else(text: str) -> None:
    with pytest.raises(LiteralError):
        parse_args(text)


@pytest.mark.parametrize("text", ["", "x", "1 + 1", "[1,", "open('f')", "9" * 5000, "()" * 20000])
def test_parse_value_refuses_non_literals(text: str) -> None:
    with pytest.raises(LiteralError):
        parse_value(text)


def test_canonical_args_normalizes_spacing_and_quotes() -> None:
    assert canonical_args('[1,2],"x"') == "[1, 2], 'x'"
    assert canonical_args("f( 3 )") == "3"
    with pytest.raises(LiteralError, match="inf or nan"):
        canonical_args("[1e999]")  # parses to inf, which has no literal form to send to the sandbox


@pytest.mark.parametrize("a, b, equal", [
    (1, 1, True),
    (1, 1.0, False),
    (1, True, False),
    (0.1 + 0.2, 0.3, True),
    (0.3, 0.31, False),
    ([1, (2, 3)], [1, (2, 3)], True),
    ([1, 2], (1, 2), False),
    ({"a": [1]}, {"a": [1]}, True),
    ({"a": 1}, {"a": 2}, False),
    ({1, 2}, {2, 1}, True),
    ("a", "b", False),
    (None, None, True),
    (1j, 1j, True),
])
def test_values_equal_keeps_types_apart(a, b, equal: bool) -> None:
    assert values_equal(a, b) is equal


def test_code_task_round_trips_and_splits_pairs() -> None:
    task = CodeTask("def f(x):\n    return x", ("1", "2", "3", "4"), ("1", "2", "3", "4"), "id")
    assert task.n_shown == 2
    assert task.shown == [("1", "1"), ("2", "2")]
    assert task.hidden == [("3", "3"), ("4", "4")]
    assert CodeTask.from_dict(task.to_dict()) == task
    assert CodeTask.from_reference(task.to_task("induction").reference) == task


def test_code_task_refuses_mismatched_pairs_and_unknown_fields() -> None:
    with pytest.raises(ValueError, match="as many outputs"):
        CodeTask("def f(x):\n    return x", ("1", "2"), ("1",))
    with pytest.raises(ValueError, match="unknown fields"):
        CodeTask.from_dict({"program": "def f(): pass", "inputs": [""], "outputs": ["None"], "bogus": 1})


def test_dedup_key_ignores_formatting_but_not_inputs() -> None:
    a = CodeTask("def f(x):\n    return x + 1", ("1",), ("2",))
    b = CodeTask("def f(x):   # comment\n\n    return (x + 1)", ("1",), ("2",))
    c = CodeTask("def f(x):\n    return x + 1", ("2",), ("3",))
    assert a.key("deduction") == b.key("deduction")
    assert a.key("deduction") != c.key("deduction")


def test_to_task_prompts_state_the_answer_format() -> None:
    task = CodeTask("def f(a, b):\n    return a * b", ("2, 3", "4, 5"), ("6", "20"), "multiplies")
    deduction = task.to_task("deduction")
    assert "f(2, 3)" in deduction.prompt and "<answer>" in deduction.prompt and deduction.verifier == "code-deduction"
    abduction = task.to_task("abduction")
    assert "Output: 6" in abduction.prompt and "<answer>" in abduction.prompt
    induction = task.to_task("induction")
    assert "multiplies" in induction.prompt and "```python" in induction.prompt
    assert "f(4, 5)" not in induction.prompt  # the held-out pair stays hidden
    with pytest.raises(ValueError, match="kind"):
        task.to_task("guessing")
