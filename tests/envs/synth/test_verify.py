"""The ``synth`` verifier: a synth Task scored by name gives the verdict ``SynthEnv.step`` gives.

Real parts throughout: the sandbox runner, a library written to a temp dir, the registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from synth_corpus import GOOD, TEST_RUNNER, hostile_actions

from zeroplay import verifiers
from zeroplay.cli import main
from zeroplay.core.tasks import TaskEnv, write_jsonl
from zeroplay.core.types import Task
from zeroplay.envs.synth.env import SynthEnv
from zeroplay.envs.synth.library import Library
from zeroplay.envs.synth.validate import source_sha
from zeroplay.envs.synth.verify import SynthVerifier


@pytest.fixture
def verifier(runner) -> SynthVerifier:
    return SynthVerifier(runner=runner)


@pytest.fixture
def library_env(library: Library, runner) -> SynthEnv:
    library.add(GOOD, name="ListSum", sha256=source_sha(GOOD), difficulty=2, levels=[1, 2, 3])
    return SynthEnv("ListSum", library=str(library.path), runner=runner)


def _step_verdict(env: SynthEnv, seed: int, answer: object):
    env.reset(seed=seed)
    return env.step(answer)[4]["verdict"]


def test_registered_by_name_and_built_lazily() -> None:
    assert "synth" in verifiers.registered() and "sandbox" in verifiers.descriptions()["synth"]
    v = verifiers.make("synth", runner_config=TEST_RUNNER)
    assert isinstance(v, SynthVerifier) and v.name == "synth"
    v.close()


def test_library_task_right_and_wrong_answers_match_step(library: Library, library_env: SynthEnv,
                                                         verifier: SynthVerifier) -> None:
    for seed in range(3):
        _, info = library_env.reset(seed=seed)
        task = info["task"]
        assert task.verifier == "synth" and task.reference["library"] == str(library.path)
        gold = task.reference["answer"]
        right = verifier.verify(f"I added them. <answer>{gold}</answer>", task.reference)
        wrong = verifier.verify(f"<answer>{int(gold) + 1}</answer>", task.reference)
        assert right.correct and right.score == 1.0 and right.extracted == gold
        assert not wrong.correct and wrong.score == 0.0
        assert right == _step_verdict(library_env, seed, f"I added them. <answer>{gold}</answer>")
        assert wrong == _step_verdict(library_env, seed, f"<answer>{int(gold) + 1}</answer>")


def test_hostile_answers_give_the_verdict_step_gives(runner, verifier: SynthVerifier) -> None:
    env = SynthEnv(source=GOOD, runner=runner)
    actions = hostile_actions(np.random.default_rng(0))
    references = []
    for i in range(len(actions)):
        references.append(env.reset(seed=i)[1]["task"].reference)
    verdicts = verifier.verify_batch(actions, references)  # non-str, 1 MB, binary, surrogates: one batch
    for i, (action, verdict) in enumerate(zip(actions, verdicts)):
        assert not verdict.correct and verdict.score == 0.0
        assert verdict == _step_verdict(env, i, action), repr(action)[:60]


def test_stored_tasks_score_through_task_env_and_jsonl(tmp_path: Path, library_env: SynthEnv, runner) -> None:
    source_env = SynthEnv(source=GOOD, runner=runner)
    tasks = [library_env.reset(seed=1)[1]["task"], source_env.reset(seed=2)[1]["task"]]
    path = tmp_path / "tasks.jsonl"
    write_jsonl(path, tasks)  # plain data: the task survives a trip through a file
    env = TaskEnv(path, verifier=SynthVerifier(runner=runner))
    for task, origin, seed in zip(tasks, (library_env, source_env), (1, 2)):
        for answer in (task.reference["answer"], "12345678"):
            env.reset(options={"task": Task.from_dict(json.loads(json.dumps(task.to_dict())))})
            _, reward, terminated, _, info = env.step(answer)
            assert terminated and info["verdict"] == _step_verdict(origin, seed, answer)
            assert reward == (1.0 if answer == task.reference["answer"] else 0.0)


def test_task_env_finds_the_verifier_by_the_tasks_name(runner) -> None:
    task = SynthEnv(source=GOOD, runner=runner).reset(seed=4)[1]["task"]
    env = TaskEnv([task])  # no verifier given: TaskEnv builds the one the task names, "synth"
    env.reset(seed=0)
    assert env.step(f"<answer>{task.reference['answer']}</answer>")[1] == 1.0
    env.verifier_for(task).close()


def test_cli_verify_scores_a_synth_jsonl_file_and_a_pair(tmp_path: Path, runner, capsys) -> None:
    task = SynthEnv(source=GOOD, runner=runner).reset(seed=5)[1]["task"]
    rows = [{"response": f"<answer>{task.reference['answer']}</answer>", "reference": task.reference, "verifier": "synth"},
            {"response": "no idea", "reference": task.reference, "verifier": "synth"}]
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["verify", str(path), "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["correct"] for r in out] == [True, False]
    assert main(["verify", "synth", task.reference["answer"], json.dumps(task.reference)]) == 0
    assert main(["verify", "synth", "-1", json.dumps(task.reference)]) == 1


def test_library_env_gone_or_edited_is_an_env_error(library: Library, library_env: SynthEnv, verifier: SynthVerifier) -> None:
    reference = library_env.reset(seed=0)[1]["task"].reference
    library.remove("ListSum")
    edited = GOOD.replace("randint(1, 50)", "randint(1, 60)")
    library.add(edited, name="ListSum", sha256=source_sha(edited))
    verdict = verifier.verify(reference["answer"], reference)  # same name, another source: refused
    assert not verdict.correct and verdict.reason.startswith("env-error") and "hash differs" in verdict.reason
    library.remove("ListSum")
    verdict = verifier.verify(reference["answer"], reference)
    assert not verdict.correct and verdict.reason.startswith("env-error") and "ListSum" in verdict.reason
    other = SynthEnv(source=GOOD.replace("randint(1, 50)", "randint(1, 70)"), runner=verifier.runner)
    changed = {**reference, "source": other.source}  # the instance rebuilt from the seed differs from the one shown
    verdict = verifier.verify(reference["answer"], changed)
    assert not verdict.correct and "non-deterministic" in verdict.reason


def test_a_reference_that_is_no_synth_reference_says_how_to_make_one(verifier: SynthVerifier) -> None:
    with pytest.raises(ValueError, match="dict"):
        verifier.verify("1", "42")
    with pytest.raises(ValueError, match="synth_reference"):
        verifier.verify("1", {"answer": "42"})
    with pytest.raises(ValueError, match="responses"):
        verifier.verify_batch(["1", "2"], [{}])
