"""Experiment trackers beside ``metrics.jsonl``: TensorBoard, Weights & Biases (offline) and MLflow (a local store).

``log: [jsonl, tensorboard, wandb, mlflow]`` in the config picks them. Each gets the metrics of
every step, the config at the start and the before/after evaluation table at the end.

What this guarantees, and what it does not:

- ``metrics.jsonl`` stays the source of truth: resume and ``zeroplay report`` read it, never a tracker.
- Nothing leaves the machine: W&B runs in offline mode (``RUN/wandb``; ``wandb sync`` uploads it
  later, if you want), MLflow writes a file store (``file:RUN/mlruns``), TensorBoard writes event
  files (``RUN/tensorboard``).
- A tracker whose package is missing is a :class:`ConfigError` before anything is built, naming the
  extra to install. A tracker that fails later (a full disk, a bug in the tracker) is reported in one
  warning line and dropped; the run goes on.
- After a resume, TensorBoard hides the events past the checkpoint (``purge_step``), W&B continues
  the same run id in a new offline directory, MLflow continues the same run; a step logged twice
  (a kill after the log, before the checkpoint) is logged twice in W&B and MLflow.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

from zeroplay.core.errors import ConfigError

#: tracker name -> the module it needs
NEEDS = {"tensorboard": "tensorboardX", "wandb": "wandb", "mlflow": "mlflow"}
#: Run ids of the trackers that have one (W&B, MLflow), so a resumed run continues the same run.
IDS_NAME = "trackers.json"


def check_trackers(names: list[str]) -> None:
    """Raise a one-line :class:`ConfigError` for a tracker whose package is not installed."""
    for name in names:
        module = NEEDS.get(name)
        if module and not _installed(module):
            raise ConfigError(f"log: {name} needs the {module} package, which is not installed: "
                              "pip install 'zeroplay[track]' (or drop it from 'log')")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # sys.modules[module] is None: marked as not importable
        return False


def scalars(metrics: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of a metrics row (``step`` and non-numbers left out)."""
    return {k: float(v) for k, v in metrics.items()
            if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def table_rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
    """The before/after evaluation table: (metric, before, after) for every numeric metric of either."""
    b, a = scalars(before), scalars(after)
    return [(k, b.get(k), a.get(k)) for k in sorted(set(b) | set(a))]


class Tracker:
    """One tracker of a run. Subclasses implement the four calls; :class:`Trackers` guards them."""

    name: ClassVar[str]

    def log_config(self, config: dict[str, Any]) -> None: ...

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None: ...

    def log_table(self, rows: list[tuple[str, float | None, float | None]]) -> None: ...

    def close(self, ok: bool) -> None: ...


class TensorBoardTracker(Tracker):
    """Event files in ``RUN/tensorboard`` (tensorboardX's writer: a small package; ``tensorboard``
    itself is only needed to view them: ``tensorboard --logdir RUN/tensorboard``)."""

    name = "tensorboard"

    def __init__(self, run_dir: Path, resume_step: int):
        from tensorboardX import SummaryWriter

        # purge_step: after a resume, events past the checkpoint are hidden, as metrics.jsonl's marker does
        # the suffix keeps two writers of one second apart: the file name has the time in whole
        # seconds, and a resumed run opening the same name would truncate the first run's events
        self.writer = SummaryWriter(logdir=str(run_dir / "tensorboard"),
                                    purge_step=resume_step + 1 if resume_step else None,
                                    filename_suffix=f".{resume_step}.{secrets.token_hex(4)}")

    def log_config(self, config: dict[str, Any]) -> None:
        text = json.dumps(config, indent=2)
        self.writer.add_text("config", "    " + text.replace("\n", "\n    "), 0)  # indented: a code block

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        for k, v in metrics.items():
            self.writer.add_scalar(k, v, step)
        self.writer.flush()  # a kill loses at most this step, as in metrics.jsonl

    def log_table(self, rows: list[tuple[str, float | None, float | None]]) -> None:
        lines = ["| metric | before | after |", "|---|---|---|"]
        lines += [f"| {k} | {_fmt(b)} | {_fmt(a)} |" for k, b, a in rows]
        self.writer.add_text("eval/before_after", "\n".join(lines), 0)

    def close(self, ok: bool) -> None:
        self.writer.close()


class WandbTracker(Tracker):
    """An offline W&B run in ``RUN/wandb`` (``wandb sync RUN/wandb/offline-run-*`` uploads it, if wanted)."""

    name = "wandb"

    def __init__(self, run_dir: Path, run_name: str, ids: dict[str, str]):
        import wandb

        self.wandb = wandb
        ids.setdefault("wandb", secrets.token_hex(4))  # W&B ids: lowercase letters and digits
        settings = wandb.Settings(mode="offline", silent=True, console="off", save_code=False, disable_git=True,
                                  x_disable_stats=True)
        # W&B names an offline run's directory by the second it starts: a resume within the same
        # second as the run it continues would write into that run's directory; wait for the next one
        import datetime
        import time

        stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        if (run_dir / "wandb" / f"offline-run-{stamp}-{ids['wandb']}").exists():
            time.sleep(1.05 - time.time() % 1)
        self.run = wandb.init(mode="offline", dir=str(run_dir), project="zeroplay", name=run_name, id=ids["wandb"],
                              resume="allow", reinit="create_new", settings=settings)

    def log_config(self, config: dict[str, Any]) -> None:
        self.run.config.update(config, allow_val_change=True)

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        self.run.log(metrics, step=step)

    def log_table(self, rows: list[tuple[str, float | None, float | None]]) -> None:
        self.run.log({"eval/before_after": self.wandb.Table(columns=["metric", "before", "after"],
                                                            data=[list(r) for r in rows])})
        self.run.summary.update({f"{when}/{k}": v for k, b, a in rows for when, v in (("before", b), ("after", a))
                                 if v is not None})

    def close(self, ok: bool) -> None:
        self.run.finish(exit_code=0 if ok else 1)


class MlflowTracker(Tracker):
    """An MLflow run in a local file store, ``file:RUN/mlruns`` (view it with
    ``MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri file:RUN/mlruns``).

    MLflow 3 keeps the file store in maintenance mode and asks for ``MLFLOW_ALLOW_FILE_STORE=true``
    to use it; it is set for this process. Metric names keep the characters MLflow accepts
    (``policy/P(b|J)`` is logged as ``policy/P_b_J_``)."""

    name = "mlflow"
    BATCH = 1000  # MLflow's limit on metrics per log_batch

    def __init__(self, run_dir: Path, run_name: str, ids: dict[str, str]):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=f"file:{(run_dir / 'mlruns').resolve()}")
        self.new = "mlflow" not in ids
        if self.new:
            exp = self.client.get_experiment_by_name("zeroplay")
            exp_id = exp.experiment_id if exp else self.client.create_experiment("zeroplay")
            ids["mlflow"] = self.client.create_run(exp_id, run_name=run_name).info.run_id
        else:
            self.client.update_run(ids["mlflow"], status="RUNNING")
        self.run_id = ids["mlflow"]

    def log_config(self, config: dict[str, Any]) -> None:
        from mlflow.entities import Param

        self.client.log_text(self.run_id, json.dumps(config, indent=2), "config.json")
        if self.new:  # a param never changes in MLflow: a resumed run (maybe with more --steps) keeps the first
            params = [Param(k, str(v)[:6000]) for k, v in _flatten(config).items()]
            for i in range(0, len(params), 100):
                self.client.log_batch(self.run_id, params=params[i:i + 100])

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(_mlflow_key(k), v, now, step) for k, v in metrics.items()]
        for i in range(0, len(batch), self.BATCH):
            self.client.log_batch(self.run_id, metrics=batch[i:i + self.BATCH])

    def log_table(self, rows: list[tuple[str, float | None, float | None]]) -> None:
        table = {"metric": [r[0] for r in rows], "before": [r[1] for r in rows], "after": [r[2] for r in rows]}
        self.client.log_text(self.run_id, json.dumps(table, indent=2), "eval_before_after.json")

    def close(self, ok: bool) -> None:
        self.client.set_terminated(self.run_id, "FINISHED" if ok else "FAILED")


class Trackers:
    """The run's trackers; each call goes to every one, and a tracker that raises is dropped with a warning."""

    def __init__(self, trackers: list[Tracker]):
        self.trackers = trackers

    def _each(self, call: str, *args: Any) -> None:
        for t in list(self.trackers):
            try:
                getattr(t, call)(*args)
            except Exception as e:  # noqa: BLE001 - a tracker must never end the run: metrics.jsonl has it all
                self.trackers.remove(t)
                print(f"warning: log: {t.name} failed ({type(e).__name__}: {' '.join(str(e).split())[:200]}); "
                      "it is off for the rest of the run (metrics.jsonl has every step)", file=sys.stderr)

    def log_config(self, config: dict[str, Any]) -> None:
        self._each("log_config", config)

    def log_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        values = scalars(metrics)
        if values:
            self._each("log_metrics", step, values)

    def log_table(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        self._each("log_table", table_rows(before, after))

    def close(self, ok: bool = True) -> None:
        self._each("close", ok)
        self.trackers = []


def open_trackers(names: list[str], run_dir: Path, run_name: str, config: dict[str, Any], resume_step: int) -> Trackers:
    """Start the trackers ``names`` (``jsonl`` is RunLog's own) for a run starting at ``resume_step``."""
    from zeroplay.training.runlog import write_atomically

    check_trackers(names)
    run_dir = Path(run_dir)
    ids_path = run_dir / IDS_NAME
    ids: dict[str, str] = json.loads(ids_path.read_text()) if ids_path.is_file() else {}
    made: list[Tracker] = []
    for name in names:
        if name == "tensorboard":
            made.append(TensorBoardTracker(run_dir, resume_step))
        elif name == "wandb":
            made.append(WandbTracker(run_dir, run_name, ids))
        elif name == "mlflow":
            made.append(MlflowTracker(run_dir, run_name, ids))
    if ids:
        write_atomically(ids_path, json.dumps(ids, indent=2))
    trackers = Trackers(made)
    trackers.log_config(config)
    return trackers


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in config.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = json.dumps(v) if isinstance(v, (list, dict)) else v
    return out


def _mlflow_key(key: str) -> str:
    """``key`` with what MLflow rejects in a metric name replaced by ``_``."""
    return "".join(c if c.isalnum() or c in "_-. :/" else "_" for c in key)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"
