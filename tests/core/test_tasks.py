"""Task sources and the single-step TaskEnv."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zeroplay.core import EpisodeOverError, GeneratorSource, JSONLSource, ListSource, Task, TaskEnv, write_jsonl
from zeroplay.verifiers.exact import ExactVerifier

TASKS = [Task(f"t{i}", f"What is {i} + {i}?", str(2 * i)) for i in range(10)]


def test_task_round_trips_through_dict_and_rejects_unknown_fields() -> None:
    t = Task("a", "p", {"tests": "x"}, "code", {"k": 1})
    assert Task.from_dict(t.to_dict()) == t
    with pytest.raises(ValueError, match="unknown fields"):
        Task.from_dict({"prompt": "p", "reference": "r", "colour": 1})
    # a missing id is derived from the content, stably across processes
    assert Task.from_dict({"prompt": "p", "reference": "r"}).id == Task.from_dict({"prompt": "p", "reference": "r"}).id


def test_task_env_scores_with_the_verifier_and_ends_the_episode() -> None:
    env = TaskEnv(TASKS, verifier=ExactVerifier())
    obs, info = env.reset(seed=3)
    task = info["task"]
    assert obs == task.prompt
    _, reward, terminated, truncated, info = env.step(task.reference)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["verdict"].correct and info["verdict"].reason == "exact-equal"
    with pytest.raises(EpisodeOverError, match="call reset"):
        env.step("again")


def test_task_env_is_deterministic_by_seed_and_uses_the_task_verifier_name() -> None:
    env = TaskEnv(TASKS)  # tasks name "exact"
    seq = [env.reset(seed=s)[0] for s in range(5)]
    assert seq == [env.reset(seed=s)[0] for s in range(5)]
    env.reset(seed=0)
    assert env.step("wrong")[1] == 0.0


def test_task_env_wraps_the_prompt_and_accepts_a_task_in_options() -> None:
    env = TaskEnv(TASKS, verifier=ExactVerifier(), prompt_template="Q: {prompt}\nA:")
    obs, _ = env.reset(seed=0, options={"task": {"prompt": "Capital of France?", "reference": "Paris"}})
    assert obs == "Q: Capital of France?\nA:"
    assert env.step("paris")[1] == 1.0


def test_a_verifier_that_raises_gives_a_failing_verdict() -> None:
    class Broken(ExactVerifier):
        def verify(self, response, reference):
            raise RuntimeError("boom")

    env = TaskEnv(TASKS, verifier=Broken())
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("x")
    assert reward == 0.0 and terminated and "verifier-error" in info["verdict"].reason


def test_jsonl_source_reads_renames_and_reports_bad_lines(tmp_path) -> None:
    path = tmp_path / "tasks.jsonl"
    write_jsonl(path, TASKS)
    assert ListSource(TASKS).tasks == JSONLSource(path).tasks
    raw = tmp_path / "raw.jsonl"
    raw.write_text(json.dumps({"problem": "1+1?", "answer": "2"}) + "\n\n" + json.dumps({"problem": "2+2?", "answer": "4"}) + "\n")
    src = JSONLSource(raw, fields={"problem": "prompt", "answer": "reference"}, defaults={"verifier": "exact"})
    assert [t.reference for t in src.tasks] == ["2", "4"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "reference": "b"}\n{not json}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not valid JSON"):
        JSONLSource(bad)
    with pytest.raises(FileNotFoundError, match="No task file"):
        JSONLSource(tmp_path / "missing.jsonl")
    # a missing field is named as the file spells it, and the keys are the line's own (no made-up id)
    bad.write_text('{"prompt": "a", "reference": "b"}\n{"problem": "no answer"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: .* has no 'answer' \(its keys: \['problem'\]\)"):
        JSONLSource(bad, fields={"problem": "prompt", "answer": "reference"})


def test_generator_source_has_a_difficulty_knob() -> None:
    def gen(rng: np.random.Generator, difficulty: int) -> Task:
        a, b = (int(x) for x in rng.integers(0, 10**difficulty, 2))
        return Task(f"{a}+{b}", f"{a} + {b} = ?", str(a + b), meta={"difficulty": difficulty})

    src = GeneratorSource(gen, difficulty=1)
    env = TaskEnv(src, verifier=ExactVerifier())
    _, info = env.reset(seed=0)
    assert info["task"].meta["difficulty"] == 1 and len(info["task"].id) <= 3
    src.difficulty = 6
    _, info = env.reset(seed=0)
    assert info["task"].meta["difficulty"] == 6
    assert env.step(info["task"].reference)[1] == 1.0


def test_jsonl_nested_too_deeply_is_a_line_error_not_a_crash(tmp_path) -> None:
    from zeroplay.core.tasks import read_jsonl

    path = tmp_path / "deep.jsonl"
    path.write_text('{"prompt": "ok", "reference": "1"}\n' + '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(ValueError, match=r"deep\.jsonl:2: JSON nested too deeply"):
        list(read_jsonl(path))
