"""STP: a conjecturer proposes Coq statements the current prover can barely prove; the prover learns
by expert iteration on its checked proofs (Dong & Ma 2025, arXiv:2502.00212, in Coq instead of Lean).

Each step has two roles (one shared policy by default, one each with ``policies:``, or a role
played by an agent with ``scripted:``):

1. conjecture: ``conjectures_per_step`` prompts, each showing a theorem of the pool (the seed
   theorems, then every conjecture proved so far) with its proof; each completion is a conjecture,
   validated by the conjecture env (:class:`~zeroplay.envs.proof.env.CoqConjectureEnv`: parses,
   is new, type-checks as a ``Prop`` in the sandbox, and does not follow from the pool's theorems
   by first-order logic and rewriting alone: ``True -> S`` or ``S /\\ True`` of a hard theorem is not a
   new one).
2. prove: every valid conjecture, plus ``prove_tasks_per_step`` theorems drawn from the pool, gets
   ``prover_samples`` proof attempts, checked by the ``coq`` verifier (coqc in the sandbox; no
   axioms, no admitted steps; see :mod:`zeroplay.verifiers.proof`).
3. rewards: the prover's ``stp.prover_reward`` (default ``binary``: 1 for a checked proof, else 0);
   the conjecturer's ``stp.conjecturer_reward`` from its conjecture's solve rate over the
   ``prover_samples`` attempts (default ``barely_provable``, STP's selection: 1 when the rate is
   above 0 and at most 1/4, else 0; -1 for an invalid conjecture; :func:`middle_solve_rate` peaks
   at 1/2 instead).
4. the pool grows: a conjecture with a checked proof joins it, with that proof (saved in checkpoints).

Expert iteration: with ``advantage.estimator: expert_iteration`` (:class:`ExpertIteration`) a
sample's advantage is its reward when positive, else 0, and ``advantage.drop_zero: true`` drops
the rest: the prover is trained on its checked proofs only (its failed attempts carry no gradient)
and the conjecturer on its barely-provable conjectures only, a policy-gradient step on the selected
samples, the on-policy counterpart of STP's fine-tuning on them.

Not built: STP's re-weighting of conjectures by proof length; de-duplication beyond renaming
and first-order consequence (a rewrite that needs arithmetic or induction reads as new); rollout
shards and Ray actors (a step is one piece: the pool grows within it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zeroplay.training.advantages import AdvantageEstimator
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rewards import reward_kind
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, to_sample)

#: STP's "barely provable": a solve rate above 0 and at most this.
BARELY_PROVABLE_MAX = 0.25


class StpConfig(BaseModel):
    """The ``stp:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    conjectures_per_step: int = Field(4, ge=1)
    """Conjecturer prompts (conjectures written) per step."""
    prover_samples: int = Field(4, ge=1)
    """Proof attempts per statement; also the n of a conjecture's solve rate."""
    prove_tasks_per_step: int = Field(2, ge=0)
    """Theorems drawn from the pool (seeds and proved conjectures) the prover also attempts each step."""
    conjecturer_reward: str = "barely_provable"
    """A registered proposer reward, ``(valid, solve_rate, shaping) -> float``: ``barely_provable`` (STP),
    ``middle_solve_rate``, ``learnability``."""
    prover_reward: str = "binary"
    """A registered solver reward: ``binary`` (1 checked proof, else 0: expert iteration), ``correctness``."""
    timeout_s: float = Field(10.0, gt=0)
    """Wall-time limit of one coqc run (a proof that loops stops here, as a failed attempt)."""
    memory_mb: int = Field(1024, ge=256)
    """Memory limit of one coqc run."""

    _conjecturer = field_validator("conjecturer_reward")(reward_field("proposer"))
    _prover = field_validator("prover_reward")(reward_field("solver"))


# -- rewards and the estimator -----------------------------------------------------------------------
@reward_kind("proposer")
def barely_provable(valid: bool, solve_rate: float | None, shaping: Any) -> float:
    """STP's conjecturer signal: 1 when the prover's solve rate is above 0 and at most 1/4 (the
    conjecture is barely provable), 0 when never or more often proved, ``shaping.proposer_invalid``
    (-1) for an invalid conjecture."""
    if not valid or solve_rate is None:
        return float(shaping.proposer_invalid)
    return 1.0 if 0.0 < solve_rate <= BARELY_PROVABLE_MAX else 0.0


@reward_kind("proposer")
def middle_solve_rate(valid: bool, solve_rate: float | None, shaping: Any) -> float:
    """A conjecturer reward peaking at a solve rate of 1/2: ``1 - |2 r - 1|`` (0 when never or
    always proved), ``shaping.proposer_invalid`` (-1) for an invalid conjecture."""
    if not valid or solve_rate is None:
        return float(shaping.proposer_invalid)
    return 1.0 - abs(2.0 * float(solve_rate) - 1.0)


class ExpertIteration(AdvantageEstimator):
    """Expert iteration as advantages: a sample's reward when positive, else 0 (with
    ``advantage.drop_zero`` those samples are dropped): only checked proofs and selected
    conjectures are learned from, each with its reward as weight."""

    def __call__(self, samples: Sequence[Any]) -> Any:
        import torch

        return torch.tensor([max(float(s.reward), 0.0) for s in samples], dtype=torch.float32)


# -- the loop ----------------------------------------------------------------------------------------
class StpLoop(ShardedLoop):
    config_class = StpConfig
    one_piece = "the theorem pool grows within it"
    roles = ("conjecturer", "prover")
    """What ``policies:`` and ``scripted:`` may assign (one shared policy plays both by default)."""

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.proof.env import CoqConjectureEnv, builtin_seeds
        from zeroplay.verifiers.proof import CoqVerifier

        super().__init__(cfg, sampler, policy)
        self.sc: StpConfig = cfg.loop_config
        self.prover_reward = lookup(REWARDS, self.sc.prover_reward)
        self.conjecturer_reward = lookup(REWARDS, self.sc.conjecturer_reward)
        self.verifier = CoqVerifier(timeout_s=self.sc.timeout_s, memory_mb=self.sc.memory_mb)
        self.seeds = list(builtin_seeds())
        self.proved: list[dict[str, str]] = []  # proved conjectures, with a checked proof: the checkpointed truth
        self.conjectures = CoqConjectureEnv(self.seeds)
        self.conjectures.verifier = self.verifier  # one sandbox for statements and proofs

    @property
    def pool(self) -> list[Any]:
        from zeroplay.envs.proof.env import Theorem

        return self.seeds + [Theorem(**d) for d in self.proved]

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        from zeroplay.envs.proof.env import builtin_seeds, conjecturer_prompt, prover_prompt
        from zeroplay.envs.proof.scripted import PROOF_SCRIPTS

        seeds = builtin_seeds()
        return ([conjecturer_prompt(seeds[0]), prover_prompt(seeds[0].statement)] + [s.proof for s in seeds]
                + list(PROOF_SCRIPTS))

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("conjecturer", ["stp/conjecture/valid_rate", "stp/conjecture/selected_rate"]),
                ("prover", ["stp/prove/accuracy", "eval/accuracy"]), ("pool", ["stp/pool_size"]),
                ("reward", ["reward/mean"])]

    # -- one step -------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        rng = np.random.default_rng(seed_for(self.seed, step, 1))
        pool = self.pool
        # 1. conjecture
        prompts = []
        for i in range(self.sc.conjectures_per_step):
            seed_theorem = pool[int(rng.integers(len(pool)))]
            prompts.append(self.conjectures.reset(seed=seed_for(self.seed, step, 2, i),
                                                  options={"seed_theorem": seed_theorem})[0])
        outs = sampler_for(self.sampler, "conjecturer").generate(prompts)
        t0 = time.perf_counter()
        infos = self.conjectures.validate_batch([action for _, action, _ in outs])
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(outs))
        # 2. prove: every valid conjecture, then theorems from the pool
        jobs: list[tuple[Any, int | None]] = [(info["task"], i) for i, info in enumerate(infos) if info.get("task")]
        for _ in range(self.sc.prove_tasks_per_step):
            jobs.append((pool[int(rng.integers(len(pool)))].to_task(), None))
        n = self.sc.prover_samples
        attempts = sampler_for(self.sampler, "prover").generate([t.prompt for t, _ in jobs for _ in range(n)])
        t0 = time.perf_counter()
        verdicts = self.verifier.verify_batch([a for _, a, _ in attempts],
                                              [t.reference for t, _ in jobs for _ in range(n)])
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(attempts))
        # 3. rewards
        prove_samples, rates, proved, correct_seed, correct_conj = [], {}, [], [], []
        for j, (task, ci) in enumerate(jobs):
            mine = list(zip(attempts[j * n:(j + 1) * n], verdicts[j * n:(j + 1) * n]))
            kind = "conjecture" if ci is not None else "pool"
            for (gen, _, ok), v in mine:
                prove_samples.append(to_sample(gen, reward=self.prover_reward(v.correct, ok, self.cfg.rewards),
                                               role="prover", env="prove", task_type=kind, group=f"{step}-prove-{j}",
                                               episode=f"{step}-p{j}", well_formed=ok))
                prove_samples[-1].meta["reason"] = v.reason[:120]
            correct = [v.correct for _, v in mine]
            (correct_conj if ci is not None else correct_seed).extend(correct)
            if ci is not None:
                rates[ci] = float(np.mean(correct))
                if any(correct):
                    proof = next(v.extracted for _, v in mine if v.correct)
                    proved.append({"id": f"conj-{step}-{ci}", "statement": task.reference["statement"],
                                   "proof": proof or "", "topic": "conjecture"})
        conj_samples = []
        for i, ((gen, _, ok), info) in enumerate(zip(outs, infos)):
            valid = info.get("task") is not None
            reward = self.conjecturer_reward(valid, rates.get(i), self.cfg.rewards)
            s = to_sample(gen, reward=reward, role="conjecturer", env="conjecture", task_type="conjecture",
                          group=f"{step}-conjecture", episode=f"{step}-c{i}", well_formed=ok)
            s.meta["stage"] = info.get("stage") or "valid"
            conj_samples.append(s)
        stats = {"valid": [i.get("task") is not None for i in infos],
                 "stage": [i.get("stage") or "valid" for i in infos], "solve_rate": list(rates.values()),
                 "selected": [s.reward > 0 for s in conj_samples if s.meta["stage"] == "valid"],
                 "correct": correct_seed + correct_conj, "correct_pool": correct_seed,
                 "correct_conjecture": correct_conj}
        return ShardResult(conj_samples + prove_samples, stats, state={"proved": proved})

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        for r in results:
            self.proved += r.state.get("proved", [])
            self.conjectures.add_theorems([d["statement"] for d in r.state.get("proved", [])])
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        metrics = {"stp/conjecture/valid_rate": mean("valid"), "stp/conjecture/selected_rate": mean("selected"),
                   "stp/conjecture/solve_rate": mean("solve_rate"), "stp/prove/accuracy": mean("correct"),
                   "stp/prove/pool_accuracy": mean("correct_pool"),
                   "stp/prove/conjecture_accuracy": mean("correct_conjecture"),
                   "stp/pool_size": float(len(self.seeds) + len(self.proved)),
                   "stp/proved_conjectures": float(len(self.proved)), **reward_by_env_role(samples, "stp")}
        for stage in stats.get("stage", []):
            if stage != "valid":
                metrics[f"stp/conjecture/rejected/{stage}"] = metrics.get(f"stp/conjecture/rejected/{stage}", 0.0) + 1.0
        return samples, metrics

    # -- evaluation: the prover's pass@1 on the seed theorems ----------------------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        rng = np.random.default_rng(seed_for(self.seed, 31337))
        tasks = [self.seeds[int(rng.integers(len(self.seeds)))].to_task() for _ in range(self.cfg.eval.samples)]
        outs = sampler_for(self.sampler, "prover").generate([t.prompt for t in tasks])
        verdicts = self.verifier.verify_batch([a for _, a, _ in outs], [t.reference for t in tasks])
        return {"eval/accuracy": float(np.mean([v.correct for v in verdicts])),
                "eval/pool_size": float(len(self.seeds) + len(self.proved))}

    # -- warm-up: the formats, from the seeds ------------------------------------------------------
    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` supervised pairs: prover prompts of the seed theorems answered with their checked
        proofs, and conjecturer prompts answered with a statement related to the seed
        (:data:`~zeroplay.envs.proof.scripted.RELATED`: the format of a conjecture; whether it pays
        is left to RL; a flipped or extended seed would teach conjectures the env refuses as derivative)."""
        from zeroplay.envs.proof.env import conjecturer_prompt, prover_prompt
        from zeroplay.envs.proof.scripted import ScriptedConjecturer

        rng = np.random.default_rng(seed)
        writer = ScriptedConjecturer(seed)
        writer.VARIANTS = ("related",)
        pairs = []
        for i in range(n):
            th = self.seeds[int(rng.integers(len(self.seeds)))]
            if i % 2 == 0:
                pairs.append((prover_prompt(th.statement), f"```coq\nProof.\n{th.proof}\nQed.\n```"))
            else:
                prompt = conjecturer_prompt(th)
                pairs.append((prompt, writer.write(prompt)))
        return pairs

    # -- checkpoint state: the proved conjectures --------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"proved": [dict(d) for d in self.proved]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.proved = [dict(d) for d in state.get("proved", [])]
        self.conjectures.add_theorems([d["statement"] for d in self.proved])
