"""Kuhn Poker: three cards (J < Q < K), one to each player, one betting round.

Each player antes 1 chip. The first to act may ``check`` or ``bet`` (1 more chip); facing a bet
a player may ``fold`` (the bettor takes the pot) or ``call`` (showdown); after check-check, the
higher card wins the antes. With ``hands=N`` the game runs N independent hands with fresh deals,
the first to act alternating (player 0 starts the first hand); returns are the total chips won,
so the game stays zero-sum. With one hand the game value for player 0 is -1/18. An invalid move ends
the game and costs the offender at least what giving up the hand would (the default -1 in one hand;
its chips lost so far too over several: :meth:`KuhnPokerState.forfeit_returns`).

``info["view"]`` is the information set of the player to act in the current hand: its card letter
then one letter per action of this hand, ``p`` for check/fold and ``b`` for bet/call
(``"Kpb"``: holding K, checked, opponent bet). :func:`kuhn_exploitability` takes a policy keyed
by exactly these strings.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import numpy as np

from zeroplay.envs.games.base import ANSWER_FORMAT, Game, GameEnv, bracket_list

CARDS = "JQK"
#: action -> letter of the standard Kuhn notation
LETTER = {"check": "p", "fold": "p", "bet": "b", "call": "b"}
UNBET_MOVES = ["check", "bet"]
FACING_MOVES = ["fold", "call"]
#: every (card of player 0, card of player 1) deal, equally likely
DEALS = [(a, b) for a in range(3) for b in range(3) if a != b]


@lru_cache(maxsize=64)
def describe_history(first: int, history: str) -> list[str]:
    """``["player 0 checks", "player 1 bets", ...]`` for a hand's letters (few distinct: cached)."""
    words, bet = [], False
    for i, letter in enumerate(history):
        who = (first + i) % 2
        word = ("call" if bet else "bet") if letter == "b" else ("fold" if bet else "check")
        bet = bet or letter == "b"
        words.append(f"player {who} {word}s")
    return words


class KuhnPokerState(Game):
    """Kuhn Poker over ``hands`` hands. ``cards[p]`` is player p's card (0=J, 1=Q, 2=K)."""

    name: ClassVar[str] = "KuhnPoker"

    def __init__(self, rng: np.random.Generator | None, hands: int = 1, deal: tuple[int, int] | None = None):
        self.rng = rng
        self.hands = hands
        self.hand = 0
        self.first = 0
        self.chips = [0.0, 0.0]
        self.log: list[str] = []  # public record of finished hands
        self.history = ""  # letters of this hand
        self.finished = False
        self.cards = deal if deal is not None else self._deal()

    def _deal(self) -> tuple[int, int]:
        return DEALS[int(self.rng.random() * 6)]

    def current_player(self) -> int:
        return (self.first + len(self.history)) % 2

    def legal_actions(self) -> list[str]:
        return FACING_MOVES if "b" in self.history else UNBET_MOVES

    def apply_action(self, action: str) -> None:
        self.history += LETTER[action]
        outcome = self._hand_outcome()
        if outcome is not None:
            self._end_hand(*outcome)

    def _hand_outcome(self) -> tuple[int, float, bool] | None:
        """(winner, chips won, showdown?) once the hand is over, else None. Positions: 0 = first to act."""
        h = self.history
        if h in ("pp", "bb", "pbb"):
            first_card, second_card = self.cards[self.first], self.cards[1 - self.first]
            winner = 0 if first_card > second_card else 1
            return winner, (1.0 if h == "pp" else 2.0), True
        if h == "bp":
            return 0, 1.0, False
        if h == "pbp":
            return 1, 1.0, False
        return None

    def _end_hand(self, position: int, amount: float, showdown: bool) -> None:
        winner = (self.first + position) % 2
        self.chips[winner] += amount
        self.chips[1 - winner] -= amount
        moves = ", ".join(self._describe_history())
        shown = f"; cards: player 0 {CARDS[self.cards[0]]}, player 1 {CARDS[self.cards[1]]}" if showdown else ""
        self.log.append(f"hand {self.hand + 1}: {moves}; player {winner} won {amount:g}{shown}")
        self.hand += 1
        if self.hand >= self.hands:
            self.finished = True
            return
        self.first = self.hand % 2
        self.history = ""
        self.cards = self._deal()

    def _describe_history(self) -> list[str]:
        return describe_history(self.first, self.history)

    def is_terminal(self) -> bool:
        return self.finished

    def returns(self) -> list[float]:
        return list(self.chips)

    def forfeit_returns(self, player: int) -> list[float]:
        """The chips after ``player`` gives up now: it loses its ante and any bet or call of this hand."""
        position = (player - self.first) % 2
        put = 1.0 + sum(1.0 for i, c in enumerate(self.history) if c == "b" and i % 2 == position)
        out = list(self.chips)
        out[player] -= put
        out[1 - player] += put
        return out

    def view(self, player: int) -> str:
        return CARDS[self.cards[player]] + self.history

    def clone(self) -> KuhnPokerState:
        new = KuhnPokerState.__new__(KuhnPokerState)
        new.__dict__.update(self.__dict__)
        new.chips, new.log = self.chips[:], self.log[:]
        return new

    @classmethod
    def chance_deals(cls) -> list[tuple[float, KuhnPokerState]]:
        """Every deal of one hand with its probability (for exact solvers)."""
        return [(1 / 6, cls(None, hands=1, deal=d)) for d in DEALS]


class KuhnPoker(GameEnv):
    """``zeroplay/KuhnPoker-v0``: see the module docstring. Kwargs: ``hands`` (default 1)."""

    RULES = (
        "Kuhn Poker. The deck has three cards: J < Q < K; each player antes 1 chip and gets one card.\n"
        "If no bet is open you may [check] or [bet] 1 chip; facing a bet you may [fold] (lose the pot) "
        "or [call] 1 chip (showdown: higher card wins). Check-check also goes to showdown.\n"
    )

    def __init__(self, hands: int = 1, **kwargs):
        super().__init__(**kwargs)
        if hands < 1:
            raise ValueError(f"hands must be >= 1, got {hands}")
        self.hands = hands

    def new_state(self, rng: np.random.Generator) -> KuhnPokerState:
        return KuhnPokerState(rng, hands=self.hands)

    def observe(self, state: KuhnPokerState, player: int) -> str:
        head = f"{self.RULES}You are player {player}. The match has {state.hands} hand(s); most chips wins.\n"
        if state.log:
            head += "Finished hands:\n  " + "\n  ".join(state.log) + "\n"
        head += f"Chips so far: you {state.chips[player]:+g}, opponent {state.chips[1 - player]:+g}.\n"
        if state.is_terminal():
            return head + "Game over."
        moves = state._describe_history()
        return (
            f"{head}Hand {state.hand + 1} of {state.hands}. Your card: {CARDS[state.cards[player]]}.\n"
            f"This hand so far: {', '.join(moves) if moves else 'no actions yet'}.\n"
            + _MOVES_TEXT[state.legal_actions() is FACING_MOVES]
        )


_MOVES_TEXT = {
    facing: f"Legal moves: {bracket_list(moves)}\n" + ANSWER_FORMAT.format(example=moves[1])
    for facing, moves in ((False, UNBET_MOVES), (True, FACING_MOVES))
}


def kuhn_equilibrium(alpha: float = 0.0) -> dict[str, float]:
    """A Nash equilibrium of one-hand Kuhn Poker: infoset -> probability of ``b`` (bet or call).

    The first player's equilibria form a family in ``alpha`` in [0, 1/3] (bet a J with
    probability alpha, a K with 3*alpha, call with a Q with alpha + 1/3); the second player's
    strategy is unique. Every member has game value -1/18 for player 0.
    """
    if not 0.0 <= alpha <= 1 / 3:
        raise ValueError(f"alpha must be in [0, 1/3], got {alpha}")
    return {
        "J": alpha, "Q": 0.0, "K": 3 * alpha,
        "Jpb": 0.0, "Qpb": alpha + 1 / 3, "Kpb": 1.0,
        "Jp": 1 / 3, "Qp": 0.0, "Kp": 1.0,
        "Jb": 0.0, "Qb": 1 / 3, "Kb": 1.0,
    }


def kuhn_policy_to_actions(policy: dict[str, float]) -> dict[str, dict[str, float]]:
    """``{infoset: P(b)}`` -> ``{infoset: {action: prob}}``; missing infosets play uniformly.

    Raises ValueError (naming the infoset) for a probability outside [0, 1] or an unknown infoset.
    """
    out: dict[str, dict[str, float]] = {}
    for key in KUHN_INFOSETS:
        p = float(policy.get(key, 0.5))
        if not 0.0 <= p <= 1.0 or p != p:
            raise ValueError(f"probability of 'b' at infoset {key!r} must be in [0, 1], got {policy.get(key)!r}")
        moves = FACING_MOVES if "b" in key else UNBET_MOVES
        out[key] = {moves[0]: 1.0 - p, moves[1]: p}
    unknown = set(policy) - set(KUHN_INFOSETS)
    if unknown:
        raise ValueError(f"unknown Kuhn infosets {sorted(unknown)}; valid ones: {', '.join(KUHN_INFOSETS)}")
    return out


#: the 12 information sets of one-hand Kuhn Poker, as ``info["view"]`` writes them
KUHN_INFOSETS = tuple(c + h for h in ("", "p", "b", "pb") for c in CARDS)


def kuhn_exploitability(policy: dict[str, float]) -> float:
    """Exact exploitability of a one-hand Kuhn Poker policy (0 at a Nash equilibrium).

    ``policy`` maps each information set (``info["view"]``: card letter J/Q/K, then ``p`` for
    each check/fold and ``b`` for each bet/call so far this hand, e.g. ``"K"``, ``"Qpb"``, ``"Jb"``)
    to the probability of playing ``b`` there (bet when no bet is open, call when facing one).
    The same table plays both seats. Missing infosets play 50/50.

    Returns ``(BR_0 + BR_1) / 2``: the mean of what a best response gains against the policy in
    each seat (half of NashConv, the convention of OpenSpiel's ``exploitability``), in chips per
    hand. Uniform random play has exploitability 0.458333 (= 11/24).
    """
    from zeroplay.envs.games.cfr import exploitability

    return exploitability(kuhn_tree(), kuhn_policy_to_actions(policy))


def kuhn_head_to_head(policy: dict[str, float], opponent: dict[str, float] | None = None) -> tuple[float, float]:
    """Exact (mean return, win probability) of a one-hand Kuhn policy against ``opponent``
    (``{infoset: P(b)}`` tables as for :func:`kuhn_exploitability`; None: the uniformly random
    player), each taking each seat in half of the games. Uniform against uniform is (0, 0.5)."""
    from zeroplay.envs.games.cfr import head_to_head

    other = kuhn_policy_to_actions(opponent) if opponent is not None else {}
    return head_to_head(kuhn_tree(), kuhn_policy_to_actions(policy), other)


@lru_cache(maxsize=1)
def kuhn_tree():
    """The public tree of one-hand Kuhn Poker (built once; see :mod:`zeroplay.envs.games.cfr`)."""
    from zeroplay.envs.games.cfr import PublicTree

    return PublicTree.build(KuhnPokerState.chance_deals())
