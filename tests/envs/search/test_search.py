"""The search env: corpus loading (with clear errors), the BM25 index, and SearchQA-v0 episodes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zeroplay as zp
from zeroplay.core.types import Task
from zeroplay.envs.search.corpus import BUILTIN_CORPUS, load_corpus
from zeroplay.envs.search.env import BUILTIN_QUESTIONS, SearchQAEnv
from zeroplay.envs.search.index import BM25Index, SearchTool, builtin_index


def test_builtin_corpus_loads_with_unique_ids():
    docs = load_corpus()
    assert len(docs) == 50 and len({d.id for d in docs}) == 50
    assert all(d.title and d.text for d in docs)


def test_every_builtin_answer_is_written_in_the_corpus():
    text = " ".join(f"{d.title} {d.text}" for d in load_corpus()).lower()
    rows = [json.loads(line) for line in BUILTIN_QUESTIONS.read_text().splitlines()]
    assert len(rows) == 24
    for row in rows:
        assert row["answer"].lower() in text or row["answer"] == "7", row  # "seven wins"
        assert row["answer"].lower() not in row["question"].lower(), row


@pytest.mark.parametrize("line, match", [
    ('{"id": "a", "title": "T"}', "missing text"),
    ('{"id": true, "title": "T", "text": "x"}', "'id' must be"),
    ('{"id": "a", "title": 3, "text": "x"}', "'title' must be a string"),
    ('[1, 2]', "expected a JSON object"),
    ('{"id": "a", "title": "T", "text": "x"}\n{"id": "a", "title": "U", "text": "y"}', "already used on line 1"),
])
def test_bad_jsonl_corpus_says_which_line_and_what_to_fix(tmp_path, line, match):
    path = tmp_path / "c.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(ValueError, match=match) as err:
        load_corpus(path)
    assert str(path) in str(err.value)


def test_folder_corpus_and_its_errors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("\n  Zorbel Lake\nZorbel Lake is deep.\n", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("Quint\nQuint is a town.", encoding="utf-8")
    docs = load_corpus(tmp_path)
    assert [(d.id, d.title) for d in docs] == [("a", "Zorbel Lake"), ("sub/b", "Quint")]
    assert BM25Index(docs).search("how deep is Zorbel", 1)[0][0].id == "a"
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_corpus(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no documents"):
        load_corpus(empty)
    with pytest.raises(FileNotFoundError, match="JSONL file"):
        load_corpus(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("query, first", [
    ("When was the Pellwick Clock built?", "pellwick-clock"),
    ("tide-glass inventor", "tide-glass"),
    ("Vell Amar capital", "teskar"),
])
def test_bm25_ranks_the_document_that_holds_the_fact_first(query, first):
    hits = builtin_index().search(query, 3)
    assert hits[0][0].id == first and len(hits) <= 3
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


@pytest.mark.parametrize("query", ["", "the of and", "zzzzqx", "\x00\ud800", "x" * (1 << 20), None, 42])
def test_queries_without_matches_or_junk_give_no_hits(query):
    assert builtin_index().search(query, 3) == []


def test_search_is_deterministic_and_bounded():
    index = builtin_index()
    assert index.search("river Tamsel Harrowgate", 50) == index.search("river Tamsel Harrowgate", 50)
    assert 0 < len(index.search("Morvane", 500)) <= 50
    assert index.search("Morvane", 0) == []


def test_search_tool_formats_hits_and_remembers_what_it_showed():
    tool = SearchTool(builtin_index(), k=2, max_doc_chars=30)
    out = tool("Treaty of Salt")
    assert out.startswith("[1] (treaty-of-salt) Treaty of Salt\n") and " ..." in out
    assert tool.seen[0] == "treaty-of-salt" and len(tool.seen) == 2
    assert "Empty query" in tool("  ") and "No documents" in tool("zzzzqx")


def test_a_searched_and_answered_episode():
    env = zp.make("zeroplay/SearchQA-v0")
    task = Task("t", "Which war did the Treaty of Salt end?", "Herring War", "exact")
    obs, info = env.reset(seed=0, options={"task": task})
    assert "Question: Which war did the Treaty of Salt end?" in obs and "<search>" in obs
    obs, reward, terminated, _, info = env.step("<search>Treaty of Salt war</search>")
    assert not terminated and "(treaty-of-salt)" in info["tool_output"] and info["task"] == task
    obs, reward, terminated, _, info = env.step("It ended the <answer>herring war.</answer>")
    assert terminated and reward == 1.0 and info["verdict"].correct and info["calls"] == 1


def test_numbers_use_the_math_verifier():
    env = SearchQAEnv()
    env.reset(seed=0, options={"task": Task("t", "Year?", "1654", "math")})
    assert env.step("<answer>1654</answer>")[1] == 1.0


def test_builtin_questions_and_custom_files(tmp_path):
    env = SearchQAEnv()
    seen = {env.reset(seed=s)[1]["task"].id for s in range(60)}
    assert len(seen) > 15
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": 1, "title": "Blorp", "text": "Blorp is a purple moon of Zed."}) + "\n")
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "What colour is Blorp?", "answer": "purple"}) + "\n")
    env = SearchQAEnv(corpus=corpus, questions=questions, k=1)
    env.reset(seed=0)
    assert "(1) Blorp" in env.step("<search>Blorp colour</search>")[4]["tool_output"]
    assert env.step("<answer>Purple</answer>")[1] == 1.0


def test_reset_is_deterministic_and_hostile_turns_never_raise():
    env = zp.make("zeroplay/SearchQA-v0")
    assert env.reset(seed=5)[0] == env.reset(seed=5)[0]
    rng = np.random.default_rng(1)
    for i in range(100):
        text = "".join(rng.choice(["<search>", "</search>", "<answer>", "</answer>", "Morvane", " ", "\x00"],
                                  size=int(rng.integers(0, 12))))
        _, reward, terminated, truncated, _ = env.step(text)
        assert reward in (0.0, 1.0)
        if terminated or truncated:
            env.reset(seed=i)


def test_corpus_path_is_the_builtin_one():
    assert BUILTIN_CORPUS.is_file() and BUILTIN_QUESTIONS.is_file()
