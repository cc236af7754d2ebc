"""The learner: one policy-gradient update from samples and their advantages, or (``loss.objective:
dpo``) one DPO update from the preference pairs among the samples.

Gradients accumulate over micro-batches with the loss normalized for the whole (mini)batch,
so the update does not depend on ``micro_batch_size``. bf16 autocast is used where the device
supports it (CUDA with bf16) or ``model.dtype: bfloat16`` asks; otherwise (CPU by default) the learner
runs in float32. The trained weights are float32 master weights; with LoRA the frozen base is held in
the autocast dtype instead (:func:`~zeroplay.training.build.weights_dtype`), the adapters in float32.

Micro-batches (:meth:`Learner.micro_batches`): ``micro_batch_size`` padded samples each, or with
``optim.micro_batch_tokens`` packed rows without padding (:mod:`zeroplay.training.packing`). On CUDA
AdamW is the fused kernel; ``optim.compile`` compiles the learner's forward and backward.

Over several processes (:mod:`zeroplay.training.distributed`) every rank holds the same samples; rank
``r`` runs micro-batches ``r, r + N, ...`` of the one-process plan, gradients are summed over ranks
before the clip and the optimizer step (identical on every rank), and the diagnostics are gathered and
summed in micro-batch order, so the metrics are the one-process run's.

DPO pairs: a loop marks a sample ``meta["pair"]`` (an id shared by the two samples of a pair) and
``meta["preferred"]`` (True: chosen, False: rejected). A pair is never split across micro-batches
(a micro-batch holds ``max(1, micro_batch_size // 2)`` pairs), so its loss is exact; a sample
without a complete pair (no partner, two of a side, more than two) is dropped and counted.

LoRA (``model.lora``, :mod:`zeroplay.training.adapters`): the optimizer holds the adapters only, and the
KL (or DPO) reference is the policy with its adapters off, not a frozen copy (:meth:`Learner.reference`).
``optim.gradient_checkpointing`` recomputes each layer's activations in the backward pass.

A non-finite (NaN or infinite) loss or gradient norm raises :class:`TrainingError` before the optimizer
step, with the gradients zeroed: the weights and the optimizer state stay those of the last good step.
Both are checked after they are summed over ranks, so every rank sees the same numbers and raises alike.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from zeroplay.core.errors import ZeroplayError
from zeroplay.training.adapters import adapters_off, enable_gradient_checkpointing, is_lora
from zeroplay.training.config import TrainConfig
from zeroplay.training.distributed import Dist
from zeroplay.training.loss import (LossStats, Packed, completion_logprobs, dpo_loss, loss_normalizer, pack,
                                    ppo_clip_loss, sequence_logprobs)
from zeroplay.training.packing import PackedRow, pack_row, packed_logprobs, plan_micro_batches
from zeroplay.training.registry import LOSS_TERMS, lookup
from zeroplay.training.rollout import Sample


class TrainingError(ZeroplayError, RuntimeError):
    """A training step that cannot go on: a NaN or infinite reward, advantage, loss or gradient norm.
    Raised before the optimizer step and before the step's checkpoint, so the last checkpoint holds the
    last good step; the message names what produced the value (the trainer adds the step)."""


#: the part of a non-finite loss's message that says where to look
LOSS_HINT = "check optim.lr, the model and the data"


def autocast_dtype(device: torch.device, dtype: str) -> torch.dtype | None:
    """The autocast dtype for ``model.dtype`` = ``auto``/``bfloat16``/``float32`` on ``device``."""
    if dtype == "float32":
        return None
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if dtype == "bfloat16":
        return torch.bfloat16  # asked for explicitly: CPU autocast supports bf16 too
    return None


class Learner:
    """AdamW on the policy, PPO-clip loss with its optional KL and entropy terms and the named
    ``loss.terms`` (see :func:`zeroplay.training.loss.ppo_clip_loss`)."""

    def __init__(self, model: Any, cfg: TrainConfig, pad_id: int, ref_model: Any = None, dist: Dist | None = None):
        self.model, self.cfg, self.pad_id, self.ref_model = model, cfg, pad_id, ref_model
        self.dist = dist or Dist()
        o = cfg.optim
        self.device = next(model.parameters()).device
        #: LoRA (``model.lora``): only the adapters train, and the reference is the model with them off
        self.lora = is_lora(model)
        if o.gradient_checkpointing:
            enable_gradient_checkpointing(model)
        self.optimizer = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad], lr=o.lr, betas=o.betas, weight_decay=o.weight_decay,
            fused=True if self.device.type == "cuda" else None,  # one kernel for every parameter
        )
        #: what the learner's forward passes run: the model, or its compiled wrapper (same parameters);
        #: packed micro-batches run the decoder (compiled too) and gather hidden states before the head
        self.forward_model = torch.compile(model, dynamic=True) if o.compile else model
        self.decoder = torch.compile(model.get_decoder(), dynamic=True) if o.compile else None
        self.amp = autocast_dtype(self.device, cfg.model.dtype)
        #: ``loss.terms`` as (name, weight, term), and what they need computed
        self.terms = [(name, w, lookup(LOSS_TERMS, name)) for name, w in cfg.loss.terms.items()]
        needs = {n for _, _, t in self.terms for n in getattr(t, "needs", ())}
        self.needs_ref = cfg.loss.kl_coef > 0 or "ref" in needs
        self.needs_entropy_grad = cfg.loss.entropy_coef > 0 or "entropy" in needs
        self.objective = cfg.loss.objective

    @property
    def wants_ref(self) -> bool:
        """Whether this policy keeps a frozen copy as its reference: ``model.ref_model``, or DPO (whose loss
        needs one); never with LoRA, whose reference is the policy with its adapters off (:meth:`reference`)."""
        return (bool(self.cfg.model.ref_model) or self.objective == "dpo") and not self.lora

    @property
    def has_ref(self) -> bool:
        """Whether a reference is at hand: the frozen copy, or with LoRA the policy with its adapters off."""
        return self.ref_model is not None or (self.lora and (bool(self.cfg.model.ref_model) or self.objective == "dpo"))

    @contextlib.contextmanager
    def reference(self) -> Iterator[Any]:
        """The reference model for the block: the frozen copy, or the policy with its adapters off."""
        if self.ref_model is not None:
            yield self.ref_model
        else:
            with adapters_off(self.model) as base:
                yield base

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp)

    # -- micro-batches ---------------------------------------------------------------------------
    def micro_batches(self, samples: Sequence[Sample]) -> list[list[int]]:
        """The indices of ``samples`` in each micro-batch: blocks of ``micro_batch_size``, or packed rows of
        at most ``micro_batch_tokens`` tokens. It depends on the samples alone, never on the process count."""
        o = self.cfg.optim
        if o.micro_batch_tokens:
            return plan_micro_batches(_lengths(samples), o.micro_batch_tokens)
        n = len(samples)
        return [list(range(i, min(i + o.micro_batch_size, n))) for i in range(0, n, o.micro_batch_size)]

    def batch(self, chunk: Sequence[Sample], row_tokens: int, masks: bool = True) -> Packed | PackedRow:
        """One micro-batch on the learner's device: padded, or packed rows of at most ``row_tokens`` tokens
        (the longest sample of the (mini)batch, so the rows are the plan's)."""
        loss_masks = [s.loss_mask for s in chunk] if masks else None
        if self.cfg.optim.micro_batch_tokens:
            return pack_row([s.prompt_ids for s in chunk], [s.completion_ids for s in chunk], loss_masks,
                            row_tokens=row_tokens, pad_id=self.pad_id).to(self.device)
        return pack([s.prompt_ids for s in chunk], [s.completion_ids for s in chunk], self.pad_id,
                    loss_masks).to(self.device)

    def token_logprobs(self, model: Any, batch: Packed | PackedRow,
                       **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(micro-batch, C) completion log-probs (and entropies) of either layout under ``model``."""
        if isinstance(batch, PackedRow):
            if model is self.forward_model:
                return packed_logprobs(self.model, batch, decoder=self.decoder, **kwargs)
            return packed_logprobs(model, batch, **kwargs)
        return completion_logprobs(model, batch, **kwargs)

    def logprobs(self, samples: Sequence[Sample], model: Any = None) -> list[list[float]]:
        """Log-probs of each sample's completion under ``model`` (default: the policy), no grad; over
        several processes each rank runs its share of the micro-batches and every rank gets them all."""
        model = model or self.forward_model
        plan, row_tokens = self.micro_batches(samples), max(_lengths(samples), default=1)
        mine: dict[int, list[list[float]]] = {}
        with torch.no_grad(), self._autocast():
            for i in self.dist.mine(len(plan)):
                chunk = [samples[j] for j in plan[i]]
                lp, _ = self.token_logprobs(model, self.batch(chunk, row_tokens, masks=False))
                mine[i] = [lp[k, :len(s.completion_ids)].tolist() for k, s in enumerate(chunk)]
        out: list[list[float]] = [[] for _ in samples]
        for idx, lps in zip(plan, self.dist.gather(mine, len(plan))):
            for j, lp in zip(idx, lps):
                out[j] = lp
        return out

    def _step(self, loss: float) -> float:
        """Sum the gradients over ranks, clip, and take the optimizer step; the gradient norm. ``loss``
        (the minibatch's, summed over ranks) or the norm not finite: no step, the gradients zeroed,
        :class:`TrainingError` (every rank holds the same two numbers, so every rank raises here)."""
        if not math.isfinite(loss):
            self._refuse(f"the loss is {loss} ({LOSS_HINT})")
        self.dist.sum_grads(self.model.parameters())
        gn = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.optim.grad_clip))
        if not math.isfinite(gn):
            self._refuse(f"the gradient norm is {gn} with a finite loss {loss:.4g} ({LOSS_HINT})")
        self.optimizer.step()
        return gn

    def _refuse(self, what: str) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        raise TrainingError(f"{what}; the optimizer did not step")

    def update(self, samples: Sequence[Sample], advantages: torch.Tensor) -> dict[str, float]:
        """Train on ``samples`` (one optimizer step per minibatch); returns loss diagnostics."""
        if len(samples) != advantages.numel():
            raise ValueError(f"update got {len(samples)} samples but {advantages.numel()} advantages")
        keep = [i for i, s in enumerate(samples) if s.completion_ids and s.trained_tokens()]
        if not keep:
            return {"loss/skipped": 1.0}
        samples = [samples[i] for i in keep]
        advantages = advantages[keep]
        ref = None
        if self.has_ref and self.needs_ref:
            with self.reference() as ref_model:
                ref = self.logprobs(samples, ref_model)
        old = self.logprobs(samples) if self.cfg.loss.old_logprobs == "learner" else [s.logprobs for s in samples]
        n_mini = min(self.cfg.optim.minibatches, len(samples))
        size = -(-len(samples) // n_mini)
        stats, total_loss, grad_norm = LossStats(), 0.0, 0.0
        self.model.train()
        for start in range(0, len(samples), size):
            idx = list(range(start, min(start + size, len(samples))))
            loss, st, gn = self._minibatch([samples[i] for i in idx], advantages[idx], [old[i] for i in idx],
                                           [ref[i] for i in idx] if ref is not None else None)
            stats.add(st)
            total_loss += loss
            grad_norm = max(grad_norm, gn)
        return {"loss/pg": total_loss / n_mini, "loss/grad_norm": grad_norm,
                **{f"loss/{k}": v for k, v in stats.means().items()}}

    # -- DPO -------------------------------------------------------------------------------------
    def update_dpo(self, samples: Sequence[Sample]) -> dict[str, float]:
        """One DPO update (``optim.minibatches`` optimizer steps) on the preference pairs in ``samples``.

        Per pair: ``-log sigmoid(beta * ((c - ref_c) - (r - ref_r)))`` with ``c``, ``r`` the sequence
        log-probs (summed over completion tokens) of the chosen and rejected completions under the policy
        and ``ref_*`` under the frozen reference; the loss is the mean over a minibatch's pairs.
        Metrics: ``loss/dpo``, ``dpo/margin``, ``dpo/accuracy`` (share of pairs with a positive margin),
        ``dpo/reward_chosen``, ``dpo/reward_rejected``, ``dpo/pairs``, ``dpo/unpaired`` (samples dropped).
        """
        return self.update_dpo_pairs(*dpo_pairs(samples))

    def update_dpo_pairs(self, pairs: Sequence[tuple[Sample, Sample]], unpaired: int = 0) -> dict[str, float]:
        """:meth:`update_dpo` on pairs already made by :func:`dpo_pairs` (``unpaired`` is only counted)."""
        if not self.has_ref:
            raise RuntimeError("update_dpo needs the frozen reference (Learner.ref_model): the trainer sets it "
                               "after the warm-up for a policy with loss.objective: dpo")
        pairs = list(pairs)
        counts = {"dpo/pairs": float(len(pairs)), "dpo/unpaired": float(unpaired)}
        if not pairs:
            return {"loss/skipped": 1.0, **counts}
        n_mini = min(self.cfg.optim.minibatches, len(pairs))
        size = -(-len(pairs) // n_mini)
        stats: dict[str, float] = {}
        total_loss, grad_norm = 0.0, 0.0
        self.model.train()
        for start in range(0, len(pairs), size):
            part = pairs[start:start + size]
            loss, st, gn = self._dpo_minibatch(part)
            total_loss += loss
            grad_norm = max(grad_norm, gn)
            for k, v in st.items():  # pair-weighted means over the minibatches
                stats[k] = stats.get(k, 0.0) + v * len(part) / len(pairs)
        return {"loss/dpo": total_loss / n_mini, "loss/grad_norm": grad_norm, **stats, **counts}

    def _dpo_minibatch(self, pairs: list[tuple[Sample, Sample]]) -> tuple[float, dict[str, float], float]:
        """One optimizer step on ``pairs`` (chosen, rejected), gradients accumulated over micro-batches of pairs."""
        beta = self.cfg.loss.dpo_beta
        per = max(1, self.cfg.optim.micro_batch_size // 2)
        self.optimizer.zero_grad(set_to_none=True)
        starts = list(range(0, len(pairs), per))
        mine: dict[int, tuple[float, dict[str, float]]] = {}
        for i in self.dist.mine(len(starts)):
            chunk = pairs[starts[i]:starts[i] + per]
            flat = [s for pair in chunk for s in pair]  # chosen, rejected, chosen, rejected, ...
            batch = pack([s.prompt_ids for s in flat], [s.completion_ids for s in flat], self.pad_id,
                         [s.loss_mask for s in flat]).to(self.device)
            with torch.no_grad(), self._autocast(), self.reference() as ref_model:
                ref_lp, _ = completion_logprobs(ref_model, batch)
            with self._autocast():
                logp, _ = completion_logprobs(self.forward_model, batch)
            seq = sequence_logprobs(logp, batch.completion_mask)
            ref_seq = sequence_logprobs(ref_lp.float(), batch.completion_mask)
            loss, st = dpo_loss(seq[0::2], seq[1::2], ref_seq[0::2], ref_seq[1::2], beta=beta)
            loss = loss * (len(chunk) / len(pairs))  # the mean over the whole minibatch's pairs
            loss.backward()
            mine[i] = (float(loss.detach()), {k: v * len(chunk) / len(pairs) for k, v in st.items()})
        total, stats = 0.0, {}
        for part_loss, part_stats in self.dist.gather(mine, len(starts)):  # in micro-batch order, as one process adds
            total += part_loss
            for k, v in part_stats.items():
                stats[k] = stats.get(k, 0.0) + v
        return total, stats, self._step(total)

    def _minibatch(self, samples: list[Sample], adv: torch.Tensor, old: list[list[float]],
                   ref: list[list[float]] | None) -> tuple[float, LossStats, float]:
        lc = self.cfg.loss
        # tokens the policy wrote (a multi-turn sample's tool output is masked out, Sample.loss_mask)
        norm = loss_normalizer([s.trained_tokens() for s in samples], lc.loss_norm, self.cfg.sampling.max_new_tokens)
        self.optimizer.zero_grad(set_to_none=True)
        plan, row_tokens = self.micro_batches(samples), max(_lengths(samples), default=1)
        mine: dict[int, tuple[float, LossStats]] = {}
        for i in self.dist.mine(len(plan)):  # one process: every micro-batch, in order
            idx = plan[i]
            batch = self.batch([samples[j] for j in idx], row_tokens)
            C = batch.completion_len
            old_t = _padded([old[j] for j in idx], C).to(self.device)
            ref_t = _padded([ref[j] for j in idx], C).to(self.device) if ref is not None else None
            with self._autocast():
                logp, entropy = self.token_logprobs(self.forward_model, batch, with_entropy=True,
                                                    entropy_grad=self.needs_entropy_grad)
            loss, st = ppo_clip_loss(
                logp, old_t, adv[idx].to(self.device), batch.completion_mask, normalizer=norm,
                clip_low=lc.clip_low, clip_high=lc.clip_high, loss_norm=lc.loss_norm,
                ref_logprobs=ref_t, kl_coef=lc.kl_coef, entropy=entropy, entropy_coef=lc.entropy_coef,
                terms=self.terms,
            )
            loss.backward()
            mine[i] = (float(loss.detach()), st)
        stats, total = LossStats(), 0.0
        for part_loss, part_stats in self.dist.gather(mine, len(plan)):  # in micro-batch order, as one process adds
            stats.add(part_stats)
            total += part_loss
        return total, stats, self._step(total)


def dpo_pairs(samples: Sequence[Sample]) -> tuple[list[tuple[Sample, Sample]], int]:
    """The (chosen, rejected) pairs among ``samples``, in order of first appearance, and how many
    samples are not in one: unmarked, a lone side, a pair id with more than one chosen or rejected, or
    a side with no completion tokens."""
    groups: dict[Any, list[Sample]] = {}
    unpaired = 0
    for s in samples:
        pair = s.meta.get("pair")
        if pair is None or not isinstance(s.meta.get("preferred"), bool):
            unpaired += 1
            continue
        groups.setdefault(pair, []).append(s)
    pairs = []
    for members in groups.values():
        chosen = [s for s in members if s.meta["preferred"]]
        rejected = [s for s in members if not s.meta["preferred"]]
        if len(chosen) == len(rejected) == 1 and chosen[0].trained_tokens() and rejected[0].trained_tokens():
            pairs.append((chosen[0], rejected[0]))
        else:
            unpaired += len(members)
    return pairs, unpaired


def _lengths(samples: Sequence[Sample]) -> list[int]:
    return [len(s.prompt_ids) + len(s.completion_ids) for s in samples]


def _padded(rows: list[list[float]], width: int) -> torch.Tensor:
    out = torch.zeros((len(rows), width), dtype=torch.float32)
    for i, r in enumerate(rows):
        r = r[:width]
        if r:
            out[i, :len(r)] = torch.tensor(r, dtype=torch.float32)
    return out
