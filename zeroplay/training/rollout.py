"""Rollouts: what a loop collects from envs x a policy, ready for the learner.

A :class:`Sample` is one completion the learner trains on: the prompt and completion token
ids, the sampler's log-probs of the completion tokens, its reward, and the labels the
advantage estimators group by (env, task type, role, group, episode). Games give one sample
per move; the move's reward is the episode's return for the player who moved, filled in when
the episode ends.

A step's rollouts are split into ``rollout_shards`` *shards* (:class:`ShardResult`), each with
its own sampling seed (:func:`shard_seed`), and merged in shard order. The results depend on
the shards only, not on where they run: one after another in the trainer's process, or on Ray
actors (:mod:`zeroplay.training.ray_workers`), which gives the same run for the same seed.

:class:`Sampler` wraps a policy (anything with ``generate(prompts, params)``, e.g.
:class:`zeroplay.agents.hf.HFAgent`) with a prompt template and times generation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from zeroplay.core.errors import ConfigError
from zeroplay.training.templates import Template


def seed_for(*parts: int) -> int:
    """A stable 63-bit seed from integers (run seed, step, index...)."""
    return int(np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]).generate_state(2, np.uint32).view(np.uint64)[0] >> 1)


def shard_seed(seed: int, step: int, shard: int) -> int:
    """The sampling seed of one shard of a step (shard 0 keeps the seed of an unsharded step)."""
    return seed_for(seed, step, 1) if shard == 0 else seed_for(seed, step, 1, shard)


def shard_range(n: int, shard: int, shards: int) -> range:
    """The indices ``0..n`` that belong to ``shard`` of ``shards``: contiguous blocks, sizes differing by at most one."""
    return range(n * shard // shards, n * (shard + 1) // shards)


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
    loss_mask: list[int] | None = None
    """Per completion token: 1 = the policy's own token (trained on), 0 = text the policy did not write
    (tool output in a multi-turn episode: no gradient, not counted in the token normalizer; its
    ``logprobs`` entry is 0.0). None: every token is the policy's own."""

    def trained_tokens(self) -> int:
        """How many completion tokens the loss counts (the policy's own)."""
        return len(self.completion_ids) if self.loss_mask is None else int(sum(self.loss_mask))


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

    def merge(self, other: PhaseTimer) -> None:
        """Add another timer's work (a shard run elsewhere): times add up, so they count work, not wall time."""
        for phase, secs in other.seconds.items():
            self.add(phase, secs, other.samples.get(phase, 0), other.tokens.get(phase, 0))

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


@dataclass
class ShardResult:
    """What one shard of a step's rollouts gives back (small and picklable: it may come from a Ray actor)."""

    samples: list[Sample]
    stats: dict[str, list[Any]]
    """Per-episode (or per-problem) raw figures; merged by concatenation in shard order, then the loop's metrics."""
    timer: PhaseTimer = field(default_factory=PhaseTimer)
    state: dict[str, Any] = field(default_factory=dict)
    """Loop state the shard changed (new tasks of a buffer), applied to the trainer's loop by ``merge``."""


@runtime_checkable
class Loop(Protocol):
    """What the trainer needs of a training loop. A loop is a plug-in: a class registered by name
    (:data:`zeroplay.training.registry.LOOPS`, entry-point group ``zeroplay.loops``), built as
    ``Loop(cfg, sampler, policy)`` in the trainer and in every rollout actor. Subclass
    :class:`ShardedLoop`, which implements the plumbing; a loop then writes ``collect_shard`` and
    ``merge`` (and usually ``evaluate``)."""

    config_class: ClassVar[type | None]
    """The pydantic model of the loop's config section (read as ``cfg.loop_config``), or None."""
    sampler: Sampler

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        """Text the loop's prompts are made of, for the tiny tokenizer's BPE merges (no policy yet)."""
        ...

    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        """Play or answer this shard's part of ``step`` (the sampler is already reseeded for it)."""
        ...

    def run_shard(self, step: int, shard: int, shards: int) -> ShardResult: ...

    def collect(self, step: int, shards: int = 1) -> tuple[list[Sample], dict[str, float]]: ...

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        """The step's samples (in shard order) and metrics; applies the shards' state changes."""
        ...

    def evaluate(self, step: int) -> dict[str, float]:
        """Evaluation metrics (``eval/...``), sampled with the seed the trainer set."""
        ...

    def panels(self) -> list[tuple[str, list[str]]]:
        """The plot's panels: (title, metric keys)."""
        ...

    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` supervised (observation, completion) pairs for the warm-up ([] for none)."""
        ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class ShardedLoop:
    """Base of the training loops (implements :class:`Loop`): a step's rollouts are ``shards``
    independent pieces.

    A loop implements :meth:`collect_shard` (play or answer its part, with the sampler reseeded
    by :func:`shard_seed`) and :meth:`merge` (samples in shard order, and the step's metrics);
    the rest has defaults here.
    """

    config_class: ClassVar[type | None] = None
    one_piece: ClassVar[str | None] = None
    """Why a step of this loop cannot be split into rollout shards (e.g. "the pool grows within it"),
    or None when it can: such a loop refuses ``rollout_shards`` > 1 and Ray actors when built."""
    sampler: Sampler

    def __init__(self, cfg: Any, sampler: Sampler, policy: Any):
        if self.one_piece is not None and cfg.shards > 1:
            raise ConfigError(f"{cfg.loop}: a step is one piece ({self.one_piece}); use rollout_shards: 1 "
                              "and ray_workers: 0")
        self.cfg, self.sampler, self.policy = cfg, sampler, policy

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        return []

    def evaluate(self, step: int) -> dict[str, float]:
        return {}

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("reward", ["reward/mean"])]

    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        return []

    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        raise NotImplementedError

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        raise NotImplementedError

    def run_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        """:meth:`collect_shard` with its own seed and its own timer."""
        self.sampler.reseed(shard_seed(self.seed, step, shard))
        outer, self.sampler.timer = self.sampler.timer, PhaseTimer()
        try:
            result = self.collect_shard(step, shard, shards)
            result.timer = self.sampler.timer
        finally:
            self.sampler.timer = outer
        return result

    def collect(self, step: int, shards: int = 1) -> tuple[list[Sample], dict[str, float]]:
        """All shards of ``step``, one after another in this process (the local path)."""
        results = [self.run_shard(step, k, shards) for k in range(shards)]
        for r in results:
            self.sampler.timer.merge(r.timer)
        return self.merge(step, results)

    @property
    def seed(self) -> int:
        return self.cfg.seed  # type: ignore[attr-defined]

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


def concat_stats(results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, list[Any]]]:
    """The samples and the per-key concatenated stats of ``results``, in shard order."""
    samples: list[Sample] = []
    stats: dict[str, list[Any]] = {}
    for r in results:
        samples += r.samples
        for k, v in r.stats.items():
            stats.setdefault(k, []).extend(v)
    return samples, stats


def reward_by_env_role(samples: Sequence[Sample], prefix: str, role_label: str = "{}") -> dict[str, float]:
    """Mean reward per (env, role): ``{prefix}/{env label}/{role}/reward`` (the env's key without its
    namespace; ``role_label`` formats the role, e.g. ``"p{}"`` for a seat)."""
    by: dict[tuple[str, str], list[float]] = {}
    for s in samples:
        by.setdefault((s.env, s.role), []).append(s.reward)
    return {f"{prefix}/{env.rsplit('/', 1)[-1]}/{role_label.format(role)}/reward": float(np.mean(r))
            for (env, role), r in sorted(by.items())}


def split_over_mixture(n: int, weights: Sequence[float], seed: int) -> list[int]:
    """The mixture entry of each of ``n`` items (games, problems), from ``weights`` and ``seed`` only.

    Entry ``e`` gets ``floor(n * w_e / sum(w))`` items; the few left over go to entries drawn
    (without replacement) in proportion to the remainders, from ``seed``. Items come in blocks, in
    the mixture's order. A mixture of one takes every item and draws nothing.
    """
    if len(weights) == 1:
        return [0] * n
    w = np.asarray(weights, dtype=float)
    exact = n * w / w.sum()
    counts = np.floor(exact).astype(int)
    left = n - int(counts.sum())
    if left:
        frac = exact - counts
        extra = np.random.default_rng(seed).choice(len(w), size=left, replace=False, p=frac / frac.sum())
        counts[extra] += 1
    return [e for e, c in enumerate(counts) for _ in range(int(c))]
