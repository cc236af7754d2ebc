"""The run-time guard (zeroplay.envs.code.guard): what a task program does, refused whatever route led there.

These programs are run without the static policy (straight through the runner), as if a route past it had
been found: the red teams' rounds 8 to 10 each found one. Each must fail at run time with the guard's
refusal, and the worst of them must run without it (so it is the guard that refuses them)."""

from __future__ import annotations

import os

import pytest

from zeroplay.envs.code.policy import CodePolicy
from zeroplay.envs.code.propose import ProposalValidator
from zeroplay.envs.code.runner import ProgramRunner
from code_corpus import prop

INJECTED_FIELD = ("from dataclasses import dataclass\n"
                  "C = type('C', (), {'__annotations__': {\"a,__import__('os').getpid() * 0\": int}})\n"
                  "def f(x):\n    D = dataclass(C, init=False, repr=False, eq=False, unsafe_hash=True)\n"
                  "    d = D()\n    d.a = x\n    return hash(d) * 0 + x")

#: What the guard refuses, by what it says: each a route a program found, or could, past the static policy.
ATTACKS = {
    "eval through a module's own import": ("import enum\ndef f(x):\n    return enum.bltns.eval('x + 1', {'x': x})",
                                           "code made at run time"),
    "exec": "def f(x):\n    ns = {}\n    exec('y = 1', ns)\n    return ns['y'] + x",
    "typing._eval_type": ("import typing\ndef f(x):\n    r = typing.List[\"(__import__('time').time(), int)[1]\"]\n"
                          "    return x + len(str(typing._eval_type(r, None, None)))"),
    "dataclasses._create_fn": ("import dataclasses\ndef f(x):\n"
                               "    return x + dataclasses._create_fn('g', [], ['return 1'])()"),
    "string annotations evaluated": ("import typing\ndef g(a: \"__import__('os').getpid()\"):\n    pass\n"
                                     "def f(x):\n    return len(typing.get_type_hints(g)) + x"),
    "a dataclass field name that is code": INJECTED_FIELD,
    "a Formatter handing back the builtins": (
        "import string\nclass F(string.Formatter):\n    def convert_field(self, v, c):\n        F.got = v\n"
        "        return ''\ndef f(x):\n    F().format('{0.__globals__[__builtins__]}', f)\n"
        "    return F.got['eval']('x', {'x': x})"),
    "a rewritten code object": ("import dis, types\ndef g():\n    return 1\ndef f(x):\n"
                                "    co = dis.Bytecode(g).codeobj.replace(co_consts=(None, 2))\n"
                                "    return types.FunctionType(co, {})() + x"),
    "another function's code": ("def g():\n    return 1\ndef h():\n    return 2\ndef f(x):\n"
                                "    g.__code__ = h.__code__\n    return g() + x"),
    "/proc/uptime through linecache": ("import linecache\ndef f(x):\n"
                                       "    return len(linecache.getline('/proc/uptime', 1)) * 0 + x"),
    "open": "def f(x):\n    return len(open('/etc/hostname').read()) * 0 + x",
    "a directory listing": "import os\ndef f(x):\n    return len(os.listdir('/proc')) * 0 + x",
    "the host name": "import socket\ndef f(x):\n    return len(socket.gethostname()) * 0 + x",
    "a process": "import os\ndef f(x):\n    return os.system('true') + x",
    "ctypes": "import ctypes\ndef f(x):\n    return ctypes.CDLL(None).getpid() * 0 + x",
    "a gc walk": "import gc\ndef f(x):\n    return len(gc.get_objects()) * 0 + x",
    "a frame": "import sys\ndef f(x):\n    return len(sys._getframe().f_globals) * 0 + x",
    "a traceback's frame": ("def f(x):\n    try:\n        1 / 0\n    except ZeroDivisionError as e:\n"
                            "        return len(e.__traceback__.tb_frame.f_globals) * 0 + x"),
    "id as a value": "def f(x):\n    return x + list(map(id, [f]))[0] // 16 % 2",
}

#: A red team's round against the guard itself (round 11), each a way it had let through.
GRAFT = ("import functools, os\nLIB = os.path.dirname(os.__file__)\n"
         "def graft(src, filename):\n    code = compile(src, filename, 'exec').co_consts[0]\n"
         "    class Holder:\n        __code__ = code\n    def target(*a):\n        pass\n"
         "    functools.update_wrapper(target, Holder, assigned=('__code__',), updated=())\n    return target\n"
         "namedtuple = graft('def namedtuple(s, g):\\n    return eval(s, g)\\n', LIB + '/collections/__init__.py')\n"
         "def f(x):\n    return namedtuple('6 * 7', {}) + x")
SIGNAL_FRAME = ("import signal\ngot = []\ndef handler(signum, frame):\n    got.append(frame)\n"
                "def f(x):\n    signal.signal(signal.SIGUSR1, handler)\n    signal.raise_signal(signal.SIGUSR1)\n"
                "    return len(got[0].f_back.f_locals) * 0 + x")
LOADER = ("import sys\nimport importlib.machinery as M\nSRC = b'def g():\\n    return eval(\"6 * 7\")\\n'\n"
          "real, saved = M.SourceFileLoader.get_data, sys.modules.pop('colorsys', None)\n"
          "def f(x):\n    M.SourceFileLoader.get_data = lambda self, path: SRC\n    sys.dont_write_bytecode = True\n"
          "    import colorsys\n    return colorsys.g() + x")
FINDER = ("import sys\nimport importlib.machinery as M\nclass L(M.SourceFileLoader):\n"
          "    def get_data(self, path):\n        return b'def g():\\n    return eval(\"6 * 7\")\\n'\n"
          "class F:\n    def find_spec(self, name, target=None):\n"
          "        if name == 'zz_evil':\n"
          "            return M.ModuleSpec(name, L(name, '/x/zz_evil.py'), origin='/x/zz_evil.py')\n"
          "    def invalidate_caches(self):\n        pass\n"
          "def f(x):\n    sys.path_importer_cache['/zz'] = F()\n    sys.path.append('/zz')\n"
          "    import zz_evil\n    return zz_evil.g() + x")
FORK_EXEC = ("import os, _posixsubprocess\ndef f(x):\n    r, w = os.pipe()\n    er, ew = os.pipe()\n"
             "    pid = _posixsubprocess.fork_exec([b'/bin/cat', b'/proc/uptime'], [b'/bin/cat'], True, (ew,), None,\n"
             "        None, -1, -1, -1, w, -1, -1, er, ew, True, False, -1, None, None, None, -1, None, False)\n"
             "    os.close(w)\n    os.close(ew)\n    data = os.read(r, 200)\n    os.waitpid(pid, 0)\n"
             "    return len(data)")
COLLIDING_KEY = ("import sys\nran = []\nclass K(str):\n    def __hash__(self):\n        return hash('__task__')\n"
                 "    def __eq__(self, other):\n        ran.append(1)\n        return False\n"
                 "sys.modules[K('zz')] = None\nglobals()[K('yy')] = None\n"
                 "def f(x):\n    try:\n        id(x)\n    except BaseException:\n        pass\n    return len(ran)")
ROUND_11 = {
    "a run-time code grafted by update_wrapper": (GRAFT, "setting a function's __code__"),
    "a signal handler's frame": (SIGNAL_FRAME, ""),
    "a library loader patched": (LOADER, "code made at run time"),
    "a finder of the program's own": (FINDER, "code made at run time"),
    "a program started by fork_exec": (FORK_EXEC, "importing _posixsubprocess"),
    "a directory above the library": ("import os\ndef f(x):\n"
                                      "    return len(os.listdir(os.path.dirname(os.__file__) + '/..')) * 0 + x",
                                      "listing a directory"),
}
ATTACKS.update(ROUND_11)

#: A second round against the guard (12).
PATCHED_NAME = ("import collections, functools\ncode = compile('y = 42', 'x.py', 'exec')\n"
                "def f(x):\n    ns = {}\n    collections.isinstance = lambda a, b: False\n"
                "    collections.str = functools.partial(exec, code)\n    try:\n"
                "        collections.namedtuple('T', [ns])\n    except BaseException:\n        pass\n"
                "    return ns.get('y', 0) + x")
CREATE_FN_BY_METACLASS = (
    "import dataclasses, functools\nsink = []\ndef f(x):\n"
    "    class M(type):\n        __getattribute__ = functools.partial(dataclasses._create_fn,\n"
    "            args=['a=sink.append(6 * 7)'], body=['pass'], locals={'sink': sink})\n"
    "    class C(metaclass=M):\n        pass\n    try:\n        dataclasses.dataclass(C)\n"
    "    except BaseException:\n        pass\n    return sum(sink) + x")
CTYPES_MEMORY = ("import ctypes\nclass U(ctypes.Union):\n"
                 "    _fields_ = [('addr', ctypes.c_void_p), ('p', ctypes.POINTER(ctypes.c_ssize_t))]\n"
                 "def f(x):\n    obj = [x]\n    u = U()\n"
                 "    u.addr = int(object.__repr__(obj).split(' at ')[1][:-1], 16)\n    return u.p[0] * 0 + x")
STDERR_BLOCKED = ("import os, threading\ndef f(x):\n    r, w = os.pipe()\n    os.set_blocking(w, False)\n"
                  "    try:\n        while True:\n            os.write(w, b'.' * 4096)\n    except BlockingIOError:\n"
                  "        pass\n    os.set_blocking(w, True)\n    os.dup2(w, 2)\n"
                  "    t = threading.Thread(target=lambda: open('/proc/uptime'), daemon=True)\n    t.start()\n"
                  "    t.join(1.0)\n    return x")
ROUND_12 = {
    "namedtuple running a name the program patched": (PATCHED_NAME, "code made at run time"),
    "dataclasses._create_fn called by a metaclass": (CREATE_FN_BY_METACLASS, "code made at run time"),
    "ctypes reading memory": (CTYPES_MEMORY, "importing ctypes"),
}
ATTACKS.update(ROUND_12)

#: A third round (13): a codec of the program's own decoded a library file with a coding cookie for the import
#: and for the guard's check alike (in the library of Python 3.11 only turtledemo/clock.py has one).
OWN_CODEC = ("import sys, codecs, encodings\ndef f(x):\n    def dec(data, errors='strict'):\n"
             "        return ('RESULT = [n * n for n in range(6)]\\n', len(data))\n"
             "    encodings._cache['cp1252'] = codecs.CodecInfo(None, dec, name='cp1252')\n"
             "    sys.implementation.cache_tag = None\n    __import__('turtledemo.clock')\n"
             "    return sys.modules['turtledemo.clock'].RESULT[x]")
ROUND_13 = {"a codec of the program's own": (OWN_CODEC, "code made at run time")}

#: A fourth round (14): a collection run inside the hook (gc callbacks) saved the hook's frames, and through
#: them the program replaced the frame the hook judges by.
GC_IN_THE_HOOK = (
    "import gc, copy, collections, builtins\narmed = [False]\ndef mk():\n    try:\n        1 / 0\n"
    "    except ZeroDivisionError as e:\n        err = e\ndef cb(phase, info):\n"
    "    if armed[0] and phase == 'start':\n        mk()\nclass FakeCode:\n    co_name = 'namedtuple'\n"
    "    co_filename = collections.__file__\nclass Fake:\n    f_globals = vars(collections)\n"
    "    f_builtins = vars(builtins)\n    f_code = FakeCode()\n    @property\n    def f_back(self):\n"
    "        return self\ndef f(x):\n    gc.set_debug(gc.DEBUG_SAVEALL)\n    gc.callbacks.append(cb)\n"
    "    gc.set_threshold(1)\n    armed[0] = True\n    copy.deepcopy([[1], [2], {3: 4}])\n    armed[0] = False\n"
    "    gc.callbacks.remove(cb)\n    gc.set_threshold(700)\n    gc.collect()\n    here = reading = None\n"
    "    for o in gc.garbage:\n        fr = o if type(o).__name__ == 'frame' else None\n"
    "        while fr is not None:\n            here = fr.f_locals.get('here', here)\n"
    "            reading = fr.f_locals.get('reading', reading)\n            fr = fr.f_back\n"
    "    gc.set_debug(0)\n    fake = Fake()\n    here[0] = fake\n    reading.append(fake)\n"
    "    return len(open('/proc/uptime').read()) * 0 + x")
ATTACKS.update(ROUND_13)

#: A fifth round (15): an unsafe extension loaded under a dotted name of its own, readline's history files
#: (read and written with no audited event), and a fake ``_io`` the guard's own check of a lazy import opened
#: its file through, which ran program code inside the hook.
RENAMED_EXTENSION = ("import _imp, sys\nimport importlib.machinery as M\n"
                     "D = sys.modules['os'].path.dirname(M.__file__.rsplit('/', 1)[0]) + '/lib-dynload/'\n"
                     "def f(x):\n    so = D + '_testcapi.' + sys.implementation.cache_tag + '-x86_64-linux-gnu.so'\n"
                     "    spec = M.ModuleSpec('zz._testcapi', None, origin=so)\n"
                     "    t = _imp.create_dynamic(spec)\n    g = {}\n"
                     "    t.eval_code_ex(compile('r = 6 * 7', 'y', 'exec'), g, g)\n    return g['r'] + x")
HISTORY_FILE = ("import readline\ndef f(x):\n    readline.clear_history()\n"
                "    readline.read_history_file('/usr/lib/os-release')\n"
                "    return readline.get_current_history_length() * 0 + x")
FAKE_IO = ("import sys\nreal_io = sys.modules['_io']\nran = []\nclass FakeIO:\n    def open(self, path, mode):\n"
           "        ran.append(path)\n        return real_io.open(path, mode)\n"
           "def f(x):\n    sys.modules['_io'] = FakeIO()\n    sys.modules.pop('colorsys', None)\n"
           "    try:\n        __import__('colorsys')\n    finally:\n        sys.modules['_io'] = real_io\n"
           "    return len(ran) * 0 + x")
ROUND_15 = {
    "an unsafe extension under another name": (RENAMED_EXTENSION, "importing zz._testcapi"),
    "readline's history files": (HISTORY_FILE, "importing readline"),
}
ATTACKS.update(ROUND_15)

#: A sixth round (16): namedtuple's field names changed after its check (through ``sys.intern``) carried code
#: into its ``__new__``; an extension of the program's own, loaded from a memfd, ran native code.
INTERNED_FIELD = ("import collections, sys\nFIELD = \"a='''[:0] or ((lambda s: s * 6)): ((a\"\n"
                  "real_intern = sys.intern\ndef f(x):\n"
                  "    sys.intern = lambda s: FIELD if s == 'a' else real_intern(s)\n    try:\n"
                  "        T = collections.namedtuple('T', ['a'])\n    finally:\n        sys.intern = real_intern\n"
                  "    return T()[0](7) + x")
FOREIGN_EXTENSION = ("import _imp\nimport importlib.machinery as M\ndef f(x):\n"
                     "    spec = M.ModuleSpec('zz', None, origin='/usr/lib/x86_64-linux-gnu/libc.so.6')\n"
                     "    try:\n        _imp.create_dynamic(spec)\n    except ImportError:\n        pass\n    return x")
ROUND_16 = {
    "namedtuple fields changed after its check": (INTERNED_FIELD, "code made at run time"),
    "an extension that is not the library's": (FOREIGN_EXTENSION, "a file not the library's"),
}
ATTACKS.update(ROUND_16)

#: What must still run under the guard: the library's own dynamic code, imports that read and list its files.
HONEST = {
    "dataclasses": ("from dataclasses import dataclass, field\n@dataclass(frozen=True, order=True)\nclass P:\n"
                    "    a: int\n    b: tuple = field(default_factory=tuple)\n"
                    "@dataclass(frozen=True)\nclass Q(P):\n    c: int = 0\n"
                    "def f(x):\n    return [repr(P(x)), P(x) < P(x + 1), hash(P(x)) == hash(P(x)), Q(x, (), 2).c]"),
    "namedtuples": ("from collections import namedtuple\nfrom typing import NamedTuple, List, Optional\n"
                    "N = namedtuple('N', 'a b', defaults=[0])\nclass R(NamedTuple):\n    a: int\n"
                    "    rest: Optional['R'] = None\ndef f(x):\n    return [repr(N(x)), repr(R(x, R(1)))]"),
    "enums and typed dicts": ("import enum\nfrom typing import TypedDict\nColor = enum.Enum('Color', 'RED GREEN')\n"
                              "class Shape(enum.IntEnum):\n    SQUARE = 4\nclass TD(TypedDict):\n    a: int\n"
                              "def f(x):\n    return [Color(x).name, int(Shape.SQUARE) + x, TD(a=x)['a']]"),
    "imports that import more": ("import statistics, fractions, decimal, json.decoder, colorsys\n"
                                 "from xml.etree import ElementTree\ndef f(x):\n"
                                 "    return [statistics.median([x, 1, 5]), str(fractions.Fraction(x, 6)),\n"
                                 "            str(decimal.Decimal(x) / 4), ElementTree.fromstring('<a>1</a>').text]"),
    "the library's own id and frames": ("import copy, functools\n@functools.total_ordering\nclass V:\n"
                                        "    def __init__(self, v):\n        self.v = v\n"
                                        "    def __eq__(self, o):\n        return self.v == o.v\n"
                                        "    def __lt__(self, o):\n        return self.v < o.v\n"
                                        "@functools.lru_cache(maxsize=None)\ndef fib(n):\n"
                                        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
                                        "def f(x):\n    d = copy.deepcopy({'a': [x, {x}]})\n"
                                        "    return [d['a'][0], V(x) >= V(1), fib(x + 20)]"),
    "modules the library imports lazily": ("import codecs\ndef f(x):\n"
                                           "    return [codecs.encode('abc', 'rot13'), list('é'.encode('cp1252')), x]"),
    "exceptions": ("def f(x):\n    try:\n        return [1][x]\n    except IndexError as e:\n"
                   "        return type(e).__name__ + str(x)"),
}


@pytest.fixture(scope="module")
def runner(quick_box):
    return ProgramRunner(quick_box)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_what_the_static_policy_misses_is_refused_at_run_time(runner, name) -> None:
    program, says = ATTACKS[name] if isinstance(ATTACKS[name], tuple) else (ATTACKS[name], "")
    outcome = runner.run(program, ["1"])
    assert outcome.ok and not outcome.calls[0].ok, (name, outcome)
    error = outcome.calls[0].value
    if name == "a signal handler's frame":  # the confined subject's seccomp: no handler is installed
        if os.uname().machine != "x86_64":
            pytest.skip("the confined subject's seccomp filter is written for x86_64")
        assert "PermissionError" in error, (name, error)
    elif name == "a frame":  # the guard took sys._getframe away (the library's readers do without it)
        assert error == "AttributeError: module 'sys' has no attribute '_getframe'", error
    else:
        assert error.startswith("refused at run time: "), (name, error)
    assert says in error, (name, error)


@pytest.mark.parametrize("name", ["eval through a module's own import", "a dataclass field name that is code",
                                  "a Formatter handing back the builtins", "/proc/uptime through linecache",
                                  *ROUND_11, *ROUND_12, *ROUND_13, *ROUND_15, *ROUND_16])
def test_without_the_guard_the_same_programs_run(quick_box, name) -> None:
    program = ATTACKS[name][0] if isinstance(ATTACKS[name], tuple) else ATTACKS[name]
    outcome = ProgramRunner(quick_box, guard=False).run(program, ["1"])
    assert outcome.outputs() is not None and outcome.outputs() != ["0"], (name, outcome)


@pytest.mark.parametrize("name", list(HONEST))
def test_honest_programs_run_under_the_guard(runner, name) -> None:
    outcome = runner.run(HONEST[name], ["1", "2"])
    assert outcome.outputs() is not None, (name, outcome.first_error())
    assert outcome.outputs() == ProgramRunner(runner.sandbox, guard=False).run(HONEST[name], ["1", "2"]).outputs()


def test_program_code_never_runs_while_the_guard_judges(runner) -> None:
    """A key with a hash of the program's own and an ``__eq__`` that runs code, in ``sys.modules`` and in the
    program's globals: the guard looks nothing up in a dict the program can fill (it did, in ``sys.modules``,
    and the ``__eq__`` ran inside the hook, where a signal handler then saw the hook's frame)."""
    outcome = runner.run(COLLIDING_KEY, ["1"])
    assert not outcome.calls[0].ok and outcome.calls[0].value.startswith("refused at run time: builtins.id")
    outcome = runner.run(COLLIDING_KEY.replace("        id(x)\n", "        import copy\n        copy.deepcopy([x])\n"),
                         ["1"])
    assert outcome.outputs() == ["0"], outcome  # the library's id calls are judged without a lookup by name


def test_a_caught_refusal_still_fails_every_call(runner) -> None:
    """Catching the refusal gains nothing: it ends the program's process, and every call fails with it."""
    in_call = "def f(x):\n    try:\n        return eval('x')\n    except BaseException:\n        return x"
    at_load = "try:\n    open('/proc/uptime').read()\nexcept BaseException:\n    pass\ndef f(x):\n    return x"
    for program in (in_call, at_load):
        outcome = runner.run(program, ["1", "2"])
        assert outcome.ok and [c.ok for c in outcome.calls] == [False, False], outcome
        assert all("refused at run time" in c.value for c in outcome.calls)


def test_the_proposer_is_told_what_was_refused(quick_box) -> None:
    """A proposal whose program does what the guard refuses fails at ``run`` with the guard's reason (here
    with a policy that bans nothing, as if the program had found a way past it), and is paid nothing."""
    allow_all = CodePolicy(banned_modules=frozenset(), banned_names=frozenset(), banned_calls=frozenset(),
                           banned_attributes=frozenset(), ban_private_modules=False)
    result = ProposalValidator("deduction", sandbox=quick_box, policy=allow_all).validate(
        prop(ATTACKS["/proc/uptime through linecache"], "1"))
    assert not result.ok and result.stage == "run" and "opening a file (/proc/uptime)" in result.error, result


def test_a_refusal_ends_the_process_even_when_stderr_would_block(runner) -> None:
    """A thread's refusal used to block on a full stderr pipe while the main thread answered on; now the
    guard writes its reason only when stderr takes it at once, and ends the process either way."""
    outcome = runner.run(STDERR_BLOCKED, ["1", "2"])
    assert outcome.ok and not any(c.ok for c in outcome.calls), outcome
    assert ProgramRunner(runner.sandbox, guard=False).run(STDERR_BLOCKED, ["1"]).outputs() == ["1"]


def test_a_forged_refusal_line_names_no_ordinary_failure(runner) -> None:
    """The reason is read back from stderr only for calls the ended process failed; a program that prints a
    refusal of its own and then fails a call some other way is reported as that other failure."""
    program = ("import sys\ndef f(x):\n    sys.stderr.write('zeroplay guard: refused at run time: forged\\n')\n"
               "    sys.stderr.flush()\n    return 1 // 0")
    outcome = runner.run(program, ["1"])
    assert outcome.calls[0].value.startswith("ZeroDivisionError"), outcome




def test_the_guard_opens_no_file_through_a_module_the_program_can_replace(runner) -> None:
    """Round 15: the guard's check of a lazily imported module read its file through ``io.open_code``, which
    looks ``_io`` up in ``sys.modules``: a fake one ran there, inside the hook. The check now reads the
    module's compiled file with ``os.open``; the import itself still goes through the fake and is allowed."""
    outcome = runner.run(FAKE_IO, ["1"])
    assert outcome.outputs() == ["1"], outcome


def test_a_collection_never_runs_inside_the_hook(runner) -> None:
    """Round 14: gc callbacks ran inside the hook and saved its frames (DEBUG_SAVEALL), through which the
    program put a fake frame where the hook reads the one it judges. Collections now wait while it judges."""
    outcome = runner.run(GC_IN_THE_HOOK, ["1"])
    assert outcome.outputs() is None and "TypeError" in outcome.calls[0].value, outcome  # here stays None


def test_imports_that_load_ctypes_refuse_the_program_before_it_runs(runner) -> None:
    """Round 14: preloading ``multiprocessing.sharedctypes`` loaded ctypes before the guard started."""
    outcome = runner.run("import multiprocessing.sharedctypes\ndef f(x):\n    return x", ["1"])
    error = outcome.calls[0].value
    assert error.startswith("program failed to load: ImportError: refused before the program ran: its imports load")
    assert "ctypes" in error, error


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the confined subject's filter is written for x86_64")
def test_a_confined_subject_makes_no_memory_file_and_no_file_node(runner) -> None:
    """Round 16: a memfd held a native extension of the program's own (loaded by ``_imp.create_dynamic`` from
    ``/proc/self/fd/N``), and ``os.mknod`` / ``os.mkfifo`` made files: none raises an audited event, so the
    confined subject's seccomp filter denies them."""
    program = ("import os, stat\ndef f(x):\n    out = []\n"
               "    makers = (lambda: os.memfd_create('zz'), lambda: os.mknod('/tmp/zz_mark', stat.S_IFREG | 0o644),\n"
               "              lambda: os.mkfifo('/tmp/zz_fifo'))\n"
               "    for make in makers:\n        try:\n            make()\n            out.append('made')\n"
               "        except PermissionError:\n            out.append('denied')\n    return out")
    assert runner.run(program, ["1"]).outputs() == ["['denied', 'denied', 'denied']"]
