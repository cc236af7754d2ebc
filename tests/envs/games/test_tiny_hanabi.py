"""Tiny Hanabi: rules, per-turn team rewards, and the optimal team return (4.0) by brute force."""

from __future__ import annotations

import copy

import pytest

import zeroplay as zp
from zeroplay.core.errors import EnvCreationError
from zeroplay.envs.games.tiny_hanabi import COLORS, TinyHanabiState, full_deck


def _played(s: TinyHanabiState) -> set:
    return {(c, r) for c, h in enumerate(s.fireworks) for r in range(1, h + 1)}


def _knows_playable(s: TinyHanabiState, know: tuple, unseen: set) -> bool:
    kc, kr = know
    options = [x for x in unseen if (kc is None or x[0] == kc) and (kr is None or x[1] == kr)]
    return bool(options) and all(s.fireworks[c] == r - 1 for c, r in options)


def convention(s: TinyHanabiState) -> str:
    """A hint convention that reads only what the player to act knows: the partner's cards, the
    hints, fireworks and discards (never its own cards). Its own hand as a set is what nobody has
    seen, which is exact when the whole deck is dealt (the default). (1) Hint a partner's playable
    card the partner does not know is playable, with a hint that tells it; (2) else play a card
    known to be playable; (3) else hint anything (wait); (4) else discard."""
    me, other = s.current_player(), 1 - s.current_player()
    gone = _played(s) | set(s.discards)
    mine = set(full_deck(s.colors, s.ranks)) - gone - set(s.hands[other])
    theirs = set(full_deck(s.colors, s.ranks)) - gone - mine  # what the partner has not seen
    if s.hints > 0:
        for j, card in enumerate(s.hands[other]):
            if s.fireworks[card[0]] == card[1] - 1 and not _knows_playable(s, s.knowledge[other][j], theirs):
                kc, kr = s.knowledge[other][j]
                for value, know in ((COLORS[card[0]], (card[0], kr)), (str(card[1]), (kc, card[1]))):
                    if _knows_playable(s, know, theirs):
                        return f"hint {value}"
    for i, know in enumerate(s.knowledge[me]):
        if _knows_playable(s, know, mine):
            return f"play {i}"
    legal = s.legal_actions()
    return next((m for m in legal if m.startswith("hint")), next((m for m in legal if m.startswith("discard")), legal[0]))


def test_optimal_team_return_is_four_on_every_deal() -> None:
    # 4 is the most there is (4 cards); the convention reaches it on all 24 deals, so it is optimal
    deals = TinyHanabiState.chance_outcomes()
    assert len(deals) == 24 and sum(p for p, _ in deals) == pytest.approx(1.0)
    for _, s in deals:
        while not s.is_terminal():
            s.apply_action(convention(s))
        assert s.score() == 4 and s.lives == 1, s.log


def test_random_team_scores_0_948_exactly() -> None:
    memo: dict = {}

    def value(s: TinyHanabiState) -> float:
        if s.is_terminal():
            return float(s.score())
        key = (str(s.hands), tuple(s.fireworks), s.hints, s.lives, s.turn, str(sorted(s.discards)))
        if key not in memo:
            moves = s.legal_actions()
            memo[key] = sum(value(_after(s, m)) for m in moves) / len(moves)
        return memo[key]

    exact = sum(p * value(s) for p, s in TinyHanabiState.chance_outcomes())
    assert exact == pytest.approx(0.94767, abs=1e-4)


def _after(s: TinyHanabiState, move: str) -> TinyHanabiState:
    t = copy.deepcopy(s)
    t.apply_action(move)
    return t


def _deal(env, order: list[str], seed: int = 0) -> None:
    """Reset, then put the cards ``order`` (e.g. ``["R1", "Y2", "R2", "Y1"]``) in the hands."""
    env.reset(seed=seed)
    cards = [(COLORS.index(c[0]), int(c[1])) for c in order]
    env.unwrapped.state = TinyHanabiState(cards, max_turns=env.unwrapped.max_turns)


def test_hint_play_and_per_turn_team_rewards() -> None:
    env = zp.make("zeroplay/TinyHanabi-v0")
    _deal(env, ["R2", "Y2", "R1", "Y1"])  # player 0: R2 Y2; player 1: R1 Y1
    obs, reward, done, _, info = env.step("[hint 1]")
    assert reward == 0.0 and not done and info["player"] == 1
    assert info["view"] == "f00 t2 l1 d0 pR2Y2 m?1?1", "player 1 now knows both its cards are 1s"
    assert "Y2" not in obs.split("Your partner's cards:")[0], "a player never sees its own cards"
    obs, reward, done, _, info = env.step("[play 0]")  # R1: scores
    assert reward == 1.0 and info["view"] == "f10 t2 l1 d0 pY1 m????"
    obs, reward, done, _, info = env.step("[play 1]")  # Y2 on an empty Y firework: misplay, last life
    assert done and reward == 0.0 and info["returns"] == [1.0, 1.0]


def test_discard_regains_a_token_and_hints_must_be_true() -> None:
    env = zp.make("zeroplay/TinyHanabi-v0")
    _deal(env, ["R2", "Y2", "R1", "Y1"])
    assert "discard 0" not in env.unwrapped.state.legal_actions(), "no discard with all tokens"
    assert "hint 2" not in env.unwrapped.state.legal_actions(), "only what the partner holds"
    env.step("[hint R]")
    obs, reward, done, _, info = env.step("[discard 1]")
    assert env.unwrapped.state.hints == 3 and env.unwrapped.state.discards == [(1, 1)]


def test_invalid_move_costs_the_whole_team() -> None:
    env = zp.make("zeroplay/TinyHanabi-v0")
    _deal(env, ["R1", "Y2", "R2", "Y1"])
    assert env.step("[play 0]")[1] == 1.0
    obs, reward, done, _, info = env.step("nonsense")
    assert done and info["invalid_move"] and info["returns"] == [-1.0, -1.0]
    assert reward == -2.0, "step rewards sum to the team return: +1 then -2"


def test_game_ends_after_max_turns_and_kwargs_are_checked() -> None:
    env = zp.make("zeroplay/TinyHanabi-v0", max_turns=2)
    _deal(env, ["R2", "Y2", "R1", "Y1"])
    assert not env.step("[hint 1]")[2]
    _, reward, done, _, info = env.step("[hint R]")
    assert done and reward == 0.0 and info["returns"] == [0.0, 0.0]
    with pytest.raises(EnvCreationError, match="two hands of 3"):
        zp.make("zeroplay/TinyHanabi-v0", hand_size=3)
    bigger = zp.make("zeroplay/TinyHanabi-v0", colors=3, ranks=3, hand_size=2)
    obs, info = bigger.reset(seed=1)
    assert "Deck: 5 card(s)" in obs and info["view"].startswith("f000 t3 l1 d5 p")
