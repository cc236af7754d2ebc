"""How the benchmark scripts report: machine info, results as JSON with a PNG beside them, and
the table of rates with each rate's ratio to a peer's.

Not a benchmark itself. The scripts run as files (``zeroplay bench NAME`` runs
``benchmarks/bench_NAME.py`` by path, ``bench_envs.py`` loads its sections by path, and
``python benchmarks/bench_NAME.py`` works too), so each puts this folder on ``sys.path`` and
imports ``report``. rich and matplotlib load only inside the functions that draw.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: the results directory: $ZEROPLAY_BENCH_OUT when set (`zeroplay bench --out DIR` sets it; its
#: default is ./bench-results), else benchmarks/results/ (the committed results, for direct runs)
RESULTS = Path(os.environ.get("ZEROPLAY_BENCH_OUT") or Path(__file__).resolve().parent / "results")


def machine_info(**settings: Any) -> dict[str, Any]:
    """Python version, CPU architecture and core count, then the run's own ``settings``."""
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(), **settings}


def write_results(name: str, doc: dict[str, Any], plot: Callable[[Path], None], *, out_dir: Path = RESULTS) -> Path:
    """Write ``out_dir/NAME.json`` and, by ``plot(path)``, ``NAME.png`` beside it; say where. Returns the JSON path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / f"{name}.json", out_dir / f"{name}.png"
    json_path.write_text(json.dumps(doc, indent=2))
    plot(png_path)
    print(f"wrote {json_path} and {png_path.name}")
    return json_path


@contextmanager
def figure(path: Path, *, ncols: int = 1, nrows: int = 1, panel: tuple[float, float] = (4.5, 4.0),
           dpi: int = 120) -> Iterator[tuple[Any, Any]]:
    """``(fig, axes)`` of an ``nrows`` x ``ncols`` grid of ``panel``-sized plots (axes always 2-D),
    saved to ``path`` when the block ends (headless: the Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), squeeze=False)
    try:
        yield fig, axes
        fig.tight_layout()
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)


# -- rates: rows of {"what", "side", "unit", "median", "min", "max"} -----------------------------

def rate_row(what: str, side: str, unit: str, rates: Sequence[float]) -> dict[str, Any]:
    """One measured side of one workload: median and spread of its rates over the repeats."""
    return {"what": what, "side": side, "unit": unit, "median": statistics.median(rates), "min": min(rates),
            "max": max(rates)}


def print_rate_table(rows: list[dict[str, Any]], *, title: str, is_peer: Callable[[dict[str, Any]], bool],
                     ratio_key: str, ratio_col: str) -> None:
    """Print the rows (rate, min..max, ratio) and set each row's ``ratio_key`` to its median over
    the peer's (the row of the same ``what`` that ``is_peer``) and ``"peer"`` to the peer's side;
    both None for the peer itself and where a workload has no peer."""
    from rich.console import Console
    from rich.table import Table

    peers = {r["what"]: r for r in rows if is_peer(r)}
    table = Table(title=title, title_justify="left")
    for col in ("what", "side", "rate", "min..max", ratio_col):
        table.add_column(col, justify="left" if col in ("what", "side") else "right")
    for r in rows:
        peer = peers.get(r["what"])
        r[ratio_key] = r["median"] / peer["median"] if peer and peer is not r else None
        r["peer"] = peer["side"] if peer and peer is not r else None
        table.add_row(r["what"], r["side"], f"{r['median']:.1f} {r['unit']}", f"{r['min']:.1f}..{r['max']:.1f}",
                      f"{r[ratio_key]:.2f}x" if r[ratio_key] else "-")
    Console(width=max(Console().width, 140)).print(table)  # the table is wide; keep rows on one line


def plot_rate_panels(rows: list[dict[str, Any]], path: Path, *, cols: int | None = None, dpi: int = 120) -> None:
    """One bar panel per ``what`` (``cols`` to a line; default all on one): each side's median with
    min..max error bars, one colour per side across panels."""
    whats = list(dict.fromkeys(r["what"] for r in rows))
    sides = list(dict.fromkeys(r["side"] for r in rows))
    cols = cols or max(1, len(whats))
    n_rows = (len(whats) + cols - 1) // cols
    with figure(path, ncols=cols, nrows=max(1, n_rows), panel=(4.5, 4.0), dpi=dpi) as (_, axes):
        for ax in axes.flat[len(whats):]:
            ax.axis("off")
        for ax, what in zip(axes.flat, whats):
            mine = [r for r in rows if r["what"] == what]
            med = [r["median"] for r in mine]
            err = [[r["median"] - r["min"] for r in mine], [r["max"] - r["median"] for r in mine]]
            ax.bar(range(len(mine)), med, yerr=err, color=[f"C{sides.index(r['side'])}" for r in mine], capsize=4)
            ax.set_xticks(range(len(mine)), [r["side"] for r in mine], rotation=20, ha="right", fontsize=8)
            ax.set_title(what, fontsize=8)
            ax.set_ylabel(mine[0]["unit"])
