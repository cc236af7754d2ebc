"""Played evaluation of two-player games in duplicate form: every deal in both seats, so the luck
of the deal cancels (the games loop once played 40 deals of one seed, 28 of them dealing the model
the higher card)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from zeroplay.agents.base import Agent
from zeroplay.agents.game_solvers import NashAgent
from zeroplay.envs.games.kuhn_poker import kuhn_equilibrium, kuhn_head_to_head
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.rollout import seed_for
from zeroplay.training.selfplay.games import play_duplicate, play_matches

from .conftest import tiny_config

KUHN = "zeroplay/KuhnPoker-v0"
LOOP_SEED = seed_for(0, 7, 0)  # the deals of the games loop's evaluation with seed 0 (the spiral finding)


class Passive(Agent):
    """Never bets, always calls: every Kuhn hand goes to a showdown for one chip."""

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return ["[call]" if "call" in info["legal_actions"] else "[check]" for info in infos or []]


class Recording(Passive):
    """A passive player that notes its card at every move (passive play: one move per game)."""

    def __init__(self) -> None:
        self.cards: list[str] = []

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        self.cards += [info["view"][0] for info in infos or []]
        return super().act(observations, infos)


def test_card_luck_cancels_in_duplicate_form() -> None:
    # showdowns only: the higher card wins 1 chip, so any skew of the deals shows in the mean return
    metrics, results = play_duplicate(KUHN, {}, Passive(), Passive(), 40, seed=LOOP_SEED)
    assert len(results) == 40
    assert metrics["mean_return"] == 0.0 and metrics["win_rate"] == 0.5 and metrics["mean_return_ci95"] == 0.0
    for d in range(20):  # the same deal, seats swapped: the model's returns are opposite
        assert results[2 * d]["returns"][0] == results[2 * d + 1]["returns"][0] == -results[2 * d + 1]["returns"][1]
    # the same 40 games with a deal of their own each (the old evaluation) favour the model's seat
    seats = [[a, b] if g % 2 == 0 else [b, a] for g, (a, b) in enumerate([(Passive(), Passive())] * 40)]
    old = [r["returns"][g % 2] for g, r in enumerate(play_matches(KUHN, {}, seats, seed=LOOP_SEED))]
    assert np.mean(old) == pytest.approx(0.4)  # 28 higher cards of 40


def test_every_deal_is_played_from_both_seats() -> None:
    me, opp = Recording(), Recording()
    play_duplicate(KUHN, {}, me, opp, 40, seed=LOOP_SEED)
    assert len(me.cards) == len(opp.cards) == 40
    assert sorted(me.cards) == sorted(opp.cards)  # both sides held the same hands
    assert me.cards.count("K") < 40 and me.cards.count("J") > 0


def test_played_mean_return_against_nash_matches_the_exact_value() -> None:
    passive = {k: (1.0 if "b" in k else 0.0) for k in kuhn_equilibrium()}
    exact, _ = kuhn_head_to_head(passive, kuhn_equilibrium())
    metrics, _ = play_duplicate(KUHN, {}, Passive(), NashAgent(seed=1), 400, seed=LOOP_SEED)
    assert 0 < metrics["mean_return_ci95"] < 0.2
    assert abs(metrics["mean_return"] - exact) < 2 * metrics["mean_return_ci95"]


def test_odd_games_round_up_and_one_deal_has_no_interval() -> None:
    metrics, results = play_duplicate(KUHN, {}, Passive(), Passive(), 5, seed=1)
    assert len(results) == 6 and "mean_return_ci95" in metrics
    metrics, results = play_duplicate(KUHN, {}, Passive(), Passive(), 2, seed=1)
    assert len(results) == 2 and "mean_return_ci95" not in metrics
    with pytest.raises(ValueError, match="one deal number per game"):
        play_matches(KUHN, {}, [[Passive(), Passive()]] * 2, seed=1, deals=[0])


def test_the_games_loop_reports_the_interval(tmp_path) -> None:
    run = train(config_from_dict(tiny_config(tmp_path, steps=1, **{"eval.games": 5, "eval.exploitability": False})),
                quiet=True)
    rows = read_metrics(run)
    for row in (rows[0], rows[-1]):  # before and after: 3 deals, 6 games
        assert row["eval/random/mean_return_ci95"] >= 0.0
        assert row["eval/random/win_rate"] * 6 == pytest.approx(round(row["eval/random/win_rate"] * 6))
    summary = json.loads((run / "summary.json").read_text())
    assert "eval/random/mean_return_ci95" in summary["eval_after"]  # a row of the before/after table
