"""Registries: declarative specs with lazy ``"module:attr"`` entry points.

Envs live in gymnasium's own registry (so ``gymnasium.make("zeroplay/...")`` works); zeroplay
keeps the list of its ids beside it. Verifiers and agents use :class:`Registry`. Plugins
declare entry points: ``zeroplay.envs`` (a function that calls :func:`register`),
``zeroplay.verifiers`` and ``zeroplay.agents`` (``name = "pkg.module:Factory"``).

Unregistered names of the form ``"module.path:Name"`` (import specs) work too, for env ids
(:func:`make`), agent names (``agents.make``) and verifier names (``verifiers.make``, a task's
``verifier``): the module is imported then and ``Name`` used, a class or a factory; for envs, as
in gymnasium, ``Name`` may also be an id that importing the module registered
(``"mypkg.envs:MyEnv-v0"``). Such names are not listed by ``registered()``. The module must be
importable: a script's directory goes on ``PYTHONPATH``.

:meth:`Registry.register` checks at once that the name is one word (a letter, then letters,
digits, ``_ . -``) and that the entry point is a class, a function or a ``"module:attr"`` string;
such a string is imported only by ``make``, where a failure is one :class:`EntryPointError`
naming the registered name and the module. The training registries (loops, rewards, advantage
estimators, loss terms: :mod:`zeroplay.training.registry`) load theirs the same way. Every
``"module:attr"`` here is imported and walked by one private resolver; what a failure raises
depends on who asked (:func:`load_registered`, :func:`load_entry_point`: :class:`EntryPointError`;
an import spec: :class:`ImportSpecError`, with close names), always on one line.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import inspect
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError, EnvCreationError, RegistrationError, UnknownIdError, ZeroplayError

_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
#: A registered verifier, agent or training part's name: one word a shell and YAML take as is
#: (no space, ``:`` or ``/``, so it never reads as an import spec or an env id).
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
#: ``module.path:Name``, where an env's ``Name`` may be a registered id (``ns/Name-v0``)
_IMPORT_SPEC = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[\w./-]+$")


class UnknownOptionError(ConfigError, TypeError):
    """A keyword argument the factory does not take (a TypeError too, as Python's own is)."""


class ImportSpecError(UnknownIdError):
    """A ``"module:Name"`` env id or agent name that does not resolve; the message says why."""

    def __init__(self, kind: str, name: str, message: str):
        self.kind, self.name = kind, name
        Exception.__init__(self, message)


class EntryPointError(RegistrationError, ImportError):
    """A registered name whose ``"module:attr"`` entry point does not import; the message names both."""


def is_import_spec(name: Any) -> bool:
    """Whether ``name`` has the form ``"module.path:Name"``."""
    return isinstance(name, str) and _IMPORT_SPEC.match(name) is not None


def import_module_of(spec: str, kind: str) -> Any:
    """Import the module of ``spec`` (``"module.path:Name"``); the error says which module failed and why."""
    module_name, _, attr = spec.partition(":")
    try:
        return _import(module_name, attr)
    except _Unresolved as u:
        raise ImportSpecError(kind, spec, f"{kind} {spec!r}: {u.why()}") from u.shown_cause()


def import_attribute(spec: str, kind: str, module: Any) -> Any:
    """The (possibly dotted) attribute after the ``:`` of ``spec`` in ``module``."""
    attr = spec.partition(":")[2]
    try:
        return _walk(module, attr)
    except _Unresolved as u:
        names = [n for n in dir(module) if not n.startswith("_")]
        close = difflib.get_close_matches(attr, names, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ImportSpecError(kind, spec, f"{kind} {spec!r}: {u.why()}.{hint}") from None


def load_registered(kind: str, name: str, entry_point: str | Callable[..., Any]) -> Callable[..., Any]:
    """The factory that ``name`` was registered with, its ``"module:attr"`` imported now. An error of
    zeroplay's own (a missing optional dependency) comes as is; any other failure as one
    :class:`EntryPointError` naming the ``kind``, the name and the module."""
    if not isinstance(entry_point, str):
        return entry_point
    where = f"{kind} {name!r} (entry point {entry_point!r})"
    try:
        obj = _resolve(entry_point)
    except _Unresolved as u:
        u.reraise_own()
        fix = "" if u.cause is not None else "; fix the registration"
        raise EntryPointError(f"{where}: {u.why()}{fix}") from u.shown_cause()
    if not callable(obj):
        raise EntryPointError(f"{where} is a {type(obj).__name__}, not a class or a function; fix the registration")
    return obj


def load_entry_point(entry_point: str | Callable[..., Any]) -> Callable[..., Any]:
    """Import ``"package.module:Attr"`` (or return a callable as is). An error of zeroplay's own comes as
    is; a module that does not import, or has no ``Attr``, is one :class:`EntryPointError` (an ImportError)
    naming the entry point and the module. Where the name a user gave is known, :func:`load_registered`
    names it too."""
    if callable(entry_point):
        return entry_point
    if not isinstance(entry_point, str) or not _ENTRY_POINT.match(entry_point):
        raise RegistrationError(f"entry_point must be 'package.module:Name' or a callable, got {entry_point!r}")
    try:
        return _resolve(entry_point)
    except _Unresolved as u:
        u.reraise_own()
        raise EntryPointError(f"entry point {entry_point!r}: {u.why()}") from u.shown_cause()


class _Unresolved(Exception):
    """Why a ``"module:attr"`` did not resolve, before the public function that asked words it as its
    own error: ``cause`` is what importing the module raised, or None when the module has no ``attr``."""

    def __init__(self, module_name: str, attr: str, cause: Exception | None = None):
        super().__init__(module_name, attr, cause)
        self.module_name, self.attr, self.cause = module_name, attr, cause

    def why(self) -> str:
        """What failed, on one line (an import failure also says what to do)."""
        if self.cause is not None:
            return _import_failure(self.module_name, self.cause)
        return f"module {self.module_name!r} has no {self.attr!r}"

    def shown_cause(self) -> BaseException | None:
        """What the worded error chains from: the module's own exception, not a plain "no such module"."""
        return None if self.cause is None or _is_missing(self.module_name, self.cause) else self.cause

    def reraise_own(self) -> None:
        """Raise the import's own error if it is zeroplay's (a missing optional dependency says what to install)."""
        if isinstance(self.cause, ZeroplayError):
            raise self.cause from self.cause.__cause__


def _resolve(spec: str) -> Any:
    """The object ``"module.path:a.b"`` names: the module imported, then ``a.b`` walked."""
    module_name, _, attr = spec.partition(":")
    return _walk(_import(module_name, attr), attr)


def _import(module_name: str, attr: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except Exception as e:  # noqa: BLE001 - a module that raises anything at import is reported, not crashed on
        raise _Unresolved(module_name, attr, e) from e


def _walk(module: Any, attr: str) -> Any:
    """``module.a.b`` for ``attr == "a.b"``: the one dotted-attribute walk of every loader here."""
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise _Unresolved(getattr(module, "__name__", repr(module)), attr)
        obj = getattr(obj, part)
    return obj


def _is_missing(module_name: str, e: Exception) -> bool:
    """Whether ``e`` says that ``module_name`` itself (or a package above it) does not exist."""
    return isinstance(e, ModuleNotFoundError) and bool(e.name) and (
        module_name == e.name or module_name.startswith(f"{e.name}."))


def _import_failure(module_name: str, e: Exception) -> str:
    """Why importing ``module_name`` raised ``e``, and what to do."""
    if _is_missing(module_name, e):
        return f"cannot import module {module_name!r}; {_path_hint(module_name)}"
    if isinstance(e, ModuleNotFoundError):
        return f"importing {module_name!r} failed: {e}; install what it imports"
    return f"importing {module_name!r} failed: {type(e).__name__}: {_one_line(e)}"  # the module itself is broken


def _one_line(e: Exception) -> str:
    """``e``'s message on one line (a multi-line message would break the one-line error)."""
    return " ".join(str(e).split())


def _path_hint(module_name: str) -> str:
    """What to do about ``module_name`` (or a package above it) not existing: a package that imports but
    lacks the submodule is named with where it is (PYTHONPATH is not the problem there); a missing top
    package is looked for in the current directory, which is advised only when it is not on the path."""
    parts = module_name.split(".")
    found = [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1) if ".".join(parts[:i]) in sys.modules]
    if found:  # the failed import got this far: the deepest package above the missing part imported
        package = sys.modules[found[0]]
        where = (getattr(package, "__path__", None) or [getattr(package, "__file__", None) or "?"])[0]
        missing = parts[found[0].count(".") + 1]
        return f"module {found[0]} has no submodule {missing} ({found[0]} is at {where})"
    top = parts[0]
    if (Path(f"{top}.py").is_file() or Path(top).is_dir()) and not _cwd_on_path():
        return f"{top} is in the current directory, which is not on the import path: run with PYTHONPATH=."
    return f"add the directory that holds {top} to PYTHONPATH (PYTHONPATH=DIR zeroplay ...) or install its package"


def _cwd_on_path() -> bool:
    """Whether the current directory is on ``sys.path`` (``""`` or ``"."``, as ``python -m`` puts it, included)."""
    cwd = Path.cwd().resolve()
    for entry in sys.path:
        try:
            if Path(entry or ".").resolve() == cwd:
                return True
        except (OSError, RuntimeError):  # an unreadable or looping path entry is not the current directory
            continue
    return False


def _entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=group))


@dataclass(frozen=True)
class Spec:
    """A registered factory: ``name``, a lazy ``entry_point`` and default kwargs; ``plugin`` when an
    installed package's entry point declared it (its ``description`` then only says where it comes from)."""

    name: str
    entry_point: str | Callable[..., Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    plugin: bool = False


class Registry:
    """Names to lazily imported factories, with plugins from an entry-point group.

    With ``base``, an unregistered name ``"module.path:Name"`` imports ``Name``: a subclass of
    ``base`` or a factory that returns an instance of it (checked when built). With ``import_specs``
    and no ``base``, such a name imports any class or function."""

    def __init__(self, kind: str, group: str, base: type | None = None,
                 import_specs: bool = False) -> None:
        self.kind, self.group, self.base = kind, group, base
        self.import_specs = import_specs or base is not None
        self._specs: dict[str, Spec] = {}
        self._plugins_loaded = False

    def register(self, name: str, entry_point: str | Callable[..., Any], *, description: str = "", **kwargs: Any) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise RegistrationError(f"{self.kind} name must be a letter then up to 63 letters, digits, '_', '.' "
                                    f"or '-' (no spaces, ':' or '/'), got {name!r}")
        if isinstance(entry_point, str) and not _ENTRY_POINT.match(entry_point):
            raise RegistrationError(f"entry_point of {self.kind} {name!r} must be 'package.module:Name', got {entry_point!r}")
        if not isinstance(entry_point, str) and not callable(entry_point):
            raise RegistrationError(f"entry_point of {self.kind} {name!r} must be a class, a function or "
                                    f"'package.module:Name', got a {type(entry_point).__name__}")
        self._specs[name] = Spec(name, entry_point, dict(kwargs), description)

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in _entry_points(self.group):
            if ep.name not in self._specs:
                self._specs[ep.name] = Spec(ep.name, ep.value, {}, f"plugin from {ep.value}", plugin=True)

    def registered(self) -> list[str]:
        self._load_plugins()
        return sorted(self._specs)

    def descriptions(self) -> dict[str, str]:
        """Name -> one-line description, for listings (``zeroplay list``)."""
        return {n: self.spec(n).description for n in self.registered()}

    def spec(self, name: str) -> Spec:
        if not isinstance(name, str):
            raise UnknownIdError(self.kind, name, self.registered())
        if name not in self._specs:
            self._load_plugins()
        if name not in self._specs:
            if self.import_specs and is_import_spec(name):
                return self._imported_spec(name)
            raise UnknownIdError(self.kind, name, self._specs)
        return self._specs[name]

    def _imported_spec(self, name: str) -> Spec:
        """A one-off spec for ``"module.path:Name"`` (not added to the registry)."""
        obj = import_attribute(name, self.kind, import_module_of(name, self.kind))
        base = self.base
        if base is not None and inspect.isclass(obj) and not issubclass(obj, base):
            raise ImportSpecError(self.kind, name, f"{self.kind} {name!r}: {obj.__name__} is a class but not a "
                                  f"{base.__module__}.{base.__name__} subclass; subclass it")
        if not callable(obj):
            what = "class or a function" if base is None else f"{base.__name__} class or a function that returns one"
            raise ImportSpecError(self.kind, name, f"{self.kind} {name!r} is a {type(obj).__name__}, not a {what}")
        return Spec(name, obj, {}, f"imported from {name}")

    def make(self, name: str, **kwargs: Any) -> Any:
        spec = self.spec(name)
        factory = load_registered(self.kind, name, spec.entry_point)
        unknown = unknown_kwargs(factory, kwargs)
        if unknown:
            raise UnknownOptionError(f"{self.kind} {name!r} takes no option {', '.join(map(repr, unknown))}; "
                                     f"its options: {', '.join(known_kwargs(factory)) or 'none'}")
        made = factory(**{**spec.kwargs, **kwargs})
        if self.base is not None and not isinstance(made, self.base):  # registered, a plugin's, or imported
            where = f"{name!r} (the plugin {spec.entry_point})" if spec.plugin else repr(name)
            raise ImportSpecError(self.kind, name, f"{self.kind} {where} returned a {type(made).__name__}, not a "
                                  f"{self.base.__name__}; return an instance of a {self.base.__module__}."
                                  f"{self.base.__name__} subclass (it gives what {self.kind}s share: reset, close)")
        return made


def unknown_kwargs(factory: Callable[..., Any], kwargs: dict[str, Any]) -> list[str]:
    """Names in ``kwargs`` that ``factory`` surely does not take (none when it takes ``**kwargs``)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: cannot tell
        return []
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return []
    return [k for k in kwargs if k not in {p.name for p in params}]


def known_kwargs(factory: Callable[..., Any]) -> list[str]:
    """``name=default`` for what ``factory`` takes, for error messages; a class's ``__init__`` chain is
    followed while each takes ``**kwargs`` (usually passed up to the parent)."""
    chain = [factory] if not inspect.isclass(factory) else [
        c.__dict__["__init__"] for c in inspect.getmro(factory) if "__init__" in c.__dict__ and c is not object]
    found: dict[str, str] = {}
    for fn in chain:
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            break
        for p in params:
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self":
                found.setdefault(p.name, p.name if p.default is p.empty else f"{p.name}={p.default!r}")
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return list(found.values())


# ---------------------------------------------------------------------------------------------
# Environments: on top of gymnasium's registry.

ENV_GROUP = "zeroplay.envs"
_env_ids: set[str] = set()
_env_plugins_loaded = False
_deferred: list[tuple[str, str | Callable[[], None]]] = []


def gym_id(env_id: str) -> str:
    """gymnasium ids allow one namespace; deeper ids (``zeroplay/synth/Foo-v0``) are stored with
    the inner slashes turned into dots (``zeroplay/synth.Foo-v0``): that spelling works in both
    ``gymnasium.make`` and ``zeroplay.make``."""
    ns, sep, rest = env_id.partition("/")
    return ns + sep + rest.replace("/", ".") if sep else env_id


def zeroplay_id(env_id: str) -> str:
    """The registered zeroplay id that ``env_id`` names, in either spelling (``zeroplay/synth/Foo-v0``
    or gymnasium's ``zeroplay/synth.Foo-v0``); ``env_id`` itself when it names none."""
    if env_id in _env_ids:
        return env_id
    return next((known for known in _env_ids if gym_id(known) == env_id), env_id)


def register(env_id: str, entry_point: str | Callable[..., Any], **kwargs: Any) -> None:
    """Register an env, gymnasium-style: ``register("myorg/MyEnv-v0", entry_point="mypkg.envs:MyEnv")``.

    Extra keyword arguments are the env's default kwargs. Re-registering an id replaces it.
    """
    import gymnasium

    if not isinstance(env_id, str) or not re.match(r"^[\w:.-]+(/[\w:.-]+)*-v\d+$", env_id):
        raise RegistrationError(f"env id must look like 'namespace/Name-v0', got {env_id!r}")
    if isinstance(entry_point, str) and not _ENTRY_POINT.match(entry_point):
        raise RegistrationError(f"entry_point of {env_id!r} must be 'package.module:Class', got {entry_point!r}")
    gid = gym_id(env_id)
    with warnings.catch_warnings():  # re-registration is how a user overrides an env
        warnings.simplefilter("ignore")
        gymnasium.register(gid, entry_point=entry_point, kwargs=kwargs, order_enforce=False, disable_env_checker=True)
    _env_ids.add(env_id)


def defer(prefix: str, hook: str | Callable[[], None]) -> None:
    """Run ``hook`` (``"module:function"`` or a callable, which calls :func:`register` for ids starting
    with ``prefix``) only when envs are listed or such an id is made: for sources whose discovery
    imports a heavy package (TextArena, reasoning-gym), so that ``import zeroplay`` stays light.
    Each hook runs once per process."""
    _deferred.append((prefix, hook))


def _run_deferred(env_id: str | None = None) -> None:
    """Run the deferred hooks (all of them, or those whose prefix ``env_id`` starts with)."""
    for entry in [e for e in _deferred if env_id is None or env_id.startswith((e[0], gym_id(e[0])))]:
        _deferred.remove(entry)
        try:
            load_entry_point(entry[1])()
        except Exception as e:  # a broken optional package must not take zeroplay down with it
            warnings.warn(f"zeroplay could not register the {entry[0]}* envs: {type(e).__name__}: {e}", stacklevel=3)


def _load_env_plugins() -> None:
    global _env_plugins_loaded
    if _env_plugins_loaded:
        return
    _env_plugins_loaded = True
    for ep in _entry_points(ENV_GROUP):
        try:
            hook = ep.load()
            hook()
        except Exception as e:  # a broken plugin must not take zeroplay down with it
            warnings.warn(f"zeroplay env plugin {ep.name!r} ({ep.value}) failed to load: {type(e).__name__}: {e}", stacklevel=2)


def registered() -> list[str]:
    """Sorted ids of every zeroplay env, plugins included."""
    _load_env_plugins()
    _run_deferred()
    return sorted(_env_ids)


def make(env_id: str, **kwargs: Any) -> Any:
    """Build a registered env: ``make("zeroplay/TicTacToe-v0", **kwargs)``, or an unregistered
    ``make("mymod:MyEnv")`` (an env class or factory in an importable module; see the module docstring).

    Returns the env itself (no gymnasium wrappers), so its own attributes stay at hand (an id that
    only gymnasium's registry holds, reached by ``"module:EnvId"``, comes as ``gymnasium.make`` gives it).
    """
    import gymnasium

    env_id = _resolved_id(env_id)
    if env_id not in _env_ids:
        if is_import_spec(env_id):
            return _make_from_import_spec(env_id, kwargs)
        raise UnknownIdError("env", env_id, _env_ids)
    try:
        return gymnasium.make(gym_id(env_id), **kwargs)
    except Exception as e:
        if "was raised from the environment creator" in str(e) and e.__context__ is not None:
            e = e.__context__  # gymnasium re-raises a TypeError with the kwargs appended: show the original
        raise EnvCreationError(f"Could not build env {env_id!r} with kwargs {kwargs}: {type(e).__name__}: {e}"
                               f"{_known_env_kwargs(env_id)}") from e


def _resolved_id(env_id: Any) -> str:
    """``env_id`` as the registry holds it (``TicTacToe-v0`` is ``zeroplay/TicTacToe-v0``), plugins and deferred
    registrations loaded first; raises for what is no id at all."""
    if not isinstance(env_id, str):
        raise UnknownIdError("env", env_id, registered())
    if env_id not in _env_ids:
        _load_env_plugins()
        _run_deferred(env_id)
    return zeroplay_id(env_id)


def check_env_id(env_id: str) -> None:
    """Raise what :func:`make` would for an id that names no env (an unknown id, with suggestions; a
    ``"module:Name"`` whose module or name does not import), without building an env (a dry run's check)."""
    import gymnasium

    env_id = _resolved_id(env_id)
    if env_id in _env_ids:
        return
    if not is_import_spec(env_id):
        raise UnknownIdError("env", env_id, _env_ids)
    module = import_module_of(env_id, "env")
    name = env_id.partition(":")[2]
    if zeroplay_id(name) not in _env_ids and name not in gymnasium.registry:
        import_attribute(env_id, "env", module)


def _make_from_import_spec(spec: str, kwargs: dict[str, Any]) -> Any:
    """``make("module.path:Name")``: a registered id that importing the module registered (gymnasium's
    ``"module:EnvId"``), else ``Name`` as an env class or a function that returns an env."""
    import gymnasium

    module = import_module_of(spec, "env")
    name = spec.partition(":")[2]
    if zeroplay_id(name) in _env_ids:
        return make(name, **kwargs)
    if name in gymnasium.registry:
        return gymnasium.make(name, **kwargs)
    factory = import_attribute(spec, "env", module)
    if inspect.isclass(factory) and not issubclass(factory, gymnasium.Env):
        raise ImportSpecError("env", spec, f"env {spec!r}: {factory.__name__} is a class but not a gymnasium.Env "
                              "subclass; subclass zeroplay.core.TextEnv (or TaskEnv, TurnBasedEnv)")
    if not callable(factory):
        raise ImportSpecError("env", spec, f"env {spec!r} is a {type(factory).__name__}, not an env class or a "
                              "function that returns an env")
    try:
        env = factory(**kwargs)
    except Exception as e:
        known = ", ".join(known_kwargs(factory))
        raise EnvCreationError(f"Could not build env {spec!r} with kwargs {kwargs}: {type(e).__name__}: {e}"
                               f"{'; known arguments: ' + known if known else ''}") from e
    if not isinstance(env, gymnasium.Env):
        raise ImportSpecError("env", spec, f"env {spec!r} returned a {type(env).__name__}, not a gymnasium.Env; "
                              "return an env instance")
    return env


def _known_env_kwargs(env_id: str) -> str:
    import gymnasium

    try:
        known = known_kwargs(load_entry_point(gymnasium.spec(gym_id(env_id)).entry_point))
    except Exception:  # an entry point that does not even import: its own error says enough
        return ""
    return f"; known arguments: {', '.join(known)}" if known else ""
