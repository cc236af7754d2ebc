"""Solver agents: known game values, strength against random play, honest inputs."""

from __future__ import annotations

import numpy as np
import pytest

import zeroplay as zp
from zeroplay import agents
from zeroplay.agents.game_solvers import AlphaBeta, NashAgent, leduc_equilibrium, nim_move
from zeroplay.envs.games.cfr import PublicTree, exploitability
from zeroplay.envs.games.connect_four import ConnectFourState
from zeroplay.envs.games.leduc_holdem import LeducHoldemState
from zeroplay.envs.games.nim import NimState
from zeroplay.envs.games.tictactoe import TicTacToeState


def match(env_id: str, a: agents.Agent, b: agents.Agent, n: int, **env_kwargs) -> np.ndarray:
    """Mean returns of seats 0 and 1 over n games."""
    env = zp.make(env_id, **env_kwargs)
    total = np.zeros(2)
    for g in range(n):
        obs, info = env.reset(seed=g)
        while True:
            actor = (a, b)[info["player"]]
            obs, _, terminated, _, info = env.step(actor.act([obs], [info])[0])
            if terminated:
                break
        assert not info.get("invalid_move"), info
        total += info["returns"]
    return total / n


def test_tictactoe_value_under_minimax_is_zero() -> None:
    assert AlphaBeta().value(TicTacToeState()) == 0.0
    # a won position is worth 1 to the player to move
    assert AlphaBeta().value(TicTacToeState.from_view("XX.OO....")) == 1.0


def test_nim_values_follow_the_nim_sum() -> None:
    for piles in ([3, 4, 5], [1, 2, 3], [2, 2], [1, 4, 6, 3], [7]):
        nim_sum = np.bitwise_xor.reduce(piles)
        assert AlphaBeta().value(NimState(piles)) == (1.0 if nim_sum else -1.0), piles
    # misère Nim with all piles of one: the player to move wins iff the count is even
    assert AlphaBeta().value(NimState([1, 1], misere=True)) == 1.0
    assert AlphaBeta().value(NimState([1, 1, 1], misere=True)) == -1.0


def test_nim_sum_rule_agrees_with_search() -> None:
    rng = np.random.default_rng(0)
    for _ in range(150):
        piles = [int(x) for x in rng.integers(0, 5, size=int(rng.integers(1, 4)))]
        misere = bool(rng.integers(2))
        if not any(piles):
            continue
        state = NimState(piles, misere=misere)
        won = AlphaBeta().value(state) > 0
        child = state.clone()
        child.apply_action(nim_move(piles, misere))
        if child.is_terminal():
            reached = child.returns()[0] > 0
        else:  # our move wins iff the opponent, now to move, is lost
            reached = AlphaBeta().value(child) < 0
        assert reached == won, (piles, misere)


def test_minimax_plays_huge_nim_without_searching() -> None:
    piles = [40, 33, 27, 50, 12, 9, 45]  # nim-sum 8: a first-player win, far too big to search
    mm = agents.make("minimax", seed=0)
    assert match("zeroplay/Nim-v0", mm, agents.make("random", seed=1), 5, piles=piles)[0] == 1.0


def test_minimax_tictactoe_draws_itself_and_never_loses_to_random() -> None:
    mm = agents.make("minimax", seed=0)
    assert (match("zeroplay/TicTacToe-v0", mm, agents.make("minimax", seed=1), 10) == 0).all()
    as_first = match("zeroplay/TicTacToe-v0", mm, agents.make("random", seed=2), 40)
    as_second = match("zeroplay/TicTacToe-v0", agents.make("random", seed=3), mm, 40)
    assert as_first[0] >= 0.8 and as_second[1] >= 0.4
    assert mm.fallbacks == 0


def test_minimax_plays_perfect_nim() -> None:
    mm = agents.make("minimax", seed=0)
    assert match("zeroplay/Nim-v0", mm, agents.make("random", seed=1), 20)[0] == 1.0  # (3,4,5) is a first-player win


def test_minimax_connect_four_takes_wins_and_blocks() -> None:
    mm = agents.make("minimax", depth=2, seed=0)
    win = "......./......./......./O....../OO...../XXX...."
    assert mm.act(["-"], [{"game": "ConnectFour", "view": win, "legal_actions": list("0123456")}]) == ["[3]"]
    block = "......./......./......./......./X...X../OOO.X.."
    assert mm.act(["-"], [{"game": "ConnectFour", "view": block, "legal_actions": list("0123456")}]) == ["[3]"]
    assert ConnectFourState.from_view(win).current_player() == 0
    assert ConnectFourState.from_view(block).current_player() == 0
    assert match("zeroplay/ConnectFour-v0", mm, agents.make("random", seed=1), 3)[0] == 1.0


def test_minimax_on_a_big_board_stays_within_its_node_budget() -> None:
    env = zp.make("zeroplay/ConnectFour-v0", rows=12, columns=15)
    mm = agents.make("minimax", depth=6, max_nodes=500, seed=0)
    obs, info = env.reset(seed=0)
    for _ in range(2):
        obs, _, terminated, _, info = env.step(mm.act([obs], [info])[0])
        assert not info.get("invalid_move")
    # each move: at most one budget per deepening step (6), plus the last node that overran it
    assert mm.searchers["ConnectFour"].nodes <= 2 * 6 * (500 + 1)
    assert mm.fallbacks == 0


def test_nash_agent_beats_random_in_kuhn_and_leduc() -> None:
    nash = agents.make("nash", seed=0)
    kuhn = match("zeroplay/KuhnPoker-v0", agents.make("random", seed=1), nash, 2000)
    assert kuhn[1] > 0.1  # equilibrium vs random, second seat: about +0.21 chips per hand
    leduc = match("zeroplay/LeducHoldem-v0", nash, agents.make("random", seed=2), 600)
    assert leduc[0] > 0.3
    assert nash.fallbacks == 0


def test_leduc_equilibrium_is_nearly_unexploitable() -> None:
    tree = PublicTree.build(LeducHoldemState.chance_deals())
    assert exploitability(tree, leduc_equilibrium()) < 1e-3


def test_nash_sampling_follows_the_strategy() -> None:
    nash = NashAgent(alpha=1 / 3, seed=0)
    info = {"game": "KuhnPoker", "view": "K", "legal_actions": ["check", "bet"]}
    assert set(nash.act(["-"] * 200, [info] * 200)) == {"[bet]"}  # K bets with 3 * alpha = 1
    info = {"game": "KuhnPoker", "view": "Jp", "legal_actions": ["check", "bet"]}
    bets = nash.act(["-"] * 3000, [info] * 3000).count("[bet]") / 3000
    assert bets == pytest.approx(1 / 3, abs=0.03)


def test_negotiator_beats_random_and_accepts_only_gains() -> None:
    neg = agents.make("negotiator", seed=0)
    assert match("zeroplay/SimpleNegotiation-v0", neg, agents.make("random", seed=1), 100)[0] > 0.5
    assert match("zeroplay/DealOrNoDeal-v0", agents.make("random", seed=2), neg, 200)[1] > 0.2
    view = "inv=10,10,10,10,10;val=5,10,15,25,40;offer={};turn=2/10"
    legal = ["Accept", "Deny", "Pass"]
    good = neg.act(["-"], [{"game": "SimpleNegotiation", "view": view.format("1,0,0,0,0>0,0,0,0,1"), "legal_actions": legal}])
    bad = neg.act(["-"], [{"game": "SimpleNegotiation", "view": view.format("0,0,0,0,1>1,0,0,0,0"), "legal_actions": legal}])
    assert good == ["[Accept]"] and bad[0].startswith("[Offer: 2 Wheat -> 1 Ore")


@pytest.mark.parametrize("name", ["minimax", "nash", "negotiator"])
def test_solvers_fall_back_to_random_legal_moves_elsewhere(name: str) -> None:
    agent = agents.make(name, seed=0)
    out = agent.act(["obs", "obs"], [{"legal_actions": ["a", "b"]}, {"game": "Chess", "view": "??", "legal_actions": ["e4"]}])
    assert out[0] in ("[a]", "[b]") and out[1] == "[e4]"
    assert agent.fallbacks == 2


def test_solvers_get_only_the_players_view() -> None:
    """The infos agents read carry the acting player's view, never the opponent's cards."""
    env = zp.make("zeroplay/KuhnPoker-v0")
    for seed in range(10):
        _, info = env.reset(seed=seed)
        state = env.unwrapped.state
        assert set(info) == {"player", "legal_actions", "game", "view"}
        assert "JQK"[state.cards[1]] not in info["view"]
