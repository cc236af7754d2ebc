"""The vllm agent's conversions (our sampling parameters in, vLLM's request outputs back), on CPU.

vLLM itself needs a GPU, so these use a stand-in for the *vllm package's* objects (plain
namespaces with the attributes vLLM documents); the conversion code under test is ours and real.
The engine round trip is tested on a GPU machine (tests marked ``gpu``)."""

from __future__ import annotations

from types import SimpleNamespace

from zeroplay.agents.policy import SamplingParams
from zeroplay.agents.vllm import _load_weights, request_seed, to_generation, vllm_params

fake_vllm = SimpleNamespace(SamplingParams=lambda **kw: kw)


def test_sampling_params_map_onto_vllms_names():
    got = vllm_params(fake_vllm, SamplingParams(temperature=0.7, top_p=0.9, max_new_tokens=12, stop=("\n",),
                                                logprobs=True), seed=5)
    assert got == {"n": 1, "temperature": 0.7, "top_p": 0.9, "max_tokens": 12, "stop": ["\n"], "seed": 5, "logprobs": 0}
    plain = vllm_params(fake_vllm, SamplingParams(), seed=1)
    assert plain["stop"] is None and plain["logprobs"] is None  # no stop strings, no log-probs asked


def test_request_seeds_are_distinct_reproducible_and_in_range():
    for base in (0, 1, 2**31, 2**62 + 12345):  # the trainer's seeds are 63-bit
        seeds = [request_seed(base, i) for i in range(256)]
        assert len(set(seeds)) == 256 and all(0 <= s < 2**31 - 1 for s in seeds)
        assert seeds == [request_seed(base, i) for i in range(256)]


def _output(token_ids, text, finish_reason="stop", with_logprobs=True):
    # vLLM's per-step log-probs: {token id: Logprob(logprob=...)}, the sampled token among them
    steps = [{t: SimpleNamespace(logprob=-0.5 * (k + 1)), t + 1000: SimpleNamespace(logprob=-9.0)}
             for k, t in enumerate(token_ids)] if with_logprobs else None
    done = SimpleNamespace(token_ids=tuple(token_ids), text=text, logprobs=steps, finish_reason=finish_reason,
                           stop_reason=None)
    return SimpleNamespace(prompt_token_ids=[1, 2, 3], outputs=[done])


def test_a_request_output_becomes_a_generation_with_the_sampled_tokens_logprobs():
    gen = to_generation(_output([7, 8, 2], "[bet]"), [9], SamplingParams(logprobs=True), "raw_logprobs")
    assert gen.text == "[bet]" and gen.prompt_ids == [1, 2, 3] and gen.completion_ids == [7, 8, 2]
    assert gen.logprobs == [-0.5, -1.0, -1.5]  # the sampled token's entry at each step, not the others
    assert gen.finish_reason == "stop" and gen.meta["logprobs_mode"] == "raw_logprobs"


def test_length_stop_strings_and_no_logprobs():
    gen = to_generation(_output([5, 6], "ab\ncd", finish_reason="length", with_logprobs=False), [4],
                        SamplingParams(stop=("\n",)), "raw_logprobs")
    assert gen.text == "ab" and gen.logprobs is None and gen.finish_reason == "length"
    empty_prompt = _output([5], "x")
    empty_prompt.prompt_token_ids = None
    assert to_generation(empty_prompt, [4, 4], SamplingParams(), "m").prompt_ids == [4, 4]  # our ids when vLLM gives none


def test_weights_are_loaded_into_the_workers_model():
    loaded = []
    worker = SimpleNamespace(model_runner=SimpleNamespace(model=SimpleNamespace(load_weights=lambda weights: loaded.append(weights))))
    _load_weights(worker, [("w", 1.0)])
    assert loaded == [[("w", 1.0)]]
