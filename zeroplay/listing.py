"""``zeroplay list``: what is registered, and how strong the sandbox is here.

Sections: envs, verifiers, agents, sandbox, and the named parts of a training config (loops, rewards,
advantages, loss_terms: :mod:`zeroplay.training.registry`), plug-ins from entry points included.
``zeroplay list SECTION`` shows one. Each section is built only when shown, so ``zeroplay list envs``
imports no training code. A built-in training part shows the description it was registered with (no
import); a plug-in shows the first sentence of its docstring, which imports its module (and what that
imports, torch maybe); a plug-in that does not load is listed with its one-line error. A section's title
says how a config names its parts, and where an unregistered ``mypkg.module:Name`` is taken too.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import re
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", nargs="?", choices=["envs", "verifiers", "agents", "sandbox", *TRAINING],
                        help="list only this")


#: the training registries listed: section -> (registry in zeroplay.training.registry, where a config names one)
TRAINING: dict[str, tuple[str, str]] = {
    "loops": ("LOOPS", "loop: NAME"),
    "rewards": ("REWARDS", "a loop section's reward or *_reward: NAME or mypkg.module:name"),
    "advantages": ("ADVANTAGES", "advantage.estimator: NAME or mypkg.module:Name"),
    "loss_terms": ("LOSS_TERMS", "loss.terms: {NAME or mypkg.module:name: weight}"),
}

#: the other sections whose parts may also be named by where they live, unregistered
UNREGISTERED = {
    "envs": "or mypkg.module:Name, an env class or factory",
    "verifiers": "or mypkg.module:Name, a Verifier class or factory",
    "agents": "or mypkg.module:Name, an Agent class or factory",
}


def _training_rows(section: str) -> list[tuple[str, str]]:
    """Name and description of every part in one training registry (imported only now)."""
    from zeroplay.training import registry as training_registry

    reg = getattr(training_registry, TRAINING[section][0])
    return [(name, _part_note(reg, name)) for name in reg.registered()]


def _part_note(reg: object, name: str) -> str:
    """A built-in part's registered description; a plug-in's docstring and where it comes from, or why it
    does not load."""
    from zeroplay.core.registry import load_registered

    spec = reg.spec(name)  # type: ignore[attr-defined]
    if spec.description and not spec.plugin:
        return spec.description
    try:
        doc = _doc_of(load_registered(reg.kind, name, spec.entry_point))  # type: ignore[attr-defined]
    except Exception as e:  # noqa: BLE001 - a broken plug-in is listed with its error, not a crash
        return f"does not load: {' '.join(str(e).split())}"
    where = f"plug-in {spec.entry_point}" if spec.plugin else ""
    return f"{doc} ({where})" if doc and where else doc or where


def _sandbox_rows() -> list[tuple[str, str]]:
    try:
        from zeroplay.sandbox import describe_backends
    except ImportError:
        return [("-", "sandbox not available in this version")]
    return list(describe_backends())


def _env_note(env_id: str) -> str:
    """Where an env comes from, for ids built on another package's games or datasets; else the first
    line of the docstring of its entry point (the env class, or the factory registered)."""
    import gymnasium

    from zeroplay.core.registry import gym_id

    if env_id == "zeroplay/ReasoningGym-v0":
        return "any reasoning-gym dataset: dataset=NAME, config={...} (each is also listed as zeroplay/rg/NAME-v0)"
    try:
        spec = gymnasium.spec(gym_id(env_id))
    except Exception:  # noqa: BLE001 - a listing never fails on one odd spec
        return ""
    if env_id.startswith("zeroplay/ta/"):
        return f"TextArena {spec.kwargs.get('game', '')}"
    if env_id.startswith("zeroplay/rg/"):
        return f"reasoning-gym {spec.kwargs.get('dataset', '')}"
    return _with_kwargs(_entry_point_doc(spec.entry_point), spec.kwargs)


def _entry_point_doc(entry_point: object) -> str:
    """The first sentence of the docstring of an env's entry point, or of its module when that one
    only points there ("" when it has none, or the entry point does not import)."""
    from zeroplay.core.registry import load_entry_point

    try:
        obj = load_entry_point(entry_point)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a broken plugin's env still gets listed, without a description
        return ""
    return _doc_of(obj)


def _doc_of(obj: object) -> str:
    """The first sentence of ``obj``'s own docstring (a class's, a function's; a partial's function's), or
    of its module's when that one only points there."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    # a class's own docstring only: an inherited one (TaskEnv's) would describe every env alike
    own = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__ if inspect.isfunction(obj) else None
    line = first_sentence(own)
    if _POINTER.match(line):
        line = first_sentence(getattr(sys.modules.get(getattr(obj, "__module__", "")), "__doc__", None)) or line
    return line


def _with_kwargs(line: str, kwargs: dict[str, object]) -> str:
    """``line`` and the registration's short default kwargs, which tell apart ids of one class."""
    shown = [f"{k}={v}" for k, v in kwargs.items() if isinstance(v, (str, int, float, bool)) and len(str(v)) <= 30]
    if not line or not shown:
        return line
    return f"{line.rstrip('.')} ({', '.join(shown[:3])})."


#: a class docstring that only sends the reader to its module's ("``zeroplay/Nim-v0``: see the module docstring.")
_POINTER = re.compile(r"^(\S+:\s*)?see the module docstring", re.IGNORECASE)


def first_sentence(doc: object) -> str:
    """The first sentence of a docstring's first paragraph, on one line, without reST markup."""
    if not isinstance(doc, str):
        return ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    paragraph = re.sub(r":\w+:`~?([^`]*)`", r"\1", paragraph)  # :class:`Task` -> Task
    paragraph = paragraph.replace("``", "")
    paragraph = re.sub(r"\s*\(see the module docstring\)", "", paragraph)  # the listing shows no module docstring
    end = re.search(r"[.!?](\s|$)", paragraph)
    return paragraph[:end.start() + 1] if end else paragraph


def run(args: argparse.Namespace) -> int:
    import zeroplay as zp
    from zeroplay import agents, verifiers

    console = Console()
    sections = {
        "envs": lambda: [(i, _env_note(i)) for i in zp.registered()],
        "verifiers": lambda: list(verifiers.descriptions().items()),
        "agents": lambda: list(agents.descriptions().items()),
        "sandbox": _sandbox_rows,
        **{section: functools.partial(_training_rows, section) for section in TRAINING},
    }
    for name, rows in sections.items():
        if args.what not in (None, name):
            continue
        hint = TRAINING[name][1] if name in TRAINING else UNREGISTERED.get(name)
        title = f"{name}  [dim]({escape(hint)})[/dim]" if hint else name
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column(style="bold cyan")
        table.add_column()
        for row in rows():
            table.add_row(*(escape(str(cell)) for cell in row))  # text like zeroplay[docker] is not markup
        console.print(table)
        console.print()
    return 0
