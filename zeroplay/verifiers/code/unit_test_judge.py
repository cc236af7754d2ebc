"""The judge of model-written unit tests: runs INSIDE the sandbox as the trusted half of a split job.

Both sides of a UTRL check are model-written, so neither runs as code in this process: the
solution is the job's *subject* (its own process, see :mod:`zeroplay.sandbox.subject`), and each
test arrives here as plain data, parsed on the host from ``assert f(ARGS) == EXPECTED``
(:func:`zeroplay.verifiers.code.unit_tests.parse_tests`). This judge calls the solution's entry
point with the test's arguments over the socket and compares what comes back with the expected
value, which never leaves this process. So a test cannot inspect anything, print, exit or raise
(it is not code), and a solution only ever sees the arguments of its calls.

stdin: one base64 ``marshal`` dict ``{"entry_point", "calls": [[index, args, kwargs, op, expected],
...], "float_tol", "call_timeout_s"}``; ``op`` is ``"=="`` (Python equality on plain data; floats
within ``float_tol`` when it is > 0) or ``"is"`` (identity with None/True/False).

stdout: JSON lines ``["T", index, verdict, message]`` as each call ends, verdict ``pass``, ``fail``
(the value differs) or ``error`` (the call raised, or the solution's process died or ran past
``call_timeout_s`` during it); then ``["GONE"]`` if the solution's process is gone (the calls
after it were not made: the host runs them again in a fresh process), else ``["DONE", n]``.
Lines are ASCII JSON with every control character escaped, so no text the solution chose (an
exception message) can split or forge a line. The solution's own output goes to the run's stderr.
No value the solution returns stops the judge: one that cannot be compared or shown (an int of
more digits than Python prints, one past float range under ``float_tol``) fails or errors its
own test only.
"""


def _zp_main():
    import binascii
    import io
    import json
    import marshal
    import math
    import os
    import reprlib
    import sys

    from _zp_subject import Remote, SubjectGone, subject

    spec = marshal.loads(binascii.a2b_base64(sys.stdin.read()))
    report_fd = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    short = reprlib.Repr()
    short.maxstring, short.maxother, short.maxlong = 60, 60, 40

    def report(*fields):
        os.write(report_fd, (json.dumps(fields) + "\n").encode("ascii"))

    def shown(value):
        try:
            return short.repr(value)[:200]
        except BaseException:  # noqa: BLE001 (an int of more digits than repr converts)
            return "a value of type " + type(value).__name__ + " that cannot be shown"

    def describe(e):
        return (type(e).__name__ + ": " + str(e))[:300].replace("\n", " ")

    def same(got, want, tol):
        if tol > 0:
            tg, tw = type(got), type(want)
            if (tg is float or tw is float) and tg in (int, float) and tw in (int, float):
                try:
                    return math.isclose(got, want, rel_tol=tol, abs_tol=tol)
                except OverflowError:  # an int past float range is not close to any float
                    return False
            if tw in (list, tuple) and tg is tw:
                return len(got) == len(want) and all(same(g, w, tol) for g, w in zip(got, want))
            if tw is dict and tg is dict:
                return got.keys() == want.keys() and all(same(got[k], want[k], tol) for k in want)
        return got == want  # plain built-in data on both sides: no __eq__ of the solution's runs

    entry = spec["entry_point"]
    tol = spec.get("float_tol") or 0.0
    subject.timeout_s = spec.get("call_timeout_s") or 1.0
    calls = spec["calls"]
    if subject.load_error is not None:
        for index, *_ in calls:
            report("T", index, "error", ("the solution failed to load: " + subject.load_error)[:300])
        report("DONE", len(calls))
        return
    for index, args, kwargs, op, want in calls:
        try:
            got = subject.call(entry, *args, **kwargs)
        except SubjectGone as e:
            report("T", index, "error", describe(e))
            report("GONE")
            return
        except BaseException as e:  # noqa: BLE001 (whatever the solution raised)
            report("T", index, "error", describe(e))
            continue
        if type(got) is Remote:
            report("T", index, "fail", "returned a " + got.type_name[:60] + ", not plain data")
            continue
        try:
            ok = got is want if op == "is" else same(got, want, tol)
        except BaseException as e:  # noqa: BLE001 (plain data that still cannot be compared)
            report("T", index, "error", "the result cannot be compared: " + describe(e))
            continue
        report("T", index, "pass" if ok else "fail", "" if ok else "got " + shown(got))
    report("DONE", len(calls))


_zp_main()
