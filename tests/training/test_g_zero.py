"""G-Zero: proposal parsing (hostile text), Hint-δ by hand and against a real model's log-likelihoods,
the preference pairs and their noise filter, and runs where the generator trains with DPO on real pairs."""

import math
import random

import pytest

torch = pytest.importorskip("torch")

from zeroplay.core.errors import ConfigError
from zeroplay.training import config_from_dict, read_metrics, train
from zeroplay.training.checkpoint import load_checkpoint
from zeroplay.training.rewards import hint_delta, hint_delta_reward
from zeroplay.training.selfplay.g_zero import (ScriptedHintProposer, generator_prompt, parse_proposal,
                                               preference_pairs)

PROPOSER = "zeroplay.training.selfplay.g_zero:ScriptedHintProposer"
GENERATOR_DPO = {"generator": {"roles": ["generator"], "loss": {"objective": "dpo", "dpo_beta": 0.1}}}


def g_zero_config(tmp_path, **over):
    """A scripted proposer (a tiny model writes no parsable proposal) and a tiny DPO generator: seconds."""
    cfg = {"name": "g", "out_dir": str(tmp_path), "seed": 0, "loop": "g_zero", "steps": 2,
           "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
           "sampling": {"max_new_tokens": 6, "batch_size": 16}, "optim": {"lr": 1e-3, "micro_batch_size": 8},
           "loss": {"objective": "dpo"}, "scripted": {"proposer": {"agent": PROPOSER, "kwargs": {"seed": 1}}},
           # one response per side: its answer is its own majority, so queries pass the filter and pairs form
           "g_zero": {"prompts_per_step": 1, "proposer_group": 2, "examples": 2, "generator_samples": 1},
           "eval": {"samples": 2}}
    cfg.update(over)
    return cfg


# -- parsing proposals (model output is hostile input) -------------------------------------------

def test_a_proposal_is_the_first_question_and_the_first_hint_after_it():
    p, why = parse_proposal("noise <question> Compute 2 + 3. </question>\n<hint>Add.</hint> <hint>later</hint>")
    assert why == "ok" and (p.question, p.hint) == ("Compute 2 + 3.", "Add.")
    p, _ = parse_proposal("<hint>before</hint><question>Q</question><hint>after</hint>")
    assert p.hint == "after"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "no-question"), ("<question>Q", "no-question"), ("<question>Q</question>", "no-hint"),
    ("<question>Q</question><hint>H", "no-hint"), ("<question> </question><hint>H</hint>", "empty-question"),
    ("<question>Q</question><hint>\n</hint>", "empty-hint"),
    ("<question>" + "9" * 601 + "</question><hint>H</hint>", "long-question"),
    ("<question>Q</question><hint>" + "x" * 401 + "</hint>", "long-hint"),
    ("<question>Q<hint>in</hint></question><hint>H</hint>", "bad-question"),
    ("<question>Q\x00</question><hint>H</hint>", "bad-question"),
    ("<question>Q</question><hint>H <question>x</hint>", "bad-hint"),
    (None, "not-text"), (b"<question>Q</question><hint>H</hint>", "not-text"),
    ("x" * 20000 + "<question>Q</question><hint>H</hint>", "no-question"),  # past the scanned prefix
])
def test_hostile_proposals_are_refused_with_a_reason(text, reason):
    assert parse_proposal(text) == (None, reason)


def test_fuzzed_proposals_never_raise_and_what_parses_obeys_the_bounds():
    rng = random.Random(0)
    parts = ["<question>", "</question>", "<hint>", "</hint>", "Compute 1 + 2.", "\x07", " ", "<", ">", "é", "9" * 50]
    for _ in range(2000):
        text = "".join(rng.choice(parts) for _ in range(rng.randrange(12)))
        p, why = parse_proposal(text, max_question_chars=40, max_hint_chars=20)
        assert (p is None) == (why != "ok")
        if p is not None:
            assert 0 < len(p.question) <= 40 and 0 < len(p.hint) <= 20
            assert not any(t in p.question + p.hint for t in ("<question>", "</question>", "<hint>", "</hint>", "\x07"))


# -- Hint-δ by hand ------------------------------------------------------------------------------

def test_hint_delta_of_one_response_by_hand():
    # per token: (-1 - -3) + (-2 - -2) + (-0.5 - -0.5) = 2 over 3 tokens
    assert hint_delta([-1.0, -2.0, -0.5], [-3.0, -2.0, -0.5]) == pytest.approx(2 / 3)
    assert hint_delta([-1.0], [-0.25]) == pytest.approx(-0.75)  # the hint makes the answer MORE likely
    assert hint_delta([], []) == 0.0
    with pytest.raises(ValueError, match="same tokens"):
        hint_delta([-1.0], [-1.0, -2.0])


def test_hint_delta_reward_is_the_mean_over_responses_with_tokens():
    without = [[-1.0, -2.0, -0.5], [], [-1.0]]
    with_hint = [[-3.0, -2.0, -0.5], [], [-0.25]]
    assert hint_delta_reward(without, with_hint) == pytest.approx((2 / 3 - 0.75) / 2)
    assert hint_delta_reward([[]], [[]]) == 0.0
    with pytest.raises(ValueError, match="responses"):
        hint_delta_reward([[-1.0]], [])


def test_hint_delta_is_the_difference_of_two_independent_log_likelihoods(tmp_path):
    """The loop's Hint-δ (its own forward passes, batched and left-padded) equals, for each query, the
    mean over its unassisted responses of (log p(y|q) - log p(y|q,h)) / |y| recomputed one sequence at a
    time with zeroplay.agents.hf.completion_logprobs (right-padded, another code path)."""
    from zeroplay.agents.hf import completion_logprobs
    from zeroplay.training.build import build_loop, build_policies, run_sampler

    cfg = config_from_dict(g_zero_config(tmp_path, g_zero={"prompts_per_step": 2, "proposer_group": 2,
                                                           "generator_samples": 3}))
    torch.manual_seed(0)
    slots = build_policies(cfg, tmp_path, torch.device("cpu"))
    loop = build_loop(cfg, run_sampler(cfg, slots), slots[0].policy)
    samples, metrics = loop.collect(1)
    model = slots[0].learner.model
    proposals = [s for s in samples if s.role == "proposer"]
    assert len(proposals) == 4 and all("query" in s.meta for s in proposals)
    expected = []
    for prop in proposals:
        mine = [s for s in samples if s.role == "generator" and s.meta["query"] == prop.meta["query"]]
        unguided = [s for s in mine if not s.meta["hinted"]]
        guided = [s for s in mine if s.meta["hinted"]]
        assert len(unguided) == len(guided) == 3
        hinted = guided[0].meta.get("hinted_prompt_ids", guided[0].prompt_ids)
        deltas = []
        with torch.no_grad():
            for s in unguided:
                a = completion_logprobs(model, [s.prompt_ids], [s.completion_ids])[0]
                b = completion_logprobs(model, [hinted], [s.completion_ids])[0]
                deltas.append(float(a.sum() - b.sum()) / len(s.completion_ids))
        expected.append(sum(deltas) / len(deltas))
        assert prop.reward == pytest.approx(expected[-1], abs=1e-5)
    assert any(abs(e) > 1e-4 for e in expected)  # the hint does shift the likelihoods: a real test
    assert metrics["g_zero/hint_delta"] == pytest.approx(sum(expected) / len(expected), abs=1e-5)
    assert metrics["g_zero/valid_rate"] == 1.0


# -- preference pairs and the pseudo-label filter ------------------------------------------------

def _eq(a, b):
    return a.strip() == b.strip()


def test_pairs_need_a_guided_majority_and_an_unassisted_answer_that_differs():
    # guided: "5" three times of four; unassisted: 5 (agrees: never rejected), 7, none, 9
    pairs, ok = preference_pairs(["5", "5", "6", "5"], ["5", "7", None, "9"], _eq, agreement=0.5, limit=5)
    assert ok and pairs == [(0, 1), (1, 2), (3, 3)]
    assert preference_pairs(["5", "5", "6", "5"], ["5", "7", None, "9"], _eq, limit=2)[0] == [(0, 1), (1, 2)]
    # 3 of 4 agree: enough for agreement 0.75, not for 0.8
    assert preference_pairs(["5", "5", "6", "5"], ["7"], _eq, agreement=0.75)[1]
    assert preference_pairs(["5", "5", "6", "5"], ["7"], _eq, agreement=0.8) == ([], False)
    # a tie, or no guided answer at all, is no pseudo-label: no pairs
    assert preference_pairs(["5", "6"], ["7", "8"], _eq) == ([], False)
    assert preference_pairs([None, None], ["7", "8"], _eq) == ([], False)
    # every unassisted answer already agrees: a label but nothing to reject
    assert preference_pairs(["5", "5"], ["5", " 5"], _eq) == ([], True)


def test_filter_none_pairs_responses_in_order():
    assert preference_pairs(["a", "b", "c"], [None, "x"], _eq, filter="none", limit=5) == ([(0, 0), (1, 1)], True)


def test_the_majority_uses_the_math_verifier_for_equivalent_answers():
    from zeroplay import verifiers

    v = verifiers.make("math")

    def same(a, b):
        return a.strip() == b.strip() or bool(v.verify(a, b).correct)

    pairs, ok = preference_pairs(["1/2", "0.5", "3"], ["\\frac{1}{2}", "2"], same)
    assert ok and pairs == [(0, 1)]


def test_the_scripted_proposer_writes_parsable_proposals_whose_hint_states_the_answer():
    import numpy as np

    import zeroplay as zp

    env = zp.make("zeroplay/MathArithmetic-v0")
    rng = np.random.default_rng(3)  # the proposer's own draws, replayed: each proposal is the env's problem
    texts = ScriptedHintProposer(seed=3).act(["any"] * 5)
    assert len(set(texts)) > 1
    for text in texts:
        p, why = parse_proposal(text)
        env.reset(seed=int(rng.integers(1 << 31)))
        assert why == "ok" and p.question == env.task.prompt
        answer = p.hint.removeprefix("The answer is ").removesuffix(".")
        assert env.step(f"\\boxed{{{answer}}}")[1] == 1.0  # the env's verifier accepts the stated answer
    assert ScriptedHintProposer(seed=3).act(["x"] * 5) == texts  # seeded
    assert "The answer" not in ScriptedHintProposer(reveal=False).act(["x"])[0]
    assert generator_prompt("Q", "H").startswith("Q\n\nHint: H\n\n") and "Hint" not in generator_prompt("Q")


# -- the config ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("over", "message"), [
    ({"loss": {"objective": "pg"}}, r"generator learns from preference pairs: set loss\.objective: dpo"),
    ({"scripted": {"generator": PROPOSER}}, r"generator cannot be scripted"),
    ({"scripted": {}}, r"proposer learns by GRPO"),
    ({"policies": {"generator": {"roles": ["generator"]}}, "loss": {}},
     r"set policies\.generator\.loss\.objective: dpo"),
])
def test_g_zero_refuses_roles_trained_the_wrong_way(tmp_path, over, message):
    with pytest.raises(ConfigError, match=message):  # at validation, so --dry-run refuses it too
        config_from_dict(g_zero_config(tmp_path, **over))


def test_dpo_config_shapes_are_checked():
    with pytest.raises(ConfigError, match=r"objective: dpo has its own loss"):
        config_from_dict(g_zero_config("x", loss={"objective": "dpo", "kl_coef": 0.1}))
    with pytest.raises(ConfigError, match=r"dpo_beta"):
        config_from_dict(g_zero_config("x", loss={"objective": "dpo", "dpo_beta": 0}))
    with pytest.raises(ConfigError, match=r"KL reference .* kept for one shared policy only"):
        config_from_dict(g_zero_config("x", policies={
            "proposer": {"roles": ["proposer"], "loss": {"kl_coef": 0.1}}, **GENERATOR_DPO}, scripted={}))
    two = config_from_dict(g_zero_config("x", policies={"proposer": {"roles": ["proposer"]}, **GENERATOR_DPO},
                                         scripted={}, loss={}))
    assert two.for_policy("generator").loss.objective == "dpo" and two.for_policy("proposer").loss.objective == "pg"


# -- runs ------------------------------------------------------------------------------------------

def test_the_generator_trains_with_dpo_on_real_pairs_against_its_initial_weights(tmp_path):
    run_dir = train(config_from_dict(g_zero_config(tmp_path)), quiet=True)
    rows = read_metrics(run_dir)
    steps = rows[1:]
    assert sum(r["dpo/pairs"] for r in steps) > 0  # the loop made pairs and the learner trained on them
    assert sum(r["g_zero/pairs"] for r in steps) == sum(r["dpo/pairs"] for r in steps)
    trained = [r for r in steps if r["dpo/pairs"] > 0]
    assert trained[0]["loss/dpo"] == pytest.approx(math.log(2), abs=1e-5)  # step 1: the policy is its reference
    for r in steps:
        # per query: 1 unassisted + 1 guided; the paired ones train, the scripted proposals never do
        assert r["count/trained_samples"] == 2 * r["dpo/pairs"]
        assert r["dpo/unpaired"] == 2 * 2 - 2 * r["dpo/pairs"]
        assert r["g_zero/valid_rate"] == 1.0 and "g_zero/propose/proposer/reward" in r
    assert "eval/accuracy" in rows[-1]
    state = load_checkpoint(run_dir)
    from safetensors.torch import load_file

    # no warm-up: the reference is the initial model; the policy moved away from it, the reference did not

    initial = load_file(str(run_dir / "init_model" / "model.safetensors"))
    ref = state["extra"]["ref_model"]
    assert all(torch.equal(ref[k], initial[k]) for k in initial if k in ref) and set(initial) <= set(ref)
    assert any(not torch.equal(state["model"][k], initial[k]) for k in initial)


def test_resume_keeps_each_dpo_policys_reference_and_matches_an_uninterrupted_run(tmp_path):
    base = g_zero_config(tmp_path, policies=GENERATOR_DPO, loss={}, steps=3)
    straight = train(config_from_dict({**base, "name": "straight"}), quiet=True)
    train(config_from_dict({**base, "name": "split", "steps": 1}), quiet=True)
    state = load_checkpoint(tmp_path / "split")
    assert set(state["extra"]["ref_model"]) == {"generator"}
    resumed = train(config_from_dict({**base, "name": "split"}), quiet=True)
    a, b = read_metrics(straight), read_metrics(resumed)
    assert [r["step"] for r in b] == [0, 1, 2, 3]
    assert sum(r["policies/generator/dpo/pairs"] for r in a[1:]) > 0
    for ra, rb in zip(a[1:], b[1:]):
        keys = ["g_zero/hint_delta", "g_zero/pairs", "policies/generator/loss/dpo"]
        keys = [k for k in ra if k.startswith("policies/generator/dpo/")] + [k for k in keys if k in ra]
        for key in keys:
            assert ra[key] == pytest.approx(rb[key], abs=1e-6), (ra["step"], key)
    from safetensors.torch import load_file

    wa = load_file(str(straight / "final_model" / "generator" / "model.safetensors"))
    wb = load_file(str(resumed / "final_model" / "generator" / "model.safetensors"))
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
