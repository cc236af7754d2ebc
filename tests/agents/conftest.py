"""Fixtures of the agent tests: one tiny random-init model, built in-process and saved to disk."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models run fastest on one thread; on a shared 2-core machine, torch's default thread
    pool spends its time waiting for busy cores (10-50x slower here). Restored after each test."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama-style checkpoint and tokenizer (with a chat template), saved the way a real one is."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from zeroplay.agents.tiny import build_tiny_model

    return build_tiny_model(
        tmp_path_factory.mktemp("tiny-model"), hidden_size=32, num_layers=2, num_heads=4, max_position_embeddings=512
    )


@pytest.fixture(scope="session")
def tiny_agent(tiny_model_dir: Path):
    """An ``hf`` agent on the tiny model (greedy by default; tests pass their own params)."""
    from zeroplay import agents

    return agents.make("hf", model=str(tiny_model_dir), temperature=0.0, max_new_tokens=16)


@pytest.fixture(scope="session")
def served_tiny(tiny_model_dir: Path):
    """The real ``zeroplay serve`` command on the tiny model, in a subprocess on 127.0.0.1.
    Yields the base URL (``http://127.0.0.1:PORT/v1``)."""
    yield from serve(tiny_model_dir)


def serve(model_dir: Path):
    """Start ``zeroplay serve MODEL_DIR`` on a free port; yield its base URL, then stop it."""
    import os
    import re
    import selectors
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "zeroplay.cli", "serve", str(model_dir), "--port", "0", "--name", "tiny"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TRANSFORMERS_VERBOSITY": "error", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
    )
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    seen, deadline, url = [], time.monotonic() + 120, None
    while url is None and time.monotonic() < deadline and proc.poll() is None:
        if sel.select(timeout=1.0):
            line = proc.stdout.readline()
            seen.append(line)
            found = re.search(r"at (http://\S+/v1)", line)
            url = found.group(1) if found else None
    if url is None:
        proc.kill()
        pytest.fail("zeroplay serve did not start:\n" + "".join(seen))
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
