"""zeroplay.core.answers: the one policy for reading answers and code out of model text, and
the call sites that now share it (math verifier, templates, code envs, code verifier, synth,
reasoning-gym adapter)."""

from __future__ import annotations

import random
import time

import pytest

from zeroplay.core import answers as A
from zeroplay.verifiers.math.extract import extract_answer, gold_answer


# -- boxes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, want", [
    (r"so \boxed{\frac{1}{2}}", r"\frac{1}{2}"),
    (r"\boxed{3} no wait \boxed{5}", "5"),
    (r"\boxed{ 7 }", "7"),  # stripped
    (r"\boxed{\boxed{7}}", "7"),  # the box whose content starts last
    (r"\boxed{\left\{ 1 \right.}", r"\left\{ 1 \right."),  # an escaped brace does not nest
    (r"\boxed{1} then \boxed{2", "1"),  # a final unclosed box leaves the previous one
    (r"\boxed{}", ""),  # an empty box is a box (the verifier calls it an empty answer)
    (r"\boxed{\frac{1}{2}", None),
    (r"\boxedx{1}", None),  # another command, not a box
    ("no box", None),
])
def test_last_boxed(text, want):
    assert A.last_boxed(text) == want


def test_fbox_and_boxed_without_braces_are_boxes_everywhere():
    """These two used to split the readers: the math one accepted both, the templates' neither."""
    from zeroplay.training.templates import get_template, last_boxed

    for text, want in [(r"\fbox{9}", "9"), (r"\boxed 5", "5"), (r"\boxed  5.", "5."), (r"\fbox 3 and more", "3"),
                       (r"\boxed{1} then \boxed 8", "8"), (r"\boxed 8 then \boxed{1}", "1")]:
        assert A.last_boxed(text) == last_boxed(text) == want
        assert get_template("boxed").parse(text) == (want, True)
    assert extract_answer(r"\fbox{9}").text == "9" and extract_answer(r"\boxed 8").rule == "boxed"


# -- tags ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, want", [
    ("<answer>1</answer> then <answer> 2 </answer>", " 2 "),
    ("<answer>1</answer><answer>unclosed", "1"),
    ("<answer>a<answer>b</answer>", "a<answer>b"),  # each opening tag pairs with the first closing after it
    ("<answer>a</answer></answer>", "a"),
    ("</answer><answer>", None),
    ("<ANSWER>1</ANSWER>", None),  # case-sensitive
    ("<answer>1</Answer>", None),
    ("< answer >1</ answer >", None),
    ("no tags", None),
])
def test_last_tag(text, want):
    assert A.last_tag(text) == want


def test_tag_case_is_one_rule_for_every_caller():
    """``<ANSWER>`` used to count in code envs and synth envs (and so in the reasoning-gym adapter),
    and not in the math verifier or the templates. Now it counts nowhere, as in reasoning-gym."""
    from zeroplay.envs.code.answers import extract_literal_answer, extract_tag
    from zeroplay.envs.synth.spec import extract_answer as synth_answer
    from zeroplay.training.templates import get_template, last_answer

    text = "<answer>1</answer> <ANSWER>2</ANSWER>"
    assert A.last_tag(text) == extract_tag(text, "answer") == last_answer(text) == "1"
    assert extract_literal_answer(text) == synth_answer(text) == "1"
    assert extract_answer(text).text == "1"
    assert get_template("r1").parse("<ANSWER>2</ANSWER>") == ("", False)
    assert A.all_tags("<input>1</input><INPUT>2</INPUT><input>3</input>", "input") == ["1", "3"]


def _rg_extract(text: str) -> str | None:
    """What the reasoning-gym adapter reads."""
    found = A.last_tag(text, "answer")
    return None if found is None else found.strip()


RG_TOKENS = ["<answer>", "</answer>", "<ANSWER>", "</Answer>", "<answer", "answer>", " ", "\n", "\t", "x", "42",
             "\u00a0", "\u2003", "\ud800", "\x00", "<", ">", "/"]


def _rg_corpus(n: int) -> list[str]:
    rnd = random.Random(0)
    return [
        "".join(rnd.choice(RG_TOKENS) for _ in range(rnd.randint(0, 12))) for _ in range(n)
    ] + ["<answer> 12 </answer>", "<answer>\n\n  x = 4\n</answer>", "<answer></answer>", "<answer> </answer>",
         "<answer>a<answer>b</answer>", "<answer>a</answer></answer>", "<ANSWER>1</ANSWER>"]


def test_reasoning_gym_rule_matches_reasoning_gym_itself():
    rg_utils = pytest.importorskip(
        "reasoning_gym.utils", reason="reasoning-gym is not installed (pip install 'zeroplay[reasoning-gym]'): "
        "the comparison with its own extract_answer is skipped")
    for text in _rg_corpus(5000):
        assert _rg_extract(text) == rg_utils.extract_answer(text), repr(text)


def test_reasoning_gym_adapter_scores_as_reasoning_gym():
    rg = pytest.importorskip("reasoning_gym", reason="reasoning-gym is not installed (pip install 'zeroplay[reasoning-gym]')")
    from reasoning_gym.utils import extract_answer as rg_extract

    from zeroplay.envs.math.reasoning_gym import ReasoningGymVerifier

    data = rg.create_dataset("basic_arithmetic", size=5, seed=0)
    verifier = ReasoningGymVerifier(data)
    for i in range(len(data)):
        gold = data[i]["answer"]
        for text in [f"<answer>{gold}</answer>", f"<ANSWER>{gold}</ANSWER>", f"<answer> {gold} </answer> <answer>",
                     f"<answer>0</answer><answer>{gold}</answer>", f"<answer>{gold}<answer>x</answer>", gold]:
            found = rg_extract(text)
            want = float(data.score_answer(found, data[i])) if found is not None else 0.0
            assert verifier.verify(text, {"index": i}).score == want, text


# -- fenced code ---------------------------------------------------------------------------------
def test_fenced_blocks_and_code_block():
    text = "x\n```python\ndef f(): pass\n```\ntext\n```input\n1\n```\n```py\ncut off"
    assert [(b.lang, b.closed) for b in A.fenced_blocks(text)] == [("python", True), ("input", True), ("py", False)]
    assert A.code_block(text) == "def f(): pass\n"
    assert A.code_block("```python title=x.py\nA\n```") == "A\n"  # the language is the first word
    assert A.code_block("```\nA\n```\n```text\nB\n```") == "B\n"  # no python block: the last closed block
    assert A.code_block("```python\nA\n```\n```text\nB\n```") == "A\n"  # python wins over later blocks
    assert A.code_block("```python\nA") is None
    assert A.code_block("```python\nA", unclosed=True) == "A"
    assert A.code_block("```input\nA", unclosed=True) is None  # only a cut-off python or unlabeled block
    assert A.fenced_blocks("say ```x = 1``` ok") == [A.Fenced("", "x = 1", True)]  # one line: unlabeled


def test_code_readers_agree_on_the_block():
    from zeroplay.envs.code.answers import extract_program
    from zeroplay.envs.synth.pipeline import extract_source
    from zeroplay.verifiers.code import extract_code

    text = "draft:\n```python\nA = 1\n```\ncheck:\n```\nprint(A)\n```\nfinal:\n```py\nB = 2\n```"
    assert extract_code(text) == extract_program(text) == A.code_block(text) == "B = 2\n"
    assert extract_source("```python\nLONG = 1\n```\n```python\nX\n```") == "LONG = 1\n"  # synth: the longest


# -- plain-text answers: GSM8K and the last mathematical answer ------------------------------------
@pytest.mark.parametrize("text, answer, rule", [
    (r"Answer \[ 9 \]", "9", "answer-math"),
    ("Answer $ 9 $", "9", "answer-math"),
    (r"Answer \( (9+1) \)", "(9+1)", "answer-math"),
    ("We add.\nAnswer:\n\\[\n  9\n\\]\n", "9", "answer-math"),
    ("Answer\n$$\n\\frac{1}{2}\n$$", r"\frac{1}{2}", "answer-math"),
    ("Final Answer: The largest $n$ is 34.", "34", "final-answer-phrase"),
    ("Let $x$ be the side.\nThen $x^3$ is the volume, and $x = 2$ gives\n8 times 15, so the volume is $120$.",
     "120", "fallback-last-sentence"),
    ("Let $x$ be the side. We find the volume is 120.", "120", "fallback-last-sentence"),
    ("Squaring both sides:\n$$\nx^2 = 4\n$$\nso\n\\[\n x = 2\n\\]", "x = 2", "fallback-last-display"),
    ("Janet has 3 ducks... 16 - 3 - 4 = 9, 9 * 2 = 18\n#### 18", "18", "gsm8k"),
    ("The result is $3.5$ dollars.", "3.5", "fallback-last-sentence"),
    ("So the volume is 120.", "120", "fallback-last-sentence"),
    ("42", "42", "fallback-short"),
    ("x = 3", "x = 3", "fallback-short"),
    ("no solution", "no solution", "fallback-short"),
])
def test_answers_outside_boxes(text, answer, rule):
    got = extract_answer(text)
    assert got is not None and (got.text, got.rule) == (answer, rule)


@pytest.mark.parametrize("text", [
    "I computed 2+2 = 4 and 3+3 = 6, then 10.\nI'm done, and not sure of the result.",
    "We know 13 appears in the problem.\nI am not sure of the result.",
    "",
    "   \n  ",
])
def test_last_math_answer_never_takes_an_earlier_sentence(text):
    assert A.last_math_answer(text) is None


def test_a_short_line_with_nothing_in_its_last_sentence_is_taken_whole():
    text = "We know 13 appears in the problem. I am not sure of the result."  # as fallback="short" did
    assert A.last_math_answer(text) == (text, "short")


def test_strict_fallbacks_are_still_options():
    text = "A long derivation.\nSo the volume is $120$."
    assert extract_answer(text).text == "120"
    assert extract_answer(text, fallback="short") is None
    assert extract_answer(text, fallback="none") is None
    assert extract_answer(text, fallback="last-line").text == "So the volume is $120$"
    with pytest.raises(ValueError, match="fallback must be one of"):
        extract_answer(text, fallback="math-verify")


def test_math_verifier_reads_unboxed_answers_by_default():
    from zeroplay import verifiers
    from zeroplay.core.errors import ConfigError

    v = verifiers.make("math", workers=1)
    try:
        assert v.verify(r"Answer \[ 9 \]", "9").correct
        assert v.verify("Final Answer: The largest $n$ is 34.", "34").correct
        assert v.verify("Natalia sold 48/2 = 24 clips in May.\n#### 72", "72").correct
        assert v.verify("A long solution.\nSo the volume is $120$.", "120").correct
        strict = verifiers.make("math", workers=1, fallback="short")
        assert strict.verify("A long solution.\nSo the volume is $120$.", "120").reason.startswith("no-answer")
    finally:
        v.close()
    with pytest.raises(ConfigError, match="last-math"):
        verifiers.make("math", fallback="anything")


def test_gsm8k_gold_and_answer():
    assert A.gsm8k_answer("work\n#### 1,234\nmore") == "1,234"
    assert A.gsm8k_answer("####   \n") is None and A.gsm8k_answer("no mark") is None
    assert gold_answer("Natalia sold 48/2 = 24 clips in May.\n#### 72") == "72"
    assert gold_answer(r"The answer is $\boxed{7}$") == "7"


def test_math_spans():
    spans = A.math_spans(r"a $x$ b $$y$$ c \(z\) d \[w\] e \$5 and $unclosed")
    assert [(s.content, s.display) for s in spans] == [("x", False), ("y", True), ("z", False), ("w", True)]
    assert [s.content for s in A.math_spans(r"$a \$ b$")] == [r"a \$ b"]


# -- hostile input -------------------------------------------------------------------------------
FIVE_MB = 5 * 1024 * 1024
HOSTILE = {
    "letters": "a" * FIVE_MB,
    "open braces": "{" * FIVE_MB,
    "deep box": "\\boxed{" * 50_000 + "1" + "}" * 50_000,
    "unclosed boxes": "\\boxed{" * (FIVE_MB // 7),
    "boxes without braces": "\\boxed " * (FIVE_MB // 7),
    "open tags": "<answer>" * (FIVE_MB // 8),
    "tag pairs": "<answer>1</answer>" * (FIVE_MB // 18),
    "fences": "```" * (FIVE_MB // 3),
    "python fences": "```python\n" * (FIVE_MB // 10),
    "dollars": "$" * FIVE_MB,
    "escaped dollars": "\\$" * (FIVE_MB // 2),
    "display openers": "\\[" * (FIVE_MB // 2),
    "answer markers": "Answer $" * (FIVE_MB // 8),
    "spaces after answer": "answer" + " " * FIVE_MB,
    "numbers": "1.2, " * (FIVE_MB // 5),
    "sentences": ". " * (FIVE_MB // 2),
    "gsm8k marks": "####" * (FIVE_MB // 4),
    "lone surrogates": "\ud800\udfff" * (FIVE_MB // 2),
    "NULs": "\x00" * FIVE_MB,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_is_fast_and_never_raises(name):
    text = HOSTILE[name]
    start = time.perf_counter()
    A.last_boxed(text), A.last_tag(text), A.all_tags(text, "answer"), A.code_block(text, unclosed=True)
    A.gsm8k_answer(text), A.last_math_answer(text), extract_answer(text)
    for fallback in ("short", "last-line", "none"):
        extract_answer(text, fallback=fallback)
    assert time.perf_counter() - start < 10.0  # linear: well under a second each on a laptop; quadratic is hours


def test_deep_nesting_and_surrogates_read_correctly():
    assert A.last_boxed("\\boxed{" + "{" * 30_000 + "7" + "}" * 30_000 + "}") == "{" * 30_000 + "7" + "}" * 30_000
    assert A.last_boxed("\\boxed{" * 50_000 + "1" + "}" * 50_000) == "1"
    assert A.last_tag("\ud800<answer>\udfff</answer>") == "\udfff"
    assert A.last_boxed("x" * (FIVE_MB) + r" \boxed{1}") == "1"  # the answer at the end of a huge text


@pytest.mark.parametrize("junk", [None, b"<answer>1</answer>", 42, ["\\boxed{1}"]])
def test_non_text_gives_none_not_an_exception(junk):
    """Readers take str; anything else is not model text: None (lists: empty), documented."""
    assert A.last_boxed(junk) is None and A.last_tag(junk) is None and A.code_block(junk) is None
    assert A.gsm8k_answer(junk) is None and A.last_math_answer(junk) is None and A.braced(junk, 0) is None
    assert A.fenced_blocks(junk) == [] and A.all_tags(junk, "answer") == [] and A.math_spans(junk) == []
    assert extract_answer(junk) is None


# -- the old call sites: same results except where the policy changed on purpose -----------------
def test_old_call_sites_keep_their_results():
    from zeroplay.envs.code.answers import extract_literal_answer, extract_program, extract_tag, parse_proposal
    from zeroplay.envs.synth.spec import extract_answer as synth_answer
    from zeroplay.training.templates import get_template, last_answer
    from zeroplay.verifiers.code import extract_code

    assert extract_answer(r"<answer>so \boxed{4}</answer>").text == "4"
    assert extract_answer("The final answer is $2$. I hope it is correct.").text == "2"
    assert extract_answer("work...\nAnswer: 4\nWait. Answer: 6").text == "6"
    assert extract_answer("The answer is 17 because 17 is prime.").text == "17"
    assert get_template("r1").parse("<think>K</think> <answer>[bet]</answer>") == ("[bet]", True)
    assert get_template("boxed").parse(r"unbalanced \boxed{1") == ("", False)
    assert last_answer("<answer>1</answer><answer>2</answer>") == "2"
    assert extract_tag("<answer>1</answer><answer>unclosed", "answer") == "1"
    assert extract_literal_answer("so:\n```\n42\n```") == "42" and extract_literal_answer("  7 ") == "7"
    assert extract_program("<answer>def f(x): return 1</answer>") == "def f(x): return 1"
    assert extract_code("```python\nprint(2)") == "```python\nprint(2)"  # unclosed: the whole text
    assert extract_code("```python\n" * 1000) == ""
    assert synth_answer("x" * 50_000 + "<answer>7</answer>") == "7" and synth_answer("  42 \n") == "42"
    p = parse_proposal("```python\ndef f(a):\n    return a\n```\n```input\n1\n```\n<input>3</input>", "induction")
    assert p.inputs == ("1", "3")


def test_intended_policy_changes():
    """Each line was different before this module (see the report of the change)."""
    from zeroplay.envs.code.answers import extract_literal_answer, extract_tag
    from zeroplay.envs.synth.pipeline import extract_source
    from zeroplay.training.templates import last_answer, last_boxed
    from zeroplay.verifiers.code import extract_code

    assert extract_tag("<ANSWER>1</ANSWER>", "answer") is None  # was "1": tags are case-sensitive
    assert last_answer("<answer>a<answer>b</answer>") == "a<answer>b"  # was "b": reasoning-gym's pairing
    assert last_boxed(r"\fbox{9} and \boxed 8") == "8"  # was None in the templates
    assert extract_answer("A long solution.\nSo the volume is $120$.").text == "120"  # was no-answer
    assert extract_answer("blah\n#### 42").text == "42"  # was no-answer
    assert extract_code("```text\nA\n```\n```c++\nB\n```") == "B\n"  # any label now; "c++" was skipped
    assert extract_literal_answer("```[1, 2], 'x'```") == "[1, 2], 'x'"  # one-line block: its content
    assert extract_source("```input\n1\n```\nhi\n```python\nX = 1\n```") == "X = 1\n"  # fences paired properly
