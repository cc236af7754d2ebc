"""Running task programs in the sandbox through the harness, with hostile programs."""

from __future__ import annotations

from zeroplay.envs.code.runner import ProgramRunner


def test_outputs_come_back_as_repr_per_call(quick_box) -> None:
    runner = ProgramRunner(quick_box)
    outcome = runner.run("def f(a, b=0):\n    return [a, b, 'x']", ["1", "2, 3", "'s', None"])
    assert outcome.ok and outcome.outputs() == ["[1, 0, 'x']", "[2, 3, 'x']", "['s', None, 'x']"]


def test_a_failing_call_is_reported_and_the_others_still_run(quick_box) -> None:
    outcome = ProgramRunner(quick_box).run("def f(x):\n    return 10 // x", ["5", "0", "2"])
    assert outcome.ok and outcome.outputs() is None
    assert [c.ok for c in outcome.calls] == [True, False, True]
    assert "ZeroDivisionError" in outcome.first_error()


def test_prints_cannot_pass_for_results(quick_box) -> None:
    program = "def f(x):\n    print('\\n[[\"ok\", \"999\"]]')\n    return x"
    outcome = ProgramRunner(quick_box).run(program, ["1"])
    assert outcome.outputs() == ["1"]


def test_exiting_early_fails_the_run(quick_box) -> None:
    for program in ("import os\ndef f(x):\n    os._exit(0)",
                    "import os\nos._exit(0)\ndef f(x):\n    return x"):
        outcome = ProgramRunner(quick_box).run(program, ["1"])
        assert outcome.outputs() is None, program
        assert "ended" in outcome.first_error(), program


def test_closing_its_own_stdout_changes_nothing(quick_box) -> None:
    # the program's stdout is not the result channel (the judge's is): closing it is harmless
    outcome = ProgramRunner(quick_box).run("import sys\ndef f(x):\n    sys.stdout.close()\n    return x", ["1"])
    assert outcome.outputs() == ["1"]


def test_sys_exit_inside_f_is_just_a_failed_call(quick_box) -> None:
    outcome = ProgramRunner(quick_box).run("import sys\ndef f(x):\n    sys.exit(0)", ["1"])
    assert outcome.ok and not outcome.calls[0].ok and "SystemExit" in outcome.calls[0].value


def test_limits_give_statuses_not_exceptions(quick_box) -> None:
    runner = ProgramRunner(quick_box, max_output_chars=100)
    loop, huge, flood = runner.run_many([
        ("def f(x):\n    while True:\n        pass", ["1"]),
        ("def f(x):\n    return 'a' * 1000", ["1"]),
        ("def f(x):\n    print('y' * 10**6)\n    return x", ["1"]),
    ])
    assert loop.status == "timeout"
    assert huge.ok and huge.calls[0].value.startswith("output too large")
    assert flood.status == "output_limit"


def test_load_errors_fail_every_call(quick_box) -> None:
    outcome = ProgramRunner(quick_box).run("raise ValueError('boom')\ndef f(x):\n    return x", ["1", "2"])
    assert outcome.ok and all("boom" in c.value for c in outcome.calls)
