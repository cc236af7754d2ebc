"""Training a model shaped like a user's own checkpoint (``model.path``), not the embedded tiny one.

The models are built here with transformers' own classes (random init, hidden 64, 2 layers), a BPE
tokenizer trained in-process, and saved with ``save_pretrained``:

- a GPT-2-like model without a chat template: training frames its prompts as plain text
  (:data:`zeroplay.agents.hf.PLAIN_CHAT_TEMPLATE`) and ``final_model/`` keeps that template, so an
  agent or ``zeroplay serve`` on the trained model sees prompts exactly as training did;
- a Qwen2-like model with tied embeddings and an EOS list in its generation config: a run resumed from
  its checkpoint and its ``final_model/`` hold the trained weights, still tied, and the EOS list;
- a chat template that refuses a system message (Mistral's rule) under ``template: boxed``: one
  clear error naming the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from zeroplay.agents.hf import PLAIN_CHAT_TEMPLATE, HFAgent  # noqa: E402
from zeroplay.agents.tiny import default_corpus  # noqa: E402
from zeroplay.core.errors import AgentError  # noqa: E402
from zeroplay.training import train  # noqa: E402
from zeroplay.training.checkpoint import load_checkpoint  # noqa: E402

from .conftest import tiny_config  # noqa: E402

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
NO_SYSTEM = (
    "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}"
)
QUICK = {"steps": 1, "warmup.steps": 1, "eval.exploitability": False, "eval.games": 2, "games.games_per_step": 4}


def _tokenizer(special: list[str], **tokens: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.post_processor = processors.ByteLevel(trim_offsets=False)
    raw.train_from_iterator(default_corpus(), trainer=trainers.BpeTrainer(
        vocab_size=400, special_tokens=special, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return transformers.PreTrainedTokenizerFast(tokenizer_object=raw, **tokens)


def _save(model, tok, path: Path) -> Path:
    transformers.utils.logging.disable_progress_bar()
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def build_gpt2(path: Path) -> Path:
    tok = _tokenizer(["<|endoftext|>"], bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    config = transformers.GPT2Config(vocab_size=len(tok), n_embd=64, n_layer=2, n_head=4, n_positions=128,
                                     bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        return _save(transformers.GPT2LMHeadModel(config), tok, path)


def build_qwen2(path: Path, template: str = CHATML) -> Path:
    tok = _tokenizer(["<|endoftext|>", "<|im_start|>", "<|im_end|>"], eos_token="<|im_end|>", pad_token="<|im_end|>",
                     additional_special_tokens=["<|endoftext|>", "<|im_start|>"])
    tok.chat_template = template
    eos = [tok.convert_tokens_to_ids("<|im_end|>"), tok.convert_tokens_to_ids("<|endoftext|>")]
    config = transformers.Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                                      eos_token_id=eos, pad_token_id=tok.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        model = transformers.Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = eos
    return _save(model, tok, path)


def _samples(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


def test_a_model_without_chat_template_trains_on_plain_prompts_and_keeps_them(tmp_path: Path) -> None:
    path = build_gpt2(tmp_path / "gpt2")
    assert not (path / "chat_template.jinja").exists()
    run_dir = train(tiny_config(tmp_path, **QUICK, **{"model.path": str(path)}), quiet=True)
    prompts = {s["prompt"] for s in _samples(run_dir)}
    # "K | [check] [bet]\n": the observation as plain text, then a newline
    assert prompts and all(p.endswith("\n") and "\n" not in p[:-1] and "|" in p for p in prompts)
    final = transformers.AutoTokenizer.from_pretrained(run_dir / "final_model")
    assert final.chat_template == PLAIN_CHAT_TEMPLATE
    agent = HFAgent(str(run_dir / "final_model"), device="cpu")  # chat mode: the template it trained with
    observation = next(iter(prompts))[:-1]
    assert agent.tokenizer.decode(agent.encode(observation)) == observation + "\n"
    assert agent.encode([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]) == \
        final("S\n\nU\n", add_special_tokens=False)["input_ids"]


def test_tied_weights_and_the_eos_list_survive_resume_and_final_model(tmp_path: Path) -> None:
    path = build_qwen2(tmp_path / "qwen2")
    cfg = tiny_config(tmp_path, **QUICK, **{"model.path": str(path)})
    train(cfg, quiet=True)
    run_dir = train({**cfg, "steps": 2}, quiet=True)  # resumed from the step-1 checkpoint
    state = load_checkpoint(run_dir)
    assert state["step"] == 2
    weights = state["model"]
    assert torch.equal(weights["lm_head.weight"], weights["model.embed_tokens.weight"])
    final = transformers.AutoModelForCausalLM.from_pretrained(run_dir / "final_model")
    assert final.lm_head.weight.data_ptr() == final.model.embed_tokens.weight.data_ptr()
    for name, tensor in final.state_dict().items():
        assert torch.equal(tensor, weights[name]), name
    initial = transformers.AutoModelForCausalLM.from_pretrained(path)
    assert not torch.equal(initial.model.embed_tokens.weight, final.model.embed_tokens.weight)  # it trained
    saved = json.loads((run_dir / "final_model" / "generation_config.json").read_text())
    assert saved["eos_token_id"] == initial.generation_config.eos_token_id and len(saved["eos_token_id"]) == 2
    assert (run_dir / "final_model" / "chat_template.jinja").read_text() == CHATML


def test_a_template_that_takes_no_system_message_under_boxed_is_one_clear_error(tmp_path: Path) -> None:
    path = build_qwen2(tmp_path / "mistral-like", NO_SYSTEM)
    cfg = tiny_config(tmp_path, **QUICK, **{"model.path": str(path), "template": "boxed"})
    with pytest.raises(AgentError, match=r"refused a conversation of roles system, user.*`template: plain`"):
        train(cfg, quiet=True)
    run_dir = train({**cfg, "name": "plain", "template": "plain"}, quiet=True)  # what the message says works
    assert all(s["prompt"].startswith("[INST] ") for s in _samples(run_dir))


def test_a_tokenizer_without_eos_ends_completions_with_the_models_eos(tmp_path: Path) -> None:
    """Only ``generation_config.eos_token_id`` names the end: the warm-up and the exact evaluation end
    each completion with it (they appended None and crashed)."""
    path = build_qwen2(tmp_path / "no-eos")
    tok = transformers.AutoTokenizer.from_pretrained(path)
    tok.eos_token = None
    tok.save_pretrained(path)
    assert transformers.AutoTokenizer.from_pretrained(path).eos_token_id is None
    run_dir = train(tiny_config(tmp_path, **{**QUICK, "eval.exploitability": True}, **{"model.path": str(path)}),
                    quiet=True)
    assert load_checkpoint(run_dir)["step"] == 1
