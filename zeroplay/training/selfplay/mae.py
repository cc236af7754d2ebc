"""Multi-Agent Evolve (Chen et al. 2025, arXiv:2510.23595): a proposer, a solver and a judge, all played
and all trained; the judge's scores are the rewards.

Each step (one piece: the question pool grows within it):

1. propose: ``proposals_per_step`` proposer prompts (``zeroplay/ProblemProposer-v0``, family ``math``,
   mode ``new``), each showing ``examples`` questions drawn from the pool; the env validates them (a
   question tag, 10..2000 characters, not a copy of a shown question); a question already in the pool
   is refused too, and so is one that repeats an earlier valid question of the same step (both under
   :func:`~zeroplay.envs.proposer.pool.problem_key`).
2. judge the questions: one judge prompt per valid question (:data:`QUESTION_RUBRIC`); the parsed score
   is its quality ``q``. Quality filtering: a question with ``q >= quality_threshold`` is accepted into
   the pool (:class:`~zeroplay.envs.proposer.ProblemPool`, seeded with ``seed_questions`` problems from
   ``seed_env``).
3. solve: every accepted new question and ``pool_questions_per_step`` pool questions, ``solver_samples``
   answers each (the ``math`` family's solver prompt: a final answer in ``\\boxed{}``).
4. judge the answers: one judge prompt per answer (:data:`ANSWER_RUBRIC`, with the question); the
   parsed score is ``V_J(a, q)``. The pool records each answer as solved when ``V_J >= judge_threshold``.
5. rewards (hand-computed in tests/training/test_mae.py):

   - solver: ``V_J(a, q)`` when the answer has a ``\\boxed{}`` final answer, else 0 (:func:`solver_reward`);
   - proposer (:func:`proposer_reward`): ``rewards.proposer_invalid`` (-1) for an invalid question; else
     the weighted mean ``(wq*q + wd*d + wf*f) / (wq + wd + wf)`` of the quality ``q``, the difficulty
     ``d = 1 - mean V_J`` of its answers (0 for a question the filter refused: it was not solved, and a
     hard but ill-posed question must not pay) and the format ``f`` (1 for exactly one
     ``<problem>...</problem>``, 0.5 for more: :func:`question_format_score`);
   - judge (:func:`judge_reward`): 1 for a reply with a readable score (:func:`zeroplay.verifiers.judge.parse_score`),
     ``judge_unreadable_reward`` (0) otherwise: the judge's own format reward.

   Gameable by design (the paper's rewards): the judge is paid for its format only, so a judge that gives
   every answer and question full marks is paid as much as a careful one, and with one shared policy the
   solver and proposer are then paid by it; ``judge/agreement_with_verifier`` shows that drift where
   references exist.

   The judge's failures are reported as such: an unreadable score gives the judged role the mean of its
   group's readable scores (the other answers to its question; the step's other questions), or the
   neutral ``judge_fallback`` (0.5) when none is readable, in place of ``q`` or ``V_J``
   (:func:`judged_scores`: derailing the judge never pays more than being judged), counted in
   ``judge/question_fallbacks`` and ``judge/answer_fallbacks``.

The math verifier is never a reward: where a question has a reference (the seed questions; proposed
ones too with ``with_answer``), how often the judge's verdict (``V_J >= judge_threshold``) agrees with
the verifier's over the readable scores is logged as ``judge/agreement_with_verifier``.

Prompts of every role are built here; the judge's with :func:`zeroplay.verifiers.judge.judge_prompt`,
so a trained judge and the ``judge`` verifier read alike. Roles: ``proposer``, ``solver``, ``judge`` (one
shared policy by default, as in the paper; ``policies:`` or ``scripted:`` per role). Not built: rollout
shards and Ray actors; the paper's reference-guided proposing from a question and its answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zeroplay.envs.proposer.pool import problem_key
from zeroplay.training.policies import sampler_for
from zeroplay.training.rollout import (
    Sample,
    Sampler,
    ShardedLoop,
    ShardResult,
    concat_stats,
    reward_by_env_role,
    seed_for,
    to_sample,
)

QUESTION_RUBRIC = ("Judge the QUESTION (the response is a question, not an answer): is it a clear, self-contained, "
                   "well-posed math question with one definite answer that a careful solver can find? "
                   "1: clear and solvable; 0: ambiguous, ill-posed, unsolvable or not a question.")
ANSWER_RUBRIC = ("Judge the ANSWER to the question: is its final answer correct, and is the reasoning that leads to "
                 "it sound? 1: correct and sound; 0: wrong or unsupported.")


class MAEConfig(BaseModel):
    """The ``multi_agent_evolve:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    seed_env: str = "zeroplay/MathArithmetic-v0"
    """A single-step env whose ``reset`` gives a task: the seed questions of the pool, the examples of the
    first proposer prompts and the evaluation problems."""
    seed_env_kwargs: dict[str, Any] = {}
    """Kwargs of ``seed_env`` (e.g. ``{difficulty: 2}``)."""
    seed_questions: int = Field(16, ge=1)
    """Seed questions put in the pool at the start (never evicted)."""
    max_pool: int | None = Field(512, ge=1)
    """The most questions the pool keeps (proposed ones are evicted first: always solved, then oldest);
    None: no limit."""
    proposals_per_step: int = Field(4, ge=1)
    """Proposer prompts (questions written) per step."""
    examples: int = Field(2, ge=0)
    """Pool questions shown in each proposer prompt."""
    with_answer: bool = False
    """Also ask the proposer for the question's answer (the env then checks it is readable). The paper's
    proposer writes questions only; an answer makes ``judge/agreement_with_verifier`` cover proposed questions."""
    quality_threshold: float = Field(0.7, ge=0, le=1)
    """Quality filtering: questions judged at least this good join the pool and are solved."""
    pool_questions_per_step: int = Field(2, ge=0)
    """Pool questions the solver answers each step, besides the newly accepted ones."""
    solver_samples: int = Field(4, ge=1)
    """Answers per question (the solver's group; their mean judged score gives the question's difficulty)."""
    quality_weight: float = Field(1.0, ge=0)
    """Weight of the judged quality in the proposer's reward."""
    difficulty_weight: float = Field(1.0, ge=0)
    """Weight of the difficulty ``1 - mean V_J`` in the proposer's reward."""
    format_weight: float = Field(1.0, ge=0)
    """Weight of the question's format score in the proposer's reward."""
    judge_threshold: float = Field(0.5, ge=0, le=1)
    """A judged score at or above this counts as 'correct' (the pool's solve history, agreement with the verifier)."""
    judge_fallback: float = Field(0.5, ge=0, le=1)
    """The judged role's score when no reply of its group has a readable score (counted in ``judge/*_fallbacks``);
    one unreadable reply among readable ones takes their mean."""
    judge_unreadable_reward: float = 0.0
    """The judge's reward for a reply without a readable score (1 for a readable one)."""
    judge_max_chars: int = Field(4000, ge=100)
    """A judged response is cut to its last this many characters in the judge's prompt."""

    @model_validator(mode="after")
    def _some_weight(self) -> MAEConfig:
        if self.quality_weight + self.difficulty_weight + self.format_weight <= 0:
            raise ValueError("quality_weight, difficulty_weight and format_weight cannot all be 0")
        return self


# -- rewards (pure functions: tests/training/test_mae.py checks them by hand) ------------------------

_PROBLEM_PAIR = re.compile(r"<problem>.*?</problem>", re.DOTALL)


def question_format_score(text: str) -> float:
    """1 for exactly one ``<problem>...</problem>`` pair, 0.5 for more than one, 0 for none (the paper's
    format reward)."""
    n = len(_PROBLEM_PAIR.findall(text)) if isinstance(text, str) else 0
    return 1.0 if n == 1 else 0.5 if n > 1 else 0.0


def judged_scores(scores: Sequence[float | None], fallback: float) -> list[float]:
    """A group's judged scores (the answers to one question, or a step's questions): an unreadable one
    takes the mean of the group's readable scores, so a response that derails the judge earns what its
    group earns on average, never more than by being judged; ``fallback`` when none is readable."""
    readable = [float(s) for s in scores if s is not None]
    stand_in = float(np.mean(readable)) if readable else fallback
    return [stand_in if s is None else float(s) for s in scores]


def solver_reward(score: float, has_answer: bool) -> float:
    """``V_J(a, q)`` for an answer with a ``\\boxed{}`` final answer; 0 without one (format gate)."""
    return float(score) if has_answer else 0.0


def proposer_reward(quality: float, difficulty: float, fmt: float, weights: tuple[float, float, float]) -> float:
    """The weighted mean of quality, difficulty and format (weights in that order) for a valid question."""
    wq, wd, wf = weights
    return (wq * quality + wd * difficulty + wf * fmt) / (wq + wd + wf)


def judge_reward(score: float | None, unreadable: float = 0.0) -> float:
    """The judge's format reward: 1 when its reply had a readable score, else ``unreadable``."""
    return 1.0 if score is not None else float(unreadable)


class MultiAgentEvolveLoop(ShardedLoop):
    config_class = MAEConfig
    one_piece = "the pool grows within it"
    roles = ("proposer", "solver", "judge")
    """What ``policies:`` and ``scripted:`` may assign (one shared policy plays all three by default)."""

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        import zeroplay as zp
        from zeroplay.envs.proposer import ProblemPool, ProblemProposerEnv, solver_env

        super().__init__(cfg, sampler, policy)
        self.mc: MAEConfig = cfg.loop_config
        self.seed_env = zp.make(self.mc.seed_env, **self.mc.seed_env_kwargs)
        self.proposer_env = ProblemProposerEnv("math", mode="new", examples=self.mc.examples,
                                               with_answer=self.mc.with_answer)
        self.solver_env = solver_env("math")
        self.pool = ProblemPool(max_size=self.mc.max_pool)
        rng = np.random.default_rng(seed_for(self.seed, 4242))
        for s in rng.integers(1 << 30, size=self.mc.seed_questions):
            self.pool.add(self.seed_env.reset(seed=int(s))[1]["task"], source="seed")

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        from zeroplay.verifiers.judge import judge_prompt

        loop = cls(cfg, None, None)
        task = next(iter(loop.pool)).task
        return [loop._proposer_prompt([task]), loop._solver_prompt(task),
                judge_prompt(task.prompt, None, QUESTION_RUBRIC), judge_prompt("\\boxed{1}", {"question": task.prompt},
                                                                                ANSWER_RUBRIC)]

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("proposer", ["propose/valid_rate", "propose/accepted_rate", "propose/quality"]),
                ("solver", ["solve/judged_score", "eval/accuracy"]),
                ("judge", ["judge/parse_rate", "judge/agreement_with_verifier"]), ("reward", ["reward/mean"])]

    # -- prompts ------------------------------------------------------------------------------------
    def _proposer_prompt(self, examples: Sequence[Any]) -> str:
        return self.proposer_env.prompt(list(examples))

    def _solver_prompt(self, task: Any) -> str:
        return self.solver_env.reset(seed=0, options={"task": task})[0]

    def _judge(self, responses: Sequence[str], references: Sequence[Any], rubric: str
               ) -> tuple[list[tuple[Any, str, bool]], list[float | None]]:
        """The judge role's generations for ``responses`` and each one's parsed score (None: unreadable)."""
        from zeroplay.verifiers.judge import judge_prompt, parse_score

        prompts = [judge_prompt(r, g, rubric, self.mc.judge_max_chars) for r, g in zip(responses, references)]
        outs = sampler_for(self.sampler, "judge").generate(prompts)
        return outs, [parse_score(gen.text)[0] for gen, _, _ in outs]

    # -- one step -----------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        mc, shaping = self.mc, self.cfg.rewards
        rng = np.random.default_rng(seed_for(self.seed, step, 3))
        weights = (mc.quality_weight, mc.difficulty_weight, mc.format_weight)
        stats: dict[str, list[Any]] = {k: [] for k in ("valid", "accepted", "quality", "difficulty", "q_readable",
                                                        "a_readable", "judged", "agree", "verified")}
        # 1. propose, and validate
        shown = [[e.task for e in self.pool.sample(rng, mc.examples)] for _ in range(mc.proposals_per_step)]
        proposals = sampler_for(self.sampler, "proposer").generate([self._proposer_prompt(s) for s in shown])
        tasks: list[Any] = []  # the valid question of each proposal, or None
        keys: set[str] = set()  # this step's valid questions: a repeat within the step is refused as a pool repeat
        for (gen, _, _), ex in zip(proposals, shown):
            info = self.proposer_env.validate(gen.text, shown=ex)
            task = info.get("task")
            key = problem_key(task.prompt) if task is not None else ""
            fresh = task is not None and task.prompt not in self.pool and key not in keys
            keys.add(key)
            tasks.append(task if fresh else None)
        stats["valid"] = [t is not None for t in tasks]
        # 2. judge the valid questions; quality filtering
        valid = [i for i, t in enumerate(tasks) if t is not None]
        q_outs, q_scores = self._judge([tasks[i].prompt for i in valid], [None] * len(valid), QUESTION_RUBRIC)
        quality = dict(zip(valid, judged_scores(q_scores, mc.judge_fallback)))
        accepted = [i for i in valid if quality[i] >= mc.quality_threshold]
        for i in accepted:
            self.pool.add(tasks[i], source="proposed", step=step)  # cannot repeat: checked above
        stats["accepted"] = [i in accepted for i in range(len(tasks))]
        stats["q_readable"] = [s is not None for s in q_scores]
        # 3. solve the accepted questions and some pool questions
        jobs = [(tasks[i], i) for i in accepted]
        jobs += [(e.task, None) for e in self.pool.sample(rng, mc.pool_questions_per_step,
                                                          where=lambda e: e.source == "seed" or e.added_step < step)]
        n = mc.solver_samples
        answers = sampler_for(self.sampler, "solver").generate(
            [self._solver_prompt(t) for t, _ in jobs for _ in range(n)])
        # 4. judge the answers
        a_outs, a_scores = self._judge([gen.text for gen, _, _ in answers],
                                       [{"question": t.prompt} for t, _ in jobs for _ in range(n)], ANSWER_RUBRIC)
        stats["a_readable"] = [s is not None for s in a_scores]
        # 5. rewards
        t0 = time.perf_counter()
        solve_samples, difficulty = [], {}
        for j, (task, owner) in enumerate(jobs):
            scores = judged_scores(a_scores[j * n:(j + 1) * n], mc.judge_fallback)
            if self.pool.has_id(task.id):  # not when a full pool already evicted it this step
                self.pool.record(task.id, [s >= mc.judge_threshold for s in scores], step)
            if owner is not None:
                difficulty[owner] = 1.0 - float(np.mean(scores))
            for k, ((gen, action, ok), score) in enumerate(zip(answers[j * n:(j + 1) * n], scores)):
                has_answer = _has_boxed(gen.text)
                solve_samples.append(to_sample(gen, reward=solver_reward(score, has_answer), role="solver", env="solve",
                                               task_type="solve", group=f"{step}-solve-{j}", episode=f"{step}-s{j}-{k}",
                                               well_formed=ok and has_answer))
                stats["judged"].append(score)
                if task.reference is not None and a_scores[j * n + k] is not None:
                    correct = self._verify(task, action)
                    stats["verified"].append(correct)
                    stats["agree"].append(correct == (score >= mc.judge_threshold))
        prop_samples = []
        for i, (gen, _, ok) in enumerate(proposals):
            if tasks[i] is None:
                reward = shaping.proposer_invalid
            else:
                reward = proposer_reward(quality[i], difficulty.get(i, 0.0), question_format_score(gen.text), weights)
                stats["quality"].append(quality[i])
                stats["difficulty"].append(difficulty.get(i, 0.0))
            prop_samples.append(to_sample(gen, reward=reward, role="proposer", env="propose", task_type="propose",
                                          group=f"{step}-propose", episode=f"{step}-p{i}",
                                          well_formed=tasks[i] is not None))
        judge_samples = []
        for kind, outs, scores in (("question", q_outs, q_scores), ("answer", a_outs, a_scores)):
            for k, ((gen, _, _), s) in enumerate(zip(outs, scores)):
                judge_samples.append(to_sample(gen, reward=judge_reward(s, mc.judge_unreadable_reward), role="judge",
                                               env=f"judge-{kind}", task_type=f"judge-{kind}",
                                               group=f"{step}-judge-{kind}", episode=f"{step}-j{kind}-{k}",
                                               well_formed=s is not None))
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(answers))
        return ShardResult(prop_samples + solve_samples + judge_samples, stats)

    def _verify(self, task: Any, action: str) -> bool:
        """The math verifier's verdict on ``action`` for ``task`` (logged only, never a reward)."""
        self.solver_env.reset(seed=0, options={"task": task})
        verdict = self.solver_env.step(action)[4].get("verdict")
        return bool(verdict is not None and verdict.correct)

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        readable = stats.get("q_readable", []) + stats.get("a_readable", [])
        metrics = {"propose/valid_rate": mean("valid"), "propose/accepted_rate": mean("accepted"),
                   "propose/quality": mean("quality"), "propose/difficulty": mean("difficulty"),
                   "solve/judged_score": mean("judged"),
                   "judge/parse_rate": float(np.mean(readable)) if readable else 0.0,
                   "judge/question_fallbacks": float(stats.get("q_readable", []).count(False)),
                   "judge/answer_fallbacks": float(stats.get("a_readable", []).count(False)),
                   "judge/agreement_count": float(len(stats.get("agree", []))),
                   "pool/size": float(len(self.pool)), "pool/proposed": float(self.pool.counts().get("proposed", 0)),
                   **reward_by_env_role(samples, "mae")}
        if stats.get("agree"):
            metrics["judge/agreement_with_verifier"] = mean("agree")
            metrics["solve/verifier_accuracy"] = mean("verified")
        return samples, metrics

    # -- evaluation: the solver on fixed seed-env problems, the judge against the verifier -------------
    def evaluate(self, step: int) -> dict[str, float]:
        rng = np.random.default_rng(seed_for(self.seed, 31337))
        tasks = [self.seed_env.reset(seed=int(s))[1]["task"] for s in rng.integers(1 << 30, size=self.cfg.eval.samples)]
        outs = sampler_for(self.sampler, "solver").generate([self._solver_prompt(t) for t in tasks])
        correct = [self._verify(t, action) for t, (_, action, _) in zip(tasks, outs)]
        _, scores = self._judge([gen.text for gen, _, _ in outs], [{"question": t.prompt} for t in tasks],
                                ANSWER_RUBRIC)
        agree = [c == (s >= self.mc.judge_threshold) for c, s in zip(correct, scores) if s is not None]
        out = {"eval/accuracy": float(np.mean(correct)),
               "eval/judge_parse_rate": float(np.mean([s is not None for s in scores]))}
        if agree:
            out["eval/judge_agreement"] = float(np.mean(agree))
        return out

    # -- warm-up: the four formats, from the scripted roles ----------------------------------------------
    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` supervised pairs, a quarter each: a proposer prompt answered by :class:`ScriptedMathProposer`,
        a seed question answered right in ``\\boxed{}``, and judge prompts (a question; an answer, right or
        off by one) answered by :class:`ScriptedMathJudge`. A cold start that teaches the formats (a
        question tag, a boxed answer, a score tag); what pays beyond them is RL's to find."""
        from zeroplay.verifiers.judge import judge_prompt

        rng = np.random.default_rng(seed)
        proposer, judge = ScriptedMathProposer(seed), ScriptedMathJudge()
        right, half = ScriptedMathSolver(seed, accuracy=1.0), ScriptedMathSolver(seed, accuracy=0.5)
        pairs = []
        for i in range(n):
            task = self.seed_env.reset(seed=int(rng.integers(1 << 30)))[1]["task"]
            if i % 4 == 0:
                prompt = self._proposer_prompt([e.task for e in self.pool.sample(rng, self.mc.examples)])
                pairs.append((prompt, proposer.act([prompt])[0]))
            elif i % 4 == 1:
                prompt = self._solver_prompt(task)
                pairs.append((prompt, right.act([prompt])[0]))
            elif i % 4 == 2:
                prompt = judge_prompt(task.prompt, None, QUESTION_RUBRIC, self.mc.judge_max_chars)
                pairs.append((prompt, judge.act([prompt])[0]))
            else:
                answer = half.act([task.prompt])[0]
                prompt = judge_prompt(answer, {"question": task.prompt}, ANSWER_RUBRIC, self.mc.judge_max_chars)
                pairs.append((prompt, judge.act([prompt])[0]))
        return pairs

    # -- checkpoint state: the pool ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"pool": self.pool.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "pool" in state:
            self.pool.load_state_dict(state["pool"])


def _has_boxed(text: str) -> bool:
    from zeroplay.core.answers import last_boxed

    return last_boxed(text[-65536:]) is not None


# -- scripted roles, for CPU tests where a tiny model writes no question and no score ---------------

_COMPUTE = re.compile(r"Compute ([0-9+\-*/() ]{1,200})\.")
_OPS = ("+", "-", "*")


def arithmetic_value(question: str) -> Any:
    """The value of the first ``Compute <expression>.`` in ``question``, or None."""
    from zeroplay.envs.math.proofs import value_of

    m = _COMPUTE.search(question) if isinstance(question, str) else None
    return value_of(m.group(1)) if m else None


class ScriptedMathProposer:
    """Writes new arithmetic questions (``Compute 7 * 3 - 4.``) in the proposer prompt's format, with
    their answer when the prompt asks for one.
    ``scripted: {proposer: "zeroplay.training.selfplay.mae:ScriptedMathProposer"}``."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        out = []
        for obs in observations:
            a, b, c = (int(x) for x in self.rng.integers(2, 40, size=3))
            o1, o2 = (_OPS[int(i)] for i in self.rng.integers(len(_OPS), size=2))
            question = f"Compute {a} {o1} {b} {o2} {c}."
            text = f"<problem>{question}</problem>"
            if "<answer>" in obs:
                text += f"\n<answer>{arithmetic_value(question)}</answer>"
            out.append(text)
        return out


class ScriptedMathSolver:
    """Answers ``Compute ...`` questions in ``\\boxed{}``, right with probability ``accuracy`` (else off by one)."""

    def __init__(self, seed: int = 0, accuracy: float = 0.5):
        self.rng, self.accuracy = np.random.default_rng(seed), accuracy

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        out = []
        for obs in observations:
            value = arithmetic_value(obs)
            if value is None:
                out.append("I do not know.")
                continue
            guess = value if self.rng.random() < self.accuracy else value + 1
            out.append(f"Working it out, the result is \\boxed{{{guess}}}")
        return out


class ScriptedMathJudge:
    """Grades like a careful judge of arithmetic: a question is 0.9 when it is a ``Compute ...`` question
    with a value, else 0.1; an answer is 1 when its ``\\boxed{}`` equals the question's value, else 0. Every
    ``unreadable_every``-th reply (0: none) has no score, to exercise the fallback."""

    def __init__(self, unreadable_every: int = 0):
        self.unreadable_every, self.replies = unreadable_every, 0

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [self._grade(obs) for obs in observations]

    def _grade(self, obs: str) -> str:
        from zeroplay.core.answers import last_boxed
        from zeroplay.envs.math.proofs import value_of
        from zeroplay.verifiers.judge import rubric_of, unquote

        self.replies += 1
        if self.unreadable_every and self.replies % self.unreadable_every == 0:
            return "Hard to say."
        text = unquote(obs, "Response") or ""
        if rubric_of(obs) == ANSWER_RUBRIC:  # the prompt's own rubric, not one quoted in a question
            question = unquote(obs, "Question")
            value = arithmetic_value(question) if question else None
            box = last_boxed(text)
            right = value is not None and box is not None and value_of(box) == value
            return f"Checked. <score>{1 if right else 0}</score>"
        return f"<score>{0.9 if arithmetic_value(text) is not None else 0.1}</score>"
