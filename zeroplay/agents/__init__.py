"""Agents: ``agents.make("random" | "minimax" | "nash" | "cfr" | "oracle" | "hf" | "vllm" | "openai" | "human")``.

Plugins: an entry point in the group ``zeroplay.agents``, ``name = "pkg.module:Factory"``.
An unregistered name ``"module.path:Name"`` imports ``Name`` (an :class:`Agent` subclass or a
function returning an agent) wherever agent names are taken: ``agents.make``, ``zeroplay play
--agents mymod:MyAgent``, evaluation opponents. A script's directory must be on ``PYTHONPATH``.

The solvers (minimax, nash, cfr, negotiator) are exact only on the games they name; elsewhere
they play random legal moves (``strict=True`` raises instead), which ``zeroplay play`` reports.
"""

from __future__ import annotations

from typing import Any

from zeroplay.agents.base import Agent
from zeroplay.core.registry import Registry

_registry = Registry("agent", "zeroplay.agents", base=Agent)
_ELSEWHERE = "; random legal moves in any other game"
for _name, _ep, _desc in [
    ("random", "zeroplay.agents.scripted:RandomAgent", "uniform over legal moves"),
    ("minimax", "zeroplay.agents.game_solvers:MinimaxAgent",
     "alpha-beta search: TicTacToe and Nim exact, ConnectFour to a depth" + _ELSEWHERE),
    ("nash", "zeroplay.agents.game_solvers:NashAgent",
     "equilibrium strategy of KuhnPoker and LeducHoldem" + _ELSEWHERE),
    ("cfr", "zeroplay.agents.game_solvers:NashAgent",
     "alias of nash: CFR-solved equilibrium of KuhnPoker and LeducHoldem" + _ELSEWHERE),
    ("negotiator", "zeroplay.agents.game_solvers:NegotiatorAgent",
     "scripted trader for SimpleNegotiation and DealOrNoDeal" + _ELSEWHERE),
    ("oracle", "zeroplay.agents.oracle:OracleAgent", "reads the reference of task envs (tests, upper bounds)"),
    ("hf", "zeroplay.agents.hf:HFAgent", "Hugging Face transformers model from a local directory"),
    ("vllm", "zeroplay.agents.vllm:VLLMAgent", "offline vLLM engine (GPU)"),
    ("openai", "zeroplay.agents.openai:OpenAIAgent", "any OpenAI-compatible server"),
    ("human", "zeroplay.agents.human:HumanAgent", "a person at the terminal"),
]:
    _registry.register(_name, _ep, description=_desc)


def make(name: str, **kwargs: Any) -> Agent:
    """Build a registered agent by name, or ``"module.path:Name"`` (an Agent subclass or a function
    returning an agent, imported now); kwargs go to its constructor."""
    return _registry.make(name, **kwargs)


def check_name(name: str) -> None:
    """Raise what :func:`make` would for a name no agent has (with suggestions), without building one."""
    _registry.spec(name)


def register(name: str, entry_point: Any, **kwargs: Any) -> None:
    """Register an agent: ``register("mine", "mypkg.agents:MyAgent")``."""
    _registry.register(name, entry_point, **kwargs)


def registered() -> list[str]:
    """Sorted names of every agent, plugins included."""
    return _registry.registered()


def descriptions() -> dict[str, str]:
    """Name -> one-line description."""
    return _registry.descriptions()


__all__ = ["Agent", "check_name", "descriptions", "make", "register", "registered"]
