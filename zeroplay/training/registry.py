"""The named parts of a training run: loops, rewards, advantage estimators and loss terms.

Each is a :class:`~zeroplay.core.registry.Registry` of lazy ``"module:Name"`` entry points (nothing is
imported until a run asks for it), with an entry-point group so that an installed package adds its own
without editing zeroplay:

    [project.entry-points."zeroplay.loops"]        myloop = "mypkg.loops:MyLoop"
    [project.entry-points."zeroplay.rewards"]      mine = "mypkg.rewards:my_reward"
    [project.entry-points."zeroplay.advantages"]   mine = "mypkg.adv:MyEstimator"
    [project.entry-points."zeroplay.loss_terms"]   mine = "mypkg.loss:my_term"

or, in Python, ``LOOPS.register("myloop", "mypkg.loops:MyLoop")``. A config then picks them by name:
``loop: myloop`` (with the loop's own ``myloop:`` section), ``advantage.estimator: mine``,
``propose_solve.proposer_reward: mine``. A reward, an advantage estimator or a loss term may also be
named by where it lives, unregistered: ``rlvr.reward: mypkg.rewards:my_reward``,
``loss.terms: {"mypkg.loss:my_term": 0.1}`` (the module must import where the run runs: a script's
directory goes on ``PYTHONPATH``). A loop is always registered: its name is its config section's key.

- A **loop** is a class following :class:`~zeroplay.training.rollout.Loop`; its ``config_class``
  (a pydantic model, or None) is the schema of its config section.
- A **reward** is a function; which signature depends on where a loop uses it
  (:mod:`zeroplay.training.rewards` lists the kinds: solver, proposer, game, group, likelihood and
  loops' own). A reward field accepts the kinds its loop calls (:func:`check_reward`); a reward
  declares its kind with :func:`~zeroplay.training.rewards.reward_kind` (one that declares none is
  accepted anywhere).
- An **advantage estimator** is a class built with the run's ``AdvantageConfig``, called with a
  step's samples (:class:`~zeroplay.training.advantages.AdvantageEstimator`).
- A **loss term** is a function from :class:`~zeroplay.training.loss.TokenInputs` to a per-token
  tensor, added to the PPO-clip loss with the weight ``loss.terms: {name: weight}`` gives it; its
  ``needs`` attribute (``("ref",)``, ``("entropy",)``) says what the learner must compute for it.

This module imports nothing heavy; the config validates names against it, loading what they name.
"""

from __future__ import annotations

from typing import Any

from zeroplay.core.registry import Registry, is_import_spec, load_registered

LOOPS = Registry("loop", "zeroplay.loops")
REWARDS = Registry("reward", "zeroplay.rewards", import_specs=True)
ADVANTAGES = Registry("advantage estimator", "zeroplay.advantages", import_specs=True)
LOSS_TERMS = Registry("loss term", "zeroplay.loss_terms", import_specs=True)

LOOPS.register("games", "zeroplay.training.selfplay.games:GamesLoop",
               description="game self-play, one policy in every seat (SPIRAL)")
LOOPS.register("propose_solve", "zeroplay.training.selfplay.propose_solve:ProposeSolveLoop",
               description="propose code tasks and solve them (Absolute Zero)")
LOOPS.register("evoenv", "zeroplay.training.selfplay.evoenv:EvoEnvLoop",
               description="the policy writes envs; admitted ones join the solver's env mixture (EvoEnv)")
LOOPS.register("rlvr", "zeroplay.training.rlvr:RLVRLoop", description="RL with verifiable rewards on single-step envs")
LOOPS.register("multi_agent_evolve", "zeroplay.training.selfplay.mae:MultiAgentEvolveLoop",
               description="proposer, solver and judge from one policy, all trained; the judge's scores are the "
                           "rewards (Multi-Agent Evolve)")
LOOPS.register("deepseekmath_v2", "zeroplay.training.selfplay.dsm_v2:DeepSeekMathV2Loop",
               description="a proof generator rewarded by a trained proof verifier and for grading its own proofs; "
                           "scaled verification labels new proofs for the verifier (DeepSeekMath-V2)")
LOOPS.register("utrl", "zeroplay.training.selfplay.utrl:UTRLLoop",
               description="a test writer and a coder trained against each other: discriminating tests vs passing code (UTRL)")
LOOPS.register("g_zero", "zeroplay.training.selfplay.g_zero:GZeroLoop",
               description="a proposer writes queries with hints (Hint-δ reward, GRPO); the generator learns from "
                           "hint-guided preference pairs with DPO (G-Zero)")
LOOPS.register("search_self_play", "zeroplay.training.selfplay.search:SearchSelfPlayLoop",
               description="propose questions from search results, answer them with multi-turn search (SSP)")
LOOPS.register("ttcs", "zeroplay.training.selfplay.ttcs:TTCSLoop",
               description="a synthesizer writes harder variants of unlabelled test questions; the solver trains on "
                           "both with self-consistency rewards (TTCS)")
LOOPS.register("svs", "zeroplay.training.selfplay.svs:SvSLoop",
               description="the policy's correct solutions seed variants that keep the original answer; variants "
                           "solved at a moderate rate join the pool (SvS)")
LOOPS.register("sws", "zeroplay.training.selfplay.sws:SwSLoop",
               description="problems the solver keeps failing give weak concepts; new problems are synthesized on "
                           "them by the procedural generators (SwS)")
LOOPS.register("stp", "zeroplay.training.selfplay.stp:StpLoop",
               description="conjecture Coq statements the prover barely proves; the prover learns from its "
                           "checked proofs (STP)")

REWARDS.register("correctness", "zeroplay.training.rewards:solver_reward",
                 description="solver: +1 correct, -0.5 wrong, -1 malformed (Absolute Zero)")
REWARDS.register("binary", "zeroplay.training.rewards:binary_reward",
                 description="solver: 1 if correct and well formed, else 0")
REWARDS.register("learnability", "zeroplay.training.rewards:proposer_reward",
                 description="proposer: 1 - solve rate, 0 if always/never solved, -1 invalid (Absolute Zero)")
REWARDS.register("adversarial", "zeroplay.training.selfplay.search:adversarial_reward",
                 description="proposer: 1 - solve rate of a valid task, proposer_invalid if invalid (Search Self-play)")
REWARDS.register("utrl_discrimination", "zeroplay.training.selfplay.utrl:utrl_discrimination_reward",
                 description="test writer (utrl), (outcome, weights): 0.85 * share of coder solutions failing a valid "
                             "test + 0.05 * n_valid / max(12, n_tests) + 0.1 * well formed (UTRL)")
REWARDS.register("utrl_code", "zeroplay.training.selfplay.utrl:utrl_code_reward",
                 description="coder (utrl), (passed, well_formed, weights): 0.9 * fraction of tests passed + 0.1 * "
                             "well formed (UTRL)")
REWARDS.register("env_admission", "zeroplay.training.selfplay.evoenv:env_admission_reward",
                 description="generator: -1 invalid, 0 near-duplicate, 0.25 uncalibrated, 0.5 + 0.5 novelty admitted")
REWARDS.register("majority_vote", "zeroplay.training.rewards:majority_vote_reward",
                 description="solver, label-free (rlvr only): 1 if the answer agrees with its group's majority answer, "
                             "0 otherwise or on a tie (TTRL, EVOL-RL)")
REWARDS.register("hint_delta", "zeroplay.training.rewards:hint_delta_reward",
                 description="proposer, likelihood (g_zero): the generator's per-token log-likelihood of its "
                             "unassisted responses without minus with the hint, averaged (G-Zero's Hint-δ)")
REWARDS.register("ttcs_frontier", "zeroplay.training.selfplay.ttcs:frontier_reward",
                 description="synthesizer (ttcs), (valid, consistency, shaping): (4 s (1 - s)) ** 1.2 of the solver's "
                             "self-consistency s on the variant; 0 if invalid (TTCS)")
REWARDS.register("svs_band", "zeroplay.training.selfplay.svs:band_reward",
                 description="synthesizer (svs), (valid, solve_rate, shaping, band): 1 if a valid variant's solve rate "
                             "against the original answer lies in the band, else 0 (SvS)")
REWARDS.register("illegal_move_penalty", "zeroplay.training.rewards:game_training_returns",
                 description="game: the env's returns; an illegal move costs -1.5, its opponent gets +0.5 (SPIRAL)")
REWARDS.register("env_returns", "zeroplay.training.rewards:env_returns",
                 description="game: the env's own returns, illegal moves included")
REWARDS.register("barely_provable", "zeroplay.training.selfplay.stp:barely_provable",
                 description="conjecturer: 1 when 0 < solve rate <= 1/4, else 0; -1 invalid (STP)")
REWARDS.register("middle_solve_rate", "zeroplay.training.selfplay.stp:middle_solve_rate",
                 description="proposer: 1 - |2 * solve rate - 1| (peaks at 1/2); -1 invalid")

for _name, _cls, _what in (
    ("grpo", "GRPO", "reward standardized within its group (DeepSeekMath)"),
    ("dr_grpo", "DrGRPO", "group mean subtracted, no std (Dr. GRPO)"),
    ("reinforce_pp", "ReinforcePP", "reward standardized over the batch (REINFORCE++)"),
    ("trr_pp", "TRRPP", "REINFORCE++ within each (task type, role) (Absolute Zero)"),
    ("rae", "RAE", "return minus an EMA baseline per (env, role) (SPIRAL)"),
    ("mars", "MARS", "reward standardized within each (env, role): per agent (MARS)"),
):
    ADVANTAGES.register(_name, f"zeroplay.training.advantages:{_cls}", description=_what)
ADVANTAGES.register("expert_iteration", "zeroplay.training.selfplay.stp:ExpertIteration",
                    description="the reward when positive, else 0: learn from checked/selected samples only (STP)")

LOSS_TERMS.register("kl", "zeroplay.training.loss:kl_term",
                    description="k3 estimate of KL(policy || reference) per token; needs model.ref_model")
LOSS_TERMS.register("entropy", "zeroplay.training.loss:entropy_term",
                    description="minus the policy's next-token entropy: a weight > 0 is an entropy bonus")


def lookup(registry: Registry, name: str) -> Any:
    """The object registered as ``name`` (imported now); an unknown name lists the known ones. An entry
    point that does not load (no such module, a module that raises on import, no such attribute, not a
    class or function) is one :class:`~zeroplay.core.registry.EntryPointError` naming the kind, the name
    and the module (a missing optional dependency: zeroplay's own error, as is). A reward that is not
    zeroplay's own comes wrapped in :func:`~zeroplay.training.rewards.checked_reward`."""
    found = load_registered(registry.kind, name, registry.spec(name).entry_point)
    entry = registry.spec(name).entry_point
    if registry is REWARDS and not (isinstance(entry, str) and entry.startswith("zeroplay.")):
        from zeroplay.training.rewards import checked_reward

        return checked_reward(name, found)  # a plug-in's: what it returns is checked at each call
    return found


def check_name(registry: Registry, name: str) -> str:
    """``name`` if registered (plug-ins included) or, where the registry takes them, an import spec
    ``"module.path:Name"`` that imports; else a ValueError naming the choices (for validators). The name
    is loaded too, so a config naming a broken plug-in fails when it is validated (``--dry-run``
    included), with :func:`lookup`'s one-line error, not when the run gets to it."""
    imported = registry.import_specs and is_import_spec(name)
    if not imported and name not in registry.registered():
        spec = " or name one by where it lives, 'mypkg.module:Name'" if registry.import_specs else ""
        raise ValueError(f"no {registry.kind} named {name!r}; registered: {', '.join(registry.registered())} "
                         f"(a package adds one through the {registry.group!r} entry-point group{spec})")
    lookup(registry, name)
    return name


def check_reward(name: str, kinds: tuple[str, ...], field: str) -> str:
    """:func:`check_name` for a reward field that takes rewards of ``kinds`` only (for validators): a
    reward that declares another kind (:func:`~zeroplay.training.rewards.reward_kind`) is a ValueError
    naming ``field``, the reward's kind and the registered rewards of the right kinds; one that declares
    none (a plug-in's) is accepted. Only the error loads every registered reward, to list them."""
    from zeroplay.training.rewards import kind_of

    kind = kind_of(lookup(REWARDS, check_name(REWARDS, name)))
    if kind is None or kind in kinds:
        return name
    right = [n for n in REWARDS.registered() if _reward_kind(n) in kinds]
    wanted = " or ".join(kinds)
    raise ValueError(f"{name!r} is a {kind} reward, not a {wanted} reward; " + (
        f"{field} takes one of: {', '.join(right)}" if right else f"no {wanted} reward is registered"))


def reward_field(*kinds: str) -> Any:
    """A field validator (``field_validator("solver_reward")(reward_field("solver"))``) that accepts a
    registered reward of ``kinds`` (:func:`check_reward`)."""
    def check(name: str, info: Any) -> str:
        return check_reward(name, kinds, info.field_name)
    return check


def _reward_kind(name: str) -> str | None:
    """The kind reward ``name`` declares; None if it declares none or does not load (its own error is for
    the field that names it)."""
    from zeroplay.core.errors import ZeroplayError
    from zeroplay.training.rewards import kind_of

    try:
        return kind_of(lookup(REWARDS, name))
    except (ZeroplayError, ImportError):
        return None
