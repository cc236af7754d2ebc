"""A reward field takes only the kinds of reward its loop calls: every built-in reward declares its kind,
every reward field of every loop checks it when the config is validated (``config_from_dict``,
``zeroplay train --dry-run``), a plug-in reward without a kind is accepted as before, and one that
declares a kind is checked like a built-in."""

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from zeroplay.cli import main
from zeroplay.core.errors import ConfigError
from zeroplay.core.registry import EntryPointError
from zeroplay.training import load_config
from zeroplay.training.config import config_from_dict
from zeroplay.training.registry import LOOPS, REWARDS, check_reward, lookup
from zeroplay.training.rewards import group_reward, is_group_reward, kind_of, reward_kind

REPO = Path(__file__).resolve().parents[2]

# written out by hand: the kind of every built-in reward ...
KINDS = {
    "correctness": "solver", "binary": "solver",
    "learnability": "proposer", "adversarial": "proposer", "barely_provable": "proposer",
    "middle_solve_rate": "proposer", "ttcs_frontier": "proposer",
    "svs_band": "proposer_band",
    "illegal_move_penalty": "game", "env_returns": "game",
    "majority_vote": "group",
    "hint_delta": "likelihood",
    "env_admission": "generator",
    "utrl_discrimination": "test_writer",
    "utrl_code": "coder",
}
# ... the parameters every reward of a kind starts with (what its loops pass) ...
SIGNATURES = {
    "solver": ("correct", "well_formed", "shaping"),
    "proposer": ("valid", "*", "shaping"),  # solve_rate, or ttcs's consistency
    "proposer_band": ("valid", "solve_rate", "shaping", "band"),
    "game": ("returns", "info", "shaping"),
    "group": ("answers", "same", "shaping"),
    "likelihood": ("without", "with_hint", "shaping"),
    "generator": ("stage", "novelty", "shaping"),
    "test_writer": ("outcome", "weights"),
    "coder": ("passed", "well_formed", "weights"),
}
# ... and the kinds every reward field of every loop calls
FIELDS = {
    ("games", "reward"): ("game",),
    ("rlvr", "reward"): ("solver", "group"),
    ("propose_solve", "solver_reward"): ("solver",),
    ("propose_solve", "proposer_reward"): ("proposer",),
    ("evoenv", "solver_reward"): ("solver",),
    ("evoenv", "generator_reward"): ("generator",),
    ("search_self_play", "solver_reward"): ("solver",),
    ("search_self_play", "proposer_reward"): ("proposer",),
    ("g_zero", "proposer_reward"): ("likelihood",),
    ("sws", "reward"): ("solver",),
    ("ttcs", "solver_reward"): ("group",),
    ("ttcs", "synthesizer_reward"): ("proposer",),
    ("svs", "solver_reward"): ("solver",),
    ("svs", "synthesizer_reward"): ("proposer_band",),
    ("stp", "conjecturer_reward"): ("proposer",),
    ("stp", "prover_reward"): ("solver",),
    ("utrl", "test_writer_reward"): ("test_writer",),
    ("utrl", "coder_reward"): ("coder",),
}
CONFIGS = sorted((REPO / "recipes").glob("*.yaml")) + sorted((REPO / "configs").glob("*.yaml"))


def _recipe_of(loop: str) -> Path:
    """A shipped config of ``loop``, the base every field is set in."""
    return next(p for p in CONFIGS if yaml.safe_load(p.read_text()).get("loop") == loop)


def _with(loop: str, field: str, reward: str) -> dict:
    data = yaml.safe_load(_recipe_of(loop).read_text())
    data[loop] = {**(data.get(loop) or {}), field: reward}
    return data


def _right(kinds: tuple[str, ...], extra: dict[str, str] | None = None) -> str:
    """The list the error gives: the registered rewards of ``kinds``, sorted."""
    return ", ".join(sorted(n for n, k in {**KINDS, **(extra or {})}.items() if k in kinds))


@pytest.fixture
def own_rewards(monkeypatch):
    """REWARDS as it is, restored after the test (a test registers its plug-ins in it)."""
    REWARDS.registered()  # installed plug-ins loaded into the original, so the copy has them too
    monkeypatch.setattr(REWARDS, "_specs", dict(REWARDS._specs))
    return REWARDS


def test_every_built_in_reward_declares_the_kind_its_signature_is() -> None:
    # zeroplay's own: registered by name under zeroplay. (not a plug-in, nor a function another test module
    # registered in this process)
    built_in = {n for n in REWARDS.registered() if not REWARDS.spec(n).plugin
                and isinstance(REWARDS.spec(n).entry_point, str) and REWARDS.spec(n).entry_point.startswith("zeroplay.")}
    assert built_in == set(KINDS)
    for name, kind in KINDS.items():
        fn = lookup(REWARDS, name)
        assert kind_of(fn) == kind, name
        params = list(inspect.signature(fn).parameters)
        expected = SIGNATURES[kind]
        assert len(params) >= len(expected) and all(e in ("*", p) for e, p in zip(expected, params)), (name, params)


def test_the_table_holds_every_reward_field_of_every_loop() -> None:
    found = set()
    for loop in LOOPS.registered():
        schema = getattr(lookup(LOOPS, loop), "config_class", None)
        for field, info in (schema.model_fields.items() if schema is not None else ()):
            if field.endswith("reward") and info.annotation is str:
                found.add((loop, field))
    assert found == set(FIELDS)


@pytest.mark.parametrize("loop, field", sorted(FIELDS))
def test_a_reward_field_takes_its_kinds_and_refuses_the_others(loop: str, field: str) -> None:
    kinds = FIELDS[(loop, field)]
    for name, kind in KINDS.items():
        data = _with(loop, field, name)
        if kind in kinds:
            assert getattr(config_from_dict(data).loop_config, field) == name
            continue
        with pytest.raises(ConfigError) as e:
            config_from_dict(data)
        said = [line for line in str(e.value).splitlines() if f"{loop}.{field}:" in line]
        assert len(said) == 1, str(e.value)
        assert said[0].endswith(f"'{name}' is a {kind} reward, not a {' or '.join(kinds)} reward; {field} takes "
                                f"one of: {_right(kinds)}"), said[0]


@pytest.mark.parametrize("loop, field", sorted(FIELDS))
def test_zeroplay_train_dry_run_refuses_a_wrong_kind(loop: str, field: str, capsys) -> None:
    kinds = FIELDS[(loop, field)]
    wrong = next(n for n, k in KINDS.items() if k not in kinds)
    argv = ["train", str(_recipe_of(loop)), "--set", f"{loop}.{field}={wrong}", "--dry-run"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if f"{loop}.{field}:" in line]
    assert len(said) == 1 and f"'{wrong}' is a {KINDS[wrong]} reward" in said[0] and _right(kinds) in said[0], err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2, err  # at most "Invalid ...:" above it


def test_the_new_users_example_through_the_console_script() -> None:
    script = Path(sys.executable).parent / "zeroplay"
    proc = subprocess.run([str(script), "train", "recipes/evol_rl.yaml", "--set", "rlvr.reward=learnability",
                           "--dry-run"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout[-2000:]
    assert ("rlvr.reward: 'learnability' is a proposer reward, not a solver or group reward; reward "
            "takes one of: binary, correctness, majority_vote") in proc.stderr, proc.stderr


def kindless(correct, well_formed, shaping):
    return 3.0 if correct else 0.0


@reward_kind("proposer")
def kinded(valid, solve_rate, shaping):
    return 0.0 if solve_rate is None else 1.0 - solve_rate


def test_a_plugin_without_a_kind_is_accepted_by_every_field(own_rewards) -> None:
    own_rewards.register("zp_kindless", kindless)
    assert kind_of(kindless) is None
    for loop, field in FIELDS:
        assert getattr(config_from_dict(_with(loop, field, "zp_kindless")).loop_config, field) == "zp_kindless"


def test_a_plugin_that_declares_a_kind_is_checked_and_listed(own_rewards) -> None:
    own_rewards.register("zp_kinded", kinded)
    assert kind_of(kinded) == "proposer"
    for (loop, field), kinds in FIELDS.items():
        data = _with(loop, field, "zp_kinded")
        if "proposer" in kinds:
            assert getattr(config_from_dict(data).loop_config, field) == "zp_kinded"
        else:
            with pytest.raises(ConfigError, match=f"'zp_kinded' is a proposer reward, not a .*; {field} takes one of"):
                config_from_dict(data)
    # and it is offered where a proposer reward is wanted
    with pytest.raises(ConfigError) as e:
        config_from_dict(_with("propose_solve", "proposer_reward", "binary"))
    assert str(e.value).endswith(f"takes one of: {_right(('proposer',), {'zp_kinded': 'proposer'})}"), str(e.value)


def test_a_broken_plugin_does_not_break_the_listing_and_fails_where_it_is_named(own_rewards) -> None:
    own_rewards.register("zp_broken_kind", "zp_kinds_nowhere_xyz:reward")
    with pytest.raises(ValueError, match=r"takes one of: binary, correctness$"):
        check_reward("learnability", ("solver",), "solver_reward")
    with pytest.raises(EntryPointError, match=r"reward 'zp_broken_kind'.*cannot import module 'zp_kinds_nowhere_xyz'"):
        config_from_dict(_with("rlvr", "reward", "zp_broken_kind"))  # as before: check_name's own error


ENTRY_POINTS = """
[zeroplay.rewards]
zp_ep_kindless = zp_kind_probe.parts:kindless
zp_ep_proposer = zp_kind_probe.parts:proposer
"""
PARTS = """
from zeroplay.training.rewards import reward_kind


def kindless(correct, well_formed, shaping):
    return 1.0 if correct else 0.0


@reward_kind("proposer")
def proposer(valid, solve_rate, shaping):
    return 0.0
"""


def test_installed_plugins_through_zeroplay_train(tmp_path) -> None:
    site = tmp_path / "site"
    (site / "zp_kind_probe").mkdir(parents=True)
    (site / "zp_kind_probe" / "__init__.py").write_text("")
    (site / "zp_kind_probe" / "parts.py").write_text(textwrap.dedent(PARTS))
    dist = site / "zp_kind_probe-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: zp-kind-probe\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    env = {**os.environ, "PYTHONPATH": str(site)}

    def dry_run(reward: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "zeroplay.cli", "train", "recipes/evol_rl.yaml", "--set",
                               f"rlvr.reward={reward}", "--dry-run"], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)

    proc = dry_run("zp_ep_kindless")
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = dry_run("zp_ep_proposer")
    assert proc.returncode == 2 and ("'zp_ep_proposer' is a proposer reward, not a solver or group reward; reward "
                                     "takes one of: binary, correctness, majority_vote") in proc.stderr, proc.stderr


def test_both_ways_of_marking_a_group_reward_are_one() -> None:
    @group_reward
    def marked(answers, same, shaping):
        return [0.0] * len(answers)

    @reward_kind("group")
    def declared(answers, same, shaping):
        return [0.0] * len(answers)

    assert kind_of(marked) == kind_of(declared) == "group"
    assert is_group_reward(marked) and is_group_reward(declared)  # what rlvr asks to call it once per group
    assert not is_group_reward(kinded) and not is_group_reward(kindless)


def test_a_kind_is_one_lower_case_word() -> None:
    for bad in ("Solver", "solver reward", "", "1st", None):
        with pytest.raises(ValueError, match="one lower-case word"):
            reward_kind(bad)  # type: ignore[arg-type]


def test_checking_a_kind_imports_nothing_heavy() -> None:
    code = ("import sys\nfrom zeroplay.training.registry import check_reward\n"
            "check_reward('correctness', ('solver',), 'reward')\n"
            "print(sorted({'torch', 'transformers'} & set(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr[-2000:]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_config_still_validates(path: Path) -> None:
    load_config(path)


# -- what a plug-in reward returns ----------------------------------------------------------------------
def forgot_return(returns, info, shaping):
    """A game reward that computes its value and forgets to return it."""
    [float(r) for r in returns]


@reward_kind("solver")
def says_yes(correct, well_formed, shaping):
    return "yes" if correct else 0.0


def test_a_plugin_reward_that_returns_no_number_is_one_error_naming_it(own_rewards, tmp_path) -> None:
    from zeroplay.training import train
    from zeroplay.training.rewards import RewardError

    from .conftest import tiny_config

    REWARDS.register("zp_forgot_return", forgot_return)
    cfg = config_from_dict(tiny_config(tmp_path, **{"games.reward": "zp_forgot_return", "eval.exploitability": False}))
    with pytest.raises(RewardError, match=r"^reward 'zp_forgot_return' returned None \(NoneType\); a reward returns a "
                                          r"number \(a float\), or a list of numbers for a game's or a group's reward$"):
        train(cfg, quiet=True)
    REWARDS.register("zp_says_yes", says_yes)
    checked = lookup(REWARDS, "zp_says_yes")
    assert kind_of(checked) == "solver" and checked(False, True, None) == 0.0  # its kind and values pass through
    with pytest.raises(RewardError, match=r"'zp_says_yes' returned 'yes' \(str\); a solver reward returns a number"):
        checked(True, True, None)
    assert lookup(REWARDS, "correctness") is lookup(REWARDS, "correctness")  # zeroplay's own: not wrapped
