"""DeepSeekMath-V2 (DeepSeek-AI 2025, "Towards Self-Verifiable Mathematical Reasoning", arXiv:2511.22570):
a proof generator and a proof verifier. The verifier learns to grade proofs; the generator is rewarded by
the verifier and for grading its own proof as the verifier does (self-verification); scaled verification
(several verifier samples per proof) labels the generator's new proofs, which train the verifier further.

The proofs are the checkable family of :mod:`zeroplay.envs.math.proofs` (algebraic identities and
arithmetic claims proved by justified chains of equalities), so a program gives every proof's true
grade: it labels the verifier's seed data (the paper's human-graded proofs) and measures the verifier
(``verifier/accuracy_vs_checker``), and is never the generator's reward.

Each step (one piece):

1. generate: ``problems_per_step`` claims, ``generator_samples`` completions each: a proof in
   ``<proof>...</proof>``, then a self-evaluation ending with the generator's own grade in ``\\boxed{}``
   (:func:`parse_generation`);
2. verify: every readable proof, and ``labelled_per_step`` checker-labelled proofs
   (:func:`~zeroplay.envs.math.proofs.labelled_proof`: correct, unjustified and slipped equally often),
   ``verifier_samples`` verifications each: issues, then a grade 0, 0.5 or 1 in ``\\boxed{}``;
3. label (scaled verification, :func:`auto_label`): a generated proof whose lowest readable grade was given
   by at least ``auto_label_votes`` of its verifications is labelled with that grade (all 1: labelled 1);
   otherwise it stays unlabelled;
4. rewards (hand-computed in tests/training/test_deepseekmath_v2.py):

   - verifier (:func:`verifier_reward`): ``R_format * (1 - |s' - s|)``, ``s'`` its grade, ``s`` the label:
     the checker's grade for a labelled proof, the auto label for a generated one (``auto_label: true``;
     verifications of an unlabelled proof are not trained on, ``verifier/unlabelled``);
   - generator (:func:`generator_reward`): ``R_format * (alpha * R_Y + beta * R_Z)`` with ``alpha = 0.76``,
     ``beta = 0.24`` (the paper's), ``R_Y`` the mean of the verifier's readable grades of the proof
     (``verifier_fallback`` when none was readable, counted in ``verifier/fallbacks``) and
     ``R_Z = 1 - |s_self - R_Y|``: how well the generator graded its own proof; ``R_format`` is 1 when the
     completion has both the proof and a readable self-grade, else 0.

   Gameable by design: an auto label is the verifier's agreement with itself, so a verifier that always gives
   the same grade is paid 1 on every generated proof it labels; only the ``labelled_per_step`` checker-labelled
   proofs (the paper's human-graded data; its meta-verifier is not built) pay for being right, so keep them
   above 0 and watch ``autolabel/accuracy_vs_checker``. ``R_Z`` pays the generator for grading itself as the
   verifier does: with one shared policy both roles can settle on 1.

Differences from the paper, by necessity or for size: no meta-verifier (the paper multiplies the
self-evaluation's and the verifier's score terms by a meta-verifier's judgement of the analysis; here that
factor is 1); auto labels from the verifier's own samples only (the paper also meta-verifies the issues
each analysis reports, and sends disagreements to humans); the generator's proof is one pass (no
iterative refinement at test time); proofs are of a small checkable family, not olympiad proofs.

Roles: ``generator`` and ``verifier`` (one shared policy by default, as in the paper's final model;
``policies:`` or ``scripted:`` per role). Not built: rollout shards and Ray actors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

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
from zeroplay.verifiers.judge import quote, unquote

RUBRIC = ("1: every line after the first is a correct equality with a justification in [brackets], the proof starts "
          "from the claim's left side and ends at its right side, both exactly as the claim writes them; "
          "0.5: all of that, except that some step has no justification; "
          "0: some step is not a correct equality, the proof does not start or end as required, or it cannot be read.")


class DeepSeekMathV2Config(BaseModel):
    """The ``deepseekmath_v2:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    claim_kinds: list[str] = ["product", "square", "difference", "arithmetic"]
    """The claim templates drawn from (zeroplay.envs.math.proofs.KINDS)."""
    problems_per_step: int = Field(4, ge=1)
    """Claims the generator proves per step."""
    generator_samples: int = Field(2, ge=1)
    """Proofs per claim (the generator's group)."""
    labelled_per_step: int = Field(4, ge=0)
    """Checker-labelled proofs the verifier grades per step (the paper's human-graded seed data)."""
    verifier_samples: int = Field(2, ge=1)
    """Verifications per proof (the verifier's group; scaled verification's n)."""
    auto_label: bool = True
    """Train the verifier on the generator's proofs that scaled verification labelled (else on labelled proofs only)."""
    auto_label_votes: int = Field(2, ge=1)
    """Verifications that must give a proof's lowest grade for it to become the proof's label (the paper's k)."""
    alpha: float = Field(0.76, ge=0)
    """Weight of the verifier's grade of the proof in the generator's reward."""
    beta: float = Field(0.24, ge=0)
    """Weight of the self-evaluation's agreement with that grade in the generator's reward."""
    verifier_fallback: float = Field(0.0, ge=0, le=1)
    """``R_Y`` of a proof none of whose verifications had a readable grade (counted in ``verifier/fallbacks``).
    Above 0, a proof that leaves its verifiers without a grade (one that derails them, or hands a parroting one
    a defused box) earns more than an honest proof graded 0: 0.62 at 0.5 with a self-grade of 0.5."""
    max_proof_chars: int = Field(4000, ge=100)
    """A proof is cut to its first this many characters in the verifier's prompt."""

    @field_validator("claim_kinds")
    @classmethod
    def _known_kinds(cls, v: list[str]) -> list[str]:
        from zeroplay.envs.math.proofs import KINDS

        bad = [k for k in v if k not in KINDS]
        if bad or not v:
            raise ValueError(f"claim_kinds: give some of {', '.join(KINDS)}, got {v}")
        return v


# -- parsing and rewards (pure functions: tests/training/test_deepseekmath_v2.py checks them by hand) --

def parse_generation(text: str) -> tuple[str | None, float | None]:
    """(the proof in the last ``<proof>...</proof>``, the self-grade in the last ``\\boxed{}`` after it);
    None where absent."""
    from zeroplay.core.answers import last_boxed, last_tag
    from zeroplay.envs.math.proofs import read_grade

    if not isinstance(text, str):
        return None, None
    text = text[-65536:]
    proof = last_tag(text, "proof")
    if proof is None or not proof.strip():
        return None, None
    after = text[text.rfind("</proof>") + len("</proof>"):]
    box = last_boxed(after)
    return proof.strip("\n"), read_grade(box) if box is not None else None


def parse_verification(text: str) -> float | None:
    """The grade (0, 0.5 or 1) in the last ``\\boxed{}`` of a verification, or None."""
    from zeroplay.core.answers import last_boxed
    from zeroplay.envs.math.proofs import read_grade

    box = last_boxed(text[-65536:]) if isinstance(text, str) else None
    return read_grade(box) if box is not None else None


def verifier_reward(predicted: float | None, label: float) -> float:
    """``R_format * (1 - |s' - s|)``: 0 without a readable grade."""
    return 0.0 if predicted is None else 1.0 - abs(predicted - label)


def generator_reward(formatted: bool, proof_score: float, self_score: float | None,
                     alpha: float = 0.76, beta: float = 0.24, meta: float = 1.0) -> float:
    """``R_format * (alpha * R_Y + beta * R_Z)``, ``R_Y = proof_score``, ``R_Z = (1 - |self_score - R_Y|) * meta``
    (``meta``: the meta-verifier's score of the self-evaluation, 1 here)."""
    if not formatted or self_score is None:
        return 0.0
    return alpha * proof_score + beta * (1.0 - abs(self_score - proof_score)) * meta


def auto_label(grades: Sequence[float | None], votes: int) -> float | None:
    """Scaled verification's label of one proof: its lowest readable grade when at least ``votes`` of the
    verifications gave it (every one 1: the proof is labelled 1), else None (too uncertain to label)."""
    readable = [g for g in grades if g is not None]
    if not readable:
        return None
    low = min(readable)
    return low if readable.count(low) >= votes else None


def generator_prompt(claim: Any) -> str:
    from zeroplay.envs.math.proofs import PROOF_FORMAT

    return (f"Prove the claim below.\n\nClaim: {claim.text}\n\n{PROOF_FORMAT} Put the proof between <proof> and "
            f"</proof>. Then check your own proof against this rubric:\n{RUBRIC}\nList any issues you find and end "
            "with your grade of your own proof, 0, 0.5 or 1, in \\boxed{}.")


#: The box macros a grade is read from (:func:`~zeroplay.core.answers.last_boxed`), defused in a quoted proof.
_BOX_MACRO = re.compile(r"\\(boxed|fbox)(?![A-Za-z])")


def verifier_prompt(claim: Any, proof: str, max_chars: int = 4000) -> str:
    """The verifier's prompt. The proof is quoted with a fence it cannot close (:func:`judge.quote`) and its
    ``\\boxed`` and ``\\fbox`` defused (every box a grade is read from), so a proof cannot pose as the rubric or
    hand a parroting verifier its grade."""
    body = quote(_BOX_MACRO.sub(r"\\mathrm{\1}", proof[:max_chars]))
    return (f"Grade the proof of the claim below against this rubric:\n{RUBRIC}\n\nClaim: {claim.text}\n\n"
            f"Proof:\n{body}\n\nList the issues you find, then end with the grade, 0, 0.5 or 1, in \\boxed{{}}.")


class DeepSeekMathV2Loop(ShardedLoop):
    config_class = DeepSeekMathV2Config
    one_piece = "the verifier's labelled proofs grow within it"
    roles = ("generator", "verifier")
    """What ``policies:`` and ``scripted:`` may assign (one shared policy plays both by default)."""

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        super().__init__(cfg, sampler, policy)
        self.dc: DeepSeekMathV2Config = cfg.loop_config

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        from zeroplay.envs.math.proofs import labelled_proof

        item = labelled_proof(np.random.default_rng(0))
        return [generator_prompt(item.claim), verifier_prompt(item.claim, item.proof), item.proof]

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("generator", ["generator/verifier_score", "generator/checker_grade", "eval/generator_grade"]),
                ("verifier", ["verifier/accuracy_vs_checker", "eval/verifier_accuracy", "autolabel/rate"]),
                ("reward", ["reward/mean"])]

    def _claims(self, n: int, seed: int) -> list[Any]:
        from zeroplay.envs.math.proofs import random_claim

        kinds = self.dc.claim_kinds
        out = []
        for i in range(n):
            rng = np.random.default_rng(seed_for(seed, i))
            out.append(random_claim(rng, kinds[int(rng.integers(len(kinds)))])[0])
        return out

    # -- one step -----------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        from zeroplay.envs.math.proofs import grade_proof, labelled_proof

        dc = self.dc
        # 1. generate
        claims = self._claims(dc.problems_per_step, seed_for(self.seed, step, 1))
        g = dc.generator_samples
        gens = sampler_for(self.sampler, "generator").generate([generator_prompt(c) for c in claims for _ in range(g)])
        parsed = [parse_generation(gen.text) for gen, _, _ in gens]
        # 2. verify the readable proofs and the labelled ones: (claim, proof, checker grade, generation index or None)
        jobs = [(claims[j // g], proof, grade_proof(claims[j // g], proof).score, j)
                for j, (proof, _) in enumerate(parsed) if proof is not None]
        rng = np.random.default_rng(seed_for(self.seed, step, 2))
        for _ in range(dc.labelled_per_step):
            item = labelled_proof(rng)
            jobs.append((item.claim, item.proof, item.grade, None))
        n = dc.verifier_samples
        outs = sampler_for(self.sampler, "verifier").generate(
            [verifier_prompt(c, p, dc.max_proof_chars) for c, p, _, _ in jobs for _ in range(n)])
        grades = [parse_verification(gen.text) for gen, _, _ in outs]
        # 3. label, 4. rewards
        stats: dict[str, list[Any]] = {k: [] for k in ("readable", "vs_checker", "fallback", "labelled", "label_right",
                                                        "proof_score", "true_grade", "self_right", "formatted")}
        score_of: dict[int, float] = {}
        verifier_samples = []
        for t, (claim, proof, truth, j) in enumerate(jobs):
            mine = grades[t * n:(t + 1) * n]
            stats["readable"] += [s is not None for s in mine]
            stats["vs_checker"] += [s == truth for s in mine if s is not None]
            label = truth if j is None else auto_label(mine, dc.auto_label_votes) if dc.auto_label else None
            if j is not None:
                readable = [s for s in mine if s is not None]
                score_of[j] = float(np.mean(readable)) if readable else dc.verifier_fallback
                stats["fallback"].append(not readable)
                stats["labelled"].append(label is not None)
                if label is not None:
                    stats["label_right"].append(label == truth)
            if label is None:
                continue  # an unlabelled proof: its verifications are not trained on
            kind = "labelled" if j is None else "auto"
            for k, ((gen, _, _), s) in enumerate(zip(outs[t * n:(t + 1) * n], mine)):
                verifier_samples.append(to_sample(gen, reward=verifier_reward(s, label), role="verifier",
                                                  env=f"verify-{kind}", task_type=f"verify-{kind}",
                                                  group=f"{step}-verify-{t}", episode=f"{step}-v{t}-{k}",
                                                  well_formed=s is not None))
        gen_samples = []
        for j, ((gen, _, _), (proof, self_score)) in enumerate(zip(gens, parsed)):
            formatted = proof is not None and self_score is not None
            ry = score_of.get(j, 0.0)
            reward = generator_reward(formatted, ry, self_score, dc.alpha, dc.beta)
            truth = grade_proof(claims[j // g], proof).score if proof is not None else 0.0
            stats["formatted"].append(formatted)
            stats["true_grade"].append(truth)
            if proof is not None:
                stats["proof_score"].append(ry)
            if formatted:
                stats["self_right"].append(self_score == truth)
            gen_samples.append(to_sample(gen, reward=reward, role="generator", env="prove", task_type="prove",
                                         group=f"{step}-prove-{j // g}", episode=f"{step}-g{j}", well_formed=formatted))
        stats["unlabelled"] = [sum(1 for _, _, _, j in jobs if j is not None) - sum(stats["labelled"])]
        return ShardResult(gen_samples + verifier_samples, stats)

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        metrics = {"generator/format_rate": mean("formatted"), "generator/checker_grade": mean("true_grade"),
                   "generator/verifier_score": mean("proof_score"), "generator/self_eval_accuracy": mean("self_right"),
                   "verifier/parse_rate": mean("readable"), "verifier/accuracy_vs_checker": mean("vs_checker"),
                   "verifier/readable": float(len(stats.get("vs_checker", []))),
                   "verifier/fallbacks": float(sum(stats.get("fallback", []))),
                   "verifier/unlabelled": float(sum(stats.get("unlabelled", []))),
                   "autolabel/rate": mean("labelled"), **reward_by_env_role(samples, "dsm")}
        if stats.get("label_right"):
            metrics["autolabel/accuracy_vs_checker"] = mean("label_right")
        return samples, metrics

    # -- evaluation: the verifier on fixed labelled proofs, the generator on fixed claims ---------------
    def evaluate(self, step: int) -> dict[str, float]:
        from zeroplay.envs.math.proofs import grade_proof, labelled_proof

        rng = np.random.default_rng(seed_for(self.seed, 31337))
        items = [labelled_proof(rng) for _ in range(self.cfg.eval.samples)]
        outs = sampler_for(self.sampler, "verifier").generate(
            [verifier_prompt(it.claim, it.proof, self.dc.max_proof_chars) for it in items])
        grades = [parse_verification(gen.text) for gen, _, _ in outs]
        claims = self._claims(max(1, self.cfg.eval.samples // 2), seed_for(self.seed, 31338))
        gens = sampler_for(self.sampler, "generator").generate([generator_prompt(c) for c in claims])
        proofs = [parse_generation(gen.text)[0] for gen, _, _ in gens]
        return {"eval/verifier_accuracy": float(np.mean([s == it.grade for s, it in zip(grades, items)])),
                "eval/verifier_parse_rate": float(np.mean([s is not None for s in grades])),
                "eval/generator_grade": float(np.mean([grade_proof(c, p).score if p is not None else 0.0
                                                       for c, p in zip(claims, proofs)])),
                "eval/generator_format_rate": float(np.mean([p is not None for p in proofs]))}


    # -- warm-up: the formats, from the scripted roles (the paper's cold start) ----------------------------
    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` supervised pairs, half each: a claim answered by :class:`ScriptedProver` (a proof, flawed half
        the time, and its honest self-grade), and a labelled proof graded by :class:`ScriptedProofVerifier`
        (the checker's reason and grade). Teaches the two formats; RL then rewards what the rubric asks."""
        from zeroplay.envs.math.proofs import labelled_proof

        rng = np.random.default_rng(seed)
        prover, verifier = ScriptedProver(seed), ScriptedProofVerifier()
        claims = self._claims((n + 1) // 2, seed_for(seed, 77))
        pairs = []
        for i in range(n):
            if i % 2 == 0:
                prompt = generator_prompt(claims[i // 2])
                pairs.append((prompt, prover.act([prompt])[0]))
            else:
                item = labelled_proof(rng)
                prompt = verifier_prompt(item.claim, item.proof, self.dc.max_proof_chars)
                pairs.append((prompt, verifier.act([prompt])[0]))
        return pairs


# -- scripted roles, for CPU tests where a tiny model writes no proof or grade ------------------------

_CLAIM = re.compile(r"Claim: ([^\n]{1,400})\n")


class ScriptedProver:
    """Proves claims of the checkable family (:func:`zeroplay.envs.math.proofs.prove`), with a flaw (a missing
    justification or a slip, equally often) in a ``flaw_rate`` share of them, and grades its own proof with
    the checker (``honest``) or always 1.
    ``scripted: {generator: "zeroplay.training.selfplay.dsm_v2:ScriptedProver"}``."""

    def __init__(self, seed: int = 0, flaw_rate: float = 0.5, honest: bool = True):
        self.rng, self.flaw_rate, self.honest = np.random.default_rng(seed), flaw_rate, honest

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        from zeroplay.envs.math.proofs import Claim, ProofError, flawed_proof, grade_proof, prove, render_proof

        out = []
        for obs in observations:
            m = _CLAIM.search(obs)
            try:
                claim = Claim.parse(m.group(1)) if m else None
            except ProofError:
                claim = None
            steps = prove(claim) if claim is not None else None
            if steps is None:
                out.append("I cannot prove this.")
                continue
            if self.rng.random() < self.flaw_rate:
                steps = flawed_proof(steps, ("unjustified", "slip")[int(self.rng.integers(2))], self.rng)
            proof = render_proof(steps)
            mine = grade_proof(claim, proof).score if self.honest else 1.0
            out.append(f"<proof>\n{proof}\n</proof>\nSelf-evaluation: I checked each step. \\boxed{{{mine:g}}}")
        return out


class ScriptedProofVerifier:
    """Grades proofs with the step-checker (the true grade), or always ``always`` when given."""

    def __init__(self, always: float | None = None):
        self.always = always

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        from zeroplay.envs.math.proofs import grade_proof

        out = []
        for obs in observations:
            claim, proof = _CLAIM.search(obs), unquote(obs, "Proof")
            if self.always is not None:
                grade, why = self.always, "fixed grade"
            elif claim is None or proof is None:
                grade, why = 0.0, "no claim or proof to grade"
            else:
                g = grade_proof(claim.group(1), proof)
                grade, why = g.score, g.reason
            out.append(f"Issues: {why}. \\boxed{{{grade:g}}}")
        return out
