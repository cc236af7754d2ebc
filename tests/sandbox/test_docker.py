"""The docker backend; skipped with the reason where no engine answers (as on our CI machines)."""

from __future__ import annotations

import pytest

from zeroplay import sandbox
from zeroplay.core.errors import SandboxUnavailableError
from zeroplay.sandbox.docker import docker_support

pytestmark = pytest.mark.docker

OK, WHY = docker_support()


def test_unavailable_docker_raises_a_clear_error():
    if OK:
        pytest.skip("a Docker engine answers here")
    with pytest.raises(SandboxUnavailableError, match="docker"):
        sandbox.Sandbox(backend="docker")
    assert "not available here" in dict(sandbox.describe_backends())["docker"]


@pytest.mark.skipif(not OK, reason=f"docker backend unavailable: {WHY}")
def test_docker_runs_and_limits():
    with sandbox.Sandbox(backend="docker", timeout_s=2, memory_mb=128) as box:
        assert box.run("print(input())", stdin="hi").stdout == "hi\n"
        assert box.run("while True: pass").status == "timeout"
        assert box.run("import socket; socket.create_connection(('1.1.1.1', 53), timeout=1)").status == "error"
