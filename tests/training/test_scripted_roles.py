"""Scripted roles: a role played by an agent, scored and logged like any role, never trained on."""

import pytest

from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.runlog import read_samples
from zeroplay.training.selfplay.propose_solve import ScriptedCodeProposer

from .test_loops import propose_solve_config

PROPOSER = "zeroplay.training.selfplay.propose_solve:ScriptedCodeProposer"


@pytest.mark.parametrize(("over", "message"), [
    ({"scripted": {"judge": "random"}}, r"no role 'judge' \(its roles: proposer, solver\)"),
    ({"scripted": {"proposer": "random", "solver": "random"}}, r"every role is scripted"),
    ({"scripted": {"proposer": "random"}, "ray_workers": 2}, r"do not run on Ray actors"),
    ({"scripted": {"proposer": {"kwargs": {}}}}, r"scripted\.proposer\.agent"),
    ({"scripted": {"proposer": "random"}, "policies": {"a": {"roles": ["proposer", "solver"]}}},
     r"role 'proposer' is in both 'scripted' and 'a'"),
])
def test_scripted_roles_are_checked_against_the_loop(over, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(propose_solve_config(**over))


def test_a_loop_without_roles_refuses_scripted_roles():
    with pytest.raises(ConfigError, match=r"loop 'rlvr' samples every role with one policy"):
        config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"}, "scripted": {"solver": "random"}})


def test_an_agent_that_cannot_be_built_is_named(tmp_path):
    cfg = config_from_dict(propose_solve_config(out_dir=str(tmp_path), scripted={"proposer": "nosuch.module:Agent"}))
    with pytest.raises(ValueError, match=r"scripted\.proposer: could not build agent 'nosuch\.module:Agent'"):
        train(cfg, quiet=True)


def test_the_scripted_proposer_writes_proposals_the_validator_accepts():
    from zeroplay.envs.code.buffer import TaskBuffer, builtin_seeds
    from zeroplay.envs.code.propose import CodeProposerEnv

    for kind in ("deduction", "abduction", "induction"):
        env = CodeProposerEnv(kind, buffer=TaskBuffer(kind, seeds=builtin_seeds()), timeout_s=5.0)
        obs = [env.reset(seed=s)[0] for s in range(4)]
        infos = env.validate_batch(ScriptedCodeProposer(seed=1).act(obs))
        assert sum(i.get("task") is not None for i in infos) >= 2, (kind, [i.get("error") for i in infos])
    assert ScriptedCodeProposer().act(["not a proposer prompt"]) == [""]


@pytest.mark.parametrize("policies", [{}, {"solver": {"roles": ["solver"]}}])
def test_a_scripted_proposer_is_scored_and_logged_but_only_the_solver_trains(tmp_path, policies):
    cfg = config_from_dict(propose_solve_config(name="scripted", out_dir=str(tmp_path), steps=2, policies=policies,
                                                scripted={"proposer": {"agent": PROPOSER, "kwargs": {"seed": 3}}}))
    run_dir = train(cfg, quiet=True)
    rows = read_metrics(run_dir)
    last = rows[-1]
    assert last["propose/valid_rate"] > 0  # the scripted proposals went through the real validator
    prefix = "policies/solver/" if policies else ""
    # every generation but the 3 scripted proposals (one per task type) is a solver answer, trained on
    assert last[f"{prefix}count/trained_samples"] == last["count/generate_samples"] - 3 > 0
    samples = read_samples(run_dir / "samples.jsonl")
    roles = {s["role"] for s in samples}
    assert "proposer" in roles and "solver" in roles
    assert all(s["finish_reason"] == "scripted" for s in samples if s["role"] == "proposer")
    assert all(s["finish_reason"] != "scripted" for s in samples if s["role"] == "solver")
