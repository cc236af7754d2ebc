"""The determinism stage against hash-seed tasks: programs whose output is one random order of a set.

Such a program's "gold" output is one draw of the string-hash seed, so the solver would be judged
at random and the proposer paid for noise. Before the fix the second run landed on a pool worker
that shared the first run's seed about half the time (6 of 12 such programs passed). Now the stage
reruns each program under ``determinism_seeds`` pinned seeds of its own (see propose.py).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from code_corpus import prop

from zeroplay.core.errors import ConfigError
from zeroplay.envs.code.propose import ProposalValidator
from zeroplay.envs.code.runner import hash_check_seeds
from zeroplay.sandbox import Sandbox
from zeroplay.sandbox.isolation import faketime_library
from zeroplay.sandbox.sandbox import auto_backend

_ASLR = Path("/proc/sys/kernel/randomize_va_space")
_NO_ASLR = _ASLR.is_file() and _ASLR.read_text().strip() == "0"

#: name -> (program, input): output depends on string-hash order (or an address); sets of 4+ items,
#: so each rerun under another seed keeps the first run's order with small probability.
ATTACKS = {
    "set of strings -> list": ("def f(xs):\n    return list(set(xs))", "['apple', 'fig', 'cherry', 'date']"),
    "''.join(set(...))": ("def f(s):\n    return ''.join(set(s))", "'hello world'"),
    "sorted by hash": ("def f(xs):\n    return sorted(xs, key=lambda s: {s: 0, 'q': 1}.popitem()[1] * 0 + "
                       "list({s, 'q'}).index(s))", "['a', 'b', 'c', 'd', 'e']"),
    "frozenset order": ("def f(*xs):\n    return [x for x in frozenset(xs)]", "'ab', 'cd', 'ef', 'gh'"),
    "dict.fromkeys(set)": ("def f(xs):\n    return list(dict.fromkeys(set(xs)))", "['x', 'y', 'z', 'w']"),
    "set display": ("def f(a, b, c, d):\n    return [x for x in {a, b, c, d}]", "'n', 's', 'e', 'w'"),
    "set.pop": ("def f(xs):\n    s = set(xs)\n    return [s.pop(), s.pop()]", "['red', 'green', 'blue', 'cyan']"),
    "str(set)": ("def f(xs):\n    return str(set(xs))", "['u', 'v', 'w', 'x']"),
    "a set given as input": ("def f(s):\n    return list(s)", "{'p', 'q', 'r', 's'}"),
    "ties broken by set order": ("def f(xs):\n    return '-'.join(sorted(set(xs), key=len))", "['aa', 'bb', 'cc']"),
    "dict values from set order": ("def f(xs):\n    return {s: i for i, s in enumerate(set(xs))}", "['m', 'n', 'o']"),
    "next(iter(set))": ("def f(xs):\n    return next(iter(set(xs)))", "['one', 'two', 'three', 'four', 'five']"),
    "object addresses": ("def f(xs):\n    return [int(repr(object())[-7:-1], 16) % 9973 for _ in xs]",
                         "[[1], [2], [3]]"),  # (id itself, passed as map(id, xs), is refused by the policy)
}
#: Addresses differ between interpreters only where the kernel randomizes them.
_NEEDS_ASLR = {"object addresses"}

#: Honestly deterministic programs that touch sets, hashing or dicts: they must pass.
HONEST = {
    "sorted(set of strings)": ("def f(xs):\n    return sorted(set(xs))", "['pear', 'fig', 'kiwi', 'fig']"),
    "set of ints -> list": ("def f(xs):\n    return list(set(xs))", "[3, 1, 2, 3]"),
    "len(set)": ("def f(s):\n    return len(set(s))", "'mississippi'"),
    "dict built from a set (equal in any order)": ("def f(xs):\n    return {k: len(k) for k in set(xs)}",
                                                   "['aa', 'b', 'ccc', 'dd']"),
    "returns the set itself": ("def f(xs):\n    return set(xs)", "['x', 'y', 'z']"),
    "insertion-ordered dict": (
        "def f(xs):\n    d = {}\n    for x in xs:\n        d[x] = d.get(x, 0) + 1\n    return list(d.items())",
        "['b', 'a', 'b']"),
    "sorted(frozenset)": ("def f(a, b, c):\n    return sorted(frozenset([a, b, c]))", "'zz', 'aa', 'mm'"),
    "membership": ("def f(xs, y):\n    return y in set(xs)", "['a', 'b', 'c'], 'b'"),
}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.skipif(_NO_ASLR, reason="address-space randomization is off here"))
    if n in _NEEDS_ASLR else n for n in ATTACKS])
def test_hash_order_programs_fail_determinism(quick_box, name) -> None:
    program, arg = ATTACKS[name]
    result = ProposalValidator("deduction", sandbox=quick_box).validate(prop(program, arg))
    assert result.stage == "determinism", (name, result.error, result.task)
    assert "set order" in result.error


def test_two_string_sets_the_worst_case_are_caught_almost_always(quick_box) -> None:
    """A set of two strings keeps its order under a new seed about half the time: the one-rerun stage
    let about half of these through; with 7 reruns about 0.5% pass (measured: 2 of 400)."""
    rng = random.Random(1)
    shapes = ["def f(a, b):\n    return list({a, b})", "def f(a, b):\n    return ''.join(set([a, b]))",
              "def f(a, b):\n    return [x for x in frozenset((a, b))]",
              "def f(a, b):\n    return list(dict.fromkeys({a, b}))"]
    pool = sorted({"".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 6))) for _ in range(200)})
    words = rng.sample(pool, 96)  # distinct, so every set has two strings
    texts = [prop(shapes[n % 4], f"{words[2 * n]!r}, {words[2 * n + 1]!r}") for n in range(48)]
    results = ProposalValidator("deduction", sandbox=quick_box).validate_many(texts)
    assert {r.stage for r in results} <= {"determinism", None}
    assert sum(r.ok for r in results) <= 4, [r.task.program for r in results if r.ok]


@pytest.mark.parametrize("name", list(HONEST))
def test_deterministic_programs_with_sets_still_pass(quick_box, name) -> None:
    program, arg = HONEST[name]
    result = ProposalValidator("deduction", sandbox=quick_box).validate(prop(program, arg))
    assert result.ok, (name, result.error)


def test_induction_with_sorted_sets_passes_and_with_set_order_fails(quick_box) -> None:
    inputs = ["'banana'", "'cherry'", "'apple'", "'kiwi'", "'mango'", "'papaya'"]
    validator = ProposalValidator("induction", sandbox=quick_box)
    honest, attack = validator.validate_many([prop("def f(s):\n    return ''.join(sorted(set(s)))", *inputs),
                                              prop("def f(s):\n    return ''.join(set(s))", *inputs)])
    assert honest.ok, honest.error
    assert honest.task.outputs[0] == "'abn'"
    assert attack.stage == "determinism"


def test_check_seeds_are_distinct_and_stable() -> None:
    seeds = hash_check_seeds(7)
    assert len(set(seeds)) == 7 and all(0 < s < 1 << 32 for s in seeds)
    assert hash_check_seeds(3) == seeds[:3] and hash_check_seeds(7) == seeds


def test_determinism_seeds_must_be_a_positive_int() -> None:
    for bad in (0, -1, 2.5, "7"):
        with pytest.raises(ValueError, match="determinism_seeds"):
            ProposalValidator("deduction", determinism_seeds=bad)


# -- the sandbox option the stage is built on ---------------------------------------------
@pytest.mark.parametrize("backend", ["auto", "process"])
def test_sandbox_hash_seed_pins_string_hashes(backend) -> None:
    code = "print(hash('zeroplay'), list({'a', 'b', 'c', 'd', 'e'}))"
    outs = {}
    for seed in (11, 12):
        with Sandbox(backend=backend, timeout_s=5, memory_mb=256, workers=2, hash_seed=seed) as box:
            results = box.run_many([code] * 4)
        assert [r.status for r in results] == ["ok"] * 4, results[0].stderr
        outs[seed] = {r.stdout for r in results}
        assert len(outs[seed]) == 1  # every interpreter of the sandbox: one seed
    assert outs[11] != outs[12]
    with Sandbox(backend=backend, timeout_s=5, memory_mb=256, workers=1, hash_seed=11) as again:
        assert {again.run(code).stdout} == outs[11]


def test_sandbox_hash_seed_refuses_bad_values() -> None:
    for bad in (-1, 1 << 32, 1.5, True, "3"):
        with pytest.raises(ConfigError, match="hash_seed"):
            Sandbox(backend="process", hash_seed=bad)
    with pytest.raises(ConfigError, match="docker"):
        Sandbox(backend="docker", hash_seed=3)


_needs_faketime = pytest.mark.skipif(
    faketime_library() is None, reason="libfaketime is not installed (setup.sh installs Debian's faketime)")


@_needs_faketime
def test_sandbox_clock_shift_runs_the_clocks_of_its_jobs_ahead() -> None:
    from zeroplay.sandbox.isolation import time_namespace_support

    if auto_backend()[0] != "pool":
        pytest.skip("the clock shift needs the pool backend (bubblewrap and user namespaces)")
    code = ("import time\nprint(int(time.time()), int(time.monotonic()),"
            " int(float(open('/proc/uptime').read().split()[0])))")
    seen = {}
    for shift in (0, 90061):
        with Sandbox(backend="pool", timeout_s=5, memory_mb=256, workers=1, clock_shift_s=shift) as box:
            results = box.run_many([code] * 3)  # jobs forked one after another from one warm interpreter
        assert [r.status for r in results] == ["ok"] * 3, results[0].stderr
        seen[shift] = [int(v) for v in results[-1].stdout.split()]
    wall, mono, uptime = (b - a for a, b in zip(seen[0], seen[90061]))
    assert 90061 - 60 < wall < 90061 + 60
    if time_namespace_support():
        assert 90061 - 60 < mono < 90061 + 60 and 90061 - 60 < uptime < 90061 + 60
    with Sandbox(backend="pool", timeout_s=5, memory_mb=256, workers=1) as plain:
        assert abs(int(plain.run(code).stdout.split()[0]) - seen[0][0]) < 60  # the host's clock again


def test_sandbox_clock_shift_refuses_bad_values_and_other_backends() -> None:
    for bad in (-1, 10**9, 1.5, True, "3"):
        with pytest.raises(ConfigError, match="clock_shift_s"):
            Sandbox(backend="process", clock_shift_s=bad)
    if faketime_library() is not None:
        for backend in ("process", "namespace", "docker"):
            with pytest.raises(ConfigError, match="pool backend"):
                Sandbox(backend=backend, clock_shift_s=60)
