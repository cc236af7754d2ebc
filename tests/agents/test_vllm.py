"""The ``vllm`` agent: a clear error where vllm or a GPU is missing; on a GPU, the same contract
as the ``hf`` agent (checked against the hf agent on the same checkpoint)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from zeroplay import agents
from zeroplay.core.errors import AgentError, MissingDependencyError


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_missing_vllm_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(MissingDependencyError, match=r"pip install 'zeroplay\[gpu\]'"):
        agents.make("vllm", model=str(tmp_path))


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vllm is not installed")
def test_no_gpu_says_so(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(AgentError, match="needs a CUDA GPU"):
        agents.make("vllm", model=str(tmp_path))


@pytest.mark.gpu
def test_vllm_matches_hf_on_a_tiny_model(tmp_path_factory: pytest.TempPathFactory) -> None:
    pytest.importorskip("vllm")
    torch = pytest.importorskip("torch")
    from zeroplay.agents.hf import completion_logprobs
    from zeroplay.agents.policy import SamplingParams
    from zeroplay.agents.tiny import build_tiny_model

    # head_dim 64: attention kernels on GPU want a common head size
    path = build_tiny_model(tmp_path_factory.mktemp("vllm-tiny"), hidden_size=256, num_heads=4, num_layers=2)
    engine = agents.make("vllm", model=str(path), gpu_memory_utilization=0.2, dtype="float32", max_model_len=512)
    prompts = ["Your move: [1] [2] [3]", "hi", "What is 2 + 2?"]
    greedy = SamplingParams(temperature=0, max_new_tokens=16, logprobs=True)
    gens = engine.generate(prompts, greedy)
    hf = agents.make("hf", model=str(path), dtype="float32")
    ref = hf.generate(prompts, greedy)
    for g, r in zip(gens, ref):
        assert g.prompt_ids == r.prompt_ids
        # float32 on both sides: greedy tokens agree (kernels differ, so allow a late divergence)
        assert g.completion_ids[:4] == r.completion_ids[:4]
    with torch.no_grad():
        again = completion_logprobs(hf.model, [g.prompt_ids for g in gens], [g.completion_ids for g in gens])
    for g, lp in zip(gens, again):
        assert torch.allclose(torch.tensor(g.logprobs), lp.cpu(), atol=2e-2)
    seeded = SamplingParams(temperature=1.0, max_new_tokens=16, seed=3)
    assert [g.completion_ids for g in engine.generate(prompts, seeded)] == [
        g.completion_ids for g in engine.generate(prompts, seeded)
    ]
