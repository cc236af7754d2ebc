"""Shared fixtures: one tiny model built per session (real tokenizer, real random-init weights)."""

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    from zeroplay.agents.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", hidden_size=32, num_layers=2, num_heads=2, seed=0)


def tiny_config(tmp_path, **over):
    """A games config on Kuhn Poker with a tiny budget (seconds on 2 cores)."""
    cfg = {
        "name": "t", "out_dir": str(tmp_path), "seed": 3, "loop": "games", "steps": 2,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 4, "batch_size": 16},
        "optim": {"lr": 1e-3, "micro_batch_size": 8},
        "advantage": {"estimator": "rae"},
        "warmup": {"steps": 2, "batch_size": 8},
        "games": {"env": "zeroplay/KuhnPoker-v0", "games_per_step": 4, "observation": "view"},
        "eval": {"opponents": ["random"], "games": 4, "exploitability": True},
    }
    for key, value in over.items():
        node = cfg
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return cfg
