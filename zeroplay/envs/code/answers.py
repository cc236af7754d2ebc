"""Reading answers and proposals out of free model text (code envs).

The readers are :mod:`zeroplay.core.answers` (one policy for every verifier, env and template):
``<tag>`` pairs are lower-case and case-sensitive, the last pair wins; fenced blocks pair left
to right. Everything is linear in the text and never raises on junk: a reader returns ``None``
(or a :class:`ParseError` for proposals) when it finds nothing it accepts.

Fallback policy, in order: the **last** ``<answer>...</answer>``; then the last fenced block;
then the whole text, only when all of it is the answer (it parses as one literal, or as a
program defining ``f``). Never "the first number anywhere".
"""

from __future__ import annotations

from dataclasses import dataclass

from zeroplay.core.answers import PYTHON_LANGS, Fenced, all_tags, code_block, fenced_blocks, last_tag

__all__ = ["Fenced", "ParseError", "Proposal", "extract_literal_answer", "extract_program", "extract_tag",
           "extract_tags", "fenced_blocks", "parse_proposal"]


def extract_tag(text: str, tag: str) -> str | None:
    """Content of the last ``<tag>...</tag>`` (case-sensitive; see :func:`zeroplay.core.answers.last_tag`), or None."""
    return last_tag(text, tag)


def extract_tags(text: str, tag: str) -> list[str]:
    """Contents of every ``<tag>...</tag>`` in order (case-sensitive)."""
    return all_tags(text, tag)


def extract_program(text: str) -> str | None:
    """The program in a solver's answer: the fenced block :func:`zeroplay.core.answers.code_block`
    picks (the last closed python block, else the last closed block, else one cut off), else the
    ``<answer>`` content, else the whole text when it looks like a program (``def f``)."""
    block = code_block(text, unclosed=True)
    if block is not None and block.strip():
        return block
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
    programs = [b.body for b in blocks if b.lang in PYTHON_LANGS and b.closed and b.body.strip()]
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
