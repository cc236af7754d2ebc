"""The STP loop: hand-computed conjecturer rewards, the expert-iteration estimator, and whole steps
with a scripted conjecturer and a scripted prover whose proofs coqc really checks."""

from __future__ import annotations

import pytest

from zeroplay.envs.proof.env import CoqConjectureEnv, builtin_seeds
from zeroplay.envs.proof.scripted import PROOF_SCRIPTS, ScriptedConjecturer, ScriptedProver
from zeroplay.training.config import config_from_dict
from zeroplay.training.policies import RoleSamplers, ScriptedSampler, is_scripted
from zeroplay.training.rewards import RewardShaping
from zeroplay.training.rollout import Sample
from zeroplay.training.selfplay.stp import ExpertIteration, StpLoop, barely_provable, middle_solve_rate
from zeroplay.training.templates import get_template
from zeroplay.verifiers.proof import coq_available

needs_coq = pytest.mark.skipif(not coq_available(),
                               reason="coqc is not installed (apt-get install coq; setup.sh --languages)")
SHAPING = RewardShaping()


@pytest.mark.parametrize("rate, expected", [(None, -1.0), (0.0, 0.0), (0.125, 1.0), (0.25, 1.0), (0.5, 0.0),
                                            (0.75, 0.0), (1.0, 0.0)])
def test_barely_provable_by_hand(rate, expected):
    """STP: only conjectures proved at a rate in (0, 1/4] are selected; -1 when invalid."""
    assert barely_provable(rate is not None, rate, SHAPING) == expected


@pytest.mark.parametrize("rate, expected", [(None, -1.0), (0.0, 0.0), (0.25, 0.5), (0.5, 1.0), (0.75, 0.5),
                                            (1.0, 0.0)])
def test_middle_solve_rate_by_hand(rate, expected):
    """1 - |2r - 1|: peaks at 1/2, 0 when never or always proved."""
    assert middle_solve_rate(rate is not None, rate, SHAPING) == pytest.approx(expected)


def test_invalid_penalty_comes_from_the_shaping():
    assert barely_provable(False, None, RewardShaping(proposer_invalid=-0.5)) == -0.5


def test_expert_iteration_keeps_only_positive_rewards():
    samples = [Sample([], [], [], reward=r) for r in (1.0, 0.0, -1.0, 0.5)]
    assert ExpertIteration()(samples).tolist() == [1.0, 0.0, 0.0, 0.5]


def test_scripted_agents_follow_the_formats():
    seed = builtin_seeds()[0]
    env = CoqConjectureEnv()
    prompt, _ = env.reset(seed=0, options={"seed_theorem": seed})
    writer = ScriptedConjecturer(0)
    texts = [writer.write(prompt) for _ in range(40)]
    assert any(f"Theorem conjecture : {seed.statement}." in t for t in texts)  # a copy: a duplicate
    assert any(t.startswith("A nice conjecture") for t in texts)  # prose: unparsable
    prover = ScriptedProver(3)
    out = prover.act(["p"] * 5, [{}] * 5)
    assert all(o.startswith("```coq\nProof.\n") and o.endswith("\nQed.\n```") for o in out)
    prover.reseed(3)
    assert prover.act(["p"] * 5, [{}] * 5) == out


def _loop(seed=0, **stp):
    cfg = config_from_dict({"loop": "stp", "seed": seed, "eval": {"samples": 4},
                            "stp": {"conjectures_per_step": 6, "prover_samples": 4, "prove_tasks_per_step": 1,
                                    "timeout_s": 8.0, **stp}})
    template = get_template("plain")
    conjecturer = ScriptedSampler(ScriptedConjecturer(1), template, "conjecturer")
    prover = ScriptedSampler(ScriptedProver(2), template, "prover")
    sampler = RoleSamplers({"c": conjecturer}, {"conjecturer": "c"}, scripted={"prover": prover})
    return StpLoop(cfg, sampler, None)


@needs_coq
def test_a_step_rewards_conjectures_from_checked_proofs_and_grows_the_pool():
    loop = _loop(seed=3)  # the scripted prover proves two of its conjectures
    samples, metrics = loop.collect(0)
    conj = [s for s in samples if s.role == "conjecturer"]
    proofs = [s for s in samples if s.role == "prover"]
    assert len(conj) == 6 and all(is_scripted(s) for s in samples)
    valid = [s for s in conj if s.meta["stage"] == "valid"]
    assert valid and len(valid) < 6  # the scripted writer makes some invalid ones
    assert all(s.reward == -1.0 for s in conj if s.meta["stage"] != "valid")
    # every valid conjecture got 4 attempts (in order), then one pool theorem did
    assert len(proofs) == 4 * (len(valid) + 1)
    for k, s in enumerate(valid):
        attempts = proofs[4 * k:4 * (k + 1)]
        assert {p.task_type for p in attempts} == {"conjecture"}
        rate = sum(p.reward for p in attempts) / 4  # binary: 1 per checked proof
        assert s.reward == barely_provable(True, rate, SHAPING), (s.text, [p.meta["reason"] for p in attempts])
    proved = sum(1 for k in range(len(valid)) if any(p.reward for p in proofs[4 * k:4 * (k + 1)]))
    assert metrics["stp/proved_conjectures"] == proved == len(loop.proved)
    assert metrics["stp/pool_size"] == len(builtin_seeds()) + proved
    for entry in loop.proved:  # each joins the pool with a proof coqc accepted
        assert any(entry["proof"] == s for s in PROOF_SCRIPTS)
        assert loop.verifier.verify(entry["proof"], entry["statement"]).correct
    assert metrics["stp/conjecture/valid_rate"] == pytest.approx(len(valid) / 6)
    # the pool survives a checkpoint; a proved conjecture is known (a duplicate) after a resume
    assert loop.proved, "with these seeds the scripted prover proves at least one conjecture"
    again = _loop()
    again.load_state_dict(loop.state_dict())
    assert [t.statement for t in again.pool] == [t.statement for t in loop.pool]
    info = again.conjectures.validate_batch([f"Theorem c : {loop.proved[0]['statement']}."])[0]
    assert info["stage"] == "duplicate"


@needs_coq
def test_evaluate_scores_the_prover_on_seed_theorems():
    out = _loop().evaluate(0)
    assert set(out) == {"eval/accuracy", "eval/pool_size"} and 0.0 <= out["eval/accuracy"] <= 1.0


def test_the_loop_refuses_shards():
    cfg = config_from_dict({"loop": "stp", "rollout_shards": 2, "stp": {}})
    with pytest.raises(Exception, match="one piece"):
        StpLoop(cfg, None, None)


def test_warmup_pairs_hold_seed_proofs_and_conjecture_lines():
    pairs = _loop().warmup_pairs(6, seed=0)
    assert len(pairs) == 6
    assert all(b.startswith("```coq\nProof.\n") for a, b in pairs[::2])
    assert all("Theorem conjecture : " in b for a, b in pairs[1::2])
