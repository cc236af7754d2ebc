"""Leduc Hold'em: a six-card deck (J J Q Q K K), one private card each, one board card, two
betting rounds.

Each player antes 1. In each round the first player may ``check`` or ``bet``; facing a bet a
player may ``fold``, ``call`` or ``raise`` (at most two bets/raises per round). Bets are 2 chips
in round 1 and 4 in round 2. After round 1 the board card is turned up. At showdown a player whose
card pairs the board wins; otherwise the higher card wins; equal ranks split the pot. A fold loses
what one has put in. With ``hands=N`` the game runs N hands, the first to act alternating;
returns are total chips won (zero-sum). An invalid move ends the game and costs the offender at
least what folding would (:meth:`LeducHoldemState.forfeit_returns`), never only the default -1.

``info["view"]`` is the player's information set in the current hand: own card, the board card
once shown, ``:``, then the betting of round 1 and (after ``/``) round 2, one letter per action:
``k`` check, ``b`` bet, ``c`` call, ``r`` raise (``"KQ:bc/k"``). A fold ends the hand, so never shows.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import permutations
from typing import ClassVar

import numpy as np

from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv, bracket_list

RANKS = "JQK"
DECK = (0, 0, 1, 1, 2, 2)  # ranks of the six cards
BET_SIZE = (2.0, 4.0)
MAX_RAISES = 2
LETTER = {"check": "k", "bet": "b", "call": "c", "raise": "r", "fold": "f"}
WORD = {v: k for k, v in LETTER.items()}


class LeducHoldemState(Game):
    """``cards = (player 0, player 1, board)`` as ranks 0-2; ``rounds`` holds the betting letters."""

    name: ClassVar[str] = "LeducHoldem"

    def __init__(self, rng: np.random.Generator | None, hands: int = 1, deal: tuple[int, int, int] | None = None):
        self.rng = rng
        self.hands = hands
        self.hand = 0
        self.first = 0
        self.chips = [0.0, 0.0]
        self.log: list[str] = []
        self.finished = False
        self._start_hand(deal if deal is not None else self._deal())

    def _deal(self) -> tuple[int, int, int]:
        a, b, c = self.rng.choice(6, size=3, replace=False)
        return DECK[a], DECK[b], DECK[c]

    def _start_hand(self, cards: tuple[int, int, int]) -> None:
        self.cards = cards
        self.rounds = [""]
        self.put = [1.0, 1.0]  # chips each player has in the pot
        self.raises = 0

    def current_player(self) -> int:
        return (self.first + len(self.rounds[-1])) % 2

    def _facing_bet(self) -> bool:
        h = self.rounds[-1]
        return bool(h) and h[-1] in "br"

    def legal_actions(self) -> list[str]:
        if not self._facing_bet():
            return ["check", "bet"]
        return ["fold", "call", "raise"] if self.raises < MAX_RAISES else ["fold", "call"]

    def apply_action(self, action: str) -> None:
        player = self.current_player()
        size = BET_SIZE[len(self.rounds) - 1]
        self.rounds[-1] += LETTER[action]
        if action == "fold":
            return self._end_hand(winner=1 - player, showdown=False)
        if action in ("call", "raise"):
            self.put[player] = self.put[1 - player]
        if action in ("bet", "raise"):
            self.put[player] += size
            self.raises += 1
        h = self.rounds[-1]
        if h == "kk" or action == "call":
            if len(self.rounds) == 1:
                self.rounds.append("")
                self.raises = 0
            else:
                self._showdown()

    def _showdown(self) -> None:
        a, b, board = self.cards
        if a == b:
            return self._end_hand(winner=None, showdown=True)
        if a == board or b == board:
            winner = 0 if a == board else 1
        else:
            winner = 0 if a > b else 1
        self._end_hand(winner=winner, showdown=True)

    def _end_hand(self, winner: int | None, showdown: bool) -> None:
        betting = " / ".join(", ".join(WORD[x] for x in r) for r in self.rounds if r)
        if winner is None:
            result = "split pot"
        else:
            won = self.put[1 - winner]
            self.chips[winner] += won
            self.chips[1 - winner] -= won
            result = f"player {winner} won {won:g}"
        shown = ""
        if showdown:
            shown = f"; cards: player 0 {RANKS[self.cards[0]]}, player 1 {RANKS[self.cards[1]]}, board {RANKS[self.cards[2]]}"
        self.log.append(f"hand {self.hand + 1}: {betting}; {result}{shown}")
        self.hand += 1
        if self.hand >= self.hands:
            self.finished = True
            return
        self.first = self.hand % 2
        self._start_hand(self._deal())

    def is_terminal(self) -> bool:
        return self.finished

    def returns(self) -> list[float]:
        return list(self.chips)

    def forfeit_returns(self, player: int) -> list[float]:
        """The chips after ``player`` folds now: it loses what it has put in this hand."""
        out = list(self.chips)
        out[player] -= self.put[player]
        out[1 - player] += self.put[player]
        return out

    def board_visible(self) -> bool:
        return len(self.rounds) == 2

    def view(self, player: int) -> str:
        board = RANKS[self.cards[2]] if self.board_visible() else ""
        return f"{RANKS[self.cards[player]]}{board}:{'/'.join(self.rounds)}"

    def clone(self) -> LeducHoldemState:
        new = LeducHoldemState.__new__(LeducHoldemState)
        new.__dict__.update(self.__dict__)
        new.chips, new.log, new.rounds, new.put = self.chips[:], self.log[:], self.rounds[:], self.put[:]
        return new

    @classmethod
    def chance_deals(cls) -> list[tuple[float, LeducHoldemState]]:
        """Every deal of one hand (120 ordered draws of three of the six cards), equally likely."""
        deals = list(permutations(range(6), 3))
        return [(1 / len(deals), cls(None, deal=(DECK[a], DECK[b], DECK[c]))) for a, b, c in deals]


class LeducHoldem(GameEnv):
    """``zeroplay/LeducHoldem-v0``: see the module docstring. Kwargs: ``hands`` (default 1)."""

    RULES = (
        "Leduc Hold'em. The deck has six cards: two each of J < Q < K. Each player antes 1 chip and gets "
        "one private card; one board card is turned up after the first betting round.\n"
        "With no bet open you may [check] or [bet]; facing a bet you may [fold], [call] or [raise] "
        "(at most two bets/raises per round). Bets and raises are 2 chips in round 1 and 4 chips in round 2.\n"
        "At showdown a card that pairs the board wins, otherwise the higher card; equal cards split the pot.\n"
    )

    def __init__(self, hands: int = 1, **kwargs):
        super().__init__(**kwargs)
        if hands < 1:
            raise ValueError(f"hands must be >= 1, got {hands}")
        self.hands = hands

    def new_state(self, rng: np.random.Generator) -> LeducHoldemState:
        return LeducHoldemState(rng, hands=self.hands)

    def observe(self, state: LeducHoldemState, player: int) -> str:
        lines = [self.RULES + f"You are player {player}. The match has {state.hands} hand(s); most chips wins."]
        if state.log:
            lines.append("Finished hands:\n  " + "\n  ".join(state.log))
        lines.append(f"Chips so far: you {state.chips[player]:+g}, opponent {state.chips[1 - player]:+g}.")
        if state.is_terminal():
            lines.append("Game over.")
            return "\n".join(lines)
        board = RANKS[state.cards[2]] if state.board_visible() else "not shown yet"
        lines.append(f"Hand {state.hand + 1} of {state.hands}, betting round {len(state.rounds)}. "
                     f"Your card: {RANKS[state.cards[player]]}. Board card: {board}.")
        for i, r in enumerate(state.rounds):
            acts = [f"player {(state.first + j) % 2} {WORD[x]}s" for j, x in enumerate(r)]
            lines.append(f"Round {i + 1} betting: " + (", ".join(acts) if acts else "no actions yet") + ".")
        lines.append(f"Pot: you have put in {state.put[player]:g}, your opponent {state.put[1 - player]:g}.")
        legal = state.legal_actions()
        lines.append(f"Legal moves: {bracket_list(legal)}")
        lines.append(ANSWER_FORMAT.format(example=legal[1]))
        return "\n".join(lines)


@lru_cache(maxsize=1)
def leduc_tree():
    """The public tree of one-hand Leduc Hold'em (built once; see :mod:`zeroplay.envs.games.cfr`)."""
    from zeroplay.envs.games.cfr import PublicTree

    return PublicTree.build(LeducHoldemState.chance_deals())


def leduc_exploitability(policy: dict[str, dict[str, float]]) -> float:
    """Exact exploitability (half of NashConv, chips per hand) of a one-hand Leduc policy.

    ``policy`` maps information sets, written as ``info["view"]`` writes them (``"K:"``,
    ``"KQ:bc/k"``), to ``{action: probability}`` over that infoset's legal moves (``check``,
    ``bet``, ``call``, ``raise``, ``fold``). Missing infosets play uniformly; rows are renormalized.
    The 288 infosets are ``leduc_tree().infoset_keys``. Uniform play scores 2.3736.
    """
    from zeroplay.envs.games.cfr import exploitability

    return exploitability(leduc_tree(), policy)
