"""The ``vllm`` policy backend: vLLM in the trainer's process, weights synced after each update.

The learner keeps its transformers model (float32 master weights, bf16 autocast); vLLM keeps
its own bf16 copy for sampling. After every optimizer step :meth:`VLLMPolicy.sync_weights`
pushes the learner's ``state_dict`` into the running engine with the model's own
``load_weights`` (no restart, no disk), then clears vLLM's prefix cache, whose KV blocks were
computed with the old weights. Memory is shared by a utilization split
(``vllm_gpu_memory_utilization``, default 0.4 of the GPU for vLLM, the rest for training).

Requirements and limits: one GPU (tensor parallel 1); the engine must run in this process, so
``VLLM_ENABLE_V1_MULTIPROCESSING=0`` is set before vLLM is imported. vLLM's log-probs are of the
raw distribution (as :class:`~zeroplay.agents.policy.Generation` documents), but its bf16 kernels
differ from the learner's numerics: use ``loss.old_logprobs: learner`` with this backend.
Tested only on a GPU machine (tests marked ``gpu``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zeroplay.agents.policy import Generation, Prompt, Prompter, SamplingParams, cut_at_stop
from zeroplay.core.optional import require


class VLLMPolicy:
    """Samples with vLLM, trains ``model`` (a transformers model on the same GPU)."""

    def __init__(self, model: Any, tokenizer: Any, path: str | Path, *, gpu_memory_utilization: float = 0.4,
                 seed: int = 0, max_model_len: int | None = None):
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # the engine must live in this process
        vllm = require("vllm", "gpu", "the vllm training backend")
        self.vllm = vllm
        self.model, self.tokenizer = model, tokenizer
        self.prompter = Prompter()
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self._pad_id = int(pad)
        kwargs: dict[str, Any] = {"max_model_len": max_model_len} if max_model_len else {}
        self.llm = vllm.LLM(model=str(path), dtype="bfloat16", gpu_memory_utilization=gpu_memory_utilization,
                            seed=seed, enable_prefix_caching=True, **kwargs)
        self._calls = 0

    def encode(self, prompt: Prompt) -> list[int]:
        text = self.tokenizer.apply_chat_template(self.prompter.messages(prompt), tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        params = params or SamplingParams()
        encoded = [self.encode(p) for p in prompts]
        base_seed = params.seed if params.seed is not None else self._calls
        self._calls += 1
        sps = [self.vllm.SamplingParams(
            temperature=params.temperature, top_p=params.top_p, max_tokens=params.max_new_tokens,
            stop=list(params.stop) or None, logprobs=0 if params.logprobs else None,
            seed=(base_seed * 1_000_003 + i) % (2**31 - 1), skip_special_tokens=True,
        ) for i in range(len(encoded))]
        outs = self.llm.generate([{"prompt_token_ids": ids} for ids in encoded], sps, use_tqdm=False)
        gens = []
        for ids, out in zip(encoded, outs):
            c = out.outputs[0]
            comp = list(c.token_ids)
            lps = None
            if params.logprobs and c.logprobs is not None:
                lps = [float(step[tok].logprob) for step, tok in zip(c.logprobs, comp)]
            text, _ = cut_at_stop(c.text, params.stop)
            gens.append(Generation(text=text, prompt_ids=ids, completion_ids=comp, logprobs=lps,
                                   finish_reason="stop" if c.finish_reason == "stop" else "length"))
        return gens

    def sync_weights(self) -> None:
        """Load the learner's current weights into the engine (in place), then drop cached KV."""
        torch = require("torch", "train", "the vllm training backend")
        with torch.no_grad():
            state = {k: v.detach().to(torch.bfloat16) for k, v in self.model.state_dict().items()}
        items = list(state.items())

        def load(worker: Any) -> None:
            worker.model_runner.model.load_weights(weights=items)

        try:
            self.llm.collective_rpc(load)
        except (AttributeError, TypeError, NotImplementedError):
            # older engines: reach the model through the in-process executor
            executor = self.llm.llm_engine.model_executor
            worker = getattr(executor.driver_worker, "worker", executor.driver_worker)
            worker.model_runner.model.load_weights(weights=items)
        self.llm.reset_prefix_cache()
