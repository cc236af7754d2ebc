"""Lewis signaling game: a cooperative game of two players who must agree on what words mean.

Chance draws a secret state (one of ``states``, uniformly). The sender (player 0) sees it and
sends one message from ``messages`` letters (``a``, ``b``, ...); the receiver (player 1) sees
only the message and guesses the state. Both get +1 when the guess is right, else 0: returns are
equal (cooperative, not zero-sum; :mod:`zeroplay.envs.games.cooperative`).

Known values: the optimal team return is ``min(messages, states) / states`` (1.0 by default: a
one-to-one code), :func:`optimal_team_return`; a random team scores ``1 / states``. Chance is
enumerated by :meth:`LewisSignalingState.chance_outcomes`, so a team's exact return is a sum.

``info["view"]`` is ``s`` then the state digit for the sender (``"s2"``), ``m`` then the
message letter for the receiver (``"mb"``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from zeroplay.envs.games.base import ANSWER_FORMAT, Game, bracket_list
from zeroplay.envs.games.cooperative import CooperativeGameEnv

SENDER, RECEIVER = 0, 1
LETTERS = "abcdefghij"
MAX_SIZE = len(LETTERS)


def optimal_team_return(states: int, messages: int) -> float:
    """The best expected team return: each message can name at most one state correctly."""
    return min(messages, states) / states


class LewisSignalingState(Game):
    """The secret ``state``, then the ``message`` sent (None before) and the ``guess`` (None before)."""

    name: ClassVar[str] = "LewisSignaling"

    def __init__(self, state: int, states: int = 3, messages: int = 3):
        self.state, self.states, self.messages = state, states, messages
        self.message: str | None = None
        self.guess: int | None = None

    @classmethod
    def chance_outcomes(cls, states: int = 3, messages: int = 3) -> list[tuple[float, LewisSignalingState]]:
        """Every secret state with its probability (for exact team returns)."""
        return [(1 / states, cls(s, states, messages)) for s in range(states)]

    def current_player(self) -> int:
        return SENDER if self.message is None else RECEIVER

    def legal_actions(self) -> list[str]:
        if self.message is None:
            return list(LETTERS[:self.messages])
        return [str(s) for s in range(self.states)]

    def apply_action(self, action: str) -> None:
        if self.message is None:
            self.message = action
        else:
            self.guess = int(action)

    def is_terminal(self) -> bool:
        return self.guess is not None

    def returns(self) -> list[float]:
        score = 1.0 if self.guess == self.state else 0.0
        return [score, score]

    def view(self, player: int) -> str:
        return f"s{self.state}" if player == SENDER else f"m{self.message}"


class LewisSignaling(CooperativeGameEnv):
    """``zeroplay/LewisSignaling-v0``: see the module docstring. Kwargs: ``states`` (default 3),
    ``messages`` (default: as many as states), both 2-10."""

    def __init__(self, states: int = 3, messages: int | None = None, **kwargs):
        super().__init__(**kwargs)
        messages = states if messages is None else messages
        for what, n in (("states", states), ("messages", messages)):
            if not 2 <= n <= MAX_SIZE:
                raise ValueError(f"{what} must be in 2..{MAX_SIZE}, got {n}")
        self.states, self.messages = states, messages

    def new_state(self, rng: np.random.Generator) -> LewisSignalingState:
        return LewisSignalingState(int(rng.integers(self.states)), self.states, self.messages)

    def observe(self, state: LewisSignalingState, player: int) -> str:
        head = (
            f"Signaling game (cooperative). A secret state is one of 0-{state.states - 1}. The sender sees it "
            f"and sends one message ({', '.join(LETTERS[:state.messages])}); the receiver sees only the "
            "message and guesses the state. Both score 1 if the guess is right, else 0.\n"
        )
        if state.is_terminal():
            return (f"{head}The state was {state.state}, the message {state.message}, the guess {state.guess}. "
                    f"Game over: team score {state.returns()[0]:g}.")
        legal = state.legal_actions()
        if player == SENDER:
            body = f"You are the sender. The secret state is {state.state}. Send a message.\n"
        else:
            body = f"You are the receiver. The sender's message is {state.message}. Guess the state.\n"
        return f"{head}{body}Legal moves: {bracket_list(legal)}\n" + ANSWER_FORMAT.format(example=legal[0])
