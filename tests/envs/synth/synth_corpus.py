"""Sources for the synth tests: one good template and broken variants, each with the stage that must reject it.

Most broken sources are the good template with one defect spliced in, so each tests one thing.
They are plain text: they only ever run inside the sandbox.
"""

from __future__ import annotations

import numpy as np

from zeroplay.envs.synth.runner import RunnerConfig
from zeroplay.envs.synth.validate import ValidationConfig

#: Short sandbox limit: the runaway sources in the corpus hit it, so it bounds the suite's time. (Here,
#: not in conftest.py: ``from conftest import`` finds whichever test directory's conftest came first.)
TEST_RUNNER = RunnerConfig(timeout_s=12.0, call_timeout_s=2.0)
TEST_VALIDATION = ValidationConfig(runner=TEST_RUNNER)

GOOD = '''
NAME = "ListSum"


def sample_instance(rng, difficulty):
    return {"xs": [rng.randint(1, 50) for _ in range(2 + 2 * difficulty)]}


def render(instance):
    return "Add these numbers: " + " ".join(str(x) for x in instance["xs"]) + ". Answer with one integer."


def reference(instance):
    return str(sum(instance["xs"]))


def score(instance, answer):
    try:
        return 1.0 if int(answer.strip()) == sum(instance["xs"]) else 0.0
    except ValueError:
        return 0.0
'''

_SAMPLE = '''def sample_instance(rng, difficulty):
    return {"xs": [rng.randint(1, 50) for _ in range(2 + 2 * difficulty)]}'''
_RENDER = '''def render(instance):
    return "Add these numbers: " + " ".join(str(x) for x in instance["xs"]) + ". Answer with one integer."'''
_REFERENCE = '''def reference(instance):
    return str(sum(instance["xs"]))'''
_SCORE = '''def score(instance, answer):
    try:
        return 1.0 if int(answer.strip()) == sum(instance["xs"]) else 0.0
    except ValueError:
        return 0.0'''


def _swap(part: str, new: str, prefix: str = "") -> str:
    assert part in GOOD
    return prefix + GOOD.replace(part, new)


#: (case id, stage that must reject it, source)
BROKEN: list[tuple[str, str, str]] = [
    # -- 1. static -------------------------------------------------------------------------
    ("empty", "static", ""),
    ("syntax_error", "static", GOOD.replace("def render(instance):", "def render(instance)")),
    ("missing_score", "static", GOOD.split("def score")[0]),
    ("wrong_arity", "static", _swap(_SCORE, "def score(answer):\n    return 0.0")),
    ("import_os", "static", "import os\n" + GOOD),
    ("from_subprocess", "static", "from subprocess import run\n" + GOOD),
    ("import_time", "static", "import time\n" + GOOD),
    ("import_importlib", "static", "import importlib\n" + GOOD),
    ("relative_import", "static", "from . import helpers\n" + GOOD),
    ("eval_call", "static", _swap(_REFERENCE, 'def reference(instance):\n    return str(eval("+".join(map(str, instance["xs"]))))')),
    ("dunder_import", "static", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    __import__("os").system("true")\n    return {"xs": [1, 2]}')),
    ("subclasses_escape", "static", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    ().__class__.__bases__[0].__subclasses__()\n    return {"xs": [difficulty, 2]}')),
    ("private_module_attr", "static", "import random\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    random._os.system("true")\n    return {"xs": [difficulty, 2]}')),
    ("open_file", "static", _swap(_RENDER, 'def render(instance):\n    return open("/etc/hostname").read()')),
    ("global_state", "static", "SEEN = 0\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    global SEEN\n    SEEN += 1\n    return {"xs": [SEEN, difficulty]}')),
    # -- 2. sandbox: crashes, limits, wrong types -------------------------------------------
    ("infinite_loop", "sandbox", _swap(_SAMPLE, "def sample_instance(rng, difficulty):\n    while True:\n        pass")),
    ("infinite_loop_module", "sandbox", "while True:\n    pass\n" + GOOD),
    ("loop_swallows_timeout", "sandbox", _swap(_SAMPLE, "def sample_instance(rng, difficulty):\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass")),
    ("memory_bomb", "sandbox", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    blocks = []\n    while True:\n        blocks.append(bytearray(64 << 20))')),
    ("huge_allocation", "sandbox", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    return {"xs": [0] * (10 ** 10)}')),
    ("print_flood", "sandbox", _swap(_RENDER, 'def render(instance):\n    for i in range(10 ** 6):\n        print("spam" * 100)\n    return "x"')),
    ("huge_prompt", "sandbox", _swap(_RENDER, 'def render(instance):\n    return "Add these numbers. " * 200000')),
    ("raises_at_high_difficulty", "sandbox", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    if difficulty >= 4:\n        raise KeyError("level")\n    return {"xs": [rng.randint(1, 50) for _ in range(2 + 2 * difficulty)]}')),
    ("instance_not_dict", "sandbox", _swap(_SAMPLE, "def sample_instance(rng, difficulty):\n    return [rng.randint(1, 50) for _ in range(difficulty + 2)]")),
    ("render_returns_none", "sandbox", _swap(_RENDER, "def render(instance):\n    print(instance)")),
    ("endless_recursion", "sandbox", _swap(_REFERENCE, "def reference(instance):\n    return reference(instance)")),
    ("module_raises", "sandbox", "RATIO = 1 / 0\n" + GOOD),
    ("system_exit", "sandbox", "raise SystemExit(0)\n" + GOOD),
    ("instance_key_error", "sandbox", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    load = [v for k, v in (("a", 1),)]\n    import json\n    m = json.loads("{}")\n    return m["missing"]')),
    # runtime policy: what static reading cannot see, the driver's module views refuse
    ("module_sys_attr", "sandbox", "import dataclasses\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    dataclasses.sys.modules.clear()\n    return {"xs": [difficulty, 2]}')),
    ("attrgetter_gadget", "sandbox", "import operator\nimport random\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    operator.attrgetter("_os")(random)\n    return {"xs": [difficulty, 2]}')),
    ("formatter_gadget", "sandbox", "import string\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    string.Formatter().get_field("0.x", [rng], {})\n    return {"xs": [difficulty, 2]}')),
    ("module_is_read_only", "sandbox", "import math\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    math.pi = 3\n    return {"xs": [difficulty, 2]}')),
    # -- 3. deterministic ------------------------------------------------------------------
    ("global_random", "deterministic", "import random\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    return {"xs": [random.randint(1, 50) for _ in range(2 + 2 * difficulty)]}')),
    ("unseeded_rng", "deterministic", "import random\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    mine = random.Random()\n    return {"xs": [mine.randint(1, 50) for _ in range(2 + 2 * difficulty)]}')),
    ("render_random", "deterministic", "import random\n" + _swap(_RENDER, 'def render(instance):\n    xs = list(instance["xs"])\n    random.shuffle(xs)\n    return "Add these numbers: " + " ".join(str(x) for x in xs) + "."')),
    # -- 4. self-consistent ----------------------------------------------------------------
    ("reference_off_by_one", "self_consistent", _swap(_REFERENCE, 'def reference(instance):\n    return str(sum(instance["xs"]) + 1)')),
    ("reference_is_list", "self_consistent", _swap(_REFERENCE, 'def reference(instance):\n    return list(instance["xs"])')),
    ("score_above_one", "self_consistent", _swap(_SCORE, 'def score(instance, answer):\n    try:\n        return 2.0 if int(answer) == sum(instance["xs"]) else 0.0\n    except ValueError:\n        return 0.0')),
    ("score_returns_none", "self_consistent", _swap(_SCORE, 'def score(instance, answer):\n    if answer == "never":\n        return 1.0')),
    ("score_wrong_field", "self_consistent", _swap(_SCORE, 'def score(instance, answer):\n    try:\n        return 1.0 if int(answer) == max(instance["xs"]) else 0.0\n    except ValueError:\n        return 0.0')),
    ("reference_format_mismatch", "self_consistent", _swap(_REFERENCE, 'def reference(instance):\n    return f"{sum(instance[\'xs\']):,}"', "") .replace('"xs": [rng.randint(1, 50)', '"xs": [rng.randint(1000, 5000)')),
    # -- 5. discriminating -----------------------------------------------------------------
    ("always_one", "discriminating", _swap(_SCORE, "def score(instance, answer):\n    return 1.0")),
    ("substring_scorer", "discriminating", _swap(_SCORE, 'def score(instance, answer):\n    return 1.0 if str(sum(instance["xs"])) in answer else 0.0')),
    ("half_credit_for_anything", "discriminating", _swap(_SCORE, 'def score(instance, answer):\n    try:\n        return 1.0 if int(answer) == sum(instance["xs"]) else 0.5\n    except ValueError:\n        return 0.5')),
    ("score_raises_on_text", "discriminating", _swap(_SCORE, 'def score(instance, answer):\n    return 1.0 if int(answer) == sum(instance["xs"]) else 0.0')),
    ("constant_answer", "discriminating", _swap(_REFERENCE, 'def reference(instance):\n    return "yes"').replace('int(answer.strip()) == sum(instance["xs"])', 'answer.strip() == "yes" or int(answer.strip()) < -10**9')),
    ("nonempty_is_enough", "discriminating", _swap(_SCORE, 'def score(instance, answer):\n    return 1.0 if answer.strip() else 0.0')),
    # -- 6. difficulty ---------------------------------------------------------------------
    ("difficulty_ignored", "difficulty", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    return {"xs": [rng.randint(1, 50) for _ in range(6)]}')),
    ("difficulty_unused_variable", "difficulty", _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    size = 2 * difficulty\n    return {"xs": [rng.randint(1, 50) for _ in range(5)]}')),
]


#: Good sources unlike the seeds and unlike each other (for the end-to-end test).
MAX_SUBARRAY = '''
NAME = "MaxSubarray"


def sample_instance(rng, difficulty):
    return {"xs": [rng.randint(-9 * difficulty, 9 * difficulty) for _ in range(4 + 3 * difficulty)]}


def render(instance):
    xs = ", ".join(str(x) for x in instance["xs"])
    return f"List: {xs}\\n\\nWhat is the largest sum of a non-empty run of consecutive entries? Answer with one integer."


def _best(xs):
    best = run = xs[0]
    for x in xs[1:]:
        run = max(x, run + x)
        best = max(best, run)
    return best


def reference(instance):
    return str(_best(instance["xs"]))


def score(instance, answer):
    try:
        return 1.0 if int(answer.strip()) == _best(instance["xs"]) else 0.0
    except ValueError:
        return 0.0
'''

ROMAN = '''
NAME = "RomanNumerals"

VALUES = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def sample_instance(rng, difficulty):
    return {"value": rng.randint(1, 10 ** (difficulty // 2 + 1) * 3)}


def render(instance):
    return f"Write the number {instance['value']} in Roman numerals. Answer with the numeral only."


def reference(instance):
    value, out = instance["value"], []
    for amount, letters in VALUES:
        while value >= amount:
            out.append(letters)
            value -= amount
    return "".join(out)


def score(instance, answer):
    return 1.0 if answer.strip().upper() == reference(instance) else 0.0
'''

#: ListSum with every name and number changed: a near-duplicate of GOOD.
GOOD_RENAMED = (
    GOOD.replace("ListSum", "NumberTotal").replace("xs", "values").replace("50", "99")
    .replace("Add these numbers", "Compute the total of")
)


def hostile_actions(rng: np.random.Generator) -> list[str]:
    """Model output at its worst: empty, 1 MB, binary junk, lone surrogates, tag soup, non-str values."""
    return [
        "", "x" * (1 << 20), bytes(rng.integers(0, 256, 4096, dtype=np.uint8)).decode("latin-1"),
        "".join(chr(c) for c in range(32)) * 10, "\ud800", "<answer>", "<answer></answer>", "<answer>" * 1000,
        "<answer>99999999999999999999999999999</answer>", "9" * 5000, "é漢字😀", "```python\nwhile True: pass\n```",
        "-0", "nan", "1e308", "<ANSWER> 12 </ANSWER>", 12, None, b"bytes",  # type: ignore[list-item]
    ]


#: A good source that leans on allowed imports in every form: plain, from-import, submodule, decorator.
#: (Its answer is never 0 or 1: counting pairs with a given sum, "0" was right half the time and failed
#: validation's probe limit 1 time in 13.)
IMPORTS_GOOD = '''
import collections.abc
import dataclasses
from collections import Counter
from itertools import combinations


@dataclasses.dataclass
class Pairs:
    xs: list


def sample_instance(rng, difficulty):
    return {"xs": [rng.randint(1, 99) for _ in range(3 + difficulty)]}


def render(instance):
    return f"Numbers: {instance['xs']}. How many pairs of positions hold numbers with an even sum? One integer."


def _count(instance):
    assert isinstance(instance["xs"], collections.abc.Sequence)
    pairs = Pairs(list(combinations(instance["xs"], 2)))
    return Counter((a + b) % 2 for a, b in pairs.xs)[0]  # 4 or more numbers: never 0 or 1 such pair


def reference(instance):
    return str(_count(instance))


def score(instance, answer):
    return 1.0 if answer.strip() == str(_count(instance)) else 0.0
'''


#: A source that counts its calls in a module-level list: every call runs in a fresh fork of the loaded
#: source, so it counts 1 each time (it used to draw a new instance for a seed on each call).
MODULE_COUNTER = "CALLS = []\n" + _swap(_SAMPLE, 'def sample_instance(rng, difficulty):\n    CALLS.append(1)\n'
                                         '    xs = [rng.randint(1, 50) for _ in range(2 + 2 * difficulty)]\n'
                                         '    return {"xs": [len(CALLS)] + xs}')
