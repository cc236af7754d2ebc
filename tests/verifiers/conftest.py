"""Shared verifiers for the verifier tests: one per module, so worker processes start once."""

from __future__ import annotations

import pytest

from zeroplay import verifiers
from zeroplay.sandbox.language_files import available


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


@pytest.fixture(scope="session")
def verifier():
    """The code verifier with room for compilers (the any-language tests)."""
    v = verifiers.make("code", timeout_s=10.0, memory_mb=1024)
    yield v
    v.close()


def need(*languages: str) -> None:
    """Skip the test, naming the package to install, unless every language's toolchain is here."""
    for language in languages:
        ok, why = available(language)
        if not ok:
            pytest.skip(why)
