"""Reading answers out of free model text: answer tags, fenced code blocks, proposals.

Everything here is linear in the text (no backtracking regexes over model output) and never
raises on junk: a reader returns ``None`` (or a :class:`ParseError` for proposals) when it
finds nothing it accepts.

Fallback policy, in order: the **last** ``<answer>...</answer>``; then the last fenced block;
then the whole text, only when all of it is the answer (it parses as one literal, or as a
program defining ``f``). Never "the first number anywhere".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fenced:
    """A fenced block: ``lang`` is the info string after the opening backticks (lower case)."""

    lang: str
    body: str
    closed: bool


def extract_tag(text: str, tag: str) -> str | None:
    """Content of the last ``<tag>...</tag>`` (case-insensitive), or None."""
    low = text.lower()
    close = low.rfind(f"</{tag}>")
    if close < 0:
        return None
    open_ = low.rfind(f"<{tag}>", 0, close)
    if open_ < 0:
        return None
    return text[open_ + len(tag) + 2 : close]


def extract_tags(text: str, tag: str) -> list[str]:
    """Contents of every ``<tag>...</tag>`` in order (case-insensitive)."""
    low, found, pos = text.lower(), [], 0
    opening, closing = f"<{tag}>", f"</{tag}>"
    while True:
        start = low.find(opening, pos)
        if start < 0:
            return found
        end = low.find(closing, start)
        if end < 0:
            return found
        found.append(text[start + len(opening) : end])
        pos = end + len(closing)


def fenced_blocks(text: str) -> list[Fenced]:
    """Every ```fenced``` block in order. A last block left open (output cut off) is kept, marked."""
    parts = text.split("```")
    blocks = []
    for i in range(1, len(parts), 2):
        head, _, body = parts[i].partition("\n")
        if not _ and " " not in head.strip():  # "```x```" on one line: the content is the body
            head, body = "", parts[i]
        blocks.append(Fenced(head.strip().lower(), body, closed=i + 1 < len(parts)))
    return blocks


_PYTHON_LANGS = ("python", "py", "python3", "")


def extract_program(text: str) -> str | None:
    """The program in a solver's answer: the last ```python (or unlabeled) block, else the
    ``<answer>`` content, else the whole text when it looks like a program (``def f``)."""
    blocks = [b for b in fenced_blocks(text) if b.lang in _PYTHON_LANGS and b.body.strip()]
    closed = [b for b in blocks if b.closed]
    if closed or blocks:
        return (closed or blocks)[-1].body
    tagged = extract_tag(text, "answer")
    if tagged is not None and tagged.strip():
        return tagged
    if "def " in text:
        return text
    return None


def extract_literal_answer(text: str) -> str | None:
    """The answer of a deduction or abduction solver: the last ``<answer>`` tag, else the last
    fenced block, else the whole text (the caller checks that it parses)."""
    tagged = extract_tag(text, "answer")
    if tagged is not None:
        return tagged.strip()
    blocks = [b for b in fenced_blocks(text) if b.body.strip()]
    if blocks:
        return blocks[-1].body.strip()
    stripped = text.strip()
    return stripped or None


@dataclass(frozen=True)
class Proposal:
    """What a proposer wrote: a program, its input(s), and (induction) a hint for the solver."""

    program: str
    inputs: tuple[str, ...]
    message: str = ""


class ParseError(ValueError):
    """A proposal the parser cannot read; the message says what to write instead."""


def parse_proposal(text: str, kind: str) -> Proposal:
    """Read a proposal: the last closed ```python block, the ```input blocks and ``<input>``
    tags (for deduction and abduction, the last one), and ``<message>`` (induction's hint).

    Only reads text; the validator checks that the program and inputs are acceptable.
    Raises :class:`ParseError` saying what is missing."""
    blocks = fenced_blocks(text)
    programs = [b.body for b in blocks if b.lang in ("python", "py", "python3") and b.closed and b.body.strip()]
    if not programs:
        raise ParseError("no program found: put the program in a ```python ... ``` block")
    inputs = [b.body.strip() for b in blocks if b.lang == "input" and b.closed]
    inputs += [t.strip() for t in extract_tags(text, "input")]
    inputs = [i for i in inputs if i]
    if not inputs:
        raise ParseError("no input found: put each input in an ```input ... ``` block (the arguments of f)")
    message = extract_tag(text, "message") or ""
    if kind != "induction":
        inputs = inputs[-1:]  # deduction and abduction take one input; the last one written counts
    return Proposal(programs[-1], tuple(inputs), " ".join(message.split()))
