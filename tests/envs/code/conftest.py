"""Fixtures of the code-task tests: one real sandbox with a short timeout, shared by the module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from zeroplay.sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).parent))  # code_corpus.py sits beside the tests


@pytest.fixture(scope="session")
def quick_box() -> Iterator[Sandbox]:
    """A real sandbox (the warm pool where namespaces work) whose timeout keeps endless loops cheap."""
    box = Sandbox(backend="auto", timeout_s=1.5, memory_mb=256, max_output_bytes=1 << 16)
    yield box
    box.close()
