"""The run-time guard of a task program: a Python audit hook in the program's own (sandboxed) process.

The static policy (:mod:`zeroplay.envs.code.policy`) reads the program's text; it is a deny-list, and
red teams kept finding routes to ``eval`` and the real builtins through names it does not read
(``typing._eval_type``, ``dataclasses._create_fn``, a ``Formatter`` subclass...). This guard watches
what the program *does* instead (:func:`sys.addaudithook`), from the moment its code starts until its
process ends, and refuses, whatever route led there:

- **code made at run time**: ``exec``/``eval`` of anything but the program itself, and code or
  function objects built from parts (``CodeType``, ``code.replace``, ``FunctionType``, assigning
  ``__code__``). Allowed: the methods that ``dataclasses`` and ``namedtuple`` write, under their real,
  unchanged globals and builtins, naming no way out (``__import__``, ``eval``...) and, for dataclasses,
  only its own vocabulary and field names that are plain identifiers. The modules
  the program imports are imported before the guard starts (:func:`preload`); a module imported later
  (lazily, by the library or the program) runs only when its code is what the library's compiled
  file for it holds, read here past the import machinery (a patched loader, a finder of the program's
  own or a forged ``co_filename`` would hand that machinery code of the program's);
- **files**: any ``open`` other than a read of the Python library's own files, and any directory
  listing other than the import path and the library's (a coarse clock hides in ``/proc/uptime``);
- **the rest of the system**: processes, sockets, ``ctypes``, ``gc`` walks, tracing, new audit hooks and
  every other audited operation that is not on the short list below. (Starting programs and signal
  handlers, which Python 3.11 does not audit, the sandbox denies this process by seccomp:
  ``Subject(confined=True)``);
- **introspection**: frames (``sys._getframe`` is taken away: namedtuple, typing and enum, its readers in
  the library, fall back without it; ``gi_frame``, ``tb_frame``... from any code), and ``__code__`` and
  ``id()`` from the program's own code; the library may use the last two for its own work
  (``copy.deepcopy`` keys its memo by ``id``);
- **unsafe modules** (:data:`UNSAFE_MODULES`: raw memory, files read by C code with no audited event,
  starting programs), under any dotted name; a program whose imports load one is refused before it runs.

Known limit: the subject is forked from the sandbox's worker, which loaded ``ctypes`` for its own
``prctl`` calls. Its modules are dropped from a confined subject (``_forget_ctypes``) and may not be
imported again, but the ``_ctypes`` base classes stay in the process and are listed by
``object.__subclasses__()``, which no audited event covers; a program that reaches them past the
static policy (which refuses ``__subclasses__`` by name) reads and writes memory, and with that it can
switch this guard off. Closing it needs a worker that never loads ``ctypes`` (its seccomp filter and
``prctl`` calls made by bubblewrap or a helper binary instead).

A second one: ``gc``'s saved garbage (``DEBUG_SAVEALL``, which no event covers) hands a program frames of
its own calls and of the subject's harness below them. The guard keeps nothing there, and no collection
(whose callbacks and finalizers are the program's code) runs while it judges, so its own frames never
reach that garbage.

A refused operation ends the process at once (``os._exit``) with the reason on its stderr, which
:func:`zeroplay.envs.code.runner.read_outcome` reports for the calls it failed: nothing the program
does afterwards can hide it. The guard is a backstop behind the static policy and the sandbox, not a
boundary of its own (no in-process Python sandbox is): it cannot see plain attribute walks or calls
of functions already loaded (``os.urandom``, ``time.time``), which is why the static policy keeps
reading names and the determinism reruns keep rerunning.

The guard keeps nothing the program can reach: its state lives in the closure of :func:`install`'s
one call (no frame of it is left, and the program cannot read frames), it reads no global name after
it starts (a setup's globals are reachable through the subject's frames), and it runs no code the
program could have changed (builtins and library functions are bound when it starts; no lookup in a
dict the program could fill with keys of its own ``__eq__``).

This file runs inside the sandbox as part of the subject's trusted set-up (see
:data:`zeroplay.envs.code.runner.SUBJECT_SETUP`), so it uses the standard library only.
"""

import gc
import keyword
import marshal
import os
import re
import sys

#: Audited events allowed from any code: compiling (harmless until run), the subject's own message
#: coding, sleeping, array construction. (An import is allowed unless of :data:`UNSAFE_MODULES`; the
#: module's code is checked when it would run.)
ALWAYS_ALLOWED = frozenset({
    "compile", "marshal.loads", "marshal.dumps", "time.sleep", "array.__new__", "sys.unraisablehook",
    "sys.excepthook", "cpython._PySys_ClearAuditHooks", "cpython.PyInterpreterState_Clear",
})

#: Audited events allowed only when the frame that raised them runs the Python library's own code
#: (``inspect`` reads ``__code__`` for a dataclass's signature, ``copy.deepcopy`` calls ``id``).
LIBRARY_ONLY = frozenset({"object.__getattr__", "object.__setattr__", "object.__delattr__", "builtins.id"})

#: Modules a guarded program may not import (nor the library for it): raw memory (``ctypes`` reads and writes
#: any object with no audited event), the interpreter's test hooks, and starting programs.
UNSAFE_MODULES = frozenset({
    "ctypes", "_ctypes", "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_xxtestfuzz",
    "_testimportmultiple", "_testclinic", "_xxsubinterpreters", "_posixsubprocess", "_lsprof", "faulthandler",
    "tracemalloc", "_tracemalloc",
    # files read or written by C code that raises no audited event
    "readline", "_dbm", "_gdbm", "dbm", "_curses", "_curses_panel", "_tkinter", "spwd", "nis", "pwd", "grp",
    "ossaudiodev", "_posixshmem", "_multiprocessing", "_ssl", "ssl",
})

#: Every name the methods that ``dataclasses`` writes may use, besides the fields' own (``a``, ``_type_a``...).
DATACLASS_NAMES = frozenset({
    "MISSING", "_HAS_DEFAULT_FACTORY", "__dataclass_builtins_object__", "__dataclass_self__", "__class__",
    "__qualname__", "__setattr__", "__delattr__", "__post_init__", "__create_fn__", "__init__", "__repr__",
    "__eq__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "_return_type", "FrozenInstanceError",
    "NotImplemented", "TypeError", "super", "type", "hash", "object", "self", "other", "cls", "name", "value",
    "BUILTINS", "__dataclass_fields__", "__dataclass_params__",
})

#: Names that code written by ``dataclasses`` never uses and a way out would: a method that names one
#: is refused, whatever wrote its source.
ESCAPE_NAMES = frozenset({
    "__import__", "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "breakpoint", "input", "__builtins__", "__globals__", "__code__", "__subclasses__", "__bases__",
    "__base__", "__mro__", "__dict__", "__loader__", "__spec__", "__closure__", "__func__", "__self__",
})

#: How a refusal ends the process: the exit status, and the head of the line written to stderr.
EXIT_STATUS = 86
REFUSAL = "zeroplay guard: refused at run time: "

_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([\w, \t]+)|import[ \t]+([\w., \t]+))",
                          re.M)


def preload(source):
    """Import what ``source`` imports (by its ``import`` lines, wherever they are), before the guard
    starts: under it a module's code may not run. Failures are left for the program to meet, but a
    program whose imports load an unsafe module (``multiprocessing.sharedctypes`` loads ``ctypes``) is
    refused here: :class:`ImportError`, before any of its code runs."""
    before = set(sys.modules)
    for frm, names, plain in _IMPORT_LINE.findall(source):
        wanted = [frm] + [f"{frm}.{n.strip()}" for n in names.split(",") if n.strip()] if frm else [
            part.split(" as ")[0].strip() for part in plain.split(",")]
        for name in wanted:
            if name and not name.startswith(".") and name.split(".")[0] not in UNSAFE_MODULES:
                try:
                    __import__(name)
                except BaseException:  # noqa: S110 - a missing name or a failing module is the program's to meet
                    pass
    unsafe = sorted(n for n in set(sys.modules) - before if n.split(".")[0] in UNSAFE_MODULES)
    if unsafe:
        raise ImportError(f"refused before the program ran: its imports load {', '.join(unsafe)} (raw memory or "
                          "another program); task programs may only compute")


def _dir_forms(path):
    """``path`` as a directory prefix, as given and with its symlinks resolved."""
    return {os.path.abspath(path).rstrip(os.sep) + os.sep, os.path.realpath(path).rstrip(os.sep) + os.sep}


def install(program_code, dataclasses_used=True):
    """Start guarding: ``program_code`` (a code object) may be run by ``exec``; every other audited
    operation is judged (see the module docstring) and a refused one ends the process.
    ``dataclasses_used=False`` skips importing :mod:`dataclasses` (10 ms) for a program that does not
    name it. Call it last, after :func:`preload`: a module imported later costs a compile of its source."""
    if dataclasses_used:
        import dataclasses  # noqa: F401  (found again in sys.modules below)
    import select

    real_field = getattr(sys.modules.get("dataclasses"), "Field", None)  # the real one: no program has run yet
    field_type = real_field if type(real_field) is type else None
    field_name = field_type.__dict__["name"].__get__ if field_type is not None else None

    library = tuple(_dir_forms(os.path.dirname(os.__file__)))
    import_path = frozenset(d for p in sys.path if type(p) is str for d in _dir_forms(p or os.getcwd()))
    packages = "-packages" + os.sep
    code_type, str_type, bytes_type, int_type, dict_type, tuple_type = (
        type(program_code), str, bytes, int, dict, tuple)
    _type, _len, _any, _all, _set, _next, _zip, _getattr = type, len, any, all, set, next, zip, getattr
    open_fd, read_fd, close_fd, loads, frozenset_type = os.open, os.read, os.close, marshal.loads, frozenset
    cache_tag, read_only = sys.implementation.cache_tag, os.O_RDONLY | os.O_CLOEXEC
    scalar_types = (str_type, bytes_type, int_type, float, complex, bool, type(None), type(...))

    def in_library(filename):
        return _type(filename) is str_type and (filename.startswith("<frozen ") or (
            filename.startswith(library) and packages not in filename))

    # the dicts of the library's modules: a frame whose globals are one of them runs library code (a program
    # cannot run code under another dict than its own: that needs exec, FunctionType or __code__), and a
    # snapshot of the ones whose code the guard lets write code (their names, builtins included, unchanged)
    library_dicts = tuple(vars(m) for m in list(sys.modules.values()) if type(getattr(m, "__file__", None)) is str
                          and in_library(m.__file__) or getattr(getattr(m, "__spec__", None), "origin", "") == "frozen")
    builtins_dict = vars(sys.modules["builtins"])
    writers = {name: vars(sys.modules[name]) for name in ("collections", "dataclasses") if name in sys.modules}
    snapshots = tuple((d, tuple(d.items())) for d in (builtins_dict, *writers.values()))
    for name in ("_getframe",):  # the library's readers of frames (namedtuple, typing, enum) do without it
        vars(sys).pop(name, None)
    always, library_only, escape_names, vocabulary = ALWAYS_ALLOWED, LIBRARY_ONLY, ESCAPE_NAMES, DATACLASS_NAMES
    unsafe_modules = UNSAFE_MODULES
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    refusal, status, write, exit_now, writable = REFUSAL, EXIT_STATUS, os.write, os._exit, select.select
    gc_enabled, gc_disable, gc_enable = gc.isenabled, gc.disable, gc.enable
    identifier, is_keyword = str.isidentifier, keyword.iskeyword
    last_library_dict = [None]

    def frames():
        me = yield  # this generator's own frame, handed in once: a local, which no frame view can change
        while True:
            yield me.f_back  # the frame that resumed this generator: the hook's

    caller_of = frames()
    _next(caller_of)
    caller_of.send(caller_of.gi_frame)
    reading = []  # the frames of the guard's own calls that raise audited events (reading f_code, a file)

    def code_of(frame):
        reading.append(_next(caller_of))  # this call's own frame
        try:
            return frame.f_code
        finally:
            reading.pop()

    def library_globals(g):
        if g is last_library_dict[0]:
            return True
        for d in library_dicts:
            if d is g:
                last_library_dict[0] = g
                return True
        return False

    def unchanged():
        """Whether the builtins and the code-writing modules hold the names they held at the start (a
        patched ``collections.str`` had namedtuple run what the program chose), compared by identity."""
        for d, items in snapshots:
            if _len(d) != _len(items):
                return False
            for (k, v), (k0, v0) in _zip(d.items(), items):
                if k is not k0 or v is not v0:
                    return False
        return True

    def plain_path(path, prefixes):
        """``path``, a plain absolute path (no ``.`` or ``..`` part), under one of ``prefixes``."""
        if _type(path) is not str_type or not path.startswith("/") or packages in path:
            return False
        if _any(part in (".", "..") for part in path.split("/")):
            return False
        return (path.rstrip("/") + "/").startswith(prefixes)

    def plain(value):
        """A constant of exact built-in types, all the way down: comparing it runs no code of the program's."""
        t = _type(value)
        if t is tuple_type or t is frozenset_type:
            return _all(plain(v) for v in value)
        return _any(t is u for u in scalar_types)

    def same_code(a, b):
        """``a`` and ``b`` compile from the same source: compared part by part, constants after :func:`plain`."""
        if _len(a.co_consts) != _len(b.co_consts):
            return False
        for x, y in _zip(a.co_consts, b.co_consts):
            if _type(x) is code_type and _type(y) is code_type:
                if not same_code(x, y):
                    return False
            elif not (plain(x) and plain(y) and _type(x) is _type(y) and x == y):
                return False
        parts = ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_name", "co_qualname",
                 "co_flags", "co_argcount", "co_kwonlyargcount", "co_posonlyargcount", "co_firstlineno",
                 "co_linetable", "co_exceptiontable", "co_stacksize", "co_nlocals")
        for part in parts:
            x, y = _getattr(a, part), _getattr(b, part)
            if not plain(x) or _type(x) is not _type(y) or x != y:
                return False
        return True

    def library_source(code):
        """Whether ``code`` is what the library's compiled file of the module it names holds: read here,
        past the import machinery (which the program may have changed, and which looks up ``_io`` and
        codecs where the program can put its own), from files no program can write. No source is compiled
        here: compiling warns through ``warnings``, which is the program's to replace."""
        path = code.co_filename
        if _type(path) is not str_type or not path.endswith(".py") or not plain_path(path, library):
            return False
        folder, _, name = path.rpartition("/")
        reading.append(_next(caller_of))  # this call's own frame: its open is the guard's
        try:
            fd = open_fd(f"{folder}/__pycache__/{name[:-3]}.{cache_tag}.pyc", read_only)
            try:
                chunks = []
                while True:
                    chunk = read_fd(fd, 1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
            finally:
                close_fd(fd)
            compiled = loads(b"".join(chunks)[16:])
        except (OSError, ValueError, EOFError, TypeError):
            return False
        finally:
            reading.pop()
        return _type(compiled) is code_type and same_code(compiled, code)

    def names_in(code):
        """Every global and attribute name that ``code`` and the code objects inside it use (None when
        one is not a plain ``str``)."""
        names, todo = _set(), [code]
        while todo:
            c = todo.pop()
            for n in c.co_names:
                if _type(n) is not str_type:
                    return None
                names.add(n)
            todo.extend(k for k in c.co_consts if _type(k) is code_type)
        return names

    def plain_fields(fields):
        """A dataclass's fields by name: every name a plain identifier, every value a real Field of that name."""
        if _type(fields) is not dict_type or field_type is None:
            return False
        for name, f in fields.items():
            if _type(name) is not str_type or not identifier(name) or is_keyword(name):
                return False
            if _type(f) is not field_type or field_name(f, field_type) != name:
                return False
        return True

    def namedtuple_new(code):
        """Whether ``code`` is exactly what namedtuple writes for ``__new__``:
        ``lambda _cls, a, b: _tuple_new(_cls, (a, b))``, with plain identifiers for names. It checks its
        field names itself, but then interns them through ``sys.intern``, which the program can replace."""
        consts = code.co_consts
        if code.co_names or _len(consts) != 1 or _type(consts[0]) is not code_type:
            return False
        new = consts[0]
        names = new.co_varnames
        return (new.co_names == ("_tuple_new",) and _all(plain(k) for k in new.co_consts)
                and new.co_argcount == _len(names) and names[:1] == ("_cls",)
                and _all(_type(n) is str_type and identifier(n) and not is_keyword(n) for n in names))

    def written_by(frame, caller, module, function):
        """Whether ``caller`` (the code of ``frame``) is ``module``'s own ``function``, running under that
        module's real, unchanged globals."""
        return (caller.co_name == function and frame.f_globals is writers.get(module)
                and frame.f_builtins is builtins_dict and unchanged())

    def exec_allowed(code, frame):
        if code is program_code:
            return True
        if _type(code) is not code_type or frame is None:
            return False
        caller = code_of(frame)
        if not in_library(caller.co_filename):
            return False
        if caller.co_filename.startswith("<frozen importlib._bootstrap"):
            return library_source(code)  # a module imported lazily, by the library or the program
        names = names_in(code)
        if names is None or escape_names & names:
            return False
        if written_by(frame, caller, "collections", "namedtuple"):
            return namedtuple_new(code)
        if written_by(frame, caller, "dataclasses", "_create_fn"):
            # dataclasses writes methods from the field names without checking them: check them here, in
            # the _process_class that called it, and the names the methods use
            f = frame.f_back  # through dataclasses' own frames (_init_fn, _hash_add...) up to _process_class
            while f is not None and f.f_globals is writers["dataclasses"] and code_of(f).co_name != "_process_class":
                f = f.f_back
            if f is None or f.f_globals is not writers["dataclasses"]:
                return False
            fields = f.f_locals.get("fields")
            if not plain_fields(fields):
                return False
            own = _set()
            for n in fields:
                own.update((n, "_type_" + n, "_dflt_" + n, "_init_" + n))
            return names <= (vocabulary | own)
        return False

    def judge(event, args, frame):
        """None when the event may happen, else what was refused."""
        if event in library_only:
            name = args[1] if event != "builtins.id" and _len(args) > 1 and _type(args[1]) is str_type else ""
            if "frame" in name:
                return f"{event} {name} (a frame)"
            if name == "__code__" and event == "object.__setattr__":
                return "setting a function's __code__"
            if frame is not None and library_globals(frame.f_globals):
                return None
            return f"{event} {name}".strip() + " from the program's own code"
        if event == "exec":
            if _len(args) and exec_allowed(args[0], frame):
                return None
            return "running code made at run time (exec, eval)"
        if event == "import":
            name = args[0] if _len(args) and _type(args[0]) is str_type else ""
            origin = args[1] if _len(args) > 1 and _type(args[1]) is str_type else ""
            # every part of the name (_imp.create_dynamic loads PyInit_<last part>), and the file's own name,
            # which must be the library's (a program's own extension from a memfd ran native code)
            parts = name.split(".") + [origin.rsplit("/", 1)[-1].split(".")[0]]
            if name and not _any(part in unsafe_modules for part in parts) and (
                    not origin or plain_path(origin, library)):
                return None
            return f"importing {name or origin} (raw memory, files, another program or a file not the library's)"
        if event == "open":
            path, mode, flags = (args + (None, None, None))[:3] if _type(args) is tuple_type else (None, None, None)
            writes = (_type(mode) is not str_type or _any(c in mode for c in "wax+")) if mode is not None else (
                _type(flags) is not int_type or flags & write_flags)
            if not writes and plain_path(path, library):
                return None
            return "opening a file" + (f" ({path[:80]})" if _type(path) is str_type else "")
        if event in ("os.listdir", "os.scandir"):
            path = args[0] if _len(args) else None
            if _type(path) is str_type and (path.rstrip("/") + "/" in import_path or plain_path(path, library)):
                return None
            return "listing a directory" + (f" ({path[:80]})" if _type(path) is str_type else "")
        if event == "sys._getframe":
            return "reading a frame (sys._getframe)"
        return f"the audited operation {event!r}"

    def hook(event, args):
        if event in always:
            return
        collecting = gc_enabled()
        gc_disable()  # no collection while judging: its callbacks and finalizers are the program's code
        try:
            frame = _next(caller_of).f_back
            if event == "builtins.id" and frame is not None and library_globals(frame.f_globals):
                return  # the hot case (copy.deepcopy calls id for every object it copies)
            if reading and frame is reading[-1] and (event == "object.__getattr__" or event == "open"):
                return  # the guard's own reading of a frame's code or of a library file
            why = judge(event, args, frame)
        except BaseException:  # fail closed (a second thread's event while one is judged lands here too)
            why = "an operation the guard could not judge"
        finally:
            if collecting:
                gc_enable()
        if why is not None:
            try:  # the reason, unless stderr would block (a pipe the program filled): never wait to end
                if writable([], [2], [], 0)[1]:
                    write(2, (refusal + why + "; task programs may only compute\n")[:1000].encode("utf-8", "replace"))
            finally:
                exit_now(status)

    sys.addaudithook(hook)
