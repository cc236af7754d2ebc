"""10k fuzzed proposals and answers: nothing raises, nothing hangs.

Most inputs are chaos built from the tokens that matter to the parsers (fences, tags, ``def f``,
brackets, quotes, control characters) and die in the host's parse stage; about one in twenty is a
well-formed program with random literal inputs, so the sandbox stages are fuzzed too.
Hypothesis runs derandomized, so CI sees the same 10k inputs every time.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zeroplay.envs.code.propose import STAGES, CodeProposerEnv
from zeroplay.envs.code.solve import CodeAbductionEnv, CodeDeductionEnv, CodeInductionEnv

TOKENS = [
    "```python\n", "```input\n", "```py\n", "```\n", "\n```", "<message>", "</message>", "<input>", "</input>",
    "<answer>", "</answer>", "def f(x):\n    return x\n", "def f(*a):\n", "def g(x):", "import os\n", "import math\n",
    "    return ", "while True: pass\n", "\n", "    ", "1, 2", "[", "]", "(", ")", "{", "}", "'", '"', "\\", "f(", "x",
    "\x00", "\ud800", "é漢😀", "lambda", "__class__", "print(1)", "9" * 50, "-", "*", ",", ":", "#", "None", "1e999",
]

chaos = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=40).map("".join)

literals = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
# (endless loops and recursion are in the bad-proposal corpus; here they would only cost timeouts)
BODIES = ["x", "x * 2", "str(x)[::-1]", "len(str(x))", "[x] * 3", "x if x else 0", "1 // 0", "x + 1",
          "sorted(str(x))", "{'v': x}", "(x, x)", "type(x)", "x[0]", "str(x) * 3"]
programs = st.sampled_from(BODIES).map(lambda body: f"def f(x):\n    return {body}")
args_text = st.lists(literals, min_size=1, max_size=2).map(lambda vs: ", ".join(map(repr, vs)))


@st.composite
def structured_proposals(draw) -> str:
    program = draw(programs)
    inputs = draw(st.lists(literals.map(repr), min_size=1, max_size=7))
    blocks = "\n".join(f"```input\n{i}\n```" for i in inputs)
    return f"{draw(chaos)}\n```python\n{program}\n```\n{blocks}\n<message>{draw(st.text(max_size=10))}</message>"


def mostly(chaotic, structured):
    """Nineteen in twenty from ``chaotic``, one in twenty from ``structured``."""
    # k == 7, not 0: hypothesis favours the bounds of a range
    return st.integers(0, 19).flatmap(lambda k: structured if k == 7 else chaotic)


FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def envs(quick_box):
    return {
        "proposers": {k: CodeProposerEnv(k, sandbox=quick_box) for k in ("deduction", "abduction", "induction")},
        "deduction": CodeDeductionEnv(sandbox=quick_box),
        "abduction": CodeAbductionEnv(sandbox=quick_box),
        "induction": CodeInductionEnv(sandbox=quick_box),
    }


# Batches of 100 go through the paths a training loop uses (validate_batch, verify_batch), so the
# sandbox sees them concurrently; a few hundred more go one at a time through env.step.
BATCH = 100


@pytest.mark.timeout(300)
@settings(FUZZ, max_examples=40)
@given(kind=st.sampled_from(["deduction", "abduction", "induction"]),
       texts=st.lists(mostly(chaos, structured_proposals()), min_size=BATCH, max_size=BATCH))
def test_4000_fuzzed_proposals_never_raise(envs, kind: str, texts: list[str]) -> None:
    env = envs["proposers"][kind]
    for info in env.validate_batch(texts):
        assert info["stage"] in (None, *STAGES)
        assert (info["stage"] is None) == ("task" in info) == ("error" not in info)
        assert env.reward_of(info) in (env.valid_reward, env.invalid_penalty, env.parse_penalty)


@pytest.mark.timeout(120)
@settings(FUZZ, max_examples=300)
@given(kind=st.sampled_from(["deduction", "abduction", "induction"]), text=mostly(chaos, structured_proposals()),
       seed=st.integers(0, 50))
def test_fuzzed_proposal_steps_never_raise(envs, kind: str, text: str, seed: int) -> None:
    env = envs["proposers"][kind]
    env.reset(seed=seed)
    _, reward, terminated, _, info = env.step(text)
    assert terminated and reward == env.reward_of(info) and info["stage"] in (None, *STAGES)


ANSWERS = {
    "deduction": mostly(chaos, literals.map(lambda v: f"<answer>{v!r}</answer>")),
    "abduction": mostly(chaos, args_text.map(lambda a: f"<answer>{a}</answer>")),
    "induction": mostly(chaos, programs.map(lambda p: f"```python\n{p}\n```")),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", ["deduction", "abduction", "induction"])
def test_2000_fuzzed_answers_per_kind_never_raise(envs, kind: str) -> None:
    env = envs[kind]
    references = [env.reset(seed=s)[1]["task"].reference for s in range(BATCH)]

    @settings(FUZZ, max_examples=20)
    @given(answers=st.lists(ANSWERS[kind], min_size=BATCH, max_size=BATCH))
    def check(answers: list[str]) -> None:
        for verdict in env.verifier.verify_batch(answers, references):
            assert 0.0 <= verdict.score <= 1.0 and verdict.reason

    check()


@pytest.mark.timeout(120)
@settings(FUZZ, max_examples=200)
@given(kind=st.sampled_from(["deduction", "abduction", "induction"]), data=st.data(), seed=st.integers(0, 50))
def test_fuzzed_answer_steps_never_raise(envs, kind: str, data, seed: int) -> None:
    env = envs[kind]
    env.reset(seed=seed)
    _, reward, terminated, _, info = env.step(data.draw(ANSWERS[kind]))
    assert terminated and 0.0 <= reward <= 1.0 and info["verdict"].reason
