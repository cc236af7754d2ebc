"""Token log-probabilities of completions, the PPO-clip loss (DAPO style) with an optional entropy
bonus, and the DPO loss (:func:`dpo_loss`) for preference pairs.

Layout of a batch (:func:`pack`): prompts are left-padded to a common length and completions
right-padded after them, so every completion starts at the same column. Position ids come
from the attention mask, as in batched generation, so the learner sees each token at the
position the sampler saw it. Only the last ``max_completion + 1`` logits are computed
(``logits_to_keep``), which keeps memory in check with large vocabularies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

LossNorm = Literal["token", "sequence", "constant"]


@dataclass
class Packed:
    """A padded batch: ``input_ids``/``attention_mask``/``position_ids`` of shape (B, P + C),
    ``completion_mask`` (B, C) marking real completion tokens; completions start at column P."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    completion_ids: torch.Tensor
    completion_mask: torch.Tensor

    @property
    def completion_len(self) -> int:
        return self.completion_ids.shape[1]

    def to(self, device: Any) -> Packed:
        return Packed(*(t.to(device) for t in (self.input_ids, self.attention_mask, self.position_ids,
                                               self.completion_ids, self.completion_mask)))


def pack(prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]], pad_id: int,
         loss_masks: Sequence[Sequence[int] | None] | None = None) -> Packed:
    """Left-pad prompts, right-pad completions (see the module docstring).

    ``loss_masks`` (one per completion, or None): 1 for a token the loss counts, 0 for one it does not
    (tool output inside a multi-turn completion); ``completion_mask`` is the padding mask times it.
    A None mask (or no ``loss_masks``) counts every real token."""
    if len(prompts) != len(completions):
        raise ValueError(f"pack got {len(prompts)} prompts but {len(completions)} completions")
    if loss_masks is not None and len(loss_masks) != len(completions):
        raise ValueError(f"pack got {len(loss_masks)} loss masks but {len(completions)} completions")
    P = max(len(p) for p in prompts)
    C = max(1, max(len(c) for c in completions))
    B = len(prompts)
    ids = torch.full((B, P + C), pad_id, dtype=torch.long)
    attn = torch.zeros((B, P + C), dtype=torch.long)
    comp = torch.full((B, C), pad_id, dtype=torch.long)
    cmask = torch.zeros((B, C), dtype=torch.float32)
    for i, (p, c) in enumerate(zip(prompts, completions)):
        ids[i, P - len(p):P] = torch.tensor(list(p), dtype=torch.long)
        attn[i, P - len(p):P] = 1
        if c:
            ids[i, P:P + len(c)] = torch.tensor(list(c), dtype=torch.long)
            attn[i, P:P + len(c)] = 1
            comp[i, :len(c)] = torch.tensor(list(c), dtype=torch.long)
            cmask[i, :len(c)] = 1.0
            mask = loss_masks[i] if loss_masks is not None else None
            if mask is not None:
                if len(mask) != len(c):
                    raise ValueError(f"loss mask {i} has {len(mask)} entries for {len(c)} completion tokens")
                cmask[i, :len(c)] = torch.tensor([1.0 if m else 0.0 for m in mask], dtype=torch.float32)
    pos = (attn.cumsum(-1) - 1).clamp(min=0)
    return Packed(ids, attn, pos, comp, cmask)


def completion_logprobs(model: Any, batch: Packed, *, with_entropy: bool = False,
                        entropy_grad: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Log-probabilities (B, C) of the completion tokens under ``model``, and optionally the
    entropy (B, C) of the model's next-token distribution at each completion position
    (with its gradient when ``entropy_grad``, for an entropy bonus; else detached).

    Values at padded positions are meaningless; mask them with ``batch.completion_mask``.
    """
    C = batch.completion_len
    out = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                position_ids=batch.position_ids, logits_to_keep=C + 1, use_cache=False)
    logits = out.logits[:, :C, :].float()  # position t predicts token t + 1
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, batch.completion_ids.unsqueeze(-1)).squeeze(-1)
    entropy = None
    if with_entropy and entropy_grad:
        entropy = -(logp_all.exp() * logp_all).sum(-1)
    elif with_entropy:
        with torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(-1)
    return logp, entropy


@dataclass
class LossStats:
    """Sums over real tokens, so micro-batches add up; divide by ``tokens`` for means."""

    tokens: float = 0.0
    clipped: float = 0.0
    ratio: float = 0.0
    kl: float = 0.0
    entropy: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)
    """Per named loss term (``loss.terms``): the sum of its unweighted per-token values."""

    def add(self, other: LossStats) -> None:
        for k in ("tokens", "clipped", "ratio", "kl", "entropy"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        for k, v in other.terms.items():
            self.terms[k] = self.terms.get(k, 0.0) + v

    def means(self) -> dict[str, float]:
        n = max(self.tokens, 1.0)
        return {"clip_frac": self.clipped / n, "ratio": self.ratio / n, "kl": self.kl / n, "entropy": self.entropy / n,
                **{f"term/{k}": v / n for k, v in self.terms.items()}}


@dataclass
class TokenInputs:
    """What a named loss term sees, all (B, C) over completion tokens (``advantages`` is (B, 1)):
    values at padded positions are masked out after the term returns."""

    logprobs: torch.Tensor
    old_logprobs: torch.Tensor
    advantages: torch.Tensor
    mask: torch.Tensor
    ref_logprobs: torch.Tensor | None = None
    entropy: torch.Tensor | None = None


#: A named loss term: ``TokenInputs -> (B, C)`` per-token values, weighted and added to the loss.
LossTerm = Callable[[TokenInputs], torch.Tensor]


def kl_term(x: TokenInputs) -> torch.Tensor:
    """k3 = exp(ref - logp) - (ref - logp) - 1: Schulman's unbiased, non-negative KL estimate."""
    if x.ref_logprobs is None:
        raise ValueError("the kl loss term needs the reference's log-probs (model.ref_model: true)")
    delta = x.ref_logprobs - x.logprobs
    return torch.exp(delta) - delta - 1.0


kl_term.needs = ("ref",)  # type: ignore[attr-defined]


def entropy_term(x: TokenInputs) -> torch.Tensor:
    """Minus the next-token entropy: with a positive weight, a bonus for keeping the policy spread."""
    if x.entropy is None:
        raise ValueError("the entropy loss term needs the entropy with its gradient")
    return -x.entropy


entropy_term.needs = ("entropy",)  # type: ignore[attr-defined]


def ppo_clip_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    normalizer: float,
    clip_low: float = 0.2,
    clip_high: float = 0.28,
    loss_norm: LossNorm = "token",
    ref_logprobs: torch.Tensor | None = None,
    kl_coef: float = 0.0,
    entropy: torch.Tensor | None = None,
    entropy_coef: float = 0.0,
    terms: Sequence[tuple[str, float, LossTerm]] = (),
) -> tuple[torch.Tensor, LossStats]:
    """PPO-clip with separate low/high clip ranges (DAPO's clip-higher), optional k3 KL and an
    optional entropy bonus.

    Per token: ``-min(ratio * A, clip(ratio, 1 - clip_low, 1 + clip_high) * A)
    + kl_coef * k3 - entropy_coef * H``, with ``k3 = exp(ref - logp) - (ref - logp) - 1`` (Schulman's
    unbiased, non-negative estimator of KL(pi || ref)) and ``H`` the policy's next-token entropy at that
    position (``entropy``, which must carry its gradient for the bonus to act:
    ``completion_logprobs(..., entropy_grad=True)``). With ``entropy_coef = 0`` the entropy is only logged.
    ``terms`` adds named loss terms, ``(name, weight, term)``: ``weight * term(TokenInputs)`` per token.

    ``normalizer`` is the denominator for the *whole* optimizer step, so gradient accumulation
    over micro-batches gives the same gradient as one big batch:
    ``token`` (DAPO): total completion tokens; ``sequence`` (original GRPO): total sequences,
    each sequence's tokens averaged first; ``constant`` (Dr. GRPO): sequences x max_new_tokens.
    """
    if normalizer <= 0:
        raise ValueError(f"normalizer must be > 0, got {normalizer}")
    adv = advantages.to(logprobs.dtype).unsqueeze(-1)
    ratio = torch.exp(logprobs - old_logprobs)
    clipped_ratio = ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    per_token = -torch.min(ratio * adv, clipped_ratio * adv)
    kl = None
    if ref_logprobs is not None and kl_coef > 0:
        delta = ref_logprobs - logprobs
        kl = torch.exp(delta) - delta - 1.0
        per_token = per_token + kl_coef * kl
    if entropy_coef > 0:
        if entropy is None:
            raise ValueError("entropy_coef > 0 needs the entropy: pass entropy= from completion_logprobs(..., "
                             "with_entropy=True, entropy_grad=True)")
        per_token = per_token - entropy_coef * entropy
    term_sums: dict[str, float] = {}
    if terms:
        inputs = TokenInputs(logprobs, old_logprobs, adv, mask, ref_logprobs, entropy)
        for name, weight, term in terms:
            values = term(inputs)
            per_token = per_token + weight * values
            term_sums[name] = float((values.detach() * mask).sum())
    if loss_norm == "sequence":
        per_seq = (per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)
        loss = per_seq.sum() / normalizer
    elif loss_norm in ("token", "constant"):
        loss = (per_token * mask).sum() / normalizer
    else:
        raise ValueError(f"loss_norm must be 'token', 'sequence' or 'constant', got {loss_norm!r}")
    with torch.no_grad():
        was_clipped = ((ratio * adv) != (torch.min(ratio * adv, clipped_ratio * adv))).float()
        stats = LossStats(
            tokens=float(mask.sum()),
            clipped=float((was_clipped * mask).sum()),
            ratio=float((ratio * mask).sum()),
            kl=float((kl * mask).sum()) if kl is not None else 0.0,
            entropy=float((entropy.detach() * mask).sum()) if entropy is not None else 0.0,
            terms=term_sums,
        )
    return loss, stats


def loss_normalizer(completion_lengths: Sequence[int], loss_norm: LossNorm, max_new_tokens: int) -> float:
    """The denominator :func:`ppo_clip_loss` needs for a whole step's batch."""
    if loss_norm == "token":
        return float(max(1, sum(completion_lengths)))
    if loss_norm == "sequence":
        return float(max(1, len(completion_lengths)))
    return float(max(1, len(completion_lengths) * max_new_tokens))


def sequence_logprobs(logprobs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each completion's log-probability (B,): its real tokens' log-probs summed."""
    return (logprobs * mask).sum(-1)


def dpo_loss(
    chosen: torch.Tensor,
    rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    *,
    beta: float = 0.1,
) -> tuple[torch.Tensor, dict[str, float]]:
    """DPO (Rafailov et al. 2023) over a batch of preference pairs, with a frozen reference.

    Inputs are sequence log-probabilities (B,) (:func:`sequence_logprobs`) of the chosen and rejected
    completions under the policy and under the reference. Per pair, with the implicit rewards
    ``r_c = beta * (chosen - ref_chosen)`` and ``r_r = beta * (rejected - ref_rejected)``:
    ``loss = -log sigmoid(r_c - r_r)``, averaged over the batch. Diagnostics: mean margin
    ``r_c - r_r``, mean implicit rewards, and the share of pairs whose margin is positive.
    """
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    shapes = {tuple(t.shape) for t in (chosen, rejected, ref_chosen, ref_rejected)}
    if len(shapes) != 1:
        raise ValueError(f"dpo_loss needs four tensors of one shape (B,), got shapes {sorted(shapes)}")
    reward_chosen = beta * (chosen - ref_chosen.detach())
    reward_rejected = beta * (rejected - ref_rejected.detach())
    margin = reward_chosen - reward_rejected
    loss = -torch.nn.functional.logsigmoid(margin).mean()
    with torch.no_grad():
        stats = {"dpo/margin": float(margin.mean()), "dpo/reward_chosen": float(reward_chosen.mean()),
                 "dpo/reward_rejected": float(reward_rejected.mean()),
                 "dpo/accuracy": float((margin > 0).float().mean())}
    return loss, stats
