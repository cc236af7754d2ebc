"""Runs environment sources in the sandbox: the only way zeroplay ever executes them.

Each job is one sandbox run, a split job (see :mod:`zeroplay.sandbox.subject`): the judge
``_driver.py`` gets the request on stdin, the source runs in a process of its own under
``_env_host.py`` and answers the judge's calls; many jobs go out together through
``Sandbox.run_many``. Cost: one sandbox start per job (with the
warm pool that is a fork, a few ms), so callers batch: validation asks for all its instances
in one job, :class:`~zeroplay.envs.synth.env.SynthEnv` fetches prompts a batch at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from zeroplay.envs.synth import spec


@dataclass(frozen=True)
class RunnerConfig:
    """Limits for running sources."""

    backend: str = "auto"
    """Sandbox backend: "auto" (warm pool where it can), "namespace", "process" or "docker"."""
    timeout_s: float = 20.0
    """Wall-time limit of one job (all the calls it makes)."""
    memory_mb: int = 512
    """Address-space limit of a job."""
    call_timeout_s: float = 2.0
    """Time budget of one call into the source (sample_instance, render, reference or score)."""


#: Items one ``score`` job takes (:meth:`EnvRunner.score_jobs`).
SCORE_CHUNK = 8


@dataclass
class JobOutcome:
    """What one job gave back: ``result`` (the driver's JSON) or ``problem`` (why there is none)."""

    result: dict[str, Any] | None
    problem: str | None = None
    status: str = "ok"
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def failure(self) -> str | None:
        """Why the job gave no result to read (the sandbox's problem, or the source failed to load); None when it did."""
        if self.result is not None and "load_error" not in self.result:
            return None
        return self.problem or self.result["load_error"]["message"]


@lru_cache(maxsize=1)
def driver_code() -> str:
    """The judge's program."""
    text = resources.files("zeroplay.envs.synth").joinpath("_driver.py").read_text(encoding="utf-8")
    return text + "\n\nmain()\n"


@lru_cache(maxsize=8)
def env_host_code(config: str) -> str:
    """The trusted set-up of the source's process, with its ``CONFIG`` (JSON text)."""
    text = resources.files("zeroplay.envs.synth").joinpath("_env_host.py").read_text(encoding="utf-8")
    return text + f"\n\nCONFIG = {json.loads(config)!r}\n"


class EnvRunner:
    """Sends jobs about env sources to a sandbox. Thread-compatible, not thread-safe."""

    def __init__(self, config: RunnerConfig | None = None, *, sandbox: Any = None):
        self.config = config or RunnerConfig()
        self._sandbox = sandbox

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            from zeroplay.sandbox import Sandbox

            self._sandbox = Sandbox(backend=self.config.backend, timeout_s=self.config.timeout_s, memory_mb=self.config.memory_mb)
        return self._sandbox

    def job(self, source: str, op: str, **fields: Any) -> dict[str, Any]:
        return {
            "source": source,
            "op": op,
            "allowed": sorted(spec.ALLOWED_IMPORTS),
            "banned": sorted(spec.BANNED_BUILTINS),
            "call_timeout_s": self.config.call_timeout_s,
            "max_prompt_chars": spec.MAX_PROMPT_CHARS,
            "max_reference_chars": spec.MAX_REFERENCE_CHARS,
            "max_print_bytes": spec.MAX_PRINT_BYTES,
            **fields,
        }

    def score_jobs(self, source: str, items: Sequence[dict[str, Any]], **fields: Any) -> list[dict[str, Any]]:
        """``score`` jobs for ``items``, :data:`SCORE_CHUNK` a job: every call into a source runs in a fork
        of its own (a few ms each, some twenty an item), so a chunk keeps a job well inside its time
        limit on a busy machine, and the chunks run at once on the sandbox's workers."""
        return [self.job(source, "score", items=list(items[i:i + SCORE_CHUNK]), **fields)
                for i in range(0, len(items), SCORE_CHUNK)]

    def run_jobs(self, jobs: Sequence[dict[str, Any]]) -> list[JobOutcome]:
        """Run jobs concurrently in the sandbox; one outcome per job, in order. Never raises on what a source does."""
        if not jobs:
            return []
        from zeroplay.sandbox import Program, Subject

        code = driver_code()
        programs = []
        for j in jobs:
            config = json.dumps({k: j[k] for k in ("allowed", "banned", "call_timeout_s", "max_print_bytes")})
            # ensure_ascii (json's default): model text may hold lone surrogates, which UTF-8 cannot carry
            judge_job = {k: v for k, v in j.items() if k != "source"}
            programs.append(Program(code, stdin=json.dumps(judge_job), subject=Subject(j["source"], env_host_code(config))))
        results = self.sandbox.run_many(programs)
        return [self._outcome(j, r) for j, r in zip(jobs, results)]

    def _outcome(self, job: dict[str, Any], res: Any) -> JobOutcome:
        lines = res.stdout.splitlines()  # only the judge writes to stdout
        if res.status == "ok" and lines:
            try:
                return JobOutcome(json.loads(lines[-1]), status=res.status, wall_s=res.wall_s)
            except json.JSONDecodeError:
                pass
        c = self.config
        why = {
            "timeout": f"the run went past the sandbox's {c.timeout_s:g} s limit (an endless loop, or far too slow)",
            "memory": f"the run went past the sandbox's {c.memory_mb} MB memory limit",
            "output_limit": "the run wrote more output than the sandbox allows",
            "killed": "the sandbox killed the run (too many processes or files?)",
        }.get(res.status)
        if why is None:
            tail = (res.stderr or "").strip().splitlines()[-3:]
            why = f"the run ended ({res.status}, exit code {res.exit_code}) without a result" + (f": {' | '.join(tail)[:300]}" if tail else "")
        return JobOutcome(None, why, status=res.status, wall_s=res.wall_s)

    def __deepcopy__(self, memo: dict[int, Any]) -> EnvRunner:
        # a runner is a handle on a shared sandbox: copies (gymnasium.make deep-copies env
        # kwargs) share it rather than fail on its locks and queues
        return self

    def close(self) -> None:
        close = getattr(self._sandbox, "close", None)
        if callable(close):
            close()
