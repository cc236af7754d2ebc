"""``zeroplay bench NAME``: runs ``benchmarks/bench_NAME.py`` of the source checkout."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

BENCHMARKS = ("sandbox", "verifiers", "envs", "train", "agents")


def benchmarks_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "benchmarks"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=BENCHMARKS, help="which benchmark")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to the benchmark (see its --help)")


def run(args: argparse.Namespace) -> int:
    script = benchmarks_dir() / f"bench_{args.name}.py"
    if not script.is_file():
        print(f"No benchmark script at {script}: `zeroplay bench` runs from a source checkout "
              "(git clone, then pip install -e '.[bench]').", file=sys.stderr)
        return 2
    sys.argv = [str(script), *args.rest]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 1
    return 0
