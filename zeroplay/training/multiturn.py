"""Multi-turn tool episodes with a sampler: one episode becomes one :class:`~zeroplay.training.rollout.Sample`.

:func:`run_tool_episodes` plays a batch of :class:`~zeroplay.core.tools.ToolEnv` episodes turn by
turn, one batched generate per turn over the episodes still running. With a model policy the
conversation is kept as token ids: the first prompt is the template's chat prompt (as
:class:`~zeroplay.training.rollout.Sampler` builds it); each model turn is sampled from the ids so
far (the policy's ``generate_from_ids``), stopping at ``</TOOL>`` or ``</answer>``; the env reads the
turn's decoded text, and its tool output is tokenized and appended. So ``prompt_ids +
completion_ids`` is exactly what the model saw, token for token, and the episode's sample has:

- ``completion_ids``: model turns interleaved with tool-output tokens;
- ``loss_mask``: 1 on the model's tokens, 0 on tool output (no gradient, not counted by the loss's
  token normalizer);
- ``logprobs``: the sampler's log-probs on model tokens, 0.0 on tool output (masked anyway).

Budgets: the env's (tool calls, tool-output characters) and ``max_episode_tokens`` (model and tool
tokens of the whole completion): an episode past it, or whose context no longer fits the model, ends
with ``env.end_episode`` (reward 0, truncated). A model turn that takes the completion past the budget
is kept in the sample (its tokens are the model's) but not shown to the env: an answer written past the
budget scores nothing. A scripted role (a sampler whose generations carry no
tokens, e.g. :class:`~zeroplay.training.policies.ScriptedSampler`) plays on text instead: each turn
it gets the env's observation (the whole conversation) and its sample has no tokens.

Does not: batch tool calls, or work with a policy that cannot continue from token ids (``backend:
vllm``): that is a clear error, not a silent re-tokenization.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zeroplay.core.errors import ConfigError
from zeroplay.training.rollout import Sample


@dataclass
class ToolEpisode:
    """One played episode: its tokens (empty for a scripted role), outcome and transcript."""

    prompt_ids: list[int] = field(default_factory=list)
    completion_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    loss_mask: list[int] = field(default_factory=list)
    text: str = ""
    """What followed the prompt: the model's turns and the tool outputs, as text."""
    reward: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    """The env's info at the end (``verdict``, ``calls``, ``reason``...)."""
    turns: int = 0
    finish_reason: str = "stop"
    """The last turn's finish reason (``scripted`` for a scripted role)."""

    @property
    def answered(self) -> bool:
        """Whether the episode ended with an ``<answer>`` (not a spent budget or a turn without one)."""
        return bool(self.info.get("answered"))

    def to_sample(self, **labels: Any) -> Sample:
        """The episode as one training sample (``reward``/``well_formed`` may be given in ``labels``)."""
        labels.setdefault("reward", self.reward)
        labels.setdefault("well_formed", self.answered)
        return Sample(prompt_ids=list(self.prompt_ids), completion_ids=list(self.completion_ids),
                      logprobs=list(self.logprobs), text=self.text, finish_reason=self.finish_reason,
                      loss_mask=list(self.loss_mask) if self.completion_ids else None, **labels)


def run_tool_episodes(sampler: Any, envs: Sequence[Any], observations: Sequence[str], *,
                      max_episode_tokens: int = 2048) -> list[ToolEpisode]:
    """Play each env (already ``reset``, showing ``observations[i]``) to its end with ``sampler``.

    ``sampler``: a :class:`~zeroplay.training.rollout.Sampler` over a policy with ``generate_from_ids``
    and ``tokenizer`` (the ``hf`` backend), or a scripted sampler (``generate(observations)`` returning
    generations without tokens). Returns one :class:`ToolEpisode` per env, in order.
    """
    if len(envs) != len(observations):
        raise ValueError(f"run_tool_episodes got {len(envs)} envs but {len(observations)} observations")
    if max_episode_tokens < 1:
        raise ValueError(f"max_episode_tokens must be >= 1, got {max_episode_tokens}")
    if not envs:
        return []
    policy = getattr(sampler, "policy", None)
    if policy is not None and hasattr(policy, "generate_from_ids") and hasattr(policy, "tokenizer"):
        return _run_on_tokens(sampler, policy, list(envs), list(observations), max_episode_tokens)
    if policy is not None:
        raise ConfigError(f"multi-turn tool episodes need a policy that continues from token ids "
                          f"(generate_from_ids); {type(policy).__name__} has none: use backend: hf")
    return _run_on_text(sampler, list(envs), list(observations))


def _turn_params(sampler: Any, envs: Sequence[Any]) -> Any:
    """The sampler's params for one turn: its seed sequence, log-probs on, and the envs' stop strings added."""
    stops = dict.fromkeys((*sampler.params.stop, *(s for e in envs for s in e.stop_strings)))
    params = dataclasses.replace(sampler.params, seed=(sampler.seed * 7919 + sampler.calls) % (2**63 - 1),
                                 logprobs=True, stop=tuple(stops))
    sampler.calls += 1
    return params


def _run_on_tokens(sampler: Any, policy: Any, envs: list[Any], observations: list[str],
                   budget: int) -> list[ToolEpisode]:
    tokenizer = policy.tokenizer
    episodes = [ToolEpisode(prompt_ids=list(policy.encode(sampler.template.messages(o)))) for o in observations]
    active = list(range(len(envs)))
    while active:
        params = _turn_params(sampler, [envs[i] for i in active])
        contexts = [episodes[i].prompt_ids + episodes[i].completion_ids for i in active]
        t0 = time.perf_counter()
        gens = policy.generate_from_ids(contexts, params)
        sampler.timer.add("generate", time.perf_counter() - t0, len(gens), sum(len(g.completion_ids) for g in gens))
        still = []
        for i, gen in zip(active, gens):
            ep, env = episodes[i], envs[i]
            ep.turns += 1
            ep.finish_reason = gen.finish_reason
            if gen.meta.get("prompt_truncated"):  # the model saw a cut context: the episode cannot go on
                _end(ep, env, "the conversation no longer fits the model's context")
                continue
            turn_ids = list(gen.completion_ids)
            turn_text = tokenizer.decode(turn_ids, skip_special_tokens=True)
            logprobs = list(gen.logprobs or [])
            if len(logprobs) != len(turn_ids):
                raise ValueError(f"the policy gave {len(logprobs)} log-probs for {len(turn_ids)} tokens; multi-turn "
                                 "episodes need one log-prob per generated token (logprobs=True)")
            _append(ep, turn_ids, logprobs, 1, turn_text)
            if len(ep.completion_ids) > budget:
                _end(ep, env, f"token budget spent ({budget} tokens of model turns and tool output)")
                continue
            _, reward, terminated, truncated, info = env.step(turn_text)
            if terminated or truncated:
                ep.reward, ep.info = float(reward), info
                continue
            tool_text = info.get("tool_output", "")
            tool_ids = list(tokenizer(tool_text, add_special_tokens=False)["input_ids"])
            if len(ep.completion_ids) + len(tool_ids) >= budget:
                _end(ep, env, f"token budget spent ({budget} tokens of model turns and tool output)")
                continue
            _append(ep, tool_ids, [0.0] * len(tool_ids), 0, tool_text)
            still.append(i)
        active = still
    return episodes


def _run_on_text(sampler: Any, envs: list[Any], observations: list[str]) -> list[ToolEpisode]:
    episodes = [ToolEpisode() for _ in envs]
    current = list(observations)
    active = list(range(len(envs)))
    while active:
        outs = sampler.generate([current[i] for i in active])
        still = []
        for i, (gen, _, _) in zip(active, outs):
            if getattr(gen, "completion_ids", None):
                raise ConfigError("a sampler without a policy returned tokens; multi-turn token episodes need "
                                  "a Sampler over a policy with generate_from_ids")
            ep, env = episodes[i], envs[i]
            ep.turns += 1
            ep.finish_reason = gen.finish_reason
            obs, reward, terminated, truncated, info = env.step(gen.text)
            ep.text = obs[len(observations[i]):] if obs.startswith(observations[i]) else obs
            if terminated or truncated:
                ep.reward, ep.info = float(reward), info
            else:
                current[i] = obs
                still.append(i)
        active = still
    return episodes


def _append(ep: ToolEpisode, ids: list[int], logprobs: list[float], mask: int, text: str) -> None:
    ep.completion_ids += ids
    ep.logprobs += logprobs
    ep.loss_mask += [mask] * len(ids)
    ep.text += text


def _end(ep: ToolEpisode, env: Any, reason: str) -> None:
    _, reward, _, _, info = env.end_episode(reason)
    ep.reward, ep.info = float(reward), info
