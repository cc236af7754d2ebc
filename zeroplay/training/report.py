"""``report.html``: one self-contained page per run, written at the end of ``zeroplay train`` and on
demand with ``zeroplay report RUN_DIR`` (also while a run is going: it shows what is logged so far).

It holds the config, the before/after evaluation table, the curves (``curve.png``, embedded as
base64; before the run has drawn it, curves drawn from ``metrics.jsonl`` when matplotlib is
installed), a few samples of each env and role (``samples.jsonl``: the best and the worst
rewarded, of the last step that sampled that env and role) and the timings (the ``time/*``
metrics summed over the steps). It reads only the run's files (no torch, no model) and refers to
nothing outside itself: no scripts, no fonts, no links, so it opens anywhere, offline, and can be
mailed as it is.
"""

from __future__ import annotations

import argparse
import base64
import json
from html import escape
from pathlib import Path
from typing import Any

from zeroplay.training.runlog import (METRICS_NAME, RunFileError, config_changes_of, read_metrics, read_samples,
                                      write_atomically)
from zeroplay.training.trackers import table_rows

REPORT_NAME = "report.html"

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .25em .8em; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.up { color: #06702d; } td.down { color: #a11; } .muted { color: #777; }
pre { background: #f7f7f7; padding: .7em; overflow-x: auto; font-size: 12px; white-space: pre-wrap; }
.sample { border: 1px solid #e3e3e3; border-radius: 4px; margin: .6em 0; padding: .4em .8em; }
img { max-width: 100%; }
"""


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of the run in ``run_dir`` (to ``run_dir/report.html`` unless ``out``); returns its path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunFileError(f"{run_dir} is not a directory: give a run directory (OUT/NAME of `zeroplay train`)")
    if not (run_dir / METRICS_NAME).is_file() and not (run_dir / "summary.json").is_file():
        raise RunFileError(f"{run_dir} holds no {METRICS_NAME} or summary.json: give the directory of a run "
                           "(OUT/NAME of `zeroplay train`), started at least")
    path = Path(out) if out else run_dir / REPORT_NAME
    write_atomically(path, render(run_dir))
    return path


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


def _table(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    before = summary.get("eval_before") or _eval_of(rows[0] if rows and rows[0]["step"] == 0 else {})
    after = summary.get("eval_after")
    note = ""
    if not after:  # a run in progress: its latest evaluation, if any
        last = next((r for r in reversed(rows) if r["step"] > 0 and _eval_of(r)), None)
        after = _eval_of(last) if last else {}
        note = (f'<p class="muted">the run has not finished: "after" is its evaluation at step {last["step"]}</p>'
                if last else '<p class="muted">the run has not finished: no evaluation after step 0 yet</p>')
    table = table_rows(before, after)
    if not table:
        return note + '<p class="muted">no evaluation logged yet</p>'
    out = ['<table id="before-after"><thead><tr><th>metric</th><th>before</th><th>after</th></tr></thead><tbody>']
    for k, b, a in table:
        trend = "" if b is None or a is None or a == b else (" up" if a > b else " down")
        out.append(f'<tr data-metric="{escape(k)}"><td class="metric">{escape(k)}</td>'
                   f'<td class="num before" data-value="{_raw(b)}">{_fmt(b)}</td>'
                   f'<td class="num after{trend}" data-value="{_raw(a)}">{_fmt(a)}</td></tr>')
    out.append("</tbody></table>")
    return note + "".join(out)


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


# -- `zeroplay report RUN_DIR` -----------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Write a run's report: one self-contained HTML page (config, before/after table, curves, "
                          "samples, timings), RUN_DIR/report.html unless --out.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (OUT/NAME of `zeroplay train`)")
    parser.add_argument("--out", help="where to write the page (default RUN_DIR/report.html)")


def run(args: argparse.Namespace) -> int:
    print(write_report(args.run_dir, args.out))
    return 0
