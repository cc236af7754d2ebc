"""Verifiers as reward functions for other trainers: :func:`as_trl_reward`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from zeroplay.core.errors import ConfigError
from zeroplay.core.verifier import Verifier


def completion_text(completion: Any) -> str:
    """The text of one TRL completion: a string (standard format), or a list of chat messages
    (conversational format), whose last message's ``content`` is the model's answer."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return str(completion.get("content", ""))
    if isinstance(completion, Sequence) and completion:
        last = completion[-1]
        if isinstance(last, dict):
            content = last.get("content", "")
            if isinstance(content, list):  # multimodal parts: keep the text ones
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content)
    return ""


def as_trl_reward(
    verifier: Verifier | str,
    *,
    reference_column: str | None = "answer",
    name: str | None = None,
    none_for_missing: bool = False,
    **verifier_kwargs: Any,
) -> Callable[..., list[float | None]]:
    """A reward function for TRL's ``GRPOTrainer(reward_funcs=[...])`` (and RLOO), backed by ``verifier``.

    TRL calls it with keyword arguments: ``prompts``, ``completions`` (strings, or lists of chat
    messages for conversational data), ``completion_ids``, ``trainer_state`` and every other dataset
    column, each a list with one entry per completion. The gold answer is read from the column
    ``reference_column`` (``None``: the verifier needs no reference, e.g. ``format``). It returns one
    float per completion: the verdict's score. With ``none_for_missing``, rows whose reference is None
    get ``None`` (TRL then ignores this reward for them, as for a multi-task dataset).

    ``verifier`` is a verifier or a registered name (``"math"``); extra kwargs build it.
    """
    if isinstance(verifier, str):
        from zeroplay import verifiers

        verifier = verifiers.make(verifier, **verifier_kwargs)
    elif verifier_kwargs:
        raise ConfigError("verifier kwargs are only used with a verifier name, e.g. as_trl_reward('math', rel_tol=1e-6)")

    def reward(prompts: Any = None, completions: Sequence[Any] = (), completion_ids: Any = None, **kwargs: Any) -> list[float | None]:
        texts = [completion_text(c) for c in completions]
        if reference_column is None:
            refs: list[Any] = [None] * len(texts)
        else:
            if reference_column not in kwargs:
                cols = sorted(k for k in kwargs if k != "trainer_state")
                raise ConfigError(
                    f"The dataset has no column {reference_column!r} holding the gold answers (columns: {cols}). "
                    f"Pass as_trl_reward(..., reference_column=NAME)."
                )
            refs = list(kwargs[reference_column])
            if len(refs) != len(texts):
                raise ConfigError(f"{len(texts)} completions but {len(refs)} values in column {reference_column!r}")
        todo = [i for i, r in enumerate(refs) if not (none_for_missing and r is None)]
        verdicts = verifier.verify_batch([texts[i] for i in todo], [refs[i] for i in todo])
        out: list[float | None] = [None] * len(texts)
        for i, v in zip(todo, verdicts):
            out[i] = float(v.score)
        return out

    reward.__name__ = name or f"zeroplay_{getattr(verifier, 'name', '') or type(verifier).__name__}"
    reward.__qualname__ = reward.__name__
    reward.verifier = verifier  # type: ignore[attr-defined]
    return reward
