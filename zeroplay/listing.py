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


def run(args: argparse.Namespace) -> int:
    import zeroplay as zp
    from zeroplay import agents, verifiers

    console = Console()
    sections = {
        "envs": lambda: [(i, "") for i in zp.registered()],
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
