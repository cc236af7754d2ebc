"""The judge of the code verifier: runs INSIDE the sandbox as the trusted half of a split job.

The solution is the job's *subject*: it runs in a process of its own (see
:mod:`zeroplay.sandbox.subject` for the transport and its threat model) and this judge calls its
functions over a socket. The tests, the expected values and the report channel live only here,
in a process the solution cannot read, trace, write to or patch; the solution's only influence
on the verdict is what its functions return when called, as plain built-in data.

stdin: one base64 ``marshal`` dict ``{"mode", "tests", "entry_point", "calls", "float_tol",
"prelude"}``. stdout: JSON lines ``["T", i, passed, error]`` (one per test, as each ends) and
``["DONE", n]`` after the last, ASCII with every control character escaped, so no text the
solution chose can split or forge a line; the tests' own prints go to /dev/null.

Tests run in a namespace holding a stub for every public function the solution defines, except
those named like a builtin (as HumanEval's harness runs the tests in the solution's module, so
tests may call helpers like ``poly`` or ``encode_cyclic``; give the prompt as ``prelude`` so the
trusted helpers win), then the trusted ``prelude``, then ``candidate`` and the entry point. The
judge imports only the standard library (never ``/work``, where the solution may write). Values crossing from the solution must be plain built-in data (checked by exact type):
a stub that gets anything else back raises ``TypeError``, so objects whose ``__eq__`` always says
yes never reach a test. Arguments are sent as plain data too: a test that passes a function or an
object to the solution fails with a clear error (not supported).
"""


def _zp_main():
    import binascii
    import builtins
    import io
    import json
    import marshal
    import math
    import os
    import sys

    from _zp_subject import Remote, subject

    spec = marshal.loads(binascii.a2b_base64(sys.stdin.read()))
    report_fd = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)

    def report(*fields):
        # one JSON line (ASCII, every control and line-breaking character escaped): no text the
        # solution chose, such as an exception message, can end a line or start another
        os.write(report_fd, (json.dumps(fields) + "\n").encode("ascii"))

    def describe(e):
        return (type(e).__name__ + ": " + str(e))[:300].replace("\n", " ")

    def same(got, want, tol):
        tw, tg = type(want), type(got)
        if want is None or tw is bool:
            return got is want
        if tw is int or tw is float:
            if not (tg is int or tg is float):
                return False
            exact = (tw is int and tg is int) or tol <= 0
            return got == want if exact else math.isclose(got, want, rel_tol=tol, abs_tol=tol)
        if tw is str:
            return tg is str and got == want
        if tw is list:
            if not (tg is list or tg is tuple) or len(got) != len(want):
                return False
            return all(same(g, w, tol) for g, w in zip(got, want))
        if tw is dict:
            if tg is not dict or len(got) != len(want):
                return False
            return all(k in got and same(got[k], w, tol) for k, w in want.items())
        return False

    def checked(name):
        def call(*args, **kwargs):
            result = subject.call(name, *args, **kwargs)
            if type(result) is Remote:
                raise TypeError("the solution returned a " + result.type_name + "; only built-in types count")
            return result

        call.__name__ = name
        return call

    tests = spec.get("tests") or []
    calls = spec.get("calls") or []
    n = len(calls) if spec["mode"] == "calls" else len(tests)
    entry = spec.get("entry_point") or ""
    load_error = None
    names = []
    if subject.load_error is not None:
        load_error = "the solution failed to load: " + subject.load_error
    else:
        try:
            names = subject.names()
        except Exception as e:  # noqa: BLE001 (the subject died at once)
            load_error = "the solution failed to load: " + describe(e)
        if load_error is None and entry and entry not in names:
            load_error = "the solution defines no function named " + entry
    if load_error:
        for i in range(n):
            report("T", i, False, load_error)
        report("DONE", n)
        return

    candidate = checked(entry) if entry else None
    builtin_names = set(vars(builtins))
    tol = spec.get("float_tol", 0.0) or 0.0
    prelude = spec.get("prelude") or ""
    for i in range(n):
        ok, err = False, ""
        try:
            if spec["mode"] == "calls":
                call = calls[i]
                got = candidate(*call.get("args", []), **call.get("kwargs", {}))
                ok = same(got, call.get("expected"), tol)
                if not ok:
                    err = "expected " + repr(call.get("expected"))[:100] + ", got " + repr(got)[:100]
            else:
                ns = {"__name__": "__zp_test__"}
                # a stub never takes a builtin's name: a solution's own `abs` or `sorted` must
                # not change what the tests compute
                ns.update((name, checked(name)) for name in names if name not in builtin_names)
                if prelude:
                    exec(compile(prelude, "prelude.py", "exec"), ns)  # noqa: S102 (trusted: the reference's)
                if entry:
                    ns[entry] = candidate
                    ns["candidate"] = candidate
                exec(compile(tests[i], "test_" + str(i) + ".py", "exec"), ns)  # noqa: S102 (trusted tests)
                check = ns.get("check")
                if check is not None and entry:
                    check(candidate)
                ok = True
        except BaseException as e:  # noqa: BLE001 (a failing test, whatever it raised)
            err = describe(e)
        report("T", i, ok, err)
    report("DONE", n)


_zp_main()
