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
    "evol_rl": (TINY + ["rlvr.prompts_per_step=3", "rlvr.group_size=4", "eval.samples=3"],
                ["train/MathArithmetic-v0/solver/reward", "train/pseudo_label_rate", "train/novelty",
                 "loss/entropy", "eval/accuracy", "eval/pass@1", "eval/pass@4"]),
    # tests/training/test_sws.py checks the weighting, the synthesis and the pool state by hand
    "sws": (TINY + ["sws.prompts_per_step=4", "sws.group_size=2", "sws.min_attempts=2", "eval.samples=4",
                    "sampling.max_new_tokens=8"],
            ["sws/base/solver/reward", "sws/weak_concepts", "sws/synth_share", "sws/base/accuracy",
             "eval/accuracy", "eval/modular/accuracy"]),
    # a scripted proposer and RAG reader (a tiny model writes no questions); the tiny solver trains on
    # multi-turn search episodes (tests/training/test_search_self_play.py checks the rewards by hand)
    "search_self_play": (TINY + ["search_self_play.proposals_per_step=2", "search_self_play.solver_samples=2",
                                 "search_self_play.max_episode_tokens=96", "sampling.max_new_tokens=8",
                                 "eval.samples=2",
                                 "scripted.proposer=zeroplay.training.selfplay.search:ClozeProposer",
                                 "scripted.rag=zeroplay.training.selfplay.search:OverlapReader"],
                         ["search_self_play/propose/proposer/reward", "search_self_play/solve/solver/reward",
                          "propose/valid_rate", "propose/rag_pass_rate", "solve/accuracy", "eval/accuracy"]),
    # Lua (./setup.sh --dev installs it): the random model's programs are compile errors, scored 0
    "agnostics": (["model.tiny.hidden_size=32", "model.tiny.num_layers=1", "rlvr.prompts_per_step=2",
                   "rlvr.group_size=2", "eval.samples=2", "sampling.max_new_tokens=16"],
                  ["train/CodeIO-v0/solver/reward", "train/accuracy", "eval/accuracy", "eval/pass@2"]),
    # the recipe scripts the test writer (a tiny model writes no test that parses); tests/training/test_utrl.py
    # checks the rewards by hand and a run whose test writer is the policy
    "utrl": (TINY + ["utrl.problems_per_step=2", "utrl.coder_samples=2", "utrl.test_samples=2", "eval.samples=2",
                     "sampling.max_new_tokens=16"],
             ["utrl/tests/test_writer/reward", "utrl/code/coder/reward", "utrl/test_writer/valid_rate",
              "utrl/test_writer/discrimination", "utrl/coder/gt_pass_rate", "eval/coder/gt_pass_rate",
              "eval/test_writer/discrimination"]),
    # the recipe's scripted proposer writes the questions; the tiny solver and judge train
    # (tests/training/test_mae.py checks the rewards by hand, with a scripted judge)
    "multi_agent_evolve": (TINY + ["multi_agent_evolve.proposals_per_step=2", "multi_agent_evolve.solver_samples=2",
                                   "multi_agent_evolve.seed_questions=4", "eval.samples=4"],
                           ["mae/propose/proposer/reward", "mae/solve/solver/reward", "mae/judge-question/judge/reward",
                            "mae/judge-answer/judge/reward", "judge/parse_rate", "judge/answer_fallbacks",
                            "pool/size", "eval/accuracy"]),
    # the recipe's scripted prover writes the proofs; the tiny verifier trains on checker-labelled proofs
    # (tests/training/test_deepseekmath_v2.py checks the rewards by hand, with a scripted verifier)
    "deepseekmath_v2": (TINY + ["deepseekmath_v2.problems_per_step=2", "deepseekmath_v2.labelled_per_step=2",
                                "deepseekmath_v2.verifier_samples=2", "eval.samples=4"],
                        ["dsm/prove/generator/reward", "dsm/verify-labelled/verifier/reward",
                         "verifier/accuracy_vs_checker", "generator/checker_grade", "autolabel/rate",
                         "eval/verifier_accuracy", "eval/generator_grade"]),
    # a scripted proposer (a tiny model needs a long warm-up before its proposals parse) in place of the
    # recipe's proposer policy; one response per side makes pairs, so the DPO generator trains on real
    # pairs (tests/training/test_g_zero.py checks Hint-δ, the pairs and the DPO update by hand)
    "g_zero": (TINY + ["policies={generator: {roles: [generator], loss: {objective: dpo}}}",
                       "scripted.proposer.agent=zeroplay.training.selfplay.g_zero:ScriptedHintProposer",
                       "g_zero.prompts_per_step=1", "g_zero.proposer_group=2", "g_zero.generator_samples=1",
                       "sampling.max_new_tokens=8", "eval.samples=4"],
               ["g_zero/propose/proposer/reward", "g_zero/hint_delta", "g_zero/valid_rate", "g_zero/pairs",
                "policies/generator/dpo/pairs", "policies/generator/loss/dpo", "eval/accuracy"]),
    # a scripted conjecturer (the recipe's), the tiny prover; statements and proofs checked by coqc
    # (tests/training/test_stp.py runs whole steps with a scripted prover too, rewards by hand)
    "stp": (TINY + ["stp.conjectures_per_step=3", "stp.prover_samples=2", "stp.prove_tasks_per_step=1",
                    "sampling.max_new_tokens=16", "eval.samples=2"],
            ["stp/conjecture/conjecturer/reward", "stp/prove/prover/reward", "stp/conjecture/valid_rate",
             "stp/prove/accuracy", "stp/pool_size", "eval/accuracy"]),
    # tests/training/test_ttcs.py and test_svs.py check the rewards, the pool and the label-free flow in detail
    "ttcs": (TINY + ["ttcs.test_questions=6", "ttcs.group_size=4", "ttcs.test_per_step=2", "eval.samples=3",
                     "sampling.max_new_tokens=12"],
             ["ttcs/synthesize/synthesizer/reward", "ttcs/test/solver/reward", "ttcs/synthetic/solver/reward",
              "ttcs/synthesizer/valid_rate", "ttcs/pool/variants", "train/test_accuracy", "eval/accuracy",
              "eval/pass@4"]),
    "svs": (TINY + ["svs.train_problems=8", "svs.group_size=4", "eval.samples=3", "sampling.max_new_tokens=12"],
            ["svs/original/solver/reward", "svs/original/accuracy", "svs/synthesizer/valid_rate",
             "svs/pool/variants", "eval/accuracy", "eval/pass@4"]),
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
