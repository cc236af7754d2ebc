"""vLLM backend: outputs change after a weight sync exactly as the learner's do (GPU only)."""

import pytest

pytestmark = pytest.mark.gpu


def test_vllm_matches_the_learner_after_a_weight_sync(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    pytest.importorskip("vllm")
    import transformers

    from zeroplay.agents.hf import HFAgent
    from zeroplay.agents.policy import SamplingParams
    from zeroplay.agents.tiny import build_tiny_model
    from zeroplay.training.vllm_backend import VLLMPolicy

    path = build_tiny_model(tmp_path / "m", hidden_size=64, num_layers=2, num_heads=4)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(path)).cuda()
    tok = transformers.AutoTokenizer.from_pretrained(str(path))
    policy = VLLMPolicy(model, tok, path, gpu_memory_utilization=0.2)
    hf = HFAgent(model, tok)
    greedy = SamplingParams(temperature=0.0, max_new_tokens=8)
    prompts = ["hello", "Kuhn Poker: [bet] or [check]?"]
    before = [g.completion_ids for g in policy.generate(prompts, greedy)]
    with torch.no_grad():  # a large, deterministic change of the learner's weights
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(1)).to(p) * 0.5)
    policy.sync_weights()
    after = [g.completion_ids for g in policy.generate(prompts, greedy)]
    want = [g.completion_ids for g in hf.generate(prompts, greedy)]
    assert after != before
    assert after == want
