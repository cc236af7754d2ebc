"""Proposal validation: the bad-proposal corpus, good proposals, the proposer envs."""

from __future__ import annotations

from pathlib import Path

import pytest
from code_corpus import CORPUS, GOOD

from zeroplay.core.types import Task
from zeroplay.envs.code.buffer import TaskBuffer, builtin_seeds
from zeroplay.envs.code.policy import DEFAULT_BANNED_MODULES, CodePolicy
from zeroplay.envs.code.propose import STAGES, CodeProposerEnv, ProposalValidator
from zeroplay.envs.code.triplet import KINDS

PERMISSIVE = CodePolicy(banned_modules=DEFAULT_BANNED_MODULES - {"random", "time", "os"})


def test_the_corpus_is_large_and_covers_every_stage() -> None:
    assert len(CORPUS) >= 30
    assert {bad.stage for bad in CORPUS} == set(STAGES)
    assert len({bad.name for bad in CORPUS}) == len(CORPUS)


@pytest.fixture(scope="module")
def corpus_results(quick_box) -> dict[str, object]:
    """Every corpus entry validated, one batch per (kind, policy), as a training loop would."""
    results = {}
    for kind in KINDS:
        for permissive in (False, True):
            batch = [b for b in CORPUS if b.kind == kind and b.permissive == permissive]
            if not batch:
                continue
            validator = ProposalValidator(kind, sandbox=quick_box, policy=PERMISSIVE if permissive else None)
            buffer = TaskBuffer(kind)
            for bad, result in zip(batch, validator.validate_many([b.text for b in batch], buffer)):
                results[bad.name] = result
    return results


@pytest.mark.parametrize("bad", CORPUS, ids=lambda b: b.name)
def test_each_bad_proposal_is_rejected_at_its_stage(bad, corpus_results) -> None:
    result = corpus_results[bad.name]
    assert not result.ok, f"{bad.name!r} was accepted"
    assert result.stage == bad.stage, f"{bad.name!r}: rejected at {result.stage!r} ({result.error}), expected {bad.stage!r}"
    assert result.error.startswith(bad.stage) and len(result.error) > len(bad.stage) + 5


def test_duplicates_within_one_batch_are_caught(quick_box) -> None:
    text = GOOD[0][1]
    first, second = ProposalValidator("deduction", sandbox=quick_box).validate_many([text, text])
    assert first.ok and second.stage == "duplicate"


@pytest.mark.parametrize("kind, text", GOOD)
def test_good_proposals_become_tasks_with_computed_outputs(kind: str, text: str, quick_box) -> None:
    result = ProposalValidator(kind, sandbox=quick_box).validate(text)
    assert result.ok, result.error
    assert len(result.task.outputs) == len(result.task.inputs) >= (6 if kind == "induction" else 1)


def test_outputs_are_the_programs_real_outputs(quick_box) -> None:
    result = ProposalValidator("deduction", sandbox=quick_box).validate(GOOD[0][1])
    assert result.task.inputs == ("[4, 1, 9, 9, 7]",) and result.task.outputs == ("7",)
    swap = ProposalValidator("deduction", sandbox=quick_box).validate(GOOD[1][1])
    assert swap.task.inputs == ("'Hello World'",) and swap.task.outputs == ("'hLOwRD'",)


def test_proposer_env_adds_valid_tasks_to_the_buffer_and_persists(tmp_path: Path, quick_box) -> None:
    path = tmp_path / "deduction.jsonl"
    env = CodeProposerEnv("deduction", buffer_path=path, sandbox=quick_box)
    obs, info = env.reset(seed=0)
    assert "```python" in obs and "```input" in obs and info["references"]
    _, reward, terminated, _, info = env.step(GOOD[0][1])
    assert terminated and reward == env.valid_reward and info["stage"] is None
    assert isinstance(info["task"], Task) and info["task"].verifier == "code-deduction"
    assert len(env.buffer) == len(builtin_seeds()) + 1 and len(path.read_text().splitlines()) == 1
    reloaded = CodeProposerEnv("deduction", buffer_path=path, sandbox=quick_box)
    assert len(reloaded.buffer) == len(builtin_seeds()) + 1
    reloaded.reset(seed=1)
    _, reward, _, _, info = reloaded.step(GOOD[0][1])  # now a duplicate
    assert info["stage"] == "duplicate" and reward == env.invalid_penalty
    reloaded.reset(seed=2)
    _, reward, _, _, info = reloaded.step("nothing useful")
    assert info["stage"] == "parse" and reward == env.parse_penalty and "error" in info


def test_validate_batch_serves_a_training_loop(quick_box) -> None:
    env = CodeProposerEnv("induction", sandbox=quick_box)
    infos = env.validate_batch([GOOD[3][1], "junk", GOOD[3][1]])
    assert [i["stage"] for i in infos] == [None, "parse", "duplicate"]
    assert infos[0]["code_task"] in env.buffer


def test_a_shared_buffer_feeds_the_solver_env(quick_box) -> None:
    from zeroplay.envs.code.solve import CodeAbductionEnv

    buffer = TaskBuffer("abduction", seeds=[])
    proposer = CodeProposerEnv("abduction", buffer=buffer, sandbox=quick_box)
    proposer.reset(seed=0)
    proposer.step(GOOD[2][1])
    solver = CodeAbductionEnv(buffer, sandbox=quick_box)
    obs, info = solver.reset(seed=0)
    assert "Output: 24" in obs
    _, reward, _, _, info = solver.step("<answer>12, 24</answer>")  # gcd 12, times 2: another input works too
    assert reward == 1.0, info["verdict"]


def test_kind_mismatch_and_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="got kind .induction."):
        CodeProposerEnv("deduction", buffer=TaskBuffer("induction"))
    with pytest.raises(ValueError, match="min_inputs"):
        ProposalValidator("induction", min_inputs=1)
