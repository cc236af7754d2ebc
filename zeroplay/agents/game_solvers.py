"""Solver opponents for the zero-sum games: alpha-beta minimax, poker equilibria, a negotiator.

They read ``info["game"]`` and ``info["view"]`` (the compact, public-to-the-player view the games
put in info; see :mod:`zeroplay.envs.games.base`), never the hidden state. Each solves only the
games its :meth:`~_SolverAgent.solves` names. On any other env (one without these keys, or a game
they do not solve) they play a uniformly random legal move, so any agent can face any game, unless
built with ``strict=True``, which raises :class:`~zeroplay.core.errors.AgentError` there instead.
:attr:`fallbacks` counts the random moves (``fallback_reasons`` says why) and
:meth:`~_SolverAgent.fallback_note` says it in one line; ``zeroplay play`` prints that note.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from zeroplay.agents.base import Agent, infos_or_empty
from zeroplay.core.errors import AgentError

#: why a move was played at random (keys of ``fallback_reasons``)
UNSOLVED, UNREADABLE = "unsolved game", "unreadable position"


class _SolverAgent(Agent):
    """Shared plumbing: seeded rng, per-item dispatch, random fallback and its count."""

    def __init__(self, seed: int | None = None, strict: bool = False):
        self.rng = np.random.default_rng(seed)
        self.strict = strict
        self.moves = 0  # moves asked for, since construction
        self.fallbacks = 0  # of which played at random
        self.fallback_reasons: dict[str, int] = {}

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def solves(self) -> tuple[str, ...]:
        """The games (``info["game"]``) this agent plays by its own rule."""
        raise NotImplementedError

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        actions = []
        for info in infos_or_empty(observations, infos):
            self.moves += 1
            if info.get("game") not in self.solves() or "view" not in info:
                move = self._unsolved(info)
            else:
                move = self.choose(info)
                if move is None:
                    move = self._random_legal(info, UNREADABLE)
            actions.append(f"[{move}]")
        return actions

    def choose(self, info: dict[str, Any]) -> str | None:
        """The move (text inside the brackets), or None to fall back to random play."""
        raise NotImplementedError

    def fallback_note(self, label: str | None = None) -> str:
        """One line saying how many moves were played at random and why ("" when none)."""
        if not self.fallbacks:
            return ""
        why = {UNSOLVED: f"the game is not one it solves ({', '.join(self.solves())})",
               UNREADABLE: "positions it could not read"}
        reasons = [(why[r], n) for r, n in self.fallback_reasons.items()]
        text = reasons[0][0] if len(reasons) == 1 else "; ".join(f"{n} for {w}" for w, n in reasons)
        return f"{label or self.name} played {self.fallbacks} of {self.moves} moves at random: {text}"

    def _unsolved(self, info: dict[str, Any]) -> str:
        if self.strict:
            game = info.get("game")
            what = f"the game {game!r}" if game else "this env (its infos name no 'game' with a 'view')"
            raise AgentError(f"{self.name} does not solve {what}; it solves {', '.join(self.solves())}: "
                             "pick another agent, or drop strict=True to play random legal moves there")
        return self._random_legal(info, UNSOLVED)

    def _random_legal(self, info: dict[str, Any], reason: str = UNREADABLE) -> str:
        self.fallbacks += 1
        self.fallback_reasons[reason] = self.fallback_reasons.get(reason, 0) + 1
        legal = info.get("legal_actions") or ["pass"]
        return legal[int(self.rng.integers(len(legal)))]

    def _sample(self, probs: dict[str, float], legal: list[str]) -> str:
        p = np.array([max(probs.get(a, 0.0), 0.0) for a in legal])
        p = p / p.sum() if p.sum() > 0 else np.full(len(legal), 1 / len(legal))
        return legal[int(self.rng.choice(len(legal), p=p))]


# ------------------------------------------------------------------------------------------
# Minimax


def _state_classes() -> dict[str, Any]:
    from zeroplay.envs.games.connect_four import ConnectFourState
    from zeroplay.envs.games.nim import NimState
    from zeroplay.envs.games.tictactoe import TicTacToeState

    return {"TicTacToe": TicTacToeState, "ConnectFour": ConnectFourState, "Nim": NimState}


EXACT, LOWER, UPPER = 0, 1, 2


class SearchBudgetExceeded(Exception):
    """A depth-limited search hit its node budget (the caller keeps a shallower result)."""


class AlphaBeta:
    """Negamax with alpha-beta pruning and a transposition table, for two-player alternating
    perfect-information games (a :class:`zeroplay.envs.games.base.Game` with ``view``/``clone``).

    ``depth=None`` searches to the end (exact values: TicTacToe, Nim); a depth cuts off there
    and scores the position with ``state.heuristic(player)`` when the state has one, else 0.
    Values are from the view of the player to move, in [-1, 1].
    """

    def __init__(self, depth: int | None = None, max_table: int = 2_000_000):
        self.depth = depth
        self.max_table = max_table
        self.table: dict[str, tuple[int, int, float]] = {}
        self.nodes = 0
        self._stop_at = math.inf

    def move_values(self, state: Any, depth: int | None = None, max_nodes: int | None = None) -> dict[str, float]:
        """The value of each legal move for the player to move, searching ``depth`` plies
        (default: the searcher's). Raises :class:`SearchBudgetExceeded` past ``max_nodes``."""
        depth = depth if depth is not None else (self.depth if self.depth is not None else 1_000)
        if len(self.table) > self.max_table:
            self.table.clear()
        self._stop_at = self.nodes + max_nodes if max_nodes is not None else math.inf
        return {a: self._child_value(state, a, depth, -math.inf, math.inf) for a in state.legal_actions()}

    def value(self, state: Any) -> float:
        """The value of ``state`` for the player to move (or player 0's return if it is over)."""
        if state.is_terminal():
            return state.returns()[0]
        return max(self.move_values(state).values())

    def _child_value(self, state: Any, action: str, depth: int, alpha: float, beta: float) -> float:
        # every position generated counts against the budget (leaf scoring is the costly part)
        self.nodes += 1
        if self.nodes > self._stop_at:
            raise SearchBudgetExceeded
        player = state.current_player()
        child = state.clone()
        child.apply_action(action)
        if child.is_terminal():
            return child.returns()[player]
        if depth <= 1:
            score = getattr(child, "heuristic", None)
            return score(player) if score is not None else 0.0
        return -self._search(child, depth - 1, -beta, -alpha)

    def _search(self, state: Any, depth: int, alpha: float, beta: float) -> float:
        key = state.view(state.current_player())
        entry = self.table.get(key)
        if entry is not None and entry[0] >= depth:
            _, flag, value = entry
            if flag == EXACT:
                return value
            if flag == LOWER:
                alpha = max(alpha, value)
            else:
                beta = min(beta, value)
            if alpha >= beta:
                return value
        alpha0, best = alpha, -math.inf
        for action in state.legal_actions():
            v = self._child_value(state, action, depth, alpha, beta)
            if v > best:
                best = v
            if v > alpha:
                alpha = v
            if alpha >= beta:
                break
        flag = UPPER if best <= alpha0 else (LOWER if best >= beta else EXACT)
        self.table[key] = (depth, flag, best)
        return best


#: Nim positions with more states than this are played by the nim-sum rule instead of search
NIM_SEARCH_LIMIT = 300


def nim_move(piles: Sequence[int], misere: bool = False) -> str:
    """An optimal Nim move by the nim-sum rule (Bouton), misère play included: ``"pile count"``.

    From a lost position it takes one object from the largest pile (any move loses)."""
    big = [i for i, p in enumerate(piles) if p > 1]
    if misere and len(big) <= 1:
        ones = sum(p == 1 for p in piles)
        if big:  # shrink the one big pile to 0 or 1 so that an odd number of single objects is left
            i = big[0]
            keep = 1 if ones % 2 == 0 else 0
            return f"{i} {piles[i] - keep}"
        return f"{next(i for i, p in enumerate(piles) if p)} 1"
    x = 0
    for p in piles:
        x ^= p
    for i, p in enumerate(piles):
        if p ^ x < p:
            return f"{i} {p - (p ^ x)}"
    i = max(range(len(piles)), key=lambda k: piles[k])
    return f"{i} 1"


class MinimaxAgent(_SolverAgent):
    """Alpha-beta minimax for TicTacToe (exact), Nim (exact) and Connect Four (to ``depth``, default 4).

    Nim positions too large to search (over ``NIM_SEARCH_LIMIT`` states) are played by the
    nim-sum rule, which is exact too. Connect Four deepens one ply at a time up to ``depth``
    and keeps the deepest search that fits in ``max_nodes`` (so big boards stay responsive).

    Among moves of equal value it takes an immediate win if there is one, else picks at random
    (seeded), so games against it vary. Other games: random legal moves (``strict``: an error).
    """

    name = "minimax"

    def __init__(self, depth: int = 4, max_nodes: int = 20_000, seed: int | None = None, strict: bool = False):
        super().__init__(seed, strict)
        self.classes = _state_classes()
        self.searchers = {
            "TicTacToe": AlphaBeta(None), "Nim": AlphaBeta(None), "ConnectFour": AlphaBeta(depth),
        }
        self.max_nodes = max_nodes

    def solves(self) -> tuple[str, ...]:
        return tuple(self.classes)

    def choose(self, info: dict[str, Any]) -> str | None:
        game = info.get("game")
        if game not in self.classes:
            return None
        try:
            state = self.classes[game].from_view(info["view"])
        except (ValueError, TypeError):
            return None
        if game == "Nim" and math.prod(p + 1 for p in state.piles) > NIM_SEARCH_LIMIT:
            return nim_move(state.piles, state.misere)
        values = self._values(game, state)
        if not values:
            return None
        best = max(values.values())
        top = [a for a, v in values.items() if v >= best - 1e-9]
        for a in top:  # take a win now rather than later
            child = state.clone()
            child.apply_action(a)
            if child.is_terminal() and child.returns()[state.current_player()] > 0:
                return a
        return top[int(self.rng.integers(len(top)))]

    def _values(self, game: str, state: Any) -> dict[str, float]:
        searcher = self.searchers[game]
        if searcher.depth is None:
            return searcher.move_values(state)
        values: dict[str, float] = {}
        for depth in range(1, searcher.depth + 1):  # iterative deepening within the node budget
            try:
                values = searcher.move_values(state, depth=depth, max_nodes=self.max_nodes)
            except SearchBudgetExceeded:
                break
        return values


# ------------------------------------------------------------------------------------------
# Poker equilibria


Policy = dict[str, dict[str, float]]  # infoset -> {action: probability}; {} plays uniformly


@lru_cache(maxsize=4)
def leduc_equilibrium(iterations: int = 500) -> Policy:
    """An approximate Nash equilibrium of one-hand Leduc Hold'em by CFR+ (cached per process;
    500 iterations take about a second and reach exploitability below 1e-3)."""
    from zeroplay.envs.games.cfr import solve
    from zeroplay.envs.games.leduc_holdem import leduc_tree

    tree = leduc_tree()
    return tree.policy(solve(tree, iterations))


def kuhn_nash(alpha: float = 0.0, iterations: int = 0) -> Policy:
    """Kuhn Poker's closed-form equilibrium (family parameter ``alpha``; ``iterations`` unused)."""
    from zeroplay.envs.games.kuhn_poker import kuhn_equilibrium, kuhn_policy_to_actions

    return kuhn_policy_to_actions(kuhn_equilibrium(alpha))


def leduc_nash(alpha: float = 0.0, iterations: int = 500) -> Policy:
    """Leduc Hold'em's CFR+ equilibrium after ``iterations`` (``alpha`` unused)."""
    return leduc_equilibrium(iterations)


#: The equilibrium :class:`NashAgent` plays, per game (``info["game"]``): a function of the agent's
#: ``(alpha, iterations)`` giving ``{infoset: {action: prob}}``. A new poker game adds a row.
EQUILIBRIA: dict[str, Callable[[float, int], Policy]] = {"KuhnPoker": kuhn_nash, "LeducHoldem": leduc_nash}


def uniform_policy(tree: Any) -> Policy:
    """The uniformly random player (an empty table plays uniformly at every infoset)."""
    return {}


#: Fixed opponents of exact evaluation (:func:`zeroplay.envs.games.cfr.score_policy`), per env id:
#: name -> a function of the game's public tree giving the opponent's policy. The names are those of
#: the agents the played evaluation uses (``agents.make(name)`` with its defaults), so the exact and
#: the played figures measure the same match-up. A game with a tree and no row gets
#: :data:`DEFAULT_EXACT_OPPONENTS`.
EXACT_OPPONENTS: dict[str, dict[str, Callable[[Any], Policy]]] = {
    "zeroplay/KuhnPoker-v0": {"random": uniform_policy, "nash": lambda tree: kuhn_nash()},
    "zeroplay/LeducHoldem-v0": {"random": uniform_policy, "nash": lambda tree: leduc_nash()},
}


def cfr_nash(tree: Any, iterations: int = 500) -> Policy:
    """An equilibrium of any game with a public tree, by CFR+ (for games without a closed form)."""
    from zeroplay.envs.games.cfr import solve

    return tree.policy(solve(tree, iterations))


DEFAULT_EXACT_OPPONENTS: dict[str, Callable[[Any], Policy]] = {"random": uniform_policy, "nash": cfr_nash}


def exact_opponents(env_id: str, tree: Any) -> dict[str, Policy]:
    """The exact-evaluation opponents of ``env_id`` (see :data:`EXACT_OPPONENTS`), as policies."""
    row = EXACT_OPPONENTS.get(env_id, DEFAULT_EXACT_OPPONENTS)
    return {name: make(tree) for name, make in row.items()}


class NashAgent(_SolverAgent):
    """Plays an equilibrium strategy of the games in :data:`EQUILIBRIA`: Kuhn Poker's closed form
    (family parameter ``alpha`` in [0, 1/3]) and Leduc Hold'em's CFR+ solution (``iterations``),
    sampling with a seeded rng. Multi-hand matches play each hand by the one-hand equilibrium.
    Other games: random legal moves (``strict``: an error).
    """

    name = "nash"

    def __init__(self, alpha: float = 0.0, iterations: int = 500, seed: int | None = None, strict: bool = False):
        super().__init__(seed, strict)
        if not 0.0 <= alpha <= 1 / 3:
            raise ValueError(f"alpha must be in [0, 1/3], got {alpha}")
        self.alpha, self.iterations = alpha, iterations
        self._tables: dict[str, Policy] = {}

    def solves(self) -> tuple[str, ...]:
        return tuple(EQUILIBRIA)

    def choose(self, info: dict[str, Any]) -> str | None:
        game, view, legal = info.get("game"), info.get("view"), info.get("legal_actions") or []
        if game not in EQUILIBRIA:
            return None
        if game not in self._tables:  # solved on first use: a Kuhn-only run never solves Leduc
            self._tables[game] = EQUILIBRIA[game](self.alpha, self.iterations)
        probs = self._tables[game].get(view)
        if probs is None or not legal:
            return None
        return self._sample(probs, legal)


# ------------------------------------------------------------------------------------------
# Negotiation


def _ints(field: str) -> list[int]:
    return [int(x) for x in field.split(",")] if field else []


def _fields(view: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in view.split(";") if "=" in part)


class NegotiatorAgent(_SolverAgent):
    """A sensible scripted negotiator for SimpleNegotiation and DealOrNoDeal.

    SimpleNegotiation: accepts an offer that raises its own inventory value by at least
    ``min_gain``; otherwise offers 2 of its least valued resource for 1 of its most valued.
    DealOrNoDeal: accepts a share worth at least its demand, which starts at 7 of 10 and drops
    to 5 over the game; otherwise proposes the cheapest-to-give share that meets the demand,
    keeping what it values most. It never sees the opponent's values. Other games: random legal
    moves (``strict``: an error).
    """

    name = "negotiator"

    def __init__(self, min_gain: int = 1, seed: int | None = None, strict: bool = False):
        super().__init__(seed, strict)
        self.min_gain = min_gain

    def solves(self) -> tuple[str, ...]:
        return ("SimpleNegotiation", "DealOrNoDeal")

    def choose(self, info: dict[str, Any]) -> str | None:
        game, legal = info.get("game"), info.get("legal_actions") or []
        try:
            f = _fields(info["view"])
            if game == "SimpleNegotiation":
                return self._trade(f, legal)
            if game == "DealOrNoDeal":
                return self._bargain(f, legal)
        except (ValueError, KeyError, IndexError):
            return None
        return None

    def _trade(self, f: dict[str, str], legal: list[str]) -> str:
        from zeroplay.envs.games.negotiation import format_offer

        inv, val = _ints(f["inv"]), _ints(f["val"])
        if f["offer"]:
            give_s, get_s = f["offer"].split(">")
            give, get = _ints(give_s), _ints(get_s)
            gain = sum(v * (g - x) for v, g, x in zip(val, get, give))
            if gain >= self.min_gain and "Accept" in legal:
                return "Accept"
        cheap = min((i for i in range(len(inv)) if inv[i] >= 2), key=lambda i: val[i], default=None)
        dear = max(range(len(val)), key=lambda i: val[i])
        if cheap is None or cheap == dear:
            return "Deny" if "Deny" in legal else "Pass"
        give = tuple(2 if i == cheap else 0 for i in range(len(inv)))
        get = tuple(1 if i == dear else 0 for i in range(len(inv)))
        return format_offer(give, get)

    def _bargain(self, f: dict[str, str], legal: list[str]) -> str:
        pool, val = _ints(f["pool"]), _ints(f["values"])
        turn, total = (int(x) for x in f["turn"].split("/"))
        demand = 7 - round(2 * (turn - 1) / max(total - 1, 1))
        offer = _ints(f["offer"])
        if offer and sum(o * v for o, v in zip(offer, val)) >= demand and "Accept" in legal:
            return "Accept"
        share = [0] * len(pool)
        # keep items by value to us, most valuable first, until the demand is met
        for i in sorted(range(len(pool)), key=lambda i: -val[i]):
            while share[i] < pool[i] and sum(s * v for s, v in zip(share, val)) < demand and val[i] > 0:
                share[i] += 1
        return "Propose " + " ".join(map(str, share))
