"""Findings of a new-user trial: math verdict messages and the decimal-vs-constant docs, a code
reference whose test does not compile, and ``zeroplay verify FILE.jsonl`` with labels and bad lines."""

from __future__ import annotations

import inspect
import json

import pytest

from zeroplay import verifiers
from zeroplay.cli import main
from zeroplay.verifiers.code.verifier import CodeVerifier
from zeroplay.verifiers.exact import ExactVerifier
from zeroplay.verifiers.format import FormatVerifier
from zeroplay.verifiers.judge import JudgeVerifier
from zeroplay.verifiers.math import MathVerifier
from zeroplay.verifiers.math.options import MathOptions
from zeroplay.verifiers.proof import CoqVerifier

B = r"\boxed{%s}"


# -- math: messages ---------------------------------------------------------------------------
@pytest.mark.parametrize("answer, gold, shown", [
    ("3.14159", r"\pi", "3.14159 vs 3.14159265"),  # was "3.14159+0j vs 3.14159+0j"
    (r"\pi", "3.14159", "3.14159265 vs 3.14159"),
    (r"\sqrt{2}", "1.41421", "1.41421356 vs 1.41421"),
    ("3.1416", r"\pi", "3.1416 vs 3.1415927"),
])
def test_numeric_difference_shows_real_values_that_differ(math_v, answer, gold, shown):
    v = math_v.verify(B % answer, gold)
    assert not v.correct
    assert v.reason == f"numeric-different ({shown}, beyond rel_tol=1e-09)", v.reason


def test_numeric_difference_of_complex_and_exact_values(math_v):
    assert math_v.verify(B % "1+2i", "1+3i").reason == "numeric-different (1+2i vs 1+3i)"
    assert math_v.verify(B % "2i", "3i").reason == "numeric-different (2i vs 3i)"
    assert math_v.verify(B % r"-\sqrt{2}", r"-\sqrt{3}").reason == "numeric-different (-1.4142136 vs -1.7320508)"


# -- math: decimals against constants, as documented -------------------------------------------
#: Math-Verify 0.9 (``verify(parse("$" + gold + "$"), parse(answer))``, float_rounding=6 by default)
#: rejects every one of these pairs (measured); our default rejects them too.
SIX_DIGIT_PAIRS = [("3.14159", r"\pi"), ("3.1416", r"\pi"), (r"\pi", "3.14159"), (r"\sqrt{2}", "1.41421"),
                   ("1.41421", r"\sqrt{2}")]


@pytest.mark.parametrize("answer, gold", SIX_DIGIT_PAIRS)
def test_default_rel_tol_rejects_six_digit_roundings_and_documented_knob_accepts(math_v, answer, gold):
    assert not math_v.verify(B % answer, gold).correct
    loose = verifiers.make("math", rel_tol=1e-5, workers=1)
    try:
        assert loose.verify(B % answer, gold).correct
        assert not loose.verify(B % "3.14", "3.14159").correct  # the docstring's "still rejects"
    finally:
        loose.close()


def test_class_docstring_examples_hold(math_v):
    doc = MathVerifier.__doc__
    assert "``3.14159265359`` for ``\\pi``" in doc and "rel_tol=1e-5" in doc
    assert math_v.verify(B % "3.14159265359", r"\pi").correct  # the documented example within rel_tol=1e-9
    assert math_v.verify(B % r"\pi", "3.1415926535").correct


@pytest.mark.parametrize("cls", [MathVerifier, MathOptions, CodeVerifier, ExactVerifier, FormatVerifier,
                                 JudgeVerifier, CoqVerifier])
def test_public_methods_have_docstrings(cls):
    missing = [name for name, fn in vars(cls).items()
               if inspect.isfunction(inspect.unwrap(getattr(fn, "__func__", fn))) and not name.startswith("_")
               and not (getattr(fn, "__func__", fn).__doc__ or "").strip()]
    assert not missing, f"{cls.__name__}: {missing}"


# -- code: a reference test that does not compile -----------------------------------------------
GOOD = "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize("reference, what", [
    ({"tests": "assert add(1, 2) == 3 +", "entry_point": "add"}, "test 0"),
    ({"tests": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0 +"]}, "test 1"),
    ({"tests": ["assert add(1, 2) == 3"], "prelude": "def helper(:\n"}, "prelude"),
    ({"tests": ["assert add(1, 2) == 3\x00"], "entry_point": "add"}, "test 0"),
])
def test_uncompilable_test_is_a_reference_error(code_v, reference, what):
    v = code_v.verify(GOOD, reference)
    assert v.reason.startswith(f"bad-reference: the reference's {what} does not compile"), v.reason
    assert "fix it in the reference" in v.reason and "failed" not in v.reason
    assert "tests" not in v.details  # the solution never ran


def test_non_string_test_is_a_reference_error(code_v):
    v = code_v.verify(GOOD, {"tests": ["assert add(1, 2) == 3", 3], "entry_point": "add"})
    assert v.reason.startswith("bad-reference: the reference's test 1 is not code (got int)"), v.reason


def test_fraction_scoring_does_not_charge_the_solution_for_a_broken_test():
    v = CodeVerifier(score="fraction", timeout_s=3.0, memory_mb=256)
    try:
        got = v.verify(GOOD, {"tests": ["assert add(1, 2) == 3", "assert add(1, 1) == 2 +"], "entry_point": "add"})
    finally:
        v.close()
    assert got.reason.startswith("bad-reference:") and "failed" not in got.reason  # was "failed 1/2: test 1"


def test_solution_cannot_make_a_valid_test_a_reference_error(code_v):
    # the test is compiled alone on the host, with no compiler flags from anywhere: a solution that
    # turns on a __future__ feature changing `!=` syntax (or defines any name) cannot break it
    flufl = "from __future__ import barry_as_FLUFL\ndef add(a, b):\n    return a - b\n"
    shadow = "def compile(*a, **k):\n    raise SyntaxError('x')\ndef add(a, b):\n    return 0\n"
    ref = {"tests": ["assert add(1, 2) != 4 and add(1, 2) == 3"], "entry_point": "add"}
    for wrong in (flufl, shadow):
        v = code_v.verify(wrong, ref)
        assert not v.correct and v.reason.startswith("failed 1/1: test 0"), v.reason
    assert code_v.verify(GOOD, ref).reason == "all-pass 1/1"


# -- zeroplay verify FILE.jsonl -------------------------------------------------------------------
LABELLED = [{"response": r"\boxed{2}", "reference": "2", "label": True},      # agree
            {"response": r"\boxed{3}", "reference": "2", "label": False},     # agree
            {"response": r"\boxed{0.5}", "reference": "1/2", "label": False},  # judged correct: a false positive
            {"response": r"\boxed{4}", "reference": "2", "label": True},      # judged wrong: a false negative
            {"pred": "0.5", "gold": "1/2"}]                                    # no label: not counted


def _write(tmp_path, lines):
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_labels_give_accuracy_and_errors(tmp_path, capsys):
    path = _write(tmp_path, LABELLED)
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 6 and out[2].endswith("disagrees with label=false") and "disagrees" not in out[0]
    assert out[-1].startswith("3/5 correct; against 'label' on 4 row(s): accuracy 0.500 (2/4), "
                              "false positives 1 ") and "false negatives 1 " in out[-1]
    assert main(["verify", str(path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("label") for r in rows[:5]] == [True, False, False, True, None]
    assert rows[-1] == {"summary": {"rows": 5, "correct": 3, "bad_lines": 0, "labelled": 4, "agree": 2,
                                    "accuracy": 0.5, "false_positives": 1, "false_negatives": 1}}


def test_bad_lines_are_reported_and_the_rest_still_run(tmp_path, capsys):
    path = _write(tmp_path, [LABELLED[0], "not json", {"response": "1"}, "[1, 2]",
                             {"response": "x", "reference": {"wrong": 1}, "verifier": "code"},
                             {"response": r"\boxed{2}", "reference": "2", "label": "yes"},
                             {"response": r"\boxed{2}", "reference": "2", "verifier": "nosuch"}, LABELLED[3]])
    assert main(["verify", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["line"], r["correct"]) for r in rows[:-1]] == [(1, True), (8, False)]
    assert rows[-1]["summary"]["bad_lines"] == 6 and rows[-1]["summary"]["false_negatives"] == 1
    err = captured.err.splitlines()
    for lineno, words in [(2, "not valid JSON"), (3, "no reference field"), (4, "expected a JSON object"),
                          (5, "A code reference needs one of the keys"), (6, "field 'label' must be true or false"),
                          (7, "No verifier named 'nosuch'")]:
        assert any(line.startswith(f"{path}:{lineno}: {words}") and line.endswith("(line skipped)")
                   for line in err), (lineno, err)


def test_unlabelled_json_output_is_unchanged(tmp_path, capsys):
    path = _write(tmp_path, [{"response": r"\boxed{2}", "gold": "2"}, {"pred": "x", "answer": "y"}])
    assert main(["verify", str(path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["correct"] for r in rows] == [True, False]  # no summary line without labels or bad lines
