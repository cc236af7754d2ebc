"""Simple Negotiation: two players trade five resources, each valuing them privately; whoever
raises the value of their own inventory more wins.

Each player holds 5-25 of Wheat, Wood, Sheep, Brick and Ore and values each at its base value
(5, 10, 15, 25, 40) +-20%, privately. Players take ``max_turns`` turns in all (default 10,
alternating, player 0 first). On a turn a player writes one move:

- ``[Offer: 3 Sheep, 2 Ore -> 5 Brick]``: give what is left of ``->`` for what is right of it
  (one must hold what one offers; a new offer replaces a pending one);
- ``[Accept]`` a pending offer made to you (you must hold what it asks for); ``[Deny]`` it;
- ``[Pass]`` when no offer is pending.

At the end each player's gain is the change of their inventory's value by their own values; the
larger gain wins (+1 / -1; equal gains draw 0). Only moves count: text outside the brackets is
not shown to the opponent. ``info["legal_actions"]`` lists the non-offer moves and every
one-for-one offer; any other well-formed offer one can afford is legal too.

``info["view"]``: ``"inv=17,18,6,13,21;val=5,12,13,24,34;offer=0,0,3,0,2>0,0,0,5,0;turn=3/10"``:
own quantities and values (resource order as above), then the offer pending *to* the viewer as
what they would give ``>`` what they would get (empty when none), then the turn.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

import numpy as np

from zeroplay.core.env import last_bracketed
from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv

RESOURCES = ("Wheat", "Wood", "Sheep", "Brick", "Ore")
BASE_VALUES = (5, 10, 15, 25, 40)
#: private values are drawn from base +-20%, within 5..40 (high bound exclusive, for rng.integers)
_VALUE_LOW = [max(b - b // 5, 5) for b in BASE_VALUES]
_VALUE_HIGH = [min(b + b // 5, 40) + 1 for b in BASE_VALUES]
_LOOKUP = {r.lower(): i for i, r in enumerate(RESOURCES)}
_ITEM = re.compile(r"(\d{1,4})\s*([a-zA-Z]+)")
_OFFER = re.compile(r"^offer\s*:?\s*(?:i\s+(?:give|offer)\s+)?(.*?)\s*->\s*(.*)$", re.IGNORECASE)
_SEPARATORS = set(" ,;&+and")


@lru_cache(maxsize=4096)
def format_bundle(counts: list[int] | tuple[int, ...]) -> str:
    return ", ".join(f"{n} {RESOURCES[i]}" for i, n in enumerate(counts) if n)


@lru_cache(maxsize=4096)
def format_offer(give: tuple[int, ...], get: tuple[int, ...]) -> str:
    return f"Offer: {format_bundle(give)} -> {format_bundle(get)}"


@lru_cache(maxsize=4096)
def parse_bundle(text: str) -> tuple[int, ...] | None:
    """``"3 Sheep, 2 Ore"`` -> counts per resource; None if anything else is in the text."""
    counts = [0] * len(RESOURCES)
    if set(_ITEM.sub("", text)) - _SEPARATORS:
        return None
    for n, name in _ITEM.findall(text):
        i = _LOOKUP.get(name.lower().rstrip("s") if name.lower() not in _LOOKUP else name.lower())
        if i is None:
            return None
        counts[i] += int(n)
    return tuple(counts) if any(counts) else None


#: every one-for-one offer, (give, get, text)
_ONE_FOR_ONE = [
    (i, j, format_offer(tuple(int(k == i) for k in range(5)), tuple(int(k == j) for k in range(5))))
    for i in range(5) for j in range(5) if i != j
]


@lru_cache(maxsize=4096)
def offer_view(give: tuple[int, ...], get: tuple[int, ...]) -> str:
    return ",".join(map(str, give)) + ">" + ",".join(map(str, get))


@lru_cache(maxsize=64)
def one_for_one_offers(holds: tuple[bool, ...]) -> list[str]:
    """The one-for-one offers of a player holding at least one of each resource marked True."""
    return [text for i, _, text in _ONE_FOR_ONE if holds[i]]


class SimpleNegotiationState(Game):
    """Inventories, private values and the pending offer ``(from_player, give, get)``."""

    name: ClassVar[str] = "SimpleNegotiation"

    def __init__(self, inventory: list[list[int]], values: list[list[int]], max_turns: int = 10):
        self.inventory = inventory
        self.values = values
        self._texts: list[tuple[int, str, list[str]] | None] = [None, None]  # per player, see _player_text
        self.start_value = [self.worth(p) for p in (0, 1)]
        self.max_turns = max_turns
        self.turn = 0
        self.offer: tuple[int, tuple[int, ...], tuple[int, ...]] | None = None
        self.log: list[str] = []
        self._legal: list[str] | None = None

    def _player_text(self, player: int) -> tuple[int, str, list[str]]:
        """(worth, view prefix ``"inv=..;val=.."``, one-for-one offers), cached: inventories
        change only on trades, which clear the cache."""
        cached = self._texts[player]
        if cached is None:
            inv, val = self.inventory[player], self.values[player]
            worth = sum(q * v for q, v in zip(inv, val))
            prefix = f"inv={','.join(map(str, inv))};val={','.join(map(str, val))}"
            cached = (worth, prefix, one_for_one_offers(tuple(q > 0 for q in inv)))
            self._texts[player] = cached
        return cached

    def worth(self, player: int) -> int:
        return self._player_text(player)[0]

    def current_player(self) -> int:
        return self.turn % 2

    def can_give(self, player: int, bundle: tuple[int, ...]) -> bool:
        for have, n in zip(self.inventory[player], bundle):
            if have < n:
                return False
        return True

    def legal_actions(self) -> list[str]:
        if self._legal is None:
            p = self.current_player()
            moves = ["Pass"]
            if self.offer is not None and self.offer[0] != p:
                _, _, asked = self.offer
                moves = ["Accept", "Deny"] if self.can_give(p, asked) else ["Deny"]
            self._legal = moves + self._player_text(p)[2]
        return self._legal

    def is_legal_offer(self, give: tuple[int, ...], get: tuple[int, ...]) -> bool:
        for a, b in zip(give, get):
            if a and b:  # the same resource on both sides
                return False
        return self.can_give(self.current_player(), give)

    def apply_action(self, action: str) -> None:
        p = self.current_player()
        if action == "Accept":
            src, give, get = self.offer
            for i in range(len(RESOURCES)):
                self.inventory[src][i] += get[i] - give[i]
                self.inventory[p][i] += give[i] - get[i]
            self._texts = [None, None]
            self.log.append(f"player {p} accepted: player {src} gave {format_bundle(give)} for {format_bundle(get)}")
            self.offer = None
        elif action == "Deny":
            self.log.append(f"player {p} denied the offer")
            self.offer = None
        elif action == "Pass":
            self.log.append(f"player {p} passed")
        else:
            give, get = parse_offer(action)
            if self.offer is not None:
                self.log.append(f"player {p} denied the offer")
            self.offer = (p, give, get)
            self.log.append(f"player {p} offered {format_bundle(give)} for {format_bundle(get)}")
        self.turn += 1
        self._legal = None

    def is_terminal(self) -> bool:
        return self.turn >= self.max_turns

    def gains(self) -> list[int]:
        return [self.worth(p) - self.start_value[p] for p in (0, 1)]

    def returns(self) -> list[float]:
        g0, g1 = self.gains()
        return [0.0, 0.0] if g0 == g1 else ([1.0, -1.0] if g0 > g1 else [-1.0, 1.0])

    def view(self, player: int) -> str:
        offer = ""
        if self.offer is not None and self.offer[0] != player:
            _, give, get = self.offer
            offer = offer_view(get, give)  # the viewer gives what was asked
        return f"{self._player_text(player)[1]};offer={offer};turn={self.turn + 1}/{self.max_turns}"

    def clone(self) -> SimpleNegotiationState:
        new = SimpleNegotiationState.__new__(SimpleNegotiationState)
        new.__dict__.update(self.__dict__)
        new.inventory = [row[:] for row in self.inventory]
        new.log, new._legal, new._texts = self.log[:], None, self._texts[:]
        return new


_TAIL_PENDING = ("Legal moves: [Accept] (if you hold what it asks), [Deny], or a new [Offer: ... -> ...]\n"
                 + ANSWER_FORMAT.format(example="Offer: 2 Wheat -> 1 Ore"))
_TAIL_OPEN = ("Legal moves: [Pass] or [Offer: ... -> ...] (offer only what you hold)\n"
              + ANSWER_FORMAT.format(example="Offer: 2 Wheat -> 1 Ore"))


@lru_cache(maxsize=4096)
def _header(player: int, inventory: tuple[int, ...], values: tuple[int, ...], start_value: int) -> str:
    """Rules and the player's resources (they change only on trades: cached)."""
    rows = "\n".join(f"  {r:<6} quantity {q:>3}  value {v:>2} each" for r, q, v in zip(RESOURCES, inventory, values))
    worth = sum(q * v for q, v in zip(inventory, values))
    return (f"{SimpleNegotiation.RULES}You are player {player}. Your resources:\n{rows}\n"
            f"Inventory value: {worth} (started at {start_value}, gain {worth - start_value:+d}).")


@lru_cache(maxsize=4096)  # agents repeat the same few offers; the cache keeps parsing off the hot path
def parse_offer(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``"Offer: 3 Sheep -> 1 Ore"`` -> (give, get); raises ValueError when malformed."""
    m = _OFFER.match(text.strip())
    give = parse_bundle(m.group(1)) if m else None
    get = parse_bundle(m.group(2)) if m else None
    if give is None or get is None:
        raise ValueError(f"not an offer: {text!r}")
    return give, get


class SimpleNegotiation(GameEnv):
    """``zeroplay/SimpleNegotiation-v0``: see the module docstring. Kwarg ``max_turns`` (default 10)."""

    RULES = (
        "Negotiation game. You and your opponent hold resources; each of you values them privately. "
        "Trade so that the value of your inventory (by your values) rises more than your opponent's does "
        "by theirs: the larger gain wins.\n"
        "Moves: [Offer: 3 Sheep, 2 Ore -> 5 Brick] gives what is left of -> for what is right of it; "
        "[Accept] or [Deny] an offer made to you; [Pass] when no offer is pending.\n"
    )

    def __init__(self, max_turns: int = 10, **kwargs):
        super().__init__(**kwargs)
        if not 1 <= max_turns <= 200:
            raise ValueError(f"max_turns must be in 1..200, got {max_turns}")
        self.max_turns = max_turns

    def new_state(self, rng: np.random.Generator) -> SimpleNegotiationState:
        # one draw of 20 uniforms, scaled in Python: several times cheaper than rng.integers calls
        u = rng.random(20).tolist()
        inventory = [[5 + int(x * 21) for x in u[0:5]], [5 + int(x * 21) for x in u[5:10]]]
        values = [[lo + int(x * (hi - lo)) for x, lo, hi in zip(u[k:k + 5], _VALUE_LOW, _VALUE_HIGH)] for k in (10, 15)]
        return SimpleNegotiationState(inventory, values, self.max_turns)

    def parse_action(self, text: str, state: SimpleNegotiationState) -> str | None:
        move = last_bracketed(text)
        if move is None:
            return None
        word = move.strip().lower()
        if word in ("accept", "deny", "pass"):
            move = word.capitalize()
            return move if move in state.legal_actions() else None
        try:
            give, get = parse_offer(move)
        except ValueError:
            return None
        return format_offer(give, get) if state.is_legal_offer(give, get) else None

    def observe(self, state: SimpleNegotiationState, player: int) -> str:
        lines = [_header(player, tuple(state.inventory[player]), tuple(state.values[player]), state.start_value[player])]
        if state.log:
            lines.append("History:\n  " + "\n  ".join(state.log[-20:]))
        if state.is_terminal():
            g = state.gains()
            lines.append(f"Game over. Gains: you {g[player]:+d}, opponent {g[1 - player]:+d}.")
            return "\n".join(lines)
        lines.append(f"Turn {state.turn + 1} of {state.max_turns}.")
        if state.offer is not None and state.offer[0] != player:
            _, give, get = state.offer
            lines.append(f"Pending offer to you: you get {format_bundle(give)} and give {format_bundle(get)}.\n" + _TAIL_PENDING)
        else:
            lines.append(_TAIL_OPEN)
        return "\n".join(lines)
