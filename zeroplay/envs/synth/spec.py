"""The synthesized-environment spec: what a source must define, and the limits it runs under.

A synthesized environment is Python source that defines four top-level functions::

    NAME = "ShortestPath"                      # optional: a CamelCase name for the library

    def sample_instance(rng, difficulty) -> dict   # rng: random.Random seeded by the harness
    def render(instance) -> str                    # the prompt a solver sees
    def reference(instance) -> str                 # an answer, as a solver would write it, that scores 1
    def score(instance, answer: str) -> float      # in [0, 1]; never raises on any text

``difficulty`` is an int from 1 (easiest) to 5 (hardest). All randomness must come from
``rng``; instances are plain data (dicts of numbers, strings, lists). ``answer`` is the
solver's final answer: the text inside its last ``<answer>...</answer>`` tags, or its whole
output, stripped, when it wrote no tags (see :func:`extract_answer`).

This module is plain data and pure functions; it never runs environment source.
"""

from __future__ import annotations

import ast
import hashlib
import re

from zeroplay.core.answers import last_tag

#: The functions every source defines, with their positional arity.
REQUIRED_FUNCTIONS: dict[str, int] = {"sample_instance": 2, "render": 1, "reference": 1, "score": 2}

#: Difficulty levels a source must accept (1 = easiest).
DIFFICULTIES: tuple[int, ...] = (1, 2, 3, 4, 5)

#: Standard-library modules a source may import. Anything that reaches the host (os, sys,
#: subprocess, socket, ...), the clock (time, datetime) or the interpreter (gc, inspect,
#: importlib, ctypes) is out: those make an env unsafe or non-deterministic. At run time an
#: allowed import yields a read-only view of the module's public names (see ``_driver.py``).
ALLOWED_IMPORTS: frozenset[str] = frozenset({
    "random", "math", "itertools", "collections", "string", "re", "heapq", "functools",
    "bisect", "statistics", "fractions", "decimal", "operator", "dataclasses", "typing",
    "enum", "json", "copy", "textwrap", "numbers", "array",
})

#: Builtins a source may not name: code execution, file and interpreter access, and the
#: reflection helpers that lead from a harmless object to the harness's internals.
BANNED_BUILTINS: frozenset[str] = frozenset({
    "eval", "exec", "compile", "open", "input", "__import__", "globals", "locals", "vars",
    "getattr", "setattr", "delattr", "breakpoint", "exit", "quit", "help", "memoryview",
    "__builtins__", "__loader__", "__spec__",
})

#: Longest source accepted, in characters.
MAX_SOURCE_CHARS = 24_000
#: Longest prompt ``render`` may return, in characters.
MAX_PROMPT_CHARS = 16_000
#: Longest reference ``reference`` may return, in characters.
MAX_REFERENCE_CHARS = 4_000
#: Most bytes a source may print (prints go nowhere; a flood is an error).
MAX_PRINT_BYTES = 64 * 1024

#: Appended to every prompt, so that each env need not repeat the answer format.
ANSWER_INSTRUCTION = "Give your final answer inside <answer></answer> tags."

_NAME_OK = re.compile(r"^[A-Z][A-Za-z0-9]{1,47}$")


def extract_answer(text: str) -> str:
    """The final answer in a solver's output: the last ``<answer>...</answer>`` (lower case; see
    :func:`zeroplay.core.answers.last_tag`) in its last 20,000 characters, else all of it, stripped."""
    found = last_tag(text[-20_000:], "answer")
    return (found if found is not None else text).strip()


def full_prompt(rendered: str) -> str:
    """The prompt a solver sees: the env's own text and the answer instruction."""
    return f"{rendered.rstrip()}\n\n{ANSWER_INSTRUCTION}"


def sanitize_name(name: str) -> str:
    """A CamelCase name usable in an env id (``zeroplay/synth/NAME-v0``), from any text."""
    words = re.findall(r"[A-Za-z0-9]+", name or "")
    camel = "".join(w[:1].upper() + w[1:] for w in words)
    if not camel or not camel[0].isalpha():
        camel = "Env" + camel
    return camel[:48]


def declared_name(source: str) -> str | None:
    """The ``NAME = "..."`` a source declares, read without running it, or None."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "NAME" for t in node.targets)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            return sanitize_name(node.value.value)
    return None


def source_sha(source: str) -> str:
    """The hash that identifies a source: recorded in the library and in every library task's reference."""
    return hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()


def is_valid_name(name: str) -> bool:
    return bool(_NAME_OK.match(name))
