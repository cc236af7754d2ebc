"""SwS: concept weighting (hand-computed), failing problems -> synthesized problems of the same concept,
concept extraction by a model, and the loop's checkpoint state."""

from __future__ import annotations

import json
import random
import re
import string

import numpy as np
import pytest

from zeroplay.agents.policy import Generation, SamplingParams
from zeroplay.core.errors import ConfigError
from zeroplay.envs.math.generators import GENERATORS
from zeroplay.training import config_from_dict
from zeroplay.training.rollout import Sampler
from zeroplay.training.selfplay.sws import (SwSLoop, concept_weights, level_of, match_concept, synthesize)
from zeroplay.training.templates import get_template

NAMES = ["arithmetic", "fractions", "linear_equation", "linear_system", "modular"]


# -- concept weighting -------------------------------------------------------------------------------
def test_each_weak_concept_gets_its_share_of_the_failing_problems():
    assert concept_weights(["fractions", "arithmetic", "fractions", "modular"]) == \
        {"arithmetic": 0.25, "fractions": 0.5, "modular": 0.25}
    assert concept_weights(["modular"] * 3) == {"modular": 1.0}
    assert concept_weights([]) == {}


def test_synthesis_draws_concepts_by_their_weight():
    rng = np.random.default_rng(0)
    fail = [("arithmetic", GENERATORS["arithmetic"](rng, 1)) for _ in range(3)] + \
           [("modular", GENERATORS["modular"](rng, 1))]
    made = synthesize(fail, 400, np.random.default_rng(1), [0])
    share = sum(t.meta["generator"] == "arithmetic" for t, _ in made) / 400
    assert 0.68 < share < 0.82  # weight 3/4; a uniform draw over concepts would give ~1/2


def test_failing_problems_give_problems_of_the_same_concept_around_their_level():
    rng = np.random.default_rng(0)
    fail = [("fractions", GENERATORS["fractions"](rng, 2)), ("fractions", GENERATORS["fractions"](rng, 3))]
    made = synthesize(fail, 30, np.random.default_rng(5), [-1, 0, 1])
    parents = {t.id: level_of(t) for _, t in fail}
    assert len(made) == 30
    for task, parent in made:
        assert task.meta["generator"] == "fractions" and task.verifier == "math"
        assert level_of(task) - parents[parent] in (-1, 0, 1)
    assert {level_of(t) for t, _ in made} == {1, 2, 3, 4}
    # at level 1 an offset of -1 stays at 1
    low = [("modular", GENERATORS["modular"](rng, 1))]
    assert {level_of(t) for t, _ in synthesize(low, 10, np.random.default_rng(2), [-1])} == {1}
    assert synthesize([], 5, np.random.default_rng(0), [0]) == []


# -- concept names from a model's text -----------------------------------------------------------------
def test_match_concept_reads_the_first_named_concept():
    assert match_concept("It is a Linear Equation.", NAMES) == "linear_equation"
    assert match_concept("linear-system, not fractions", NAMES) == "linear_system"
    assert match_concept("fractions or arithmetic", NAMES) == "fractions"
    assert match_concept("MODULAR", NAMES) == "modular"
    assert match_concept("modularity and subfractions", NAMES) is None  # whole words only
    assert match_concept("no idea", NAMES) is None
    assert match_concept(None, NAMES) is None  # type: ignore[arg-type]


def test_match_concept_survives_hostile_and_fuzzed_text():
    rnd = random.Random(0)
    alphabet = string.printable + "_-\u00e9\u4e2d\\{}()[]*+?"
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 300)))
        assert match_concept(text, NAMES) in (None, *NAMES)
    # only the first CONCEPT_MAX_CHARS are read: a name past them is not seen
    assert match_concept("x" * 100_000 + " modular", NAMES) is None
    assert match_concept("(" * 2000 + "fractions" + ")" * 2000, NAMES) == "fractions"


# -- the loop -------------------------------------------------------------------------------------------
class ArithmeticOnly:
    """A policy that computes '+'/'-' arithmetic problems and answers \\boxed{0} to every other problem; asked
    for a concept (the extractor prompt), it says ``concept``. A real policy object, not a mock."""

    def __init__(self, concept: str = "modular"):
        self.concept = concept

    def generate(self, prompts, params=None) -> list[Generation]:
        out = []
        for messages in prompts:
            text = messages[-1]["content"]
            expr = re.search(r"Compute ([-+() 0-9]+)\.\n", text)
            if text.startswith("Which kind of math problem"):
                answer = f"I think it is {self.concept}."
            else:
                answer = f"\\boxed{{{eval(expr.group(1)) if expr else 0}}}"  # digits, + - ( ) only
            out.append(Generation(answer, [1, 2], [3, 4], [-0.1, -0.2], "stop"))
        return out


def _loop(tmp_path, policy=None, **sws):
    cfg = config_from_dict({"loop": "sws", "out_dir": str(tmp_path), "seed": 0,
                            "sws": {"generators": ["arithmetic", "fractions", "modular"], "difficulties": [1],
                                    "base_problems": 12, "prompts_per_step": 8, "group_size": 4,
                                    "min_attempts": 4, "synth_share": 0.5, **sws},
                            "eval": {"samples": 6}})
    policy = policy or ArithmeticOnly()
    return SwSLoop(cfg, Sampler(policy, get_template("plain"), SamplingParams()), policy)


def test_before_any_failure_every_problem_is_a_base_problem(tmp_path):
    loop = _loop(tmp_path)
    problems = loop.step_problems(0)
    assert len(problems) == 8 and not any(synth for _, synth in problems)
    assert {t.id for t, _ in problems} <= {t.id for t in loop.base}


def test_failing_problems_in_the_pool_give_synthesized_problems_of_their_concept(tmp_path):
    loop = _loop(tmp_path)
    for t in loop.base:  # modular problems always failed, the others always solved
        loop.pool.record(t.id, [t.meta["generator"] != "modular"] * 4, step=0)
    weak = loop.failing()
    assert weak and {c for c, _ in weak} == {"modular"}
    problems = loop.step_problems(1)
    made = [t for t, synth in problems if synth]
    assert len(made) == 4  # round(0.5 * 8)
    assert all(t.meta["generator"] == "modular" for t in made)
    assert all(loop.pool.get(t.id).source == "generated" and loop.pool.get(t.id).tags[0] == "modular" for t in made)


def test_a_step_tracks_answers_and_synthesizes_on_what_the_solver_fails(tmp_path):
    loop = _loop(tmp_path)
    samples, m0 = loop.collect(0)
    assert len(samples) == 32 and m0["sws/synth_share"] == 0.0
    assert m0["sws/accuracy/arithmetic"] == 1.0  # the policy computes arithmetic, fails the rest
    assert {s.reward for s in samples if s.task_type == "arithmetic"} == {1.0}
    assert {s.reward for s in samples if s.task_type != "arithmetic"} == {-0.5}
    assert "sws/weight/arithmetic" not in m0 and m0["sws/weak_concepts"] >= 1
    _, m1 = loop.collect(1)
    synthesized = [e for e in loop.pool if e.source == "generated"]
    assert len(synthesized) == 4 and all(e.tags[0] in ("fractions", "modular") for e in synthesized)
    # the policy answers 0 to these: right only where the answer is 0
    assert m1["sws/synth_share"] == 0.5
    assert m1["sws/synth/accuracy"] == pytest.approx(np.mean([e.task.reference == "0" for e in synthesized]))
    assert sum(v for k, v in m1.items() if k.startswith("sws/weight/")) == pytest.approx(1.0)


def test_concepts_named_by_the_model_steer_synthesis(tmp_path):
    loop = _loop(tmp_path, ArithmeticOnly(concept="fractions"), concepts="model")
    loop.collect(0)
    weak = loop.failing()
    assert weak and all(c == "fractions" for c, _ in weak)  # modular failures named 'fractions' by the model
    assert any(t.meta["generator"] == "modular" for _, t in weak)
    assert all(t.meta["generator"] == "fractions" for t, synth in loop.step_problems(1) if synth)
    # a name the loop does not know falls back to the problem's own tag
    other = _loop(tmp_path, ArithmeticOnly(concept="geometry"), concepts="model")
    _, metrics = other.collect(0)
    assert metrics["sws/concept_matched"] == 0.0
    assert {c for c, _ in other.failing()} == {e.tags[0] for e in other.pool.failing(min_attempts=4, max_rate=0.25)
                                              if e.source == "seed"}


def test_weaknesses_come_from_base_problems_only(tmp_path):
    loop = _loop(tmp_path)
    for t in loop.base:
        loop.pool.record(t.id, [t.meta["generator"] != "modular"] * 4, step=0)
    made = [t for t, synth in loop.step_problems(1) if synth]
    for t in made:  # every synthesized (modular) problem failed too: no new weakness from them
        loop.pool.record(t.id, [False] * 4, step=1)
    assert len(loop.failing()) == sum(t.meta["generator"] == "modular" for t in loop.base)


def test_checkpoint_state_round_trips_through_json(tmp_path):
    loop = _loop(tmp_path, concepts="model")
    loop.collect(0)
    loop.collect(1)
    state = json.loads(json.dumps(loop.state_dict()))
    fresh = _loop(tmp_path, concepts="model")
    fresh.load_state_dict(state)
    assert [e.to_dict() for e in fresh.pool] == [e.to_dict() for e in loop.pool]
    assert fresh.extracted == loop.extracted
    assert [t.id for t, _ in fresh.step_problems(2)] == [t.id for t, _ in loop.step_problems(2)]


def test_evaluation_reports_accuracy_per_concept(tmp_path):
    out = _loop(tmp_path).evaluate(0)
    assert out["eval/arithmetic/accuracy"] == 1.0 and out["eval/modular/accuracy"] == 0.0
    assert out["eval/accuracy"] == pytest.approx(1 / 3)  # 6 problems: 2 of each concept


def test_warmup_pairs_are_correct_answers_to_unseen_problems(tmp_path):
    loop = _loop(tmp_path)
    pairs = loop.warmup_pairs(20, 0)
    evals = {loop.env.reset(options={"task": t})[0] for t in loop._grid(6, 0x53575302)}
    assert len(pairs) == 20 and not evals & {p for p, _ in pairs}
    assert all(c.startswith("\\boxed{") for _, c in pairs)


def test_bad_sws_configs_are_refused_with_a_hint():
    with pytest.raises(ConfigError, match="generators"):
        config_from_dict({"loop": "sws", "sws": {"generators": ["geometry"]}})
    with pytest.raises(ConfigError, match="difficulties"):
        config_from_dict({"loop": "sws", "sws": {"difficulties": [0]}})
    with pytest.raises(ConfigError, match="level_offsets"):
        config_from_dict({"loop": "sws", "sws": {"level_offsets": []}})
    # a scripted extractor is asked only with concepts: model; with tags it would be silently ignored
    with pytest.raises(ConfigError, match="scripted.extractor would never be asked"):
        config_from_dict({"loop": "sws", "scripted": {"extractor": "random"}})
    config_from_dict({"loop": "sws", "sws": {"concepts": "model"}, "scripted": {"extractor": "random"}})
