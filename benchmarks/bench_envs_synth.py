"""Validated synthesized environments per second, and synth env episodes per second.

Validation runs every stage (static, sandbox, determinism, self-consistency over 40 instances,
13 low-effort probes per instance, difficulty) on two workloads:

- ``seeds``: the 16 shipped seeds, which all pass (the full work of every stage);
- ``broken``: the test corpus of broken sources (minus the one that runs into the 20 s sandbox
  timeout, which would measure the timeout), rejected at various stages; the two endless loops
  in it each spend their 2 s per-call budget, so this rate is bounded by those budgets.

Sides, all on the same sources and the same in-sandbox driver, so only the execution differs:

- ``zeroplay (auto)``: ``validate_many`` through ``Sandbox(backend="auto")`` (the warm pool
  under namespace isolation where the machine allows it);
- ``zeroplay (process)``: the same through the weaker ``process`` backend (an interpreter per job);
- ``plain subprocess`` (the peer, no isolation at all): each job run by
  ``subprocess.run([sys.executable, "-S", "-I", "-c", driver], input=job)``, one worker per core,
  as BENCHMARKS.md describes the plain-subprocess baseline, plus the same address-space limit.

There is no published peer that validates model-written environments, so the baseline is what
one would write by hand with the standard library. Also reported: episodes/s (reset + step with
the reference answer) of one ``SynthEnv``, which pays one sandbox job per step.
Warm-up once, then ``--repeats`` runs; median and min..max. Writes
benchmarks/results/envs_synth.json and .png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from zeroplay.core.types import ExecResult
from zeroplay.envs.synth.env import SynthEnv
from zeroplay.envs.synth.pipeline import seed_sources
from zeroplay.envs.synth.runner import EnvRunner, RunnerConfig
from zeroplay.envs.synth.validate import ValidationConfig, validate_many

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CORPUS = HERE.parent / "tests" / "envs" / "synth" / "synth_corpus.py"


class PlainSubprocess:
    """The peer: one bare interpreter per job, one worker per core, no isolation but an
    address-space limit (the corpus holds memory bombs, and this machine is shared)."""

    def __init__(self, timeout_s: float, memory_mb: int):
        self.timeout_s = timeout_s
        self.memory_bytes = memory_mb << 20
        self.workers = os.cpu_count() or 1

    def _limit_memory(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))

    def _run(self, program) -> ExecResult:
        start = time.perf_counter()
        try:
            p = subprocess.run([sys.executable, "-S", "-I", "-c", program.code], input=program.stdin,
                               capture_output=True, text=True, timeout=self.timeout_s, check=False,
                               preexec_fn=self._limit_memory)
            return ExecResult("ok" if p.returncode == 0 else "error", p.returncode, p.stdout, p.stderr, time.perf_counter() - start)
        except subprocess.TimeoutExpired:
            return ExecResult("timeout", None, "", "", time.perf_counter() - start)

    def run_many(self, programs):
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(self._run, programs))

    def close(self) -> None:
        pass


def broken_sources() -> list[str]:
    """The test corpus's broken sources, minus the one that only measures the sandbox timeout."""
    if not CORPUS.is_file():
        return []
    import importlib.util

    spec = importlib.util.spec_from_file_location("synth_corpus", CORPUS)
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)  # test data: the sources in it are strings, run only in the sandbox
    return [src for case, _, src in corpus.BROKEN if case != "loop_swallows_timeout"]


def time_validation(runner: EnvRunner, sources: list[str], repeats: int) -> list[float]:
    config = ValidationConfig(runner=runner.config)
    validate_many(sources, config, runner=runner)  # warm-up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        reports = validate_many(sources, config, runner=runner)
        rates.append(len(reports) / (time.perf_counter() - start))
    return rates


def time_episodes(runner: EnvRunner, source: str, episodes: int, repeats: int) -> list[float]:
    env = SynthEnv(source=source, runner=runner)
    env.reset(seed=0)
    env.step("0")
    rates = []
    for r in range(repeats):
        start = time.perf_counter()
        _, info = env.reset(seed=r)
        for _ in range(episodes):
            env.step(info["task"].reference)
            _, info = env.reset()
        rates.append(episodes / (time.perf_counter() - start))
    return rates


def spread(values: list[float]) -> str:
    return f"{min(values):.1f}..{max(values):.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench envs --only synth", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument("--episodes", type=int, default=50, help="episodes per timed run of the env (default 50)")
    parser.add_argument("--sides", default="auto,process,subprocess", help="comma-separated: auto, process, subprocess")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    workloads = {"seeds": list(seed_sources().values()), "broken": broken_sources()}
    config = RunnerConfig()
    sides: dict[str, EnvRunner] = {}
    for side in args.sides.split(","):
        if side == "subprocess":
            sides["plain subprocess"] = EnvRunner(config, sandbox=PlainSubprocess(config.timeout_s, config.memory_mb))  # the peer
        else:
            runner = EnvRunner(RunnerConfig(backend=side))
            sides[f"zeroplay {runner.sandbox.backend}"] = runner
    rows = []
    console = Console()
    with console.status("validating..."):
        for workload, sources in workloads.items():
            if not sources:
                continue
            for side, runner in sides.items():
                rates = time_validation(runner, sources, args.repeats)
                rows.append({"what": f"validate {len(sources)} {workload}", "side": side, "unit": "envs/s",
                             "median": statistics.median(rates), "min": min(rates), "max": max(rates)})
        first = next(iter(seed_sources().values()))
        for side, runner in sides.items():
            rates = time_episodes(runner, first, args.episodes, args.repeats)
            rows.append({"what": "episodes (reset+step)", "side": side, "unit": "episodes/s",
                         "median": statistics.median(rates), "min": min(rates), "max": max(rates)})
    for runner in sides.values():
        runner.close()
    baseline = {r["what"]: r["median"] for r in rows if r["side"] == "plain subprocess"}
    table = Table(title="Synthesized environments (median of repeats; min..max)", title_justify="left")
    for col in ("what", "side", "rate", "min..max", "x subprocess"):
        table.add_column(col, justify="right" if col not in ("what", "side") else "left")
    for r in rows:
        base = baseline.get(r["what"])
        r["ratio_vs_subprocess"] = r["median"] / base if base else None
        table.add_row(r["what"], r["side"], f"{r['median']:.1f} {r['unit']}", spread([r["min"], r["max"]]),
                      f"{r['ratio_vs_subprocess']:.2f}x" if base else "-")
    console.print(table)
    meta = {"python": platform.python_version(), "cpus": os.cpu_count(), "repeats": args.repeats,
            "episodes": args.episodes, "instances_per_source": 40, "machine": platform.machine(),
            "loadavg_at_end": os.getloadavg()}  # other work on the machine skews absolute rates, not ratios
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "envs_synth.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    _plot(rows, RESULTS / "envs_synth.png")
    console.print(f"wrote {RESULTS / 'envs_synth.json'} and envs_synth.png")


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    whats = list(dict.fromkeys(r["what"] for r in rows))
    sides = list(dict.fromkeys(r["side"] for r in rows))
    fig, axes = plt.subplots(1, len(whats), figsize=(4.5 * len(whats), 4), squeeze=False)
    for ax, what in zip(axes[0], whats):
        mine = [r for r in rows if r["what"] == what]
        names = [r["side"] for r in mine]
        med = [r["median"] for r in mine]
        err = [[r["median"] - r["min"] for r in mine], [r["max"] - r["median"] for r in mine]]
        ax.bar(range(len(mine)), med, yerr=err, color=[f"C{sides.index(n)}" for n in names], capsize=4)
        ax.set_xticks(range(len(mine)), names, rotation=20, ha="right", fontsize=8)
        ax.set_title(what, fontsize=9)
        ax.set_ylabel(mine[0]["unit"])
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1:])
