"""``hf``: a Hugging Face transformers causal LM as an agent and a training policy.

    agent = agents.make("hf", model="/path/to/checkpoint", temperature=0.0)
    agent = HFAgent(model, tokenizer)            # a live model the trainer updates in place

Generation is our own short sampling loop over the model's forward pass with a KV cache, not
``model.generate``: ``generate`` draws from torch's global RNG and hands back log-probs only as
full-vocabulary tensors for every step, while a trainer needs a per-call seed and the log-prob
of each sampled token, nothing more. The loop pads on the left, gives each row its own position
ids, and so batched greedy output equals unbatched output token for token.

Two KV caches (``cache=``): ``dynamic`` grows a ``DynamicCache`` step by step, one chunk of
``batch_size`` prompts after another. ``static`` pre-allocates transformers' ``StaticCache`` to a
bucketed batch size and length (powers of two), so every decode step has the same shapes and
``compile`` can turn it into one compiled graph (``torch.compile``; mode ``reduce-overhead`` on
CUDA, that is CUDA graphs), built once per (model, batch bucket, length bucket) and reused across
calls. When more prompts wait than a batch holds, a row that finishes takes the next prompt
(refill): the prompt's keys and values, from an eager forward pass, are written into that row's
cache slots just before the shared cache position, and the attention mask hides the row's old
entries. ``auto`` (the default for both) is static and compiled on CUDA, dynamic elsewhere.

Guarantees: ``generate`` returns one :class:`~zeroplay.agents.policy.Generation` per prompt, in
order; it always uses the model object as it is now (weights updated in place are seen at the
next call, compiled or not, without recompiling); it restores the model's train/eval mode; it
never touches torch's global RNG; log-probs are those of the sampled tokens under the model's raw
distribution on either cache. With a seed, the two caches sample the same tokens when the prompts
fit one batch (same rows, same draws; logits agree to float rounding); with refill they differ.
If compilation fails, a warning says why and decoding goes on uncompiled.
Does not: stream, or batch across calls; use the static cache for models whose cache is not plain
full attention (sliding windows, linear attention: ``auto`` then stays dynamic). Prompts longer
than the model's context are cut from the left (the end of an observation holds the question),
leaving room for ``max_new_tokens`` new tokens, at most half the context (:func:`cut_room`); the
first cut prompt of an agent is reported in a warning, and every one in
``Generation.meta["prompt_truncated"]``. A prompt that fits is never cut: its completion may then
have fewer than ``max_new_tokens`` tokens (finish reason ``length``).

Models: any local transformers causal LM (``save_pretrained`` output, sharded or not, any saved
dtype). Every EOS id stops a completion: the tokenizer's and each of ``generation_config.eos_token_id``
(Llama 3 lists two). Without a pad token, or with one the model has no embedding for (added to the
tokenizer without resizing the model), padding uses an EOS id (masked out, never attended to).
A chat template that refuses a prompt (Mistral's and Gemma's take no system message) is an
:class:`~zeroplay.core.errors.AgentError` saying so. A model without a chat template plays with
``chat=False``; training frames its prompts with :data:`PLAIN_CHAT_TEMPLATE` instead.
"""

from __future__ import annotations

import inspect
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.agents.base import Agent
from zeroplay.agents.local_model import check_device, check_model_dir, looks_local
from zeroplay.agents.policy import Generation, Prompt, Prompter, SamplingParams, cut_at_stop, encode_prompt
from zeroplay.core.errors import AgentError, ConfigError
from zeroplay.core.optional import require

CACHES = ("auto", "dynamic", "static")
#: static caches kept between calls (each holds batch x length x layers of keys and values); the
#: compiled graph of a shape is tied to its cache's tensors, so a shape whose cache was dropped
#: compiles again when it comes back
KEPT_STATIC_CACHES = 2
#: the smallest static cache length: short calls share one compiled shape
MIN_STATIC_LENGTH = 64
#: The chat template training gives a tokenizer that has none (a base model such as GPT-2): the
#: messages' contents as plain text, a blank line between them, then a newline, where the model
#: continues. Saved with the trained model (``final_model/``), so serving it frames chat requests the
#: way it was trained.
PLAIN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if not loop.first %}{{ '\n\n' }}{% endif %}{{ message['content'] }}"
    "{% endfor %}{{ '\n' }}"
)


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
        batch_size: the most prompts one forward pass holds; longer lists go in chunks
            (dynamic cache) or refill finished rows (static cache).
        device, dtype: where and how to load a checkpoint (default: CUDA when present, else CPU;
            the checkpoint's own dtype). Ignored for a model object.
        seed: seeds the agent's generator (see :meth:`reset`).
        cache: the KV cache of decoding: ``"static"`` (pre-allocated, bucketed shapes, refill),
            ``"dynamic"`` (grows each step), ``"auto"`` (static on CUDA, dynamic elsewhere).
        compile: compile the static-cache decode step with ``torch.compile`` (``True``; on CPU it
            works but compiling takes tens of seconds per shape), or not (``False``); ``"auto"``:
            on CUDA only. Needs the static cache (``compile=True`` with ``cache="auto"`` picks it).
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
        cache: str = "auto",
        compile: bool | str = "auto",
    ):
        self.torch = require("torch", "train", "the hf agent")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        _check_decode_options(cache, compile)
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
                "completion model (zeroplay play: --agent-arg chat=false), or set tokenizer.chat_template"
            )
        self.sampling = SamplingParams(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, stop=stop)
        self.batch_size = batch_size
        self._eos_ids = _eos_ids(model, tokenizer)
        self._pad_id = _pad_id(model, tokenizer, self._eos_ids)
        forward_params = inspect.signature(model.forward).parameters
        self._keeps_last_logits = "logits_to_keep" in forward_params
        # transformers >= 5.2x names the KV cache `cache` and warns on `past_key_values`; older
        # releases know only `past_key_values`
        self._cache_kwarg = "cache" if "cache" in forward_params else "past_key_values"
        self.cache, self.compile = cache, compile
        self._static = _StaticState(unsupported=_static_cache_unsupported(model))
        self._warned_cut = False
        #: how the last call decoded: cache, compiled, rounds (batches prefilled), refills, decode steps
        self.last_decode: dict[str, Any] = {}
        if self._static.unsupported and (cache == "static" or compile is True):
            raise ConfigError(f"cache='static' (which compile=True needs) does not work here: "
                              f"{self._static.unsupported}; use cache='dynamic' and compile=False")
        self.reset(seed)

    # -- Agent ---------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Reseed the generator that calls without ``SamplingParams.seed`` draw their seeds from."""
        self._rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [g.text for g in self.generate(list(observations), self.sampling)]

    def close(self) -> None:
        self.model = None
        self._static = _StaticState(unsupported=self._static.unsupported)
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
        static, compiled = self.decode_plan()
        was_training = self.model.training
        self.model.eval()
        try:
            with self.torch.no_grad():
                run = self._start_run(encoded, params)
                if static:
                    self._generate_static(run, params, generator, on_token, compiled)
                else:
                    self._generate_dynamic(run, params, generator, on_token)
        finally:
            self.model.train(was_training)
        compiled = compiled and self._static.compile_error is None
        self.last_decode = {"cache": "static" if static else "dynamic", "compiled": compiled, "rounds": run.rounds,
                            "refills": run.refills, "decode_steps": run.decode_steps}
        return self._generations(run, params)

    def decode_plan(self) -> tuple[bool, bool]:
        """(static cache?, compiled?) for a call now, from the options and where the model is."""
        cuda = self.device.type == "cuda"
        static = self._static.unsupported is None and (
            self.cache == "static" or (self.cache == "auto" and (cuda or self.compile is True))
        )
        compiled = static and self._static.compile_error is None and (
            self.compile is True or (self.compile == "auto" and cuda)
        )
        return static, compiled

    def encode(self, prompt: Prompt, *, chat: bool | None = None) -> list[int]:
        """The prompt's token ids: chat template (with the generation prompt) or raw text.
        ``chat`` overrides the agent's own setting for this prompt."""
        from jinja2.exceptions import TemplateError

        chat = self.prompter.chat if chat is None else chat
        try:
            return encode_prompt(self.tokenizer, self.prompter, prompt, chat=chat, no_bos_id=self._pad_id)
        except TemplateError as e:  # the template's raise_exception: "System role not supported", ...
            roles = ", ".join(m["role"] for m in self.prompter.messages(prompt))
            why = " ".join(str(e).split())[:200]
            raise AgentError(
                f"the model's chat template refused a conversation of roles {roles} ({why}); "
                "give it prompts it takes (without a system message: `template: plain` in training, no "
                "system_prompt for an agent) or give the tokenizer a chat template that takes them"
            ) from None

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    # -- the dynamic-cache loop ----------------------------------------------------------
    def _generate_dynamic(
        self,
        run: _Run,
        params: SamplingParams,
        generator: Any,
        on_token: Callable[[int, int], None] | None,
    ) -> None:
        # similar lengths together: less padding; results go back to the caller's order
        order = sorted(range(len(run.prompts)), key=lambda i: len(run.prompts[i]))
        for start in range(0, len(order), self.batch_size):
            self._generate_batch(run, order[start : start + self.batch_size], params, generator, on_token)

    def _generate_batch(
        self,
        run: _Run,
        chunk: list[int],
        params: SamplingParams,
        generator: Any,
        on_token: Callable[[int, int], None] | None,
    ) -> None:
        """Decode the prompts ``chunk`` (indices into ``run``) together, growing a DynamicCache."""
        torch = self.torch
        n, width = len(chunk), max(len(run.prompts[i]) for i in chunk)
        input_ids, mask = self._left_padded([run.prompts[i] for i in chunk], width)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)

        done = [False] * n
        logits, cache = self._forward(input_ids, mask, positions, None)
        run.rounds += 1
        last_pos = positions[:, -1:]
        for _ in range(max(run.limits[i] for i in chunk)):
            tokens = self._pick(logits, params, generator)
            token_list = tokens.tolist()
            lp_list = self._logprobs_of(logits, tokens) if params.logprobs else None
            for row, i in enumerate(chunk):
                if done[row]:
                    continue
                run.completions[i].append(token_list[row])
                if lp_list is not None:
                    run.logprobs[i].append(lp_list[row])
                if on_token is not None:
                    on_token(i, token_list[row])
                done[row], run.reasons[i] = self._finished(run.completions[i], run.limits[i], params)
            if all(done):
                break
            feed = torch.tensor([self._pad_id if d else t for d, t in zip(done, token_list)], device=self.device)
            mask = torch.cat([mask, mask.new_ones((n, 1))], dim=-1)
            # a finished row's position may run past the context while others decode; a model with a
            # position table (GPT-2) would index out of it, so it stays at the last one (its output is unused)
            last_pos = (last_pos + 1).clamp(max=run.max_pos - 1)
            logits, cache = self._forward(feed[:, None], mask, last_pos, cache)
            run.decode_steps += 1

    # -- the static-cache loop -----------------------------------------------------------
    def _generate_static(
        self,
        run: _Run,
        params: SamplingParams,
        generator: Any,
        on_token: Callable[[int, int], None] | None,
        compiled: bool,
    ) -> None:
        refill = len(run.prompts) > self.batch_size
        # One batch: the dynamic loop's order, so a seed draws the same tokens on both caches. With
        # refill the longest go first: a waiting prompt is then never longer than the cache slots
        # before the shared position, where its keys and values go.
        order = sorted(range(len(run.prompts)), key=lambda i: len(run.prompts[i]), reverse=refill)
        waiting = deque(order)
        while waiting:
            rows = [waiting.popleft() for _ in range(min(self.batch_size, len(waiting)))]
            self._static_round(run, rows, waiting, params, generator, on_token, compiled)

    def _static_round(
        self,
        run: _Run,
        first: list[int],
        waiting: deque[int],
        params: SamplingParams,
        generator: Any,
        on_token: Callable[[int, int], None] | None,
        compiled: bool,
    ) -> None:
        """Decode ``first`` (prompt indices) in one static cache, refilling finished rows from
        ``waiting`` while a waiting prompt fits the cache's remaining length."""
        torch = self.torch
        k, width, room = len(first), max(len(run.prompts[i]) for i in first), max(run.limits)
        rows = _bucket(k, cap=self.batch_size)
        # a round that may refill gets room for about one more completion per row
        length = _bucket(width + room * (2 if waiting else 1), floor=MIN_STATIC_LENGTH)
        cache = self._static_cache(rows, length)
        slots = _Slots(prompt=[*first, *([None] * (rows - k))], active=[True] * k + [False] * (rows - k),
                       feed=[self._pad_id] * rows)

        input_ids, mask = self._left_padded([run.prompts[i] for i in first] + [[self._pad_id]] * (rows - k), width)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        next_pos = positions[:, -1] + 1  # the position id of each row's next fed token
        mask = torch.cat([mask, mask.new_zeros((rows, length - width))], dim=-1)
        logits, _ = self._forward(input_ids, mask[:, :width], positions, cache)  # the prefill runs eagerly
        run.rounds += 1
        at = width  # the shared cache position: the slot the next decode step writes
        while True:
            finished = self._take_tokens(run, slots, range(k), logits[:k], params, generator, on_token)
            while finished and waiting:
                fits = self._fitting(run, waiting, len(finished), at, length)
                if not fits:
                    break
                refilled = finished[: len(fits)]
                refill_logits = self._refill(cache, mask, next_pos, refilled, [run.prompts[i] for i in fits], at)
                run.refills += len(fits)
                for r, i in zip(refilled, fits):
                    slots.prompt[r], slots.active[r] = i, True
                finished = finished[len(fits) :] + self._take_tokens(
                    run, slots, refilled, refill_logits, params, generator, on_token
                )
            if not any(slots.active):
                return
            feed = torch.tensor(slots.feed, device=self.device)[:, None]
            mask[:, at] = 1
            # finished and idle rows keep counting; the clamp keeps them inside a position table
            positions = next_pos.clamp(max=run.max_pos - 1)[:, None]
            logits = self._decode_step(feed, mask, positions, cache, at, compiled)
            next_pos += 1
            at += 1
            run.decode_steps += 1

    def _take_tokens(
        self,
        run: _Run,
        slots: _Slots,
        rows: Sequence[int],
        logits: Any,
        params: SamplingParams,
        generator: Any,
        on_token: Callable[[int, int], None] | None,
    ) -> list[int]:
        """Sample one token for each of ``rows`` (one logits row each), append it to the row's
        prompt's completion, and return the rows whose prompt finished now."""
        tokens = self._pick(logits, params, generator)
        # both queued before either is read: one wait for the device per step, not two
        lps = self._logprob_tensor(logits, tokens) if params.logprobs else None
        token_list = tokens.tolist()
        lp_list = lps.tolist() if lps is not None else None
        finished = []
        for n, r in enumerate(rows):
            if not slots.active[r]:
                continue
            i = slots.prompt[r]
            run.completions[i].append(token_list[n])
            if lp_list is not None:
                run.logprobs[i].append(lp_list[n])
            if on_token is not None:
                on_token(i, token_list[n])
            done, run.reasons[i] = self._finished(run.completions[i], run.limits[i], params)
            slots.feed[r] = self._pad_id if done else token_list[n]
            if done:
                slots.active[r] = False
                finished.append(r)
        return finished

    @staticmethod
    def _fitting(run: _Run, waiting: deque[int], most: int, at: int, length: int) -> list[int]:
        """Take up to ``most`` waiting prompts that fit a row now: the prompt ends at slot ``at``
        (so it is at most ``at`` long) and its completion's fed tokens end before ``length``."""
        taken: list[int] = []
        while waiting and len(taken) < most:
            i = waiting[0]
            if len(run.prompts[i]) > at or at + run.limits[i] - 1 > length:
                break  # later prompts are shorter, with limits no smaller: the next round takes them
            taken.append(waiting.popleft())
        return taken

    def _refill(self, cache: Any, mask: Any, next_pos: Any, rows: list[int], prompts: list[list[int]], at: int) -> Any:
        """Prefill ``prompts`` eagerly and write their keys and values into ``rows``' slots just
        before ``at``; the rows' masks then show only these slots. Returns the next-token logits."""
        torch = self.torch
        width = max(len(p) for p in prompts)
        input_ids, prompt_mask = self._left_padded(prompts, width)
        positions = (prompt_mask.cumsum(-1) - 1).clamp(min=0)
        logits, fresh = self._forward(input_ids, prompt_mask, positions, None)
        index = torch.tensor(rows, device=self.device)
        for static_layer, layer in zip(cache.layers, fresh.layers):
            static_layer.keys[index, :, at - width : at] = layer.keys
            static_layer.values[index, :, at - width : at] = layer.values
        mask[index] = 0
        mask[index, at - width : at] = prompt_mask
        next_pos[index] = positions[:, -1] + 1
        return logits

    def _decode_step(self, feed: Any, mask: Any, positions: Any, cache: Any, at: int, compiled: bool) -> Any:
        """One token per row through the static cache: the compiled step, or the eager forward."""
        torch = self.torch
        kwargs: dict[str, Any] = {"logits_to_keep": 1} if self._keeps_last_logits else {}
        kwargs.update({"input_ids": feed, "attention_mask": mask, "position_ids": positions, "use_cache": True,
                       self._cache_kwarg: cache})
        step = self._compiled_step() if compiled and self._static.compile_error is None else None
        if step is None:
            out = self.model(**kwargs)
        else:
            shape = (feed.shape[0], mask.shape[1], cache.layers[0].keys.dtype)
            try:
                if feed.device.type == "cuda":
                    torch.compiler.cudagraph_mark_step_begin()  # the last step's outputs were copied out
                out = step(**kwargs)
            except Exception as e:  # noqa: BLE001 -- a failed compile: warn once, decode on eagerly
                if shape in self._static.compiled_shapes:
                    raise
                self._static.compile_error = f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"
                warnings.warn(f"hf agent: compiling the decode step failed ({self._static.compile_error}); "
                              "decoding goes on uncompiled (pass compile=False to skip the attempt)", stacklevel=2)
                for layer in cache.layers:  # the failed call may have counted its step already
                    layer.cumulative_length.fill_(at)
                out = self.model(**kwargs)
            else:
                self._static.compiled_shapes.add(shape)
        # a copy: a CUDA graph's outputs are overwritten at its next replay
        return out.logits[:, -1, :].to(torch.float32, copy=True)

    def _compiled_step(self) -> Callable[..., Any]:
        """``torch.compile`` of the model's call, made once per model object: compiled graphs are
        cached per input shape and read the parameters at each call, so in-place updates show."""
        state = self._static
        if state.compiled is None or state.compiled_for != id(self.model):
            model = self.model

            def decode_step(**kwargs: Any) -> Any:
                # our own frame: dynamo's per-function cache (and its recompile limit) is not shared
                # with other compiled calls of the model, such as transformers' generate
                return model(**kwargs)

            mode = "reduce-overhead" if self.device.type == "cuda" else "default"
            state.compiled = self.torch.compile(decode_step, mode=mode, dynamic=False, fullgraph=False)
            state.compiled_for, state.compiled_shapes = id(self.model), set()
        return state.compiled

    def _static_cache(self, rows: int, length: int) -> Any:
        """An empty ``StaticCache`` of ``rows`` x ``length``, reused across calls (its tensors keep
        their addresses, which the compiled graph and its CUDA graph rely on)."""
        from transformers import StaticCache

        param = next(self.model.parameters())
        # under autocast the keys and values come in the autocast dtype, and the cache takes theirs
        kind = param.device.type
        amp = self.torch.get_autocast_dtype(kind) if self.torch.is_autocast_enabled(kind) else None
        key = (rows, length, param.dtype, param.device, amp)
        caches = self._static.caches
        cache = caches.pop(key, None)
        if cache is None:
            cache = StaticCache(config=self.model.config, max_cache_len=length)
        else:
            cache.reset()
        caches[key] = cache  # the most recent last
        while len(caches) > KEPT_STATIC_CACHES:
            del caches[next(iter(caches))]
        return cache

    # -- shared parts --------------------------------------------------------------------
    def _start_run(self, prompts: list[list[int]], params: SamplingParams) -> _Run:
        """The prompts cut to the model's context, with each one's token limit and empty outputs."""
        max_pos = getattr(self.model.config, "max_position_embeddings", None) or 1 << 30
        truncated = [len(p) >= max_pos for p in prompts]
        keep = max_pos - cut_room(params.max_new_tokens, max_pos)
        if any(truncated) and not self._warned_cut:
            self._warned_cut = True
            longest = max(len(p) for p in prompts)
            warnings.warn(f"hf agent: a prompt of {longest} tokens does not fit the model's context of {max_pos} "
                          f"positions; it was cut from the left to {keep} tokens, which leaves room for "
                          f"{max_pos - keep} new tokens (cut prompts are not reported again). Give shorter prompts "
                          "(the games' compact view: --observation view, games.observation: view) or use a model "
                          "with a longer context", stacklevel=3)
        prompts = [p[-keep:] if t else p for p, t in zip(prompts, truncated)]
        limits = [min(params.max_new_tokens, max_pos - len(p)) for p in prompts]
        return _Run(prompts=prompts, truncated=truncated, limits=limits, max_pos=max_pos)

    def _left_padded(self, prompts: list[list[int]], width: int) -> tuple[Any, Any]:
        """Token ids and attention mask, ``len(prompts) x width``, padded on the left."""
        torch = self.torch
        input_ids = torch.full((len(prompts), width), self._pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):
            input_ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p) :] = 1
        return input_ids.to(self.device), mask.to(self.device)

    def _generations(self, run: _Run, params: SamplingParams) -> list[Generation]:
        out = []
        for i, prompt in enumerate(run.prompts):
            text, _ = cut_at_stop(self.tokenizer.decode(run.completions[i], skip_special_tokens=True), params.stop)
            out.append(
                Generation(
                    text=text,
                    prompt_ids=prompt,
                    completion_ids=run.completions[i],
                    logprobs=run.logprobs[i] if params.logprobs else None,
                    finish_reason=run.reasons[i],  # type: ignore[arg-type]
                    meta={"prompt_truncated": True} if run.truncated[i] else {},
                )
            )
        return out

    def _forward(self, input_ids: Any, mask: Any, positions: Any, cache: Any) -> tuple[Any, Any]:
        """Next-token logits (float32, one row per sequence) and the updated KV cache."""
        kwargs: dict[str, Any] = {"logits_to_keep": 1} if self._keeps_last_logits else {}
        kwargs[self._cache_kwarg] = cache
        out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True, **kwargs)
        return out.logits[:, -1, :].float(), out[self._cache_kwarg]

    def _logprobs_of(self, logits: Any, tokens: Any) -> list[float]:
        return self._logprob_tensor(logits, tokens).tolist()

    def _logprob_tensor(self, logits: Any, tokens: Any) -> Any:
        """``log_softmax(logits)[token]`` per row: the raw distribution, whatever the sampling."""
        return self.torch.log_softmax(logits, dim=-1).gather(-1, tokens[:, None]).squeeze(-1)

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


@dataclass
class _Run:
    """One generate call's prompts (cut to the context), token limits and outputs, by prompt index."""

    prompts: list[list[int]]
    truncated: list[bool]
    limits: list[int]
    max_pos: int
    """The model's context: position ids stay below it."""
    completions: list[list[int]] = field(default_factory=list)
    logprobs: list[list[float]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rounds: int = 0
    """Batches prefilled together (chunks of the dynamic loop, static-cache rounds)."""
    refills: int = 0
    """Prompts that took a finished row's place in a static cache."""
    decode_steps: int = 0
    """Forward passes after the prefills, one token per row each."""

    def __post_init__(self) -> None:
        n = len(self.prompts)
        self.completions = [[] for _ in range(n)]
        self.logprobs = [[] for _ in range(n)]
        self.reasons = ["length"] * n


@dataclass
class _Slots:
    """The rows of a static cache: which prompt each holds (None: an idle row), whether it is still
    decoding, and the token it feeds at the next step (the pad token once done)."""

    prompt: list[int | None]
    active: list[bool]
    feed: list[int]


@dataclass
class _StaticState:
    """What the static path keeps between calls: caches by shape, the compiled step, and why
    the static cache or compiling does not work here (None: it does)."""

    unsupported: str | None = None
    compile_error: str | None = None
    caches: dict[tuple, Any] = field(default_factory=dict)
    compiled: Callable[..., Any] | None = None
    compiled_for: int | None = None
    compiled_shapes: set[tuple] = field(default_factory=set)


def _check_decode_options(cache: Any, compile: Any) -> None:
    if cache not in CACHES:
        raise ConfigError(f"cache must be one of {', '.join(CACHES)}; got {cache!r}")
    if not (compile is True or compile is False or compile == "auto"):
        raise ConfigError(f"compile must be true, false or 'auto'; got {compile!r}")
    if compile is True and cache == "dynamic":
        raise ConfigError("compile=True compiles the static-cache decode step; set cache='static' (or 'auto'), "
                          "or compile=False")


def _static_cache_unsupported(model: Any) -> str | None:
    """Why transformers' ``StaticCache`` cannot serve this model's decoding here, or None."""
    try:
        from transformers import StaticCache
        from transformers.cache_utils import StaticLayer
    except ImportError:
        return "this transformers release has no StaticLayer (the static cache needs transformers >= 5)"
    if getattr(model, "_is_stateful", False):
        return f"{type(model).__name__} keeps a recurrent state, which a static KV cache does not hold"
    try:
        probe = StaticCache(config=model.config, max_cache_len=1)  # allocates nothing until first used
    except Exception as e:  # noqa: BLE001 -- any model config transformers cannot build a cache for
        return f"transformers cannot build a StaticCache for {type(model).__name__} ({type(e).__name__}: {e})"
    kinds = {type(layer).__name__ for layer in probe.layers if type(layer) is not StaticLayer}
    if kinds:
        return (f"{type(model).__name__}'s cache has {', '.join(sorted(kinds))} layers (sliding window or linear "
                "attention); refilling rows needs plain full-attention layers")
    if not all(hasattr(layer, "cumulative_length") for layer in probe.layers):
        return "this transformers release's StaticLayer has no cumulative_length (needs transformers >= 5)"
    return None


def _bucket(n: int, *, floor: int = 1, cap: int | None = None) -> int:
    """The smallest power of two >= ``max(n, floor)``, at most ``cap``: shapes repeat across calls."""
    size = max(floor, 1 << max(0, n - 1).bit_length())
    return min(size, cap) if cap is not None else size


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
    elif looks_local(where):  # a typo in a local path is no hub id to request
        raise AgentError(f"{path} is not a local directory; pass one that save_pretrained wrote (config.json, the "
                         "weights and the tokenizer)")
    check_device(device, "device")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if Path(where).is_dir():
        check_model_dir(Path(where), path, use="load")
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


def cut_room(max_new_tokens: int, max_pos: int) -> int:
    """New tokens a prompt cut to the context leaves room for: ``max_new_tokens``, at most half the
    context (a cut prompt keeps its end, which holds the question, and at least half the context)."""
    return max(1, min(max_new_tokens, max_pos // 2))


def _pad_id(model: Any, tokenizer: Any, eos_ids: set[int]) -> int:
    """The id that pads batches (masked out, so any id the model embeds serves): the tokenizer's pad
    token when the model has an embedding for it, else the smallest EOS id, else 0. A pad token added to
    the tokenizer without resizing the model's embeddings (a common way to give Llama 3 one) lies
    past them and would fail every padded batch with an IndexError."""
    size = model.get_input_embeddings().num_embeddings
    pad = tokenizer.pad_token_id
    if pad is not None and 0 <= pad < size:
        return int(pad)
    return min((i for i in eos_ids if 0 <= i < size), default=0)


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    for source in (tokenizer.eos_token_id, getattr(getattr(model, "generation_config", None), "eos_token_id", None)):
        if isinstance(source, int):
            ids.add(source)
        elif isinstance(source, (list, tuple)):
            ids.update(int(x) for x in source)
    return ids
