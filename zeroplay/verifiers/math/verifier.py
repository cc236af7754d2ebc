"""The math verifier: ``verifiers.make("math")``."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from zeroplay.core.answers import MAX_SCAN, braced, math_spans
from zeroplay.core.types import Verdict
from zeroplay.core.verifier import Verifier, missing_reference
from zeroplay.verifiers.math.extract import Extracted, extract_answer, gold_answer
from zeroplay.verifiers.math.normalize import choice_letter, compact, drop_variable, normalize, plain_number
from zeroplay.verifiers.math.options import MathOptions
from zeroplay.verifiers.math.units import Conversion, unit_after, unit_check
from zeroplay.verifiers.workers import WorkerPool

_CACHE_SIZE = 1 << 16
#: Most pairs in one worker request of a batch, and the seconds after which a worker starts no new
#: pair of a request (it answers those it did; the rest are sent again).
_CHUNK_MAX = 32
_CHUNK_SOFT_S = 0.25


def _timeout_verdict(budget: float) -> tuple[bool, str, float]:
    """The cached verdict of a pair whose sympy work ran past ``budget`` seconds."""
    return False, f"timeout: sympy ran past {budget:g} s (worker killed)", budget
#: Worker pools shared by every MathVerifier with the same (workers, memory cap): many envs, one pool.
_POOLS: dict[tuple[int, int], WorkerPool] = {}
_POOLS_LOCK = threading.Lock()
_WORD_GAP = re.compile(r"[A-Za-z]{2} +[A-Za-z]")  # "Mon day" is not "Monday"; "2 x" is "2x"
#: A plain decimal literal (``42``, ``-7``, ``3.25``; ASCII digits only): reading a gold and
#: normalizing leave it unchanged, so the verifier skips that work for it (tests compare both paths).
_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
#: Something a gold can mean: a letter or digit (any script), or a math symbol written in Unicode.
_CONTENT = re.compile(r"[^\W_]|[∞π√ℝ∅]")
#: A numeral in base 2-36 with its base as a subscript (``1011_2``, ``4A_{16}``, ``12_{(3)}``); its
#: digits start with a decimal digit (``a_{12}`` is a sequence term, not a numeral).
_BASE_NUMERAL = re.compile(r"([0-9][0-9A-Za-z]*)_\{?\(?([0-9]{1,2})\)?\}?")
_NUMERAL = re.compile(r"([0-9A-Za-z]+)(?:_\{?\(?([0-9]{1,2})\)?\}?)?")
#: A multiple-choice gold that also gives the choice's value (``\textbf{(C) }12`` normalizes to ``(C) 12``);
#: never one that names more choices (``(B) and (D)``, ``(B), (D)``).
_CHOICE_WITH_VALUE = re.compile(r"\(([A-E])\)\s*(?![,;&]|and\b|or\b)((?:(?!\([A-E]\)).)+)")
#: A multiple-choice letter that ends a response: ``The correct answer is (B).``, ``which is option (a).``
_CHOICE_AT_END = re.compile(r"(?:\bis|:)\s+(?:(?:option|choice)\s+)?\(([A-Ea-e])\)\s*\.?\s*$"
                            r"|\b(?:option|choice)\s+([A-E])\s*\.?\s*$")
#: The empty set named as such: content even though it normalizes to ``\{\}``.
_NAMED_EMPTY_SET = re.compile(r"\\emptyset|\\varnothing|∅")


@dataclass(frozen=True)
class _Pending:
    """A pair the fast paths could not decide: it goes to a sympy worker."""

    answer: str
    gold: str
    extracted: str
    details: dict[str, Any]


def _answer_length(response: str, found: Extracted) -> str:
    """How long the extracted answer is, for a message; ``"at least N"`` when a fallback answer (the
    only kind without a marker before it) starts where extraction's window, the last ``MAX_SCAN``
    characters of ``response``, starts: it may go on before the window."""
    window_start = len(response) - MAX_SCAN
    cut = (window_start > 0 and found.rule.startswith("fallback")  # (the last math in the text: rfind)
           and 0 <= response.rfind(found.text, window_start) - window_start <= 8)
    if cut:
        return f"at least {len(found.text)}"
    return str(len(found.text))


class MathVerifier(Verifier):
    """Is the final answer in a model's text mathematically equal to the gold answer?

    Pipeline: extract the answer (``<answer>``, ``\\boxed{}``, ``####``, "final answer is", "Answer:",
    then the fallback policy, by default the last mathematical answer; see
    :mod:`~zeroplay.verifiers.math.extract`), normalize both sides
    (:mod:`~zeroplay.verifiers.math.normalize`), try the fast paths in-process (same string, plain
    numbers compared exactly as fractions, multiple-choice letters), and send the rest to a sympy
    worker process (:mod:`~zeroplay.verifiers.math.parse`, :mod:`~zeroplay.verifiers.math.equivalence`).

    Guarantees: ``verify`` never raises on any response; each item's sympy work has a hard wall-clock
    budget (``timeout_s``; the worker is killed and the verdict is ``timeout``), enforced from any
    thread without signals; power towers, huge factorials and oversized inputs are refused before
    sympy computes them. Every verdict names its rule in ``reason`` and carries the extracted answer.
    A gold with no content (None, NaN, empty, or only punctuation and brackets such as ``.``, ``()``,
    ``\\{\\}``; the empty set must be named: ``\\emptyset``) matches nothing: the verdict is ``bad-gold``.
    Verdicts from sympy are cached per (answer, gold), refusals included: a timeout is answered
    again from the cache for any budget up to the one it ran past, so a policy repeating a
    runaway answer does not cost a worker restart each time (``worker_calls`` counts the misses).

    Numbers: a gold written exactly (integer, fraction, no decimal point) is compared exactly: a
    decimal answer must spell the same value (``2.0`` for ``2``, ``0.5`` for ``1/2``; never
    ``0.3333`` for ``1/3`` nor ``1234567891.0`` for ``1234567890``), and exact numbers must be equal:
    their difference evaluates to zero (``e^{-1000}`` is not 0); with free symbols, they must agree to
    15 digits at random points. ``rel_tol``/``abs_tol`` apply only to a decimal gold (whatever
    the answer: ``\\pi`` against ``3.14159``), and to a decimal answer for an irrational gold constant
    (``3.14159265359`` for ``\\pi``). The default ``rel_tol=1e-9`` asks for about ten significant digits: a
    gold ``3.14159`` or ``1.41421`` does not accept ``\\pi`` or ``\\sqrt{2}``, nor the gold ``\\pi`` the answer
    ``3.1416`` (Math-Verify 0.9 rejects these pairs too). For golds rounded to about six significant
    digits pass ``rel_tol=1e-5``, which accepts those pairs and still rejects ``3.14`` for ``3.14159``.
    See :mod:`~zeroplay.verifiers.math.equivalence` for expressions.

    Percent (with ``strip_percent``, the default): an answer ``p%`` equals the gold ``p`` (golds
    usually drop the sign) or ``p%``; it equals ``p/100`` only when that gold is a proportion
    strictly between -1 and 1 and not 0 (``12.5%`` for ``0.125``), never otherwise (``5000%`` is
    not ``50``; ``150%`` is not ``1.5``: such golds are read as the percent number). A gold ``50%``
    is the number 50: the answer ``0.5`` does not match it. Only a ``%`` that ends a value is read
    (``5%0`` is not ``50``).

    Units (with ``strip_units``, the default): a unit after the value may be left out on either side
    (``5`` for ``5 \\text{ m}``). When both sides end in a physical unit, the units must agree: the same
    unit in any spelling, or one of the same kind, converted (``500 cm`` for ``5 m``, ``2 hours`` for
    ``120 minutes``); ``5 cm`` for ``5 m``, ``3 minutes`` for ``3 hours``, ``5 dm`` (an unknown unit) for
    ``5 m``, ``5 N`` for ``5 J``, a hedge (``5 m cm``) are wrong (``unit-different``). Degrees and radians
    convert (``\\frac{\\pi}{4}`` for ``45^\\circ``), as do amounts in parts (``2 h 30 min``). A unit written
    right after the box counts (``\\boxed{5}\\text{ cm}``). See :mod:`~zeroplay.verifiers.math.units`.

    Multiple choice: a gold ``B`` or ``(B)`` wants that letter (``(B) 12`` counts; an answer found
    only by the fallback takes the letter that ends the response: ``... which is option (b).``). A
    gold that gives the value too (``\\textbf{(C) }12``) accepts the letter C, the value 12, or both
    together; another letter, or C with another value, is wrong.

    The question: a reference dict may give it (``{"answer": ..., "question": ...}``; task envs pass it,
    :class:`~zeroplay.core.tasks.TaskEnv`). Then an answer that only restates a value the question
    writes, in another form than the gold's, is wrong (``restates-question``): "Express
    $\\frac{7}{16}$ as a decimal" answered with 7/16, or the question copied whole, "Simplify
    $\\sqrt{12}$" answered with ``\\sqrt{12}``: equal in value, and the policy would learn to copy.
    Multiple-choice questions and answers written as the gold is are exempt (:func:`restates_question`).

    Base-n numerals: against a gold numeral with its base (``1011_2``, ``4A_{16}``), the same digits
    count with or without the subscript (``1011``, ``4a``: the question states the base); the value
    in base ten (``11``) does not, since it is not what was asked.

    Does not: give partial credit; read answers that are not marked (beyond the ``fallback`` policy);
    guarantee symbolic proofs: expressions with free symbols are equal when they agree at
    ``random_points`` random points of both signs (a probabilistic identity test that is exact for
    polynomials with overwhelming probability; points outside the gold's real domain are skipped, so
    the answer ``ln(x^2)`` is the gold ``2 ln x``; an answer that is not real where the gold is, is
    wrong: ``2 ln x`` for the gold ``ln(x^2)``, ``ln x`` for ``ln|x|``). The first hard item waits for a
    worker to start (about a second).
    Verifiers with the same ``workers`` and ``worker_memory_mb`` share one pool of processes.
    """

    name = "math"
    #: Task envs pass the question with the gold (see "The question" above).
    reads_question = True

    def __init__(self, *, workers: int | None = None, **options: Any):
        self.options = MathOptions.from_dict(options)
        self.workers = workers or max(1, min(os.cpu_count() or 1, 8))
        self._options_key = json.dumps(self.options.to_dict(), sort_keys=True)
        self._pool: WorkerPool | None = None
        #: (answer, gold) -> (correct, reason, the budget a timeout ran past or None)
        self._cache: dict[tuple[str, str], tuple[bool, str, float | None]] = {}
        self._lock = threading.Lock()
        #: Pairs sent to a sympy worker (cache misses), for monitoring.
        self.worker_calls = 0

    # -- public API ----------------------------------------------------------------------------
    def verify(self, response: str, reference: Any) -> Verdict:
        """The verdict on the final answer in ``response`` against the gold ``reference`` (a string, or
        a dict with an ``"answer"``). Never raises on a response; ``reason`` names the deciding rule
        and ``extracted`` holds the answer read. Decided in-process when a fast path can, else by a
        sympy worker within ``timeout_s`` (see the class docstring)."""
        prepared = self._prepare(response, reference)
        verdict = prepared if isinstance(prepared, Verdict) else self._decide(prepared)
        return self._unless_restated(self._every_box([verdict], [response], [reference])[0], reference)

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        """Verdicts in order; undecided pairs run on up to ``workers`` sympy processes at once, each
        distinct pair once, several pairs to a worker request (one round trip per request)."""
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        prepared = [self._prepare(r, g) for r, g in zip(responses, references)]
        # each distinct (answer, gold) once (samples of one prompt often repeat an answer), in chunks:
        # one worker round trip per chunk; the verdicts land in the cache, where _decide finds them
        todo = list({(p.answer, p.gold): None for p in prepared if isinstance(p, _Pending)
                     and self._cached((p.answer, p.gold)) is None})
        if len(todo) > 1:
            size = max(1, min(_CHUNK_MAX, -(-len(todo) // (self.workers * 4))))
            chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
            with ThreadPoolExecutor(max_workers=min(self.workers, len(chunks))) as ex:
                list(ex.map(self._decide_chunk, chunks))
        verdicts = self._every_box([p if isinstance(p, Verdict) else self._decide(p) for p in prepared],
                                   responses, references)
        return [self._unless_restated(v, g) for v, g in zip(verdicts, references)]

    def _every_box(self, verdicts: list[Verdict], responses: Sequence[Any],
                   references: Sequence[Any]) -> list[Verdict]:
        """``verdicts``, where one that refused several boxes read as one answer passes when each box
        alone is right: the same value offered twice or in two forms (``\\boxed{3}`` (or equivalently
        ``\\boxed{6/2}``)) is the answer; one wrong box among them keeps the refusal."""
        redo = [k for k, v in enumerate(verdicts) if not v.correct and len(v.details.get("boxes", ())) >= 2]
        if not redo:
            return verdicts
        items = [(k, _box_alone(responses[k], verdicts[k].details["boxes"], j))
                 for k in redo for j in range(len(verdicts[k].details["boxes"]))]
        alone = self.verify_batch([r for _, r in items], [references[k] for k, _ in items])
        out = list(verdicts)
        for k in redo:
            each = [v for (i, _), v in zip(items, alone) if i == k]
            if all(v.correct for v in each):
                old = verdicts[k]
                out[k] = Verdict(True, 1.0, f"every-box-equal: each of the {len(each)} boxes alone is right "
                                 f"({'; '.join(v.reason for v in each)})", old.extracted, old.details)
        return out

    def _unless_restated(self, verdict: Verdict, reference: Any) -> Verdict:
        """``verdict``, or a failure when a reference dict gives the ``question`` and the answer only
        restates a value the question wrote (see the class docstring)."""
        question = reference.get("question") if isinstance(reference, dict) else None
        if not verdict.correct or not isinstance(question, str) or not verdict.extracted:
            return verdict
        if restates_question(verdict.extracted, _gold_text(_gold_str(reference)), question, self._normalized):
            return Verdict.fail("restates-question: the answer is a value the question wrote, not the form it asks for "
                                "(the gold is written otherwise)", verdict.extracted, **verdict.details)
        return verdict

    def __getstate__(self) -> dict[str, Any]:  # picklable (e.g. into vector-env workers): processes stay behind
        state = dict(self.__dict__)
        state.update(_pool=None, _cache={}, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop the worker processes (shared with other math verifiers of the same ``workers`` and
        memory cap; any of them restarts them on its next hard item)."""
        if self._pool is not None:
            self._pool.close()

    # -- steps ---------------------------------------------------------------------------------
    def _prepare(self, response: Any, reference: Any) -> Verdict | _Pending:
        """Extraction, normalization and the fast paths; a pending pair when sympy must decide."""
        opts = self.options
        if isinstance(response, bytes):
            response = response.decode("utf-8", errors="replace")
        if not isinstance(response, str):
            return Verdict.fail(f"bad-input: response must be str, got {type(response).__name__}")
        found = extract_answer(response, fallback=opts.fallback, short_chars=opts.short_chars)
        if found is None:
            return Verdict.fail(f"no-answer: no \\boxed{{}}, <answer>, 'final answer is' or 'Answer:' found, "
                                f"nor an answer by fallback={opts.fallback!r}",
                                fallback=opts.fallback)
        details: dict[str, Any] = {"extraction": found.rule}
        if found.boxes:
            details["boxes"] = list(found.boxes)
        if _no_gold(reference):  # str(None) is "None": an answer must not score against a missing gold
            return Verdict.fail(f"bad-gold: no gold ({reference!r}; fix the dataset item)", found.text, **details)
        gold_text = _gold_text(reference if isinstance(reference, str) else _gold_str(reference))
        if len(found.text) > opts.max_chars:
            return Verdict.fail(f"oversized-input: answer has {_answer_length(response, found)} chars "
                                f"(max_chars={opts.max_chars})",
                                found.text[:200], **details)
        if len(gold_text) > opts.max_chars:
            return Verdict.fail(f"gold-unreadable: gold has {len(gold_text)} chars", found.text, **details)
        a, g = self._normalized(found.text), self._normalized(gold_text)
        details.update(answer=a, gold=g)
        if not _PLAIN_DECIMAL.fullmatch(g) and not _has_content(gold_text, g):
            return Verdict.fail(f"bad-gold: the gold {gold_text[:60]!r} has no content (fix the dataset item)",
                                found.text, **details)
        if not a:
            return Verdict.fail("no-answer: the extracted answer is empty", found.text, **details)
        a, g = _multiple_choice(a, g, response, found.rule)
        units = unit_check(found.text + _unit_after_box(response, found), gold_text) if opts.strip_units else None
        if units is not None and units.wrong:
            return Verdict.fail(f"unit-different: {units.wrong}", found.text, **details)
        if units is not None:  # both in units: their values compared in the gold's (500 cm against 5 m)
            a, g = self._normalized(units.answer), self._normalized(units.gold)
            if units.to is not None:
                a = _scaled(a, units.to)
            details.update(answer=a, gold=g)
        if opts.literal_answer and plain_number(drop_variable(g)) is not None and plain_number(drop_variable(a)) is None:
            return Verdict.fail("unsimplified: the gold is a number and the answer is not written as one "
                                "(literal_answer)", found.text, **details)
        decided = self._fast(a, g, percent="%" in found.text)
        if decided is not None:
            ok, reason = decided
            return Verdict(ok, float(ok), reason, found.text, details)
        return _Pending(a, g, found.text, details)

    def _normalized(self, text: str) -> str:
        """``normalize(text)``, skipped for a plain decimal literal, which it would return unchanged."""
        return text if _PLAIN_DECIMAL.fullmatch(text) else normalize(text, self.options)

    def _fast(self, a: str, g: str, percent: bool = False) -> tuple[bool, str] | None:
        """Decide without sympy where that is exact: same string, plain numbers, choice letters."""
        if a == g or (compact(a) == compact(g) and not _WORD_GAP.search(a)):
            return True, "string-equal"
        letter = choice_letter(g, gold=True)
        if letter is not None:
            got = choice_letter(a, gold=False)
            if got is not None or len(a) <= 3:
                return got == letter, "choice-equal" if got == letter else "choice-different"
        valued = _CHOICE_WITH_VALUE.fullmatch(g)
        if valued is not None:  # the answer names a letter (else _multiple_choice kept only the value)
            return self._choice_with_value(a, valued.group(1), valued.group(2))
        numeral = _BASE_NUMERAL.fullmatch(g)
        if numeral is not None and _in_base(numeral.group(1), int(numeral.group(2))):
            got = _NUMERAL.fullmatch(a)
            if got is not None and got.group(1).lower() == numeral.group(1).lower() and got.group(2) in (
                    None, numeral.group(2)):
                return True, "base-numeral-equal (same digits; the question states the base)"
        gn = plain_number(drop_variable(g))
        an = plain_number(drop_variable(a)) if gn is not None else None
        if gn is not None and an is not None:
            ok, reason = _numbers_equal(an, gn, self.options)
            if not ok and percent and 0 < abs(gn[0]) < 1:  # "12.5%" for a proportion gold 0.125 (class docstring)
                ok, reason = _numbers_equal((an[0] / 100, an[1]), gn, self.options)
                reason = reason + " (percent as fraction)" if ok else reason
            return ok, reason
        return None

    def _choice_with_value(self, a: str, letter: str, value: str) -> tuple[bool, str]:
        """An answer naming a choice against the gold ``(C) 12``: the letter must be C, and what the
        answer writes after it, if anything, must be the value (``(C) 12``, ``C: 12.0``)."""
        m = _CHOICE_ANSWER_PREFIX.match(a)
        if m is None or m.group(1) != letter:
            return False, "choice-different"
        rest = a[m.end():].strip(" :.")
        if not rest:
            return True, "choice-equal"
        decided = self._fast(rest, value)
        ok = decided is not None and decided[0]
        return ok, "choice-equal (letter and value)" if ok else "choice-different (the value after the letter)"

    def _cached(self, key: tuple[str, str]) -> tuple[bool, str, float | None] | None:
        hit = self._cache.get(key)
        if hit is not None and hit[2] is not None and hit[2] < self.options.timeout_s:
            return None  # it timed out under a smaller budget: a bigger one may decide it
        return hit

    def _store(self, key: tuple[str, str], hit: tuple[bool, str, float | None]) -> None:
        with self._lock:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = hit

    def _decide_chunk(self, keys: list[tuple[str, str]]) -> None:
        """Judge ``keys`` into the cache in worker requests of several pairs, each request holding
        the pairs still unanswered. A request's budget is ``_CHUNK_SOFT_S`` (after which the worker
        starts no new pair) plus ``timeout_s``, so every pair keeps its full budget, and a pair that
        took longer than ``timeout_s`` is a timeout, as it is alone. When a request runs past its
        budget or its worker dies, its pairs are left to :meth:`_decide`, one call each."""
        budget = self.options.timeout_s
        while keys:
            answer = self._worker_pool().call(
                {"b": [list(k) for k in keys], "o": self._options_key, "s": _CHUNK_SOFT_S, "t": budget},
                _CHUNK_SOFT_S + budget)
            got = answer.get("answers")
            if not got:
                return
            with self._lock:
                self.worker_calls += len(got)
            for key, one in zip(keys, got):
                verdict = (bool(one["ok"]), str(one["reason"]), None) if not one.get("timeout") else None
                self._store(key, verdict or _timeout_verdict(budget))
            keys = keys[len(got):]

    def _decide(self, p: _Pending) -> Verdict:
        key = (p.answer, p.gold)
        budget = self.options.timeout_s
        hit = self._cached(key)
        if hit is None:
            with self._lock:
                self.worker_calls += 1
            answer = self._worker_pool().call({"a": p.answer, "g": p.gold, "o": self._options_key}, budget)
            if answer.get("timeout"):
                hit = _timeout_verdict(budget)
            elif answer.get("died"):
                hit = (False, f"oversized-input: the sympy worker died (exit {answer.get('exit_code')})", None)
            else:
                hit = (bool(answer["ok"]), str(answer["reason"]), None)
            self._store(key, hit)
        ok, reason, _ = hit
        return Verdict(ok, float(ok), reason, p.extracted, p.details)

    def _worker_pool(self) -> WorkerPool:
        if self._pool is None:
            key = (self.workers, self.options.worker_memory_mb)
            with _POOLS_LOCK:
                if key not in _POOLS:
                    argv = ["zeroplay.verifiers.math.worker", str(self.options.worker_memory_mb)]
                    _POOLS[key] = WorkerPool(argv, self.workers)
                self._pool = _POOLS[key]
        return self._pool


_CHOICE_ANSWER_PREFIX = re.compile(r"\(?([A-E])\)?(?=[\s:.)]|$)")


#: A tuple or interval of numbers: ``(3, 4)``, ``[2.5, 5)``.
_NUMBER_GROUP = re.compile(r"([(\[])([^()\[\]]*,[^()\[\]]*)([)\]])")


def _unit_after_box(response: str, found: Extracted) -> str:
    """The unit written right after the answer's box (``\\boxed{5}\\text{ cm}``, ``$\\boxed{5}$ grams.``), with a
    space before it; ``""`` when there is none (or the answer was not found in a box)."""
    after = _after_last_box(response, found.text) if found.rule == "boxed" else None
    unit = unit_after(after) if after else ""
    return " " + unit if unit else ""


def _after_last_box(response: str, content: str) -> str | None:
    """What follows the last ``\\boxed{...}`` of ``response`` when that box holds ``content``, else None."""
    start = response.rfind("\\boxed")
    got = braced(response, start + len("\\boxed")) if start >= 0 else None
    return response[got[1]:] if got is not None and got[0].strip() == content.strip() else None


def _box_alone(response: str, boxes: list[str], k: int) -> str:
    """A response of box ``k`` of ``boxes`` alone; the last keeps what the response writes after it (a unit)."""
    after = _after_last_box(response, boxes[k]) if k == len(boxes) - 1 else None
    return f"\\boxed{{{boxes[k]}}}" + (after or "")


def _scaled(answer: str, to: Conversion) -> str:
    """``answer`` (normalized) in the gold's unit: exact for a plain number, each number of a tuple or interval
    of plain numbers (``(300, 400)`` cm), an expression for sympy otherwise."""
    group = _NUMBER_GROUP.fullmatch(answer.strip())
    if group is not None:
        items = [plain_number(x) for x in group.group(2).split(",")]
        if all(items):
            scaled = ", ".join(_latex_fraction(x[0] * to.scale + to.shift) for x in items)  # type: ignore[index]
            return f"{group.group(1)}{scaled}{group.group(3)}"
    number = plain_number(drop_variable(answer))
    if number is None:
        shift = "" if not to.shift else f"{'+' if to.shift > 0 else '-'}{_latex_fraction(abs(to.shift))}"
        return f"{_latex_fraction(to.scale)}\\cdot({drop_variable(answer)}){shift}"
    return _latex_fraction(number[0] * to.scale + to.shift)


def _latex_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{'-' if value < 0 else ''}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def _multiple_choice(a: str, g: str, response: str, rule: str) -> tuple[str, str]:
    """For a multiple-choice gold: an answer found by the fallback that names no letter takes the
    letter that ends the response (``... which is option (a).``); and against a gold that gives the
    choice's value (``(C) 12``) an answer with no letter is compared with the value."""
    valued = _CHOICE_WITH_VALUE.fullmatch(g)
    if valued is None and choice_letter(g, gold=True) is None:
        return a, g
    if choice_letter(a, gold=False) is None and rule.startswith("fallback"):
        m = _CHOICE_AT_END.search(response[-300:])
        if m is not None:
            a = f"({(m.group(1) or m.group(2)).upper()})"
    if valued is not None and choice_letter(a, gold=False) is None:
        g = valued.group(2)
    return a, g


def _in_base(digits: str, base: int) -> bool:
    """Whether ``digits`` is a numeral in ``base`` (2 to 36)."""
    if not 2 <= base <= 36:
        return False
    try:
        int(digits, base)
    except ValueError:
        return False
    return True


def _gold_text(gold: str) -> str:
    """``gold_answer(gold)``, skipped for a plain decimal literal, which it would return unchanged."""
    return gold if _PLAIN_DECIMAL.fullmatch(gold) else gold_answer(gold)


def _has_content(gold: str, normalized: str) -> bool:
    """Whether a gold says anything: a letter, digit or math symbol once normalized, or the empty set by name."""
    return bool(_CONTENT.search(normalized) or _NAMED_EMPTY_SET.search(gold))


#: A multiple-choice question: its options are values the answer may restate (``(A)`` after a space or
#: at a line's start, not ``P(A)``).
_CHOICES_IN_QUESTION = re.compile(r"(?:^|\s|\$)\(\s*[A-Ea-e]\s*\)|\\textbf\{\s*\(?[A-E]\)?|^\s*[A-E][.)]\s", re.M)
#: Values a question may write outside math delimiters: a fraction or a decimal (a bare integer is
#: too often the answer itself to count).
_PLAIN_VALUE = re.compile(r"(?<![\w.])\d+\s*/\s*\d+(?![\w.])|(?<![\w.])\d*\.\d+(?![\w.])")


def restates_question(answer: str, gold: str, question: str, normalized: Any) -> bool:
    """Whether ``answer`` (as extracted) is a value the question itself writes, in a form other than the
    gold's: "Express $\\frac{7}{16}$ as a decimal" answered ``\\frac{7}{16}``, ``7/16`` or ``\\frac{14}{32}``
    (or the question copied whole), "Simplify $\\sqrt{12}$" answered ``\\sqrt{12}``, "Write
    $0.\\overline{36}$ as a fraction" answered ``0.\\overline{36}``. Such an answer equals the gold in value
    and earns nothing. Forms are compared as written (:func:`_form`), before normalization turns
    ``0.\\overline{36}`` into the gold's ``\\frac{4}{11}``; a plain number also by value, against the
    question's numbers of its own kind (a fraction against fractions). Not for a multiple-choice question,
    nor one that writes the gold's own form among its values ("Which is larger, $\\sqrt2$ or $1.5$?"), nor
    when the answer is written as the gold is, nor for two integers. A first line only: a notation the
    rules do not know (``1\\cdot\\frac{7}{16}``) still passes."""
    if _CHOICES_IN_QUESTION.search(question):
        return False
    a, g = _form(answer, normalized), _form(gold, normalized)
    if a == g or (a.lstrip("+-").isdigit() and g.lstrip("+-").isdigit()):
        return False
    spans = [span.content for span in math_spans(question)]
    written = [w.strip() for w in spans + [p for s in spans for p in re.split(r"=|,|\\le|\\ge|<|>", s)]
               + _PLAIN_VALUE.findall(question)]  # a span's sides too: $P(A) = \frac{7}{16}$
    forms = {_form(w, normalized) for w in written if w}
    if g in forms:
        return False
    if a in forms:
        return True
    mine = plain_number(normalized(drop_variable(answer)))
    return mine is not None and any(plain_number(normalized(w)) == mine for w in written if w)  # value and kind


def _form(text: str, normalized: Any) -> str:
    """How a value is written, for :func:`restates_question`: the text without ``x =``, spaces, braces,
    parentheses and ``\\left``/``\\right`` (``\\sqrt2`` and ``\\sqrt{2}`` are one form), decimals as
    written (never turned into the fractions they are)."""
    text = drop_variable(text.strip())
    if not _REPEATING_OR_MIXED.search(text):
        text = normalized(text)
    return re.sub(r"\\(?:left|right|d|t)(?=[a-z(|.\[])|[\s{}()]", "", text)


#: Notation normalization would turn into the gold's form (a repeating decimal, a mixed number): kept.
_REPEATING_OR_MIXED = re.compile(r"\\overline|\.\(\d|\d\s*\\frac|\d\s+\d+\s*/")


def _no_gold(reference: Any) -> bool:
    """A missing gold: None or NaN (a blank cell of a table), bare or as a task dict's ``answer``."""
    if isinstance(reference, dict) and "answer" in reference:
        reference = reference["answer"]
    return missing_reference(reference)


def _gold_str(reference: Any) -> str:
    if isinstance(reference, dict) and "answer" in reference:
        return str(reference["answer"])
    return str(reference)


def _numbers_equal(a: tuple[Fraction, bool], g: tuple[Fraction, bool], opts: MathOptions) -> tuple[bool, str]:
    (x, _), (y, y_dec) = a, g
    if x == y:
        return True, "number-equal (exact)"
    if y_dec:  # a decimal gold is a rounded value: compare with the tolerance; an exact gold is exact
        floor = Fraction(opts.abs_tol) if y == 0 else 0  # a tiny gold (1.6e-19) is no zero: 0 is not it
        if abs(x - y) <= max(Fraction(opts.rel_tol) * max(abs(x), abs(y)), floor):
            return True, f"numeric-equal rel={opts.rel_tol:g}"
    return False, "number-different"
