"""A user's own verifiers (new-user trial): ``module.path:Name`` wherever a verifier name is taken,
one-line errors for a plug-in verifier that raises, checked registrations, and the real length of
an oversized math answer."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

import zeroplay as zp
from zeroplay import agents, verifiers
from zeroplay.cli import main
from zeroplay.core.errors import RegistrationError, ZeroplayError
from zeroplay.core.registry import EntryPointError, ImportSpecError
from zeroplay.core.tasks import TaskEnv
from zeroplay.core.types import Task

#: The trial's verifier (the last integer within +-tol of the reference), plus broken ones.
USER_MODULE = '''
import re
from zeroplay.core import Verifier, Verdict

class Near(Verifier):
    name = "near"
    def __init__(self, tol: int = 1):
        self.tol = tol
    def verify(self, response, reference):
        nums = re.findall(r"-?\\d+", response or "")
        if not nums:
            return Verdict(False, 0.0, "no-number", None, {})
        x = int(nums[-1])
        ok = abs(x - int(reference)) <= self.tol
        return Verdict(ok, 1.0 if ok else 0.0, "near" if ok else "far", str(x), {"tol": self.tol})

def near_of(tol=5):
    return Near(tol)

class NotAVerifier:
    def verify(self, response, reference):
        return None

def not_a_verifier():
    return "a string"

class ReturnsNone(Near):
    def verify(self, response, reference):
        return None

class BadInit(Near):
    def __init__(self):
        raise RuntimeError("bad init")

THRESHOLD = 3
'''

_names = itertools.count()


@pytest.fixture
def mod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh importable module holding USER_MODULE; its name."""
    name = f"zp_user_verif_{next(_names)}"
    (tmp_path / f"{name}.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# -- 1. module.path:Name wherever a verifier name is taken ----------------------------------------
def test_make_takes_a_verifier_class_or_factory_by_module_spec(mod: str) -> None:
    v = verifiers.make(f"{mod}:Near")
    assert (v.verify("so 41", "42").correct, v.verify("so 44", "42").correct) == (True, False)
    assert verifiers.make(f"{mod}:Near", tol=3).verify("so 45", "42").correct
    factory_made = verifiers.make(f"{mod}:near_of")
    assert factory_made.tol == 5 and factory_made.verify("47", "42").correct
    assert f"{mod}:Near" not in verifiers.registered()


def test_module_spec_errors_say_what_to_fix(mod: str) -> None:
    with pytest.raises(ImportSpecError, match=r"NotAVerifier is a class but not a zeroplay.core.verifier.Verifier sub"):
        verifiers.make(f"{mod}:NotAVerifier")
    with pytest.raises(ImportSpecError, match=r"returned a str, not a Verifier"):
        verifiers.make(f"{mod}:not_a_verifier")
    with pytest.raises(ImportSpecError, match=r"is a int, not a Verifier class"):
        verifiers.make(f"{mod}:THRESHOLD")
    with pytest.raises(ImportSpecError, match=r"has no 'Nearr'.*Did you mean 'Near'"):
        verifiers.make(f"{mod}:Nearr")
    with pytest.raises(ImportSpecError, match=r"cannot import module 'zp_no_such_verif_mod'.*PYTHONPATH"):
        verifiers.make("zp_no_such_verif_mod:Near")


def test_task_and_task_env_take_a_module_spec_verifier(mod: str) -> None:
    task = Task("t0", "2+2=", "4", verifier=f"{mod}:Near")
    env = TaskEnv([task])  # the verifier the task names
    env.reset(seed=0)
    _, reward, *_ , info = env.step("it is 5")
    assert reward == 1.0 and info["verdict"].reason == "near"
    env = TaskEnv([Task("t1", "2+2=", "4", verifier="exact")], verifier=f"{mod}:Near")  # the env's own
    env.reset(seed=0)
    assert env.step("7")[1] == 0.0


def test_env_kwargs_of_a_config_take_a_module_spec_verifier(mod: str, tmp_path: Path) -> None:
    """A config's ``env_kwargs: {verifier: mymod:Near}`` reaches the env as ``zp.make(id, **kwargs)`` does."""
    problems = tmp_path / "p.jsonl"
    problems.write_text(json.dumps({"problem": "2+2?", "answer": "4"}) + "\n")
    env = zp.make("zeroplay/Math-v0", path=str(problems), verifier=f"{mod}:Near")
    env.reset(seed=0)
    assert env.step("3")[1] == 1.0  # |3 - 4| <= 1: Near judged it, not math


def test_a_module_spec_verifier_that_raises_gives_a_verifier_error_verdict_in_envs(mod: str) -> None:
    env = TaskEnv([Task("t0", "2+2=", "forty-two", verifier=f"{mod}:Near")])
    env.reset(seed=0)
    _, reward, *_ , info = env.step("41")
    assert reward == 0.0 and info["verdict"].reason.startswith("verifier-error: ValueError")


def test_cli_verifies_with_a_module_spec(mod: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", f"{mod}:Near", "41", "42"]) == 0
    assert capsys.readouterr().out.startswith("correct  score=1  reason=near")
    assert main(["verify", f"{mod}:Near", "49", "42"]) == 1


def test_cli_jsonl_rows_and_default_take_a_module_spec(mod: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        {"response": "41", "reference": "42", "verifier": f"{mod}:Near"},
        {"response": "40", "reference": "42"},  # --verifier's
        {"response": "\\boxed{42}", "reference": "42", "verifier": "math"},
    ]) + "\n")
    assert main(["verify", str(rows), "--verifier", f"{mod}:Near"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["0\tcorrect\tnear", "1\twrong\tfar", "2\tcorrect\tstring-equal"], out
    assert out[3] == "2/3 correct"


# -- 2. a verifier that raises: one line naming it, exit 2 ----------------------------------------
def test_cli_names_a_registered_verifier_that_raises(mod: str, capsys: pytest.CaptureFixture[str]) -> None:
    verifiers.register("zp-test-near", f"{mod}:Near")
    assert main(["verify", "zp-test-near", "41", "forty-two"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("zeroplay verify: error: verifier 'zp-test-near' raised ValueError: "
                           "invalid literal for int()"), line
    assert "check the reference it was given, or fix the verifier" in line


@pytest.mark.parametrize("attr, said", [
    ("ReturnsNone", "verifier '{mod}:ReturnsNone' returned a NoneType, not a zeroplay.core.Verdict"),
    ("BadInit", "verifier '{mod}:BadInit' could not be built: raised RuntimeError: bad init"),
])
def test_cli_names_a_verifier_that_returns_no_verdict_or_cannot_be_built(
        mod: str, attr: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", f"{mod}:{attr}", "41", "42"]) == 2
    assert said.format(mod=mod) in one_line(capsys.readouterr().err)


def test_cli_jsonl_reports_rows_whose_verifier_raises_and_verifies_the_rest(
        mod: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        {"response": "41", "reference": "42"},
        {"response": "41", "reference": "forty-two"},
        {"response": "50", "reference": "42"},
    ]) + "\n")
    assert main(["verify", str(rows), "--verifier", f"{mod}:Near"]) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:2] == ["0\tcorrect\tnear", "2\twrong\tfar"]
    assert f"{rows}:2: verifier '{mod}:Near' raised ValueError" in captured.err
    assert "Traceback" not in captured.err


# -- 3. register checks the name and the entry point at once -----------------------------------
@pytest.mark.parametrize("name", ["a b ✓", "", "mod:Near", "a/b", " near", "1near", "x" * 65, 42])
def test_register_refuses_a_bad_name(name: object) -> None:
    with pytest.raises(RegistrationError, match="name must be a letter then"):
        verifiers.register(name, "zeroplay.verifiers.exact:ExactVerifier")  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="name must be a letter then"):
        agents.register(name, "zeroplay.agents.scripted:RandomAgent")  # type: ignore[arg-type]


@pytest.mark.parametrize("entry_point, said", [
    (42, "must be a class, a function or 'package.module:Name', got a int"),
    (None, "got a NoneType"),
    ("not an entry point", "must be 'package.module:Name'"),
    ("nomodule_xyz", "must be 'package.module:Name'"),
])
def test_register_refuses_a_bad_entry_point(entry_point: object, said: str) -> None:
    with pytest.raises(RegistrationError, match=said):
        verifiers.register("zp-test-bad", entry_point)


def test_a_string_entry_point_that_does_not_import_fails_at_make_naming_the_verifier(
        mod: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / f"{mod}_broken.py").write_text("raise RuntimeError('boom at import')\n")
    verifiers.register("zp-test-nomodule", "nomodule_xyz:Nope")  # lazy: fine until made
    verifiers.register("zp-test-noattr", f"{mod}:Nope")
    verifiers.register("zp-test-notcallable", f"{mod}:THRESHOLD")
    verifiers.register("zp-test-broken", f"{mod}_broken:Near")
    cases = {
        "zp-test-nomodule": "verifier 'zp-test-nomodule' (entry point 'nomodule_xyz:Nope'): cannot import module "
                            "'nomodule_xyz'; add the directory that holds nomodule_xyz to PYTHONPATH",
        "zp-test-noattr": f"verifier 'zp-test-noattr' (entry point '{mod}:Nope'): module '{mod}' has no 'Nope'",
        "zp-test-notcallable": f"verifier 'zp-test-notcallable' (entry point '{mod}:THRESHOLD') is a int, not a class",
        "zp-test-broken": f"importing '{mod}_broken' failed: RuntimeError: boom at import",
    }
    for name, said in cases.items():
        with pytest.raises(EntryPointError) as e:
            verifiers.make(name)
        assert said in str(e.value) and "\n" not in str(e.value)
        assert isinstance(e.value, (ImportError, ZeroplayError))
        assert main(["verify", name, "1", "1"]) == 2
        assert said in one_line(capsys.readouterr().err)


def test_register_in_code_still_works(mod: str) -> None:
    import importlib

    near = importlib.import_module(mod).Near
    verifiers.register("zp-test-near-class", near, description="within 1", tol=2)
    verifiers.register("zp-test-near-string", f"{mod}:near_of")
    assert verifiers.make("zp-test-near-class").tol == 2
    assert verifiers.make("zp-test-near-string").tol == 5
    assert {"zp-test-near-class", "zp-test-near-string"} <= set(verifiers.registered())


# -- 4. an oversized math answer: its real length -----------------------------------------------
def test_an_oversized_math_answer_says_its_real_length_or_at_least(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "math", "1" * 100_000, "5"]) == 1
    assert "oversized-input: answer has at least 65536 chars (max_chars=1000)" in capsys.readouterr().out
    v = verifiers.make("math", workers=1)
    try:
        assert v.verify("1" * 3000, "5").reason == "oversized-input: answer has 3000 chars (max_chars=1000)"
        # a long response whose answer is whole inside the window read: its exact length
        assert v.verify("1" * 70_000 + " so " + "1" * 3000, "5").reason.startswith("oversized-input: answer has 3000 ")
        assert v.verify("1" * 70_000 + " so \\boxed{" + "1" * 3000 + "}", "5").reason.startswith(
            "oversized-input: answer has 3000 ")
    finally:
        v.close()
