"""Scripted agents: random legal play (more solvers join as the games land)."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from zeroplay.agents.base import Agent, infos_or_empty


class RandomAgent(Agent):
    """Plays a uniformly random legal move ``[move]`` where the env lists them
    (``info["legal_actions"]``); elsewhere writes a short random word, which should score ~0."""

    name = "random"

    def __init__(self, seed: int | None = None):
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        actions = []
        for info in infos_or_empty(observations, infos):
            legal = info.get("legal_actions")
            if legal:
                actions.append(f"[{legal[int(self.rng.integers(len(legal)))]}]")
            else:
                letters = self.rng.choice(list(string.ascii_lowercase), size=int(self.rng.integers(1, 8)))
                actions.append("".join(letters))
        return actions
