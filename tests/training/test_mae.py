"""multi_agent_evolve: the rewards by hand, the judge's parsed scores reaching every role's reward, its
failures reported as such, and a run where the policy plays the solver."""

import pytest

from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.policies import RoleSamplers, ScriptedSampler
from zeroplay.training.selfplay.mae import (
    ANSWER_RUBRIC,
    MultiAgentEvolveLoop,
    ScriptedMathJudge,
    ScriptedMathProposer,
    ScriptedMathSolver,
    arithmetic_value,
    judge_reward,
    judged_scores,
    proposer_reward,
    question_format_score,
    solver_reward,
)
from zeroplay.training.templates import get_template
from zeroplay.verifiers.judge import judge_prompt, parse_score

MODULE = "zeroplay.training.selfplay.mae"


def config(**section):
    return config_from_dict({"loop": "multi_agent_evolve", "eval": {"samples": 4},
                             "multi_agent_evolve": {"seed_questions": 4, "proposals_per_step": 3, "solver_samples": 2,
                                                    **section}})


def scripted_loop(cfg, proposer=None, solver=None, judge=None):
    """The loop with every role played by an agent (no model): the rewards are then exact."""
    t = get_template("plain")
    agents = {"proposer": proposer or ScriptedMathProposer(1), "solver": solver or ScriptedMathSolver(2),
              "judge": judge or ScriptedMathJudge()}
    scripted = {role: ScriptedSampler(a, t, role) for role, a in agents.items()}
    return MultiAgentEvolveLoop(cfg, RoleSamplers({"none": scripted["proposer"]}, {}, scripted=scripted), None)


# -- the rewards, by hand ---------------------------------------------------------------------------

def test_question_format_score():
    assert question_format_score("<problem>Compute 1 + 2.</problem>") == 1.0
    assert question_format_score("<problem>a</problem> then <problem>b</problem>") == 0.5
    assert question_format_score("<problem>unclosed") == 0.0 and question_format_score(None) == 0.0


def test_proposer_reward_is_the_weighted_mean_of_quality_difficulty_and_format():
    assert proposer_reward(0.9, 0.25, 1.0, (1, 1, 1)) == pytest.approx((0.9 + 0.25 + 1.0) / 3)  # 0.71667
    assert proposer_reward(0.9, 0.25, 0.5, (2, 1, 1)) == pytest.approx((1.8 + 0.25 + 0.5) / 4)  # 0.6375
    assert proposer_reward(0.2, 1.0, 1.0, (0, 1, 0)) == 1.0


def test_solver_and_judge_rewards_and_the_fallback():
    assert solver_reward(0.8, True) == 0.8 and solver_reward(0.8, False) == 0.0
    assert judged_scores([None], 0.5) == [0.5] and judged_scores([0.0], 0.5) == [0.0]
    assert judge_reward(0.0) == 1.0 and judge_reward(None) == 0.0 and judge_reward(None, -0.5) == -0.5


def test_config_errors_are_clear():
    with pytest.raises(ConfigError, match="cannot all be 0"):
        config(quality_weight=0, difficulty_weight=0, format_weight=0)
    with pytest.raises(ConfigError, match="no role 'critic'"):
        config_from_dict({"loop": "multi_agent_evolve", "multi_agent_evolve": {}, "scripted": {"critic": "random"}})
    with pytest.raises(ConfigError, match="one piece"):
        MultiAgentEvolveLoop(config_from_dict({"loop": "multi_agent_evolve", "multi_agent_evolve": {},
                                               "rollout_shards": 2}), None, None)


def test_the_scripted_judge_grades_arithmetic():
    judge = ScriptedMathJudge()
    q = "Compute 3 + 4 * 5."
    assert arithmetic_value(q) == 23
    right, wrong = (judge_prompt(f"so \\boxed{{{v}}}", {"question": q}, ANSWER_RUBRIC) for v in (23, 35))
    assert [parse_score(r)[0] for r in judge.act([right, wrong])] == [1.0, 0.0]


# -- one step, every role scripted: each reward recomputed from the judge's replies -------------------

def by_role(samples):
    out = {}
    for s in samples:
        out.setdefault((s.role, s.env), []).append(s)
    return out


def test_the_judges_scores_are_the_rewards_and_its_failures_fall_back():
    cfg = config(pool_questions_per_step=2)
    loop = scripted_loop(cfg, judge=ScriptedMathJudge(unreadable_every=4))
    samples, metrics = loop.collect(1)
    got = by_role(samples)
    proposers, solvers = got[("proposer", "propose")], got[("solver", "solve")]
    judged_q, judged_a = got[("judge", "judge-question")], got[("judge", "judge-answer")]
    n = 2
    assert len(proposers) == 3 and len(judged_q) == 3 and len(solvers) == len(judged_a) == (3 + 2) * n
    q_scores = [parse_score(j.text)[0] for j in judged_q]
    a_scores = [parse_score(j.text)[0] for j in judged_a]
    assert None in q_scores + a_scores  # every 4th reply has no score: the fallback is exercised
    # judge: its format reward
    for j, s in zip(judged_q + judged_a, q_scores + a_scores):
        assert j.reward == (1.0 if s is not None else 0.0) and j.well_formed == (s is not None)
    # solver: the judged score of its answer (an unreadable one: the mean of its group's readable scores,
    # 0.5 when none is readable); all answers are boxed
    def stand_in(scores):
        readable = [s for s in scores if s is not None]
        mean = sum(readable) / len(readable) if readable else 0.5
        return [mean if s is None else s for s in scores]

    expected_a = [x for j in range(len(a_scores) // n) for x in stand_in(a_scores[j * n:(j + 1) * n])]
    for sol, s in zip(solvers, expected_a):
        assert sol.reward == pytest.approx(s)
    # proposer: (quality + difficulty + format) / 3; the new questions come first among the solver's jobs
    quality = stand_in(q_scores)
    for i, p in enumerate(proposers):
        assert quality[i] >= 0.5  # all accepted: the scripted judge gives a question 0.9 (or a stand-in)
        answers = expected_a[i * n:(i + 1) * n]
        assert p.reward == pytest.approx((quality[i] + 1 - sum(answers) / n + 1.0) / 3)
    assert metrics["judge/answer_fallbacks"] == a_scores.count(None)
    assert metrics["judge/question_fallbacks"] == q_scores.count(None)
    assert metrics["mae/solve/solver/reward"] == pytest.approx(sum(s.reward for s in solvers) / len(solvers))
    # the scripted judge is exact, so on the seed questions (with a reference) it agrees with the math verifier
    readable_on_seeds = sum(s is not None for s in a_scores[3 * n:])
    assert metrics["judge/agreement_count"] == readable_on_seeds > 0
    assert metrics["judge/agreement_with_verifier"] == 1.0
    assert metrics["pool/size"] == 4 + 3 and metrics["pool/proposed"] == 3


class FixedProposer:
    """Writes the given proposals in turn: an invalid one, two question tags, a copy of a seed question."""

    def __init__(self, texts):
        self.texts = texts

    def act(self, observations, infos=None):
        return [self.texts[i % len(self.texts)] for i in range(len(observations))]


def test_invalid_proposals_cost_minus_one_and_two_tags_score_half_a_format():
    cfg = config()
    seed_question = next(iter(scripted_loop(cfg).pool)).task.prompt
    texts = ["no tags at all", "<problem>Compute 2 * 21.</problem>\n<problem>Compute 6 * 7.</problem>",
             f"<problem>{seed_question}</problem>"]
    loop = scripted_loop(cfg, proposer=FixedProposer(texts), solver=ScriptedMathSolver(0, accuracy=1.0))
    samples, metrics = loop.collect(1)
    props = [s for s in samples if s.role == "proposer"]
    # the parser keeps the last question; the judge gives it 0.9; the always-right solver makes it easy (difficulty 0)
    assert [p.reward for p in props] == pytest.approx([-1.0, (0.9 + 0.0 + 0.5) / 3, -1.0])
    assert metrics["propose/valid_rate"] == pytest.approx(1 / 3)


def test_the_quality_filter_keeps_low_quality_questions_out_of_the_pool_and_unsolved():
    cfg = config(quality_threshold=0.95, pool_questions_per_step=1)
    loop = scripted_loop(cfg)
    samples, metrics = loop.collect(1)
    assert metrics["propose/accepted_rate"] == 0.0 and metrics["pool/proposed"] == 0
    assert len([s for s in samples if s.role == "solver"]) == 1 * 2  # the pool question only
    # quality 0.9, no difficulty (not solved), format 1
    assert all(s.reward == pytest.approx((0.9 + 0 + 1) / 3) for s in samples if s.role == "proposer")


def test_the_pool_is_the_checkpoint_state():
    loop = scripted_loop(config())
    loop.collect(1)
    state = loop.state_dict()
    fresh = scripted_loop(config())
    fresh.load_state_dict(state)
    assert [e.task.prompt for e in fresh.pool] == [e.task.prompt for e in loop.pool]
    assert [e.attempts for e in fresh.pool] == [e.attempts for e in loop.pool]


def test_a_run_trains_the_solver_on_the_scripted_judges_scores(tmp_path):
    cfg = config_from_dict({
        "loop": "multi_agent_evolve", "name": "mae", "out_dir": str(tmp_path), "steps": 1,
        "model": {"tiny": {"hidden_size": 32, "num_layers": 1}}, "sampling": {"max_new_tokens": 8},
        "eval": {"samples": 2}, "advantage": {"estimator": "trr_pp"},
        "multi_agent_evolve": {"seed_questions": 4, "proposals_per_step": 2, "solver_samples": 2,
                               "pool_questions_per_step": 1},
        "scripted": {"proposer": f"{MODULE}:ScriptedMathProposer", "judge": f"{MODULE}:ScriptedMathJudge"}})
    last = read_metrics(train(cfg, quiet=True))[-1]
    assert last["judge/parse_rate"] == 1.0  # the scripted judge always writes a score
    assert last["count/trained_samples"] == (2 + 1) * 2  # only the solver (the policy) trains
    assert last["judge/agreement_with_verifier"] == 1.0 and "eval/accuracy" in last


def test_an_unreadable_judge_reply_takes_its_group_s_mean_so_derailing_the_judge_never_pays():
    assert judged_scores([0.0, None, 1.0, 0.5], 0.5) == [0.0, 0.5, 1.0, 0.5]
    assert judged_scores([0.0, 0.0, None], 0.5) == [0.0, 0.0, 0.0]  # a wrong answer that derails the judge gets 0
    assert judged_scores([None, None], 0.5) == [0.5, 0.5]  # no readable score at all: the neutral fallback
    assert judged_scores([], 0.5) == []
