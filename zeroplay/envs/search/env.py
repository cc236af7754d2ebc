"""``zeroplay/SearchQA-v0``: questions answered with multi-turn search over a document collection.

Each episode serves one question. The agent calls ``<search>query</search>`` (BM25 over the
corpus, the top ``k`` documents come back inside ``<result>...</result>``) up to ``max_calls`` times,
then answers ``<answer>...</answer>``; the answer is scored by the question's verifier (``exact``:
equal after lower-casing and trimming punctuation; ``math`` for numbers), reward 1.0 or 0.0. The
tool protocol, budgets and what ends an episode are those of :class:`zeroplay.core.tools.ToolEnv`.

Defaults: the built-in corpus (50 articles about Morvane, an invented island) and 24 questions
about it (``questions.jsonl`` beside this module, written by the zeroplay authors; about a third
need two searches). ``corpus=`` takes a JSONL file or a folder of ``.txt`` files
(:func:`~zeroplay.envs.search.corpus.load_corpus`), ``questions=`` a JSONL file with ``question``
and ``answer`` (``id`` and ``verifier`` optional) or a list of :class:`~zeroplay.core.types.Task`;
``reset(options={"task": task})`` asks one given question (a Task whose ``prompt`` is the question).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.core.tasks import JSONLSource, ListSource, TaskSource, task_from_row
from zeroplay.core.tools import ToolEnv
from zeroplay.core.types import Task, Verdict
from zeroplay.envs.search.index import BM25Index, SearchTool, builtin_index

#: The questions shipped with zeroplay (about the built-in corpus).
BUILTIN_QUESTIONS = Path(__file__).with_name("questions.jsonl")

PROMPT = ("Answer the question. You cannot know the answer yourself: look it up in the document "
          "collection.\n{tools}\n\nQuestion: {question}")


def build_index(corpus: str | Path | None) -> BM25Index:
    """The index of ``corpus`` (a path), or the built-in one (shared within the process) for None."""
    if corpus is None:
        return builtin_index()
    from zeroplay.envs.search.corpus import load_corpus

    return BM25Index(load_corpus(corpus))


def question_source(questions: str | Path | Sequence[Task | dict] | TaskSource | None) -> TaskSource:
    """Questions from a JSONL file (``question``, ``answer``), a list, a source, or the built-in ones."""
    if isinstance(questions, TaskSource):
        return questions
    if questions is None or isinstance(questions, (str, Path)):
        return JSONLSource(questions or BUILTIN_QUESTIONS, fields={"question": "prompt", "answer": "reference"},
                           defaults={"verifier": "exact"})
    return ListSource(questions)


class SearchQAEnv(ToolEnv):
    """Questions answered with the ``search`` tool (see the module docstring).

    Args:
        corpus: a JSONL file or a folder of ``.txt`` files (default: the built-in corpus).
        questions: a JSONL file, a list of tasks, or a task source (default: the built-in questions).
        index: an already-built :class:`BM25Index` (overrides ``corpus``; envs may share one).
        k: documents returned per search. max_calls, max_output_chars: the episode's budgets.
    """

    def __init__(self, corpus: str | Path | None = None, questions: Any = None, *, index: BM25Index | None = None,
                 k: int = 3, max_calls: int = 4, max_output_chars: int = 6000, max_doc_chars: int = 600,
                 render_mode: str | None = None):
        self.index = index if index is not None else build_index(corpus)
        self.search_tool = SearchTool(self.index, k=k, max_doc_chars=max_doc_chars)
        super().__init__([self.search_tool], max_calls=max_calls, max_output_chars=max_output_chars,
                         render_mode=render_mode)
        self.source = question_source(questions)
        self.task: Task | None = None
        self._verifiers: dict[str, Any] = {}

    def new_problem(self, rng: np.random.Generator, options: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
        if options and "task" in options:
            task = options["task"]
            self.task = task if isinstance(task, Task) else task_from_row(task)
        else:
            self.task = self.source.sample(rng)
        self._verifier(self.task)  # an unknown verifier name fails here, loudly
        self.search_tool.clear()
        return PROMPT.format(tools=self.tool_instructions(), question=self.task.prompt), {"task": self.task}

    def score(self, answer: str) -> Verdict:
        try:
            return self._verifier(self.task).verify(answer, self.task.reference)
        except Exception as e:  # a verifier bug must not crash a run
            return Verdict.fail(f"verifier-error: {type(e).__name__}: {str(e)[:200]}")

    def _verifier(self, task: Task) -> Any:
        if task.verifier not in self._verifiers:
            from zeroplay import verifiers

            self._verifiers[task.verifier] = verifiers.make(task.verifier)
        return self._verifiers[task.verifier]
