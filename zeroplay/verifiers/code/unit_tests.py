"""Model-written unit tests against model-written code (UTRL): parse, run, score.

A unit test here is one line ``assert f(ARGS) == EXPECTED`` (or ``assert f(ARGS) is None/True/False``)
whose arguments and expected value are Python literals. :func:`parse_tests` reads them on the host
with :mod:`ast` (nothing is run) into plain data; :class:`UnitTestRunner` runs each test against a
solution in the sandbox as a split job (:mod:`~zeroplay.verifiers.code.unit_test_judge`): the
solution is the untrusted subject, the judge calls its entry point with the arguments and compares
the result with the expected value, which stays in the judge. A test's verdict on a solution is
``pass``, ``fail`` (another value) or ``error`` (the call raised, timed out, or the process died).

Guarantees:
- A test is data, never code: it cannot inspect the sandbox, read a solution, print result lines,
  exit, raise or crash the judge; tests of any other form are rejected with a reason (and count as
  invalid where a reward counts them). A test whose arguments make the reference fail or time out
  is invalid: :func:`suite_outcome` keeps only tests that pass on every reference solution. So is
  one whose arguments a problem's precondition refuses (:func:`with_precondition`): a test outside
  the spec cannot earn discrimination from correct solutions that differ there.
- A solution sees only the arguments of its calls, never a test's expected value, the other tests'
  text or a reference solution (those are never in its process); its only influence on a verdict
  is the value it returns (plain built-in data; anything else fails). Every call is bounded by
  ``call_timeout_s``; a solution that dies or hangs on a call fails (``error``) that call, and the
  tests after it run again in a fresh process (up to ``max_rounds`` processes per solution; a
  solution still dying after that fails the rest). A solution that does not load, or not within
  ``timeout_s``, fails every test.
- Every (solution, test list) pair is one sandbox program; a batch of them runs concurrently
  (``run_many``), never one process per test.

Not guaranteed: a solution keeps state between the calls of one process (as in any test run);
tests are compared by value with Python's ``==`` on plain data (``1 == 1.0 == True``), so a test
cannot check a type or an exception; side channels (timing) are out of scope.

The discrimination reward of UTRL (Lee et al. 2025, arXiv:2508.21107, and the authors' code):
:func:`discrimination` is the fraction of candidate solutions that fail at least one valid test;
:func:`suite_score` weights it with the τ-clipped validity ratio
``n_valid / max(τ, n_tests)`` and a format bonus (0.85 / 0.05 / 0.1, τ = 12 in the authors' code).
"""

from __future__ import annotations

import ast
import base64
import json
import marshal
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.core.answers import code_block
from zeroplay.core.errors import ConfigError
from zeroplay.core.types import ExecResult, Verdict
from zeroplay.core.verifier import Verifier
from zeroplay.sandbox.owner import SandboxOwner

JUDGE_SOURCE = (Path(__file__).with_name("unit_test_judge.py")).read_text(encoding="utf-8")
#: Longest text a test suite is read from, and longest solution run (longer ones fail without running).
MAX_SUITE_CHARS = 1 << 16
MAX_CODE_CHARS = 1 << 17
_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)
_IDENTITY = (None, True, False)


# -- parsing (host side: ast only, nothing runs) -------------------------------------------------

@dataclass(frozen=True)
class UnitTest:
    """One test as plain data: ``ENTRY(*args, **kwargs) <op> expected``."""

    source: str
    """The assert, normalized (``ast.unparse``, the call on the left, no message): two tests with the
    same source are duplicates."""
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    op: str
    """``==`` or ``is`` (``is`` only with None, True or False)."""
    expected: Any

    @property
    def key(self) -> tuple[Any, ...]:
        """What the test checks: tests with one key are duplicates even when their sources differ
        (``== 5``, ``== 5.0`` and ``== True + 4``'s literal twin all compare alike under ``==``)."""
        return (_canon(self.args, False), _canon(self.kwargs, False), self.op, _canon(self.expected, self.op == "=="))

    def call(self, index: int) -> list[Any]:
        """The judge's row for this test (see :mod:`~zeroplay.verifiers.code.unit_test_judge`)."""
        return [index, list(self.args), dict(self.kwargs), self.op, self.expected]


@dataclass(frozen=True)
class ParsedTests:
    """What :func:`parse_tests` read from one response."""

    tests: list[UnitTest]
    """The unique tests, in order of first appearance."""
    rejected: list[str] = field(default_factory=list)
    """Why each assert that is not a supported test was refused (``line N: reason``)."""
    duplicates: int = 0
    """Asserts dropped as repeats of an earlier one (the same call and an expected value equal under
    the test's comparison: :attr:`UnitTest.key`)."""
    truncated: int = 0
    """Asserts past ``max_tests`` (not read)."""

    @property
    def n_items(self) -> int:
        """Unique tests plus rejected asserts: the validity ratio's denominator."""
        return len(self.tests) + len(self.rejected)

    @property
    def well_formed(self) -> bool:
        """At least one test and no rejected assert."""
        return bool(self.tests) and not self.rejected


def parse_tests(text: Any, entry_point: str, *, max_tests: int = 32, max_test_chars: int = 2000) -> ParsedTests:
    """The unit tests in a response: every ``assert`` of its last fenced python block (else of the
    whole text), in source order, nested ones (inside ``def test_...():``) included; other statements
    are ignored. Each must read ``assert ENTRY(ARGS) == EXPECTED`` (either side of ``==``) or
    ``assert ENTRY(ARGS) is None|True|False`` with literal arguments (keywords allowed) and a literal
    expected value; an optional assert message is ignored. Never raises on model text.

    When the block does not parse as a whole, each line that starts with ``assert`` is read alone.
    At most ``max_tests`` asserts are read; one longer than ``max_test_chars`` is rejected."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ParsedTests([], [f"bad input: the response must be str, got {type(text).__name__}"])
    body = code_block(text)
    body = (text if body is None else body)[:MAX_SUITE_CHARS]
    tests: list[UnitTest] = []
    rejected: list[str] = []
    seen: set[tuple[Any, ...]] = set()
    duplicates = truncated = 0
    for lineno, item in _asserts(body):
        if len(tests) + len(rejected) >= max_tests:
            truncated += 1
            continue
        test = item if isinstance(item, str) else _to_test(item, entry_point, max_test_chars)
        if isinstance(test, str):
            rejected.append(f"line {lineno}: {test}")
        elif test.key in seen:
            duplicates += 1
        else:
            seen.add(test.key)
            tests.append(test)
    return ParsedTests(tests, rejected, duplicates, truncated)


def _asserts(body: str) -> list[tuple[int, ast.Assert | str]]:
    """(line, Assert node or the reason it could not be read) for every assert of ``body``."""
    try:
        tree = ast.parse(body)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return _line_asserts(body)
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    return [(n.lineno, n) for n in sorted(nodes, key=lambda n: (n.lineno, n.col_offset))]


def _line_asserts(body: str) -> list[tuple[int, ast.Assert | str]]:
    out: list[tuple[int, ast.Assert | str]] = []
    for lineno, line in enumerate(body.splitlines(), 1):
        line = line.strip()
        if not (line.startswith("assert ") or line.startswith("assert(")):
            continue
        try:
            node = ast.parse(line).body[0]
        except (SyntaxError, ValueError, MemoryError, RecursionError, IndexError):
            out.append((lineno, "does not parse as Python"))
            continue
        out.append((lineno, node if isinstance(node, ast.Assert) else "not an assert statement"))
    return out


def _to_test(node: ast.Assert, entry_point: str, max_chars: int) -> UnitTest | str:
    """The test an assert states, or why it is not a supported one."""
    try:
        source = ast.unparse(ast.Assert(test=node.test, msg=None))
    except (ValueError, RecursionError, MemoryError):
        return "cannot be read back"
    if len(source) > max_chars:
        return f"longer than {max_chars} characters"
    return _read_test(node, entry_point)


def _read_test(node: ast.Assert, entry_point: str) -> UnitTest | str:
    form = f"not of the form assert {entry_point}(ARGS) == EXPECTED"
    cmp = node.test
    if not (isinstance(cmp, ast.Compare) and len(cmp.ops) == 1):
        return form
    left, op, right = cmp.left, cmp.ops[0], cmp.comparators[0]
    if isinstance(op, ast.Eq):
        call, lit = (left, right) if isinstance(left, ast.Call) else (right, left)
        kind = "=="
    elif isinstance(op, ast.Is):
        call, lit, kind = left, right, "is"
        if not (isinstance(right, ast.Constant) and any(right.value is v for v in _IDENTITY)):
            return "'is' compares only with None, True or False"
    else:
        return form
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return form
    if call.func.id != entry_point:
        return f"calls {call.func.id}, but the function under test is {entry_point}"
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return "*args and **kwargs are not supported: write the arguments out"
    try:
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        expected = ast.literal_eval(lit)
        marshal.dumps((args, kwargs, expected))
        source = ast.unparse(ast.Assert(test=ast.Compare(left=call, ops=[op], comparators=[lit]), msg=None))
    except _LITERAL_ERRORS:
        return ("arguments and expected value must be Python literals (numbers, strings, lists, tuples, dicts, "
                "sets, True/False/None)")
    return UnitTest(source, args, kwargs, kind, expected)


def _canon(value: Any, loose: bool) -> Any:
    """A hashable form of literal data; ``loose``: numbers that ``==`` finds equal (``1``, ``1.0``,
    ``True``, ``1+0j``) share one form, as do a set and a frozenset."""
    t = type(value)
    if loose and t in (bool, int, float, complex):
        if t is complex and value.imag == 0:
            value = value.real
        if type(value) is float and value.is_integer():
            value = int(value)
        return ("num", int(value)) if type(value) in (bool, int) else ("num", repr(value))
    if t in (list, tuple):
        return (t.__name__, tuple(_canon(v, loose) for v in value))
    if t in (set, frozenset):
        return ("set" if loose else t.__name__, tuple(sorted(repr(_canon(v, loose)) for v in value)))
    if t is dict:
        return ("dict", tuple(sorted(repr((_canon(k, loose), _canon(v, loose))) for k, v in value.items())))
    return (t.__name__, repr(value))


# -- running (sandbox: one split job per (solution, tests)) --------------------------------------

@dataclass(frozen=True)
class TestResult:
    """A test's verdict on one solution: ``pass``, ``fail`` or ``error``, and why."""

    __test__ = False  # not a pytest class
    verdict: str
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


@dataclass(frozen=True)
class TestJob:
    """One solution (its code: a model's, or a reference) and the tests to run on it."""

    __test__ = False
    code: str
    entry_point: str
    tests: Sequence[UnitTest]


class UnitTestRunner(SandboxOwner):
    """Runs :class:`TestJob` batches in the sandbox (see the module docstring for what it guarantees).

    ``timeout_s`` bounds one sandbox program (a solution with its tests, or what is left of them
    after its process died); ``call_timeout_s`` one call of the solution. ``float_tol`` > 0 compares
    floats within it (relative and absolute; default 1e-9: a test's float written to a few digits must
    not catch a correct solution that rounds differently). Thread-safe; the sandbox is built on first use."""

    def __init__(self, *, sandbox: Any = None, backend: str = "auto", timeout_s: float = 5.0,
                 call_timeout_s: float = 1.0, memory_mb: int = 256, float_tol: float = 1e-9, max_rounds: int = 4,
                 workers: int | None = None):
        if not 0 < call_timeout_s <= timeout_s - 1.0:
            raise ConfigError(f"call_timeout_s ({call_timeout_s}) must be > 0 and at least 1 s below timeout_s "
                              f"({timeout_s}): a program must have time to start and finish one call")
        if max_rounds < 1:
            raise ConfigError(f"max_rounds must be >= 1, got {max_rounds}")
        self.backend, self.timeout_s, self.call_timeout_s = backend, float(timeout_s), float(call_timeout_s)
        self.memory_mb, self.float_tol, self.max_rounds, self.workers = memory_mb, float(float_tol), max_rounds, workers
        self._own_sandbox(sandbox)

    def run(self, jobs: Sequence[TestJob]) -> list[list[TestResult]]:
        """Every job's results, one per test in order. Jobs run concurrently, in rounds: a round
        runs, for each job, the tests not yet decided; a job that decided none in a round (its
        solution does not load in time, or kills its own run) fails what is left."""
        results: list[list[TestResult | None]] = [[None] * len(j.tests) for j in jobs]
        pending: list[tuple[int, list[int]]] = []
        for k, job in enumerate(jobs):
            why = _unrunnable(job.code)
            if why:
                results[k] = [TestResult("error", why)] * len(job.tests)
            elif job.tests:
                pending.append((k, list(range(len(job.tests)))))
        for _ in range(self.max_rounds):
            if not pending:
                break
            execs = self.sandbox().run_many([self._program(jobs[k], left) for k, left in pending])
            still: list[tuple[int, list[int]]] = []
            for (k, left), res in zip(pending, execs):
                got = _read_results(res, set(left))
                for i, r in got.items():
                    results[k][i] = r
                rest = [i for i in left if i not in got]
                if rest and got:
                    still.append((k, rest))
                elif rest:  # no progress: another process would fare no better
                    for i in rest:
                        results[k][i] = TestResult("error", f"not run: {_ended(res)}")
            pending = still
        for k, left in pending:
            for i in left:
                results[k][i] = TestResult("error", f"not run: the solution's process died {self.max_rounds} times")
        return [[r if r is not None else TestResult("error", "not run") for r in rs] for rs in results]

    def _program(self, job: TestJob, indices: list[int]) -> Any:
        from zeroplay.sandbox import Program, Subject

        spec = {"entry_point": job.entry_point, "calls": [job.tests[i].call(i) for i in indices],
                "float_tol": self.float_tol, "call_timeout_s": self.call_timeout_s}
        return Program(JUDGE_SOURCE, base64.b64encode(marshal.dumps(spec)).decode("ascii"), subject=Subject(job.code))



def _unrunnable(code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        return "no code: the response holds no solution"
    if len(code) > MAX_CODE_CHARS:
        return f"oversized: {len(code)} chars of code"
    return ""


def _read_results(res: ExecResult, wanted: set[int]) -> dict[int, TestResult]:
    """The judge's rows for ``wanted`` tests (only the judge writes this stdout; the first row of a test wins)."""
    got: dict[int, TestResult] = {}
    for line in res.stdout.split("\n"):
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if (isinstance(row, list) and len(row) == 4 and row[0] == "T" and type(row[1]) is int and row[1] in wanted
                and row[1] not in got and row[2] in ("pass", "fail", "error") and isinstance(row[3], str)):
            got[row[1]] = TestResult(row[2], row[3])
    return got


def _ended(res: ExecResult) -> str:
    if res.status != "ok":
        return f"the run ended ({res.status}, exit {res.exit_code}) before this test reported"
    return "the run ended before this test reported"


# -- outcomes and rewards (pure) -----------------------------------------------------------------

@dataclass(frozen=True)
class SuiteOutcome:
    """How one test suite did: which of its tests are valid, which candidate solutions they catch."""

    n_tests: int
    """Unique tests read plus rejected asserts (the validity ratio divides by it)."""
    valid: tuple[bool, ...]
    """Per unique test: it passed on every reference solution."""
    detected: tuple[bool, ...]
    """Per candidate solution: it fails (or errors on) at least one valid test."""
    well_formed: bool

    @property
    def n_valid(self) -> int:
        return sum(self.valid)

    @property
    def discrimination(self) -> float:
        """The fraction of candidate solutions detected; 0 without candidates."""
        return sum(self.detected) / len(self.detected) if self.detected else 0.0

    def clipped_validity(self, tau: float) -> float:
        """``n_valid / max(tau, n_tests)``: a suite of two valid tests cannot score as a full one."""
        return self.n_valid / max(float(tau), float(self.n_tests), 1.0)

    @property
    def valid_rate(self) -> float:
        """Valid tests over all tests read (rejected asserts included); 0 for an empty suite."""
        return self.n_valid / self.n_tests if self.n_tests else 0.0


def suite_outcome(parsed: ParsedTests, reference_results: Sequence[Sequence[TestResult]],
                  candidate_results: Sequence[Sequence[TestResult]], well_formed: bool | None = None) -> SuiteOutcome:
    """A suite's outcome from its tests' results on the references and on the candidates (one row
    per solution, one column per test of ``parsed.tests``). Needs at least one reference."""
    if not reference_results:
        raise ValueError("suite_outcome needs the results on at least one reference solution")
    n = len(parsed.tests)
    if any(len(r) != n for r in (*reference_results, *candidate_results)):
        raise ValueError(f"every solution needs one result per test ({n})")
    valid = tuple(all(r[t].passed for r in reference_results) for t in range(n))
    detected = tuple(any(valid[t] and not row[t].passed for t in range(n)) for row in candidate_results)
    return SuiteOutcome(parsed.n_items, valid, detected, parsed.well_formed if well_formed is None else well_formed)


def discrimination(valid: Sequence[bool], passed: Sequence[Sequence[bool]]) -> float:
    """The fraction of candidate solutions (rows of ``passed``: one bool per test) that fail at
    least one valid test. 0 without candidates or without valid tests."""
    if not passed:
        return 0.0
    return sum(any(v and not p for v, p in zip(valid, row)) for row in passed) / len(passed)


def suite_score(outcome: SuiteOutcome, *, discrimination_weight: float = 0.85, validity_weight: float = 0.05,
                      format_weight: float = 0.1, tau: float = 12.0, invalid_cost: float = 0.0) -> float:
    """UTRL's test-writer reward: ``w_d * discrimination + w_v * n_valid / max(tau, n_tests) +
    w_f * well_formed - invalid_cost * n_invalid / n_tests`` (defaults: the authors' code; the last
    term is ours, 0 by default)."""
    invalid = (outcome.n_tests - outcome.n_valid) / outcome.n_tests if outcome.n_tests else 0.0
    return (discrimination_weight * outcome.discrimination + validity_weight * outcome.clipped_validity(tau)
            + format_weight * float(outcome.well_formed) - invalid_cost * invalid)


def code_score(passed: Sequence[bool], well_formed: bool, *, pass_weight: float = 0.9,
               format_weight: float = 0.1) -> float:
    """UTRL's code reward: ``pass_weight * (fraction of the tests passed) + format_weight * well_formed``;
    the pass part is 0 without tests."""
    rate = sum(passed) / len(passed) if passed else 0.0
    return pass_weight * rate + format_weight * float(well_formed)


# -- verifiers: the envs' scorers ----------------------------------------------------------------

def reference_tests(reference: Any, *, key: str = "tests") -> tuple[str, list[UnitTest]]:
    """(entry point, tests) of a trusted reference; a test that does not parse is a config error."""
    if not isinstance(reference, dict) or not isinstance(reference.get("entry_point"), str):
        raise ConfigError("a unit-test reference is a dict with 'entry_point' (the function's name) and "
                          f"'{key}'; got {type(reference).__name__}")
    entry = reference["entry_point"]
    if key not in reference:
        return entry, []
    lines = reference[key]
    parsed = parse_tests("\n".join([lines] if isinstance(lines, str) else lines), entry, max_tests=1 << 12)
    if parsed.rejected:
        raise ConfigError(f"the reference's tests for {entry} are not all supported unit tests: {parsed.rejected[0]}")
    return entry, parsed.tests


class UnitTestCodeVerifier(Verifier):
    """Scores a solution (the code of a response) against unit tests, through :class:`UnitTestRunner`.

    Reference: ``{"entry_point": NAME, "tests": ["assert NAME(...) == ...", ...]}``. ``score="fraction"``
    (default) gives the fraction of tests passed, ``"all"`` 1.0 only when every test passes;
    ``correct`` means every test passed. ``details["tests"]`` holds each test's verdict. Never raises
    on a response; a reference whose tests are not all supported unit tests is a ConfigError."""

    name = "unit-test-code"

    def __init__(self, *, score: str = "fraction", runner: UnitTestRunner | None = None, **runner_kwargs: Any):
        if score not in ("all", "fraction"):
            raise ConfigError(f"score must be 'all' or 'fraction', got {score!r}")
        self.score = score
        self.runner = runner or UnitTestRunner(**runner_kwargs)

    def verify(self, response: str, reference: Any) -> Verdict:
        return self.verify_batch([response], [reference])[0]

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        from zeroplay.verifiers.code.verifier import extract_code

        specs = [reference_tests(ref) for ref in references]
        codes = [extract_code(r) if isinstance(r, str) else "" for r in responses]
        results = self.runner.run([TestJob(c, e, t) for c, (e, t) in zip(codes, specs)])
        return [self._verdict(code, rs) for code, rs in zip(codes, results)]

    def _verdict(self, code: str, results: list[TestResult]) -> Verdict:
        n, passed = len(results), sum(r.passed for r in results)
        frac = passed / n if n else 0.0
        all_pass = n > 0 and passed == n
        if not n:
            reason = "no-tests: the reference holds no tests"
        elif all_pass:
            reason = f"all-pass {passed}/{n}"
        else:
            i, first = next((i, r) for i, r in enumerate(results) if not r.passed)
            reason = f"failed {n - passed}/{n}: test {i}: {first.verdict}: {first.message[:160]}"
        details = {"tests": [{"index": i, "verdict": r.verdict, "message": r.message} for i, r in enumerate(results)]}
        return Verdict(all_pass, frac if self.score == "fraction" else float(all_pass), reason, code[:2000], details)

    def close(self) -> None:
        self.runner.close()


class UnitTestSuiteVerifier(Verifier):
    """Scores a test suite (the tests of a response) by UTRL's discrimination reward.

    Reference: ``{"entry_point": NAME, "references": [CODE, ...], "solutions": [CODE, ...]}``: the
    correct solutions that decide which tests are valid, and the candidate solutions the tests should
    catch (a coder's samples, or known-buggy variants). Score: :func:`suite_score` with this
    verifier's weights; ``correct`` when the suite has a valid test and catches every candidate.
    ``details`` holds the counts and each test's validity. Never raises on a response."""

    name = "unit-test-suite"

    def __init__(self, *, runner: UnitTestRunner | None = None, max_tests: int = 32,
                 weights: dict[str, float] | None = None, **runner_kwargs: Any):
        self.runner = runner or UnitTestRunner(**runner_kwargs)
        self.max_tests = max_tests
        self.weights = dict(weights or {})

    def verify(self, response: str, reference: Any) -> Verdict:
        return self.verify_batch([response], [reference])[0]

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        suites, jobs, spans = [], [], []
        for response, ref in zip(responses, references):
            entry, refs, sols = _suite_reference(ref)
            parsed = parse_tests(response, entry, max_tests=self.max_tests)
            suites.append(parsed)
            start = len(jobs)
            jobs += [TestJob(code, entry, parsed.tests) for code in (*refs, *sols)]
            spans.append((start, len(refs), len(sols)))
        results = self.runner.run(jobs)
        out = []
        for parsed, (start, n_refs, n_sols) in zip(suites, spans):
            rows = results[start:start + n_refs + n_sols]
            outcome = suite_outcome(parsed, rows[:n_refs], rows[n_refs:])
            out.append(self._verdict(parsed, outcome))
        return out

    def _verdict(self, parsed: ParsedTests, outcome: SuiteOutcome) -> Verdict:
        score = suite_score(outcome, **self.weights)
        correct = outcome.n_valid > 0 and all(outcome.detected) and bool(outcome.detected)
        reason = (f"{outcome.n_valid}/{outcome.n_tests} valid, caught {sum(outcome.detected)}/{len(outcome.detected)}"
                  + (f"; rejected {parsed.rejected[0]}" if parsed.rejected else ""))
        details = {"valid": list(outcome.valid), "detected": list(outcome.detected), "n_tests": outcome.n_tests,
                   "discrimination": outcome.discrimination, "rejected": list(parsed.rejected),
                   "duplicates": parsed.duplicates}
        return Verdict(correct, score, reason, "\n".join(t.source for t in parsed.tests)[:2000], details)

    def close(self) -> None:
        self.runner.close()


def _suite_reference(ref: Any) -> tuple[str, list[str], list[str]]:
    if not (isinstance(ref, dict) and isinstance(ref.get("entry_point"), str) and ref.get("references")):
        raise ConfigError("a unit-test-suite reference is {'entry_point': NAME, 'references': [CODE, ...] "
                          "(at least one), 'solutions': [CODE, ...], optionally 'precondition': CODE}")
    entry, pre = ref["entry_point"], ref.get("precondition") or ""
    if not isinstance(pre, str):
        raise ConfigError("a unit-test-suite reference's 'precondition' is the source of `def precondition(ARGS)`")
    refs = [with_precondition(str(c), entry, pre) for c in ref["references"]]
    return entry, refs, [str(c) for c in ref.get("solutions", [])]


def with_precondition(code: str, entry_point: str, precondition: str) -> str:
    """``code`` whose ``entry_point`` raises ``ValueError`` on arguments that ``precondition`` (the source
    of ``def precondition(ARGS) -> bool``, taking the entry point's arguments) refuses; ``code`` itself
    when there is none. On a reference, this makes a test of input outside the spec invalid: without
    it, such a test holds on the one reference and catches every correct solution that returns
    something else there (``clamp(5, 10, 0)`` with ``lo > hi``), a discrimination it did not earn."""
    if not precondition.strip():
        return code
    return (f"{code}\n\n\ndef _zp_precondition_scope():\n{textwrap.indent(precondition, '    ')}\n"
            f"    return precondition\n\n\n_zp_precondition = _zp_precondition_scope()\n"
            f"_zp_solution = {entry_point}\n\n\n"
            f"def {entry_point}(*args, **kwargs):\n"
            f"    if not _zp_precondition(*args, **kwargs):\n"
            f"        raise ValueError('the arguments are outside the problem\\'s spec')\n"
            f"    return _zp_solution(*args, **kwargs)\n")
