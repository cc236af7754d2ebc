"""A run's files: ``metrics.jsonl`` (one JSON object per step), ``summary.json``, ``curve.png`` and
``samples.jsonl`` (a few samples of each role, the last steps' only: what the report shows).

``metrics.jsonl`` is append-only: nothing ever rewrites or truncates it, so a crash or a full
disk can cost at most the line being written. A run resumed from a checkpoint older than the
last logged step appends a marker line, ``{"resumed_from_step": S}``, and then logs steps S+1...
again. :func:`read_metrics` reads the file as the log of one uninterrupted run: a marker drops
the rows before it with a step above S, a later row for a step replaces an earlier one, and a
torn line (a kill in the middle of a write) is skipped.
"""

from __future__ import annotations

import errno
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zeroplay.core.errors import ZeroplayError

if TYPE_CHECKING:
    from zeroplay.training.trackers import Trackers

METRICS_NAME = "metrics.jsonl"
SAMPLES_NAME = "samples.jsonl"
#: errno values of a full disk (or a file-size limit): the fix is more space, not another path.
_DISK_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
#: The key of the marker line a resume appends when the log ran ahead of the checkpoint.
RESUME_MARKER = "resumed_from_step"


class RunFileError(ZeroplayError):
    """A run file (metrics, summary, checkpoint) that cannot be written or read; the message says what to do."""


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


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``metrics.jsonl`` (or of the run directory holding one), one per step in
    step order: the latest row of each step, minus rows a resume marker made stale."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_NAME
    by_step: dict[int, dict[str, Any]] = {}
    if not path.is_file():
        return []
    with path.open("rb") as f:
        for raw in f:
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):  # a torn line from a kill or a full disk
                continue
            if not isinstance(row, dict):
                continue
            if isinstance(row.get(RESUME_MARKER), int):
                by_step = {s: r for s, r in by_step.items() if s <= row[RESUME_MARKER]}
            elif isinstance(row.get("step"), int):
                by_step[row["step"]] = row
    return [by_step[s] for s in sorted(by_step)]


class RunLog:
    """Appends one row per step to ``run_dir/metrics.jsonl``; ``rows`` are the run's rows so far.
    ``trackers`` (TensorBoard, W&B, MLflow), if given, get each row too, after it is in the file.
    Rows are not kept in memory (a run of many steps would hold every one): ``rows`` reads the file."""

    def __init__(self, run_dir: Path, resume_step: int = 0, trackers: Trackers | None = None):
        self.run_dir = Path(run_dir)
        self.metrics_path = self.run_dir / METRICS_NAME
        self.trackers = trackers
        if self.metrics_path.is_file():
            _end_torn_line(self.metrics_path)
            if any(r["step"] > resume_step for r in read_metrics(self.metrics_path)):  # ran ahead of the checkpoint
                self._append({RESUME_MARKER: resume_step})

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The run's rows so far (the latest of each step; those a resume made stale left out)."""
        return read_metrics(self.metrics_path)

    def log(self, step: int, metrics: dict[str, Any]) -> None:
        row = _jsonable({"step": step, **metrics})
        self._append(row)
        if self.trackers is not None:
            self.trackers.log_metrics(step, row)

    def close(self, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, ok: bool = True) -> None:
        """Give the trackers the before/after table (when given) and close them."""
        if self.trackers is None:
            return
        if before is not None and after is not None:
            self.trackers.log_table(before, after)
        self.trackers.close(ok)
        self.trackers = None

    def _append(self, row: dict[str, Any]) -> None:
        try:
            with self.metrics_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
        except OSError as e:  # a full disk, or a path that is no file: name it, in one line
            fix = "free some disk space" if e.errno in _DISK_FULL else "make it a writable file"
            raise RunFileError(f"could not append to {self.metrics_path} ({e.strerror}); the rows logged so far "
                               f"are kept: {fix} and run the same command again to resume") from e

    def write_summary(self, summary: dict[str, Any]) -> Path:
        path = self.run_dir / "summary.json"
        write_atomically(path, json.dumps(_jsonable(summary), indent=2))
        return path

    def plot(self, panels: Sequence[tuple[str, Sequence[str]]], title: str = "") -> Path | None:
        """``curve.png``: one panel per (title, metric keys), each metric a line over steps
        (:func:`draw_curves`); None when no panel has a logged metric."""
        png = draw_curves(self.rows, panels, title)
        if png is None:
            return None
        path = self.run_dir / "curve.png"
        path.write_bytes(png)
        return path


def draw_curves(rows: Sequence[dict[str, Any]], panels: Sequence[tuple[str, Sequence[str]]],
                title: str = "", labels: dict[str, str] | None = None) -> bytes | None:
    """A PNG of one panel per (title, metric keys) of ``panels``, each metric a line over the steps of
    ``rows`` (named in the legend by ``labels[key]``, else the key); None when no panel has a logged
    metric. matplotlib is imported here, lazily, with the non-interactive Agg backend (ImportError
    without it)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(t, [k for k in keys if any(k in r for r in rows)]) for t, keys in panels]
    panels = [(t, keys) for t, keys in panels if keys]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, (panel_title, keys) in zip(axes[0], panels):
        for k in keys:
            pts = [(r["step"], r[k]) for r in rows if isinstance(r.get(k), (int, float)) and not isinstance(r[k], bool)]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o" if len(pts) < 30 else None, ms=3, label=(labels or {}).get(k, k))
        ax.set_title(panel_title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


class SampleLog:
    """``samples.jsonl``: for each of the last :attr:`STEPS` steps, the best and the worst rewarded
    sample of each (env, role) pair that step sampled (prompt and completion cut to :attr:`MAX_CHARS`),
    so every game and every seat shows, and the file stays small however long the run (two rows per
    pair a step). Rewritten atomically each step; a resume drops the rows past its step. Picking them
    draws no random numbers, so logging samples never changes a run."""

    STEPS = 20
    MAX_CHARS = 2000

    def __init__(self, run_dir: Path, resume_step: int = 0):
        self.path = Path(run_dir) / SAMPLES_NAME
        self.rows = [r for r in read_samples(self.path) if r["step"] <= resume_step]

    def add(self, step: int, samples: Sequence[Any], decode: Callable[[Any], str]) -> None:
        """Keep ``step``'s picks; ``decode(sample)`` gives a sample's prompt text."""
        by_pair: dict[tuple[str, str], list[Any]] = {}
        for x in samples:
            by_pair.setdefault((str(x.env or ""), str(x.role or "")), []).append(x)
        for (_, role), xs in sorted(by_pair.items()):
            best = max(range(len(xs)), key=lambda i: xs[i].reward)
            worst = min(range(len(xs)), key=lambda i: xs[i].reward)
            for i in dict.fromkeys((best, worst)):
                x = xs[i]
                self.rows.append(_jsonable({
                    "step": step, "role": role or "policy", "env": x.env, "reward": float(x.reward),
                    "prompt": decode(x)[-self.MAX_CHARS:], "completion": x.text[:self.MAX_CHARS],
                    "finish_reason": x.finish_reason, "well_formed": bool(x.well_formed),
                    **({"reason": str(x.meta["reason"])} if x.meta.get("reason") else {})}))
        steps = sorted({r["step"] for r in self.rows})[-self.STEPS:]
        self.rows = [r for r in self.rows if r["step"] >= steps[0]] if steps else []
        write_atomically(self.path, "".join(json.dumps(r) + "\n" for r in self.rows))


def read_samples(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``samples.jsonl`` (or of the run directory holding one); [] when there is none."""
    path = Path(path)
    if path.is_dir():
        path = path / SAMPLES_NAME
    return _json_rows(path, lambda row: isinstance(row.get("step"), int))


def _json_rows(path: Path, keep: Any) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file that ``keep`` accepts; lines that do not parse are skipped,
    a missing or unreadable file gives []."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and keep(row):
            rows.append(row)
    return rows


def _end_torn_line(path: Path) -> None:
    """Close a torn last line with a newline, so the next row starts a line of its own."""
    with path.open("rb+") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return
        f.seek(-1, os.SEEK_END)
        if f.read(1) != b"\n":
            f.write(b"\n")


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename: a crash or a full disk leaves the old file whole."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


# -- the configs a run used (zeroplay.training.checkpoint writes them) ------------------------------

HISTORY_NAME = "config_history.jsonl"
"""Every config a run used: one JSON line per start whose config differs from the one before,
``{"step", "changes", "significant", "config"}`` (the step it took effect from, the changed fields as
``{path: [old, new]}``, those of them a resume refuses without ``allow_config_change``, the whole config)."""


def read_config_history(run_dir: Path) -> list[dict[str, Any]]:
    """The lines of ``run_dir/config_history.jsonl`` (a line that does not parse is skipped)."""
    return _json_rows(Path(run_dir) / HISTORY_NAME, lambda entry: isinstance(entry.get("config"), dict))


def config_changes_of(run_dir: Path) -> list[dict[str, Any]]:
    """The config changes a resume accepted with ``allow_config_change``, as ``{"step", "changes"}``
    (the significant fields only), from ``config_history.jsonl``; empty when the run kept its config."""
    out = []
    for entry in read_config_history(run_dir):
        fields = [p for p in entry.get("significant") or [] if p in (entry.get("changes") or {})]
        if fields:
            out.append({"step": entry.get("step"), "changes": {p: entry["changes"][p] for p in fields}})
    return out
