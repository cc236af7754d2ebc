"""``vllm``: an offline ``vllm.LLM`` engine as an agent and a training policy (GPU only).

    agent = agents.make("vllm", model="/path/to/checkpoint", temperature=0.0)

Same interface as the ``hf`` agent: ``act`` and ``generate`` with :class:`SamplingParams`,
:class:`Generation` with prompt and completion token ids. Prompts are tokenized here (chat
template or raw text) and handed to vLLM as token ids, so both backends see the same tokens.

Log-probs: the engine is built with ``logprobs_mode="raw_logprobs"`` where the installed vLLM
knows it (0.10.2 and later, where it is also the default): the log-softmax of the raw logits,
before temperature and top-p, which is the definition the ``hf`` agent documents. Older vLLM
versions may return log-probs after temperature; ``meta["logprobs_mode"]`` says which.

Guarantees: ``vllm`` is imported only when an agent is built; a missing package or GPU gives a
:class:`~zeroplay.core.errors.MissingDependencyError` / :class:`~zeroplay.core.errors.AgentError`
that says what to do. Does not: run on CPU, or share one engine between agents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from zeroplay.agents.base import Agent
from zeroplay.agents.policy import Generation, Prompt, Prompter, SamplingParams, cut_at_stop, encode_prompt
from zeroplay.core.errors import AgentError, ConfigError
from zeroplay.core.optional import require


class VLLMAgent(Agent):
    """A vLLM engine on this machine's GPU(s).

    Args:
        model: a local checkpoint directory (or a hub name vLLM can fetch).
        system_prompt, chat, temperature, top_p, max_new_tokens, stop, seed: as for ``hf``.
        gpu_memory_utilization: the share of GPU memory vLLM may take (weights + KV cache).
        dtype, max_model_len, tensor_parallel_size: passed to ``vllm.LLM``.
        engine_kwargs: any other ``vllm.LLM`` argument.
    """

    name = "vllm"

    def __init__(
        self,
        model: str | None = None,
        *,
        path: str | None = None,
        system_prompt: str | None = None,
        chat: bool = True,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_new_tokens: int = 256,
        stop: str | Sequence[str] = (),
        seed: int | None = None,
        gpu_memory_utilization: float = 0.5,
        dtype: str = "auto",
        max_model_len: int | None = None,
        tensor_parallel_size: int = 1,
        engine_kwargs: dict[str, Any] | None = None,
    ):
        if (model is None) == (path is None):
            raise ConfigError("give the vllm agent a checkpoint: model=DIR (or path=DIR)")
        self.vllm = require("vllm", "gpu", "the vllm agent")
        torch = require("torch", "train", "the vllm agent")
        if not torch.cuda.is_available():
            raise AgentError("the vllm agent needs a CUDA GPU and none is visible here; use the hf agent on CPU")
        kwargs: dict[str, Any] = dict(
            model=str(model if model is not None else path),
            dtype=dtype,
            gpu_memory_utilization=gpu_memory_utilization,
            tensor_parallel_size=tensor_parallel_size,
            seed=0 if seed is None else seed,
            **({"max_model_len": max_model_len} if max_model_len else {}),
            **(engine_kwargs or {}),
        )
        self.logprobs_mode = "raw_logprobs"
        try:
            self.llm = self.vllm.LLM(logprobs_mode=self.logprobs_mode, **kwargs)
        except TypeError:  # an older vLLM without logprobs_mode
            self.logprobs_mode = "engine default"
            self.llm = self.vllm.LLM(**kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.prompter = Prompter(system_prompt=system_prompt, chat=chat)
        if chat and not getattr(self.tokenizer, "chat_template", None):
            raise ConfigError(
                "this tokenizer has no chat template; pass chat=False to use the model as a plain completion model"
            )
        self.sampling = SamplingParams(
            temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, stop=stop, seed=seed
        )
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [g.text for g in self.generate(list(observations), self.sampling)]

    def encode(self, prompt: Prompt) -> list[int]:
        """Token ids of a prompt, built as the ``hf`` agent builds them."""
        tok = self.tokenizer
        return encode_prompt(tok, self.prompter, prompt, chat=self.prompter.chat, no_bos_id=tok.eos_token_id)

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        if isinstance(prompts, (str, dict)):
            raise TypeError("generate() takes a list of prompts; wrap a single prompt in a list")
        params = params or self.sampling
        encoded = [self.encode(p) for p in prompts]
        if not encoded:
            return []
        base_seed = params.seed if params.seed is not None else int(self._rng.integers(2**31 - 1))
        # one seed per prompt: vLLM seeds requests one by one, so a batch stays reproducible
        sampling = [vllm_params(self.vllm, params, request_seed(base_seed, i)) for i in range(len(encoded))]
        outputs = self.llm.generate([{"prompt_token_ids": ids} for ids in encoded], sampling, use_tqdm=False)
        return [to_generation(out, ids, params, self.logprobs_mode) for out, ids in zip(outputs, encoded)]

    def update_weights(self, weights: Iterable[tuple[str, Any]]) -> None:
        """Load new weights (``model.named_parameters()`` of the learner) into the engine, in place."""
        weights = list(weights)
        if hasattr(self.llm, "collective_rpc"):  # each worker loads them into its model (V1 engines)
            self.llm.collective_rpc(_load_weights, args=(weights,))
        elif hasattr(self.llm, "apply_model"):
            self.llm.apply_model(lambda model: model.load_weights(weights))
        else:
            try:
                model = self.llm.llm_engine.model_executor.driver_worker.model_runner.model
            except AttributeError as e:
                raise AgentError(
                    "this vLLM version exposes no way to load weights in place; upgrade vllm "
                    "(LLM.apply_model), or set VLLM_ENABLE_V1_MULTIPROCESSING=0"
                ) from e
            model.load_weights(weights)
        if hasattr(self.llm, "reset_prefix_cache"):
            self.llm.reset_prefix_cache()  # cached KV of old weights must not be reused

    def close(self) -> None:
        self.llm = None


# -- conversion (module functions: checked on CPU against a stand-in for the vllm package) --------

def request_seed(base_seed: int, index: int) -> int:
    """The seed of request ``index`` of a batch: distinct per request, within vLLM's 31-bit range."""
    return (base_seed * 1_000_003 + index) % (2**31 - 1)


def vllm_params(vllm: Any, params: SamplingParams, seed: int) -> Any:
    """Our :class:`SamplingParams` as ``vllm.SamplingParams`` for one request."""
    return vllm.SamplingParams(
        n=1,
        temperature=params.temperature,
        top_p=params.top_p,
        max_tokens=params.max_new_tokens,
        stop=list(params.stop) or None,
        seed=seed,
        logprobs=0 if params.logprobs else None,  # 0: the sampled token's log-prob only
    )


def to_generation(out: Any, prompt_ids: list[int], params: SamplingParams, logprobs_mode: str) -> Generation:
    """One ``vllm.RequestOutput`` as a :class:`Generation` (the sampled tokens' log-probs when asked)."""
    done = out.outputs[0]
    ids = list(done.token_ids)
    logprobs = None
    if params.logprobs and done.logprobs is not None:
        logprobs = [float(step[t].logprob) for step, t in zip(done.logprobs, ids)]
    text, _ = cut_at_stop(done.text, params.stop)
    return Generation(
        text=text,
        prompt_ids=list(out.prompt_token_ids or prompt_ids),
        completion_ids=ids,
        logprobs=logprobs,
        finish_reason="stop" if done.finish_reason == "stop" else "length",
        meta={"logprobs_mode": logprobs_mode, "stop_reason": done.stop_reason},
    )


def _load_weights(worker: Any, weights: list[tuple[str, Any]]) -> None:
    """Runs inside each vLLM worker (``collective_rpc``): load ``weights`` into its model in place."""
    worker.model_runner.model.load_weights(weights=weights)
