"""What a red team (a helper who had not read the rules) got paid for in the code-task envs, now refused:
a coarse clock reached through ``from m import name`` or a class pattern's keyword (the proposer paid for
a coin flip), eval reached through a module's own imports (``enum.bltns``), ``1`` taken for ``True``
inside sets and dict keys, a program that keeps state between calls, and an induction task that holds no
pair out. Each beside what must still pass."""

from __future__ import annotations

import pytest
from code_corpus import prop

from zeroplay.envs.code.policy import CodePolicy, PolicyError
from zeroplay.envs.code.propose import ProposalValidator
from zeroplay.envs.code.triplet import CodeTask, values_equal

COIN = "x + int(o.times().elapsed) // 4 % 2"  # os.times(): a clock the reruns, ms apart, read alike

REFUSED = {
    "from-import of a banned module": f"from contextlib import os as o\ndef f(x):\n    return {COIN}",
    "from-import of a banned attribute": "from codecs import open\ndef f(x):\n    return x",
    "from-import of datetime": "from plistlib import datetime\ndef f(x):\n    return x",
    "from-import of sys": "from ast import sys\ndef f(x):\n    return x",
    "a module's own import (from)": "from enum import bltns\ndef f(x):\n    return bltns.eval('x')",
    "a module's own import (attribute)": "import enum\ndef f(x):\n    return enum.bltns.eval('1') + x",
    "a module's own import (alias)": "import enum as e\ndef f(x):\n    return e.bltns.len([x])",
    "class pattern keyword, a banned module": ("import contextlib\ndef f(x):\n    match contextlib:\n"
                                               f"        case object(os=o):\n            return {COIN}\n    return x"),
    "class pattern keyword, a dunder": ("def f(x):\n    match f:\n        case object(__globals__=g):\n"
                                        "            return len(g) + x\n    return x"),
    "class pattern keyword, a module's own import": ("import enum\ndef f(x):\n    match enum:\n"
                                                     "        case object(bltns=b):\n            return x\n    return x"),
    "star import": "from math import *\ndef f(x):\n    return floor(x)",
    "a format field's attribute walk": "import string\ndef f(x):\n    return string.Formatter().get_field('0', [x], {})",
    "string annotations evaluated": "import typing\ndef f(x):\n    return len(typing.get_type_hints(f)) + x",
    # a later round: the module under another name, where enum.<name> alone was read (a real-clock coin through
    # enum.bltns.eval and ctypes passed all 8 runs and earned the top learnability reward, 0.5)
    "a module bound to another name": "import enum\ndef f(x):\n    m = enum\n    return m.bltns.len([x])",
    "a module as a default argument": "import enum\ndef f(x, m=enum):\n    return m.bltns.len([x])",
    "a module in a list": "import enum\ndef f(x):\n    return [enum][0].bltns.len([x])",
    "a module through a walrus": "import enum\ndef f(x):\n    return (m := enum).bltns.len([x])",
    "a module passed to a function": ("import enum\ndef g(m):\n    return m.bltns\ndef f(x):\n"
                                      "    return g(enum).len([x])"),
    "eval as any object's attribute": "import enum\ndef f(x):\n    return enum.Enum.__init__.eval('x')",
    # a ninth round: a Formatter subclass handed the object a format field walked to, and a code object
    # rewritten with dis and run as a function with empty globals (both reached __import__ and the clock)
    "a Formatter subclass": ("import string\nclass F(string.Formatter):\n    def convert_field(self, v, c):\n"
                             "        return v\ndef f(x):\n    return len(F().format('{0}', x)) + x"),
    "a format field walking dunders": "def f(x):\n    return len('{0.__globals__}'.format(f)) + x",
    "dis and a rewritten code object": ("import dis\ndef g():\n    return 1\ndef f(x):\n"
                                        "    return x + len(dis.Bytecode(g).codeobj.co_names)"),
    "types.FunctionType": "import types\ndef f(x):\n    return x",
    # a tenth round: a module's private helpers eval or exec with the real builtins, a datetime a parser hands
    # back reads the clock, and id passed as a value is called all the same
    "typing._eval_type": ("import typing\ndef f(x):\n    r = typing.List[\"(__import__('time').time(), int)[1]\"]\n"
                          "    return x + len(str(typing._eval_type(r, None, None)))"),
    "dataclasses._create_fn": ("import dataclasses\ndef f(x):\n"
                               "    return x + dataclasses._create_fn('g', [], ['return 1'])()"),
    "a private name imported": "from dataclasses import _create_fn\ndef f(x):\n    return x",
    "the clock of a parsed datetime": ("import tomllib\ndef f(x):\n"
                                       "    return x + tomllib.loads('a = 1979-05-27T07:32:00')['a'].now().second"),
    "id as a value": "def f(x):\n    return x + list(map(id, [f]))[0] // 16 % 2",
}

ALLOWED = {
    "from collections": "from collections import deque, Counter\ndef f(x):\n    return list(deque(Counter([x])))",
    "from functools": "from functools import reduce, lru_cache\ndef f(x):\n    return reduce(lambda a, b: a + b, [x, 1])",
    "from itertools": "from itertools import permutations\ndef f(x):\n    return len(list(permutations(range(x))))",
    "dataclass": "from dataclasses import dataclass\n@dataclass\nclass P:\n    a: int\ndef f(x):\n    return P(x).a",
    "typing names": "from typing import List\ndef f(x: List[int]) -> int:\n    return sum(x)",
    "string constants": "import string\ndef f(s):\n    return string.ascii_lowercase.index(s)",
    "re.compile": "import re\ndef f(s):\n    return len(re.compile('a+').findall(s))",
    "a module's function passed on": "import math\ndef f(xs):\n    return list(map(math.floor, xs))",
    "a class's own private attribute": ("class C:\n    def __init__(self):\n        self._n = 2\ndef f(x):\n"
                                         "    c = C()\n    return c._n * x"),
    "id as the program's own name": "def f(xs):\n    return [id * 2 for id in xs]",
    "mapping and sequence patterns": ("def f(x):\n    match x:\n        case {'a': v}:\n            return v\n"
                                      "        case [a, b]:\n            return a\n    return 0"),
    "class pattern of a value's own attribute": ("from fractions import Fraction\ndef f(x):\n    match Fraction(x, 2):\n"
                                                 "        case Fraction(denominator=d):\n            return d\n    return 0"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_the_red_teams_programs_are_refused_by_the_policy(name: str) -> None:
    with pytest.raises(PolicyError) as e:
        CodePolicy().check(REFUSED[name])
    assert e.value.stage == "banned", e.value


@pytest.mark.parametrize("name", ALLOWED)
def test_honest_imports_and_patterns_still_pass(name: str) -> None:
    CodePolicy().check(ALLOWED[name])


def test_the_clock_coin_is_refused_before_the_sandbox(quick_box) -> None:
    result = ProposalValidator("deduction", sandbox=quick_box).validate(prop(REFUSED["from-import of a banned module"], "10"))
    assert result.task is None and result.stage == "banned", result


def test_a_program_that_keeps_state_between_calls_fails_the_determinism_stage(quick_box) -> None:
    """In call order its outputs were 11, 22, ... 66 every time: the reruns now call in the reverse order.
    Its own program then failed its own task (each check starts fresh), while x * 11 passed."""
    counter = "n = [0]\ndef f(x):\n    n[0] += 1\n    return x * 10 + n[0]"
    first = "first = [1]\ndef f(x):\n    r = x + first[0]\n    first[0] = 0\n    return r"
    validator = ProposalValidator("induction", sandbox=quick_box)
    results = validator.validate_many([prop(counter, *"123456"), prop(first, *"123456")])
    assert [r.stage for r in results] == ["determinism", "determinism"], results
    honest = validator.validate(prop("def f(x):\n    return x * 11", *"123456"))
    assert honest.task is not None, honest


def test_one_and_true_stay_apart_inside_sets_and_dict_keys() -> None:
    assert not values_equal({1, "a"}, {True, "a"})
    assert not values_equal({True: "x"}, {1: "x"})
    assert not values_equal(frozenset({1.0}), frozenset({1}))
    assert not values_equal({(1, True)}, {(1, 1)})
    assert values_equal({2, 1}, {1, 2}) and values_equal({1: {2}}, {1: {2}})
    assert values_equal({0.3}, {0.30000000000000004})  # a float in a set gets the tolerance it gets in a list
    assert values_equal({float("nan")}, {float("nan")})


def test_an_induction_task_keeps_a_pair_out() -> None:
    task = CodeTask("def f(x):\n    return x * 7 + 3", ("1", "2"), ("10", "17"), n_shown=2)
    assert task.n_shown == 1 and task.hidden == [("2", "17")]
    assert CodeTask("def f(x):\n    return x", ("1",), ("1",), n_shown=5).hidden == [("1", "1")]  # one pair: checked on it
