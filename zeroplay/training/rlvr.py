"""(c) Plain RL with verifiable rewards (RLVR) on any single-step env, or a weighted mixture of them.

Each step draws ``prompts_per_step`` problems (``env.reset`` with a seed derived from the step;
a mixture's share of them from (seed, step), :func:`~zeroplay.training.rollout.split_over_mixture`)
and samples ``group_size`` answers to each, one batched generate per shard; the env's verifier
scores them (``info["verdict"]``). The solver reward is ``rlvr.reward`` (default ``correctness``:
+1 / -0.5 / -1 for malformed answers, as in Absolute Zero); a GRPO-family estimator groups the
samples of one problem. Metrics per env: ``train/<env>/solver/reward``. An answer is well-formed
when the template reads it (:meth:`~zeroplay.training.templates.Template.parse`) and the env does
not say otherwise: an env whose prompt asks for a format of its own (``CodeIO-v0``: a fenced block
of the language) sets ``info["well_formed"] = False`` for an answer without it, and the answer then
counts as malformed (``train/well_formed``, the reward's malformed case), whatever its verdict.

Label-free (``rlvr.reward: majority_vote``, a group reward): each group's answers (the verifier's
extracted answer of each well-formed sample) vote, answers being the same when the env's verifier
accepts one against the other; the majority answer is the pseudo-label
(:func:`~zeroplay.training.rewards.majority_vote`). The true label is never used for the reward,
only to log how often the pseudo-label is right: ``train/pseudo_label_agreement`` (over groups that
have one; the representative sample's own verdict against the reference) and
``train/pseudo_label_rate`` (groups with a pseudo-label). ``rlvr.novelty_weight`` adds a novelty
bonus to any reward, for a sample that gives an answer (well-formed, something extracted, not by a
fallback rule), measured among those only (an empty text shares nothing with any other): lexical
(:func:`~zeroplay.training.rewards.novelty`, the default) or, with
``rlvr.novelty: embedding``, the cosine distance of a local model's embeddings
(:func:`~zeroplay.training.rewards.embedding_novelty`; the model loaded once, with the loop).

Warm-up (``warmup.steps``): the mixture's own problems answered with their references, in the
template's answer format (:meth:`RLVRLoop.warmup_pairs`), each pair checked by the env's verifier;
drawn from seeds of their own (never a training step's) and never an evaluation problem. It uses
labels: in a label-free recipe it stands in for a pretrained base model, which a tiny random one is not.

Evaluation: ``eval.samples`` fixed tasks, ``eval.samples_per_task`` answers each; ``eval/accuracy`` is
the mean over all answers, ``eval/pass@k`` the unbiased pass@k (:func:`pass_at_k`) for each k of
``eval.pass_k``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from zeroplay.core.errors import ConfigError
from zeroplay.core.types import Verdict
from zeroplay.training.config import RLVRConfig, TrainConfig
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.rewards import embedding_novelty, is_group_reward, majority_vote, novelty
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, shard_range, split_over_mixture, to_sample)
from zeroplay.training.templates import Template, get_template

#: The seed stream of warm-up problems (``seed_for(run seed, WARMUP_STREAM, i)``), apart from every
#: training step's (``seed_for(run seed, step, i)``) and the evaluation's (``seed_for(run seed, EVAL_STREAM, i)``).
WARMUP_STREAM = 0x5741524D
EVAL_STREAM = 424242


def verdict_of(env: Any, seed: int, action: str) -> tuple[float, Verdict, Any]:
    """(reward, verdict, reference) of ``action`` on the problem ``env.reset(seed=seed)`` serves. An env
    without a verdict gets one from its reward (correct when > 0); the reference is None when the env
    names none (``info["task"].reference``)."""
    reward, verdict, reference, _ = scored_step(env, seed, action)
    return reward, verdict, reference


def scored_step(env: Any, seed: int, action: str) -> tuple[float, Verdict, Any, bool]:
    """:func:`verdict_of`, and whether the env found the answer in the format its prompt asks for
    (``info["well_formed"]``; True when the env does not say)."""
    env.reset(seed=seed)
    _, reward, _, _, info = env.step(action)
    verdict = info.get("verdict")
    if verdict is None:
        verdict = Verdict(reward > 0, float(reward), "env-reward")
    task = info.get("task")
    return float(reward), verdict, getattr(task, "reference", None), info.get("well_formed") is not False


def score_answer(env: Any, seed: int, action: str) -> tuple[float, bool]:
    """(reward, correct) of ``action`` on the problem ``env.reset(seed=seed)`` serves."""
    reward, verdict, _ = verdict_of(env, seed, action)
    return reward, bool(verdict.correct)


def same_answer(env: Any) -> Callable[[str, str], bool]:
    """:func:`answers_match` with the env's verifier for its current task."""
    verifier = env.verifier_for(env.task) if hasattr(env, "verifier_for") and getattr(env, "task", None) else None
    return answers_match(verifier)


def answers_match(verifier: Any | None) -> Callable[[str, str], bool]:
    """Answer equivalence for votes: equal after stripping, or ``verifier`` accepts each answer with the
    other as the reference (``0.5`` and ``1/2`` with the math verifier). Both ways: a verifier's one-sided
    rules (an unsimplified answer against a number) would otherwise make clusters depend on the order
    of the samples (a copy of the question, voting first, led the majority; voting fourth, it tied it).
    Verdicts are remembered per pair, for the life of the returned function (one group)."""
    seen: dict[tuple[str, str], bool] = {}  # a group votes more than once over the same pairs

    def accepts(answer: str, reference: str) -> bool:
        if (answer, reference) not in seen:
            seen[(answer, reference)] = bool(verifier.verify(answer, reference).correct)  # type: ignore[union-attr]
        return seen[(answer, reference)]

    def same(answer: str, other: str) -> bool:
        if answer.strip() == other.strip():
            return True
        return verifier is not None and accepts(answer, other) and accepts(other, answer)

    return same


def _answers(verdict: Verdict) -> bool:
    """Whether a verdict read an answer in the form the prompt asks for: something extracted, and not by a
    fallback rule (the math verifier's ``fallback-short`` reads any short text, ``I am not sure.`` too)."""
    rule = str(verdict.details.get("extraction", "")) if isinstance(verdict.details, dict) else ""
    return bool(str(verdict.extracted or "").strip()) and not rule.startswith("fallback")


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k from ``n`` samples of which ``c`` are correct: ``1 - C(n-c, k) / C(n, k)``
    (Chen et al. 2021), the chance that k samples drawn without replacement include a correct one."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def reference_completion(task: Any, template: Template) -> str | None:
    """A correct completion of ``task`` written from its reference, in ``template``'s answer format: the
    reference in ``\\boxed{}`` for a math task under the ``plain`` template (math prompts ask for a box),
    else the template's own wrapping (``<answer>`` for ``r1``, a box for ``boxed``). None when the task
    has no text reference (a code task's tests)."""
    reference = getattr(task, "reference", None)
    if not isinstance(reference, (str, int)) or isinstance(reference, bool) or not str(reference).strip():
        return None
    answer = str(reference).strip()
    if template.name == "plain" and getattr(task, "verifier", None) == "math":
        answer = f"\\boxed{{{answer}}}"
    return template.format(answer)


class RLVRLoop(ShardedLoop):
    config_class = RLVRConfig

    def __init__(self, cfg: TrainConfig, sampler: Sampler, policy: Any):
        import zeroplay as zp

        super().__init__(cfg, sampler, policy)
        self.rc: RLVRConfig = cfg.loop_config
        self.mixture = self.rc.mixture
        self.envs = [zp.make(e.id, **e.kwargs) for e in self.mixture]
        self.reward = lookup(REWARDS, self.rc.reward)
        self.embedder = self._embedder() if self.rc.novelty == "embedding" and self.rc.novelty_weight > 0 else None

    def _embedder(self) -> Any:
        """The embedding model of ``rlvr.novelty: embedding``, on the run's device."""
        from zeroplay.training.build import resolve_device
        from zeroplay.training.rewards import TextEmbedder

        return TextEmbedder(str(self.rc.novelty_model), device=str(resolve_device(self.cfg.model.device)))

    def _novelty(self, texts: list[str]) -> list[float]:
        return embedding_novelty(texts, self.embedder) if self.embedder is not None else novelty(texts)

    def _problems(self, n: int, seed: int) -> list[int]:
        """The mixture entry of each of ``n`` problems drawn with ``seed``."""
        return split_over_mixture(n, [e.weight for e in self.mixture], seed)

    def _answer(self, problems: list[tuple[int, int]], n: int) -> tuple[list[Any], list[Verdict], list[Any]]:
        """``n`` sampled answers to each problem (entry e, ``reset(seed=s)``), in one generate (each
        ``(generation, action, well_formed)``, well-formed for the template and the env); each answer's
        verdict, and each problem's reference (None where the env has none)."""
        prompts = [self.envs[e].reset(seed=s)[0] for e, s in problems for _ in range(n)]
        outs = self.sampler.generate(prompts)
        t0 = time.perf_counter()
        scored = [scored_step(self.envs[problems[j // n][0]], problems[j // n][1], action)
                  for j, (_, action, _) in enumerate(outs)]
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(outs))
        outs = [(gen, action, ok and env_ok) for (gen, action, ok), (*_, env_ok) in zip(outs, scored)]
        return outs, [v for _, v, _, _ in scored], [scored[i * n][2] for i in range(len(problems))]

    def _group_rewards(self, problem: tuple[int, int], outs: Sequence[tuple[Any, str, bool]],
                       verdicts: Sequence[Verdict], reference: Any, stats: dict[str, list[Any]]) -> list[float]:
        """The rewards of one group (the answers to one problem), with the label-free stats it yields."""
        if is_group_reward(self.reward):
            answers = [v.extracted if ok else None for (_, _, ok), v in zip(outs, verdicts)]
            env = self.envs[problem[0]]
            env.reset(seed=problem[1])  # the verifier for this problem's task
            same = same_answer(env)
            rewards = list(self.reward(answers, same, self.cfg.rewards))
            vote = majority_vote(answers, same)
            stats["labelled"].append(vote.label is not None)
            if vote.representative is not None and reference is not None:
                stats["pseudo_agree"].append(bool(verdicts[vote.representative].correct))
        else:
            rewards = [self.reward(v.correct, ok, self.cfg.rewards) for (_, _, ok), v in zip(outs, verdicts)]
        if self.rc.novelty_weight > 0:
            # among the samples that answer in the asked form, only: an empty or answerless text is novel to
            # every other, and it outranked honest answers (0.2 for "" or "I am not sure." against 0.09 for a
            # wrong answer; EVOL-RL's code gives an answer outside \boxed{} -1 and leaves it out of novelty)
            answered = [i for i, ((_, _, ok), v) in enumerate(zip(outs, verdicts)) if ok and _answers(v)]
            bonus = [0.0] * len(outs)
            for i, b in zip(answered, self._novelty([outs[i][0].text for i in answered])):
                bonus[i] = b
            stats["novelty"] += bonus
            rewards = [r + self.rc.novelty_weight * b for r, b in zip(rewards, bonus)]
        return rewards

    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        n = self.rc.group_size
        entry = self._problems(self.rc.prompts_per_step, seed_for(self.cfg.seed, step, 5))
        problems = list(shard_range(self.rc.prompts_per_step, shard, shards))
        asked = [(entry[i], seed_for(self.cfg.seed, step, i)) for i in problems]
        outs, verdicts, references = self._answer(asked, n)
        stats: dict[str, list[Any]] = {"correct": [bool(v.correct) for v in verdicts], "labelled": [],
                                       "pseudo_agree": [], "novelty": []}
        samples = []
        for g, i in enumerate(problems):
            part = slice(g * n, (g + 1) * n)
            rewards = self._group_rewards(asked[g], outs[part], verdicts[part], references[g], stats)
            key = self.mixture[entry[i]].key
            for (gen, _, ok), r, v in zip(outs[part], rewards, verdicts[part]):
                samples.append(to_sample(gen, reward=r, role="solver", env=key, task_type=key, group=f"{step}-{i}",
                                         episode=f"{step}-{i}", well_formed=ok, meta={"reason": v.reason[:200]}))
        stats["verifier_errors"] = [v.reason.startswith("verifier-error") for v in verdicts]
        return ShardResult(samples, stats)

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)
        out = {"train/accuracy": float(np.mean(stats["correct"])),
               "train/well_formed": float(np.mean([s.well_formed for s in samples])),
               **reward_by_env_role(samples, "train")}
        if stats.get("labelled"):
            out["train/pseudo_label_rate"] = float(np.mean(stats["labelled"]))
        if stats.get("pseudo_agree"):
            out["train/pseudo_label_agreement"] = float(np.mean(stats["pseudo_agree"]))
        if stats.get("novelty"):
            out["train/novelty"] = float(np.mean(stats["novelty"]))
        if any(stats.get("verifier_errors", [])):  # a verifier that raised: its answers scored wrong (see warnings)
            out["train/verifier_errors"] = float(sum(stats["verifier_errors"]))
        return samples, out

    def evaluate(self, step: int) -> dict[str, float]:
        """Accuracy on ``eval.samples`` fixed problems (the same ones every time), ``eval.samples_per_task``
        answers each, and pass@k for each k of ``eval.pass_k``; per env too when the mixture has several."""
        n, m = self.cfg.eval.samples, self.cfg.eval.samples_per_task
        problems = self._eval_problems()
        entry = [e for e, _ in problems]
        _, verdicts, _ = self._answer(problems, m)
        correct = [bool(v.correct) for v in verdicts]
        solved = [sum(correct[i * m:(i + 1) * m]) for i in range(n)]
        out = self._scores("eval", correct, solved, m)
        if len(self.mixture) > 1:
            for e, mix in enumerate(self.mixture):
                tasks = [i for i in range(n) if entry[i] == e]
                if tasks:
                    out.update(self._scores(f"eval/{mix.label}", [c for i in tasks for c in correct[i * m:(i + 1) * m]],
                                            [solved[i] for i in tasks], m))
        return out

    def _eval_problems(self) -> list[tuple[int, int]]:
        """The ``eval.samples`` fixed evaluation problems: (mixture entry, reset seed)."""
        n = self.cfg.eval.samples
        entry = self._problems(n, seed_for(self.cfg.seed, EVAL_STREAM))
        return [(entry[i], seed_for(self.cfg.seed, EVAL_STREAM, i)) for i in range(n)]

    # -- warm-up: the mixture's problems answered with their references ---------------------------
    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` (prompt, completion) pairs: problems of the mixture (its weights), each answered with its
        reference in the template's format (:func:`reference_completion`), kept only when the env's own
        verifier accepts that answer. Problems come from the warm-up seed stream (:data:`WARMUP_STREAM`),
        and one whose prompt is an evaluation problem's is skipped, so the evaluation stays unseen."""
        template = get_template(self.cfg.template)
        held_out = {self.envs[e].reset(seed=s)[0] for e, s in self._eval_problems()}
        entry = self._problems(n, seed_for(seed, WARMUP_STREAM))
        pairs: list[tuple[str, str]] = []
        for i in range(4 * n):  # some draws are evaluation problems, or have no answer to write
            if len(pairs) == n:
                break
            env = self.envs[entry[i % n]]
            obs, info = env.reset(seed=seed_for(seed, WARMUP_STREAM, i))
            completion = reference_completion(info.get("task"), template)
            if obs in held_out or completion is None:
                continue
            action, ok = template.parse(completion)
            verdict = env.step(action)[4].get("verdict")
            if ok and verdict is not None and verdict.correct:
                pairs.append((obs, completion))
        if not pairs:
            raise ConfigError(f"warmup: no problem of {[e.id for e in self.mixture]} could be answered from its "
                              "reference in the template's format; set warmup.steps: 0")
        return pairs

    def _scores(self, prefix: str, correct: list[bool], solved: list[int], m: int) -> dict[str, float]:
        """Accuracy over all answers, and pass@k over tasks (``solved``: correct answers of each task, of ``m``)."""
        out = {f"{prefix}/accuracy": float(np.mean(correct))}
        for k in self.cfg.eval.pass_k:
            out[f"{prefix}/pass@{k}"] = float(np.mean([pass_at_k(m, c, k) for c in solved]))
        return out

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("accuracy", ["train/accuracy", "eval/accuracy", *(f"eval/pass@{k}" for k in self.cfg.eval.pass_k)]),
                ("reward", ["reward/mean"]),
                ("pseudo-label", ["train/pseudo_label_agreement", "train/pseudo_label_rate", "train/novelty"])]
