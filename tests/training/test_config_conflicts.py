"""Conflicting or unread config is not accepted silently: a built-in role and a ``scripted:`` agent for
the same role are refused in one line; settings the chosen loop does not read get one warning line
(also under ``--dry-run``); ``--dry-run`` shows the scripted roles and refuses a resume with a changed
config and ``--nproc 0``, as the run does, before building anything."""

import json
from pathlib import Path

import pytest
import yaml

from zeroplay.cli import main
from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict
from zeroplay.training.checkpoint import CHECKPOINT_NAME
from zeroplay.training.config import ignored_settings, load_config

from .conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
EVOENV = REPO / "recipes" / "evoenv.yaml"


def _evoenv(**over):
    data = yaml.safe_load(EVOENV.read_text())
    for key, value in over.items():
        data.setdefault(key.split(".")[0], {})
        if "." in key:
            data[key.split(".")[0]][key.split(".")[1]] = value
        else:
            data[key] = value
    return data


# -- a built-in role and a scripted: agent for the same role ------------------------------------------

def test_the_built_in_evoenv_writer_and_a_scripted_generator_are_refused_in_one_line():
    with pytest.raises(ConfigError) as e:
        config_from_dict(_evoenv(scripted={"generator": "mypkg.agents:Writer"}), "evoenv.yaml")
    msg = str(e.value)
    assert len(msg.splitlines()) == 1, msg
    assert "evoenv.generator: scripted" in msg and "scripted.generator (mypkg.agents:Writer)" in msg, msg
    assert "set evoenv.generator: policy" in msg and "drop scripted.generator" in msg, msg


def test_a_scripted_generator_is_taken_with_generator_policy_and_scripting_the_solver_is_not_a_conflict():
    cfg = config_from_dict(_evoenv(**{"evoenv.generator": "policy"}, scripted={"generator": "mypkg.agents:Writer"}))
    assert cfg.scripted["generator"].agent == "mypkg.agents:Writer"
    cfg = config_from_dict(_evoenv(scripted={"solver": "random"}))  # the built-in writer, a scripted solver
    assert cfg.loop_config.generator == "scripted" and set(cfg.scripted) == {"solver"}


def test_the_cli_refuses_the_conflict_with_one_line_and_exit_2(capsys):
    rc = main(["train", str(EVOENV), "--dry-run", "--set", "scripted.generator=mypkg.agents:Writer"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "conflicts with scripted.generator" in err, err


# -- settings the chosen loop does not read -----------------------------------------------------------

def test_an_rlvr_run_names_the_games_section_and_the_games_eval_fields_it_ignores():
    cfg = load_config(REPO / "recipes" / "agnostics.yaml",
                      {"games.games_per_step": 4, "eval.games": 7, "eval.opponents": ["nash"]})
    assert ignored_settings(cfg) == ("warning: loop rlvr does not read games: (games.games_per_step), eval.opponents, "
                                     "eval.games; they are ignored (remove them, or choose the loop that reads them)")


def test_a_leftover_section_after_switching_the_loop_is_named_with_its_fields():
    cfg = load_config(REPO / "recipes" / "evol_rl.yaml", {"loop": "games"})
    warning = ignored_settings(cfg)
    assert warning.startswith("warning: loop games does not read rlvr: (rlvr.env, "), warning
    assert "eval.samples_per_task" in warning and "eval.pass_k" in warning and "eval.every" not in warning, warning


@pytest.mark.parametrize("path", sorted((REPO / "recipes").glob("*.yaml")) + sorted((REPO / "configs").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_no_recipe_or_config_sets_what_its_loop_ignores(path):
    assert ignored_settings(load_config(path)) is None


def test_eval_fields_at_their_defaults_and_a_saved_config_json_warn_about_nothing(tmp_path):
    assert ignored_settings(config_from_dict(tiny_config(tmp_path, **{"eval.samples": 32}))) is None  # the default
    assert "eval.samples" in ignored_settings(config_from_dict(tiny_config(tmp_path, **{"eval.samples": 5})))
    saved = json.loads(config_from_dict(tiny_config(tmp_path)).model_dump_json())  # every field, sections null
    assert "rlvr" in saved and ignored_settings(config_from_dict(saved)) is None


def test_the_warning_goes_to_stderr_once_under_dry_run(tmp_path, capsys):
    rc = main(["train", str(REPO / "recipes" / "evol_rl.yaml"), "--dry-run", "--set", "loop=games",
               "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert rc == 0 and captured.err.count("warning: loop games does not read rlvr:") == 1, captured.err
    assert "loop: games" in captured.out and "warning: loop" not in captured.out


# -- what --dry-run shows and refuses -----------------------------------------------------------------

def test_dry_run_shows_which_agent_plays_which_role(tmp_path, capsys):
    rc = main(["train", str(EVOENV), "--dry-run", "--out", str(tmp_path), "--set", "evoenv.generator=policy",
               "--set", "scripted.generator={agent: mypkg.agents:Writer, kwargs: {seed: 3}}"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "policy policy (roles solver): model tiny" in out, out
    assert "scripted role generator: agent mypkg.agents:Writer {'seed': 3} (not trained)" in out, out


def test_dry_run_refuses_nproc_0_like_the_run(tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config(tmp_path)))
    assert main(["train", str(cfg), "--dry-run", "--nproc", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "zeroplay train: error: --nproc takes a number of processes >= 1, got 0", err


def _run_with_checkpoint(tmp_path) -> Path:
    """A run directory as a run leaves it: its config.json and a checkpoint (a dry run does not load it)."""
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config(tmp_path, steps=1)))
    run_dir = tmp_path / "t"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(load_config(cfg).model_dump_json(indent=2))
    (run_dir / CHECKPOINT_NAME).write_bytes(b"")
    return cfg


def test_dry_run_refuses_a_resume_with_a_changed_config_as_the_run_does(tmp_path, capsys):
    cfg = _run_with_checkpoint(tmp_path)
    rc = main(["train", str(cfg), "--dry-run", "--set", "optim.lr=0.1"])
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and captured.out == "", err
    assert "does not fit this config" in err and "optim.lr: 0.001 -> 0.1" in err, err
    assert "--allow-config-change" in err, err


def test_dry_run_lists_the_changes_a_resume_accepts(tmp_path, capsys):
    cfg = _run_with_checkpoint(tmp_path)
    assert main(["train", str(cfg), "--dry-run", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "config changes from the run's config.json (a resume may change them): steps: 1 -> 3" in out, out
    assert main(["train", str(cfg), "--dry-run", "--set", "optim.lr=0.1", "--allow-config-change"]) == 0
    out = capsys.readouterr().out
    assert "(--allow-config-change): optim.lr: 0.001 -> 0.1" in out, out
    assert (tmp_path / "t" / CHECKPOINT_NAME).read_bytes() == b"" and not (tmp_path / "t" / "init_model").exists()
