"""The static filter on task programs: parse errors and banned constructs, configurable."""

from __future__ import annotations

import pytest

from zeroplay.envs.code.policy import CodePolicy, PolicyError


@pytest.mark.parametrize("program", [
    "def f(x):\n    return x",
    "import math\nfrom collections import Counter\ndef f(s):\n    return max(Counter(s).values()) + math.floor(1.5)",
    "def f(id):\n    dir = id\n    return dir",  # builtin names as variables are fine; calling them is not
    "def f(x):\n    if __name__ == '__task__':\n        return x",
    "class P:\n    def __init__(self, v):\n        self.v = v\n\ndef f(x):\n    return P(x).v",
])
def test_plain_programs_pass(program: str) -> None:
    CodePolicy().check(program)


@pytest.mark.parametrize("program, stage, match", [
    ("", "parse", "empty"),
    ("def f(x) return x", "parse", "syntax error"),
    ("def g(x):\n    return x", "parse", "def f"),
    ("return 1\ndef f(): pass", "parse", "syntax error"),
    ("x" * 7000, "parse", "limit"),
    ("import os\ndef f(): pass", "banned", "'os'"),
    ("import os.path as p\ndef f(): pass", "banned", "os.path"),
    ("from subprocess import run\ndef f(): pass", "banned", "subprocess"),
    ("from . import x\ndef f(): pass", "banned", "relative"),
    ("def f():\n    import random\n    return random.random()", "banned", "random"),
    ("def f():\n    return open('/etc/passwd').read()", "banned", "'open'"),
    ("def f():\n    g = eval\n    return g('1')", "banned", "'eval'"),
    ("def f():\n    return __builtins__", "banned", "__builtins__"),
    ("def f():\n    return ().__class__.__bases__[0].__subclasses__()", "banned", "banned attribute"),
    ("def f():\n    return hash('a')", "banned", "'hash'"),
    ("def f():\n    print('hi')\n    return 1", "banned", "'print'"),
    ("def f(g):\n    return g.gi_frame.f_back", "banned", "banned attribute"),
])
def test_bad_programs_fail_at_their_stage(program: str, stage: str, match: str) -> None:
    with pytest.raises(PolicyError, match=match) as e:
        CodePolicy().check(program)
    assert e.value.stage == stage


def test_the_lists_are_configurable() -> None:
    program = "import math\ndef f():\n    return math.pi"
    CodePolicy().check(program)
    with pytest.raises(PolicyError, match="math"):
        CodePolicy(extra_banned_modules=frozenset({"math"})).check(program)
    CodePolicy(banned_modules=frozenset(), banned_names=frozenset()).check("import os\ndef f():\n    print(1)")
