"""The library of accepted environments: a directory of sources plus an ``index.json``.

Layout::

    LIBRARY/index.json        {"version": 1, "envs": {NAME: entry, ...}}  (small: read at import)
    LIBRARY/NAME.py           the source, as accepted (never imported: it runs only in the sandbox)

Each accepted env is registered as ``zeroplay/synth/NAME-v0`` when zeroplay is imported, so it
works with ``zp.make``, ``zeroplay play`` and training, and survives restarts. The location is
the ``path`` argument, else ``$ZEROPLAY_SYNTH_LIBRARY``, else ``$XDG_DATA_HOME/zeroplay/synth``
(``~/.local/share/zeroplay/synth``). Writes replace the index atomically, under a file lock,
so two processes adding at once do not lose each other's entries. A source edited on disk
after acceptance no longer matches its recorded hash and is refused when loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError, UnknownIdError
from zeroplay.envs.synth import spec

ENV_VAR = "ZEROPLAY_SYNTH_LIBRARY"
INDEX = "index.json"
ID_PREFIX = "zeroplay/synth/"


def default_library_path() -> Path:
    """``$ZEROPLAY_SYNTH_LIBRARY``, else ``$XDG_DATA_HOME/zeroplay/synth``, else ``~/.local/share/zeroplay/synth``."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "zeroplay" / "synth"


def env_id(name: str) -> str:
    return f"{ID_PREFIX}{name}-v0"


@dataclass
class LibraryEntry:
    """Metadata of one accepted env."""

    name: str
    file: str
    sha256: str
    difficulty: int = 1
    """Default difficulty of the registered env (a calibrated level when calibration ran)."""
    levels: list[int] = field(default_factory=lambda: list(spec.DIFFICULTIES))
    """Difficulty levels kept (those inside the calibration band, or all without calibration)."""
    pass_rates: dict[str, float] = field(default_factory=dict)
    """Calibration solver's pass rate per level (keys are str(level)), when calibration ran."""
    theme: str = ""
    origin: str = ""
    created: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LibraryEntry:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class Library:
    """Accepted environments on disk. Cheap to build: nothing is read until asked."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path).expanduser() if path is not None else default_library_path()

    def __repr__(self) -> str:
        return f"Library({str(self.path)!r})"

    # -- reading ----------------------------------------------------------------------------
    def entries(self) -> dict[str, LibraryEntry]:
        """Every entry by name; an empty dict when the library does not exist yet."""
        index = self.path / INDEX
        if not index.is_file():
            return {}
        try:
            doc = json.loads(index.read_text(encoding="utf-8"))
            return {name: LibraryEntry.from_dict(e) for name, e in doc.get("envs", {}).items()}
        except (json.JSONDecodeError, TypeError, AttributeError) as e:
            raise ConfigError(f"The synth library index {index} is corrupt ({e}); fix or delete it") from e

    def names(self) -> list[str]:
        return sorted(self.entries())

    def __len__(self) -> int:
        return len(self.entries())

    def get(self, name: str) -> LibraryEntry:
        entries = self.entries()
        if name not in entries:
            raise UnknownIdError("synth library env", name, entries)
        return entries[name]

    def source(self, name: str) -> str:
        """The source of ``name``, checked against the hash recorded when it was accepted."""
        entry = self.get(name)
        path = self.path / entry.file
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"Library env {name!r}: cannot read {path} ({e}); remove the entry or restore the file") from e
        if spec.source_sha(text) != entry.sha256:
            raise ConfigError(f"Library env {name!r}: {path} changed after it was validated; "
                              "validate it again (zeroplay synth re-adds it) or restore the file")
        return text

    def sources(self) -> Iterator[tuple[str, str]]:
        """(name, source) of every env whose file is intact."""
        for name in self.names():
            with contextlib.suppress(ConfigError):
                yield name, self.source(name)

    # -- writing ----------------------------------------------------------------------------
    def add(self, source: str, *, name: str, sha256: str, **meta: Any) -> LibraryEntry:
        """Store an accepted source; the name gets a numeric suffix if taken. Returns the entry."""
        self.path.mkdir(parents=True, exist_ok=True)
        with self._locked():
            entries = self.entries()
            base = spec.sanitize_name(name)
            unique, k = base, 2
            while unique in entries:
                unique, k = f"{base}{k}", k + 1
            entry = LibraryEntry(name=unique, file=f"{unique}.py", sha256=sha256, created=time.time(), **meta)
            self._write_atomic(self.path / entry.file, source)
            entries[unique] = entry
            self._write_index(entries)
        return entry

    def remove(self, name: str) -> None:
        with self._locked():
            entries = self.entries()
            entry = entries.pop(name, None)
            if entry is None:
                raise UnknownIdError("synth library env", name, entries)
            self._write_index(entries)
            with contextlib.suppress(OSError):
                (self.path / entry.file).unlink()

    def _write_index(self, entries: dict[str, LibraryEntry]) -> None:
        doc = {"version": 1, "envs": {n: asdict(e) for n, e in sorted(entries.items())}}
        self._write_atomic(self.path / INDEX, json.dumps(doc, indent=1))

    @staticmethod
    def _write_atomic(path: Path, text: str) -> None:
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        with open(self.path / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- registration -----------------------------------------------------------------------
    def register(self) -> list[str]:
        """Register every entry as ``zeroplay/synth/NAME-v0``; returns the ids. Reads only the index."""
        from zeroplay.core.registry import register

        ids = []
        for name in self.entries():
            if not spec.is_valid_name(name):
                continue
            register(env_id(name), "zeroplay.envs.synth.env:SynthEnv", name=name, library=str(self.path))
            ids.append(env_id(name))
        return ids
