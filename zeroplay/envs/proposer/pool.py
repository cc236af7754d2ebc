"""A pool of problems with each problem's solve history: what self-play loops that make their own
problems keep between steps (TTCS, SvS, SwS, Multi-Agent Evolve).

A :class:`ProblemPool` holds :class:`PoolEntry` items: a :class:`~zeroplay.core.types.Task`, where it
came from (``seed``: given by the user; ``proposed``: written by a policy; ``variant``: a policy's
rewrite of another problem, ``parent`` naming it; ``generated``: made by a procedural generator), free
tags (concepts, a generator's name), and how solvers fared on it: attempts, correct answers, and the
solve rate of each step it was tried in.

Guarantees:
- one problem per text: :meth:`ProblemPool.add` refuses a prompt whose :func:`problem_key` equals one
  already in the pool. The key folds what does not change a problem: Unicode compatibility forms
  (NFKC: fullwidth and mathematical letters), invisible format characters (zero-width spaces and
  joiners, soft hyphens, direction marks, combining grapheme joiners), digits of other scripts, Latin
  look-alikes from Cyrillic and Greek, case, LaTeX spacing, all whitespace (line separators and ``\r``
  included) and sentence punctuation (a period or comma
  between digits is kept: ``2.5`` is not ``25``). So a policy cannot grow the pool, or pass a shown
  problem off as new, by re-spacing, re-punctuating or disguising its letters;
- seeds are never evicted; with ``max_size`` the pool evicts proposed problems first those the
  solvers always solve (they teach nothing), then the oldest;
- draws depend only on the generator passed in (a resumed run draws the same), and
  :meth:`state_dict` / :meth:`load_state_dict` round-trip through JSON.

What it does not do: judge whether a problem is well posed or its reference right (the proposer env
and the loop's checks do), detect paraphrases (two wordings of one problem are two entries), or fold
every confusable of Unicode (:data:`CONFUSABLES` covers the Cyrillic and Greek letters that look Latin).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from zeroplay.core.errors import ConfigError
from zeroplay.core.types import Task

Source = Literal["seed", "proposed", "variant", "generated"]
_SPACE = re.compile(r"\s+")
#: Sentence punctuation a key drops; ``.`` and ``,`` only where they do not sit between two digits.
_PUNCTUATION = re.compile(r"[;:!?'\"`\u2018\u2019\u201c\u201d\u00ab\u00bb\u00bf\u00a1\u2026]|(?<!\d)[.,]|[.,](?!\d)")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63"), "-")
#: Cyrillic and Greek letters drawn like Latin ones (from Unicode's confusables.txt), mapped to them.
CONFUSABLES: dict[int, str] = {ord(k): v for k, v in zip(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb\u04cf\u051b\u051d\u0261"
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0406\u0408\u0405"
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf",
    "aeopcyxijsdhlqwg" "ABEKMHOPCTXYIJS" "ABEZHIKMNOPTYXo")}


#: Unicode's default-ignorable code points that are not in category Cf (a combining grapheme joiner, Hangul
#: fillers, variation selectors...): drawn as nothing, so folded away with the Cf ones.
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"
                        "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")
#: LaTeX that draws nothing but space: ``{}``, ``\\,``, ``\\quad``.
_LATEX_SPACE = re.compile(r"\{\}|\\[,;:! ]|\\q?quad(?![A-Za-z])")


def fold_text(text: str) -> str:
    """``text`` as a reader sees it: NFKC, invisible characters (category Cf and :data:`_IGNORABLE`) dropped,
    digits of any script made ASCII (``١٠`` is ``10``), Cyrillic and Greek look-alikes made Latin
    (:data:`CONFUSABLES`), dashes made ``-``, case folded, runs of whitespace made one space. Linear; for
    non-text, ``""``."""
    if not isinstance(text, str):
        return ""
    text = _IGNORABLE.sub("", unicodedata.normalize("NFKC", text))
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c
                   for c in text if unicodedata.category(c) != "Cf")
    return _SPACE.sub(" ", text.translate(CONFUSABLES).translate(_DASHES)).strip().casefold()


def problem_key(prompt: str) -> str:
    """The key two problems are the same under (see the module docstring): :func:`fold_text`, then
    without LaTeX spacing (``{}``, ``\\,``), whitespace and sentence punctuation."""
    return _PUNCTUATION.sub("", _LATEX_SPACE.sub("", fold_text(prompt)).replace(" ", ""))


#: What continues an expression right after it (``3 + 4`` in ``3 + 4 * 2``): the original is then a fragment.
_EXTENDS = frozenset("+-*/^\\\u00d7\u00f7\u00b7")


def contains_problem(text: str, problem: str) -> bool:
    """Whether ``text`` holds all of ``problem`` (under :func:`problem_key`, at number boundaries: ``2 + 3`` is
    not in ``2 + 37``): the original with anything written around it ("Harder variant: ...", "Level 2: ...",
    "... Show your work.", "... Then double the result.") is the original, not a variant of it; write a new
    problem instead. Only where an operator continues the original's expression right after it (``3 + 4``
    in ``3 + 4 * 2 - 1``) is it a fragment of a new one, and not when, for a ``Compute E.`` problem, the
    expression around E has E's value (``E + 0``, ``E * 1``, ``1000 - 1000 + E``: an operation that does
    nothing)."""
    key = problem_key(problem)
    whole = problem_key(text) if key else ""
    at = whole.find(key) if key else -1
    while at >= 0:
        end = at + len(key)
        before, after = whole[at - 1:at], whole[end:end + 1]
        number_edge = not (key[0].isdigit() and (before.isdigit() or before == ".")) and not (
            key[-1].isdigit() and (after.isdigit() or (after == "." and whole[end + 1:end + 2].isdigit())))
        if number_edge and after not in _EXTENDS:
            return True
        at = whole.find(key, at + 1)
    return _same_arithmetic(text, problem)


#: What an arithmetic expression is written with, once spaces are gone.
_ARITHMETIC = "0123456789+-*/()"


def _same_arithmetic(text: str, problem: str) -> bool:
    """Whether ``problem`` is a ``Compute E.`` problem and ``text`` writes E inside an expression of the same
    value: the original behind an operation that does nothing (``E + 0``, ``E * 1``, ``1000 - 1000 + E``)."""
    from zeroplay.envs.proposer.scripted import MAX_EXPRESSION_CHARS, arithmetic_of, evaluate_arithmetic

    expression = arithmetic_of(problem) if isinstance(problem, str) else None
    value = evaluate_arithmetic(expression) if expression else None
    if value is None or not isinstance(text, str):
        return False
    e = "".join(expression.split())  # type: ignore[union-attr]
    flat = "".join(_LATEX_SPACE.sub("", fold_text(text)).split()).replace("\\cdot", "*").replace("\\times", "*")
    at = flat.find(e)
    while at >= 0:
        start, end = at, at + len(e)
        while start > 0 and flat[start - 1] in _ARITHMETIC:
            start -= 1
        while end < len(flat) and flat[end] in _ARITHMETIC:
            end += 1
        if (start, end) != (at, at + len(e)) and (end - start > MAX_EXPRESSION_CHARS  # too long to check: refused
                                                  or evaluate_arithmetic(flat[start:end]) == value):
            return True
        at = flat.find(e, at + 1)
    return False


def similarity(a: str, b: str) -> float:
    """How alike two problem texts are: ``difflib``'s ratio on the texts as :func:`fold_text` folds them
    (case, spacing, invisible characters, look-alike letters: a copy in disguise is a copy), on at most 4,000
    characters of each (1: the same text, or one that holds the other whole: :func:`contains_problem`)."""
    if contains_problem(b, a) or contains_problem(a, b):
        return 1.0
    return difflib.SequenceMatcher(None, fold_text(a)[:4000], fold_text(b)[:4000]).ratio()


@dataclass
class PoolEntry:
    task: Task
    source: Source = "seed"
    parent: str | None = None
    """The id of the problem this one was derived from (a variant's original)."""
    tags: tuple[str, ...] = ()
    """Concepts or the generator that made it (SwS groups failures by them)."""
    added_step: int = 0
    attempts: int = 0
    correct: int = 0
    history: list[tuple[int, float]] = field(default_factory=list)
    """(step, solve rate of that step's attempts), oldest first."""

    @property
    def id(self) -> str:
        return self.task.id

    @property
    def solve_rate(self) -> float | None:
        """Correct answers over all attempts; None when never tried."""
        return self.correct / self.attempts if self.attempts else None

    @property
    def last_rate(self) -> float | None:
        """The solve rate of the latest step it was tried in; None when never tried."""
        return self.history[-1][1] if self.history else None

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task.to_dict(), "source": self.source, "parent": self.parent, "tags": list(self.tags),
                "added_step": self.added_step, "attempts": self.attempts, "correct": self.correct,
                "history": [list(h) for h in self.history]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PoolEntry:
        return cls(Task.from_dict(d["task"]), d["source"], d["parent"], tuple(d["tags"]), d["added_step"],
                   d["attempts"], d["correct"], [(int(s), float(r)) for s, r in d["history"]])


class ProblemPool:
    """Problems and their solve histories (see the module docstring)."""

    def __init__(self, tasks: Sequence[Task] = (), *, max_size: int | None = None):
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be >= 1 or None, got {max_size}")
        self.max_size = max_size
        self._entries: dict[str, PoolEntry] = {}
        self._keys: dict[str, str] = {}  # problem_key -> id
        for t in tasks:
            self.add(t, source="seed")

    # -- contents ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[PoolEntry]:
        return iter(self._entries.values())

    def __contains__(self, prompt_or_id: str) -> bool:
        return prompt_or_id in self._entries or problem_key(prompt_or_id) in self._keys

    def has_id(self, task_id: str) -> bool:
        """Whether a problem with this id is in the pool (``in`` also matches prompts)."""
        return task_id in self._entries

    def get(self, task_id: str) -> PoolEntry:
        try:
            return self._entries[task_id]
        except KeyError:
            raise KeyError(f"no problem {task_id!r} in the pool ({len(self)} problems)") from None

    def add(self, task: Task, *, source: Source = "proposed", parent: str | None = None,
            tags: Sequence[str] = (), step: int = 0) -> bool:
        """Add ``task``; False (and nothing changes) when its prompt is already in the pool."""
        key = problem_key(task.prompt)
        if not key or key in self._keys or task.id in self._entries:
            return False
        self._entries[task.id] = PoolEntry(task, source, parent, tuple(tags), step)
        self._keys[key] = task.id
        if self.max_size is not None and len(self._entries) > self.max_size:
            self._evict(keep=task.id)
        return True

    def _evict(self, keep: str) -> None:
        """Drop one non-seed problem (not ``keep``): an always-solved one first, else the oldest."""
        candidates = [e for e in self._entries.values() if e.source != "seed" and e.id != keep]
        if not candidates:
            return  # only seeds (and the new one): the pool may exceed max_size by its seeds
        solved = [e for e in candidates if e.solve_rate == 1.0]
        victim = min(solved or candidates, key=lambda e: e.added_step)
        del self._entries[victim.id]
        del self._keys[problem_key(victim.task.prompt)]

    # -- solve history -------------------------------------------------------------------------------
    def record(self, task_id: str, correct: Sequence[bool], step: int) -> None:
        """Record one step's answers to a problem (``correct``: one bool per answer)."""
        if not correct:
            return
        e = self.get(task_id)
        e.attempts += len(correct)
        e.correct += sum(bool(c) for c in correct)
        e.history.append((step, sum(bool(c) for c in correct) / len(correct)))

    # -- selections ------------------------------------------------------------------------------------
    def select(self, where: Callable[[PoolEntry], bool]) -> list[PoolEntry]:
        return [e for e in self._entries.values() if where(e)]

    def frontier(self, low: float = 0.0, high: float = 1.0) -> list[PoolEntry]:
        """Problems whose latest solve rate is strictly between ``low`` and ``high``: neither always
        nor never solved (what TTCS's synthesizer aims at)."""
        return self.select(lambda e: e.last_rate is not None and low < e.last_rate < high)

    def failing(self, *, min_attempts: int = 1, max_rate: float = 0.0) -> list[PoolEntry]:
        """Problems tried at least ``min_attempts`` times whose overall solve rate is at most ``max_rate``."""
        return self.select(lambda e: e.attempts >= min_attempts and (e.solve_rate or 0.0) <= max_rate)

    def sample(self, rng: np.random.Generator, n: int, *, where: Callable[[PoolEntry], bool] | None = None,
               replace: bool = False) -> list[PoolEntry]:
        """``n`` problems drawn uniformly (among those ``where`` accepts); fewer when there are fewer and
        ``replace`` is False, none from an empty selection."""
        items = self.select(where) if where is not None else list(self._entries.values())
        if not items or n <= 0:
            return []
        if not replace:
            n = min(n, len(items))
        idx = rng.choice(len(items), size=n, replace=replace)
        return [items[int(i)] for i in idx]

    def counts(self) -> dict[str, int]:
        """Problems per source (for metrics)."""
        out: dict[str, int] = {}
        for e in self._entries.values():
            out[e.source] = out.get(e.source, 0) + 1
        return out

    # -- checkpoint ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"max_size": self.max_size, "entries": [e.to_dict() for e in self._entries.values()]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.max_size = state["max_size"]
        self._entries, self._keys = {}, {}
        for d in state["entries"]:
            e = PoolEntry.from_dict(d)
            self._entries[e.id] = e
            self._keys[problem_key(e.task.prompt)] = e.id


def distinct_tasks(env_id: str, env_kwargs: dict[str, Any], n: int, seed_of: Callable[[int], int], *,
                   key: Callable[[str], str], labelled: bool, setting: str, fix: str) -> list[Task]:
    """``n`` problems of the env ``env_id`` whose prompts differ under ``key``: ``reset(seed=seed_of(i))`` for
    i = 0, 1, ..., at most ``20 n`` draws (a loop's fixed training or test set, the same for the same seeds).
    A ConfigError naming the config field ``setting`` when the env serves no ``info["task"]`` (or one without a
    reference, when ``labelled``), or too few distinct problems (``fix`` says what to lower)."""
    import zeroplay as zp

    env = zp.make(env_id, **env_kwargs)
    tasks: dict[str, Task] = {}
    for i in range(n * 20):
        task = env.reset(seed=seed_of(i))[1].get("task")
        if not isinstance(task, Task) or (labelled and task.reference is None):
            raise ConfigError(f"{setting}: {env_id} gives no {'labelled ' if labelled else ''}info['task'] on reset; "
                              f"use an env that serves tasks{' with references' if labelled else ''} (a math env, "
                              "a TaskEnv)")
        tasks.setdefault(key(task.prompt), task)
        if len(tasks) == n:
            return list(tasks.values())
    raise ConfigError(f"{setting}: {env_id} gave only {len(tasks)} distinct problems in {n * 20} draws; {fix}")
