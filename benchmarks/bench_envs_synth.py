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
import os
import sys
import time
from pathlib import Path

from zeroplay.envs.synth.env import SynthEnv
from zeroplay.envs.synth.pipeline import seed_sources
from zeroplay.envs.synth.runner import EnvRunner, RunnerConfig
from zeroplay.envs.synth.validate import ValidationConfig, validate_many

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # report.py sits beside this file, which runs by path (zeroplay bench)
from peers import PlainSubprocess  # noqa: E402
from report import machine_info, plot_rate_panels, print_rate_table, rate_row, write_results  # noqa: E402

CORPUS = HERE.parent / "tests" / "envs" / "synth" / "synth_corpus.py"


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
            env.step(info["task"].reference["answer"])
            _, info = env.reset()
        rates.append(episodes / (time.perf_counter() - start))
    return rates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench envs --only synth", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument("--episodes", type=int, default=50, help="episodes per timed run of the env (default 50)")
    parser.add_argument("--sides", default="auto,process,subprocess", help="comma-separated: auto, process, subprocess")
    args = parser.parse_args(argv)
    from rich.console import Console

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
                rows.append(rate_row(f"validate {len(sources)} {workload}", side, "envs/s", rates))
        first = next(iter(seed_sources().values()))
        for side, runner in sides.items():
            rates = time_episodes(runner, first, args.episodes, args.repeats)
            rows.append(rate_row("episodes (reset+step)", side, "episodes/s", rates))
    for runner in sides.values():
        runner.close()
    print_rate_table(rows, title="Synthesized environments (median of repeats; min..max)", ratio_key="ratio_vs_subprocess",
                     ratio_col="x subprocess", is_peer=lambda r: r["side"] == "plain subprocess")
    # other work on the machine skews absolute rates, not ratios
    meta = machine_info(repeats=args.repeats, episodes=args.episodes, instances_per_source=40, loadavg_at_end=os.getloadavg())
    write_results("envs_synth", {"meta": meta, "rows": rows}, lambda path: plot_rate_panels(rows, path))


if __name__ == "__main__":
    main(sys.argv[1:])
