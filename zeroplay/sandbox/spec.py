"""What a sandbox runs (:class:`Program`), under which limits (:class:`Limits`), in which language.

Languages are a small plugin point: a :class:`Language` names the file the source is written to
and the command that runs it, relative to the interpreter directory the backend exposes. Python
is built in and is the only language the warm pool runs without an ``exec`` (it forks an
interpreter that already has the standard library loaded); any other language runs through its
command inside the same isolation. Languages described by YAML files (compile and run commands,
limits) are registered by :mod:`zeroplay.sandbox.language_files`; the shipped ones load on first use.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from zeroplay.core.errors import ConfigError, UnknownIdError


#: The largest value each limit may take: beyond it a limit is a typo, not a wish (and the rlimits,
#: tmpfs sizes and host buffers it sets would overflow or exhaust the host).
MAX_LIMITS: dict[str, int] = {
    "timeout_s": 24 * 3600,
    "memory_mb": 1 << 20,
    "max_output_bytes": 1 << 30,
    "max_processes": 1 << 15,
    "max_open_files": 1 << 20,
    "disk_mb": 1 << 20,
}


@dataclass(frozen=True)
class Limits:
    """Hard limits applied to every run. The kernel enforces them (rlimits, tmpfs sizes, pid namespaces).

    ``timeout_s`` is wall time; CPU time is capped at the same figure (plus one second of grace).
    ``memory_mb`` caps the address space of each process (RLIMIT_AS), so a program that maps more
    than it touches also fails; where a memory cgroup is available it also caps, with ``disk_mb``
    and a fixed headroom, all the RAM the run's processes hold together (see
    :mod:`zeroplay.sandbox.isolation`). ``max_output_bytes`` counts stdout and stderr together.
    ``max_processes`` counts every process and thread of the run. ``disk_mb`` caps the writable
    work dir and /tmp (and, through RLIMIT_FSIZE, any single file).

    Each limit is a finite number above 0 and at most :data:`MAX_LIMITS` (24 h of wall time, 1 TiB
    of memory or disk...); anything else is a one-line :class:`~zeroplay.core.errors.ConfigError`
    here, at construction, never an error when a program runs.
    """

    timeout_s: float = 5.0
    memory_mb: int = 512
    max_output_bytes: int = 1 << 20
    max_processes: int = 32
    max_open_files: int = 256
    disk_mb: int = 64
    network: bool = False

    def __post_init__(self) -> None:
        for name in ("timeout_s", "memory_mb", "max_output_bytes", "max_processes", "max_open_files", "disk_mb"):
            kind, cast = (numbers.Real, float) if name == "timeout_s" else (numbers.Integral, int)
            if not isinstance(getattr(self, name), kind) or isinstance(getattr(self, name), bool):
                raise ConfigError(f"Sandbox limit {name} must be {'a number' if cast is float else 'an int'}, "
                                  f"got {getattr(self, name)!r}")
            value = cast(getattr(self, name))  # numpy numbers become plain ones
            object.__setattr__(self, name, value)
            if not (math.isfinite(value) and 0 < value <= MAX_LIMITS[name]):
                raise ConfigError(f"Sandbox limit {name} must be > 0 and at most {MAX_LIMITS[name]:,}, got {value!r}")
        if self.memory_mb < 32:
            raise ConfigError(f"memory_mb={self.memory_mb} is too small to start an interpreter; use 32 or more")
        if self.network:
            raise ConfigError(
                "network=True is not supported: sandboxed code never gets a network. "
                "Serve what the program needs through `files=` or stdin instead."
            )


@dataclass(frozen=True)
class Language:
    """How to run a source file. ``command(python, path)`` returns the argv that runs ``path``.

    ``python`` is the interpreter's path as the sandboxed process sees it (the runner itself is
    Python, so every backend has one). ``in_process`` is true only for Python: the warm pool then
    runs the code in the forked interpreter instead of exec'ing ``command``. With ``confine``
    (``{"reads": ..., "source": ..., "compile_reads": ...}``) ``command`` compiles, reading only
    what ``compile_reads`` allows, and then writes the run's argv, NUL-terminated words, to fd 3;
    the runner starts it through ``_confine.py`` (see :mod:`zeroplay.sandbox.language_files`).
    """

    name: str
    source_name: str
    command: Callable[[str, str], list[str]]
    in_process: bool = False
    confine: dict[str, str] | None = None


PYTHON = Language("python", "main.py", lambda python, path: [python, "-S", "-I", path], in_process=True)

_LANGUAGES: dict[str, Language] = {"python": PYTHON}


def register_language(language: Language) -> None:
    """Make ``language`` usable as ``Program(..., language=language.name)`` in every backend."""
    if language.name in _LANGUAGES and _LANGUAGES[language.name] is not language:
        raise ConfigError(f"A sandbox language named {language.name!r} is already registered")
    _LANGUAGES[language.name] = language


def get_language(name: str) -> Language:
    """The language ``name``: registered in code, or described by a shipped language file
    (``zeroplay/sandbox/languages/NAME.yaml``, loaded on first use)."""
    if name not in _LANGUAGES:
        from zeroplay.sandbox.language_files import load_shipped, shipped_names

        if isinstance(name, str) and load_shipped(name) is None:
            raise UnknownIdError("sandbox language", name, sorted({*_LANGUAGES, *shipped_names()}))
    try:
        return _LANGUAGES[name]
    except (KeyError, TypeError):
        raise UnknownIdError("sandbox language", str(name), _LANGUAGES) from None


def languages() -> list[str]:
    """Every language a Program may name: registered ones and the shipped language files."""
    from zeroplay.sandbox.language_files import shipped_names

    return sorted({*_LANGUAGES, *shipped_names()})


@dataclass(frozen=True)
class Subject:
    """Untrusted Python code that runs in a process of its own beside a trusted judge program.

    A :class:`Program` with a ``subject`` is a *split job*: the program's ``code`` is the judge
    (trusted: ours), ``subject.code`` is the untrusted code it examines (a model's solution, a
    proposed task program, a synthesized environment). Both run inside the same sandbox and
    under the same limits, but in two processes forked from a process that never held job data:
    the judge alone holds the program's stdin, stdout and files; the subject holds only its own
    code and one end of a socket, over which the judge calls it (``import _zp_subject`` in the
    judge; see :mod:`zeroplay.sandbox.subject` for the protocol and the threat model).

    ``setup`` is trusted Python that runs in the subject's process before ``code``: it may define
    functions the judge calls as ``"@name"`` and a ``load(code) -> dict`` that loads the code
    (default: ``exec`` as a module named ``solution``). Once ``code`` runs, the subject's whole
    process is the code's to change, setup included: nothing in it is trusted or secret.

    ``confined=True`` also denies the subject's process (by seccomp, before ``setup`` runs) starting
    programs (``execve``), installing signal handlers (``rt_sigaction``), making a memory file
    (``memfd_create``) or a file node (``mknod``): for a setup that guards the code from inside its
    process, which a started program would leave behind, a signal handler (handed the running frame)
    could reach into, and native code loaded from a file of the program's could switch off.
    """

    code: str
    setup: str = ""
    confined: bool = False

    def __post_init__(self) -> None:
        for name in ("code", "setup"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"A sandbox subject's {name} is a str, got {type(getattr(self, name)).__name__}")
        object.__setattr__(self, "code", utf8_safe(self.code))  # model text: see Program

    def payload(self, limits: Limits) -> bytes:
        """The JSON the subject process reads from its own fd (never seen by the judge's process)."""
        doc = {"code": self.code, "setup": self.setup, "limits": _limits_doc(limits), "confined": bool(self.confined)}
        if self.setup:  # compiled here once, so a subject on the same interpreter skips compiling it (ms per job)
            doc["setup_code"], doc["cache_tag"] = _compiled_setup(self.setup)
        return json.dumps(doc).encode()


@dataclass(frozen=True)
class Program:
    """One run: source ``code``, its ``stdin``, extra ``files`` (relative path -> text or bytes)
    written to the work dir before it starts, and ``argv`` (``sys.argv[1:]``).

    With ``subject`` (Python only) the run is a split job: ``code`` is a trusted judge and the
    subject's code runs in a separate process it calls (see :class:`Subject`).

    The caller's mistakes are raised here, at construction, before any job starts: a wrong type
    (``files`` not a mapping of str to str/bytes, ``argv`` a single str) is a TypeError; a file
    name that is not a relative path to a file inside the work dir (empty, absolute, ``..``,
    ``.``, a trailing ``/``, NUL, a lone surrogate, a name that is also another file's
    directory) is a ConfigError. Files and code that cannot fit the sandbox's ``disk_mb`` are a
    ConfigError when a :class:`~zeroplay.sandbox.Sandbox` is asked to run them (:meth:`check_fits`).

    Text is sent to the sandbox as UTF-8, which cannot hold a lone surrogate (``"\\ud800"``, what a
    JSON ``\\ud800`` escape decodes to). Code, stdin, text files, argv and a subject's code are
    often a model's output, which is hostile input that must still be run and scored, so each
    surrogate in them is replaced by U+FFFD (what a UTF-8 decoder gives for bytes it cannot
    decode) rather than refused: the program sees U+FFFD where the text had a surrogate.
    """

    code: str
    stdin: str = ""
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    argv: Sequence[str] = ()
    language: str = "python"
    subject: Subject | None = None

    def __post_init__(self) -> None:
        for name in ("code", "stdin"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"A sandbox program's {name} is a str, got {type(getattr(self, name)).__name__}")
            object.__setattr__(self, name, utf8_safe(getattr(self, name)))
        object.__setattr__(self, "files", _checked_files(self.files))
        object.__setattr__(self, "argv", _checked_argv(self.argv))
        if self.subject is not None:
            if not isinstance(self.subject, Subject):
                raise TypeError(f"A sandbox program's subject is a sandbox.Subject, got {type(self.subject).__name__}")
            if not get_language(self.language).in_process:
                raise ConfigError(f"A split job's judge must be Python; got language {self.language!r}")

    @classmethod
    def coerce(cls, item: str | Program) -> Program:
        if isinstance(item, Program):
            return item
        if isinstance(item, str):
            return cls(item)
        raise TypeError(f"A sandbox program is a str of code or a sandbox.Program, got {type(item).__name__}")

    def check_fits(self, limits: Limits) -> None:
        """ConfigError when the files and code cannot fit the work dir (``limits.disk_mb``): tmpfs
        gives each non-empty file whole pages, so many small files take more than their bytes."""
        budget = limits.disk_mb << 20
        used = sum(_pages(data) for data in (self.code, *self.files.values())) * _PAGE
        if used > budget:
            raise ConfigError(
                f"The program's files and code take {used / (1 << 20):.1f} MiB of the sandbox's work dir "
                f"(each non-empty file at least one {_PAGE // 1024} KiB page), more than disk_mb={limits.disk_mb}: "
                "raise disk_mb or send fewer or smaller files"
            )

    def payload(self, limits: Limits, python: str) -> bytes:
        """The JSON the in-sandbox runner reads from its stdin (see ``_runner.py``)."""
        lang = get_language(self.language)
        files = {
            name: ({"b64": _b64(data)} if isinstance(data, bytes) else {"text": data}) for name, data in self.files.items()
        }
        doc = {
            "code": self.code,
            "stdin": self.stdin,
            "files": files,
            "argv": list(self.argv),
            "source_name": lang.source_name,
            "in_process": lang.in_process,
            "command": lang.command(python, lang.source_name),
            "confine": lang.confine,
            "limits": _limits_doc(limits),
        }
        return json.dumps(doc).encode()


@functools.lru_cache(maxsize=32)
def _compiled_setup(setup: str) -> tuple[str, str]:
    """A subject's trusted ``setup`` compiled and marshalled (base64), and the interpreter's cache tag: a
    subject running the same interpreter loads it instead of compiling the text (see ``_serve_subject``)."""
    import base64
    import marshal
    import sys

    code = compile(setup, "setup.py", "exec", dont_inherit=True)
    return base64.b64encode(marshal.dumps(code)).decode("ascii"), str(sys.implementation.cache_tag)


def _limits_doc(limits: Limits) -> dict[str, int]:
    """The rlimits the in-sandbox runner applies to each process of a job."""
    return {
        "cpu_s": int(limits.timeout_s) + 1,
        "memory_bytes": limits.memory_mb << 20,
        "nproc": limits.max_processes,
        "nofile": limits.max_open_files,
        "fsize": limits.disk_mb << 20,
    }


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


_SURROGATE = re.compile("[\ud800-\udfff]")
_PAGE = 4096  # tmpfs allocates files in pages (the sandbox's kernel is the host's)
_NAME_MAX, _PATH_MAX = 255, 4000  # bytes of one path component, of the whole name


def utf8_safe(text: str) -> str:
    """``text`` with every surrogate code point (which UTF-8 cannot encode) replaced by U+FFFD."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub("\ufffd", text)


def _pages(data: str | bytes) -> int:
    size = len(data) if isinstance(data, bytes) or data.isascii() else len(data.encode("utf-8"))
    return -(-size // _PAGE)


def _checked_files(files: object) -> dict[str, str | bytes]:
    """``files`` as a plain dict with UTF-8-safe text; TypeError or ConfigError for the caller's mistakes."""
    if not isinstance(files, Mapping):
        raise TypeError(f"A sandbox program's files is a mapping of file name to str or bytes, "
                        f"got {type(files).__name__}")
    checked: dict[str, str | bytes] = {}
    for name, data in files.items():
        if not isinstance(name, str):
            raise TypeError(f"A sandbox file name is a str, got {type(name).__name__} ({name!r})")
        if not isinstance(data, (str, bytes)):
            raise TypeError(f"Sandbox file {name!r} must hold str or bytes, got {type(data).__name__}")
        _check_relative(name)
        checked[name] = utf8_safe(data) if isinstance(data, str) else data
    _check_no_clash(checked)
    return checked


def _check_relative(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    why = ""
    if not name or name.startswith("/") or ".." in parts:
        why = "it must be a relative path inside the work dir"
    elif parts[-1] in ("", "."):
        why = "it names a directory, not a file"
    elif "\0" in name or _SURROGATE.search(name):
        why = "it holds a NUL or a lone surrogate"
    elif len(name.encode()) > _PATH_MAX or any(len(p.encode()) > _NAME_MAX for p in parts):
        why = f"it is too long (at most {_NAME_MAX} bytes a component, {_PATH_MAX} in all)"
    if why:
        raise ConfigError(f"Bad sandbox file name {name!r}: {why}; use a path such as 'data/in.txt'")


def _check_no_clash(files: Mapping[str, object]) -> None:
    """Two names for one file, or a file that another name needs as a directory."""
    paths: dict[str, str] = {}
    for name in files:
        path = posixpath.normpath(name)
        if path in paths:
            raise ConfigError(f"Sandbox file names {paths[path]!r} and {name!r} name the same file; keep one")
        paths[path] = name
    for path, name in paths.items():
        parent = posixpath.dirname(path)
        while parent:
            if parent in paths:
                raise ConfigError(f"Sandbox file {paths[parent]!r} is also the directory of {name!r}; rename one")
            parent = posixpath.dirname(parent)


def _checked_argv(argv: object) -> tuple[str, ...]:
    if isinstance(argv, (str, bytes)) or not isinstance(argv, Iterable):
        raise TypeError(f"A sandbox program's argv is a list of str (sys.argv[1:]), got {type(argv).__name__}; "
                        "wrap a single argument in a list")
    return tuple(utf8_safe(str(a)) for a in argv)
