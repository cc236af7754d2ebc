"""Exact-match verifier: the answer equals the reference after light normalization."""

from __future__ import annotations

from typing import Any

from zeroplay.core.types import Verdict
from zeroplay.core.verifier import Verifier


def normalize_text(s: str) -> str:
    """Lower case, collapse whitespace, strip surrounding punctuation and quotes."""
    return " ".join(str(s).lower().split()).strip(" .,;:!?\"'`")


class ExactVerifier(Verifier):
    """Correct when the normalized response equals the normalized reference.

    Guarantees: linear time, never raises. Does not: extract answers from longer text
    (use ``math`` or ``format`` for that) or know any equivalence beyond case and spaces.
    """

    name = "exact"

    def __init__(self, normalize: bool = True):
        self.normalize = normalize

    def verify(self, response: str, reference: Any) -> Verdict:
        """Whether ``response`` is ``reference`` as text (case and spaces normalized unless ``normalize=False``)."""
        if not isinstance(response, str):
            return Verdict.fail(f"response must be str, got {type(response).__name__}")
        a, b = (normalize_text(response), normalize_text(reference)) if self.normalize else (response, str(reference))
        if a == b:
            return Verdict(True, 1.0, "exact-equal", a)
        return Verdict(False, 0.0, "not-equal", a)
