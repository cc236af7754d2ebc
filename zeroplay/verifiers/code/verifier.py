"""The code verifier: ``verifiers.make("code")``."""

from __future__ import annotations

import ast
import decimal
import json
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from zeroplay.core.answers import code_block, fenced_blocks
from zeroplay.core.errors import ConfigError
from zeroplay.core.types import ExecResult, Verdict
from zeroplay.core.verifier import Verifier

HARNESS_SOURCE = (Path(__file__).with_name("harness.py")).read_text(encoding="utf-8")
#: Longest solution accepted (longer ones fail without running).
MAX_CODE_CHARS = 1 << 17


def extract_code(response: str, language: str = "python") -> str:
    """The code in a model response: its last closed fenced block labelled as ``language`` (for
    Python: ``python``/``py``/``python3``; else the labels of the language's file), else its last
    closed fenced block of any label, else the whole text (the one policy of
    :func:`zeroplay.core.answers.code_block`, with the language's labels in Python's place)."""
    if language == "python":
        found = code_block(response)
        return found if found is not None else response
    from zeroplay.sandbox.language_files import language_spec

    labels = language_spec(language).fence_labels
    closed = [b for b in fenced_blocks(response) if b.closed]
    mine = [b for b in closed if b.lang in labels]
    if mine or closed:
        return (mine or closed)[-1].body
    return response


@dataclass(frozen=True)
class _Job:
    """What one response turns into: sandbox programs and how to read their results back."""

    kind: str  # "harness" | "io" | "verdict"
    programs: list[Any] = field(default_factory=list)
    limits: tuple[float, int] = (5.0, 512)  # (timeout_s, memory_mb) the programs run under
    n_tests: int = 0
    expected: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    code: str = ""
    float_tol: float = 0.0  # io jobs: the tolerance outputs compare with
    by_lines: bool = False  # io jobs: line breaks count (converted references)


class CodeVerifier(Verifier):
    """Runs the code in a model's response against tests, in the sandbox.

    The reference says which tests (one of):
    - ``{"tests": CODE or [CODE, ...], "entry_point": NAME}``: assert-style; CODE may define
      ``check(candidate)`` (HumanEval), which is called with the solution's function; a list gives
      one test per item (MBPP-style asserts naming NAME); an optional trusted ``"prelude"`` (code the
      tests rely on, such as helpers defined in a HumanEval prompt) runs before each test;
    - ``{"io": [{"stdin": ..., "stdout": ...}, ...], "language": NAME}``: the solution is a program
      in language NAME (default: the verifier's ``language``, ``"python"``; any sandbox language,
      e.g. the shipped ``lua``, ``ocaml``, ``fortran``, ``r``: :mod:`zeroplay.sandbox.language_files`;
      or the path of a language file, loaded on first use: references and the verifier's
      ``language`` are trusted, the response never names a language);
      each pair is a run (a compiled language compiles in the same run, its time counted); stdout
      compares token by token, tokens split at ASCII whitespace (``"compare": "lines"``, as
      :func:`~zeroplay.verifiers.code.convert.to_io` sets: line by line, then token by token
      within each line; blank lines past the expected ones are ignored); with ``float_tol`` (the
      reference's ``"float_tol"``, else the verifier's) a token the reference writes as a decimal
      number with a point or exponent matches a finite number within it, one it writes as an
      integer only the same value (``3.0`` for ``3``); numbers are ASCII decimal only (no ``nan``,
      ``inf``, ``1_0`` or non-ASCII digits); the run must exit 0. A failed
      compile fails every test with reason ``compile error: <first lines of the compiler's message>``;
    - ``{"calls": [{"args": [...], "kwargs": {...}, "expected": ...}], "entry_point": NAME}``:
      each call's return value must equal ``expected`` (JSON values, types kept apart: ``"3"`` is not
      ``3``, ``true`` not ``1``, ``null`` only ``None``; a list is a list or tuple; an integer and a float
      are one number type, as in JSON: ``3.0`` for ``3`` counts, floats within ``float_tol``).

    Without ``entry_point``, assert-style tests that call exactly one function the solution
    defines test that function (:func:`infer_entry_point`, which parses both on the host and runs
    neither); tests that need one (``check(candidate)``, ``candidate``) and name no single function
    of the solution fail with ``missing-entry-point``, a fault of the reference, not the solution.
    So do tests, or a prelude, that do not compile (``bad-reference``): each is compiled alone on the
    host before the solution is involved, so nothing a solution defines can cause or hide it.

    ``tests`` and ``calls`` are Python only (:func:`zeroplay.verifiers.code.convert.to_io` turns
    many of them into ``io`` form, for any language).

    The code is the response's last fenced block of the language (:func:`extract_code`), or the
    whole text. Limits of each run: ``timeout_s``/``memory_mb`` when given, else the language
    file's (Python: 5 s, 512 MB). ``score="all"`` (default) gives 1.0 only when every test passes;
    ``score="fraction"`` the fraction passed.
    ``details["tests"]`` lists each test's result.

    Guarantees: never raises on a response; each run is bounded by the sandbox (``timeout_s``,
    ``memory_mb``); assert/call tests run in a judge process the solution cannot reach (a split
    job, see :mod:`zeroplay.sandbox.subject`): exiting early, printing, reading stdin or fds,
    walking frames, returning always-equal objects or patching anything only changes the
    solution's own process (see :mod:`~zeroplay.verifiers.code.harness`). ``io`` tests compare
    the program's whole stdout, which is the answer itself. Does not: check style, complexity or
    anything beyond the given tests; pass objects or functions (only plain data) between tests
    and solution.
    """

    name = "code"

    def __init__(
        self,
        *,
        score: str = "all",
        timeout_s: float | None = None,
        memory_mb: int | None = None,
        language: str = "python",
        float_tol: float = 0.0,
        backend: str = "auto",
        sandbox: Any = None,
        workers: int | None = None,
    ):
        if score not in ("all", "fraction"):
            raise ConfigError(f"score must be 'all' or 'fraction', got {score!r}")
        self.score, self.timeout_s, self.memory_mb, self.float_tol = score, timeout_s, memory_mb, float_tol
        self.backend, self.workers, self.language = backend, workers, language
        self._sandbox = sandbox  # given: every program runs in it, under its own limits
        self._sandboxes: dict[tuple[float, int], Any] = {}  # built here: one per (timeout_s, memory_mb)
        self._lock = threading.Lock()

    # -- public API ----------------------------------------------------------------------------
    def verify(self, response: str, reference: Any) -> Verdict:
        """The verdict on the code in ``response`` run against the tests of ``reference`` (see the
        class docstring for its forms); ConfigError for a reference of no known form."""
        return self.verify_batch([response], [reference])[0]

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        """Verdicts in order; every program of the batch runs concurrently in the sandbox."""
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        jobs = [self._job(r, g) for r, g in zip(responses, references)]
        results: dict[tuple[int, int], ExecResult] = {}
        for limits in dict.fromkeys(j.limits for j in jobs if j.programs):  # one concurrent batch per limits
            slots = [(i, k) for i, j in enumerate(jobs) if j.limits == limits for k in range(len(j.programs))]
            ran = self.sandbox(*limits).run_many([jobs[i].programs[k] for i, k in slots])
            results.update(zip(slots, ran))
        return [job.verdict if job.verdict is not None
                else self._judge(job, [results[i, k] for k in range(len(job.programs))]) for i, job in enumerate(jobs)]

    def limits_for(self, language: str) -> tuple[float, int]:
        """(timeout_s, memory_mb) of a run in ``language``: the verifier's where set, else the language file's."""
        from zeroplay.sandbox.language_files import language_spec

        if self.timeout_s is not None and self.memory_mb is not None:
            return float(self.timeout_s), int(self.memory_mb)
        spec = language_spec(language)
        return (float(self.timeout_s if self.timeout_s is not None else spec.timeout_s),
                int(self.memory_mb if self.memory_mb is not None else spec.memory_mb))

    def sandbox(self, timeout_s: float | None = None, memory_mb: int | None = None) -> Any:
        """The sandbox runs happen in: the one given to the verifier, else one per limits
        (default: Python's)."""
        if self._sandbox is not None:
            return self._sandbox
        if timeout_s is None or memory_mb is None:
            timeout_s, memory_mb = self.limits_for("python")
        with self._lock:
            box = self._sandboxes.get((timeout_s, memory_mb))
            if box is None:
                from zeroplay.sandbox import Sandbox

                box = Sandbox(backend=self.backend, timeout_s=timeout_s, memory_mb=memory_mb, workers=self.workers)
                self._sandboxes[timeout_s, memory_mb] = box
            return box

    def close(self) -> None:
        """Close the sandboxes runs happen in (the one given to the verifier too)."""
        if self._sandbox is not None:
            self._sandbox.close()
        for box in self._sandboxes.values():
            box.close()

    def __getstate__(self) -> dict[str, Any]:  # picklable: the sandboxes are rebuilt where it lands
        state = dict(self.__dict__)
        state.update(_sandbox=None, _sandboxes={}, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- building programs -----------------------------------------------------------------------
    def _job(self, response: Any, reference: Any) -> _Job:
        from zeroplay.sandbox import Program

        if not isinstance(reference, dict):
            raise ConfigError("A code reference is a dict: {'tests': CODE, 'entry_point': NAME}, "
                              "{'io': [{'stdin', 'stdout'}...]} or {'calls': [...], 'entry_point': NAME}; "
                              f"got {type(reference).__name__}")
        language = self._language_of(reference)
        if isinstance(response, bytes):
            response = response.decode("utf-8", errors="replace")
        if not isinstance(response, str):
            return _Job("verdict", verdict=Verdict.fail(f"bad-input: response must be str, got {type(response).__name__}"))
        code = extract_code(response, language)
        if not code.strip():
            return _Job("verdict", verdict=Verdict.fail("no-code: the response holds no code"))
        if len(code) > MAX_CODE_CHARS:
            return _Job("verdict", verdict=Verdict.fail(f"oversized-input: {len(code)} chars of code"))
        if "io" in reference:
            pairs = reference["io"]
            if not isinstance(pairs, (list, tuple)) or not all(isinstance(p, dict) for p in pairs):
                raise ConfigError("A code reference's 'io' is a list of {'stdin': ..., 'stdout': ...} objects; "
                                  f"got {pairs!r:.80}")
            programs = [Program(code, str(p.get("stdin", "")), language=language) for p in pairs]
            return _Job("io", programs, self.limits_for(language), n_tests=len(pairs),
                        expected=[str(p.get("stdout", "")) for p in pairs], code=code,
                        float_tol=_float_tol(reference.get("float_tol"), self.float_tol),
                        by_lines=_by_lines(reference.get("compare", "tokens")))
        if "tests" in reference or "calls" in reference:
            if language != "python":
                raise ConfigError(f"'tests' and 'calls' references run Python only, not {language!r}; "
                                  "turn them into 'io' form with zeroplay.verifiers.code.convert.to_io")
            return self._harness_job(code, reference)
        raise ConfigError(f"A code reference needs one of the keys 'tests', 'io' or 'calls'; got keys {sorted(reference)}")

    def _harness_job(self, code: str, reference: dict[str, Any]) -> _Job:
        import base64
        import marshal

        from zeroplay.sandbox import Program, Subject

        mode = "calls" if "calls" in reference else "tests"
        entry = reference.get("entry_point", "")
        if mode == "calls" and not entry:
            raise ConfigError("A 'calls' reference needs 'entry_point': the name of the function to call")
        tests = reference.get("tests", [])
        tests = [tests] if isinstance(tests, str) else list(tests)
        prelude = str(reference.get("prelude", ""))
        if mode == "tests":
            broken = _broken_reference(tests, prelude)
            if broken is not None:
                return _Job("verdict", verdict=Verdict.fail(broken, code[:2000]))
        if mode == "tests" and not entry:
            entry = infer_entry_point(tests, code, prelude) or ""
            if not entry and _needs_entry_point(tuple(map(str, tests))):
                return _Job("verdict", verdict=Verdict.fail(_missing_entry_point(tests, code, prelude), code[:2000]))
        spec = {"mode": mode, "tests": tests, "calls": list(reference.get("calls", [])),
                "entry_point": entry, "float_tol": self.float_tol, "prelude": prelude}
        try:
            blob = marshal.dumps(spec)
        except ValueError as e:  # a reference holding objects marshal cannot carry
            raise ConfigError(f"code reference values must be plain data (str, numbers, lists, dicts): {e}") from None
        # A split job: the tests stay with the judge; the solution runs in a process of its own.
        program = Program(HARNESS_SOURCE, base64.b64encode(blob).decode("ascii"), subject=Subject(code))
        n = len(spec["calls"]) if mode == "calls" else len(tests)
        return _Job("harness", [program], self.limits_for("python"), n_tests=n, code=code)

    def _language_of(self, reference: dict[str, Any]) -> str:
        """The name of the reference's language (else the verifier's), checked to be one the sandbox
        knows; a path to a language file loads it (:func:`~zeroplay.sandbox.language_files.resolve_language`)."""
        from zeroplay.core.errors import UnknownIdError
        from zeroplay.sandbox.language_files import language_spec

        language = reference.get("language", self.language)
        if not isinstance(language, str):
            raise ConfigError(f"A code reference's 'language' is a language name such as 'lua', got {language!r:.80}")
        try:
            return language_spec(language).name
        except UnknownIdError as e:
            raise ConfigError(f"Unknown code language {language!r}: {e}") from None

    # -- reading results ---------------------------------------------------------------------------
    def _judge(self, job: _Job, results: list[ExecResult]) -> Verdict:
        failed_compile = next((why for why in map(compile_error, results) if why is not None), None)
        if job.kind == "io" and failed_compile is not None:
            tests = [{"index": i, "passed": False, "error": failed_compile} for i in range(job.n_tests)]
            return Verdict(False, 0.0, failed_compile, job.code[:2000], {"tests": tests, "status": "compile-error"})
        tests = self._harness_results(job, results[0]) if job.kind == "harness" else self._io_results(job, results)
        passed = sum(t["passed"] for t in tests)
        n = len(tests)
        frac = passed / n if n else 0.0
        all_pass = n > 0 and passed == n
        score = frac if self.score == "fraction" else float(all_pass)
        if n == 0:
            reason = "no-tests: the reference holds no tests"
        elif all_pass:
            reason = f"all-pass {passed}/{n}"
        else:
            first = next(t for t in tests if not t["passed"])
            reason = f"failed {n - passed}/{n}: test {first['index']}: {first['error'][:160]}"
        status = results[0].status if results else "none"
        return Verdict(all_pass, score, reason, job.code[:2000], {"tests": tests, "status": status})

    def _harness_results(self, job: _Job, res: ExecResult) -> list[dict[str, Any]]:
        got: dict[int, tuple[bool, str]] = {}
        done = False
        for line in res.stdout.split("\n"):  # only the judge writes to stdout: one JSON row a line
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if row == ["DONE", job.n_tests]:
                done = True
            elif (isinstance(row, list) and len(row) == 4 and row[0] == "T" and type(row[1]) is int
                  and type(row[2]) is bool and isinstance(row[3], str) and row[1] not in got):
                got[row[1]] = (row[2], row[3])
        missing = _why_missing(res, done)
        return [
            {"index": i, "passed": got[i][0], "error": got[i][1]} if i in got
            else {"index": i, "passed": False, "error": missing}
            for i in range(job.n_tests)
        ]

    def _io_results(self, job: _Job, results: list[ExecResult]) -> list[dict[str, Any]]:
        out = []
        for i, (res, want) in enumerate(zip(results, job.expected)):
            if res.status != "ok":
                out.append({"index": i, "passed": False, "error": f"{res.status} (exit {res.exit_code}): {res.stderr[-160:]}"})
                continue
            ok = _same_output(res.stdout, want, job.float_tol, job.by_lines)
            out.append({"index": i, "passed": ok, "error": "" if ok else f"wrong output: {res.stdout[:80]!r}"})
        return out


# -- entry_point inference (host side: sources are parsed with `ast`, never run) ------------------
def infer_entry_point(tests: Sequence[str], code: str, prelude: str = "") -> str | None:
    """The function under test when the reference does not name it: the one function the
    solution defines at top level that the tests call by name (names the tests or the prelude
    define themselves do not count). None when there is not exactly one, or a source does not parse."""
    candidates = _called_solution_functions(tuple(map(str, tests)), code, prelude)
    return candidates[0] if candidates is not None and len(candidates) == 1 else None


def _called_solution_functions(tests: tuple[str, ...], code: str, prelude: str) -> list[str] | None:
    defined = _top_level_functions(code)
    if defined is None:
        return None
    called = _called_names(tests, prelude)
    return sorted(defined & called) if called is not None else None


def _top_level_functions(code: str) -> set[str] | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return None
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


@lru_cache(maxsize=1024)  # one reference is verified against many responses
def _called_names(tests: tuple[str, ...], prelude: str) -> frozenset[str] | None:
    """Names the tests call as ``name(...)``, less those the tests or the prelude bind themselves."""
    called: set[str] = set()
    bound: set[str] = set()
    for source in (*tests, prelude):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and source is not prelude:
                called.add(node.func.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
    return frozenset(called - bound)


@lru_cache(maxsize=1024)
def _needs_entry_point(tests: tuple[str, ...]) -> bool:
    """Whether the tests reach the solution through ``candidate`` (HumanEval's ``check(candidate)``)."""
    for source in tests:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "candidate":
                return True
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "check":
                return True
    return False


def _missing_entry_point(tests: Sequence[str], code: str, prelude: str) -> str:
    called = _called_solution_functions(tuple(map(str, tests)), code, prelude)
    if called is None:
        found = "the tests or the solution could not be parsed to infer it"
    elif called:
        found = f"the tests call {len(called)} of the solution's functions ({', '.join(called)}), so it is ambiguous"
    else:
        found = "the tests call none of the solution's functions by name, so it cannot be inferred"
    return (f"missing-entry-point: the reference's tests call `candidate` but the reference gives no "
            f"'entry_point' and {found}; add 'entry_point': NAME (the function under test) to the reference")


def _broken_reference(tests: Sequence[Any], prelude: str) -> str | None:
    """``"bad-reference: ..."`` naming the first test (or the prelude) that is not Python code that
    compiles, each compiled on its own as the judge compiles it; None when all do."""
    for i, test in enumerate(tests):
        if not isinstance(test, str):
            return (f"bad-reference: the reference's test {i} is not code (got {type(test).__name__}); "
                    "write each test as a string of Python")
    return _compile_failure(tuple(tests), prelude)


@lru_cache(maxsize=1024)  # one reference is verified against many responses
def _compile_failure(tests: tuple[str, ...], prelude: str) -> str | None:
    sources = ([("prelude", prelude)] if prelude else []) + [(f"test {i}", t) for i, t in enumerate(tests)]
    for what, source in sources:
        try:
            compile(source, "<reference>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:  # ValueError: a NUL byte, in older Pythons
            where = f", line {e.lineno}" if isinstance(e, SyntaxError) and e.lineno else ""
            return (f"bad-reference: the reference's {what} does not compile ({type(e).__name__}: "
                    f"{getattr(e, 'msg', None) or e}{where}); fix it in the reference, the solution was not run")
    return None


def _float_tol(given: Any, default: float) -> float:
    """A reference's own ``float_tol`` (as :func:`~zeroplay.verifiers.code.convert.to_io` sets), else the verifier's."""
    if given is None:
        return default
    if isinstance(given, bool) or not isinstance(given, (int, float)) or not 0 <= given < 1:
        raise ConfigError(f"A code reference's 'float_tol' is a number in [0, 1), got {given!r:.40}")
    return float(given)


def compile_error(res: ExecResult) -> str | None:
    """``"compile error: <first lines of the compiler's message>"`` when ``res`` is a job whose compile
    step failed (:mod:`zeroplay.sandbox.language_files`), else None."""
    from zeroplay.sandbox.language_files import COMPILE_ERROR_EXIT, COMPILE_ERROR_MARK

    if res.status != "error" or res.exit_code != COMPILE_ERROR_EXIT or not res.stderr.startswith(COMPILE_ERROR_MARK):
        return None
    lines = [line.strip() for line in res.stderr[len(COMPILE_ERROR_MARK):].splitlines() if line.strip()]
    message = " | ".join(lines[:4])[:300]
    return f"compile error: {message or 'the compiler failed without a message'}"


def _why_missing(res: ExecResult, done: bool) -> str:
    if res.status != "ok":
        return f"run ended before this test reported: {res.status} (exit {res.exit_code})"
    return "the program exited before this test reported (early exit)" if not done else "no result"


def _by_lines(compare: Any) -> bool:
    """A reference's ``compare``: ``"tokens"`` (default) or ``"lines"``."""
    if compare not in ("tokens", "lines"):
        raise ConfigError(f"A code reference's 'compare' is 'tokens' or 'lines', got {compare!r:.40}")
    return compare == "lines"


#: Where output splits into tokens: ASCII whitespace only (a U+2028 or a no-break space is part of a token).
_SPACE = re.compile(r"[ \t\n\r\f\v]+")
#: A number as a token: ASCII decimal, optional point and exponent (no nan/inf, ``_`` or other digits).
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


def _tokens(text: str) -> list[str]:
    return [t for t in _SPACE.split(text) if t]


def _lines(text: str) -> list[str]:
    """The lines of ``text``: split at ``\\n`` only, a final line break ends the last line."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _same_output(got: str, want: str, float_tol: float, by_lines: bool = False) -> bool:
    if not by_lines:
        return _same_tokens(_tokens(got), _tokens(want), float_tol)
    a, b = _lines(got), _lines(want)
    while len(a) > len(b) and not a[-1].strip(" \t\r\f\v"):  # blank lines past the expected ones
        a.pop()
    return len(a) == len(b) and all(_same_tokens(_tokens(x), _tokens(y), float_tol) for x, y in zip(a, b))


def _same_tokens(a: list[str], b: list[str], float_tol: float) -> bool:
    if a == b:
        return True
    if float_tol <= 0 or len(a) != len(b):
        return False
    return all(x == y or _same_number(x, y, float_tol) for x, y in zip(a, b))


def _same_number(got: str, want: str, float_tol: float) -> bool:
    """Whether token ``got`` is the number ``want`` states: an integer exactly, else within ``float_tol``."""
    if not (_DECIMAL.fullmatch(got) and _DECIMAL.fullmatch(want)):
        return False
    if _INTEGER.fullmatch(want):
        return decimal.Decimal(got) == decimal.Decimal(want)
    fx, fy = float(got), float(want)
    if not (math.isfinite(fx) and math.isfinite(fy)):
        return False
    return abs(fx - fy) <= float_tol * max(1.0, abs(fy))
