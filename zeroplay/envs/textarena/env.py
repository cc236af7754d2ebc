"""One TextArena game under zeroplay's turn protocol (:class:`zeroplay.core.env.TurnBasedEnv`).

``TextArenaEnv(game="TicTacToe-v0", num_players=None)`` plays TextArena's game with its default
wrappers, as TextArena's users run it. What it guarantees:

- **A fresh TextArena env per** ``reset``: TextArena's own env keeps the old history across its
  resets (observations grow without bound), so each game gets a new ``ta.make(game)``.
- **Reproducible seeds, no global side effects**: TextArena draws from Python's global ``random``
  (and re-seeds it process-wide). Every call into TextArena runs on this env's own generator state,
  swapped in and out of ``random``, seeded from ``self.np_random``: ``reset(seed=s)`` gives the same
  game every time, and the process's ``random`` is left as it was.
- **The turn protocol**: ``info["player"]`` is the player to act; ``step`` applies that player's
  move and its reward goes to that player (0 until the end); at the end ``info["returns"]`` holds
  every player's return as TextArena's rewards give it (win/loss games sum to 0; a few games of
  TextArena's, e.g. the public-goods and negotiation games, are not zero-sum and sum as they score).
  ``info["legal_actions"]`` is there for the games of :data:`LEGAL_ACTIONS` (TextArena does not
  expose legal moves in general); elsewhere the key is absent and the observation says the format.
- **Invalid moves never raise**: TextArena's own rule applies (in most games one retry, then the
  offender loses; some multi-player games eliminate the offender and play on). Whenever TextArena
  rejects a move, ``info["invalid_move"] = True`` and ``info["reason"]`` is TextArena's reason
  (with ``info["offender"]`` when it ends the game). A move on which TextArena itself raises ends
  the game: the offender gets ``invalid_move_penalty`` and the others share its opposite. When
  every player has been eliminated for invalid moves, each gets ``invalid_move_penalty``.
- **Bounded games**: after ``max_turns`` moves the game is cut (``truncated=True``, returns all 0).
  Actions longer than ``max_action_chars`` keep their end (answers come last); observations
  longer than ``max_observation_chars`` keep the head (the rules) and the tail (the latest moves).

Does not: check that a game's rules are right (they are TextArena's), or bound the time of one
TextArena step. While TextArena runs, ``sys.stdout`` is redirected (some games print debug output),
so prints from other threads in that moment are lost too.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
from collections.abc import Callable, Iterator
from typing import Any

from zeroplay.core.env import TextEnv
from zeroplay.core.errors import EpisodeOverError
from zeroplay.core.optional import require
from zeroplay.envs.textarena import PLAYERS, SKIPPED, game_of


def _board_cells(env: Any) -> list[str]:
    board = env.state.game_state["board"]
    return [str(r * 3 + c) for r in range(3) for c in range(3) if board[r][c] == ""]


def _open_columns(env: Any) -> list[str]:
    top = env.state.game_state["board"][0]
    return [str(c) for c, cell in enumerate(top) if cell == "."]


def _nim_moves(env: Any) -> list[str]:
    piles = env.state.game_state["piles"]
    return [f"{i} {q}" for i, size in enumerate(piles) for q in range(1, size + 1)]


def _kuhn_moves(env: Any) -> list[str]:
    tree = env.state.game_state.get("current_legal_action_tree")
    return list(tree) if isinstance(tree, dict) else []


#: TextArena game -> the legal moves of the player to act (the text inside the brackets), read
#: from TextArena's own game state.
LEGAL_ACTIONS: dict[str, Callable[[Any], list[str]]] = {
    "TicTacToe": _board_cells,
    "ConnectFour": _open_columns,
    "Nim": _nim_moves,
    "KuhnPoker": _kuhn_moves,
    "IteratedRockPaperScissors": lambda env: ["rock", "paper", "scissors"],
    "IteratedMatchingPennies": lambda env: ["heads", "tails"],
}


class TextArenaEnv(TextEnv):
    """A TextArena game (``game``: its TextArena id) as a zeroplay turn-based env; see the module docstring.

    ``num_players``: how many play (default: the fewest the game takes, see
    :data:`zeroplay.envs.textarena.PLAYERS`).
    """

    def __init__(
        self,
        game: str = "TicTacToe-v0",
        *,
        num_players: int | None = None,
        max_turns: int = 1000,
        max_action_chars: int = 4096,
        max_observation_chars: int = 1 << 18,
        invalid_move_penalty: float = -1.0,
        render_mode: str | None = None,
    ):
        super().__init__(render_mode=render_mode)
        outer = random.getstate()  # importing textarena draws from the global random once
        self._ta = require("textarena", "textarena", "TextArena games")
        random.setstate(outer)
        from textarena.envs.registration import ENV_REGISTRY

        if game not in ENV_REGISTRY:
            raise ValueError(f"TextArena has no game {game!r}; zp.registered() lists the zeroplay/ta/ ids")
        self.game = game
        self.game_name = game_of(ENV_REGISTRY[game].entry_point)
        if self.game_name not in PLAYERS or self.game_name in SKIPPED:
            why = SKIPPED.get(self.game_name, "a single-player game or one not checked on textarena 0.7.4")
            raise ValueError(f"TextArena's {game} is not supported: {why}")
        low, high = PLAYERS[self.game_name]
        self.num_players = low if num_players is None else int(num_players)
        if not low <= self.num_players <= high:
            raise ValueError(f"{game} takes {low}..{high} players, got num_players={num_players}")
        for name, value in (("max_turns", max_turns), ("max_action_chars", max_action_chars),
                            ("max_observation_chars", max_observation_chars)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        self.max_turns, self.max_action_chars = max_turns, max_action_chars
        self.max_observation_chars = min(max_observation_chars, self.observation_space.max_length)
        self.invalid_move_penalty = float(invalid_move_penalty)
        self._legal = LEGAL_ACTIONS.get(self.game_name)
        self._inner: Any = None
        self._random_state: Any = None
        self._rejections: list[str] = []
        self._player, self._turns, self._done, self._everyone_out = 0, 0, True, False

    # -- gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed, options=options)
        ta_seed = int(self.np_random.integers(1 << 31))
        self._random_state = random.Random(ta_seed).getstate()
        with self._own_random():
            self._inner = self._ta.make(self.game)  # fresh: TextArena's env keeps its history across resets
            self._inner.reset(num_players=self.num_players, seed=ta_seed)
            self._watch_rejections()
            self._player, obs = self._inner.get_observation()
        self._turns, self._done, self._everyone_out = 0, False, False
        return self._show(obs), self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._inner is None or self._done:
            raise EpisodeOverError("step() called on a finished or never-started game; call reset() first")
        player = self._player
        text, problem = self.clean_action(action)
        text = text[-self.max_action_chars:]
        self._rejections = []
        try:
            with self._own_random():
                done, _ = self._inner.step(text)
                self._turns += 1
                if not done and self._turns < self.max_turns:
                    self._player, obs = self._inner.get_observation()
        except Exception as e:  # noqa: BLE001 - TextArena's own bugs on odd input must not crash a run
            return self._forfeit(player, f"TextArena raised {type(e).__name__} on this move: {str(e)[:200]}")
        if done:
            return self._finish(player)
        if self._turns >= self.max_turns:
            return self._end(player, [0.0] * self.num_players, f"cut after max_turns={self.max_turns} moves",
                             truncated=True)
        info = self._info()
        if self._rejections:
            info.update(invalid_move=True, reason="; ".join(self._rejections + [problem] * bool(problem)))
        return self._show(obs), 0.0, False, False, info

    # -- helpers -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _own_random(self) -> Iterator[None]:
        """Run TextArena on this env's generator state, leaving the process's ``random`` as it was;
        what its games print (debug output of some) is dropped."""
        outer = random.getstate()
        random.setstate(self._random_state)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                yield
        finally:
            self._random_state = random.getstate()
            random.setstate(outer)

    def _watch_rejections(self) -> None:
        """Record the reason each time TextArena rejects a move (every game reports it through its state)."""
        state = self._inner.state
        original = state.set_invalid_move

        def set_invalid_move(*args: Any, **kwargs: Any) -> Any:
            self._rejections.append(str(kwargs.get("reason", args[0] if args else "invalid move")))
            result = original(*args, **kwargs)
            out = getattr(state, "elimination_order", None)
            if isinstance(out, list) and len(set(out)) >= self.num_players and not state.done:
                # everyone eliminated: TextArena's turn rotation would look for a live player forever
                state.done, self._everyone_out = True, True
            return result

        state.set_invalid_move = set_invalid_move

    def _finish(self, player: int) -> tuple[str, float, bool, bool, dict[str, Any]]:
        rewards, game_info = self._inner.close()
        rewards = rewards if isinstance(rewards, dict) else {}
        if not rewards and self._everyone_out:
            rewards = dict.fromkeys(range(self.num_players), self.invalid_move_penalty)
        returns = [float(rewards.get(p, 0.0)) for p in range(self.num_players)]
        returns = [r if math.isfinite(r) else 0.0 for r in returns]
        mine = game_info.get(player, {}) if isinstance(game_info, dict) else {}
        outcome = str(mine.get("reason", "")) if isinstance(mine, dict) else ""
        obs, reward, terminated, truncated, info = self._end(player, returns, outcome)
        if self._rejections or (isinstance(mine, dict) and mine.get("invalid_move")):
            info.update(invalid_move=True, reason="; ".join(self._rejections) or outcome, offender=player)
        return obs, reward, terminated, truncated, info

    def _forfeit(self, player: int, reason: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        returns = [-self.invalid_move_penalty / (self.num_players - 1)] * self.num_players
        returns[player] = self.invalid_move_penalty
        obs, reward, terminated, truncated, info = self._end(player, returns, f"player {player} forfeits: {reason}")
        info.update(invalid_move=True, reason=reason, offender=player)
        return obs, reward, terminated, truncated, info

    def _end(self, player: int, returns: list[float], outcome: str, *, truncated: bool = False,
             ) -> tuple[str, float, bool, bool, dict[str, Any]]:
        self._done = True
        obs = f"Game over. {outcome}".rstrip() + f"\nReturns: {returns}"
        info = {"player": -1, "legal_actions": [], "returns": returns, "outcome": outcome}
        return self._show(obs), returns[player], not truncated, truncated, info

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"player": self._player, "game": self.game}
        if self._legal is not None:
            with contextlib.suppress(Exception):  # a reader that cannot read this state: no list
                info["legal_actions"] = self._legal(self._unwrapped())
        return info

    def _unwrapped(self) -> Any:
        """The TextArena env under its wrappers (where its game state lives)."""
        env = self._inner
        while isinstance(env, self._ta.Wrapper):
            env = env.env
        return env

    def _show(self, obs: Any) -> str:
        text = obs if isinstance(obs, str) else "\n".join(str(m[1]) if isinstance(m, tuple) else str(m) for m in obs or [])
        text = text.strip() or "(no new messages; it is your move)"
        if len(text) > self.max_observation_chars:
            head = self.max_observation_chars // 4
            tail = self.max_observation_chars - head - 80
            text = f"{text[:head]}\n[... {len(text) - head - tail} characters of history cut ...]\n{text[-tail:]}"
        self._last_obs = text
        return text

