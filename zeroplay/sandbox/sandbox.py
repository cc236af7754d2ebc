"""The public :class:`Sandbox`: pick a backend, run one program or many, concurrently."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from zeroplay.core.errors import ConfigError, SandboxError, SandboxUnavailableError, UnknownIdError
from zeroplay.core.types import ExecResult
from zeroplay.sandbox.cold import Backend
from zeroplay.sandbox.isolation import faketime_library
from zeroplay.sandbox.spec import Limits, Program

log = logging.getLogger(__name__)

BACKENDS = ("pool", "namespace", "process", "docker")
_warned_fallback = threading.Event()


def _namespace_ok() -> tuple[bool, str]:
    from zeroplay.sandbox.isolation import namespace_support

    return namespace_support()


def _docker_ok() -> tuple[bool, str]:
    from zeroplay.sandbox.docker import docker_support

    return docker_support()


def available_backends() -> list[str]:
    """Backends that can run on this machine now (probes once per process)."""
    names = []
    if _namespace_ok()[0]:
        names += ["pool", "namespace"]
    names.append("process")
    if _docker_ok()[0]:
        names.append("docker")
    return names


def auto_backend() -> tuple[str, str]:
    """(backend ``auto`` picks, why)."""
    ok, why = _namespace_ok()
    if ok:
        return "pool", "warm pool inside namespaces (bubblewrap)"
    return "process", f"namespaces unavailable: {why}"


def describe_backends() -> list[tuple[str, str]]:
    """Rows (name, plain description) for ``zeroplay list``."""
    ns_ok, ns_why = _namespace_ok()
    dk_ok, dk_why = _docker_ok()
    picked, why = auto_backend()
    na = " [not available here: {}]"
    from zeroplay.sandbox import cgroup

    memory = f"; memory: {cgroup.describe()}"
    return [
        ("auto", f"picks `{picked}` on this machine ({why})"),
        ("pool", "warm pool: pre-started interpreters inside namespaces fork a fresh child per job; fastest, "
                 "same isolation as `namespace`" + memory + ("" if ns_ok else na.format(ns_why))),
        ("namespace", "bubblewrap per run: user/pid/net/mount/ipc/uts namespaces, read-only stdlib, private "
                      "/work and /tmp, no network, rlimits, unprivileged uid" + memory
                      + ("" if ns_ok else na.format(ns_why))),
        ("process", ("WEAKER fallback: rlimits, fresh temp dir, clean env, process group killed at the end; the "
                     "program can read the host filesystem and reach the network" + memory)),
        ("docker", "docker SDK: no network, memory/pids limits, read-only root" + ("" if dk_ok else na.format(dk_why))),
    ]


def _make_backend(name: str, limits: Limits, workers: int, hash_seed: int | None = None,
                  clock_shift_s: int = 0) -> Backend:
    if name == "auto":
        name, why = auto_backend()
        if name != "pool" and not _warned_fallback.is_set():
            _warned_fallback.set()
            warnings.warn(
                f"zeroplay sandbox: {why}; falling back to the weaker `process` backend. "
                "Install bubblewrap and allow unprivileged user namespaces for real isolation.",
                RuntimeWarning, stacklevel=4,
            )
    if name in ("pool", "namespace"):
        ok, why = _namespace_ok()
        if not ok:
            raise SandboxUnavailableError(f"The {name!r} sandbox backend cannot run here: {why}")
    if name == "pool":
        from zeroplay.sandbox.pool import PoolBackend

        return PoolBackend(limits, workers, hash_seed, clock_shift_s)
    if name == "namespace":
        from zeroplay.sandbox.cold import NamespaceBackend

        return NamespaceBackend(limits, hash_seed, clock_shift_s)
    if name == "process":
        from zeroplay.sandbox.cold import ProcessBackend

        return ProcessBackend(limits, hash_seed, clock_shift_s)
    if name == "docker":
        if hash_seed is not None or clock_shift_s:
            raise ConfigError("hash_seed and clock_shift_s are not supported by the docker backend; "
                              "use pool, namespace or process")
        from zeroplay.sandbox.docker import DockerBackend

        return DockerBackend(limits, workers)
    raise UnknownIdError("sandbox backend", name, ("auto", *BACKENDS))


class Sandbox:
    """Runs untrusted programs under hard limits. See ``describe_backends()`` for what each backend isolates.

    ``run`` never raises because of what the program does: every outcome is an :class:`ExecResult`
    whose ``status`` is ``ok | error | timeout | memory | output_limit | killed``. It returns at most
    about ``timeout_s`` + 2 s after the program starts, and no process of the run is left when it
    returns. ``run_many`` runs programs concurrently (``concurrency`` defaults to ``workers``, which
    defaults to the number of CPUs) and returns results in order.

    The caller's own mistakes raise before any job starts: bad limits at construction (a
    ConfigError; see :class:`Limits`), a bad program (wrong types, bad file names, files that
    cannot fit ``disk_mb``; see :class:`Program`), and any run on a closed Sandbox (a SandboxError).

    Limits: every program runs under this Sandbox's limits, whatever its language: the
    ``timeout_s``/``memory_mb`` of a language file are the defaults of the code verifier and the
    code envs, which build their Sandbox from them, not limits this Sandbox applies.

    Status ``memory`` comes only from what the sandbox itself knows (never from the program's
    output): the memory cgroup's OOM kill, or the Python runner seeing the interpreter fail to
    allocate. A program in another language whose allocation fails under ``memory_mb``
    (RLIMIT_AS) ends as its runtime then decides (Lua, R, OCaml, Fortran: status ``error`` and
    their own "out of memory" message on stderr), since only its output would say why.

    ``hash_seed`` pins Python's string-hash seed (``PYTHONHASHSEED``, 0 to 2**32 - 1) in every
    interpreter this Sandbox starts, so the iteration order of a set of strings is the same in all
    of its runs; None (the default) gives each interpreter a random one (each warm-pool worker
    has its own, shared by the jobs it runs). Sandboxes with different seeds let a caller tell a
    program that depends on hash order from a deterministic one. Not with ``docker``.

    ``clock_shift_s`` runs the clocks of every process this Sandbox starts that many seconds ahead:
    the wall clock (libfaketime preloaded, Debian's ``faketime`` package; a ConfigError when it is
    missing, or when the backend is not ``pool``) and, on root hosts with time namespaces, the
    monotonic and boot clocks and ``/proc/uptime``. Sandboxes with different shifts let a caller tell
    a program that reads a clock (even a coarse one: today's weekday) from a deterministic one. A
    statically linked runtime ignores the preload.
    """

    def __init__(
        self,
        backend: str = "auto",
        timeout_s: float = 5.0,
        memory_mb: int = 512,
        max_output_bytes: int = 1 << 20,
        max_processes: int = 32,
        network: bool = False,
        *,
        disk_mb: int = 64,
        max_open_files: int = 256,
        workers: int | None = None,
        hash_seed: int | None = None,
        clock_shift_s: int = 0,
    ) -> None:
        if not isinstance(clock_shift_s, int) or isinstance(clock_shift_s, bool) or not 0 <= clock_shift_s < 10**9:
            raise ConfigError(f"clock_shift_s must be an int of seconds from 0 to 10**9, got {clock_shift_s!r}")
        if clock_shift_s and faketime_library() is None:
            raise ConfigError("clock_shift_s needs libfaketime: apt-get install faketime (setup.sh installs it)")
        if clock_shift_s and backend != "pool" and not (backend == "auto" and auto_backend()[0] == "pool"):
            raise ConfigError(f"clock_shift_s needs the pool backend (its jobs fork from one interpreter that "
                              f"loaded libfaketime), not {backend!r}")
        self.clock_shift_s = clock_shift_s
        if hash_seed is not None and (
                not isinstance(hash_seed, int) or isinstance(hash_seed, bool) or not 0 <= hash_seed < 1 << 32):
            raise ConfigError(f"hash_seed must be None or an int from 0 to 4294967295, got {hash_seed!r}")
        self.hash_seed = hash_seed
        self.limits = Limits(
            timeout_s=timeout_s, memory_mb=memory_mb, max_output_bytes=max_output_bytes,
            max_processes=max_processes, max_open_files=max_open_files, disk_mb=disk_mb, network=network,
        )
        self.workers = workers or os.cpu_count() or 1
        self._backend = _make_backend(backend, self.limits, self.workers, hash_seed, clock_shift_s)
        self.backend = self._backend.name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def run(
        self, code: str, stdin: str = "", files: dict[str, str | bytes] | None = None, argv: Sequence[str] = (),
        language: str = "python",
    ) -> ExecResult:
        return self._backend.run(self._ready(Program(code, stdin, {} if files is None else files, argv, language)))

    def run_program(self, program: Program | str) -> ExecResult:
        return self._backend.run(self._ready(Program.coerce(program)))

    def run_many(self, programs: Sequence[Program | str], concurrency: int | None = None) -> list[ExecResult]:
        items = [self._ready(Program.coerce(p)) for p in programs]
        if not items:
            return []
        n = min(concurrency or self.workers, len(items))
        self._backend.reserve(n)
        if n == 1:
            return [self._backend.run(p) for p in items]
        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="zeroplay-sandbox") as pool:
            return list(pool.map(self._backend.run, items))

    async def arun(
        self, code: str, stdin: str = "", files: dict[str, str | bytes] | None = None, argv: Sequence[str] = (),
        language: str = "python",
    ) -> ExecResult:
        program = self._ready(Program(code, stdin, {} if files is None else files, argv, language))
        return await asyncio.get_running_loop().run_in_executor(self._shared_executor(), self._backend.run, program)

    async def arun_many(self, programs: Sequence[Program | str]) -> list[ExecResult]:
        loop = asyncio.get_running_loop()
        items = [self._ready(Program.coerce(p)) for p in programs]
        executor = self._shared_executor()
        futures = [loop.run_in_executor(executor, self._backend.run, p) for p in items]
        return list(await asyncio.gather(*futures))

    def _ready(self, program: Program) -> Program:
        """``program``, once it is known to fit this Sandbox and the Sandbox is open (else raises)."""
        if self._closed:
            raise SandboxError("This Sandbox is closed; create a new one (or run before close())")
        program.check_fits(self.limits)
        return program

    def _shared_executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="zeroplay-sandbox")
            return self._executor

    def close(self) -> None:
        """Stop workers; kills any run still in progress. Safe to call twice. Runs after it raise."""
        with self._lock:
            self._closed = True
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
        self._backend.close()

    def __enter__(self) -> Sandbox:  # noqa: PYI034 (Sandbox is not meant to be subclassed)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Sandbox(backend={self.backend!r}, limits={self.limits})"
