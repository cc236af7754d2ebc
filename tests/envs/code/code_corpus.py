"""A corpus of bad proposals, each with the stage that must reject it.

``permissive`` entries are validated with a policy that lets ``random``, ``time`` and ``os``
through, to show that the sandbox stages catch what the static filter did not.
"""

from __future__ import annotations

from dataclasses import dataclass


def prop(program: str, *inputs: str, message: str = "") -> str:
    """A proposal in the documented format, wrapped in some chatter as a model would write it."""
    blocks = "\n".join(f"```input\n{i}\n```" for i in inputs)
    tail = f"\n<message>{message}</message>" if message else ""
    return f"Here is my task.\n```python\n{program}\n```\n{blocks}{tail}"


SIX = ("1", "2", "3", "4", "5", "6")


@dataclass(frozen=True)
class Bad:
    name: str
    kind: str
    text: str
    stage: str
    permissive: bool = False


CORPUS: list[Bad] = [
    # -- parse ---------------------------------------------------------------------------
    Bad("empty text", "deduction", "", "parse"),
    Bad("no code block", "deduction", "f(x) = x + 1, input 3", "parse"),
    Bad("no input block", "deduction", "```python\ndef f(x):\n    return x + 1\n```", "parse"),
    Bad("syntax error", "deduction", prop("def f(x)\n    return x", "1"), "parse"),
    Bad("no function f", "deduction", prop("def g(x):\n    return x", "1"), "parse"),
    Bad("return outside a function", "abduction", prop("return 1\ndef f(x):\n    return x", "1"), "parse"),
    Bad("input is a name", "deduction", prop("def f(x):\n    return x", "x"), "parse"),
    Bad("input is a call", "deduction", prop("def f(x):\n    return x", "__import__('os').getcwd()"), "parse"),
    Bad("input uses keywords", "abduction", prop("def f(x):\n    return x", "x=1"), "parse"),
    Bad("input is an expression", "deduction", prop("def f(x):\n    return x", "2 ** 1000000"), "parse"),
    Bad("too few induction inputs", "induction", prop("def f(x):\n    return x * 2", "1", "2", "3"), "parse"),
    Bad("too many induction inputs", "induction", prop("def f(x):\n    return x * 2", *map(str, range(11))), "parse"),
    Bad("program block cut off", "deduction", "```input\n1\n```\n```python\ndef f(x):\n    return x", "parse"),
    Bad("program too long", "deduction", prop("def f(x):\n    return x\n" + "# pad\n" * 2000, "1"), "parse"),
    Bad("message too long", "induction", prop("def f(x):\n    return x * 2", *SIX, message="m" * 600), "parse"),
    Bad("null byte in program", "deduction", prop("def f(x):\n    return x\x00", "1"), "parse"),
    # -- banned --------------------------------------------------------------------------
    Bad("imports os", "deduction", prop("import os\ndef f(x):\n    return os.getcwd()", "1"), "banned"),
    Bad("imports sys", "deduction", prop("import sys\ndef f(x):\n    return sys.version", "1"), "banned"),
    Bad("runs a subprocess", "abduction", prop("import subprocess\ndef f(x):\n    return subprocess.run(['ls'])", "1"), "banned"),
    Bad("uses random", "deduction", prop("import random\ndef f(x):\n    return random.randint(0, x)", "5"), "banned"),
    Bad("uses time", "deduction", prop("from time import time\ndef f(x):\n    return time()", "1"), "banned"),
    Bad("starts a thread", "deduction", prop("import threading\ndef f(x):\n    return threading.active_count()", "1"), "banned"),
    Bad("opens a socket", "abduction", prop("from socket import socket\ndef f(x):\n    return str(socket())", "1"), "banned"),
    Bad("reads a file", "deduction", prop("def f(x):\n    return open('/etc/passwd').read()", "1"), "banned"),
    Bad("writes a file", "deduction", prop("def f(x):\n    with open('out', 'w') as h:\n        h.write(x)\n    return x", "'a'"), "banned"),
    Bad("uses pathlib", "deduction", prop("from pathlib import Path\ndef f(x):\n    return Path('.').exists()", "1"), "banned"),
    Bad("calls eval", "deduction", prop("def f(x):\n    return eval(x)", "'1+1'"), "banned"),
    Bad("calls exec", "deduction", prop("def f(x):\n    exec('y = 1')\n    return x", "1"), "banned"),
    Bad("dunder import", "deduction", prop("def f(x):\n    return __import__('os').getpid()", "1"), "banned"),
    Bad("class escape", "deduction", prop("def f(x):\n    return len(().__class__.__base__.__subclasses__())", "1"), "banned"),
    Bad("private module", "deduction", prop("import _random\ndef f(x):\n    return _random.Random().random()", "1"), "banned"),
    Bad("pickle", "deduction", prop("import pickle\ndef f(x):\n    return pickle.dumps(x)", "1"), "banned"),
    Bad("getattr tricks", "deduction", prop("def f(x):\n    return getattr(x, 'real')", "1"), "banned"),
    Bad("prints", "deduction", prop("def f(x):\n    print('x' * 10**7)\n    return x", "1"), "banned"),
    # -- duplicate -----------------------------------------------------------------------
    Bad("the identity seed again", "deduction", prop("def f(x):\n    return x", "'Hello world'"), "duplicate"),
    Bad("the identity seed reformatted", "deduction", prop("def f(x):  # same\n    return (x)", "'Hello world'"), "duplicate"),
    # -- run -----------------------------------------------------------------------------
    Bad("endless loop", "deduction", prop("def f(x):\n    while True:\n        x += 1", "1"), "run"),
    Bad("too slow", "abduction", prop("def f(x):\n    return sum(range(10 ** 12))", "1"), "run"),
    Bad("raises", "deduction", prop("def f(x):\n    return 1 // x", "0"), "run"),
    Bad("wrong number of arguments", "deduction", prop("def f(x):\n    return x", "1, 2"), "run"),
    Bad("endless recursion", "deduction", prop("def f(x):\n    return f(x + 1)", "1"), "run"),
    Bad("memory bomb", "deduction", prop("def f(x):\n    return len([0] * (10 ** 10))", "1"), "run"),
    Bad("exits at load", "deduction", prop("raise SystemExit(0)\ndef f(x):\n    return x", "1"), "run"),
    Bad("one induction input fails", "induction", prop("def f(x):\n    return 12 // (x - 4)", *SIX), "run"),
    Bad("exits the process", "deduction", prop("import os\ndef f(x):\n    os._exit(0)", "1"), "run", permissive=True),
    # -- output --------------------------------------------------------------------------
    Bad("huge output", "deduction", prop("def f(x):\n    return 'a' * 10 ** 7", "1"), "output"),
    Bad("returns a function", "deduction", prop("def f(x):\n    return f", "1"), "output"),
    Bad("returns an object", "abduction", prop("class A:\n    pass\n\ndef f(x):\n    return A()", "1"), "output"),
    Bad("returns nan", "deduction", prop("def f(x):\n    return float('nan')", "1"), "output"),
    Bad("returns a generator", "deduction", prop("def f(x):\n    return (i for i in range(x))", "3"), "output"),
    # -- determinism (the filter is relaxed so the sandbox stages must catch these) -------
    Bad("random without the filter", "deduction",
        prop("import random\ndef f(x):\n    return random.random()", "1"), "determinism", permissive=True),
    Bad("clock without the filter", "deduction",
        prop("import time\ndef f(x):\n    return time.perf_counter_ns()", "1"), "determinism", permissive=True),
    Bad("urandom without the filter", "abduction",
        prop("import os\ndef f(x):\n    return os.urandom(8).hex()", "1"), "determinism", permissive=True),
    # -- distinct ------------------------------------------------------------------------
    Bad("constant function", "induction", prop("def f(x):\n    return 0", *SIX, message="zero"), "distinct"),
    Bad("repeated outputs", "induction", prop("def f(x):\n    return x % 2", *SIX, message="parity"), "distinct"),
    Bad("repeated inputs", "induction", prop("def f(x):\n    return x * 3", "1", "2", "3", "4", "5", "1"), "distinct"),
]

GOOD: list[tuple[str, str]] = [
    ("deduction", prop("def f(nums):\n    return sorted(set(nums))[-2]", "[4, 1, 9, 9, 7]")),
    ("deduction", ("<think>try a string task</think>\n```python\ndef f(s):\n    return s.swapcase()[::2]\n```\n"
                  "```input\nf('Hello World')\n```")),
    ("abduction", prop("import math\ndef f(a, b):\n    return math.gcd(a, b) * 2", "84, 36")),
    ("induction", prop("def f(n):\n    return sum(int(d) for d in str(n)) % 7", "19", "25", "100", "4", "58", "2",
                       message="a digit sum, wrapped")),
]
