"""One policy per role: config checks, a two-policy propose-solve run, and kill -9 then resume."""

from pathlib import Path

import pytest
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint

from .conftest import kill_mid_run
from .test_loops import propose_solve_config

TWO = {"proposer": {"roles": ["proposer"], "optim": {"lr": 1e-3, "micro_batch_size": 8}},
       "solver": {"roles": ["solver"], "model": {"tiny": {"hidden_size": 48, "num_layers": 1, "num_heads": 2}}}}


# -- the config ----------------------------------------------------------------------------------

def test_absent_policies_is_one_shared_policy():
    cfg = config_from_dict(propose_solve_config())
    assert cfg.policies == {}


@pytest.mark.parametrize(("policies", "message"), [
    ({"a": {"roles": ["proposer"]}}, r"no policy plays 'solver'"),
    ({"a": {"roles": ["proposer", "solver"]}, "b": {"roles": ["solver"]}}, r"role 'solver' is in both 'a' and 'b'"),
    ({"a": {"roles": ["proposer", "solver", "judge"]}}, r"no role 'judge' \(its roles: proposer, solver\)"),
    ({"a": {"roles": []}}, r"policies\.a\.roles"),
])
def test_policies_must_cover_each_role_of_the_loop_once(policies, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(propose_solve_config(policies=policies))


def test_a_loop_that_samples_every_role_with_one_policy_refuses_policies():
    with pytest.raises(ConfigError, match=r"loop 'games' samples every role with one policy"):
        config_from_dict({"loop": "games", "policies": {"a": {"roles": ["0"]}, "b": {"roles": ["1"]}}})


def test_ray_and_vllm_with_several_policies_are_refused_with_a_reason():
    with pytest.raises(ConfigError, match=r"do not run on Ray actors yet"):
        config_from_dict(propose_solve_config(policies=TWO, ray_workers=2))
    with pytest.raises(ConfigError, match=r"one vLLM engine each"):
        config_from_dict(propose_solve_config(policies=TWO, backend="vllm"))


def test_a_policy_takes_its_own_sections_and_the_run_defaults_for_the_rest():
    cfg = config_from_dict(propose_solve_config(policies=TWO))
    assert cfg.policy_of("solver") == "solver"
    assert cfg.for_policy("proposer").optim.lr == 1e-3 and cfg.for_policy("proposer").model == cfg.model
    assert cfg.for_policy("solver").model.tiny.hidden_size == 48 and cfg.for_policy("solver").optim == cfg.optim


# -- a run -------------------------------------------------------------------------------------------

def test_two_policies_train_on_their_own_roles_and_are_checkpointed_apart(tmp_path):
    run_dir = train(config_from_dict(propose_solve_config(name="two", out_dir=str(tmp_path), policies=TWO)), quiet=True)
    last = read_metrics(run_dir)[-1]
    # 3 proposals (one per type) go to the proposer, 3 tasks x 2 answers to the solver
    assert last["policies/proposer/count/trained_samples"] == 3
    assert last["policies/solver/count/trained_samples"] == 6
    assert last["count/trained_samples"] == 9
    for name in ("proposer", "solver"):
        assert f"policies/{name}/loss/pg" in last and f"policies/{name}/reward/mean" in last
        assert (run_dir / "final_model" / name / "config.json").is_file()
    assert "propose_solve/propose-deduction/proposer/reward" in last and "solve/accuracy" in last
    state = load_checkpoint(run_dir)
    assert state["extra"]["policies"] == ["proposer", "solver"]
    assert set(state["model"]) == set(state["optimizer"]) == {"proposer", "solver"}
    # two models: the solver's is wider
    assert state["model"]["solver"]["model.embed_tokens.weight"].shape[1] == 48
    assert state["model"]["proposer"]["model.embed_tokens.weight"].shape[1] == 32
    # a one-policy config cannot resume a two-policy checkpoint (and says why)
    from zeroplay.training.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="policies"):
        train(config_from_dict(propose_solve_config(name="two", out_dir=str(tmp_path), steps=2)), quiet=True)


def _final_weights(run_dir, name):
    from safetensors.torch import load_file

    return load_file(str(Path(run_dir) / "final_model" / name / "model.safetensors"))


def test_kill_9_then_resume_matches_an_uninterrupted_run_for_each_policy(tmp_path):
    steps = 4
    base = propose_solve_config(out_dir=str(tmp_path), steps=steps, policies=TWO)
    straight = train(config_from_dict({**base, "name": "straight"}), quiet=True)
    kill_mid_run(base, tmp_path, delay_s=1.5)
    resumed = train(config_from_dict({**base, "name": "killed"}), quiet=True)
    a, b = read_metrics(straight), read_metrics(resumed)
    assert [r["step"] for r in b] == list(range(steps + 1))
    keys = ["reward/mean", "propose/valid_rate", "solve/accuracy"]
    keys += [f"policies/{n}/{k}" for n in TWO for k in ("loss/pg", "reward/mean", "adv/mean_abs")]
    for ra, rb in zip(a[1:], b[1:]):
        for key in keys:
            assert key in ra, key
            assert ra[key] == pytest.approx(rb[key], abs=1e-6), (ra["step"], key)
    for name in TWO:
        wa, wb = _final_weights(straight, name), _final_weights(resumed, name)
        assert wa.keys() == wb.keys()
        for k in wa:
            assert torch.allclose(wa[k], wb[k], atol=1e-6), (name, k)
