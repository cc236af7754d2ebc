"""The trusted set-up of a synthesized environment's process: runs INSIDE the sandbox only.

A synth job is a split job (see :mod:`zeroplay.sandbox.subject`): the env source is the
*subject*, loaded by this file in a process of its own; the judge (``_driver.py``) calls the
functions below over a socket and holds the job (which operation runs, the seeds, the answers
to score, the result) where the source cannot reach it. The source runs with guarded builtins:
imports outside ``allowed`` fail, an allowed import yields a read-only view of the module's
public names, prints go to a capped sink. Every call runs in a fork of the process as the source
left it at load (:func:`_isolated`), on its instance made afresh from what the judge sends with the
call, so a source keeps no state from one call to the next and finds no record of the job here
(objects made at random before each call keep even where its new objects land in memory from
telling how many calls came before). Those guards keep honest sources from corrupting their own
answers; against a hostile source they are best effort (code in one interpreter can
always reach the rest of it), which is why nothing here is trusted by the judge: every call
returns ``["ok", value]`` or ``["err", stage, message, crash]`` and the judge checks each value.

``CONFIG`` (``allowed``, ``banned``, ``call_timeout_s``, ``max_print_bytes``) is appended by the host.
"""

import builtins
import json
import marshal
import os
import random
import select
import signal
import sys
import time
import traceback
import types

#: Replaced by the host's settings, appended to this file's text (see the module docstring).
CONFIG: dict = {}

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



_ENV = {}
_LOAD_ERROR = []


def load(code):
    """Load the env source with guarded builtins and prints to a capped sink (the subject's ``load``).

    Never raises: a failure is kept for :func:`status`, so the judge learns its stage."""
    sys.stdout = sys.stderr = PrintSink(CONFIG["max_print_bytes"])
    signal.signal(signal.SIGALRM, on_alarm)
    env = {"__name__": "synth_env", "__builtins__": guarded_builtins(set(CONFIG["allowed"]), set(CONFIG["banned"]))}
    try:
        compiled = compile(code, "<env>", "exec")
        signal.setitimer(signal.ITIMER_REAL, CONFIG["call_timeout_s"])
        try:
            exec(compiled, env)  # noqa: S102 - this file runs only inside the sandbox
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except SyntaxError as e:
        _LOAD_ERROR.extend(["static", f"syntax error: {e.msg} (line {e.lineno})"])
    except CallTimeout:
        _LOAD_ERROR.extend(["sandbox", "the module body ran past its time budget"])
    except PrintFlood as e:
        _LOAD_ERROR.extend(["sandbox", f"the module body {e}"])
    except MemoryError:
        _LOAD_ERROR.extend(["sandbox", "the module body ran out of memory"])
    except BaseException as e:  # noqa: BLE001 - whatever the source raised at load
        _LOAD_ERROR.extend(["sandbox", f"loading the source raised {type(e).__name__}: {str(e)[:200]}"])
    _ENV.update(env)
    return {}  # the judge calls only the functions below, never the source's names directly


def status():
    """``["ok"]`` once the source loaded, else ``["err", stage, message]``."""
    return ["err", *_LOAD_ERROR] if _LOAD_ERROR else ["ok"]


def _answer(fn):
    """Run ``fn``; ``["ok", value]`` (value as plain data, else its type name under ``["obj", name]``)
    or ``["err", stage, message, crash]``."""
    try:
        value = fn()
    except SourceError as e:
        return ["err", e.stage, str(e), e.crash]
    except BaseException as e:  # noqa: BLE001 - never let the source's failure end this process
        return ["err", "sandbox", f"{type(e).__name__}: {str(e)[:200]}", True]
    try:
        marshal.dumps(value)
    except ValueError:
        return ["obj", type(value).__name__]
    return ["ok", value]


def _instance(recipe):
    """The instance ``recipe`` stands for, made afresh: ``["seed", seed, difficulty]`` drawn again (the
    source is deterministic, which validation checks), or ``["data", instance]`` as given. The judge
    sends the recipe with every call: this process keeps no record of the job's instances for a
    source to read (through a format field walking to this module's globals, say)."""
    if type(recipe) is not list or len(recipe) not in (2, 3):
        raise SourceError("sandbox", "the judge sent an unreadable instance")
    if recipe[0] == "data":
        return recipe[1]
    return call("sample_instance", _ENV, CONFIG["call_timeout_s"], random.Random(recipe[1]), recipe[2])


def _heap_jitter():
    """Objects of random number and sizes, made in a fork before the source runs: where its own new
    objects land in memory (their ``id``) then tells nothing of how many calls this process served
    before the fork (its heap grows a little with each request it reads)."""
    rng = random.SystemRandom()
    made = []
    for _ in range(rng.randrange(32, 256)):  # every small-object size class, in random numbers
        size = rng.randrange(8)
        made.append(object() if size == 0 else (None,) * size if size < 4 else bytes(rng.randrange(1, 480)))
    rng.shuffle(made)
    return made[: len(made) // 2]  # the rest freed: holes at random places


def _isolated(fn, calls=2):
    """:func:`_answer` of ``fn`` computed in a fork of this process, which holds the source just as it
    loaded: whatever a call changes (a module-level dict, a closure, a cache, a function attribute, the
    instance it was given) dies with its fork, so no call can see an earlier one (a key paid only the
    first time it is scored, an answer remembered from one instance to the next)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, write, and leave without running any clean-up of the parent's
        try:
            os.close(r)
            jitter = _heap_jitter()  # noqa: F841 - held while the source runs
            data = memoryview(marshal.dumps(_answer(fn)))
            while data:
                data = data[os.write(w, data):]
        finally:
            os._exit(0)
    os.close(w)
    chunks, budget = [], calls * CONFIG["call_timeout_s"] + 2.0  # each call of the source under its own alarm
    deadline = time.monotonic() + budget
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                return ["err", "sandbox", f"a call ran past its {budget:g} s budget", False]
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    try:
        reply = marshal.loads(b"".join(chunks))
    except (EOFError, ValueError, TypeError):
        return ["err", "sandbox", "the call's process ended without an answer (it exited or crashed)", True]
    return reply if type(reply) is list and reply else ["err", "sandbox", "the call's process sent back nothing", True]


def make(seed, difficulty):
    """A new instance from ``sample_instance(Random(seed), difficulty)``, then :func:`render` and
    :func:`reference` of it, in one fork: ``["ok", [[index, canonical text, is a dict], prompt reply,
    reference reply]]``, or the failure of ``sample_instance``; the recipe is what later calls on this
    instance get."""
    recipe = ["seed", seed, difficulty]

    def run():
        inst = _instance(recipe)
        replies = [["ok", [recipe, canonical(inst), type(inst) is dict]]]  # as a reply of its own
        for fn in ("render", "reference"):
            replies.append(_answer(lambda fn=fn: call(fn, _ENV, CONFIG["call_timeout_s"], inst)))
        return replies
    return _isolated(run, calls=3)


def put(instance):
    """An instance given as data (known-value checks): its recipe, text and whether it is a dict."""
    return ["ok", [["data", instance], canonical(instance), type(instance) is dict]]


def render(recipe):
    return _isolated(lambda: call("render", _ENV, CONFIG["call_timeout_s"], _instance(recipe)))


def reference(recipe):
    return _isolated(lambda: call("reference", _ENV, CONFIG["call_timeout_s"], _instance(recipe)))


def score(recipe, answer):
    return _isolated(lambda: call("score", _ENV, CONFIG["call_timeout_s"], _instance(recipe), answer))


def score_many(recipe, answers):
    """The score of each answer on one instance, in one fork (validation's probes): a list of replies."""
    def run():
        inst = _instance(recipe)
        return [_answer(lambda a=a: call("score", _ENV, CONFIG["call_timeout_s"], inst, a)) for a in answers]
    return _isolated(run, calls=len(answers) + 1)
