"""The tiny model builder: loads back through the Auto classes, as a user loads a checkpoint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")

from zeroplay.agents.tiny import EOS_TOKEN, build_tiny_model


def test_loads_with_auto_classes(tiny_model_dir: Path) -> None:
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tok = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    assert model.config.hidden_size == 32 and model.config.num_hidden_layers == 2
    assert model.config.vocab_size == len(tok)
    assert tok.eos_token == EOS_TOKEN and tok.pad_token_id is not None and tok.bos_token_id is not None
    assert len({tok.eos_token_id, tok.pad_token_id, tok.bos_token_id}) == 3
    text = tok.apply_chat_template(
        [{"role": "user", "content": "move [3]"}], tokenize=False, add_generation_prompt=True
    )
    assert text == "<|im_start|>user\nmove [3]<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize("text", ["[a1] \\boxed{42}", "héllo 日本 \x00\x7f", "def f(x):\n\treturn x"])
def test_any_text_round_trips(tiny_model_dir: Path, text: str) -> None:
    tok = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids) == text


def test_same_seed_same_weights(tmp_path: Path) -> None:
    a = build_tiny_model(tmp_path / "a", hidden_size=32, seed=1)
    b = build_tiny_model(tmp_path / "b", hidden_size=32, seed=1)
    c = build_tiny_model(tmp_path / "c", hidden_size=32, seed=2)

    def digest(p: Path) -> str:
        return hashlib.sha256((p / "model.safetensors").read_bytes()).hexdigest()

    assert digest(a) == digest(b) != digest(c)


def test_corpus_shapes_vocabulary(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path / "m", corpus=["zorblax " * 50] * 20, vocab_size=300, hidden_size=32)
    tok = transformers.AutoTokenizer.from_pretrained(path)
    assert len(tok(" zorblax", add_special_tokens=False)["input_ids"]) == 1


def test_rejects_bad_heads(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="divisible"):
        build_tiny_model(tmp_path, hidden_size=30, num_heads=4)
