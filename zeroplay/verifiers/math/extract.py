"""Find the final answer in free model text (the math verifier's order; the readers themselves
are :mod:`zeroplay.core.answers`, whose docstring states the policy for tags, boxes and math).

Rules, in order (the first that matches wins; within a rule the LAST occurrence wins, since
models state the answer at the end):

1. ``<answer>...</answer>`` tags, lower case (a ``\\boxed{}`` inside them is then unwrapped);
2. ``\\boxed{...}`` / ``\\fbox{...}`` with nested braces (also ``\\boxed 5``); several boxes that end
   the text together are one answer, joined by commas (``the roots are $\\boxed{2}$ and
   $\\boxed{3}$.`` is ``2, 3``; ``$a = \\boxed{3}$ and $b = \\boxed{7}$`` is ``a = 3, b = 7``; see
   :func:`zeroplay.core.answers.final_boxes`); the last two boxes offered together anywhere
   (``\\boxed{5} or maybe \\boxed{6}``, ``\\boxed{5} / \\boxed{6}``) are both the answer, ``5, 6``
   (:func:`~zeroplay.core.answers.hedged_boxes`; a correction, ``\\boxed{3} no wait \\boxed{5}``, is
   ``5``); a box inside a box is read with the outer one (``\\boxed{\\boxed{5}, 6}`` is ``5, 6``);
3. GSM8K's ``#### 42`` (the rest of its line);
4. "final answer is X" / "the answer is X" (to the end of the line; ``The largest $n$ is 34``
   after the phrase gives what follows its last "is": ``34``);
5. "Answer:" (the rest of its line), or "Answer" followed by math (``Answer \\[ 9 \\]``,
   ``Answer: $9$``, multi-line display math included);
6. the fallback policy (``fallback=``):

   - ``"last-math"`` (default): the last mathematical answer, as Math-Verify users expect
     (:func:`zeroplay.core.answers.last_math_answer`): a one-line response whole, else display
     math that ends the text, else the last inline math or number of the LAST sentence;
     ``... then 10. I'm done.`` has no answer: never a number from an earlier sentence;
   - ``"short"``: a response that is itself short (one line, at most ``short_chars``
     characters) is taken whole, so a bare ``42`` or ``$\\frac12$`` counts;
   - ``"last-line"``: the last non-empty line, when it has at most ``short_chars`` characters;
   - ``"none"``: nothing; the verdict is ``no-answer``.

Guarantees: linear time in the text (only the last ``MAX_SCAN`` characters are read), never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zeroplay.core.answers import (
    MAX_SCAN,
    _braced_scan,  # noqa: F401  (tests compare it with braced's shortcut)
    boxes_glued,
    braced,
    final_boxes,
    gsm8k_answer,
    hedged_boxes,
    last_boxed,
    last_math_answer,
    last_tag,
    last_top_box,
    math_after,
)

__all__ = ["FALLBACKS", "MAX_SCAN", "Extracted", "braced", "extract_answer", "gold_answer", "last_answer_tag",
           "last_boxed", "strip_math_delimiters"]

FALLBACKS = ("last-math", "short", "last-line", "none")

_FINAL_IS = re.compile(r"(?:final answer|the answer)\s*(?:is|=|:)\s*:?", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"\banswer[\s*]*[:：]", re.IGNORECASE)  # one class: no nested quantifiers, no backtracking blow-up
_ANSWER_MATH = re.compile(r"\banswer\b[\s*:：]*(?=\$|\\\(|\\\[)", re.IGNORECASE)  # one class again
_LAST_VERB = re.compile(r"\s(?:is|are|was|equals)\s", re.IGNORECASE)


@dataclass(frozen=True)
class Extracted:
    """An answer read from a response and the rule that found it (``boxed``, ``answer-tag``...)."""

    text: str
    rule: str
    #: The boxes read as one answer (two or more: ``\\boxed{5} or \\boxed{6}``), each as written; else empty.
    boxes: tuple[str, ...] = ()


def strip_math_delimiters(s: str) -> str:
    """Remove surrounding ``$``, ``\\(...\\)``, ``\\[...\\]``, bold marks and a final period."""
    return s if _bare(s) else _strip_delimiters(s)


def _strip_delimiters(s: str) -> str:
    """:func:`strip_math_delimiters` by peeling delimiters off, up to three layers."""
    s = s.strip()
    for _ in range(3):
        before = s
        s = s.strip().strip("*").strip()
        if s.endswith("."):
            s = s[:-1].rstrip()
        for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s = s[len(left) : len(s) - len(right)].strip()
        if s == before:
            break
    return s


def _bare(s: str) -> bool:
    """True when :func:`strip_math_delimiters` would return ``s`` unchanged, told from its ends alone
    (the usual ``42``): no space or ``*`` at either end, no final period, and no ``$`` or backslash
    first (every delimiter it removes opens with one)."""
    first, last = s[:1], s[-1:]
    return bool(s) and first not in "*$\\" and last not in "*." and not first.isspace() and not last.isspace()


def last_answer_tag(text: str) -> str | None:
    """The content of the last ``<answer>...</answer>`` (see :func:`zeroplay.core.answers.last_tag`), or None."""
    return last_tag(text, "answer")


def _last_match(text: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
    last = None
    for last in pattern.finditer(text):
        pass
    return last


def _rest_of_line(text: str, pattern: re.Pattern[str]) -> str | None:
    """What follows the last match of ``pattern`` on its line (at most 400 characters)."""
    last = _last_match(text, pattern)
    if last is None:
        return None
    return text[last.end() : last.end() + 400].split("\n", 1)[0]


def _after_last_verb(found: str) -> str:
    """``The largest $n$ is 34`` -> ``34``: what follows the last "is"/"are"/"was"/"equals" of a
    sentence, when the text does not open with math; else the text unchanged."""
    if found.lstrip().startswith(("$", "\\(", "\\[")):
        return found
    verb = _last_match(found, _LAST_VERB)
    return found[verb.end():] if verb is not None and found[verb.end():].strip() else found


def _final_is(text: str) -> str | None:
    last = _last_match(text, _FINAL_IS)
    if last is None:
        return None
    # "the answer is" then display math on the lines below ("$$\n47\n$$", "\[\n47\n\]")
    below = math_after(text, last.end())
    if below is not None and below.display and below.content.strip():
        return below.content
    found = text[last.end() : last.end() + 400].split("\n", 1)[0]
    # "is $x=3$ because ..." -> the math span, when the phrase opens with one ("$\\$1,260$": an
    # escaped dollar inside does not close it)
    span = math_after(found, 0)
    if span is not None and span.content.strip():
        return span.content
    return _after_last_verb(re.split(r"\.\s|\.$|\s(?:because|since|as)\s", found, maxsplit=1)[0])


def _answer_marker(text: str) -> Extracted | None:
    """The last "Answer:" line, or the math right after the last "Answer" (whichever comes later)."""
    line, math = _last_match(text, _ANSWER_LINE), _last_match(text, _ANSWER_MATH)
    if math is not None and (line is None or math.start() >= line.start()):
        span = math_after(text, math.end())
        if span is not None and span.content.strip():
            return Extracted(strip_math_delimiters(span.content), "answer-math")
    if line is not None:
        rest = text[line.end() : line.end() + 400].split("\n", 1)[0]
        if rest.strip():
            return Extracted(strip_math_delimiters(_after_last_verb(rest)), "answer-line")
    return None


def extract_answer(response: str, *, fallback: str = "last-math", short_chars: int = 80) -> Extracted | None:
    """The final answer in ``response`` by the rules in the module docstring, or None."""
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    if not isinstance(response, str):
        return None
    text = response[-MAX_SCAN:]
    inner = last_answer_tag(text)
    if inner is not None:
        boxes = final_boxes(inner) or hedged_boxes(inner)
        if boxes is not None:
            return _joined(boxes, "answer-tag", boxes_glued(inner, len(boxes)))
        boxed = last_boxed(inner)
        return Extracted(strip_math_delimiters(boxed if boxed is not None else inner), "answer-tag")
    boxes = final_boxes(text) or hedged_boxes(text)
    if boxes is not None:
        return _joined(boxes, "boxes", boxes_glued(text, len(boxes)))
    boxed = last_top_box(text)  # a box inside a box: the outer one is the answer
    if boxed is None:
        boxed = last_boxed(text)  # \boxed 5, with no braces
    if boxed is not None:
        return Extracted(strip_math_delimiters(boxed), "boxed")
    marked = gsm8k_answer(text)
    if marked is not None:
        return Extracted(strip_math_delimiters(marked), "gsm8k")
    final = _final_is(text)
    if final is not None and final.strip():
        return Extracted(strip_math_delimiters(final), "final-answer-phrase")
    found = _answer_marker(text)
    if found is not None:
        return found
    stripped = text.strip()
    if fallback == "last-math":
        got = last_math_answer(text, short_chars=short_chars)
        return Extracted(strip_math_delimiters(got[0]), f"fallback-{got[1]}") if got else None
    if fallback == "short" and stripped and "\n" not in stripped and len(stripped) <= short_chars:
        return Extracted(strip_math_delimiters(stripped), "fallback-short")
    if fallback == "last-line" and stripped:
        last = stripped.splitlines()[-1].strip()
        if last and len(last) <= short_chars:
            return Extracted(strip_math_delimiters(last), "fallback-last-line")
    return None


def _joined(boxes: list[str], rule: str, glued: bool) -> Extracted:
    """The boxes as one answer; ``boxes`` kept (each box may then be read alone) only when nothing stands
    between them but glue (:func:`~zeroplay.core.answers.boxes_glued`: no unit or factor outside a box)."""
    parts = tuple(strip_math_delimiters(b) for b in boxes)
    return Extracted(", ".join(parts), rule, parts if glued else ())


def gold_answer(gold: str) -> str:
    """A reference as given: the content of its last ``\\boxed{}`` when it has one, else what follows
    its ``####`` (a GSM8K solution), else the whole string."""
    gold = str(gold)
    found = last_boxed(gold)
    if found is None and "####" in gold:
        found = gsm8k_answer(gold)
    return strip_math_delimiters(found if found is not None else gold)
