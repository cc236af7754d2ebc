"""The oracle: answers task envs from the reference in ``info["task"]`` (for tests and upper bounds).

It writes each answer in the format the env documents, so its score is the env's ceiling: a
score below 1.0 means a verifier or a parser is wrong, not the oracle.

- a task whose ``meta`` has ``"oracle_answer"``: that text (envs set it where the answer is not
  the reference itself, e.g. the reasoning-gym adapter);
- ``code-deduction`` / ``code-abduction``: the output / the input in ``<answer>`` tags;
- ``code-induction``: the reference program in a fenced ```python block;
- ``math``: ``\\boxed{reference}``; any other verifier: the reference as text;
- proposer envs (``info["references"]`` and no task): a fresh, valid proposal of the env's kind
  (a small program made new by a counter), so the proposer's validation path can be exercised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.agents.base import Agent, infos_or_empty
from zeroplay.core.errors import AgentError
from zeroplay.core.types import Task


class OracleAgent(Agent):
    """Writes the correct answer of task envs from ``info["task"]``; see the module docstring.

    Raises :class:`AgentError` for an info without a task (games, or infos not passed along).
    """

    name = "oracle"

    def __init__(self, seed: int | None = None):
        self.seed = seed or 0
        self._proposals = 0

    def reset(self, seed: int | None = None) -> None:
        self.seed = seed or 0
        self._proposals = 0

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [self._answer(info) for info in infos_or_empty(observations, infos)]

    def _answer(self, info: dict[str, Any]) -> str:
        task = info.get("task")
        if isinstance(task, Task):
            return answer_for(task)
        if "references" in info and info.get("kind"):
            self._proposals += 1
            return propose(info["kind"], salt=self.seed * 1_000_003 + self._proposals,
                           n_inputs=int(info.get("min_inputs", 6)))
        raise AgentError(
            "the oracle answers task envs only: it needs info['task'] (a zeroplay.Task) from env.reset; "
            "pass the env's infos to act(observations, infos)"
        )


def answer_for(task: Task) -> str:
    """The correct answer of ``task`` in its env's documented format."""
    if "oracle_answer" in task.meta:
        return str(task.meta["oracle_answer"])
    ref = task.reference
    if task.verifier in ("code-deduction", "code-abduction", "code-induction"):
        from zeroplay.envs.code.triplet import CodeTask

        code = CodeTask.from_reference(ref)
        if task.verifier == "code-deduction":
            return f"<answer>{code.outputs[0]}</answer>"
        if task.verifier == "code-abduction":
            return f"<answer>{code.inputs[0]}</answer>"
        return f"```python\n{code.program}\n```"
    if task.verifier == "math":
        return f"The final answer is \\boxed{{{ref}}}."
    return str(ref)


def propose(kind: str, *, salt: int, n_inputs: int = 6) -> str:
    """A valid proposal of ``kind`` made new by ``salt`` (the program returns it beside its input)."""
    program = f"def f(x):\n    return [x * 3 - 1, {salt}]"
    if kind == "induction":
        inputs = "\n".join(f"```input\n{i}\n```" for i in range(n_inputs))
        return f"```python\n{program}\n```\n{inputs}\n<message>scales the input and tags it</message>"
    return f"```python\n{program}\n```\n```input\n{salt % 97}\n```"
