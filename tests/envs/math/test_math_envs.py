"""The math envs: registration, gymnasium's checker, problem files, the difficulty knob, scoring."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from gymnasium.utils.env_checker import check_env

import zeroplay as zp
from zeroplay.envs.math import ENVS
from zeroplay.envs.math.env import DEFAULT_PROBLEMS, MathEnv, ProceduralMathEnv
from zeroplay.envs.math.generators import GENERATORS

MATH_IDS = sorted(ENVS)


def test_every_generator_has_an_env_id() -> None:
    fixed = {kwargs["generator"] for entry in ENVS.values() if isinstance(entry, tuple) for kwargs in [entry[1]]}
    assert fixed == set(GENERATORS)
    assert set(MATH_IDS) <= set(zp.registered())


@pytest.mark.parametrize("env_id", MATH_IDS)
def test_check_env_deterministic_reset_and_boxed_prompt(env_id: str) -> None:
    env = zp.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert obs == env.reset(seed=3)[0] and "\\boxed{}" in obs and info["task"].verifier == "math"
    assert len({env.reset(seed=s)[0] for s in range(10)}) >= 5


def test_default_problem_file_is_shipped_and_well_formed() -> None:
    rows = [json.loads(line) for line in DEFAULT_PROBLEMS.read_text().splitlines() if line.strip()]
    assert len(rows) >= 40 and all({"id", "problem", "answer"} <= set(r) for r in rows)
    assert len(MathEnv().source) == len(rows)


def test_math_env_reads_any_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"question": "What is 6 times 7?", "solution": "42"}) + "\n")
    env = zp.make("zeroplay/Math-v0", path=str(path), fields={"question": "prompt", "solution": "reference"})
    obs, _ = env.reset(seed=0)
    assert obs.startswith("What is 6 times 7?")
    assert env.step("6 × 7 = 42, so the answer is \\boxed{42}.")[1] == 1.0
    env.reset(seed=0)
    assert env.step("\\boxed{43}")[1] == 0.0
    with pytest.raises(zp.core.EnvCreationError, match="No task file"):
        zp.make("zeroplay/Math-v0", path=str(tmp_path / "missing.jsonl"))


def test_the_difficulty_knob_through_options_and_attribute() -> None:
    env = ProceduralMathEnv("polynomial_roots")
    _, info = env.reset(seed=0, options={"difficulty": 5})
    assert info["task"].meta["difficulty"] == 5 and len(info["task"].meta["roots"]) == 4
    env.difficulty = 1
    _, info = env.reset(seed=0)
    assert len(info["task"].meta["roots"]) == 2
    with pytest.raises(ValueError, match="difficulty"):
        env.difficulty = 0
    with pytest.raises(ValueError, match="unknown generator"):
        ProceduralMathEnv("calculus")


def test_mixed_draws_every_generator() -> None:
    env = zp.make("zeroplay/MathProcedural-v0", difficulty=2)
    seen = {env.reset(seed=s)[1]["task"].meta["generator"] for s in range(80)}
    assert seen == set(GENERATORS)
    subset = ProceduralMathEnv(["modular", "fractions"])
    assert {subset.reset(seed=s)[1]["task"].meta["generator"] for s in range(30)} == {"modular", "fractions"}


@pytest.fixture(scope="module")
def roots_env() -> tuple[ProceduralMathEnv, int]:
    """A roots env (one math verifier for all cases) and a seed whose roots are -1 and 3."""
    env = ProceduralMathEnv("polynomial_roots")
    for seed in range(200):
        if env.reset(seed=seed)[1]["task"].reference == "-1, 3":
            return env, seed
    pytest.fail("no seed gave the roots -1, 3")


@pytest.mark.parametrize("answer, reward", [
    ("The roots are $x=-1$ and $x=3$, so \\boxed{-1, 3}", 1.0),
    ("\\boxed{3, -1}", 1.0),        # a set of roots: order does not matter to the verifier
    ("\\boxed{-1}", 0.0),
    ("the roots are somewhere between -5 and 5", 0.0),
    ("", 0.0),
])
def test_model_style_answers_are_scored_by_the_math_verifier(roots_env, answer: str, reward: float) -> None:
    env, seed = roots_env
    env.reset(seed=seed)
    assert env.step(answer)[1] == reward
