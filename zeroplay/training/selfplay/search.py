"""Search self-play (SSP, Lu et al. 2025): one policy proposes questions from search results and
answers them with multi-turn search.

Each step:

1. propose: ``proposals_per_step`` proposer episodes. Each shows a seed topic (a document title,
   or ``topics``) with the documents a search for it returns; the proposer may search more
   (``<search>...</search>``, multi-turn) and ends with ``<question>...</question><answer>...</answer>``
   (:class:`SearchProposerEnv`). Well-formed (:func:`proposal_problem`): a one-line question; a short
   one-line answer with a letter or digit and no markup (an answer of punctuation would equal every
   blank answer under ``exact``); the answer not written in the question, compared on letters and
   digits after folding case, look-alike letters and invisible characters
   (:func:`~zeroplay.envs.proposer.pool.fold_text`), so ``Osric Pen-hallow`` or a Cyrillic ``О`` does not
   hide it; and the answer written, word for word, in the documents the proposer was shown (the
   prompt asks for an answer written in them: an answer from nowhere cannot be checked by reading).
2. RAG check: the ``rag`` role (the policy itself unless scripted) answers each well-formed
   question in one turn with every document the proposer saw in its context (plus
   ``rag_noise_docs`` random others), ``rag_samples`` times, each time in another order and without
   numbers or ids (a question about "the second document" names nothing); the question is **valid**
   when most of those answers match the proposed answer (the ``exact`` verifier, ``math`` for a
   number). Not trained on. A question must stand on its own: one that points at the documents,
   their order or how they were shown is malformed.
3. solve: ``solver_samples`` multi-turn search episodes per valid question
   (:class:`~zeroplay.envs.search.env.SearchQAEnv`), one GRPO group each; reward
   ``search_self_play.solver_reward`` (default ``binary``: 1 correct, else 0).
4. proposer reward ``search_self_play.proposer_reward`` (default ``adversarial``:
   ``1 - solve rate`` on a valid question, ``rewards.proposer_invalid`` otherwise); the proposer
   samples of a step form one group.

Every episode is one sample whose tool output is masked out of the loss
(:mod:`zeroplay.training.multiturn`). The scripted agents below play a role on text (for CPU tests
and demos, ``scripted: {proposer: "zeroplay.training.selfplay.search:ClozeProposer"}``).

Evaluation: ``eval/accuracy``, the solver's exact-match accuracy with multi-turn search on the
built-in questions (or ``search_self_play.questions``), ``eval.samples`` of them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zeroplay.core import answers
from zeroplay.core.tools import ToolEnv
from zeroplay.core.types import Task, Verdict
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rewards import RewardShaping, reward_kind
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, shard_range)

#: The longest question and answer a proposal may have (characters).
MAX_QUESTION_CHARS, MAX_ANSWER_CHARS = 400, 80

PROPOSER_PROMPT = (
    "Write a question about the topic below whose answer is written in the documents. A good question "
    "needs the documents to answer (a name, a place, a year or a number), and is hard: it may combine "
    "facts from several documents.\n{tools}\nFinish with <question>...</question><answer>...</answer>; "
    "the answer must be short and must not appear in the question.\n\nTopic: {topic}\n\n"
    "Documents found for the topic:\n{documents}")
RAG_PROMPT = ("Answer the question using only these documents. Write the answer as <answer>...</answer>.\n\n"
              "Documents:\n{documents}\n\nQuestion: {question}")


@reward_kind("proposer")
def adversarial_reward(valid: bool, solve_rate: float | None, shaping: RewardShaping) -> float:
    """Proposer (Search Self-play): ``1 - solve_rate`` for a valid question (the solver failing pays),
    ``shaping.proposer_invalid`` for an invalid one."""
    if not valid or solve_rate is None:
        return shaping.proposer_invalid
    return 1.0 - solve_rate


def verifier_for_answer(answer: str) -> str:
    """``math`` for a plain number (``1,140``, ``7``, ``3.5``), else ``exact``."""
    return "math" if re.fullmatch(r"[-+]?\d[\d,]*(\.\d+)?", answer.strip()) else "exact"


class SearchSelfPlayConfig(BaseModel):
    """Search self-play (SSP)."""

    model_config = ConfigDict(extra="forbid")

    corpus: str | None = None
    """The document collection: a JSONL file (id, title, text) or a folder of .txt files; empty: the
    built-in corpus (50 articles about an invented island)."""
    questions: str | None = None
    """Evaluation questions: a JSONL file (question, answer); empty: the built-in ones (about the built-in corpus)."""
    topics: list[str] = []
    """Seed topics of the proposer; empty: the corpus's document titles."""
    proposals_per_step: int = Field(4, ge=1)
    """Proposer episodes per step."""
    solver_samples: int = Field(4, ge=1)
    """Solver episodes per valid question (one GRPO group); also the n of the proposer's solve rate."""
    rag_samples: int = Field(1, ge=1)
    """RAG answers per proposed question; valid when one matches the proposed answer."""
    rag_noise_docs: int = Field(0, ge=0)
    """Random documents added to the RAG context (SSP's noisy RAG materials): 0 = only what the proposer saw."""
    topic_docs: int = Field(3, ge=0)
    """Documents shown with the seed topic in the proposer's prompt."""
    k: int = Field(3, ge=1)
    """Documents a search returns."""
    max_calls: int = Field(3, ge=0, le=12)
    """Search calls per episode (proposer and solver)."""
    max_output_chars: int = Field(4000, ge=0, le=65536)
    """Characters of search results per episode."""
    max_doc_chars: int = Field(400, ge=20)
    """Characters of one document shown in results."""
    max_episode_tokens: int = Field(1024, ge=1)
    """Tokens of one episode's completion (model turns and tool output); past it the episode ends with reward 0."""
    solver_reward: str = "binary"
    """A registered solver reward: ``binary`` (1 correct, else 0; SSP), ``correctness`` (+1 / -0.5 / -1)."""
    proposer_reward: str = "adversarial"
    """A registered proposer reward: ``adversarial`` (1 - solve rate of a valid question, SSP), ``learnability``."""

    _solver = field_validator("solver_reward")(reward_field("solver"))
    _proposer = field_validator("proposer_reward")(reward_field("proposer"))


class SearchProposerEnv(ToolEnv):
    """The proposer's episode: a seed topic with its documents, optional searches, then a question
    and its answer. ``info["verdict"]``: correct when the proposal is well formed (its ``details``
    hold ``question`` and ``answer``); the reward is 0 (the loop rewards proposals). ``seen``: the
    ids of every document shown (prompt and searches), in order."""

    def __init__(self, index: Any, topics: list[str], *, topic_docs: int = 3, k: int = 3, max_calls: int = 3,
                 max_output_chars: int = 4000, max_doc_chars: int = 400, render_mode: str | None = None):
        from zeroplay.envs.search.index import SearchTool

        if not topics:
            raise ValueError("SearchProposerEnv needs at least one topic")
        self.index, self.topics, self.topic_docs, self.max_doc_chars = index, topics, topic_docs, max_doc_chars
        self.search_tool = SearchTool(index, k=k, max_doc_chars=max_doc_chars)
        super().__init__([self.search_tool], max_calls=max_calls, max_output_chars=max_output_chars,
                         render_mode=render_mode)
        self.topic_ids: list[str] = []

    @property
    def seen(self) -> list[str]:
        return list(dict.fromkeys(self.topic_ids + self.search_tool.seen))

    def new_problem(self, rng: np.random.Generator, options: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
        from zeroplay.envs.search.index import format_hits

        topic = options["topic"] if options and "topic" in options else self.topics[int(rng.integers(len(self.topics)))]
        hits = self.index.search(topic, self.topic_docs) if self.topic_docs else []
        self.topic_ids = [d.id for d, _ in hits]
        self.search_tool.clear()
        obs = PROPOSER_PROMPT.format(tools=self.tool_instructions(), topic=topic,
                                     documents=format_hits(hits, self.max_doc_chars))
        return obs, {"topic": topic}

    def shown_text(self) -> str:
        """The text of every document shown so far (titles, and texts cut as they were shown)."""
        docs = [self.index.get(d) for d in self.seen]
        return "\n".join(f"{d.title}\n{d.text[:self.max_doc_chars]}" for d in docs if d is not None)

    def score(self, answer: str) -> Verdict:
        question = (answers.last_tag(self.final_turn, "question") or "").strip()
        problem = proposal_problem(question, answer, self.shown_text())
        if problem:
            return Verdict.fail(problem, answer, question=question, answer=answer)
        return Verdict(True, 0.0, "well-formed", answer, {"question": question, "answer": answer})


def proposal_problem(question: str, answer: str, documents: str | None = None) -> str | None:
    """Why a proposal is malformed, or None (the rules of the module docstring; ``documents``: the text
    the proposer was shown, None to skip that rule)."""
    if not question:
        return "no <question>...</question> before the answer"
    if not answer:
        return "empty answer"
    if len(question) > MAX_QUESTION_CHARS or len(answer) > MAX_ANSWER_CHARS:
        return f"question over {MAX_QUESTION_CHARS} or answer over {MAX_ANSWER_CHARS} characters"
    if len(question.splitlines()) > 1 or len(answer.splitlines()) > 1:
        return "the question and the answer must each be one line"
    if "<" in answer or ">" in answer:
        return "the answer must be plain text, without tags"
    said = _words(answer)
    if not said:
        return "the answer has no letter or digit"
    if _joined_run(_words(question), "".join(said)):
        return "the answer is written in the question"
    if _PRESENTATION.search(question):
        return ("the question must stand on its own: it may not point at the documents, their order or how "
                "they were shown (the solver searches; it sees no list)")
    if documents is not None and not _contains_run(_words(documents), said):
        return "the answer is not written in the documents you were shown"
    return None


def _words(text: str) -> list[str]:
    """The runs of letters and digits of ``text`` after :func:`~zeroplay.envs.proposer.pool.fold_text`."""
    from zeroplay.envs.proposer.pool import fold_text

    return _WORD.findall(fold_text(text).replace("_", " "))


#: Words with which a question points at how its documents were shown, not at what they say.
_PRESENTATION = re.compile(r"\b(?:documents?|passages?|search results?|snippets?|shown|listed|above|below)\b", re.I)


def _joined_run(words: list[str], target: str) -> bool:
    """Whether consecutive whole ``words`` join to ``target`` (``pen hallow`` is ``penhallow``; ``ore`` is
    not in ``before``, nor ``4`` in ``1645``)."""
    for i, word in enumerate(words):
        joined = ""
        for w in words[i:]:
            joined += w
            if not target.startswith(joined):
                break
            if joined == target:
                return True
    return False


def _contains_run(words: list[str], run: list[str]) -> bool:
    """Whether ``run`` occurs in ``words`` as consecutive items."""
    n = len(run)
    return any(words[i:i + n] == run for i in range(len(words) - n + 1) if words[i] == run[0])


class SearchSelfPlayLoop(ShardedLoop):
    config_class = SearchSelfPlayConfig
    roles = ("proposer", "solver", "rag")
    """``rag`` answers the RAG check (never trained on); one shared policy plays all three by default."""

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.search.env import build_index, question_source

        super().__init__(cfg, sampler, policy)
        self.sc: SearchSelfPlayConfig = cfg.loop_config
        self.index = build_index(self.sc.corpus)
        self.topics = list(self.sc.topics) or [d.title for d in self.index.documents]
        self.eval_questions = question_source(self.sc.questions)
        self.solver_reward = lookup(REWARDS, self.sc.solver_reward)
        self.proposer_reward = lookup(REWARDS, self.sc.proposer_reward)

    # -- envs ------------------------------------------------------------------------------------
    def _proposer_env(self) -> SearchProposerEnv:
        s = self.sc
        return SearchProposerEnv(self.index, self.topics, topic_docs=s.topic_docs, k=s.k, max_calls=s.max_calls,
                                 max_output_chars=s.max_output_chars, max_doc_chars=s.max_doc_chars)

    def _solver_env(self) -> Any:
        from zeroplay.envs.search.env import SearchQAEnv

        s = self.sc
        return SearchQAEnv(index=self.index, questions=self.eval_questions, k=s.k, max_calls=s.max_calls,
                           max_output_chars=s.max_output_chars, max_doc_chars=s.max_doc_chars)

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        loop = cls(cfg, None, None)
        env = loop._proposer_env()
        lines = [env.reset(seed=0)[0], loop._solver_env().reset(seed=0)[0],
                 RAG_PROMPT.format(documents="[1] (id) Title", question="Who?")]
        return lines + [f"{d.title}\n{d.text}" for d in loop.index.documents[:200]]

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("proposer", ["propose/well_formed", "propose/valid_rate"]),
                ("solver", ["solve/accuracy", "eval/accuracy"]), ("reward", ["reward/mean"])]

    # -- one step --------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        from zeroplay.training.multiturn import run_tool_episodes

        s = self.sc
        mine = list(shard_range(s.proposals_per_step, shard, shards))
        if not mine:
            return ShardResult([], {})
        # 1. propose (multi-turn)
        envs = [self._proposer_env() for _ in mine]
        obs = [env.reset(seed=seed_for(self.seed, step, 1, i))[0] for env, i in zip(envs, mine)]
        proposals = run_tool_episodes(sampler_for(self.sampler, "proposer"), envs, obs,
                                      max_episode_tokens=s.max_episode_tokens)
        # 2. RAG check of the well-formed ones
        formed = [i for i, ep in enumerate(proposals) if getattr(ep.info.get("verdict"), "correct", False)]
        tasks = {i: self._task(step, mine[i], proposals[i]) for i in formed}
        rag_ok = self._rag_check(step, tasks, {i: envs[i].seen for i in formed})
        valid = [i for i in formed if rag_ok[i]]
        # 3. solve the valid questions (multi-turn), solver_samples each
        jobs = [i for i in valid for _ in range(s.solver_samples)]
        solver_envs = [self._solver_env() for _ in jobs]
        solver_obs = [env.reset(seed=0, options={"task": tasks[i]})[0] for env, i in zip(solver_envs, jobs)]
        solved = run_tool_episodes(sampler_for(self.sampler, "solver"), solver_envs, solver_obs,
                                   max_episode_tokens=s.max_episode_tokens)
        solve_samples, rates = [], {}
        for i in valid:
            eps = [ep for ep, j in zip(solved, jobs) if j == i]
            correct = [bool(ep.info.get("verdict") and ep.info["verdict"].correct) for ep in eps]
            rates[i] = float(np.mean(correct))
            for ep, c in zip(eps, correct):
                solve_samples.append(ep.to_sample(
                    reward=self.solver_reward(c, ep.answered, self.cfg.rewards), role="solver", env="solve",
                    task_type="solve", group=f"{step}-solve-{mine[i]}", episode=f"{step}-s{mine[i]}",
                    meta={"correct": c, "calls": ep.info.get("calls", 0)}))
        # 4. proposer rewards from the solver's results
        prop_samples = []
        for i, ep in enumerate(proposals):
            reward = self.proposer_reward(i in rates, rates.get(i), self.cfg.rewards)
            prop_samples.append(ep.to_sample(
                reward=reward, role="proposer", env="propose", task_type="propose", group=f"{step}-propose",
                episode=f"{step}-p{mine[i]}", well_formed=i in tasks,
                meta={"valid": i in rates, "question": tasks[i].prompt if i in tasks else None,
                      "calls": ep.info.get("calls", 0)}))
        stats = {"well_formed": [i in tasks for i in range(len(proposals))],
                 "valid": [i in rates for i in range(len(proposals))],
                 "rag_pass": [rag_ok[i] for i in formed],
                 "correct": [bool(x.meta["correct"]) for x in solve_samples],
                 "solve_rate": [rates[i] for i in valid],
                 "propose_calls": [ep.info.get("calls", 0) for ep in proposals],
                 "solve_calls": [x.meta["calls"] for x in solve_samples]}
        return ShardResult(prop_samples + solve_samples, stats)

    def _task(self, step: int, index: int, episode: Any) -> Task:
        details = episode.info["verdict"].details
        answer = details["answer"]
        return Task(f"ssp-{step}-{index}", details["question"], answer, verifier_for_answer(answer))

    def _rag_check(self, step: int, tasks: dict[int, Task], seen: dict[int, list[str]]) -> dict[int, bool]:
        """Whether the ``rag`` role recovers each task's answer from the documents its proposer saw."""
        from zeroplay import verifiers
        from zeroplay.envs.search.index import format_documents

        if not tasks:
            return {}
        by_id = {d.id: d for d in self.index.documents}
        prompts, owners = [], []
        for i, task in tasks.items():
            docs = [by_id[d] for d in seen[i] if d in by_id]
            rng = np.random.default_rng(seed_for(self.seed, step, 3, i))
            if self.sc.rag_noise_docs:
                extra = rng.choice(len(self.index.documents), size=min(self.sc.rag_noise_docs, len(self.index)),
                                   replace=False)
                docs += [self.index.documents[int(j)] for j in extra if self.index.documents[int(j)] not in docs]
            for _ in range(self.sc.rag_samples):  # each sample its own order, unnumbered: "the second document"
                order = [docs[int(j)] for j in rng.permutation(len(docs))]  # names nothing the proposer knows
                prompts.append(RAG_PROMPT.format(documents=format_documents(order, self.sc.max_doc_chars),
                                                 question=task.prompt))
                owners.append(i)
        outs = sampler_for(self.sampler, "rag").generate(prompts)
        passed = {i: 0 for i in tasks}
        for (gen, _, _), i in zip(outs, owners):
            said = answers.last_tag(gen.text, "answer")
            if said is not None and verifiers.make(tasks[i].verifier).verify(said.strip(), tasks[i].reference).correct:
                passed[i] += 1
        return {i: 2 * n > self.sc.rag_samples for i, n in passed.items()}  # a majority of the samples

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples = [s for r in results for s in r.samples if s.role == "proposer"]
        samples += [s for r in results for s in r.samples if s.role == "solver"]
        _, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        return samples, {"propose/well_formed": mean("well_formed"), "propose/valid_rate": mean("valid"),
                         "propose/rag_pass_rate": mean("rag_pass"), "propose/calls": mean("propose_calls"),
                         "solve/accuracy": mean("correct"), "solve/solve_rate": mean("solve_rate"),
                         "solve/calls": mean("solve_calls"), **reward_by_env_role(samples, "search_self_play")}

    # -- evaluation: the solver on fixed questions, with search ----------------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        from zeroplay.training.multiturn import run_tool_episodes

        n = max(1, self.cfg.eval.samples)
        envs = [self._solver_env() for _ in range(n)]
        obs = [env.reset(seed=seed_for(self.seed, 424242, i))[0] for i, env in enumerate(envs)]
        eps = run_tool_episodes(sampler_for(self.sampler, "solver"), envs, obs,
                                max_episode_tokens=self.sc.max_episode_tokens)
        correct = [bool(ep.info.get("verdict") and ep.info["verdict"].correct) for ep in eps]
        return {"eval/accuracy": float(np.mean(correct)),
                "eval/calls": float(np.mean([ep.info.get("calls", 0) for ep in eps]))}


# -- scripted roles (text in, text out): CPU tests and demos --------------------------------------

_HIT = re.compile(r"^\[\d+\] \(([^)\n]*)\) ([^\n]*)\n([^\n]*)", re.MULTILINE)
#: A document as the RAG reader sees it (:func:`~zeroplay.envs.search.index.format_documents`): no id.
_DOC = re.compile(r"^Title: ()([^\n]*)\n([^\n]*)", re.MULTILINE)
_WORD = re.compile(r"\w+")
_RESULT = "<result>\n"  # where tool output starts (the prompts mention the tag too, without the line break)


def _hits(text: str) -> list[tuple[str, str, str]]:
    """(id, title, text) of every document shown in ``text`` (search results, or a RAG prompt's documents,
    whose id is empty)."""
    return _HIT.findall(text) or _DOC.findall(text)


class ClozeProposer:
    """A scripted proposer: searches its topic once, then asks for the title of the first document
    found, quoting that document's first sentence with the title blanked out
    (``"Which ... : ___ is the capital of Morvane ..."``, answer the title)."""

    def act(self, observations: list[str], infos: list[dict[str, Any]] | None = None) -> list[str]:
        return [self._one(o) for o in observations]

    @staticmethod
    def _one(obs: str) -> str:
        if _RESULT not in obs:
            topic = re.search(r"Topic: ([^\n]*)", obs)
            return f"<search>{topic.group(1) if topic else 'history'}</search>"
        found = _hits(obs[obs.rfind(_RESULT):])
        if not found:
            return "<question>none</question><answer>none</answer>"
        _, title, text = found[0]
        sentence = re.sub(re.escape(title), "___", text.split(". ")[0], flags=re.IGNORECASE)
        return f"<question>Which subject fits the blank: {sentence}?</question><answer>{title}</answer>"


class OverlapReader:
    """A scripted reader (the RAG check, or a solver's last turn): answers the title of the shown
    document that shares the most words with the question."""

    def act(self, observations: list[str], infos: list[dict[str, Any]] | None = None) -> list[str]:
        return [f"<answer>{best_title(o, question_of(o))}</answer>" for o in observations]


class SearchThenRead:
    """A scripted solver: searches the question's words, then answers like :class:`OverlapReader`
    over the results."""

    def act(self, observations: list[str], infos: list[dict[str, Any]] | None = None) -> list[str]:
        out = []
        for o in observations:
            q = question_of(o)
            out.append(f"<answer>{best_title(o[o.rfind(_RESULT):], q)}</answer>" if _RESULT in o
                       else f"<search>{q}</search>")
        return out


def question_of(obs: str) -> str:
    found = re.search(r"Question: ([^\n]*)", obs)
    return found.group(1) if found else ""


def best_title(text: str, question: str) -> str:
    words = {w.lower() for w in _WORD.findall(question)}
    best, score = "unknown", -1
    for _, title, body in _hits(text):
        overlap = len(words & {w.lower() for w in _WORD.findall(body)})
        if overlap > score:
            best, score = title, overlap
    return best
