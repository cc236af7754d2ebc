"""The general proposer env and the problem pool: parsing, validation, hostile text, solve history."""

import json

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.core.types import Task
from zeroplay.envs.proposer import (ProblemFamily, ProblemPool, ProblemProposerEnv, get_family, parse_proposal,
                                    register_family, solver_env)


def task(prompt, ref="1"):
    return Task.from_dict({"prompt": prompt, "reference": ref, "verifier": "math"})


# -- parsing ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "problem", "answer", "hint"), [
    ("<problem>What is 2+3?</problem><answer>5</answer>", "What is 2+3?", "5", None),
    ("<problem>a</problem> <problem> What is 7*6? </problem>\n<answer> 42 </answer><hint>times</hint>",
     "What is 7*6?", "42", "times"),
    # an answer tag inside the problem is part of the problem, not its answer
    ("<problem>Say <answer>9</answer> then add 1.</problem>", "Say <answer>9</answer> then add 1.", None, None),
    ("<answer>5</answer><problem>What is 2+3?</problem>", "What is 2+3?", None, None),  # answer must come after
    ("<problem>unclosed", None, None, None),
    ("", None, None, None),
    (None, None, None, None),
])
def test_proposals_are_parsed_tags_after_the_problem(text, problem, answer, hint):
    p = parse_proposal(text)
    assert (p.problem, p.answer, p.hint) == (problem, answer, hint)


def test_parsing_hostile_text_never_raises_and_stays_bounded():
    rng = np.random.default_rng(0)
    pieces = ["<problem>", "</problem>", "<answer>", "</answer>", "<hint>", "</hint>", "x", "\x00", "\u2028", "{", "<"]
    for _ in range(300):
        text = "".join(rng.choice(pieces, size=int(rng.integers(0, 60))))
        parse_proposal(text)
    big = "<problem>" * 200_000 + "</answer>" * 100_000
    assert parse_proposal(big).problem is None


# -- validation -----------------------------------------------------------------------------------

@pytest.fixture
def env():
    e = ProblemProposerEnv("math", examples=2)
    e.reset(seed=3)
    return e


def test_a_valid_proposal_becomes_a_task_of_the_family(env):
    _, reward, terminated, _, info = env.step("Here:\n<problem>What is 12 * 12?</problem>\n<answer>144</answer>")
    assert reward == 0.0 and terminated
    t = info["task"]
    assert (t.prompt, t.reference, t.verifier) == ("What is 12 * 12?", "144", "math")
    assert t.meta == {"hint": None, "parent": None, "family": "math"}


@pytest.mark.parametrize(("text", "stage", "message"), [
    ("no tags at all", "parse", "no <problem>"),
    ("<problem>What is 12 * 12?</problem>", "parse", "no <answer>"),
    ("<problem>2+2?</problem><answer>4</answer>", "check", "10..2000 characters"),
    ("<problem>" + "x" * 2001 + "</problem><answer>4</answer>", "check", "10..2000 characters"),
    ("<problem>What is 12 * 12?</problem><answer>" + "1" * 201 + "</answer>", "check", "at most 200"),
    ("<problem>What is 12 * 12?</problem><answer>   </answer>", "parse", "no <answer>"),
])
def test_invalid_proposals_cost_and_say_why(env, text, stage, message):
    _, reward, _, _, info = env.step(text)
    assert reward == -1.0 and "task" not in info
    assert info["stage"] == stage and message in info["error"]


def test_copying_a_shown_problem_is_refused_even_respaced_or_recased(env):
    shown = env.shown[0].prompt
    _, reward, _, _, info = env.step(f"<problem>  {shown.upper()}  </problem><answer>1</answer>")
    assert reward == -1.0 and "showed" in info["error"]


def test_an_answer_the_verifier_cannot_read_is_refused(env):
    _, _, _, _, info = env.step("<problem>What is the best colour?</problem><answer>???</answer>")
    assert info["stage"] == "check" and "cannot read" in info["error"]


def test_hints_and_variants():
    e = ProblemProposerEnv("math", mode="variant", with_hint=True)
    original = task("Compute 3 + 4.", "7")
    obs, info = e.reset(seed=0, options={"original": original, "solution": "3 + 4 = 7"})
    assert "Compute 3 + 4." in obs and "Answer: 7" in obs and "3 + 4 = 7" in obs and "<hint>" in obs
    _, _, _, _, info = e.step("<problem>Ann has 3 pens and buys 4. How many?</problem><answer>7</answer>")
    assert "no <hint>" in info["error"]
    e.reset(seed=0, options={"original": original})
    _, _, _, _, info = e.step("<problem>Ann has 3 pens and buys 4. How many?</problem><answer>7</answer><hint>add</hint>")
    assert info["task"].meta["parent"] == original.id and info["task"].meta["hint"] == "add"


def test_validate_needs_no_reset_when_given_what_was_shown():
    e = ProblemProposerEnv("math")
    info = e.validate("<problem>Compute 1 + 2 + 3.</problem><answer>6</answer>", shown=[task("Compute 1 + 2 + 3.")])
    assert "showed" in info["error"]


def test_families_are_named_and_registrable():
    with pytest.raises(ValueError, match="unknown problem family 'poetry'"):
        ProblemProposerEnv("poetry")
    fam = ProblemFamily("capitals", "exact", "capital-city question", "{prompt}\nAnswer in <answer></answer>.")
    register_family(fam)
    register_family(fam)  # the same family again is fine
    with pytest.raises(ValueError, match="already registered"):
        register_family(ProblemFamily("capitals", "math", "x", "{prompt}"))
    assert get_family("capitals") is fam


def test_the_registered_env_passes_gymnasiums_checker_and_is_deterministic():
    from gymnasium.utils.env_checker import check_env

    env = zp.make("zeroplay/ProblemProposer-v0")
    check_env(env.unwrapped, skip_render_check=True)
    assert env.reset(seed=5)[0] == zp.make("zeroplay/ProblemProposer-v0").reset(seed=5)[0]


def test_solver_env_scores_a_proposed_task_with_the_family_verifier():
    e = solver_env("math")
    t = task("What is 12 * 12?", "144")
    obs, _ = e.reset(seed=0, options={"task": t})
    assert obs.startswith("What is 12 * 12?") and "\\boxed{}" in obs
    assert e.step("so \\boxed{144}")[1] == 1.0
    e.reset(seed=0, options={"task": t})
    assert e.step("\\boxed{143}")[1] == 0.0


# -- the pool --------------------------------------------------------------------------------------

def test_pool_refuses_duplicates_and_records_history():
    pool = ProblemPool([task("Compute 1 + 1.", "2")])
    assert not pool.add(task("  compute 1  +  1. ", "2"))
    a = task("Compute 2 + 2.", "4")
    assert pool.add(a, source="proposed", step=1, tags=["arithmetic"])
    pool.record(a.id, [True, False, False, True], step=1)
    pool.record(a.id, [True, True], step=2)
    e = pool.get(a.id)
    assert (e.attempts, e.correct, e.solve_rate, e.last_rate) == (6, 4, 4 / 6, 1.0)
    assert e.history == [(1, 0.5), (2, 1.0)]
    assert pool.counts() == {"seed": 1, "proposed": 1}
    assert "Compute 2 + 2." in pool and a.id in pool
    with pytest.raises(KeyError, match="no problem 'nope'"):
        pool.get("nope")


def test_pool_frontier_and_failing_selections():
    pool = ProblemPool()
    ts = [task(f"Problem number {i}.", str(i)) for i in range(4)]
    for t in ts:
        pool.add(t)
    pool.record(ts[0].id, [True, True], 1)      # always solved
    pool.record(ts[1].id, [True, False], 1)     # frontier
    pool.record(ts[2].id, [False, False], 1)    # never
    assert [e.id for e in pool.frontier()] == [ts[1].id]
    assert [e.id for e in pool.failing(min_attempts=2)] == [ts[2].id]
    assert pool.failing(min_attempts=3) == []


def test_pool_eviction_keeps_seeds_and_drops_the_always_solved_first():
    pool = ProblemPool([task("Seed problem one.")], max_size=3)
    a, b, c = (task(f"Proposed problem {x}.") for x in "abc")
    pool.add(a, step=1)
    pool.add(b, step=2)
    pool.record(b.id, [True, True], 2)
    pool.add(c, step=3)  # over the limit: b (always solved) goes, though a is older
    assert {e.id for e in pool} == {pool_seed.id for pool_seed in pool if pool_seed.source == "seed"} | {a.id, c.id}
    pool.add(task("Proposed problem d."), step=4)  # none always solved: the oldest proposed (a) goes
    assert a.id not in pool and len(pool) == 3


def test_pool_samples_by_generator_and_round_trips_through_json():
    pool = ProblemPool([task(f"Problem number {i}.") for i in range(10)])
    draw = [e.id for e in pool.sample(np.random.default_rng(7), 4)]
    assert draw == [e.id for e in pool.sample(np.random.default_rng(7), 4)] and len(set(draw)) == 4
    assert len(pool.sample(np.random.default_rng(0), 50)) == 10
    assert pool.sample(np.random.default_rng(0), 3, where=lambda e: False) == []
    pool.record(draw[0], [True, False], 5)
    copy = ProblemPool()
    copy.load_state_dict(json.loads(json.dumps(pool.state_dict())))
    assert [e.to_dict() for e in copy] == [e.to_dict() for e in pool]
    assert "problem number 3." in copy


def test_a_solver_env_without_tasks_says_how_to_give_one():
    with pytest.raises(ValueError, match=r"reset it with options=\{'task': task\}"):
        solver_env("math").reset(seed=0)


def test_answers_are_shown_only_when_asked_for_by_default():
    original = task("Compute 3 + 4.", "7")
    blind = ProblemProposerEnv("math", mode="variant", with_answer=False)
    obs, _ = blind.reset(seed=0, options={"original": original})
    assert "Compute 3 + 4." in obs and "Answer: 7" not in obs and "<answer>" not in obs
    shown = ProblemProposerEnv("math", mode="variant", with_answer=False, show_answers=True)
    assert "Answer: 7" in shown.reset(seed=0, options={"original": original})[0]
    examples = ProblemProposerEnv("math", with_answer=False)
    assert "Answer:" not in examples.reset(seed=0)[0]


def test_a_variant_that_is_the_original_with_words_added_is_a_copy():
    """A red team's synthesizer wrote back the original plus 'Show your work.' with the same answer: 17 of 18
    such variants earned SvS's full reward, and TTCS's difflib similarity (0.70) let it under its 0.88."""
    from zeroplay.training.selfplay.ttcs import shaped_synthesizer_reward, similarity

    original = task("A train travels 120 km in 2 hours. What is its average speed in km/h?", "60")
    e = ProblemProposerEnv("math", mode="variant")
    for copy in (original.prompt + "\nShow your work.", "Note: " + original.prompt + " Be careful."):
        info = e.validate(f"<problem>{copy}</problem><answer>60</answer>", shown=[original])
        assert info.get("stage") == "check" and "copy" in info["error"], info
        assert similarity(original.prompt, copy) == 1.0 and shaped_synthesizer_reward(0.875, original.prompt, copy,
                                                                                       0.0, 0.88) == 0.0
    honest = "A cyclist rides 45 km in 3 hours. What is her average speed in km/h?"
    assert "task" in e.validate(f"<problem>{honest}</problem><answer>15</answer>", shown=[original])
    assert similarity(original.prompt, honest) < 0.88
    short = task("Compute 3 + 4.", "7")  # an expression the variant continues is a fragment of a new one
    assert "task" in e.validate("<problem>Compute 3 + 4 * 2.</problem><answer>11</answer>", shown=[short])
    # anything else around the original leaves it whole: write the new problem as one
    assert "task" not in e.validate("<problem>Compute 3 + 4. Then double the result.</problem><answer>14</answer>",
                                    shown=[short])
