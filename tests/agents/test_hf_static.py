"""The ``hf`` agent's static KV cache (and its compiled decode step) on CPU, against the dynamic
cache and a learner's forward pass: same tokens for a seed, exact log-probs, refill of finished
rows, weights updated in place, and a clean fallback when compiling fails."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from zeroplay.agents.hf import HFAgent, _bucket, completion_logprobs
from zeroplay.agents.policy import SamplingParams
from zeroplay.core.errors import ConfigError

from .test_hf import GREEDY
from .test_hf import PROMPTS as HF_PROMPTS

PROMPTS = [*HF_PROMPTS, "Kuhn Poker. Your card: K. Legal moves: [check], [bet]", "2 + 2 = ?"]
SAMPLED = SamplingParams(temperature=1.3, top_p=0.8, max_new_tokens=20, seed=7, logprobs=True)


@pytest.fixture(scope="module")
def model_and_tok(tiny_model_dir: Path):
    return (transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir),
            transformers.AutoTokenizer.from_pretrained(tiny_model_dir))


def agent(model_and_tok, **kwargs) -> HFAgent:
    model, tok = model_and_tok
    return HFAgent(model, tok, **{"batch_size": 8, **kwargs})


def recomputed(model, gens, pad_id):
    with torch.no_grad():
        return completion_logprobs(model, [g.prompt_ids for g in gens], [g.completion_ids for g in gens],
                                   pad_token_id=pad_id)


@pytest.mark.parametrize("params", [GREEDY, SAMPLED], ids=["greedy", "sampled"])
def test_static_and_dynamic_draw_the_same_tokens(model_and_tok, params: SamplingParams) -> None:
    dynamic = agent(model_and_tok, cache="dynamic").generate(PROMPTS, params)
    static_agent = agent(model_and_tok, cache="static")
    static = static_agent.generate(PROMPTS, params)
    assert static_agent.last_decode == {"cache": "static", "compiled": False, "rounds": 1, "refills": 0,
                                        "decode_steps": params.max_new_tokens - 1}
    # the test means something only if the completions differ from prompt to prompt
    assert len({tuple(g.completion_ids) for g in static}) > 1
    for d, s in zip(dynamic, static):
        assert (s.prompt_ids, s.completion_ids, s.text, s.finish_reason) == (
            d.prompt_ids, d.completion_ids, d.text, d.finish_reason)
        assert s.logprobs == pytest.approx(d.logprobs, abs=1e-5)


def test_static_logprobs_match_a_learner_forward_pass(model_and_tok) -> None:
    from zeroplay.training.config import config_from_dict
    from zeroplay.training.learner import Learner
    from zeroplay.training.rollout import Sampler, to_sample
    from zeroplay.training.templates import get_template

    a = agent(model_and_tok, cache="static", batch_size=3, seed=0)
    sampler = Sampler(a, get_template("plain"), SamplingParams(temperature=1.0, max_new_tokens=12), seed=5)
    samples = [to_sample(g) for g, _, _ in sampler.generate(PROMPTS)]
    assert a.last_decode["cache"] == "static" and a.last_decode["refills"] > 0
    learner = Learner(a.model, config_from_dict({"loop": "games", "optim": {"micro_batch_size": 3}}), pad_id=a._pad_id)
    for s, lp in zip(samples, learner.logprobs(samples)):
        assert len(lp) == len(s.logprobs) == len(s.completion_ids) > 0
        # the tolerance of tests/training/test_logprobs.py
        assert torch.allclose(torch.tensor(lp), torch.tensor(s.logprobs), atol=2e-4), (lp, s.logprobs)


def test_refill_gives_each_prompt_its_unbatched_completion(model_and_tok) -> None:
    """Rows that stop early take waiting prompts; greedy output still equals one-prompt-at-a-time."""
    # stop strings that the tiny model's greedy completions reach at different steps (or never)
    params = SamplingParams(temperature=0.0, max_new_tokens=24, logprobs=True, stop=["-.", "layerE", "ager", "action"])
    alone = [agent(model_and_tok, cache="dynamic").generate([p], params)[0] for p in PROMPTS * 2]
    static_agent = agent(model_and_tok, cache="static", batch_size=2)
    streamed: dict[int, list[int]] = {}
    static = static_agent.generate_from_ids(
        [static_agent.encode(p) for p in PROMPTS * 2], params,
        on_token=lambda row, tok: streamed.setdefault(row, []).append(tok))
    stats = static_agent.last_decode
    assert {g.finish_reason for g in static} == {"stop"}
    assert len({len(g.completion_ids) for g in static}) > 2
    assert stats["refills"] > 0 and stats["rounds"] < math.ceil(len(static) / 2)
    for a, s in zip(alone, static):
        assert (s.completion_ids, s.text, s.finish_reason) == (a.completion_ids, a.text, a.finish_reason)
    assert streamed == {i: g.completion_ids for i, g in enumerate(static)}
    for g, lp in zip(static, recomputed(static_agent.model, static, static_agent._pad_id)):
        assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)


def test_refill_with_uneven_prompts_and_sampling(model_and_tok) -> None:
    a = agent(model_and_tok, cache="static", batch_size=3)
    prompts = [p * k for p in PROMPTS for k in (1, 2)]
    gens = a.generate(prompts, SamplingParams(temperature=1.0, max_new_tokens=16, seed=3, logprobs=True, stop=["e"]))
    assert a.last_decode["refills"] > 0
    assert [g.prompt_ids for g in gens] == [a.encode(p) for p in prompts]
    for g, lp in zip(gens, recomputed(a.model, gens, a._pad_id)):
        assert 0 < len(g.completion_ids) <= 16
        assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)


def test_grouped_query_attention_model(model_and_tok) -> None:
    _, tok = model_and_tok
    cfg = transformers.Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                                   tie_word_embeddings=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.Qwen2ForCausalLM(cfg)
    dynamic = HFAgent(model, tok, cache="dynamic", batch_size=2).generate(PROMPTS, GREEDY)
    static = HFAgent(model, tok, cache="static", batch_size=2).generate(PROMPTS, GREEDY)
    assert [g.completion_ids for g in static] == [g.completion_ids for g in dynamic]


def test_weights_updated_in_place_are_seen(model_and_tok, tiny_model_dir: Path) -> None:
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)  # this test changes it
    a = HFAgent(model, model_and_tok[1], cache="static", batch_size=8)
    before = a.generate(PROMPTS, GREEDY)
    caches = list(a._static.caches.values())
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    after = a.generate(PROMPTS, GREEDY)
    assert list(a._static.caches.values()) == caches  # the same pre-allocated cache, reused
    assert [g.completion_ids for g in after] != [g.completion_ids for g in before]
    for g, lp in zip(after, recomputed(model, after, a._pad_id)):
        assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)


def test_overlong_and_hostile_prompts(model_and_tok) -> None:
    a = agent(model_and_tok, cache="static", batch_size=2)
    prompts = ["START " + "word " * 2000 + "END", "", "\x00\xff junk", "🙂" * 200, "[" * 3000]
    gens = a.generate(prompts, SamplingParams(temperature=0, max_new_tokens=4))
    assert len(gens[0].prompt_ids) == 512 - 4 and gens[0].meta["prompt_truncated"] and len(gens[0].completion_ids) <= 4
    assert all(isinstance(g.text, str) and 0 < len(g.completion_ids) <= 4 for g in gens)


def test_a_failed_compile_falls_back_to_the_uncompiled_step(model_and_tok, monkeypatch) -> None:
    def broken_compile(fn, **kwargs):
        def call(**inputs):
            # as a compile that fails after the cache counted the step (the cache's keyword: by version)
            cache = inputs["cache"] if "cache" in inputs else inputs["past_key_values"]
            cache.layers[0].cumulative_length.add_(1)
            raise RuntimeError("inductor could not build the graph")
        return call

    expected = agent(model_and_tok, cache="static").generate(PROMPTS, SAMPLED)
    monkeypatch.setattr(torch, "compile", broken_compile)
    a = agent(model_and_tok, compile=True)
    assert a.decode_plan() == (True, True)
    with pytest.warns(UserWarning, match="inductor could not build the graph"):
        got = a.generate(PROMPTS, SAMPLED)
    assert [g.completion_ids for g in got] == [g.completion_ids for g in expected]
    assert a.last_decode["compiled"] is False and a.decode_plan() == (True, False)


@pytest.mark.slow
def test_compiled_decode_on_cpu_matches_and_survives_a_weight_update(tiny_model_dir: Path, model_and_tok) -> None:
    """torch.compile on CPU (inductor, no CUDA graphs): ~30-60 s of compiling on a small machine."""
    counters = torch._dynamo.utils.counters
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    compiled = HFAgent(model, model_and_tok[1], cache="static", compile=True, batch_size=8)
    eager = HFAgent(model, model_and_tok[1], cache="static", compile=False, batch_size=8)
    got = compiled.generate(PROMPTS, SAMPLED)
    assert compiled.last_decode["compiled"] is True
    assert [g.completion_ids for g in got] == [g.completion_ids for g in eager.generate(PROMPTS, SAMPLED)]
    graphs = counters["stats"]["unique_graphs"]
    assert graphs >= 1
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    after = compiled.generate(PROMPTS, SAMPLED)
    assert counters["stats"]["unique_graphs"] == graphs  # no recompile after the update
    assert [g.completion_ids for g in after] == [g.completion_ids for g in eager.generate(PROMPTS, SAMPLED)]
    assert [g.completion_ids for g in after] != [g.completion_ids for g in got]
    for g, lp in zip(after, recomputed(model, after, compiled._pad_id)):
        assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)


def test_decode_options(model_and_tok) -> None:
    assert agent(model_and_tok).decode_plan() == (False, False)  # auto on CPU: today's dynamic loop
    assert agent(model_and_tok, cache="static").decode_plan() == (True, False)
    assert agent(model_and_tok, compile=True).decode_plan() == (True, True)
    with pytest.raises(ConfigError, match="cache must be one of"):
        agent(model_and_tok, cache="paged")
    with pytest.raises(ConfigError, match="compile must be"):
        agent(model_and_tok, compile="yes")
    with pytest.raises(ConfigError, match="cache='static'"):
        agent(model_and_tok, cache="dynamic", compile=True)


def test_sliding_window_models_stay_dynamic(model_and_tok) -> None:
    _, tok = model_and_tok
    cfg = transformers.MistralConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                     num_attention_heads=4, num_key_value_heads=4, sliding_window=16)
    model = transformers.MistralForCausalLM(cfg)
    assert HFAgent(model, tok, chat=False).decode_plan() == (False, False)
    with pytest.raises(ConfigError, match="StaticSlidingWindowLayer.*cache='dynamic'"):
        HFAgent(model, tok, cache="static")


def test_training_config_reaches_the_sampler(tiny_model_dir: Path) -> None:
    from zeroplay.training.build import build_policy
    from zeroplay.training.config import config_from_dict

    cfg = config_from_dict({"loop": "games", "sampling": {"cache": "static", "compile": False}})
    policy = build_policy(cfg, tiny_model_dir, torch.device("cpu"))
    assert (policy.cache, policy.compile, policy.decode_plan()) == ("static", False, (True, False))
    with pytest.raises(ConfigError, match="cache"):
        config_from_dict({"loop": "games", "sampling": {"cache": "paged"}})


def test_bucket() -> None:
    assert [_bucket(n) for n in (1, 2, 3, 5, 64, 65)] == [1, 2, 4, 8, 64, 128]
    assert _bucket(3, floor=64) == 64 and _bucket(40, cap=48) == 48 and _bucket(5, cap=48) == 8


@pytest.mark.gpu
def test_on_gpu_auto_compiles_and_matches_the_dynamic_cache(tiny_model_dir: Path, model_and_tok) -> None:
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir).to("cuda")
    tok = model_and_tok[1]
    compiled = HFAgent(model, tok, batch_size=4)  # auto on CUDA: static cache, compiled (CUDA graphs)
    assert compiled.decode_plan() == (True, True)
    got = compiled.generate(PROMPTS, GREEDY)
    assert compiled.last_decode["compiled"] and compiled.last_decode["refills"] > 0
    dynamic = HFAgent(model, tok, cache="dynamic", batch_size=8).generate(PROMPTS, GREEDY)
    assert [g.completion_ids for g in got] == [g.completion_ids for g in dynamic]
    for g, lp in zip(got, recomputed(model, got, compiled._pad_id)):
        assert torch.allclose(torch.tensor(g.logprobs), lp.cpu(), atol=1e-3)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)  # in place: same storage, which the CUDA graph reads
    after = compiled.generate(PROMPTS, GREEDY)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == graphs
    for g, lp in zip(after, recomputed(model, after, compiled._pad_id)):
        assert torch.allclose(torch.tensor(g.logprobs), lp.cpu(), atol=1e-3)
