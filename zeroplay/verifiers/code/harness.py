"""The test harness the code verifier runs INSIDE the sandbox (its source is the program; stdlib only).

stdin: a secret nonce line, then one base64 ``marshal`` dict ``{"solution", "mode", "tests", "entry_point",
"calls", "float_tol", "prelude"}``; the trusted ``prelude`` (e.g. helpers the problem statement
defines, which HumanEval's tests call) runs in each test's namespace before the test. stdout: only lines ``NONCE T i 0|1 [error]`` (one per test, as each ends)
and ``NONCE DONE n`` after the last. The verifier trusts nothing else.

How it resists a hostile solution (each point is tested in tests/verifiers/test_code_attacks.py):
- stdin is read before the solution runs and fd 1 is pointed at /dev/null, so the solution can
  neither read the nonce from stdin nor print anything the verifier reads; reports go to a
  duplicate of the original stdout through a saved ``os.write``;
- exiting early (``sys.exit``, ``SystemExit``, ``os._exit(0)``, a crash) means no ``DONE`` line:
  the tests that did not report count as failed;
- values returned to the tests must be built-in types, checked by exact type (no subclasses,
  no objects whose ``__eq__`` always says yes);
- the tests run in their own namespace with a snapshot of the builtins taken before the solution
  ran; after the solution loads and after every test, the harness checks that no module loaded
  before the solution (builtins included) had a public attribute replaced, and fails the test if so;
  modules the solution imported itself are dropped from ``sys.modules`` before the tests, so a
  test importing one gets a fresh, unpatched copy.

Not covered: a solution that digs the nonce out of the harness's memory (``gc``, frame
inspection); the sandbox still confines what any such program can do to the machine.
"""


def _zp_main():  # everything lives in this frame, so patching module globals changes nothing
    import binascii
    import builtins
    import io
    import marshal
    import math
    import os
    import sys

    # marshal + base64 (both built into the interpreter) instead of json: no import cost per run
    nonce = sys.stdin.readline().strip()
    spec = marshal.loads(binascii.a2b_base64(sys.stdin.read()))
    sys.stdin = io.StringIO("")
    write, dup, dup2, open_fd = os.write, os.dup, os.dup2, os.open
    report_fd = dup(1)
    dup2(open_fd(os.devnull, os.O_WRONLY), 1)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)

    _type, _len, _str, _repr, _exec, _compile, _dict, _list = type, len, str, repr, exec, compile, dict, list
    _BaseException, _TypeError, _isclose, _getattr = BaseException, TypeError, math.isclose, getattr
    plain_types = (int, float, complex, str, bytes, bool, type(None))
    seq_types = (list, tuple, set, frozenset)
    safe_builtins = _dict(builtins.__dict__)
    modules = sys.modules
    missing = object()
    snapshot = []
    for mod_name, mod in _list(modules.items()):
        if mod is None or mod_name in ("sys", "__main__"):
            continue
        keys = [k for k in _getattr(mod, "__dict__", {}) if mod_name == "builtins" or not k.startswith("_")]
        snapshot.append((mod_name, mod, mod.__dict__, [(k, mod.__dict__[k]) for k in keys]))

    def report(text):
        try:
            write(report_fd, (nonce + " " + text + "\n").encode("utf-8", "replace"))
        except _BaseException:
            pass

    def tampered():
        for mod_name, mod, d, items in snapshot:
            if modules.get(mod_name) is not mod:
                return "replaced module " + mod_name
            for k, v in items:
                if d.get(k, missing) is not v:
                    return "monkeypatched " + mod_name + "." + k
        return None

    def describe(e):
        try:
            return (_type(e).__name__ + ": " + _str(e))[:300].replace("\n", " ")
        except _BaseException:
            return "exception"

    def is_plain(x, depth=0):
        t = _type(x)
        for p in plain_types:
            if t is p:
                return True
        if depth > 50:
            return False
        for p in seq_types:
            if t is p:
                for item in x:
                    if not is_plain(item, depth + 1):
                        return False
                return True
        if t is dict:
            for k, v in x.items():
                if not (is_plain(k, depth + 1) and is_plain(v, depth + 1)):
                    return False
            return True
        return False

    def same(got, want, tol):
        tw, tg = _type(want), _type(got)
        if want is None or tw is bool:
            return got is want
        if tw is int or tw is float:
            if not (tg is int or tg is float):
                return False
            return got == want if (tw is int and tg is int) or tol <= 0 else _isclose(got, want, rel_tol=tol, abs_tol=tol)
        if tw is str:
            return tg is str and got == want
        if tw is list:
            if not (tg is list or tg is tuple) or _len(got) != _len(want):
                return False
            for g, w in zip(got, want):
                if not same(g, w, tol):
                    return False
            return True
        if tw is dict:
            if tg is not dict or _len(got) != _len(want):
                return False
            for k, w in want.items():
                if k not in got or not same(got[k], w, tol):
                    return False
            return True
        return False

    tests = spec.get("tests") or []
    calls = spec.get("calls") or []
    n = _len(calls) if spec["mode"] == "calls" else _len(tests)
    entry = spec.get("entry_point") or ""
    sol_ns = {"__name__": "solution", "__builtins__": builtins}
    try:
        _exec(_compile(spec["solution"], "solution.py", "exec"), sol_ns)
        load_error = tampered()
        if entry and entry not in sol_ns:
            load_error = "the solution defines no function named " + entry
    except _BaseException as e:
        load_error = "the solution failed to load: " + describe(e)
    if load_error:
        for i in range(n):
            report("T " + _str(i) + " 0 " + load_error)
        report("DONE " + _str(n))
        return

    target = sol_ns.get(entry) if entry else None
    # modules the solution imported (and may have patched) are dropped: a test that imports one
    # gets a fresh copy, while the solution keeps the objects it holds
    known = {item[0] for item in snapshot}
    for mod_name in _list(modules):
        if mod_name not in known and mod_name not in ("sys", "__main__") and not mod_name.startswith("encodings"):
            modules.pop(mod_name, None)

    def candidate(*args, **kwargs):
        result = target(*args, **kwargs)
        if not is_plain(result):
            raise _TypeError("the solution returned a " + _type(result).__name__ + "; only built-in types count")
        return result

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
                    err = "expected " + _repr(call.get("expected"))[:100] + ", got " + _repr(got)[:100]
            else:
                ns = {"__name__": "__zp_test__", "__builtins__": _dict(safe_builtins)}
                if prelude:
                    _exec(_compile(prelude, "prelude.py", "exec"), ns)
                if entry:
                    ns[entry] = candidate
                    ns["candidate"] = candidate
                _exec(_compile(tests[i], "test_" + _str(i) + ".py", "exec"), ns)
                check = ns.get("check")
                if check is not None and entry:
                    check(candidate)
                ok = True
        except _BaseException as e:
            err = describe(e)
        bad = tampered()
        if bad:
            ok, err = False, bad
        report("T " + _str(i) + (" 1" if ok else " 0 " + err))
    report("DONE " + _str(n))


_zp_main()
