"""Tiny Hanabi: a cooperative card game for two, in which you see your partner's cards, not your own.

The deck has one card of each color x rank (default 2 colors, R and Y, ranks 1-2: four cards).
Each player is dealt ``hand_size`` cards (default 2, so the whole deck is dealt); the rest is a
face-down deck. On your turn, one of:

- ``play i``: play your card at position i. If it is the next rank of its color's firework
  (a 1 on an empty firework, a 2 on a 1, ...) it is added and the team scores +1; otherwise it is
  discarded and the team loses a life (``lives``, default 1). Then draw if the deck has cards.
- ``discard i``: discard your card i to regain a hint token (not when all ``hints`` are there).
- ``hint X``: spend a hint token to show your partner all their cards of color X (``hint R``) or
  rank X (``hint 1``); only colors and ranks your partner holds can be hinted.
- ``pass``: only when nothing else is legal (no cards and no hint token).

Positions shift left when a card leaves a hand; a drawn card goes to the end. The game ends when
every firework is complete, the last life is lost, no player holds a card, or after
``max_turns`` turns (default 3 x the number of cards). The team's score is the number of cards
played; both players get it (cooperative, not zero-sum: :mod:`zeroplay.envs.games.cooperative`),
and each step's reward is the score that move added (+1 for a good play).

Known value: with the default configuration the optimal team return is 4.0, the most there is:
a hint convention scores 4 on every one of the 24 deals (brute force over
:meth:`TinyHanabiState.chance_outcomes` in ``tests/envs/games/test_tiny_hanabi.py``). Uniformly
random play scores 0.948 (exact, same test).

``info["view"]`` is what the player to act knows, compactly: ``f`` and each firework's height,
``t`` hint tokens, ``l`` lives, ``d`` cards in the deck, ``p`` the partner's cards, ``m`` one's
own cards as the hints showed them (``?`` unknown): ``"f01 t2 l1 d0 pR2 mY?"``.
"""

from __future__ import annotations

import itertools
from typing import ClassVar

import numpy as np

from zeroplay.envs.games.base import ANSWER_FORMAT, Game, bracket_list
from zeroplay.envs.games.cooperative import CooperativeGameEnv

COLORS = "RYGBW"
Card = tuple[int, int]  # (color index, rank 1..ranks)
Knowledge = tuple[int | None, int | None]  # (known color, known rank)
#: largest deck :meth:`TinyHanabiState.chance_outcomes` enumerates (8! deals)
MAX_ENUMERATED_CARDS = 8


def card_text(card: Card) -> str:
    return f"{COLORS[card[0]]}{card[1]}"


def knowledge_text(know: Knowledge) -> str:
    color, rank = know
    return (COLORS[color] if color is not None else "?") + (str(rank) if rank is not None else "?")


class TinyHanabiState(Game):
    """Hands, what each player was told about their cards, the fireworks, tokens and the turn."""

    name: ClassVar[str] = "TinyHanabi"

    def __init__(self, order: list[Card], colors: int = 2, ranks: int = 2, hand_size: int = 2,
                 hints: int = 3, lives: int = 1, max_turns: int = 12):
        self.colors, self.ranks, self.max_hints, self.max_turns = colors, ranks, hints, max_turns
        self.hands: list[list[Card]] = [list(order[:hand_size]), list(order[hand_size:2 * hand_size])]
        self.knowledge: list[list[Knowledge]] = [[(None, None)] * hand_size for _ in range(2)]
        self.deck: list[Card] = list(order[2 * hand_size:])
        self.fireworks = [0] * colors
        self.discards: list[Card] = []
        self.hints, self.lives, self.turn = hints, lives, 0
        self.log: list[str] = []

    @classmethod
    def chance_outcomes(cls, colors: int = 2, ranks: int = 2, **kwargs) -> list[tuple[float, TinyHanabiState]]:
        """Every deal (order of the shuffled deck) with its probability, for exact team returns."""
        cards = full_deck(colors, ranks)
        if len(cards) > MAX_ENUMERATED_CARDS:
            raise ValueError(f"{len(cards)} cards have too many deals to enumerate (at most {MAX_ENUMERATED_CARDS})")
        orders = list(itertools.permutations(cards))
        return [(1 / len(orders), cls(list(o), colors, ranks, **kwargs)) for o in orders]

    def current_player(self) -> int:
        return self.turn % 2

    def score(self) -> int:
        return sum(self.fireworks)

    def legal_actions(self) -> list[str]:
        me = self.current_player()
        hand, partner = self.hands[me], self.hands[1 - me]
        moves = [f"play {i}" for i in range(len(hand))]
        if self.hints < self.max_hints:
            moves += [f"discard {i}" for i in range(len(hand))]
        if self.hints > 0:
            moves += [f"hint {COLORS[c]}" for c in sorted({c for c, _ in partner})]
            moves += [f"hint {r}" for r in sorted({r for _, r in partner})]
        return moves or ["pass"]

    def apply_action(self, action: str) -> None:
        me = self.current_player()
        verb, _, arg = action.partition(" ")
        if verb == "play":
            self._play(me, int(arg))
        elif verb == "discard":
            card = self._take(me, int(arg))
            self.discards.append(card)
            self.hints += 1
            self.log.append(f"player {me} discarded {card_text(card)}")
        elif verb == "hint":
            self._hint(1 - me, arg)
        else:
            self.log.append(f"player {me} passed")
        self.turn += 1

    def _take(self, player: int, i: int) -> Card:
        """Remove card i from ``player``'s hand and draw a replacement at the end, if any."""
        card = self.hands[player].pop(i)
        self.knowledge[player].pop(i)
        if self.deck:
            self.hands[player].append(self.deck.pop(0))
            self.knowledge[player].append((None, None))
        return card

    def _play(self, player: int, i: int) -> None:
        card = self._take(player, i)
        color, rank = card
        if self.fireworks[color] == rank - 1:
            self.fireworks[color] = rank
            self.log.append(f"player {player} played {card_text(card)}: scored")
        else:
            self.discards.append(card)
            self.lives -= 1
            self.log.append(f"player {player} played {card_text(card)}: misplay, a life lost")

    def _hint(self, target: int, value: str) -> None:
        self.hints -= 1
        by_color = value in COLORS
        touched = []
        for i, (color, rank) in enumerate(self.hands[target]):
            if (COLORS[color] == value) if by_color else (str(rank) == value):
                known_color, known_rank = self.knowledge[target][i]
                self.knowledge[target][i] = (color, known_rank) if by_color else (known_color, rank)
                touched.append(str(i))
        self.log.append(f"player {1 - target} hinted {value}: player {target}'s card(s) {', '.join(touched)}")

    def is_terminal(self) -> bool:
        return (self.score() == self.colors * self.ranks or self.lives <= 0 or self.turn >= self.max_turns
                or not any(self.hands))

    def returns(self) -> list[float]:
        return [float(self.score())] * 2

    def view(self, player: int) -> str:
        fireworks = "".join(map(str, self.fireworks))
        partner = "".join(card_text(c) for c in self.hands[1 - player])
        mine = "".join(knowledge_text(k) for k in self.knowledge[player])
        return f"f{fireworks} t{self.hints} l{self.lives} d{len(self.deck)} p{partner} m{mine}"


def full_deck(colors: int, ranks: int) -> list[Card]:
    return [(c, r) for c in range(colors) for r in range(1, ranks + 1)]


class TinyHanabi(CooperativeGameEnv):
    """``zeroplay/TinyHanabi-v0``: see the module docstring. Kwargs: ``colors`` (1-5, default 2),
    ``ranks`` (1-5, default 2), ``hand_size`` (default 2), ``hints`` (default 3), ``lives``
    (default 1), ``max_turns`` (default 3 x cards)."""

    def __init__(self, colors: int = 2, ranks: int = 2, hand_size: int = 2, hints: int = 3, lives: int = 1,
                 max_turns: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not (1 <= colors <= len(COLORS) and 1 <= ranks <= 5):
            raise ValueError(f"colors must be 1-{len(COLORS)} and ranks 1-5, got {colors} and {ranks}")
        if not 1 <= 2 * hand_size <= colors * ranks:
            raise ValueError(f"two hands of {hand_size} need at least {2 * hand_size} of the {colors * ranks} cards")
        if hints < 0 or lives < 1:
            raise ValueError(f"hints must be >= 0 and lives >= 1, got {hints} and {lives}")
        self.colors, self.ranks, self.hand_size, self.hints, self.lives = colors, ranks, hand_size, hints, lives
        self.max_turns = 3 * colors * ranks if max_turns is None else max_turns
        if self.max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns}")

    def new_state(self, rng: np.random.Generator) -> TinyHanabiState:
        cards = full_deck(self.colors, self.ranks)
        order = [cards[int(i)] for i in rng.permutation(len(cards))]
        return TinyHanabiState(order, self.colors, self.ranks, self.hand_size, self.hints, self.lives, self.max_turns)

    def observe(self, state: TinyHanabiState, player: int) -> str:
        n = state.colors * state.ranks
        colors = ", ".join(COLORS[:state.colors])
        head = (
            f"Tiny Hanabi (cooperative, 2 players). The deck has one card of each color ({colors}) and rank "
            f"(1-{state.ranks}). You see your partner's cards, not your own. Build one firework per color in "
            "rank order: [play i] plays your card i (the next rank of its color scores 1 for the team, any other "
            "costs a life); [discard i] regains a hint token; [hint X] spends one to show your partner all their "
            f"cards of color or rank X. The team scores the cards played, at most {n}.\n"
        )
        if state.is_terminal():
            return f"{head}Game over: team score {state.score()} of {n}."
        fireworks = ", ".join(f"{COLORS[c]} {h}" for c, h in enumerate(state.fireworks))
        partner = ", ".join(f"{i}: {card_text(c)}" for i, c in enumerate(state.hands[1 - player])) or "no cards"
        mine = ", ".join(f"{i}: {knowledge_text(k)}" for i, k in enumerate(state.knowledge[player])) or "no cards"
        discards = ", ".join(card_text(c) for c in state.discards) or "none"
        legal = state.legal_actions()
        return (
            f"{head}You are player {player}. Turn {state.turn + 1} of {state.max_turns}.\n"
            f"Fireworks: {fireworks}. Hint tokens: {state.hints} of {state.max_hints}. Lives: {state.lives}. "
            f"Deck: {len(state.deck)} card(s). Discarded: {discards}.\n"
            f"Your partner's cards: {partner}.\nYour cards, as hints showed them (? unknown): {mine}.\n"
            f"History: {'; '.join(state.log) if state.log else 'none yet'}.\n"
            f"Legal moves: {bracket_list(legal)}\n" + ANSWER_FORMAT.format(example=legal[0])
        )
