"""as_trl_reward, called the way TRL's GRPOTrainer calls reward functions.

TRL (GRPOTrainer._calculate_rewards) calls ``reward_func(prompts=..., completions=...,
completion_ids=..., **reward_kwargs)`` where reward_kwargs holds every other dataset column (one
list entry per completion) plus ``trainer_state``; it logs the function under ``__name__`` and
turns ``None`` results into NaN. trl itself is not installed for these tests.
"""

from __future__ import annotations

import inspect

import pytest

from zeroplay import verifiers
from zeroplay.core.errors import ConfigError


class TrainerState:  # stands in for transformers.TrainerState, which the reward ignores
    global_step = 3


def call_like_trl(reward_func, inputs: list[dict], completions: list) -> list:
    keys = [k for k in inputs[0] if k not in ("prompt", "completion", "completion_ids")]
    reward_kwargs = {k: [example[k] for example in inputs] for k in keys}
    reward_kwargs["trainer_state"] = TrainerState()
    return reward_func(prompts=[x["prompt"] for x in inputs], completions=completions,
                       completion_ids=[[1, 2, 3] for _ in inputs], **reward_kwargs)


def test_signature_accepts_trl_keywords():
    f = verifiers.as_trl_reward("math")
    params = inspect.signature(f).parameters
    assert {"prompts", "completions", "completion_ids"} <= set(params)
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    assert f.__name__ == "zeroplay_math"


def test_standard_format_strings():
    f = verifiers.as_trl_reward("math", reference_column="solution")
    inputs = [{"prompt": "1+1?", "solution": "2", "level": 1}, {"prompt": "half?", "solution": r"\frac12", "level": 2}]
    assert call_like_trl(f, inputs, [r"\boxed{2}", "the answer is 0.4"]) == [1.0, 0.0]


def test_conversational_format_messages():
    f = verifiers.as_trl_reward(verifiers.make("math"))
    inputs = [{"prompt": [{"role": "user", "content": "1+1?"}], "answer": "2"}] * 2
    completions = [[{"role": "assistant", "content": r"\boxed{2}"}], [{"role": "assistant", "content": r"\boxed{3}"}]]
    assert call_like_trl(f, inputs, completions) == [1.0, 0.0]


def test_format_reward_needs_no_reference_and_none_for_missing():
    f = verifiers.as_trl_reward("format", reference_column=None)
    assert call_like_trl(f, [{"prompt": "q"}], ["<think>a</think><answer>b</answer>"]) == [1.0]
    g = verifiers.as_trl_reward("math", none_for_missing=True)
    assert call_like_trl(g, [{"prompt": "q", "answer": None}, {"prompt": "q", "answer": "1"}], ["1", "1"]) == [None, 1.0]


def test_missing_column_says_how_to_fix():
    f = verifiers.as_trl_reward("math")
    with pytest.raises(ConfigError, match="no column 'answer'.*reference_column"):
        call_like_trl(f, [{"prompt": "q", "gold": "1"}], ["1"])
