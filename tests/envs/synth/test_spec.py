"""The spec's pure helpers: answer extraction, names."""

from __future__ import annotations

from zeroplay.envs.synth import spec


def test_extract_answer_takes_the_last_tagged_answer_or_everything() -> None:
    assert spec.extract_answer("think <answer>1</answer> no, <answer> 2 </answer>") == "2"
    # tags are case-sensitive (zeroplay.core.answers policy); "<ANSWER>" used to count
    assert spec.extract_answer("think <answer>1</answer> no, <ANSWER> 2 </ANSWER>") == "1"
    assert spec.extract_answer("  42 \n") == "42"
    assert spec.extract_answer("<answer>") == "<answer>"
    assert spec.extract_answer("x" * 50_000 + "<answer>7</answer>") == "7"


def test_full_prompt_appends_the_instruction_once() -> None:
    assert spec.full_prompt("Solve it.\n\n") == f"Solve it.\n\n{spec.ANSWER_INSTRUCTION}"


def test_names() -> None:
    assert spec.sanitize_name("shortest path!") == "ShortestPath"
    assert spec.sanitize_name("") == "Env"
    assert spec.sanitize_name("3sum") == "Env3sum"
    assert spec.is_valid_name("ShortestPath") and not spec.is_valid_name("bad name") and not spec.is_valid_name("x")
    assert spec.declared_name('NAME = "graph coloring"\n') == "GraphColoring"
    assert spec.declared_name("NAME = compute()\n") is None
    assert spec.declared_name("def (") is None
