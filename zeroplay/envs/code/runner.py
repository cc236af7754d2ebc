"""Running a task program on its inputs, in the sandbox, and reading back the outputs.

The host never runs model-written code: it builds a small harness script (the program text and
the inputs embedded as string literals), the sandbox runs it, and the harness prints one
result line tagged with a per-run nonce, so prints of the program cannot pass for results.
Outputs come back as ``repr`` text; the host reads them with ``ast.literal_eval`` only.

What this guarantees: every call of ``f`` happens inside the sandbox under its time, memory and
output limits; a failing or runaway program gives a :class:`RunOutcome` with a clear status,
never an exception or a hang. What it does not: a program can still learn the nonce from
inside the sandbox; that gains it nothing, because expected outputs never enter the sandbox.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.core.types import ExecResult

#: Longest ``repr`` of a returned value the harness sends back; longer counts as a failed call.
MAX_OUTPUT_CHARS = 2000

_HARNESS = '''\
import ast, json, sys
_nonce = {nonce!r}
_results = []
_ns = {{"__name__": "__task__"}}
try:
    exec(compile({program!r}, "program.py", "exec"), _ns)
    _f = _ns["f"]
except BaseException as _e:
    _results = [["error", "program failed to load: " + type(_e).__name__ + ": " + str(_e)[:200]]] * {n}
else:
    for _text in {inputs!r}:
        try:
            _args = ast.literal_eval("(" + _text + ",)") if _text.strip() else ()
            _r = repr(_f(*_args))
            if len(_r) > {max_chars}:
                _results.append(["error", "output too large: repr has " + str(len(_r)) + " characters (limit {max_chars})"])
            else:
                _results.append(["ok", _r])
        except BaseException as _e:
            _results.append(["error", type(_e).__name__ + ": " + str(_e)[:200]])
sys.stdout.write("\\n" + _nonce + json.dumps(_results) + "\\n")
sys.stdout.flush()
'''


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


def harness(program: str, inputs: Sequence[str], nonce: str, *, max_output_chars: int = MAX_OUTPUT_CHARS) -> str:
    """The script the sandbox runs for ``program`` on ``inputs`` (all embedded as literals)."""
    return _HARNESS.format(nonce=nonce, program=program, inputs=list(inputs), n=len(inputs), max_chars=int(max_output_chars))


def read_outcome(result: ExecResult, nonce: str, n_inputs: int) -> RunOutcome:
    """The :class:`RunOutcome` of a harness run from its :class:`ExecResult`."""
    if result.status != "ok":
        return RunOutcome(result.status, (), _tail(result.stderr or result.stdout))
    line = next((ln for ln in reversed(result.stdout.splitlines()) if ln.startswith(nonce)), None)
    if line is None:
        return RunOutcome("harness", (), "the program ended the run before its results were written (exit, os._exit, closed stdout?)")
    try:
        raw = json.loads(line[len(nonce) :])
        calls = tuple(CallResult(kind == "ok", str(value)) for kind, value in raw)
    except (ValueError, TypeError):
        return RunOutcome("harness", (), "the result line was garbled")
    if len(calls) != n_inputs:
        return RunOutcome("harness", (), f"expected {n_inputs} results, got {len(calls)}")
    return RunOutcome("ok", calls)


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


class ProgramRunner:
    """Runs task programs on inputs through a sandbox; ``run_many`` sends a whole batch at once.

    ``sandbox`` is any object with ``run_many(programs)`` (a :class:`zeroplay.sandbox.Sandbox`);
    by default the shared :func:`default_sandbox`.
    """

    def __init__(self, sandbox: Any = None, *, timeout_s: float = 5.0, memory_mb: int = 512,
                 max_output_chars: int = MAX_OUTPUT_CHARS):
        self._sandbox = sandbox
        self.timeout_s, self.memory_mb = timeout_s, memory_mb
        self.max_output_chars = max_output_chars

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            self._sandbox = default_sandbox(self.timeout_s, self.memory_mb)
        return self._sandbox

    def run(self, program: str, inputs: Sequence[str]) -> RunOutcome:
        return self.run_many([(program, inputs)])[0]

    def run_many(self, jobs: Sequence[tuple[str, Sequence[str]]]) -> list[RunOutcome]:
        """Outcomes of ``(program, inputs)`` jobs, in order, run concurrently in the sandbox."""
        if not jobs:
            return []
        from zeroplay.sandbox import Program

        nonces = [secrets.token_hex(8) for _ in jobs]
        programs = [
            Program(harness(prog, inputs, nonce, max_output_chars=self.max_output_chars))
            for (prog, inputs), nonce in zip(jobs, nonces)
        ]
        results = self.sandbox.run_many(programs)
        return [read_outcome(r, nonce, len(inputs)) for r, nonce, (_, inputs) in zip(results, nonces, jobs)]
