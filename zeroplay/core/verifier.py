"""The verifier base: ``verify(response, reference) -> Verdict`` and ``verify_batch``."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from zeroplay.core.types import Verdict


def missing_reference(reference: Any) -> bool:
    """No gold at all: None, or NaN (a blank cell of a table). A verifier must not compare an answer with
    its text: ``str(None)`` is ``"None"``, which the answer ``None`` would match."""
    return reference is None or (isinstance(reference, float) and reference != reference)


class Verifier(abc.ABC):
    """Decides whether a model's response matches a reference.

    Subclasses say in their docstring what they guarantee (time bound, what they accept) and
    what they do not. ``verify`` never raises on model text: bad input is a failing verdict.
    """

    name: str = ""

    @abc.abstractmethod
    def verify(self, response: str, reference: Any) -> Verdict: ...

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        """Verdicts in order. The base runs them one by one; verifiers override it to go parallel."""
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        return [self.verify(r, g) for r, g in zip(responses, references)]
