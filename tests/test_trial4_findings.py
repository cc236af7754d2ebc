"""Findings of the fourth new-user trial: a plugin agent that is no Agent, a verifier that raises during
training, config values and names a dry run or the first seconds of a run should refuse clearly, answers
that start with ``-`` on the command line, duplicate YAML keys, and Ctrl-C during ``zeroplay play``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from zeroplay import agents
from zeroplay.cli import main
from zeroplay.core.errors import ConfigError, UnknownIdError, ZeroplayError
from zeroplay.core.registry import ImportSpecError
from zeroplay.core.tasks import VerifierErrorWarning
from zeroplay.training.cli import describe
from zeroplay.training.config import load_config

MODULE = '''
from zeroplay.agents.base import Agent
from zeroplay.core import Task, TaskEnv, Verdict, Verifier


class OnlyAct:  # the shape of a scripted role: act() alone, no Agent
    def act(self, observations, infos=None):
        return ["[1]" for _ in observations]


class BadClose(Agent):
    def act(self, observations, infos=None):
        return [info["legal_actions"][0] for info in infos]

    def close(self):
        raise RuntimeError("cannot close")


class Buggy(Verifier):
    name = "trial4-buggy"

    def verify(self, response, reference):
        return 1 / 0


def plain(response, reference):  # a function with verify's signature: no factory
    return True


class BuggyEnv(TaskEnv):
    def __init__(self):
        super().__init__([Task("a", "Compute 6 * 7.", "42", verifier="trial4mod:Buggy")])


class PlainEnv(TaskEnv):
    def __init__(self):
        super().__init__([Task("a", "Say yes.", "yes", verifier="trial4mod:plain")])
'''


@pytest.fixture
def mod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "trial4mod.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("trial4mod", None)
    return "trial4mod"


# -- agents ------------------------------------------------------------------------------------------------

def test_a_registered_agent_that_is_no_agent_is_refused_when_built(mod: str) -> None:
    """A plugin agent with act() alone played 200 games, then crashed on close() and lost them."""
    agents.register("trial4-only-act", f"{mod}:OnlyAct")
    with pytest.raises(ImportSpecError, match="returned a OnlyAct, not a Agent.*subclass"):
        agents.make("trial4-only-act")


def test_an_agent_that_fails_to_close_keeps_the_games_played(mod: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "games.json"
    assert main(["play", "zeroplay/TicTacToe-v0", "--agents", f"{mod}:BadClose,random", "-n", "4",
                 "--json", str(out)]) == 0
    assert json.loads(out.read_text())["episodes"] == 4
    assert "failed to close: RuntimeError: cannot close" in capsys.readouterr().out


def test_ctrl_c_in_play_sums_up_the_games_finished(tmp_path: Path) -> None:
    out, transcripts = tmp_path / "games.json", tmp_path / "t.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "zeroplay.cli", "play", "zeroplay/TicTacToe-v0", "--agents",
                             "random,random", "-n", "10000000", "--json", str(out), "--transcripts", str(transcripts)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # until a game is on record (at most a minute)
            if transcripts.exists() and transcripts.stat().st_size > 0:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted after" in err, err[-2000:]
    assert json.loads(out.read_text())["episodes"] >= 1


# -- verifiers ----------------------------------------------------------------------------------------------

def test_a_verifier_that_raises_is_warned_about_and_counted_in_training(mod: str, tmp_path: Path) -> None:
    """It trained at a constant -0.5 with no word of the ZeroDivisionError anywhere in the run."""
    from zeroplay.agents.policy import Generation, SamplingParams
    from zeroplay.training import config_from_dict
    from zeroplay.training.rlvr import RLVRLoop
    from zeroplay.training.rollout import Sampler
    from zeroplay.training.templates import get_template

    class Says42:
        def generate(self, prompts, params=None):
            return [Generation("it is \\boxed{42}", [1], [2, 3], [-0.1, -0.1], "stop") for _ in prompts]

    cfg = config_from_dict({"loop": "rlvr", "out_dir": str(tmp_path), "rlvr": {
        "env": f"{mod}:BuggyEnv", "prompts_per_step": 2, "group_size": 2}, "eval": {"samples": 2}})
    loop = RLVRLoop(cfg, Sampler(Says42(), get_template("plain"), SamplingParams()), None)
    with pytest.warns(VerifierErrorWarning, match="ZeroDivisionError"):
        samples, metrics = loop.collect(0)
    assert metrics["train/verifier_errors"] == 4.0
    assert all(s.meta["reason"].startswith("verifier-error: ZeroDivisionError") for s in samples)


def test_a_function_named_as_a_task_verifier_is_a_clear_error(mod: str) -> None:
    import zeroplay as zp

    env = zp.make(f"{mod}:PlainEnv")
    with pytest.raises(ConfigError, match="'trial4mod:plain' of task 'a' could not be built: TypeError"):
        env.reset(seed=0)


def test_answers_that_start_with_a_minus_are_answers(capsys) -> None:
    for pred, gold in (("-\\frac{1}{2}", "-0.5"), ("-x", "-x"), ("-7", "-7")):
        assert main(["verify", "math", pred, gold]) == 0
        assert capsys.readouterr().out.startswith("correct"), (pred, gold)
    assert main(["verify", "--json", "math", "-3", "-4"]) == 1  # wrong: exit status 1
    assert json.loads(capsys.readouterr().out)["correct"] is False


# -- configs, dry runs, paths ---------------------------------------------------------------------------

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'steps' is given twice in one mapping \\(line 2 and line 4\\)"):
        load_config(write(tmp_path, "name: d\nsteps: 2\nloop: games\nsteps: 3\n"))
    # a key merged in (<<) may be given again after it: that is how a merge is overridden
    cfg = load_config(write(tmp_path, "loop: games\nsampling: {<<: {max_new_tokens: 8}, max_new_tokens: 16}\n"))
    assert cfg.sampling.max_new_tokens == 16


def test_a_tiny_model_whose_heads_do_not_divide_it_is_refused_by_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, "loop: games\n")
    with pytest.raises(ConfigError, match="hidden_size \\(64\\) must be a multiple of num_heads \\(3\\)"):
        load_config(path, {"model.tiny.num_heads": 3})


@pytest.mark.parametrize(("overrides", "error", "says"), [
    ({"games.env": "zeroplay/KuhnPokr-v0"}, UnknownIdError, "Did you mean 'zeroplay/KuhnPoker-v0'"),
    ({"games.env": "nosuchmodule4:Env"}, ZeroplayError, "cannot import module 'nosuchmodule4'"),
    ({"eval.opponents": ["randomm"]}, UnknownIdError, "Did you mean 'random'"),
    ({"model.path": "/nonexistent/model"}, ConfigError, "does not exist"),
])
def test_a_dry_run_refuses_names_that_name_nothing(tmp_path: Path, overrides, error, says) -> None:
    path = write(tmp_path, yaml.safe_dump({"loop": "games", "out_dir": str(tmp_path), "name": "dry"}))
    describe(load_config(path, {}))  # the plain config passes
    with pytest.raises(error, match=says):
        describe(load_config(path, overrides))


def test_a_run_directory_as_model_path_points_at_its_model(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "demo"
    (run / "final_model").mkdir(parents=True)
    (run / "config.json").write_text('{"loop": "games"}')
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    (run / "final_model" / "config.json").write_text('{"model_type": "llama"}')
    path = write(tmp_path, yaml.safe_dump({"loop": "games", "out_dir": str(tmp_path), "model": {"path": str(run)}}))
    with pytest.raises(ConfigError, match=f"is a training run; train from its model: {run}/final_model"):
        describe(load_config(path, {}))


def test_a_device_this_machine_lacks_is_a_clear_error() -> None:
    import torch

    from zeroplay.training.build import resolve_device

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="model.device cuda: this machine has no CUDA device"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="model.device 'banana' is no device torch knows"):
        resolve_device("banana")


def test_report_into_a_missing_directory_says_so(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "no" / "r.html")]) == 2
    assert f"its directory {tmp_path / 'no'} does not exist" in capsys.readouterr().err
