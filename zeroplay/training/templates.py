"""Prompt templates: how an observation is framed for the model, and how its answer is read back.

A template turns an env observation into chat messages and turns a completion into
``(action, well_formed)``: the text handed to ``env.step`` and whether the answer format was
followed (a malformed answer earns the solver's malformed penalty). Every env parses the
action it gets (the last ``[move]`` in games, the answer in math and code), so a template only
unwraps its own format (read by :mod:`zeroplay.core.answers`, one policy for every verifier, env
and template) and leaves the env's parser to read what is inside:

- ``plain``: the completion is the action as is (always well-formed).
- ``r1``: ``<think>...</think><answer>...</answer>`` (DeepSeek-R1, Absolute Zero); the action is
  the content of the last ``<answer>`` block.
- ``boxed``: reasoning, then ``\\boxed{...}``; the action is the content of the last box
  (nested braces allowed; ``\\fbox{...}`` and ``\\boxed 5`` count too), so ``\\boxed{[bet]}``
  plays ``[bet]`` and ``\\boxed{\\frac{1}{2}}`` answers ``\\frac{1}{2}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeroplay.core import answers
from zeroplay.core.errors import ConfigError

R1_SYSTEM = (
    "A conversation between User and Assistant. The Assistant first thinks about the reasoning process "
    "and then gives the answer. The reasoning is enclosed in <think> </think> and the answer in "
    "<answer> </answer> tags: <think> reasoning here </think> <answer> answer here </answer>."
)
BOXED_SYSTEM = "Reason step by step, then put your final answer within \\boxed{}."

_BOX = "\\boxed{"


def last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` (see :func:`zeroplay.core.answers.last_boxed`:
    ``\\fbox{}`` and ``\\boxed 5`` count too), stripped, or None. Linear time on any input."""
    return answers.last_boxed(text)


def last_answer(text: str) -> str | None:
    """Content of the last ``<answer>...</answer>`` pair (see :func:`zeroplay.core.answers.last_tag`), or None."""
    return answers.last_tag(text, "answer")


def follows_r1_format(text: str) -> bool:
    """``[<think>...</think>] <answer>...</answer>`` and nothing else around them."""
    rest = text.strip()
    if rest.startswith("<think>"):
        close = rest.find("</think>")
        if close < 0:
            return False
        rest = rest[close + len("</think>"):].lstrip()
    return rest.startswith("<answer>") and rest.endswith("</answer>") and rest.count("</answer>") == 1


@dataclass(frozen=True)
class Template:
    """A named prompt template (see the module docstring)."""

    name: str
    system: str | None

    def messages(self, observation: str) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        return msgs + [{"role": "user", "content": observation}]

    def format(self, action: str, thought: str = "") -> str:
        """A well-formed completion that answers ``action`` (the inverse of :meth:`parse`), with
        ``thought`` as the reasoning where the template has a place for it (``r1``)."""
        if self.name == "r1":
            return (f"<think>{thought}</think> " if thought else "") + f"<answer>{action}</answer>"
        if self.name == "boxed":
            return f"{_BOX}{action}}}"
        return action

    def parse(self, completion: str) -> tuple[str, bool]:
        """``(action for env.step, well_formed)``. Never raises; a malformed completion gives ``""``."""
        if not isinstance(completion, str):
            return "", False
        if self.name == "plain":
            return completion, True
        if self.name == "r1":
            found = last_answer(completion[-65536:])
            if found is None:
                return "", False
            return found.strip(), follows_r1_format(completion)
        box = last_boxed(completion[-65536:])
        return (box, True) if box is not None else ("", False)


TEMPLATES: dict[str, Template] = {
    "plain": Template("plain", None),
    "r1": Template("r1", R1_SYSTEM),
    "boxed": Template("boxed", BOXED_SYSTEM),
}


def get_template(name: str) -> Template:
    if name not in TEMPLATES:
        raise ConfigError(f"template must be one of {sorted(TEMPLATES)}, got {name!r}")
    return TEMPLATES[name]


def render_prompt(tokenizer: object, template: Template, observation: str) -> list[int]:
    """Token ids of the chat prompt (generation prompt included) for ``observation``.

    Uses the tokenizer's chat template when it has one, else plain ``system\\n\\nuser``.
    """
    msgs = template.messages(observation)
    if getattr(tokenizer, "chat_template", None):
        ids = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "input_ids"):  # transformers 5 may return a BatchEncoding
            ids = ids["input_ids"]
        return list(ids)
    text = "\n\n".join(m["content"] for m in msgs) + "\n"
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])
