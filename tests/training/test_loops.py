"""Propose-solve and RLVR end to end with a tiny model and a tiny budget (real sandbox, real verifiers)."""

import json

import pytest

import zeroplay as zp
from zeroplay.training import config_from_dict, train
from zeroplay.training.checkpoint import load_checkpoint


def test_propose_solve_runs_end_to_end_and_logs_its_metrics(tmp_path):
    cfg = config_from_dict({
        "name": "ps", "out_dir": str(tmp_path), "seed": 0, "loop": "propose_solve", "steps": 1,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 12, "batch_size": 16},
        "optim": {"micro_batch_size": 8},
        "advantage": {"estimator": "trr_pp"},
        "warmup": {"steps": 1, "batch_size": 4},
        "propose_solve": {"proposals_per_type": 1, "solver_samples": 2, "solve_tasks_per_type": 1,
                          "env_kwargs": {"timeout_s": 5.0}},
        "eval": {"samples": 3},
    })
    run_dir = train(cfg, quiet=True)
    last = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()][-1]
    for key in ("propose/valid_rate", "propose/learnability", "solve/accuracy", "eval/accuracy",
                "propose/deduction/valid_rate", "buffer/induction", "loss/pg"):
        assert key in last, key
    assert 0.0 <= last["propose/valid_rate"] <= 1.0
    # 3 proposals + 3 tasks x 2 answers, all trained on (one update of the shared policy)
    assert last["count/trained_samples"] == 9
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "eval/deduction/accuracy" in summary["eval_before"] and "eval/accuracy" in summary["eval_after"]
    # the task buffers travel in the checkpoint
    state = load_checkpoint(run_dir)["extra"]["loop"]
    assert set(state) == {"deduction", "abduction", "induction"} and all(state.values())


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_on_a_single_step_env(tmp_path):
    cfg = config_from_dict({
        "name": "rlvr", "out_dir": str(tmp_path), "seed": 0, "loop": "rlvr", "steps": 1, "template": "boxed",
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 8, "batch_size": 16},
        "advantage": {"estimator": "dr_grpo"}, "loss": {"loss_norm": "constant"},
        "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 2, "group_size": 3},
        "eval": {"samples": 2},
    })
    run_dir = train(cfg, quiet=True)
    last = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()][-1]
    assert last["count/trained_samples"] == 6
    # a random model does not write \boxed{}: every answer is malformed and earns the -1 penalty
    assert last["train/well_formed"] < 1.0 or last["reward/mean"] >= -1.0
    assert "eval/accuracy" in last


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_ray_verification_gives_the_same_run_as_the_local_path(tmp_path):
    pytest.importorskip("ray")

    def run(name, workers):
        cfg = config_from_dict({
            "name": name, "out_dir": str(tmp_path), "seed": 1, "loop": "rlvr", "steps": 2, "template": "plain",
            "ray_workers": workers,
            "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
            "sampling": {"max_new_tokens": 6, "batch_size": 16},
            "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 3, "group_size": 3},
            "eval": {"samples": 2},
        })
        return [json.loads(x) for x in (train(cfg, quiet=True) / "metrics.jsonl").read_text().splitlines()]

    local, remote = run("local", 0), run("ray", 2)
    assert [r["step"] for r in local] == [r["step"] for r in remote] == [0, 1, 2]
    for a, b in zip(local, remote):
        for key in ("reward/mean", "train/accuracy", "loss/pg", "eval/accuracy"):
            if key in a:
                assert a[key] == b[key], (a["step"], key)


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_ray_verifier_scores_in_order_like_the_local_path():
    pytest.importorskip("ray")
    from zeroplay.training.ray_workers import RayVerifier, score_answer

    env = zp.make("zeroplay/MathArithmetic-v0")
    jobs = []
    for seed in range(6):
        _, info = env.reset(seed=seed)
        jobs += [(seed, str(info["task"].reference)), (seed, "not a number")]
    local = [score_answer(env, s, a) for s, a in jobs]
    remote = RayVerifier("zeroplay/MathArithmetic-v0", {}, 2)
    try:
        assert remote.score(jobs) == local
    finally:
        remote.close()
    assert [c for _, c in local] == [True, False] * 6
