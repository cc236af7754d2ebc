"""Bad input, as a user would give it: a short error that says what to fix and a non-zero exit,
never a traceback. CLI cases run the real command in a subprocess."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import zeroplay as zp
from zeroplay import agents, sandbox, verifiers
from zeroplay.core.errors import AgentError, ConfigError, EnvCreationError, UnknownIdError


def zeroplay(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zeroplay.cli", *args], capture_output=True, text=True, timeout=timeout)


def assert_clear_error(proc: subprocess.CompletedProcess, *phrases: str) -> None:
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("zeroplay ") and "error:" in last, proc.stderr
    for phrase in phrases:
        assert phrase in last, last


# -- play ------------------------------------------------------------------------------------------


def test_play_with_more_agents_than_seats() -> None:
    assert_clear_error(zeroplay("play", "zeroplay/KuhnPoker-v0", "--agents", "random,random,random", "-n", "2"),
                       "2 players", "--agents random,random")


def test_play_with_unknown_env_kwarg_lists_the_real_ones() -> None:
    assert_clear_error(zeroplay("play", "zeroplay/KuhnPoker-v0", "--env-arg", "handz=3", "-n", "1"),
                       "'handz'", "hands=1")


@pytest.mark.parametrize(("option", "phrase"), [("--seed=-3", "--seed must be >= 0"), ("--max-steps=0", "--max-steps")])
def test_play_numbers_out_of_range(option: str, phrase: str) -> None:
    assert_clear_error(zeroplay("play", "zeroplay/KuhnPoker-v0", "--agents", "nash,random", "-n", "3", option), phrase)


def test_play_json_into_a_directory_fails_before_playing(tmp_path: Path) -> None:
    assert_clear_error(zeroplay("play", "zeroplay/KuhnPoker-v0", "-n", "1", "--json", str(tmp_path)), "--json")


def test_play_ctrl_c_at_a_human_prompt_exits_with_a_short_message() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "play", "zeroplay/TicTacToe-v0", "--agents",
                             "human,random", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        proc.stdout.readline()  # the game has started: the human is being asked for a move
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and err.strip() == "interrupted", err[-2000:]


# -- verify ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content, phrase", [
    (b"\x84\xff binary \x00", "jsonl:1: not UTF-8"),
    (b"", "holds no rows"),
    (b'{"response": "1", "reference": "1", "verifier": 5}\n', "rows.jsonl:1: field 'verifier' must be a verifier's name"),
    (b'{"response": "print(1)", "reference": {"io": 5}, "verifier": "code"}\n', "'io' is a list"),
    (b'{"response": "2", "reference": "2"}\n{"response": "2", "reference": "2", "verifier": ["math"]}\n',
     "rows.jsonl:2: field 'verifier' must be a verifier's name"),
])
def test_verify_bad_jsonl(tmp_path: Path, content: bytes, phrase: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(content)
    assert_clear_error(zeroplay("verify", str(path)), phrase)


def test_verify_reads_a_file_with_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"response": "1", "reference": "1"}\n')
    proc = zeroplay("verify", str(path), "--verifier", "exact")
    assert proc.returncode == 0 and "1/1 correct" in proc.stdout, (proc.stdout, proc.stderr)  # the tally follows the rows


# -- train -----------------------------------------------------------------------------------------


def test_train_out_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"loop": "games", "steps": 1, "out_dir": str(tmp_path / "a_file")}))
    assert_clear_error(zeroplay("train", str(cfg), "--quiet"), "is a file, not a directory")


def test_train_ctrl_c_exits_cleanly_and_leaves_a_checkpoint(tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump({
        "name": "run", "out_dir": str(tmp_path), "loop": "games", "steps": 1000, "threads": 1, "step_delay_s": 0.2,
        "model": {"tiny": {"hidden_size": 8, "num_layers": 1, "num_heads": 1, "vocab_size": 300}},
        "sampling": {"max_new_tokens": 4, "batch_size": 8}, "optim": {"micro_batch_size": 8},
        "games": {"games_per_step": 2, "observation": "view"}, "eval": {"games": 2},
    }))
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "train", str(cfg), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not checkpoint.is_file() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    last = err.strip().splitlines()[-1]
    assert proc.returncode == 130 and last.startswith("interrupted: run the same command again to resume"), err[-2000:]
    from zeroplay.training.checkpoint import load_checkpoint

    assert load_checkpoint(checkpoint.parent) is not None  # what a rerun resumes from


def test_train_with_a_broken_checkpoint_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"loop": "games", "steps": 1, "out_dir": str(tmp_path), "name": "run"}))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "checkpoint.pt").write_bytes(b"")
    assert_clear_error(zeroplay("train", str(cfg), "--quiet"), "checkpoint.pt is empty", "delete")


def test_train_with_a_model_path_that_is_no_model(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"loop": "games", "steps": 1, "out_dir": str(tmp_path), "model": {"path": str(tmp_path)}}))
    assert_clear_error(zeroplay("train", str(cfg), "--quiet"), "holds no config.json", "model.path")


def test_train_with_a_negative_seed(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"loop": "games", "steps": 1, "out_dir": str(tmp_path)}))
    proc = zeroplay("train", str(cfg), "--seed", "-1", "--quiet")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "seed: Input should be greater than or equal to 0" in proc.stderr, proc.stderr


# -- task files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "phrase"), [
    ({"prompt": "1+1", "reference": "2", "verifier": ["math"]}, "field 'verifier' must be"),
    ({"prompt": 5, "reference": "2"}, "field 'prompt' must be a string, got an integer 5"),
    ({"prompt": "1+1", "reference": "2", "meta": ["x"]}, "field 'meta' must be an object"),
    ({"prompt": "1+1", "reference": "2", "id": {"n": 1}}, "field 'id' must be a string or an integer"),
    ({"prompt": "1+1", "reference": "2", "verifier": None}, "field 'verifier' must be a string, got null"),
])
def test_task_file_fields_of_the_wrong_type_name_file_line_and_field(tmp_path: Path, row: dict, phrase: str) -> None:
    import json

    from zeroplay.core.tasks import TaskEnv

    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps({"prompt": "2+2", "reference": "4"}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(ValueError, match=f"tasks.jsonl:2: {phrase}"):
        TaskEnv(path)


def test_math_env_names_the_files_own_column(tmp_path: Path) -> None:
    path = tmp_path / "problems.jsonl"
    path.write_text('{"problem": ["1+1"], "answer": "2", "id": 7}\n')
    with pytest.raises(EnvCreationError, match="problems.jsonl:1: field 'problem' must be a string"):
        zp.make("zeroplay/Math-v0", path=str(path))
    path.write_text('{"problem": "1+1", "answer": "2", "id": 7}\n')
    assert zp.make("zeroplay/Math-v0", path=str(path)).reset(seed=0)[1]["task"].id == "7"  # an integer id is fine


# -- serve -----------------------------------------------------------------------------------------


def test_serve_on_a_port_in_use_fails_before_loading(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert_clear_error(zeroplay("serve", str(tmp_path), "--port", str(port)), "is in use", "--port")


def test_hf_agent_on_a_directory_that_is_no_checkpoint(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    with pytest.raises(AgentError, match="no config.json"):  # what `zeroplay serve DIR` then prints
        agents.make("hf", model=str(tmp_path))


def test_serve_port_out_of_range(tmp_path: Path) -> None:
    assert_clear_error(zeroplay("serve", str(tmp_path), "--port", "70000"), "0..65535")


# -- the Python API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [zp.make, agents.make, verifiers.make])
@pytest.mark.parametrize("name", [None, 5, ["math"]])
def test_make_with_a_name_that_is_no_str(make, name) -> None:
    with pytest.raises(UnknownIdError, match="The name is a str"):
        make(name)


def test_unknown_kwargs_are_named_with_the_real_options() -> None:
    with pytest.raises(EnvCreationError, match=r"unexpected keyword argument 'colour'.*invalid_move_retries=0"):
        zp.make("zeroplay/TicTacToe-v0", colour="red")
    with pytest.raises(ConfigError, match=r"no option 'sead'; its options: seed=None"):
        agents.make("random", sead=1)
    env = zp.make("zeroplay/TicTacToe-v0", max_episode_steps=3)  # gymnasium.make's own options still work
    env.close()


def test_gymnasium_note_is_not_repeated_in_env_errors() -> None:
    with pytest.raises(EnvCreationError) as e:
        zp.make("zeroplay/ConnectFour-v0", rows="6")
    assert "was raised from the environment creator" not in str(e.value) and "rows=6" in str(e.value)


def test_sandbox_arguments_of_the_wrong_type() -> None:
    with pytest.raises(ConfigError, match="memory_mb must be an int"):
        sandbox.Sandbox(backend="process", memory_mb="512")
    with pytest.raises(TypeError, match="code is a str, got bytes"):
        sandbox.Program(b"print(1)")
    with pytest.raises(TypeError, match="stdin is a str, got int"):
        sandbox.Program("print(1)", stdin=5)


def test_synth_functions_named_like_their_modules_stay_callable() -> None:
    import zeroplay.envs.synth.calibrate  # noqa: F401 - importing a submodule must not hide the function
    from zeroplay.envs import synth

    bad = "this is not python ("
    assert [synth.validate(bad).stage for _ in range(2)] == ["static", "static"]
    assert callable(synth.calibrate) and callable(synth.validate_many)


# -- synth -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "phrase"), [
    (["-n", "-1", "--agent", "random"], "-n is how many"),
    (["--band", "0.9", "0.1", "--agent", "random"], "--band LOW HIGH"),
    (["--novelty", "5", "--agent", "random"], "--novelty is a similarity"),
    (["--backend", "nosuch", "--agent", "random"], "choose one of auto"),
    (["--list", "--library", __file__], "is a file; give a directory"),
    (["--agent", "random", "--agent-arg", "x"], "KEY=VALUE"),
    ([], "give --agent NAME"),
])
def test_synth_options_are_checked_before_any_work(args: list[str], phrase: str, capsys: pytest.CaptureFixture[str]) -> None:
    from zeroplay.cli import main

    # in process: these fail before any sandbox or agent starts
    assert main(["synth", *args]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("zeroplay synth: error:") and phrase in last, last
