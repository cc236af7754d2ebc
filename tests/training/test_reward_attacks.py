"""Attacks on the rewards of the self-play loops: a policy under RL looking for a reward it did not earn
(a cheap way out of a lost game, a partner's mistake that pays, an env that accepts a key, a proposal
that pays for nothing). Each test is one attack on the real parts (the envs, the registered rewards the
loops look up, the synth sandbox), played by scripted agents; it fails if the attack pays.

Earlier campaigns (tests/training/test_selfplay_integrity.py, tests/envs/code/test_proposer_integrity.py,
tests/envs/synth/test_integrity.py, tests/verifiers/test_*integrity.py) cover the sandbox, the verifiers,
copies in disguise, judges and tool output; this file does not repeat them.
"""

from __future__ import annotations

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.rewards import RewardShaping

SHAPING = RewardShaping()


class Says:
    """A scripted player that writes ``text`` whatever it is shown."""

    def __init__(self, text: str):
        self.text = text

    def act(self, observations, infos=None):
        return [self.text for _ in observations]


def play(env, moves, seed=0):
    """Play ``moves`` (bracketed) from ``reset(seed)``; the last step's (reward, terminated, info)."""
    _, info = env.reset(seed=seed)
    out = None
    for m in moves:
        _, reward, terminated, _, info = env.step(m)
        out = (reward, terminated, info)
    return out


def training_returns(name, info):
    return lookup(REWARDS, name)(info["returns"], info, SHAPING)


# -- games: an invalid move as a cheap way out of a lost hand ------------------------------------------

CHEAT = Says("Let me think... I would rather not say. [all-in]")


@pytest.mark.parametrize("reward", ["illegal_move_penalty", "env_returns"])
def test_leduc_an_invalid_move_facing_a_raise_costs_more_than_folding(reward):
    env = zp.make("zeroplay/LeducHoldem-v0")
    _, _, fold = play(env, ["[bet]", "[raise]", "[fold]"])
    assert fold["returns"] == [-3.0, 3.0]  # player 0 put in ante 1 + bet 2
    _, terminated, cheat = play(env, ["[bet]", "[raise]", CHEAT.act(["obs"])[0]])
    assert terminated and cheat["invalid_move"] and cheat["offender"] == 0
    # before: the env charged -1 and training -1.5, half the fold's cost: garbling the move paid
    assert cheat["returns"] == [-3.0, 3.0]
    assert training_returns(reward, cheat)[0] <= -3.0 < 0 < training_returns(reward, cheat)[1] <= 3.0


@pytest.mark.parametrize("game_id, kwargs", [("zeroplay/LeducHoldem-v0", {"hands": 2}),
                                             ("zeroplay/KuhnPoker-v0", {"hands": 3})])
def test_poker_an_invalid_move_never_pays_more_than_folding_anywhere(game_id, kwargs):
    """Random legal prefixes of multi-hand games: wherever the player to act may fold, an invalid move
    instead pays no more (env and training returns), also after hands lost earlier."""
    env, rng, tried = zp.make(game_id, **kwargs), np.random.default_rng(0), 0
    for trial in range(120):
        _, info = env.reset(seed=trial)
        prefix = []
        for _ in range(int(rng.integers(0, 10))):
            move = f"[{info['legal_actions'][int(rng.integers(len(info['legal_actions'])))]}]"
            _, _, terminated, _, after = env.step(move)
            if terminated:
                break
            prefix.append(move)
            info = after
        if "fold" not in info["legal_actions"]:
            continue
        player = info["player"]
        _, folded_out, folded = play(env, prefix + ["[fold]"], seed=trial)
        fold_chips = folded["returns"][player] if folded_out else env.unwrapped.state.returns()[player]
        _, terminated, cheat = play(env, prefix + [CHEAT.act(["obs"])[0]], seed=trial)
        assert terminated and cheat["offender"] == player and cheat["returns"][player] <= min(-1.0, fold_chips)
        for reward in ("illegal_move_penalty", "env_returns"):
            assert training_returns(reward, cheat)[player] <= min(-1.0, fold_chips)
        tried += 1
    assert tried > 20, "too few states with a fold: the attack was not tried"


def test_one_hand_kuhn_and_tictactoe_keep_spirals_numbers():
    info = play(zp.make("zeroplay/KuhnPoker-v0"), ["[bet]", "[raise]"])[2]  # player 1 facing a bet: fold costs 1
    assert info["returns"] == [1.0, -1.0] and training_returns("illegal_move_penalty", info) == [0.5, -1.5]
    info = play(zp.make("zeroplay/TicTacToe-v0"), ["[4]", "[4]"])[2]
    assert info["invalid_move"] and training_returns("illegal_move_penalty", info) == [0.5, -1.5]


def test_a_cooperative_partner_gains_nothing_from_the_others_invalid_move():
    env = zp.make("zeroplay/LewisSignaling-v0")
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(f"[{info['legal_actions'][0]}]")   # the sender sends a message
    _, _, terminated, _, info = env.step("[no idea]")                  # the receiver garbles its guess
    assert terminated and info["invalid_move"] and info["offender"] == 1
    train = training_returns("illegal_move_penalty", info)
    # before: the sender was paid +0.5, more than a random team's 1/3 and than any miss (0)
    assert train == [-1.0, -1.5]


ODD_MOVES = ["[Propose -5 0 0]", "[propose 1 1 1 1]", "[Bid: -1, 6]", "[Bid: 99, 6]", "[Bid: 1, 7]", "[Bid: 1, 0]",
             "[-1 1]", "[0 -1]", "[0 99]", "[ACCEPT]", "[call]", "[9]", "[-0]", "[1e1]", "[\uff10]", "[\u0663]",
             "[4.0]", "[0x1]", "[1_0]", "[ fold ]", "[FOLD]", "[resign]", "[check] [bet] [" + "x" * 5000 + "]"]


GAMES = ["TicTacToe", "ConnectFour", "Nim", "LiarsDice", "DealOrNoDeal", "SimpleNegotiation", "LeducHoldem",
         "TinyHanabi"]


@pytest.mark.parametrize("game_id", [f"zeroplay/{g}-v0" for g in GAMES])
def test_a_move_in_an_odd_format_is_read_as_a_legal_move_or_not_at_all(game_id):
    """Negative, out-of-range, non-ASCII-digit, float and padded moves: whatever a game's parser makes of
    them is one of the legal moves of that state (never an extra claim a legal parse would refuse)."""
    env, rng, states = zp.make(game_id), np.random.default_rng(0), 0
    for trial in range(30):
        _, info = env.reset(seed=trial)
        for _ in range(int(rng.integers(0, 6))):
            legal = info["legal_actions"]
            _, _, terminated, _, info = env.step(f"[{legal[int(rng.integers(len(legal)))]}]")
            if terminated:
                break
        if info.get("player", -1) < 0:
            continue
        state = env.unwrapped.state
        for text in ODD_MOVES:
            move = env.unwrapped.parse_action(text, state)
            assert move is None or move in state.legal_actions(), (text, move)
        states += 1
    assert states > 10, "too few states: the attack was not tried"


# -- propose-solve (Absolute Zero): proposals that pay for nothing, answers right by a trick ------------

PROPOSALS = [
    # a seed task of the buffer, re-spaced and commented: the same task
    "```python\n# a brand new task\ndef f(x):\n\n    return (x)   # identity\n```\n```input\n'Hello world'\n```",
    "```python\ndef f(x):\n    return float('nan')\n```\n```input\n3\n```",                  # NaN != NaN
    "```python\nclass Any:\n    def __eq__(self, other):\n        return True\n"
    "def f(x):\n    return Any()\n```\n```input\n3\n```",                                      # equals everything
    "```python\ndef f(x):\n    return ...\n```\n```input\n3\n```",                             # Ellipsis
    "```python\ndef f(x):\n    return 'x' * 10 ** 6\n```\n```input\n3\n```",                   # a huge output
    "```python\ndef f(x):\n    return x * 3 + 1\n```\n```input\n4\n```",                       # honest: f(4) = 13
]
#: Six answers to the honest task: two right, four tricks (a float, a string, a literal that is no value, Ellipsis).
ANSWERS = ["<answer>13</answer>", "<answer>13</answer>", "<answer>13.0</answer>", "<answer>'13'</answer>",
           "<answer>float('nan')</answer>", "<answer>...</answer>"]


class Scripted:
    """Writes ``texts`` in order, one per observation, again from the start when they run out."""

    def __init__(self, texts):
        self.texts, self.i = texts, 0

    def act(self, observations, infos=None):
        out = []
        for _ in observations:
            out.append(self.texts[self.i % len(self.texts)])
            self.i += 1
        return out


def test_propose_solve_pays_nothing_for_copies_or_trick_values_and_no_trick_answer_is_right():
    from zeroplay.training import config_from_dict
    from zeroplay.training.policies import RoleSamplers, ScriptedSampler
    from zeroplay.training.selfplay.propose_solve import ProposeSolveLoop
    from zeroplay.training.templates import get_template

    cfg = config_from_dict({"seed": 0, "loop": "propose_solve", "propose_solve": {
        "task_types": ["deduction"], "proposals_per_type": len(PROPOSALS), "solver_samples": len(ANSWERS),
        "solve_tasks_per_type": 1, "env_kwargs": {"timeout_s": 5.0}}})
    t = get_template("plain")
    scripted = {"proposer": ScriptedSampler(Scripted(PROPOSALS), t, "proposer"),
                "solver": ScriptedSampler(Scripted(ANSWERS), t, "solver")}
    loop = ProposeSolveLoop(cfg, RoleSamplers({"none": scripted["proposer"]}, {}, scripted=scripted), None)
    result = loop.collect_shard(0, 0, 1)
    proposer = [s for s in result.samples if s.role == "proposer"]
    assert [s.meta["stage"] for s in proposer] == ["duplicate", "output", "output", "output", "output", None]
    # every trick pays the invalid -1; the honest task is solved 2 times in 6: learnability 1 - 1/3
    assert [s.reward for s in proposer] == pytest.approx([-1.0] * 5 + [2 / 3])
    solver = [s.reward for s in result.samples if s.role == "solver"]
    assert solver == [1.0, 1.0, -0.5, -0.5, -0.5, -0.5]
