"""Peers the benchmarks share: what a user would run instead of zeroplay's sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from zeroplay.core.types import ExecResult


class PlainSubprocess:
    """One bare interpreter per job (``python -S -I -c``), one worker per core, no isolation;
    with ``memory_mb`` an address-space limit too (for corpora holding memory bombs)."""

    backend = "subprocess"

    def __init__(self, timeout_s: float = 5.0, memory_mb: int | None = None):
        self.timeout_s = timeout_s
        self.memory_bytes = memory_mb << 20 if memory_mb else None
        self.workers = os.cpu_count() or 1

    def _limit_memory(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))

    def _run(self, program) -> ExecResult:
        start = time.perf_counter()
        try:
            p = subprocess.run([sys.executable, "-S", "-I", "-c", program.code], input=program.stdin,
                               capture_output=True, text=True, timeout=self.timeout_s, check=False,
                               preexec_fn=self._limit_memory if self.memory_bytes else None)
            return ExecResult("ok" if p.returncode == 0 else "error", p.returncode, p.stdout, p.stderr,
                              time.perf_counter() - start)
        except subprocess.TimeoutExpired:
            return ExecResult("timeout", None, "", "", time.perf_counter() - start)

    def run_many(self, programs):
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(self._run, programs))

    def close(self) -> None:
        pass
