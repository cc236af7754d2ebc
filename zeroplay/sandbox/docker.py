"""The ``docker`` backend: one warm container per worker, reused; a fresh work dir per run.

Containers run with no network, a read-only root filesystem, memory and pids limits, all
capabilities dropped and ``no-new-privileges``; each run is a ``docker exec`` of the in-sandbox
runner, and every process it started is killed before ``run`` returns. Needs the docker SDK
(``pip install 'zeroplay[docker]'``) and an engine that answers.
"""

from __future__ import annotations

import queue
import threading
import time
from functools import lru_cache

from zeroplay.core.errors import SandboxUnavailableError
from zeroplay.core.types import ExecResult
from zeroplay.sandbox.cold import Backend
from zeroplay.sandbox.spec import Limits, Program

IMAGE = "python:3.11-slim"


@lru_cache(maxsize=1)
def docker_support() -> tuple[bool, str]:
    """(works, why not): the SDK is installed and an engine answers a ping."""
    try:
        import docker
    except ImportError:
        return False, "the docker SDK is not installed (pip install 'zeroplay[docker]')"
    try:
        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as e:  # the SDK raises many types for "no engine"
        return False, f"no Docker engine answers ({type(e).__name__}: {str(e)[:120]})"
    return True, ""


class DockerBackend(Backend):
    """Warm containers, one per worker; see the module docstring for the limits."""

    name = "docker"

    def __init__(self, limits: Limits, workers: int, image: str = IMAGE) -> None:
        ok, why = docker_support()
        if not ok:
            raise SandboxUnavailableError(f"The 'docker' sandbox backend cannot run here: {why}")
        import docker

        super().__init__(limits)
        self.client = docker.from_env()
        self.image = image
        self.size = workers
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._all: list = []
        self._lock = threading.Lock()

    def _container(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) >= self.size:
                return self._idle.get()
            c = self.client.containers.run(
                self.image, ["sleep", "infinity"], detach=True, network_disabled=True, read_only=True,
                mem_limit=f"{self.limits.memory_mb}m", pids_limit=self.limits.max_processes + 8,
                cap_drop=["ALL"], security_opt=["no-new-privileges"], user="65534:65534",
                tmpfs={"/work": f"size={self.limits.disk_mb}m,mode=1777", "/tmp": f"size={self.limits.disk_mb}m"},
                working_dir="/work", auto_remove=True, init=True,
            )
            self._all.append(c)
            return c

    def run(self, program: Program) -> ExecResult:
        import base64

        c = self._container()
        start = time.monotonic()
        try:
            payload = base64.b64encode(program.payload(self.limits, "/usr/local/bin/python")).decode()
            script = (
                "import base64,os,subprocess,sys,shutil;os.chdir('/work');"
                f"d=base64.b64decode('{payload}');"
                "p=subprocess.run(['timeout','-s','KILL',sys.argv[1],'python','-c',sys.argv[2],'run','9'],"
                "input=d,capture_output=True);"
                "sys.stdout.buffer.write(p.stdout);sys.stderr.buffer.write(p.stderr);sys.exit(p.returncode & 255)"
            )
            from zeroplay.sandbox.isolation import RUNNER_SOURCE

            res = c.exec_run(["python", "-c", script, str(self.limits.timeout_s), RUNNER_SOURCE], demux=True)
            out, err = res.output
            wall = time.monotonic() - start
            code = res.exit_code
            out_b, err_b = (out or b""), (err or b"")
            limit = self.limits.max_output_bytes
            status = "ok" if code == 0 else "error"
            if code in (124, 137):
                status = "timeout"
            if len(out_b) + len(err_b) > limit:
                status, out_b, err_b = "output_limit", out_b[:limit], err_b[: max(0, limit - len(out_b))]
            stderr = err_b.decode(errors="replace")
            if status == "error" and stderr.rstrip().splitlines()[-1:] == ["MemoryError: the program ran out of its memory limit"]:
                status = "memory"
            return ExecResult(status, code, out_b.decode(errors="replace"), stderr, wall)
        finally:
            c.exec_run(["sh", "-c", "pkill -9 -u 65534 -f 'python -c' ; rm -rf /work/* /work/.[!.]* /tmp/*"], user="65534")
            self._idle.put(c)

    def close(self) -> None:
        with self._lock:
            for c in self._all:
                try:
                    c.kill()
                except Exception:
                    pass
            self._all.clear()
