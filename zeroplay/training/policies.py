"""Roles and policies: which policy samples (and trains on) each role of a loop.

A run trains one shared policy over every role (the default), or one policy per role
(``policies:`` in the config: two or more models, each with its own optimizer, advantage
estimator and checkpoint entry). Loops ask for the sampler of a role with :func:`sampler_for`;
in a one-policy run that is the run's only sampler, so such a loop runs exactly as before.
A loop that samples per role lists its roles in a class attribute ``roles`` (the config refuses
``policies:`` for a loop without one).

:class:`RoleSamplers` is what such a loop gets as ``sampler`` in a run with several policies:
reseeding and timing reach every policy's sampler, and ``generate`` without a role is an error
(it would not say which policy samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.training.rollout import PhaseTimer, Sampler


class RoleSamplers:
    """The samplers of a run with several policies, by policy name, and the role -> policy map."""

    def __init__(self, samplers: dict[str, Sampler], policy_of: dict[str, str]):
        self.samplers, self.policy_of = samplers, policy_of
        self.template = next(iter(samplers.values())).template
        self.timer = PhaseTimer()

    @property
    def timer(self) -> PhaseTimer:
        return self._timer

    @timer.setter
    def timer(self, timer: PhaseTimer) -> None:
        """One timer for every policy's sampler (the trainer and ``run_shard`` swap it per step and shard)."""
        self._timer = timer
        for s in self.samplers.values():
            s.timer = timer

    def reseed(self, seed: int) -> None:
        for s in self.samplers.values():
            s.reseed(seed)

    def for_role(self, role: str) -> Sampler:
        if role not in self.policy_of:
            raise KeyError(f"no policy plays role {role!r}; roles: {', '.join(self.policy_of)}")
        return self.samplers[self.policy_of[role]]

    def generate(self, observations: Sequence[str]) -> list[tuple[Any, str, bool]]:
        raise TypeError("this run has one policy per role: sample with sampler_for(loop.sampler, ROLE).generate(...), "
                        "and list the loop's roles in its class attribute 'roles'")


def sampler_for(sampler: Sampler | RoleSamplers, role: str) -> Sampler:
    """The sampler that plays ``role``: the run's only sampler when one policy plays every role."""
    return sampler.for_role(role) if isinstance(sampler, RoleSamplers) else sampler
