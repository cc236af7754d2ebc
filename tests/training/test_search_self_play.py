"""Search self-play: the proposer env, the rewards (hand-computed), the RAG check and one loop step."""

from __future__ import annotations

import pytest

from zeroplay.agents.hf import HFAgent
from zeroplay.agents.policy import SamplingParams
from zeroplay.training.config import config_from_dict
from zeroplay.training.policies import RoleSamplers, ScriptedSampler
from zeroplay.training.rewards import RewardShaping
from zeroplay.training.rollout import Sampler
from zeroplay.training.selfplay.search import (ClozeProposer, OverlapReader, SearchProposerEnv, SearchSelfPlayLoop,
                                               SearchThenRead, _hits, adversarial_reward, proposal_problem,
                                               verifier_for_answer)
from zeroplay.training.templates import get_template
from zeroplay.envs.search.index import builtin_index


def test_adversarial_reward_by_hand():
    shaping = RewardShaping()
    assert adversarial_reward(True, 0.0, shaping) == 1.0    # valid and never solved: the most
    assert adversarial_reward(True, 0.25, shaping) == 0.75
    assert adversarial_reward(True, 1.0, shaping) == 0.0
    assert adversarial_reward(False, None, shaping) == -1.0
    assert adversarial_reward(False, None, RewardShaping(proposer_invalid=-0.5)) == -0.5


@pytest.mark.parametrize("question, answer, problem", [
    ("Who built Carrock Castle?", "Aldous Venn", None),
    ("", "x", "no <question>"),
    ("Who?", "", "empty answer"),
    ("Where is Cask?", "cask", "written in the question"),
    ("q" * 401, "a", "over 400"),
    ("Where was Osric Pen-hallow born?", "Osric Penhallow", "written in the question"),  # across a hyphen
    # whole words only: "ore" is not written in "before", nor 4 in 1645
    ("What was mined before the war?", "Ore", None),
    ("How many provinces existed in 1645?", "4", None),
    # a question that points at how the RAG check shows the documents names nothing a searcher can find
    ("What is the title of the second document in the list of documents?", "Royal Library", "stand on its own"),
    ("Which place is named in the passage shown first?", "Harrowgate", "stand on its own"),
    ("What is the last word of the search result above?", "Harrowgate", "stand on its own"),
])
def test_proposal_problems(question, answer, problem):
    found = proposal_problem(question, answer)
    assert (found is None) if problem is None else (problem in found)


def test_verifier_for_answer():
    assert [verifier_for_answer(a) for a in ("1654", "1,140", "3.5", "Cask", "1654 AD")] == \
        ["math", "math", "math", "exact", "exact"]


def test_proposer_env_records_what_the_proposer_saw():
    env = SearchProposerEnv(builtin_index(), ["Carrock"], topic_docs=2, k=3)
    obs, info = env.reset(seed=0)
    assert info["topic"] == "Carrock" and "Topic: Carrock" in obs and "[1] (carrock) Carrock" in obs
    assert env.seen == ["carrock", "carrock-castle"]
    agent = ClozeProposer()
    obs, _, terminated, _, _ = env.step(agent.act([obs])[0])  # it searches its topic first
    assert not terminated and env.calls == 1
    assert env.seen == ["carrock", "carrock-castle", "university"]
    _, reward, terminated, _, info = env.step(agent.act([obs])[0])
    assert terminated and reward == 0.0 and info["verdict"].correct
    assert info["verdict"].details == {"question": "Which subject fits the blank: ___ is the chief town of Dunhollow?",
                                       "answer": "Carrock"}


def test_a_malformed_proposal_has_a_failing_verdict():
    env = SearchProposerEnv(builtin_index(), ["Cask"])
    env.reset(seed=0)
    _, _, terminated, _, info = env.step("<question>Where is Cask?</question><answer>Cask</answer>")
    assert terminated and not info["verdict"].correct and "written in the question" in info["verdict"].reason


def test_scripted_reader_and_searcher():
    prompt = ("Documents:\n[1] (a) Oddley\nOddley is a village with a stone mill.\n\n[2] (b) Cask\nCask holds a fair."
              "\n\nQuestion: Which village has a stone mill?")
    assert OverlapReader().act([prompt]) == ["<answer>Oddley</answer>"]
    assert SearchThenRead().act(["Question: Who built it?"]) == ["<search>Who built it?</search>"]


def _loop(tmp_path, tiny_model_dir, *, solver_scripted: bool, **section):
    cfg = config_from_dict({
        "loop": "search_self_play", "out_dir": str(tmp_path), "seed": 1, "template": "plain",
        "sampling": {"max_new_tokens": 6},
        "search_self_play": {"proposals_per_step": 3, "solver_samples": 2, "max_episode_tokens": 64, **section},
        "eval": {"samples": 2}})
    agent = HFAgent(str(tiny_model_dir), batch_size=8, seed=0)
    tiny = Sampler(agent, get_template("plain"), SamplingParams(max_new_tokens=6), seed=0)
    plain = get_template("plain")
    scripted = {"proposer": ScriptedSampler(ClozeProposer(), plain, "proposer"),
                "rag": ScriptedSampler(OverlapReader(), plain, "rag")}
    if solver_scripted:
        scripted["solver"] = ScriptedSampler(SearchThenRead(), plain, "solver")
    return SearchSelfPlayLoop(cfg, RoleSamplers({"main": tiny}, {"solver": "main"}, scripted), agent)


def test_one_step_with_scripted_roles_hand_checked(tmp_path, tiny_model_dir):
    loop = _loop(tmp_path, tiny_model_dir, solver_scripted=True)
    samples, metrics = loop.collect(step=0)
    proposers = [s for s in samples if s.role == "proposer"]
    solvers = [s for s in samples if s.role == "solver"]
    assert len(proposers) == 3 and all(s.group == "0-propose" for s in proposers)
    valid = [s for s in proposers if s.meta["valid"]]
    assert len(solvers) == 2 * len(valid) and metrics["propose/valid_rate"] == len(valid) / 3
    for p in proposers:  # the proposer's reward is 1 - its question's solve rate, or -1 when invalid
        mine = [s for s in solvers if s.group == f"0-solve-{p.episode.split('-p')[-1]}"]
        rate = sum(s.meta["correct"] for s in mine) / len(mine) if mine else None
        assert p.reward == (1.0 - rate if p.meta["valid"] else -1.0)
    for s in solvers:
        assert s.reward == float(s.meta["correct"]) and s.meta["calls"] == 1 and s.finish_reason == "scripted"
    assert metrics["search_self_play/propose/proposer/reward"] == pytest.approx(
        sum(p.reward for p in proposers) / 3)


def test_the_tiny_solver_trains_on_masked_multi_turn_samples(tmp_path, tiny_model_dir):
    loop = _loop(tmp_path, tiny_model_dir, solver_scripted=False)
    samples, metrics = loop.collect(step=0)
    solvers = [s for s in samples if s.role == "solver"]
    assert solvers, "the scripted proposer's questions pass the scripted RAG check"
    for s in solvers:
        assert s.completion_ids and len(s.loss_mask) == len(s.completion_ids) and s.reward in (0.0, 1.0)
        assert s.group.startswith("0-solve-")
    assert "eval/accuracy" in loop.evaluate(0)


class WrongReader:
    """A RAG reader that never finds the answer: no question passes the check."""

    def act(self, observations, infos=None):
        # the documents come unnumbered, without ids: nothing tells a document's place
        assert all("Documents:\nTitle: " in o and "\n[1] (" not in o for o in observations)
        return ["<answer>?</answer>"] * len(observations)


def test_rag_noise_documents_and_a_failing_rag_check(tmp_path, tiny_model_dir):
    loop = _loop(tmp_path, tiny_model_dir, solver_scripted=True, rag_noise_docs=3)
    loop.sampler.scripted["rag"] = ScriptedSampler(WrongReader(), get_template("plain"), "rag")
    samples, metrics = loop.collect(step=0)
    assert metrics["propose/valid_rate"] == 0.0 and all(s.role == "proposer" and s.reward == -1.0 for s in samples)


class OrderReader:
    """A RAG reader that notes the order of the titles it is shown, and reads like OverlapReader."""

    def __init__(self):
        self.orders = []

    def act(self, observations, infos=None):
        for o in observations:
            self.orders.append(tuple(title for _, title, _ in _hits(o)))
        return OverlapReader().act(observations, infos)


def test_each_rag_sample_sees_the_documents_in_its_own_order(tmp_path, tiny_model_dir):
    """'The second document' meant one fixed document when the list was numbered in the proposer's own
    order: the RAG check passed it, no searcher could answer it, and the proposer earned 1.0."""
    loop = _loop(tmp_path, tiny_model_dir, solver_scripted=True, rag_noise_docs=4, rag_samples=4)
    reader = OrderReader()
    loop.sampler.scripted["rag"] = ScriptedSampler(reader, get_template("plain"), "rag")
    loop.collect(step=0)
    assert reader.orders and all(len(order) >= 3 for order in reader.orders)
    by_question = [reader.orders[k:k + 4] for k in range(0, len(reader.orders), 4)]
    assert all(len(set(orders)) > 1 for orders in by_question), by_question  # each sample shuffles anew
