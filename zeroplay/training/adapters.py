"""LoRA adapters (``model.lora``) and gradient checkpointing (``optim.gradient_checkpointing``) on the
learner's transformers model.

LoRA goes through peft (``pip install -e '.[lora]'``), injected in place
(``peft.inject_adapter_in_model``): the policy stays the transformers model it was, so the HF sampler
(its KV caches, ``logits_to_keep``), packed micro-batches and the Ray actors use it unchanged, and its
target modules become peft LoRA layers. What is guaranteed:

- Only the adapters train: every other weight has ``requires_grad`` off, so the optimizer, the gradient
  all-reduce over ranks and the gradient clip see the adapters alone. peft starts each ``B`` at zero,
  so the adapted model starts as the base model, exactly.
- :func:`adapters_off`: inside it the model computes what the base model computes (peft's own switch);
  with LoRA this is the KL (or DPO) reference, so there is no second copy of the model.
- :func:`model_state` / :func:`load_model_state`: a LoRA model's checkpoint state is its adapters only
  (the base weights are the initial model's, on disk, and never change); a plain model's is its whole
  ``state_dict``.
- The adapters are float32 whatever the base's dtype, so their optimizer state is float32 too. With a
  bfloat16 base (``model.dtype: bfloat16``, or ``auto`` on CUDA: the base never trains, so it needs no
  float32 master copy; :func:`~zeroplay.training.build.weights_dtype`) the layers compute in bfloat16 and
  each adapter's output is added to its layer's in bfloat16. peft draws the initial ``A`` and casts it
  to the base's dtype; :func:`apply_lora` casts it back, so a bfloat16 base starts from ``A`` rounded to
  bfloat16 (``B`` is zero: the adapted model still starts as the base, exactly).
- :func:`save_model`: a LoRA model is written as the plain model with each adapter's update added to its
  weight (the merged model: ``W + (alpha / r) B A``), loadable without peft by ``zeroplay serve`` or the
  ``hf`` agent. The sum is taken in float32 and stored in the base's dtype (a bfloat16 base gives a
  bfloat16 model, the size of the model it started from, with its ``config.json`` dtype), so its
  log-probs equal the adapted model's up to that one rounding (not bit for bit; with a bfloat16 base an
  update smaller than half a bfloat16 step of its weight is rounded away). The model in memory is not touched.

Not covered: other peft methods (DoRA, prompt tuning...), several adapters on one model, quantized
(QLoRA) base weights, float16 bases, and the ``vllm`` backend (the config refuses LoRA there).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError

#: What to run when peft is missing.
INSTALL = "pip install -e '.[lora]'"


def require_peft() -> Any:
    """The ``peft`` module, or a one-line :class:`ConfigError` saying how to install it."""
    try:
        import peft
    except ImportError:
        raise ConfigError(f"model.lora needs the peft library, which is not installed: {INSTALL} "
                          "(or drop model.lora to fine-tune every weight)") from None
    return peft


def apply_lora(model: Any, settings: Any) -> Any:
    """Inject LoRA adapters (``settings``: a :class:`~zeroplay.training.config.LoraSettings`) into
    ``model`` in place and return it; only the adapters train from here on, in float32 whatever the
    base's dtype."""
    import torch

    peft = require_peft()
    config = peft.LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                             target_modules=settings.target_modules, bias="none", task_type="CAUSAL_LM")
    try:
        peft.inject_adapter_in_model(config, model)
    except ValueError as e:  # no module matches target_modules, or a module type LoRA does not support
        detail = " ".join(str(e).split())[:300]
        raise ConfigError(f"model.lora.target_modules {settings.target_modules!r} does not fit "
                          f"{type(model).__name__} ({detail}); name modules it has (e.g. [q_proj, v_proj]) "
                          "or use 'all-linear'") from None
    for param in model.parameters():  # peft casts the adapters to the base's dtype: train them in float32
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.float()
    return model


def lora_layers(model: Any) -> list[tuple[str, Any]]:
    """(name, module) of every peft adapter layer in ``model`` (none: not a LoRA model)."""
    tuners = sys.modules.get("peft.tuners.tuners_utils")
    if tuners is None:  # peft never imported: no model can hold its layers (and a plain run never imports it)
        return []
    return [(name, m) for name, m in model.named_modules() if isinstance(m, tuners.BaseTunerLayer)]


def is_lora(model: Any) -> bool:
    return bool(lora_layers(model))


@contextlib.contextmanager
def adapters_off(model: Any) -> Iterator[Any]:
    """``model`` with its adapters switched off (the base model), for the block; back on after it."""
    layers = [m for _, m in lora_layers(model)]
    for m in layers:
        m.enable_adapters(False)
    try:
        yield model
    finally:
        for m in layers:
            m.enable_adapters(True)  # peft also sets the active adapters trainable again


def adapter_keys(model: Any) -> list[str]:
    """The ``state_dict`` keys of ``model``'s adapter weights, in ``state_dict`` order."""
    prefixes = tuple(f"{name}.{attr}." for name, m in lora_layers(model) for attr in m.adapter_layer_names)
    return [k for k in model.state_dict() if k.startswith(prefixes)] if prefixes else []


def model_state(model: Any) -> dict[str, Any]:
    """What a checkpoint keeps of ``model``: the adapters of a LoRA model, else the whole ``state_dict``.
    A dict of models (several policies) gives a dict of their states."""
    if isinstance(model, dict):
        return {name: model_state(m) for name, m in model.items()}
    keys = adapter_keys(model)
    if not keys:
        return model.state_dict()
    state = model.state_dict()
    return {k: state[k] for k in keys}


def load_model_state(model: Any, state: dict[str, Any]) -> None:
    """Load what :func:`model_state` saved (or a whole ``state_dict``) into ``model``; a state that does
    not fit raises ``RuntimeError`` naming the keys, as ``load_state_dict`` does."""
    keys = adapter_keys(model)
    if not keys or set(state) != set(keys):
        model.load_state_dict(state)  # a plain model, or a whole state_dict: every key must fit
        return
    model.load_state_dict(state, strict=False)  # the adapters only: the base weights stay the initial model's


def base_fingerprint(model: Any, sample: int = 4096) -> str:
    """A digest of a LoRA model's frozen base weights, for a resume to check that the adapters go back on
    the base they were trained on (``model.path`` can be overwritten between runs): each base tensor's
    name, shape and up to ``sample`` evenly spaced values, rounded to bfloat16 so that the dtype and
    device the base is held in do not change it (nor does re-saving the same weights in another file
    layout). A fine-tuned or another checkpoint of the same architecture differs in nearly every value."""
    import hashlib

    import torch

    skip = set(adapter_keys(model))
    digest = hashlib.sha256()
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if key in skip or not torch.is_tensor(value) or not value.is_floating_point():
                continue
            flat = value.detach().reshape(-1)
            picked = flat[::max(1, flat.numel() // sample)][:sample]
            name = key.replace(".base_layer.", ".")  # the same whichever layers carry adapters
            digest.update(f"{name}{tuple(value.shape)}".encode())
            digest.update(picked.to(torch.bfloat16).view(torch.int16).cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def merged_state_dict(model: Any) -> dict[str, Any]:
    """``model``'s weights as the plain model's: each adapter layer's base weight plus the update of its
    active adapters (summed in float32, stored in the base weight's dtype), under the base model's key
    names; adapter weights left out. Nothing in ``model`` changes."""
    import torch

    layers = dict(lora_layers(model))
    if not layers:
        return model.state_dict()
    skip = set(adapter_keys(model))
    out: dict[str, Any] = {}
    for key, value in model.state_dict().items():
        if key in skip:
            continue
        owner = next((name for name in _owners(key) if name in layers), None)
        if owner is None:
            out[key] = value
            continue
        rest = key[len(owner) + 1:].removeprefix("base_layer.")
        out[f"{owner}.{rest}"] = value
    with torch.no_grad():
        for name, m in layers.items():
            base = m.get_base_layer()
            deltas = [m.get_delta_weight(a) for a in m.active_adapters
                      if a in getattr(m, "lora_A", {}) or a in getattr(m, "lora_embedding_A", {})]
            if deltas:
                merged = base.weight.float() + sum(d.float() for d in deltas)  # one rounding, at the end
                out[f"{name}.weight"] = merged.to(base.weight.dtype)
    return out


def _owners(key: str) -> list[str]:
    """The module names a ``state_dict`` key could belong to, innermost first (``a.b.c.weight``: a.b.c, a.b, a)."""
    parts = key.split(".")[:-1]
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def save_model(model: Any, path: Path) -> None:
    """``model.save_pretrained(path)``; a LoRA model as the merged plain model (:func:`merged_state_dict`)."""
    if is_lora(model):
        model.save_pretrained(path, state_dict=merged_state_dict(model))
    else:
        model.save_pretrained(path)


def trainable_counts(model: Any) -> tuple[int, int]:
    """(trainable parameters, all parameters) of ``model``."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def lora_summary(model_cfg: Any, init_dir: Path) -> str:
    """One line for ``--dry-run``: a policy's LoRA settings (``model_cfg.lora``) and their trainable
    parameter count, counted on the meta device (no weights allocated, nothing downloaded) from the
    model's ``config.json`` (``model.path``, or the tiny model already built in ``init_dir``), or from the
    tiny model's settings (its vocabulary at most ``tiny.vocab_size``)."""
    import torch
    import transformers

    require_peft()  # what the run would refuse first
    settings = model_cfg.lora
    targets = settings.target_modules
    targets = targets if isinstance(targets, str) else ", ".join(targets)
    head = f"LoRA r {settings.r}, alpha {settings.alpha:g}, dropout {settings.dropout:g} on {targets}"
    where = Path(model_cfg.path).expanduser() if model_cfg.path else init_dir
    if (where / "config.json").is_file():
        config = transformers.AutoConfig.from_pretrained(str(where), local_files_only=True)
    elif model_cfg.path:
        return f"{head} (no config.json in {where} to count its parameters)"
    else:  # the tiny model build_tiny_model would write (zeroplay.agents.tiny)
        t = model_cfg.tiny
        config = transformers.LlamaConfig(vocab_size=t.vocab_size, hidden_size=t.hidden_size,
                                          intermediate_size=2 * t.hidden_size, num_hidden_layers=t.num_layers,
                                          num_attention_heads=t.num_heads, num_key_value_heads=t.num_heads,
                                          tie_word_embeddings=False)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config)
    apply_lora(model, settings)
    trainable, total = trainable_counts(model)
    return f"{head}: {trainable:,} trainable parameters of {total:,} ({100 * trainable / total:.2f}%)"


def enable_gradient_checkpointing(model: Any) -> None:
    """Recompute each decoder layer's activations in the backward pass (non-reentrant checkpoints).
    Only forward passes with gradients in train mode checkpoint: sampling (no grad, eval mode) keeps
    its KV cache. A model that does not support it is a one-line :class:`ConfigError`."""
    if not getattr(model, "supports_gradient_checkpointing", False):
        raise ConfigError(f"optim.gradient_checkpointing: {type(model).__name__} does not support gradient "
                          "checkpointing in transformers; set optim.gradient_checkpointing: false")
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.2x (the old name warns)
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
