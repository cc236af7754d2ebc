"""The ``vllm`` policy backend: vLLM in the trainer's process, weights synced after each update.

The learner keeps its transformers model (float32 master weights, bf16 autocast); vLLM keeps
its own bf16 copy for sampling, in a :class:`~zeroplay.agents.vllm.VLLMAgent` (the same engine
wrapper as the ``vllm`` agent: one place for prompts, sampling parameters, log-probs and weight
loading). After every optimizer step :meth:`VLLMPolicy.sync_weights` pushes the learner's
``state_dict`` into the running engine (``load_weights`` in each worker: no restart, no disk),
then clears vLLM's prefix cache, whose KV blocks were computed with the old weights. Memory is
shared by a utilization split (``vllm_gpu_memory_utilization``, default 0.4 of the GPU for vLLM,
the rest for training).

Requirements and limits: one GPU (tensor parallel 1); the engine runs in this process
(``VLLM_ENABLE_V1_MULTIPROCESSING=0`` is set before vLLM is imported). vLLM's bf16 kernels
differ from the learner's numerics: use ``loss.old_logprobs: learner`` with this backend.
Tested only on a GPU machine (tests marked ``gpu``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zeroplay.agents.policy import Generation, Prompt, SamplingParams


class VLLMPolicy:
    """Samples with vLLM, trains ``model`` (a transformers model on the same GPU)."""

    def __init__(self, model: Any, tokenizer: Any, path: str | Path, *, gpu_memory_utilization: float = 0.4,
                 seed: int = 0, max_model_len: int | None = None):
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # the engine must live in this process
        from zeroplay.agents.vllm import VLLMAgent

        self.model, self.tokenizer = model, tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self._pad_id = int(pad)
        self.engine = VLLMAgent(str(path), dtype="bfloat16", gpu_memory_utilization=gpu_memory_utilization, seed=seed,
                                max_model_len=max_model_len, engine_kwargs={"enable_prefix_caching": True})

    def encode(self, prompt: Prompt) -> list[int]:
        return self.engine.encode(prompt)

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        return self.engine.generate(prompts, params)

    def sync_weights(self) -> None:
        """Load the learner's current weights into the engine (in place), then drop cached KV."""
        import torch

        with torch.no_grad():
            weights = [(k, v.detach().to(torch.bfloat16)) for k, v in self.model.state_dict().items()]
        self.engine.update_weights(weights)
