"""A reward, an advantage estimator or a loss term named by where it lives (``"module.path:Name"``),
unregistered: a config takes it where it takes a registered name, checks it the same way (a reward's
kind, a broken module as one line) and the run uses it. A loop still needs a registered name (it is its
section's key)."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from zeroplay.core.errors import ConfigError, ZeroplayError
from zeroplay.training.config import config_from_dict
from zeroplay.training.registry import ADVANTAGES, LOSS_TERMS, REWARDS, lookup
from zeroplay.training.rewards import RewardError, kind_of

from .conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
MODULE = "zp_spec_parts"

PARTS = """
import torch

from zeroplay.training.advantages import AdvantageEstimator
from zeroplay.training.rewards import reward_kind

CALLS = {"reward": 0, "estimator": 0, "term": 0}
NOT_A_FUNCTION = 3


@reward_kind("game")
def halved(returns, info, shaping):
    CALLS["reward"] += 1
    return [r / 2 for r in returns]


@reward_kind("proposer")
def proposer(valid, solve_rate, shaping):
    return 0.0


def says_no(correct, well_formed, shaping):
    return "no"


class CountedMean(AdvantageEstimator):
    def __call__(self, samples):
        CALLS["estimator"] += 1
        r = torch.tensor([s.reward for s in samples], dtype=torch.float32)
        return r - r.mean()


def length_penalty(x):
    CALLS["term"] += 1
    return torch.ones_like(x.logprobs)
"""


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """The module ``zp_spec_parts`` on sys.path (not installed: no entry points), imported fresh."""
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{MODULE}.py").write_text(textwrap.dedent(PARTS))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    yield site
    sys.modules.pop(MODULE, None)


def test_a_run_uses_a_reward_estimator_and_loss_term_named_by_module(parts, tmp_path) -> None:
    from zeroplay.training import read_metrics, train

    cfg = config_from_dict(tiny_config(tmp_path, **{
        "games.reward": f"{MODULE}:halved", "advantage.estimator": f"{MODULE}:CountedMean",
        "loss.terms": {f"{MODULE}:length_penalty": 0.01}, "eval.exploitability": False, "warmup.steps": 0}))
    assert cfg.games.reward == f"{MODULE}:halved"  # the config keeps the name as given
    assert f"{MODULE}:halved" not in REWARDS.registered()  # and registers nothing
    run_dir = train(cfg, quiet=True)
    calls = sys.modules[MODULE].CALLS
    assert calls["reward"] > 0 and calls["estimator"] == cfg.steps and calls["term"] > 0, calls
    assert read_metrics(run_dir)[-1]["step"] == cfg.steps


def test_the_name_is_checked_like_a_registered_one(parts) -> None:
    checked = lookup(REWARDS, f"{MODULE}:halved")
    assert kind_of(checked) == "game" and checked([1.0, -1.0], {}, None) == [0.5, -0.5]
    with pytest.raises(RewardError, match=rf"reward '{MODULE}:says_no' returned 'no' \(str\)"):
        lookup(REWARDS, f"{MODULE}:says_no")(True, True, None)  # not zeroplay's own: what it returns is checked
    data = yaml.safe_load((REPO / "recipes" / "evol_rl.yaml").read_text())
    data["rlvr"]["reward"] = f"{MODULE}:proposer"
    with pytest.raises(ConfigError, match=rf"rlvr.reward: '{MODULE}:proposer' is a proposer reward, not a solver or "
                                          r"group reward; reward takes one of: binary, correctness, majority_vote"):
        config_from_dict(data)


@pytest.mark.parametrize(("registry", "spec", "says"), [
    (REWARDS, "zp_spec_nowhere_xyz:reward", "cannot import module 'zp_spec_nowhere_xyz'"),
    (REWARDS, f"{MODULE}:halvd", "Did you mean 'halved'?"),
    (ADVANTAGES, f"{MODULE}:NOT_A_FUNCTION", "is a int, not a class or a function"),
    (LOSS_TERMS, f"{MODULE}:length_penalty.nope", "length_penalty.nope"),
])
def test_a_name_that_does_not_load_is_one_line_naming_it(parts, registry, spec, says) -> None:
    with pytest.raises(ZeroplayError) as e:
        lookup(registry, spec)
    message = str(e.value)
    assert spec in message and says in message and "\n" not in message, message


def test_zeroplay_train_dry_run_takes_the_name_and_refuses_a_broken_one(parts, tmp_path) -> None:
    env_path = {"PYTHONPATH": str(parts)}

    def dry_run(reward: str) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run([sys.executable, "-m", "zeroplay.cli", "train", "recipes/spiral.yaml", "--set",
                               f"games.reward={reward}", "--dry-run"], cwd=REPO, env={**os.environ, **env_path},
                              capture_output=True, text=True, timeout=120)

    ok = dry_run(f"{MODULE}:halved")
    assert ok.returncode == 0, ok.stderr[-2000:]
    bad = dry_run(f"{MODULE}:halvd")
    assert bad.returncode == 2 and "Did you mean 'halved'?" in bad.stderr, bad.stderr[-2000:]
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) <= 2, bad.stderr


def test_a_loop_is_not_taken_by_module_and_an_unknown_reward_says_how_to_name_one(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"no loop named 'mypkg.loops:MyLoop'; registered: .*entry-point group\)"):
        config_from_dict({**tiny_config(tmp_path), "loop": "mypkg.loops:MyLoop"})
    with pytest.raises(ConfigError, match=r"no reward named 'halved'.* or name one by where it lives, "
                                          r"'mypkg.module:Name'\)"):
        config_from_dict(tiny_config(tmp_path, **{"games.reward": "halved"}))
