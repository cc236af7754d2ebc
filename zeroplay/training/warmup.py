"""Supervised warm-up: teach a fresh model the answer *format* before RL.

A random-init model writes noise, so every move would be illegal and self-play would have
nothing to learn from. The warm-up trains on (observation, completion) pairs in the template's
format, which each loop's ``warmup_pairs`` builds and documents (games: moves of a random mixed
strategy, so the model learns to write a legal move, not which move is good, as the summary's
``eval_before`` shows; propose-solve: seed programs with fresh inputs and correct answers).
Cross-entropy on the completion tokens only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.training.loss import completion_logprobs, pack


def end_of_completion_id(policy: Any) -> int:
    """The token id that ends a supervised completion (the warm-up's, the exact evaluation's): the
    tokenizer's EOS, else the smallest of the model's (``generation_config.eos_token_id``), which the
    sampler stops at too. Neither: one ConfigError saying what to set."""
    eos = policy.tokenizer.eos_token_id
    if eos is None:
        ids = sorted(getattr(policy, "_eos_ids", ()) or ())
        if not ids:
            raise ConfigError("the model's tokenizer has no EOS token and its generation_config names none: set "
                              "tokenizer.eos_token (completions end with it, and sampling stops at it)")
        eos = ids[0]
    return int(eos)


def supervised_warmup(
    policy: Any,
    pairs: Sequence[tuple[list[dict[str, str]], str]],
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train ``policy.model`` for ``steps`` batches drawn (with a seeded shuffle) from ``pairs``
    of (chat messages, completion text); returns the loss of each step."""
    model, tok = policy.model, policy.tokenizer
    eos = end_of_completion_id(policy)
    data = [(policy.encode(msgs), list(tok(text, add_special_tokens=False)["input_ids"]) + [eos]) for msgs, text in pairs]
    if not data:
        return []
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    device = next(model.parameters()).device
    model.train()
    losses = []
    order: list[int] = []
    for step in range(steps):
        if len(order) < batch_size:
            order += list(rng.permutation(len(data)))
        idx, order = order[:batch_size], order[batch_size:]
        batch = pack([data[i][0] for i in idx], [data[i][1] for i in idx], policy._pad_id).to(device)
        logp, _ = completion_logprobs(model, batch)
        loss = -(logp * batch.completion_mask).sum() / batch.completion_mask.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        if on_step is not None:
            on_step(step, losses[-1])
    return losses
