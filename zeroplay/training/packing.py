"""Packed micro-batches for the learner (``optim.micro_batch_tokens`` above 0): almost no padding.

A packed row holds several samples' ``prompt + completion`` tokens back to back, with position ids
restarting at 0 for each sample and no attention mask. transformers (5.x) reads the restarts as sample
boundaries and builds a block-diagonal causal mask (sdpa, eager, flex) or variable-length kernels
(flash-attention), so each sample sees only itself, at the positions the sampler saw it (prompts are
unpadded, so positions start at 0 as in :func:`~zeroplay.training.loss.pack`). A row is no longer than
the step's longest sample, so attention costs per token what the padded layout costs (a masked kernel
still computes the whole row's square); a micro-batch stacks as many rows as ``micro_batch_tokens``
holds, the rows padded at their ends (the padding is a sequence of its own that nothing reads). Only
the positions that predict a completion token reach the LM head (the decoder's hidden states are
gathered first), so logits cost completion tokens x vocabulary, not all tokens x vocabulary.

Guarantees: the log-probs (and entropies) come back as a (samples, longest completion) tensor laid
out as :func:`~zeroplay.training.loss.completion_logprobs` gives them, with the same completion mask,
so the PPO loss applies unchanged and the update equals the padded one up to float rounding (other
kernel shapes). Rows are planned by first-fit decreasing over sample lengths, deterministic in the
lengths alone. Not guaranteed: bit-identical values to the padded layout; models whose causal-LM head
does more than ``get_output_embeddings()`` on the decoder's last hidden state (logit soft-capping,
scaling) are not supported: use ``micro_batch_tokens: 0`` with them (Llama, Qwen, Mistral are fine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class PackedRow:
    """One packed micro-batch: ``input_ids`` and ``position_ids`` (rows, T); per completion token its
    predicting position ``logit_index`` (into the flattened rows x T), its id ``targets`` and its place
    (``rows``, ``cols``) in the (samples, C) layout; ``completion_mask`` (samples, C) as
    :func:`~zeroplay.training.loss.pack` makes it."""

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    logit_index: torch.Tensor
    targets: torch.Tensor
    rows: torch.Tensor
    cols: torch.Tensor
    completion_mask: torch.Tensor

    @property
    def completion_len(self) -> int:
        return self.completion_mask.shape[1]

    @property
    def tokens(self) -> int:
        """Tokens the forward pass runs, padding included."""
        return self.input_ids.numel()

    def to(self, device: Any) -> PackedRow:
        return PackedRow(*(t.to(device, non_blocking=True) for t in (
            self.input_ids, self.position_ids, self.logit_index, self.targets, self.rows, self.cols,
            self.completion_mask)))


def plan_rows(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Indices of ``lengths`` grouped into rows of at most ``budget`` tokens (first-fit decreasing;
    a length above the budget gets a row of its own). Rows hold indices in ascending order."""
    if budget < 1:
        raise ValueError(f"the token budget must be >= 1, got {budget}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    rows: list[list[int]] = []
    room: list[int] = []
    for i in order:
        n = lengths[i]
        for r, free in enumerate(room):
            if n <= free:
                rows[r].append(i)
                room[r] -= n
                break
        else:
            rows.append([i])
            room.append(budget - n)  # negative for a sample above the budget: nothing joins it
    return [sorted(r) for r in rows]


def plan_micro_batches(lengths: Sequence[int], tokens: int) -> list[list[int]]:
    """The sample indices of each packed micro-batch: rows as long as the longest sample
    (:func:`plan_rows`), ``max(1, tokens // row length)`` rows to a micro-batch, in row order."""
    if not lengths:
        return []
    row_len = max(1, max(lengths))
    rows = plan_rows(lengths, row_len)
    per = max(1, tokens // row_len)
    return [[i for row in rows[k:k + per] for i in row] for k in range(0, len(rows), per)]


def pack_row(prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]],
             loss_masks: Sequence[Sequence[int] | None] | None = None, *, row_tokens: int | None = None,
             pad_id: int = 0) -> PackedRow:
    """Samples' prompt + completion tokens back to back in rows of at most ``row_tokens`` tokens
    (default: all in one row), see the module docstring. ``loss_masks`` as in
    :func:`~zeroplay.training.loss.pack`."""
    if len(prompts) != len(completions):
        raise ValueError(f"pack_row got {len(prompts)} prompts but {len(completions)} completions")
    if loss_masks is not None and len(loss_masks) != len(completions):
        raise ValueError(f"pack_row got {len(loss_masks)} loss masks but {len(completions)} completions")
    lengths = [len(p) + len(c) for p, c in zip(prompts, completions)]
    layout = plan_rows(lengths, row_tokens or max(1, sum(lengths)))
    T = max([1, *(sum(lengths[i] for i in row) for row in layout)])
    C = max([1, *(len(c) for c in completions)])
    ids = torch.full((max(1, len(layout)), T), pad_id, dtype=torch.long)
    pos = torch.zeros_like(ids)
    cmask = torch.zeros((len(prompts), C), dtype=torch.float32)
    index: list[int] = []
    targets: list[int] = []
    rows: list[int] = []
    cols: list[int] = []
    for r, row in enumerate(layout):
        at = 0
        for i in row:
            p, c = prompts[i], completions[i]
            if not p and c:
                raise ValueError(f"sample {i} has an empty prompt: its first completion token has no position "
                                 "to be predicted from (every template writes a prompt)")
            n = len(p) + len(c)
            ids[r, at:at + n] = torch.tensor(list(p) + list(c), dtype=torch.long)
            pos[r, at:at + n] = torch.arange(n)
            start = r * T + at + len(p)
            index += range(start - 1, start - 1 + len(c))
            targets += c
            rows += [i] * len(c)
            cols += range(len(c))
            at += n
            if c:
                mask = loss_masks[i] if loss_masks is not None else None
                if mask is not None and len(mask) != len(c):
                    raise ValueError(f"loss mask {i} has {len(mask)} entries for {len(c)} completion tokens")
                cmask[i, :len(c)] = 1.0 if mask is None else torch.tensor([1.0 if m else 0.0 for m in mask])
        pos[r, at:] = torch.arange(T - at)  # the row's padding: a sequence of its own, never read
    long = torch.long
    return PackedRow(ids, pos, torch.tensor(index, dtype=long), torch.tensor(targets, dtype=long),
                     torch.tensor(rows, dtype=long), torch.tensor(cols, dtype=long), cmask)


def packed_logprobs(model: Any, row: PackedRow, *, with_entropy: bool = False, entropy_grad: bool = False,
                    decoder: Any = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """As :func:`~zeroplay.training.loss.completion_logprobs`, for a :class:`PackedRow`: (samples, C)
    log-probs of the completion tokens, and optionally the entropy at each completion position.
    ``decoder``: what runs the decoder (default ``model.get_decoder()``; the learner passes a compiled one)."""
    B, C = row.completion_mask.shape
    if row.targets.numel() == 0:  # no completion tokens at all: nothing to run
        zeros = torch.zeros((B, C), device=row.input_ids.device)
        return zeros, (zeros.clone() if with_entropy else None)
    decoder = decoder if decoder is not None else model.get_decoder()
    hidden = decoder(input_ids=row.input_ids, position_ids=row.position_ids, attention_mask=None,
                     use_cache=False).last_hidden_state
    picked = hidden.reshape(-1, hidden.shape[-1]).index_select(0, row.logit_index)  # position t predicts t + 1
    logp_all = torch.log_softmax(model.get_output_embeddings()(picked).float(), dim=-1)  # (N, V)
    token = logp_all.gather(-1, row.targets.unsqueeze(-1)).squeeze(-1)
    logp = token.new_zeros((B, C)).index_put((row.rows, row.cols), token)
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            h = -(logp_all.exp() * logp_all).sum(-1)
            entropy = h.new_zeros((B, C)).index_put((row.rows, row.cols), h)
    return logp, entropy
