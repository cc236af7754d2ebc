"""Verifiers decide correctness: ``verifiers.make("math" | "code" | "format" | "exact" | "judge")``.

Plugins: an entry point in the group ``zeroplay.verifiers``, ``name = "pkg.module:Factory"``,
or ``register("mine", MyVerifier)`` in code. An unregistered name ``"module.path:Name"`` imports
``Name`` (a :class:`Verifier` subclass or a function returning a verifier) wherever verifier names
are taken: ``make``, a task's or ``TaskEnv``'s ``verifier``, an env's ``verifier=`` in a config,
``zeroplay verify mymod:MyVerifier PRED GOLD`` and a JSONL row's ``verifier``. A script's
directory must be on ``PYTHONPATH``.
"""

from __future__ import annotations

from typing import Any

from zeroplay.core.registry import Registry
from zeroplay.core.verifier import Verifier

_registry = Registry("verifier", "zeroplay.verifiers", base=Verifier)
_registry.register("exact", "zeroplay.verifiers.exact:ExactVerifier", description="normalized string equality")
_registry.register("math", "zeroplay.verifiers.math:MathVerifier", description="math answer equivalence (sympy)")
_registry.register("code", "zeroplay.verifiers.code:CodeVerifier", description="code against tests, in the sandbox")
_registry.register("format", "zeroplay.verifiers.format:FormatVerifier", description="tag/regex format templates")
_registry.register("judge", "zeroplay.verifiers.judge:JudgeVerifier",
                   description="a model (any agent) grades the response against a rubric")
_registry.register("coq", "zeroplay.verifiers.proof:CoqVerifier",
                   description="a Coq proof of a stated theorem, checked by coqc in the sandbox (no axioms, no admits)")


def make(name: str, **kwargs: Any) -> Verifier:
    """Build a registered verifier by name, or ``"module.path:Name"`` (a Verifier subclass or a
    function returning a verifier, imported now); kwargs go to its constructor."""
    return _registry.make(name, **kwargs)


def register(name: str, entry_point: Any, **kwargs: Any) -> None:
    """Register a verifier: ``register("mine", "mypkg.verify:MyVerifier")`` (imported by ``make``) or
    ``register("mine", MyVerifier)``; extra kwargs are its defaults. The name is one word (a letter,
    then letters, digits, ``_ . -``); a bad name or entry point raises RegistrationError now."""
    _registry.register(name, entry_point, **kwargs)


def registered() -> list[str]:
    """Sorted names of every verifier, plugins included."""
    return _registry.registered()


def descriptions() -> dict[str, str]:
    """Name -> one-line description."""
    return _registry.descriptions()


def as_trl_reward(verifier: Verifier | str, **kwargs: Any) -> Any:
    """A TRL ``GRPOTrainer`` reward function backed by a verifier; see :func:`zeroplay.verifiers.rewards.as_trl_reward`."""
    from zeroplay.verifiers.rewards import as_trl_reward as build

    return build(verifier, **kwargs)


__all__ = ["Verifier", "as_trl_reward", "descriptions", "make", "register", "registered"]
