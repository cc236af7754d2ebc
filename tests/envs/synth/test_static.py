"""Stage 1 (static) on its own: no sandbox needed."""

from __future__ import annotations

from synth_corpus import BROKEN, GOOD

from zeroplay.envs.synth.pipeline import seed_sources
from zeroplay.envs.synth.static import check_source


def test_good_source_and_seeds_pass_static() -> None:
    assert check_source(GOOD) is None
    for name, source in seed_sources().items():
        assert check_source(source) is None, name


def test_static_cases_of_the_corpus_are_caught_without_running() -> None:
    for case_id, stage, source in BROKEN:
        problem = check_source(source)
        if stage == "static":
            assert problem, f"{case_id} should fail the static stage"
        else:
            assert problem is None, f"{case_id} should get past the static stage, got: {problem}"


def test_messages_say_how_to_fix() -> None:
    assert "may import only" in check_source("import socket\n" + GOOD)
    assert "sample_instance" in check_source("def render(instance):\n    return 'x'\n")


def test_hostile_text_never_raises() -> None:
    for text in ["\x00", "(" * 100_000, "def f(:", "x" * 30_000, "\ud800", "lambda: " * 5000, None, 42]:
        assert isinstance(check_source(text), str)  # type: ignore[arg-type]


def test_only_the_sandbox_driver_executes_code() -> None:
    """Guard against regressions: no module of the package exec's or eval's anything on the host."""
    import ast
    from pathlib import Path

    from zeroplay.envs import synth

    for path in Path(synth.__file__).parent.glob("*.py"):
        if path.name in ("_driver.py", "_env_host.py"):  # run inside the sandbox only
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"exec", "eval", "compile", "__import__"}, f"{path.name}:{node.lineno}"
