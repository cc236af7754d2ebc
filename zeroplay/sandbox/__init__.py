"""Run untrusted (model-written) code under hard limits.

    from zeroplay import sandbox
    with sandbox.Sandbox(backend="auto", timeout_s=5, memory_mb=512) as box:
        res = box.run("print(input()[::-1])", stdin="abc")      # ExecResult(status="ok", stdout="cba\\n", ...)
        results = box.run_many(["print(1)", sandbox.Program("import sys; sys.exit(2)")])

Backends (``describe_backends()`` says which exist here and what ``auto`` picks):

- ``pool``: the warm pool; pre-started interpreters inside bubblewrap namespaces fork a fresh child
  per job. What ``auto`` picks where namespaces work.
- ``namespace``: a fresh bubblewrap sandbox per run; same isolation, pays interpreter start-up.
- ``process``: the weaker fallback: rlimits, a fresh dir, a clean environment, a killed process group.
- ``docker``: containers through the docker SDK (``pip install 'zeroplay[docker]'``).

What is guaranteed and what is not is written in :mod:`zeroplay.sandbox.isolation`.
Languages other than Python: ``Program(code, language="lua")`` runs a shipped language file
(``zeroplay/sandbox/languages/*.yaml``: Python, Lua, OCaml, Fortran, R); :func:`load_languages`
adds more from YAML (:mod:`zeroplay.sandbox.language_files`).
Importing this package is light: backends load when a :class:`Sandbox` first needs them.
"""

from zeroplay.sandbox.sandbox import Sandbox, auto_backend, available_backends, describe_backends
from zeroplay.sandbox.spec import (
    PYTHON,
    Language,
    Limits,
    Program,
    Subject,
    get_language,
    languages,
    register_language,
)



def load_languages(path: str) -> list:
    """Register the language file at ``path`` (or every ``*.yaml`` of a folder): see
    :mod:`zeroplay.sandbox.language_files`. Returns the registered ``LanguageSpec``s."""
    from zeroplay.sandbox.language_files import load_languages as load

    return load(path)


__all__ = [
    "PYTHON", "Language", "Limits", "Program", "Sandbox", "Subject", "auto_backend", "available_backends",
    "describe_backends", "get_language", "languages", "load_languages", "register_language",
]
