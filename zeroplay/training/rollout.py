"""Rollouts: what a loop collects from envs x a policy, ready for the learner.

A :class:`Sample` is one completion the learner trains on: the prompt and completion token
ids, the sampler's log-probs of the completion tokens, its reward, and the labels the
advantage estimators group by (env, task type, role, group, episode). Games give one sample
per move; the move's reward is the episode's return for the player who moved, filled in when
the episode ends.

:class:`Sampler` wraps a policy (anything with ``generate(prompts, params)``, e.g.
:class:`zeroplay.agents.hf.HFAgent`) with a prompt template and times generation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zeroplay.training.templates import Template


@dataclass
class Sample:
    prompt_ids: list[int]
    completion_ids: list[int]
    logprobs: list[float]
    """The sampler's log-probs of ``completion_ids`` (raw distribution, temperature 1)."""
    text: str = ""
    reward: float = 0.0
    role: str = ""
    """``solver``/``proposer`` in propose-solve, the seat (``"0"``, ``"1"``) in games."""
    env: str = ""
    task_type: str = ""
    group: str = ""
    """Samples sharing a prompt (GRPO groups)."""
    episode: str = ""
    finish_reason: str = "length"
    well_formed: bool = True
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class PhaseTimer:
    """Wall time and work done per phase (generate, verify, learn), for metrics and the benchmark."""

    seconds: dict[str, float] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)

    def add(self, phase: str, seconds: float, samples: int = 0, tokens: int = 0) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
        self.samples[phase] = self.samples.get(phase, 0) + samples
        self.tokens[phase] = self.tokens.get(phase, 0) + tokens

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for phase, s in self.seconds.items():
            out[f"time/{phase}_s"] = s
            out[f"count/{phase}_samples"] = float(self.samples.get(phase, 0))
            out[f"count/{phase}_tokens"] = float(self.tokens.get(phase, 0))
        return out


@dataclass
class Sampler:
    """A policy plus a template: observations in, ``(generation, action, well_formed)`` out."""

    policy: Any
    template: Template
    params: Any
    """A :class:`zeroplay.agents.policy.SamplingParams` with ``logprobs=True`` (its seed is replaced per call)."""
    timer: PhaseTimer = field(default_factory=PhaseTimer)
    seed: int = 0
    calls: int = 0

    def reseed(self, seed: int) -> None:
        """Seed the following calls (the trainer reseeds at each step, so a resumed run samples the same)."""
        self.seed, self.calls = seed, 0

    def generate(self, observations: Sequence[str]) -> list[tuple[Any, str, bool]]:
        import dataclasses

        if not observations:
            return []
        params = dataclasses.replace(self.params, seed=(self.seed * 7919 + self.calls) % (2**63 - 1), logprobs=True)
        self.calls += 1
        t0 = time.perf_counter()
        gens = self.policy.generate([self.template.messages(o) for o in observations], params)
        self.timer.add("generate", time.perf_counter() - t0, len(gens), sum(len(g.completion_ids) for g in gens))
        out = []
        for g in gens:
            action, ok = self.template.parse(g.text)
            out.append((g, action, ok))
        return out


def to_sample(gen: Any, **labels: Any) -> Sample:
    """A :class:`Sample` from a :class:`~zeroplay.agents.policy.Generation` and labels."""
    return Sample(
        prompt_ids=list(gen.prompt_ids),
        completion_ids=list(gen.completion_ids),
        logprobs=list(gen.logprobs or []),
        text=gen.text,
        finish_reason=gen.finish_reason,
        **labels,
    )
