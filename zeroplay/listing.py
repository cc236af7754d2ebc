"""``zeroplay list``: what is registered, and how strong the sandbox is here."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", nargs="?", choices=["envs", "verifiers", "agents", "sandbox"], help="list only this")


def _sandbox_rows() -> list[tuple[str, str]]:
    try:
        from zeroplay.sandbox import describe_backends
    except ImportError:
        return [("-", "sandbox not available in this version")]
    return list(describe_backends())


def _env_note(env_id: str) -> str:
    """Where an env comes from, for ids built on another package's games or datasets."""
    import gymnasium

    from zeroplay.core.registry import gym_id

    if env_id == "zeroplay/ReasoningGym-v0":
        return "any reasoning-gym dataset: dataset=NAME, config={...} (each is also listed as zeroplay/rg/NAME-v0)"
    try:
        kwargs = gymnasium.spec(gym_id(env_id)).kwargs
    except Exception:  # noqa: BLE001 - a listing never fails on one odd spec
        return ""
    if env_id.startswith("zeroplay/ta/"):
        return f"TextArena {kwargs.get('game', '')}"
    if env_id.startswith("zeroplay/rg/"):
        return f"reasoning-gym {kwargs.get('dataset', '')}"
    return ""


def run(args: argparse.Namespace) -> int:
    import zeroplay as zp
    from zeroplay import agents, verifiers

    console = Console()
    sections = {
        "envs": lambda: [(i, _env_note(i)) for i in zp.registered()],
        "verifiers": lambda: list(verifiers.descriptions().items()),
        "agents": lambda: list(agents.descriptions().items()),
        "sandbox": _sandbox_rows,
    }
    for name, rows in sections.items():
        if args.what not in (None, name):
            continue
        table = Table(title=name, title_justify="left", show_header=False, box=None)
        table.add_column(style="bold cyan")
        table.add_column()
        for row in rows():
            table.add_row(*(escape(str(cell)) for cell in row))  # text like zeroplay[docker] is not markup
        console.print(table)
        console.print()
    return 0
