"""`zeroplay verify`, through the real command-line entry point."""

from __future__ import annotations

import json

import pytest

from zeroplay.cli import main


def test_one_pair_exit_codes(capsys):
    assert main(["verify", "math", r"\boxed{\frac12}", "0.5"]) == 0
    assert "correct" in capsys.readouterr().out
    assert main(["verify", "math", r"\boxed{3}", "0.5", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["correct"] is False and out["extracted"] == "3"


def test_code_reference_is_json(capsys):
    ref = json.dumps({"io": [{"stdin": "2", "stdout": "4"}]})
    assert main(["verify", "code", "print(int(input())**2)", ref]) == 0
    assert main(["verify", "code", "print(1)", "not json"]) == 2
    assert "a code reference is JSON" in capsys.readouterr().err


def test_jsonl_file(tmp_path, capsys):
    rows = [{"response": r"\boxed{2}", "gold": "2"}, {"pred": "x", "answer": "y"},
            {"response": "<think>a</think><answer>b</answer>", "reference": None, "verifier": "format"}]
    path = tmp_path / "preds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert main(["verify", str(path), "--json"]) == 0
    got = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [g["correct"] for g in got] == [True, False, True]


def test_jsonl_errors_name_the_line(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"response": "1"}\n')
    assert main(["verify", str(path)]) == 2
    assert "bad.jsonl:1: no reference field" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["verify", "math", "1"], ["verify", "nosuchverifier", "1", "1"]])
def test_usage_errors(argv, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err
