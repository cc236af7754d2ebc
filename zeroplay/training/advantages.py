"""Advantage estimators: pure functions from rewards to advantages (torch tensors).

Every estimator takes one scalar reward per sample and returns one advantage per sample; the
loss broadcasts it over the sample's completion tokens. Known values are tested in
tests/training/test_advantages.py against hand-computed examples.

- :func:`grpo`          (R - mean_group) / (std_group + eps)            DeepSeekMath GRPO
- :func:`dr_grpo`       R - mean_group (no std; pair with ``loss_norm="constant"``)   Dr. GRPO
- :func:`reinforce_pp`  (R - mean_batch) / (std_batch + eps)            REINFORCE++
- :func:`trr_pp`        REINFORCE++ within each (task type, role) group  Absolute Zero TRR++
- :class:`RAEBaseline`  R - b[game, role], b an EMA read before update   SPIRAL RAE
- :func:`mars`          REINFORCE++ within each (env, role) group: per agent  MARS

Each is also a named part (:class:`AdvantageEstimator` subclasses, registry
:data:`zeroplay.training.registry.ADVANTAGES`), picked by ``advantage.estimator`` in a config.

Standard deviations are population std (``unbiased=False``), so a group of one sample or of
equal rewards gets advantage 0 rather than NaN.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

EPS = 1e-6


def _group_index(keys: Sequence[Hashable]) -> tuple[torch.Tensor, int]:
    """Map arbitrary hashable keys to contiguous group ids (order of first appearance)."""
    ids: dict[Hashable, int] = {}
    index = [ids.setdefault(k, len(ids)) for k in keys]
    return torch.tensor(index, dtype=torch.long), len(ids)


def _group_stats(rewards: torch.Tensor, keys: Sequence[Hashable]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample mean and population std of the sample's group."""
    if len(keys) != rewards.numel():
        raise ValueError(f"got {rewards.numel()} rewards but {len(keys)} group keys")
    index, n = _group_index(keys)
    r = rewards.double()
    count = torch.zeros(n, dtype=torch.float64).index_add_(0, index, torch.ones_like(r))
    mean = torch.zeros(n, dtype=torch.float64).index_add_(0, index, r) / count
    sq = torch.zeros(n, dtype=torch.float64).index_add_(0, index, (r - mean[index]) ** 2) / count
    return mean[index].to(rewards.dtype), sq.sqrt()[index].to(rewards.dtype)


def grpo(rewards: torch.Tensor, groups: Sequence[Hashable], eps: float = EPS) -> torch.Tensor:
    """GRPO: each reward standardized within its group (the n samples of one prompt)."""
    mean, std = _group_stats(rewards, groups)
    centered = rewards - mean
    # equal rewards: the advantage is 0 whatever eps is (no 0/0)
    return torch.where(std > 0, centered / (std + eps), torch.zeros_like(centered))


def dr_grpo(rewards: torch.Tensor, groups: Sequence[Hashable]) -> torch.Tensor:
    """Dr. GRPO: the group mean subtracted, no division by std (which favours easy/hard prompts).

    Its other half, no per-sequence length normalization, is the loss's ``loss_norm="constant"``.
    """
    mean, _ = _group_stats(rewards, groups)
    return rewards - mean


def reinforce_pp(rewards: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """REINFORCE++: rewards standardized over the whole batch (no per-prompt groups)."""
    return grpo(rewards, [0] * rewards.numel(), eps)


def trr_pp(rewards: torch.Tensor, task_types: Sequence[str], roles: Sequence[str], eps: float = EPS) -> torch.Tensor:
    """Task-Relative REINFORCE++ (Absolute Zero): REINFORCE++ within each task type x role,
    e.g. six groups for {proposer, solver} x {deduction, abduction, induction}."""
    if len(task_types) != len(roles):
        raise ValueError(f"got {len(task_types)} task types but {len(roles)} roles")
    return grpo(rewards, list(zip(task_types, roles)), eps)


def mars(rewards: torch.Tensor, envs: Sequence[str], roles: Sequence[str], eps: float = EPS) -> torch.Tensor:
    """MARS's agent-specific normalization: each reward standardized within its (env, role) group,
    so the two agents of a game (a cooperative game's sender and receiver, a zero-sum game's seats)
    are normalized apart and neither's scale swamps the other's. With ``games.credit: turn`` the
    rewards are the moves' own returns (MARS's turn-level advantage)."""
    if len(envs) != len(roles):
        raise ValueError(f"got {len(envs)} envs but {len(roles)} roles")
    return grpo(rewards, list(zip(envs, roles)), eps)


@dataclass
class RAEBaseline:
    """Role-conditioned Advantage Estimation (SPIRAL): one EMA baseline per (game, role).

    For each return, in order: ``A = R - b``, then ``b <- decay * b + (1 - decay) * R``
    (the baseline is read before it is updated). Baselines start at 0. The state is plain
    floats, saved in checkpoints through :meth:`state_dict`.
    """

    decay: float = 0.95
    baselines: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.decay < 1.0:
            raise ValueError(f"RAE decay must be in [0, 1), got {self.decay}")

    @staticmethod
    def key(game: str, role: object) -> str:
        return f"{game}|{role}"

    def advantages(self, returns: Sequence[float], games: Sequence[str], roles: Sequence[object]) -> torch.Tensor:
        if not len(returns) == len(games) == len(roles):
            raise ValueError(f"RAE got {len(returns)} returns, {len(games)} games, {len(roles)} roles")
        out = []
        for r, g, p in zip(returns, games, roles):
            k = self.key(g, p)
            b = self.baselines.get(k, 0.0)
            out.append(float(r) - b)
            self.baselines[k] = self.decay * b + (1.0 - self.decay) * float(r)
        return torch.tensor(out, dtype=torch.float32)

    def state_dict(self) -> dict[str, object]:
        return {"decay": self.decay, "baselines": dict(self.baselines)}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.decay = float(state["decay"])  # type: ignore[arg-type]
        self.baselines = {str(k): float(v) for k, v in dict(state["baselines"]).items()}  # type: ignore[arg-type]


def nonzero_mask(advantages: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Samples worth a gradient: ``|A| > eps`` (SPIRAL and DAPO drop the rest)."""
    return advantages.abs() > eps


# -- estimators as named parts: what the trainer calls each step ------------------------------

class AdvantageEstimator:
    """A named advantage estimator (registry ``zeroplay.training.registry.ADVANTAGES``, entry-point
    group ``zeroplay.advantages``): built once per run with the run's ``AdvantageConfig``, then called
    with each step's :class:`~zeroplay.training.rollout.Sample` s; returns one advantage per sample.
    An estimator that keeps state across steps (a baseline) saves it in :meth:`state_dict`, which
    the checkpoint holds. A plug-in subclasses this and overrides ``__call__``."""

    def __init__(self, config: Any = None):
        self.config = config

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


def _rewards(samples: Sequence[Any]) -> torch.Tensor:
    return torch.tensor([float(s.reward) for s in samples], dtype=torch.float32)


class GRPO(AdvantageEstimator):
    """:func:`grpo`, grouped by ``sample.group``."""

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        return grpo(_rewards(samples), [s.group for s in samples]) if samples else _rewards(samples)


class DrGRPO(AdvantageEstimator):
    """:func:`dr_grpo`, grouped by ``sample.group``."""

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        return dr_grpo(_rewards(samples), [s.group for s in samples]) if samples else _rewards(samples)


class ReinforcePP(AdvantageEstimator):
    """:func:`reinforce_pp` over the step's batch."""

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        return reinforce_pp(_rewards(samples)) if samples else _rewards(samples)


class TRRPP(AdvantageEstimator):
    """:func:`trr_pp`, grouped by (``sample.task_type``, ``sample.role``)."""

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        if not samples:
            return _rewards(samples)
        return trr_pp(_rewards(samples), [s.task_type for s in samples], [s.role for s in samples])


class MARS(AdvantageEstimator):
    """:func:`mars`, grouped by (``sample.env``, ``sample.role``) over the step's batch."""

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        if not samples:
            return _rewards(samples)
        return mars(_rewards(samples), [s.env for s in samples], [s.role for s in samples])


class RAE(AdvantageEstimator):
    """:class:`RAEBaseline` with ``rae_decay``: one return per (``episode``, ``role``) in order of
    appearance, keyed by (``env``, ``role``) (the env is the mixture entry's name: its id by
    default), given to every move of that player in that episode."""

    def __init__(self, config: Any = None, baseline: RAEBaseline | None = None):
        super().__init__(config)
        self.baseline = baseline or RAEBaseline(getattr(config, "rae_decay", 0.95))

    def __call__(self, samples: Sequence[Any]) -> torch.Tensor:
        if not samples:
            return _rewards(samples)
        first: dict[tuple[str, str], int] = {}
        for i, s in enumerate(samples):
            first.setdefault((s.episode, s.role), i)
        keys = list(first)
        adv = self.baseline.advantages([samples[first[k]].reward for k in keys], [samples[first[k]].env for k in keys],
                                       [k[1] for k in keys])
        by_key = dict(zip(keys, adv.tolist()))
        return torch.tensor([by_key[(s.episode, s.role)] for s in samples], dtype=torch.float32)

    def state_dict(self) -> dict[str, Any]:
        return self.baseline.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.baseline.load_state_dict(state)


def make_estimator(name: str, config: Any = None) -> AdvantageEstimator:
    """The registered estimator ``name`` built with ``config`` (an ``AdvantageConfig``)."""
    from zeroplay.core.errors import UnknownIdError
    from zeroplay.training.registry import ADVANTAGES, lookup

    try:
        cls = lookup(ADVANTAGES, name)
    except UnknownIdError as e:
        known = ", ".join(ADVANTAGES.registered())
        raise ValueError(f"unknown advantage estimator {name!r}; registered: {known}") from e
    return cls(config)


def sample_advantages(estimator: str, samples: Sequence, rae: RAEBaseline | None = None) -> torch.Tensor:
    """Advantages for :class:`~zeroplay.training.rollout.Sample` s with the named estimator (one-off
    use; a run builds its estimator once with :func:`make_estimator`). ``rae`` is the baseline the
    ``rae`` estimator reads and updates."""
    est = make_estimator(estimator)
    if isinstance(est, RAE):
        if rae is None:
            raise ValueError("the rae estimator needs its RAEBaseline (it keeps state across steps)")
        est.baseline = rae
    return est(samples)
