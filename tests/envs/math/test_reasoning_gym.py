"""The reasoning-gym adapter (optional extra); skipped cleanly where reasoning-gym is absent."""

from __future__ import annotations

import pytest

import zeroplay as zp

rg = pytest.importorskip("reasoning_gym", reason="reasoning-gym is not installed (pip install 'zeroplay[reasoning-gym]')")


def test_registered_when_installed() -> None:
    assert "zeroplay/ReasoningGym-v0" in zp.registered()


@pytest.mark.parametrize("dataset", ["basic_arithmetic", "leg_counting", "spell_backward"])
def test_items_are_served_and_scored_by_the_dataset(dataset: str) -> None:
    env = zp.make("zeroplay/ReasoningGym-v0", dataset=dataset, size=50, seed=1)
    obs, info = env.reset(seed=4)
    assert obs == env.reset(seed=4)[0] and "<answer>" in obs
    entry = env.dataset[info["task"].reference["index"]]
    assert obs.startswith(entry["question"].rstrip())
    _, reward, terminated, _, out = env.step(f"thinking... <answer>{entry['answer']}</answer>")
    assert terminated and reward == 1.0 and out["verdict"].correct
    env.reset(seed=4)
    assert env.step(entry["answer"])[1] == 0.0  # the answer must be in tags


def test_hostile_answers_and_bad_datasets() -> None:
    env = zp.make("zeroplay/ReasoningGym-v0")
    for answer in ["", "<answer>" + "9" * 10_000 + "</answer>", "<answer>\x00</answer>", "<answer>" * 1000]:
        env.reset(seed=0)
        assert env.step(answer)[1] == 0.0
    with pytest.raises(zp.core.EnvCreationError, match="no_such_dataset"):
        zp.make("zeroplay/ReasoningGym-v0", dataset="no_such_dataset")
