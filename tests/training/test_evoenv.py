"""EvoEnv in the loop: the real synth pipeline admits generated envs, the solver trains on the library."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint
from zeroplay.training.selfplay.evoenv import ScriptedEnvWriter, env_admission_reward

REPO = Path(__file__).resolve().parents[2]
SMALL = {"proposals_per_step": 3, "prompts_per_step": 2, "group_size": 2, "calibration_episodes": 2,
         "validation_seeds_per_level": 2, "band": [0.0, 0.8]}


def evoenv_config(tmp_path, **over):
    return {
        "name": "evo", "out_dir": str(tmp_path), "seed": 1, "loop": "evoenv", "steps": 1,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
        "sampling": {"max_new_tokens": 8, "batch_size": 16},
        "optim": {"micro_batch_size": 8},
        "evoenv": {"generator": "scripted", **SMALL},
        "eval": {"samples": 2},
        **over,
    }


def test_the_generator_reward_has_the_documented_values():
    assert env_admission_reward("static", 0.0) == -1.0
    assert env_admission_reward("discriminating", 0.0) == -1.0
    assert env_admission_reward("novelty", 0.0) == 0.0
    assert env_admission_reward("calibration", 0.0) == 0.25
    assert env_admission_reward(None, 0.2) == pytest.approx(0.6)
    assert env_admission_reward(None, 1.0) == 1.0


def test_the_scripted_writer_reads_the_prompt_s_examples_and_its_pair_variant_is_admissible():
    from zeroplay.envs.synth.novelty import similarity
    from zeroplay.envs.synth.pipeline import authoring_prompt, extract_source, seed_sources
    from zeroplay.envs.synth.validate import ValidationConfig, validate

    seed = seed_sources()["DivisibleCount"]
    writer = ScriptedEnvWriter()
    writer.VARIANTS = ("pair",)
    source = extract_source(writer.write(authoring_prompt([seed, seed]), random.Random(0)))
    assert "NAME = 'DivisibleCountPair'" in source and "_one_score" in source
    assert similarity(source, seed) < 0.8  # new structure for the novelty check
    report = validate(source, ValidationConfig(seeds_per_level=2))
    assert report.passed, str(report)
    assert "cannot see" in writer.write("no examples here", random.Random(0))


def test_evoenv_recipe_runs_two_steps_on_cpu_and_logs_per_role_metrics(tmp_path):
    cmd = [sys.executable, "-m", "zeroplay.cli", "train", str(REPO / "recipes" / "evoenv.yaml"), "--steps", "2",
           "--out", str(tmp_path), "--quiet"]
    for o in ("model.tiny.hidden_size=32", "model.tiny.num_layers=1", "evoenv.prompts_per_step=2",
              "evoenv.calibration_episodes=2", "eval.samples=4"):
        cmd += ["--set", o]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = tmp_path / "evoenv"
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2]
    for row in rows[1:]:
        assert row["evoenv/proposals"] == 4.0
        for key in ("evoenv/author/generator/reward", "evoenv/solver/reward", "evoenv/library_size", "reward/mean"):
            assert key in row, key
        assert any(k.startswith("evoenv/") and k.endswith("/solver/reward") and k != "evoenv/solver/reward" for k in row)
        rejected = sum(v for k, v in row.items() if k.startswith("evoenv/rejected/"))
        assert rejected + row["evoenv/admitted"] == 4.0
    last = rows[-1]
    assert last["evoenv/library_size"] > 0 or any(k.startswith("evoenv/rejected/") for k in last)
    # the library on disk is the checkpoint's
    loop_state = load_checkpoint(run_dir)["extra"]["loop"]
    state, retired = loop_state["library"], loop_state["retired"]
    index = json.loads((run_dir / "library" / "index.json").read_text())["envs"] if state or retired else {}
    assert sorted(index) == sorted(e["name"] for e in state + retired) and len(state) == last["evoenv/library_size"]
    assert "eval/accuracy" in json.loads((run_dir / "summary.json").read_text())["eval_after"]


def test_a_resumed_run_rebuilds_the_library_from_its_checkpoint(tmp_path):
    straight = train(config_from_dict(evoenv_config(tmp_path, name="straight", steps=2)), quiet=True)
    run_dir = train(config_from_dict(evoenv_config(tmp_path, name="cut", steps=1)), quiet=True)
    # what a step killed after the checkpoint leaves behind: an env the checkpoint does not know
    from zeroplay.envs.synth.library import Library
    from zeroplay.envs.synth.pipeline import seed_sources
    from zeroplay.envs.synth.spec import source_sha

    source = seed_sources()["WordSort"]
    Library(run_dir / "library").add(source, name="Stray", sha256=source_sha(source))
    resumed = train(config_from_dict(evoenv_config(tmp_path, name="cut", steps=2)), quiet=True)
    assert "Stray" not in Library(resumed / "library").names()
    a, b = read_metrics(straight), read_metrics(resumed)
    for key in ("evoenv/library_size", "evoenv/admitted", "evoenv/solver/reward", "reward/mean", "loss/pg"):
        assert a[2][key] == pytest.approx(b[2][key], abs=1e-6), key
    assert Library(straight / "library").names() == Library(resumed / "library").names()


def test_a_policy_generator_and_a_solver_as_two_policies(tmp_path):
    cfg = evoenv_config(tmp_path, evoenv={"generator": "policy", **SMALL},
                        policies={"generator": {"roles": ["generator"]}, "solver": {"roles": ["solver"]}})
    run_dir = train(config_from_dict(cfg), quiet=True)
    last = read_metrics(run_dir)[-1]
    # a tiny random model writes no valid env: every source is rejected, at a validation stage, and trained on
    assert last["policies/generator/count/trained_samples"] == 3
    assert last["policies/generator/reward/mean"] == -1.0
    assert last["policies/solver/count/trained_samples"] == 4
    assert sum(v for k, v in last.items() if k.startswith("evoenv/rejected/")) == 3
    assert "evoenv/author/generator/reward" in last and "policies/solver/loss/pg" in last


def test_an_admitted_env_that_fails_in_training_leaves_the_mixture_and_the_run_goes_on(tmp_path):
    """A red team's env passed validation (it recognised the validation seeds) and then raised on every
    training reset: the run died. Now it leaves the solver's mixture with a warning, its problem goes to a
    seed env, and the run goes on; a real synth env in the real sandbox."""
    from zeroplay.envs.synth.env import SynthEnv
    from zeroplay.envs.synth.pipeline import seed_sources
    from zeroplay.training.selfplay.evoenv import EvoEnvLoop

    source = seed_sources()["WordSort"].replace('NAME = "WordSort"', 'NAME = "Broken"').replace(
        "def sample_instance(rng, difficulty):\n",
        "def sample_instance(rng, difficulty):\n    raise RuntimeError('only outside validation')\n")
    loop = EvoEnvLoop(config_from_dict(evoenv_config(tmp_path)), None, None)
    loop.admitted = [{"name": "Broken", "source": source}]
    loop._envs["Broken"] = SynthEnv(source=source, difficulty="mixed", batch_size=1, runner=loop.runner)
    with pytest.warns(UserWarning, match="'Broken' failed to make a problem"):
        task = loop._task("Broken", 7)
    assert task.prompt and loop.admitted == [] and loop.quarantined == 1 and loop.retired[0]["name"] == "Broken"
    assert all(key.startswith("seed:") for key, _ in loop.mixture())
    from zeroplay.core.errors import ZeroplayError

    with pytest.raises(ZeroplayError, match="failed on every instance"):  # a seed env's failure is ours: not hidden
        loop._envs["seed:WordSort"] = SynthEnv(source=source, difficulty="mixed", batch_size=1, runner=loop.runner)
        loop._task("seed:WordSort", 7)


def test_an_admitted_env_whose_pass_rate_leaves_the_band_is_retired_and_stays_known(tmp_path):
    """The solver passes every answer of an admitted env (too easy now, or it found a shortcut the env
    pays): after ``retire_window`` answers the env leaves the mixture. It stays in the library, so the
    generator writing it again is paid for no novelty; a checkpoint keeps the retired envs and the window."""
    from zeroplay.envs.synth.library import Library
    from zeroplay.envs.synth.pipeline import seed_sources
    from zeroplay.envs.synth.spec import source_sha
    from zeroplay.training.selfplay.evoenv import EvoEnvLoop

    cfg = config_from_dict(evoenv_config(tmp_path, evoenv={"generator": "scripted", **SMALL, "retire_window": 4}))
    loop = EvoEnvLoop(cfg, None, None)
    for name in ("Easy", "Fine"):
        source = seed_sources()["WordSort"].replace('NAME = "WordSort"', f'NAME = "{name}"')
        loop.admitted.append({"name": name, "source": source, "sha256": source_sha(source), "levels": [1, 2],
                              "difficulty": 1})
    loop._materialize()
    for passed in (True, True, True):
        loop._watch("Easy", passed)
        loop._watch("Fine", not passed)
    assert [e["name"] for e in loop.admitted] == ["Easy", "Fine"]  # the window is not full yet
    loop._watch("Easy", True)
    loop._watch("Fine", True)  # 1 of 4: inside the band [0.0, 0.8]
    assert [e["name"] for e in loop.admitted] == ["Fine"] and "1.00" in loop.retired[0]["retired"]
    assert "Easy" not in dict(loop.mixture()) and "Fine" in dict(loop.mixture())
    state = loop.state_dict()
    again = EvoEnvLoop(cfg, None, None)
    again.load_state_dict(state)
    assert [e["name"] for e in again.retired] == ["Easy"] and again.recent == {"Fine": [False, False, False, True]}
    assert sorted(Library(again.library.path).names()) == ["Easy", "Fine"]  # still known to novelty
    loop._watch("seed:WordSort", True)  # seed envs are never retired
    assert "seed:WordSort" in dict(loop.mixture())
