"""Proposer envs: the model writes a new code task; the env validates it in the sandbox.

Validation runs in stages, cheapest first, and stops at the first that fails:

==============  ==================================================================================
``parse``       a ```python block defining ``f`` and ```input blocks of literal arguments (at least
                ``min_inputs`` for induction), within the size limits; the program compiles
``banned``      no banned module, name or attribute (:class:`~zeroplay.envs.code.policy.CodePolicy`);
                an early filter only: the sandbox is the security boundary
``duplicate``   not already in the buffer: same program up to formatting, comments, docstrings and
                renamed variables (:mod:`~zeroplay.envs.code.canonical`), same inputs
``run``         runs in the sandbox within the time, memory and output limits, and every call returns
``output``      every returned value is a Python literal of bounded size
``determinism`` ``determinism_seeds`` more runs, each under a string-hash seed of its own and with
                the inputs in the reverse order, give the same outputs (equal values: a dict's key
                order is not compared; state kept between calls shows)
``distinct``    the inputs are pairwise different (checked with the static stages) and, for
                induction, so are their outputs
==============  ==================================================================================

Static stages run in the host (parsing, never executing); ``run`` and ``determinism`` each send a
whole batch to the sandbox at once (:meth:`ProposalValidator.validate_many`), and a program that
failed its first run is not run again.

The reruns of the ``determinism`` stage run in twins of the sandbox whose interpreters have
pinned string-hash seeds (:func:`~zeroplay.envs.code.runner.seeded_sandbox`), one seed per rerun,
all distinct, drawn once per process at random (:func:`~zeroplay.envs.code.runner.hash_check_seeds`);
the first run has the random seed of its pool worker. So a program whose output depends on the
iteration order of a set of strings (or a dict built from one, ``hash``, ``id``) is run under
``determinism_seeds + 1`` different seeds, and every rerun runs in another interpreter than the
first run (other addresses). The reruns cost ``determinism_seeds`` sandbox runs per proposal;
the seeds' batches run at once, sharing the sandbox's ``workers`` between them.

Each rerun also runs its clocks further ahead than the last (:func:`~zeroplay.envs.code.runner.clock_shift_for`:
1 day 1 h 1 min 1 s more each; the pool backend with libfaketime, Debian's ``faketime``): a program
whose output follows a clock, even a coarse one (today's weekday, the hour, the second of
``/proc/uptime``), reads another value in a rerun and fails, whichever module it reached the clock
through. Without libfaketime or the pool backend the reruns read the host's clock.

Not guaranteed: a different seed changes a set's order only with some probability. The worst
case is a set of two strings shown in one input, whose order agrees with the first run's under
each new seed about half the time: such a program passes with probability about
``2 ** -determinism_seeds`` (under 1% with the default 7). Larger sets and several inputs
(induction) are caught far more surely. Output that depends on something no rerun varies (the
sandbox's fixed state, a countdown that always ends the same way) is not caught; a coarse clock is
caught only by the shifted clocks above, and :mod:`~zeroplay.envs.code.policy` also refuses the
standard library's clocks and file readers (tests/envs/code/test_determinism_attacks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zeroplay.core.env import TextEnv
from zeroplay.core.errors import EpisodeOverError
from zeroplay.envs.code.answers import ParseError, parse_proposal
from zeroplay.envs.code.buffer import TaskBuffer, builtin_seeds
from zeroplay.envs.code.policy import CodePolicy, PolicyError
from zeroplay.envs.code.prompts import proposer_prompt
from zeroplay.envs.code.runner import ProgramRunner, RunOutcome, clock_shift_for, hash_check_seeds
from zeroplay.envs.code.triplet import (
    KINDS,
    CodeTask,
    LiteralError,
    canonical_args,
    canonical_value,
    parse_value,
    values_equal,
)

#: Validation stages in the order they run.
STAGES = ("parse", "banned", "duplicate", "run", "output", "determinism", "distinct")


@dataclass(frozen=True)
class ValidationResult:
    """A proposal's fate: ``task`` when valid, else the failed ``stage`` and an ``error`` saying why."""

    task: CodeTask | None
    stage: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.task is not None

    @classmethod
    def fail(cls, stage: str, error: str) -> ValidationResult:
        return cls(None, stage, f"{stage}: {error}")


@dataclass(frozen=True)
class _Candidate:
    """A proposal that passed the static stages, waiting for the sandbox."""

    program: str
    inputs: tuple[str, ...]
    message: str


class ProposalValidator:
    """Validates proposals of one ``kind`` (see the module docstring for the stages).

    ``min_inputs``/``max_inputs`` bound how many inputs an induction proposal gives (deduction and
    abduction take one). ``sandbox`` is a :class:`zeroplay.sandbox.Sandbox` (default: the shared one
    for ``timeout_s`` and ``memory_mb``); ``determinism_seeds`` is how many reruns the determinism
    stage makes, each in a twin of it with a string-hash seed of its own (see the module
    docstring). Never raises on proposal text.
    """

    def __init__(self, kind: str, *, policy: CodePolicy | None = None, sandbox: Any = None, timeout_s: float = 5.0,
                 memory_mb: int = 512, min_inputs: int = 6, max_inputs: int = 10, max_output_chars: int = 2000,
                 max_message_chars: int = 500, determinism_seeds: int = 7):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "induction" and not 2 <= min_inputs <= max_inputs:
            raise ValueError(f"need 2 <= min_inputs <= max_inputs, got {min_inputs} and {max_inputs}")
        if not isinstance(determinism_seeds, int) or determinism_seeds < 1:
            raise ValueError(f"determinism_seeds must be an int >= 1 (reruns under other hash seeds), "
                             f"got {determinism_seeds!r}")
        if sandbox is not None and not all(hasattr(sandbox, a) for a in ("backend", "limits", "workers")):
            raise TypeError(f"sandbox must be a zeroplay.sandbox.Sandbox (the determinism stage starts twins of it "
                            f"with other hash seeds), got {type(sandbox).__name__}")
        self.kind = kind
        self.determinism_seeds = determinism_seeds
        self.policy = policy or CodePolicy()
        self.runner = ProgramRunner(sandbox, timeout_s=timeout_s, memory_mb=memory_mb,
                                    max_output_chars=max_output_chars, guard=self.policy.runtime_guard)
        self.min_inputs = min_inputs if kind == "induction" else 1
        self.max_inputs = max_inputs if kind == "induction" else 1
        self.max_output_chars = max_output_chars
        self.max_message_chars = max_message_chars

    # -- host-side stages ----------------------------------------------------------------
    def check_static(self, text: Any) -> _Candidate | ValidationResult:
        """Stages ``parse`` and ``banned``: a candidate for the sandbox, or the failure."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        if not isinstance(text, str):
            return ValidationResult.fail("parse", f"a proposal must be text, got {type(text).__name__}")
        try:
            proposal = parse_proposal(text, self.kind)
        except ParseError as e:
            return ValidationResult.fail("parse", str(e))
        if len(proposal.inputs) < self.min_inputs:
            return ValidationResult.fail("parse", f"{len(proposal.inputs)} inputs given; write at least {self.min_inputs}")
        if len(proposal.inputs) > self.max_inputs:
            return ValidationResult.fail("parse", f"{len(proposal.inputs)} inputs given; write at most {self.max_inputs}")
        inputs = []
        for n, raw in enumerate(proposal.inputs, 1):
            try:
                inputs.append(canonical_args(raw))
            except LiteralError as e:
                return ValidationResult.fail("parse", f"input {n} ({raw[:60]!r}) is not a list of literal arguments: {e}")
        if len(proposal.message) > self.max_message_chars:
            return ValidationResult.fail("parse", f"message longer than {self.max_message_chars} characters")
        try:
            self.policy.check(proposal.program)
        except PolicyError as e:
            return ValidationResult.fail(e.stage, e.reason)
        if len(set(inputs)) != len(inputs):
            return ValidationResult.fail("distinct", "two inputs are the same; give different inputs")
        return _Candidate(proposal.program.strip("\n"), tuple(inputs), proposal.message)

    def _judge_first_run(self, cand: _Candidate, outcome: RunOutcome) -> ValidationResult | list[str]:
        """Stages ``run`` and ``output`` on the first run: the outputs, or the failure."""
        if not outcome.ok:
            return ValidationResult.fail("run", _describe_run_failure(outcome))
        outputs = []
        for n, call in enumerate(outcome.calls, 1):
            if not call.ok:
                stage = "output" if call.value.startswith("output too large") else "run"
                return ValidationResult.fail(stage, f"f({cand.inputs[n - 1][:60]}) failed: {call.value}")
            try:
                outputs.append(canonical_value(call.value))
            except LiteralError:
                return ValidationResult.fail(
                    "output", f"f({cand.inputs[n - 1][:60]}) returned {call.value[:60]}, which is not a Python literal; "
                    "return numbers, strings, lists, tuples, dicts, sets, booleans or None")
        return outputs

    def _judge_rerun(self, outputs: list[str], rerun: RunOutcome) -> ValidationResult | None:
        """Stage ``determinism`` for one rerun: the failure, or None when it gave the same outputs."""
        again = rerun.outputs()
        if again is None:
            return ValidationResult.fail("determinism", f"a rerun failed ({_describe_run_failure(rerun)}) "
                                         "where the first run succeeded; the program must be deterministic")
        if not _same_values(outputs, again):
            return ValidationResult.fail("determinism", "two runs gave different outputs; no randomness, time, hashing "
                                         "or set order (sort a set before you list it)")
        return None

    def _judge(self, cand: _Candidate, outputs: list[str]) -> ValidationResult:
        """Stage ``distinct`` (on outputs), then the task."""
        if self.kind == "induction" and len(set(outputs)) != len(outputs):
            return ValidationResult.fail("distinct", "two inputs give the same output; pick inputs that tell the rule apart")
        return ValidationResult(CodeTask(cand.program, cand.inputs, outputs, cand.message, n_shown=len(outputs) // 2))

    # -- public API ----------------------------------------------------------------------
    def validate(self, text: Any, buffer: TaskBuffer | None = None) -> ValidationResult:
        return self.validate_many([text], buffer)[0]

    def validate_many(self, texts: Sequence[Any], buffer: TaskBuffer | None = None) -> list[ValidationResult]:
        """Validate a batch; each sandbox stage runs the whole batch concurrently. With ``buffer``,
        proposals already in it (or earlier in the batch) fail at ``duplicate``; the buffer is not changed."""
        results: list[ValidationResult | None] = [None] * len(texts)
        pending: dict[int, _Candidate] = {}
        seen = set()
        for i, text in enumerate(texts):
            checked = self.check_static(text)
            if isinstance(checked, ValidationResult):
                results[i] = checked
                continue
            probe = CodeTask(checked.program, checked.inputs, checked.inputs)  # outputs unknown yet; the key ignores them
            key = probe.key(self.kind)
            if (buffer is not None and probe in buffer) or key in seen:
                results[i] = ValidationResult.fail("duplicate", "the same program and input are already in the task buffer")
                continue
            seen.add(key)
            pending[i] = checked
        first_outputs: dict[int, list[str]] = {}
        for i, outcome in zip(pending, self.runner.run_many([(c.program, c.inputs) for c in pending.values()])):
            judged = self._judge_first_run(pending[i], outcome)
            if isinstance(judged, ValidationResult):
                results[i] = judged
            else:
                first_outputs[i] = judged
        reruns = self._rerun_under_other_seeds([(pending[i].program, pending[i].inputs) for i in first_outputs])
        for i, outcomes in zip(first_outputs, reruns):
            failures = (self._judge_rerun(first_outputs[i], outcome) for outcome in outcomes)
            results[i] = next((f for f in failures if f is not None), None) or self._judge(pending[i], first_outputs[i])
        return results  # type: ignore[return-value]

    def _rerun_under_other_seeds(self, jobs: list[tuple[str, tuple[str, ...]]]) -> list[tuple[RunOutcome, ...]]:
        """Each job's reruns, one per check seed. The seeds' batches run at once, each in a twin
        sandbox with a share of the workers, so together they use about as many as one batch."""
        if not jobs:
            return []
        seeds = hash_check_seeds(self.determinism_seeds)
        share = max(1, -(-getattr(self.runner.sandbox, "workers", 1) // len(seeds)))
        # in the reverse order: a program that keeps state between calls (a counter in a global) gives
        # other outputs, where the first run's order would repeat them (its own task then fails it)
        backwards = [(program, inputs[::-1]) for program, inputs in jobs]
        shifts = [clock_shift_for(self.runner.sandbox, k) for k in range(1, len(seeds) + 1)]
        with ThreadPoolExecutor(len(seeds), thread_name_prefix="zeroplay-determinism") as pool:
            per_seed = list(pool.map(lambda s: self.runner.with_hash_seed(s[0], share, s[1]).run_many(backwards),
                                     zip(seeds, shifts)))
        return [tuple(replace(outcome, calls=outcome.calls[::-1]) for outcome in outcomes)
                for outcomes in zip(*per_seed)]


def _same_values(outputs: list[str], again: list[str]) -> bool:
    """Whether two runs returned equal values: exact floats, types kept apart, dicts in any key order."""
    if len(outputs) != len(again):
        return False
    try:
        return all(values_equal(parse_value(a), parse_value(b), rel_tol=0.0) for a, b in zip(outputs, again))
    except LiteralError:
        return False


def _describe_run_failure(outcome: RunOutcome) -> str:
    what = {
        "timeout": "it ran past the time limit (an endless loop?)",
        "memory": "it ran out of memory",
        "output_limit": "it wrote more output than allowed (or returned a huge value)",
        "error": "the run failed",
        "killed": "the sandbox killed it",
        "harness": "it stopped the run before returning",
    }.get(outcome.status, outcome.status)
    detail = f": {outcome.detail}" if outcome.detail else ""
    return f"{what}{detail}"[:400]


class CodeProposerEnv(TextEnv):
    """Proposer env of one ``kind`` (``deduction``, ``abduction`` or ``induction``); single step.

    ``reset`` shows ``n_references`` tasks sampled from the buffer and asks for a new one in the
    documented format (``info["references"]`` holds them as :class:`CodeTask`). ``step(proposal)``
    validates it: a valid proposal joins the buffer and comes back as ``info["task"]`` (the solver
    :class:`Task`) and ``info["code_task"]``, with reward ``valid_reward``; an invalid one gives
    ``info["error"]`` and ``info["stage"]`` (see :data:`STAGES`) and reward ``parse_penalty`` for
    unreadable proposals or ``invalid_penalty`` for the rest. The trainer usually overrides the
    reward of valid proposals with :func:`~zeroplay.envs.code.buffer.learnability_reward`.

    ``buffer`` (a :class:`TaskBuffer` to share with solver envs) or ``buffer_path`` (JSONL, reloaded
    when it exists; the buffer then starts from the built-in seed tasks, the identity function first). Validator options (``timeout_s``, ``min_inputs``, ``policy``, ``sandbox``...) pass through.
    """

    def __init__(self, kind: str = "deduction", *, buffer: TaskBuffer | None = None, buffer_path: str | Path | None = None,
                 n_references: int = 3, valid_reward: float = 0.0, invalid_penalty: float = -0.5,
                 parse_penalty: float = -1.0, render_mode: str | None = None, **validator_kwargs: Any):
        super().__init__(render_mode=render_mode)
        self.kind = kind
        self.validator = ProposalValidator(kind, **validator_kwargs)
        self.buffer = buffer if buffer is not None else TaskBuffer(kind, path=buffer_path, seeds=builtin_seeds())
        if self.buffer.kind != kind:
            raise ValueError(f"a {kind} proposer needs a buffer of kind {kind!r}, got kind {self.buffer.kind!r}")
        self.n_references = n_references
        self.valid_reward, self.invalid_penalty, self.parse_penalty = valid_reward, invalid_penalty, parse_penalty
        self.references: list[CodeTask] = []
        self._done = True

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self.references = self.buffer.references(self.np_random, self.n_references)
        self._last_obs = proposer_prompt(self.kind, self.references, min_inputs=self.validator.min_inputs,
                                         banned=sorted(_SHOWN_BANNED & self.validator.policy.modules()))
        self._done = False
        return self._last_obs, {"kind": self.kind, "references": list(self.references),
                                "min_inputs": self.validator.min_inputs}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._done:
            raise EpisodeOverError("step() on a finished or never-started episode; call reset() first")
        self._done = True
        text, problem = self.clean_action(action)
        info = self.outcome_info(self.validator.validate(text, self.buffer))
        if problem:
            info["reason"] = problem
        return self._last_obs, self.reward_of(info), True, False, info

    def outcome_info(self, result: ValidationResult) -> dict[str, Any]:
        """The step info of a validation result; a valid task joins the buffer here."""
        if result.task is None:
            return {"kind": self.kind, "error": result.error, "stage": result.stage}
        self.buffer.add(result.task)
        return {"kind": self.kind, "task": result.task.to_task(self.kind), "code_task": result.task, "stage": None}

    def reward_of(self, info: dict[str, Any]) -> float:
        if info.get("stage") is None:
            return self.valid_reward
        return self.parse_penalty if info["stage"] == "parse" else self.invalid_penalty

    def validate_batch(self, proposals: Sequence[str]) -> list[dict[str, Any]]:
        """Validate many proposals at once (one sandbox batch per stage), for a training loop:
        the step info of each, in order (valid tasks join the buffer). Needs no ``reset``."""
        texts = [self.clean_action(p)[0] for p in proposals]
        return [self.outcome_info(r) for r in self.validator.validate_many(texts, self.buffer)]


#: Banned modules a proposer prompt lists (the full list is longer; these are the ones worth saying).
_SHOWN_BANNED = frozenset({"os", "sys", "subprocess", "random", "time", "datetime", "threading", "socket", "io",
                           "pathlib", "shutil", "pickle", "ctypes", "importlib"})


class CodeDeductionProposeEnv(CodeProposerEnv):
    """Propose a deduction task: a program and one input (see :class:`CodeProposerEnv`)."""

    def __init__(self, **kwargs: Any):
        super().__init__("deduction", **kwargs)


class CodeAbductionProposeEnv(CodeProposerEnv):
    """Propose an abduction task: a program and one input (see :class:`CodeProposerEnv`)."""

    def __init__(self, **kwargs: Any):
        super().__init__("abduction", **kwargs)


class CodeInductionProposeEnv(CodeProposerEnv):
    """Propose an induction task: a program, ``min_inputs``+ inputs with distinct outputs, a hint."""

    def __init__(self, **kwargs: Any):
        super().__init__("induction", **kwargs)

