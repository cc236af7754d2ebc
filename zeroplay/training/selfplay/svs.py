"""SvS in the loop: self-play with variational problem synthesis (Liang et al. 2025, "Beyond Pass@1:
Self-Play with Variational Problem Synthesis Sustains RLVR", arXiv:2508.14029; code:
github.com/MasterVito/SvS).

One policy plays two roles (``policies:`` may give each its own) on a labelled training set, kept in a
:class:`~zeroplay.envs.proposer.pool.ProblemPool` (the training problems as ``seed``, admitted variants as
``variant`` with ``parent`` the original's id; saved in the checkpoint). Each step:

1. original problem solving: ``problems_per_step`` problems drawn from the pool, ``group_size``
   answers each, scored against the reference by the family's verifier; reward ``svs.solver_reward``
   (default ``binary``: 1 correct, else 0, the paper's R_c).
2. variational problem synthesis: a problem is *challenging* when its accuracy lies in ``challenging``
   (the paper's [0.125, 0.5]); ``solutions_per_problem`` of its correct answers each seed a prompt
   (``ProblemProposerEnv`` in ``variant`` mode: the original, its answer and the correct solution; the
   default request: a different problem with the same answer), answered ``variants_per_solution``
   times (one GRPO group). A variant is valid when it parses, is new (not the original, even re-spaced,
   re-punctuated or in look-alike letters: :func:`~zeroplay.envs.proposer.pool.problem_key`; it does not
   hold the original whole, :func:`~zeroplay.envs.proposer.pool.contains_problem`, nor keep its numbers in
   order and come closer to it than ``near_copy`` by :func:`~zeroplay.envs.proposer.pool.similarity` or,
   for an expression, keep its operators too: a word swapped is the original; stage ``copy``), its text
   does not state the original's answer where the family's verifier reads it (stage ``leak``), and, with
   ``state_answer``, its ``<answer>`` equals the original's by the family's verifier (else refused at
   stage ``answer``). A valid variant's reference is the original's answer.
3. synthetic problem solving: ``group_size`` answers to each valid variant, scored against the
   original's answer. Synthesizer reward ``svs.synthesizer_reward`` (default ``svs_band``,
   :func:`band_reward`): 1 when the variant's accuracy lies in ``band`` (the paper's [0.125, 0.625]),
   else 0 (too easy, or unsolvable: no answer reaches the original's), and 0 for an invalid variant.
   A variant in the band joins the pool; only its solver samples are trained on (the paper's data
   filtering), those of variants outside the band are logged, not trained.

Evaluation: ``eval.samples`` fixed problems of ``train_env`` (other seeds than the training set),
``eval.samples_per_task`` answers each: ``eval/accuracy`` and ``eval/pass@k`` (the paper reports Pass@32).

Not as in the paper: admitted variants stay in the pool and are drawn again as training problems in
later steps (the paper solves each variant in the step that wrote it); the synthesizer states the
answer and it is checked (``state_answer: false`` gives the paper's unchecked inheritance); a near
copy is refused (``near_copy``); a challenging problem seeds ``solutions_per_problem`` prompts, a fixed
number. Not built: rollout shards.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zeroplay.core.types import Task
from zeroplay.envs.proposer.env import ProblemProposerEnv
from zeroplay.envs.proposer.pool import fold_text, similarity
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rewards import RewardShaping, reward_kind
from zeroplay.training.rlvr import pass_at_k
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, to_sample)

#: Numbers as a text writes them (a near copy keeps the original's, in order).
_NUMBERS = re.compile(r"\d+(?:[.,]\d+)*")
_OPERATORS = re.compile(r"[-+*/^\u00d7\u00f7\u00b7]|\\(?:times|cdot|div|frac)(?![A-Za-z])"
                        r"|\b(?:plus|minus|times|multiplied by|divided by)\b")
#: Each operator as one sign: ``plus`` and ``+`` are the same step.
_SIGN = {"\u00d7": "*", "\u00b7": "*", "\\times": "*", "\\cdot": "*", "times": "*", "multiplied by": "*",
         "\u00f7": "/", "\\div": "/", "\\frac": "/", "divided by": "/", "plus": "+", "minus": "-"}


class SvSConfig(BaseModel):
    """The ``svs:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    train_env: str = "zeroplay/MathArithmetic-v0"
    """The env whose labelled problems are the training set (``reset`` must give ``info["task"]``)."""
    train_env_kwargs: dict[str, Any] = {}
    """Keyword arguments of ``train_env``."""
    train_problems: int = Field(64, ge=1)
    """Size of the training set (distinct problems drawn once from ``train_env`` with the run's seed)."""
    family: str = "math"
    """The problem family (zeroplay.envs.proposer): its verifier scores answers and checks stated answers."""
    problems_per_step: int = Field(4, ge=1)
    """Problems drawn from the pool (training problems and admitted variants) and solved per step."""
    group_size: int = Field(8, ge=1)
    """Answers per problem (G); also the n of every accuracy below."""
    challenging: tuple[float, float] = (0.125, 0.5)
    """Accuracy band of a problem whose correct solutions seed variants (the paper's under-performing band)."""
    solutions_per_problem: int = Field(1, ge=1)
    """Correct solutions of a challenging problem that each seed a synthesis prompt."""
    variants_per_solution: int = Field(4, ge=1)
    """Variants written per synthesis prompt (G_v; one GRPO group of the synthesizer)."""
    band: tuple[float, float] = (0.125, 0.625)
    """Accuracy band of a variant that is rewarded, trained on and joins the pool (the paper's positive band)."""
    near_copy: float = Field(0.88, gt=0, le=1)
    """A variant with the original's numbers, in order, and more similar than this to it (``pool.similarity``) is
    a copy, refused; 1: off (the paper has no such check: one word swapped keeps the original's accuracy)."""
    state_answer: bool = True
    """The synthesizer writes ``<answer>``, which must equal the original's (checked by the verifier);
    false: it writes the problem only and the variant inherits the answer unchecked (the paper)."""
    instruction: str | None = None
    """The synthesis request (None: the proposer env's: a different problem with the same answer)."""
    max_chars: int = Field(2000, ge=10)
    """Longest variant (characters)."""
    solver_reward: str = "binary"
    """A registered solver reward ``f(correct, well_formed, shaping)``: ``binary`` (the paper), ``correctness``."""
    synthesizer_reward: str = "svs_band"
    """A registered variant reward ``f(valid, solve_rate, shaping, band=...)``: ``svs_band``."""
    pool_size: int | None = Field(1024, ge=1)
    """Most problems the pool keeps (training problems are never evicted); None: no limit."""

    _solver = field_validator("solver_reward")(reward_field("solver"))
    _synthesizer = field_validator("synthesizer_reward")(reward_field("proposer_band"))

    @field_validator("challenging", "band")
    @classmethod
    def _band(cls, v: tuple[float, float], info: Any) -> tuple[float, float]:
        if not 0.0 <= v[0] <= v[1] <= 1.0:
            raise ValueError(f"{info.field_name} must satisfy 0 <= low <= high <= 1, got {list(v)}")
        return v


@reward_kind("proposer_band")
def band_reward(valid: bool, solve_rate: float | None, shaping: RewardShaping | None = None,
                band: Sequence[float] = (0.125, 0.625)) -> float:
    """SvS's reward for a variant: 1 when it is valid and its solve rate (answers reaching the original's
    answer) lies in ``band`` (ends included), else 0: a trivially solved or unsolvable variant gets 0,
    which GRPO turns into a negative advantage against the variants in the band."""
    if not valid or solve_rate is None:
        return 0.0
    return 1.0 if band[0] <= solve_rate <= band[1] else 0.0


def in_band(rate: float, band: Sequence[float]) -> bool:
    return band[0] <= rate <= band[1]


class SvSLoop(ShardedLoop):
    config_class = SvSConfig
    one_piece = "the pool grows within it"
    roles = ("solver", "synthesizer")
    """What ``policies:`` and ``scripted:`` may assign (one shared policy plays both by default)."""

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.proposer import ProblemPool, solver_env

        super().__init__(cfg, sampler, policy)
        self.sc: SvSConfig = cfg.loop_config
        self.solver_reward = lookup(REWARDS, self.sc.solver_reward)
        self.synthesizer_reward = lookup(REWARDS, self.sc.synthesizer_reward)
        self.synth_env = ProblemProposerEnv(self.sc.family, mode="variant", with_answer=self.sc.state_answer,
                                            instruction=self.sc.instruction, max_chars=self.sc.max_chars)
        self.solver = solver_env(self.sc.family)
        self.pool = ProblemPool(self._problems(self.sc.train_problems, 7001), max_size=self.sc.pool_size)

    def _problems(self, n: int, salt: int) -> list[Task]:
        """``n`` distinct problems of ``train_env`` (the same for the same run seed and ``salt``)."""
        from zeroplay.envs.proposer.pool import distinct_tasks

        return distinct_tasks(self.sc.train_env, self.sc.train_env_kwargs, n, lambda i: seed_for(self.seed, salt, i),
                              key=lambda prompt: " ".join(prompt.split()).casefold(), labelled=True,
                              setting="svs.train_env", fix="lower svs.train_problems or eval.samples")

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        loop = cls(cfg, None, None)  # its envs need no policy
        out = []
        for e in list(loop.pool)[:4]:
            out.append(loop.solver.reset(seed=0, options={"task": e.task})[0])
            out.append(loop.synth_env.prompt([e.task], f"\\boxed{{{e.task.reference}}}"))
        return out

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("solver", ["svs/original/accuracy", "svs/synthetic/accuracy", "eval/accuracy"]),
                ("synthesizer", ["svs/synthesizer/valid_rate", "svs/synthesizer/in_band_rate",
                                 "svs/synthesizer/reward"]),
                ("pool", ["svs/pool/variants"]), ("reward", ["reward/mean"])]

    # -- one step -------------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        rng = np.random.default_rng(seed_for(self.seed, step, 1))
        problems = [e.task for e in self.pool.sample(rng, self.sc.problems_per_step)]
        solve_samples, outcomes = self._solve(step, problems, "original")
        seeds = self._seeds(problems, outcomes, solve_samples, rng)
        synth_samples, variants, stats = self._synthesize(step, seeds)
        valid = [(i, v) for i, v in enumerate(variants) if v is not None]
        var_samples, var_outcomes = self._solve(step, [v for _, v in valid], "synthetic")
        rates, n = {}, self.sc.group_size
        for g, ((i, v), correct) in enumerate(zip(valid, var_outcomes)):
            rates[i] = float(np.mean(correct))
            keep = in_band(rates[i], self.sc.band)
            if keep and self.pool.add(v, source="variant", parent=v.meta["parent"], step=step):
                self.pool.record(v.id, correct, step)
            for s in var_samples[g * n:(g + 1) * n]:
                s.meta["trained"] = keep
        for i, s in enumerate(synth_samples):
            ok = variants[i] is not None
            s.reward = float(self.synthesizer_reward(ok, rates.get(i), self.cfg.rewards, band=self.sc.band))
        stats.update({"original_correct": [c for cs in outcomes for c in cs],
                      "synthetic_correct": [c for cs in var_outcomes for c in cs],
                      "challenging": [len(seeds)], "in_band": [in_band(rates[i], self.sc.band) for i in rates],
                      "synth_reward": [s.reward for s in synth_samples]})
        return ShardResult(solve_samples + synth_samples + var_samples, stats)

    def _solve(self, step: int, tasks: list[Task], kind: str) -> tuple[list[Sample], list[list[bool]]]:
        """``group_size`` answers to each task scored against its reference (one group each); pool problems
        record their answers (variants record theirs when admitted)."""
        n = self.sc.group_size
        prompts = [self.solver.reset(seed=0, options={"task": t})[0] for t in tasks for _ in range(n)]
        outs = sampler_for(self.sampler, "solver").generate(prompts)
        t0 = time.perf_counter()
        samples, outcomes = [], []
        for g, task in enumerate(tasks):
            group = outs[g * n:(g + 1) * n]
            correct = [bool(self.solver.verify(action, task).correct) for _, action, _ in group]
            outcomes.append(correct)
            if kind == "original":
                self.pool.record(task.id, correct, step)
            for (gen, _, ok), c in zip(group, correct):
                s = to_sample(gen, reward=float(self.solver_reward(c, ok, self.cfg.rewards)), role="solver", env=kind,
                              task_type=kind, group=f"{step}-{kind}-{g}", episode=f"{step}-{kind[0]}{g}",
                              well_formed=ok)
                s.meta.update({"question": task.id, "correct": c})
                samples.append(s)
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(outs))
        return samples, outcomes

    def _seeds(self, problems: list[Task], outcomes: list[list[bool]], samples: list[Sample],
               rng: np.random.Generator) -> list[tuple[Task, str]]:
        """(challenging problem, one of its correct solutions), ``solutions_per_problem`` per problem."""
        n, seeds = self.sc.group_size, []
        for g, (task, correct) in enumerate(zip(problems, outcomes)):
            if not in_band(float(np.mean(correct)), self.sc.challenging) or not any(correct):
                continue
            right = [samples[g * n + j].text for j, c in enumerate(correct) if c]
            picks = rng.choice(len(right), size=min(self.sc.solutions_per_problem, len(right)), replace=False)
            seeds += [(task, right[int(j)]) for j in picks]
        return seeds

    def _synthesize(self, step: int, seeds: list[tuple[Task, str]]) -> tuple[list[Sample], list[Task | None], dict]:
        """The synthesizer's samples and each one's variant (None when invalid: refused by the proposer
        env, or its stated answer is not the original's)."""
        k = self.sc.variants_per_solution
        jobs = [(task, solution) for task, solution in seeds for _ in range(k)]
        outs = sampler_for(self.sampler, "synthesizer").generate([self.synth_env.prompt([t], s) for t, s in jobs])
        samples, variants, stages = [], [], []
        for j, ((gen, action, ok), (original, _)) in enumerate(zip(outs, jobs)):
            variant, stage = self.check_variant(action, original)
            s = to_sample(gen, role="synthesizer", env="synthesize", task_type="synthesize",
                          group=f"{step}-synth-{j // k}", episode=f"{step}-y{j}", well_formed=ok)
            s.meta.update({"stage": stage, "parent": original.id, "variant": variant.id if variant else None})
            samples.append(s)
            variants.append(variant)
            stages.append(stage or "valid")
        return samples, variants, {"valid": [v is not None for v in variants], "stage": stages}

    def check_variant(self, text: str, original: Task) -> tuple[Task | None, str | None]:
        """(the variant ``text`` proposes for ``original``, None) or (None, the stage that refused it). A valid
        variant's reference is the original's answer, its ``meta["parent"]`` the original's id."""
        info = self.synth_env.validate(text, shown=[original])
        if "task" not in info:
            return None, info["stage"]
        proposed = info["task"]
        if self._near_copy(proposed.prompt, original):
            return None, "copy"
        if self.solver.verify(proposed.prompt, original).correct:  # the text states the answer: solved by copying
            return None, "leak"
        if self.sc.state_answer:
            verdict = self.solver.verifier_for(original).verify(str(proposed.reference), original.reference)
            if not verdict.correct:
                return None, "answer"
        variant = Task.from_dict({"prompt": proposed.prompt, "reference": original.reference,
                                  "verifier": original.verifier, "meta": {**proposed.meta, "parent": original.id}})
        return variant, None

    def _near_copy(self, text: str, original: Task) -> bool:
        """The original's numbers in the same order, and its words this close (a word swapped, one added) or,
        for an expression, the same operators in the same order (``What is 10 + 10 + 1?`` for ``Compute
        10 + 10 + 1.``): the same problem, with the same answer."""
        a, b = fold_text(text), fold_text(original.prompt)
        if _NUMBERS.findall(a) != _NUMBERS.findall(b):
            return False
        operators = [_SIGN.get(o, o) for o in _OPERATORS.findall(b)]
        return (bool(operators) and [_SIGN.get(o, o) for o in _OPERATORS.findall(a)] == operators) or \
            similarity(b, a) > self.sc.near_copy

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        """Metrics over every sample; solver samples of variants outside ``band`` are not trained on."""
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        metrics = {"svs/original/accuracy": mean("original_correct"),
                   "svs/synthetic/accuracy": mean("synthetic_correct"),
                   "svs/challenging": float(sum(stats.get("challenging", []))),
                   "svs/synthesizer/proposals": float(len(stats.get("valid", []))),
                   "svs/synthesizer/valid_rate": mean("valid"), "svs/synthesizer/in_band_rate": mean("in_band"),
                   "svs/synthesizer/reward": mean("synth_reward"),
                   "svs/pool/variants": float(self.pool.counts().get("variant", 0)),
                   **reward_by_env_role(samples, "svs")}
        for stage in stats.get("stage", []):
            if stage != "valid":
                metrics[f"svs/rejected/{stage}"] = metrics.get(f"svs/rejected/{stage}", 0.0) + 1.0
        return [s for s in samples if s.meta.get("trained", True)], metrics

    # -- evaluation: held-out problems of the training env ---------------------------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        n, m = self.cfg.eval.samples, self.cfg.eval.samples_per_task
        tasks = self._problems(n, 424242)
        prompts = [self.solver.reset(seed=0, options={"task": t})[0] for t in tasks for _ in range(m)]
        outs = sampler_for(self.sampler, "solver").generate(prompts)
        correct = [bool(self.solver.verify(action, tasks[j // m]).correct) for j, (_, action, _) in enumerate(outs)]
        solved = [sum(correct[i * m:(i + 1) * m]) for i in range(n)]
        out = {"eval/accuracy": float(np.mean(correct))}
        for k in self.cfg.eval.pass_k:
            out[f"eval/pass@{k}"] = float(np.mean([pass_at_k(m, c, k) for c in solved]))
        return out

    # -- checkpoint state: the pool ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"pool": self.pool.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "pool" in state:
            self.pool.load_state_dict(state["pool"])
