"""reasoning-gym datasets as zeroplay envs (optional: ``pip install 'zeroplay[reasoning-gym]'``).

``zeroplay/ReasoningGym-v0`` is registered only when ``reasoning_gym`` is installed:
``zp.make("zeroplay/ReasoningGym-v0", dataset="leg_counting", size=1000, seed=0, config={...})``.
Each dataset is also listed on its own as ``zeroplay/rg/NAME-v0`` (``zp.make("zeroplay/rg/leg_counting-v0")``
is the line above), registered when envs are listed or made (:func:`register_datasets`), since
finding the names imports reasoning-gym.
Each episode shows one item of the dataset (drawn from the env's rng); the answer goes in
``<answer>...</answer>`` and is scored by the dataset's own ``score_answer``, which may give
partial credit (the verdict is ``correct`` only at a score of 1.0). The answer is read exactly as
reasoning-gym's ``utils.extract_answer`` reads it (lower-case tags, the last pair, stripped; the
shared rule of :func:`zeroplay.core.answers.last_tag`), so a response scores here what it scores there.

Guarantees: answers longer than ``max_answer_chars`` and scorers that raise give a failing
verdict, never an exception. Does not: bound the time of a dataset's own scorer.
"""

from __future__ import annotations

import functools
from typing import Any

from zeroplay.core.answers import last_tag
from zeroplay.core.registry import register
from zeroplay.core.optional import require
from zeroplay.core.tasks import TaskEnv, TaskSource
from zeroplay.core.types import Task, Verdict
from zeroplay.core.verifier import Verifier

ANSWER_FORMAT = "\n\nGive your final answer inside answer tags: <answer>...</answer>."


class ReasoningGymVerifier(Verifier):
    """Scores the ``<answer>`` of a response with the dataset's ``score_answer``.

    ``reference`` is ``{"index": i}``: the item of ``dataset`` the task came from.
    """

    name = "reasoning-gym"

    def __init__(self, dataset: Any, *, max_answer_chars: int = 4000):
        self.dataset = dataset
        self.max_answer_chars = max_answer_chars

    def verify(self, response: str, reference: Any) -> Verdict:
        if not isinstance(response, str):
            return Verdict.fail(f"response must be str, got {type(response).__name__}")
        answer = last_tag(response, "answer")
        if answer is None:
            return Verdict.fail("no-answer: write the answer inside <answer>...</answer>")
        answer = answer.strip()
        if len(answer) > self.max_answer_chars:
            return Verdict.fail(f"answer longer than {self.max_answer_chars} characters", answer[:200])
        entry = self.dataset[int(reference["index"])]
        try:
            score = float(self.dataset.score_answer(answer, entry))
        except Exception as e:  # noqa: BLE001 - a dataset's scorer must not crash a run
            return Verdict.fail(f"scorer-error: {type(e).__name__}", answer[:200])
        score = min(max(score, 0.0), 1.0)
        return Verdict(score >= 1.0, score, f"reasoning-gym score_answer={score:g}", answer[:200])


class _DatasetSource(TaskSource):
    def __init__(self, dataset: Any, name: str):
        self.dataset, self.name = dataset, name

    def sample(self, rng) -> Task:
        index = int(rng.integers(len(self.dataset)))
        entry = self.dataset[index]
        return Task(
            id=f"{self.name}-{index}",
            prompt=str(entry["question"]).rstrip() + ANSWER_FORMAT,
            reference={"index": index},
            verifier="reasoning-gym",
            meta={"dataset": self.name, "oracle_answer": f"<answer>{entry['answer']}</answer>"},
        )


class _CachedItems:
    """A dataset whose items are generated once (some of reasoning-gym's take seconds each, and an
    episode reads its item twice: for the prompt and for the score)."""

    def __init__(self, dataset: Any, maxsize: int = 256):
        self._dataset = dataset
        self._item = functools.lru_cache(maxsize=maxsize)(dataset.__getitem__)

    def __getitem__(self, index: int) -> Any:
        return self._item(index)

    def __len__(self) -> int:
        return len(self._dataset)

    def __getattr__(self, name: str) -> Any:  # score_answer, config, ...
        return getattr(self._dataset, name)


class ReasoningGymEnv(TaskEnv):
    """One reasoning-gym dataset as a single-step env (see the module docstring).

    ``dataset``: a name from ``reasoning_gym.factory.DATASETS``; ``size`` and ``seed`` fix the
    items; ``config`` goes to the dataset's config (e.g. difficulty ranges).
    """

    def __init__(self, dataset: str = "basic_arithmetic", *, size: int = 1000, seed: int = 0,
                 config: dict[str, Any] | None = None, render_mode: str | None = None):
        rg = require("reasoning_gym", "reasoning-gym", "reasoning-gym datasets")
        try:
            data = rg.create_dataset(dataset, size=size, seed=seed, **(config or {}))
        except (KeyError, ValueError, TypeError) as e:
            raise ValueError(f"reasoning-gym could not build dataset {dataset!r} with config {config}: {e}. "
                             "See reasoning_gym.factory.DATASETS for the names") from None
        self.dataset = data = _CachedItems(data)
        super().__init__(_DatasetSource(data, dataset), verifier=ReasoningGymVerifier(data), render_mode=render_mode)


#: Datasets not listed as ``zeroplay/rg/NAME-v0``, and why.
NOT_LISTED: dict[str, str] = {
    "composite": "it mixes other datasets and has none by default: "
                 "zp.make('zeroplay/ReasoningGym-v0', dataset='composite', config={'datasets': [...]})",
}


def register_datasets() -> None:
    """Register ``zeroplay/rg/NAME-v0`` for every dataset of ``reasoning_gym.factory.DATASETS``
    (imports reasoning-gym: a deferred hook, see :mod:`zeroplay.envs`)."""
    from reasoning_gym.factory import DATASETS

    for name in sorted(DATASETS):
        if name not in NOT_LISTED:
            register(f"zeroplay/rg/{name}-v0", "zeroplay.envs.math.reasoning_gym:ReasoningGymEnv", dataset=name)
