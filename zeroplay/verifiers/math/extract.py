"""Find the final answer in free model text.

Rules, in order (the first that matches wins; within a rule the LAST occurrence wins, since
models state the answer at the end):

1. ``<answer>...</answer>`` tags (a ``\\boxed{}`` inside them is then unwrapped);
2. ``\\boxed{...}`` / ``\\fbox{...}`` with nested braces (also ``\\boxed 5``);
3. "final answer is X" / "the answer is X" (to the end of the line);
4. "Answer:" (the rest of its line);
5. the fallback policy (``fallback=``):

   - ``"short"`` (default): a response that is itself short (one line, at most ``short_chars``
     characters) is taken whole, so a bare ``42`` or ``$\\frac12$`` counts;
   - ``"last-line"``: the last non-empty line, when it has at most ``short_chars`` characters;
   - ``"none"``: nothing; the verdict is ``no-answer``.

There is deliberately no "any number anywhere in the text" rule: it rewards guessing.
Guarantees: linear time in the text (only the last ``MAX_SCAN`` characters are read), never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Only the end of a response is scanned: answers come last, and this bounds the work.
MAX_SCAN = 1 << 16
FALLBACKS = ("short", "last-line", "none")

_BOX = re.compile(r"\\(?:boxed|fbox)\s*")
_FINAL_IS = re.compile(r"(?:final answer|the answer)\s*(?:is|=|:)\s*:?", re.I)
_ANSWER_LINE = re.compile(r"\banswer[\s*]*[:：]", re.I)  # one class: no nested quantifiers, no backtracking blow-up


@dataclass(frozen=True)
class Extracted:
    """An answer read from a response and the rule that found it (``boxed``, ``answer-tag``...)."""

    text: str
    rule: str


def braced(text: str, start: int) -> tuple[str, int] | None:
    """The content of the ``{...}`` opening at ``text[start]`` (nesting respected) and the index after it."""
    if start >= len(text) or text[start] != "{":
        return None
    close = text.find("}", start + 1)
    if close > 0 and (start == 0 or text[start - 1] != "\\"):
        inner = text[start + 1 : close]
        if "{" not in inner and "\\" not in inner:
            return inner, close + 1  # the common case, nothing nested or escaped: what the scan finds
    return _braced_scan(text, start)


def _braced_scan(text: str, start: int) -> tuple[str, int] | None:
    """:func:`braced` by a scan that tracks nesting and escaped braces (``text[start]`` is ``{``)."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == "\\":  # an escaped brace \{ does not nest
            continue
        if c == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif c == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    return None


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` or ``\\fbox{...}`` (or ``\\boxed 5``), or None.

    Only the last few occurrences are tried, so unclosed braces cannot make this quadratic.
    """
    matches = list(_BOX.finditer(text))[-4:]
    for m in reversed(matches):
        end = m.end()
        if end < len(text) and text[end] == "{":
            got = braced(text, end)
            if got is not None:
                return got[0]
        elif text[end - 1].isspace():  # "\\boxed 5": one token
            token = re.match(r"[^\s${}]+", text[end:])
            if token:
                return token.group(0)
    return None


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
    """The content of the last ``<answer>...</answer>`` (lower-case tags; found from the end, so
    linear even with thousands of unclosed tags), or None."""
    end = text.rfind("</answer>")
    if end < 0:
        return None
    start = text.rfind("<answer>", 0, end)
    return text[start + len("<answer>") : end] if start >= 0 else None


def _rest_of_line(text: str, pattern: re.Pattern[str]) -> str | None:
    """What follows the last match of ``pattern`` on its line (at most 400 characters)."""
    last = None
    for last in pattern.finditer(text):
        pass
    if last is None:
        return None
    return text[last.end() : last.end() + 400].split("\n", 1)[0]


def _final_is(text: str) -> str | None:
    found = _rest_of_line(text, _FINAL_IS)
    if found is None:
        return None
    # "is $x=3$ because ..." -> the math span, when the phrase opens with one
    span = re.match(r"\s*(\$\$?)(.+?)\1", found)
    if span:
        return span.group(2)
    return re.split(r"\.\s|\.$|\s(?:because|since|as)\s", found, maxsplit=1)[0]


def extract_answer(response: str, *, fallback: str = "short", short_chars: int = 80) -> Extracted | None:
    """The final answer in ``response`` by the rules in the module docstring, or None."""
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    if not isinstance(response, str):
        return None
    text = response[-MAX_SCAN:]
    inner = last_answer_tag(text)
    if inner is not None:
        boxed = last_boxed(inner)
        return Extracted(strip_math_delimiters(boxed if boxed is not None else inner), "answer-tag")
    boxed = last_boxed(text)
    if boxed is not None:
        return Extracted(strip_math_delimiters(boxed), "boxed")
    final = _final_is(text)
    if final is not None and final.strip():
        return Extracted(strip_math_delimiters(final), "final-answer-phrase")
    line = _rest_of_line(text, _ANSWER_LINE)
    if line is not None and line.strip():
        return Extracted(strip_math_delimiters(line), "answer-line")
    stripped = text.strip()
    if fallback == "short" and stripped and "\n" not in stripped and len(stripped) <= short_chars:
        return Extracted(strip_math_delimiters(stripped), "fallback-short")
    if fallback == "last-line" and stripped:
        last = stripped.splitlines()[-1].strip()
        if last and len(last) <= short_chars:
            return Extracted(strip_math_delimiters(last), "fallback-last-line")
    return None


def gold_answer(gold: str) -> str:
    """A reference as given: the content of its last ``\\boxed{}`` when it has one, else the whole string."""
    gold = str(gold)
    boxed = last_boxed(gold)
    return strip_math_delimiters(boxed if boxed is not None else gold)
