"""The loop end to end with tiny budgets: run files, evaluation before/after, kill -9 and resume."""

import json
from pathlib import Path

import pytest
import torch

from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint

from .conftest import kill_mid_run, tiny_config

REPO = Path(__file__).resolve().parents[2]


def rows(run_dir):
    return read_metrics(run_dir)


def test_games_selfplay_writes_run_files_and_evaluates_before_and_after(tmp_path):
    run_dir = train(config_from_dict(tiny_config(tmp_path)), quiet=True)
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("config", "final_metrics", "eval_before", "eval_after"):
        assert key in summary
    for when in ("eval_before", "eval_after"):
        ev = summary[when]
        assert 0.0 <= ev["eval/random/win_rate"] <= 1.0
        # exact exploitability of one-hand Kuhn lies in [0, 2]; uniform play is 11/24
        assert 0.0 <= ev["eval/exploitability"] <= 2.0
        assert all(0.0 <= ev[f"policy/P(b|{k})"] <= 1.0 for k in ("J", "Qb", "Kpb"))
    steps = [r["step"] for r in rows(run_dir)]
    assert steps == [0, 1, 2]
    last = rows(run_dir)[-1]
    for key in ("reward/mean", "loss/pg", "time/generate_s", "time/learn_s", "count/generate_tokens"):
        assert key in last
    assert (run_dir / "curve.png").stat().st_size > 1000
    assert (run_dir / "final_model" / "config.json").is_file()


def test_a_finished_run_resumes_to_the_same_result_without_training_again(tmp_path):
    cfg = config_from_dict(tiny_config(tmp_path, steps=1, **{"eval.exploitability": False}))
    run_dir = train(cfg, quiet=True)
    first = (run_dir / "final_model" / "model.safetensors").read_bytes()
    train(cfg, quiet=True)
    assert (run_dir / "final_model" / "model.safetensors").read_bytes() == first
    assert [r["step"] for r in rows(run_dir)] == [0, 1]


def _final_weights(run_dir):
    from safetensors.torch import load_file

    return load_file(str(Path(run_dir) / "final_model" / "model.safetensors"))


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path):
    steps = 5
    base = tiny_config(tmp_path, steps=steps, **{"eval.exploitability": False, "eval.games": 2})
    # 1. the uninterrupted run
    straight = train(config_from_dict({**base, "name": "straight"}), quiet=True)
    # 2. the same run in a subprocess, killed with SIGKILL in the middle
    kill_mid_run(base, tmp_path, delay_s=1.0)
    # 3. resume (from the YAML, with the delay removed: it does not change results)
    resumed = train(config_from_dict({**base, "name": "killed"}), quiet=True)
    a, b = rows(straight), rows(resumed)
    assert [r["step"] for r in b] == list(range(steps + 1))
    for ra, rb in zip(a, b):
        for key in ("reward/mean", "loss/pg", "selfplay/return_seat0"):
            if key in ra:
                assert ra[key] == pytest.approx(rb[key], abs=1e-6), (ra["step"], key)
    wa, wb = _final_weights(straight), _final_weights(resumed)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.allclose(wa[k], wb[k], atol=1e-6), k


def test_kl_reference_is_the_post_warmup_policy_and_is_checkpointed(tmp_path):
    cfg = config_from_dict(tiny_config(tmp_path, steps=1, **{"model.ref_model": True, "loss.kl_coef": 0.1,
                                                            "eval.exploitability": False}))
    run_dir = train(cfg, quiet=True)
    state = load_checkpoint(run_dir)
    ref = state["extra"]["ref_model"]
    # the warm-up changed the weights, and the reference holds the warmed-up ones, not the initial ones
    from safetensors.torch import load_file

    init = load_file(str(run_dir / "init_model" / "model.safetensors"))
    key = "model.embed_tokens.weight"
    assert not torch.equal(ref[key], init[key])
    last = rows(run_dir)[-1]
    assert last["loss/kl"] >= 0.0


def test_the_shipped_demo_config_runs_with_a_tiny_budget(tmp_path):
    from zeroplay.training import load_config

    cfg = load_config(REPO / "configs" / "demo.yaml", {
        "out_dir": str(tmp_path), "steps": 1, "warmup.steps": 2, "games.games_per_step": 4,
        "eval.games": 4, "eval.every": 0, "model.tiny.hidden_size": 32, "model.tiny.num_layers": 1,
    })
    run_dir = train(cfg, quiet=True)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "eval/exploitability" in summary["eval_after"] and "eval/nash/win_rate" in summary["eval_after"]
