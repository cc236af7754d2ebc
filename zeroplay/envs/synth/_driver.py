"""The program that runs inside the sandbox: loads one env source and answers a job about it.

Never imported by the harness for use: :mod:`zeroplay.envs.synth.runner` sends this file's
text (plus a call to ``main()``) to the sandbox, with the job as JSON on stdin::

    {"nonce": str, "source": str, "allowed": [module, ...], "call_timeout_s": float,
     "op": "probe" | "instances" | "score", ...}

and reads back one line ``<nonce> <json>`` from stdout. The source runs with guarded builtins:
imports outside ``allowed`` fail, an allowed import yields a read-only view of the module's
public names (without the modules it imported itself, like ``dataclasses.sys``), and prints go
to a capped sink, not to stdout. This keeps a buggy source from corrupting the result and makes
tampering with the harness hard; it cannot make it impossible (code in one interpreter can
always find a way to another's objects), so integrity against a deliberately adversarial
source is best effort. Isolation from the host is the sandbox's job, not this file's. It uses only the standard library.
"""

import builtins
import hashlib
import json
import math
import os
import random
import signal
import sys
import traceback
import types


class CallTimeout(BaseException):
    """One call into the source ran past its time budget."""


class PrintFlood(BaseException):
    """The source printed more than its budget."""


class PrintSink:
    """Where the source's prints go: counted, then dropped."""

    def __init__(self, limit):
        self.limit, self.written = limit, 0

    def write(self, text):
        self.written += len(text)
        if self.written > self.limit:
            raise PrintFlood(f"printed more than {self.limit} characters")
        return len(text)

    def flush(self):
        pass


class SourceError(Exception):
    """A call into the source failed; ``stage`` says which check it belongs to."""

    def __init__(self, stage, message, crash=False):
        super().__init__(message)
        self.stage = stage
        self.crash = crash  # the source raised on its own (not a limit): callers may reassign the stage


#: Public names of allowed modules that still lead to arbitrary attribute access or evaluation
#: (and from there to the harness's frames): hidden from the source.
HIDDEN = {
    "operator": {"attrgetter", "methodcaller"},
    "string": {"Formatter"},
    "typing": {"get_type_hints", "ForwardRef"},
    "functools": {"singledispatch", "singledispatchmethod"},
}


class ModuleView:
    """What a source gets for ``import m``: m's public names, minus the modules m itself imported
    (``dataclasses.sys``) and the gadgets in :data:`HIDDEN`. Submodules of an allowed package
    (``collections.abc``) appear as views too."""

    def __init__(self, module, views):
        hidden = HIDDEN.get(module.__name__, set())
        for key in dir(module):
            if key.startswith("_") or key in hidden:
                continue
            value = getattr(module, key)
            if isinstance(value, types.ModuleType):
                if not value.__name__.startswith(module.__name__ + "."):
                    continue
                value = views(value)
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise AttributeError("modules are read-only in a synthesized environment")


def guarded_builtins(allowed, banned):
    """The builtins a source sees: no banned names, and an ``__import__`` that hands out views of allowed modules."""
    real_import = builtins.__import__
    cache = {}

    def view(module):
        if module.__name__ not in cache:
            cache[module.__name__] = None  # a package that imports itself does not loop
            cache[module.__name__] = ModuleView(module, view)
        return cache[module.__name__]

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level != 0 or name.split(".")[0] not in allowed:
            raise ImportError(f"import of {name!r} is not allowed in a synthesized environment")
        return view(real_import(name, globals, locals, fromlist, level))

    table = {k: v for k, v in vars(builtins).items() if k not in banned}
    table["__import__"] = guarded_import
    return table


def on_alarm(signum, frame):
    raise CallTimeout()


def call(fn_name, env, timeout_s, *args):
    """Call ``env[fn_name](*args)`` under a per-call alarm; failures become :class:`SourceError`."""
    fn = env.get(fn_name)
    if not callable(fn):
        raise SourceError("static", f"{fn_name} is not defined as a function")
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return fn(*args)
    except CallTimeout:
        raise SourceError("sandbox", f"{fn_name} ran over its {timeout_s:g} s budget (an endless loop?)") from None
    except PrintFlood as e:
        raise SourceError("sandbox", f"{fn_name} {e}") from None
    except MemoryError:
        raise SourceError("sandbox", f"{fn_name} ran out of memory") from None
    except RecursionError:
        raise SourceError("sandbox", f"{fn_name} recursed too deeply") from None
    except BaseException as e:  # noqa: BLE001 - the source's own bug: report where it happened
        tb = traceback.extract_tb(e.__traceback__)
        where = next((f"line {fr.lineno}" for fr in reversed(tb) if fr.filename == "<env>"), "")
        raise SourceError("sandbox", f"{fn_name} raised {type(e).__name__}: {str(e)[:200]} {where}".strip(), crash=True) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def canonical(value):
    """Stable text of an instance, for hashing and comparing across processes."""
    try:
        return json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "replace"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def make_instance(env, job, seed, difficulty):
    inst = call("sample_instance", env, job["call_timeout_s"], random.Random(seed), difficulty)
    if not isinstance(inst, dict):
        raise SourceError("sandbox", f"sample_instance returned {type(inst).__name__}, expected dict")
    return inst


def render_reference(env, job, inst):
    prompt = call("render", env, job["call_timeout_s"], inst)
    if not isinstance(prompt, str):
        raise SourceError("sandbox", f"render returned {type(prompt).__name__}, expected str")
    if len(prompt) > job["max_prompt_chars"]:
        raise SourceError("sandbox", f"render returned {len(prompt)} characters; the limit is {job['max_prompt_chars']}")
    if not prompt.strip():
        raise SourceError("sandbox", "render returned an empty prompt")
    ref = call("reference", env, job["call_timeout_s"], inst)
    if isinstance(ref, bool) or not isinstance(ref, (str, int, float)):
        raise SourceError("self_consistent", f"reference returned {type(ref).__name__}; return the answer as a str")
    ref = str(ref)
    if len(ref) > job["max_reference_chars"]:
        raise SourceError("sandbox", f"reference returned {len(ref)} characters; the limit is {job['max_reference_chars']}")
    return prompt, ref


def check_score(value, fn_desc, stage):
    if isinstance(value, bool):
        value = float(value)
    if not isinstance(value, (int, float)) or isinstance(value, complex):
        raise SourceError(stage, f"{fn_desc} returned {type(value).__name__}, expected a float in [0, 1]")
    value = float(value)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise SourceError(stage, f"{fn_desc} returned {value}, outside [0, 1]")
    return value


def score_of(env, job, inst, answer, stage, label):
    try:
        raw = call("score", env, job["call_timeout_s"], inst, answer)
    except SourceError as e:
        if e.crash:  # score must never raise on an answer: that is this stage's failure
            raise SourceError(stage, f"{e} on the {label}; score must return 0.0 for answers it cannot read") from None
        raise
    return check_score(raw, f"score(instance, {label})", stage)


def probe_answers(rng, prompt, other_ref):
    """Answers that should score low: empty, trivial, random, the prompt itself, everything at once."""
    junk = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(rng.randint(1, 30)))
    return {
        "empty": "",
        "zero": "0",
        "one": "1",
        "yes": "yes",
        "no": "no",
        "letter": "a",
        "random_text": junk,
        "random_number": str(rng.randint(0, 10**6)),
        "all_numbers": " ".join(str(i) for i in range(-100, 1000)),
        "all_letters": " ".join("abcdefghijklmnopqrstuvwxyz"),
        "echo_prompt": prompt,
        "long_junk": "x" * 5000,
        "other_reference": other_ref,
    }


def op_probe(env, job):
    """Every check of validation in one pass over the (seed, difficulty) cases."""
    cases = []
    refs = {}
    for seed, difficulty in job["cases"]:
        case = {"seed": seed, "difficulty": difficulty}
        cases.append(case)
        try:
            inst = make_instance(env, job, seed, difficulty)
            prompt, ref = render_reference(env, job, inst)
            case["hash"] = digest(canonical(inst), prompt, ref)
            case["inst_hash"] = digest(canonical(inst))
            case["prompt_chars"] = len(prompt)
            again = make_instance(env, job, seed, difficulty)
            prompt2, ref2 = render_reference(env, job, again)
            case["hash_again"] = digest(canonical(again), prompt2, ref2)
            case["ref_score"] = score_of(env, job, inst, ref, "self_consistent", "reference(instance)")
            case["_inst"], case["_prompt"], case["_ref"] = inst, prompt, ref
            refs.setdefault(difficulty, []).append(ref)
        except SourceError as e:
            case["error"] = {"stage": e.stage, "message": str(e)}
            return {"cases": [strip(c) for c in cases]}
    rng = random.Random(job.get("probe_seed", 0))
    for i, case in enumerate(cases):
        others = [r for r in refs.get(case["difficulty"], []) if r != case["_ref"]]
        other = others[i % len(others)] if others else ""
        probes = {}
        try:
            for label, answer in probe_answers(rng, case["_prompt"], other).items():
                probes[label] = score_of(env, job, case["_inst"], answer, "discriminating", f"{label} answer")
        except SourceError as e:
            case["error"] = {"stage": e.stage, "message": str(e)}
            return {"cases": [strip(c) for c in cases]}
        case["probes"] = probes
    examples = [{"prompt": c["_prompt"][:2000], "reference": c["_ref"][:500], "difficulty": c["difficulty"]} for c in cases[:: max(1, len(cases) // 3)][:3]]
    return {"cases": [strip(c) for c in cases], "examples": examples}


def strip(case):
    return {k: v for k, v in case.items() if not k.startswith("_")}


def op_hashes(env, job):
    """Only the instance/prompt/reference hash of each case: the cheap second run of the determinism check."""
    cases = []
    for seed, difficulty in job["cases"]:
        case = {"seed": seed, "difficulty": difficulty}
        cases.append(case)
        try:
            inst = make_instance(env, job, seed, difficulty)
            prompt, ref = render_reference(env, job, inst)
            case["hash"] = digest(canonical(inst), prompt, ref)
        except SourceError as e:
            case["error"] = {"stage": e.stage, "message": str(e)}
            break
    return {"cases": cases}


def op_instances(env, job):
    """Prompts and references for (seed, difficulty) pairs; a failing case reports its error."""
    out = []
    for seed, difficulty in job["cases"]:
        try:
            inst = make_instance(env, job, seed, difficulty)
            prompt, ref = render_reference(env, job, inst)
            out.append({"prompt": prompt, "reference": ref, "inst_hash": digest(canonical(inst))})
        except SourceError as e:
            out.append({"error": str(e)})
    return {"instances": out}


def op_score(env, job):
    """Scores of answers, each on the instance rebuilt from its (seed, difficulty)."""
    out = []
    for item in job["items"]:
        try:
            inst = make_instance(env, job, item["seed"], item["difficulty"])
            if item.get("inst_hash") and digest(canonical(inst)) != item["inst_hash"]:
                raise SourceError("deterministic", "the instance came out different from the one shown (non-deterministic env)")
            out.append({"score": score_of(env, job, inst, item["answer"], "score", "answer")})
        except SourceError as e:
            out.append({"error": str(e)})
    return {"scores": out}


def op_check(env, job):
    """Prompt, reference and the score of an answer on instances given as JSON (known-value tests)."""
    out = []
    for item in job["items"]:
        try:
            inst = item["instance"]
            prompt, ref = render_reference(env, job, inst)
            out.append({"prompt": prompt, "reference": ref, "score": score_of(env, job, inst, item.get("answer", ref), "score", "answer")})
        except SourceError as e:
            out.append({"error": str(e)})
    return {"checks": out}


OPS = {"probe": op_probe, "hashes": op_hashes, "instances": op_instances, "score": op_score, "check": op_check}


def main():
    job = json.loads(sys.stdin.read())
    nonce = job["nonce"]
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout = sys.stderr = PrintSink(job["max_print_bytes"])
    signal.signal(signal.SIGALRM, on_alarm)
    env = {"__name__": "synth_env", "__builtins__": guarded_builtins(set(job["allowed"]), set(job["banned"]))}
    try:
        code = compile(job["source"], "<env>", "exec")
        signal.setitimer(signal.ITIMER_REAL, job["call_timeout_s"])
        try:
            exec(code, env)  # noqa: S102 - this file runs only inside the sandbox
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result = OPS[job["op"]](env, job)
    except SourceError as e:
        result = {"load_error": {"stage": e.stage, "message": str(e)}}
    except CallTimeout:
        result = {"load_error": {"stage": "sandbox", "message": "the module body ran past its time budget"}}
    except PrintFlood as e:
        result = {"load_error": {"stage": "sandbox", "message": f"the module body {e}"}}
    except MemoryError:
        result = {"load_error": {"stage": "sandbox", "message": "the module body ran out of memory"}}
    except SyntaxError as e:
        result = {"load_error": {"stage": "static", "message": f"syntax error: {e.msg} (line {e.lineno})"}}
    except BaseException as e:  # noqa: BLE001 - whatever the source raised at load
        result = {"load_error": {"stage": "sandbox", "message": f"loading the source raised {type(e).__name__}: {str(e)[:200]}"}}
    real_stdout.write(nonce + " " + json.dumps(result) + "\n")
    real_stdout.flush()
