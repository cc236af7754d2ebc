"""Exact evaluation of every game with a public tree: known values (Kuhn's, Leduc's), the model's
action probabilities at all information sets, and the games loop's evaluation keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import zeroplay as zp
from zeroplay.agents.game_solvers import EQUILIBRIA, EXACT_OPPONENTS, NashAgent, exact_opponents, kuhn_nash
from zeroplay.core.errors import ConfigError
from zeroplay.envs.games.cfr import expected_values, head_to_head, public_tree, score_policy
from zeroplay.envs.games.kuhn_poker import kuhn_equilibrium, kuhn_exploitability, kuhn_head_to_head
from zeroplay.training import config_from_dict, read_metrics, train

from .conftest import tiny_config

KUHN, LEDUC = "zeroplay/KuhnPoker-v0", "zeroplay/LeducHoldem-v0"


def scored(env_id: str, policy: dict) -> dict[str, float]:
    tree = public_tree(zp.make(env_id))
    return score_policy(tree, policy, exact_opponents(env_id, tree))


def as_actions(p_bet: dict[str, float]) -> dict[str, dict[str, float]]:
    """A Kuhn ``{infoset: P(b)}`` table as ``{infoset: {action: prob}}``."""
    return {k: ({"fold": 1 - p, "call": p} if "b" in k else {"check": 1 - p, "bet": p}) for k, p in p_bet.items()}


# ---- known values through the generic scorer


def test_the_generic_scorer_gives_kuhns_known_numbers() -> None:
    tree = public_tree(zp.make(KUHN))
    assert expected_values(tree, kuhn_nash())[0] == pytest.approx(-1 / 18)  # the game value
    assert scored(KUHN, {})["exploitability"] == pytest.approx(11 / 24)  # uniform random
    assert scored(KUHN, kuhn_nash())["exploitability"] == pytest.approx(0.0, abs=1e-12)
    nudged = {**kuhn_equilibrium(1 / 6), "Qb": 0.5, "J": 0.3}
    for p_bet in (kuhn_equilibrium(1 / 6), nudged, {k: 1.0 for k in kuhn_equilibrium()}):
        out = scored(KUHN, as_actions(p_bet))  # the Kuhn-only functions the demo's numbers came from
        assert out["exploitability"] == pytest.approx(kuhn_exploitability(p_bet), abs=1e-12)
        ret, win = kuhn_head_to_head(p_bet)
        assert (out["exact/random/mean_return"], out["exact/random/win_rate"]) == pytest.approx((ret, win), abs=1e-12)
        ret, win = kuhn_head_to_head(p_bet, kuhn_equilibrium())
        assert (out["exact/nash/mean_return"], out["exact/nash/win_rate"]) == pytest.approx((ret, win), abs=1e-12)


def test_leduc_known_values_uniform_and_cfr_average_policy() -> None:
    assert scored(LEDUC, {})["exploitability"] == pytest.approx(4.747222222 / 2, abs=1e-6)  # OpenSpiel's NashConv / 2
    nash = EQUILIBRIA["LeducHoldem"](0.0, 500)
    out = scored(LEDUC, nash)
    assert out["exploitability"] < 1e-3
    assert out["exact/nash/mean_return"] == pytest.approx(0.0, abs=1e-12)  # itself, each seat half the games
    assert out["exact/random/mean_return"] > 0.5  # an equilibrium wins chips from random play
    tree = public_tree(zp.make(LEDUC))
    assert expected_values(tree, nash)[0] == pytest.approx(-0.0856, abs=5e-3)  # the game value, seat 0
    # always check, fold to any bet: a best response bets every hand and takes the ante, in either seat
    assert scored(LEDUC, tree.policy(np.eye(3)[np.zeros(288, int)]))["exploitability"] == pytest.approx(1.0)


def test_leduc_head_to_head_equals_what_many_played_games_measure() -> None:
    """The exact figures of the CFR policy against random play, against 20,000 games in the real env
    (within 4 standard errors). Ties (split pots) are not wins, as in the played evaluation."""
    tree = public_tree(zp.make(LEDUC))
    nash = EQUILIBRIA["LeducHoldem"](0.0, 500)
    exact_return, exact_win = head_to_head(tree, nash, {})
    env = zp.make(LEDUC)
    rng = np.random.default_rng(0)
    mine = []
    for g in range(20_000):
        seat = g % 2
        _, info = env.reset(seed=g)
        while True:
            legal = info["legal_actions"]
            if info["player"] == seat:
                p = np.array([nash[info["view"]][a] for a in legal])
                move = legal[int(rng.choice(len(legal), p=p / p.sum()))]
            else:
                move = legal[int(rng.integers(len(legal)))]
            _, _, done, _, info = env.step(f"[{move}]")
            if done:
                mine.append(info["returns"][seat])
                break
    mine = np.array(mine)
    assert abs(mine.mean() - exact_return) < 4 * mine.std() / np.sqrt(len(mine))
    assert abs((mine > 0).mean() - exact_win) < 4 * np.sqrt(exact_win * (1 - exact_win) / len(mine))


def test_opponents_come_from_the_per_game_table() -> None:
    assert set(EXACT_OPPONENTS) >= {KUHN, LEDUC} and set(EXACT_OPPONENTS[LEDUC]) == {"random", "nash"}
    tree = public_tree(zp.make(KUHN))
    assert exact_opponents(KUHN, tree)["nash"] == kuhn_nash() and exact_opponents(KUHN, tree)["random"] == {}
    other = exact_opponents("myorg/KuhnCopy-v0", tree)  # a tree game without a row: CFR's equilibrium
    assert score_policy(tree, other["nash"], {})["exploitability"] < 1e-2
    agent = NashAgent(seed=0)  # the played "nash" opponent plays the same table
    _, info = zp.make(LEDUC).reset(seed=0)
    assert agent.act(["x"], [info])[0].strip("[]") in info["legal_actions"] and agent.fallbacks == 0
    assert agent._tables["LeducHoldem"] is EQUILIBRIA["LeducHoldem"](0.0, 500)


# ---- the model's action probabilities


@pytest.fixture(scope="module")
def tiny_policy(tiny_model_dir):
    from zeroplay.training.build import build_policy, build_sampler

    cfg = config_from_dict({"loop": "games"})
    policy = build_policy(cfg, tiny_model_dir, torch.device("cpu"))
    return policy, build_sampler(cfg, policy)


@pytest.mark.parametrize("mode", ["view", "full"])
def test_model_probabilities_at_every_infoset_batched_as_one_by_one(tiny_policy, mode) -> None:
    from zeroplay.training.loss import completion_logprobs, pack
    from zeroplay.training.selfplay.games import _canonical_completion, infoset_observation, policy_action_probs

    policy, sampler = tiny_policy
    env = zp.make(LEDUC)
    tree = public_tree(env)
    probs, mass = policy_action_probs(policy, sampler, tree, env, mode, batch_size=256)
    assert set(probs) == set(tree.infoset_keys) and 0.0 < mass <= 1.0
    assert all(list(p) == tree.infoset_actions[tree.infoset_keys.index(k)] and sum(p.values()) == pytest.approx(1.0)
               for k, p in probs.items())
    tok = policy.tokenizer
    for i in (0, 7, 150, 287):  # a few infosets, each scored alone
        prompt = policy.encode(sampler.template.messages(infoset_observation(tree, i, env, mode)))
        alone = []
        for move in tree.infoset_actions[i]:
            batch = pack([prompt], [_canonical_completion(tok, sampler.template, move) + [tok.eos_token_id]], policy._pad_id)
            with torch.no_grad():
                lp, _ = completion_logprobs(policy.model, batch)
            alone.append(float(torch.exp((lp * batch.completion_mask).sum())))
        expect = np.array(alone) / sum(alone)
        got = [probs[tree.infoset_keys[i]][m] for m in tree.infoset_actions[i]]
        assert got == pytest.approx(expect, rel=1e-4)


# ---- the games loop's evaluation


def test_a_mixture_scores_every_tree_game_exactly_and_the_math_eval(tmp_path) -> None:
    cfg = tiny_config(tmp_path, steps=2, **{
        "games.env": [{"id": KUHN}, {"id": LEDUC, "opponents": ["nash"]}, {"id": "zeroplay/TicTacToe-v0"}],
        "games.games_per_step": 6, "games.reasoning_eval": {"env": "zeroplay/MathArithmetic-v0", "samples": 3},
        "games.held_out": [{"id": "zeroplay/Nim-v0", "opponents": ["minimax"]}], "eval.games": 2})
    rows = read_metrics(train(config_from_dict(cfg), quiet=True))
    assert [r["step"] for r in rows] == [0, 1, 2]
    for row in (rows[0], rows[-1]):
        for env in ("KuhnPoker-v0", "LeducHoldem-v0"):
            assert 0.0 <= row[f"eval/{env}/exploitability"] <= 6.0
            for opp in ("random", "nash"):
                assert 0.0 <= row[f"eval/{env}/exact/{opp}/win_rate"] <= 1.0
                assert f"eval/{env}/exact/{opp}/mean_return" in row
        assert "eval/TicTacToe-v0/exploitability" not in row and "eval/TicTacToe-v0/random/win_rate" in row
        assert "policy/KuhnPoker-v0/P(b|Kpb)" in row and not any(k.startswith("policy/LeducHoldem") for k in row)
        assert 0.0 <= row["eval/math/accuracy"] <= 1.0 and "eval/math/well_formed" in row
        assert "eval/exploitability" not in row
        assert "eval/Nim-v0/minimax/win_rate" in row  # held out: evaluated, never played in training
    assert not any(k.startswith("selfplay/Nim-v0") for r in rows for k in r)


def test_a_held_out_game_must_not_repeat_a_trained_one() -> None:
    with pytest.raises(ConfigError, match="held_out"):
        config_from_dict({"loop": "games", "games": {"env": [KUHN], "held_out": [{"id": KUHN}]}})


def test_a_single_kuhn_run_keeps_its_keys_and_a_single_leduc_run_gets_the_same(tmp_path) -> None:
    kuhn = read_metrics(train(config_from_dict(tiny_config(tmp_path / "k", steps=1, **{"eval.games": 2})), quiet=True))
    assert {"eval/exploitability", "eval/legal_mass", "eval/exact/random/win_rate", "eval/exact/nash/mean_return",
            "policy/P(b|J)", "policy/P(b|Kpb)"} <= set(kuhn[-1])
    assert not any(k.startswith("eval/math") for k in kuhn[-1])
    leduc = read_metrics(train(config_from_dict(tiny_config(tmp_path / "l", steps=1, **{
        "games.env": LEDUC, "eval.games": 2})), quiet=True))
    assert {"eval/exploitability", "eval/exact/random/win_rate", "eval/exact/nash/win_rate"} <= set(leduc[-1])
