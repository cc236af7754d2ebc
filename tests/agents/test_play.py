"""``zeroplay play``: any agents on any env, with a summary that adds up."""

from __future__ import annotations

import json

import pytest

import zeroplay as zp
from zeroplay import agents
from zeroplay.agents.play import agent_kwargs, mean_ci, run_episodes, summarize
from zeroplay.cli import main
from zeroplay.core import AgentError, ConfigError, Task, TaskEnv, Verdict, Verifier


class LongAnswer(Verifier):
    """Correct when the answer has more than ``reference`` characters (a real, if silly, rule)."""

    def verify(self, response: str, reference: int) -> Verdict:
        ok = len(response) > int(reference)
        return Verdict(correct=ok, score=float(ok), reason="", extracted=response)


def make_task_env() -> TaskEnv:
    return TaskEnv([Task(id=str(i), prompt=f"say something longer than {i % 5}", reference=i % 5) for i in range(20)],
                   verifier=LongAnswer())


def test_cli_prints_wins_draws_losses(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    out = tmp_path / "summary.json"
    code = main(["play", "zeroplay/TicTacToe-v0", "--agents", "minimax,random", "-n", "30", "--alternate",
                 "--seed", "3", "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "minimax" in text and "wins" in text and "±" in text
    summary = json.loads(out.read_text())
    assert summary["episodes"] == 30 and summary["losses"][0] == 0
    assert summary["wins"][0] + summary["draws"][0] == 30 and summary["wins"][0] == summary["losses"][1]
    assert summary["mean"][0] == pytest.approx(-summary["mean"][1])


def test_cli_env_and_agent_args(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    out = tmp_path / "s.json"
    assert main(["play", "zeroplay/KuhnPoker-v0", "--agents", "nash,random", "-n", "20", "--env-arg", "hands=3",
                 "--agent-arg", "0:alpha=0.25", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["mean_steps"] >= 6  # three hands of at least two moves
    assert main(["play", "zeroplay/KuhnPoker-v0", "--agents", "nash,random", "--agent-arg", "0:alpha=2"]) == 2
    assert "alpha must be in" in capsys.readouterr().err


def test_cli_reports_bad_input_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "zeroplay/NoSuchGame-v0"]) == 2
    assert "No env named" in capsys.readouterr().err
    assert main(["play", "zeroplay/TicTacToe-v0", "--agents", "minimax,nosuchagent", "-n", "1"]) == 2
    assert "No agent named 'nosuchagent'" in capsys.readouterr().err
    assert main(["play", "zeroplay/TicTacToe-v0", "--env-arg", "oops"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_seats_rotate_and_returns_map_back_to_agents() -> None:
    mm, rnd = agents.make("minimax", seed=0), agents.make("random", seed=0)
    episodes = run_episodes(lambda: zp.make("zeroplay/TicTacToe-v0"), [mm, rnd], 20, alternate=True, batch=4)
    assert len(episodes) == 20
    assert all(e.returns[0] >= 0 and e.returns[0] == -e.returns[1] for e in episodes)  # minimax never loses, either seat


def test_batched_runs_play_each_seed_once() -> None:
    for batch in (1, 5, 64):
        players = [agents.make("nash", seed=1), agents.make("nash", seed=2)]
        eps = run_episodes(lambda: zp.make("zeroplay/KuhnPoker-v0"), players, 12, seed=5, batch=batch)
        assert sorted(e.seed for e in eps) == list(range(5, 17))
        assert all(sum(e.returns) == 0 and e.steps >= 2 for e in eps)


def test_single_step_env_reports_accuracy() -> None:
    episodes = run_episodes(make_task_env, [agents.make("random", seed=0)], 60, batch=8)
    s = summarize(["random"], episodes)
    assert s.episodes == 60 and s.wins == [] and s.accuracy is not None
    assert s.accuracy == pytest.approx(s.mean[0])  # score is 1 exactly when correct
    assert 0 < s.accuracy < 1
    with pytest.raises(ConfigError, match="single-step"):
        run_episodes(make_task_env, [agents.make("random"), agents.make("random")], 2)


def test_invalid_moves_and_truncation_are_counted() -> None:
    class Silent(agents.Agent):
        def act(self, observations, infos=None):
            return ["no move"] * len(observations)

    episodes = run_episodes(lambda: zp.make("zeroplay/Nim-v0"), [Silent(), agents.make("random")], 5, alternate=True)
    s = summarize(["silent", "random"], episodes)
    assert s.invalid_moves == 5 and s.losses[0] == 5
    cut = run_episodes(lambda: zp.make("zeroplay/SimpleNegotiation-v0"), [agents.make("random")] * 2, 3, max_steps=2)
    assert all(e.truncated and e.returns == [0.0, 0.0] for e in cut)


def test_an_agent_that_returns_too_few_actions_is_an_error_not_a_hang() -> None:
    class Mute(agents.Agent):
        def act(self, observations, infos=None):
            return []

    with pytest.raises(AgentError, match="returned 0 actions for 1 observations"):
        run_episodes(lambda: zp.make("zeroplay/Nim-v0"), [Mute(), agents.make("random")], 1)


def test_helpers() -> None:
    m, ci = mean_ci([1.0, -1.0, 1.0, -1.0])
    assert m == 0.0 and ci == pytest.approx(1.96 * (4 / 3) ** 0.5 / 2)
    assert agent_kwargs(["1:depth=2", "seed=7"], 2) == [{"seed": 7}, {"depth": 2, "seed": 7}]
    with pytest.raises(ConfigError, match="seat 3"):
        agent_kwargs(["3:depth=2"], 2)


def test_a_model_agent_plays_through_the_same_loop(tiny_agent) -> None:
    """A real (tiny, untrained) transformers model as one seat: its text is parsed like anyone's."""
    episodes = run_episodes(lambda: zp.make("zeroplay/TicTacToe-v0", invalid_move_retries=1),
                            [tiny_agent, agents.make("random", seed=0)], 4, batch=4, alternate=True)
    s = summarize(["tiny", "random"], episodes)
    assert s.episodes == 4 and s.wins[0] + s.draws[0] + s.losses[0] == 4
    assert all(sum(e.returns) == 0 for e in episodes)


class Recorder(agents.Agent):
    """Plays the first legal move and keeps every observation it was shown."""

    seen: list[str] = []

    def act(self, observations, infos=None):
        Recorder.seen.extend(observations)
        return [f"[{info['legal_actions'][0]}]" for info in infos]


def test_observation_view_hands_agents_the_training_prompt(tmp_path) -> None:
    agents.register("test-recorder", Recorder)
    Recorder.seen = []
    out = tmp_path / "games.jsonl"
    assert main(["play", "zeroplay/KuhnPoker-v0", "--agents", "test-recorder,random", "-n", "4",
                 "--observation", "view", "--transcripts", str(out)]) == 0
    games = [json.loads(line) for line in out.read_text().splitlines()]
    assert Recorder.seen and all(" | [" in o and "Kuhn" not in o for o in Recorder.seen), Recorder.seen
    assert Recorder.seen[0] in ("J | [check] [bet]", "Q | [check] [bet]", "K | [check] [bet]")
    # the transcript keeps the env's own text
    assert all(g["observation"] == "view" and "Kuhn Poker" in g["steps"][0]["observation"] for g in games)


def test_observation_view_needs_an_env_with_a_view(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "zeroplay/MathArithmetic-v0", "--agents", "random", "-n", "1", "--observation", "view"]) == 2
    assert "no compact view" in capsys.readouterr().err


def test_transcripts_append_one_line_per_game(tmp_path) -> None:
    out = tmp_path / "games.jsonl"
    for n in (2, 3):
        assert main(["play", "zeroplay/TicTacToe-v0", "--agents", "minimax,random", "-n", str(n), "--alternate",
                     "--transcripts", str(out)]) == 0
    games = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(g["seed"] for g in games[:2]) == [0, 1] and sorted(g["seed"] for g in games[2:]) == [0, 1, 2]
    for g in games:
        assert g["agents"] == ["minimax", "random"] and sum(g["returns"]) == 0 and g["returns"][0] >= 0
        assert [s["player"] for s in g["steps"]] == [k % 2 for k in range(len(g["steps"]))]
        assert g["seats"] == ([0, 1] if g["seed"] % 2 == 0 else [1, 0])  # --alternate swaps seats
        assert all(s["action"].startswith("[") for s in g["steps"]) and "Final board" in g["final_observations"][0]
    assert main(["play", "zeroplay/TicTacToe-v0", "--transcripts", str(tmp_path)]) == 2


def test_a_single_step_env_without_agents_gets_one_default_agent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "zeroplay/MathArithmetic-v0", "-n", "3"]) == 0
    captured = capsys.readouterr()
    assert "no --agents given: random (a single-step env)" in captured.err
    assert "3 episodes" in captured.out and "accuracy" in captured.out
    assert main(["play", "zeroplay/Nim-v0", "-n", "2"]) == 0
    assert "random,random (2 seats)" in capsys.readouterr().err


def test_a_game_without_a_legal_move_is_reported_as_the_envs_fault() -> None:
    """A game that goes on while the player to act has no legal move is a broken env, not an
    invalid move by a player (new-user trial)."""
    from zeroplay.core import GameState, TurnBasedEnv

    class Stuck(GameState):
        num_players = 2

        def __init__(self) -> None:
            self.moves = 0

        def current_player(self) -> int:
            return self.moves % 2

        def legal_actions(self) -> list[str]:
            return ["a"] if self.moves < 2 else []  # stuck after two moves

        def apply_action(self, action: str) -> None:
            self.moves += 1

        def is_terminal(self) -> bool:
            return False

        def returns(self) -> list[float]:
            return [0.0, 0.0]

    class StuckEnv(TurnBasedEnv):
        def new_state(self, rng):
            return Stuck()

        def observe(self, state, player):
            return "[a]"

    random = agents.make("random")
    with pytest.raises(ConfigError, match=r"StuckEnv is broken: after 2 move\(s\) its game is not over but player 0 "
                                          r"has no legal moves"):
        run_episodes(StuckEnv, [random, random], n=1)
