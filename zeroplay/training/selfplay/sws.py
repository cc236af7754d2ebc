"""SwS, weakness-driven problem synthesis (Liang et al. 2025, "SwS: Self-aware Weakness-driven Problem
Synthesis in Reinforcement Learning for LLM Reasoning", arXiv:2506.08989), on procedural math.

The solver trains RLVR-style (``group_size`` answers per problem, a GRPO group each, ``sws.reward``)
on a mix of base problems and problems synthesized on the concepts it keeps failing. Each step:

1. weaknesses: every problem answered so far is in a :class:`~zeroplay.envs.proposer.ProblemPool` with its
   concept tags (its generator's name and ``level:<d>``) and its solve history. A base problem is
   *failing* when tried at least ``min_attempts`` times with an overall solve rate at most ``fail_rate``.
   Weaknesses are found on the base set only, as in the paper (its initial training set): a synthesized
   problem's failures are logged but never breed more synthesis, so synthesis cannot feed on itself.
2. concepts: a failing problem's concept is its generator (``concepts: tags``), or what the policy
   playing ``extractor`` names it (``concepts: model``: asked once per failing problem, its text mapped
   to a generator name by :func:`match_concept`; no match falls back to the tag). The extractor is not
   trained (nothing checks its answer).
3. budget: each weak concept gets a share of the synthesis proportional to its number of failing
   problems (:func:`concept_weights`), as the paper splits its budget by failures per category.
4. synthesis: ``round(synth_share * prompts_per_step)`` of the step's problems are made by a weak
   concept's generator (drawn by weight) at a level around that of one of its failing problems (the
   level plus an offset drawn from ``level_offsets``, at least 1): :func:`synthesize`. The rest are base
   problems (``base_problems`` fixed problems over ``generators`` x ``difficulties``), drawn uniformly.
   Before any weakness is found every problem is a base problem.
5. solve: answers scored by the ``math`` verifier; every problem's results go into the pool.

Metrics: ``sws/weak_concepts`` (concepts with a failing problem), ``sws/failing``, ``sws/synth_share``
(share of the step's problems synthesized), ``sws/weight/<concept>``, ``sws/accuracy/<concept>``
(the step's answers per concept), ``sws/base/accuracy`` and ``sws/synth/accuracy``, ``sws/pool``;
evaluation: ``eval/accuracy`` and ``eval/<concept>/accuracy`` on fixed problems of every generator and
difficulty. The pool (and the extracted concepts) are saved in checkpoints.

Differences from the paper: synthesis is procedural (the weak concept's own generator at a chosen
level) instead of a model writing problems from sampled concepts, so every synthesized problem is well
posed and its answer right by construction, and no answer-consistency or difficulty filter is needed;
weakness is a solve rate threshold (the paper also asks that the accuracy trend not rise); synthesized
problems are fresh each step, not a second training phase. Not built: rollout shards (the pool changes
within a step).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zeroplay.core.types import Task
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, to_sample)

#: Seed streams of the loop's draws (``seed_for(run seed, STREAM, ...)``), apart from the steps'.
BASE_STREAM, EVAL_STREAM, WARMUP_STREAM = 0x53575301, 0x53575302, 0x53575303
#: The extractor reads at most this much of its completion.
CONCEPT_MAX_CHARS = 4096


class SwSConfig(BaseModel):
    """The ``sws:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    generators: list[str] = ["arithmetic", "fractions", "linear_equation", "modular"]
    """The concepts: procedural generators (:data:`zeroplay.envs.math.generators.GENERATORS`) of the base
    problems, and the ones synthesis draws from."""
    difficulties: list[int] = [1, 2, 3]
    """Levels of the base problems (spread evenly over generators x difficulties)."""
    base_problems: int = Field(64, ge=1)
    """Size of the fixed base problem set (drawn once, from the run seed)."""
    prompts_per_step: int = Field(8, ge=1)
    """Problems per step: base and synthesized."""
    group_size: int = Field(4, ge=1)
    """Answers per problem (the GRPO group)."""
    synth_share: float = Field(0.5, ge=0, le=1)
    """Share of each step's problems synthesized, once some concept is weak."""
    fail_rate: float = Field(0.25, ge=0, le=1)
    """A problem fails when its overall solve rate is at most this ..."""
    min_attempts: int = Field(8, ge=1)
    """... after at least this many answers."""
    level_offsets: list[int] = [-1, 0, 1]
    """A synthesized problem's level: a failing problem's level plus one of these (drawn uniformly), at least 1."""
    concepts: Literal["tags", "model"] = "tags"
    """Where a failing problem's concept comes from: its generator tag, or the ``extractor`` role naming it."""
    reward: str = "correctness"
    """A registered solver reward (``correctness``: +1 / -0.5 / -1; ``binary``)."""
    pool_size: int = Field(4096, ge=1)
    """At most this many problems kept (synthesized ones evicted first: always-solved, then the oldest)."""

    _registered = field_validator("reward")(reward_field("solver"))

    @field_validator("generators")
    @classmethod
    def _generators(cls, v: list[str]) -> list[str]:
        from zeroplay.envs.math.generators import GENERATORS

        unknown = [g for g in v if g not in GENERATORS]
        if unknown or not v or len(set(v)) != len(v):
            raise ValueError(f"generators: give distinct names from {sorted(GENERATORS)}, got {v}")
        return v

    @field_validator("difficulties")
    @classmethod
    def _difficulties(cls, v: list[int]) -> list[int]:
        if not v or any(d < 1 for d in v):
            raise ValueError(f"difficulties: give levels >= 1, got {v}")
        return v

    @model_validator(mode="after")
    def _offsets(self) -> SwSConfig:
        if not self.level_offsets:
            raise ValueError("level_offsets: give at least one offset (0: the failing level itself)")
        return self


# -- the parts, each testable alone ---------------------------------------------------------------

def concept_weights(concepts: Sequence[str]) -> dict[str, float]:
    """The synthesis share of each concept: its count among ``concepts`` (one per failing problem) over
    their number, in name order. No failing problem: no weights."""
    counts: dict[str, int] = {}
    for c in concepts:
        counts[c] = counts.get(c, 0) + 1
    total = sum(counts.values())
    return {c: counts[c] / total for c in sorted(counts)}


def level_of(task: Task) -> int:
    """A procedural problem's difficulty level (``meta["difficulty"]``; 1 when it names none)."""
    try:
        return max(1, int(task.meta.get("difficulty", 1)))
    except (TypeError, ValueError):
        return 1


def synthesize(failing: Sequence[tuple[str, Task]], n: int, rng: np.random.Generator,
               level_offsets: Sequence[int]) -> list[tuple[Task, str]]:
    """``n`` new problems on the concepts of ``failing`` ((concept, failing problem) pairs), each with the id
    of the failing problem it was made from: a concept drawn by :func:`concept_weights`, one of its failing
    problems drawn uniformly, then that concept's generator at the problem's level plus an offset drawn
    from ``level_offsets`` (at least 1). Draws come from ``rng`` only."""
    from zeroplay.envs.math.generators import GENERATORS

    if not failing or n <= 0:
        return []
    weights = concept_weights([c for c, _ in failing])
    names = list(weights)
    out = []
    for _ in range(n):
        concept = names[int(rng.choice(len(names), p=[weights[c] for c in names]))]
        parents = [t for c, t in failing if c == concept]
        parent = parents[int(rng.integers(len(parents)))]
        level = max(1, level_of(parent) + int(level_offsets[int(rng.integers(len(level_offsets)))]))
        out.append((GENERATORS[concept](rng, level), parent.id))
    return out


def concept_prompt(problem: str, names: Sequence[str]) -> str:
    """What the ``extractor`` role is asked: the concept of ``problem``, one of ``names``."""
    return (f"Which kind of math problem is this? Answer with one of: {', '.join(names)}.\n\n"
            f"Problem: {problem}\n\nKind:")


def match_concept(text: str, names: Sequence[str]) -> str | None:
    """The first of ``names`` that ``text`` names (case, ``_``, ``-`` and runs of spaces ignored: ``Linear
    equation`` is ``linear_equation``); where two start at the same place, the longer. None when it
    names none. Reads at most :data:`CONCEPT_MAX_CHARS` characters; never raises."""
    if not isinstance(text, str):
        return None
    flat = re.sub(r"[\s_\-]+", " ", text[:CONCEPT_MAX_CHARS].casefold())
    best: tuple[int, int, str] | None = None
    for name in names:
        found = re.search(r"(?<![a-z])" + re.escape(re.sub(r"[_\-]+", " ", name.casefold())) + r"(?![a-z])", flat)
        if found and (best is None or (found.start(), -len(name)) < best[:2]):
            best = (found.start(), -len(name), name)
    return best[2] if best else None


class SwSLoop(ShardedLoop):
    config_class = SwSConfig
    one_piece = "the problem pool changes within it"
    roles = ("solver", "extractor")
    """What ``policies:`` and ``scripted:`` may assign; ``extractor`` is asked only with ``concepts: model``."""

    @classmethod
    def check_config(cls, cfg: Any) -> None:
        """A scripted extractor with ``concepts: tags`` would never be asked: refused, not ignored."""
        if cfg.loop_config.concepts == "tags" and "extractor" in cfg.scripted:
            raise ValueError("sws.concepts: tags takes a failing problem's concept from its generator tag, so "
                             "scripted.extractor would never be asked: set sws.concepts: model, or drop scripted.extractor")

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.proposer import ProblemPool, solver_env

        super().__init__(cfg, sampler, policy)
        self.sc: SwSConfig = cfg.loop_config
        self.reward = lookup(REWARDS, self.sc.reward)
        self.env = solver_env("math")
        self.base = self._base_problems()
        self.pool = ProblemPool(max_size=max(self.sc.pool_size, len(self.base)))
        for t in self.base:
            self.pool.add(t, source="seed", tags=self._tags(t))
        self.extracted: dict[str, str | None] = {}  # problem id -> the concept the extractor named (None: no match)

    # -- problems -------------------------------------------------------------------------------------
    def _grid(self, n: int, stream: int, seed: int | None = None) -> list[Task]:
        """``n`` problems spread evenly over generators x difficulties, problem i from ``seed_for(seed, stream, i)``
        (``seed``: the run's by default)."""
        from zeroplay.envs.math.generators import GENERATORS

        seed = self.cfg.seed if seed is None else seed
        cells = [(g, d) for d in self.sc.difficulties for g in self.sc.generators]
        out = []
        for i in range(n):
            g, d = cells[i % len(cells)]
            out.append(GENERATORS[g](np.random.default_rng(seed_for(seed, stream, i)), d))
        return out

    def _base_problems(self) -> list[Task]:
        seen, out = set(), []
        for t in self._grid(self.sc.base_problems, BASE_STREAM):  # a repeated draw (tiny levels) is kept once
            if t.id not in seen:
                seen.add(t.id)
                out.append(t)
        return out

    @staticmethod
    def _tags(task: Task) -> tuple[str, str]:
        return str(task.meta.get("generator", "unknown")), f"level:{level_of(task)}"

    def concept_of(self, task_id: str) -> str:
        """A pool problem's concept: what the extractor named (``concepts: model``), else its generator tag."""
        named = self.extracted.get(task_id)
        return named if named is not None else self.pool.get(task_id).tags[0]

    def failing(self) -> list[tuple[str, Task]]:
        """(concept, problem) of every failing base problem."""
        entries = [e for e in self.pool.failing(min_attempts=self.sc.min_attempts, max_rate=self.sc.fail_rate)
                   if e.source == "seed"]
        if self.sc.concepts == "model":
            self._extract([e.task for e in entries if e.id not in self.extracted])
        return [(self.concept_of(e.id), e.task) for e in entries]

    def _extract(self, tasks: list[Task]) -> None:
        """Ask the extractor for the concept of each of ``tasks`` (once per problem)."""
        if not tasks:
            return
        outs = sampler_for(self.sampler, "extractor").generate([concept_prompt(t.prompt, self.sc.generators)
                                                                for t in tasks])
        for t, (_, action, _) in zip(tasks, outs):
            self.extracted[t.id] = match_concept(action, self.sc.generators)

    def step_problems(self, step: int) -> list[tuple[Task, bool]]:
        """The step's problems, each with whether it was synthesized: synthesized ones first."""
        failing = self.failing()
        n = self.sc.prompts_per_step
        n_syn = round(self.sc.synth_share * n) if failing else 0
        made = synthesize(failing, n_syn, np.random.default_rng(seed_for(self.cfg.seed, step, 11)),
                          self.sc.level_offsets)
        for task, parent in made:
            self.pool.add(task, source="generated", parent=parent, tags=self._tags(task), step=step)
        rng = np.random.default_rng(seed_for(self.cfg.seed, step, 12))
        picks = rng.choice(len(self.base), size=n - len(made), replace=n - len(made) > len(self.base))
        return [(t, True) for t, _ in made] + [(self.base[int(i)], False) for i in picks]

    # -- one step ---------------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        problems = self.step_problems(step)
        n = self.sc.group_size
        prompts = [self.env.reset(options={"task": t})[0] for t, _ in problems for _ in range(n)]
        outs = sampler_for(self.sampler, "solver").generate(prompts)
        samples, stats = [], {"correct": [], "concept": [], "synth": [], "problem_synth": []}
        for g, (task, synth) in enumerate(problems):
            group = outs[g * n:(g + 1) * n]
            correct = [bool(self.env.verify(action, task).correct) for _, action, _ in group]
            if task.id in self.pool:
                self.pool.record(task.id, correct, step)
            concept = self._tags(task)[0]
            stats["correct"] += correct
            stats["concept"] += [concept] * n
            stats["synth"] += [synth] * n
            stats["problem_synth"].append(synth)
            for (gen, _, ok), c in zip(group, correct):
                samples.append(to_sample(gen, reward=self.reward(c, ok, self.cfg.rewards), role="solver",
                                         env="synth" if synth else "base", task_type=concept,
                                         group=f"{step}-{g}", episode=f"{step}-{g}", well_formed=ok))
        return ShardResult(samples, stats)

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)
        failing = self.failing()
        weights = concept_weights([c for c, _ in failing])
        correct, synth = np.asarray(stats["correct"], dtype=float), np.asarray(stats["synth"], dtype=bool)
        out = {"train/accuracy": float(correct.mean()), "sws/weak_concepts": float(len(weights)),
               "sws/failing": float(len(failing)), "sws/synth_share": float(np.mean(stats["problem_synth"])),
               "sws/pool": float(len(self.pool)), **reward_by_env_role(samples, "sws"),
               **{f"sws/weight/{c}": w for c, w in weights.items()}}
        for part, mask in (("base", ~synth), ("synth", synth)):
            if mask.any():
                out[f"sws/{part}/accuracy"] = float(correct[mask].mean())
        for c in sorted(set(stats["concept"])):
            out[f"sws/accuracy/{c}"] = float(np.mean([x for x, k in zip(correct, stats["concept"]) if k == c]))
        if self.sc.concepts == "model" and self.extracted:
            out["sws/concept_matched"] = float(np.mean([v is not None for v in self.extracted.values()]))
        return samples, out

    # -- evaluation: fixed problems of every generator and level ------------------------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        tasks = self._grid(self.cfg.eval.samples, EVAL_STREAM)
        m = self.cfg.eval.samples_per_task
        outs = sampler_for(self.sampler, "solver").generate(
            [self.env.reset(options={"task": t})[0] for t in tasks for _ in range(m)])
        correct = [bool(self.env.verify(action, tasks[j // m]).correct) for j, (_, action, _) in enumerate(outs)]
        out = {"eval/accuracy": float(np.mean(correct))}
        for g in self.sc.generators:
            mine = [c for j, c in enumerate(correct) if tasks[j // m].meta.get("generator") == g]
            if mine:
                out[f"eval/{g}/accuracy"] = float(np.mean(mine))
        return out

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("accuracy", ["train/accuracy", "sws/base/accuracy", "sws/synth/accuracy", "eval/accuracy"]),
                ("weaknesses", ["sws/weak_concepts", "sws/synth_share"]), ("reward", ["reward/mean"])]

    # -- warm-up and tokenizer corpus --------------------------------------------------------------------
    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        loop = cls(cfg, None, None)
        return [loop.env.reset(options={"task": t})[0] for t in loop.base[:16]]

    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` problems of the base grid's generators and levels (a seed stream of their own, never an
        evaluation problem) answered with their references in the template's format (as the ``rlvr`` loop's
        warm-up: the answer format, from labelled data; it stands in for a pretrained base model)."""
        from zeroplay.training.rlvr import reference_completion
        from zeroplay.training.templates import get_template

        template = get_template(self.cfg.template)
        held_out = {t.id for t in self._grid(self.cfg.eval.samples, EVAL_STREAM)}
        pairs = []
        for task in self._grid(2 * n, WARMUP_STREAM, seed):
            completion = reference_completion(task, template)
            if task.id in held_out or completion is None:
                continue
            pairs.append((self.env.reset(options={"task": task})[0], completion))
            if len(pairs) == n:
                break
        return pairs

    # -- checkpoint state -----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"pool": self.pool.state_dict(), "extracted": dict(self.extracted)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pool.load_state_dict(state["pool"])
        self.extracted = dict(state.get("extracted", {}))
