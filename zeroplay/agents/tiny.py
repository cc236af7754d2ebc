"""A tiny random-init causal LM and its tokenizer, built entirely in-process.

:func:`build_tiny_model` trains a byte-level BPE tokenizer on a small corpus with the
``tokenizers`` library, wraps it as a ``PreTrainedTokenizerFast`` with bos/eos/pad tokens and a
ChatML chat template, builds a small Llama-architecture model with random weights, and saves
both with ``save_pretrained``. The directory then loads exactly as a real checkpoint does::

    path = build_tiny_model("/tmp/tiny")
    model = AutoModelForCausalLM.from_pretrained(path)
    tok = AutoTokenizer.from_pretrained(path)

Guarantees: no network access; the same arguments give the same tokenizer and the same
weights (the seed fixes torch's init); any text encodes (the byte-level alphabet is always in
the vocabulary, so hostile model output never hits an unknown token).
Does not: produce a model that says anything sensible. It is for tests, smoke runs and
benchmarks of the machinery, not of learning quality.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path

from zeroplay.core.optional import require

BOS_TOKEN = "<|bos|>"
EOS_TOKEN = "<|im_end|>"
PAD_TOKEN = "<|pad|>"
IM_START = "<|im_start|>"
SPECIAL_TOKENS = [PAD_TOKEN, BOS_TOKEN, IM_START, EOS_TOKEN]

#: ChatML, as Qwen models use: ``<|im_start|>role\ncontent<|im_end|>\n`` per message, and
#: ``<|im_start|>assistant\n`` when a generation prompt is asked for.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# The words our envs and tasks use, so the tokenizer learns merges for them (shorter prompts).
_VOCAB_WORDS = (
    "player move moves legal illegal action actions board game turn win wins lose draw invalid "
    "answer reasoning think step problem task solve solution output input function def return "
    "print import class lambda if else elif for while in range len int str list dict True False "
    "None assert check bet call fold check raise pass card cards pot chips King Queen Jack Ace "
    "TicTacToe ConnectFour Kuhn Poker Nim column row cell mark X O empty proposer solver "
    "deduction abduction induction compute evaluate expression number integer fraction sqrt "
    "boxed frac The the a an of to is are you your You Your write Write one following final "
    "Answer brackets format system user assistant"
)


def default_corpus() -> list[str]:
    """A small built-in corpus: printable ASCII, brackets, digits, arithmetic, code and the
    vocabulary of zeroplay's games and tasks."""
    lines = [
        string.printable,
        _VOCAB_WORDS,
        "[0] [1] [2] [3] [4] [5] [6] [7] [8] [9] [a1] [b2] [c3] [bet] [call] [fold] [check] [pass]",
        "\\boxed{42} \\frac{1}{2} \\sqrt{2} x^2 + 3*x - 7 = 0 (1 + 2) * 3 = 9 10 / 4 = 2.5 -17 % 5",
        "def f(x):\n    return x * 2 + 1\n\nprint(f(3))\nassert f(3) == 7\n",
        "for i in range(10):\n    if i % 2 == 0:\n        print(i)\n",
        "You are player 0. The board is:\n X | O | . \n---+---+---\n . | X | . \nYour legal moves: [2] [3] [5]",
        "Think step by step, then write your final answer in brackets, e.g. [4].",
        '<think>reasoning</think> <answer>42</answer> {"key": [1, 2, 3]}',
    ]
    lines += [" ".join(str(i) for i in range(k, k + 20)) for k in range(0, 200, 20)]
    return lines


def build_tokenizer(
    corpus: Iterable[str] | None = None, *, vocab_size: int = 512, chat_template: str = CHATML_TEMPLATE
):
    """Train a byte-level BPE tokenizer and wrap it as a ``PreTrainedTokenizerFast``.

    The byte alphabet is always in the vocabulary, so ``vocab_size`` is raised to at least
    256 + the special tokens. Returns the wrapped tokenizer (not saved).
    """
    tokenizers = require("tokenizers", "train", "the tiny test tokenizer")
    transformers = require("transformers", "train", "the tiny test model")
    from tokenizers import decoders, models, pre_tokenizers, processors, trainers

    texts = list(corpus) if corpus is not None else default_corpus()
    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=max(vocab_size, len(alphabet) + len(SPECIAL_TOKENS)),
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    wrapped = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        additional_special_tokens=[IM_START],
        padding_side="left",  # decoder-only batched generation pads on the left
        clean_up_tokenization_spaces=False,
    )
    wrapped.chat_template = chat_template
    return wrapped


def build_tiny_model(
    path: str | Path,
    *,
    corpus: Iterable[str] | None = None,
    vocab_size: int = 512,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    max_position_embeddings: int = 1024,
    chat_template: str = CHATML_TEMPLATE,
    seed: int = 0,
) -> Path:
    """Build a tiny random-init Llama-style causal LM and its tokenizer; save both to ``path``.

    ``hidden_size`` must be divisible by ``num_heads``. Returns ``path`` as a :class:`Path`.
    """
    if hidden_size % num_heads:
        raise ValueError(f"hidden_size ({hidden_size}) must be divisible by num_heads ({num_heads})")
    torch = require("torch", "train", "the tiny test model")
    transformers = require("transformers", "train", "the tiny test model")

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(corpus, vocab_size=vocab_size, chat_template=chat_template)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        # untied: with tied embeddings a random-init model mostly repeats its last input token,
        # and tests of batching need outputs that differ from prompt to prompt
        tie_word_embeddings=False,
    )
    # seed torch's init without disturbing the caller's global RNG state
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.LlamaForCausalLM(config)
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    # a tiny model saves in milliseconds: transformers' "Writing model shards" bar would be noise
    hf_logging = transformers.utils.logging
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(path)
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    tokenizer.save_pretrained(path)
    return path
