"""``zeroplay train CONFIG``: run (or resume) a training run from a YAML config."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Train from a YAML config. The run directory is OUT/NAME; when it already holds a "
                          "checkpoint the run resumes from it (pass --name to start a new one).")
    parser.add_argument("config", help="YAML config, e.g. configs/demo.yaml")
    parser.add_argument("--out", dest="out_dir", help="parent directory of the run (overrides out_dir)")
    parser.add_argument("--name", help="run name: the run directory is OUT/NAME (overrides name)")
    parser.add_argument("--steps", type=int, help="number of RL steps (overrides steps)")
    parser.add_argument("--seed", type=int, help="random seed (overrides seed)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override any field with a dotted key, e.g. --set optim.lr=1e-4 (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or tables")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes KEY=VALUE (e.g. optim.lr=1e-4), got {item!r}")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key.strip()] = value  # not a YAML value (e.g. "[", "a: b: c"): the text itself
    return out


def run(args: argparse.Namespace) -> int:
    from zeroplay.training.config import load_config

    overrides = parse_overrides(args.overrides)
    for key in ("out_dir", "name", "steps", "seed"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    cfg = load_config(args.config, overrides)
    from zeroplay.training.trainer import train

    try:
        run_dir = train(cfg, quiet=args.quiet)
    except KeyboardInterrupt:
        print(f"interrupted: run the same command again to resume {Path(cfg.out_dir) / cfg.name} "
              "from its last checkpoint", file=sys.stderr)
        return 130
    print(run_dir)
    return 0
