"""Building a run's pieces from its config: device, initial model, policy, sampler, loop, advantage
estimator, and the Ray rollout actors. The trainer and the rollout actors (:mod:`.ray_workers`)
both build from here, so neither imports the other.

Loops and estimators come from their registries (:mod:`zeroplay.training.registry`) by the names
in the config: nothing here knows which loops exist.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from zeroplay.agents.local_model import check_device, checked_model_path
from zeroplay.core.errors import ConfigError
from zeroplay.training.advantages import AdvantageEstimator, make_estimator
from zeroplay.training.config import TrainConfig
from zeroplay.training.distributed import Dist
from zeroplay.training.learner import Learner, autocast_dtype
from zeroplay.training.policies import RoleSamplers, ScriptedSampler, build_scripted_agent
from zeroplay.training.registry import LOOPS, lookup
from zeroplay.training.rollout import Loop, Sampler
from zeroplay.training.templates import get_template


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    check_device(name, "model.device")
    try:
        return torch.device(name)
    except RuntimeError as e:
        raise ConfigError(f"model.device {name!r} is no device torch knows ({e}); use auto, cpu, cuda or cuda:N") from e


def tokenizer_corpus(cfg: TrainConfig) -> list[str]:
    """Lines for the tiny tokenizer's BPE merges: the default corpus, the config's, and what
    the loop's envs show (so prompts tokenize short)."""
    from zeroplay.agents.tiny import default_corpus

    lines = default_corpus() + list(cfg.model.tiny.corpus or [])
    lines += lookup(LOOPS, cfg.loop).corpus_lines(cfg)
    template = get_template(cfg.template)
    if template.system:
        lines.append(template.system)
    return lines


def model_dir(cfg: TrainConfig, run_dir: Path, name: str = "init_model", seed: int | None = None) -> Path:
    """The initial model: ``model.path``, or a tiny model built once into ``run_dir/name`` (from ``seed``,
    default the run's)."""
    if cfg.model.path:
        return checked_model_path(cfg.model.path)
    path = run_dir / name
    if (path / "config.json").is_file():
        return path
    from zeroplay.agents.tiny import build_tiny_model

    tmp = run_dir / f"{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    t = cfg.model.tiny
    build_tiny_model(tmp, corpus=tokenizer_corpus(cfg), vocab_size=t.vocab_size, hidden_size=t.hidden_size,
                     num_layers=t.num_layers, num_heads=t.num_heads, seed=cfg.seed if seed is None else seed)
    tmp.rename(path)  # atomic: a killed build leaves no half model behind
    return path


def weights_dtype(cfg: TrainConfig, device: torch.device) -> torch.dtype:
    """The dtype the policy's weights load in on ``device``: float32 (full fine-tuning trains float32
    master weights under autocast); with ``model.lora`` the frozen base weights take the learner's compute
    dtype (bfloat16 with ``model.dtype: bfloat16``, or ``auto`` on CUDA: half the memory), as they never
    train, while the adapters stay float32 (:func:`~zeroplay.training.adapters.apply_lora`). It depends on
    the config and the device type alone, so a resume on the same device reloads the same base."""
    if cfg.model.lora is not None and autocast_dtype(device, cfg.model.dtype) == torch.bfloat16:
        return torch.bfloat16
    return torch.float32


def build_policy(cfg: TrainConfig, path: Path, device: torch.device, dtype: torch.dtype | None = None) -> Any:
    """The sampling policy; for ``hf`` it is also the model the learner trains (same object), with
    LoRA adapters injected when ``model.lora`` asks (:mod:`zeroplay.training.adapters`). Its weights
    load in ``dtype`` (default :func:`weights_dtype`; the Ray actors pass the trainer's)."""
    import transformers

    from zeroplay.agents.hf import HFAgent

    transformers.utils.logging.disable_progress_bar()  # our own progress bars say what is happening

    if not (path / "config.json").is_file():
        raise ConfigError(f"model.path {path} holds no config.json: give a local Hugging Face model directory "
                          "(what save_pretrained writes), or leave model.path empty to build a tiny model")
    dtype = dtype or weights_dtype(cfg, device)
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype).to(device)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError) as e:  # a broken config.json, missing weights or tokenizer files
        detail = " ".join(str(e).split())[:300]
        fix = ("give a directory written by save_pretrained (config.json, the weights and the tokenizer)" if cfg.model.path
               else f"delete {path} and run again to rebuild the tiny model")
        raise ConfigError(f"could not load the model in {path} ({type(e).__name__}: {detail}); {fix}") from None
    if cfg.model.lora is not None:  # adapters in place: the sampler and the learner see one transformers model
        from zeroplay.training.adapters import apply_lora

        with torch.random.fork_rng(devices=[]):  # the adapters' random init from the seed alone
            torch.manual_seed(cfg.seed)
            apply_lora(model, cfg.model.lora)
    if not getattr(tokenizer, "chat_template", None):  # a base model (GPT-2): prompts as plain text
        from zeroplay.agents.hf import PLAIN_CHAT_TEMPLATE

        tokenizer.chat_template = PLAIN_CHAT_TEMPLATE  # final_model/ keeps it: served, it sees what it trained on
    if cfg.backend == "vllm":
        from zeroplay.training.vllm_backend import VLLMPolicy

        return VLLMPolicy(model, tokenizer, path, gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
                          seed=cfg.seed)
    return HFAgent(model, tokenizer, batch_size=cfg.sampling.batch_size, seed=cfg.seed,
                   cache=cfg.sampling.cache, compile=cfg.sampling.compile)


def build_sampler(cfg: TrainConfig, policy: Any) -> Sampler:
    """The policy with the config's template and sampling settings (log-probs on, for the learner)."""
    from zeroplay.agents.policy import SamplingParams

    s = cfg.sampling
    return Sampler(policy, get_template(cfg.template),
                   SamplingParams(temperature=s.temperature, top_p=s.top_p, max_new_tokens=s.max_new_tokens, logprobs=True))


@dataclass
class PolicySlot:
    """One trained policy of a run: what it plays, its sampler, learner (model and optimizer) and
    advantage estimator. A run has one slot (every role) or one per entry of ``policies``."""

    name: str
    roles: tuple[str, ...] | None
    """The roles it trains on; None: every role (the one shared policy)."""
    init_path: Path
    policy: Any
    sampler: Sampler
    learner: Learner
    estimator: AdvantageEstimator

    def owns(self, sample: Any) -> bool:
        return self.roles is None or sample.role in self.roles


def init_model_dirs(cfg: TrainConfig, run_dir: Path) -> list[Path]:
    """The initial model of each policy (:func:`model_dir`: built once when tiny); in a run over several
    processes rank 0 builds them before the others load them."""
    if not cfg.policies:
        return [model_dir(cfg, run_dir)]
    return [model_dir(cfg.for_policy(name), run_dir, name=f"init_model-{name}", seed=cfg.seed + i)
            for i, name in enumerate(cfg.policies)]


def build_policies(cfg: TrainConfig, run_dir: Path, device: torch.device,
                   dist: Dist | None = None) -> list[PolicySlot]:
    """The run's policies: one shared slot, or one per ``policies`` entry (each with its own initial
    model in ``run_dir/init_model-NAME`` when tiny, built from its own seed). ``dist``: the process group
    the learners sum their gradients over (None: one process)."""
    if not cfg.policies:
        init_path = model_dir(cfg, run_dir)
        policy = build_policy(cfg, init_path, device)
        learner = Learner(policy.model, cfg, pad_id=policy._pad_id, dist=dist)
        return [PolicySlot("policy", None, init_path, policy, build_sampler(cfg, policy), learner, build_estimator(cfg))]
    slots = []
    for i, name in enumerate(cfg.policies):
        pcfg = cfg.for_policy(name)
        init_path = model_dir(pcfg, run_dir, name=f"init_model-{name}", seed=cfg.seed + i)
        policy = build_policy(pcfg, init_path, device)
        learner = Learner(policy.model, pcfg, pad_id=policy._pad_id, dist=dist)
        slots.append(PolicySlot(name, tuple(cfg.policies[name].roles), init_path, policy, build_sampler(pcfg, policy),
                                learner, build_estimator(pcfg)))
    return slots


def run_sampler(cfg: TrainConfig, slots: list[PolicySlot]) -> Sampler | RoleSamplers:
    """What the loop samples with: the one policy's sampler, or the samplers of every role's policy
    (and of the scripted roles)."""
    scripted = {role: ScriptedSampler(build_scripted_agent(role, s.agent, s.kwargs), slots[0].sampler.template, role)
                for role, s in cfg.scripted.items()}
    if not cfg.policies and not scripted:
        return slots[0].sampler
    if not cfg.policies:  # one shared policy plays every role that is not scripted
        roles = [r for r in getattr(lookup(LOOPS, cfg.loop), "roles", ()) if r not in scripted]
        return RoleSamplers({slots[0].name: slots[0].sampler}, dict.fromkeys(roles, slots[0].name), scripted)
    return RoleSamplers({s.name: s.sampler for s in slots}, {r: s.name for s in slots for r in s.roles or ()}, scripted)


def build_loop(cfg: TrainConfig, sampler: Sampler, policy: Any) -> Loop:
    """The registered loop ``cfg.loop``, built with the run's sampler and policy."""
    return lookup(LOOPS, cfg.loop)(cfg, sampler, policy)


def build_estimator(cfg: TrainConfig) -> AdvantageEstimator:
    """The registered advantage estimator ``cfg.advantage.estimator``, built with ``cfg.advantage``."""
    return make_estimator(cfg.advantage.estimator, cfg.advantage)


def build_rollouts(cfg: TrainConfig, init_path: Path) -> Any:
    """The Ray rollout actors of ``ray_workers`` (None: the rollouts run in this process)."""
    if not cfg.ray_workers:
        return None
    from zeroplay.training.ray_workers import RayRollouts

    return RayRollouts(cfg, init_path, cfg.ray_workers)
