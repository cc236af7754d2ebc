"""The duplicate stage up to renaming: a copy of a buffer task with renamed variables, another
docstring or comments is the same task (it was paid again before: keys compared syntax trees)."""

from __future__ import annotations

import ast
import itertools
import random
import symtable

import pytest
from code_corpus import prop

from zeroplay.envs.code.buffer import TaskBuffer, builtin_seeds
from zeroplay.envs.code.canonical import canonical_program
from zeroplay.envs.code.propose import ProposalValidator
from zeroplay.envs.code.triplet import CodeTask, program_key

#: (original, copy): the copy renames what the program binds, or only adds what changes nothing.
SAME = {
    "arguments and locals": ("def f(a, b):\n    t = a * b\n    return t - a",
                             "def f(x, y):\n    prod = x * y\n    return prod - x"),
    "docstring, comments, annotations, pass": (
        "def f(xs):\n    return sorted(xs)[::-1]",
        '"""Module doc."""\n# sorts\ndef f(items: list) -> list:\n    """Largest first."""\n    pass\n'
        "    return sorted(items)[::-1]  # reversed\n"),
    "helper and module constant": (
        "K = 3\ndef g(v):\n    return v * K\ndef f(x):\n    return g(x) + K",
        "SCALE = 3\ndef times(n):\n    return n * SCALE\ndef f(q):\n    return times(q) + SCALE"),
    "each function renamed its own way": ("def g(x):\n    return x + 1\ndef f(x):\n    return g(x) * x",
                                          "def g(n):\n    return n + 1\ndef f(m):\n    return g(m) * m"),
    "comprehension, loop, lambda, except": (
        "def f(xs):\n    out = [v * 2 for v in xs if v]\n    for i in range(2):\n        out.append(i)\n"
        "    key = lambda s: -s\n    try:\n        return sorted(out, key=key)\n"
        "    except TypeError as e:\n        return str(e)",
        "def f(data):\n    res = [w * 2 for w in data if w]\n    for j in range(2):\n        res.append(j)\n"
        "    k = lambda t: -t\n    try:\n        return sorted(res, key=k)\n"
        "    except TypeError as err:\n        return str(err)"),
    "closure, nonlocal, global, walrus": (
        "total = 0\ndef f(n):\n    global total\n    c = 0\n    def step():\n        nonlocal c\n        c += 1\n"
        "    for _ in range(n):\n        step()\n    total = c\n    return [y for x in range(n) if (y := x * c)]",
        "acc = 0\ndef f(k):\n    global acc\n    cnt = 0\n    def tick():\n        nonlocal cnt\n        cnt += 1\n"
        "    for i in range(k):\n        tick()\n    acc = cnt\n    return [z for w in range(k) if (z := w * cnt)]"),
}

#: Pairs that differ in what they compute (or may compute): never the same key.
DIFFERENT = {
    "arguments swapped": ("def f(a, b):\n    return a - b", "def f(a, b):\n    return b - a"),
    "one variable or two": ("def f(a, b):\n    return a + a", "def f(a, b):\n    return a + b"),
    "another builtin": ("def f(x):\n    return len(x)", "def f(x):\n    return sorted(x)"),
    "another constant": ("def f(x):\n    return x * 2", "def f(x):\n    return x * 3"),
    "another attribute": ("def f(s):\n    return s.upper()", "def f(s):\n    return s.lower()"),
    "another string": ("def f(s):\n    return s + 'a'", "def f(s):\n    return s + 'b'"),
    "shadowed builtin": ("def f(x):\n    len = 3\n    return len", "def f(x):\n    n = 3\n    return len"),
    "global or local": ("K = 1\ndef f(x):\n    return x + K", "def f(x):\n    K = 1\n    return x + K"),
    "closure or own argument": ("def f(x):\n    def g(y):\n        return x\n    return g(1)",
                                "def f(x):\n    def g(y):\n        return y\n    return g(1)"),
    "import or argument": ("import math\ndef f(x):\n    return math.pi",
                           "import math\ndef f(math):\n    return math.pi"),
    "class attribute names kept": ("class P:\n    a = 1\ndef f(x):\n    return P.a + x",
                                   "class P:\n    b = 1\ndef f(x):\n    return P.a + x"),
    "entry kept": ("def f(x):\n    return x\ndef g(x):\n    return x + 1",
                   "def g(x):\n    return x\ndef f(x):\n    return x + 1"),
}


@pytest.mark.parametrize("name", list(SAME))
def test_renamed_copies_have_one_key(name) -> None:
    original, copy = SAME[name]
    assert ast.dump(ast.parse(original)) != ast.dump(ast.parse(copy))  # the old key told them apart
    assert program_key(original) == program_key(copy)


@pytest.mark.parametrize("name", list(DIFFERENT))
def test_different_programs_keep_different_keys(name) -> None:
    a, b = DIFFERENT[name]
    assert program_key(a) != program_key(b)


def _renamed_copy(program: str) -> str:
    """An independent renamer (stdlib ``symtable``, not the code under test): every function's own
    arguments and locals get a prefix, and docstrings and comments are added."""
    names: set[str] = set()
    todo = [symtable.symtable(program, "program", "exec")]
    while todo:
        table = todo.pop()
        todo += table.get_children()
        if table.get_type() == "function":
            names |= {s.get_name() for s in table.get_symbols()
                      if s.is_local() and (s.is_parameter() or s.is_assigned()) and not s.is_imported()}
    tree = ast.parse(program)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            node.id = "my_" + node.id
        elif isinstance(node, ast.arg) and node.arg in names:
            node.arg = "my_" + node.arg
        elif isinstance(node, ast.FunctionDef):
            node.body.insert(0, ast.Expr(ast.Constant("Nothing new here.")))
    assert names, program
    return '"""A task of my own."""\n# written from scratch\n' + ast.unparse(tree)


def test_renamed_copies_of_every_seed_fail_as_duplicates(quick_box) -> None:
    """End to end: each seed task, copied with renamed variables, a docstring and a comment, and
    proposed with the seed's first input, fails at ``duplicate``; the copies still compute the
    seed's outputs (so the renaming changed nothing) and differ from it as syntax trees."""
    seeds = builtin_seeds()
    copies = [_renamed_copy(t.program) for t in seeds]
    for seed, copy in zip(seeds, copies):
        assert ast.dump(ast.parse(copy)) != ast.dump(ast.parse(seed.program))
    validator = ProposalValidator("deduction", sandbox=quick_box, determinism_seeds=1)
    texts = [prop(copy, seed.inputs[0]) for seed, copy in zip(seeds, copies)]
    fresh = validator.validate_many(texts)  # no buffer: they run, and give the seeds' outputs
    assert [r.task.outputs[0] if r.ok else r.error for r in fresh] == [t.outputs[0] for t in seeds]
    buffer = TaskBuffer("deduction", seeds=seeds)
    assert [r.stage for r in validator.validate_many(texts, buffer)] == ["duplicate"] * len(seeds)


def test_seed_buffer_has_no_false_collisions() -> None:
    seeds = builtin_seeds()
    keys = [program_key(t.program) for t in seeds]
    assert len(set(keys)) == len(seeds)
    for kind in ("deduction", "abduction", "induction"):
        assert len(TaskBuffer(kind, seeds=seeds)) == len(seeds)
    for a, b in itertools.combinations(seeds, 2):  # different programs, different keys, whatever the input
        assert CodeTask(a.program, b.inputs[:1], b.outputs[:1]).key("deduction") != b.key("deduction")


def test_canonical_names_cannot_meet_the_programs_own() -> None:
    # a program that already uses names like the canonical ones does not collide with one that binds them
    assert program_key("def f(x):\n    return x") != program_key("def f(y):\n    return x")
    text = canonical_program("def f(a):\n    b = a\n    return b")
    assert "'a'" not in text and "'b'" not in text and "name='f'" in text


def test_program_key_never_raises_on_hostile_text() -> None:
    rng = random.Random(0)
    programs = [t.program for t in builtin_seeds()]
    samples = ["", "(" * 5000, "def f(:\n", "\x00", "lambda: (yield)", "def f(x):\n    return " + "-" * 10000 + "x",
               "def f(x):\n    return " + "[" * 90 + "x" + "]" * 90]
    for _ in range(200):
        text = rng.choice(programs)
        cut = rng.randrange(len(text) + 1)
        samples.append(text[:cut] + rng.choice(["", " ", ":", "\n", "(", "yield", "global x\n"]) + text[cut:])
    for text in samples:
        assert isinstance(program_key(text), str)
