"""The ``hf`` agent on models shaped like users' own checkpoints, not only the embedded tiny one.

Each model is built here with transformers' own classes (random init, hidden 64, 2 layers), a BPE
tokenizer trained in-process, and saved with ``save_pretrained``, as a user's directory looks:

- ``llama3``: LlamaForCausalLM; the tokenizer adds ``<|begin_of_text|>`` itself and so does the
  Llama-3-style chat template; ``generation_config.eos_token_id`` is a list of two ids; no pad token;
- ``qwen2``: Qwen2ForCausalLM with tied embeddings, a ChatML template, pad == eos;
- ``gpt2``: GPT2LMHeadModel without a chat template and a context of 128 positions;
- ``nosys``: the qwen2 model with a Mistral-style template that takes no system message.

Checked: every EOS of the list stops a completion; one BOS per prompt in chat and raw mode;
log-probs of a batch padded with the EOS id equal those of each prompt alone, also when the pad
token was added to the tokenizer without resizing the model (it would index past the embeddings); a bf16 and a sharded
checkpoint decode as the float32 one does; a cut prompt is reported once; a template that refuses a
prompt, and a model without a template, are one clear error each (also through ``zeroplay serve``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from zeroplay import agents  # noqa: E402
from zeroplay.agents.hf import HFAgent, completion_logprobs  # noqa: E402
from zeroplay.agents.policy import SamplingParams  # noqa: E402
from zeroplay.agents.tiny import default_corpus  # noqa: E402
from zeroplay.core.errors import AgentError, ConfigError  # noqa: E402

LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
NO_SYSTEM = (  # Mistral-7B-Instruct's rule: user and assistant alternate, nothing else
    "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}"
)
GREEDY = SamplingParams(temperature=0, max_new_tokens=6, logprobs=True)


def _bpe(special: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(default_corpus(), trainer=trainer)
    return tok


def _save(model, tok, path: Path, **kwargs) -> Path:
    transformers.utils.logging.disable_progress_bar()
    model.save_pretrained(path, **kwargs)
    tok.save_pretrained(path)
    return path


def build_llama3(path: Path, *, dtype=None, max_shard_size: str | None = None) -> Path:
    from tokenizers import processors

    special = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    raw = _bpe(special)
    bos = raw.token_to_id("<|begin_of_text|>")
    raw.post_processor = processors.Sequence([  # Llama 3's tokenizer adds the BOS itself
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", bos)])])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<|begin_of_text|>",
                                               eos_token="<|eot_id|>", additional_special_tokens=special[2:4])
    tok.chat_template = LLAMA3_TEMPLATE
    eos = [raw.token_to_id("<|end_of_text|>"), raw.token_to_id("<|eot_id|>")]
    config = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, bos_token_id=bos, eos_token_id=eos,
                                      max_position_embeddings=1024, tie_word_embeddings=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = transformers.LlamaForCausalLM(config)
    model.generation_config.eos_token_id = eos
    if dtype is not None:
        model = model.to(dtype)
    return _save(model, tok, path, **({"max_shard_size": max_shard_size} if max_shard_size else {}))


def build_qwen2(path: Path, template: str = CHATML) -> Path:
    raw = _bpe(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<|im_end|>", pad_token="<|im_end|>",
                                               additional_special_tokens=["<|endoftext|>", "<|im_start|>"])
    tok.chat_template = template
    config = transformers.Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        model = transformers.Qwen2ForCausalLM(config)
    return _save(model, tok, path)


def build_gpt2(path: Path) -> Path:
    raw = _bpe(["<|endoftext|>"])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<|endoftext|>",
                                               eos_token="<|endoftext|>")
    config = transformers.GPT2Config(vocab_size=len(tok), n_embd=64, n_layer=2, n_head=4, n_positions=128,
                                     bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        model = transformers.GPT2LMHeadModel(config)
    return _save(model, tok, path)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("user-models")
    return {"llama3": build_llama3(root / "llama3"), "qwen2": build_qwen2(root / "qwen2"),
            "gpt2": build_gpt2(root / "gpt2"), "nosys": build_qwen2(root / "nosys", NO_SYSTEM)}


def _force_next_token(agent: HFAgent, token_id: int) -> None:
    """Make ``token_id`` the model's greedy choice everywhere: a zero head with a bias on that token."""
    head = torch.nn.Linear(agent.model.config.hidden_size, agent.model.config.vocab_size, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[token_id] = 10.0
    agent.model.lm_head = head


# -- EOS, BOS and padding as the user's model defines them ------------------------------------------
@pytest.mark.parametrize("eos_name", ["<|end_of_text|>", "<|eot_id|>"])
def test_every_eos_of_the_generation_config_list_stops(models, eos_name: str) -> None:
    agent = HFAgent(str(models["llama3"]), device="cpu")
    assert agent.tokenizer.pad_token_id is None  # Llama 3 ships without one
    eos_id = agent.tokenizer.convert_tokens_to_ids(eos_name)
    _force_next_token(agent, eos_id)
    (g,) = agent.generate(["K | [check] [bet]"], GREEDY)
    assert g.completion_ids == [eos_id] and g.finish_reason == "stop" and g.text == ""


def test_one_bos_in_chat_and_in_raw_prompts(models) -> None:
    agent = HFAgent(str(models["llama3"]), device="cpu")
    bos = agent.tokenizer.bos_token_id
    chat = agent.encode([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])
    raw = agent.encode("Compute 1 + 2.", chat=False)
    assert chat[0] == bos and chat.count(bos) == 1  # the template writes it; the tokenizer must not add another
    assert raw[0] == bos and raw.count(bos) == 1
    assert agent.tokenizer.decode(chat).endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")


def test_padding_with_the_eos_id_leaves_log_probs_as_alone(models) -> None:
    agent = HFAgent(str(models["qwen2"]), device="cpu", batch_size=8)
    assert agent._pad_id == agent.tokenizer.eos_token_id  # pad == eos, as in Qwen's tokenizers
    prompts = ["K | [check] [bet]", "Compute 12 - (3 + 4) * 2, then say it again in words.", "x"]
    batched = agent.generate(prompts, SamplingParams(temperature=1.0, max_new_tokens=6, logprobs=True, seed=5))
    for g in batched:
        (lp,) = completion_logprobs(agent.model, [g.prompt_ids], [g.completion_ids], pad_token_id=agent._pad_id)
        assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)
        (alone,) = agent.generate_from_ids([g.prompt_ids], GREEDY)
        assert alone.prompt_ids == g.prompt_ids
    assert agent.model.lm_head.weight.data_ptr() == agent.model.model.embed_tokens.weight.data_ptr()  # still tied


def test_a_pad_token_added_without_resizing_the_embeddings_pads_with_an_eos_id(models, tmp_path: Path) -> None:
    import shutil

    path = Path(shutil.copytree(models["llama3"], tmp_path / "with-pad"))
    tok = transformers.AutoTokenizer.from_pretrained(path)
    tok.add_special_tokens({"pad_token": "<|pad|>"})  # how many give Llama 3 a pad token; the model keeps 400 rows
    tok.save_pretrained(path)
    agent = HFAgent(str(path), device="cpu", batch_size=4)
    assert agent.tokenizer.pad_token_id == agent.model.get_input_embeddings().num_embeddings  # one past the table
    assert agent._pad_id in agent._eos_ids
    gens = agent.generate(["hi", "a much longer prompt than the first"], SamplingParams(max_new_tokens=4, seed=0,
                                                                                        logprobs=True))
    for g in gens:  # padded batch, before: IndexError in the embedding
        (lp,) = completion_logprobs(agent.model, [g.prompt_ids], [g.completion_ids], pad_token_id=agent._pad_id)
        assert len(g.completion_ids) >= 1 and torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)


def test_bf16_and_sharded_checkpoints_decode_like_the_float32_one(models, tmp_path: Path) -> None:
    sharded = build_llama3(tmp_path / "sharded", max_shard_size="100KB")
    bf16 = build_llama3(tmp_path / "bf16", dtype=torch.bfloat16)
    assert len(list(sharded.glob("model-*.safetensors"))) > 1
    prompts = ["K | [check] [bet]", "Q | [call] [fold]"]
    base = HFAgent(str(models["llama3"]), device="cpu").generate(prompts, GREEDY)
    assert [g.completion_ids for g in HFAgent(str(sharded), device="cpu").generate(prompts, GREEDY)] == \
        [g.completion_ids for g in base]
    half = HFAgent(str(bf16), device="cpu")  # kept in the checkpoint's dtype, on CPU too
    assert half.model.dtype == torch.bfloat16
    for g in half.generate(prompts, GREEDY):
        assert len(g.completion_ids) == 6 and all(lp <= 0 and lp == lp for lp in g.logprobs)


# -- what does not fit ---------------------------------------------------------------------------------
def test_a_prompt_cut_to_the_context_is_reported_once(models) -> None:
    agent = agents.make("hf", model=str(models["gpt2"]), chat=False, device="cpu", max_new_tokens=8)
    long = "Kuhn Poker. " + "The deck has three cards. " * 60 + "Legal moves: [check], [bet]"
    assert len(agent.encode(long)) > 128
    with pytest.warns(UserWarning, match=r"context of 128 positions.*room for 8 new tokens.*--observation view"):
        (g,) = agent.generate([long], SamplingParams(max_new_tokens=8, seed=0))
    assert len(g.prompt_ids) == 120 and g.meta["prompt_truncated"] and len(g.completion_ids) == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        agent.generate([long], SamplingParams(max_new_tokens=8, seed=0))  # said once per agent


@pytest.mark.parametrize("cache", ["dynamic", "static"])
def test_a_batch_decodes_on_after_a_row_reaches_the_context(models, cache: str) -> None:
    """GPT-2's positions are a table of 128: a prompt that fits with room for one new token is done at
    position 127 while the others decode on (it indexed past the table: IndexError)."""
    agent = HFAgent(str(models["gpt2"]), chat=False, device="cpu", cache=cache, compile=False, batch_size=2)
    ids = agent.encode("Legal moves: [check], [bet]. " * 40)[-127:]
    fits = agent.tokenizer.decode(ids)
    assert len(agent.encode(fits)) == 127  # the text encodes back to 127 tokens: not cut, 1 new token
    for prompts in ([fits, "short"], [fits, "short", "x " * 100]):  # one batch; more prompts than rows (refill)
        gens = agent.generate(prompts, SamplingParams(max_new_tokens=8, seed=0, logprobs=True))
        assert [len(g.prompt_ids) for g in gens][0] == 127 and [len(g.completion_ids) for g in gens][1:] == [8] * (
            len(prompts) - 1) and len(gens[0].completion_ids) == 1
        for g in gens:
            (lp,) = completion_logprobs(agent.model, [g.prompt_ids], [g.completion_ids], pad_token_id=agent._pad_id)
            assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)


def test_a_model_without_chat_template_says_how_to_play_it(models) -> None:
    with pytest.raises(ConfigError, match="--agent-arg chat=false"):
        agents.make("hf", model=str(models["gpt2"]), device="cpu")
    agent = agents.make("hf", model=str(models["gpt2"]), chat=False, device="cpu", max_new_tokens=4, seed=0)
    assert len(agent.act(["K | [check] [bet]"])) == 1


def test_a_template_that_refuses_a_system_message_is_one_clear_error(models) -> None:
    agent = HFAgent(str(models["nosys"]), device="cpu", system_prompt="Answer in brackets.")
    with pytest.raises(AgentError, match=r"roles system, user \(Conversation roles must alternate.*template: plain"):
        agent.act(["K | [check] [bet]"])
    bare = HFAgent(str(models["nosys"]), device="cpu", max_new_tokens=4)
    assert bare.tokenizer.decode(bare.encode("hi")) == "[INST] hi [/INST]"  # without one it plays
    assert len(bare.act(["K | [check] [bet]"])) == 1


def test_serve_answers_a_refused_template_with_one_400(models) -> None:
    from zeroplay.agents.serve import RequestError, parse_request

    agent = HFAgent(str(models["nosys"]), device="cpu", chat=False)
    body = {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]}
    with pytest.raises(RequestError) as e:
        parse_request(body, chat=True, agent=agent, default_max_tokens=8)
    assert e.value.param == "messages" and str(e.value).count("refused") == 1
    assert "Conversation roles must alternate" in str(e.value)
