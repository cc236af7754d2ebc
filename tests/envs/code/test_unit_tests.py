"""Model-written unit tests against model-written code (UTRL): the problem bank, the test parser,
the sandboxed runner under attack from both sides, the discrimination reward on hand-made cases,
and the two envs."""

from __future__ import annotations

import random

import pytest

import zeroplay as zp
from zeroplay.envs.code.unit_tests import (UnitTestCoderEnv, UnitTestWriterEnv, coder_prompt, entry_point_of,
                                           load_problems, writer_prompt)
from zeroplay.verifiers.code.unit_tests import (SuiteOutcome, TestJob, TestResult, UnitTestRunner, code_score,
                                                discrimination, parse_tests, suite_outcome, suite_score)

PASS, FAIL, ERR = TestResult("pass"), TestResult("fail"), TestResult("error")


@pytest.fixture(scope="module")
def runner():
    r = UnitTestRunner(timeout_s=3.0, call_timeout_s=0.5, memory_mb=256, max_rounds=4)
    yield r
    r.close()


def parsed_tests(lines, entry):
    parsed = parse_tests("\n".join(lines), entry)
    assert not parsed.rejected, parsed.rejected
    return parsed.tests


# -- the problem bank -------------------------------------------------------------------------------

def test_the_bank_has_twenty_odd_problems_with_unique_names_and_only_supported_ground_truth_tests():
    problems = load_problems()
    assert len(problems) >= 20
    assert len({q.id for q in problems}) == len(problems)
    assert len({q.entry_point for q in problems}) == len(problems)  # scripted agents find problems by name
    for q in problems:
        assert len(q.tests) >= 5 and q.buggy, q.id
        parsed_tests(q.tests, q.entry_point)


def test_every_reference_passes_its_ground_truth_and_every_buggy_solution_fails_some(runner):
    problems = load_problems()
    jobs = [TestJob(q.judged_reference, q.entry_point, parsed_tests(q.tests, q.entry_point)) for q in problems]
    owners = [q.id for q in problems for _ in q.buggy]
    jobs += [TestJob(b, q.entry_point, parsed_tests(q.tests, q.entry_point)) for q in problems for b in q.buggy]
    results = runner.run(jobs)
    for q, rs in zip(problems, results):
        assert all(r.passed for r in rs), (q.id, rs)
    for owner, rs in zip(owners, results[len(problems):]):
        assert not all(r.passed for r in rs), owner


def test_prompts_show_the_signature_and_one_example_but_never_a_solution_or_the_other_tests():
    for q in load_problems():
        for prompt in (coder_prompt(q), writer_prompt(q)):
            assert q.signature in prompt and q.example in prompt
            assert entry_point_of(prompt) == q.entry_point
            body = [line.strip() for line in q.reference.splitlines()[1:] if line.strip()]
            assert not any(line in prompt for line in body if len(line) > 12), q.id
            assert not any(t in prompt for t in q.tests[1:]), q.id


# -- parsing: tests are data ------------------------------------------------------------------------

def test_the_supported_forms_parse_to_plain_data():
    text = """Here are my tests:
```python
assert f(1, 2) == 3
assert [1, 'a'] == f([1], key={'x': (1, 2)})
assert f(None) is None
assert f(-1.5) == -2.5, "negative"
def test_nested():
    assert f(b"x", {1, 2}) is True
assert f(1, 2) == 3
assert f(1,2)==3
```"""
    parsed = parse_tests(text, "f")
    assert [(t.args, t.kwargs, t.op, t.expected) for t in parsed.tests] == [
        ((1, 2), {}, "==", 3), (([1],), {"key": {"x": (1, 2)}}, "==", [1, "a"]), ((None,), {}, "is", None),
        ((-1.5,), {}, "==", -2.5), ((b"x", {1, 2}), {}, "is", True)]
    assert parsed.duplicates == 2 and not parsed.rejected and parsed.well_formed and parsed.n_items == 5


@pytest.mark.parametrize("line, why", [
    ("assert f(1) != 2", "not of the form"),
    ("assert f(1) < 2", "not of the form"),
    ("assert f(1)", "not of the form"),
    ("assert True", "not of the form"),
    ("assert f(1) == 2 or True", "not of the form"),
    ("assert 1 == 1", "not of the form"),
    ("assert g(1) == 2", "calls g"),
    ("assert __import__('os').system('id') == 0", "not of the form"),
    ("assert f(x) == 1", "literals"),
    ("assert f(len([1])) == 1", "literals"),
    ("assert f(1) == f(1)", "literals"),
    ("assert f(*[1]) == 1", "*args"),
    ("assert f(**{'a': 1}) == 1", "*args"),
    ("assert f(1) is 5", "'is' compares"),
    ("assert f(1) == 1 + 2", "literals"),
    ("assert f('" + "x" * 3000 + "') == 1", "longer than"),
])
def test_anything_else_is_rejected_with_a_reason(line, why):
    parsed = parse_tests(line + "\nassert f(0) == 0", "f")
    assert len(parsed.tests) == 1 and len(parsed.rejected) == 1, parsed
    assert why in parsed.rejected[0] and parsed.rejected[0].startswith("line 1:")
    assert not parsed.well_formed and parsed.n_items == 2


def test_statements_that_are_not_asserts_are_ignored_and_code_never_runs(tmp_path):
    marker = tmp_path / "ran"
    text = f"import os\nos.system('touch {marker}')\nopen('{marker}', 'w')\nraise SystemExit\nassert f(2) == 4\n"
    parsed = parse_tests(text, "f")
    assert [t.source for t in parsed.tests] == ["assert f(2) == 4"] and not parsed.rejected
    assert not marker.exists()


def test_a_block_that_does_not_parse_is_read_line_by_line():
    parsed = parse_tests("```python\nassert f(1) == 1\nassert f(2 == \nthis is prose (\nassert f(3) == 3\n```", "f")
    assert [t.args for t in parsed.tests] == [(1,), (3,)]
    assert parsed.rejected == ["line 2: does not parse as Python"]


def test_max_tests_caps_what_is_read():
    parsed = parse_tests("\n".join(f"assert f({i}) == {i}" for i in range(50)), "f", max_tests=7)
    assert len(parsed.tests) == 7 and parsed.truncated == 43


def test_hostile_and_fuzzed_text_never_raises():
    rng = random.Random(0)
    alphabet = "assert f()[]{}=,:'\"\\\n #x0123456789.-+*jbTrueNone\x00é😀\t"
    texts = [None, 3, b"assert f(1) == 1", "", "\x00" * 1000, "assert " + "(" * 5000 + "1", "assert f(" + "[" * 3000,
             "assert f(1) == " + "9" * 5000, "assert f(1) == " + "[" * 150 + "]" * 150, "```python\n" * 100,
             "assert f(1) == 1\n" * 5000]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(400))) for _ in range(300)]
    for text in texts:
        parsed = parse_tests(text, "f")
        assert len(parsed.tests) + len(parsed.rejected) <= 32
        for t in parsed.tests:
            assert t.source.startswith("assert f(")


# -- running: attacks from the solution's side --------------------------------------------------

CLAMP = load_problems()[0]
assert CLAMP.entry_point == "clamp"


def run_one(runner, code, lines, entry="clamp"):
    return runner.run([TestJob(code, entry, parsed_tests(lines, entry))])[0]


def test_a_correct_solution_passes_and_a_wrong_value_fails(runner):
    lines = ["assert clamp(5, 0, 10) == 5", "assert clamp(12, 0, 10) == 99", "assert clamp(1, 0, 10) == 1.0",
             "assert clamp(1, 0, 10) is True"]
    assert [r.verdict for r in run_one(runner, CLAMP.reference, lines)] == ["pass", "fail", "pass", "fail"]
    # == compares values (1 == 1.0 == True), so `== True` is the same test as `== 1.0`
    assert parse_tests("\n".join([*lines, "assert clamp(1, 0, 10) == True"]), "clamp").duplicates == 1


ATTACKS = {
    "hangs": "def clamp(x, lo, hi):\n    while True:\n        pass\n",
    "exits": "import os\ndef clamp(x, lo, hi):\n    os._exit(0)\n",
    "system_exit": "def clamp(x, lo, hi):\n    raise SystemExit(0)\n",
    "keyboard_interrupt": "def clamp(x, lo, hi):\n    raise KeyboardInterrupt\n",
    "forges_result_lines": ("import os, sys\ndef clamp(x, lo, hi):\n"
                            "    line = '[\"T\", 0, \"pass\", \"\"]\\n[\"T\", 1, \"pass\", \"\"]\\n[\"DONE\", 2]\\n'\n"
                            "    print(line); sys.stdout.flush()\n"
                            "    os.write(1, line.encode()); os.write(2, line.encode())\n"
                            "    return -1\n"),
    "always_equal": ("class Yes:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
                     "def clamp(x, lo, hi):\n    return Yes()\n"),
    "always_equal_subclass": ("class Yes(int):\n    def __eq__(self, other):\n        return True\n"
                              "    __hash__ = int.__hash__\ndef clamp(x, lo, hi):\n    return Yes(0)\n"),
    "hunts_for_the_expected_value": (
        "import gc, os, sys\n"
        "def clamp(x, lo, hi):\n"
        "    for o in gc.get_objects():\n"
        "        if isinstance(o, (list, tuple, dict)):\n"
        "            for v in (o.values() if isinstance(o, dict) else o):\n"
        "                if type(v) is int and 424242 <= v <= 424299:\n"
        "                    return v\n"
        "    f = sys._getframe()\n"
        "    while f is not None:\n"
        "        for v in f.f_locals.values():\n"
        "            if type(v) is int and 424242 <= v <= 424299:\n"
        "                return v\n"
        "        f = f.f_back\n"
        "    for pid in os.listdir('/proc'):\n"
        "        for name in ('mem', 'environ', 'cmdline', 'fd/0'):\n"
        "            try:\n"
        "                data = open(f'/proc/{pid}/{name}', 'rb').read(1 << 16)\n"
        "            except Exception:\n"
        "                continue\n"
        "            for n in range(424242, 424300):\n"
        "                if str(n).encode() in data:\n"
        "                    return n\n"
        "    for root, _, files in os.walk('.'):\n"
        "        for fn in files:\n"
        "            try:\n"
        "                data = open(os.path.join(root, fn), 'rb').read()\n"
        "            except Exception:\n"
        "                continue\n"
        "            for n in range(424242, 424300):\n"
        "                if str(n).encode() in data:\n"
        "                    return n\n"
        "    return -1\n"),
    "kills_every_other_process": ("import os, signal\ndef clamp(x, lo, hi):\n"
                                  "    for pid in os.listdir('/proc'):\n"
                                  "        if pid.isdigit() and int(pid) != os.getpid():\n"
                                  "            try:\n                os.kill(int(pid), signal.SIGKILL)\n"
                                  "            except Exception:\n                pass\n    return 5\n"),
    "loops_while_loading": "while True:\n    pass\n",
    "does_not_define_it": "def clomp(x, lo, hi):\n    return 5\n",
    "syntax_error": "def clamp(x, lo, hi)\n    return 5\n",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_hostile_solution_never_passes_a_test_it_does_not_earn(runner, name):
    # the expected values are secrets the solution would have to find: they are never in its process
    if name == "kills_every_other_process" and runner.sandbox().backend not in ("pool", "namespace", "docker"):
        pytest.skip("killing every visible process is only safe where the sandbox has its own pid namespace")
    lines = ["assert clamp(1, 0, 424250) == 424243", "assert clamp(2, 0, 424250) == 424244",
             "assert clamp(3, 0, 424250) == 424245"]
    results = run_one(runner, ATTACKS[name], lines)
    assert len(results) == 3 and not any(r.passed for r in results), (name, results)
    assert all(r.verdict in ("fail", "error") for r in results)


def test_tests_after_a_fatal_call_run_again_in_a_fresh_process(runner):
    code = ("import os\ndef clamp(x, lo, hi):\n    if x == 1:\n        os._exit(3)\n    if x == 2:\n"
            "        while True:\n            pass\n    return max(lo, min(x, hi))\n")
    lines = ["assert clamp(1, 0, 9) == 1", "assert clamp(2, 0, 9) == 2", "assert clamp(3, 0, 9) == 3",
             "assert clamp(12, 0, 9) == 9"]
    results = run_one(runner, code, lines)
    assert [r.verdict for r in results] == ["error", "error", "pass", "pass"]
    assert "ended" in results[0].message and "budget" in results[1].message


def test_a_solution_that_keeps_dying_fails_what_is_left_after_max_rounds():
    one_round = UnitTestRunner(timeout_s=3.0, call_timeout_s=0.5, max_rounds=2)
    try:
        results = run_one(one_round, "import os\ndef clamp(x, lo, hi):\n    os._exit(0)\n",
                          [f"assert clamp({i}, 0, 9) == {i}" for i in range(4)])
    finally:
        one_round.close()
    assert [r.verdict for r in results] == ["error"] * 4
    assert "died 2 times" in results[2].message


def test_a_value_the_judge_cannot_show_or_compare_fails_only_its_own_test(runner):
    # an int past repr's digit limit, and (under float_tol) one past float range: the judge used to
    # die on them, and every later test of the solution errored with it
    code = ("def clamp(x, lo, hi):\n    if x == 1:\n        return 10 ** 5000\n    if x == 2:\n"
            "        return 10 ** 400\n    return max(lo, min(x, hi))\n")
    lines = ["assert clamp(1, 0, 9) == 1", "assert clamp(2, 0, 9) == 2.5", "assert clamp(3, 0, 9) == 3"]
    tolerant = UnitTestRunner(timeout_s=3.0, call_timeout_s=0.5, float_tol=1e-6)
    try:
        for r in (runner, tolerant):
            results = run_one(r, code, lines)
            assert [x.verdict for x in results] == ["fail", "fail", "pass"], results
            assert results[0].message == "got a value of type int that cannot be shown"
    finally:
        tolerant.close()


# -- running: attacks from the test writer's side (tests are data) -------------------------------------

def test_one_test_written_many_ways_counts_once():
    same = ["assert clamp(5, 0, 10) == 5", "assert 5 == clamp(5, 0, 10)", "assert clamp(5, 0, 10) == 5.0",
            "assert clamp(5, 0, 10) == (5)", "assert clamp(5, 0, 10) == 5, 'again'", "assert clamp(5, 0, 10) == 0x5",
            "assert clamp(5, 0, 10) == 5 + 0j", "assert clamp(5, 0, 10) == 5.000", "assert (clamp(5, 0, 10)) == 5"]
    other = ["assert clamp(5.0, 0, 10) == 5", "assert clamp(5, 0, 10) is True", "assert clamp(5, 0, hi=10) == 5",
             "assert clamp({1: 'a'}, 0, 1) == {1.0: 'a', True: 'a'}", "assert clamp({1: 'a'}, 0, 1) == {1: 'a'}",
             "assert clamp([1], 0, 1) == (1,)"]
    parsed = parse_tests("\n".join(same + other), "clamp")
    # the rewrites of the first test, and the second dict test (equal to the first under ==)
    assert parsed.duplicates == (len(same) - 1) + 1 and not parsed.rejected
    assert [t.source for t in parsed.tests] == ["assert clamp(5, 0, 10) == 5", *other[:4], other[5]]
    # the validity bonus is earned once: 0.05 * 1/12 + 0.1 (well formed), nothing caught
    env = UnitTestWriterEnv([CLAMP])
    env.reset(seed=0)
    _, reward, *_ = env.step("\n".join(same))
    assert reward == pytest.approx(0.05 / 12 + 0.1)



SLOW = "def count_down(n):\n    while n > 0:\n        n -= 1\n    return 0\n"


def test_a_test_that_times_out_on_the_reference_is_invalid_and_the_others_still_count(runner):
    lines = ["assert count_down(3) == 0", "assert count_down(1000000000000) == 0", "assert count_down(5) == 0",
             "assert count_down(2) == 1"]
    tests = parsed_tests(lines, "count_down")
    parsed = parse_tests("\n".join(lines), "count_down")
    wrong = "def count_down(n):\n    return 1 if n == 2 else 0\n"
    ref, cand = runner.run([TestJob(SLOW, "count_down", tests), TestJob(wrong, "count_down", tests)])
    assert [r.verdict for r in ref] == ["pass", "error", "pass", "fail"]
    outcome = suite_outcome(parsed, [ref], [cand])
    assert outcome.valid == (True, False, True, False)
    assert outcome.detected == (False,)  # the wrong solution only fails the invalid test


def test_tests_that_always_fail_or_pass_on_everything_earn_no_discrimination(runner):
    q = CLAMP
    forged = "'[\"T\", 0, \"pass\", \"\"]'"  # a fake result line as the expected value: data, nothing more
    always_fail = parse_tests(f"assert clamp(1, 0, 9) == 'no'\nassert clamp(1, 0, 9) == {forged}", "clamp")
    trivial = parse_tests("assert clamp(5, 0, 10) == 5\nassert clamp(1, 0, 9) == clamp(1, 0, 9)", "clamp")
    assert len(always_fail.tests) == 2 and len(trivial.tests) == 1 and len(trivial.rejected) == 1
    for parsed, n_valid in ((always_fail, 0), (trivial, 1)):
        rows = runner.run([TestJob(c, "clamp", parsed.tests) for c in (q.reference, *q.buggy)])
        outcome = suite_outcome(parsed, rows[:1], rows[1:])
        assert outcome.n_valid == n_valid and outcome.discrimination == 0.0


#: (problem, a correct solution that behaves otherwise outside the spec, a test outside the spec that
#: the bare reference passes). Judged on the bare reference, such a test was valid and caught every
#: correct solution that differs there: discrimination 1.0 for a test of nothing.
OUT_OF_SPEC = [
    ("clamp", "def clamp(x, lo, hi):\n    return min(max(x, lo), hi)\n", "assert clamp(5, 10, 0) == 10"),
    ("clamp", "def clamp(x, lo, hi):\n    return min(max(x, lo), hi)\n", "assert clamp(hi=0, x=5, lo=10) == 10"),
    ("gcd", "import math\n\ndef gcd(a, b):\n    return math.gcd(a, b)\n", "assert gcd(4, -6) == -2"),
    ("int_to_roman", "def int_to_roman(n):\n    th = ['', 'M', 'MM', 'MMM'][n // 1000]\n"
     "    h = ['', 'C', 'CC', 'CCC', 'CD', 'D', 'DC', 'DCC', 'DCCC', 'CM'][n // 100 % 10]\n"
     "    t = ['', 'X', 'XX', 'XXX', 'XL', 'L', 'LX', 'LXX', 'LXXX', 'XC'][n // 10 % 10]\n"
     "    o = ['', 'I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX'][n % 10]\n    return th + h + t + o\n",
     "assert int_to_roman(4000) == 'MMMM'"),
    ("binary_search", "def binary_search(nums, target):\n    return nums.index(target) if target in nums else -1\n",
     "assert binary_search([3, 1, 2], 3) == -1"),
    ("rotate_list", "def rotate_list(xs, k):\n    xs = list(xs)\n    for _ in range(k):\n"
     "        xs = xs[-1:] + xs[:-1]\n    return xs\n", "assert rotate_list([1, 2, 3], -1) == [2, 3, 1]"),
    ("is_prime", "def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, n))\n",
     "assert is_prime(7.0) == True"),
    ("roman_to_int", "def roman_to_int(s):\n    total = 0\n    for sym, v in [('M', 1000), ('CM', 900), ('D', 500), "
     "('CD', 400), ('C', 100), ('XC', 90), ('L', 50), ('XL', 40), ('X', 10), ('IX', 9), ('V', 5), ('IV', 4), "
     "('I', 1)]:\n        while s.startswith(sym):\n            total += v\n            s = s[len(sym):]\n"
     "    return total\n",
     "assert roman_to_int('IC') == 99"),
    ("median", "def median(nums):\n    s = sorted(nums)\n    m = len(s) // 2\n"
     "    return s[m] if len(s) % 2 else s[m - 1] + (s[m] - s[m - 1]) / 2\n", "assert median([1e308, 1e308]) == 1e999"),
    ("word_count", "import re\n\ndef word_count(text):\n    counts = {}\n"
     "    for w in re.split('[ \\t\\n\\r\\x0b\\x0c]+', text.lower()):\n        if w:\n"
     "            counts[w] = counts.get(w, 0) + 1\n    return counts\n",
     "assert word_count('a\\x1cb') == {'a': 1, 'b': 1}"),
    ("merge_intervals", "def merge_intervals(intervals):\n    out = []\n    for p in sorted(intervals):\n"
     "        if out and p[0] <= out[-1][1]:\n            out[-1][1] = max(out[-1][1], p[1])\n        else:\n"
     "            out.append(p)\n    return out\n", "assert merge_intervals([(1, 3), (2, 4)]) == [[1, 4]]"),
    ("flatten", "def flatten(nested):\n    out = []\n    for x in nested:\n        if isinstance(x, (list, tuple)):\n"
     "            out.extend(flatten(x))\n        else:\n            out.append(x)\n    return out\n",
     "assert flatten([1, (2, 3)]) == [1, (2, 3)]"),
]


@pytest.mark.parametrize("problem, correct, outside", OUT_OF_SPEC,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(OUT_OF_SPEC)])
def test_a_test_outside_the_spec_is_invalid_and_catches_no_correct_solution(runner, problem, correct, outside):
    q = next(q for q in load_problems() if q.id == problem)
    lines = [q.tests[0], outside]
    parsed = parse_tests("\n".join(lines), q.entry_point)
    gt = parsed_tests(q.tests, q.entry_point)
    assert q.precondition and q.judged_reference != q.reference
    bare, ref, cand, cand_gt = runner.run([TestJob(q.reference, q.entry_point, parsed.tests),
                                           TestJob(q.judged_reference, q.entry_point, parsed.tests),
                                           TestJob(correct, q.entry_point, parsed.tests),
                                           TestJob(correct, q.entry_point, gt)])
    assert all(r.passed for r in cand_gt)  # the other solution is right on every ground-truth test
    assert not cand[1].passed and bare[1].passed  # it differs outside the spec, where the bare reference holds
    assert [r.verdict for r in ref] == ["pass", "error"]  # the judged reference refuses input outside the spec
    outcome = suite_outcome(parsed, [ref], [cand])
    assert outcome.valid == (True, False) and outcome.discrimination == 0.0


def test_a_float_written_to_a_few_digits_catches_no_solution_that_rounds_otherwise(runner):
    """0.2 + (0.939 - 0.2) / 2 is 0.5694999999999999; the tests compare floats within 1e-9 (UTRL's
    ``float_tol`` default), so ``== 0.5695`` holds on it as on the reference."""
    q = next(q for q in load_problems() if q.id == "median")
    other = dict((c[0], c[1]) for c in OUT_OF_SPEC)["median"]
    parsed = parse_tests("assert median([0.2, 0.939]) == 0.5695\nassert median([0.2, 0.939]) == 0.57", "median")
    ref, cand = runner.run([TestJob(q.judged_reference, "median", parsed.tests),
                            TestJob(other, "median", parsed.tests)])
    outcome = suite_outcome(parsed, [ref], [cand])
    assert outcome.valid == (True, False) and outcome.discrimination == 0.0
    exact = UnitTestRunner(timeout_s=3.0, call_timeout_s=0.5, memory_mb=256, float_tol=0.0)
    try:  # Python's == (the authors' asserts): the same valid test catches the correct solution
        assert [r.verdict for r in exact.run([TestJob(other, "median", parsed.tests[:1])])[0]] == ["fail"]
    finally:
        exact.close()


# -- the discrimination reward on hand-made cases ------------------------------------------------------

def test_discrimination_counts_candidates_failing_at_least_one_valid_test():
    valid = [True, False, True]
    passed = [[True, True, True], [False, True, True], [True, False, True], [True, True, False]]
    assert discrimination(valid, passed) == 0.5  # candidates 2 and 4; 3 only fails the invalid test
    assert discrimination(valid, []) == 0.0
    assert discrimination([False, False], [[False, False]]) == 0.0


def test_suite_outcome_and_the_suite_score_by_hand():
    parsed = parse_tests("assert f(1) == 1\nassert f(2) == 2\nassert f(3) == 3\nassert f(4) != 4", "f")
    refs = [[PASS, FAIL, PASS]]
    cands = [[PASS, PASS, PASS], [FAIL, PASS, PASS], [PASS, ERR, PASS], [PASS, PASS, ERR]]
    o = suite_outcome(parsed, refs, cands)
    assert o == SuiteOutcome(4, (True, False, True), (False, True, False, True), False)
    assert o.discrimination == 0.5 and o.n_valid == 2 and o.valid_rate == 0.5
    assert o.clipped_validity(12) == pytest.approx(2 / 12) and o.clipped_validity(2) == pytest.approx(2 / 4)
    # 0.85 * 0.5 + 0.05 * 2/12 + 0.1 * 0 (a rejected assert: not well formed)
    assert suite_score(o) == pytest.approx(0.425 + 0.1 / 12)
    assert suite_score(o, invalid_cost=0.3) == pytest.approx(0.425 + 0.1 / 12 - 0.3 * 2 / 4)
    assert suite_score(o, discrimination_weight=1, validity_weight=0, format_weight=0) == 0.5
    # a test is valid only if it passes on every reference
    o2 = suite_outcome(parsed, [[PASS, PASS, PASS], [PASS, PASS, ERR]], cands)
    assert o2.valid == (True, True, False) and o2.detected == (False, True, True, False)
    perfect = SuiteOutcome(12, (True,) * 12, (True, True), True)
    assert suite_score(perfect) == pytest.approx(1.0)
    empty = SuiteOutcome(0, (), (), False)
    assert suite_score(empty) == 0.0 and empty.clipped_validity(12) == 0.0
    with pytest.raises(ValueError):
        suite_outcome(parsed, [], cands)


def test_the_code_score_by_hand():
    assert code_score([True, False, True, True], True) == pytest.approx(0.9 * 0.75 + 0.1)
    assert code_score([True, False], False) == pytest.approx(0.45)
    assert code_score([], True) == pytest.approx(0.1)


# -- the envs -----------------------------------------------------------------------------------------

def test_the_envs_are_registered_and_pass_the_env_checker():
    from gymnasium.utils.env_checker import check_env

    for env_id in ("zeroplay/UnitTestWriter-v0", "zeroplay/UnitTestCoder-v0"):
        assert env_id in zp.registered()
        env = zp.make(env_id)
        check_env(env.unwrapped, skip_render_check=True)
        env.close()


def test_the_writer_env_rewards_ground_truth_tests_with_the_hand_computed_score():
    env = UnitTestWriterEnv([CLAMP])
    obs, info = env.reset(seed=0)
    assert CLAMP.reference not in obs and not any(b in obs for b in CLAMP.buggy)
    _, reward, done, _, info = env.step("```python\n" + "\n".join(CLAMP.tests) + "\n```")
    # 6 valid tests, both buggy clamps caught, well formed: 0.85 + 0.05 * 6/12 + 0.1
    assert done and reward == pytest.approx(0.975) and info["verdict"].correct
    env.reset(seed=0)
    _, reward, *_ = env.step("assert clamp(5, 0, 10) == 5\nassert clamp(5, 0, 10) == 6")
    # one valid test catching no buggy clamp, one invalid: 0.05 * 1/12 + 0.1 (well formed: both parse)
    assert reward == pytest.approx(0.05 / 12 + 0.1)
    env.reset(seed=0)
    assert env.step("no tests here")[1] == 0.0
    env.reset(seed=0)
    _, reward, *_ = env.step("assert clamp(5, 0, 10) == 5\nassert clamp(5, 10, 0) == 10")
    # lo > hi: outside the spec, so invalid though the bare reference returns 10 there
    assert reward == pytest.approx(0.05 / 12 + 0.1)


def test_the_coder_env_scores_the_fraction_of_ground_truth_tests_passed():
    env = UnitTestCoderEnv([CLAMP])
    env.reset(seed=0)
    assert env.step(f"```python\n{CLAMP.reference}```")[1] == 1.0
    env.reset(seed=0)
    _, reward, _, _, info = env.step(f"```python\n{CLAMP.buggy[0]}```")  # wrong only at x == lo
    assert reward == pytest.approx(5 / 6) and not info["verdict"].correct
    env.reset(seed=0)
    assert env.step("\x00garbage")[1] == 0.0
