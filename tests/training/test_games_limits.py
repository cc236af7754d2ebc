"""The games loop on broken or endless envs: every game it plays ends, and a broken env fails in one line.

The bad envs live here and are registered by the tests (under ``tests/``), never in zeroplay. The
endless one refuses to be played past :data:`RUNAWAY` moves, so a missing move limit fails a test
instead of hanging it.
"""

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.agents.base import Agent
from zeroplay.core import GameState, TurnBasedEnv
from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.config import GamesConfig
from zeroplay.training.selfplay.games import check_turn, game_over, play_matches

from .conftest import tiny_config

#: Moves after which the endless game raises: far past any limit the tests set.
RUNAWAY = 200


class Endless(GameState):
    """Two players take turns forever (``moves_left`` set: then the player to act has no moves)."""

    num_players = 2

    def __init__(self, moves_left: int | None = None):
        self.player, self.moves, self.moves_left = 0, 0, moves_left

    def current_player(self) -> int:
        return self.player

    def legal_actions(self) -> list[str]:
        return [] if self.moves_left is not None and self.moves >= self.moves_left else ["a", "b"]

    def apply_action(self, action: str) -> None:
        self.moves += 1
        if self.moves > RUNAWAY:
            raise AssertionError(f"played {self.moves} moves: the loop has no move limit")
        self.player = 1 - self.player

    def is_terminal(self) -> bool:
        return False

    def returns(self) -> list[float]:
        return [0.0, 0.0]


class EndlessEnv(TurnBasedEnv):
    """Never ends; any text is a move (the first legal one), so even a random model plays legally.
    ``moves_left``: the game stalls after that many moves, not over but with no legal move."""

    def __init__(self, moves_left: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.moves_left = moves_left

    def new_state(self, rng: np.random.Generator) -> GameState:
        return Endless(self.moves_left)

    def observe(self, state: GameState, player: int) -> str:
        return f"player {player}, move {state.moves}: write [a] or [b]"

    def parse_action(self, text: str, state: GameState) -> str | None:
        legal = state.legal_actions()
        return legal[0] if legal else None


class SelfCuttingEnv(EndlessEnv):
    """Cuts its own game after 3 moves as TextArena does at ``max_turns``: ``truncated``, returns all 0."""

    def step(self, action: str):
        obs, reward, terminated, truncated, info = super().step(action)
        if self.state.moves >= 3:
            self._done = True
            return obs, 0.0, False, True, {**info, "player": -1, "legal_actions": [], "returns": [0.0, 0.0]}
        return obs, reward, terminated, truncated, info


class FirstMove(Agent):
    """Scripted: always writes ``[a]``."""

    name = "first"

    def act(self, observations, infos=None):
        return ["[a]"] * len(observations)


@pytest.fixture(autouse=True)
def bad_envs():
    zp.register("tests/Endless-v0", entry_point=EndlessEnv)
    zp.register("tests/Stalls-v0", entry_point=EndlessEnv, moves_left=2)
    zp.register("tests/NoMoves-v0", entry_point=EndlessEnv, moves_left=0)
    zp.register("tests/SelfCutting-v0", entry_point=SelfCuttingEnv)


def _config(tmp_path, env, **over):
    return config_from_dict(tiny_config(tmp_path, steps=1, **{
        "games.env": env, "games.observation": "full", "games.max_moves": 6, "games.games_per_step": 4,
        "eval.exploitability": False, "eval.games": 4, **over}))


# -- the move limit ------------------------------------------------------------------------

def test_game_over_keeps_an_ended_game_and_scores_a_cut_one_a_draw():
    env = zp.make("tests/Endless-v0")
    env.reset(seed=0)
    ended = {"player": -1, "returns": [1.0, -1.0], "invalid_move": True, "offender": 1}
    assert game_over(env, ended, True, False, 9, 6) is ended  # the env's own end wins, even past the limit
    assert game_over(env, {"player": 0, "legal_actions": ["a"]}, False, False, 5, 6) is None
    cut = game_over(env, {"player": 0, "legal_actions": ["a"], "invalid_move": True, "reason": "r"}, False, False, 6, 6)
    assert cut == {"player": -1, "legal_actions": [], "truncated": True, "returns": [0.0, 0.0]}
    by_env = game_over(env, {"player": -1, "returns": [0.5, -0.5]}, False, True, 2, 6)
    assert by_env["truncated"] and by_env["returns"] == [0.5, -0.5]  # the env's own returns when it cut


def test_evaluation_games_are_cut_at_the_limit_as_draws():
    results = play_matches("tests/Endless-v0", {}, [[FirstMove(), FirstMove()]] * 3, seed=0, max_moves=7)
    assert results == [{"returns": [0.0, 0.0], "moves": 7, "truncated": True, "invalid_by": None}] * 3


def test_a_game_the_env_cuts_itself_ends_there():
    # before, `truncated` was ignored and the next step raised EpisodeOverError
    results = play_matches("tests/SelfCutting-v0", {}, [[FirstMove(), FirstMove()]], seed=0, max_moves=50)
    assert results == [{"returns": [0.0, 0.0], "moves": 3, "truncated": True, "invalid_by": None}]


def test_training_on_an_endless_game_cuts_every_game_counts_and_warns_once(tmp_path, capsys):
    run_dir = train(_config(tmp_path, "tests/Endless-v0"), quiet=True)
    rows = read_metrics(run_dir)
    step0, step1 = rows[0], rows[-1]
    assert step1["selfplay/truncated_rate"] == 1.0
    assert step1["selfplay/Endless-v0/truncated_rate"] == 1.0
    assert step1["selfplay/moves_per_game"] == 6.0
    assert step1["selfplay/invalid_rate"] == 0.0
    assert step1["selfplay/Endless-v0/p0/reward"] == 0.0 and step1["reward/mean"] == 0.0  # a draw
    for row in (step0, step1):  # evaluation before and after
        assert row["eval/random/truncated_rate"] == 1.0
        assert row["eval/random/mean_return"] == 0.0 and row["eval/random/win_rate"] == 0.0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3, warnings  # warm-up, self-play, evaluation: once each, not once per step
    assert all("tests/Endless-v0" in w and "games.max_moves=6" in w for w in warnings)


def test_the_default_limit_cuts_no_game_of_the_demo():
    """Kuhn Poker (the demo's game) and the recipes' games end far inside the default, even in random play."""
    limit = GamesConfig.model_fields["max_moves"].default
    rng = np.random.default_rng(0)
    for env_id in ("zeroplay/KuhnPoker-v0", "zeroplay/LeducHoldem-v0", "zeroplay/TicTacToe-v0", "zeroplay/Nim-v0",
                   "zeroplay/SimpleNegotiation-v0", "zeroplay/TinyHanabi-v0", "zeroplay/LewisSignaling-v0"):
        env = zp.make(env_id)
        for g in range(20):
            obs, info = env.reset(seed=g)
            for moves in range(1, limit + 1):
                legal = info["legal_actions"]
                obs, _, terminated, truncated, info = env.step(f"[{legal[int(rng.integers(len(legal)))]}]")
                if terminated or truncated:
                    break
            assert moves < limit / 10, (env_id, moves)


# -- broken envs -----------------------------------------------------------------------------

def test_a_game_with_no_legal_move_is_the_envs_fault_not_the_players():
    with pytest.raises(ConfigError, match=r"env tests/Stalls-v0 is broken: after 2 move\(s\) .* no legal moves"):
        play_matches("tests/Stalls-v0", {}, [[FirstMove(), FirstMove()]], seed=0)
    check_turn("x", "", {"player": -1, "legal_actions": []}, 3)  # a finished game has none: fine
    check_turn("x", "", {"player": 0}, 3)  # an env that does not list its moves is not checked


@pytest.mark.parametrize("env_id, moves", [("tests/NoMoves-v0", 0), ("tests/Stalls-v0", 2)])
def test_training_stops_at_the_first_state_without_legal_moves(tmp_path, env_id, moves):
    # NoMoves: at the loop's start; Stalls: in the warm-up's random games
    with pytest.raises(ConfigError, match=rf"env {env_id} is broken: after {moves} move\(s\)"):
        train(_config(tmp_path, env_id), quiet=True)


@pytest.mark.parametrize("model", ["tiny", "path"])
def test_view_observation_on_a_game_without_a_view_is_an_error(tmp_path, tiny_model_dir, model):
    # tiny: its tokenizer's corpus is read first; path: the loop's own check at the start
    over = {"model.path": str(tiny_model_dir)} if model == "path" else {}
    with pytest.raises(ConfigError, match=r"games.observation: view needs info\['view'\], which tests/Endless-v0 "
                                          r"does not give at reset; set games.observation: full"):
        train(_config(tmp_path, "tests/Endless-v0", **{"games.observation": "view", **over}), quiet=True)
