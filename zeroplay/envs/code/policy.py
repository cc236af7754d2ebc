"""Static checks on a model-written program, before it goes to the sandbox.

This is an early-rejection **filter**, not a security boundary: it turns away programs that
import ``os`` or call ``open`` so they cost no sandbox time and the proposer learns the rule.
A program that slips past it still runs only inside the sandbox, under its hard limits, and under
the run-time guard (:mod:`zeroplay.envs.code.guard`), which refuses what a program does rather than
what it names (``runtime_guard`` below).

Besides names, it reads ``from m import name`` and class patterns' keywords (``case object(os=o)``)
as attribute accesses, and refuses an attribute of an imported module that the module's own source
got by an import (``enum.bltns``, ``enum`` having done ``import builtins as bltns``), found by reading
that source, never importing it (:func:`module_bindings`).

It is also the first guard against a task whose output follows a *coarse* clock: the proposer
env's ``determinism`` stage reruns a program a few milliseconds after its first run, so today's
weekday (``email.utils.formatdate``) or the second of ``/proc/uptime`` (``linecache``,
``codecs.open``, ``posixpath.getmtime('/proc/self')``, ``argparse``'s ``@file`` arguments) would
read the same in every rerun, while to a solver later it is a coin flip it guesses right half the
time (the proposer paid for noise). The reruns now run their clocks ahead (libfaketime and a time
namespace: :func:`zeroplay.envs.code.runner.clock_shift_for`), which catches a clock read through
any module, where the sandbox can shift them; the idle-time field of ``/proc/uptime`` and procfs
timestamps they do not move. :data:`CLOCK_AND_FILE_MODULES` and the ``open`` attribute close the
standard library's ways to a clock or a file found so far (tests/envs/code/test_determinism_attacks.py).
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import re
from dataclasses import dataclass, field
from pathlib import Path

from zeroplay.envs.code.triplet import ENTRY

#: Modules a task program may not import: system access, processes, threads, randomness,
#: time, files, network, introspection and serialization that reaches code.
DEFAULT_BANNED_MODULES: frozenset[str] = frozenset({
    "os", "sys", "subprocess", "random", "secrets", "uuid", "time", "datetime", "calendar", "sched",
    "threading", "_thread", "multiprocessing", "concurrent", "asyncio", "signal", "resource",
    "socket", "ssl", "select", "selectors", "http", "urllib", "ftplib", "smtplib", "telnetlib",
    "xmlrpc", "webbrowser", "requests", "httpx",
    "io", "pathlib", "shutil", "tempfile", "glob", "fnmatch", "fileinput", "zipfile", "tarfile",
    "gzip", "bz2", "lzma", "sqlite3", "shelve", "dbm", "mmap", "fcntl", "pty", "tty", "termios",
    "pickle", "marshal", "copyreg", "ctypes", "cffi", "importlib", "imp", "pkgutil", "runpy",
    "builtins", "gc", "inspect", "traceback", "faulthandler", "tracemalloc", "code", "codeop",
    "platform", "sysconfig", "site", "atexit", "weakref", "pdb", "posix", "nt", "pwd", "grp",
    "numpy", "torch",
    # code objects built or rewritten: dis.Bytecode(g).codeobj.replace(co_names=...) run as types.FunctionType
    # with empty globals reaches the real builtins (a red team's, through names no check reads)
    "dis", "types", "opcode",
})

#: Standard-library modules (banned with the above) that read the clock or any file by name: a
#: coarse clock keeps its value over the determinism reruns, a few ms apart, yet is noise to the
#: solver (see the module docstring). ``posixpath``/``ntpath``/``genericpath`` are ``os.path``.
CLOCK_AND_FILE_MODULES: frozenset[str] = frozenset({
    "timeit", "email", "mailbox", "logging", "profile", "cProfile", "pstats", "trace", "unittest", "doctest",
    "linecache", "warnings", "bdb", "cgitb", "pydoc", "tokenize", "tabnanny", "pyclbr", "modulefinder",
    "py_compile", "compileall", "zipimport", "zipapp", "configparser", "mimetypes", "netrc", "filecmp",
    "imghdr", "sndhdr", "posixpath", "ntpath", "genericpath", "imaplib", "poplib", "nntplib", "wsgiref",
    "lib2to3", "distutils", "ensurepip", "venv", "idlelib", "tkinter", "turtle", "turtledemo", "curses",
    "argparse", "shlex", "gettext", "mailcap", "uu", "cgi", "pipes", "asyncore", "asynchat", "smtpd",
    "socketserver",
    # a red team's second round: xml.sax.saxutils.prepare_input_source (and ElementTree.parse) open any
    # file by name, the idle time of /proc/uptime and /proc/loadavg with it (no rerun's clock moves
    # those); wave/aifc/sunau open a file by name; optparse's Values.read_file runs a file and
    # read_module imports any module by name
    "xml", "wave", "aifc", "sunau", "optparse",
})
DEFAULT_BANNED_MODULES = DEFAULT_BANNED_MODULES | CLOCK_AND_FILE_MODULES

#: Builtins a task program may not name at all: code execution, files, I/O, introspection, exiting.
DEFAULT_BANNED_NAMES: frozenset[str] = frozenset({
    "open", "exec", "eval", "compile", "__import__", "input", "breakpoint", "globals", "locals",
    "vars", "getattr", "setattr", "delattr", "exit", "quit", "help", "memoryview", "print",
})

#: Builtins a task program may not call (common words, so only calls count): ``id`` and ``hash``
#: differ between runs, ``dir`` lists internals.
DEFAULT_BANNED_CALLS: frozenset[str] = frozenset({"id", "hash", "dir"})

#: Attributes that lead from a value to frames, globals, builtins or code objects.
DEFAULT_BANNED_ATTRIBUTES: frozenset[str] = frozenset({
    "__class__", "__bases__", "__base__", "__mro__", "__subclasses__", "__globals__", "__builtins__",
    "__code__", "__closure__", "__dict__", "__import__", "__loader__", "__spec__", "__getattribute__",
    "__reduce__", "__reduce_ex__", "__func__", "__self__", "__module__", "__traceback__",
    "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "gi_frame", "gi_code", "cr_frame",
    "ag_frame", "tb_frame", "tb_next", "co_code",
    # the way from an allowed module to the interpreter's own (``typing.sys.modules['os']``)
    "modules", "attrgetter", "methodcaller",
    # a file by name through an allowed module (codecs.open, wave.open)
    "open",
    # getattr and eval in other clothes: a format field walks attributes by name, annotations given as
    # strings are evaluated (typing.get_type_hints, and singledispatch's register through it)
    "get_field", "get_type_hints", "ForwardRef", "_evaluate", "singledispatch", "singledispatchmethod",
    # the banned builtins reached as a module's attribute (enum.bltns.eval, through an alias of enum)
    "eval", "exec", "breakpoint", "globals", "locals", "vars", "getattr", "setattr", "delattr",  # (re.compile: no)
    # a Formatter subclass's convert_field receives the object a format field walked to ({0.__globals__})
    "Formatter", "convert_field", "format_field", "codeobj", "CodeType", "FunctionType",
})

#: The clock through a datetime that a parser hands back (tomllib, plistlib: ``d.now()``, ``d.today()``),
#: refused wherever ``datetime`` itself is.
CLOCK_ATTRIBUTES: frozenset[str] = frozenset({"now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp"})

#: A format field that walks a dunder attribute or key (``{0.__globals__[__builtins__]}``), in any string.
_DUNDER_FIELD = re.compile(r"\{[^{}]*__[^{}]*\}")


def _root_name(node: ast.AST) -> str | None:
    """The name an attribute chain, call or subscript starts from (``typing`` of ``typing.List[int].x``)."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the program binds itself (assigned, a parameter, a def, a class, an import, a loop target)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


@functools.lru_cache(maxsize=512)
def module_bindings(module: str, banned: frozenset[str]) -> frozenset[str]:
    """The names ``module``'s own Python source binds with ``import x [as y]`` (modules) or with
    ``from <banned module> import name`` (a clock or file function), found by reading the source, never
    by importing it (an import may have side effects); empty for a C module or one not found."""
    try:
        parts = module.split(".")
        spec = importlib.machinery.PathFinder.find_spec(parts[0])
        for part in parts[1:]:
            if spec is None or not spec.submodule_search_locations:
                return frozenset()
            spec = importlib.machinery.PathFinder.find_spec(part, list(spec.submodule_search_locations))
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return frozenset()
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, ImportError, UnicodeDecodeError):
        return frozenset()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in banned:
            names.update(alias.asname or alias.name for alias in node.names)
    return frozenset(names)


class PolicyError(ValueError):
    """A program the static check refuses; ``stage`` is ``"parse"`` or ``"banned"``."""

    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage, self.reason = stage, reason


@dataclass(frozen=True)
class CodePolicy:
    """What a task program may contain. Every list is configurable; ``extra_banned_*`` adds to the defaults.

    ``max_program_chars`` bounds the program text (longer is refused before parsing);
    ``ban_private_modules`` refuses every ``_``-prefixed module (``_io``, ``_random``...);
    ``runtime_guard`` runs the programs under the run-time guard (:mod:`zeroplay.envs.code.guard`),
    which refuses what these checks cannot see (code made at run time, files, frames...) and any
    module outside the Python library: turn it off only to allow third-party packages.
    """

    banned_modules: frozenset[str] = DEFAULT_BANNED_MODULES
    banned_names: frozenset[str] = DEFAULT_BANNED_NAMES
    banned_calls: frozenset[str] = DEFAULT_BANNED_CALLS
    banned_attributes: frozenset[str] = DEFAULT_BANNED_ATTRIBUTES
    max_program_chars: int = 6000
    extra_banned_modules: frozenset[str] = field(default_factory=frozenset)

    ban_private_modules: bool = True
    runtime_guard: bool = True

    def modules(self) -> frozenset[str]:
        return frozenset(self.banned_modules) | frozenset(self.extra_banned_modules)

    def _module_banned(self, name: str, modules: frozenset[str]) -> bool:
        top = name.split(".")[0]
        # private modules (_io, _random, _posixsubprocess, ...) are the C halves of banned ones
        return top in modules or (self.ban_private_modules and top.startswith("_"))

    def check(self, program: str) -> ast.Module:
        """The parsed program, or :class:`PolicyError` naming the stage and the offending line."""
        tree = self.parse(program)
        problem = self.find_banned(tree)
        if problem:
            raise PolicyError("banned", problem)
        return tree

    def parse(self, program: str) -> ast.Module:
        if not isinstance(program, str) or not program.strip():
            raise PolicyError("parse", "empty program: write a Python program that defines f")
        if len(program) > self.max_program_chars:
            raise PolicyError("parse", f"program is {len(program)} characters; the limit is {self.max_program_chars}")
        try:
            tree = ast.parse(program)
            # compile() (not run) catches what the parser lets through: 'return' outside a function, ...
            compile(tree, "<program>", "exec", dont_inherit=True)
        except SyntaxError as e:
            raise PolicyError("parse", f"syntax error on line {e.lineno}: {e.msg}") from None
        except (Exception, RecursionError, MemoryError) as e:  # noqa: BLE001 - nesting limits, null bytes
            raise PolicyError("parse", f"program does not parse ({type(e).__name__})") from None
        if not any(isinstance(n, ast.FunctionDef) and n.name == ENTRY for n in tree.body):
            raise PolicyError("parse", f"the program must define a top-level function `def {ENTRY}(...)`")
        return tree

    def _attribute_banned(self, name: str, modules: frozenset[str]) -> str | None:
        """Why the attribute ``name`` (``x.name``, ``from m import name``, ``case C(name=...)``) is banned."""
        if name in self.banned_attributes or name.startswith("__"):
            return f"access to banned attribute {name!r}"
        if name in modules:  # an allowed module re-exports the banned ones it imported (typing.sys, functools.os...)
            return f"access to banned module {name!r} through an attribute"
        return None

    def find_banned(self, tree: ast.AST) -> str | None:
        """A description of the first banned construct in ``tree``, or None."""
        modules = self.modules()
        imported: dict[str, str] = {}  # a name the program binds to a module -> that module
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if self._module_banned(alias.name, modules):
                        return f"line {node.lineno}: import of banned module {alias.name!r}"
                    bound = alias.asname or alias.name.split(".")[0]
                    imported[bound] = alias.name if alias.asname else bound
        attribute_of = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        bound = _bound_names(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Name) and node.id in imported and isinstance(node.ctx, ast.Load)
                    and id(node) not in attribute_of):  # m = enum; m.bltns: the checks below read enum.<name> only
                return (f"line {node.lineno}: the module {node.id!r} is used other than as {node.id}.<name> "
                        "(bound to another name, passed or stored, its attributes escape the checks)")
            if (isinstance(node, ast.Name) and node.id in self.banned_calls and isinstance(node.ctx, ast.Load)
                    and node.id not in bound):  # map(id, [f]) calls it all the same
                return f"line {node.lineno}: use of banned function {node.id!r}"
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and self._whole(imported.get(_root_name(node.value) or ""), modules) is False):
                return f"line {node.lineno}: {_root_name(node.value)}...{node.attr} is private to its module"
            if isinstance(node, ast.Attribute) and node.attr in CLOCK_ATTRIBUTES and "datetime" in modules:
                return f"line {node.lineno}: {node.attr} reads the clock"
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    return f"line {node.lineno}: relative imports are not allowed"
                if self._module_banned(node.module or "", modules):
                    return f"line {node.lineno}: import from banned module {node.module!r}"
                for alias in node.names:  # from m import name is m.name
                    why = ("a star import hides what it takes" if alias.name == "*" else
                           f"{node.module}.{alias.name} is private to its module"
                           if alias.name.startswith("_") and self._whole(node.module, modules) is False else
                           self._attribute_banned(alias.name, modules)
                           or self._imported_module(node.module, alias.name))
                    if why:
                        return f"line {node.lineno}: {why}"
            elif isinstance(node, ast.MatchClass):  # case object(os=o) reads the attribute os
                for name in node.kwd_attrs:
                    why = self._attribute_banned(name, modules) or next(
                        (w for w in (self._imported_module(m, name) for m in set(imported.values())) if w), None)
                    if why:
                        return f"line {node.lineno}: {why} (in a class pattern)"
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported
                  and (why := self._imported_module(imported[node.value.id], node.attr))):
                return f"line {node.lineno}: {why}"
            elif isinstance(node, ast.Name) and (node.id in self.banned_names or node.id.startswith("__")):
                if node.id != "__name__":
                    return f"line {node.lineno}: use of banned name {node.id!r}"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.banned_calls:
                return f"line {node.lineno}: call of banned function {node.func.id!r}"
            elif isinstance(node, ast.Attribute) and (node.attr in self.banned_attributes or node.attr in modules):
                return f"line {node.lineno}: {self._attribute_banned(node.attr, modules)}"
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _DUNDER_FIELD.search(node.value):
                return (f"line {node.lineno}: a format field that walks a dunder name "
                        f"({_DUNDER_FIELD.search(node.value).group()[:40]!r}): str.format reads attributes by name")
        return None

    @staticmethod
    def _whole(module: str | None, banned: frozenset[str]) -> bool | None:
        """None when ``module`` is no module of the program's; True when this policy allows whole a module the
        defaults ban (``os`` for a permissive one: its private names too); else False (``typing._eval_type`` and
        ``dataclasses._create_fn`` eval and exec with the real builtins: a module's private names are refused)."""
        if not module:
            return None
        root = module.split(".")[0]
        return root in DEFAULT_BANNED_MODULES and root not in banned

    def _imported_module(self, module: str | None, name: str) -> str | None:
        """Why ``module.name`` is banned when ``module``'s own source binds ``name`` with an import
        statement to a module or to a banned module's function (``enum`` does ``import builtins as
        bltns``: ``enum.bltns.eval``), else None."""
        if not module or module.split(".")[0] in DEFAULT_BANNED_MODULES:
            return None  # a module the defaults ban that this policy allows (os, for a permissive one) comes whole
        if name in module_bindings(module, self.modules()):
            return f"{module}.{name} is what {module} imported, not its own: import what you need yourself"
        return None
