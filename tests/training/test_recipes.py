"""Every recipe runs 2 steps on CPU through the command line, and logs its per-(env, role) metrics."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zeroplay.training import load_config, read_metrics

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "recipes"

TINY = ["model.tiny.hidden_size=32", "model.tiny.num_layers=1", "warmup.steps=2"]
# per recipe: --set overrides that make 2 steps take seconds, and metrics the run must log
SMOKE = {
    "spiral": (TINY + ["games.games_per_step=6", "eval.games=4", "sampling.max_new_tokens=8",
                       "games.reasoning_eval.samples=4"],
               ["selfplay/TicTacToe-v0/p0/reward", "selfplay/KuhnPoker-v0/p1/reward",
                "selfplay/LeducHoldem-v0/p0/reward", "selfplay/SimpleNegotiation-v0/p0/reward",
                "eval/KuhnPoker-v0/exploitability", "eval/LeducHoldem-v0/exploitability",
                "eval/LeducHoldem-v0/exact/nash/win_rate", "eval/math/accuracy",
                "eval/TicTacToe-v0/minimax/win_rate", "eval/SimpleNegotiation-v0/negotiator/win_rate"]),
    "absolute_zero": (TINY + ["sampling.max_new_tokens=12", "propose_solve.proposals_per_type=1",
                              "propose_solve.solver_samples=2", "propose_solve.solve_tasks_per_type=1",
                              "eval.samples=3", "propose_solve.env_kwargs.timeout_s=5.0"],
                      ["propose_solve/propose-deduction/proposer/reward", "propose_solve/solve-induction/solver/reward",
                       "propose/valid_rate", "solve/accuracy", "eval/accuracy"]),
    "mars": (TINY + ["games.games_per_step=8", "eval.games=4", "sampling.max_new_tokens=8"],
             ["selfplay/LewisSignaling-v0/p0/reward", "selfplay/LewisSignaling-v0/p1/reward",
              "selfplay/TinyHanabi-v0/p0/credit", "selfplay/TinyHanabi-v0/p1/reward",
              "selfplay/LewisSignaling-v0/p0/credit",
              "selfplay/KuhnPoker-v0/p0/credit", "selfplay/TicTacToe-v0/p0/reward",
              "eval/TinyHanabi-v0/self/mean_return", "eval/LewisSignaling-v0/random/mean_return",
              "eval/KuhnPoker-v0/exploitability", "eval/Nim-v0/minimax/win_rate",
              "eval/LewisSignaling-4states/self/mean_return"]),
    # tests/training/test_evoenv.py checks the library and the rejection stages in more detail
    "evoenv": (TINY + ["evoenv.prompts_per_step=2", "evoenv.calibration_episodes=2", "eval.samples=4"],
               ["evoenv/author/generator/reward", "evoenv/solver/reward", "evoenv/library_size",
                "evoenv/admitted_rate", "eval/accuracy"]),
    "evol_rl": (["model.tiny.hidden_size=32", "model.tiny.num_layers=1", "rlvr.prompts_per_step=3",
                 "rlvr.group_size=4", "eval.samples=3"],
                ["train/MathArithmetic-v0/solver/reward", "train/pseudo_label_rate", "train/novelty",
                 "loss/entropy", "eval/accuracy", "eval/pass@1", "eval/pass@4"]),
}


def test_every_recipe_has_a_smoke_test_and_a_row_in_the_readme():
    names = sorted(p.stem for p in RECIPES.glob("*.yaml"))
    assert names == sorted(SMOKE)
    table = (RECIPES / "README.md").read_text()
    for name in names:
        assert f"[`{name}.yaml`]({name}.yaml)" in table
        load_config(RECIPES / f"{name}.yaml")  # validates as shipped


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_recipe_runs_two_steps_on_cpu_from_the_command_line(name, tmp_path):
    overrides, expected = SMOKE[name]
    cmd = [sys.executable, "-m", "zeroplay.cli", "train", str(RECIPES / f"{name}.yaml"), "--steps", "2",
           "--out", str(tmp_path), "--quiet"]
    for o in overrides:
        cmd += ["--set", o]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = tmp_path / name
    assert proc.stdout.strip().endswith(str(run_dir))
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2]
    for key in expected:
        assert key in rows[-1], key
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["eval_after"]
