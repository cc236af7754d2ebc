"""A run's files: ``metrics.jsonl`` (one JSON object per step), ``summary.json`` and ``curve.png``.

On resume, lines of ``metrics.jsonl`` past the checkpoint's step are dropped, so the file
reads like the log of one uninterrupted run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "item"):
        return v.item()
    return v


class RunLog:
    def __init__(self, run_dir: Path, resume_step: int = 0):
        self.run_dir = Path(run_dir)
        self.metrics_path = self.run_dir / "metrics.jsonl"
        self.rows: list[dict[str, Any]] = []
        if self.metrics_path.is_file():
            for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a torn last line from a kill
                    continue
                if row.get("step", 0) <= resume_step:
                    self.rows.append(row)
        self.metrics_path.write_text("".join(json.dumps(r) + "\n" for r in self.rows), encoding="utf-8")

    def log(self, step: int, metrics: dict[str, Any]) -> None:
        row = _jsonable({"step": step, **metrics})
        self.rows.append(row)
        with self.metrics_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    def write_summary(self, summary: dict[str, Any]) -> Path:
        path = self.run_dir / "summary.json"
        path.write_text(json.dumps(_jsonable(summary), indent=2), encoding="utf-8")
        return path

    def plot(self, panels: Sequence[tuple[str, Sequence[str]]], title: str = "") -> Path | None:
        """``curve.png``: one panel per (title, metric keys), each metric a line over steps.

        matplotlib is imported here, lazily, with the non-interactive Agg backend.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        panels = [(t, [k for k in keys if any(k in r for r in self.rows)]) for t, keys in panels]
        panels = [(t, keys) for t, keys in panels if keys]
        if not panels:
            return None
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
        for ax, (panel_title, keys) in zip(axes[0], panels):
            for k in keys:
                pts = [(r["step"], r[k]) for r in self.rows if r.get(k) is not None]
                if pts:
                    xs, ys = zip(*pts)
                    ax.plot(xs, ys, marker="o" if len(pts) < 30 else None, ms=3, label=k)
            ax.set_title(panel_title)
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        path = self.run_dir / "curve.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path
