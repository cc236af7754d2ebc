"""Answer bodies of ``zeroplay serve``: completions, log-probs and stream chunks in OpenAI's shapes.

Guarantees: chat and legacy completions each get their own API's shape (``message`` / ``text``,
``logprobs.content`` / ``tokens``, ``chat.completion.chunk`` / ``text_completion``); a token's
text is what it adds after the tokens before it, or ``bytes:\\x..`` with its raw bytes when it
ends inside a UTF-8 character, as OpenAI writes it; a stream never sends text a stop string could
still cut, nor half a character, and its deltas join to the whole answer's text; ``usage``
counts each prompt once, however many ``n``. Does not: compute anything on the model (the
log-probs come from the worker).
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from zeroplay.agents.policy import Generation, cut_at_stop
from zeroplay.agents.serve.worker import _Job


@dataclass(frozen=True)
class _Meta:
    id: str
    created: int
    model: str
    chat: bool
    token_ids: bool
    n: int
    top_logprobs: int
    include_usage: bool


@dataclass(frozen=True)
class _TokenLogprob:
    """One completion token as the API reports it: its text and bytes, log-prob, offset in the
    completion text, and the most likely alternatives at its step."""

    piece: _Piece
    logprob: float
    offset: int
    top: list[tuple[_Piece, float]]


def _response(job: _Job, meta: _Meta, tokenizer: Any) -> dict[str, Any]:
    gens = job.result or []
    choices = []
    for k, g in enumerate(gens):
        choice: dict[str, Any] = {"index": k, "finish_reason": g.finish_reason}
        if meta.chat:
            choice["message"] = {"role": "assistant", "content": g.text}
        else:
            choice["text"] = g.text
        choice["logprobs"] = _logprobs(_token_logprobs(g, job.tops[k] if job.tops else None, tokenizer), meta)
        if meta.token_ids:
            choice["prompt_token_ids"], choice["token_ids"] = g.prompt_ids, g.completion_ids
        choices.append(choice)
    return {
        "id": meta.id,
        "object": "chat.completion" if meta.chat else "text_completion",
        "created": meta.created,
        "model": meta.model,
        "choices": choices,
        "usage": _usage(gens, meta),
    }


def _usage(gens: list[Generation], meta: _Meta) -> dict[str, int]:
    prompt_tokens = sum(len(g.prompt_ids) for g in gens[:: meta.n])  # each prompt counts once, not n times
    completion_tokens = sum(len(g.completion_ids) for g in gens)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _token_logprobs(
    g: Generation, tops: list[list[tuple[int, float]]] | None, tokenizer: Any
) -> list[_TokenLogprob] | None:
    """The completion's tokens with their log-probs; None when the request did not ask."""
    if g.logprobs is None:
        return None
    context = list(g.prompt_ids) + list(g.completion_ids)
    out = []
    for i, (token, lp) in enumerate(zip(g.completion_ids, g.logprobs)):
        before = context[max(0, len(g.prompt_ids) + i - 4) : len(g.prompt_ids) + i]
        offset = len(tokenizer.decode(g.completion_ids[:i]))  # where the token's text starts
        top = [(_piece(tokenizer, before, t), v) for t, v in tops[i]] if tops else []
        out.append(_TokenLogprob(_piece(tokenizer, before, token), lp, offset, top))
    return out


@dataclass(frozen=True)
class _Piece:
    """A token as the API names it: its text (``bytes:\\xe2\\x80`` for part of a character, as
    OpenAI writes it) and its UTF-8 bytes."""

    text: str
    bytes: bytes


def _piece(tokenizer: Any, before: list[int], token: int) -> _Piece:
    """What ``token`` adds after ``before`` (decoding it alone loses a leading space in some
    tokenizers), or the raw bytes when it ends in part of a UTF-8 character."""
    head = tokenizer.decode(before)
    whole = tokenizer.decode(before + [token])
    text = whole[len(head) :] if whole.startswith(head) else tokenizer.decode([token])
    if "\ufffd" not in text:
        return _Piece(text, text.encode())
    raw = _raw_bytes(tokenizer, token)
    if raw is None:
        return _Piece(text, text.encode())
    return _Piece("bytes:" + "".join(f"\\x{b:02x}" for b in raw), raw)


def _raw_bytes(tokenizer: Any, token: int) -> bytes | None:
    """The bytes a byte-level BPE token (GPT-2's alphabet) or a byte-fallback token (``<0xE2>``)
    stands for; None for other tokens."""
    name = tokenizer.convert_ids_to_tokens(token)
    if not isinstance(name, str):
        return None
    if len(name) == 6 and name.startswith("<0x") and name.endswith(">"):
        return bytes([int(name[3:5], 16)])
    table = _byte_level_table()
    return bytes(table[c] for c in name) if all(c in table for c in name) else None


_BYTE_LEVEL: dict[str, int] = {}


def _byte_level_table() -> dict[str, int]:
    """GPT-2's byte-level alphabet, character to byte: printable bytes stand for themselves,
    the others are shifted past 255."""
    if not _BYTE_LEVEL:
        printable = [*range(ord("!"), ord("~") + 1), *range(ord("\xa1"), ord("\xac") + 1), *range(ord("\xae"), 256)]
        shifted = 0
        for b in range(256):
            if b in printable:
                _BYTE_LEVEL[chr(b)] = b
            else:
                _BYTE_LEVEL[chr(256 + shifted)] = b
                shifted += 1
    return _BYTE_LEVEL


def _logprobs(tokens: list[_TokenLogprob] | None, meta: _Meta) -> dict[str, Any] | None:
    """``tokens`` in the shape of the chat API (``content``) or the legacy completions API."""
    if tokens is None:
        return None
    if meta.chat:
        return {
            "content": [
                {
                    "token": t.piece.text,
                    "logprob": t.logprob,
                    "bytes": list(t.piece.bytes),
                    "top_logprobs": [{"token": p.text, "logprob": v, "bytes": list(p.bytes)} for p, v in t.top],
                }
                for t in tokens
            ],
            "refusal": None,
        }
    return {
        "tokens": [t.piece.text for t in tokens],
        "token_logprobs": [t.logprob for t in tokens],
        "top_logprobs": [{p.text: v for p, v in t.top} for t in tokens] if meta.top_logprobs else None,
        "text_offset": [t.offset for t in tokens],
    }


def _chunk(
    meta: _Meta,
    index: int,
    text: str | dict[str, str],
    finish_reason: str | None,
    logprobs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One server-sent event of a stream; ``text`` is the delta (a dict: the whole chat delta)."""
    choice: dict[str, Any] = {"index": index, "finish_reason": finish_reason, "logprobs": logprobs}
    if meta.chat:
        choice["delta"] = text if isinstance(text, dict) else ({"content": text} if text else {})
    else:
        choice["text"] = text
    chunk = {
        "id": meta.id,
        "object": "chat.completion.chunk" if meta.chat else "text_completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [choice],
    }
    if meta.include_usage:
        chunk["usage"] = None  # as OpenAI does: only the last chunk carries it
    return chunk


class _StreamText:
    """Turns a growing list of token ids into safe text deltas: never sends text that a stop
    string could still cut, nor a half-decoded UTF-8 character."""

    def __init__(self, tokenizer: Any, n: int, stop: tuple[str, ...]):
        self.tokenizer, self.stop = tokenizer, stop
        self.hold = max((len(s) for s in stop), default=1) - 1
        self.ids: list[list[int]] = [[] for _ in range(n)]
        self.sent = [""] * n
        self.stopped = [False] * n

    def push(self, k: int, token: int) -> str:
        self.ids[k].append(token)
        if self.stopped[k]:
            return ""
        text, hit = cut_at_stop(self.tokenizer.decode(self.ids[k], skip_special_tokens=True), self.stop)
        self.stopped[k] = hit
        if not hit:
            text = text[: len(text) - self.hold] if self.hold else text
            text = text.rstrip("\ufffd")
        return self._advance(k, text)

    def rest(self, k: int, final: str) -> str:
        """What is left to send once the final text is known."""
        return self._advance(k, final)

    def _advance(self, k: int, text: str) -> str:
        if not text.startswith(self.sent[k]) or len(text) <= len(self.sent[k]):
            return ""
        delta, self.sent[k] = text[len(self.sent[k]) :], text
        return delta


def _drain(job: _Job, deltas: _StreamText) -> Iterator[tuple[int, str]]:
    """Text deltas of a streaming job as its tokens arrive, until it finishes."""
    assert job.stream is not None
    while True:
        try:
            k, token = job.stream.get(timeout=0.05)
        except queue.Empty:
            if job.finished.is_set() and job.stream.empty():
                return
            continue
        yield k, deltas.push(k, token)
