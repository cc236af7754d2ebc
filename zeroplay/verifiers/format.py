"""Format verifier: does a response follow a tag or regex template? ``verifiers.make("format", ...)``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from zeroplay.core.errors import ConfigError
from zeroplay.core.types import Verdict
from zeroplay.core.verifier import Verifier

#: The R1-style default: reasoning in <think>, the answer in <answer>.
DEFAULT_TEMPLATE = "<think>…</think><answer>…</answer>"
#: Longest response read; longer ones fail (``oversized-input``) rather than cost regex time.
MAX_CHARS = 1 << 17
_HOLE = re.compile(r"…|\.\.\.")
_TAG = re.compile(r"</?[A-Za-z][\w-]*>")


#: Characters that show nothing although ``str.strip`` keeps them: Braille blank, Hangul fillers.
_INVISIBLE = frozenset("\u2800\u3164\u115f\u1160\uffa0")


def _blank(text: str) -> bool:
    """Nothing visible: whitespace, format characters (zero-width space and joiners, BOM, bidi marks)
    and fillers only."""
    return all(c.isspace() or c in _INVISIBLE or unicodedata.category(c) in ("Cf", "Cc") for c in text)


def template_regex(template: str) -> re.Pattern[str]:
    """A regex for ``template``: ``…`` (or ``...``) holes match any text (each one captured);
    the literal parts match exactly; whitespace may surround the whole and separate the parts.

    Holes are bare ``(.*?)`` next to literals (no ``\\s*`` beside them: that ambiguity made
    matching quadratic on long runs of spaces); the captured text is stripped afterwards.
    """
    parts = _HOLE.split(template)
    if len(parts) < 2:
        raise ConfigError(f"A format template needs at least one hole written as … or ...; got {template!r}")
    # between tags and words of a literal part any whitespace is allowed: "</think>\n<answer>" matches
    literals = [r"\s*".join(re.escape(t) for t in re.split(r"(<[^<>]*>)|\s+", p) if t) for p in parts]
    head = r"\A\s*" if literals[0] else r"\A"
    tail = r"\s*\Z" if literals[-1] else r"\Z"
    return re.compile(head + "(.*?)".join(literals) + tail, re.S)


class FormatVerifier(Verifier):
    """Correct when the response matches a template such as ``<think>…</think><answer>…</answer>``.

    Build it from ``template`` (holes ``…`` match any text), from ``tags`` (``["think", "answer"]``
    means ``<think>…</think><answer>…</answer>``), or from a raw ``pattern`` (a Python regex matched
    against the whole response with ``re.S``). With ``unique_tags`` (default) every tag of the
    template must occur exactly once, so an ``<answer>`` smuggled inside ``<think>`` fails. Holes must
    be non-empty unless ``allow_empty``; a hole of only spaces or invisible characters (zero-width
    spaces, fillers) is empty. ``partial_credit`` scores a response that does not match by the template
    tags present once, in order: ``hit / (tags + 1)``, so even all tags around a mismatch (text
    outside them, an empty hole) stay below the 1.0 of a match (a shaping reward).

    The reference is ignored (a task may pass None). ``extracted`` is the text of the last hole
    (the answer, for the default template).

    Guarantees: never raises on a response; responses over ``MAX_CHARS`` fail. Template regexes are
    linear enough for that bound; a raw ``pattern`` you write runs as you wrote it (avoid nested
    quantifiers: Python's ``re`` has no time limit).
    """

    name = "format"

    def __init__(
        self,
        template: str | None = None,
        *,
        tags: Sequence[str] | None = None,
        pattern: str | None = None,
        unique_tags: bool = True,
        allow_empty: bool = False,
        partial_credit: bool = False,
    ):
        given = sum(x is not None for x in (template, tags, pattern))
        if given > 1:
            raise ConfigError("Give one of template=, tags= or pattern= to the format verifier, not several")
        if tags is not None:
            if not tags or not all(isinstance(t, str) and re.fullmatch(r"[A-Za-z][\w-]*", t) for t in tags):
                raise ConfigError(f"tags must be a non-empty list of tag names like ['think', 'answer'], got {tags!r}")
            template = "".join(f"<{t}>…</{t}>" for t in tags)
        if pattern is not None:
            try:
                self.regex = re.compile(pattern, re.S)
            except re.error as e:
                raise ConfigError(f"format pattern {pattern!r} is not a valid regex: {e}") from None
            self.template = None
        else:
            self.template = template or DEFAULT_TEMPLATE
            self.regex = template_regex(self.template)
        self.tags = _TAG.findall(self.template) if self.template else []
        self.unique_tags, self.allow_empty, self.partial_credit = unique_tags, allow_empty, partial_credit

    def verify(self, response: str, reference: Any = None) -> Verdict:
        """Whether ``response`` follows the template (``reference`` is ignored); see the class docstring."""
        if isinstance(response, bytes):
            response = response.decode("utf-8", errors="replace")
        if not isinstance(response, str):
            return Verdict.fail(f"bad-input: response must be str, got {type(response).__name__}")
        if len(response) > MAX_CHARS:
            return Verdict.fail(f"oversized-input: {len(response)} chars (max {MAX_CHARS})")
        if self.unique_tags:
            for tag in self.tags:
                n = response.count(tag)
                if n != 1:
                    return self._partial(response, f"format-mismatch: {tag} occurs {n} times (must be once)")
        m = self.regex.fullmatch(response) if self.template is None else self.regex.match(response)
        if m is None:
            what = f"template {self.template!r}" if self.template else f"pattern {self.regex.pattern!r}"
            return self._partial(response, f"format-mismatch: does not match {what}")
        groups = tuple(g.strip() if g is not None and self.template else g for g in m.groups())
        if groups and not self.allow_empty and any(g is not None and _blank(g) for g in groups):
            return self._partial(response, "format-mismatch: a template part is empty")
        extracted = groups[-1] if groups else m.group(0)
        return Verdict(True, 1.0, "format-match", extracted)

    def _partial(self, response: str, reason: str) -> Verdict:
        if not self.partial_credit or not self.tags:
            return Verdict.fail(reason)
        pos, hit = 0, 0
        for tag in self.tags:
            at = response.find(tag, pos)
            if at >= 0 and response.count(tag) == 1:
                hit += 1
                pos = at + len(tag)
        score = hit / (len(self.tags) + 1)  # below a match's 1.0 even with every tag in place
        return Verdict(False, score, f"{reason}; partial credit {hit}/{len(self.tags)} tags")
