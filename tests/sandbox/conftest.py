"""Fixtures shared by the sandbox tests: one Sandbox per backend per module (workers start once)."""

from __future__ import annotations

import pytest

from zeroplay import sandbox

ISOLATED = [b for b in ("pool", "namespace") if b in sandbox.available_backends()]
ALL = [*ISOLATED, "process"]


def need(backend: str) -> None:
    if backend not in sandbox.available_backends():
        pytest.skip(f"sandbox backend {backend!r} is not available here: see `zeroplay list sandbox`")


@pytest.fixture(scope="module", params=ALL)
def box(request):
    need(request.param)
    with sandbox.Sandbox(backend=request.param, timeout_s=2, memory_mb=256, max_output_bytes=64_000) as b:
        yield b


@pytest.fixture(scope="module", params=ISOLATED or ["pool"])
def isolated_box(request):
    need(request.param)
    with sandbox.Sandbox(backend=request.param, timeout_s=2, memory_mb=256, max_output_bytes=64_000) as b:
        yield b
