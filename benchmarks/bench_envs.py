"""`zeroplay bench envs`: env throughput, in sections.

Each section is a module beside this file with ``main(argv) -> None`` that prints its own
table and writes JSON + PNG under benchmarks/results/:
  bench_envs_games.py      random-play steps/s and games/s, against TextArena
  bench_envs_reasoning.py  validated proposals/s and single-step env steps/s
  bench_envs_synth.py      validated synthesized environments/s
Run one with `zeroplay bench envs --only games`.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

SECTIONS = ("games", "reasoning", "synth")
HERE = Path(__file__).resolve().parent


def _load(section: str):
    path = HERE / f"bench_envs_{section}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"bench_envs_{section}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses (and pickling) look their module up here
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="zeroplay bench envs", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section (repeatable)")
    args, rest = parser.parse_known_args(argv)
    for section in args.only or SECTIONS:
        module = _load(section)
        if module is None:
            print(f"[bench envs] section {section!r}: no benchmarks/bench_envs_{section}.py yet, skipped")
            continue
        print(f"\n=== envs: {section} ===")
        module.main(rest)


if __name__ == "__main__":
    main(sys.argv[1:])
