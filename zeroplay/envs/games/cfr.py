"""Exact solving of small two-player zero-sum poker games: CFR+, best response, exploitability.

The games (Kuhn, Leduc) are described by their deals: every way chance can play out, each with
its probability, as a game state whose cards are already fixed (a card dealt later, such as
Leduc's board card, is hidden from the players by their views until it is revealed, so fixing
it up front gives the same game). The betting does not depend on the cards, so all deals share
one *public tree* of betting sequences; each node keeps, per deal, the acting player's
information set and, at the leaves, player 0's payoff. CFR then runs vectorized over the deals
with numpy: one pass over the public tree per iteration.

A game provides its tree by a ``chance_deals()`` classmethod on its state class (every deal of
one hand with its probability); :func:`public_tree` finds it for an env, and :func:`score_policy`
gives a policy's exact exploitability and exact results against fixed opponents, for any game
that provides one (Kuhn Poker, Leduc Hold'em).

Guarantees: :func:`exploitability`, :func:`expected_values`, :func:`head_to_head` and
:func:`score_policy` are exact (up to float rounding) for any policy. :func:`solve` converges to an equilibrium (CFR+ with linear averaging); its
exploitability after ``iterations`` is measured, not promised.
Does not handle: games whose legal moves depend on private information, or more than two players.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import numpy as np


class DealState(Protocol):
    def current_player(self) -> int: ...
    def legal_actions(self) -> list[str]: ...
    def apply_action(self, action: str) -> None: ...
    def is_terminal(self) -> bool: ...
    def returns(self) -> list[float]: ...
    def view(self, player: int) -> str: ...
    def clone(self) -> DealState: ...


@dataclass
class Node:
    """A public node: a betting sequence shared by every deal."""

    player: int = -1  # -1 at a leaf
    actions: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    infosets: np.ndarray | None = None  # per deal: index of the acting player's infoset
    payoff: np.ndarray | None = None  # per deal at a leaf: player 0's return


@dataclass
class PublicTree:
    """The public betting tree of a game, with infoset indices per deal."""

    root: Node
    chance: np.ndarray  # probability of each deal
    infoset_keys: list[str]  # index -> view string
    infoset_actions: list[list[str]]  # index -> legal actions there
    infoset_states: list[DealState] = field(default_factory=list)
    """index -> one state of that infoset (the first deal met), with its player to act: what an
    env's ``observe`` needs to write the acting player's observation (the same for every deal of
    the infoset, since an observation shows only what the player knows)."""

    @classmethod
    def build(cls, deals: list[tuple[float, DealState]]) -> PublicTree:
        keys: dict[str, int] = {}
        actions: list[list[str]] = []
        states: list[DealState] = []

        def index(key: str, legal: list[str], state: DealState) -> int:
            if key not in keys:
                keys[key] = len(keys)
                actions.append(list(legal))
                states.append(state)  # never changed afterwards: children are clones
            return keys[key]

        def grow(states: list[DealState]) -> Node:
            first = states[0]
            if first.is_terminal():
                return Node(payoff=np.array([s.returns()[0] for s in states], dtype=np.float64))
            player, legal = first.current_player(), first.legal_actions()
            node = Node(player=player, actions=list(legal))
            node.infosets = np.array([index(s.view(player), legal, s) for s in states], dtype=np.int64)
            for a in legal:
                children = []
                for s in states:
                    c = s.clone()
                    c.apply_action(a)
                    children.append(c)
                node.children.append(grow(children))
            return node

        chance = np.array([p for p, _ in deals], dtype=np.float64)
        root = grow([s for _, s in deals])
        return cls(root, chance, list(keys), actions, states)

    def table(self, policy: dict[str, dict[str, float]]) -> np.ndarray:
        """A policy ``{infoset: {action: prob}}`` as an (infosets x max actions) array.

        Missing infosets play uniformly; probabilities are renormalized (an all-zero row plays
        uniformly)."""
        width = max(len(a) for a in self.infoset_actions)
        out = np.zeros((len(self.infoset_keys), width))
        for i, (key, acts) in enumerate(zip(self.infoset_keys, self.infoset_actions)):
            probs = policy.get(key, {})
            row = np.array([max(float(probs.get(a, 0.0)), 0.0) for a in acts]) if probs else np.ones(len(acts))
            total = row.sum()
            out[i, : len(acts)] = row / total if total > 0 else 1.0 / len(acts)
        return out

    def policy(self, table: np.ndarray) -> dict[str, dict[str, float]]:
        """An array from :meth:`table` (or :func:`solve`) back to ``{infoset: {action: prob}}``."""
        return {
            key: {a: float(table[i, j]) for j, a in enumerate(acts)}
            for i, (key, acts) in enumerate(zip(self.infoset_keys, self.infoset_actions))
        }


def expected_values(tree: PublicTree, policy: dict[str, dict[str, float]]) -> tuple[float, float]:
    """Each player's expected return when both play ``policy``."""

    table = tree.table(policy)

    def value(node: Node, reach: np.ndarray) -> float:
        if node.payoff is not None:
            return float(reach @ node.payoff)
        strat = table[node.infosets]
        return sum(value(child, reach * strat[:, j]) for j, child in enumerate(node.children))

    v0 = value(tree.root, tree.chance.copy())
    return v0, -v0


def head_to_head(tree: PublicTree, me: dict[str, dict[str, float]] | np.ndarray,
                 opponent: dict[str, dict[str, float]] | np.ndarray) -> tuple[float, float]:
    """Exact (mean return, win probability) of ``me`` against ``opponent``, ``me`` taking each seat
    in half of the games: what playing infinitely many evaluation games would measure."""
    mine = me if isinstance(me, np.ndarray) else tree.table(me)
    theirs = opponent if isinstance(opponent, np.ndarray) else tree.table(opponent)

    def walk(node: Node, reach: np.ndarray, seat: int) -> np.ndarray:
        if node.payoff is not None:
            pay = node.payoff if seat == 0 else -node.payoff
            return np.array([reach @ pay, reach @ (pay > 0)])
        strat = (mine if node.player == seat else theirs)[node.infosets]
        return sum(walk(child, reach * strat[:, j], seat) for j, child in enumerate(node.children))

    ret, win = (walk(tree.root, tree.chance.copy(), 0) + walk(tree.root, tree.chance.copy(), 1)) / 2
    return float(ret), float(win)


def best_response_value(tree: PublicTree, table: np.ndarray, player: int) -> float:
    """What ``player`` earns by best-responding to the other player's strategy in ``table``."""
    n_sets = len(tree.infoset_keys)
    sign = 1.0 if player == 0 else -1.0

    def walk(node: Node, reach: np.ndarray) -> np.ndarray:
        """Per deal: reach (chance x opponent) times player's payoff under the best response."""
        if node.payoff is not None:
            return reach * (sign * node.payoff)
        if node.player != player:
            strat = table[node.infosets]
            return sum(walk(child, reach * strat[:, j]) for j, child in enumerate(node.children))
        values = np.stack([walk(child, reach) for child in node.children])  # (actions, deals)
        # an infoset spans deals of this node only: sum each action's value over its deals
        totals = np.stack([np.bincount(node.infosets, weights=v, minlength=n_sets) for v in values])
        best = totals.argmax(axis=0)[node.infosets]
        return values[best, np.arange(values.shape[1])]

    return float(walk(tree.root, tree.chance.copy()).sum())


def exploitability(tree: PublicTree, policy: dict[str, dict[str, float]] | np.ndarray) -> float:
    """Half of NashConv: the mean gain of a best response to ``policy`` over both seats.

    Zero exactly at a Nash equilibrium (the game value cancels out in the sum)."""
    table = policy if isinstance(policy, np.ndarray) else tree.table(policy)
    return (best_response_value(tree, table, 0) + best_response_value(tree, table, 1)) / 2


def solve(tree: PublicTree, iterations: int = 1000) -> np.ndarray:
    """CFR+ (regret matching+, alternating updates, linearly weighted average); returns the
    average strategy as a table (see :meth:`PublicTree.policy`)."""
    n_sets = len(tree.infoset_keys)
    width = max(len(a) for a in tree.infoset_actions)
    legal = np.zeros((n_sets, width), dtype=bool)
    for i, acts in enumerate(tree.infoset_actions):
        legal[i, : len(acts)] = True
    regrets = np.zeros((n_sets, width))
    avg = np.zeros((n_sets, width))

    def current() -> np.ndarray:
        positive = np.where(legal, np.maximum(regrets, 0.0), 0.0)
        total = positive.sum(axis=1, keepdims=True)
        uniform = legal / legal.sum(axis=1, keepdims=True)
        return np.where(total > 0, positive / np.where(total > 0, total, 1.0), uniform)

    def walk(node: Node, strat: np.ndarray, updating: int, reach_self: np.ndarray, reach_other: np.ndarray,
             weight: float) -> np.ndarray:
        """Per-deal expected payoff for ``updating`` (times chance and opponent reach)."""
        if node.payoff is not None:
            return reach_other * (node.payoff if updating == 0 else -node.payoff)
        s = strat[node.infosets]  # (deals, actions)
        if node.player != updating:
            return sum(
                walk(child, strat, updating, reach_self, reach_other * s[:, j], weight)
                for j, child in enumerate(node.children)
            )
        values = np.stack(
            [walk(child, strat, updating, reach_self * s[:, j], reach_other, weight) for j, child in enumerate(node.children)],
            axis=1,
        )  # (deals, actions)
        node_value = (values * s[:, : values.shape[1]]).sum(axis=1)
        k = values.shape[1]
        np.add.at(regrets[:, :k], node.infosets, values - node_value[:, None])
        np.add.at(avg[:, :k], node.infosets, weight * reach_self[:, None] * s[:, :k])
        return node_value

    ones = np.ones_like(tree.chance)
    for t in range(1, iterations + 1):
        for player in (0, 1):
            walk(tree.root, current(), player, ones, tree.chance, float(t))
            np.maximum(regrets, 0.0, out=regrets)
    total = avg.sum(axis=1, keepdims=True)
    return np.where(total > 0, avg / np.where(total > 0, total, 1.0), legal / legal.sum(axis=1, keepdims=True))


Policy = dict[str, dict[str, float]]


def score_policy(tree: PublicTree, policy: Policy | np.ndarray, opponents: dict[str, Policy | np.ndarray]) -> dict[str, float]:
    """A policy's exact figures: ``exploitability``, and for each named opponent
    ``exact/<name>/mean_return`` and ``exact/<name>/win_rate`` (the policy taking each seat in half
    of the games; a win is a positive return, so a split pot is not one). These are what
    infinitely many evaluation games would measure."""
    table = policy if isinstance(policy, np.ndarray) else tree.table(policy)
    out = {"exploitability": exploitability(tree, table)}
    for name, opponent in opponents.items():
        ret, win = head_to_head(tree, table, opponent)
        out[f"exact/{name}/mean_return"], out[f"exact/{name}/win_rate"] = ret, win
    return out


def public_tree(env: Any) -> PublicTree | None:
    """The public tree of the game ``env`` (a :class:`~zeroplay.envs.games.base.GameEnv`) plays,
    built once per game; None where there is none.

    A game has one when its state class provides ``chance_deals()`` (a classmethod: every deal of
    one hand with its probability, each a state whose cards are fixed). A match of several hands
    (a state with ``hands > 1``) has none: the tree covers one hand.
    """
    base = getattr(env, "unwrapped", env)
    new_state = getattr(base, "new_state", None)
    if new_state is None:
        return None
    state = new_state(np.random.default_rng(0))
    if not hasattr(type(state), "chance_deals") or getattr(state, "hands", 1) != 1:
        return None
    return _tree_of(type(state))


@lru_cache(maxsize=16)
def _tree_of(state_class: type) -> PublicTree:
    return PublicTree.build(state_class.chance_deals())
