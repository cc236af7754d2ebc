"""Prompts of the code-execution tasks and their proposers. Each states the answer format the
parser in :mod:`zeroplay.envs.code.answers` reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeroplay.envs.code.triplet import CodeTask

#: How each kind's answer is written (shown in prompts; the parser also accepts looser forms).
ANSWER_FORMATS = {
    "deduction": "Write the output as a Python literal inside answer tags, e.g. <answer>[1, 2]</answer>.",
    "abduction": (
        "Write the input as the arguments of the call f(...) inside answer tags, "
        "e.g. <answer>[1, 2], 'x'</answer> for f([1, 2], 'x')."
    ),
    "induction": "Write the complete program, defining f, in one fenced block:\n```python\ndef f(...):\n    ...\n```",
}


def _program_block(program: str) -> str:
    return f"```python\n{program.strip()}\n```"


def _pairs_block(pairs: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"f({i}) == {o}" for i, o in pairs)


def solver_prompt(kind: str, task: CodeTask) -> str:
    """What a solver of ``kind`` sees for ``task``: self-contained, with the answer format."""
    if kind == "deduction":
        return (
            "Predict the output of this Python program.\n\n"
            f"{_program_block(task.program)}\n\n"
            f"Input: f({task.inputs[0]})\n\n"
            "What does the call return? Reason step by step if you like, then give the returned value. "
            + ANSWER_FORMATS["deduction"]
        )
    if kind == "abduction":
        return (
            "Find an input for which this Python program returns the given output.\n\n"
            f"{_program_block(task.program)}\n\n"
            f"Output: {task.outputs[0]}\n\n"
            "Any input that makes f return exactly this value is correct; use Python literals only. "
            + ANSWER_FORMATS["abduction"]
        )
    if kind == "induction":
        message = f"Hint from the author: {task.message.strip()}\n\n" if task.message.strip() else ""
        return (
            "Write a Python function f that maps these inputs to these outputs.\n\n"
            f"{message}{_pairs_block(task.shown)}\n\n"
            "Your function is checked on other inputs, so write the general rule, not a lookup table. "
            "Use only the standard library; no input/output, files, network or randomness. "
            + ANSWER_FORMATS["induction"]
        )
    raise ValueError(f"kind must be deduction, abduction or induction, got {kind!r}")


def proposal_format(kind: str, min_inputs: int) -> str:
    """The answer format of a proposal of ``kind`` (see :func:`zeroplay.envs.code.answers.parse_proposal`)."""
    program = "```python\ndef f(...):\n    ...\n```"
    if kind == "induction":
        return (
            f"Write the program in a ```python block, then at least {min_inputs} different inputs, each in its own "
            "```input block holding the arguments of the call f(...) as Python literals (they must give "
            "different outputs), then a one-line hint for the solver in <message>...</message>:\n"
            f"{program}\n```input\n[1, 2], 3\n```\n```input\n[4], 0\n```\n...\n<message>what f does, briefly</message>"
        )
    return (
        "Write the program in a ```python block, then one input in an ```input block holding the arguments "
        f"of the call f(...) as Python literals:\n{program}\n```input\n[1, 2], 3\n```"
    )


_GOALS = {
    "deduction": "a solver will be shown the program and the input and must predict the output",
    "abduction": "a solver will be shown the program and the output and must find an input that produces it",
    "induction": "a solver will be shown the hint and half of the input/output pairs and must write the program",
}


def proposer_prompt(kind: str, references: Sequence[CodeTask], *, min_inputs: int, banned: Sequence[str]) -> str:
    """What a proposer of ``kind`` sees: reference tasks, the rules a proposal must pass, the format."""
    shown = []
    for n, ref in enumerate(references, 1):
        pairs = ref.pairs if kind == "induction" else ref.pairs[:1]
        hint = f"\nHint: {ref.message}" if kind == "induction" and ref.message else ""
        shown.append(f"### Reference {n}\n{_program_block(ref.program)}\n{_pairs_block(pairs)}{hint}")
    rules = (
        f"- define a deterministic function f in plain Python (no module from: {', '.join(banned)}); "
        "no printing, files, network, time or randomness;\n"
        "- inputs and the returned value are Python literals (numbers, strings, lists, tuples, dicts, sets, "
        "booleans, None);\n"
        "- it must finish quickly and return a small value;\n"
        "- it must differ from the references."
    )
    return (
        f"Propose a new code task of type {kind}: {_GOALS[kind]}. Make it challenging but solvable.\n\n"
        + "\n\n".join(shown)
        + f"\n\nRules:\n{rules}\n\n{proposal_format(kind, min_inputs)}"
    )
