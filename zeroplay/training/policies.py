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

Scripted roles (``scripted:`` in the config): a role played by an agent instead of a trained
policy, e.g. a scripted proposer in a CPU test where a tiny model cannot write a meaningful
problem, or a fixed opponent. :class:`ScriptedSampler` answers for it with the agent's
``act(observations, infos)``: generations with ``finish_reason == "scripted"`` and no token ids,
which the trainer never trains on (:func:`is_scripted`). The loop runs unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.training.rollout import PhaseTimer, Sampler

#: The finish reason of a scripted role's generations (no tokens: nothing to train on).
SCRIPTED = "scripted"


def is_scripted(sample: Any) -> bool:
    """Whether a sample was written by a scripted role (the trainer skips it)."""
    return getattr(sample, "finish_reason", None) == SCRIPTED


class ScriptedSampler:
    """A role played by an agent: ``generate`` returns ``(generation, action, well_formed)`` like a
    :class:`~zeroplay.training.rollout.Sampler`, the generation holding the agent's text and no tokens.

    The agent sees the observations as they are (not the chat template); its text goes through the
    run's template like a model's, so a scripted answer must follow the template's format. An agent
    with a ``reseed(seed)`` method is reseeded with the sampler (a resumed run replays the same).
    """

    def __init__(self, agent: Any, template: Any, role: str):
        self.agent, self.template, self.role = agent, template, role
        self.timer = PhaseTimer()

    def reseed(self, seed: int) -> None:
        if hasattr(self.agent, "reseed"):
            self.agent.reseed(seed)

    def generate(self, observations: Sequence[str]) -> list[tuple[Any, str, bool]]:
        import time

        from zeroplay.agents.policy import Generation

        if not observations:
            return []
        t0 = time.perf_counter()
        texts = self.agent.act(list(observations), [{"role": self.role} for _ in observations])
        if not isinstance(texts, (list, tuple)) or len(texts) != len(observations) or \
                not all(isinstance(t, str) for t in texts):
            raise TypeError(f"the scripted {self.role!r} agent {type(self.agent).__name__} must return one str per "
                            f"observation ({len(observations)}), got {type(texts).__name__}")
        self.timer.add("generate", time.perf_counter() - t0, len(texts))
        out = []
        for text in texts:
            action, ok = self.template.parse(text)
            out.append((Generation(text, [], [], [], SCRIPTED), action, ok))
        return out


def build_scripted_agent(role: str, agent: str, kwargs: dict[str, Any]) -> Any:
    """The agent of a scripted role: an ``agents.make`` name, or a ``"module:Class"`` built with ``kwargs``.
    Any failure is one :class:`~zeroplay.core.errors.ConfigError` line naming the role and the agent."""
    from zeroplay import agents
    from zeroplay.core.errors import ConfigError
    from zeroplay.core.registry import EntryPointError, load_entry_point

    try:
        if ":" in agent:
            return load_entry_point(agent)(**kwargs)
        return agents.make(agent, **kwargs)
    except Exception as e:  # an unknown name, a bad import path or constructor kwargs
        why = str(e) if isinstance(e, EntryPointError) else f"{type(e).__name__}: {' '.join(str(e).split())}"
        raise ConfigError(f"scripted.{role}: could not build agent {agent!r} ({why}); give an agents.make name or "
                          "'module:Class' with an act(observations, infos) method") from None


class RoleSamplers:
    """The samplers of a run with several policies, by policy name, and the role -> policy map."""

    def __init__(self, samplers: dict[str, Sampler], policy_of: dict[str, str],
                 scripted: dict[str, ScriptedSampler] | None = None):
        self.samplers, self.policy_of = samplers, policy_of
        self.scripted = dict(scripted or {})
        self.template = next(iter(samplers.values())).template
        self.timer = PhaseTimer()

    @property
    def timer(self) -> PhaseTimer:
        return self._timer

    @timer.setter
    def timer(self, timer: PhaseTimer) -> None:
        """One timer for every policy's sampler (the trainer and ``run_shard`` swap it per step and shard)."""
        self._timer = timer
        for s in (*self.samplers.values(), *self.scripted.values()):
            s.timer = timer

    def reseed(self, seed: int) -> None:
        for s in (*self.samplers.values(), *self.scripted.values()):
            s.reseed(seed)

    def for_role(self, role: str) -> Sampler:
        if role in self.scripted:
            return self.scripted[role]  # type: ignore[return-value]
        if role not in self.policy_of:
            raise KeyError(f"no policy plays role {role!r}; roles: {', '.join(self.policy_of)}")
        return self.samplers[self.policy_of[role]]

    def generate(self, observations: Sequence[str]) -> list[tuple[Any, str, bool]]:
        raise TypeError("this run has one policy per role: sample with sampler_for(loop.sampler, ROLE).generate(...), "
                        "and list the loop's roles in its class attribute 'roles'")


def sampler_for(sampler: Sampler | RoleSamplers, role: str) -> Sampler:
    """The sampler that plays ``role``: the run's only sampler when one policy plays every role."""
    return sampler.for_role(role) if isinstance(sampler, RoleSamplers) else sampler
