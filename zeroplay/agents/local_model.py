"""Checks on a local model directory and a device before a model is loaded onto it, shared by the ``hf``
agent, ``zeroplay serve`` and training's ``model.path``/``model.device``: each says what to pass instead
(a training run's ``final_model``, ``cpu``) rather than failing inside transformers or torch."""

from __future__ import annotations

from pathlib import Path

from zeroplay.core.errors import ConfigError

#: what ``zeroplay train`` writes into a run's directory, and no checkpoint holds
RUN_MARKERS = ("metrics.jsonl", "summary.json", "final_model")


def check_model_dir(path: Path, shown: Path | str, use: str = "serve") -> None:
    """Point at the model when given a training run's directory (its config.json is the run's, not a
    model's) or a directory of per-role models; ``shown`` is the path as the user wrote it, ``use`` the verb
    of the message (``serve``, ``load``)."""
    path, shown = Path(path), Path(shown)
    if any((path / name).exists() for name in RUN_MARKERS):
        roles = models_in(path / "final_model")
        if (path / "final_model" / "config.json").is_file():
            raise ConfigError(f"{shown} is a training run; {use} its model: {shown / 'final_model'}")
        if roles:
            raise ConfigError(f"{shown} is a training run; {use} one of its models: "
                              f"{_choice(shown / 'final_model', roles)}")
        raise ConfigError(f"{shown} is a training run with no final_model yet; let it finish, or {use} another "
                          "checkpoint saved with save_pretrained")
    roles = models_in(path)
    if not (path / "config.json").is_file() and roles:
        raise ConfigError(f"{shown} holds one model per role; {use} one: {_choice(shown, roles)}")


def checked_model_path(path: str, setting: str = "model.path") -> Path:
    """``path`` (as a config gives it) as the directory to load a model from: one that does not exist is
    refused, a training run's points at its model (:func:`check_model_dir`)."""
    found = Path(path).expanduser()
    if not found.exists():
        raise ConfigError(f"{setting} {found} does not exist: give a local Hugging Face model directory, "
                          "or leave model.path empty to build a tiny model")
    check_model_dir(found, path, use="train from")
    return found


def models_in(path: Path) -> list[str]:
    """The subdirectories of ``path`` that hold a checkpoint (a config.json naming a ``model_type``; a training
    run's own config.json names none), by name."""
    return sorted(p.parent.name for p in path.glob("*/config.json") if _is_model_config(p)) if path.is_dir() else []


def _is_model_config(path: Path) -> bool:
    import json

    try:
        return "model_type" in json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def _choice(parent: Path, names: list[str]) -> str:
    rest = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
    return f"{parent / names[0]}{rest}"


def looks_local(name: str) -> bool:
    """Whether a model name is meant as a local path (``./m``, ``/models/m``, ``~/m``, ``runs/demo``: its first
    part is a directory here), not a hub id (``org/name``) to look up in the local cache."""
    text = str(name)
    if text.startswith((".", "/", "~")) or "\\" in text:
        return True
    first = Path(text).parts[0] if Path(text).parts else ""
    return len(Path(text).parts) > 1 and Path(first).is_dir()


def check_device(device: str | None, setting: str = "--device") -> None:
    """Refuse a device this machine lacks (``setting`` names where it was given) before loading a model."""
    if device is None or device in ("cpu", "auto"):
        return
    import torch

    if device == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(f"{setting} mps: MPS is not available on this machine; use {setting} cpu")
        return
    if not device.startswith("cuda"):
        return  # torch names the others; it says what it cannot use
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise ConfigError(f"{setting} {device}: this machine has no CUDA device torch can use; use {setting} cpu")
    index = device.partition(":")[2]
    if index and (not index.isdigit() or int(index) >= count):
        raise ConfigError(f"{setting} {device}: this machine has {count} CUDA device(s); use cuda:0 to "
                          f"cuda:{count - 1}")
