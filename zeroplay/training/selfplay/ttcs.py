"""TTCS in the loop: test-time curriculum synthesis (Yang et al. 2026, "TTCS: Test-Time Curriculum
Synthesis for Self-Evolving", arXiv:2601.22628; code: github.com/XMUDeepLIT/TTCS).

The run adapts to a fixed set of *test questions* without their labels (test-time training). Two roles,
one shared policy by default (the paper trains two models from one checkpoint: ``policies:`` does that):

1. synthesizer: ``questions_per_step`` test questions, ``variants_per_question`` variants of each
   (:func:`label_free_variant_env`: a ``ProblemProposerEnv`` in ``variant`` mode asking for a harder variant,
   with no answer shown and none asked for). A variant is valid when it parses, is 10..``max_chars``
   characters and is not the original (under :func:`~zeroplay.envs.proposer.pool.problem_key`: case,
   spacing, punctuation, invisible characters and look-alike letters folded).
2. solver: ``group_size`` answers to each of ``test_per_step`` test questions, every valid variant of
   this step, and ``replay_per_step`` earlier variants from the pool. No label is ever used: each group's
   majority answer is its pseudo-label (answers clustered with the family's verifier), reward
   ``ttcs.solver_reward`` (a group reward; default ``majority_vote``: 1 agrees, 0 otherwise or on a tie).
   Only groups whose mean reward lies in ``solver_filter`` are trained on (the paper keeps [0.25, 0.75]).
3. synthesizer reward, per variant, from the solver's answers to it (``ttcs.synthesizer_reward``, default
   ``ttcs_frontier``, :func:`frontier_reward`): with ``s`` its self-consistency (:func:`self_consistency`:
   the largest answer cluster over all answers), ``(4 s (1 - s)) ** 1.2``: 1 at s = 0.5, 0 when the
   solver always or never agrees with itself. Then, as in the paper's code, a variant too close to its
   original (:func:`~zeroplay.envs.proposer.pool.similarity` above ``similarity_threshold``) is scaled by
   ``1 - similarity``, and the share of the step's proposals that repeat it (:func:`repetition_shares`) is
   subtracted; floor 0.
   An invalid variant gets ``synthesizer_reward(False, None)`` (0 for ``ttcs_frontier``, as in the paper).
   Gameable by design (the paper's reward): self-consistency cannot tell a hard variant from a meaningless
   or ambiguous one; a variant whose answers split evenly ("pick 1 or 2") earns the top reward 1, and one
   whose 8 answers all differ ``(4/8 * 7/8) ** 1.2 = 0.37``. Only the similarity and repetition terms read the text.

Valid variants join a :class:`~zeroplay.envs.proposer.pool.ProblemPool` (source ``variant``, ``parent``
the test question's id) that also holds the test questions (source ``seed``); a problem's pool history is,
per step, the share of its answers that agree with its pseudo-label (0 on a tie; labels are never
consulted). A variant that is a test question, or holds one whole
(:func:`~zeroplay.envs.proposer.pool.contains_problem`), is invalid (stage ``copy``: a synthesizer could
recite the test set, each question a variant of another); one that repeats an earlier variant is solved
and rewarded but not added again. The pool is saved in the checkpoint.

The test labels are used only to log how often the pseudo-label is right
(``train/pseudo_label_agreement``, over test groups that have one), the test accuracy
(``train/test_accuracy``) and for evaluation (``eval/accuracy``, ``eval/pass@k`` on the test questions).

Not as in the paper: the two roles update every step in one loop (the paper alternates rounds: 5
synthesizer steps, then 15 solver steps on a data set the trained synthesizer wrote); the test and
synthetic questions are mixed by the counts above (the paper interleaves them one to one, then the
remaining synthetic ones); similarity is ``difflib`` on folded text and repetition is token-3-gram
Jaccard, where the paper uses a math-aware filter and BLEU clustering; the paper's synthesizer also
writes an answer (required, never used), ours does not. Not built: rollout shards (the step is one piece).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zeroplay.core.errors import ConfigError
from zeroplay.core.types import Task
from zeroplay.envs.proposer.env import ProblemProposerEnv
from zeroplay.envs.proposer.pool import contains_problem, fold_text, problem_key, similarity
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rewards import RewardShaping, is_group_reward, jaccard, majority_vote, ngrams, reward_kind
from zeroplay.training.rlvr import pass_at_k, same_answer
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, to_sample)

HARDER_INSTRUCTION = ("Write a harder variant of this {noun}: keep its core idea, but change its objects, setting "
                      "or numbers so that it is a new problem, one step harder than the original, with a single "
                      "final answer.")
#: The exponent of the frontier reward (the paper's ``calculate_bell_reward`` sharpness).
FRONTIER_SHARPNESS = 1.2


class TTCSConfig(BaseModel):
    """The ``ttcs:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    test_env: str = "zeroplay/MathArithmetic-v0"
    """The env whose problems are the test questions (``reset`` must give ``info["task"]``)."""
    test_env_kwargs: dict[str, Any] = {}
    """Keyword arguments of ``test_env``."""
    test_questions: int = Field(16, ge=1)
    """Size of the fixed test set (drawn once from ``test_env`` with the run's seed)."""
    family: str = "math"
    """The problem family (zeroplay.envs.proposer): its verifier clusters answers, its template asks them."""
    questions_per_step: int = Field(2, ge=1)
    """Test questions the synthesizer rewrites per step."""
    variants_per_question: int = Field(4, ge=1)
    """Variants written per test question (one GRPO group of the synthesizer)."""
    test_per_step: int = Field(4, ge=0)
    """Test questions the solver answers per step."""
    replay_per_step: int = Field(2, ge=0)
    """Earlier variants from the pool the solver answers per step (besides this step's valid ones)."""
    group_size: int = Field(8, ge=2)
    """Solver answers per question: the votes of its pseudo-label and of a variant's self-consistency."""
    instruction: str = HARDER_INSTRUCTION
    """The synthesizer's request; ``{noun}`` is the family's name for a problem."""
    max_chars: int = Field(2000, ge=10)
    """Longest variant (characters)."""
    solver_reward: str = "majority_vote"
    """A registered group reward (rewards.GroupReward): ``majority_vote``."""
    solver_filter: tuple[float, float] = (0.25, 0.75)
    """Solver groups are trained on only when their mean reward lies in [low, high] (the paper's filter)."""
    synthesizer_reward: str = "ttcs_frontier"
    """A registered proposer reward ``f(valid, consistency, shaping)``: ``ttcs_frontier``, ``learnability``."""
    similarity_threshold: float = Field(0.88, gt=0, le=1)
    """A variant more similar than this to its original has its reward scaled by ``1 - similarity``; 1: off."""
    repetition_penalty: bool = True
    """Subtract the share of the step's proposals that repeat a variant (token-3-gram Jaccard >= 0.5)."""
    pool_size: int | None = Field(512, ge=1)
    """Most problems the pool keeps (test questions are never evicted); None: no limit."""

    _solver = field_validator("solver_reward")(reward_field("group"))
    _synthesizer = field_validator("synthesizer_reward")(reward_field("proposer"))

    @field_validator("solver_filter")
    @classmethod
    def _band(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 <= v[0] <= v[1] <= 1.0:
            raise ValueError(f"solver_filter must satisfy 0 <= low <= high <= 1, got {list(v)}")
        return v


# -- rewards ----------------------------------------------------------------------------------------

def self_consistency(answers: Sequence[str | None], same: Callable[[str, str], bool] = str.__eq__) -> float:
    """TTCS's self-consistency of one group: the size of the largest answer cluster
    (:func:`~zeroplay.training.rewards.majority_vote` clustering) over all answers, those without an
    answer included. As in the paper's code "no answer" counts as one more answer: when it is the most
    common (strictly), the consistency is 0. A tie between answer clusters still counts their size.
    An empty group: 0."""
    if not answers:
        return 0.0
    counts = majority_vote(answers, same).counts
    top = max(counts, default=0)
    missing = sum(1 for a in answers if a is None or not a.strip())
    return 0.0 if missing > top else top / len(answers)


@reward_kind("proposer")
def frontier_reward(valid: bool, consistency: float | None, shaping: RewardShaping | None = None) -> float:
    """TTCS's synthesizer reward for a variant: ``(4 s (1 - s)) ** 1.2`` with ``s`` the solver's
    self-consistency on it; highest (1) at s = 0.5, where the solver is least sure, 0 at s = 0 or 1.
    An invalid variant (or one nobody answered: ``consistency`` None) gets 0, as in the paper."""
    if not valid or consistency is None:
        return 0.0
    s = min(max(float(consistency), 0.0), 1.0)
    return max(0.0, 4.0 * s * (1.0 - s)) ** FRONTIER_SHARPNESS


def repetition_shares(texts: Sequence[str | None], threshold: float = 0.5) -> list[float]:
    """Per text: the share of all ``texts`` (None: an invalid proposal, which repeats nothing) whose
    token 3-grams overlap its own with Jaccard similarity >= ``threshold``, itself included; 0 for None.
    The paper subtracts this share (its clusters come from BLEU) from each variant's reward."""
    grams = [ngrams(fold_text(t)) if t else None for t in texts]
    n = len(texts)
    out = []
    for g in grams:
        if g is None:
            out.append(0.0)
            continue
        out.append(sum(1 for h in grams if h is not None and jaccard(g, h) >= threshold) / n)
    return out


def shaped_synthesizer_reward(base: float, original: str, variant: str, share: float, threshold: float) -> float:
    """A valid variant's reward from the base (frontier) reward: scaled by ``1 - similarity`` when the
    variant is more similar than ``threshold`` to its original, minus its repetition ``share``; floor 0."""
    sim = similarity(original, variant)
    if sim > threshold:
        base *= 1.0 - sim
    return max(0.0, base - share)


def _has_id(pool: Any, task_id: str) -> bool:
    try:
        pool.get(task_id)
    except KeyError:
        return False
    return True


# -- the synthesizer's env ----------------------------------------------------------------------------

def label_free_variant_env(family: str = "math", *, instruction: str = HARDER_INSTRUCTION,
                           max_chars: int = 2000) -> ProblemProposerEnv:
    """A proposer env in ``variant`` mode whose prompt shows the original without its answer (TTCS's
    synthesizer never sees a label) and asks for no answer."""
    from zeroplay.envs.proposer.env import get_family

    noun = get_family(family).noun
    return ProblemProposerEnv(family, mode="variant", with_answer=False, show_answers=False,
                              instruction=instruction.replace("{noun}", noun), max_chars=max_chars)


# -- the loop -------------------------------------------------------------------------------------------

class TTCSLoop(ShardedLoop):
    config_class = TTCSConfig
    one_piece = "the pool grows within it"
    roles = ("synthesizer", "solver")
    """What ``policies:`` and ``scripted:`` may assign (one shared policy plays both by default)."""

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.proposer import ProblemPool, solver_env

        super().__init__(cfg, sampler, policy)
        self.tc: TTCSConfig = cfg.loop_config
        self.solver_reward = lookup(REWARDS, self.tc.solver_reward)
        if not is_group_reward(self.solver_reward):
            raise ConfigError(f"ttcs.solver_reward: {self.tc.solver_reward!r} is not a group reward (the solver "
                              "has no labels); use majority_vote")
        self.synthesizer_reward = lookup(REWARDS, self.tc.synthesizer_reward)
        self.synth_env = label_free_variant_env(self.tc.family, instruction=self.tc.instruction,
                                             max_chars=self.tc.max_chars)
        self.solver = solver_env(self.tc.family)
        self.tests = self._test_set()
        self._test_keys = [problem_key(t.prompt) for t in self.tests]
        self.pool = ProblemPool(self.tests, max_size=self.tc.pool_size)

    def _test_set(self) -> list[Task]:
        """``test_questions`` distinct problems of ``test_env`` (the same for the same run seed)."""
        from zeroplay.envs.proposer.pool import distinct_tasks

        return distinct_tasks(self.tc.test_env, self.tc.test_env_kwargs, self.tc.test_questions,
                              lambda i: seed_for(self.seed, 9001, i), key=fold_text, labelled=False,
                              setting="ttcs.test_env", fix="lower ttcs.test_questions")

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        loop = cls(cfg, None, None)  # its envs need no policy
        out = []
        for t in loop.tests[:4]:
            out.append(loop.synth_env.prompt([t]))
            out.append(loop.solver.reset(seed=0, options={"task": t})[0])
        return out

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("synthesizer", ["ttcs/synthesizer/valid_rate", "ttcs/synthesizer/reward",
                                 "ttcs/synthesizer/consistency"]),
                ("solver", ["ttcs/solver/consistency/test", "ttcs/solver/consistency/synthetic",
                            "train/pseudo_label_agreement", "eval/accuracy"]),
                ("pool", ["ttcs/pool/variants"]), ("reward", ["reward/mean"])]

    # -- one step -------------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        rng = np.random.default_rng(seed_for(self.seed, step, 1))
        replay = [e.task for e in self.pool.sample(rng, self.tc.replay_per_step, where=lambda e: e.source == "variant")]
        synth_samples, originals, variants = self._synthesize(step, rng)
        tests = [self.tests[int(i)] for i in
                 rng.choice(len(self.tests), size=min(self.tc.test_per_step, len(self.tests)), replace=False)]
        for parent, v in zip(originals, variants):
            if v is not None:
                self.pool.add(v, source="variant", parent=parent.id, step=step)
        synthetic = {t.id: t for t in [v for v in variants if v is not None] + replay}  # each question once
        questions = [(t, "test") for t in tests] + [(t, "synthetic") for t in synthetic.values()]
        solve_samples, consistency, stats = self._solve(step, questions)
        # synthesizer rewards from the solver's self-consistency on each variant
        texts = [v.prompt if v is not None else None for v in variants]
        shares = repetition_shares(texts) if self.tc.repetition_penalty else [0.0] * len(texts)
        rewards = []
        for s, parent, v, share in zip(synth_samples, originals, variants, shares):
            if v is None:
                s.reward = float(self.synthesizer_reward(False, None, self.cfg.rewards))
            else:
                base = float(self.synthesizer_reward(True, consistency[v.id], self.cfg.rewards))
                s.reward = shaped_synthesizer_reward(base, parent.prompt, v.prompt, share, self.tc.similarity_threshold)
                stats["synth_consistency"].append(consistency[v.id])
            rewards.append(s.reward)
        stats["valid"] = [v is not None for v in variants]
        stats["synth_reward"] = rewards
        return ShardResult(synth_samples + solve_samples, stats)

    def _synthesize(self, step: int, rng: np.random.Generator) -> tuple[list[Sample], list[Task], list[Task | None]]:
        """The synthesizer's samples, each one's original, and its variant (None when invalid)."""
        k = self.tc.variants_per_question
        picks = rng.choice(len(self.tests), size=min(self.tc.questions_per_step, len(self.tests)), replace=False)
        originals = [self.tests[int(i)] for i in picks for _ in range(k)]
        outs = sampler_for(self.sampler, "synthesizer").generate([self.synth_env.prompt([t]) for t in originals])
        samples, variants = [], []
        for j, ((gen, action, ok), original) in enumerate(zip(outs, originals)):
            info = self.synth_env.validate(action, shown=[original])
            if "task" in info and self._copies_a_test(info["task"].prompt):
                info = {"error": "the variant is a test question (or holds one whole)", "stage": "copy"}
            s = to_sample(gen, role="synthesizer", env="synthesize", task_type="synthesize",
                          group=f"{step}-synth-{j // k}", episode=f"{step}-y{j}", well_formed=ok)
            s.meta.update({"stage": info.get("stage"), "parent": original.id})
            samples.append(s)
            variants.append(info.get("task"))
        return samples, originals, variants

    def _copies_a_test(self, prompt: str) -> bool:
        key = problem_key(prompt)
        return any(k in key and contains_problem(prompt, t.prompt) for k, t in zip(self._test_keys, self.tests))

    def _solve(self, step: int, questions: list[tuple[Task, str]]) -> tuple[list[Sample], dict[str, float], dict]:
        """``group_size`` answers to each question, label-free rewards, and each question's self-consistency."""
        n = self.tc.group_size
        prompts = [self.solver.reset(seed=0, options={"task": t})[0] for t, _ in questions for _ in range(n)]
        outs = sampler_for(self.sampler, "solver").generate(prompts)
        t0 = time.perf_counter()
        stats: dict[str, list[Any]] = {"labelled": [], "pseudo_agree": [], "test_correct": [], "kept": [],
                                       "consistency/test": [], "consistency/synthetic": [], "synth_consistency": []}
        samples, consistency = [], {}
        low, high = self.tc.solver_filter
        for g, (task, kind) in enumerate(questions):
            group = outs[g * n:(g + 1) * n]
            self.solver.reset(seed=0, options={"task": task})  # the verifier of this task
            verdicts = [self.solver.verify(action, task) for _, action, _ in group]
            answers = [v.extracted if ok else None for (_, _, ok), v in zip(group, verdicts)]
            same = same_answer(self.solver)
            rewards = [float(r) for r in self.solver_reward(answers, same, self.cfg.rewards)]
            vote = majority_vote(answers, same)
            consistency[task.id] = self_consistency(answers, same)
            stats[f"consistency/{kind}"].append(consistency[task.id])
            kept = low <= float(np.mean(rewards)) <= high
            stats["kept"].append(kept)
            if kind == "test":  # the label is read only for these logs
                stats["labelled"].append(vote.label is not None)
                stats["test_correct"] += [bool(v.correct) for v in verdicts]
                if vote.representative is not None:
                    stats["pseudo_agree"].append(bool(verdicts[vote.representative].correct))
            if _has_id(self.pool, task.id):  # not when the pool refused it (a repeat) or evicted it
                self.pool.record(task.id, vote.agrees, step)
            for (gen, _, ok), r in zip(group, rewards):
                s = to_sample(gen, reward=r, role="solver", env=kind, task_type=kind, group=f"{step}-solve-{g}",
                              episode=f"{step}-s{g}", well_formed=ok)
                s.meta["trained"] = kept
                samples.append(s)
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(outs))
        return samples, consistency, stats

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        """Metrics over every sample; the samples of solver groups outside ``solver_filter`` are not trained on."""
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        counts = self.pool.counts()
        metrics = {"ttcs/synthesizer/valid_rate": mean("valid"), "ttcs/synthesizer/reward": mean("synth_reward"),
                   "ttcs/synthesizer/consistency": mean("synth_consistency"),
                   "ttcs/solver/consistency/test": mean("consistency/test"),
                   "ttcs/solver/consistency/synthetic": mean("consistency/synthetic"),
                   "ttcs/solver/trained_groups": mean("kept"), "ttcs/pool/variants": float(counts.get("variant", 0)),
                   "train/test_accuracy": mean("test_correct"), **reward_by_env_role(samples, "ttcs")}
        if stats.get("labelled"):
            metrics["train/pseudo_label_rate"] = mean("labelled")
        if stats.get("pseudo_agree"):
            metrics["train/pseudo_label_agreement"] = mean("pseudo_agree")
        return [s for s in samples if s.meta.get("trained", True)], metrics

    # -- evaluation: accuracy on the test questions, against their labels --------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        n, m = min(self.cfg.eval.samples, len(self.tests)), self.cfg.eval.samples_per_task
        tasks = self.tests[:n]
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
