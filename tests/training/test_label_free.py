"""Label-free rewards (majority vote, novelty), pass@k and the rlvr loop's use of them, against
hand-computed values."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

import zeroplay as zp
from zeroplay.agents.policy import Generation, SamplingParams
from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.rewards import (RewardShaping, is_group_reward, jaccard, majority_vote, majority_vote_reward,
                                       ngrams, novelty)
from zeroplay.training.rlvr import RLVRLoop, pass_at_k
from zeroplay.training.rollout import Sampler
from zeroplay.training.templates import get_template

SHAPING = RewardShaping()


# -- majority vote ---------------------------------------------------------------------------------
def test_the_majority_answer_is_the_pseudo_label_and_only_its_voters_earn_1():
    vote = majority_vote(["3", "4", "3", "5"])
    assert (vote.label, vote.representative, vote.counts, vote.reason) == ("3", 0, [2, 1, 1], "majority")
    assert vote.agrees == [True, False, True, False]
    assert majority_vote_reward(["3", "4", "3", "5"], str.__eq__, SHAPING) == [1.0, 0.0, 1.0, 0.0]


def test_a_tie_gives_no_pseudo_label_and_every_sample_0():
    vote = majority_vote(["3", "4", "4", "3", "7"])
    assert (vote.label, vote.representative, vote.counts, vote.reason) == (None, None, [2, 2, 1], "tie")
    assert majority_vote_reward(["3", "4", "4", "3", "7"], str.__eq__, SHAPING) == [0.0] * 5


def test_a_sample_without_an_answer_never_votes_and_gets_0():
    # None and blank do not vote: "4" wins 1 to 0 over nothing, though 3 of 4 samples said nothing
    assert majority_vote_reward([None, "4", "", "  "], str.__eq__, SHAPING) == [0.0, 1.0, 0.0, 0.0]
    # without them, "3" and "4" would tie; with them still a tie (no-answers are not a cluster)
    assert majority_vote([None, "3", None, "4"]).reason == "tie"
    nobody = majority_vote([None, "", None])
    assert (nobody.label, nobody.reason, nobody.counts) == (None, "no-answer", [])
    assert majority_vote([]).reason == "no-answer"


def test_one_answer_alone_is_its_own_majority():
    assert majority_vote_reward(["9"], str.__eq__, SHAPING) == [1.0]


def test_answers_are_clustered_with_the_equivalence_given_the_verifier_included():
    from zeroplay import verifiers

    math = verifiers.make("math", workers=1)
    try:
        same = lambda a, b: math.verify(a, b).correct
        vote = majority_vote(["1/2", "7", "0.5", "7", "\\frac{1}{2}"], same)
    finally:
        math.close()
    # with string equality "7" would win 2 to 1; equivalence puts 1/2, 0.5 and \frac{1}{2} in one vote
    assert (vote.label, vote.counts, vote.agrees) == ("1/2", [3, 2], [True, False, True, False, True])
    assert majority_vote(["1/2", "7", "0.5", "7", "\\frac{1}{2}"]).label == "7"


def test_majority_vote_is_a_registered_group_reward():
    fn = lookup(REWARDS, "majority_vote")
    assert fn is majority_vote_reward and is_group_reward(fn)
    assert not is_group_reward(lookup(REWARDS, "correctness"))


# -- novelty ---------------------------------------------------------------------------------------
def test_ngrams_are_lower_cased_word_and_punctuation_trigrams():
    assert ngrams("So 2 + 2 = 4.") == {("so", "2", "+"), ("2", "+", "2"), ("+", "2", "="), ("2", "=", "4"),
                                       ("=", "4", ".")}
    assert ngrams("two words") == set()


def test_novelty_is_one_minus_the_mean_jaccard_to_the_others():
    # trigrams: A = {abc, bcd}, B = {abc, bce}, C = {xyz}; J(A,B) = 1/3, J(A,C) = J(B,C) = 0
    assert jaccard(ngrams("a b c d"), ngrams("a b c e")) == pytest.approx(1 / 3)
    got = novelty(["a b c d", "a b c e", "x y z"])
    assert got == pytest.approx([1 - (1 / 3 + 0) / 2, 1 - (1 / 3 + 0) / 2, 1 - (0 + 0) / 2])  # 5/6, 5/6, 1


def test_novelty_edge_cases():
    assert novelty(["same words here", "same words here"]) == [0.0, 0.0]  # identical: nothing new
    assert novelty(["only one"]) == [0.0]  # nothing to differ from
    assert novelty([]) == []
    # two texts too short for a trigram are alike (both empty sets); against a real one, fully novel
    assert novelty(["hi", "yo", "a b c"]) == pytest.approx([1 - (1 + 0) / 2, 1 - (1 + 0) / 2, 1.0])


# -- pass@k ----------------------------------------------------------------------------------------
def test_pass_at_k_is_the_unbiased_estimator():
    assert pass_at_k(4, 0, 1) == 0.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - 3 / 6)  # 1 - C(3,2)/C(4,2)
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)  # 1 - C(3,2)/C(5,2) = 0.7
    assert pass_at_k(10, 3, 4) == pytest.approx(1 - 35 / 210)  # 1 - C(7,4)/C(10,4)
    assert pass_at_k(4, 1, 4) == 1.0 and pass_at_k(4, 3, 2) == 1.0  # n - c < k: a correct one is always drawn
    for bad in [(4, 5, 1), (4, 1, 0), (4, 1, 5)]:
        with pytest.raises(ValueError):
            pass_at_k(*bad)


def test_eval_pass_k_needs_enough_samples_per_task():
    base = {"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"}}
    with pytest.raises(ConfigError, match="pass_k.*samples_per_task"):
        config_from_dict({**base, "eval": {"pass_k": [1, 4], "samples_per_task": 2}})
    assert config_from_dict({**base, "eval": {"pass_k": [1, 4], "samples_per_task": 4}}).eval.pass_k == [1, 4]


# -- the rlvr loop with a scripted policy ----------------------------------------------------------
class ScriptedArithmetic:
    """A policy that works out each arithmetic problem and answers by a script, one entry per sample
    of a call in order: ``v`` the right value, ``v.0`` it as a decimal, ``w`` the value + 1, ``x`` + 2, ``none``
    no answer (a sentence), ``empty`` nothing, ``copy`` the expression as given. (A real policy object, not
    a mock: it reads the prompt and computes.)"""

    def __init__(self, script: Sequence[str]):
        self.script = list(script)

    def generate(self, prompts, params=None) -> list[Generation]:
        out = []
        for j, messages in enumerate(prompts):
            expr = re.search(r"Compute (.+?)\.\n", messages[-1]["content"]).group(1)
            assert re.fullmatch(r"[-+*() 0-9]+", expr)
            v = eval(expr)  # digits and + - * only (checked above)
            kind = self.script[j % len(self.script)]
            text = {"v": f"so it is \\boxed{{{v}}}", "v.0": f"I get \\boxed{{{v}.0}}", "w": f"maybe \\boxed{{{v + 1}}}",
                    "none": "I do not know", "empty": "", "copy": f"it is \\boxed{{{expr}}}",
                    "x": f"surely \\boxed{{{v + 2}}}"}[kind]
            out.append(Generation(text, [1, 2], [3, 4, 5], [-0.1, -0.2, -0.3], "stop"))
        return out


def _loop(script, tmp_path, **rlvr):
    cfg = config_from_dict({"loop": "rlvr", "out_dir": str(tmp_path), "seed": 0,
                            "rlvr": {"env": "zeroplay/MathArithmetic-v0", "prompts_per_step": 3, "group_size": 4,
                                     **rlvr},
                            "eval": {"samples": 3, "samples_per_task": 4, "pass_k": [1, 2, 4]}})
    policy = ScriptedArithmetic(script)
    return RLVRLoop(cfg, Sampler(policy, get_template("plain"), SamplingParams()), policy)


SCRIPT = ["v", "v.0", "w", "none",   # problem 0: {v, v.0} outvote w: label right; rewards 1 1 0 0
          "w", "w", "v", "v",        # problem 1: a tie: no label; all 0
          "w", "w", "w", "v"]        # problem 2: w wins: label wrong; rewards 1 1 1 0


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_majority_vote_rewards_and_pseudo_label_agreement(tmp_path):
    samples, metrics = _loop(SCRIPT, tmp_path, reward="majority_vote").collect(0)
    assert [s.reward for s in samples] == [1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]
    assert metrics["train/pseudo_label_rate"] == pytest.approx(2 / 3)
    assert metrics["train/pseudo_label_agreement"] == pytest.approx(1 / 2)
    assert metrics["train/accuracy"] == pytest.approx(5 / 12)  # the true label, for reference only
    assert "train/novelty" not in metrics


def answering_bonus(samples, measure, n=4):
    """Per sample of groups of ``n``: ``measure`` over the group's samples that answer in a box (the novelty the
    loop adds); 0 for one that does not (SCRIPT's ``none``: "I do not know", read only by a fallback rule)."""
    out = []
    for g in range(0, len(samples), n):
        group = samples[g:g + n]
        answering = [k for k, s in enumerate(group) if "\\boxed" in s.text]
        got = dict(zip(answering, measure([group[k].text for k in answering])))
        out += [got.get(k, 0.0) for k in range(len(group))]
    return out


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_novelty_bonus_is_added_to_the_reward(tmp_path):
    samples, metrics = _loop(SCRIPT, tmp_path, reward="majority_vote", novelty_weight=0.5).collect(0)
    vote = [1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]
    bonus = answering_bonus(samples, novelty)
    assert [s.reward for s in samples] == pytest.approx([r + 0.5 * b for r, b in zip(vote, bonus)])
    # problem 1: "maybe \boxed{X}" twice (identical) and "so it is \boxed{Y}" twice: trigram sets
    # {maybe \ boxed, \ boxed {, boxed { X, { X }} (4) and {so it is, it is \, is \ boxed, \ boxed {,
    # boxed { Y, { Y }} (6) share one trigram: J = 1/9; each text: 1 - (1 + 1/9 + 1/9) / 3 = 16/27
    assert bonus[4:8] == pytest.approx([16 / 27] * 4)
    assert metrics["train/novelty"] == pytest.approx(sum(bonus) / 12)


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_novelty_is_only_for_samples_that_answer(tmp_path):
    """A red team's: an empty completion shares no trigram with any other, so it was the most novel and,
    outside the majority, earned 0.2 where an honest wrong answer earned 0.09 (EVOL-RL's code gives it -1)."""
    samples, _ = _loop(["v", "v", "w", "empty"], tmp_path, reward="majority_vote", novelty_weight=0.2).collect(0)
    for g in range(3):
        group = samples[4 * g:4 * g + 4]
        bonus = novelty([s.text for s in group[:3]])  # among the three that answer
        assert [s.reward for s in group] == pytest.approx([1 + 0.2 * bonus[0], 1 + 0.2 * bonus[1], 0.2 * bonus[2], 0.0])
        assert group[2].reward > group[3].reward


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_votes_do_not_depend_on_the_order_of_the_samples(tmp_path):
    """A red team's: a copy of the expression is wrong against the value (unsimplified) but the value is right
    against it: voting first, the copy joined the right answers' cluster (4 of 8, all paid); voting fourth,
    it made its own and the vote tied (all 0). Answers now match only when they match both ways."""
    first = ["copy", "v", "v", "v", "w", "w", "w", "x"]
    fourth = ["v", "v", "v", "copy", "w", "w", "w", "x"]
    by_kind = []
    for script in (first, fourth):
        samples, _ = _loop(script, tmp_path, reward="majority_vote", group_size=8).collect(0)
        by_kind.append(sorted(zip(script * 3, [s.reward for s in samples])))
    assert by_kind[0] == by_kind[1]
    assert all(r == 0.0 for _, r in by_kind[0])  # 3 right, 3 wrong: a tie either way


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_evaluation_reports_pass_at_k(tmp_path):
    # the 3 eval tasks x 4 answers follow SCRIPT: right answers per task 2, 2, 1 (of 4)
    out = _loop(SCRIPT, tmp_path).evaluate(0)
    assert out["eval/accuracy"] == pytest.approx(5 / 12)
    assert out["eval/pass@1"] == pytest.approx((2 / 4 + 2 / 4 + 1 / 4) / 3)
    # pass@2 per task: 1 - C(2,2)/C(4,2) = 5/6, 5/6, 1 - C(3,2)/C(4,2) = 1/2
    assert out["eval/pass@2"] == pytest.approx((5 / 6 + 5 / 6 + 1 / 2) / 3)
    assert out["eval/pass@4"] == 1.0


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_without_the_new_options_rewards_as_before(tmp_path):
    samples, metrics = _loop(SCRIPT, tmp_path).collect(0)  # correctness: +1 right, -0.5 wrong (plain: well formed)
    assert [s.reward for s in samples] == [1, 1, -0.5, -0.5, -0.5, -0.5, 1, 1, -0.5, -0.5, -0.5, 1]
    assert not {"train/pseudo_label_rate", "train/pseudo_label_agreement", "train/novelty"} & set(metrics)


# -- embedding novelty -----------------------------------------------------------------------------
def test_cosine_novelty_is_one_minus_the_mean_cosine_to_the_others():
    from zeroplay.training.rewards import cosine_novelty

    # cos(a, b) = 0, cos(a, c) = cos(b, c) = 1/sqrt(2)
    r = 1 / 2 ** 0.5
    assert cosine_novelty([[1, 0], [0, 1], [1, 1]]) == pytest.approx([1 - r / 2, 1 - r / 2, 1 - r])
    assert cosine_novelty([[2, 0], [5, 0]]) == pytest.approx([0.0, 0.0])  # same direction: nothing new
    assert cosine_novelty([[1, 0], [-3, 0]]) == pytest.approx([2.0, 2.0])  # opposite: the most novel
    # two zero vectors are alike (as two texts without n-grams), a zero vector and another are not
    assert cosine_novelty([[0, 0], [0, 0], [1, 0]]) == pytest.approx([0.5, 0.5, 1.0])
    assert cosine_novelty([[1, 2]]) == [0.0] and cosine_novelty([]) == []


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    from zeroplay.agents.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("encoder"), hidden_size=32, num_layers=1, num_heads=2))


def test_embedding_novelty_with_a_local_model(encoder_dir):
    from zeroplay.training.rewards import TextEmbedder, cosine_novelty, embedding_novelty

    embedder = TextEmbedder(encoder_dir)
    texts = ["so it is \\boxed{4}", "I think the answer is 7", "so it is \\boxed{4}", ""]
    vectors = embedder.embed(texts)
    assert vectors.shape == (4, 32)
    assert vectors[0] == pytest.approx(vectors[2]) and not vectors[3].any()  # the empty text: zero vector
    got = embedding_novelty(texts, embedder)
    assert got == pytest.approx(cosine_novelty(vectors))
    assert embedding_novelty(["same words", "same words", "same words"], embedder) == pytest.approx([0, 0, 0], abs=1e-6)
    assert embedding_novelty(["alone"], embedder) == [0.0]
    assert min(embedding_novelty(["a b c", "x = 12 / 4", "\\boxed{99}"], embedder)) > 0


def test_embedding_novelty_config_needs_a_local_model_directory(tmp_path, encoder_dir):
    base = {"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0", "novelty": "embedding"}}
    with pytest.raises(ConfigError, match="novelty_model"):
        config_from_dict(base)
    with pytest.raises(ConfigError, match="no model directory"):
        config_from_dict({**base, "rlvr": {**base["rlvr"], "novelty_model": str(tmp_path / "missing")}})
    with pytest.raises(ConfigError, match="only with novelty: embedding"):
        config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0", "novelty_model": encoder_dir}})
    assert config_from_dict({**base, "rlvr": {**base["rlvr"], "novelty_model": encoder_dir}}).loop_config.novelty_model
    default = config_from_dict({"loop": "rlvr", "rlvr": {"env": "zeroplay/MathArithmetic-v0"}})
    assert default.loop_config.novelty == "lexical"


def test_a_directory_without_a_model_is_a_clear_error(tmp_path):
    from zeroplay.training.rewards import TextEmbedder

    with pytest.raises(ValueError, match="cannot load a Hugging Face model"):
        TextEmbedder(str(tmp_path))


@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
def test_rlvr_embedding_novelty_bonus_is_added_to_the_reward(tmp_path, encoder_dir):
    from zeroplay.training.rewards import TextEmbedder, embedding_novelty

    loop = _loop(SCRIPT, tmp_path, reward="majority_vote", novelty_weight=0.5, novelty="embedding",
                 novelty_model=encoder_dir)
    samples, metrics = loop.collect(0)
    embedder = TextEmbedder(encoder_dir)
    bonus = answering_bonus(samples, lambda texts: embedding_novelty(texts, embedder))
    vote = [1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]
    assert [s.reward for s in samples] == pytest.approx([r + 0.5 * b for r, b in zip(vote, bonus)])
    assert bonus != pytest.approx(answering_bonus(samples, novelty))
    assert metrics["train/novelty"] == pytest.approx(sum(bonus) / 12)


# -- the rlvr warm-up ------------------------------------------------------------------------------
@pytest.mark.skipif("zeroplay/MathArithmetic-v0" not in zp.registered(), reason="math envs not registered")
@pytest.mark.parametrize("template, form", [("plain", r"\\boxed\{-?\d+\}"), ("r1", r"<answer>-?\d+</answer>")])
def test_rlvr_warmup_pairs_answer_unseen_problems_with_their_reference(tmp_path, template, form):
    from zeroplay.training.rlvr import EVAL_STREAM
    from zeroplay.training.rollout import seed_for

    cfg = config_from_dict({"loop": "rlvr", "template": template, "seed": 3,
                            "rlvr": {"env": "zeroplay/MathArithmetic-v0"}, "eval": {"samples": 40}})
    loop = RLVRLoop(cfg, None, None)
    pairs = loop.warmup_pairs(30, 3)
    env = zp.make("zeroplay/MathArithmetic-v0")
    evals = {env.reset(seed=seed_for(3, EVAL_STREAM, i))[0] for i in range(40)}
    assert len(pairs) == 30 and not evals & {p for p, _ in pairs}
    for prompt, completion in pairs:
        assert re.fullmatch(form, completion)
        expr = re.search(r"Compute (.+?)\.\n", prompt).group(1)
        assert re.fullmatch(r"[-+*() 0-9]+", expr)
        assert int(re.search(r"-?\d+", completion).group()) == eval(expr)  # the right answer


def test_reference_completion_formats_and_refusals():
    from zeroplay.core.types import Task
    from zeroplay.training.rlvr import reference_completion

    math = Task("t", "1 + 1?", "2", "math", {})
    assert reference_completion(math, get_template("plain")) == "\\boxed{2}"
    assert reference_completion(math, get_template("r1")) == "<answer>2</answer>"
    assert reference_completion(math, get_template("boxed")) == "\\boxed{2}"
    assert reference_completion(Task("c", "code", "hello", "exact", {}), get_template("plain")) == "hello"
    assert reference_completion(Task("c", "code", {"tests": []}, "code", {}), get_template("plain")) is None
    assert reference_completion(Task("c", "q", "  ", "math", {}), get_template("plain")) is None
