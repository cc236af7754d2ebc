"""Tool use inside an episode: :class:`Tool`, :func:`parse_turn` and the :class:`ToolEnv` base.

Protocol. An episode is a conversation. ``reset`` shows the problem and the tools. Each ``step``
takes one model turn (the model's text since the last observation):

- a **tool call** ``<NAME>argument</NAME>`` (``NAME`` one of the env's tools, e.g.
  ``<search>river towns</search>``): the tool runs and the episode goes on with reward 0;
  ``info["tool_output"]`` is the text to append to the conversation (the tool's answer inside
  ``<result>...</result>``), the observation is the whole conversation so far (self-contained);
- a **final answer** ``<answer>...</answer>``: the episode ends with the verifier's score as
  reward, the :class:`~zeroplay.core.types.Verdict` in ``info["verdict"]`` and ``info["answered"] = True``;
- neither: the episode ends with reward 0 and ``info["reason"]`` saying what was missing;
- a turn that writes ``<result>`` or ``</result>`` before its call or answer ends with reward 0
  (``info["reason"]`` says why): only the env writes tool output, and a model's text that reads as tool
  output (a forged search result in its own transcript) is no call and no answer.

When a turn holds several complete tags, the one that *closes first* wins (what a sampler that
stops at ``</search>`` or ``</answer>`` would have cut at: :attr:`ToolEnv.stop_strings`); text after
it is ignored. Tags are case-sensitive and pair an opening tag with the first closing tag after it,
as :func:`zeroplay.core.answers.last_tag` does; an unclosed tag is no call.

Budgets, per episode: ``max_calls`` tool calls and ``max_output_chars`` characters of tool output
(later output is cut to what is left). A call beyond either budget ends the episode with reward 0,
``info["reason"]`` saying which budget was spent and ``info["budget_spent"] = True``.

Guarantees: ``step`` never raises on what an agent writes (parsing is linear: ``str.find`` only;
a tool's argument is cut to ``max_argument_chars``); a tool that raises gives an error text as its
output, not an exception; the observation stays within the observation space (budgets are bounded
at construction). Does not: run tools in parallel, time-limit a tool (tools must be quick and
local), or let a tool see anything but its argument.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from zeroplay.core.env import MAX_ACTION_CHARS, TextEnv
from zeroplay.core.errors import EpisodeOverError
from zeroplay.core.types import Verdict

#: The tag of a final answer.
ANSWER_TAG = "answer"
#: The tag tool output is wrapped in when it joins the conversation.
RESULT_TAG = "result"
#: The most tool calls a :class:`ToolEnv` allows per episode (keeps the transcript within the observation space).
MAX_CALLS_LIMIT = 12
#: The most tool-output characters a :class:`ToolEnv` allows per episode.
MAX_OUTPUT_CHARS_LIMIT = 1 << 16


@runtime_checkable
class Tool(Protocol):
    """A tool an agent calls by name with one text argument. It must be quick, local and never
    block; it may raise (the env turns the error into the tool's output)."""

    name: str
    """The tag the agent writes: ``<name>argument</name>`` (letters, digits, ``_``)."""
    description: str
    """One line for the prompt: what the tool does and what its argument is."""

    def __call__(self, argument: str) -> str: ...


@dataclass(frozen=True)
class Turn:
    """What one model turn asks for: a tool call, a final answer, or nothing."""

    kind: Literal["call", "answer", "none"]
    name: str = ""
    """The tool's name (``kind == "call"``)."""
    argument: str = ""
    """The call's argument or the answer, stripped."""
    end: int = 0
    """Where the call or answer ends in the turn's text (the rest is ignored)."""


def _first_pair(text: str, tag: str) -> tuple[int, int, int] | None:
    """(content start, content end, pair end) of the first ``<tag>...</tag>`` pair, or None."""
    opening, closing = f"<{tag}>", f"</{tag}>"
    start = text.find(opening)
    if start < 0:
        return None
    close = text.find(closing, start + len(opening))
    if close < 0:
        return None
    return start + len(opening), close, close + len(closing)


def parse_turn(text: Any, tool_names: Sequence[str], answer_tag: str = ANSWER_TAG) -> Turn:
    """The tool call or final answer in one model turn (see the module docstring). Never raises."""
    if not isinstance(text, str):
        return Turn("none")
    best: tuple[int, str, int, int] | None = None  # (pair end, tag, content start, content end)
    for tag in (*tool_names, answer_tag):
        found = _first_pair(text, tag)
        if found is not None and (best is None or found[2] < best[0]):
            best = (found[2], tag, found[0], found[1])
    if best is None:
        return Turn("none")
    end, tag, lo, hi = best
    kind = "answer" if tag == answer_tag else "call"
    return Turn(kind, "" if kind == "answer" else tag, text[lo:hi].strip(), end)


def check_tool(tool: Any) -> Tool:
    """``tool`` if it is a usable :class:`Tool`, else a TypeError/ValueError saying what it lacks."""
    if not isinstance(tool, Tool):
        raise TypeError(f"{type(tool).__name__} is not a Tool: it needs str attributes 'name' and 'description' "
                        "and __call__(argument: str) -> str")
    name = tool.name
    if not isinstance(name, str) or not name or not all(c.isalnum() or c == "_" for c in name):
        raise ValueError(f"tool name must be letters, digits and '_' (it is written as a tag <name>), got {name!r}")
    if name in (ANSWER_TAG, RESULT_TAG):
        raise ValueError(f"tool name {name!r} is reserved (<{ANSWER_TAG}> ends the episode, <{RESULT_TAG}> wraps tool "
                         "output); choose another")
    return tool


def _writes_result(text: str) -> bool:
    """Whether ``text`` holds the tool-output wrapper's tags (only the env may write them)."""
    return f"<{RESULT_TAG}>" in text or f"</{RESULT_TAG}>" in text


class ToolEnv(TextEnv):
    """Base of envs where an agent calls tools before answering (the protocol of the module docstring).

    A subclass implements :meth:`new_problem` (the task's prompt, drawn from ``self.np_random``) and
    :meth:`score` (the verdict on a final answer); :meth:`tool_instructions` describes the tools
    for its prompt. ``info["task"]`` (when the subclass puts one in :meth:`new_problem`'s info) is
    kept in every step's info.
    """

    def __init__(self, tools: Sequence[Tool], *, max_calls: int = 4, max_output_chars: int = 4096,
                 max_argument_chars: int = 1024, render_mode: str | None = None):
        super().__init__(render_mode=render_mode)
        self.tools = {t.name: t for t in (check_tool(t) for t in tools)}
        if len(self.tools) != len(tools):
            raise ValueError(f"two tools share a name: {[t.name for t in tools]}")
        if not 0 <= max_calls <= MAX_CALLS_LIMIT:
            raise ValueError(f"max_calls must be in 0..{MAX_CALLS_LIMIT}, got {max_calls}")
        if not 0 <= max_output_chars <= MAX_OUTPUT_CHARS_LIMIT:
            raise ValueError(f"max_output_chars must be in 0..{MAX_OUTPUT_CHARS_LIMIT}, got {max_output_chars}")
        if max_argument_chars < 1:
            raise ValueError(f"max_argument_chars must be >= 1, got {max_argument_chars}")
        self.max_calls, self.max_output_chars, self.max_argument_chars = max_calls, max_output_chars, max_argument_chars
        self._done = True
        self._calls = 0
        self._chars_left = max_output_chars
        self._base_info: dict[str, Any] = {}
        self.final_turn = ""
        """The turn that gave the final answer, up to its ``</answer>`` (for :meth:`score` to read more of it)."""

    # -- what an env defines ------------------------------------------------------------------
    @abc.abstractmethod
    def new_problem(self, rng: np.random.Generator, options: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
        """The first observation (problem and tool instructions) and the reset's info."""

    @abc.abstractmethod
    def score(self, answer: str) -> Verdict:
        """The verdict on a final answer (must not raise)."""

    # -- helpers for subclasses -----------------------------------------------------------------
    @property
    def stop_strings(self) -> tuple[str, ...]:
        """Where a sampler should end a model turn: after a call or an answer closes."""
        return (*(f"</{n}>" for n in self.tools), f"</{ANSWER_TAG}>")

    def tool_instructions(self) -> str:
        """How to call the tools and answer, for the prompt."""
        lines = [f"- <{t.name}>...</{t.name}>: {t.description}" for t in self.tools.values()]
        return ("You may call these tools, one call per turn; the result comes back inside "
                f"<{RESULT_TAG}>...</{RESULT_TAG}>:\n" + "\n".join(lines) +
                f"\nYou have at most {self.max_calls} calls. When you know the answer, write it as "
                f"<{ANSWER_TAG}>...</{ANSWER_TAG}>.")

    def parse(self, text: str) -> Turn:
        """The call or answer in one turn (:func:`parse_turn` over this env's tools)."""
        return parse_turn(text, tuple(self.tools))

    @property
    def calls(self) -> int:
        """Tool calls made so far in this episode."""
        return self._calls

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        obs, info = self.new_problem(self.np_random, options)
        self._done, self._calls, self._chars_left = False, 0, self.max_output_chars
        self.final_turn = ""
        self._base_info = {k: info[k] for k in ("task",) if k in info}
        self._last_obs = obs
        return obs, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._done:
            raise EpisodeOverError("step() on a finished or never-started episode; call reset() first")
        text, problem = self.clean_action(action)
        turn = self.parse(text)
        if turn.kind != "none" and _writes_result(text[:turn.end]):
            return self._finish(text[:turn.end], Verdict.fail("forged-result"),
                                f"the turn writes <{RESULT_TAG}> or </{RESULT_TAG}>: only tool output comes inside "
                                f"<{RESULT_TAG}>; call a tool or answer")
        if turn.kind == "answer":
            self.final_turn = text[:turn.end]
            obs, reward, terminated, truncated, info = self._finish(self.final_turn, self.score(turn.argument), problem)
            info["answered"] = True
            return obs, reward, terminated, truncated, info
        if turn.kind == "none":
            reason = problem or (f"no tool call and no <{ANSWER_TAG}>...</{ANSWER_TAG}> in the turn; "
                                 f"call a tool or write the answer as <{ANSWER_TAG}>...</{ANSWER_TAG}>")
            return self._finish(text, Verdict.fail("no-answer"), reason)
        return self._call(text[:turn.end], turn)

    def end_episode(self, reason: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """End the episode from outside (a sampler's token budget ran out): reward 0, ``truncated``."""
        obs, reward, _, _, info = self._finish("", Verdict.fail("truncated"), reason)
        info["budget_spent"] = True
        return obs, reward, False, True, info

    # -- the two outcomes -------------------------------------------------------------------
    def _call(self, turn_text: str, turn: Turn) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._calls >= self.max_calls:
            return self._over_budget(turn_text, f"tool-call budget spent ({self.max_calls} calls); "
                                                f"answer with <{ANSWER_TAG}>...</{ANSWER_TAG}>")
        if self._chars_left <= 0:
            return self._over_budget(turn_text, f"tool-output budget spent ({self.max_output_chars} chars)")
        self._calls += 1
        output = self._run_tool(turn.name, turn.argument[:self.max_argument_chars])
        output = output[:self._chars_left]
        self._chars_left -= len(output)
        shown = f"\n<{RESULT_TAG}>\n{output}\n</{RESULT_TAG}>\n"
        self._last_obs = self._last_obs + turn_text + shown
        call = {"name": turn.name, "argument": turn.argument[:self.max_argument_chars]}
        info = {**self._base_info, "tool_call": call, "tool_output": shown, "calls": self._calls, "output_chars_left": self._chars_left}
        return self._last_obs, 0.0, False, False, info

    def _run_tool(self, name: str, argument: str) -> str:
        try:
            out = self.tools[name](argument)
        except Exception as e:  # a tool bug must not crash the episode
            return f"tool error: {type(e).__name__}: {str(e)[:200]}"
        if not isinstance(out, str):
            return f"tool error: {name} returned {type(out).__name__}, not text"
        return out.replace(f"</{RESULT_TAG}>", f"</ {RESULT_TAG}>")  # output cannot close its own wrapper

    def _over_budget(self, turn_text: str, reason: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self._finish(turn_text, Verdict.fail("budget-spent"), reason)
        info["budget_spent"] = True
        return obs, reward, terminated, truncated, info

    def _finish(self, turn_text: str, verdict: Verdict,
                reason: str | None) -> tuple[str, float, bool, bool, dict[str, Any]]:
        self._done = True
        self._last_obs = self._last_obs + turn_text[:MAX_ACTION_CHARS]
        info: dict[str, Any] = {**self._base_info, "verdict": verdict, "calls": self._calls}
        if reason:
            info["reason"] = reason
        return self._last_obs, float(verdict.score), True, False, info
