"""``zeroplay verify``: check answers from the command line.

    zeroplay verify math '\\boxed{\\frac12}' 0.5       # one pair: prints the verdict; exit 0 if correct, 1 if not
    zeroplay verify FILE.jsonl                          # rows {"response", "reference", "verifier"?}: a verdict per row
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError
from zeroplay.core.tasks import read_jsonl

_RESPONSE_KEYS = ("response", "pred", "prediction", "completion")
_REFERENCE_KEYS = ("reference", "gold", "answer", "solution")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a verifier name (math, code, format, exact...) or a JSONL file")
    parser.add_argument("pred", nargs="?", help="the model's answer (with a verifier name)")
    parser.add_argument("gold", nargs="?", help="the reference (with a verifier name; JSON for code references)")
    parser.add_argument("--verifier", default=None, help="for JSONL: the verifier of rows that name none (default math)")
    parser.add_argument("--json", action="store_true", help="print verdicts as JSON lines")


def _verdict_dict(v: Any) -> dict[str, Any]:
    return {"correct": v.correct, "score": v.score, "reason": v.reason, "extracted": v.extracted}


def _pick(row: dict[str, Any], keys: tuple[str, ...], what: str, where: str) -> Any:
    for k in keys:
        if k in row:
            return row[k]
    raise ConfigError(f"{where}: no {what} field; use one of {', '.join(keys)}")


def run(args: argparse.Namespace) -> int:
    from zeroplay import verifiers

    path = Path(args.target)
    if args.target.endswith(".jsonl") or (path.is_file() and args.pred is None):
        return _run_file(path, args)
    if args.pred is None or args.gold is None:
        raise ConfigError("usage: zeroplay verify NAME PRED GOLD, or zeroplay verify FILE.jsonl")
    verifier = verifiers.make(args.target)
    gold: Any = args.gold
    if args.target == "code":
        try:
            gold = json.loads(args.gold)
        except json.JSONDecodeError as e:
            raise ConfigError(f"a code reference is JSON, e.g. '{{\"io\": [...]}}': {e}") from None
    verdict = verifier.verify(args.pred, gold)
    if args.json:
        print(json.dumps(_verdict_dict(verdict)))
    else:
        mark = "correct" if verdict.correct else "wrong"
        print(f"{mark}  score={verdict.score:g}  reason={verdict.reason}  extracted={verdict.extracted!r}")
    return 0 if verdict.correct else 1


def _run_file(path: Path, args: argparse.Namespace) -> int:
    from zeroplay import verifiers

    if not path.is_file():
        raise FileNotFoundError(f"No JSONL file at {path}")
    try:
        rows = list(read_jsonl(path))
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if not rows:
        raise ConfigError(f'{path} holds no rows; write one JSON object a line: {{"response": ..., "reference": ...}}')
    n = len(rows)
    groups: dict[str, list[tuple[int, Any, Any]]] = {}
    for i, (lineno, row) in enumerate(rows):
        where = f"{path}:{lineno}"
        name = row.get("verifier") or args.verifier or "math"
        groups.setdefault(name, []).append(
            (i, _pick(row, _RESPONSE_KEYS, "response", where), _pick(row, _REFERENCE_KEYS, "reference", where)))
    verdicts: list[Any] = [None] * n
    for name, group in groups.items():
        v = verifiers.make(name)
        for (i, _, _), verdict in zip(group, v.verify_batch([r[1] for r in group], [r[2] for r in group])):
            verdicts[i] = verdict
    for i, verdict in enumerate(verdicts):
        if args.json:
            print(json.dumps({"row": i, **_verdict_dict(verdict)}))
        else:
            print(f"{i}\t{'correct' if verdict.correct else 'wrong'}\t{verdict.reason}")
    correct = sum(v.correct for v in verdicts)
    print(f"{correct}/{n} correct", file=sys.stderr)
    return 0
