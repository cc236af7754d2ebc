"""``zeroplay synth``: ask an agent to write new environments, validate them, keep the good ones.

    zeroplay synth --agent openai --agent-arg model=qwen -n 8 --theme "graph puzzles"
    zeroplay synth --agent openai -n 8 --solver openai --review-agent openai
    zeroplay synth --add-seeds                    # validate the shipped seeds into the library
    zeroplay synth --list                         # what the library holds
"""

from __future__ import annotations

import argparse

import yaml
from rich.console import Console
from rich.table import Table

from zeroplay.core.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", help="agent that writes environments: a registered name (see `zeroplay list "
                                        "agents`) or module.path:AgentClass, as `zeroplay play --agents` takes them")
    parser.add_argument("--agent-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="keyword argument for the agents (repeatable), e.g. model=NAME")
    parser.add_argument("-n", type=int, default=4, help="how many environments to ask for (default 4)")
    parser.add_argument("--theme", default="", help="what the new environments should be about")
    parser.add_argument("--library", help="library directory (default: $ZEROPLAY_SYNTH_LIBRARY or ~/.local/share/zeroplay/synth)")
    parser.add_argument("--solver", help="agent to calibrate difficulty against (skip calibration when absent)")
    parser.add_argument("--review-agent", help="agent that reviews each source (stage 7; skipped when absent)")
    parser.add_argument("--novelty", type=float, default=None, help="similarity at or above which a source is a near-duplicate (default 0.8)")
    parser.add_argument("--band", type=float, nargs=2, default=(0.2, 0.8), metavar=("LOW", "HIGH"),
                        help="target pass-rate band for calibration (default 0.2 0.8)")
    parser.add_argument("--episodes", type=int, default=16, help="calibration instances per difficulty level (default 16)")
    parser.add_argument("--backend", default="auto", help="sandbox backend (default auto)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the choice of examples and calibration")
    parser.add_argument("--add-seeds", action="store_true", help="validate the shipped seed environments into the library")
    parser.add_argument("--list", action="store_true", help="list the library and exit")


def _kwargs(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--agent-arg wants KEY=VALUE (e.g. model=NAME), got {pair!r}")
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key] = value
    return out


def _check(args: argparse.Namespace) -> None:
    """Options that argparse cannot check alone: a clear error before any work."""
    from pathlib import Path

    from zeroplay.sandbox import available_backends

    if args.n < 1:
        raise ConfigError(f"-n is how many environments to ask for: give 1 or more, got {args.n}")
    if args.episodes < 1:
        raise ConfigError(f"--episodes must be 1 or more, got {args.episodes}")
    low, high = args.band
    if not 0.0 <= low < high <= 1.0:
        raise ConfigError(f"--band LOW HIGH must satisfy 0 <= LOW < HIGH <= 1, got {low:g} {high:g}")
    if args.novelty is not None and not 0.0 < args.novelty <= 1.0:
        raise ConfigError(f"--novelty is a similarity in (0, 1], got {args.novelty:g}")
    backends = ["auto", *available_backends()]
    if args.backend not in backends:
        raise ConfigError(f"--backend {args.backend!r} is not available here; choose one of {', '.join(backends)}")
    if args.library and Path(args.library).exists() and not Path(args.library).is_dir():
        raise ConfigError(f"--library {args.library} is a file; give a directory (created when missing)")


def run(args: argparse.Namespace) -> int:
    from zeroplay import agents
    from zeroplay.envs.synth.library import Library, env_id
    from zeroplay.envs.synth.novelty import DEFAULT_THRESHOLD
    from zeroplay.envs.synth.runner import RunnerConfig
    from zeroplay.envs.synth.validate import ValidationConfig

    _check(args)
    console = Console()
    library = Library(args.library)
    if args.list:
        return _show_library(console, library)
    config = ValidationConfig(runner=RunnerConfig(backend=args.backend))
    if args.add_seeds:
        return _add_seeds(console, library, config)
    if not args.agent:
        raise ConfigError("give --agent NAME (see `zeroplay list agents`), or --add-seeds / --list")
    kwargs = _kwargs(args.agent_arg)
    author = _make_agent(agents, args.agent, kwargs)
    solver = _make_agent(agents, args.solver, kwargs) if args.solver else None
    reviewer = _make_agent(agents, args.review_agent, kwargs) if args.review_agent else None
    from zeroplay.envs.synth.pipeline import synthesize

    with console.status(f"asking {args.agent} for {args.n} environments and validating them..."):
        results = synthesize(author, args.n, theme=args.theme, library=library, solver=solver, reviewer=reviewer, config=config,
                             novelty_threshold=DEFAULT_THRESHOLD if args.novelty is None else args.novelty,
                             band=tuple(args.band), episodes=args.episodes, seed=args.seed)
    table = Table(title=f"synthesized environments -> {library.path}", title_justify="left")
    for col in ("name", "result", "stage", "why / env id"):
        table.add_column(col)
    for r in results:
        what = env_id(r.entry.name) if r.accepted else r.reason[:120]
        table.add_row(r.name, "[green]accepted" if r.accepted else "[red]rejected", r.stage or "-", what)
    console.print(table)
    console.print(f"{sum(r.accepted for r in results)} of {len(results)} accepted")
    return 0


def _make_agent(registry, name: str, kwargs: dict):
    """``registry.make(name, **kwargs)`` as ``zeroplay play`` builds its agents: a constructor that refuses
    the --agent-arg options is one ConfigError line, not a traceback."""
    try:
        return registry.make(name, **kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"could not build agent {name!r} with {kwargs}: {e}; check --agent-arg") from e


def _add_seeds(console: Console, library, config) -> int:
    from zeroplay.envs.synth.pipeline import seed_sources
    from zeroplay.envs.synth.spec import source_sha
    from zeroplay.envs.synth.validate import validate_many

    present = {e.sha256 for e in library.entries().values()}
    seeds = {name: src for name, src in seed_sources().items() if source_sha(src) not in present}
    reports = []
    if seeds:
        with console.status(f"validating {len(seeds)} seed environments..."):
            reports = validate_many(list(seeds.values()), config, names=list(seeds))
    added = 0
    for (name, source), report in zip(seeds.items(), reports):
        if not report.passed:
            console.print(f"[red]{report}")
        else:
            library.add(source, name=name, sha256=report.sha, origin="seed")
            added += 1
    console.print(f"{added} seed environments added to {library.path}")
    return 0 if all(r.passed for r in reports) else 1


def _show_library(console: Console, library) -> int:
    from zeroplay.envs.synth.library import env_id

    table = Table(title=f"synth library: {library.path}", title_justify="left")
    for col in ("env id", "difficulty", "levels", "origin"):
        table.add_column(col)
    for name, e in sorted(library.entries().items()):
        table.add_row(env_id(name), str(e.difficulty), ",".join(map(str, e.levels)), e.origin)
    console.print(table)
    return 0
