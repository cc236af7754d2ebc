"""The policy interface for training: prompts in, completions with token ids and log-probs out.

A :class:`Policy` is what a trainer samples from. Model agents (``hf``, ``vllm``) are policies as
well as agents: ``act`` is ``generate`` with the agent's default :class:`SamplingParams`, keeping
only the text.

A prompt is one of

- a ``str``: an observation. With ``chat=True`` (the default) it becomes the user message of a
  conversation (after the system prompt, if one is set) and goes through the model's chat
  template with the generation prompt added; with ``chat=False`` it is the raw text to continue.
- a list of chat messages ``[{"role": "system" | "user" | "assistant", "content": str}, ...]``:
  used as given (the system prompt is *not* added; put it in the list yourself).

This module is light (no torch): the types here are plain dataclasses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Message = dict[str, str]
Prompt = str | list[Message]
FinishReason = Literal["stop", "length"]

_ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class SamplingParams:
    """How to sample a completion.

    Attributes:
        temperature: 0 means greedy decoding (argmax at every step, no randomness).
            Otherwise tokens are drawn from ``softmax(logits / temperature)`` after top-p.
        top_p: nucleus sampling: keep the smallest set of most likely tokens whose probability
            (at ``temperature``) sums to at least ``top_p``; 1.0 keeps every token.
        max_new_tokens: the most tokens generated per prompt (the EOS token counts).
        stop: strings that end a completion. The returned ``text`` is cut before the first
            stop string; ``completion_ids`` keep every sampled token up to the one that
            completed it (a token cannot be split), so training sees what was sampled.
        seed: with a seed, the same prompts and params give the same completions on the same
            machine and batch size; ``None`` draws from the agent's own generator (see ``reset``).
        logprobs: also return the log-probability of each sampled token (see :class:`Generation`).
    """

    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int | None = None
    logprobs: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.stop, str):  # a lone string is one stop string, not its characters
            object.__setattr__(self, "stop", (self.stop,))
        else:
            object.__setattr__(self, "stop", tuple(self.stop))
        if not all(isinstance(s, str) and s for s in self.stop):
            raise ValueError(f"stop must be non-empty strings, got {self.stop!r}")
        if not (
            isinstance(self.temperature, (int, float)) and math.isfinite(self.temperature) and self.temperature >= 0
        ):
            raise ValueError(f"temperature must be a finite number >= 0 (0 = greedy), got {self.temperature!r}")
        if not (0.0 < self.top_p <= 1.0):
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not (isinstance(self.max_new_tokens, int) and self.max_new_tokens >= 1):
            raise ValueError(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class Generation:
    """One completion.

    Attributes:
        text: the completion as text, special tokens (EOS) removed, cut before a stop string.
        prompt_ids: the prompt tokens the model saw (after the chat template, before padding;
            left-truncated if the prompt was longer than the model's context).
        completion_ids: every sampled token, including a final EOS token when one was sampled.
        logprobs: with ``SamplingParams(logprobs=True)``, one float per completion token: the
            log-probability of that token under the model's *raw* next-token distribution,
            ``log_softmax(logits)[token]`` at temperature 1, before top-p truncation, given the
            prompt and the previous completion tokens. It does not depend on the sampling
            temperature or top-p, so a trainer recomputes it with one forward pass over
            ``prompt_ids + completion_ids`` (:func:`zeroplay.agents.hf.completion_logprobs`).
            ``None`` when not asked for.
        finish_reason: ``"stop"`` (EOS or a stop string) or ``"length"`` (``max_new_tokens``
            or the model's context ran out).
    """

    text: str
    prompt_ids: list[int]
    completion_ids: list[int]
    logprobs: list[float] | None = None
    finish_reason: FinishReason = "length"
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


@runtime_checkable
class Policy(Protocol):
    """Anything that turns prompts into :class:`Generation` s, one per prompt, in order."""

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams | None = None) -> list[Generation]: ...


@dataclass(frozen=True)
class Prompter:
    """Turns a :data:`Prompt` into chat messages or raw text.

    ``system_prompt`` is added before a ``str`` prompt in chat mode; ``chat=False`` sends a
    ``str`` prompt as raw text (message lists are then rejected: a base model has no template).
    """

    system_prompt: str | None = None
    chat: bool = True

    def messages(self, prompt: Prompt) -> list[Message]:
        """The conversation for ``prompt`` (chat mode only)."""
        if isinstance(prompt, str):
            head = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
            return head + [{"role": "user", "content": prompt}]
        return check_messages(prompt)

    def text(self, prompt: Prompt) -> str:
        """The raw text of ``prompt`` (completion mode only)."""
        if not isinstance(prompt, str):
            raise TypeError(
                "chat=False takes str prompts (raw text to continue); got a message list. "
                "Use chat=True for message lists."
            )
        return prompt


def encode_prompt(
    tokenizer: Any, prompter: Prompter, prompt: Prompt, *, chat: bool, no_bos_id: int | None
) -> list[int]:
    """The token ids of ``prompt``: ``tokenizer``'s chat template (with the generation prompt) when
    ``chat``, else the raw text. An empty raw prompt becomes ``[BOS]`` (``no_bos_id`` when the
    tokenizer has no BOS), so there is something to condition on. One function for every local
    backend, so they all see the same tokens."""
    if chat:
        text = tokenizer.apply_chat_template(prompter.messages(prompt), tokenize=False, add_generation_prompt=True)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]  # the template writes its own special tokens
    else:
        ids = tokenizer(prompter.text(prompt))["input_ids"]
    return list(ids) or [tokenizer.bos_token_id if tokenizer.bos_token_id is not None else no_bos_id]


def check_messages(messages: Any) -> list[Message]:
    """Validate a chat message list; raise ``TypeError`` saying what is wrong."""
    if not isinstance(messages, list) or not messages:
        raise TypeError(f"a prompt is a str or a non-empty list of chat messages, got {type(messages).__name__}")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise TypeError(f"message {i} must be a dict with str 'role' and 'content', got {m!r:.120}")
        if m["role"] not in _ROLES:
            raise TypeError(f"message {i} has role {m['role']!r}; expected one of {_ROLES}")
    return messages


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` cut before the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


__all__ = [
    "Generation", "Message", "Policy", "Prompt", "Prompter", "SamplingParams", "check_messages", "cut_at_stop",
    "encode_prompt",
]
