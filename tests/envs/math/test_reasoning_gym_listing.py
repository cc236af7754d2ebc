"""reasoning-gym's datasets listed one by one as ``zeroplay/rg/NAME-v0``; skipped without reasoning-gym."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import zeroplay as zp

rg = pytest.importorskip("reasoning_gym", reason="reasoning-gym is not installed (pip install 'zeroplay[reasoning-gym]')")

from zeroplay.envs.math.reasoning_gym import NOT_LISTED  # noqa: E402


def test_every_dataset_is_listed_under_its_own_id() -> None:
    from reasoning_gym.factory import DATASETS

    listed = {i.removeprefix("zeroplay/rg/").removesuffix("-v0") for i in zp.registered() if i.startswith("zeroplay/rg/")}
    assert listed == set(DATASETS) - set(NOT_LISTED)
    assert len(listed) >= 100


@pytest.mark.parametrize("dataset", ["leg_counting", "spell_backward", "gcd"])
def test_a_listed_id_is_the_adapter_on_that_dataset(dataset: str) -> None:
    env = zp.make(f"zeroplay/rg/{dataset}-v0")
    obs, info = env.reset(seed=3)
    assert obs == env.reset(seed=3)[0]
    task = info["task"]
    assert task.meta["dataset"] == dataset
    _, reward, terminated, _, out = env.step(task.meta["oracle_answer"])
    assert (reward, terminated, out["verdict"].correct) == (1.0, True, True)
    env.reset(seed=3)
    assert env.step("<answer>surely wrong \x00</answer>")[1] < 1.0


def test_items_are_generated_once_per_episode() -> None:
    """Some datasets take seconds per item; the prompt and the score share one generation."""
    from zeroplay.envs.math.reasoning_gym import _CachedItems

    class Counting:
        calls = 0

        def __getitem__(self, index: int) -> dict:
            self.calls += 1
            return {"question": f"q{index}", "answer": str(index)}

        def __len__(self) -> int:
            return 3

        def score_answer(self, answer: str, entry: dict) -> float:
            return float(answer == entry["answer"])

    data = _CachedItems(Counting())
    assert [data[i]["answer"] for i in (0, 1, 0, 1)] == ["0", "1", "0", "1"]
    assert data._dataset.calls == 2 and len(data) == 3 and data.score_answer("1", data[1]) == 1.0


def test_list_shows_rg_ids_and_how_to_pass_dataset() -> None:
    out = subprocess.run([sys.executable, "-m", "zeroplay.cli", "list", "envs"], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "zeroplay/rg/leg_counting-v0" in out.stdout and "reasoning-gym leg_counting" in out.stdout
    assert "dataset=NAME" in out.stdout
