"""Verifiers of the three code-execution task types (registered as ``code-deduction``,
``code-abduction`` and ``code-induction``).

The reference is a :class:`~zeroplay.envs.code.triplet.CodeTask` (or its dict). Answers are read
from free text (see :mod:`zeroplay.envs.code.answers`), checked statically in the host, and only
then run, in the sandbox. ``verify_batch`` sends every program of a batch to the sandbox at once.

Guarantees: never raises on model text; a runaway answer costs at most the sandbox timeout.
Deduction needs no sandbox (the gold output was computed when the task was made).
Does not: give partial credit unless ``partial_credit=True`` (induction: fraction of held-out
pairs passed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.core.types import Verdict
from zeroplay.core.verifier import Verifier
from zeroplay.envs.code.answers import extract_literal_answer, extract_program
from zeroplay.envs.code.policy import CodePolicy, PolicyError
from zeroplay.envs.code.runner import ProgramRunner, RunOutcome
from zeroplay.envs.code.triplet import CodeTask, LiteralError, canonical_args, parse_value, values_equal


@dataclass(frozen=True)
class _Job:
    """A sandbox run the verdict waits for: ``program`` on ``inputs``, compared with ``expected``."""

    program: str
    inputs: tuple[str, ...]
    expected: tuple[str, ...]
    extracted: str


class _CodeTaskVerifier(Verifier):
    """Shared batch logic: ``_prepare`` gives a verdict at once or a sandbox job; jobs run together."""

    def __init__(self, sandbox: Any = None, *, policy: CodePolicy | None = None, timeout_s: float = 5.0,
                 memory_mb: int = 512, partial_credit: bool = False):
        self.policy = policy or CodePolicy()
        self.runner = ProgramRunner(sandbox, timeout_s=timeout_s, memory_mb=memory_mb, guard=self.policy.runtime_guard)
        self.partial_credit = partial_credit

    def _prepare(self, response: str, task: CodeTask) -> Verdict | _Job:
        raise NotImplementedError

    def verify(self, response: str, reference: Any) -> Verdict:
        return self.verify_batch([response], [reference])[0]

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        prepared: list[Verdict | _Job] = []
        for response, reference in zip(responses, references):
            if not isinstance(response, str):
                prepared.append(Verdict.fail(f"response must be str, got {type(response).__name__}"))
                continue
            try:
                task = CodeTask.from_reference(reference)
            except (ValueError, TypeError) as e:
                raise ValueError(f"{type(self).__name__}: bad reference: {e}") from None
            prepared.append(self._prepare(response, task))
        jobs = [p for p in prepared if isinstance(p, _Job)]
        outcomes = iter(self.runner.run_many([(j.program, j.inputs) for j in jobs]))
        return [self._judge(p, next(outcomes)) if isinstance(p, _Job) else p for p in prepared]

    def _judge(self, job: _Job, outcome: RunOutcome) -> Verdict:
        if not outcome.ok:
            return Verdict.fail(f"run-{outcome.status}", job.extracted, detail=outcome.detail)
        passed = 0
        for call, expected in zip(outcome.calls, job.expected):
            if call.ok and _same_output(call.value, expected):
                passed += 1
        n = len(job.expected)
        if passed == n:
            return Verdict(True, 1.0, "output-equal" if n == 1 else f"passed {n}/{n}", job.extracted)
        score = passed / n if self.partial_credit else 0.0
        first = next((c.value for c in outcome.calls if not c.ok), None)
        reason = f"passed {passed}/{n}" if n > 1 else "output-differs"
        return Verdict(False, score, reason, job.extracted, {"error": first} if first else {})


def _same_output(got: str, expected: str) -> bool:
    """Outputs (``repr`` text) equal by value; text that is no literal compares as text."""
    try:
        return values_equal(parse_value(got), parse_value(expected))
    except LiteralError:
        return got.strip() == expected.strip()


def _equals_text(value: Any, expected: str) -> bool:
    try:
        return values_equal(value, parse_value(expected))
    except LiteralError:
        return False


class DeductionVerifier(_CodeTaskVerifier):
    """Deduction: the answer is the program's output, compared by value (types kept apart:
    ``1``, ``1.0`` and ``True`` differ; floats to rel. 1e-9). No sandbox run is needed."""

    name = "code-deduction"

    def _prepare(self, response: str, task: CodeTask) -> Verdict | _Job:
        answer = extract_literal_answer(response)
        if answer is None:
            return Verdict.fail("no-answer")
        try:
            value = parse_value(answer)
        except LiteralError as e:
            return Verdict.fail(f"unparsable-answer: {e}", answer[:200])
        if _equals_text(value, task.outputs[0]):
            return Verdict(True, 1.0, "value-equal", answer[:200])
        return Verdict(False, 0.0, "value-differs", answer[:200])


class AbductionVerifier(_CodeTaskVerifier):
    """Abduction: the answer is an input; the sandbox runs the program on it and the output must
    equal the task's output by value. Any input that gives that output is correct."""

    name = "code-abduction"

    def _prepare(self, response: str, task: CodeTask) -> Verdict | _Job:
        answer = extract_literal_answer(response)
        if answer is None:
            return Verdict.fail("no-answer")
        try:
            args = canonical_args(answer)
        except LiteralError as e:
            return Verdict.fail(f"unparsable-input: {e}", answer[:200])
        return _Job(task.program, (args,), task.outputs[:1], args[:200])


class InductionVerifier(_CodeTaskVerifier):
    """Induction: the answer is a program; it must pass the static policy and reproduce every
    held-out pair (``partial_credit=True``: score is the fraction passed)."""

    name = "code-induction"

    def _prepare(self, response: str, task: CodeTask) -> Verdict | _Job:
        program = extract_program(response)
        if program is None:
            return Verdict.fail("no-program")
        try:
            self.policy.check(program)
        except PolicyError as e:
            return Verdict.fail(f"{e.stage}: {e.reason}", program[:200])
        hidden = task.hidden
        return _Job(program, tuple(i for i, _ in hidden), tuple(o for _, o in hidden), program[:200])


VERIFIERS = {"deduction": DeductionVerifier, "abduction": AbductionVerifier, "induction": InductionVerifier}
