"""Code-execution tasks of proposer/solver self-play (as in Absolute Zero).

A task is a program defining ``f`` with inputs and outputs (:class:`~zeroplay.envs.code.triplet.CodeTask`).
Solver envs (:mod:`~zeroplay.envs.code.solve`): deduction (predict the output), abduction (find
an input), induction (write the program). Proposer envs (:mod:`~zeroplay.envs.code.propose`):
write a new task, validated in the sandbox in stages, which then joins a
:class:`~zeroplay.envs.code.buffer.TaskBuffer`. The proposer's reward comes from
:func:`~zeroplay.envs.code.buffer.learnability_reward`.

Nothing here is imported by ``import zeroplay`` beyond this file: the ids below are lazy.
"""

from __future__ import annotations

ENVS: dict[str, str] = {
    "zeroplay/CodeDeduction-v0": "zeroplay.envs.code.solve:CodeDeductionEnv",
    "zeroplay/CodeAbduction-v0": "zeroplay.envs.code.solve:CodeAbductionEnv",
    "zeroplay/CodeInduction-v0": "zeroplay.envs.code.solve:CodeInductionEnv",
    "zeroplay/CodeDeductionPropose-v0": "zeroplay.envs.code.propose:CodeDeductionProposeEnv",
    "zeroplay/CodeAbductionPropose-v0": "zeroplay.envs.code.propose:CodeAbductionProposeEnv",
    "zeroplay/CodeInductionPropose-v0": "zeroplay.envs.code.propose:CodeInductionProposeEnv",
    "zeroplay/CodeIO-v0": "zeroplay.envs.code.anylang:CodeIOEnv",  # I/O problems in any sandbox language
    "zeroplay/UnitTestWriter-v0": "zeroplay.envs.code.unit_tests:UnitTestWriterEnv",  # UTRL: write discriminating tests
    "zeroplay/UnitTestCoder-v0": "zeroplay.envs.code.unit_tests:UnitTestCoderEnv",  # UTRL: code scored by unit tests
}

#: Verifiers of the solver tasks, so a Task written to JSONL (``verifier="code-deduction"``) can
#: be checked by any TaskEnv.
VERIFIERS: dict[str, tuple[str, str]] = {
    "code-deduction": ("zeroplay.envs.code.verify:DeductionVerifier", "code task: predicted output equals the executed one"),
    "code-abduction": ("zeroplay.envs.code.verify:AbductionVerifier", "code task: the program maps the given input to the output"),
    "code-induction": ("zeroplay.envs.code.verify:InductionVerifier", "code task: the written program passes held-out pairs"),
    "unit-test-code": ("zeroplay.verifiers.code.unit_tests:UnitTestCodeVerifier",
                       "code scored by assert-style unit tests run as data against it (UTRL)"),
    "unit-test-suite": ("zeroplay.verifiers.code.unit_tests:UnitTestSuiteVerifier",
                        "unit tests scored by how many candidate solutions they catch (UTRL discrimination)"),
}


def register_dynamic() -> None:
    """Register the code-task verifiers (lazy entry points: nothing heavy is imported)."""
    from zeroplay import verifiers

    for name, (entry_point, description) in VERIFIERS.items():
        verifiers.register(name, entry_point, description=description)
