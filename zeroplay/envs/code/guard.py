"""The run-time guard of a task program: a Python audit hook in the program's own (sandboxed) process.

The static policy (:mod:`zeroplay.envs.code.policy`) reads the program's text; it is a deny-list, and
red teams kept finding routes to ``eval`` and the real builtins through names it does not read
(``typing._eval_type``, ``dataclasses._create_fn``, a ``Formatter`` subclass...). This guard watches
what the program *does* instead (:func:`sys.addaudithook`), from the moment its code starts until its
process ends, and refuses, whatever route led there:

- **code made at run time**: ``exec``/``eval`` of anything but the program itself, and code or
  function objects built from parts (``CodeType``, ``code.replace``, ``FunctionType``, assigning
  ``__code__``). Allowed: modules the interpreter imports from its own library (a chain of
  ``importlib`` frames that holds ``_find_and_load``, with the import machinery untouched), and the
  methods that ``dataclasses`` and ``namedtuple`` write, where every field name is a plain identifier;
- **files**: any ``open`` other than a read of the Python library's own files (what an import reads),
  and any directory listing other than the import path (a coarse clock hides in ``/proc/uptime``);
- **the rest of the system**: processes, sockets, signals, threads, ``ctypes``, ``gc`` walks, tracing,
  new audit hooks and every other audited operation that is not on the short list below;
- **introspection by the program's own code**: frames (``sys._getframe``, ``gi_frame``, ``tb_frame``),
  ``__code__`` and ``id()``; the standard library may use them for its own work (``namedtuple`` reads
  its caller's frame, ``copy.deepcopy`` keys its memo by ``id``).

A refused operation raises :class:`RefusedAtRunTime` (not an ``Exception``) where it happened, and the
process stays marked: every later call of the program's functions raises it again, so a program that
catches the refusal gains nothing. The guard is a backstop behind the static policy and the sandbox,
not a boundary of its own (no in-process Python sandbox is): it cannot see plain attribute walks or
calls of functions already loaded, which is why the static policy keeps reading names.

This file runs inside the sandbox as part of the subject's trusted set-up (see
:data:`zeroplay.envs.code.runner.SUBJECT_SETUP`), so it uses the standard library only.
"""

import keyword
import os
import sys

#: Audited events allowed from any code: compiling (harmless until run), importing (what runs is
#: checked at ``exec``), the subject's own message coding, sleeping, and array construction.
ALWAYS_ALLOWED = frozenset({
    "compile", "import", "marshal.loads", "marshal.dumps", "time.sleep", "array.__new__", "sys.unraisablehook",
    "sys.excepthook", "cpython._PySys_ClearAuditHooks", "cpython.PyInterpreterState_Clear",
})

#: Audited events allowed only when the frame that raised them is the Python library's own code
#: (``inspect`` reads ``__code__`` for a dataclass's signature, ``copy.deepcopy`` keys its memo by ``id``);
#: an attribute that leads to a frame (``tb_frame``, ``gi_frame``...) is refused from any code.
LIBRARY_ONLY = frozenset({"object.__getattr__", "object.__setattr__", "object.__delattr__", "builtins.id"})

#: The library functions that may read a frame (``sys._getframe``), each only for its caller's module
#: name: ``(end of the file name, function)``.
FRAME_READERS = frozenset({
    ("/collections/__init__.py", "namedtuple"), ("/typing.py", "_caller"), ("/enum.py", "_create_"),
})

_FROZEN_IMPORT = "<frozen importlib._bootstrap"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class RefusedAtRunTime(BaseException):
    """A task program tried an operation that task programs may not do (see the module docstring)."""


def _dir_forms(path):
    """``path`` as a directory prefix, as given and with its symlinks resolved."""
    return {os.path.abspath(path).rstrip(os.sep) + os.sep, os.path.realpath(path).rstrip(os.sep) + os.sep}


def install(program_code, dataclasses_used=True):
    """Start guarding: ``program_code`` (a code object) may be run once by ``exec``; from then on
    every audited operation is judged (see the module docstring). Returns ``refused()``: the first
    refusal's message, or None. ``dataclasses_used=False`` skips importing :mod:`dataclasses` (10 ms)
    for a program that does not name it; dataclasses made without it being imported here are refused.

    The guard never runs code the program could have changed while it judges: the builtins and
    library functions it uses are bound here, and it reads ``sys`` through the module's own dict. It
    finds the frame that raised an event through a generator's ``f_back`` (not ``sys._getframe``,
    which is audited), and the one audited event it raises itself (reading a frame's ``f_code``) it
    knows by the exact frame that reads it; so it needs no "busy" flag, which a signal handler, a
    finalizer or a thread could slip through."""
    if dataclasses_used:
        import dataclasses  # noqa: F401  (found again in sys.modules below)
    real_field = getattr(sys.modules.get("dataclasses"), "Field", None)  # the real one: no program has run yet
    field_type = real_field if type(real_field) is type else None
    field_name = field_type.__dict__["name"].__get__ if field_type is not None else None
    library = tuple(_dir_forms(os.path.dirname(os.__file__)))
    import_path = frozenset(d for p in sys.path if type(p) is str for d in _dir_forms(p or os.getcwd()))
    sys_dict = sys.__dict__
    meta_path, path_hooks = tuple(sys.meta_path), tuple(sys.path_hooks)
    code_type, str_type, bytes_type, int_type, dict_type, list_type = (
        type(program_code), str, bytes, int, dict, list)
    _type, _len, _zip, _all, _any = type, len, zip, all, any
    identifier, is_keyword = str.isidentifier, keyword.iskeyword
    packages = "-packages" + os.sep
    state = {"program": program_code, "refused": None}

    def frames():
        while True:
            yield here[0].f_back  # the frame that resumed this generator: the hook's

    caller_of = frames()
    here = [caller_of.gi_frame]
    next(caller_of)
    reading = []  # the frames of code_of calls now reading a frame's code (reading f_code is audited too)

    def code_of(frame):
        reading.append(next(caller_of))  # this call's own frame
        try:
            return frame.f_code
        finally:
            reading.pop()

    modules_of = sys_dict.get  # sys.modules is read at each use: the program may not have replaced it
    module_type = type(sys)
    module_dict = module_type.__dict__["__dict__"].__get__
    library_dicts = {}  # module name -> its globals, once found to be the library's own

    def library_globals(g):
        """Whether ``g`` (a frame's globals) is the dict of a module of the library: a program cannot
        run code under another dict than its own (that needs exec or FunctionType), so this says
        whose code the frame runs without reading its code (which would raise an audited event)."""
        name = g.get("__name__") if _type(g) is dict_type else None
        if _type(name) is not str_type:
            return False
        if library_dicts.get(name) is g:
            return True
        modules = modules_of("modules")
        m = modules.get(name) if _type(modules) is dict_type else None
        if _type(m) is not module_type or module_dict(m) is not g:
            return False
        filename = g.get("__file__")
        if _type(filename) is str_type and in_library(filename):
            library_dicts[name] = g
            return True
        return False

    def in_library(filename):
        return filename.startswith("<frozen ") or (filename.startswith(library) and packages not in filename)

    def library_file(path):
        """A file of the Python library, by a plain absolute path (no ``..``, no third-party packages)."""
        if _type(path) is bytes_type:
            path = path.decode("utf-8", "surrogateescape")
        return (_type(path) is str_type and path.startswith(library) and packages not in path
                and "/../" not in path and "/./" not in path and "//" not in path)

    def same(now, then):
        return _type(now) is list_type and _len(now) == _len(then) and _all(a is b for a, b in _zip(now, then))

    def library_chain(frame):
        """The frames from ``frame`` outward while they are the library's own code."""
        chain = []
        while frame is not None and in_library(code_of(frame).co_filename):
            chain.append(frame)
            frame = frame.f_back
        return chain

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

    def exec_allowed(code, frame):
        if code is state["program"]:
            state["program"] = None  # once
            return True
        chain = library_chain(frame)
        if not chain or _type(code) is not code_type:
            return False
        codes = [code_of(f) for f in chain]
        caller = codes[0]
        if caller.co_filename.startswith(_FROZEN_IMPORT):
            # a module imported from the library: only import-machinery frames from here to _find_and_load
            for c in codes:
                if not c.co_filename.startswith(_FROZEN_IMPORT):
                    return False
                if c.co_name == "_find_and_load":
                    return (library_file(code.co_filename) and same(sys_dict.get("meta_path"), meta_path)
                            and same(sys_dict.get("path_hooks"), path_hooks))
            return False
        if caller.co_name == "namedtuple" and caller.co_filename.endswith("/collections/__init__.py"):
            return True  # namedtuple checks that its type and field names are identifiers itself
        if caller.co_name == "_create_fn" and caller.co_filename.endswith("/dataclasses.py"):
            # dataclasses writes methods from the field names without checking them: check them here
            for f, c in _zip(chain, codes):
                if c.co_name == "_process_class" and c.co_filename == caller.co_filename:
                    return plain_fields(f.f_locals.get("fields"))
        return False

    def judge(event, args, frame):
        """None when the event may happen, else what was refused."""
        if event in LIBRARY_ONLY:
            name = args[1] if event != "builtins.id" and _len(args) > 1 and _type(args[1]) is str_type else ""
            if "frame" not in name and library_globals(frame.f_globals):
                return None
            return f"{event} {name}".strip() + (" (a frame)" if "frame" in name else " from the program's own code")
        if event == "sys._getframe":
            code = code_of(frame)
            if in_library(code.co_filename) and _any(
                    code.co_name == fn and code.co_filename.endswith(end) for end, fn in FRAME_READERS):
                return None
            return "reading a frame (sys._getframe)"
        if event == "exec":
            return None if exec_allowed(args[0], frame) else "running code made at run time (exec, eval)"
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writes = (_type(mode) is not str_type or _any(c in mode for c in "wax+")) if mode is not None else (
                _type(flags) is not int_type or flags & _WRITE_FLAGS)
            if not writes and library_file(path):
                return None
            return "opening a file" + (f" ({path[:80]})" if _type(path) is str_type else "")
        if event in ("os.listdir", "os.scandir"):
            path = args[0] if args else None
            if _type(path) is bytes_type:
                path = path.decode("utf-8", "surrogateescape")
            if _type(path) is str_type and (path.rstrip("/") + "/" in import_path or library_file(path)):
                return None  # the import path, and the library's packages (email/ for email.utils)
            return "listing a directory" + (f" ({path[:80]})" if _type(path) is str_type else "")
        return f"the audited operation {event!r}"

    def hook(event, args):
        if event in ALWAYS_ALLOWED:
            return
        try:
            frame = next(caller_of).f_back
            if event == "builtins.id" and library_globals(frame.f_globals):
                return  # the hot case (copy.deepcopy calls id for every object it copies)
            if reading and frame is reading[-1] and event == "object.__getattr__":
                return  # code_of reading a frame's code
            why = judge(event, args, frame)
        except BaseException as e:  # fail closed (a signal handler's event while judging lands here too)
            why = f"{event!r} (the guard could not judge it: {_type(e).__name__})"
        if why is not None:
            message = "refused at run time: " + why + "; task programs may only compute"
            if state["refused"] is None:
                state["refused"] = message
            raise RefusedAtRunTime(message)

    sys.addaudithook(hook)
    return lambda: state["refused"]


def guarded(fn, refused):
    """``fn``, made to raise :class:`RefusedAtRunTime` once the guard has refused anything."""
    def call(*args, **kwargs):
        if refused() is not None:
            raise RefusedAtRunTime(refused())
        result = fn(*args, **kwargs)
        if refused() is not None:
            raise RefusedAtRunTime(refused())
        return result

    return call
