"""The training config: typed, validated, loaded from YAML.

One :class:`TrainConfig` holds every option, each documented where it is declared. Unknown
keys are errors (a typo must not silently fall back to a default), and every error names the
field and the file. Nothing heavy is imported here.

``loop: NAME`` picks a registered loop (:data:`zeroplay.training.registry.LOOPS`: ``games``,
``propose_solve``, ``rlvr``, or a plug-in's); its options are the section of the same name,
validated against the loop class's ``config_class`` (a plug-in loop declares its own). Advantage
estimators and rewards are picked by registered name too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator, model_serializer,
                      model_validator)

from zeroplay.core.errors import ConfigError, field_problem
from zeroplay.training.registry import ADVANTAGES, LOOPS, LOSS_TERMS, check_name, lookup, reward_field
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

    @model_validator(mode="after")
    def _heads_divide(self) -> TinyModel:
        if self.hidden_size % self.num_heads:
            raise ValueError(f"hidden_size ({self.hidden_size}) must be a multiple of num_heads ({self.num_heads})")
        return self


class LoraSettings(_Strict):
    """LoRA adapters on the policy (``model.lora``; the ``hf`` backend, ``pip install -e '.[lora]'``): the
    base weights stay frozen and only a low-rank update ``(alpha / r) * B @ A`` of each target module
    trains, so the optimizer state and the gradients are those of the adapters alone. The KL (or DPO)
    reference is then the same model with its adapters off, not a second copy. The adapters and their
    optimizer state are float32; the base is bf16 under bf16 autocast (``model.dtype``). Checkpoints hold
    the adapters and their optimizer state; ``final_model/`` is the merged plain model, in the base's dtype."""

    r: int = Field(16, ge=1)
    """Rank of each adapter's update (its two matrices are r x in and out x r)."""
    alpha: float = Field(32.0, gt=0)
    """Scale of the update: ``alpha / r`` (peft's ``lora_alpha``)."""
    dropout: float = Field(0.0, ge=0, lt=1)
    """Dropout on each adapter's input while training (peft's ``lora_dropout``); 0: none, so the
    learner's forward passes are deterministic."""
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    """The modules that get adapters: names (or name suffixes) such as ``[q_proj, v_proj]``, or
    ``all-linear``: every linear layer but the output head."""

    @field_validator("target_modules")
    @classmethod
    def _some_targets(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("give at least one module name (e.g. [q_proj, v_proj]) or 'all-linear'")
        return value


class ModelConfig(_Strict):
    path: str | None = None
    """Local Hugging Face model directory; empty builds ``tiny`` in the run directory."""
    tiny: TinyModel = TinyModel()
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    """``auto``: bf16 autocast where the device supports it (CUDA), float32 on CPU; ``bfloat16``: bf16
    autocast on CPU too. The trained weights stay float32; with ``lora`` the frozen base weights are held
    in bf16 whenever autocast is (half their memory), and ``final_model/`` is saved in bf16."""
    device: str = "auto"
    """``auto``: cuda when available, else cpu."""
    ref_model: bool = False
    """Keep a frozen copy of the initial policy for the KL term (needed when ``loss.kl_coef > 0``);
    with ``lora``, the policy with its adapters off serves instead (no copy)."""
    lora: LoraSettings | None = None
    """Train LoRA adapters instead of every weight (see :class:`LoraSettings`); None: full fine-tuning."""


class SamplingConfig(_Strict):
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_new_tokens: int = Field(16, ge=1)
    batch_size: int = Field(64, ge=1)
    """Prompts per forward pass of the ``hf`` sampler."""
    cache: Literal["auto", "dynamic", "static"] = "auto"
    """The ``hf`` sampler's KV cache: ``static`` (pre-allocated to bucketed shapes; finished rows take
    waiting prompts), ``dynamic`` (grows each step), ``auto`` (static on CUDA, dynamic elsewhere)."""
    compile: bool | Literal["auto"] = "auto"
    """Compile the ``hf`` sampler's static-cache decode step with ``torch.compile`` (CUDA graphs on
    CUDA; once per batch and length bucket, reused across steps and weight updates). ``auto``: on
    CUDA only; ``true`` on CPU works but each new shape compiles for tens of seconds."""


class OptimConfig(_Strict):
    lr: float = Field(1e-5, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = Field(1.0, gt=0)
    micro_batch_size: int = Field(32, ge=1)
    """Samples per forward/backward; gradients accumulate over a step's micro-batches."""
    micro_batch_tokens: int = Field(0, ge=0)
    """0: micro-batches of ``micro_batch_size`` samples, padded (prompts left, completions right). Above 0:
    samples packed (each prompt + completion back to back, position ids restarting per sample, attention
    kept within each sample) into rows as long as the step's longest sample, and as many rows per
    forward/backward as fit in this many tokens (at least one); ``micro_batch_size`` is then unused by the
    policy-gradient update (DPO keeps its padded pair micro-batches). Size it to memory: tokens x hidden
    activations per layer, plus completion tokens x vocabulary logits (only completion positions get logits)."""
    compile: bool = False
    """Compile the learner's forward and backward with ``torch.compile`` (the sampler keeps the plain
    module; the first steps pay for compilation; best with ``micro_batch_tokens`` on a GPU)."""
    minibatches: int = Field(1, ge=1)
    """Optimizer steps per training step (the batch is split); 1 = fully on-policy."""
    gradient_checkpointing: bool = False
    """Recompute each decoder layer's activations in the backward pass instead of keeping them
    (transformers' ``gradient_checkpointing_enable``, non-reentrant): the learner's activation memory
    drops to about one layer's, for roughly one more forward pass of compute. Same loss and weights
    (up to float rounding); sampling is unaffected (it runs in eval mode with its KV cache)."""


class LossConfig(_Strict):
    clip_low: float = Field(0.2, ge=0)
    clip_high: float = Field(0.28, ge=0)
    """DAPO's clip-higher: a wider upper clip keeps low-probability tokens able to grow."""
    loss_norm: Literal["token", "sequence", "constant"] = "token"
    kl_coef: float = Field(0.0, ge=0)
    """Weight of the k3 KL to the reference model; > 0 needs ``model.ref_model: true``."""
    entropy_coef: float = Field(0.0, ge=0)
    """Weight of an entropy bonus: ``- entropy_coef * H`` per completion token (H: the entropy of the
    policy's next-token distribution), normalized like the policy-gradient term. 0: no bonus, the loss
    exactly as without this option. Above 0 the entropy keeps its gradient, which holds one more
    (micro-batch x completion x vocabulary) tensor for the backward pass."""
    old_logprobs: Literal["sampler", "learner"] = "sampler"
    """Where the PPO ratio's denominator comes from: the sampler's log-probs (free with the ``hf``
    backend) or a fresh learner forward pass (use with ``vllm``, whose numerics differ)."""
    terms: dict[str, float] = {}
    """Named loss terms and their weights, added per token to the PPO-clip loss (registry
    ``zeroplay.training.registry.LOSS_TERMS``; built in: ``kl``, ``entropy``; a package adds its own
    through the ``zeroplay.loss_terms`` entry-point group). Logged as ``loss/term/<name>``."""
    objective: Literal["pg", "dpo"] = "pg"
    """What the policy learns from: ``pg``, the PPO-clip policy gradient on samples and advantages (every
    field above); ``dpo``, the DPO loss (:func:`zeroplay.training.loss.dpo_loss`) on the preference pairs a
    loop marks (``meta["pair"]``, ``meta["preferred"]``), against a frozen copy of the policy taken after
    the warm-up (saved in the checkpoint). A DPO policy drops unpaired samples (``dpo/unpaired``) and
    ignores rewards and advantages; the clip, KL, entropy and term fields are policy-gradient only."""
    dpo_beta: float = Field(0.1, gt=0)
    """DPO's beta: the weight of the log-ratio to the reference in the implicit reward (``objective: dpo``)."""

    @field_validator("terms")
    @classmethod
    def _registered_terms(cls, value: dict[str, float]) -> dict[str, float]:
        for name in value:
            check_name(LOSS_TERMS, name)
        return value

    @model_validator(mode="after")
    def _dpo_alone(self) -> LossConfig:
        if self.objective == "dpo" and (self.kl_coef > 0 or self.entropy_coef > 0 or self.terms):
            raise ValueError("objective: dpo has its own loss; kl_coef, entropy_coef and terms belong to the policy "
                             "gradient (objective: pg): set them to 0 / {} (DPO's beta anchors it to its reference)")
        return self


class AdvantageConfig(_Strict):
    estimator: str = "grpo"
    """A registered estimator: ``grpo``, ``dr_grpo``, ``reinforce_pp``, ``trr_pp``, ``rae``, ``mars``, or a plug-in's
    (entry-point group ``zeroplay.advantages``); it is built with this section."""
    rae_decay: float = Field(0.95, ge=0, lt=1)
    options: dict[str, Any] = {}
    """Options for a plug-in estimator (it reads them from the config it is built with)."""
    drop_zero: bool = False
    """Drop samples whose advantage is 0 (they carry no gradient but cost compute)."""

    _registered = field_validator("estimator")(lambda v: check_name(ADVANTAGES, v))


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
    """Fixed opponents (agents.make names) for the games loop; ``self``: the policy in the other seat too."""
    games: int = Field(100, ge=2)
    """Games loop: played games per opponent, in duplicate form (each deal, an env seed, played twice with
    the seats swapped, so the luck of the deal cancels; the same deals at every evaluation): an odd
    number is rounded up to the next even one."""
    exploitability: bool = False
    """Games loop: exact evaluation for every game that has a public tree (Kuhn Poker, Leduc Hold'em):
    exploitability and exact results against fixed opponents, from the model's action probabilities."""
    samples: int = Field(32, ge=1)
    """Tasks per evaluation in the rlvr loop."""
    samples_per_task: int = Field(1, ge=1)
    """rlvr loop: answers sampled per evaluation task; accuracy is the mean over all of them."""
    pass_k: list[int] = []
    """rlvr loop: also report ``eval/pass@k`` for each k (the unbiased estimator over ``samples_per_task``
    answers per task; each k at most ``samples_per_task``), e.g. ``[1, 4]`` with ``samples_per_task: 4``."""

    @model_validator(mode="after")
    def _check_pass_k(self) -> EvalConfig:
        bad = [k for k in self.pass_k if not 1 <= k <= self.samples_per_task]
        if bad:
            raise ValueError(f"pass_k: each k must be in [1, samples_per_task={self.samples_per_task}], got {bad}; "
                             "raise eval.samples_per_task or drop those k")
        return self


class EnvEntry(_Strict):
    """One env of a mixture: ``{id: zeroplay/TicTacToe-v0, weight: 1, kwargs: {...}}``."""

    id: str
    weight: float = Field(1.0, gt=0)
    """Share of the step's games (games) or problems (rlvr), relative to the other entries."""
    kwargs: dict[str, Any] = {}
    name: str | None = None
    """The entry's key in samples, baselines and metrics; default: ``id`` (give one when an id appears twice)."""
    opponents: list[str] | None = None
    """Games: evaluation opponents for this env (default: ``eval.opponents``; ``self``: the policy as its own partner)."""

    @property
    def key(self) -> str:
        return self.name or self.id

    @property
    def label(self) -> str:
        """The short name in metric keys: the key without its namespace (``KuhnPoker-v0``)."""
        return self.key.rsplit("/", 1)[-1]


def env_mixture(env: str | list[EnvEntry], env_kwargs: dict[str, Any]) -> list[EnvEntry]:
    """``env`` as a list of entries (one id is a mixture of one, with ``env_kwargs``)."""
    if isinstance(env, str):
        return [EnvEntry(id=env, kwargs=env_kwargs)]
    return list(env)


class _EnvSection(_Strict):
    env: str | list[EnvEntry]
    """One env id, or a weighted mixture ``[{id: ..., weight: ..., kwargs: {...}}, ...]`` (a bare id in
    the list is an entry of weight 1)."""
    env_kwargs: dict[str, Any] = {}
    """Kwargs of a single ``env`` (a mixture gives each entry its own ``kwargs``)."""

    @field_validator("env", mode="before")
    @classmethod
    def _entries(cls, value: Any) -> Any:
        """A list is validated entry by entry here, so an error names the entry, not the union's branches."""
        if isinstance(value, str):
            return value
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"give one env id or a list of {{id, weight, kwargs}} entries, got {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(EnvEntry(id=item) if isinstance(item, str) else
                           item if isinstance(item, EnvEntry) else EnvEntry.model_validate(item))
            except ValidationError as e:
                raise ValueError("; ".join(f"entry {i}: {'.'.join(map(str, err['loc'])) or 'the entry'}: "
                                           f"{field_problem(err)}"
                                           for err in e.errors())) from None
        return out

    @model_validator(mode="after")
    def _check_mixture(self) -> _EnvSection:
        if isinstance(self.env, list):
            if not self.env:
                raise ValueError("env: give one env id or a non-empty list of {id, weight, kwargs}")
            if self.env_kwargs:
                raise ValueError("env_kwargs applies to a single env id; in a mixture give each entry its own kwargs")
            keys = [e.key for e in self.env]
            if len(set(keys)) != len(keys):
                raise ValueError(f"env: the mixture has an env twice ({keys}); give the entries distinct 'name's")
        return self

    @property
    def mixture(self) -> list[EnvEntry]:
        return env_mixture(self.env, self.env_kwargs)


class ReasoningEval(_Strict):
    """A reasoning env scored during a games run (held-out transfer): one sampled answer to each of
    ``samples`` fixed problems, scored by the env's verifier."""

    env: str = "zeroplay/MathArithmetic-v0"
    """A single-step env id (its verifier scores the answer)."""
    kwargs: dict[str, Any] = {}
    samples: int = Field(32, ge=1)
    name: str = "math"
    """Metrics go to ``eval/<name>/accuracy`` and ``eval/<name>/well_formed``."""


class GamesConfig(_EnvSection):
    """(b) Game self-play (SPIRAL): one policy plays every seat."""

    env: str | list[EnvEntry] = "zeroplay/KuhnPoker-v0"
    """One game, or a weighted mixture: the step's games are split over it from (seed, step)."""
    reward: str = "illegal_move_penalty"
    """A registered game reward (``illegal_move_penalty``: SPIRAL's -1.5/+0.5; ``env_returns``)."""
    credit: Literal["final", "turn"] = "final"
    """What each move is rewarded with: ``final``, its player's final return (SPIRAL); ``turn``, its
    own return, the reward-to-go from that move (MARS; :func:`~zeroplay.training.selfplay.games.turn_credit`):
    the step rewards from this move on (a cooperative game's shared by the team), discounted by
    ``gamma`` per move of the game, plus the rest of the final return at the end. With only
    terminal rewards and ``gamma`` 1 it equals ``final``."""
    gamma: float = Field(1.0, ge=0, le=1)
    """Discount per move (of either player) of ``credit: turn``."""
    games_per_step: int = Field(32, ge=1)
    max_moves: int = Field(1000, ge=1)
    """Most moves (env steps, invalid-move retries included) of one game, wherever the loop plays
    (warm-up transcripts, self-play, evaluation): a game still running then is cut (gymnasium's
    ``truncated``) and scored a draw, 0 for every player, as a game the env cuts itself is (a
    TextArena game at its ``max_turns``, 1000 by default). Counted in ``selfplay/truncated_rate`` and
    ``eval/.../truncated_rate``; a warning when over a tenth of a batch is cut. The built-in games
    end long before (Kuhn Poker: 3 moves; Nim's largest piles: 500)."""
    observation: Literal["full", "view"] = "full"
    """What the model reads: ``full``, the env's observation (rules, history, legal moves); or
    ``view``, a one-line prompt built from ``info["view"]`` (exactly the player's information
    set) and the legal moves: ~8x fewer tokens, which is what lets the CPU demo run in minutes.
    Moves are still parsed and judged by the env either way. ``view`` with a game (mixture or
    held out) whose reset gives no ``info["view"]`` is an error at the start."""
    held_out: list[EnvEntry] = []
    """Games evaluated like the mixture's (``eval/<env>/...``, against each entry's ``opponents``) but
    never trained on: transfer to unseen games."""
    reasoning_eval: ReasoningEval | None = None
    """Also evaluate on a reasoning env at each evaluation (e.g. math), to measure transfer from play."""

    _registered = field_validator("reward")(reward_field("game"))

    @model_validator(mode="after")
    def _check_held_out(self) -> GamesConfig:
        labels = [e.label for e in self.mixture + self.held_out]
        if len(set(labels)) != len(labels):
            raise ValueError(f"held_out: a game is in the mixture or held out twice ({labels}); give entries distinct 'name's")
        return self


class RLVRConfig(_EnvSection):
    """(c) Plain RL with verifiable rewards on a single-step env (or a weighted mixture of them)."""

    prompts_per_step: int = Field(8, ge=1)
    group_size: int = Field(4, ge=1)
    """Samples per prompt (the GRPO group)."""
    reward: str = "correctness"
    """A registered solver reward (``correctness``: +1/-0.5/-1 from ``rewards``; ``binary``), or a group
    reward (``majority_vote``: label-free, the group's majority answer is the pseudo-label)."""
    novelty_weight: float = Field(0.0, ge=0)
    """Add ``novelty_weight`` x novelty (1 - a completion's mean similarity to the rest of its group) to
    every sample's reward; 0: off."""
    novelty: Literal["lexical", "embedding"] = "lexical"
    """How novelty measures similarity: ``lexical``, the Jaccard similarity of token 3-gram sets
    (:func:`zeroplay.training.rewards.novelty`, cheap); ``embedding``, the cosine similarity of mean-pooled
    last hidden states of ``novelty_model`` (:func:`zeroplay.training.rewards.embedding_novelty`)."""
    novelty_model: str | None = None
    """``novelty: embedding`` only: a local Hugging Face model directory (an encoder or a decoder), loaded
    once on the run's device; never downloaded."""

    _registered = field_validator("reward")(reward_field("solver", "group"))

    @model_validator(mode="after")
    def _novelty_model(self) -> RLVRConfig:
        if self.novelty == "embedding":
            if not self.novelty_model:
                raise ValueError("novelty: embedding needs novelty_model: the path of a local Hugging Face model "
                                 "directory (nothing is downloaded)")
            if not Path(self.novelty_model).expanduser().is_dir():
                raise ValueError(f"novelty_model: no model directory at {self.novelty_model!r}; give a local "
                                 "Hugging Face model directory (nothing is downloaded)")
        elif self.novelty_model:
            raise ValueError("novelty_model is read only with novelty: embedding; set novelty: embedding or drop it")
        return self


class ProposeSolveConfig(_Strict):
    """(a) Propose-solve (Absolute Zero)."""

    task_types: list[Literal["deduction", "abduction", "induction"]] = ["deduction", "abduction", "induction"]
    proposals_per_type: int = Field(4, ge=1)
    solver_samples: int = Field(4, ge=1)
    """Solver answers per valid task; also the n of the proposer's solve rate."""
    solve_tasks_per_type: int = Field(4, ge=1)
    """Tasks per type the solver answers each step: every new valid one, then tasks from the buffer up to this."""
    buffer_size: int | None = Field(None, ge=2)
    """Tasks kept per type in the buffer (proposer references, solver tasks, checkpoints); past it the
    oldest task leaves, the seed programs first (the very first seed stays; a cap under the seeds' count
    drops seeds at the start). None: unbounded, as Absolute Zero (the buffers, and the checkpoint that
    holds them, grow with every valid proposal)."""
    env_kwargs: dict[str, Any] = {}
    """Extra kwargs for the code envs (e.g. sandbox options)."""
    solver_reward: str = "correctness"
    """A registered solver reward: ``correctness`` (+1 / -0.5 / -1, Absolute Zero), ``binary``."""
    proposer_reward: str = "learnability"
    """A registered proposer reward: ``learnability`` (1 - solve rate; 0 if trivial or impossible; -1 invalid)."""

    _solver = field_validator("solver_reward")(reward_field("solver"))
    _proposer = field_validator("proposer_reward")(reward_field("proposer"))


class PolicyConfig(_Strict):
    """One policy of a run with several (``policies:``): the roles it plays, its model and its optimizer.

    ``model``, ``optim`` and ``sampling`` default to the run's top-level sections, so two policies
    that differ only in their roles need nothing else.
    """

    roles: list[str] = Field(min_length=1)
    """The roles this policy samples and trains on (``proposer``/``solver`` in propose-solve,
    ``generator``/``solver`` in evoenv); each role of the loop belongs to exactly one policy."""
    model: ModelConfig | None = None
    """This policy's initial model (default: the run's ``model``); a tiny one is built per policy."""
    optim: OptimConfig | None = None
    """This policy's optimizer (default: the run's ``optim``)."""
    sampling: SamplingConfig | None = None
    """This policy's sampling settings (default: the run's ``sampling``)."""
    loss: LossConfig | None = None
    """This policy's loss (default: the run's ``loss``), e.g. ``{objective: dpo, dpo_beta: 0.1}`` for a policy
    that learns from preference pairs next to one trained by policy gradient."""


class ScriptedRole(_Strict):
    """A role played by an agent instead of a trained policy (``scripted: {ROLE: ...}``)."""

    agent: str
    """An ``agents.make`` name (``random``...) or a ``"module:Class"`` with ``act(observations, infos)``."""
    kwargs: dict[str, Any] = {}
    """Keyword arguments of the agent's constructor."""


class TrainConfig(_Strict):
    """Everything a run needs. ``loop`` names a registered loop; its section (``games``, ``rlvr``,
    ``propose_solve``, or a plug-in loop's) holds the loop's options."""

    name: str = "run"
    out_dir: str = "runs"
    """Runs go to ``out_dir/name``; an existing run there with a checkpoint is resumed."""
    seed: int = Field(0, ge=0)
    """Seeds every random draw of the run (numpy and torch take non-negative seeds only)."""
    loop: str
    """A registered loop: ``games``, ``propose_solve``, ``rlvr``, or a plug-in's (``zeroplay.loops``)."""
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
    policies: dict[str, PolicyConfig] = {}
    """One policy per role (two or more models, each with its own optimizer, checkpoint entry and
    advantage estimator): ``{proposer: {roles: [proposer]}, solver: {roles: [solver], model: {...}}}``.
    Empty (the default): one shared policy plays every role, built from ``model`` and ``optim``.
    Only loops that sample per role (their class lists ``roles``) take it; not with ``ray_workers``
    or ``backend: vllm`` yet."""
    scripted: dict[str, ScriptedRole] = {}
    """Roles played by an agent, not trained: ``{proposer: "mypkg.agents:Writer"}`` or
    ``{proposer: {agent: ..., kwargs: {...}}}``. Its completions are text only (no tokens), go through
    the template like a model's, are scored and logged like any role's, and are never trained on. For
    roles a small model cannot play yet (a CPU test of a recipe), or a fixed partner. Only loops
    that sample per role (their class lists ``roles``); at least one role must stay a policy's."""
    sections: dict[str, Any] = {}
    """A plug-in loop's section, written in YAML at the top level under the loop's name (moved here
    on load and back on save)."""
    checkpoint_every: int = Field(1, ge=1)
    """Steps between checkpoints; 1 means a kill loses at most the step in flight."""
    checkpoint_keep: int = Field(1, ge=1)
    """Checkpoints kept, the latest included. 1: ``checkpoint.pt`` only. Above 1, each is also kept as
    ``checkpoint-STEP.pt`` (a hard link: the latest costs no extra disk) and a resume whose latest
    checkpoint does not load falls back to the newest that does."""
    log: list[Literal["jsonl", "tensorboard", "wandb", "mlflow"]] = ["jsonl"]
    """Where metrics go. ``metrics.jsonl`` is always written (resume and ``zeroplay report`` read it);
    ``tensorboard`` (event files in ``RUN/tensorboard``), ``wandb`` (offline, in ``RUN/wandb``) and
    ``mlflow`` (a local file store, ``file:RUN/mlruns``) also get the metrics of each step, the
    config and the before/after table; they need ``pip install 'zeroplay[track]'`` and never
    touch the network."""
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

    @field_validator("scripted", mode="before")
    @classmethod
    def _scripted_names(cls, value: Any) -> Any:
        """``{role: "name"}`` is short for ``{role: {agent: "name"}}``."""
        if isinstance(value, dict):
            return {k: {"agent": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("log")
    @classmethod
    def _jsonl_first(cls, value: list[str]) -> list[str]:
        """``jsonl`` is always written: listed first whether given or not; each tracker once."""
        return ["jsonl", *dict.fromkeys(v for v in value if v != "jsonl")]

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

    @property
    def loop_config(self) -> Any:
        """The section of the chosen loop (its ``config_class``), validated; None for a loop without one."""
        return getattr(self, self.loop) if self.loop in type(self).model_fields else self.sections.get(self.loop)

    if not TYPE_CHECKING:  # hidden from type checkers, as pydantic's own __getattr__ is: fields stay checked
        def __getattr__(self, name: str) -> Any:
            """pydantic's lookup; a plug-in loop's name gets an error that says where its section is."""
            try:
                return super().__getattr__(name)
            except AttributeError:
                values = object.__getattribute__(self, "__dict__")  # no attribute lookups: no recursion
                if name == values.get("loop") or name in (values.get("sections") or {}):
                    raise AttributeError(f"TrainConfig has no attribute {name!r}: a plug-in loop's section is read "
                                         f"as cfg.loop_config (validated against the loop's config_class)") from None
                raise

    _registered = field_validator("loop")(lambda v: check_name(LOOPS, v))

    @model_validator(mode="before")
    @classmethod
    def _lift_plugin_section(cls, data: Any) -> Any:
        loop = data.get("loop") if isinstance(data, dict) else None
        if isinstance(loop, str) and loop not in cls.model_fields and loop in data:
            data = dict(data)
            data["sections"] = {**dict(data.get("sections") or {}), loop: data.pop(loop)}
        return data

    @model_serializer(mode="wrap")
    def _flatten_plugin_section(self, handler: Any) -> dict[str, Any]:
        out = handler(self)
        out.update(out.pop("sections", None) or {})
        return out

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        schema = getattr(lookup(LOOPS, self.loop), "config_class", None)
        raw = self.loop_config
        if schema is not None and not isinstance(raw, schema):
            try:
                section = schema.model_validate(raw if raw is not None else {})
            except ValidationError as e:
                what = "; ".join(f"{'.'.join(map(str, (self.loop, *err['loc'])))}: "
                                 f"{field_problem(err)}"
                                 for err in e.errors())
                need = f" (loop {self.loop!r} needs a {self.loop + ':'!r} section)" if raw is None else ""
                raise ValueError(what + need) from None
            if self.loop in type(self).model_fields:
                setattr(self, self.loop, section)
            else:
                self.sections[self.loop] = section
        if self.ray_workers and self.backend == "vllm":
            raise ValueError("ray_workers runs CPU copies of the policy: use backend 'hf' with Ray, "
                             "or ray_workers: 0 with vllm (it samples on the GPU in this process)")
        if self.loss.kl_coef > 0 and not self.model.ref_model:
            raise ValueError("loss.kl_coef > 0 needs model.ref_model: true (the KL is to a frozen reference)")
        needing_ref = [n for n in self.loss.terms if "ref" in getattr(lookup(LOSS_TERMS, n), "needs", ())]
        if needing_ref and not self.model.ref_model:
            raise ValueError(f"loss.terms {needing_ref} need model.ref_model: true (a frozen reference)")
        if self.scripted:
            self._check_scripted()
        if self.policies:
            self._check_policies()
        self._check_lora()
        check = getattr(lookup(LOOPS, self.loop), "check_config", None)
        if check is not None:  # the loop's own cross-section checks (e.g. a built-in role vs scripted:)
            check(self)
        return self

    def _check_scripted(self) -> None:
        roles = tuple(getattr(lookup(LOOPS, self.loop), "roles", ()) or ())
        if not roles:
            raise ValueError(f"scripted: loop {self.loop!r} samples every role with one policy (its class lists no "
                             "'roles'), so no role can be scripted; remove 'scripted'")
        unknown = [r for r in self.scripted if r not in roles]
        if unknown:
            raise ValueError(f"scripted: loop {self.loop!r} has no role {', '.join(map(repr, unknown))} "
                             f"(its roles: {', '.join(roles)})")
        if set(roles) <= set(self.scripted):
            raise ValueError("scripted: every role is scripted, so nothing would be trained; leave one role to the policy")
        if self.ray_workers:
            raise ValueError("scripted: scripted roles do not run on Ray actors yet; use ray_workers: 0")

    def _check_policies(self) -> None:
        """Every role of the loop belongs to exactly one policy; the run's options allow several policies."""
        roles = tuple(getattr(lookup(LOOPS, self.loop), "roles", ()) or ())
        if not roles:
            raise ValueError(f"policies: loop {self.loop!r} samples every role with one policy (its class lists no "
                             "'roles'); remove 'policies' to train one shared policy")
        owner: dict[str, str] = {r: "scripted" for r in self.scripted}
        for name, p in self.policies.items():
            for role in p.roles:
                if role not in roles:
                    raise ValueError(f"policies.{name}.roles: loop {self.loop!r} has no role {role!r} "
                                     f"(its roles: {', '.join(roles)})")
                if role in owner:
                    raise ValueError(f"policies: role {role!r} is in both {owner[role]!r} and {name!r}; "
                                     "give each role to one policy (or script it)")
                owner[role] = name
        missing = [r for r in roles if r not in owner]
        if missing:
            raise ValueError(f"policies: no policy plays {', '.join(map(repr, missing))}; add the role(s) to a policy's 'roles'")
        if self.ray_workers:
            raise ValueError("policies: several policies do not run on Ray actors yet; use ray_workers: 0 "
                             "(the rollouts run in this process) or one shared policy")
        if self.backend == "vllm":
            raise ValueError("policies: several policies need one vLLM engine each, which is not built yet; "
                             "use backend 'hf' or one shared policy")
        losses = [self.loss] + [p.loss for p in self.policies.values() if p.loss]
        if any(x.kl_coef > 0 or _needs_ref(x) for x in losses) or self.model.ref_model or \
                any(p.model and p.model.ref_model for p in self.policies.values()):
            raise ValueError("policies: the KL reference (model.ref_model, loss.kl_coef, loss.terms that need it) is "
                             "kept for one shared policy only; set loss.kl_coef: 0 and model.ref_model: false "
                             "(a policy with loss.objective: dpo keeps its own DPO reference)")

    def _check_lora(self) -> None:
        """LoRA runs on the ``hf`` backend; its reference (adapters off) is the model before any warm-up."""
        for name, c in ({n: self.for_policy(n) for n in self.policies} or {"": self}).items():
            if c.model.lora is None:
                continue
            where = f"policies.{name}.model.lora" if name and self.policies[name].model else "model.lora"
            if self.backend == "vllm":
                raise ValueError(f"{where}: LoRA with backend vllm is not built yet; use backend hf, or drop {where}")
            if self.warmup.steps and (c.model.ref_model or c.loss.objective == "dpo"):
                raise ValueError(f"{where} with a warm-up and a reference (model.ref_model or loss.objective: dpo): "
                                 "the LoRA reference is the model with its adapters off, which leaves out the warm-up; "
                                 f"set warmup.steps: 0, or drop {where}")

    def for_policy(self, name: str) -> TrainConfig:
        """This config as one policy of ``policies`` sees it: its model, optim, sampling and loss sections."""
        p = self.policies[name]
        return self.model_copy(update={"model": p.model or self.model, "optim": p.optim or self.optim,
                                       "sampling": p.sampling or self.sampling, "loss": p.loss or self.loss})

    def policy_of(self, role: str) -> str:
        """The name of the policy that plays ``role`` (``policies`` must be set)."""
        for name, p in self.policies.items():
            if role in p.roles:
                return name
        raise KeyError(f"no policy plays role {role!r}; policies: {', '.join(self.policies)}")


#: The ``eval`` fields each built-in loop reads (the trainer reads ``every`` for every loop). A loop
#: class may list its own as ``eval_fields``; a loop in neither is not warned about.
EVAL_FIELDS_READ: dict[str, tuple[str, ...]] = {
    "games": ("every", "opponents", "games", "exploitability"),
    **dict.fromkeys(("rlvr", "svs", "ttcs"), ("every", "samples", "samples_per_task", "pass_k")),
    **dict.fromkeys(("g_zero", "sws"), ("every", "samples", "samples_per_task")),
    **dict.fromkeys(("propose_solve", "evoenv", "stp", "multi_agent_evolve", "search_self_play", "deepseekmath_v2",
                     "utrl"), ("every", "samples")),
}
#: The loop sections that are fields of :class:`TrainConfig` (a plug-in loop's goes to ``sections``).
BUILTIN_SECTIONS = ("games", "rlvr", "propose_solve")


def ignored_settings(cfg: TrainConfig, shown: int = 3) -> str | None:
    """A one-line warning naming what ``cfg`` sets that its loop does not read, or None: another loop's
    section (with the fields given in it) and ``eval`` fields given with a value other than the default
    (a saved ``config.json``, which lists every default, warns about nothing)."""
    ignored = []
    for name in BUILTIN_SECTIONS:
        section = getattr(cfg, name)
        if name != cfg.loop and section is not None:
            given = [f"{name}.{f}" for f in type(section).model_fields if f in section.model_fields_set]
            more = f", +{len(given) - shown} more" if len(given) > shown else ""
            ignored.append(f"{name}: ({', '.join(given[:shown])}{more})" if given else f"{name}:")
    read = getattr(lookup(LOOPS, cfg.loop), "eval_fields", None) or EVAL_FIELDS_READ.get(cfg.loop)
    if read is not None:
        given = cfg.eval.model_fields_set
        ignored += [f"eval.{f}" for f, info in EvalConfig.model_fields.items()
                    if f not in read and f in given and getattr(cfg.eval, f) != info.get_default()]
    if not ignored:
        return None
    return (f"warning: loop {cfg.loop} does not read {', '.join(ignored)}; they are ignored "
            "(remove them, or choose the loop that reads them)")


def _needs_ref(loss: LossConfig) -> bool:
    """Whether ``loss.terms`` has a term that needs the KL reference's log-probs."""
    return any("ref" in getattr(lookup(LOSS_TERMS, n), "needs", ()) for n in loss.terms)


def _format_errors(e: ValidationError, where: str) -> str:
    errors = e.errors()
    if len(errors) == 1 and not errors[0]["loc"] and errors[0]["type"] == "value_error":  # a whole-config check
        return f"Invalid training config {where}: {field_problem(errors[0])}"
    lines = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = field_problem(err)
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


def _unique_keys_loader() -> Any:
    """yaml's safe loader, refusing a key given twice in one mapping (``steps: 2`` then ``steps: 3``: which one
    did the user mean?) where it would keep the last silently."""
    import yaml

    class UniqueKeys(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # <<: *defaults, which keys after it override
                    continue
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    continue
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{key!r} is given twice in one mapping (line {seen[key] + 1} and line "
                        f"{key_node.start_mark.line + 1}); keep one", key_node.start_mark)
                seen[key] = key_node.start_mark.line
            return super().construct_mapping(node, deep=deep)

    return UniqueKeys


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML config; ``overrides`` maps dotted keys (``optim.lr``) to values."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No config file at {path}: pass the path of a YAML file (see configs/)")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_unique_keys_loader()) or {}  # noqa: S506
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
