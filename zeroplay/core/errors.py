"""Typed errors. Each message says what went wrong and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ZeroplayError(Exception):
    """Base class of every error zeroplay raises on purpose."""


class UnknownIdError(ZeroplayError, KeyError):
    """An env, verifier, agent or backend name that nothing registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        self.kind, self.name = kind, name
        known = sorted(known)
        if isinstance(name, str):
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        else:
            hint = f" The name is a str, got {type(name).__name__}."
        listing = f" Registered: {', '.join(known)}." if len(known) <= 30 else f" See zeroplay.{kind}s.registered()."
        super().__init__(f"No {kind} named {name!r}.{hint}{listing}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class RegistrationError(ZeroplayError):
    """A bad registration: a malformed id or entry point, or a clash."""


class EnvCreationError(ZeroplayError):
    """The entry point of a registered env failed; the message names the id and kwargs."""


class MissingDependencyError(ZeroplayError, ImportError):
    """An optional dependency is not installed."""

    def __init__(self, module: str, extra: str, purpose: str = ""):
        what = f" ({purpose})" if purpose else ""
        super().__init__(
            f"{module!r} is not installed{what}. Install it with: pip install 'zeroplay[{extra}]'"
        )


class EpisodeOverError(ZeroplayError, RuntimeError):
    """step() after the episode ended, or before the first reset()."""


class ConfigError(ZeroplayError, ValueError):
    """A config file or object that does not validate; the message names the field."""


class SandboxError(ZeroplayError):
    """The sandbox itself failed (not the code it ran)."""


class SandboxUnavailableError(SandboxError):
    """A requested sandbox backend cannot run on this machine."""


class AgentError(ZeroplayError):
    """An agent could not produce actions (server down, bad response, ...)."""


def field_problem(err: dict) -> str:
    """What one of pydantic's ``ValidationError.errors()`` says is wrong, for a message: a validator's own
    text without pydantic's "Value error, " prefix, "unknown field" for a field the schema forbids."""
    if err.get("type") == "extra_forbidden":
        return "unknown field"
    return str(err.get("msg", "")).removeprefix("Value error, ")
