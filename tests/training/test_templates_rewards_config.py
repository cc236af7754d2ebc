"""Prompt templates, reward shaping and config validation."""

import pytest

import zeroplay as zp
from zeroplay.core.errors import ConfigError
from zeroplay.core.tasks import TaskEnv
from zeroplay.core.types import Task
from zeroplay.training.config import config_from_dict, load_config
from zeroplay.training.rewards import RewardShaping, game_training_returns, learnability, proposer_reward, solver_reward
from zeroplay.training.templates import get_template, last_boxed

# ---- templates


def test_r1_template_unwraps_the_answer_and_checks_the_format():
    t = get_template("r1")
    assert t.parse("<think>K is high</think> <answer>[bet]</answer>") == ("[bet]", True)
    assert t.parse("<answer>42</answer>") == ("42", True)
    assert t.parse("chatter <answer>42</answer> more") == ("42", False)  # answer found, format not followed
    assert t.parse("no tags at all") == ("", False)
    assert t.messages("obs")[0]["role"] == "system" and t.messages("obs")[-1] == {"role": "user", "content": "obs"}


def test_boxed_template_handles_nested_braces_and_takes_the_last_box():
    t = get_template("boxed")
    assert t.parse(r"first \boxed{1} then \boxed{\frac{1}{2}}") == (r"\frac{1}{2}", True)
    assert t.parse(r"\boxed{[call]}") == ("[call]", True)
    assert t.parse(r"unbalanced \boxed{1") == ("", False)
    assert last_boxed(r"\boxed{a} \boxed{b") == "a"


def test_plain_template_passes_text_through():
    assert get_template("plain").parse("I [check]") == ("I [check]", True)


@pytest.mark.parametrize("hostile", ["", "\x00" * 10, "<answer>" * 5000, "\\boxed{" * 5000, None])
def test_templates_never_raise_on_hostile_text(hostile):
    for name in ("plain", "r1", "boxed"):
        action, ok = get_template(name).parse(hostile)
        assert isinstance(action, str) and isinstance(ok, bool)


@pytest.mark.parametrize("name,completion", [
    ("r1", "<think>high card</think><answer>[bet]</answer>"),
    ("boxed", "I hold K so \\boxed{[bet]}"),
    ("plain", "[bet]"),
])
def test_each_template_drives_a_game_parser(name, completion):
    env = zp.make("zeroplay/KuhnPoker-v0")
    env.reset(seed=0)
    action, ok = get_template(name).parse(completion)
    _, _, _, _, info = env.step(action)
    assert ok and not info.get("invalid_move")


@pytest.mark.parametrize("name,completion", [
    ("r1", "<think>2+2</think><answer>4</answer>"),
    ("boxed", "so the answer is \\boxed{4}"),
    ("plain", "4"),
])
def test_each_template_drives_a_task_verifier(name, completion):
    env = TaskEnv([Task("t", "2+2?", "4", verifier="exact")])
    env.reset(seed=0)
    action, ok = get_template(name).parse(completion)
    _, reward, _, _, info = env.step(action)
    assert ok and reward == 1.0 and info["verdict"].correct


@pytest.mark.parametrize("name", ["plain", "r1", "boxed"])
def test_format_writes_what_parse_reads_back(name):
    template = get_template(name)
    for action in ("[bet]", "\\frac{1}{2}", "[1, {2: 3}]"):
        assert template.parse(template.format(action)) == (action, True)
        assert template.parse(template.format(action, thought="because")) == (action, True)
    assert get_template("r1").format("[bet]", thought="bet") == "<think>bet</think> <answer>[bet]</answer>"


def test_unknown_template_names_the_choices():
    with pytest.raises(ConfigError, match="boxed"):
        get_template("chatml")

# ---- rewards


def test_solver_rewards_default_to_absolute_zero_values():
    s = RewardShaping()
    assert solver_reward(True, True, s) == 1.0
    assert solver_reward(False, True, s) == -0.5
    assert solver_reward(True, False, s) == -1.0


def test_learnability_and_proposer_reward():
    assert learnability(0.0) == 0.0 and learnability(1.0) == 0.0
    assert learnability(0.25) == pytest.approx(0.75)
    assert proposer_reward(False, None, RewardShaping()) == -1.0
    assert proposer_reward(True, 0.5, RewardShaping()) == 0.5


def test_illegal_move_training_penalty_replaces_env_returns():
    s = RewardShaping()
    assert game_training_returns([-1.0, 1.0], {"invalid_move": True, "offender": 0}, s) == [-1.5, 0.5]
    assert game_training_returns([2.0, -2.0], {}, s) == [2.0, -2.0]


def test_illegal_move_penalty_end_to_end_in_a_real_game():
    env = zp.make("zeroplay/KuhnPoker-v0")
    env.reset(seed=1)
    _, _, done, _, info = env.step("[raise a lot]")
    assert done
    assert info["returns"] == [-1.0, 1.0]  # the env's own (evaluation) rule
    assert game_training_returns(info["returns"], info, RewardShaping()) == [-1.5, 0.5]

# ---- config


def test_config_defaults_fill_the_loop_section():
    cfg = config_from_dict({"loop": "games"})
    assert cfg.games is not None and cfg.games.env == "zeroplay/KuhnPoker-v0"
    assert cfg.advantage.rae_decay == 0.95 and cfg.loss.clip_high == 0.28


def test_config_typo_is_named(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("loop: games\noptim:\n  lrr: 0.1\n")
    with pytest.raises(ConfigError, match=r"optim\.lrr: unknown field"):
        load_config(p)


def test_config_bad_value_is_named():
    with pytest.raises(ConfigError, match=r"optim\.lr"):
        config_from_dict({"loop": "games", "optim": {"lr": -1}})
    with pytest.raises(ConfigError, match="loop"):
        config_from_dict({"loop": "chess"})
    with pytest.raises(ConfigError, match="ref_model"):
        config_from_dict({"loop": "games", "loss": {"kl_coef": 0.1}})


def test_config_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="configs/"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("loop: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:2:1: not valid YAML"):
        load_config(bad)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(binary)
    listing = tmp_path / "list.yaml"
    listing.write_text("- loop: games\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top level, got list"):
        load_config(listing, {"steps": 1})


def test_an_override_through_a_value_is_named(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("loop: games\nsteps: 3\n")
    with pytest.raises(ConfigError, match=r"--set steps\.x: steps is a value, not a section"):
        load_config(p, {"steps.x": 1})


def test_an_override_that_is_not_yaml_is_kept_as_text_and_validated(tmp_path):
    from zeroplay.training.cli import parse_overrides

    p = tmp_path / "c.yaml"
    p.write_text("loop: games\n")
    with pytest.raises(ConfigError, match=r"optim\.lr"):
        load_config(p, parse_overrides(["optim.lr=["]))


def test_an_out_dir_that_is_a_file_is_a_clear_error(tmp_path):
    from zeroplay.training import train

    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        train(config_from_dict({"loop": "games", "out_dir": str(tmp_path / "afile")}), quiet=True)


def test_every_shipped_config_validates():
    from pathlib import Path

    configs = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))
    assert configs, "configs/ holds the shipped configs"
    for p in configs:
        load_config(p)


def test_overrides_use_dotted_keys(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("loop: games\n")
    cfg = load_config(p, {"optim.lr": 0.5, "steps": 3})
    assert cfg.optim.lr == 0.5 and cfg.steps == 3


def test_threads_default_to_one_for_the_tiny_model_only():
    assert config_from_dict({"loop": "games"}).torch_threads == 1
    assert config_from_dict({"loop": "games", "model": {"path": "/models/real"}}).torch_threads == 0  # torch's choice
    assert config_from_dict({"loop": "games", "threads": 4}).torch_threads == 4
