"""``report.html``: one self-contained page per run, written at the end of ``zeroplay train`` and on
demand with ``zeroplay report RUN_DIR`` (also while a run is going: it shows what is logged so far).

It holds the config, the before/after evaluation table, the curves (``curve.png``, embedded as
base64; before the run has drawn it, curves drawn from ``metrics.jsonl`` when matplotlib is
installed), a few samples of each env and role (``samples.jsonl``: the best and the worst
rewarded, of the last step that sampled that env and role) and the timings (the ``time/*``
metrics summed over the steps). It reads only the run's files (no torch, no model) and refers to
nothing outside itself: no scripts, no fonts, no links, so it opens anywhere, offline, and can be
mailed as it is.

``zeroplay report OUT`` on a directory of runs (``OUT`` of ``zeroplay train``, a sweep's parent)
writes each run's page and ``OUT/report.html`` comparing them, per loop: the config fields that
differ between the runs, each evaluation metric after training with its change, and the runs'
curves overlaid. That page links to the runs' own pages (``NAME/report.html``) and is otherwise
self-contained too.
"""

from __future__ import annotations

import argparse
import base64
import json
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from zeroplay.core.errors import ConfigError
from zeroplay.training.runlog import (METRICS_NAME, RunFileError, config_changes_of, read_metrics, read_samples,
                                      write_atomically)
from zeroplay.training.trackers import table_rows

REPORT_NAME = "report.html"

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .25em .8em; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.better { color: #06702d; } td.worse { color: #a11; } .muted { color: #777; }
pre { background: #f7f7f7; padding: .7em; overflow-x: auto; font-size: 12px; white-space: pre-wrap; }
.sample { border: 1px solid #e3e3e3; border-radius: 4px; margin: .6em 0; padding: .4em .8em; }
img { max-width: 100%; } table.compare th { white-space: nowrap; }
"""


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of the run in ``run_dir`` (to ``run_dir/report.html`` unless ``out``); returns its path.
    A directory holding runs rather than being one (``OUT`` of ``zeroplay train``, a sweep's parent) gets
    the page comparing them (:func:`write_comparison`)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunFileError(f"{run_dir} is not a directory: give a run directory (OUT/NAME of `zeroplay train`)")
    if not is_run(run_dir):
        if find_runs(run_dir):
            return write_comparison(run_dir, out)
        raise RunFileError(f"{run_dir} holds no {METRICS_NAME} or summary.json, nor runs that do: give the directory "
                           "of a run (OUT/NAME of `zeroplay train`), started at least, or the OUT directory of runs")
    path = Path(out) if out else run_dir / REPORT_NAME
    write_atomically(path, render(run_dir))
    return path


def is_run(path: Path) -> bool:
    """Whether ``path`` is a run directory (it holds ``metrics.jsonl`` or ``summary.json``)."""
    return (path / METRICS_NAME).is_file() or (path / "summary.json").is_file()


def find_runs(parent: Path) -> list[Path]:
    """The run directories directly under ``parent``, by name."""
    try:
        return sorted(p for p in parent.iterdir() if p.is_dir() and is_run(p))
    except OSError:
        return []


def render(run_dir: Path) -> str:
    """The report of ``run_dir`` as one HTML page."""
    summary = _read_json(run_dir / "summary.json")
    config = summary.get("config") or _read_json(run_dir / "config.json")
    rows = read_metrics(run_dir)
    name = config.get("name", run_dir.name)
    done = bool(summary)
    steps = rows[-1]["step"] if rows else 0
    status = (f"finished: {summary.get('steps', steps)} steps" if done else
              f"in progress (or stopped): {steps} of {config.get('steps', '?')} steps logged")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>zeroplay run {escape(str(name))}</title><style>{_CSS}</style></head><body>",
        f"<h1>zeroplay run <code>{escape(str(name))}</code></h1>",
        f'<p class="muted">loop <b>{escape(str(config.get("loop", "?")))}</b> &middot; {escape(status)} '
        f"&middot; {escape(str(run_dir))}</p>",
        "<h2>Evaluation before and after training</h2>", _config_note(run_dir), _table(summary, rows),
        "<h2>Curves</h2>", _curves(run_dir, rows),
        "<h2>Samples</h2>", _samples(run_dir),
        "<h2>Timings</h2>", _timings(rows, summary),
        "<h2>Config</h2>", f'<pre id="config">{escape(json.dumps(config, indent=2))}</pre>',
        "</body></html>",
    ]
    return "\n".join(parts)


def _before_after(summary: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[dict, dict, int | None]:
    """The evaluations before and after training, and the step "after" was taken at when the run has
    not finished (its latest evaluation; 0 when there is none yet), else None."""
    before = summary.get("eval_before") or _eval_of(rows[0] if rows and rows[0]["step"] == 0 else {})
    after = summary.get("eval_after")
    if after:
        return before, after, None
    last = next((r for r in reversed(rows) if r["step"] > 0 and _eval_of(r)), None)  # a run in progress
    return before, (_eval_of(last) if last else {}), (last["step"] if last else 0)


def _table(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    before, after, at = _before_after(summary, rows)
    note = ""
    if at is not None:
        note = (f'<p class="muted">the run has not finished: "after" is its evaluation at step {at}</p>'
                if at else '<p class="muted">the run has not finished: no evaluation after step 0 yet</p>')
    table = table_rows(before, after)
    if not table:
        return note + '<p class="muted">no evaluation logged yet</p>'
    out = ['<table id="before-after"><thead><tr><th>metric</th><th>before</th><th>after</th></tr></thead><tbody>']
    for k, b, a in table:
        trend = _trend(k, b, a)
        out.append(f'<tr data-metric="{escape(k)}"><td class="metric">{escape(k)}</td>'
                   f'<td class="num before" data-value="{_raw(b)}">{_fmt(b)}</td>'
                   f'<td class="num after{trend}" data-value="{_raw(a)}">{_fmt(a)}</td></tr>')
    out.append(f"</tbody></table>{_LEGEND}")
    return note + "".join(out)


#: Metric names (their last part) where higher is better, and where lower is; any other metric (a
#: policy's probabilities, a confidence interval, a length) has no better side and is not coloured.
HIGHER_IS_BETTER = ("accuracy", "win_rate", "mean_return", "pass@*", "pass_rate", "gt_pass_rate", "valid_rate",
                    "hit_rate", "legal_mass", "*_accuracy", "*score", "accepted_rate", "admitted_rate", "parse_rate")
LOWER_IS_BETTER = ("exploitability", "invalid_rate", "truncated_rate", "error_rate", "malformed_rate",
                   "*_invalid_rate")


_LEGEND = ('<p class="muted">green: better after training, red: worse, for metrics with a better side '
           "(accuracy, win rate, return, exploitability, invalid rate...); others are not coloured</p>")


def direction(metric: str) -> int:
    """1 where a higher ``metric`` is better, -1 where lower is, 0 where neither (by its last ``/`` part)."""
    from fnmatch import fnmatchcase

    leaf = metric.rsplit("/", 1)[-1]
    if any(fnmatchcase(leaf, p) for p in LOWER_IS_BETTER):
        return -1
    return 1 if any(fnmatchcase(leaf, p) for p in HIGHER_IS_BETTER) else 0


def _trend(metric: str, before: float | None, after: float | None) -> str:
    """`` better`` or `` worse`` (a cell's class: green, red) for a change of ``metric`` that shows at 4
    decimals; "" for no change or a metric with no better side."""
    if before is None or after is None or abs(after - before) < 5e-5 or not direction(metric):
        return ""
    return " better" if (after - before) * direction(metric) > 0 else " worse"


def _config_note(run_dir: Path) -> str:
    """A warning above the table when a resume changed the config (``config_history.jsonl``, written by
    ``zeroplay train --allow-config-change``): "before" was evaluated under the first config."""
    changes = [f"from step {c['step']}: {', '.join(map(str, c['changes']))}" for c in config_changes_of(run_dir)]
    if not changes:
        return ""
    return (f'<p id="config-changed"><b>The config changed during this run</b> ({escape("; ".join(changes))}; '
            "see config_history.jsonl): &ldquo;before&rdquo; was evaluated under the first config, "
            "&ldquo;after&rdquo; under the last, so they may not measure the same thing.</p>")


#: Most metrics one panel of the curves drawn from ``metrics.jsonl`` shows (the first, in key order).
PANEL_KEYS = 8


def _curves(run_dir: Path, rows: list[dict[str, Any]]) -> str:
    png = run_dir / "curve.png"
    if png.is_file():
        data, note = png.read_bytes(), ""
    else:  # a run in progress: the curves of what is logged so far
        data = _draw_logged(rows)
        if data is None:
            return '<p class="muted">no curve.png yet (it is drawn at the end of the run)</p>'
        note = ('<p class="muted">the run has not drawn curve.png yet: these curves are drawn from metrics.jsonl '
                f"(rewards, then the first {PANEL_KEYS} train/ and eval/ metrics)</p>")
    data64 = base64.b64encode(data).decode("ascii")
    return f'{note}<img id="curves" alt="training curves" src="data:image/png;base64,{data64}">'


def _draw_logged(rows: list[dict[str, Any]]) -> bytes | None:
    """Curves of the logged rows (None without matplotlib or without a metric to draw)."""
    try:
        from zeroplay.training.runlog import draw_curves

        return draw_curves(rows, logged_panels(rows))
    except ImportError:  # matplotlib comes with the train extra; the report works without it
        return None


def logged_panels(rows: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Panels for curves of ``rows`` alone (no loop at hand): ``reward/*``, ``train/*`` and ``eval/*``,
    each the first :data:`PANEL_KEYS` numeric metrics in key order."""
    keys = sorted({k for r in rows for k, v in r.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)})
    return [(title, [k for k in keys if k.startswith(title + "/")][:PANEL_KEYS])
            for title in ("reward", "train", "eval")]


def _samples(run_dir: Path) -> str:
    rows = read_samples(run_dir)
    if not rows:
        return '<p class="muted">no samples.jsonl (it is written from the first RL step on)</p>'
    latest: dict[tuple[str, str], int] = {}  # each (env, role)'s last step with samples
    for r in rows:
        latest[str(r.get("env", "")), str(r.get("role", ""))] = r["step"]
    out = ['<p class="muted">the best and the worst rewarded sample of each env and role, '
           "from the last step that sampled it</p>"]
    for r in sorted((r for r in rows if r["step"] == latest[str(r.get("env", "")), str(r.get("role", ""))]),
                    key=lambda r: (str(r.get("env", "")), str(r.get("role", "")))):
        flags = "" if r.get("well_formed", True) else " &middot; not well formed"
        out.append(f'<div class="sample" data-role="{escape(str(r.get("role", "")))}" '
                   f'data-env="{escape(str(r.get("env", "")))}">'
                   f'<b>role {escape(str(r.get("role", "")))}</b> &middot; {escape(str(r.get("env", "")))} &middot; '
                   f'step {r["step"]} &middot; '
                   f'reward {_fmt(r.get("reward"))} &middot; {escape(str(r.get("finish_reason", "")))}{flags}'
                   f'<pre>{escape(str(r.get("prompt", "")))}</pre><pre><b>{escape(str(r.get("completion", "")))}</b></pre></div>')
    return "".join(out)


def _timings(rows: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    """Seconds per phase, summed over the RL steps (``time/*_s``), and the warm-up's."""
    totals: dict[str, float] = {}
    steps = [r for r in rows if r["step"] > 0]
    for r in steps:
        for k, v in r.items():
            if k.startswith("time/") and k.endswith("_s") and isinstance(v, (int, float)):
                totals[k[5:-2]] = totals.get(k[5:-2], 0.0) + v
    warm = (summary.get("warmup") or {}).get("seconds")
    if not totals and warm is None:
        return '<p class="muted">no timings logged yet</p>'
    out = ['<table id="timings"><thead><tr><th>phase</th><th>total s</th><th>per step s</th></tr></thead><tbody>']
    if isinstance(warm, (int, float)):
        out.append(f'<tr><td>warm-up</td><td class="num">{warm:.2f}</td><td class="num">-</td></tr>')
    for phase, total in sorted(totals.items()):
        out.append(f'<tr><td>{escape(phase)}</td><td class="num">{total:.2f}</td>'
                   f'<td class="num">{total / len(steps):.3f}</td></tr>')
    out.append(f"</tbody></table><p class=\"muted\">{len(steps)} RL steps logged; times of shards run "
               "elsewhere add up (they count work, not wall time)</p>")
    return "".join(out)


def _eval_of(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k.startswith("eval/")}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "-"


def _raw(v: Any) -> str:
    return repr(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else ""


# -- several runs: OUT/report.html ---------------------------------------------------------------------

def write_comparison(parent: str | Path, out: str | Path | None = None) -> Path:
    """Write each run's own report under ``parent`` and ``parent/report.html`` (or ``out``) comparing them:
    per loop, a table of the runs (status, the config fields that differ between them, each evaluation
    metric after training with its change from before) and their curves overlaid (``reward/mean`` and
    the evaluation metrics training moved most). Returns the comparison page's path."""
    parent = Path(parent)
    runs = find_runs(parent)
    if not runs:
        raise RunFileError(f"{parent} holds no run directories (each with {METRICS_NAME} or summary.json)")
    for run_dir in runs:
        write_report(run_dir)
    path = Path(out) if out else parent / REPORT_NAME
    write_atomically(path, render_comparison(parent, runs, links=path.parent.resolve() == parent.resolve()))
    return path


def render_comparison(parent: Path, runs: list[Path], links: bool = True) -> str:
    """The page comparing ``runs`` (``links``: each run's name links to its own report, ``NAME/report.html``)."""
    facts = [_run_facts(r) for r in runs]
    loops: dict[str, list[dict[str, Any]]] = {}
    for f in facts:
        loops.setdefault(f["loop"], []).append(f)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>zeroplay runs in {escape(parent.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>zeroplay runs in <code>{escape(str(parent))}</code></h1>",
        f'<p class="muted">{len(runs)} runs, grouped by loop; "after" is the evaluation at the end of training '
        "(the latest one for a run not finished), with its change from before training; each run's own report "
        "is report.html in its directory</p>",
    ]
    for loop, group in sorted(loops.items()):
        group = _ordered(group)
        parts += [f"<h2>loop {escape(loop)}</h2>", _compare_table(group, links), _compare_curves(group)]
    parts.append("</body></html>")
    return "\n".join(parts)


def _run_facts(run_dir: Path) -> dict[str, Any]:
    summary = _read_json(run_dir / "summary.json")
    config = summary.get("config") or _read_json(run_dir / "config.json")
    rows = read_metrics(run_dir)
    before, after, _ = _before_after(summary, rows)
    steps = rows[-1]["step"] if rows else 0
    status = "finished" if summary else f"{steps} of {config.get('steps', '?')} steps"
    changed = config_changes_of(run_dir)
    if changed:  # "before" was evaluated under the first config: the change may not measure training alone
        status += f"; config changed from step {changed[0]['step']} (see its report)"
    return {"dir": run_dir, "name": run_dir.name, "loop": str(config.get("loop", "?")), "config": _flat(config),
            "status": status, "rows": rows, "table": {k: (b, a) for k, b, a in table_rows(before, after)}}


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in config.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _differing(group: list[dict[str, Any]]) -> list[str]:
    """The config fields whose values are not the same in every run of ``group`` (name and out_dir aside)."""
    keys = dict.fromkeys(k for f in group for k in f["config"])
    return [k for k in keys if k not in ("name", "out_dir")
            and len({json.dumps(f["config"].get(k), sort_keys=True, default=str) for f in group}) > 1]


def _ordered(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs by the value of the one config field that differs between them, when it is a number in
    every run (a sweep of one setting), else by name."""
    fields = _differing(group)
    if len(fields) == 1 and all(isinstance(f["config"].get(fields[0]), (int, float))
                                and not isinstance(f["config"].get(fields[0]), bool) for f in group):
        return sorted(group, key=lambda f: (f["config"][fields[0]], f["name"]))
    return group


def _compare_table(group: list[dict[str, Any]], links: bool) -> str:
    """Runs as columns; rows: the status, each config field that differs between the runs, then each
    evaluation metric after training with its change from before (``data-value``, ``data-before``)."""
    fields = _differing(group)
    metrics = sorted(dict.fromkeys(k for f in group for k in f["table"]))
    head = "".join(f'<th data-run="{escape(f["name"])}">' + (
        f'<a href="{escape(quote(f["name"]))}/{REPORT_NAME}">{escape(f["name"])}</a>' if links else escape(f["name"]))
        + "</th>" for f in group)
    status = "".join(f"<td>{escape(f['status'])}</td>" for f in group)
    out = [f'<table class="compare"><thead><tr><th></th>{head}</tr></thead><tbody>',
           f'<tr data-row="status"><td>status</td>{status}</tr>']
    for k in fields:
        out.append(f'<tr data-field="{escape(k)}"><td>{escape(k)}</td>'
                   + "".join(f"<td>{escape(_short(f['config'].get(k)))}</td>" for f in group) + "</tr>")
    for k in metrics:
        cells = []
        for f in group:
            b, a = f["table"].get(k, (None, None))
            trend = _trend(k, b, a)
            change = f" ({a - b:+.4f})" if a is not None and b is not None else ""
            cells.append(f'<td class="num{trend}" data-value="{_raw(a)}" data-before="{_raw(b)}">'
                         f"{_fmt(a)}{change}</td>")
        out.append(f'<tr data-metric="{escape(k)}"><td class="metric">{escape(k)}</td>{"".join(cells)}</tr>')
    out.append(f"</tbody></table>{_LEGEND}")
    if len(group) > 1 and not fields:
        out.append('<p class="muted">these runs have the same config (name and out_dir aside)</p>')
    return "".join(out)


def _short(v: Any) -> str:
    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _compare_curves(group: list[dict[str, Any]]) -> str:
    """``reward/mean`` and three evaluation metrics of every run of ``group``, one line per run: those
    training moved most (the largest change from before, over the runs), metrics with a better side
    (:func:`direction`) first."""
    moved: dict[str, float] = {}
    for f in group:
        for k, (b, a) in f["table"].items():
            if a is not None and b is not None:
                moved[k] = max(moved.get(k, 0.0), abs(a - b))
    metrics = ["reward/mean"] + sorted(moved, key=lambda k: (not direction(k), -moved[k], k))[:3]
    rows: dict[int, dict[str, Any]] = {}
    labels: dict[str, str] = {}
    for i, f in enumerate(group):
        for r in f["rows"]:
            for m in metrics:
                if isinstance(r.get(m), (int, float)) and not isinstance(r[m], bool):
                    key = f"{m}#{i}"
                    rows.setdefault(r["step"], {"step": r["step"]})[key] = r[m]
                    labels[key] = f["name"]
    try:
        from zeroplay.training.runlog import draw_curves

        png = draw_curves([rows[s] for s in sorted(rows)],
                          [(m, [f"{m}#{i}" for i in range(len(group))]) for m in metrics], labels=labels)
    except ImportError:  # matplotlib comes with the train extra; the page works without it
        png = None
    if png is None:
        return '<p class="muted">no curves (nothing logged over steps yet, or no matplotlib)</p>'
    data64 = base64.b64encode(png).decode("ascii")
    return f'<img class="curves" alt="curves of the runs" src="data:image/png;base64,{data64}">'


# -- `zeroplay report RUN_DIR` -----------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Write a run's report: one self-contained HTML page (config, before/after table, curves, "
                          "samples, timings), RUN_DIR/report.html unless --out. Given a directory of runs (OUT, "
                          "a sweep's parent), write each run's report and OUT/report.html comparing them.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (OUT/NAME of `zeroplay train`), or a "
                        "directory of runs")
    parser.add_argument("--out", help="where to write the page (default RUN_DIR/report.html)")


def run(args: argparse.Namespace) -> int:
    if args.out and not Path(args.out).expanduser().parent.is_dir():
        raise ConfigError(f"--out {args.out}: its directory {Path(args.out).parent} does not exist; create it or "
                          "give a path in an existing directory")
    print(write_report(args.run_dir, args.out))
    return 0
