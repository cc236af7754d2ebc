"""The agent protocol: ``act(observations, infos) -> actions``, batched."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any


class Agent(abc.ABC):
    """Turns observations into actions, a batch at a time.

    ``infos`` are the env infos that came with each observation (``legal_actions``,
    ``player``, ``task``...); scripted agents read them, model agents usually do not.
    """

    name: str = ""
    #: True when the agent reads from the terminal; `zeroplay play` then shows no progress bar
    interactive: bool = False

    @abc.abstractmethod
    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]: ...

    def reset(self, seed: int | None = None) -> None:
        """Called at the start of a run; agents with state or randomness reseed here."""

    def close(self) -> None:
        """Release resources (servers, GPU memory)."""


def infos_or_empty(observations: Sequence[str], infos: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``infos`` checked against ``observations``, or empty dicts when not given."""
    if infos is None:
        return [{} for _ in observations]
    if len(infos) != len(observations):
        raise ValueError(f"act() got {len(observations)} observations but {len(infos)} infos")
    return list(infos)
