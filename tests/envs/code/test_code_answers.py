"""Reading answers and proposals out of free model text."""

from __future__ import annotations

import pytest

from zeroplay.envs.code.answers import (
    ParseError,
    extract_literal_answer,
    extract_program,
    extract_tag,
    fenced_blocks,
    parse_proposal,
)


def test_extract_tag_takes_the_last_complete_pair() -> None:
    assert extract_tag("<answer>1</answer> then <answer> 2 </answer>", "answer") == " 2 "
    # tags are case-sensitive (zeroplay.core.answers policy, reasoning-gym's rule); was case-insensitive
    assert extract_tag("<answer>1</answer> then <ANSWER> 2 </Answer>", "answer") == "1"
    assert extract_tag("<answer>1</answer><answer>unclosed", "answer") == "1"
    assert extract_tag("no tags", "answer") is None
    assert extract_tag("</answer><answer>", "answer") is None


def test_fenced_blocks_read_language_and_unclosed_tail() -> None:
    blocks = fenced_blocks("x\n```python\ndef f(): pass\n```\ntext\n```input\n1\n```\n```py\ncut off")
    assert [(b.lang, b.closed) for b in blocks] == [("python", True), ("input", True), ("py", False)]
    assert blocks[0].body == "def f(): pass\n"


def test_literal_answer_falls_back_from_tags_to_fences_to_whole_text() -> None:
    assert extract_literal_answer("I think <answer>[1, 2]</answer>") == "[1, 2]"
    assert extract_literal_answer("so:\n```\n42\n```") == "42"
    assert extract_literal_answer("  7 ") == "7"
    assert extract_literal_answer("   ") is None


def test_program_prefers_the_last_closed_python_block() -> None:
    text = "draft:\n```python\ndef f(x): return 0\n```\nbetter:\n```python\ndef f(x): return x\n```"
    assert extract_program(text) == "def f(x): return x\n"
    assert extract_program("<answer>def f(x): return 1</answer>") == "def f(x): return 1"
    assert extract_program("no code here") is None


def test_parse_proposal_reads_program_inputs_and_message() -> None:
    text = (
        "Let me think.\n```python\ndef f(a, b):\n    return a + b\n```\n"
        "```input\n1, 2\n```\n<input>3, 4</input>\n<message>adds</message>"
    )
    induction = parse_proposal(text, "induction")
    assert induction.inputs == ("1, 2", "3, 4") and induction.message == "adds"
    assert parse_proposal(text, "deduction").inputs == ("3, 4",)  # the last one written counts


@pytest.mark.parametrize("text, match", [
    ("", "no program"),
    ("def f(x): return x", "no program"),
    ("```python\ndef f(x): return x\n```", "no input"),
    ("```python\ndef f(x): return x", "no program"),  # unclosed block: the output was cut off
])
def test_parse_proposal_says_what_is_missing(text: str, match: str) -> None:
    with pytest.raises(ParseError, match=match):
        parse_proposal(text, "deduction")
