"""Plain data passed between environments, verifiers and sandboxes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

#: Every status an :class:`ExecResult` may carry.
EXEC_STATUSES = ("ok", "error", "timeout", "memory", "output_limit", "killed")


@dataclass(frozen=True)
class Task:
    """One problem: what the model sees, what a verifier checks it against.

    ``reference`` is whatever the named verifier takes as its second argument (a gold
    answer for ``math``, a test spec for ``code``...). ``meta`` is free-form and JSON-able.
    """

    id: str
    prompt: str
    reference: Any
    verifier: str = "exact"
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Task:
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"Task got unknown fields {sorted(unknown)}; allowed: id, prompt, reference, verifier, meta")
        if "prompt" not in d or "reference" not in d:
            raise ValueError(f"A task needs at least 'prompt' and 'reference'; got keys {sorted(d)}")
        d = dict(d)
        key = json.dumps([d["prompt"], d["reference"]], sort_keys=True, default=str)
        d.setdefault("id", hashlib.sha1(key.encode()).hexdigest()[:12])
        return cls(**d)


@dataclass(frozen=True)
class Verdict:
    """A verifier's decision. ``reason`` names the rule that decided (``numeric-equal rel=1e-9``,
    ``no-answer``, ``timeout``...); ``extracted`` is the answer it read from the response."""

    correct: bool
    score: float
    reason: str
    extracted: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def fail(cls, reason: str, extracted: str | None = None, **details: Any) -> Verdict:
        return cls(False, 0.0, reason, extracted, details)


@dataclass(frozen=True)
class ExecResult:
    """The outcome of running a program in a sandbox. ``status`` is one of :data:`EXEC_STATUSES`."""

    status: str
    exit_code: int | None
    stdout: str
    stderr: str
    wall_s: float

    def __post_init__(self) -> None:
        if self.status not in EXEC_STATUSES:
            raise ValueError(f"ExecResult.status must be one of {EXEC_STATUSES}, got {self.status!r}")

    @property
    def ok(self) -> bool:
        return self.status == "ok"
