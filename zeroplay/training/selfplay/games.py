"""(b) Game self-play, as in SPIRAL: one policy plays every seat of a zero-sum game, or of a mixture of games.

Each step plays ``games_per_step`` games in parallel (one batched generate per turn across all
games); with a weighted mixture (``games.env: [{id, weight, kwargs}, ...]``) the games are split
over it from (seed, step) (:func:`~zeroplay.training.rollout.split_over_mixture`). Every move is a
sample labelled with its env (the entry's key: its id by default) and seat; its reward is the
final return of the player who made it, from ``games.reward`` (default: the training penalty for
an illegal move, -1.5 offender, +0.5 opponent, in units of what the env charged the offender: poker
charges at least a fold's cost, so a garbled move is never a cheap way out of a lost hand, and a
cooperative partner keeps the team's loss; :func:`~zeroplay.training.rewards.game_training_returns`);
with ``games.credit: turn`` it is instead the move's own return, its reward-to-go (:func:`turn_credit`,
MARS). Advantages come from the run's estimator: RAE (an EMA baseline per (env, seat), updated once
per (episode, seat)), or ``mars`` (normalized within each (env, seat)). Metrics per (env, seat):
``selfplay/<env>/p0/reward`` (the mean final training return), and with turn credit
``selfplay/<env>/p0/credit`` (the mean move's).
Cooperative games (``env.cooperative``: one team score) mix with zero-sum ones.

Evaluation plays the policy against fixed opponents (``agents.make("random" | "minimax" |
"nash")``) in duplicate form (:func:`play_duplicate`): each deal (env seed) is played twice, the
policy in seat 0 and then in seat 1, so the luck of the deal cancels; the deals are the same at
every evaluation (before and after compare on the same hands), with the env's own rule for
illegal moves (-1/+1; poker: at least what a fold costs); ``.../mean_return_ci95`` is the 95%
half-width of the played mean return (a mixture: per env, under ``eval/<env>/...``, with the
entry's own ``opponents``; ``games.held_out`` adds games that are evaluated the same way but never
trained on). The opponent ``self`` is the policy itself in the other seat: a cooperative game's
team score in self-play.
With ``eval.exploitability``, every game with a public tree (one hand of Kuhn Poker or Leduc
Hold'em; :func:`zeroplay.envs.games.cfr.public_tree`) is also scored exactly from the policy's
action probabilities at all its information sets (:func:`policy_action_probs`, batched forward
passes): its exploitability, and its mean return and win rate against the game's row of fixed
opponents (:data:`zeroplay.agents.game_solvers.EXACT_OPPONENTS`; ``eval/exact/<opponent>/...``, or
``eval/<env>/exact/...`` in a mixture: the played evaluation without its noise). With
``games.reasoning_eval``, a reasoning env (math) is scored too (``eval/math/accuracy``), so the
transfer from play to reasoning can be followed during training.

Every game the loop plays (warm-up transcripts, self-play, evaluation) ends: one still running after
``games.max_moves`` moves is cut (gymnasium's ``truncated``) and scored a draw, 0 for every player,
as one the env cuts itself (:func:`game_over`); the share cut is logged (``selfplay/truncated_rate``,
``eval/.../truncated_rate``) and a one-line warning says when over a tenth of a batch was cut. A
broken env fails the run at once with a one-line :class:`~zeroplay.core.errors.ConfigError` naming
it: a game that goes on with an empty ``info["legal_actions"]`` (:func:`check_turn`; no move could
be legal, and the player would be blamed), or ``observation: view`` on a game whose reset gives no
``info["view"]`` (:func:`check_view`). Not bounded: the time of one env step, or of building a
public tree for exact evaluation (which plays no games).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from zeroplay.agents.base import Agent
from zeroplay.core.env import check_turn  # noqa: F401 -- part of this module's API (tests, docs)
from zeroplay.core.errors import ConfigError
from zeroplay.training.config import EnvEntry, GamesConfig, TrainConfig
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, seed_for,
                                       shard_range, split_over_mixture, to_sample)


class SamplerAgent(Agent):
    """An :class:`Agent` that plays with a :class:`Sampler` (template applied, answer unwrapped)."""

    name = "policy"

    def __init__(self, sampler: Sampler, observation: str = "full"):
        self.sampler, self.observation = sampler, observation

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        infos = infos or [{} for _ in observations]
        prompts = [observation_for(self.observation, o, i) for o, i in zip(observations, infos)]
        return [action for _, action, _ in self.sampler.generate(prompts)]


def make_opponent(name: str, seed: int) -> Agent:
    from zeroplay import agents

    try:
        return agents.make(name, seed=seed)
    except TypeError:  # an agent without randomness takes no seed
        return agents.make(name)


def turn_credit(movers: Sequence[int], step_rewards: Sequence[float], final: Sequence[float],
                cooperative: bool = False, gamma: float = 1.0) -> list[float]:
    """Each move's own return (``games.credit: turn``): the reward-to-go of its player from that move.

    ``movers[k]`` made move k of a game and the env's ``step`` gave it ``step_rewards[k]``;
    ``final`` is every player's final training return. Player p is credited with the step rewards
    of its own moves, or of every move in a ``cooperative`` game (the team shares its score), and
    at the last move with whatever of ``final[p]`` those did not already account for (the other
    player's result in a zero-sum game, a training penalty, ...). Move k of player p then gets
    ``sum_{j >= k} gamma^(j - k) * credited_p[j]``, discounted per move of the game (either player's).

    So with ``gamma`` 1 a player's first move gets exactly its final return, and a later move the
    final return minus what was scored before it (in Tiny Hanabi, only the cards played from then
    on). A game with only terminal rewards (every zero-sum game here, Lewis signaling) gives every
    move its player's final return, as ``credit: final`` does, discounted by ``gamma`` per move
    still to come before the end when ``gamma`` < 1.
    """
    if len(movers) != len(step_rewards):
        raise ValueError(f"got {len(movers)} movers but {len(step_rewards)} step rewards")
    n, out = len(final), [0.0] * len(movers)
    if not movers:
        return out
    for p in range(n):
        credited = [float(r) if cooperative or m == p else 0.0 for m, r in zip(movers, step_rewards)]
        credited[-1] += float(final[p]) - sum(credited)
        to_go = 0.0
        for k in reversed(range(len(movers))):
            to_go = credited[k] + gamma * to_go
            if movers[k] == p:
                out[k] = to_go
    return out


#: Share of a batch of games cut at ``games.max_moves`` above which the loop warns (once per run, kind and game).
CUT_WARNING_SHARE = 0.1


def num_players(env: Any) -> int:
    """How many players ``env``'s game has (its own ``num_players``, or its state's; else 2)."""
    base = getattr(env, "unwrapped", env)
    n = getattr(base, "num_players", None) or getattr(getattr(base, "state", None), "num_players", None)
    return int(n) if n else 2


def game_over(env: Any, info: dict[str, Any], terminated: bool, truncated: bool, moves: int,
              max_moves: int) -> dict[str, Any] | None:
    """The final ``info`` of a game after its ``moves``-th move, or None while it goes on.

    A game the env ended (``terminated``) keeps its info. One the env cut (``truncated``) or that
    reached ``max_moves`` is a draw: ``info["truncated"]`` is True and ``info["returns"]`` the env's
    (all 0 for a cut TextArena game) or, cut here, 0 for every player; no invalid move is recorded.
    """
    if terminated:
        return info
    if not truncated and moves < max_moves:
        return None
    returns = info.get("returns") if truncated else None
    rest = {k: v for k, v in info.items() if k not in ("invalid_move", "offender", "reason")}
    return {**rest, "player": -1, "legal_actions": [], "truncated": True,
            "returns": [float(r) for r in returns] if returns else [0.0] * num_players(env)}


def check_view(env_id: str, mode: str, info: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` on ``observation: view`` where the env's ``info`` has no ``"view"``
    (the model would silently read the full text instead)."""
    if mode == "view" and "view" not in info:
        raise ConfigError(f"games.observation: view needs info['view'], which {env_id} does not give at reset; "
                          "set games.observation: full (the env's own text), or give the env a view")


def play_matches(env_id: str, env_kwargs: dict[str, Any], seats: Sequence[Sequence[Agent]], seed: int,
                 max_moves: int = GamesConfig.model_fields["max_moves"].default,
                 deals: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Play ``len(seats)`` games in parallel; ``seats[g][p]`` plays seat p of game g.

    Game g's env is reset with ``seed_for(seed, deals[g])`` (default ``deals[g] = g``: every game its
    own deal; games with the same deal number get the same cards). Each turn, the games waiting on
    the same agent are batched into one ``act`` call. A game is cut after ``max_moves`` moves
    (:func:`game_over`: a draw). Returns per game: ``returns``, ``invalid_by`` (the offender's seat
    or None), ``moves``, ``truncated``.
    """
    import zeroplay as zp

    if deals is not None and len(deals) != len(seats):
        raise ValueError(f"play_matches: {len(deals)} deals for {len(seats)} games; give one deal number per game")
    deal = list(range(len(seats))) if deals is None else list(deals)
    envs = [zp.make(env_id, **env_kwargs) for _ in seats]
    state = [env.reset(seed=seed_for(seed, deal[g])) for g, env in enumerate(envs)]
    for obs, info in state:
        check_turn(env_id, obs, info, 0)
    results: list[dict[str, Any] | None] = [None] * len(envs)
    moves = [0] * len(envs)
    while any(r is None for r in results):
        by_agent: dict[int, list[int]] = {}
        agents_by_id: dict[int, Agent] = {}
        for g, r in enumerate(results):
            if r is None:
                agent = seats[g][state[g][1]["player"]]
                by_agent.setdefault(id(agent), []).append(g)
                agents_by_id[id(agent)] = agent
        for key, games in by_agent.items():
            actions = agents_by_id[key].act([state[g][0] for g in games], [state[g][1] for g in games])
            for g, action in zip(games, actions):
                obs, _, terminated, truncated, info = envs[g].step(action)
                moves[g] += 1
                state[g] = (obs, info)
                final = game_over(envs[g], info, terminated, truncated, moves[g], max_moves)
                if final is None:
                    check_turn(env_id, obs, info, moves[g])
                    continue
                results[g] = {"returns": final["returns"], "moves": moves[g], "truncated": bool(final.get("truncated")),
                              "invalid_by": final.get("offender") if final.get("invalid_move") else None}
    return results  # type: ignore[return-value]


def play_duplicate(env_id: str, env_kwargs: dict[str, Any], me: Agent, opp: Agent, games: int, seed: int,
                   max_moves: int = GamesConfig.model_fields["max_moves"].default
                   ) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Played evaluation of ``me`` against ``opp`` on a two-player game, in duplicate form.

    ``ceil(games / 2)`` deals (env seeds ``seed_for(seed, d)``), each played twice: game ``2d`` with
    ``me`` in seat 0, game ``2d + 1`` with the seats swapped, so each side holds each hand of a deal
    once and the luck of the deal cancels (duplicate poker); an odd ``games`` is rounded up. The same
    ``seed`` gives the same deals. ``opp`` may be ``me`` (self-play: the team score of a cooperative
    game; an illegal move by either seat counts). Returns (metrics, per-game results of
    :func:`play_matches`); the metrics, for ``me``: ``win_rate``, ``mean_return``, ``invalid_rate``
    (its own illegal moves), ``truncated_rate``, and with two deals or more ``mean_return_ci95``, the
    95% half-width of the mean return (normal approximation over the deals' mean returns, the two
    games of a deal being one paired observation). Not guaranteed: balance of anything the env does
    not draw at reset, or of the agents' own randomness.
    """
    n_deals = -(-games // 2)
    seats = [[me, opp] if g % 2 == 0 else [opp, me] for g in range(2 * n_deals)]
    results = play_matches(env_id, env_kwargs, seats, seed=seed, max_moves=max_moves,
                           deals=[g // 2 for g in range(2 * n_deals)])
    mine = np.array([r["returns"][g % 2] for g, r in enumerate(results)], dtype=float)
    invalid = [r["invalid_by"] is not None if opp is me else r["invalid_by"] == g % 2 for g, r in enumerate(results)]
    metrics = {"win_rate": float(np.mean(mine > 0)), "mean_return": float(np.mean(mine)),
               "invalid_rate": float(np.mean(invalid)),
               "truncated_rate": sum(r["truncated"] for r in results) / len(results)}
    if n_deals >= 2:
        per_deal = mine.reshape(n_deals, 2).mean(axis=1)
        metrics["mean_return_ci95"] = float(1.96 * per_deal.std(ddof=1) / np.sqrt(n_deals))
    return metrics, results


def view_observation(game: str, player: int, view: str, legal: Sequence[str]) -> str:
    """The short prompt of ``observation: view``: the information set, then the legal moves.

    Written as compactly as possible, one character of the view per word (``K p b | [fold] [call]``):
    a tiny model reads a symbol far more easily when it is one of a few tokens, not one of thirty.
    ``game`` and ``player`` are implied by the run and the history, so they are left out.
    """
    moves = " ".join(f"[{m}]" for m in legal)
    return f"{' '.join(view)} | {moves}"


def observation_for(mode: str, obs: str, info: dict[str, Any]) -> str:
    """What the model reads for an env step (see ``GamesConfig.observation``). An ``info`` without a
    ``"view"`` gives ``obs`` (the loop checks at the start, :func:`check_view`, that the games give one)."""
    if mode == "view" and "view" in info:
        return view_observation(info.get("game", ""), info["player"], info["view"], info.get("legal_actions") or [])
    return obs


def infoset_observation(tree: Any, index: int, env: Any, mode: str = "full") -> str:
    """What the model reads at information set ``index`` of a public tree (see ``GamesConfig.observation``):
    the compact view prompt, or the env's own observation of the infoset's representative state."""
    state = tree.infoset_states[index]
    player = state.current_player()
    if mode == "view":
        return view_observation(state.name, player, tree.infoset_keys[index], tree.infoset_actions[index])
    return getattr(env, "unwrapped", env).observe(state, player)


def policy_action_probs(policy: Any, sampler: Sampler, tree: Any, env: Any, mode: str = "full",
                        batch_size: int = 512) -> tuple[dict[str, dict[str, float]], float]:
    """The policy's probability of each legal move at every information set of a public tree
    (:class:`zeroplay.envs.games.cfr.PublicTree`), scored exactly, and the mean probability mass
    the model puts on writing a legal move in its canonical form (``[bet]`` + end of turn).

    Every (infoset, legal move) pair is one sequence; they are scored in batched forward passes
    of ``batch_size`` sequences (one pass for Kuhn's 24; Leduc has about 700). The probabilities
    are normalized over the legal moves: the model's policy conditioned on playing a legal move in
    the canonical form; ``legal_mass`` says how much of the model's sampling that covers (close
    to 1 after the warm-up).
    """
    import torch

    from zeroplay.training.loss import completion_logprobs, pack

    from zeroplay.training.warmup import end_of_completion_id

    tok = policy.tokenizer
    eos = end_of_completion_id(policy)
    prompts, completions, index = [], [], []
    for i, key in enumerate(tree.infoset_keys):
        prompt = policy.encode(sampler.template.messages(infoset_observation(tree, i, env, mode)))
        for move in tree.infoset_actions[i]:
            prompts.append(prompt)
            completions.append(_canonical_completion(tok, sampler.template, move) + [eos])
            index.append((key, move))
    model = policy.model
    was_training = model.training
    model.eval()
    seq_lp: list[float] = []
    with torch.no_grad():
        for lo in range(0, len(prompts), batch_size):
            batch = pack(prompts[lo:lo + batch_size], completions[lo:lo + batch_size],
                         policy._pad_id).to(next(model.parameters()).device)
            lp, _ = completion_logprobs(model, batch)
            seq_lp += (lp * batch.completion_mask).sum(-1).tolist()
    model.train(was_training)
    raw: dict[str, dict[str, float]] = {}
    for (key, move), v in zip(index, seq_lp):
        raw.setdefault(key, {})[move] = float(np.exp(v))
    probs, masses = {}, []
    for key, p in raw.items():
        total = sum(p.values())
        masses.append(total)
        probs[key] = {m: (q / total if total > 0 else 1.0 / len(p)) for m, q in p.items()}
    return probs, float(np.mean(masses))


def kuhn_bet_probabilities(probs: dict[str, dict[str, float]]) -> dict[str, float]:
    """``P(b|<infoset>)``: Kuhn Poker's probability of bet (or call, facing a bet) at its 12 infosets."""
    return {f"P(b|{key})": p.get("bet", p.get("call", 0.0)) for key, p in probs.items()}


#: Per-infoset metrics logged (under ``policy/``) by exact evaluation, per env id: for games small
#: enough to read them (Kuhn's 12 infosets; Leduc's 288 are left out).
INFOSET_METRICS = {"zeroplay/KuhnPoker-v0": kuhn_bet_probabilities}


def _canonical_completion(tok: Any, template: Any, move: str) -> list[int]:
    return list(tok(template.format(f"[{move}]"), add_special_tokens=False)["input_ids"])


class GamesLoop(ShardedLoop):
    """Collects self-play games and evaluates against fixed opponents (see the module docstring)."""

    config_class = GamesConfig

    def __init__(self, cfg: TrainConfig, sampler: Sampler, policy: Any):
        super().__init__(cfg, sampler, policy)
        self.gc: GamesConfig = cfg.loop_config
        self.mixture: list[EnvEntry] = self.gc.mixture
        self.reward = lookup(REWARDS, self.gc.reward)
        #: what evaluation covers: the mixture, then the held-out games (evaluated, never trained on)
        self.evaluated: list[EnvEntry] = self.mixture + list(self.gc.held_out)
        self._pools: list[list[Any]] = [[] for _ in self.evaluated]
        self._trees: dict[int, tuple[Any, dict[str, Any]] | None] = {}
        self._no_tree_warned = False
        self._reasoning_env: Any = None
        self._warned: set[tuple[str, str]] = set()
        self._check_games()

    def _check_games(self) -> None:
        """Fail now, in one line, on a game the loop cannot play (:func:`check_view`, :func:`check_turn`),
        from the first reset of a fresh env of each (the pool's are left untouched)."""
        import zeroplay as zp

        for e in self.evaluated:
            obs, info = zp.make(e.id, **e.kwargs).reset(seed=0)
            check_view(e.key, self.gc.observation, info)
            check_turn(e.key, obs, info, 0)

    def _warn_cut(self, kind: str, label: str, cut: int, total: int) -> None:
        """One line on stderr (once per run, kind and game) when over :data:`CUT_WARNING_SHARE` of a batch was cut."""
        if cut > CUT_WARNING_SHARE * total and (kind, label) not in self._warned:
            self._warned.add((kind, label))
            print(f"warning: {cut} of {total} {kind} games of {label} reached games.max_moves={self.gc.max_moves} and "
                  "were cut as draws; make sure the env ends its games (is_terminal), or raise games.max_moves",
                  file=sys.stderr)

    def env(self, entry: int, j: int) -> Any:
        """The ``j``-th env instance of entry ``entry`` of :attr:`evaluated` (built on first use, reset before each game)."""
        import zeroplay as zp

        pool, e = self._pools[entry], self.evaluated[entry]
        while len(pool) <= j:
            pool.append(zp.make(e.id, **e.kwargs))
        return pool[j]

    @classmethod
    def corpus_lines(cls, cfg: TrainConfig) -> list[str]:
        """What the model reads at the start of 8 games of each env, held-out ones included (and 8
        problems of the reasoning eval's env)."""
        import zeroplay as zp

        gc: GamesConfig = cfg.loop_config
        lines = []
        for e in gc.mixture + list(gc.held_out):
            env = zp.make(e.id, **e.kwargs)
            for g in range(8):
                obs, info = env.reset(seed=g)
                check_view(e.key, gc.observation, info)
                lines.append(observation_for(gc.observation, obs, info))
        if gc.reasoning_eval is not None:
            env = zp.make(gc.reasoning_eval.env, **gc.reasoning_eval.kwargs)
            lines += [env.reset(seed=g)[0] for g in range(8)]
        return lines

    # -- data for the tokenizer and the warm-up ---------------------------------------------
    def transcripts(self, n_games: int, seed: int, entry: int = 0) -> list[tuple[str, list[str], str]]:
        """(observation, legal moves, info view) at every turn of ``n_games`` uniformly random games
        of mixture entry ``entry``, each cut at ``games.max_moves``."""
        import zeroplay as zp

        rng = np.random.default_rng(seed)
        e = self.mixture[entry]
        env = zp.make(e.id, **e.kwargs)
        out, cut = [], 0
        for g in range(n_games):
            obs, info = env.reset(seed=seed_for(seed, g))
            moves, final = 0, None
            while final is None:
                check_turn(e.key, obs, info, moves)
                legal = list(info.get("legal_actions") or [])
                if not legal:  # an env that does not list its moves: no random play
                    break
                out.append((observation_for(self.gc.observation, obs, info), legal, str(info.get("view", ""))))
                obs, _, terminated, truncated, info = env.step(f"[{legal[int(rng.integers(len(legal)))]}]")
                moves += 1
                final = game_over(env, info, terminated, truncated, moves, self.gc.max_moves)
            cut += bool(final and final.get("truncated"))
        self._warn_cut("warm-up", e.key, cut, n_games)
        return out

    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """(observation, completion) pairs that imitate a *random* behaviour policy, in the template's format.

        For each information set (``info["view"]``) a mixed strategy is drawn once at random
        (uniform on the simplex, seeded); moves are sampled from it. The model so learns the
        answer format and learns to read its information set (a policy that ignores the view
        cannot fit these targets), but nothing about which moves are good: the strategy is
        noise, and ``eval_before`` reports how exploitable it is. Without a view, moves are uniform.
        A mixture's share of the ``n`` pairs follows its weights.
        """
        rng = np.random.default_rng(seed + 1)
        behaviour: dict[tuple[str, str], np.ndarray] = {}
        share = split_over_mixture(n, [e.weight for e in self.mixture], seed)
        pairs = []
        for entry, e in enumerate(self.mixture):
            m = share.count(entry)
            if not m:
                continue
            mine = []
            for obs, legal, view in self.transcripts(max(1, m // 2), seed, entry):
                if view:
                    probs = behaviour.setdefault((e.key, view), rng.dirichlet(np.ones(len(legal))))
                    move = legal[int(rng.choice(len(legal), p=probs))]
                else:
                    move = legal[int(rng.integers(len(legal)))]
                mine.append((obs, self.sampler.template.format(f"[{move}]", thought=move)))
            pairs += mine[:m] if len(mine) >= m else (mine * (m // max(1, len(mine)) + 1))[:m]
        return pairs

    # -- one step of self-play -------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        """Play this shard's block of the step's games to the end, one batched generate per turn."""
        seed = self.cfg.seed
        n = self.gc.games_per_step
        entry_of = split_over_mixture(n, [e.weight for e in self.mixture], seed_for(seed, step, 5))
        games = list(shard_range(n, shard, shards))
        envs = {g: self.env(entry_of[g], g - entry_of.index(entry_of[g])) for g in games}
        state = {g: envs[g].reset(seed=seed_for(seed, step, g)) for g in games}
        for g in games:
            check_turn(self.mixture[entry_of[g]].key, *state[g], 0)
        open_moves: dict[int, list[Sample]] = {g: [] for g in games}
        step_rewards: dict[int, list[float]] = {g: [] for g in games}
        samples: list[Sample] = []
        stats: dict[str, list] = {"return_seat0": [], "invalid": [], "truncated": [], "moves": [], "entry": [],
                                  "train_returns": []}
        if self.gc.credit == "turn":
            stats["credit"] = []  # (entry, seat, credit) of every move
        playing, done = list(games), set()
        verify_s = 0.0
        while playing:
            outs = self.sampler.generate([observation_for(self.gc.observation, *state[g]) for g in playing])
            t0 = time.perf_counter()
            for g, (gen, action, ok) in zip(playing, outs):
                player = state[g][1]["player"]
                key = self.mixture[entry_of[g]].key
                s = to_sample(gen, role=str(player), env=key, task_type=key,
                              group=f"{step}-{g}", episode=f"{step}-{g}", well_formed=ok)
                open_moves[g].append(s)
                obs, reward, terminated, truncated, info = envs[g].step(action)
                step_rewards[g].append(float(reward))
                state[g] = (obs, info)
                final = game_over(envs[g], info, terminated, truncated, len(open_moves[g]), self.gc.max_moves)
                if final is None:
                    check_turn(self.mixture[entry_of[g]].key, obs, info, len(open_moves[g]))
                else:
                    info = final
                    done.add(g)
                    rets = self.reward(info["returns"], info, self.cfg.rewards)
                    if self.gc.credit == "turn":
                        cooperative = bool(getattr(envs[g].unwrapped, "cooperative", False))
                        credit = turn_credit([int(m.role) for m in open_moves[g]], step_rewards[g], rets,
                                             cooperative, self.gc.gamma)
                        for m, c in zip(open_moves[g], credit):
                            m.reward = c
                            stats["credit"].append((entry_of[g], int(m.role), c))
                    else:
                        for m in open_moves[g]:
                            m.reward = rets[int(m.role)]
                    samples += open_moves[g]
                    stats["return_seat0"].append(info["returns"][0])
                    stats["invalid"].append(bool(info.get("invalid_move")))
                    stats["truncated"].append(bool(info.get("truncated")))
                    stats["moves"].append(len(open_moves[g]))
                    stats["entry"].append(entry_of[g])
                    stats["train_returns"].append([float(r) for r in rets])
            playing = [g for g in playing if g not in done]
            verify_s += time.perf_counter() - t0
        self.sampler.timer.add("verify", verify_s, len(samples))
        return ShardResult(samples, stats)

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)
        metrics = {
            "selfplay/invalid_rate": float(np.mean(stats["invalid"])),
            "selfplay/truncated_rate": float(np.mean(stats["truncated"])),
            "selfplay/moves_per_game": float(np.mean(stats["moves"])),
            "selfplay/return_seat0": float(np.mean(stats["return_seat0"])),
            "selfplay/well_formed": float(np.mean([s.well_formed for s in samples])),
        }
        for entry, e in enumerate(self.mixture):  # per (env, seat): the mean training return of a game
            games = [i for i, x in enumerate(stats["entry"]) if x == entry]
            if not games:
                continue
            metrics[f"selfplay/{e.label}/games"] = float(len(games))
            metrics[f"selfplay/{e.label}/invalid_rate"] = float(np.mean([stats["invalid"][i] for i in games]))
            cut = sum(stats["truncated"][i] for i in games)
            metrics[f"selfplay/{e.label}/truncated_rate"] = cut / len(games)
            self._warn_cut("self-play", e.key, cut, len(games))
            for seat in range(len(stats["train_returns"][games[0]])):
                metrics[f"selfplay/{e.label}/p{seat}/reward"] = float(np.mean([stats["train_returns"][i][seat]
                                                                                for i in games]))
                credits = [c for x, p, c in stats.get("credit", []) if x == entry and p == seat]
                if credits:  # turn credit: what the seat's moves were rewarded with, on average
                    metrics[f"selfplay/{e.label}/p{seat}/credit"] = float(np.mean(credits))
        return samples, metrics

    # -- evaluation --------------------------------------------------------------------------
    def _prefix(self, entry: int) -> str:
        """Where an env's evaluation goes: ``eval/`` for a single env (as always), ``eval/<env>/`` in a
        mixture and for a held-out game."""
        return "eval/" if len(self.mixture) == 1 and entry == 0 else f"eval/{self.evaluated[entry].label}/"

    def evaluate(self, step: int) -> dict[str, float]:
        ev = self.cfg.eval
        me = SamplerAgent(self.sampler, self.gc.observation)
        out: dict[str, float] = {}
        for entry, e in enumerate(self.evaluated):
            pre = self._prefix(entry)
            for name in e.opponents or ev.opponents:
                opp = me if name == "self" else make_opponent(name, seed_for(self.cfg.seed, 991, step))
                metrics, results = play_duplicate(e.id, e.kwargs, me, opp, ev.games,
                                                  seed=seed_for(self.cfg.seed, 7, 0), max_moves=self.gc.max_moves)
                out.update({f"{pre}{name}/{k}": v for k, v in metrics.items()})
                cut = sum(r["truncated"] for r in results)
                self._warn_cut(f"evaluation (vs {name})", e.key, cut, len(results))
            if ev.exploitability:
                out.update(self.exact_evaluation(entry))
        if ev.exploitability and not self._no_tree_warned and all(
                self._exact(i) is None for i in range(len(self.evaluated))):
            self._no_tree_warned = True  # once: the setting asks for what none of these games can give
            warnings.warn(f"eval.exploitability: none of {', '.join(e.id for e in self.evaluated)} has a public game "
                          "tree (Kuhn Poker and Leduc Hold'em do), so no exploitability is computed; the played "
                          "evaluation stands", stacklevel=2)
        if self.gc.reasoning_eval is not None:
            out.update(self.reasoning_evaluation())
        return out

    def _exact(self, entry: int) -> tuple[Any, dict[str, Any]] | None:
        """(public tree, exact-evaluation opponents) of entry ``entry`` of :attr:`evaluated`, or None for a game
        without a tree (built once per entry)."""
        from zeroplay.agents.game_solvers import exact_opponents
        from zeroplay.envs.games.cfr import public_tree

        if entry not in self._trees:
            tree = public_tree(self.env(entry, 0))
            e = self.evaluated[entry]
            self._trees[entry] = (tree, exact_opponents(e.id, tree)) if tree is not None else None
        return self._trees[entry]

    def exact_evaluation(self, entry: int = 0) -> dict[str, float]:
        """Exact figures of a game with a public tree (one hand of Kuhn Poker, Leduc Hold'em...)
        from the policy's action probabilities at every information set: its exploitability, and
        its mean return and win rate against each opponent of the game's row in
        :data:`~zeroplay.agents.game_solvers.EXACT_OPPONENTS` (what infinitely many evaluation games
        would measure, legal moves assumed; ``legal_mass`` says how much of the model's sampling
        that covers). Empty for a game without a tree."""
        from zeroplay.envs.games.cfr import score_policy

        exact = self._exact(entry)
        if exact is None:
            return {}
        tree, opponents = exact
        e = self.evaluated[entry]
        probs, mass = policy_action_probs(self.policy, self.sampler, tree, self.env(entry, 0), self.gc.observation,
                                          batch_size=self.cfg.optim.micro_batch_size)
        pre = self._prefix(entry)
        policy = "policy/" if pre == "eval/" else f"policy/{e.label}/"
        infoset_metrics = INFOSET_METRICS.get(e.id)
        return {**{f"{pre}{k}": v for k, v in score_policy(tree, probs, opponents).items()},
                f"{pre}legal_mass": mass,
                **({f"{policy}{k}": v for k, v in infoset_metrics(probs).items()} if infoset_metrics else {})}

    def reasoning_evaluation(self) -> dict[str, float]:
        """Accuracy on ``games.reasoning_eval.samples`` fixed problems of a reasoning env (the same
        ones every time, one sampled answer each), scored by the env's verifier: does play transfer?"""
        import zeroplay as zp
        from zeroplay.training.rlvr import score_answer

        r = self.gc.reasoning_eval
        if self._reasoning_env is None:
            self._reasoning_env = zp.make(r.env, **r.kwargs)
        env = self._reasoning_env
        seeds = [seed_for(self.cfg.seed, 535353, i) for i in range(r.samples)]
        outs = self.sampler.generate([env.reset(seed=s)[0] for s in seeds])
        correct = [score_answer(env, s, action)[1] for s, (_, action, _) in zip(seeds, outs)]
        return {f"eval/{r.name}/accuracy": float(np.mean(correct)),
                f"eval/{r.name}/well_formed": float(np.mean([ok for _, _, ok in outs]))}

    def panels(self) -> list[tuple[str, list[str]]]:
        opp, pres = self.cfg.eval.opponents, [self._prefix(i) for i in range(len(self.evaluated))]
        trees = [self._exact(i) if self.cfg.eval.exploitability else None for i in range(len(self.evaluated))]
        exact = [(p, o) for p, t in zip(pres, trees) if t is not None for o in t[1]]
        out = [("exploitability (exact, lower is better)", [f"{p}exploitability" for p, t in zip(pres, trees) if t]),
               ("win rate vs fixed opponents", [f"{p}{o}/win_rate" for p, e in zip(pres, self.evaluated)
                                                for o in (e.opponents or opp)] +
                [f"{p}exact/{o}/win_rate" for p, o in exact]),
               ("mean return vs fixed opponents", [f"{p}{o}/mean_return" for p, e in zip(pres, self.evaluated)
                                                   for o in (e.opponents or opp)] +
                [f"{p}exact/{o}/mean_return" for p, o in exact]),
               ("self-play", ["reward/mean", "selfplay/invalid_rate"])]
        if self.gc.reasoning_eval is not None:
            out.append((f"reasoning eval ({self.gc.reasoning_eval.env})", [f"eval/{self.gc.reasoning_eval.name}/accuracy"]))
        return out
