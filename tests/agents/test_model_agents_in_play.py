"""Acceptance: the model agents (``hf``, and ``openai`` against the real ``zeroplay serve``) play
every env through ``zeroplay play``'s episode runner, and through the command itself."""

from __future__ import annotations

import json
import math
from pathlib import Path

import gymnasium
import pytest

pytest.importorskip("transformers")

import zeroplay as zp
from zeroplay import agents
from zeroplay.agents.play import run_episodes
from zeroplay.cli import main
from zeroplay.core.registry import gym_id

from .conftest import serve


def one_env_per_class() -> list[str]:
    """Env ids that differ in code: ids sharing an entry point differ only in their kwargs."""
    chosen: dict[str, str] = {}
    for env_id in zp.registered():
        chosen.setdefault(str(gymnasium.spec(gym_id(env_id)).entry_point), env_id)
    return sorted(chosen.values())


class KeepOpen(gymnasium.Wrapper):
    """Lets two runs share one env (building some envs starts verifier workers): close() waits."""

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def long_context_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model whose context (2048) holds every env's prompt: a server refuses longer ones (400),
    as vLLM and OpenAI do, where the ``hf`` agent would cut them."""
    from zeroplay.agents.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-2048"), hidden_size=32, num_layers=2, num_heads=4,
                            max_position_embeddings=2048)


@pytest.fixture(scope="module")
def served_long(long_context_model: Path):
    yield from serve(long_context_model)


@pytest.fixture(scope="module")
def model_agents(long_context_model: Path, served_long: str) -> list[agents.Agent]:
    hf = agents.make("hf", path=str(long_context_model), max_new_tokens=12, seed=0)
    remote = agents.make("openai", base_url=served_long, max_new_tokens=12, seed=0, timeout_s=60)
    return [hf, remote]


@pytest.mark.parametrize("env_id", one_env_per_class())
def test_model_agents_play_every_env(env_id: str, model_agents: list[agents.Agent]) -> None:
    env = zp.make(env_id)
    try:
        _, info = env.reset(seed=0)
        if "player" in info:  # a game: the two model agents face each other, seats swapped in game 2
            episodes = run_episodes(lambda: KeepOpen(env), model_agents, 2, alternate=True, batch=1, max_steps=200)
            runs = [episodes]
        else:  # a single-step task: each agent on its own
            runs = [run_episodes(lambda: KeepOpen(env), [a], 2, batch=1) for a in model_agents]
    finally:
        env.close()
    for episodes in runs:
        assert len(episodes) == 2
        for e in episodes:
            assert e.steps >= 1 and all(math.isfinite(r) for r in e.returns)


def test_zeroplay_play_hf_against_openai(tiny_model_dir: Path, served_tiny: str, tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    rc = main(
        [
            "play",
            "zeroplay/TicTacToe-v0",
            "--agents",
            "hf,openai",
            "-n",
            "2",
            "--alternate",
            "--agent-arg",
            f"0:path={tiny_model_dir}",
            "--agent-arg",
            f"1:base_url={served_tiny}",
            "--agent-arg",
            "max_new_tokens=8",
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    summary = json.loads(out.read_text())
    assert summary["agents"] == ["hf", "openai"] and summary["episodes"] == 2


def test_zeroplay_play_openai_on_a_task(served_tiny: str, tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    rc = main(
        [
            "play",
            "zeroplay/CodeDeduction-v0",
            "--agents",
            "openai",
            "-n",
            "2",
            "--agent-arg",
            f"base_url={served_tiny}",
            "--agent-arg",
            "max_new_tokens=8",
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    summary = json.loads(out.read_text())
    assert summary["episodes"] == 2 and summary["accuracy"] is not None


def test_unreachable_server_is_a_clear_cli_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc = main(
        [
            "play",
            "zeroplay/TicTacToe-v0",
            "--agents",
            "openai,random",
            "-n",
            "1",
            "--agent-arg",
            f"0:base_url=http://127.0.0.1:{port}/v1",
            "--agent-arg",
            "0:model=m",
            "--agent-arg",
            "0:max_retries=1",
            "--agent-arg",
            "0:backoff_s=0.01",
        ]
    )
    assert rc == 2
    assert "connection failed" in capsys.readouterr().err
