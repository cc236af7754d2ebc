"""Shared verifiers for the verifier tests: one per module, so worker processes start once."""

from __future__ import annotations

import pytest

from zeroplay import verifiers


@pytest.fixture(scope="session")
def math_v():
    v = verifiers.make("math", workers=2)
    yield v
    v.close()


@pytest.fixture(scope="session")
def code_v():
    v = verifiers.make("code", timeout_s=3.0, memory_mb=256)
    yield v
    v.close()
