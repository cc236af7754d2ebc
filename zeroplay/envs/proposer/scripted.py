"""Scripted stand-ins for the roles of the problem-pool loops (TTCS, SvS), for CPU runs and tests where a
tiny random model writes no meaningful problem or answer. They are real agents (``act(observations,
infos) -> list[str]``, ``reseed(seed)``), used through a config's ``scripted:`` block, and they read the
same prompts a model would:

- :class:`ScriptedVariantWriter` reads a ``variant``-mode prompt of
  :class:`~zeroplay.envs.proposer.env.ProblemProposerEnv` (the problem under ``### Original`` and, when
  shown, its ``Answer:``) and writes a variant in the ``<problem>`` format. It keeps the answer
  (``Compute E.`` becomes ``Compute m + k.``, with ``m + k`` E's value; other problems get a reworded frame),
  except that
  with probability ``wrong_rate`` it nudges one number of the problem and states the new answer, so a
  loop's answer check has something to refuse. ``<answer>`` is written when the prompt asks for it.
- :class:`ScriptedHarderVariantWriter` (TTCS) makes the problem harder instead: every integer grows and
  an arithmetic problem gains a term. A new problem with a new answer, computed when it can be.
- :class:`ScriptedArithmeticSolver` answers ``Compute E.`` problems by evaluating ``E`` (integers with
  ``+ - * /`` and parentheses, parsed by :mod:`ast`, never ``eval``), correct with probability
  ``accuracy`` and off by one otherwise, as ``\\boxed{...}``; other problems get no answer.

What they do not do: write good problems. They exercise a loop's data flow (validation, answer checks,
solve rates, the pool) with text that follows the formats; only arithmetic-style problems (the
procedural ``zeroplay/MathArithmetic-v0`` family) get answer-keeping rewrites that a solver can check.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

_COMPUTE = re.compile(r"^Compute (.+?)\.?\s*$", re.S)
_INT = re.compile(r"(?<![\w.])\d+(?!\w|\.\d)")
_ENDS = ("\nAnswer: ", "\nA correct solution:", "\n\nWrite it in this format")
#: Longest expression the arithmetic helpers evaluate (model text is hostile input).
MAX_EXPRESSION_CHARS = 400


def original_problem(prompt: str) -> tuple[str | None, str | None]:
    """(the problem under ``### Original``, the ``Answer:`` shown after it or None) of a variant prompt;
    (None, None) when ``prompt`` is not one."""
    head = prompt.find("### Original\n")
    if head < 0:
        return None, None
    rest = prompt[head + len("### Original\n"):]
    cut = min((rest.find(e) for e in _ENDS if e in rest), default=len(rest))
    problem = rest[:cut].strip()
    answer = None
    if rest[cut:].startswith("\nAnswer: "):
        answer = rest[cut + len("\nAnswer: "):].split("\n", 1)[0].strip()
    return problem or None, answer


def evaluate_arithmetic(expression: str) -> Fraction | None:
    """The exact value of ``expression`` (integers, ``+ - * /``, unary minus, parentheses), or None when it
    is anything else, too long, or divides by zero. Never raises."""
    if not isinstance(expression, str) or len(expression) > MAX_EXPRESSION_CHARS:
        return None
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        return _value(tree.body)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError, MemoryError):
        return None


def _value(node: ast.AST) -> Fraction | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _value(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _value(node.left), _value(node.right)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return a / b
    return None


def format_value(value: Fraction) -> str:
    """``3``, ``-1/2``: how the math verifier reads an exact value."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def arithmetic_of(problem: str) -> str | None:
    """The expression of a ``Compute E.`` problem (its first line), or None."""
    m = _COMPUTE.match(problem.strip().split("\n", 1)[0])
    return m.group(1).strip() if m else None


class ScriptedVariantWriter:
    """Writes a variant of the shown original that keeps its answer (SvS); see the module docstring.

    ``wrong_rate``: the share of variants that change the answer (and say so in ``<answer>``).
    """

    keep_answer = True

    def __init__(self, seed: int = 0, wrong_rate: float = 0.25):
        if not 0.0 <= wrong_rate <= 1.0:
            raise ValueError(f"wrong_rate must be in [0, 1], got {wrong_rate}")
        self.rng, self.wrong_rate = np.random.default_rng(seed), wrong_rate

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [self.write(obs) for obs in observations]

    def write(self, prompt: str) -> str:
        problem, answer = original_problem(prompt)
        if problem is None:
            return "I see no original problem to rewrite."  # an invalid proposal, as a model's would be
        if self.keep_answer and self.rng.random() >= self.wrong_rate:
            text, new_answer = self._same_answer(problem), answer
        else:
            text, new_answer = self._changed(problem)
        out = f"<problem>{text}</problem>"
        if "<answer>" in prompt:  # the prompt's format asks for the answer
            out += f"\n<answer>{new_answer if new_answer is not None else answer or '0'}</answer>"
        return out

    def _same_answer(self, problem: str) -> str:
        """A new expression of the same value, ``v - k + k`` with ``v - k`` worked out (not the original with an
        operation that does nothing, which the proposer env refuses as a copy)."""
        k = int(self.rng.integers(2, 50))
        expression = arithmetic_of(problem)
        value = evaluate_arithmetic(expression) if expression is not None else None
        if value is not None:
            rest = value - k
            head = format_value(rest) if rest.denominator == 1 else f"{rest.numerator} / {rest.denominator}"
            return f"Compute {head} + {k}." if self.rng.random() < 0.5 else f"Compute {k} + {head}."
        return f"A friend numbered {k} asks you this. {problem}"

    def _changed(self, problem: str) -> tuple[str, str | None]:
        """``problem`` with one integer nudged (and, for arithmetic, the new value): a different answer."""
        found = list(_INT.finditer(problem))
        if not found:
            return f"{problem} Then add 1 to the result.", None
        m = found[int(self.rng.integers(len(found)))]
        bump = int(self.rng.integers(1, 10))
        text = problem[:m.start()] + str(int(m.group()) + bump) + problem[m.end():]
        expression = arithmetic_of(text)
        value = evaluate_arithmetic(expression) if expression else None
        return text, format_value(value) if value is not None else None


class ScriptedHarderVariantWriter(ScriptedVariantWriter):
    """Writes a harder variant of the shown original (TTCS): every integer grows, and an arithmetic
    problem gains a term. The answer changes; it is written (computed) when the prompt asks for it."""

    keep_answer = False

    def _changed(self, problem: str) -> tuple[str, str | None]:
        text = _INT.sub(lambda m: str(int(m.group()) * int(self.rng.integers(2, 5)) + int(self.rng.integers(1, 10))),
                        problem)
        expression = arithmetic_of(text)
        if expression is None:
            return f"{text} Give the result times {int(self.rng.integers(2, 9))}.", None
        extra = int(self.rng.integers(2, 30))
        expression = f"{expression} {'+' if self.rng.random() < 0.5 else '-'} {extra}"
        value = evaluate_arithmetic(expression)
        return f"Compute {expression}.", format_value(value) if value is not None else None


class ScriptedArithmeticSolver:
    """Answers ``Compute E.`` problems, correct with probability ``accuracy`` (else off by one); see the
    module docstring. For tests of a loop's data flow that need some correct and some wrong answers."""

    def __init__(self, seed: int = 0, accuracy: float = 0.5):
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"accuracy must be in [0, 1], got {accuracy}")
        self.rng, self.accuracy = np.random.default_rng(seed), accuracy

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [self.answer(obs) for obs in observations]

    def answer(self, prompt: str) -> str:
        expression = arithmetic_of(prompt)
        value = evaluate_arithmetic(expression) if expression else None
        if value is None:
            return "I do not know."
        if self.rng.random() >= self.accuracy:
            value += 1
        return f"The value is \\boxed{{{format_value(value)}}}."
