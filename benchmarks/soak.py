"""Soak test: run one training config for N steps and watch what grows with the steps.

    python benchmarks/soak.py configs/demo.yaml --steps 300 --name demo --out /tmp/soak
    python benchmarks/soak.py recipes/absolute_zero.yaml --steps 200 --name az --set warmup.steps=100

Starts ``zeroplay train CONFIG --steps N --out OUT --name NAME --quiet`` (under ``nice``) and, every
``--interval`` seconds until it exits, samples from ``/proc`` (Linux only; no psutil):

    trainer       the ``zeroplay train`` process: RSS, open fds, threads, fds on deleted files
                  (an unlinked temp file that keeps growing is invisible to ``du``) and their bytes
    descendants   every process below it: count, zombies, total RSS; sandbox warm-pool workers
                  (processes whose argv ends ``zygote FD``) with their RSS, every worker and
                  descendant host PID ever seen (a worker whose PID changes was replaced), the
                  highest PID a job had inside its worker's PID namespace, and the sandbox's
                  memory cgroups of the trainer (``zeroplay-PID-N``; any left after it exits leaked)
    disk          bytes under the run directory, and top-level entries of the temp dir that were
                  not there at the start (the temp dir is shared with other processes: their names
                  are listed, so a stranger's files can be told apart)
    steps         the time each new row of ``metrics.jsonl`` appeared (its step's wall time,
                  evaluation steps included, at the sampling resolution of ``--tail`` seconds)

Writes ``soak_NAME.json`` (every sample, every step's time, a summary: start/end/peak of each
series, step time of the first and last 10 steps, run dir size, PIDs seen) and ``soak_NAME.png``
into the results directory (``$ZEROPLAY_BENCH_OUT`` or benchmarks/results/).

What it does not do: judge. The summary gives each series' growth over the second half of the
run per 100 steps, so a reader can tell a plateau (warm-up allocation) from a line; whether a
line is a leak is for the reader (and a regression test) to decide. RSS includes shared pages
(torch's libraries), so summing it over processes overcounts; it is a trend, not a budget.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # report.py sits beside this file
from report import RESULTS, figure, machine_info, write_results  # noqa: E402

# -- /proc readers --------------------------------------------------------------------------------

def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return None


def stat_of(pid: int) -> tuple[str, int] | None:
    """``(state, ppid)`` of ``pid``, None when it is gone."""
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    rest = text[text.rfind(")") + 2:].split()  # the command name may hold spaces and parens
    return rest[0], int(rest[1])


def status_fields(pid: int) -> dict[str, int]:
    """``rss_kb`` and ``threads`` from ``/proc/PID/status`` (empty when the process is gone)."""
    text = _read(f"/proc/{pid}/status") or ""
    out = {}
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            out["rss_kb"] = int(line.split()[1])
        elif line.startswith("Threads:"):
            out["threads"] = int(line.split()[1])
        elif line.startswith("NSpid:") and len(line.split()) > 2:
            out["ns_pid"] = int(line.split()[-1])  # in a PID namespace of its own: the PID there
    return out


def argv_of(pid: int) -> list[str]:
    return (_read(f"/proc/{pid}/cmdline") or "").rstrip("\0").split("\0")


def is_worker(pid: int) -> bool:
    """A warm-pool worker: its argv ends ``... zygote FD`` (the zygote, its launcher chain, and the
    jobs it forks, which keep its argv)."""
    return "zygote" in argv_of(pid)[-2:]


def fds_of(pid: int) -> dict[str, int]:
    """Open fds, those on deleted files, and the bytes those deleted files hold."""
    out = {"fds": 0, "deleted_fds": 0, "deleted_bytes": 0}
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    out["fds"] = len(names)
    for n in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{n}")
            if target.endswith(" (deleted)") and target.startswith("/"):
                out["deleted_fds"] += 1
                out["deleted_bytes"] += os.stat(f"/proc/{pid}/fd/{n}").st_size
        except OSError:
            continue
    return out


def descendants(root: int) -> dict[int, tuple[str, int]]:
    """Every live process below ``root``: ``{pid: (state, ppid)}``."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = stat_of(int(name))
            if st is not None:
                table[int(name)] = st
    below: dict[int, tuple[str, int]] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (state, ppid) in table.items():
            if ppid == parent and pid not in below:
                below[pid] = (state, ppid)
                frontier.append(pid)
    return below


def memory_cgroup_dir(pid: int) -> Path | None:
    """The directory of ``pid``'s memory cgroup (v1 ``memory`` line, else the v2 one), as the sandbox finds it."""
    lines = (_read(f"/proc/{pid}/cgroup") or "").splitlines()
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/")
    for line in lines:
        if line.startswith("0::"):
            return Path("/sys/fs/cgroup") / line[3:].lstrip("/")
    return None


def sandbox_cgroups(parent: Path | None, pid: int) -> list[str]:
    """The sandbox's memory cgroups of process ``pid`` (``zeroplay-PID-N``, one per live worker or run)."""
    try:
        return sorted(n for n in os.listdir(parent) if n.startswith(f"zeroplay-{pid}-")) if parent else []
    except OSError:
        return []


def tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path, onerror=lambda e: None):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def entry_bytes(path: Path) -> int:
    try:
        return tree_bytes(path) if path.is_dir() and not path.is_symlink() else path.lstat().st_size
    except OSError:
        return 0


# -- the sampler ------------------------------------------------------------------------------------

class Soak:
    """Samples a running ``zeroplay train`` process tree; see the module docstring for what."""

    def __init__(self, proc: subprocess.Popen, run_dir: Path, tmp: Path, skip: set[Path]):
        self.proc, self.run_dir, self.tmp = proc, run_dir, tmp
        self.tmp_before = set(os.listdir(tmp)) if tmp.is_dir() else set()
        self.skip = {p.resolve() for p in skip}
        self.t0 = time.monotonic()
        self.samples: list[dict[str, Any]] = []
        self.step_times: list[dict[str, Any]] = []  # {"step", "t", "phases"}
        self.worker_pids: set[int] = set()
        self.seen_pids: set[int] = set()
        self.new_tmp: dict[str, int] = {}
        self.leftover: list[int] = []  # worker PIDs still alive after the trainer exited
        self.max_ns_pid = 0  # the highest PID a process in a sandbox worker had inside its namespace
        self.cgroup_dir = memory_cgroup_dir(proc.pid)
        self.cgroups_left: list[str] = []  # the trainer's sandbox cgroups still there after it exited

    def sample(self) -> dict[str, Any]:
        pid = self.proc.pid
        below = descendants(pid)
        self.seen_pids.update(below)
        marked = {p for p in below if is_worker(p)}
        workers = [p for p in marked if below[p][1] not in marked]  # the top of each worker's chain
        self.worker_pids.update(workers)
        in_workers, grew = set(workers), True
        while grew:  # a worker's sandbox: its launcher chain and every job under it
            grew = False
            for p, (_state, ppid) in below.items():
                if ppid in in_workers and p not in in_workers:
                    in_workers.add(p)
                    grew = True
        trainer = {**status_fields(pid), **fds_of(pid)}
        fields = {p: status_fields(p) for p in below}
        rss = {p: f.get("rss_kb", 0) for p, f in fields.items()}
        self.max_ns_pid = max([self.max_ns_pid, *(f.get("ns_pid", 0) for p, f in fields.items() if p in in_workers)])
        self.new_tmp = {n: entry_bytes(self.tmp / n) for n in os.listdir(self.tmp)
                        if n not in self.tmp_before and (self.tmp / n).resolve() not in self.skip} \
            if self.tmp.is_dir() else {}
        row = {
            "t": round(time.monotonic() - self.t0, 2),
            "step": self.step_times[-1]["step"] if self.step_times else 0,
            "trainer_rss_mb": trainer.get("rss_kb", 0) / 1024, "trainer_threads": trainer.get("threads", 0),
            "trainer_fds": trainer["fds"], "trainer_deleted_fds": trainer["deleted_fds"],
            "trainer_deleted_mb": trainer["deleted_bytes"] / 2**20,
            "children": len(below), "zombies": sum(1 for s, _ in below.values() if s == "Z"),
            "children_rss_mb": sum(rss.values()) / 1024,
            "workers": len(workers), "workers_rss_mb": sum(rss[p] for p in in_workers) / 1024,
            "workers_ever": len(self.worker_pids), "pids_ever": len(self.seen_pids),
            "max_child_pid": max(below, default=0), "max_ns_pid": self.max_ns_pid,
            "cgroups": len(sandbox_cgroups(self.cgroup_dir, pid)),
            "run_dir_mb": tree_bytes(self.run_dir) / 2**20 if self.run_dir.exists() else 0.0,
            "tmp_new_mb": sum(self.new_tmp.values()) / 2**20, "tmp_new_entries": len(self.new_tmp),
        }
        self.samples.append(row)
        return row

    def tail_metrics(self, stop: threading.Event, every: float) -> None:
        """Note when each new step row lands in metrics.jsonl (the step's end, seen from outside)."""
        path, offset, partial = self.run_dir / "metrics.jsonl", 0, b""
        while not stop.is_set():
            try:
                with open(path, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                    offset += len(chunk)
            except OSError:
                chunk = b""
            now = round(time.monotonic() - self.t0, 3)
            *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row.get("step"), int):
                    phases = {k: v for k, v in row.items() if k.startswith("time/") and isinstance(v, (int, float))}
                    evals = any(k.startswith("eval") for k in row)
                    self.step_times.append({"step": row["step"], "t": now, "eval": evals, "phases": phases})
            stop.wait(every)


# -- summary -----------------------------------------------------------------------------------------

SERIES = ("trainer_rss_mb", "trainer_fds", "trainer_threads", "trainer_deleted_mb", "children", "zombies",
          "workers", "workers_rss_mb", "workers_ever", "pids_ever", "cgroups", "run_dir_mb", "tmp_new_mb")


def step_seconds(step_times: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """``(step, seconds since the previous row)`` for every row after the first (which holds set-up)."""
    return [(b["step"], round(b["t"] - a["t"], 3)) for a, b in zip(step_times, step_times[1:], strict=False)]


def inner_seconds(step_times: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """``(step, rollout + learn seconds)`` as the trainer timed them (no logging, checkpoint or eval)."""
    return [(r["step"], r["phases"]["time/rollout_wall_s"] + r["phases"].get("time/learn_s", 0.0))
            for r in step_times if "time/rollout_wall_s" in r["phases"]]


def first_last(values: list[float]) -> tuple[float, float] | None:
    """Medians of the first and last 10 values (fewer on a short run)."""
    if len(values) < 4:
        return None
    k = min(10, len(values) // 2)
    return round(statistics.median(values[:k]), 3), round(statistics.median(values[-k:]), 3)


def growth_per_100_steps(samples: list[dict[str, Any]], key: str) -> float | None:
    """Least-squares slope of ``key`` against the step over the run's second half, per 100 steps."""
    last = samples[-1]["step"] if samples else 0
    pts = [(s["step"], s[key]) for s in samples if s["step"] > last / 2]
    if len({x for x, _ in pts}) < 3:
        return None
    mx, my = statistics.fmean(x for x, _ in pts), statistics.fmean(y for _, y in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return round(100 * sum((x - mx) * (y - my) for x, y in pts) / den, 3)


def summarize(soak: Soak) -> dict[str, Any]:
    samples = [s for s in soak.samples if s["step"] > 0]  # RL steps only: set-up and warm-up left out
    secs = [s for _, s in step_seconds(soak.step_times)]
    out: dict[str, Any] = {"steps_done": soak.step_times[-1]["step"] if soak.step_times else 0,
                           "wall_s": soak.samples[-1]["t"] if soak.samples else 0.0}
    for key in SERIES:
        vals = [s[key] for s in samples]
        if vals:
            out[key] = {"first_step": round(vals[0], 2), "end": round(vals[-1], 2), "peak": round(max(vals), 2),
                        "growth_per_100_steps_2nd_half": growth_per_100_steps(samples, key)}
    out["step_s_first10_last10"] = first_last(secs)  # wall time between rows, eval steps included
    out["inner_step_s_first10_last10"] = first_last([x for _, x in inner_seconds(soak.step_times)])
    out["max_child_pid"] = max((s["max_child_pid"] for s in soak.samples), default=0)
    out["max_ns_pid"] = soak.max_ns_pid
    out["workers_left_after_exit"] = soak.leftover
    out["cgroups_left_after_exit"] = soak.cgroups_left
    out["pid_max"] = int((_read("/proc/sys/kernel/pid_max") or "0").strip() or 0)
    out["tmp_new_entries_at_end"] = dict(sorted(soak.new_tmp.items(), key=lambda kv: -kv[1])[:20])
    out["run_dir_files"] = sorted(((str(p.relative_to(soak.run_dir)), p.stat().st_size)
                                   for p in soak.run_dir.rglob("*") if p.is_file()), key=lambda x: -x[1])[:15] \
        if soak.run_dir.exists() else []
    return out


def plot(soak: Soak, title: str, path: Path) -> None:
    s = soak.samples
    t = [r["t"] for r in s]
    panels = [
        ("RSS (MB)", ["trainer_rss_mb", "workers_rss_mb", "children_rss_mb"]),
        ("fds / threads", ["trainer_fds", "trainer_threads", "trainer_deleted_fds"]),
        ("processes", ["children", "zombies", "workers", "workers_ever", "cgroups"]),
        ("disk (MB)", ["run_dir_mb", "tmp_new_mb", "trainer_deleted_mb"]),
    ]
    with figure(path, ncols=5, panel=(4.2, 3.4)) as (fig, axes):
        for ax, (name, keys) in zip(axes[0], panels, strict=False):
            for k in keys:
                ax.plot(t, [r[k] for r in s], label=k)
            ax.set_title(name)
            ax.set_xlabel("seconds")
            ax.legend(fontsize=7)
        ax = axes[0][4]
        pts = step_seconds(soak.step_times)
        ax.plot([p for p, _ in pts], [x for _, x in pts], ".", ms=3, label="between rows")
        pts = inner_seconds(soak.step_times)
        ax.plot([p for p, _ in pts], [x for _, x in pts], ".", ms=3, label="rollout + learn")
        ax.legend(fontsize=7)
        ax.set_title("step wall time (s)")
        ax.set_xlabel("step")
        fig.suptitle(title)


# -- main ----------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config", help="YAML config or recipe")
    ap.add_argument("--steps", type=int, required=True, help="RL steps to run")
    ap.add_argument("--name", required=True, help="run name (the run dir is OUT/NAME; results soak_NAME.*)")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "zeroplay-soak"), help="runs' parent dir")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to zeroplay train")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between process samples")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="stop the run (SIGINT, as Ctrl-C) after this long; the samples so far are kept")
    ap.add_argument("--tail", type=float, default=0.05, help="seconds between reads of metrics.jsonl")
    ap.add_argument("--nice", type=int, default=10, help="niceness of the training process")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where soak_NAME.json/png go")
    args = ap.parse_args(argv)

    run_dir = Path(args.out) / args.name
    if (run_dir / "metrics.jsonl").exists():
        sys.exit(f"{run_dir} already holds a run (it would resume): pick another --name or remove it")
    exe = Path(sys.executable).with_name("zeroplay")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "zeroplay.cli"]
    cmd += ["train", args.config, "--steps", str(args.steps), "--out", args.out, "--name", args.name, "--quiet"]
    for kv in args.set:
        cmd += ["--set", kv]
    # nice execs zeroplay (same pid); SIGINT back to its default: a shell's background job inherits
    # it ignored, and Python then installs no Ctrl-C handler, so --max-seconds could not stop the run
    proc = subprocess.Popen(["nice", "-n", str(args.nice), *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    log: list[bytes] = []
    reader = threading.Thread(target=lambda: log.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    soak = Soak(proc, run_dir, Path(tempfile.gettempdir()), skip={Path(args.out)})
    stop = threading.Event()
    tail = threading.Thread(target=soak.tail_metrics, args=(stop, args.tail), daemon=True)
    tail.start()
    deadline = time.monotonic() + args.max_seconds if args.max_seconds else None
    try:
        while proc.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                print(f"--max-seconds {args.max_seconds} reached: stopping the run", flush=True)
                proc.send_signal(signal.SIGINT)
                deadline = None
            row = soak.sample()
            if len(soak.samples) % 15 == 1:
                print(f"[{row['t']:7.1f}s] step {row['step']:4d} rss {row['trainer_rss_mb']:.0f} MB "
                      f"fds {row['trainer_fds']} thr {row['trainer_threads']} kids {row['children']} "
                      f"workers {row['workers']} (ever {row['workers_ever']}) run_dir {row['run_dir_mb']:.1f} MB",
                      flush=True)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        proc.wait()
    stop.set()
    tail.join()
    time.sleep(1.0)  # workers die with their parent: give them a moment, then see whether any stayed
    soak.leftover = [p for p in sorted(soak.worker_pids) if stat_of(p) is not None and is_worker(p)]
    soak.cgroups_left = sandbox_cgroups(soak.cgroup_dir, proc.pid)
    reader.join(timeout=5)
    output = b"".join(log).decode(errors="replace")
    if proc.returncode != 0:
        print(output[-3000:], file=sys.stderr)
    doc = {"machine": machine_info(config=args.config, steps=args.steps, sets=args.set, nice=args.nice,
                                   interval_s=args.interval),
           "command": cmd, "returncode": proc.returncode, "run_dir": str(run_dir),
           "summary": summarize(soak), "samples": soak.samples,
           "step_times": [{"step": r["step"], "t": r["t"], "eval": r["eval"]} for r in soak.step_times],
           "step_phases": {r["step"]: r["phases"] for r in soak.step_times}, "output_tail": output[-2000:]}
    write_results(f"soak_{args.name}", doc, lambda p: plot(soak, f"soak: {args.name} ({args.config})", p),
                  out_dir=args.results)
    print(json.dumps(doc["summary"], indent=1))
    return proc.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
