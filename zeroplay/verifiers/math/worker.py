"""The sympy worker process of the math verifier: ``python -m zeroplay.verifiers.math.worker MEMORY_MB``.

Reads JSON lines ``{"a": answer, "g": gold, "o": options}`` (both already normalized) and
answers ``{"ok": bool, "reason": str}``; or a chunk ``{"b": [[answer, gold], ...], "o": options,
"s": seconds, "t": budget}``, answered ``{"answers": [...]}`` in order, where the worker starts no
new pair once ``s`` seconds have passed (the answers may be fewer than the pairs: the parent sends
the rest again) and a pair that took longer than ``t`` is ``{"timeout": true}``; one request costs
one round trip however many pairs it holds. Its address space is capped, so a computation that
slips past the parser's guards fails with MemoryError instead of swapping the machine; one
that runs too long is killed by the parent (see :mod:`zeroplay.verifiers.workers`).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from functools import lru_cache
from typing import Any

from zeroplay.verifiers.math.options import MathOptions


@lru_cache(maxsize=64)
def _options(key: str) -> MathOptions:
    return MathOptions.from_dict(json.loads(key))


@lru_cache(maxsize=8192)
def _parsed(s: str, key: str) -> Any:
    from zeroplay.verifiers.math.parse import parse_value

    return parse_value(s, _options(key))


def judge(answer: str, gold: str, options_key: str) -> dict[str, Any]:
    """The verdict for one normalized pair; never raises."""
    from zeroplay.verifiers.math.equivalence import values_equal
    from zeroplay.verifiers.math.parse import Oversized

    opts = _options(options_key)
    try:
        g = _parsed(gold, options_key)
    except (Oversized, MemoryError, RecursionError) as e:
        return {"ok": False, "reason": f"gold-unreadable: {e}"}
    except Exception as e:  # sympy raises many types on odd input; none may escape
        return {"ok": False, "reason": f"gold-unreadable: {type(e).__name__}"}
    try:
        a = _parsed(answer, options_key)
    except Oversized as e:
        return {"ok": False, "reason": f"oversized-input: {e}"}
    except (MemoryError, RecursionError):
        return {"ok": False, "reason": "oversized-input: too big to parse"}
    except Exception as e:
        return {"ok": False, "reason": f"unparsable ({type(e).__name__})"}
    try:
        ok, reason = values_equal(a, g, opts)
    except MemoryError:
        return {"ok": False, "reason": "oversized-input: ran out of memory"}
    except RecursionError:
        return {"ok": False, "reason": "oversized-input: nested too deep"}
    except Exception as e:  # sympy raises many types on odd input; none may escape
        return {"ok": False, "reason": f"not-equal (sympy {type(e).__name__})"}
    return {"ok": bool(ok), "reason": reason}


def judge_chunk(pairs: list[list[str]], options_key: str, soft_s: float, budget_s: float) -> dict[str, Any]:
    """Verdicts for the pairs in order, starting none after ``soft_s`` seconds (at least one). A pair
    that took longer than ``budget_s`` is answered ``{"timeout": true}``, as a call of its own would
    have been killed."""
    start = time.monotonic()
    answers = []
    for answer, gold in pairs:
        began = time.monotonic()
        if answers and began - start >= soft_s:
            break
        verdict = judge(answer, gold, options_key)
        answers.append({"timeout": True} if time.monotonic() - began > budget_s else verdict)
    return {"answers": answers}


def main(argv: list[str]) -> int:
    memory_mb = int(argv[0]) if argv else 2048
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import sympy  # noqa: F401  (warm up before announcing readiness)

    from zeroplay.verifiers.math import equivalence, parse  # noqa: F401

    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers goes down the pipe
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        try:
            req = json.loads(line)
            if "b" in req:
                answer = judge_chunk(req["b"], req["o"], req["s"], req["t"])
            else:
                answer = judge(req["a"], req["g"], req["o"])
        except MemoryError:
            answer = {"ok": False, "reason": "oversized-input: ran out of memory"}
        except Exception as e:
            answer = {"ok": False, "reason": f"verifier-error: {type(e).__name__}"}
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
