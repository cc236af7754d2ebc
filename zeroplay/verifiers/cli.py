"""``zeroplay verify``: check answers from the command line.

    zeroplay verify math '\\boxed{\\frac12}' 0.5       # one pair: prints the verdict; exit 0 if correct, 1 if not
    zeroplay verify FILE.jsonl                          # rows {"response", "reference", "verifier"?, "label"?}
    PYTHONPATH=. zeroplay verify mymod:MyVerifier A B   # your own verifier class (or a function returning one)

A verifier that raises (or returns no Verdict) gives no verdict: one pair gets one line naming the
verifier and its error, exit 2.

A JSONL file gets a verdict per row (its index among the non-blank lines), then a summary: how
many were judged correct and, over the rows with a boolean ``label`` (true: the response is
correct; the one field read for it), the accuracy of the verdicts, the false positives (judged
correct, labelled false) and the false negatives (judged wrong, labelled true). A bad line (not a
JSON object, no response or reference field, a label that is not true/false, a reference its
verifier rejects, a verifier that raises) is reported on stderr as ``FILE:LINE: what is wrong`` and
skipped; the other lines still run, and the exit status is 2. With ``--json`` each verdict is a
JSON line (with ``line`` and any ``label``), and a last line ``{"summary": {...}}`` follows when
some row has a label or some line was bad.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError, ZeroplayError
from zeroplay.core.types import Verdict

_RESPONSE_KEYS = ("response", "pred", "prediction", "completion")
_REFERENCE_KEYS = ("reference", "gold", "answer", "solution")
#: A row's own judgement of its response (true: correct), against which the verdicts are scored.
_LABEL_KEY = "label"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a verifier name (math, code, format, exact..., or your own as "
                        "module.path:Class with its directory on PYTHONPATH) or a JSONL file")
    parser.add_argument("pred", nargs="?", help="the model's answer (with a verifier name)")
    parser.add_argument("gold", nargs="?", help="the reference (with a verifier name; JSON for code references)")
    parser.add_argument("--verifier", default=None, help="for JSONL: the verifier of rows that name none (default math)")
    parser.add_argument("--json", action="store_true",
                        help="print verdicts as JSON lines (then a summary line, with labels)")


def _verdict_dict(v: Any) -> dict[str, Any]:
    return {"correct": v.correct, "score": v.score, "reason": v.reason, "extracted": v.extracted}


def _pick(row: dict[str, Any], keys: tuple[str, ...], what: str) -> Any:
    for k in keys:
        if k in row:
            return row[k]
    raise ValueError(f"no {what} field; use one of {', '.join(keys)}")


def run(args: argparse.Namespace) -> int:
    path = Path(args.target)
    if args.target.endswith(".jsonl") or (path.is_file() and args.pred is None):
        return _run_file(path, args)
    if args.pred is None or args.gold is None:
        raise ConfigError("usage: zeroplay verify NAME PRED GOLD, or zeroplay verify FILE.jsonl")
    verifier = _built(args.target)
    gold: Any = args.gold
    if args.target == "code":
        try:
            gold = json.loads(args.gold)
        except json.JSONDecodeError as e:
            raise ConfigError(f"a code reference is JSON, e.g. '{{\"io\": [...]}}': {e}") from None
    verdict = _verify(args.target, verifier, args.pred, gold)
    if args.json:
        print(json.dumps(_verdict_dict(verdict)))
    else:
        mark = "correct" if verdict.correct else "wrong"
        print(f"{mark}  score={verdict.score:g}  reason={verdict.reason}  extracted={verdict.extracted!r}")
    return 0 if verdict.correct else 1


class VerifierFailed(ZeroplayError):
    """A verifier that could not be built, raised, or returned no :class:`Verdict`: no verdict."""

    def __init__(self, name: str, what: str, fix: str = "check the reference it was given, or fix the verifier"):
        super().__init__(f"verifier {name!r} {what}; no verdict: {fix}")


def _raised(e: Exception) -> str:
    """``raised TypeName: first line of its message`` (bounded)."""
    said = (str(e).strip().splitlines() or [""])[0][:300]
    return f"raised {type(e).__name__}{': ' + said if said else ''}"


def _built(name: str) -> Any:
    """``verifiers.make(name)``; a verifier whose constructor raises is named in one line."""
    from zeroplay import verifiers

    try:
        return verifiers.make(name)
    except ZeroplayError:
        raise
    except Exception as e:
        raise VerifierFailed(name, f"could not be built: {_raised(e)}", "fix its constructor") from e


def _verify(name: str, verifier: Any, response: Any, reference: Any) -> Verdict:
    """``verifier.verify(response, reference)``. A ZeroplayError (the reference is rejected) comes as
    is; a verifier that raises anything else, or returns no Verdict, is a :class:`VerifierFailed`."""
    try:
        verdict = verifier.verify(response, reference)
    except ZeroplayError:
        raise
    except Exception as e:
        raise VerifierFailed(name, _raised(e)) from e
    if not isinstance(verdict, Verdict):
        raise VerifierFailed(name, f"returned a {type(verdict).__name__}, not a zeroplay.core.Verdict",
                             "make its verify return a Verdict")
    return verdict


@dataclass(frozen=True)
class _Row:
    """One readable line of a JSONL file."""

    index: int  # among the file's non-blank lines
    lineno: int
    verifier: str
    response: Any
    reference: Any
    label: bool | None  # the row's "label", when it gives one


def _run_file(path: Path, args: argparse.Namespace) -> int:
    """A verdict per row, then the tally and, over rows with a ``label``, accuracy, false positives
    and false negatives. A bad line is reported with its line number and skipped; exit 2 if any was."""
    if not path.is_file():
        raise FileNotFoundError(f"No JSONL file at {path}")
    rows, bad = _read_rows(path, args.verifier or "math")
    if not rows and not bad:
        raise ConfigError(f'{path} holds no rows; write one JSON object a line: {{"response": ..., "reference": ...}}')
    verdicts = _verdicts(rows, bad)
    for row in rows:
        if row.index in verdicts:
            print(_row_line(row, verdicts[row.index], args.json))
    sys.stdout.flush()  # the rows, then what went wrong, then the summary
    for lineno, why in sorted(bad.items()):
        print(f"{path}:{lineno}: {why.rstrip('.')} (line skipped)", file=sys.stderr)
    summary = _summary([(row.label, verdicts[row.index]) for row in rows if row.index in verdicts], len(bad))
    if args.json:
        if summary["labelled"] or bad:
            print(json.dumps({"summary": summary}))
        print(_summary_line(summary), file=sys.stderr)
    else:
        print(_summary_line(summary))
    if bad:  # last, in the command line's error form: what the first bad line was, and how many
        lineno, why = min(bad.items())
        print(f"zeroplay verify: error: {path}:{lineno}: {why.rstrip('.')} "
              f"({len(bad)} bad line(s) skipped, the other rows verified)", file=sys.stderr)
    return 2 if bad else 0


def _row_line(row: _Row, verdict: Any, as_json: bool) -> str:
    """One row's verdict: a JSON object, or ``index, correct/wrong, reason`` and any disagreement with its label."""
    if as_json:
        label = {"label": row.label} if row.label is not None else {}
        return json.dumps({"row": row.index, "line": row.lineno, **_verdict_dict(verdict), **label})
    disagree = row.label is not None and row.label != verdict.correct
    mark = f"\tdisagrees with label={str(row.label).lower()}" if disagree else ""
    return f"{row.index}\t{'correct' if verdict.correct else 'wrong'}\t{verdict.reason}{mark}"


def _read_rows(path: Path, default_verifier: str) -> tuple[list[_Row], dict[int, str]]:
    """The file's rows, and what is wrong with each line that cannot be one (by line number)."""
    rows: list[_Row] = []
    bad: dict[int, str] = {}
    with path.open("rb") as f:
        index = 0
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                row = _row(raw, index, lineno, default_verifier)
            except ValueError as e:
                bad[lineno] = str(e)
            else:
                rows.append(row)
            index += 1
    return rows, bad


def _row(raw: bytes, index: int, lineno: int, default_verifier: str) -> _Row:
    try:
        obj = json.loads(raw.decode("utf-8-sig"))  # (-sig: a BOM some editors write is skipped)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text; a JSONL file holds one JSON object a line") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON ({e.msg})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    name = obj.get("verifier") or default_verifier
    if not isinstance(name, str):
        raise ValueError(f"field 'verifier' must be a verifier's name (a string), got {json.dumps(name)[:60]}")
    label = obj.get(_LABEL_KEY)
    if label is not None and not isinstance(label, bool):
        raise ValueError(f"field '{_LABEL_KEY}' must be true or false (is the response correct?), "
                         f"got {json.dumps(label)[:60]}")
    return _Row(index, lineno, name, _pick(obj, _RESPONSE_KEYS, "response"), _pick(obj, _REFERENCE_KEYS, "reference"),
                label)


def _verdicts(rows: list[_Row], bad: dict[int, str]) -> dict[int, Any]:
    """Verdicts by row index, a batch per verifier; a row whose verifier or reference is rejected
    (ZeroplayError), or whose verifier raised, goes into ``bad`` instead."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.verifier, []).append(row)
    out: dict[int, Any] = {}
    for name, group in groups.items():
        try:
            v = _built(name)
        except ZeroplayError as e:
            bad.update((row.lineno, str(e)) for row in group)
            continue
        try:
            batch = v.verify_batch([r.response for r in group], [r.reference for r in group])
            if len(batch) != len(group) or not all(isinstance(b, Verdict) for b in batch):
                raise TypeError("verify_batch gave no Verdict per row")
        except Exception:  # some row's reference, or a verifier bug: find which rows, one at a time
            for row in group:
                try:
                    out[row.index] = _verify(name, v, row.response, row.reference)
                except ZeroplayError as e:
                    bad[row.lineno] = str(e)
        else:
            out.update(zip((r.index for r in group), batch))
    return out


def _summary(judged: list[tuple[bool | None, Any]], n_bad: int) -> dict[str, Any]:
    """Counts over the judged rows; accuracy and errors over those with a label."""
    labelled = [(label, v.correct) for label, v in judged if label is not None]
    agree = sum(label == said for label, said in labelled)
    return {"rows": len(judged), "correct": sum(v.correct for _, v in judged), "bad_lines": n_bad,
            "labelled": len(labelled), "agree": agree,
            "accuracy": agree / len(labelled) if labelled else None,
            "false_positives": sum(said and not label for label, said in labelled),
            "false_negatives": sum(label and not said for label, said in labelled)}


def _summary_line(s: dict[str, Any]) -> str:
    line = f"{s['correct']}/{s['rows']} correct"
    if s["bad_lines"]:
        line += f"; {s['bad_lines']} bad line(s) skipped"
    if s["labelled"]:
        line += (f"; against '{_LABEL_KEY}' on {s['labelled']} row(s): accuracy {s['accuracy']:.3f} "
                 f"({s['agree']}/{s['labelled']}), false positives {s['false_positives']} (judged correct, "
                 f"labelled false), false negatives {s['false_negatives']} (judged wrong, labelled true)")
    return line
