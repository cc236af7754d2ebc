"""Exact-match verifier: the answer equals the reference after light normalization."""

from __future__ import annotations

import re
from typing import Any

from zeroplay.core.types import Verdict
from zeroplay.core.verifier import Verifier, missing_reference


_QUOTES = "\"'`"
#: ``!``/``?`` that end a sentence (after a letter: ``Yes!``), never a factorial (``5!``).
_SENTENCE_END = re.compile(r"(?<=[^\W\d_])[!?]+$")


def normalize_text(s: str) -> str:
    """Lower case, collapse whitespace, drop quotes around the whole and the punctuation that ends
    a sentence (``"Yes."`` is ``yes``). Marks that are part of a value stay: ``5!`` is not ``5``,
    ``f'`` is not ``f``, ``.5`` is not ``5``."""
    text = " ".join(str(s).lower().split())
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return _SENTENCE_END.sub("", text.rstrip(".,;:")).rstrip(".,;: ")


class ExactVerifier(Verifier):
    """Correct when the normalized response equals the normalized reference.

    Guarantees: linear time, never raises; a missing reference (None, NaN, empty) matches nothing
    (``bad-gold``), so a row without an answer never pays for the text ``None``. Does not: extract
    answers from longer text (use ``math`` or ``format`` for that) or know any equivalence beyond
    case, spaces, surrounding quotes and sentence punctuation (:func:`normalize_text`).
    """

    name = "exact"

    def __init__(self, normalize: bool = True):
        self.normalize = normalize

    def verify(self, response: str, reference: Any) -> Verdict:
        """Whether ``response`` is ``reference`` as text (case and spaces normalized unless ``normalize=False``)."""
        if not isinstance(response, str):
            return Verdict.fail(f"response must be str, got {type(response).__name__}")
        b = None if missing_reference(reference) else normalize_text(reference) if self.normalize else str(reference)
        if not b:  # None, NaN, or text that normalizes to nothing
            return Verdict.fail(f"bad-gold: no reference to compare with ({reference!r}; fix the dataset item)")
        a = normalize_text(response) if self.normalize else response
        if a == b:
            return Verdict(True, 1.0, "exact-equal", a)
        return Verdict(False, 0.0, "not-equal", a)
