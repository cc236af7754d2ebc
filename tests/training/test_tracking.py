"""Experiment tracking: a real 3-step run logs to TensorBoard, W&B (offline) and MLflow (file store),
and each tracker's own reader gets the metrics.jsonl values back."""

import glob
import importlib.util
import json
import struct
import sys
from pathlib import Path

import pytest

from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train

from .conftest import tiny_config

QUICK = {"eval.exploitability": False, "eval.games": 4}
ALL = ["jsonl", "tensorboard", "wandb", "mlflow"]
MISSING = [m for m in ("tensorboardX", "tensorboard", "wandb", "mlflow") if importlib.util.find_spec(m) is None]
needs_trackers = pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} not installed: "
                                    "pip install 'zeroplay[track]' tensorboard (the dev extra has them)")


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    if MISSING:
        pytest.skip(f"{', '.join(MISSING)} not installed: pip install 'zeroplay[track]' tensorboard")
    tmp = tmp_path_factory.mktemp("tracked")
    return train(config_from_dict(tiny_config(tmp, steps=3, log=ALL, **QUICK)), quiet=True)


@needs_trackers
def test_tensorboard_events_read_back_with_tensorboards_reader(tracked_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    rows = read_metrics(tracked_run)
    events = EventAccumulator(str(tracked_run / "tensorboard"), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    reward = events.Scalars("reward/mean")
    assert [e.step for e in reward] == [1, 2, 3]
    assert [e.value for e in reward] == pytest.approx([r["reward/mean"] for r in rows[1:]])
    win = events.Scalars("eval/random/win_rate")
    assert [e.step for e in win] == [0, 3]
    assert [e.value for e in win] == pytest.approx([rows[0]["eval/random/win_rate"], rows[3]["eval/random/win_rate"]])
    texts = events.Tags()["tensors"]
    assert "config/text_summary" in texts and "eval/before_after/text_summary" in texts
    table = events.Tensors("eval/before_after/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| eval/random/win_rate |" in table


def _wandb_records(path: Path) -> list:
    """The records of a W&B ``.wandb`` file: a 7-byte header, then LevelDB's log format (32 KiB blocks
    of [crc32, length, type] chunks) holding protobuf ``Record``s."""
    from wandb.proto import wandb_internal_pb2 as pb

    data, block, pos = path.read_bytes(), 32768, 7
    assert data[:4] == b":W&B"
    raws, partial = [], b""
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind in (1, 4):  # full, or last of several
            raws.append(partial + chunk if kind == 4 else chunk)
        elif kind in (2, 3):  # first, middle
            partial = chunk if kind == 2 else partial + chunk
    return [pb.Record.FromString(r) for r in raws]


@needs_trackers
def test_wandb_writes_an_offline_run_with_every_step_and_the_config(tracked_run):
    rows = read_metrics(tracked_run)
    [run_file] = glob.glob(str(tracked_run / "wandb" / "offline-run-*" / "run-*.wandb"))
    assert json.loads((tracked_run / "trackers.json").read_text())["wandb"] in run_file
    records = _wandb_records(Path(run_file))
    history = [{i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in r.history.item}
               for r in records if r.WhichOneof("record_type") == "history"]
    reward = {h["_step"]: h["reward/mean"] for h in history if "reward/mean" in h}
    assert reward == pytest.approx({r["step"]: r["reward/mean"] for r in rows[1:]})
    config = {i.key: json.loads(i.value_json) for r in records if r.WhichOneof("record_type") == "config"
              for i in r.config.update}
    assert config["loop"] == "games" and config["steps"] == 3
    assert glob.glob(str(tracked_run / "wandb" / "offline-run-*" / "files" / "media" / "table" / "eval" / "*.table.json"))


@needs_trackers
def test_mlflow_file_store_holds_the_run_metrics_config_and_table(tracked_run):
    from mlflow.tracking import MlflowClient

    rows = read_metrics(tracked_run)
    client = MlflowClient(tracking_uri=f"file:{tracked_run / 'mlruns'}")
    run = client.get_run(json.loads((tracked_run / "trackers.json").read_text())["mlflow"])
    assert run.info.status == "FINISHED" and run.info.run_name == "t"
    history = client.get_metric_history(run.info.run_id, "reward/mean")
    assert [m.step for m in history] == [1, 2, 3]
    assert {m.step: m.value for m in history} == pytest.approx({r["step"]: r["reward/mean"] for r in rows[1:]})
    assert run.data.params["loop"] == "games" and run.data.params["games.games_per_step"] == "4"
    assert "policy/P_b_J_" in run.data.metrics or not any(k.startswith("policy/") for k in rows[0])
    table = json.loads(Path(client.download_artifacts(run.info.run_id, "eval_before_after.json")).read_text())
    summary = json.loads((tracked_run / "summary.json").read_text())
    i = table["metric"].index("eval/random/win_rate")
    assert table["after"][i] == pytest.approx(summary["eval_after"]["eval/random/win_rate"])


@needs_trackers
def test_metrics_jsonl_is_unchanged_by_the_trackers(tracked_run, tmp_path):
    """The same run without trackers logs the same rows (trackers read the run, never change it)."""
    plain = train(config_from_dict(tiny_config(tmp_path, steps=3, **QUICK)), quiet=True)
    strip = lambda rows: [{k: v for k, v in r.items() if not k.startswith(("time/", "warmup/seconds"))} for r in rows]  # noqa: E731
    assert strip(read_metrics(plain)) == strip(read_metrics(tracked_run))
    assert not (plain / "tensorboard").exists() and not (plain / "trackers.json").exists()


def test_a_missing_tracker_package_is_a_one_line_error_naming_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # how Python marks a module as not importable
    with pytest.raises(ConfigError) as e:
        train(config_from_dict(tiny_config(tmp_path, log=["jsonl", "wandb"])), quiet=True)
    message = str(e.value)
    assert "pip install 'zeroplay[track]'" in message and "wandb" in message and "\n" not in message
    assert not (tmp_path / "t").exists()  # nothing was built


def test_log_always_keeps_jsonl_and_rejects_unknown_trackers(tmp_path):
    assert config_from_dict(tiny_config(tmp_path, log=["tensorboard"])).log == ["jsonl", "tensorboard"]
    assert config_from_dict(tiny_config(tmp_path)).log == ["jsonl"]
    with pytest.raises(ConfigError, match="log"):
        config_from_dict(tiny_config(tmp_path, log=["comet"]))


@needs_trackers
def test_a_resumed_run_continues_the_same_tracker_runs(tmp_path):
    from mlflow.tracking import MlflowClient
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    base = tiny_config(tmp_path, log=ALL, **QUICK)
    run_dir = train(config_from_dict({**base, "steps": 2}), quiet=True)
    ids = json.loads((run_dir / "trackers.json").read_text())
    train(config_from_dict({**base, "steps": 3}), quiet=True)  # more steps: resumes from step 2
    assert json.loads((run_dir / "trackers.json").read_text()) == ids
    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"scalars": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("reward/mean")] == [1, 2, 3]
    client = MlflowClient(tracking_uri=f"file:{run_dir / 'mlruns'}")
    assert [m.step for m in client.get_metric_history(ids["mlflow"], "reward/mean")] == [1, 2, 3]
    assert client.get_run(ids["mlflow"]).info.status == "FINISHED"
    assert len(glob.glob(str(run_dir / "wandb" / f"offline-run-*-{ids['wandb']}"))) == 2  # `wandb sync` joins them
