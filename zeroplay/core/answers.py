"""Reading answers and code out of model text: the one policy every verifier, env, template and
reward uses.

Every reader takes model output as ``str``. Anything else (``None``, ``bytes``, numbers) is not
text: readers return ``None`` (``fenced_blocks`` and ``all_tags`` an empty list) and never raise;
decode bytes yourself if you want them read. Lone surrogates and NUL bytes are ordinary characters.
Every reader is linear in its input: string searches and regexes without nested quantifiers; the
brace and math scanners, which loop in Python, read only the last ``MAX_SCAN`` characters
(answers come last), so a 5 MB response is read in well under a second.

Policy
------
``<tag>...</tag>`` (:func:`last_tag`)
    Tags are **case-sensitive** and exact: ``<answer>`` reads, ``<ANSWER>`` and ``< answer >`` do
    not. Every prompt, the R1 template and the format verifier write lower case, and this is
    reasoning-gym's own rule. Tags pair left to right, each opening tag with the first closing
    tag after it; the **last** pair wins. This is exactly reasoning-gym's ``extract_answer``
    (``<answer>\\s?(.*?)\\s?</answer>``, last match) once stripped, so the reasoning-gym adapter
    scores as reasoning-gym does. Content is returned raw; callers strip.
``\\boxed{...}`` (:func:`last_boxed`)
    ``\\boxed{...}`` and ``\\fbox{...}`` (the same box in LaTeX), with nested braces; an escaped
    ``\\{``/``\\}`` does not nest. ``\\boxed 5`` (whitespace, then one token without spaces, ``$``
    or braces) is read too, as LaTeX reads a one-token argument. Only complete boxes count; the
    box whose content starts **last** wins (so ``\\boxed{\\boxed{7}}`` gives ``7`` and a final
    unclosed box leaves the previous one). Content is stripped. :func:`final_boxes` reads several
    boxes that end the text together (``the roots are $\\boxed{2}$ and $\\boxed{3}$.``, ``$a =
    \\boxed{3}$ and $b = \\boxed{7}$``) as one answer, when only ``,``/``;``/``and``/``or``, a
    one-letter name before ``=`` and math delimiters stand between them and nothing but closing
    delimiters and a period after the last.
Fenced code (:func:`fenced_blocks`, :func:`code_block`)
    Blocks pair ```` ``` ```` fences left to right. The language is the first word of the info
    string, lower case; a block on one line (```` ```x = 1``` ````) is unlabeled and its content is
    the body. :func:`code_block` takes the last closed block labelled ``python``/``py``/``python3``,
    else the last closed block of any label (unlabeled included), else (``unclosed=True``) a final
    python or unlabeled block cut off by the end of the output. A blank block still counts.
GSM8K (:func:`gsm8k_answer`)
    The rest of the line after the last ``####``.
The last mathematical answer (:func:`last_math_answer`), for text with no box and no tag
    What Math-Verify users expect, in order: (1) the text is one short line that is not a
    sentence (``42``, ``x = 3``): all of it;
    (2) the text ends with display math (``\\[...\\]``, ``$$...$$``): its content, multi-line
    included; (3) the last sentence: its last inline math (``$...$``, ``\\(...\\)``) or bare
    number or plain-text root (``sqrt(5)``, never the 5 inside it), whichever ends later. The last
    sentence starts after the last ``.``/``!``/``?`` followed by whitespace, or the last line
    break, outside math. Never a number from an earlier sentence: ``... then 10. I'm done.`` has
    no answer.

The math verifier's full order (``zeroplay.verifiers.math.extract``) puts these together:
``<answer>`` tag, box, ``####``, "final answer is"/"the answer is", "Answer:" or "Answer" followed
by math, then its ``fallback`` option (``last-math``, the above; or the stricter ``short``,
``last-line``, ``none``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

#: The Python-looping scanners (boxes, math spans) read only this many characters from the end.
MAX_SCAN = 1 << 16
#: Fence labels that mean Python.
PYTHON_LANGS: frozenset[str] = frozenset({"python", "py", "python3"})

_BOX_TOKENS = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])|\\.|[{}]", re.DOTALL)
_SPACES = re.compile(r"\s*")
_BOX_TOKEN_ARG = re.compile(r"[^\s${}]+")
_MATH_OPEN = re.compile(r"(?<!\\)(?:\$\$|\$|\\\(|\\\[)")
_CLOSERS = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}
#: A word of prose: two or more letters, not a LaTeX command (``\\frac``) nor inside one.
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
#: A bare number not glued to a word or another number ("x2", "3-5" give no "2", "-5").
_NUMBER = re.compile(r"(?<![\w.\\])(?:sqrt|cbrt)\((?:[^()\n]|\([^()\n]*\)){1,80}\)"  # "= sqrt(5)" is not 5
                     r"|(?<![\w.])(?:[-+](?=\d))?\d+(?:[.,/]\d+)*(?:\s?\\?%)?")


# -- tags --------------------------------------------------------------------------------------
def last_tag(text: str, tag: str = "answer") -> str | None:
    """Raw content of the last ``<tag>...</tag>`` pair (case-sensitive; pairs formed left to
    right, each opening tag with the first closing tag after it), or None."""
    found = all_tags(text, tag)
    return found[-1] if found else None


def all_tags(text: str, tag: str) -> list[str]:
    """Raw contents of every ``<tag>...</tag>`` pair in order (same pairing as :func:`last_tag`)."""
    if not isinstance(text, str):
        return []
    opening, closing = f"<{tag}>", f"</{tag}>"
    found, pos = [], 0
    while True:
        start = text.find(opening, pos)
        if start < 0:
            return found
        end = text.find(closing, start + len(opening))
        if end < 0:
            return found
        found.append(text[start + len(opening):end])
        pos = end + len(closing)


# -- boxes -------------------------------------------------------------------------------------
def braced(text: str, start: int) -> tuple[str, int] | None:
    """The content of the ``{...}`` opening at ``text[start]`` (nesting respected, escaped
    ``\\{``/``\\}`` not counted) and the index after it; None when unclosed."""
    if not isinstance(text, str) or start >= len(text) or text[start] != "{":
        return None
    close = text.find("}", start + 1)
    if close > 0 and (start == 0 or text[start - 1] != "\\"):
        inner = text[start + 1:close]
        if "{" not in inner and "\\" not in inner:
            return inner, close + 1  # the common case, nothing nested or escaped: what the scan finds
    return _braced_scan(text, start)


def _braced_scan(text: str, start: int) -> tuple[str, int] | None:
    """:func:`braced` by a scan that tracks nesting and escaped braces (``text[start]`` is ``{``)."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif c == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return None


def last_boxed(text: str) -> str | None:
    """Stripped content of the last complete ``\\boxed{...}``/``\\fbox{...}`` (or ``\\boxed 5``)
    in the last ``MAX_SCAN`` characters, or None. One pass with a stack of open braces."""
    if not isinstance(text, str):
        return None
    text = text[-MAX_SCAN:]
    stack: list[int] = []  # per open brace: where a box's content starts, or -1 for a plain brace
    box_brace = -1  # index of the "{" that opens the box just named
    best: tuple[int, int] | None = None
    for m in _BOX_TOKENS.finditer(text):
        tok = m.group()
        if tok == "{":
            stack.append(m.end() if m.start() == box_brace else -1)
        elif tok == "}":
            if stack:
                start = stack.pop()
                if start >= 0 and (best is None or start > best[0]):
                    best = (start, m.start())
        elif tok in ("\\boxed", "\\fbox"):
            after = _SPACES.match(text, m.end()).end()
            if after < len(text) and text[after] == "{":
                box_brace = after
            elif after > m.end():  # "\boxed 5": one token
                arg = _BOX_TOKEN_ARG.match(text, after)
                if arg and (best is None or after > best[0]):
                    best = (after, arg.end())
    return text[best[0]:best[1]].strip() if best else None


#: What may stand between boxes that together are one answer (math delimiters removed first).
_BOX_GLUE = re.compile(r"\s*(?:,|;|and|or|,\s*and|,\s*or)\s*(?:([A-Za-z])\s*=\s*)?")
_BOX_LABEL = re.compile(r"(?:^|[\s$(])([A-Za-z])\s*=\s*$")
_BOX_TAIL = re.compile(r"[\s$.]*")
_DELIMITERS = re.compile(r"\$|\\[()\[\]]")


def _box_spans(text: str) -> list[tuple[int, int, int, int]]:
    """``(macro start, content start, content end, end)`` of every complete ``\\boxed{...}``/``\\fbox{...}``
    not inside another box, in order. One pass with a stack of open braces, as :func:`last_boxed`."""
    spans: list[tuple[int, int, int, int]] = []
    stack: list[tuple[int, int] | None] = []  # per open brace: (macro start, content start) of a box, or None
    open_boxes = 0
    box_at = (-1, -1)  # (macro start, index of its "{") of the box just named
    for m in _BOX_TOKENS.finditer(text):
        tok = m.group()
        if tok == "{":
            box = (box_at[0], m.end()) if m.start() == box_at[1] else None
            stack.append(box)
            open_boxes += box is not None
        elif tok == "}":
            if stack:
                box = stack.pop()
                if box is not None:
                    open_boxes -= 1
                    if open_boxes == 0:
                        spans.append((box[0], box[1], m.start(), m.end()))
        elif tok in ("\\boxed", "\\fbox"):
            after = _SPACES.match(text, m.end()).end()
            box_at = (m.start(), after) if after < len(text) and text[after] == "{" else (-1, -1)
    return spans


def final_boxes(text: str) -> list[str] | None:
    """The boxes that end ``text`` together as one answer (see the policy above), each with its
    one-letter name when it has one (``a = 3``); None unless there are two or more."""
    if not isinstance(text, str) or text.count("\\boxed") + text.count("\\fbox") < 2:
        return None
    text = text[-MAX_SCAN:]
    spans = _box_spans(text)
    if len(spans) < 2 or not _BOX_TAIL.fullmatch(_DELIMITERS.sub("", text[spans[-1][3]:])):
        return None
    found: list[str] = []
    k = len(spans) - 1
    label = None
    while k >= 0:
        content = text[spans[k][1]:spans[k][2]].strip()
        before = _DELIMITERS.sub("", text[spans[k - 1][3]:spans[k][0]]) if k > 0 else ""
        glue = _BOX_GLUE.fullmatch(before) if k > 0 else None
        if glue is not None:
            label = glue.group(1)
        else:
            m = _BOX_LABEL.search(_DELIMITERS.sub("", text[max(0, spans[k][0] - 40):spans[k][0]]))
            label = m.group(1) if m else None
        found.append(f"{label} = {content}" if label else content)
        if glue is None:
            break
        k -= 1
    return found[::-1] if len(found) >= 2 else None


#: Words and signs between two boxes that offer both as the answer (not a correction: ``no wait``).
_HEDGE = re.compile(r"\b(?:or|OR|Or|either|maybe|possibly|perhaps|alternatively|Alternatively)\b|/|\||"
                    r"\\(?:lor|vee|pm|mp)(?![A-Za-z])")


def hedged_boxes(text: str) -> list[str] | None:
    """The last two top-level boxes when they differ and what stands between them offers both (``\\boxed{5}
    or maybe \\boxed{6}``, ``\\boxed{5} / \\boxed{6}``, ``\\boxed{5}\\text{ or }\\boxed{6}``): one answer
    that names two values, to be read as both; None otherwise (one box, equal boxes, a correction: ``\\boxed{3}
    no wait \\boxed{5}``, or boxes far apart). :func:`final_boxes` reads the joined forms it knows first."""
    if not isinstance(text, str) or text.count("\\boxed") + text.count("\\fbox") < 2:
        return None
    text = text[-MAX_SCAN:]
    spans = _box_spans(text)
    if len(spans) < 2:
        return None
    (_, s1, e1, end1), (start2, s2, e2, _) = spans[-2], spans[-1]
    first, last = text[s1:e1].strip(), text[s2:e2].strip()
    between = _DELIMITERS.sub("", text[end1:start2])
    if (first == last and _GLUE_ONLY.fullmatch(between)) or len(between) > 120 or not _HEDGE.search(between):
        return None  # the same box twice with only words between (\boxed{2} or \boxed{2}) is one answer
    return [first, last]


#: Between two boxes offered as one answer, what adds nothing to either: spacing, math delimiters, brackets,
#: punctuation and words that join or restate (``or``, ``and``, ``equivalently``, ``i.e.``).
_GLUE_ONLY = re.compile(r"(?:\s|[,;:.()\[\]$]|\\[,;:! ()\[\]]|\\q?quad(?![A-Za-z])|\\(?:text|mathrm)\s*\{|\}|"
                        r"\b(?:or|OR|Or|and|equivalently|i\.e|ie|that is|also|maybe|perhaps|possibly|either|"
                        r"alternatively|Alternatively|simply|written as)\b)*")


def boxes_glued(text: str, k: int) -> bool:
    """Whether the last ``k`` top-level boxes of ``text`` stand apart by nothing that adds to either (see
    :data:`_GLUE_ONLY`): ``\\boxed{3} (or equivalently \\boxed{6/2})`` yes, ``\\boxed{5} cm or \\boxed{500} cm``
    and ``\\boxed{3} \\times 10^3 or \\boxed{3}`` no (a unit or a factor outside a box)."""
    text = text[-MAX_SCAN:] if isinstance(text, str) else ""
    spans = _box_spans(text)
    if k < 2 or len(spans) < k:
        return False
    spans = spans[-k:]
    return all(_GLUE_ONLY.fullmatch(text[a[3]:b[0]]) for a, b in zip(spans, spans[1:]))


def last_top_box(text: str) -> str | None:
    """Stripped content of the last box not inside another (``\\boxed{\\boxed{5}, 6}`` is ``\\boxed{5}, 6``,
    where :func:`last_boxed` reads the inner ``5``), or None."""
    text = text[-MAX_SCAN:] if isinstance(text, str) else ""
    spans = _box_spans(text)
    if not spans or "\\boxed" in text[spans[-1][3]:] or "\\fbox" in text[spans[-1][3]:]:
        return None  # no box, or a later one without braces (\boxed 5): not this box's
    return text[spans[-1][1]:spans[-1][2]].strip()


# -- fenced code -------------------------------------------------------------------------------
class Fenced(NamedTuple):
    """A fenced block: ``lang`` is the first word of the info string (lower case, ``""`` if none);
    ``closed`` is False for a final block cut off by the end of the text."""

    lang: str
    body: str
    closed: bool


def _block(part: str, closed: bool) -> Fenced:
    """The block whose text between fences is ``part``."""
    head, newline, body = part.partition("\n")
    if not newline:  # "```x = 1```" on one line: unlabeled, the content is the body
        return Fenced("", part, closed)
    words = head.split(maxsplit=1)
    return Fenced(words[0].lower() if words else "", body, closed)


def fenced_blocks(text: str) -> list[Fenced]:
    """Every ```` ``` ```` fenced block in order (fences paired left to right)."""
    if not isinstance(text, str):
        return []
    parts = text.split("```")
    return [_block(parts[i], i + 1 < len(parts)) for i in range(1, len(parts), 2)]


def code_block(text: str, *, unclosed: bool = False) -> str | None:
    """Body of the last closed ``python`` block, else of the last closed block of any label, else
    (``unclosed=True``) of a final python or unlabeled block cut off by the end of the text;
    None when there is none. Reads blocks from the end and stops at the first python one."""
    if not isinstance(text, str):
        return None
    parts = text.split("```")
    last = len(parts) - 1 if len(parts) % 2 == 0 else len(parts) - 2  # the last part inside fences
    other = None
    for i in range(last, 0, -2):
        block = _block(parts[i], i + 1 < len(parts))
        if not block.closed:
            continue
        if block.lang in PYTHON_LANGS:
            return block.body
        if other is None:
            other = block.body
    if other is not None:
        return other
    if unclosed and len(parts) % 2 == 0:
        block = _block(parts[-1], False)
        if block.lang in PYTHON_LANGS | {""}:
            return block.body
    return None


# -- plain-text answers --------------------------------------------------------------------------
def gsm8k_answer(text: str) -> str | None:
    """The stripped rest of the line after the last ``####`` (GSM8K's answer mark), or None; a markdown
    heading such as ``#### Final Answer`` is no answer (the answer follows it)."""
    if not isinstance(text, str):
        return None
    at = text.rfind("####")
    if at < 0:
        return None
    found = text[at + 4:].split("\n", 1)[0].strip().lstrip("#").strip()
    found = _ANSWER_LABEL.sub("", found, count=1).strip()  # "#### Answer: 7", "#### **Final Answer:** 7"
    return found if found and not _HEADING.match(found) else None


#: A label before the answer on GSM8K's line.
_ANSWER_LABEL = re.compile(r"^\**\s*(?:the\s+)?(?:final\s+)?answer\s*(?:is\s*)?:\s*\**\s*(?=\S)", re.I)
#: A markdown heading's words where GSM8K's mark would hold the answer.
_HEADING = re.compile(r"^\**(?:the\s+)?(?:final\s+)?(?:answer|solution|result|conclusion|summary)s?\s*:?\**$", re.I)


@dataclass(frozen=True)
class MathSpan:
    """A math span: ``text[start:end]`` is the whole span, ``content`` what is inside its delimiters."""

    start: int
    end: int
    content: str
    display: bool


def math_spans(text: str) -> list[MathSpan]:
    """Closed ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]`` spans in order (an escaped ``\\$``
    neither opens nor closes). Scanning stops at the first span left open."""
    if not isinstance(text, str):
        return []
    spans, pos = [], 0
    while True:
        m = _MATH_OPEN.search(text, pos)
        if m is None:
            return spans
        opener = m.group()
        closer = _CLOSERS[opener]
        end = text.find(closer, m.end())
        while end > 0 and closer.startswith("$") and text[end - 1] == "\\":  # "\$" is a dollar sign
            end = text.find(closer, end + 1)
        if end < 0:
            return spans
        spans.append(MathSpan(m.start(), end + len(closer), text[m.end():end], opener in ("$$", "\\[")))
        pos = end + len(closer)


def math_after(text: str, pos: int) -> MathSpan | None:
    """The math span that opens at ``pos`` (after any whitespace), or None."""
    if not isinstance(text, str):
        return None
    pos = _SPACES.match(text, pos).end()
    m = _MATH_OPEN.match(text, pos)
    if m is None:
        return None
    spans = math_spans(text[pos:pos + MAX_SCAN])
    if not spans or spans[0].start != 0:
        return None
    s = spans[0]
    return MathSpan(pos + s.start, pos + s.end, s.content, s.display)


def last_math_answer(text: str, *, short_chars: int = 80) -> tuple[str, str] | None:
    """``(answer, rule)`` by the last-mathematical-answer policy of the module docstring, or None.

    Rules: ``short`` (the whole text is one line of at most ``short_chars`` characters and not a
    sentence of three or more words: ``42``, ``x = 3``; a short sentence such as ``So the volume
    is 120.`` goes through the rules below, and is taken whole only if they find nothing),
    ``last-display``, ``last-sentence``. The answer keeps no math delimiters.
    """
    if not isinstance(text, str):
        return None
    body = text[-MAX_SCAN:].strip()
    short = bool(body) and "\n" not in body and len(body) <= short_chars
    if short and len(_PROSE_WORD.findall(body)) < 3:
        return body, "short"  # "42", "x = 3", "$\\frac12$", "no solution": an answer, not a sentence
    found = _last_in_text(body.rstrip(".").rstrip())
    if found is None and short:
        return body, "short"
    return found


def _last_in_text(body: str) -> tuple[str, str] | None:
    """Rules (2) and (3) of the last mathematical answer: final display math, else the last sentence's item."""
    if not body:
        return None
    spans = math_spans(body)
    if spans and spans[-1].display and spans[-1].end == len(body) and spans[-1].content.strip():
        return spans[-1].content.strip(), "last-display"
    start = _last_sentence_start(body, spans)
    best: tuple[int, str] | None = None  # (end, answer)
    for s in spans:
        if s.start >= start and s.content.strip():
            best = (s.end, s.content.strip())
    outside = start
    for s in [s for s in spans if s.end > start] + [None]:
        stop = len(body) if s is None else max(s.start, start)
        for m in _NUMBER.finditer(body, outside, stop):
            if best is None or m.end() > best[0]:
                best = (m.end(), m.group())
        if s is not None:
            outside = max(outside, s.end)
    return (best[1], "last-sentence") if best else None


def _last_sentence_start(body: str, spans: list[MathSpan]) -> int:
    """Where the last sentence of ``body`` starts: after its last sentence end outside math."""
    k = len(spans) - 1
    for m in reversed(list(_SENTENCE_END.finditer(body))):
        while k >= 0 and spans[k].start > m.start():
            k -= 1
        if k >= 0 and spans[k].start <= m.start() < spans[k].end:
            continue  # inside math: "$3.5$", a line break in display math
        return m.end()
    return 0
