"""Fixtures of the agent tests: one tiny random-init model, built in-process and saved to disk."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama-style checkpoint and tokenizer (with a chat template), saved the way a real one is."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from zeroplay.agents.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), hidden_size=32, num_layers=2, num_heads=4, max_position_embeddings=512)


@pytest.fixture(scope="session")
def tiny_agent(tiny_model_dir: Path):
    """An ``hf`` agent on the tiny model (greedy by default; tests pass their own params)."""
    from zeroplay import agents

    return agents.make("hf", model=str(tiny_model_dir), temperature=0.0, max_new_tokens=16)
