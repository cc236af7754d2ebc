"""The ``docker`` backend: one warm container per worker, reused; a fresh work dir per run.

Containers run with no network, a read-only root filesystem, memory and pids limits, all
capabilities dropped and ``no-new-privileges``; each run is a ``docker exec`` of the in-sandbox
runner, and every process it started is killed before ``run`` returns. Needs the docker SDK
(``pip install 'zeroplay[docker]'``) and an engine that answers.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from functools import lru_cache

from zeroplay.core.errors import SandboxUnavailableError
from zeroplay.core.types import ExecResult
from zeroplay.sandbox.cold import Backend
from zeroplay.sandbox.spec import Limits, Program

IMAGE = "python:3.11-slim"
log = logging.getLogger(__name__)


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
    except Exception as e:  # noqa: BLE001 (the SDK raises many types for "no engine")
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
                cap_drop=["ALL"], security_opt=["no-new-privileges"],
                tmpfs={"/work": f"size={self.limits.disk_mb}m,mode=1777", "/tmp": f"size={self.limits.disk_mb}m"},
                working_dir="/work", auto_remove=True, init=True,
            )
            self._all.append(c)
            return c

    def run(self, program: Program) -> ExecResult:
        import base64

        from zeroplay.sandbox.isolation import RUNNER_SOURCE
        from zeroplay.sandbox.outcome import Output, classify

        c = self._container()
        start = time.monotonic()
        try:
            payload = base64.b64encode(program.payload(self.limits, "/usr/local/bin/python")).decode()
            subject = program.subject.payload(self.limits) if program.subject is not None else b""
            res = c.exec_run(
                ["python", "-S", "-I", "-c", _WRAPPER, payload, str(self.limits.timeout_s), RUNNER_SOURCE,
                 base64.b64encode(subject).decode()],
                demux=True, user="65534",
            )
            wall = time.monotonic() - start
            out_b, err_b = res.output if res.output else (b"", b"")
            out_b, err_b = out_b or b"", err_b or b""
            # The wrapper's last stderr line is its report: "<raw wait status> <CPU s> <M|-> <how>" (- if unknown).
            err_b, _, report = err_b.rstrip(b"\n").rpartition(b"\n")
            fields = report.decode(errors="replace").split()
            raw, cpu, memory, how = fields if len(fields) == 4 else ("-", "-", "-", "killed")
            limit = self.limits.max_output_bytes
            out = Output(bytearray(out_b[:limit]), bytearray(err_b[: max(0, limit - len(out_b))]))
            out.exceeded = len(out_b) + len(err_b) > limit
            return classify(
                int(raw) if raw.lstrip("-").isdigit() else None, how, out, wall, self.limits.timeout_s,
                cpu_s=float(cpu) if cpu.replace(".", "", 1).isdigit() else None, memory_error=memory == "M",
            )
        finally:
            self._idle.put(c)

    def close(self) -> None:
        with self._lock:
            for c in self._all:
                try:
                    c.kill()
                except Exception as e:  # noqa: BLE001 (already gone is fine; anything else is logged)
                    log.debug("docker sandbox: could not kill container %s: %s", c.id, e)
            self._all.clear()


#: Runs inside the container for each job: feeds the runner its payload, waits for it (the timeout
#: plus half a second at most), then kills the runner and whatever the job left (``kill(-1)`` as uid
#: 65534: every process of that uid but this one; the container's own process runs as root
#: without capabilities), wipes /work and /tmp, and reports on its last stderr line.
_WRAPPER = r"""
import base64, os, signal, subprocess, sys, shutil
payload, timeout, runner = base64.b64decode(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
os.chdir('/work')
fd = os.memfd_create('job'); os.write(fd, payload); os.lseek(fd, 0, 0)
r, w = os.pipe()
extra = [w]
if sys.argv[4]:  # a split job: the subject's payload on an fd of its own
    s = os.memfd_create('subject'); os.write(s, base64.b64decode(sys.argv[4])); os.lseek(s, 0, 0); extra.append(s)
p = subprocess.Popen(['python', '-S', '-I', '-c', runner, 'run', *map(str, extra)], stdin=fd, pass_fds=extra,
                     start_new_session=True)
for x in extra:
    os.close(x)
how = 'exited'
try:
    p.wait(timeout=timeout + 0.5)
except subprocess.TimeoutExpired:
    how = 'timeout'
status = os.read(r, 64).decode().lstrip('S').strip()
status = status if len(status.split()) == 3 else '- - -'
try:
    os.kill(-1, signal.SIGKILL)  # as uid 65534: every process of the job, not the container's root init
except OSError:
    pass
for d in ('/work', '/tmp'):
    for e in os.listdir(d):
        shutil.rmtree(os.path.join(d, e), ignore_errors=True) if os.path.isdir(os.path.join(d, e)) else os.unlink(os.path.join(d, e))
sys.stdout.flush()
sys.stderr.write('\n%s %s\n' % (status if how == 'exited' else '- - -', how))
"""
