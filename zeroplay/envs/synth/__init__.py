"""Synthesized environments: model-written Python environments, validated in the sandbox, kept in a library.

    from zeroplay.envs import synth
    report = synth.validate(source)            # ValidationReport(passed, stage, reason, ...)
    lib = synth.Library()                      # $ZEROPLAY_SYNTH_LIBRARY or ~/.local/share/zeroplay/synth
    synth.synthesize(agent, n=8, library=lib)  # ask an agent for new envs, validate, keep the good ones
    env = zp.make("zeroplay/synth/NAME-v0")    # every accepted env, registered at import
    verifiers.make("synth").verify(answer, task.reference)   # score a stored synth task, as env.step does

The spec is in :mod:`zeroplay.envs.synth.spec`. Environment source only ever runs inside the
sandbox. Importing this package is cheap: ``register_dynamic`` reads the library's small index
file and nothing else; the other names load on first use.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import Any

#: The library's envs are registered dynamically (see register_dynamic); nothing static here.
ENVS: dict[str, str] = {}

_LAZY = {
    "validate": "zeroplay.envs.synth.validate",
    "validate_many": "zeroplay.envs.synth.validate",
    "ValidationConfig": "zeroplay.envs.synth.validate",
    "ValidationReport": "zeroplay.envs.synth.validate",
    "STAGES": "zeroplay.envs.synth.validate",
    "Library": "zeroplay.envs.synth.library",
    "LibraryEntry": "zeroplay.envs.synth.library",
    "default_library_path": "zeroplay.envs.synth.library",
    "SynthEnv": "zeroplay.envs.synth.env",
    "calibrate": "zeroplay.envs.synth.calibrate",
    "CalibrationReport": "zeroplay.envs.synth.calibrate",
    "synthesize": "zeroplay.envs.synth.pipeline",
    "SynthResult": "zeroplay.envs.synth.pipeline",
    "seed_sources": "zeroplay.envs.synth.pipeline",
    "similarity": "zeroplay.envs.synth.novelty",
    "EnvRunner": "zeroplay.envs.synth.runner",
    "RunnerConfig": "zeroplay.envs.synth.runner",
    "SynthVerifier": "zeroplay.envs.synth.verify",
    "synth_reference": "zeroplay.envs.synth.verify",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # loaded once; straight into the namespace, past _Package.__setattr__
        return value
    raise AttributeError(f"module 'zeroplay.envs.synth' has no attribute {name!r}")


#: Lazy names that are also the names of submodules (the function ``validate`` in ``validate.py``).
_SHADOWED = frozenset(name for name, module in _LAZY.items() if module.rpartition(".")[2] == name)


class _Package(types.ModuleType):
    """This package's module type. Importing a submodule sets it as an attribute of its package,
    which would hide the function ``synth.validate`` behind the module ``synth/validate.py``
    from then on (and ``calibrate`` likewise); those attributes stay the functions. The
    submodules themselves import as usual (``from zeroplay.envs.synth.validate import ...``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


#: The verifier of synth tasks (``Task(verifier="synth")``), so a stored task can be scored by name.
VERIFIERS: dict[str, tuple[str, str]] = {
    "synth": ("zeroplay.envs.synth.verify:SynthVerifier", "synthesized env task: the env's own score, in the sandbox"),
}


def register_dynamic() -> None:
    """Register the ``synth`` verifier (lazily) and the default library's envs as
    ``zeroplay/synth/NAME-v0``. Reads one small JSON file.

    A missing library is fine (nothing to register); a broken one warns instead of breaking
    ``import zeroplay``.
    """
    from zeroplay import verifiers
    from zeroplay.envs.synth.library import Library

    for name, (entry_point, description) in VERIFIERS.items():
        verifiers.register(name, entry_point, description=description)

    try:
        Library().register()
    except Exception as e:  # noqa: BLE001 - a corrupt index must not take zeroplay down with it
        warnings.warn(f"zeroplay synth library not registered: {type(e).__name__}: {e}", stacklevel=2)


__all__ = [  # noqa: RUF022 - the lazy names, in _LAZY's order
    "ENVS", "VERIFIERS", "register_dynamic", "validate", "validate_many", "ValidationConfig", "ValidationReport", "STAGES",
    "Library", "LibraryEntry", "default_library_path", "SynthEnv", "calibrate", "CalibrationReport", "synthesize",
    "SynthResult", "seed_sources", "similarity", "EnvRunner", "RunnerConfig", "SynthVerifier", "synth_reference",
]
