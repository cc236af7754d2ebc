"""Sandbox languages described by small YAML files: adding a language needs no code.

A language file names the file the source is written to, an optional compile command, the run
command, the limits a run gets, and how prompts and answers name the language::

    name: ocaml                      # the id: Program(..., language="ocaml"), CodeIO-v0(language=...)
    title: OCaml                     # how a prompt names it
    fences: [ocaml, ml]              # fence labels that mark an answer's code block as this language
    file: main.ml                    # the source's file name in the work dir
    compile: ocamlopt -w -a {file} -o main     # optional; a shell command run before `run`
    run: ./main                      # a shell command; one line is exec'd with the program's argv
    timeout_s: 10                    # default wall time of one run, the compiler's time included
    memory_mb: 1024                  # default address space of each process, the compiler's too
    requires: [ocamlopt]             # programs that must be installed (checked before each run)
    debian: [ocaml-nox]              # Debian packages that provide them (named when one is missing)
    spawn: false                     # the program may not start processes or threads (default)
    reads: []                        # more paths the program may read (or `any`; see below)
    compile_reads: [ocamlopt, /usr/lib/ocaml, gcc, as, ld, ...]  # what the compile step may read (below)

``{file}`` in ``compile`` and ``run`` becomes the file name, ``{python}`` the sandbox's Python.
Shipped files live in ``zeroplay/sandbox/languages/`` (Python, Lua, OCaml, Fortran, R) and load on
first use; :func:`load_languages` adds a file or a folder of them. Where a config names a language
(``CodeIO-v0``'s ``language``, the code verifier's ``language`` and a code reference's), the path of a
``.yaml``/``.yml`` file works too (:func:`resolve_language`: relative to the working directory): the
file is loaded and its ``name`` used, so ``--set rlvr.env_kwargs.language=cobol.yaml`` adds COBOL
from the command line. Only trusted text may name a file this way (configs, env kwargs, task
references), never a model's output: nothing reads a language name from a response. A bad file is a
:class:`~zeroplay.core.errors.ConfigError` naming the file and the field. A file may not take a
shipped language's name (its fences, limits and toolchain would silently replace the shipped
ones) unless it says ``replaces_shipped: true``, and is then loaded before anything uses that name.

Limits: ``timeout_s`` and ``memory_mb`` are the language's *defaults*: the code verifier and
``CodeIO-v0`` build their sandbox with them unless given limits of their own. A
:class:`~zeroplay.sandbox.Sandbox` you build runs every program, in any language, under its own
limits (one sandbox has one set of limits for all its workers).

A missing tool of ``requires`` is found inside the sandbox before the compile step: the run ends
with status ``error``, exit code :data:`START_ERROR_EXIT` and a one-line message naming the tool
and the ``debian`` packages, never as a compile error of the program. :func:`available` checks
the same on the host.

Guarantees: compile and run happen in one sandbox job, under the job's limits (the compiler's
time and memory count); the compiler reads no stdin (the program gets all of it) and its output
never reaches the program's stdout. A failed compile exits with :data:`COMPILE_ERROR_EXIT` after
writing :data:`COMPILE_ERROR_MARK` and the first :data:`COMPILE_LOG_BYTES` bytes of the compiler's
output to stderr (:func:`compile_error`). Without ``spawn: true`` the program runs under
RLIMIT_NPROC 1 (set after the compile step, before the exec), so it cannot start a process or a
thread: a Lua answer cannot hand its work to the Python or the shell every sandbox holds
(``os.execute``, ``io.popen``, ``system()``, ``execute_command_line``). Without ``spawn: true`` it
is also confined to itself (``_confine.py`` starts it): it cannot ``execve`` another program
without a fork either (a foreign-function call from Fortran's ``bind(C)`` or OCaml's
``external``), and, where the kernel has Landlock, it may read only the work dir, its own
executable and the shared libraries it links, what its file's ``reads`` lists, and common data
(locales, time zones, ``/proc``): so it cannot ``dlopen`` another runtime's library
(``libpython3.so``) either (R reads only R's own tree this way). ``reads: any`` keeps the exec
limit and drops the read limit. The run may not execute the answer's own file when it starts with
``#!`` (its ``#!`` line would choose the interpreter).

The compile step reads only what ``compile_reads`` lists (where the kernel has Landlock; without
``spawn``): besides that, the work dir and common data. Else a compiler could put another runtime
into the program: gcc's ``.incbin`` (or ``#embed``) of libpython, which the program writes to the
work dir and loads as its own code, so Python computes a C answer. A compile of simple commands
(words only, joined by ``&&``: :attr:`LanguageSpec.compiles_alone`) is started by the runner
itself, without the shell; a compile with shell syntax runs in the job's ``/bin/sh`` script, which
may also read ``/bin/sh``, ``head`` and ``grep``, and so may its compiler: a compile with shell
syntax that runs a C compiler (:data:`EMBEDDING_COMPILERS`) is refused at load, since gcc could
``.incbin`` dash, which the program loads as a library and runs a shell script with. A list that
names ``sh`` (ocamlopt runs gcc through ``Sys.command``) is fine only for a compiler that cannot
embed a file. Entries are absolute paths (a
directory: all beneath it; ``*`` patterns allowed) and program names found on PATH; a listed
program or shared library brings the libraries it loads. A file outside the list cannot be opened
("Permission denied"; gcc's assembler says "file not found"), and the compile error then says so
(:data:`COMPILE_DENIED_HINT`). ``compile_reads: any`` lifts the limit; unset, it is ``any``, except
that a file whose compile runs a C compiler or assembler (:data:`EMBEDDING_COMPILERS`) is refused
until it says which. The shipped files list their toolchains. A C language on Debian/Ubuntu x86_64
(tests/sandbox/conftest.py's) reads::

    name: c
    file: main.c
    compile: gcc -O1 -o main {file} -lm
    run: ./main
    compile_reads:
      - gcc                                # the driver, assembler and linker, with their libraries
      - as
      - ld
      - /usr/lib/gcc                       # cc1, collect2, crtbegin*.o, libgcc, gcc's own headers
      - /usr/lib/gcc/*/*/cc1               # named again, so the libraries cc1 loads come too
      - /usr/libexec/gcc                   # where other distributions keep cc1 and collect2
      - /usr/libexec/gcc/*/*/cc1
      - /usr/include
      - /usr/lib/x86_64-linux-gnu/Scrt1.o  # start files (Scrt1 for the default PIE)
      - /usr/lib/x86_64-linux-gnu/crt1.o
      - /usr/lib/x86_64-linux-gnu/crti.o
      - /usr/lib/x86_64-linux-gnu/crtn.o
      - /usr/lib/x86_64-linux-gnu/libc.so  # a linker script, and what it and libm.so name
      - /usr/lib/x86_64-linux-gnu/libc_nonshared.a
      - /usr/lib/x86_64-linux-gnu/libm.so
      - /usr/lib/x86_64-linux-gnu/libm.so.6
      - /usr/lib/x86_64-linux-gnu/libmvec.so.1
      - /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
      - /usr/lib/x86_64-linux-gnu/gconv    # character sets

Name files in ``/usr/lib/x86_64-linux-gnu``, never the folder: libpython and other runtimes live
there. A link is allowed by what it points to, not by where it is (a symlink in the work dir to
libpython is refused too), so list a link's target (``/usr/lib/gcc/*/*/libgfortran.so``, a file
entry, brings it).

Not guaranteed: that a program cannot pose as a failed compile by writing the same (it only fails
that way); the read limits, the run's and the compile's, on a kernel without Landlock (they are
skipped); that a compiler cannot embed what its ``compile_reads`` list holds; that a ``spawn``
language's compile reads only its toolchain (its program may start any program anyway); that a
toolchain works inside the ``namespace``/``pool`` sandbox, which shows only /usr, /lib* and /bin
of the host (tools that read /etc, such as ``ocamlfind`` or Debian's R through /etc/alternatives,
need workarounds in their file). Python stays the built-in in-process language; its file sets only
its prompt name, fences and limits.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zeroplay.core.errors import ConfigError, field_problem
# A failed compile's exit code (COMPILE_ERROR_EXIT) and report: its first line (COMPILE_ERROR_MARK), the hint
# where a read was refused (COMPILE_DENIED_HINT), how much of the compiler's output follows (COMPILE_LOG_BYTES).
# _confine.py defines them: it reports a compile it runs itself (compile_alone) the same way as the job's script.
from zeroplay.sandbox._confine import COMPILE_DENIED_HINT, COMPILE_ERROR_EXIT, COMPILE_ERROR_MARK, COMPILE_LOG_BYTES
from zeroplay.sandbox._confine import COMPILE_LOG as _COMPILE_LOG
from zeroplay.sandbox.spec import PYTHON, Language

#: Where the shipped language files are.
SHIPPED = Path(__file__).with_name("languages")
#: Exit code of a job whose toolchain is missing (the same as ``_confine.py``'s for a program it cannot start).
START_ERROR_EXIT = 96
#: Compilers that can put any file they read into the program (``.incbin``, ``#embed``,
#: ``#include``, ``include_bytes!``, ``staticRead``, Template Haskell): a language whose compile runs
#: one must set ``compile_reads``. gfortran (``include`` reads Fortran source only) and ocamlopt (no
#: inline assembly; external names are escaped) are not among them.
EMBEDDING_COMPILERS = ("gcc", "g++", "cc", "c++", "c89", "c99", "cpp", "clang", "clang++", "tcc", "icc", "icx",
                       "as", "gas", "nasm", "yasm", "zig", "rustc", "cargo", "nim", "ghc", "crystal")
_EMBEDDER = re.compile(r"^([a-z0-9_]+-)*(" + "|".join(map(re.escape, EMBEDDING_COMPILERS)) + r")(-[0-9.]+)?$")
#: A word of a simple compile command (run without the shell): no quotes, no shell syntax.
_SIMPLE_WORD = re.compile(r"^(?:[A-Za-z0-9_./+=,:@%-]|\{file\})+$")
_PROGRAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_+-]{0,31}$")
_FILE = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,63}$")  # it is pasted into shell commands


class LanguageSpec(BaseModel):
    """One language file, validated (unknown fields are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """The language's id (lower case letters, digits, ``_+-``; starts with a letter)."""
    title: str = ""
    """How a prompt names the language (default: ``name``)."""
    fences: tuple[str, ...] = ()
    """Fence labels that mark a code block as this language, lower case (default: ``[name]``)."""
    file: str
    """File name the source is written to in the work dir (no directories)."""
    compile: str | None = None
    """Shell command run before ``run`` (stdin /dev/null, output to a log); its failure is a compile error."""
    run: str
    """Shell command that runs the program; a one-line command is exec'd with the program's argv."""
    timeout_s: float = Field(5.0, gt=0, le=600)
    """Default wall time of one run, compile included, in seconds (the code verifier's and CodeIO's;
    a Sandbox applies its own ``timeout_s``)."""
    memory_mb: int = Field(512, ge=32, le=65536)
    """Default address-space limit of each process of a run (the compiler's too), in MiB (the code
    verifier's and CodeIO's; a Sandbox applies its own ``memory_mb``)."""
    requires: tuple[str, ...] = ()
    """Programs (names on PATH or absolute paths) the language needs; each run checks them first,
    :func:`available` on the host."""
    debian: tuple[str, ...] = ()
    """Debian packages that provide ``requires`` (named in the message when they are missing)."""
    replaces_shipped: bool = False
    """True only in a file that takes a shipped language's name (lua, python, ...) on purpose, to be
    used instead of the shipped file; it must be loaded before anything uses that language."""
    spawn: bool = False
    """Whether the program may start processes and threads. False: it runs under RLIMIT_NPROC 1, so
    it cannot run another interpreter for its answer; a runtime that needs threads (the JVM, Go,
    Node) or a multi-line ``run`` needs ``true``."""
    reads: tuple[str, ...] | Literal["any"] = ()
    """Without ``spawn``: absolute paths (files or directories) the program may read besides the
    work dir, its executable, its shared libraries and common data; ``any`` lifts the read limit."""
    compile_reads: tuple[str, ...] | Literal["any"] | None = None
    """Without ``spawn``: what the compile step may read besides the work dir, ``/bin/sh`` and common
    data: absolute paths (files, directories, ``*`` patterns) and program names (found on PATH); a
    program or shared library brings the libraries it loads. ``any`` lifts the limit. Unset: ``any``,
    except for a compile that runs a C compiler or assembler (:data:`EMBEDDING_COMPILERS`), which must
    say (it can embed any file it reads into the program)."""

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"{v!r} is not a language id: lower case letters, digits and _+- , starting with a letter")
        return v

    @field_validator("file")
    @classmethod
    def _file_ok(cls, v: str) -> str:
        if not _FILE.match(v):
            raise ValueError(f"{v!r} must be a plain file name such as main.lua (letters, digits, _.+-; "
                             "no directories, not hidden)")
        return v

    @field_validator("run", "compile")
    @classmethod
    def _command_ok(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must be a non-empty shell command")
        if v is not None and "\0" in v:
            raise ValueError("must not hold NUL bytes")
        return v

    @model_validator(mode="after")
    def _one_line_run_without_spawn(self) -> LanguageSpec:
        if not self.spawn and "\n" in self.run.strip() and self.name != "python":
            raise ValueError("run: a multi-line run starts processes of its own; make it one line "
                             "(put the setup in compile) or set spawn: true")
        return self

    @field_validator("reads")
    @classmethod
    def _reads_ok(cls, v: tuple[str, ...] | str) -> tuple[str, ...] | str:
        for path in () if v == "any" else v:
            if not path.startswith("/") or ":" in path or "\0" in path:
                raise ValueError(f"{path!r}: each entry must be an absolute path without ':' (or write reads: any)")
        return v

    @field_validator("compile_reads")
    @classmethod
    def _compile_reads_ok(cls, v: tuple[str, ...] | str | None) -> tuple[str, ...] | str | None:
        for entry in () if v in (None, "any") else v:
            if not (entry.startswith("/") or _PROGRAM.match(entry)) or ":" in entry or "\0" in entry:
                raise ValueError(f"{entry!r}: each entry must be an absolute path without ':' or a program name "
                                 "such as gcc (or write compile_reads: any)")
        return v

    @model_validator(mode="after")
    def _compile_reads_said_for_embedding_compilers(self) -> LanguageSpec:
        compiler = None if self.spawn or self.compile_reads is not None else embedding_compiler(self.compile)
        if compiler:
            raise ValueError(
                f"compile runs {compiler}, which can embed any file it can read into the program (.incbin, "
                "#embed, #include), so an answer could carry another language's runtime; list what the compile "
                "may read (compile_reads: [gcc, as, ld, /usr/lib/gcc, /usr/include, ...]: see "
                "zeroplay.sandbox.language_files) or accept the risk with compile_reads: any")
        compiler = None if self.spawn or self.compile_reads in (None, "any") else embedding_compiler(self.compile)
        if compiler and not self.compiles_alone:
            raise ValueError(
                f"compile runs {compiler} through the shell (it has shell syntax: quotes, ;, |, $, {{python}}, "
                "several lines), so the compiler could read and embed /bin/sh, an interpreter; make it simple "
                "commands (words only, joined by &&: gcc -O1 -o main {file} -lm), which start without the shell")
        return self

    @field_validator("fences")
    @classmethod
    def _fences_lower(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f.lower() for f in v)

    @property
    def compiles_alone(self) -> bool:
        """Whether the runner starts the compile commands itself, without ``/bin/sh`` (so the compiler
        cannot read the shell): a non-``spawn`` language with ``compile_reads`` listed whose compile is
        simple commands joined by ``&&`` (words of letters, digits, ``_./+=,:@%-`` and ``{file}``)."""
        if self.spawn or self.compile_reads in (None, "any") or "\n" in (self.compile or "\n").strip():
            return False
        commands = [c.split() for c in f" {self.compile} ".split(" && ")]
        return all(words and "=" not in words[0] and all(_SIMPLE_WORD.match(w) for w in words) for words in commands)

    @property
    def prompt_name(self) -> str:
        return self.title or self.name

    @property
    def fence_labels(self) -> frozenset[str]:
        return frozenset(self.fences or (self.name,))

    def script(self, python: str) -> str:
        """The /bin/sh script one job runs: the compile step (if any, unless :attr:`compiles_alone`:
        the runner then compiles after the script), then the program (its words back to the runner)."""
        def fill(command: str) -> str:  # plain replacement: shell braces (${VAR}) stay as they are
            return command.strip().replace("{file}", self.file).replace("{python}", python)

        lines = [self._requires_check()] if self.requires else []
        if self.compile and not self.compiles_alone:  # else the runner compiles, without the shell, after it
            # fd 3 (the runner's pipe for the run's argv) is closed for the compile step
            denied = ""
            if not self.spawn and self.compile_reads not in (None, "any"):  # a denied read is EACCES
                denied = (f"grep -q -e 'Permission denied' -e 'file not found' {_COMPILE_LOG} && "
                          f"echo {shlex.quote(COMPILE_DENIED_HINT)} >&2; ")
            lines.append(
                f"if ! ( {fill(self.compile)}\n) </dev/null >{_COMPILE_LOG} 2>&1 3>&-; then "
                f"echo '{COMPILE_ERROR_MARK}' >&2; {denied}head -c {COMPILE_LOG_BYTES} {_COMPILE_LOG} >&2; "
                f"exit {COMPILE_ERROR_EXIT}; fi"
            )
        run = fill(self.run)
        if self.spawn:
            lines.append(f'exec {run} "$@"' if "\n" not in run else run)
        else:  # one line (a validator checks): its words go back to the runner, which confines and execs them
            lines.append(f"printf '%s\\0' {run} \"$@\" >&3")
        return "\n".join(lines) + "\n"

    @property
    def install_hint(self) -> str:
        """How to install the toolchain: ``apt-get install`` of its ``debian`` packages, when it names them."""
        return f"apt-get install {' '.join(self.debian)}" if self.debian else "install it"

    def _requires_check(self) -> str:
        """A /bin/sh line that ends the job (exit :data:`START_ERROR_EXIT`) when a required tool is missing."""
        tools = " ".join(shlex.quote(t) for t in self.requires)
        message = shlex.quote(f" is not installed in the sandbox; {self.prompt_name} needs it: {self.install_hint}")
        return (f'for t in {tools}; do command -v "$t" >/dev/null 2>&1 || {{ '
                f'echo "zeroplay: cannot start the program: $t"{message} >&2; exit {START_ERROR_EXIT}; }}; done')

    def language(self) -> Language:
        """The sandbox :class:`Language` this file describes (Python: the built-in one)."""
        if self.name == "python":
            return PYTHON
        compile_reads = "any" if self.compile is None or self.compile_reads is None else _joined(self.compile_reads)
        confine = None if self.spawn else {"reads": _joined(self.reads), "source": self.file,
                                           "compile_reads": compile_reads}
        if confine is not None and self.compiles_alone:
            confine["compile"] = " && ".join(" ".join(c.split()) for c in f" {self.compile} ".split(" && ")).replace(
                "{file}", self.file)
        return Language(self.name, self.file, lambda python, path: ["/bin/sh", "-c", self.script(python), self.name],
                        confine=confine)


def _joined(entries: tuple[str, ...] | str) -> str:
    """A ``reads``/``compile_reads`` value as ``_confine.py`` takes it: ``any``, or ``:``-separated entries."""
    return entries if entries == "any" else ":".join(entries)


def embedding_compiler(command: str | None) -> str | None:
    """The first word of ``command`` that names a C-family compiler or an assembler
    (:data:`EMBEDDING_COMPILERS`, also with a target prefix or version suffix: ``x86_64-linux-gnu-gcc-12``),
    or None."""
    for word in re.split(r"[\s;&|()<>`'\"]+", command or ""):
        name = word.rpartition("/")[2]
        if _EMBEDDER.match(name):
            return name
    return None


_SPECS: dict[str, LanguageSpec] = {}


def parse_language_file(path: str | Path) -> LanguageSpec:
    """Read and validate one language file; a bad file is a one-line-per-problem ConfigError."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"Cannot read language file {path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"Language file {path} is not valid YAML: {str(e).splitlines()[0]}") from None
    return spec_from_dict(data, str(path))


def spec_from_dict(data: Any, where: str = "(dict)") -> LanguageSpec:
    """Validate a language description given as a mapping."""
    if not isinstance(data, dict):
        raise ConfigError(f"Language file {where} must be a mapping of fields (name, file, run, ...), "
                          f"got {type(data).__name__}")
    try:
        spec = LanguageSpec.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_errors(e, where)) from None
    if spec.name == "python" and spec.compile:
        raise ConfigError(f"Language file {where}: python is the built-in in-process language and has no compile step")
    return spec


def _format_errors(e: ValidationError, where: str) -> str:
    known = ", ".join(LanguageSpec.model_fields)
    problems = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            problems.append(f"{loc}: unknown field (known: {known})")
        elif err["type"] == "missing":
            problems.append(f"{loc}: missing (every language file needs name, file and run)")
        else:
            problems.append(f"{loc}: {field_problem(err)}")
    return f"Bad language file {where}: " + "; ".join(problems)


def register_spec(spec: LanguageSpec) -> LanguageSpec:
    """Make ``spec`` usable everywhere (``Program(language=...)``, the code verifier, the envs).
    Registering the same description twice is a no-op; a different one under a taken name is an error."""
    from zeroplay.sandbox.spec import _LANGUAGES, register_language

    old = _SPECS.get(spec.name)
    if old is not None:
        if old == spec:
            return old
        raise ConfigError(f"A sandbox language named {spec.name!r} is already registered with a different description")
    if spec.name != "python":
        if spec.name in _LANGUAGES:
            raise ConfigError(f"A sandbox language named {spec.name!r} is already registered (in code)")
        register_language(spec.language())
    _SPECS[spec.name] = spec
    return spec


def load_languages(path: str | Path) -> list[LanguageSpec]:
    """Register the language file at ``path``, or every ``*.yaml``/``*.yml`` file of the folder ``path``."""
    if not isinstance(path, (str, PathLike)):
        raise TypeError(f"load_languages takes the path (str or Path) of a language file or folder, "
                        f"got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise ConfigError(f"No language files (*.yaml) in {path}")
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError(f"No language file or folder at {path}")
    specs = [parse_language_file(f) for f in files]  # all validated before any is registered
    for spec, f in zip(specs, files):
        _check_shipped_name(spec, f)
    return [register_spec(s) for s in specs]


def _check_shipped_name(spec: LanguageSpec, path: Path) -> None:
    """A user's file takes a shipped language's name only on purpose, and before that one is used."""
    if path.resolve().parent == SHIPPED.resolve():
        return
    shipped = shipped_names()
    if spec.name in shipped and not spec.replaces_shipped:
        raise ConfigError(f"Language file {path}: {spec.name!r} is a shipped language; name yours otherwise "
                          f"(e.g. {spec.name}-custom), or set replaces_shipped: true to use it instead")
    if spec.replaces_shipped and spec.name not in shipped:
        raise ConfigError(f"Language file {path}: replaces_shipped: true, but no shipped language is named "
                          f"{spec.name!r} (shipped: {', '.join(shipped)}); remove the field")
    old = _SPECS.get(spec.name)
    if spec.replaces_shipped and old is not None and old != spec:
        raise ConfigError(f"Language file {path}: the shipped {spec.name!r} is already in use in this process; "
                          "load your file before anything uses that language")


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def load_shipped(name: str) -> LanguageSpec | None:
    """Register the shipped file of ``name`` (if there is one and it is not registered yet)."""
    if name in _SPECS:
        return _SPECS[name]
    path = SHIPPED / f"{name}.yaml"
    if not _NAME.match(name) or not path.is_file():
        return None
    return register_spec(parse_language_file(path))


#: Language files loaded by path (:func:`resolve_language`): resolved path -> the language's name.
_BY_PATH: dict[str, str] = {}


def is_language_path(value: Any) -> bool:
    """Whether ``value`` names a language file (a str or path ending ``.yaml``/``.yml``), not a language id."""
    return isinstance(value, (str, PathLike)) and str(value).lower().endswith((".yaml", ".yml"))


def resolve_language(value: str | PathLike[str]) -> str:
    """The language id ``value`` stands for: ``value`` itself, or, for the path of a language file
    (``.yaml``/``.yml``, relative to the working directory), the ``name`` in that file, which is
    loaded first (:func:`load_languages`; once per process). Only trusted values may be paths
    (configs, env kwargs, task references): never a model's output."""
    if not is_language_path(value):
        return value  # type: ignore[return-value]
    path = Path(value).expanduser()
    key = str(path.resolve())
    if key not in _BY_PATH:
        if not path.is_file():
            raise ConfigError(f"No language file at {path}: give the path of an existing .yaml language file "
                              f"or a language name ({', '.join(sorted({*_SPECS, *shipped_names()}))})")
        _BY_PATH[key] = load_languages(path)[0].name
    return _BY_PATH[key]


def language_spec(name: str) -> LanguageSpec:
    """The description of language ``name`` (loading its shipped file on first use), or of the
    language file at ``name`` when it is a path (:func:`resolve_language`)."""
    name = resolve_language(name)
    spec = _SPECS.get(name) or load_shipped(name)
    if spec is None:
        from zeroplay.core.errors import UnknownIdError

        raise UnknownIdError("language file", name, sorted({*_SPECS, *shipped_names()}))
    return spec


def available(name: str) -> tuple[bool, str]:
    """(whether the toolchain of ``name`` is installed on this host, why not)."""
    spec = language_spec(name)
    missing = [p for p in spec.requires if shutil.which(p) is None]
    if not missing:
        return True, ""
    how = spec.install_hint
    if is_shipped(spec):  # setup.sh installs the toolchains of the shipped files only
        how += " (or ./setup.sh --languages)"
    return False, f"{spec.prompt_name} needs {', '.join(missing)}, not found on PATH: {how}"


def is_shipped(spec: LanguageSpec) -> bool:
    """Whether ``spec`` is the description of a shipped file (not a user's, nor one that replaces it)."""
    return spec.name in shipped_names() and not spec.replaces_shipped


def registered_specs() -> Iterable[LanguageSpec]:
    return tuple(_SPECS.values())
