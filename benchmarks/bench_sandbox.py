"""`zeroplay bench sandbox`: executions/s and latency of each sandbox backend against plain subprocess.

Workloads, the same programs for every contender:
  trivial   print one number
  asserts   a function checked by 10 assert tests (what a code verifier runs)
  cpu50     a CPU-bound loop calibrated to take ~50 ms in this interpreter
Contenders: the baseline `subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=...)`
with no isolation (sys.executable is the venv's interpreter, no shim, no -S/-I), and each available
backend (pool, namespace, process, docker). Every contender runs with one worker per core; each
figure is the median of --repeats runs after one warm-up, with the spread (min..max) beside it.
Contenders take turns within each repeat, so a shared machine's changing load hits all alike.
Writes benchmarks/results/sandbox.json and sandbox.png.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # report.py sits beside this file, which runs by path
from report import figure, machine_info, write_results  # noqa: E402

TRIVIAL = "print(42)"
ASSERTS = """
def solve(xs):
    best = cur = xs[0]
    for x in xs[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best

assert solve([1]) == 1
assert solve([-1]) == -1
assert solve([1, 2, 3]) == 6
assert solve([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6
assert solve([5, -9, 6]) == 6
assert solve([-3, -1, -2]) == -1
assert solve([0, 0, 0]) == 0
assert solve([2, -1, 2]) == 3
assert solve(list(range(100))) == 4950
assert solve([3, -4, 5, -1, 2]) == 6
print("10 passed")
"""


def cpu_program(target_s: float = 0.05) -> str:
    """A loop that takes about ``target_s`` in this interpreter (calibrated here, run the same everywhere)."""
    def loop(n: int) -> float:
        t = time.perf_counter()
        total = 0
        for i in range(n):
            total += i * i % 7
        return time.perf_counter() - t

    n = 100_000
    elapsed = min(loop(n) for _ in range(3))
    n = max(1, int(n * target_s / elapsed))
    return f"total = 0\nfor i in range({n}):\n    total += i * i % 7\nprint(total)"


def baseline_runner(timeout_s: float):
    def run(code: str) -> bool:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=timeout_s, check=False)
        return proc.returncode == 0
    return run, lambda: None


def sandbox_runner(backend: str, timeout_s: float, workers: int):
    from zeroplay import sandbox

    box = sandbox.Sandbox(backend=backend, timeout_s=timeout_s, memory_mb=512, workers=workers)
    if backend == "pool":
        box._backend.warm(workers)

    def run(code: str) -> bool:
        return box.run(code).status == "ok"
    return run, box.close


def measure(run, code: str, n: int, workers: int) -> dict:
    """Run ``code`` n times on ``workers`` threads; execs/s over the batch and per-call latencies."""
    latencies: list[float] = []

    def one(_: int) -> bool:
        t = time.perf_counter()
        ok = run(code)
        latencies.append(time.perf_counter() - t)
        return ok

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        oks = list(ex.map(one, range(n)))
    total = time.perf_counter() - start
    if not all(oks):
        raise RuntimeError(f"{n - sum(oks)} of {n} runs failed: the benchmark would measure errors")
    latencies.sort()
    return {
        "execs_per_s": n / total,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def summarize(runs: list[dict]) -> dict:
    out = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = statistics.median(values)
        out[f"{key}_min"], out[f"{key}_max"] = min(values), max(values)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer programs and repeats (about a minute)")
    parser.add_argument("--backends", default=None, help="comma-separated subset (default: all available)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="one per core by default")
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from zeroplay import sandbox

    console = Console()
    repeats = args.repeats or (2 if args.quick else 3)
    sizes = {"trivial": 60, "asserts": 60, "cpu50": 24} if args.quick else {"trivial": 300, "asserts": 300, "cpu50": 60}
    workloads = {"trivial": TRIVIAL, "asserts": ASSERTS, "cpu50": cpu_program()}
    available = sandbox.available_backends()
    chosen = args.backends.split(",") if args.backends else available
    contenders = ["baseline", *[b for b in chosen if b in available]]
    timeout_s = 10.0

    # Contenders take turns within each repeat (not one after the other), so that load from other
    # users of a shared machine falls on all of them alike.
    runners = {}
    try:
        for name in contenders:
            runners[name] = baseline_runner(timeout_s) if name == "baseline" else sandbox_runner(name, timeout_s, args.workers)
        raw: dict[str, dict[str, list]] = {n: {w: [] for w in workloads} for n in contenders}
        with Progress(console=console) as progress:
            task = progress.add_task("sandbox bench", total=len(contenders) * len(workloads) * (repeats + 1))
            for rep in range(repeats + 1):
                for wname, code in workloads.items():
                    for name in contenders:
                        progress.update(task, description=f"round {rep}: {name} {wname}")
                        run = runners[name][0]
                        if rep == 0:
                            measure(run, code, max(args.workers * 2, 4), args.workers)  # warm-up
                        else:
                            raw[name][wname].append(measure(run, code, sizes[wname], args.workers))
                        progress.advance(task)
    finally:
        for _run, close in runners.values():
            close()
    results = {n: {w: summarize(raw[n][w]) for w in workloads} for n in contenders}

    table = Table(title=f"sandbox: {args.workers} workers, median of {repeats} (spread), ratio to baseline")
    for col in ("backend", "workload", "exec/s", "spread", "x baseline", "p50 ms", "p99 ms"):
        table.add_column(col, justify="left" if col in ("backend", "workload") else "right")
    for name in contenders:
        for w in workloads:
            r, b = results[name][w], results["baseline"][w]
            table.add_row(
                name, w, f"{r['execs_per_s']:.0f}", f"{r['execs_per_s_min']:.0f}-{r['execs_per_s_max']:.0f}",
                f"{r['execs_per_s'] / b['execs_per_s']:.2f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
            )
    console.print(table)

    meta = machine_info(
        workers=args.workers, repeats=repeats, sizes=sizes,
        baseline=f"subprocess.run([{sys.executable!r}, '-c', code], capture_output=True)",
        machine=platform.platform(), quick=args.quick, load_avg_at_end=os.getloadavg(),
    )
    write_results("sandbox", {"meta": meta, "results": results}, lambda path: _plot(results, contenders, list(workloads), path))


def _plot(results: dict, contenders: list[str], workloads: list[str], path: Path) -> None:
    with figure(path, panel=(8, 4.5)) as (_, axes):
        ax = axes[0][0]
        width = 0.8 / len(contenders)
        for i, name in enumerate(contenders):
            xs = [j + i * width for j in range(len(workloads))]
            med = [results[name][w]["execs_per_s"] for w in workloads]
            lo = [m - results[name][w]["execs_per_s_min"] for m, w in zip(med, workloads)]
            hi = [results[name][w]["execs_per_s_max"] - m for m, w in zip(med, workloads)]
            ax.bar(xs, med, width, yerr=[lo, hi], label=name, capsize=3)
        ax.set_xticks([j + width * (len(contenders) - 1) / 2 for j in range(len(workloads))], workloads)
        ax.set_ylabel("executions / s (all workers)")
        ax.set_yscale("log")
        ax.set_title("zeroplay sandbox backends vs plain subprocess")
        ax.legend()


if __name__ == "__main__":
    main(sys.argv[1:])
