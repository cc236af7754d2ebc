"""Running a task program on its inputs, in the sandbox, and reading back the outputs.

The host never runs model-written code. Each run is a split job (see
:mod:`zeroplay.sandbox.subject`): the task program is the *subject*, loaded in a sandboxed process
of its own; the trusted *judge* beside it parses each input (``ast.literal_eval``), calls ``f``
in the subject, and writes the results as one JSON line to the sandbox's stdout, which only the
judge holds. Return values come back as plain built-in data (exact types; anything else is a
failed call) and the judge takes their ``repr``; the host reads them with ``ast.literal_eval`` only.

What this guarantees: every call of ``f`` happens inside the sandbox under its time, memory and
output limits; a failing or runaway program gives a :class:`RunOutcome` with a clear status,
never an exception or a hang; what is recorded for an input is what calling ``f`` on it returned
(the program cannot write a result line, read other inputs or reach the judge; a reply it forges on
its own socket does not echo the request's random tag, and a process that stops answering after
its calls fails the run). What it still controls is its own process: code that reimplements the
protocol there chooses its answers; the static policy keeps task programs away from ``os`` and
``sys`` so they cannot reach the socket, and the run-time guard (:mod:`zeroplay.envs.code.guard`)
refuses code made at run time, files, frames and raw memory, ending the process on a refusal
(:func:`read_outcome` reports its reason for the calls that ended with it).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeroplay.core.types import ExecResult

#: Longest ``repr`` of a returned value the harness sends back; longer counts as a failed call.
MAX_OUTPUT_CHARS = 2000

#: Trusted set-up in the subject's process. ``PLAIN_SETUP`` loads the program as module ``__task__``;
#: ``SUBJECT_SETUP`` first imports what it imports and starts the run-time guard
#: (:mod:`zeroplay.envs.code.guard`), in a confined subject (no programs started, no signal handlers).
PLAIN_SETUP = """\
def load(code):
    ns = {"__name__": "__task__"}
    exec(compile(code, "program.py", "exec"), ns)
    ns["f"]  # a KeyError names the missing function, as a load error
    return ns
"""
SUBJECT_SETUP = (Path(__file__).with_name("guard.py").read_text() + """

def load(code):
    program = compile(code, "program.py", "exec")
    preload(code)
    install(program, dataclasses_used="dataclass" in code)
    ns = {"__name__": "__task__"}
    exec(program, ns)
    ns["f"]  # a KeyError names the missing function, as a load error
    return ns
""")

#: The judge: reads ``{"inputs", "max_chars"}`` from stdin, prints ``[[kind, value], ...]``.
#: Values come back as plain built-in data and their ``repr`` is taken here, in the judge.
_JUDGE = """\
import ast, json, sys
from _zp_subject import Remote, SubjectError, SubjectGone, subject

job = json.loads(sys.stdin.read())
inputs, max_chars = job["inputs"], job["max_chars"]


def error_text(e):
    text = str(e) if type(e) in (SubjectError, SubjectGone) else type(e).__name__ + ": " + str(e)
    return text[:240]


if subject.load_error is not None:
    results = [["error", "program failed to load: " + subject.load_error[:200]]] * len(inputs)
else:
    results = []
    for text in inputs:
        try:
            args = ast.literal_eval("(" + text + ",)") if text.strip() else ()
            value = subject.call("f", *args)
            # a value that is not built-in data stays in the program's process; its stand-in text
            # is no literal, so the output checks refuse it
            r = "<" + value.type_name + " object>" if type(value) is Remote else repr(value)
            if len(r) > max_chars:
                results.append(["error", "output too large: repr has " + str(len(r)) + " characters (limit " + str(max_chars) + ")"])
            else:
                results.append(["ok", r])
        except BaseException as e:
            results.append(["error", error_text(e)])
    # The program's process must still answer after its last call: one that wrote a reply of its
    # own and then exited or stalled is caught here (every request's reply echoes a fresh tag).
    subject.timeout_s = 2.0
    try:
        subject.names()
    except BaseException as e:
        results = [["error", "the program's process broke off after its calls: " + error_text(e)]] * len(inputs)
sys.stdout.write(json.dumps(results) + "\\n")
"""


@dataclass(frozen=True)
class CallResult:
    """One call ``f(*input)``: ``ok`` with ``value`` the ``repr`` of the result, or ``error`` text."""

    ok: bool
    value: str


@dataclass(frozen=True)
class RunOutcome:
    """A program run on a list of inputs. ``status`` is the sandbox status, or ``"harness"`` when
    the run ended ``ok`` but printed no result line (the program exited early, closed stdout...)."""

    status: str
    calls: tuple[CallResult, ...]
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def outputs(self) -> list[str] | None:
        """The outputs when the run and every call succeeded, else None."""
        if not self.ok or not all(c.ok for c in self.calls):
            return None
        return [c.value for c in self.calls]

    def first_error(self) -> str:
        if not self.ok:
            return f"{self.status}: {self.detail}".strip(": ")
        for n, c in enumerate(self.calls):
            if not c.ok:
                return f"call {n + 1} failed: {c.value}"
        return ""


def task_program(program: str, inputs: Sequence[str], *, max_output_chars: int = MAX_OUTPUT_CHARS,
                 guard: bool = True) -> Any:
    """The sandbox :class:`~zeroplay.sandbox.Program` (a split job) that runs ``program`` on ``inputs``,
    under the run-time guard (:mod:`zeroplay.envs.code.guard`) unless ``guard=False``."""
    from zeroplay.sandbox import Program, Subject

    job = {"inputs": list(inputs), "max_chars": int(max_output_chars)}
    setup = SUBJECT_SETUP if guard else PLAIN_SETUP
    return Program(_JUDGE, json.dumps(job), subject=Subject(program, setup, confined=guard))


def read_outcome(result: ExecResult, n_inputs: int) -> RunOutcome:
    """The :class:`RunOutcome` of a task-program run from its :class:`ExecResult`."""
    if result.status != "ok":
        return RunOutcome(result.status, (), _tail(result.stderr or result.stdout))
    lines = [line for line in result.stdout.split("\n") if line]  # only the judge writes to stdout
    if not lines:
        return RunOutcome("harness", (), "the run ended before its results were written")
    try:
        raw = json.loads(lines[-1])
        calls = tuple(CallResult(kind == "ok", str(value)) for kind, value in raw)
    except (ValueError, TypeError):
        return RunOutcome("harness", (), "the result line was garbled")
    if len(calls) != n_inputs:
        return RunOutcome("harness", (), f"expected {n_inputs} results, got {len(calls)}")
    refused = _guard_refusal(result.stderr)
    if refused:  # the guard ended the program's process: say why, for the calls that ended with it
        calls = tuple(CallResult(False, refused) if not c.ok and _ENDED in c.value else c for c in calls)
    return RunOutcome("ok", calls)


#: What the judge reports for a call whose subject process ended (SubjectGone), as at load or after calls.
_ENDED = "the subject process ended"


def _guard_refusal(stderr: str) -> str:
    """The run-time guard's reason (``refused at run time: ...``) from the run's stderr, or ``""``."""
    from zeroplay.envs.code.guard import REFUSAL

    at = stderr.rfind(REFUSAL) if stderr else -1
    return stderr[at + REFUSAL.index("refused"):].split("\n", 1)[0][:300] if at >= 0 else ""


def _tail(text: str, n: int = 300) -> str:
    text = text.strip()
    return text[-n:]


_default_lock = threading.Lock()
_default_sandboxes: dict[tuple[float, int], Any] = {}


def default_sandbox(timeout_s: float = 5.0, memory_mb: int = 512) -> Any:
    """A process-wide :class:`zeroplay.sandbox.Sandbox` (``backend="auto"``) for these limits,
    made on first use and shared, so envs and verifiers reuse one warm pool."""
    key = (float(timeout_s), int(memory_mb))
    with _default_lock:
        if key not in _default_sandboxes:
            from zeroplay.sandbox import Sandbox

            # task programs return small values: a tight output cap turns floods into output_limit fast
            _default_sandboxes[key] = Sandbox(backend="auto", timeout_s=timeout_s, memory_mb=memory_mb,
                                              max_output_bytes=1 << 18)
        return _default_sandboxes[key]


_seed_lock = threading.Lock()
_check_seeds: list[int] = []
_seeded_sandboxes: dict[tuple[Any, ...], Any] = {}


def hash_check_seeds(n: int) -> list[int]:
    """``n`` distinct string-hash seeds, drawn at random once per process (from :mod:`secrets`, so
    a program cannot know them ahead) and the same on every call: twins made with them stay warm."""
    with _seed_lock:
        while len(_check_seeds) < n:
            seed = 1 + secrets.randbelow((1 << 32) - 1)
            if seed not in _check_seeds:
                _check_seeds.append(seed)
        return _check_seeds[:n]


def clock_shift_for(like: Any, index: int) -> int:
    """The clock shift of the ``index``-th rerun twin of ``like`` (1, 2...): ``index`` times a day, an
    hour, a minute and a second (:data:`CLOCK_STEP_S`), so every rerun reads another weekday (up to
    the 7th), hour, minute and second; 0 where the sandbox cannot shift clocks (no libfaketime, or
    not the pool backend)."""
    from zeroplay.sandbox.isolation import faketime_library

    return index * CLOCK_STEP_S if getattr(like, "backend", None) == "pool" and faketime_library() else 0


#: How much further ahead each determinism rerun's clock runs (1 day 1 h 1 min 1 s).
CLOCK_STEP_S = 90061


def seeded_sandbox(like: Any, seed: int, workers: int | None = None, clock_shift_s: int = 0) -> Any:
    """A twin of the :class:`zeroplay.sandbox.Sandbox` ``like`` (same backend and limits; ``workers``,
    default ``like``'s) whose interpreters all use string-hash seed ``seed`` and whose clocks run
    ``clock_shift_s`` seconds ahead; made on first use and shared, so each seed keeps one warm pool
    per process."""
    if not all(hasattr(like, a) for a in ("backend", "limits", "workers")):
        raise TypeError(f"a rerun under another string-hash seed needs a zeroplay.sandbox.Sandbox, got "
                        f"{type(like).__name__}; pass one as sandbox=")
    workers = workers or like.workers
    key = (os.getpid(), like.backend, like.limits, workers, int(seed), clock_shift_s)  # a forked child makes its own
    with _seed_lock:
        if key not in _seeded_sandboxes:
            from zeroplay.sandbox import Sandbox

            lim = like.limits
            _seeded_sandboxes[key] = Sandbox(
                backend=like.backend, timeout_s=lim.timeout_s, memory_mb=lim.memory_mb,
                max_output_bytes=lim.max_output_bytes, max_processes=lim.max_processes, disk_mb=lim.disk_mb,
                max_open_files=lim.max_open_files, workers=workers, hash_seed=int(seed), clock_shift_s=clock_shift_s)
        return _seeded_sandboxes[key]


class ProgramRunner:
    """Runs task programs on inputs through a sandbox; ``run_many`` sends a whole batch at once.

    ``sandbox`` is any object with ``run_many(programs)`` (a :class:`zeroplay.sandbox.Sandbox`);
    by default the shared :func:`default_sandbox`. ``guard=False`` runs programs without the run-time
    guard (:mod:`zeroplay.envs.code.guard`): only for programs that need third-party packages.
    """

    def __init__(self, sandbox: Any = None, *, timeout_s: float = 5.0, memory_mb: int = 512,
                 max_output_chars: int = MAX_OUTPUT_CHARS, guard: bool = True):
        self._sandbox = sandbox
        self.timeout_s, self.memory_mb = timeout_s, memory_mb
        self.max_output_chars = max_output_chars
        self.guard = guard

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            self._sandbox = default_sandbox(self.timeout_s, self.memory_mb)
        return self._sandbox

    def with_hash_seed(self, seed: int, workers: int | None = None, clock_shift_s: int = 0) -> ProgramRunner:
        """A runner on a twin of this one's sandbox whose interpreters use string-hash seed ``seed``
        and whose clocks run ``clock_shift_s`` seconds ahead (see :func:`seeded_sandbox`)."""
        return ProgramRunner(seeded_sandbox(self.sandbox, seed, workers, clock_shift_s), timeout_s=self.timeout_s,
                             memory_mb=self.memory_mb, max_output_chars=self.max_output_chars, guard=self.guard)

    def run(self, program: str, inputs: Sequence[str]) -> RunOutcome:
        return self.run_many([(program, inputs)])[0]

    def run_many(self, jobs: Sequence[tuple[str, Sequence[str]]]) -> list[RunOutcome]:
        """Outcomes of ``(program, inputs)`` jobs, in order, run concurrently in the sandbox."""
        if not jobs:
            return []
        programs = [task_program(prog, inputs, max_output_chars=self.max_output_chars, guard=self.guard)
                    for prog, inputs in jobs]
        results = self.sandbox.run_many(programs)
        return [read_outcome(r, len(inputs)) for r, (_, inputs) in zip(results, jobs)]
