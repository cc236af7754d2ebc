"""The training config: typed, validated, loaded from YAML.

One :class:`TrainConfig` holds every option, each documented where it is declared. Unknown
keys are errors (a typo must not silently fall back to a default), and every error names the
field and the file. Nothing heavy is imported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zeroplay.core.errors import ConfigError
from zeroplay.training.rewards import RewardShaping


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TinyModel(_Strict):
    """A random-init Llama-style model built locally (zeroplay.agents.tiny), used when ``model.path`` is empty."""

    hidden_size: int = Field(64, ge=8)
    num_layers: int = Field(2, ge=1)
    num_heads: int = Field(4, ge=1)
    vocab_size: int = Field(512, ge=300)
    corpus: list[str] | None = None
    """Extra lines for the tokenizer's BPE merges (e.g. the env's observations), added to the default corpus."""


class ModelConfig(_Strict):
    path: str | None = None
    """Local Hugging Face model directory; empty builds ``tiny`` in the run directory."""
    tiny: TinyModel = TinyModel()
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    """``auto``: bf16 autocast where the device supports it (CUDA), float32 on CPU."""
    device: str = "auto"
    """``auto``: cuda when available, else cpu."""
    ref_model: bool = False
    """Keep a frozen copy of the initial policy for the KL term (needed when ``loss.kl_coef > 0``)."""


class SamplingConfig(_Strict):
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_new_tokens: int = Field(16, ge=1)
    batch_size: int = Field(64, ge=1)
    """Prompts per forward pass of the ``hf`` sampler."""


class OptimConfig(_Strict):
    lr: float = Field(1e-5, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = Field(1.0, gt=0)
    micro_batch_size: int = Field(32, ge=1)
    """Samples per forward/backward; gradients accumulate over a step's micro-batches."""
    minibatches: int = Field(1, ge=1)
    """Optimizer steps per training step (the batch is split); 1 = fully on-policy."""


class LossConfig(_Strict):
    clip_low: float = Field(0.2, ge=0)
    clip_high: float = Field(0.28, ge=0)
    """DAPO's clip-higher: a wider upper clip keeps low-probability tokens able to grow."""
    loss_norm: Literal["token", "sequence", "constant"] = "token"
    kl_coef: float = Field(0.0, ge=0)
    """Weight of the k3 KL to the reference model; > 0 needs ``model.ref_model: true``."""
    old_logprobs: Literal["sampler", "learner"] = "sampler"
    """Where the PPO ratio's denominator comes from: the sampler's log-probs (free with the ``hf``
    backend) or a fresh learner forward pass (use with ``vllm``, whose numerics differ)."""


class AdvantageConfig(_Strict):
    estimator: Literal["grpo", "dr_grpo", "reinforce_pp", "trr_pp", "rae"] = "grpo"
    rae_decay: float = Field(0.95, ge=0, lt=1)
    drop_zero: bool = False
    """Drop samples whose advantage is 0 (they carry no gradient but cost compute)."""


class WarmupConfig(_Strict):
    """Supervised warm-up on generated transcripts (games loop): prompts from random play and
    completions that are uniformly random legal moves, so the model learns the answer format,
    not a strategy."""

    steps: int = Field(0, ge=0)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(3e-3, gt=0)


class EvalConfig(_Strict):
    every: int = Field(0, ge=0)
    """Evaluate every N steps (0: only before and after training)."""
    opponents: list[str] = ["random"]
    """Fixed opponents (agents.make names) for the games loop."""
    games: int = Field(100, ge=2)
    exploitability: bool = False
    """Kuhn Poker only: exact exploitability of the model's action probabilities."""
    samples: int = Field(32, ge=1)
    """Tasks per evaluation in the rlvr loop."""


class GamesConfig(_Strict):
    """(b) Game self-play (SPIRAL): one policy plays every seat."""

    env: str = "zeroplay/KuhnPoker-v0"
    env_kwargs: dict[str, Any] = {}
    games_per_step: int = Field(32, ge=1)
    observation: Literal["full", "view"] = "full"
    """What the model reads: ``full``, the env's observation (rules, history, legal moves); or
    ``view``, a one-line prompt built from ``info["view"]`` (exactly the player's information
    set) and the legal moves: ~8x fewer tokens, which is what lets the CPU demo run in minutes.
    Moves are still parsed and judged by the env either way."""


class RLVRConfig(_Strict):
    """(c) Plain RL with verifiable rewards on a single-step env."""

    env: str
    env_kwargs: dict[str, Any] = {}
    prompts_per_step: int = Field(8, ge=1)
    group_size: int = Field(4, ge=1)
    """Samples per prompt (the GRPO group)."""


class ProposeSolveConfig(_Strict):
    """(a) Propose-solve (Absolute Zero)."""

    task_types: list[Literal["deduction", "abduction", "induction"]] = ["deduction", "abduction", "induction"]
    proposals_per_type: int = Field(4, ge=1)
    solver_samples: int = Field(4, ge=1)
    """Solver answers per valid task; also the n of the proposer's solve rate."""
    solve_tasks_per_type: int = Field(4, ge=1)
    """Tasks per type the solver answers each step: every new valid one, then tasks from the buffer up to this."""
    env_kwargs: dict[str, Any] = {}
    """Extra kwargs for the code envs (e.g. sandbox options)."""


class TrainConfig(_Strict):
    """Everything a run needs. ``loop`` picks which of ``games``/``rlvr``/``propose_solve`` is used."""

    name: str = "run"
    out_dir: str = "runs"
    """Runs go to ``out_dir/name``; an existing run there with a checkpoint is resumed."""
    seed: int = Field(0, ge=0)
    """Seeds every random draw of the run (numpy and torch take non-negative seeds only)."""
    loop: Literal["games", "propose_solve", "rlvr"]
    steps: int = Field(10, ge=0)
    backend: Literal["hf", "vllm"] = "hf"
    vllm_gpu_memory_utilization: float = Field(0.4, gt=0, lt=1)
    template: Literal["plain", "r1", "boxed"] = "plain"
    model: ModelConfig = ModelConfig()
    sampling: SamplingConfig = SamplingConfig()
    optim: OptimConfig = OptimConfig()
    loss: LossConfig = LossConfig()
    advantage: AdvantageConfig = AdvantageConfig()
    rewards: RewardShaping = RewardShaping()
    warmup: WarmupConfig = WarmupConfig()
    eval: EvalConfig = EvalConfig()
    games: GamesConfig | None = None
    rlvr: RLVRConfig | None = None
    propose_solve: ProposeSolveConfig | None = None
    checkpoint_every: int = Field(1, ge=1)
    """Steps between checkpoints; 1 means a kill loses at most the step in flight."""
    rollout_shards: int | None = Field(None, ge=1)
    """Split each step's rollouts into this many shards, each sampled with its own seed: a block of
    the games (games), of the problems (rlvr) or of the task types (propose-solve). The run depends
    on the shards, not on where they run. Default: ``ray_workers``, or 1 without Ray."""
    ray_workers: int = Field(0, ge=0)
    """Run the rollouts (generation and scoring) on this many Ray actors, each with a CPU copy of the
    policy (``pip install 'zeroplay[ray]'``); 0 = in this process. Same run as the local path with the
    same ``rollout_shards`` and ``threads`` (actors use ``threads``, or 1; CPU float results can
    depend on the thread count)."""
    threads: int | None = Field(None, ge=0)
    """CPU threads for torch. Default: 1 for the built-in tiny model, torch's own choice for a model
    from ``model.path``; 0: torch's own choice. Tiny models gain little from more than one, and on a
    busy machine one thread avoids OpenMP's spin-waiting, which can slow a run tenfold."""
    step_delay_s: float = Field(0.0, ge=0)
    """Sleep after each step. Only for tests that kill a run mid-way; leave at 0."""

    @property
    def torch_threads(self) -> int:
        """The ``threads`` to set (0: leave torch's own choice)."""
        if self.threads is not None:
            return self.threads
        return 0 if self.model.path else 1

    @property
    def shards(self) -> int:
        """The rollout shards of a step (see ``rollout_shards``)."""
        return self.rollout_shards or max(1, self.ray_workers)

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        section = {"games": self.games, "rlvr": self.rlvr, "propose_solve": self.propose_solve}[self.loop]
        if section is None:
            if self.loop == "rlvr":
                raise ValueError("loop 'rlvr' needs an 'rlvr:' section with at least 'env:'")
            setattr(self, self.loop, {"games": GamesConfig, "propose_solve": ProposeSolveConfig}[self.loop]())
        if self.ray_workers and self.backend == "vllm":
            raise ValueError("ray_workers runs CPU copies of the policy: use backend 'hf' with Ray, "
                             "or ray_workers: 0 with vllm (it samples on the GPU in this process)")
        if self.loss.kl_coef > 0 and not self.model.ref_model:
            raise ValueError("loss.kl_coef > 0 needs model.ref_model: true (the KL is to a frozen reference)")
        return self


def _format_errors(e: ValidationError, where: str) -> str:
    lines = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see zeroplay/training/config.py for the fields)"
        lines.append(f"  {loc}: {msg}")
    return f"Invalid training config {where}:\n" + "\n".join(lines)


def config_from_dict(data: dict[str, Any], where: str = "(dict)") -> TrainConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"Invalid training config {where}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_errors(e, where)) from None


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML config; ``overrides`` maps dotted keys (``optim.lr``) to values."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No config file at {path}: pass the path of a YAML file (see configs/)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a training config is a YAML file (see configs/)") from None
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f"{path}:{where.line + 1}:{where.column + 1}" if where is not None else str(path)
        raise ConfigError(f"{at}: not valid YAML: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Invalid training config {path}: expected a mapping at the top level, got {type(data).__name__}")
    for key, value in (overrides or {}).items():
        node = data
        *parents, last = key.split(".")
        for i, p in enumerate(parents):
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: {'.'.join(parents[:i + 1])} is a value, not a section")
        node[last] = value
    return config_from_dict(data, str(path))
