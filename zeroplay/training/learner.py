"""The learner: one policy-gradient update from samples and their advantages.

Gradients accumulate over micro-batches with the loss normalized for the whole (mini)batch,
so the update does not depend on ``micro_batch_size``. bf16 autocast is used where the device
supports it (CUDA with bf16); on CPU the learner runs in float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import torch

from zeroplay.training.config import TrainConfig
from zeroplay.training.loss import LossStats, completion_logprobs, loss_normalizer, pack, ppo_clip_loss
from zeroplay.training.registry import LOSS_TERMS, lookup
from zeroplay.training.rollout import Sample


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

    def __init__(self, model: Any, cfg: TrainConfig, pad_id: int, ref_model: Any = None):
        self.model, self.cfg, self.pad_id, self.ref_model = model, cfg, pad_id, ref_model
        o = cfg.optim
        self.optimizer = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad], lr=o.lr, betas=o.betas, weight_decay=o.weight_decay
        )
        self.device = next(model.parameters()).device
        self.amp = autocast_dtype(self.device, cfg.model.dtype)
        #: ``loss.terms`` as (name, weight, term), and what they need computed
        self.terms = [(name, w, lookup(LOSS_TERMS, name)) for name, w in cfg.loss.terms.items()]
        needs = {n for _, _, t in self.terms for n in getattr(t, "needs", ())}
        self.needs_ref = cfg.loss.kl_coef > 0 or "ref" in needs
        self.needs_entropy_grad = cfg.loss.entropy_coef > 0 or "entropy" in needs

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp)

    def logprobs(self, samples: Sequence[Sample], model: Any = None) -> list[list[float]]:
        """Log-probs of each sample's completion under ``model`` (default: the policy), no grad."""
        model = model or self.model
        out: list[list[float]] = []
        mb = self.cfg.optim.micro_batch_size
        with torch.no_grad(), self._autocast():
            for i in range(0, len(samples), mb):
                chunk = samples[i:i + mb]
                batch = pack([s.prompt_ids for s in chunk], [s.completion_ids for s in chunk], self.pad_id).to(self.device)
                lp, _ = completion_logprobs(model, batch)
                out += [lp[j, :len(s.completion_ids)].tolist() for j, s in enumerate(chunk)]
        return out

    def update(self, samples: Sequence[Sample], advantages: torch.Tensor) -> dict[str, float]:
        """Train on ``samples`` (one optimizer step per minibatch); returns loss diagnostics."""
        if len(samples) != advantages.numel():
            raise ValueError(f"update got {len(samples)} samples but {advantages.numel()} advantages")
        keep = [i for i, s in enumerate(samples) if s.completion_ids]
        if not keep:
            return {"loss/skipped": 1.0}
        samples = [samples[i] for i in keep]
        advantages = advantages[keep]
        ref = self.logprobs(samples, self.ref_model) if self.ref_model is not None and self.needs_ref else None
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

    def _minibatch(self, samples: list[Sample], adv: torch.Tensor, old: list[list[float]],
                   ref: list[list[float]] | None) -> tuple[float, LossStats, float]:
        lc = self.cfg.loss
        norm = loss_normalizer([len(s.completion_ids) for s in samples], lc.loss_norm, self.cfg.sampling.max_new_tokens)
        self.optimizer.zero_grad(set_to_none=True)
        stats, total = LossStats(), 0.0
        mb = self.cfg.optim.micro_batch_size
        for i in range(0, len(samples), mb):
            chunk = samples[i:i + mb]
            batch = pack([s.prompt_ids for s in chunk], [s.completion_ids for s in chunk], self.pad_id).to(self.device)
            C = batch.completion_len
            old_t = _padded([old[i + j] for j in range(len(chunk))], C).to(self.device)
            ref_t = _padded([ref[i + j] for j in range(len(chunk))], C).to(self.device) if ref is not None else None
            with self._autocast():
                logp, entropy = completion_logprobs(self.model, batch, with_entropy=True,
                                                    entropy_grad=self.needs_entropy_grad)
            loss, st = ppo_clip_loss(
                logp, old_t, adv[i:i + mb].to(self.device), batch.completion_mask, normalizer=norm,
                clip_low=lc.clip_low, clip_high=lc.clip_high, loss_norm=lc.loss_norm,
                ref_logprobs=ref_t, kl_coef=lc.kl_coef, entropy=entropy, entropy_coef=lc.entropy_coef,
                terms=self.terms,
            )
            loss.backward()
            stats.add(st)
            total += float(loss.detach())
        gn = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.optim.grad_clip)
        self.optimizer.step()
        return total, stats, float(gn)


def _padded(rows: list[list[float]], width: int) -> torch.Tensor:
    out = torch.zeros((len(rows), width), dtype=torch.float32)
    for i, r in enumerate(rows):
        r = r[:width]
        if r:
            out[i, :len(r)] = torch.tensor(r, dtype=torch.float32)
    return out
