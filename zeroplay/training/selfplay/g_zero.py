"""G-Zero: a proposer writes hard queries with hints, rewarded by Hint-δ; a generator learns from
hint-guided preference pairs with DPO (Huang et al. 2026, arXiv:2605.09959).

Each step, two roles (one policy each with ``policies:``; the paper trains two models):

1. propose: ``prompts_per_step`` proposer prompts, each showing ``examples`` seed problems of the env
   (procedural math by default), ``proposer_group`` completions each (the GRPO group). A completion
   is parsed for ``<question>...</question>`` and ``<hint>...</hint>`` (:func:`parse_proposal`:
   bounded sizes, hostile text refused with a reason, never an exception).
2. generate: the generator answers every valid query ``generator_samples`` times without its hint
   (unassisted) and ``generator_samples`` times with it (guided), in one batched generate.
3. Hint-δ (:func:`zeroplay.training.rewards.hint_delta`): one forward pass of the generator's model
   over each unassisted response under the prompt without and with the hint; per response the
   per-token average of ``log p(y | q) - log p(y | q, h)``, averaged over the query's unassisted
   responses. It is the proposer's reward (``proposer_reward``); an unparsable proposal gets
   ``rewards.proposer_invalid`` (-1). GRPO over each prompt's group.
4. pairs: chosen = a guided response, rejected = an unassisted one, both trained with the prompt
   *without* the hint (the generator internalizes what the hint gave it). Pseudo-label noise filter
   (``filter: majority``): the guided answers (read by the math verifier's extraction) vote
   (:func:`zeroplay.training.rewards.majority_vote`, answers clustered by the math verifier); a query
   keeps pairs only when at least ``agreement`` of its guided responses agree with the majority
   answer; chosen are guided responses that agree, rejected are unassisted ones that do not (or give
   no answer); at most ``pairs_per_query`` pairs (:func:`preference_pairs`). ``filter: none`` pairs
   guided with unassisted responses as they come (open-ended text without a verifier).
5. the generator's policy trains with DPO on the pairs (``loss.objective: dpo``, the trainer), the
   proposer's with GRPO.

The pair rules and the sign of Hint-δ are our reading of the paper (see recipes/g_zero.yaml).
Gameable by design (the paper's reward): Hint-δ pays any hint that makes the unassisted answer less
likely, not only a helpful one: an off-topic or misleading hint ("the answer is 7", "reply in French")
can score as well as a good one, and the majority filter then keeps pairs whose chosen responses follow
the hint, so a proposer can teach the generator a wrong answer. Nothing here reads a hint beyond its format.
Evaluation: the generator answers ``eval.samples`` fixed problems of the env without hints
(``eval/accuracy``, scored by the env's verifier).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zeroplay.core.errors import ConfigError
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rewards import majority_vote
from zeroplay.training.rlvr import answers_match
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, shard_range, to_sample)

#: How a generator prompt asks for the answer (as the math envs do).
ANSWER_FORMAT = "{prompt}\n\nReason step by step, then put your final answer in \\boxed{{}}."
#: A proposal is read from at most this many characters of the proposer's completion.
MAX_PROPOSAL_SCAN = 16384
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAGS = ("<question>", "</question>", "<hint>", "</hint>")


class GZeroConfig(BaseModel):
    """The ``g_zero:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    env: str = "zeroplay/MathArithmetic-v0"
    """A single-step env: its problems are the examples in proposer prompts and the evaluation set."""
    env_kwargs: dict[str, Any] = {}
    """Kwargs of ``env``."""
    prompts_per_step: int = Field(2, ge=1)
    """Proposer prompts per step (each with its own examples)."""
    proposer_group: int = Field(4, ge=1)
    """Proposals sampled per proposer prompt: the GRPO group of the proposer's advantages."""
    examples: int = Field(3, ge=0)
    """Seed problems shown in each proposer prompt."""
    generator_samples: int = Field(4, ge=1)
    """Generator responses per valid query, without its hint and (as many) with it."""
    proposer_reward: str = "hint_delta"
    """A registered likelihood reward ``(without, with_hint, shaping) -> float`` (``hint_delta``: G-Zero's Hint-δ)."""
    filter: Literal["majority", "none"] = "majority"
    """Pseudo-label noise filter of the preference pairs: ``majority`` (the guided answers must agree, the
    rejected unassisted answer must not) or ``none`` (every guided response against an unassisted one)."""
    agreement: float = Field(0.5, gt=0, le=1)
    """``filter: majority``: the least share of a query's guided responses that must agree with their
    majority answer."""
    pairs_per_query: int = Field(2, ge=1)
    """At most this many preference pairs per query."""
    max_question_chars: int = Field(600, ge=1)
    """A longer question makes the proposal invalid."""
    max_hint_chars: int = Field(400, ge=1)
    """A longer hint makes the proposal invalid."""

    _registered = field_validator("proposer_reward")(reward_field("likelihood"))


# -- proposals ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proposal:
    question: str
    hint: str


def parse_proposal(text: Any, *, max_question_chars: int = 600,
                   max_hint_chars: int = 400) -> tuple[Proposal | None, str]:
    """``(Proposal, "ok")`` from ``<question>Q</question> ... <hint>H</hint>``, or ``(None, reason)``.

    Rules (model output is hostile input): only the first :data:`MAX_PROPOSAL_SCAN` characters are read;
    the first complete ``<question>`` block and the first complete ``<hint>`` block after it are taken;
    each is stripped and must be non-empty, within its size bound, free of control characters and of
    the other tags (no nesting). Never raises; linear time.
    """
    if not isinstance(text, str):
        return None, "not-text"
    text = text[:MAX_PROPOSAL_SCAN]
    q_open = text.find("<question>")
    q_close = text.find("</question>", q_open + len("<question>")) if q_open >= 0 else -1
    if q_close < 0:
        return None, "no-question"
    h_open = text.find("<hint>", q_close)
    h_close = text.find("</hint>", h_open + len("<hint>")) if h_open >= 0 else -1
    if h_close < 0:
        return None, "no-hint"
    question = text[q_open + len("<question>"):q_close].strip()
    hint = text[h_open + len("<hint>"):h_close].strip()
    for name, part, bound in (("question", question, max_question_chars), ("hint", hint, max_hint_chars)):
        if not part:
            return None, f"empty-{name}"
        if len(part) > bound:
            return None, f"long-{name}"
        if _CONTROL.search(part) or any(t in part for t in _TAGS):
            return None, f"bad-{name}"
    return Proposal(question, hint), "ok"


def generator_prompt(question: str, hint: str | None = None) -> str:
    """The generator's observation for ``question``, with ``hint`` (guided) or without (unassisted)."""
    return ANSWER_FORMAT.format(prompt=question if hint is None else f"{question}\n\nHint: {hint}")


def proposer_prompt(examples: list[str]) -> str:
    """The proposer's observation: the seed problems, and the answer format."""
    shown = "\n".join(f"{i + 1}. {e}" for i, e in enumerate(examples))
    return ("Write one new math problem that is harder than these examples, and a short hint that helps "
            "to solve it.\n\n" + (f"Examples:\n{shown}\n\n" if shown else "")
            + "Reply as <question>the problem</question> <hint>the hint</hint>.")


# -- preference pairs ---------------------------------------------------------------------------

def preference_pairs(guided: list[str | None], unguided: list[str | None], same: Any, *, filter: str = "majority",
                     agreement: float = 0.5, limit: int = 2) -> tuple[list[tuple[int, int]], bool]:
    """The (guided index, unassisted index) preference pairs of one query, and whether its guided
    answers passed the pseudo-label filter (always True for ``filter="none"``).

    ``majority``: the guided answers vote (:func:`majority_vote` with ``same``); no majority, or fewer
    than ``agreement`` of the guided responses in it, gives no pairs. Chosen: guided responses that
    agree, in order; rejected: unassisted responses with no answer or another answer, in order; they
    are zipped, at most ``limit`` pairs. ``none``: guided i against unassisted i, at most ``limit``.
    """
    if filter == "none":
        n = min(len(guided), len(unguided), limit)
        return [(i, i) for i in range(n)], True
    vote = majority_vote(guided, same)
    if vote.label is None or sum(vote.agrees) < agreement * len(guided):
        return [], False
    chosen = [i for i, a in enumerate(vote.agrees) if a]
    rejected = [j for j, a in enumerate(unguided) if a is None or not a.strip() or not same(a, vote.label)]
    return list(zip(chosen, rejected))[:limit], True


# -- log-probs for Hint-δ -------------------------------------------------------------------------

def response_logprobs(model: Any, prompts: list[list[int]], completions: list[list[int]], pad_id: int, *,
                      micro_batch_size: int = 32, amp: Any = None) -> list[list[float]]:
    """Log-probs of each completion's tokens under ``model`` after its prompt (no grad), micro-batched;
    the learner's forward pass (:func:`zeroplay.training.loss.completion_logprobs`)."""
    import contextlib

    import torch

    from zeroplay.training.loss import completion_logprobs, pack

    out: list[list[float]] = []
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for i in range(0, len(prompts), micro_batch_size):
            p, c = prompts[i:i + micro_batch_size], completions[i:i + micro_batch_size]
            batch = pack(p, c, pad_id).to(device)
            cast = torch.autocast(device_type=device.type, dtype=amp) if amp is not None else contextlib.nullcontext()
            with torch.no_grad(), cast:
                lp, _ = completion_logprobs(model, batch)
            out += [lp[j, :len(x)].float().tolist() for j, x in enumerate(c)]
    finally:
        model.train(was_training)
    return out


# -- the scripted proposer ------------------------------------------------------------------------

class ScriptedHintProposer:
    """A proposer for CPU tests (a tiny model does not write parsable proposals): each proposal is a
    fresh problem of ``env`` (drawn from its own seeded RNG) with a hint, in the loop's format. With
    ``reveal`` the hint states the answer (the most informative hint there is), else it only restates
    the format. ``template`` wraps the text as the run's template expects (``plain``: as is)."""

    def __init__(self, seed: int = 0, env: str = "zeroplay/MathArithmetic-v0", difficulty: int | None = None,
                 reveal: bool = True, template: str = "plain"):
        import zeroplay as zp
        from zeroplay.training.templates import get_template

        self.env = zp.make(env, **({"difficulty": difficulty} if difficulty is not None else {}))
        self.reveal, self.template = reveal, get_template(template)
        self.rng = np.random.default_rng(seed)

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: list[str], infos: list[dict[str, Any]] | None = None) -> list[str]:
        out = []
        for _ in observations:
            self.env.reset(seed=int(self.rng.integers(1 << 31)))
            task = self.env.task
            hint = f"The answer is {task.reference}." if self.reveal else "Give the final answer in \\boxed{}."
            out.append(self.template.format(f"<question>{task.prompt}</question> <hint>{hint}</hint>"))
        return out


# -- the loop -------------------------------------------------------------------------------------

class GZeroLoop(ShardedLoop):
    config_class = GZeroConfig
    roles = ("proposer", "generator")
    """What ``policies:`` may assign; the generator trains with DPO, the proposer with GRPO (or is scripted)."""

    @classmethod
    def check_config(cls, cfg: Any) -> None:
        """The objectives and scripting the roles need (:func:`_check_objectives`), at validation, so
        ``--dry-run`` refuses them too."""
        _check_objectives(cfg)

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        import zeroplay as zp
        from zeroplay import verifiers

        super().__init__(cfg, sampler, policy)
        self.gc: GZeroConfig = cfg.loop_config
        _check_objectives(cfg)
        self.env = zp.make(self.gc.env, **self.gc.env_kwargs)
        self.proposer_reward = lookup(REWARDS, self.gc.proposer_reward)
        self.verifier = verifiers.make("math")
        self.gen_cfg = cfg.for_policy(cfg.policy_of("generator")) if cfg.policies else cfg

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        import zeroplay as zp

        gc: GZeroConfig = cfg.loop_config
        env = zp.make(gc.env, **gc.env_kwargs)
        problems = [env.reset(seed=s)[1]["task"] for s in range(4)]
        lines = [proposer_prompt([t.prompt for t in problems[:3]])]
        lines += [generator_prompt(t.prompt, f"The answer is {t.reference}.") for t in problems]
        lines += [f"<question>{t.prompt}</question> <hint>The answer is {t.reference}.</hint>" for t in problems]
        return lines

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("proposer", ["g_zero/valid_rate", "g_zero/hint_delta"]),
                ("generator", ["g_zero/pairs", "g_zero/pseudo_label_rate", "eval/accuracy"]),
                ("reward", ["reward/mean"])]

    # -- one step -----------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        gc = self.gc
        prompts = list(shard_range(gc.prompts_per_step, shard, shards))
        if not prompts:
            return ShardResult([], {})
        # 1. propose
        observations = [self._proposer_observation(step, i) for i in prompts for _ in range(gc.proposer_group)]
        proposals = sampler_for(self.sampler, "proposer").generate(observations)
        parsed = [parse_proposal(action, max_question_chars=gc.max_question_chars, max_hint_chars=gc.max_hint_chars)
                  if ok else (None, "malformed") for _, action, ok in proposals]
        valid = [k for k, (p, _) in enumerate(parsed) if p is not None]
        # 2. generate: every valid query n times without its hint, then n times with it
        n = gc.generator_samples
        gen_obs = [generator_prompt(parsed[k][0].question) for k in valid for _ in range(n)]
        gen_obs += [generator_prompt(parsed[k][0].question, parsed[k][0].hint) for k in valid for _ in range(n)]
        responses = sampler_for(self.sampler, "generator").generate(gen_obs)
        half = len(valid) * n
        unguided = [responses[v * n:(v + 1) * n] for v in range(len(valid))]
        guided = [responses[half + v * n:half + (v + 1) * n] for v in range(len(valid))]
        # 3. Hint-δ, the proposer's reward
        t0 = time.perf_counter()
        deltas = self._hint_deltas(unguided, guided)
        self.sampler.timer.add("hint_delta", time.perf_counter() - t0, 2 * half)
        rewards = [self.cfg.rewards.proposer_invalid] * len(proposals)
        for v, k in enumerate(valid):
            rewards[k] = deltas[v]
        queries = [f"{step}-{prompts[k // gc.proposer_group]}-{k}" for k in range(len(proposals))]
        samples = []
        for k, ((gen, _, ok), (p, why)) in enumerate(zip(proposals, parsed)):
            i = prompts[k // gc.proposer_group]
            s = to_sample(gen, reward=rewards[k], role="proposer", env="propose", task_type="propose",
                          group=f"{step}-propose-{i}", episode=f"{step}-p{k}", well_formed=ok and p is not None)
            s.meta.update(parse=why, **({"question": p.question, "hint": p.hint, "query": queries[k]} if p else {}))
            samples.append(s)
        # 4. preference pairs, filtered for pseudo-label noise
        t0 = time.perf_counter()
        stats: dict[str, list[Any]] = {"valid": [p is not None for p, _ in parsed], "hint_delta": list(deltas),
                                       "labelled": [], "pairs": [], "guided_answered": [], "unguided_answered": []}
        for v, k in enumerate(valid):
            samples += self._pair_samples(step, queries[k], unguided[v], guided[v], stats)
        self.sampler.timer.add("verify", time.perf_counter() - t0, 2 * half)
        return ShardResult(samples, stats)

    def _proposer_observation(self, step: int, i: int) -> str:
        shown = [self.env.reset(seed=seed_for(self.cfg.seed, step, 7, i, e))[1]["task"].prompt
                 for e in range(self.gc.examples)]
        return proposer_prompt(shown)

    def _hint_deltas(self, unguided: list[list[Any]], guided: list[list[Any]]) -> list[float]:
        """Hint-δ of each query: its unassisted responses scored under the prompt without and with the hint."""
        from zeroplay.training.learner import autocast_dtype

        gen = sampler_for(self.sampler, "generator")
        model, pad = gen.policy.model, gen.policy._pad_id
        prompts_without, prompts_with, completions = [], [], []
        for u, g in zip(unguided, guided):
            hinted = list(g[0][0].prompt_ids)  # every guided response of a query saw the same prompt
            for gen_, _, _ in u:
                prompts_without.append(list(gen_.prompt_ids))
                prompts_with.append(hinted)
                completions.append(list(gen_.completion_ids))
        if not completions:
            return []
        mb = self.gen_cfg.optim.micro_batch_size
        amp = autocast_dtype(next(model.parameters()).device, self.gen_cfg.model.dtype)
        without = response_logprobs(model, prompts_without, completions, pad, micro_batch_size=mb, amp=amp)
        with_hint = response_logprobs(model, prompts_with, completions, pad, micro_batch_size=mb, amp=amp)
        n = self.gc.generator_samples
        return [float(self.proposer_reward(without[v * n:(v + 1) * n], with_hint[v * n:(v + 1) * n], self.cfg.rewards))
                for v in range(len(unguided))]

    def _answer(self, action: str, ok: bool) -> str | None:
        """The answer a response gives (the math verifier's extraction), or None."""
        from zeroplay.verifiers.math.extract import extract_answer

        if not ok:
            return None
        o = self.verifier.options
        found = extract_answer(action, fallback=o.fallback, short_chars=o.short_chars)
        return found.text if found is not None and found.text.strip() else None

    def _pair_samples(self, step: int, query: str, unguided: list[Any], guided: list[Any],
                      stats: dict[str, list[Any]]) -> list[Sample]:
        """The generator's samples of one query; the pairs carry ``meta["pair"]`` and ``meta["preferred"]``."""
        gc = self.gc
        u_answers = [self._answer(a, ok) for _, a, ok in unguided]
        g_answers = [self._answer(a, ok) for _, a, ok in guided]
        pairs, labelled = preference_pairs(g_answers, u_answers, answers_match(self.verifier), filter=gc.filter,
                                           agreement=gc.agreement, limit=gc.pairs_per_query)
        stats["labelled"].append(labelled)
        stats["pairs"].append(len(pairs))
        stats["guided_answered"] += [a is not None for a in g_answers]
        stats["unguided_answered"] += [a is not None for a in u_answers]
        unhinted = list(unguided[0][0].prompt_ids)
        out_u = [to_sample(gen, role="generator", env="generate", task_type="generate", group=f"q{query}",
                           episode=f"q{query}", well_formed=ok) for gen, _, ok in unguided]
        out_g = [to_sample(gen, role="generator", env="generate", task_type="generate", group=f"q{query}",
                           episode=f"q{query}", well_formed=ok) for gen, _, ok in guided]
        for s, a in zip(out_u, u_answers):
            s.meta.update(query=query, hinted=False, answer=a)
        for s, a in zip(out_g, g_answers):
            s.meta.update(query=query, hinted=True, answer=a)
        for k, (gi, ui) in enumerate(pairs):
            chosen, rejected = out_g[gi], out_u[ui]
            # the chosen response is trained after the prompt WITHOUT the hint: what DPO internalizes
            chosen.meta.update(pair=f"{query}-{k}", preferred=True, hinted_prompt_ids=chosen.prompt_ids)
            chosen.prompt_ids, chosen.logprobs = list(unhinted), []
            rejected.meta.update(pair=f"{query}-{k}", preferred=False)
        return out_u + out_g

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        metrics = {"g_zero/valid_rate": mean("valid"), "g_zero/hint_delta": mean("hint_delta"),
                   "g_zero/pseudo_label_rate": mean("labelled"), "g_zero/pairs": float(sum(stats.get("pairs", []))),
                   "g_zero/guided_answered": mean("guided_answered"),
                   "g_zero/unguided_answered": mean("unguided_answered"),
                   **reward_by_env_role([s for s in samples if s.role == "proposer"], "g_zero")}
        return samples, metrics

    # -- evaluation: the generator on fixed problems, without hints -----------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        from zeroplay.training.rlvr import verdict_of

        seeds = [seed_for(self.cfg.seed, 424242, i) for i in range(self.cfg.eval.samples)]
        m = self.cfg.eval.samples_per_task
        prompts = [self.env.reset(seed=s)[0] for s in seeds for _ in range(m)]
        outs = sampler_for(self.sampler, "generator").generate(prompts)
        verdicts = [verdict_of(self.env, seeds[j // m], action)[1] for j, (_, action, _) in enumerate(outs)]
        return {"eval/accuracy": float(np.mean([bool(v.correct) for v in verdicts])),
                "eval/well_formed": float(np.mean([ok for _, _, ok in outs]))}

    # -- warm-up data: the formats, from the env's problems --------------------------------------
    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` supervised (prompt, completion) pairs: a quarter proposer prompts answered with a seed
        problem and a hint that states its answer (the tag format), the rest generator prompts (half
        without a hint, half with one) answered ``\\boxed{answer}`` (the answer format). The warm-up
        trains every policy on all of them (pairs carry no role)."""
        from zeroplay.training.templates import get_template

        rng = np.random.default_rng(seed)
        template = get_template(self.cfg.template)
        pairs = []
        for j in range(n):
            task = self.env.reset(seed=int(rng.integers(1 << 31)))[1]["task"]
            hint = f"The answer is {task.reference}."
            if j % 4 == 0:
                shown = [self.env.reset(seed=int(rng.integers(1 << 31)))[1]["task"].prompt
                         for _ in range(self.gc.examples)]
                pairs.append((proposer_prompt(shown),
                              template.format(f"<question>{task.prompt}</question> <hint>{hint}</hint>")))
            else:
                obs = generator_prompt(task.prompt, hint if j % 2 else None)
                pairs.append((obs, template.format(f"\\boxed{{{task.reference}}}")))
        return pairs


def _objective(cfg: Any, role: str) -> str:
    return (cfg.for_policy(cfg.policy_of(role)) if cfg.policies else cfg).loss.objective


def _check_objectives(cfg: Any) -> None:
    """The generator learns with DPO and cannot be scripted (Hint-δ needs its model); a proposer policy
    learns by policy gradient."""
    if "generator" in cfg.scripted:
        raise ConfigError("g_zero: the generator cannot be scripted (Hint-δ is computed with its model and it "
                          "trains with DPO); script the proposer instead, or neither")
    if _objective(cfg, "generator") != "dpo":
        where = f"policies.{cfg.policy_of('generator')}.loss" if cfg.policies else "loss"
        raise ConfigError(f"g_zero: the generator learns from preference pairs: set {where}.objective: dpo")
    if "proposer" not in cfg.scripted and _objective(cfg, "proposer") != "pg":
        raise ConfigError("g_zero: the proposer learns by GRPO (loss.objective: pg) and the generator by DPO: give "
                          "each its own policy (policies: {proposer: {roles: [proposer]}, generator: {roles: "
                          "[generator], loss: {objective: dpo}}}), or script the proposer")

