"""The README's Python examples run as written (each in a fresh interpreter)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


#: Optional packages an example needs (by what it names), so it skips with a reason where one is missing.
NEEDS = {"zeroplay/rg/": "reasoning_gym", "ReasoningGym-v0": "reasoning_gym", "pettingzoo": "pettingzoo"}


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, tmp_path: Path) -> None:
    for marker, module in NEEDS.items():
        if marker in BLOCKS[index]:
            pytest.importorskip(module, reason=f"README example #{index} needs {module} (an optional extra)")
    proc = subprocess.run([sys.executable, "-c", BLOCKS[index]], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, f"README example #{index} failed:\n{BLOCKS[index]}\n--- stderr ---\n{proc.stderr[-3000:]}"
