"""``hf``: a Hugging Face transformers causal LM as an agent and a training policy.

    agent = agents.make("hf", model="/path/to/checkpoint", temperature=0.0)
    agent = HFAgent(model, tokenizer)            # a live model the trainer updates in place

Generation is our own short sampling loop over the model's forward pass with a KV cache, not
``model.generate``: ``generate`` draws from torch's global RNG and hands back log-probs only as
full-vocabulary tensors for every step, while a trainer needs a per-call seed and the log-prob
of each sampled token, nothing more. The loop pads on the left, gives each row its own position
ids, and so batched greedy output equals unbatched output token for token.

Guarantees: ``generate`` returns one :class:`~zeroplay.agents.policy.Generation` per prompt, in
order; it always uses the model object as it is now (weights updated in place are seen at the
next call); it restores the model's train/eval mode; it never touches torch's global RNG.
Does not: stream, or batch across calls. Prompts longer than the model's context are cut from
the left (the end of an observation holds the question).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.agents.base import Agent
from zeroplay.agents.policy import Generation, Prompt, Prompter, SamplingParams, cut_at_stop, encode_prompt
from zeroplay.core.errors import AgentError, ConfigError
from zeroplay.core.optional import require


class HFAgent(Agent):
    """A transformers causal LM: ``act`` for play, ``generate`` for training.

    Args:
        model: a local checkpoint directory (or anything ``from_pretrained`` accepts), or an
            already-loaded ``PreTrainedModel`` (then ``tokenizer`` is required).
        path: another name for a checkpoint ``model`` (``zeroplay play --agent-arg path=DIR``).
        tokenizer: the tokenizer object, or ``None`` to load it from ``model``'s directory.
        system_prompt: added before each ``str`` prompt in chat mode.
        chat: format prompts with the tokenizer's chat template (``False``: raw completion).
        temperature, top_p, max_new_tokens, stop: the default :class:`SamplingParams` of ``act``
            and of ``generate`` when it is given no params.
        batch_size: the most prompts one forward pass holds; longer lists go in chunks.
        device, dtype: where and how to load a checkpoint (default: CUDA when present, else CPU;
            the checkpoint's own dtype). Ignored for a model object.
        seed: seeds the agent's generator (see :meth:`reset`).
    """

    name = "hf"

    def __init__(
        self,
        model: Any = None,
        tokenizer: Any = None,
        *,
        path: str | Path | None = None,
        system_prompt: str | None = None,
        chat: bool = True,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_new_tokens: int = 256,
        stop: str | Sequence[str] = (),
        batch_size: int = 16,
        device: str | None = None,
        dtype: str | None = None,
        seed: int | None = None,
    ):
        self.torch = require("torch", "train", "the hf agent")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if (model is None) == (path is None):
            raise ConfigError(
                "give the hf agent a checkpoint: model=DIR (or path=DIR), or model=<model> with tokenizer=<tokenizer>"
            )
        model = path if model is None else model
        if isinstance(model, (str, Path)):
            model, tokenizer = _load(model, tokenizer, device=device, dtype=dtype)
        elif tokenizer is None:
            raise ConfigError("HFAgent got a model object but no tokenizer; pass tokenizer=... as well")
        self.model, self.tokenizer = model, tokenizer
        self.prompter = Prompter(system_prompt=system_prompt, chat=chat)
        if chat and not getattr(tokenizer, "chat_template", None):
            raise ConfigError(
                "this tokenizer has no chat template; pass chat=False to use the model as a plain "
                "completion model, or set tokenizer.chat_template"
            )
        self.sampling = SamplingParams(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, stop=stop)
        self.batch_size = batch_size
        self._eos_ids = _eos_ids(model, tokenizer)
        pad = tokenizer.pad_token_id
        self._pad_id = int(pad if pad is not None else next(iter(self._eos_ids), 0))
        forward_params = inspect.signature(model.forward).parameters
        self._keeps_last_logits = "logits_to_keep" in forward_params
        # transformers >= 5.2x names the KV cache `cache` and warns on `past_key_values`; older
        # releases know only `past_key_values`
        self._cache_kwarg = "cache" if "cache" in forward_params else "past_key_values"
        self.reset(seed)

    # -- Agent ---------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Reseed the generator that calls without ``SamplingParams.seed`` draw their seeds from."""
        self._rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [g.text for g in self.generate(list(observations), self.sampling)]

    def close(self) -> None:
        self.model = None
        if self.torch.cuda.is_available():
            self.torch.cuda.empty_cache()

    # -- Policy --------------------------------------------------------------------------
    def generate(self, prompts: Sequence[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        """One :class:`Generation` per prompt, in order (see :mod:`zeroplay.agents.policy`)."""
        if isinstance(prompts, (str, dict)):
            raise TypeError("generate() takes a list of prompts; wrap a single prompt in a list")
        return self.generate_from_ids([self.encode(p) for p in prompts], params)

    def generate_from_ids(
        self,
        prompt_ids: Sequence[Sequence[int]],
        params: SamplingParams | None = None,
        on_token: Callable[[int, int], None] | None = None,
    ) -> list[Generation]:
        """:meth:`generate` for prompts already tokenized. ``on_token(row, token_id)`` is called
        for each sampled token as it comes (for streaming); it must be quick and not raise."""
        params = params or self.sampling
        encoded = [list(p) for p in prompt_ids]
        if not encoded:
            return []
        seed = params.seed if params.seed is not None else int(self._rng.integers(2**63 - 1))
        generator = self.torch.Generator(device=self.device).manual_seed(seed)
        # similar lengths together: less padding; results go back to the caller's order
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        results: list[Generation | None] = [None] * len(encoded)
        was_training = self.model.training
        self.model.eval()
        try:
            with self.torch.no_grad():
                for start in range(0, len(order), self.batch_size):
                    chunk = order[start : start + self.batch_size]
                    report = None if on_token is None else (lambda row, tok, chunk=chunk: on_token(chunk[row], tok))
                    for i, gen in zip(
                        chunk, self._generate_batch([encoded[i] for i in chunk], params, generator, report)
                    ):
                        results[i] = gen
        finally:
            self.model.train(was_training)
        return results  # type: ignore[return-value]

    def encode(self, prompt: Prompt, *, chat: bool | None = None) -> list[int]:
        """The prompt's token ids: chat template (with the generation prompt) or raw text.
        ``chat`` overrides the agent's own setting for this prompt."""
        chat = self.prompter.chat if chat is None else chat
        return encode_prompt(self.tokenizer, self.prompter, prompt, chat=chat, no_bos_id=self._pad_id)

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    # -- the sampling loop ---------------------------------------------------------------
    def _generate_batch(
        self,
        prompts: list[list[int]],
        params: SamplingParams,
        generator: Any,
        on_token: Callable[[int, int], None] | None,
    ) -> list[Generation]:
        torch = self.torch
        max_pos = getattr(self.model.config, "max_position_embeddings", None) or 1 << 30
        truncated = [len(p) >= max_pos for p in prompts]
        prompts = [p[-(max_pos - 1) :] if t else p for p, t in zip(prompts, truncated)]
        limits = [min(params.max_new_tokens, max_pos - len(p)) for p in prompts]

        n, width = len(prompts), max(len(p) for p in prompts)
        input_ids = torch.full((n, width), self._pad_id, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.long)
        for i, p in enumerate(prompts):
            input_ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p) :] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)

        completions: list[list[int]] = [[] for _ in range(n)]
        logprobs: list[list[float]] = [[] for _ in range(n)]
        reasons = ["length"] * n
        done = [False] * n
        logits, cache = self._forward(input_ids, mask, positions, None)
        last_pos = positions[:, -1:]
        for _ in range(max(limits)):
            tokens = self._pick(logits, params, generator)
            token_list = tokens.tolist()
            lp_list = (
                torch.log_softmax(logits, dim=-1).gather(-1, tokens[:, None]).squeeze(-1).tolist()
                if params.logprobs
                else None
            )
            for i in range(n):
                if done[i]:
                    continue
                completions[i].append(token_list[i])
                if lp_list is not None:
                    logprobs[i].append(lp_list[i])
                if on_token is not None:
                    on_token(i, token_list[i])
                done[i], reasons[i] = self._finished(completions[i], limits[i], params)
            if all(done):
                break
            feed = torch.tensor([self._pad_id if d else t for d, t in zip(done, token_list)], device=self.device)
            mask = torch.cat([mask, mask.new_ones((n, 1))], dim=-1)
            last_pos = last_pos + 1
            logits, cache = self._forward(feed[:, None], mask, last_pos, cache)

        out = []
        for i in range(n):
            text, _ = cut_at_stop(self.tokenizer.decode(completions[i], skip_special_tokens=True), params.stop)
            out.append(
                Generation(
                    text=text,
                    prompt_ids=prompts[i],
                    completion_ids=completions[i],
                    logprobs=logprobs[i] if params.logprobs else None,
                    finish_reason=reasons[i],  # type: ignore[arg-type]
                    meta={"prompt_truncated": True} if truncated[i] else {},
                )
            )
        return out

    def _forward(self, input_ids: Any, mask: Any, positions: Any, cache: Any) -> tuple[Any, Any]:
        """Next-token logits (float32, one row per sequence) and the updated KV cache."""
        kwargs: dict[str, Any] = {"logits_to_keep": 1} if self._keeps_last_logits else {}
        kwargs[self._cache_kwarg] = cache
        out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True, **kwargs)
        return out.logits[:, -1, :].float(), out[self._cache_kwarg]

    def _pick(self, logits: Any, params: SamplingParams, generator: Any) -> Any:
        """The next token of every row: argmax when greedy, else temperature + top-p sampling."""
        torch = self.torch
        if params.greedy:
            return logits.argmax(dim=-1)
        probs = torch.softmax(logits / params.temperature, dim=-1)
        if params.top_p < 1.0:
            sorted_probs, idx = probs.sort(dim=-1, descending=True)
            # drop a token when the more likely ones already reach top_p (the first always stays)
            drop = sorted_probs.cumsum(dim=-1) - sorted_probs >= params.top_p
            sorted_probs = sorted_probs.masked_fill(drop, 0.0)
            probs = torch.zeros_like(probs).scatter(-1, idx, sorted_probs)
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

    def _finished(self, completion: list[int], limit: int, params: SamplingParams) -> tuple[bool, str]:
        if completion[-1] in self._eos_ids:
            return True, "stop"
        if params.stop:
            text = self.tokenizer.decode(completion, skip_special_tokens=True)
            if cut_at_stop(text, params.stop)[1]:
                return True, "stop"
        return len(completion) >= limit, "length"


def completion_logprobs(
    model: Any, prompt_ids: Sequence[Sequence[int]], completion_ids: Sequence[Sequence[int]], *, pad_token_id: int = 0
) -> list[Any]:
    """Recompute :attr:`Generation.logprobs` with one forward pass: for each pair, a 1-D float32
    tensor of ``log_softmax(logits)[token]`` over the completion tokens.

    Sequences are right-padded (positions start at 0 in every row). Gradients flow when the
    caller has them enabled, so a trainer may use this for its loss.
    """
    torch = require("torch", "train", "recomputing log-probs")
    if len(prompt_ids) != len(completion_ids):
        raise ValueError(f"got {len(prompt_ids)} prompts but {len(completion_ids)} completions")
    seqs = [list(p) + list(c) for p, c in zip(prompt_ids, completion_ids)]
    width = max(len(s) for s in seqs)
    device = next(model.parameters()).device
    ids = torch.full((len(seqs), width), pad_token_id, dtype=torch.long, device=device)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    logits = model(input_ids=ids, attention_mask=mask).logits.float()
    out = []
    for i, (p, c) in enumerate(zip(prompt_ids, completion_ids)):
        start = len(p) - 1  # the logits at position t predict token t + 1
        rows = torch.log_softmax(logits[i, start : start + len(c)], dim=-1)
        out.append(rows.gather(-1, torch.tensor(list(c), dtype=torch.long, device=device)[:, None]).squeeze(-1))
    return out


def _load(path: str | Path, tokenizer: Any, *, device: str | None, dtype: str | None) -> tuple[Any, Any]:
    torch = require("torch", "train", "the hf agent")
    transformers = require("transformers", "train", "the hf agent")
    where = str(path)
    if Path(where).expanduser().exists():
        where = str(Path(where).expanduser())
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if Path(where).is_dir() and not (Path(where) / "config.json").is_file():
        raise AgentError(f"{where} holds no config.json, so it is not a transformers checkpoint; pass a directory "
                         "written by save_pretrained (config.json, the weights and the tokenizer)")
    try:
        if tokenizer is None:
            tokenizer = transformers.AutoTokenizer.from_pretrained(where)
        kwargs: dict[str, Any] = {"dtype": dtype} if dtype else {}
        model = transformers.AutoModelForCausalLM.from_pretrained(where, **kwargs).to(device)
    except OSError as e:
        raise AgentError(
            f"could not load a transformers model from {where!r}: {e}. Pass a local directory that holds "
            "config.json, the weights and the tokenizer (save_pretrained writes them)."
        ) from e
    return model, tokenizer


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    for source in (tokenizer.eos_token_id, getattr(getattr(model, "generation_config", None), "eos_token_id", None)):
        if isinstance(source, int):
            ids.add(source)
        elif isinstance(source, (list, tuple)):
            ids.update(int(x) for x in source)
    return ids
