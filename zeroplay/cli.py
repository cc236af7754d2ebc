"""The ``zeroplay`` command line.

Each subcommand lives beside the part it drives, in a module with ``add_arguments(parser)``
and ``run(args) -> int``; only the chosen one is imported, so ``zeroplay --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("zeroplay.listing", "registered envs, verifiers, agents, sandbox backends, loops, rewards, ..."),
    "play": ("zeroplay.agents.play", "run episodes between agents; print returns and win rates"),
    "verify": ("zeroplay.verifiers.cli", "check answers: `verify math PRED GOLD` or `verify FILE.jsonl`"),
    "bench": ("zeroplay.bench", "run a benchmark: sandbox | verifiers | envs | train | agents | decode | learn"),
    "train": ("zeroplay.training.cli", "train from a YAML config: `train configs/demo.yaml`"),
    "report": ("zeroplay.training.report", "write a run's self-contained HTML report: `report runs/demo`"),
    "serve": ("zeroplay.agents.serve", "serve a local transformers model through an OpenAI-compatible API"),
    "synth": ("zeroplay.envs.synth.cli", "ask an agent to write new environments and validate them"),
}


def _parser(chosen: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zeroplay", description=__doc__.splitlines()[0])
    from zeroplay import __version__

    parser.add_argument("--version", action="version", version=f"zeroplay {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as e:
                if not e.name or not (module == e.name or module.startswith(e.name + ".")):
                    raise  # the command's module exists but one of its imports is missing: show it
                p.set_defaults(_missing=module)
            else:
                mod.add_arguments(p)
                p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return _main(argv)
    except KeyboardInterrupt:  # also while the command's heavy modules are still importing
        print("interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str]) -> int:
    chosen = next((a for a in argv if not a.startswith("-")), None)
    if chosen == "verify":
        argv = _answers_are_positional(argv, argv.index(chosen))
    parser = _parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if getattr(args, "_missing", None):
        print(f"zeroplay {args.command}: not available in this version ({args._missing} is missing)", file=sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except Exception as e:
        if _is_user_error(e):
            print(f"zeroplay {args.command}: error: {e}", file=sys.stderr)
            return 2
        raise


def _answers_are_positional(argv: list[str], at: int) -> list[str]:
    """``zeroplay verify math '-\\frac{1}{2}' -0.5``: after ``verify``, a word that starts with ``-`` and is no
    option of it (``-h``, ``--json``, ``--verifier X``; a ``--word`` stays an option, to be refused when unknown)
    is an answer, as if ``--`` came before it."""
    options, values, rest = [], [], argv[at + 1:]
    k = 0
    while k < len(rest):
        word = rest[k]
        if word == "--":
            values += rest[k + 1:]
            break
        if word in ("-h", "--help", "--json") or (word.startswith("--") and word[2:3].isalpha()):
            options.append(word)
            if word == "--verifier" and k + 1 < len(rest):
                options.append(rest[k + 1])
                k += 1
        else:
            values.append(word)
        k += 1
    if not any(v.startswith("-") for v in values):
        return argv
    return [*argv[:at + 1], *options, "--", *values]


def _is_user_error(e: Exception) -> bool:
    """Errors a user can fix from the message alone: ours, and a path that cannot be read or
    written (missing, a directory, not writable...). Anything else is a bug: show its traceback."""
    from zeroplay.core.errors import ZeroplayError

    return isinstance(e, (ZeroplayError, FileNotFoundError)) or (isinstance(e, OSError) and e.filename is not None)


if __name__ == "__main__":
    sys.exit(main())
