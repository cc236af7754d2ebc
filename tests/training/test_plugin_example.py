"""The example plug-in package (examples/plugin_loop) works as its docs say, installing nothing: its package
goes on sys.path, ``register()`` adds its loop, reward and estimator in this process, and its config
trains 2 steps through ``zeroplay.training.train``. Its ``pyproject.toml`` declares the same names
(what ``pip install`` turns into entry points; tests/training/test_plugins.py covers that path).
A plug-in loop's section read as ``cfg.<loop>`` says to use ``cfg.loop_config``."""

import pickle
from pathlib import Path

import pytest
import torch

from zeroplay.core.errors import ConfigError
from zeroplay.core.registry import load_entry_point
from zeroplay.training import load_config, read_metrics, train
from zeroplay.training.advantages import AdvantageEstimator
from zeroplay.training.config import AdvantageConfig
from zeroplay.training.registry import ADVANTAGES, LOOPS, REWARDS
from zeroplay.training.rewards import RewardShaping
from zeroplay.training.rollout import Sample, ShardedLoop
from zeroplay.training.runlog import read_samples

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugin_loop"
CONFIG = EXAMPLE / "tiny.yaml"


@pytest.fixture
def example(monkeypatch):
    """The example package importable and registered, in this test only (the registries are restored after)."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    for registry in (LOOPS, REWARDS, ADVANTAGES):
        registry.registered()  # installed plug-ins loaded into the original, so the copy below has them too
        monkeypatch.setattr(registry, "_specs", dict(registry._specs))
    import zp_plugin_example

    zp_plugin_example.register()
    return zp_plugin_example


def test_pyproject_declares_what_register_registers(example):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    declared = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]["entry-points"]
    assert {(g.removeprefix("zeroplay."), n, ep) for g, eps in declared.items() for n, ep in eps.items()} \
        == set(example.PARTS)
    loop = load_entry_point(declared["zeroplay.loops"]["target_length"])
    assert issubclass(loop, ShardedLoop) and loop.config_class is not None
    assert issubclass(load_entry_point(declared["zeroplay.advantages"]["scaled_centered"]), AdvantageEstimator)
    assert callable(load_entry_point(declared["zeroplay.rewards"]["hit_or_miss"]))


def test_the_example_reward_and_estimator_give_hand_computed_values(example):
    from zp_plugin_example.advantages import ScaledCentered
    from zp_plugin_example.rewards import hit_or_miss

    shaping = RewardShaping()
    assert [hit_or_miss(True, True, shaping), hit_or_miss(False, True, shaping), hit_or_miss(True, False, shaping)] \
        == [1.0, 0.0, -1.0]
    assert hit_or_miss(False, False, RewardShaping(solver_malformed=-0.25)) == -0.25
    samples = [Sample([], [], [], reward=r, group=g) for r, g in [(1, "a"), (0, "a"), (0, "a"), (1, "b"), (1, "b")]]
    adv = ScaledCentered(AdvantageConfig(estimator="scaled_centered", options={"scale": 2.0}))(samples)
    # group a: mean 1/3, so 2 * (2/3, -1/3, -1/3); group b: all equal, so 0
    assert torch.allclose(adv, torch.tensor([4 / 3, -2 / 3, -2 / 3, 0.0, 0.0]))
    assert ScaledCentered(AdvantageConfig(estimator="scaled_centered"))([]).numel() == 0


def test_the_example_config_trains_two_steps(example, tmp_path):
    run_dir = train(load_config(CONFIG, {"steps": 2, "out_dir": str(tmp_path)}), quiet=True)
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert "eval/hit_rate" in rows[0] and "eval/hit_rate" in rows[2]  # before training and at the end
    for r in rows[1:]:
        assert 0 <= r["train/hit_rate"] <= 1 and r["train/length"] >= 0
        # the plain template makes every answer well formed, so hit_or_miss is 1 per hit, 0 per miss
        assert r["reward/mean"] == pytest.approx(r["train/hit_rate"])
        assert r["count/trained_samples"] == 64.0  # 8 prompts x 8 answers
    # the logged samples were rewarded by the plug-in reward: 1 for an answer of 3 characters, else 0
    logged = read_samples(run_dir / "samples.jsonl")
    assert logged and all(s["env"] == "target_length" for s in logged)
    assert all(s["reward"] == float(len(s["completion"].strip()) == 3) for s in logged)


def test_a_typo_in_the_example_section_names_the_field(example):
    with pytest.raises(ConfigError, match=r"target_length\.targte: unknown field"):
        load_config(CONFIG, {"target_length.targte": 3})


def test_a_plugin_section_read_as_an_attribute_says_to_use_loop_config(example):
    cfg = load_config(CONFIG)
    with pytest.raises(AttributeError, match=r"'target_length'.*cfg\.loop_config"):
        cfg.target_length  # noqa: B018
    assert cfg.loop_config.target == 3 and type(cfg.loop_config).__name__ == "TargetLengthConfig"
    assert not hasattr(cfg, "target_length") and getattr(cfg, "target_length", None) is None
    with pytest.raises(AttributeError, match=r"no attribute 'stepz'$"):  # other names: pydantic's own error
        cfg.stepz  # noqa: B018
    assert cfg.games is None and cfg.steps == 100  # fields and built-in loop sections as before
    assert pickle.loads(pickle.dumps(cfg)) == cfg


def test_the_example_reward_declares_its_kind_and_fields_check_it(example):
    # a proposer reward in the example's solver field, and the example's solver reward in a proposer's
    # field, are refused when the config is validated, naming the rewards that fit
    with pytest.raises(ConfigError, match=r"'learnability' is a proposer reward, not a solver reward.*hit_or_miss"):
        load_config(CONFIG, {"target_length.reward": "learnability"})
    with pytest.raises(ConfigError, match=r"'hit_or_miss' is a solver reward, not a proposer reward"):
        load_config(Path(__file__).resolve().parents[2] / "configs" / "propose_solve_tiny.yaml",
                    {"propose_solve.proposer_reward": "hit_or_miss"})
    assert load_config(CONFIG, {"target_length.reward": "binary"}).loop_config.reward == "binary"
