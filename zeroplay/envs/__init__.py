"""Built-in environments. Each subpackage lists its ids in ``ENVS`` (id -> "module:Class")
without importing the env modules, so registration stays cheap."""

from __future__ import annotations

import importlib
import importlib.util

from zeroplay.core.registry import defer, register

#: Optional packages whose envs are discovered by importing them: registered when envs are listed
#: or one of their ids is made (prefix, package, "module:hook"), so ``import zeroplay`` stays light.
_DEFERRED = (
    ("zeroplay/ta/", "textarena", "zeroplay.envs.textarena:register_textarena"),
    ("zeroplay/rg/", "reasoning_gym", "zeroplay.envs.math.reasoning_gym:register_datasets"),
)

_SUBPACKAGES = ("zeroplay.envs.games", "zeroplay.envs.math", "zeroplay.envs.code", "zeroplay.envs.synth",
                "zeroplay.envs.search", "zeroplay.envs.proposer", "zeroplay.envs.proof")


def register_builtin() -> None:
    for name in _SUBPACKAGES:
        pkg = importlib.import_module(name)
        for env_id, entry_point in getattr(pkg, "ENVS", {}).items():
            if isinstance(entry_point, tuple):  # (entry point, default kwargs)
                register(env_id, entry_point[0], **entry_point[1])
            else:
                register(env_id, entry_point)
        hook = getattr(pkg, "register_dynamic", None)
        if hook is not None:  # e.g. the synth library registers what it finds on disk
            hook()
    for prefix, package, hook in _DEFERRED:
        if importlib.util.find_spec(package) is not None:  # found, not imported
            defer(prefix, hook)
