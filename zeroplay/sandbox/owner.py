""":class:`SandboxOwner`: what a verifier or runner that runs its jobs in one sandbox shares."""

from __future__ import annotations

import threading
from typing import Any


class SandboxOwner:
    """Builds its :class:`~zeroplay.sandbox.Sandbox` on first use (thread-safe) from the attributes
    ``backend``, ``timeout_s``, ``memory_mb`` and ``workers``, or uses the one it was given; ``close``
    closes it; pickling leaves it behind (it is rebuilt where the object lands, e.g. a worker process).
    A subclass calls :meth:`_own_sandbox` in its ``__init__``."""

    backend: str
    timeout_s: float
    memory_mb: int
    workers: int | None

    def _own_sandbox(self, sandbox: Any = None) -> None:
        self._sandbox = sandbox
        self._lock = threading.Lock()

    def sandbox(self) -> Any:
        with self._lock:
            if self._sandbox is None:
                from zeroplay.sandbox import Sandbox

                self._sandbox = Sandbox(backend=self.backend, timeout_s=self.timeout_s, memory_mb=self.memory_mb,
                                        workers=self.workers)
            return self._sandbox

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_sandbox": None, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
