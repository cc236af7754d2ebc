"""A library env trains: two RLVR steps of a tiny model on zeroplay/synth/ListSumTrain-v0."""

from __future__ import annotations

import json

import pytest
from synth_corpus import GOOD

from zeroplay.envs.synth.library import Library
from zeroplay.envs.synth.validate import source_sha

pytest.importorskip("torch")


def test_rlvr_runs_on_a_library_env(tmp_path) -> None:
    from zeroplay.training import config_from_dict, train

    library = Library(tmp_path / "lib")
    library.add(GOOD, name="ListSumTrain", sha256=source_sha(GOOD), difficulty=1)
    library.register()
    cfg = {
        "name": "synth", "out_dir": str(tmp_path / "runs"), "seed": 3, "loop": "rlvr", "steps": 2,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 8, "batch_size": 16},
        "optim": {"lr": 1e-3, "micro_batch_size": 8},
        "advantage": {"estimator": "grpo"},
        "rlvr": {"env": "zeroplay/synth/ListSumTrain-v0", "prompts_per_step": 2, "group_size": 2},
        "eval": {"samples": 2},
    }
    run_dir = train(config_from_dict(cfg), quiet=True)
    final = json.loads((run_dir / "summary.json").read_text())["final_metrics"]
    assert final["count/verify_samples"] == 4.0
    assert 0.0 <= final["train/accuracy"] <= 1.0 and 0.0 <= final["train/well_formed"] <= 1.0
