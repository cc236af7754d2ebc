"""The ``hf`` agent on a tiny random-init model loaded from disk: batching, log-probs, sampling."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from zeroplay import agents
from zeroplay.agents.hf import HFAgent, completion_logprobs
from zeroplay.agents.policy import Policy, SamplingParams
from zeroplay.core.errors import AgentError, ConfigError

PROMPTS = [
    "You are player 0. Legal moves: [1] [2] [3]. Write your move in brackets.",
    "hi",
    "What is 17 * 3? Put the answer in \\boxed{}.",
    "x" * 150,
    "def f(x):\n    return x + 1\nprint(f(2))",
]
GREEDY = SamplingParams(temperature=0.0, max_new_tokens=24, logprobs=True)


def test_is_a_policy_and_an_agent(tiny_agent: HFAgent) -> None:
    assert isinstance(tiny_agent, Policy) and isinstance(tiny_agent, agents.Agent)
    actions = tiny_agent.act(PROMPTS[:2], [{}, {}])
    assert len(actions) == 2 and all(isinstance(a, str) for a in actions)


@pytest.mark.parametrize("chat", [True, False])
def test_batched_greedy_equals_unbatched(tiny_model_dir: Path, chat: bool) -> None:
    agent = agents.make("hf", model=str(tiny_model_dir), chat=chat, batch_size=8)
    batched = agent.generate(PROMPTS, GREEDY)
    single = [agent.generate([p], GREEDY)[0] for p in PROMPTS]
    # the test means something only if prompts of different lengths give different completions
    assert len({tuple(g.completion_ids) for g in batched}) > 1
    assert len({len(g.prompt_ids) for g in batched}) == len(PROMPTS)
    for b, s in zip(batched, single):
        assert b.prompt_ids == s.prompt_ids
        assert b.completion_ids == s.completion_ids
        assert b.text == s.text
        assert b.logprobs == pytest.approx(s.logprobs, abs=1e-4)


def test_chunked_batches_keep_order(tiny_model_dir: Path) -> None:
    whole = agents.make("hf", model=str(tiny_model_dir), batch_size=16).generate(PROMPTS, GREEDY)
    chunked = agents.make("hf", model=str(tiny_model_dir), batch_size=2).generate(PROMPTS, GREEDY)
    assert [g.completion_ids for g in whole] == [g.completion_ids for g in chunked]


def test_logprobs_match_a_plain_forward_pass(tiny_agent: HFAgent) -> None:
    params = SamplingParams(temperature=1.3, top_p=0.8, max_new_tokens=20, seed=7, logprobs=True)
    gens = tiny_agent.generate(PROMPTS, params)
    model = tiny_agent.model
    for g in gens:
        assert len(g.logprobs) == len(g.completion_ids) > 0
        ids = torch.tensor([g.prompt_ids + g.completion_ids])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0].float()
        # documented definition: log_softmax of the raw logits (temperature 1, no top-p)
        expected = torch.log_softmax(logits[len(g.prompt_ids) - 1 : -1], dim=-1)
        expected = expected.gather(-1, torch.tensor(g.completion_ids)[:, None]).squeeze(-1)
        assert torch.allclose(torch.tensor(g.logprobs), expected, atol=1e-4)
    with torch.no_grad():
        again = completion_logprobs(
            model,
            [g.prompt_ids for g in gens],
            [g.completion_ids for g in gens],
            pad_token_id=tiny_agent.tokenizer.pad_token_id,
        )
    for g, lp in zip(gens, again):
        assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)


def test_completion_logprobs_carries_gradients(tiny_agent: HFAgent) -> None:
    g = tiny_agent.generate(PROMPTS[:1], GREEDY)[0]
    (lp,) = completion_logprobs(tiny_agent.model, [g.prompt_ids], [g.completion_ids])
    lp.sum().backward()
    grads = [p.grad for p in tiny_agent.model.parameters() if p.grad is not None]
    assert grads and any(gr.abs().sum() > 0 for gr in grads)
    tiny_agent.model.zero_grad(set_to_none=True)


def test_seeded_sampling_is_reproducible(tiny_agent: HFAgent) -> None:
    p = SamplingParams(temperature=1.0, max_new_tokens=16, seed=123)
    a, b = tiny_agent.generate(PROMPTS, p), tiny_agent.generate(PROMPTS, p)
    c = tiny_agent.generate(PROMPTS, SamplingParams(temperature=1.0, max_new_tokens=16, seed=124))
    assert [g.completion_ids for g in a] == [g.completion_ids for g in b]
    assert [g.completion_ids for g in a] != [g.completion_ids for g in c]
    tiny_agent.reset(5)
    d = tiny_agent.generate(PROMPTS, SamplingParams(max_new_tokens=8))
    tiny_agent.reset(5)
    e = tiny_agent.generate(PROMPTS, SamplingParams(max_new_tokens=8))
    assert [g.completion_ids for g in d] == [g.completion_ids for g in e]


def test_top_p_tiny_is_greedy(tiny_agent: HFAgent) -> None:
    # top_p close to 0 keeps only the most likely token: sampling becomes argmax
    greedy = tiny_agent.generate(PROMPTS, SamplingParams(temperature=0, max_new_tokens=12))
    nucleus = tiny_agent.generate(PROMPTS, SamplingParams(temperature=5.0, top_p=1e-6, max_new_tokens=12, seed=1))
    assert [g.completion_ids for g in greedy] == [g.completion_ids for g in nucleus]


def test_stop_strings_cut_text_and_finish(tiny_agent: HFAgent) -> None:
    full = tiny_agent.generate(PROMPTS[:1], SamplingParams(temperature=0, max_new_tokens=24))[0]
    assert full.finish_reason == "length" and len(full.completion_ids) == 24
    stop = full.text[len(full.text) // 2 : len(full.text) // 2 + 2]
    cut = tiny_agent.generate(PROMPTS[:1], SamplingParams(temperature=0, max_new_tokens=24, stop=[stop]))[0]
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.find(stop)]
    assert full.completion_ids[: len(cut.completion_ids)] == cut.completion_ids
    assert len(cut.completion_ids) < 24


def test_chat_prompts_system_prompt_and_raw(tiny_model_dir: Path) -> None:
    tok = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    agent = agents.make("hf", model=str(tiny_model_dir), system_prompt="SYS", max_new_tokens=2)
    g = agent.generate(["obs"])[0]
    assert (
        tok.decode(g.prompt_ids)
        == "<|im_start|>system\nSYS<|im_end|>\n<|im_start|>user\nobs<|im_end|>\n<|im_start|>assistant\n"
    )
    msgs = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    assert tok.decode(agent.generate([msgs])[0].prompt_ids).count("<|im_start|>") == 4
    raw = agents.make("hf", model=str(tiny_model_dir), chat=False, max_new_tokens=2)
    assert raw.generate(["plain text"])[0].prompt_ids == tok("plain text")["input_ids"]


def test_live_model_is_used(tiny_model_dir: Path) -> None:
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tok = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    agent = HFAgent(model, tok, temperature=0.0, max_new_tokens=8)
    before = agent.generate(PROMPTS[:2])
    assert all(g.finish_reason == "length" for g in before)
    model.train()
    # an update in place (the model object stays the same) after which EOS is the only likely token
    head = torch.nn.Linear(model.config.hidden_size, model.config.vocab_size, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[tok.eos_token_id] = 10.0
    model.lm_head = head
    after = agent.generate(PROMPTS[:2], SamplingParams(temperature=0, max_new_tokens=8, logprobs=True))
    assert model.training  # mode restored
    for g in after:
        assert g.completion_ids == [tok.eos_token_id] and g.finish_reason == "stop" and g.text == ""
        assert g.logprobs[0] == pytest.approx(10.0 - torch.logsumexp(head.bias, 0).item(), abs=1e-4)


@pytest.mark.parametrize("obs", ["", "\x00\xff\ud7ff junk", "[" * 3000, "🙂" * 200])
def test_hostile_observations_do_not_crash(tiny_agent: HFAgent, obs: str) -> None:
    (g,) = tiny_agent.generate([obs], SamplingParams(temperature=0, max_new_tokens=4))
    assert isinstance(g.text, str) and 0 < len(g.completion_ids) <= 4


def test_overlong_prompt_is_cut_from_the_left(tiny_agent: HFAgent) -> None:
    (g,) = tiny_agent.generate(["START " + "word " * 2000 + "END"], SamplingParams(temperature=0, max_new_tokens=4))
    assert len(g.prompt_ids) == 512 - 4 and g.meta["prompt_truncated"]  # room for max_new_tokens
    assert 1 <= len(g.completion_ids) <= 4
    assert tiny_agent.tokenizer.decode(g.prompt_ids).endswith("END<|im_end|>\n<|im_start|>assistant\n")


def test_clear_errors(tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="local directory"):
        agents.make("hf", model=str(tmp_path / "no-such-model"))
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    with pytest.raises(ConfigError, match="tokenizer"):
        HFAgent(model)
    tok = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    tok.chat_template = None
    with pytest.raises(ConfigError, match="chat=False"):
        HFAgent(model, tok)
    agent = HFAgent(model, tok, chat=False)
    with pytest.raises(TypeError, match="list of prompts"):
        agent.generate("one prompt")


def test_path_is_another_name_for_model(tiny_model_dir: Path) -> None:
    a = agents.make("hf", path=str(tiny_model_dir), temperature=0.0, max_new_tokens=4)
    b = agents.make("hf", model=str(tiny_model_dir), temperature=0.0, max_new_tokens=4)
    assert a.act(PROMPTS) == b.act(PROMPTS)
    with pytest.raises(ConfigError, match="model=DIR"):
        agents.make("hf")


@pytest.mark.gpu
def test_on_gpu_batched_equals_unbatched_and_logprobs_recompute(tiny_model_dir: Path) -> None:
    agent = agents.make("hf", model=str(tiny_model_dir), device="cuda", dtype="float32")
    assert agent.device.type == "cuda"
    batched = agent.generate(PROMPTS, GREEDY)
    assert [g.completion_ids for g in batched] == [agent.generate([p], GREEDY)[0].completion_ids for p in PROMPTS]
    with torch.no_grad():
        again = completion_logprobs(agent.model, [g.prompt_ids for g in batched], [g.completion_ids for g in batched])
    for g, lp in zip(batched, again):
        assert torch.allclose(torch.tensor(g.logprobs), lp.cpu(), atol=1e-3)
