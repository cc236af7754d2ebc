"""The text environment bases: :class:`TextEnv`, :class:`TurnBasedEnv` and :class:`GameState`.

Observations and actions are ``str``. Model output is hostile input: ``step`` never raises on
what an agent writes (empty, megabytes, binary junk); it penalizes it as the env documents.
"""

from __future__ import annotations

import abc
import hashlib
import re
import string
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from zeroplay.core.errors import ConfigError, EpisodeOverError

#: Longest action an env reads; the rest of a longer model output is ignored (and flagged).
MAX_ACTION_CHARS = 1 << 16


class TextSpace(spaces.Text):
    """A :class:`gymnasium.spaces.Text` that holds any ``str`` up to ``max_length`` characters.

    gymnasium's ``Text`` only admits characters of its charset, and model text holds any
    character; samples are still drawn from printable ASCII.
    """

    def __init__(self, max_length: int, *, min_length: int = 0, seed: int | None = None):
        super().__init__(max_length, min_length=min_length, charset=string.printable, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"TextSpace({self.min_length}, {self.max_length})"


class TextEnv(gym.Env[str, str]):
    """Base of every zeroplay env: ``str`` observations and actions.

    Subclasses draw all randomness from ``self.np_random`` after ``super().reset(seed=seed)``.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"]}
    observation_space: TextSpace = TextSpace(1 << 20)
    action_space: TextSpace = TextSpace(MAX_ACTION_CHARS)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Seed ``self.np_random`` (when ``seed`` is given); subclasses call this first, then draw from it."""
        if isinstance(seed, int) and 0 <= seed < 1 << 256:
            self._seed_rng(seed)
            seed = None  # seeded here; gymnasium's reset then keeps this generator
        super().reset(seed=seed, options=options)
        return self._last_obs, {}

    def _seed_rng(self, seed: int) -> None:
        """Seed ``self.np_random`` from ``seed``, as gymnasium does but about 3x cheaper.

        Text envs are short episodes, so gymnasium's per-reset seeding (a fresh SeedSequence and
        generator) is a large share of an episode's cost. Here one PCG64 generator is kept and
        its 128-bit state and stream are set from a BLAKE2b hash of the seed: the same seed gives
        the same stream, different seeds independent ones. (The streams differ from gymnasium's.)
        """
        digest = hashlib.blake2b(seed.to_bytes(32, "little"), digest_size=32).digest()
        generator = self._np_random
        if generator is None or not isinstance(generator.bit_generator, np.random.PCG64):
            generator = np.random.Generator(np.random.PCG64())
        generator.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(digest[:16], "little"), "inc": int.from_bytes(digest[16:], "little") | 1},
            "has_uint32": 0,
            "uinteger": 0,
        }
        self._np_random, self._np_random_seed = generator, seed

    def __init__(self, render_mode: str | None = None):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self._last_obs = ""

    @staticmethod
    def clean_action(action: Any) -> tuple[str, str | None]:
        """Coerce an agent's action to text: returns (text, problem or None). Never raises."""
        if isinstance(action, bytes):
            action = action.decode("utf-8", errors="replace")
        if not isinstance(action, str):
            return "", f"action must be str, got {type(action).__name__}"
        if len(action) > MAX_ACTION_CHARS:
            # keep the end: answers come last in model output
            return action[-MAX_ACTION_CHARS:], f"action longer than {MAX_ACTION_CHARS} chars was truncated"
        return action, None

    def render(self) -> str | None:
        return self._last_obs if self.render_mode == "ansi" else None


class GameState(abc.ABC):
    """Rules of a turn-based game, free of text (as in OpenSpiel).

    Chance is resolved from the rng given at construction, so a state is a plain value.
    Methods stay small; an env wraps a state with a renderer and a move parser.
    """

    num_players: ClassVar[int] = 2

    @abc.abstractmethod
    def current_player(self) -> int:
        """The player to act (0-based). Undefined once terminal."""

    @abc.abstractmethod
    def legal_actions(self) -> list[str]:
        """Legal moves of the current player, as the text a player writes inside brackets."""

    @abc.abstractmethod
    def apply_action(self, action: str) -> None:
        """Apply a legal move of the current player."""

    @abc.abstractmethod
    def is_terminal(self) -> bool: ...

    @abc.abstractmethod
    def returns(self) -> list[float]:
        """Each player's return; meaningful once terminal."""


_BRACKETED = re.compile(r"\[\s*([^\[\]\n]{1,64}?)\s*\]")


def last_bracketed(text: str) -> str | None:
    """The last ``[move]`` in ``text`` (reasoning may come before it), or None."""
    found = _BRACKETED.findall(text[-4096:])
    return found[-1] if found else None


_NUMBER_TOKEN = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def move_numbers(move: str, max_digits: int = 3) -> list[int] | None:
    """The whole numbers written in a move, in order; None when one is signed, has a decimal part or
    more than ``max_digits`` digits (``[0 -1]`` is no ``0 1``, ``[1.4 2]`` no ``4 2``): a garbled move is
    an invalid one, never another legal move."""
    tokens = _NUMBER_TOKEN.findall(move)
    if any(not t.isdigit() or len(t) > max_digits for t in tokens):
        return None
    return [int(t) for t in tokens]


class TurnBasedEnv(TextEnv):
    """A turn-based game of ``num_players`` players in one env, under the turn protocol below.

    ``info["player"]`` is the player to act and ``info["legal_actions"]`` its legal moves;
    ``step`` applies that player's move and its reward goes to that player; at the end
    ``info["returns"]`` holds every player's return.

    Invalid moves (unparsable or illegal): with ``invalid_move_retries=0`` (default) the
    offender loses at once: returns ``invalid_move_penalty`` for the offender and
    ``-invalid_move_penalty / (n - 1)`` for each other player, so the game stays zero-sum.
    With ``invalid_move_retries=k`` the offender may try again k times; the next observation
    starts with the error. Either way ``info["invalid_move"] = True`` and
    ``info["reason"]`` says what was wrong (and, when it ends the game, ``info["offender"]`` who).

    Subclasses implement :meth:`new_state` and :meth:`observe`; :meth:`parse_action` reads the
    last bracketed move by default.
    """

    def __init__(
        self,
        *,
        invalid_move_retries: int = 0,
        invalid_move_penalty: float = -1.0,
        render_mode: str | None = None,
    ):
        super().__init__(render_mode=render_mode)
        if invalid_move_retries < 0:
            raise ValueError(f"invalid_move_retries must be >= 0, got {invalid_move_retries}")
        self.invalid_move_retries = invalid_move_retries
        self.invalid_move_penalty = float(invalid_move_penalty)
        self.state: GameState | None = None
        self._retries_left = 0
        self._done = True

    # -- what a game defines -------------------------------------------------------------
    @abc.abstractmethod
    def new_state(self, rng: np.random.Generator) -> GameState:
        """A fresh game; chance (deals, who starts) drawn from ``rng``."""

    @abc.abstractmethod
    def observe(self, state: GameState, player: int) -> str:
        """``player``'s own view as text: what they know, the history, legal moves, answer format."""

    def info_extras(self, state: GameState) -> dict[str, Any]:
        """Extra public keys merged into ``info`` while the game runs (default none).

        A hook for games that hand scripted agents a compact, public-information-only view
        (e.g. ``info["view"]``) instead of the whole state.
        """
        return {}

    def parse_action(self, text: str, state: GameState) -> str | None:
        """The move written in ``text``, matched to a legal move, or None. Case and spaces are ignored."""
        move = last_bracketed(text)
        if move is None:
            return None
        key = " ".join(move.lower().split())
        for legal in state.legal_actions():
            if legal.lower() == key:
                return legal
        return None

    # -- gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self.state = self.new_state(self.np_random)
        self._retries_left = self.invalid_move_retries
        self._done = self.state.is_terminal()
        return self._observation(), self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.state is None or self._done:
            raise EpisodeOverError("step() called on a finished or never-started game; call reset() first")
        state = self.state
        player = state.current_player()
        text, problem = self.clean_action(action)
        move = self.parse_action(text, state) if text else None
        if move is None:
            reason = problem or self._invalid_reason(text, state)
            return self._invalid(player, reason)
        state.apply_action(move)
        self._retries_left = self.invalid_move_retries
        info = self._info()
        if state.is_terminal():
            self._done = True
            returns = [float(r) for r in state.returns()]
            info["returns"] = returns
            return self._observation(player), returns[player], True, False, info
        return self._observation(), 0.0, False, False, info

    # -- helpers -------------------------------------------------------------------------
    def _invalid_reason(self, text: str, state: GameState) -> str:
        legal = state.legal_actions()
        shown = ", ".join(f"[{a}]" for a in legal[:12]) + (" ..." if len(legal) > 12 else "")
        if not text.strip():
            return f"empty move; write one of {shown}"
        found = last_bracketed(text)
        if found is None:
            return f"no move in brackets found; write one of {shown}"
        return f"[{found[:40]}] is not a legal move; legal moves: {shown}"

    def _invalid(self, player: int, reason: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._retries_left > 0:
            self._retries_left -= 1
            info = self._info()
            info.update(invalid_move=True, reason=reason, retries_left=self._retries_left)
            obs = f"Invalid move: {reason}. Try again ({self._retries_left} retries left).\n\n{self._observation()}"
            self._last_obs = obs
            return obs, 0.0, False, False, info
        self._done = True
        n = self.state.num_players
        returns = [-self.invalid_move_penalty / (n - 1)] * n
        returns[player] = self.invalid_move_penalty
        info = {"player": -1, "legal_actions": [], "returns": returns, "invalid_move": True, "reason": reason, "offender": player}
        obs = f"Game over: player {player} made an invalid move ({reason})."
        self._last_obs = obs
        return obs, returns[player], True, False, info

    def _observation(self, player: int | None = None) -> str:
        state = self.state
        if player is None:
            player = state.current_player()
        self._last_obs = self.observe(state, player)
        return self._last_obs

    def _info(self) -> dict[str, Any]:
        state = self.state
        if state.is_terminal():
            return {"player": -1, "legal_actions": []}
        info = {"player": state.current_player(), "legal_actions": state.legal_actions()}
        extras = self.info_extras(state)
        if extras:
            info.update(extras)
        return info


def check_turn(env_id: str, obs: Any, info: dict[str, Any], moves: int) -> None:
    """Raise :class:`ConfigError` if the game goes on (a player to act) with an empty ``info["legal_actions"]``.

    No move could be legal there, so every move would be blamed on the player: the env is broken.
    An env without the key (most TextArena games) is not checked.
    """
    player = info.get("player")
    if isinstance(player, int) and player >= 0 and "legal_actions" in info and not info["legal_actions"]:
        seen = " ".join(str(obs).split())[:100]
        raise ConfigError(f"env {env_id} is broken: after {moves} move(s) its game is not over but player {player} "
                          f"has no legal moves (observation: {seen!r}); end the game there (is_terminal) or give "
                          "the player a move, or play another game")
