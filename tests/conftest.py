"""Shared test set-up: GPU and docker tests skip with a reason where the machine has neither; Ctrl-C
works in the tests even when the run was started with SIGINT ignored."""

from __future__ import annotations

import shutil
import signal
import subprocess

import pytest

# A run started in the background of a script (``pytest ... &`` with no job control) inherits an
# ignored SIGINT, as would every process a test starts (an ignored signal stays ignored across exec):
# the Ctrl-C tests would see nothing happen. A Python handler is reset at exec, so children get
# Python's own KeyboardInterrupt again. (This runs in each pytest-xdist worker too.)
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needs_gpu = [i for i in items if i.get_closest_marker("gpu")]
    if needs_gpu and not _has_cuda():
        skip = pytest.mark.skip(reason="needs a CUDA GPU (run on a GPU machine: pytest -m gpu)")
        for item in needs_gpu:
            item.add_marker(skip)
    needs_docker = [i for i in items if i.get_closest_marker("docker")]
    if needs_docker and not _docker_engine_answers():
        skip = pytest.mark.skip(reason="no Docker engine answers here (`docker info` failed); docker backend untested")
        for item in needs_docker:
            item.add_marker(skip)
