"""Formal theorem proving in Coq: a prove env (statements in, checked proofs out) and a conjecture env.

- ``zeroplay/CoqProve-v0`` (:class:`CoqProveEnv`): single step. ``reset`` serves a statement (the
  built-in seed theorems, or ``tasks``, or ``options={"task": ...}``); ``step(proof)`` checks the
  proof with the ``coq`` verifier (:mod:`zeroplay.verifiers.proof`: coqc in the sandbox, no axioms,
  no admitted steps); reward 1 for a checked proof, else 0; ``info["verdict"]`` says why.
- ``zeroplay/CoqConjecture-v0`` (:class:`CoqConjectureEnv`): single step, a proposer env. ``reset``
  shows a seed theorem with its proof and asks for a new related conjecture written as
  ``Theorem NAME : STATEMENT.``; ``step`` validates it in stages (:data:`STAGES`) and returns
  ``info["task"]`` (a prove :class:`Task`) or ``info["error"]`` with the failed ``info["stage"]``.
  Reward: ``valid_reward`` (0) or ``invalid_penalty`` (-1); a training loop replaces the reward of
  valid conjectures with one from how the prover then fares (STP: ``barely_provable``).

A conjecture is accepted only when it parses (one proposition, no other commands), is not a known
statement (whitespace-normalized, bound names renamed), type-checks as a ``Prop`` in the sandbox, and
does not follow from the known theorems (the seeds and those added with ``add_theorems``: the ones
proved so far) by first-order logic and rewriting alone: ``firstorder`` with them as hypotheses,
on the goal as it is, flipped, or rewritten with them, in the same coqc run, must fail to prove it
(:func:`~zeroplay.verifiers.proof.derive_tactic`), so ``True -> S``, ``S /\\ True``, ``~ ~ S``, ``S``
flipped, instantiated, with ``++ []`` added or behind a witness that does not matter
(``exists u : unit, S``) are not new conjectures. Not caught: a rewrite that needs case analysis,
arithmetic or a witness beyond ``tt``, ``0``, ``true``, ``I`` and ``nil``, or a seed generalized to
another type (``l ++ [] = l`` on ``list bool``). Whether it is true is not checked here: an
unprovable conjecture simply never gets a proof.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from zeroplay.core.env import TextEnv
from zeroplay.core.errors import EpisodeOverError
from zeroplay.core.tasks import TaskEnv, TaskSource
from zeroplay.core.types import Task
from zeroplay.verifiers.proof import DEFAULT_IMPORTS, CoqVerifier, ProofRejected, clean_statement, parse_conjecture

SEEDS_PATH = Path(__file__).with_name("seeds.jsonl")
#: Conjecture validation stages, in order.
STAGES = ("parse", "duplicate", "typecheck", "derivative")
#: Known theorems a conjecture is tried against (the seeds first, then the latest proved ones).
MAX_PREMISES = 64


@dataclass(frozen=True)
class Theorem:
    """A statement with, when known, a checked proof (the seeds have one each)."""

    id: str
    statement: str
    proof: str = ""
    topic: str = ""

    def to_task(self) -> Task:
        return theorem_task(self.statement, self.id, topic=self.topic, proof=self.proof)

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "statement": self.statement, "proof": self.proof, "topic": self.topic}


@lru_cache(maxsize=1)
def builtin_seeds() -> tuple[Theorem, ...]:
    """The shipped seed theorems (nat arithmetic, bool, lists), each with a proof coqc accepts."""
    rows = [json.loads(line) for line in SEEDS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple(Theorem(r["id"], r["statement"], r["proof"], r.get("topic", "")) for r in rows)


def _imports_line(imports: Sequence[str] = DEFAULT_IMPORTS) -> str:
    return ", ".join(imports)


def prover_prompt(statement: str, imports: Sequence[str] = DEFAULT_IMPORTS) -> str:
    return (f"Prove this theorem in Coq 8.16 (imported: {_imports_line(imports)}).\n\n"
            f"Theorem goal : {statement}.\n\n"
            "Reply with the proof in one ```coq block: the tactics between Proof. and Qed., for example\n"
            "```coq\nProof.\nintros n. induction n; simpl; auto.\nQed.\n```\n"
            "Only tactics are accepted: no commands, no admit, no Admitted.")


def conjecturer_prompt(seed: Theorem, imports: Sequence[str] = DEFAULT_IMPORTS) -> str:
    proof = f"Proof.\n{seed.proof}\nQed.\n" if seed.proof else "Proof.\n(* not proved yet *)\nAdmitted.\n"
    return ("You write new conjectures for a Coq prover to practise on "
            f"(Coq 8.16, imported: {_imports_line(imports)}).\n"
            f"A theorem it can prove:\n\n```coq\nTheorem seed : {seed.statement}.\n{proof}```\n\n"
            "Write one new conjecture related to it: true, not a copy, a little harder. Reply with one ```coq block "
            "holding a single line:\n```coq\nTheorem conjecture : <statement>.\n```")


def theorem_task(statement: str, task_id: str = "", imports: Sequence[str] = DEFAULT_IMPORTS, **meta: Any) -> Task:
    """The prove task of ``statement`` (its reference is the statement; its verifier ``coq``)."""
    reference = {"statement": statement, "imports": list(imports)}
    task_id = task_id or "coq-" + hashlib.sha1(statement.encode()).hexdigest()[:12]
    return Task(task_id, prover_prompt(statement, imports), reference, "coq",
                {k: v for k, v in meta.items() if v})


class _Theorems(TaskSource):
    def __init__(self, theorems: Sequence[Theorem]):
        self.theorems = list(theorems)

    def __len__(self) -> int:
        return len(self.theorems)

    def sample(self, rng: Any) -> Task:
        return self.theorems[int(rng.integers(len(self.theorems)))].to_task()


class CoqProveEnv(TaskEnv):
    """Prove a Coq statement (see the module docstring). ``tasks``: prove :class:`Task` s, their dicts,
    or a JSONL path (default: the built-in seeds). ``timeout_s``, ``memory_mb`` and ``sandbox`` set
    how proofs are checked."""

    def __init__(self, tasks: Any = None, *, timeout_s: float = 10.0, memory_mb: int = 1024, sandbox: Any = None,
                 render_mode: str | None = None):
        self.verifier = CoqVerifier(timeout_s=timeout_s, memory_mb=memory_mb, sandbox=sandbox)
        super().__init__(_Theorems(builtin_seeds()) if tasks is None else tasks, verifier=self.verifier,
                         render_mode=render_mode)

    def close(self) -> None:
        self.verifier.close()
        super().close()


@dataclass(frozen=True)
class Conjecture:
    """A validation outcome: ``statement`` when accepted, else the failed ``stage`` and ``error``."""

    statement: str | None
    stage: str | None = None
    error: str | None = None


class CoqConjectureEnv(TextEnv):
    """Propose a Coq conjecture (see the module docstring). ``seeds`` are shown as examples (default:
    the built-in ones); ``known`` statements (plus the seeds) count as duplicates; statements accepted
    by this env join ``known``. The seeds, and theorems given to :meth:`add_theorems`, are the
    premises a conjecture must not follow from by logic and rewriting alone (never unproved ones: a
    false premise proves anything)."""

    def __init__(self, seeds: Sequence[Theorem] | None = None, *, known: Sequence[str] = (), timeout_s: float = 10.0,
                 memory_mb: int = 1024, sandbox: Any = None, valid_reward: float = 0.0, invalid_penalty: float = -1.0,
                 render_mode: str | None = None):
        super().__init__(render_mode=render_mode)
        self.seeds = list(seeds) if seeds is not None else list(builtin_seeds())
        if not self.seeds:
            raise ValueError("CoqConjectureEnv needs at least one seed theorem to show")
        self.verifier = CoqVerifier(timeout_s=timeout_s, memory_mb=memory_mb, sandbox=sandbox)
        self.known = {normal_statement(s.statement) for s in self.seeds} | {normal_statement(s) for s in known}
        #: The premises, by their normal form (:func:`normal_statement`): seeds first, then in the order added.
        self.theorems: dict[str, str] = {normal_statement(s.statement): s.statement for s in self.seeds}
        self._n_seeds = len(self.theorems)
        self.valid_reward, self.invalid_penalty = valid_reward, invalid_penalty
        self.seed_theorem: Theorem | None = None
        self._done = True

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        given = (options or {}).get("seed_theorem")
        if not isinstance(given, Theorem):
            given = self.seeds[int(self.np_random.integers(len(self.seeds)))]
        self.seed_theorem = given
        self._last_obs = conjecturer_prompt(self.seed_theorem)
        self._done = False
        return self._last_obs, {"seed_theorem": self.seed_theorem}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._done:
            raise EpisodeOverError("step() on a finished or never-started episode; call reset() first")
        self._done = True
        text, problem = self.clean_action(action)
        (info,) = self.validate_batch([text])
        if problem:
            info["reason"] = problem
        reward = self.valid_reward if info.get("task") is not None else self.invalid_penalty
        return self._last_obs, reward, True, False, info

    def add_theorems(self, statements: Sequence[str]) -> None:
        """Statements now known to be true (proved): premises of the derivative check, and duplicates."""
        for statement in statements:
            key = normal_statement(statement)
            self.known.add(key)
            self.theorems.setdefault(key, statement)

    def premises(self, statements: Sequence[str] = ()) -> list[str]:
        """The theorems a conjecture is tried against: the seeds, then of the added ones those closest to
        ``statements`` (the most tokens in common; the latest first among equals; with no statements, the
        latest), at most :data:`MAX_PREMISES` in all (more slow ``firstorder`` down past its time limit). The
        closest, not the latest: a theorem proved long ago, restated (``(n * 2) = 2 * n``, ``True -> C``), must
        still meet its original (a red team's: past 42 more theorems, it was accepted as new)."""
        every = list(self.theorems.values())
        seeds, added = every[:self._n_seeds][:MAX_PREMISES], every[self._n_seeds:]
        room = MAX_PREMISES - len(seeds)
        if room <= 0:
            return seeds
        if not statements or len(added) <= room:
            return seeds + added[-room:]
        asked = [set(_TOKEN.findall(s)) for s in statements]

        def closeness(k: int) -> tuple[float, int]:
            mine = set(_TOKEN.findall(added[k]))
            return max((len(mine & a) / len(mine | a) for a in asked if mine | a), default=0.0), k

        chosen = sorted(sorted(range(len(added)), key=closeness, reverse=True)[:room])
        return seeds + [added[k] for k in chosen]

    def validate_batch(self, proposals: Sequence[str]) -> list[dict[str, Any]]:
        """Validate many conjectures at once (one sandbox batch): the step info of each, in order.
        Accepted statements join ``known`` (so a repeat within the batch is a duplicate). Needs no ``reset``."""
        results: list[Conjecture | None] = []
        pending: list[tuple[int, str]] = []
        batch: set[str] = set()
        for i, text in enumerate(proposals):
            try:
                statement = parse_conjecture(self.clean_action(text)[0])
            except ProofRejected as e:
                results.append(Conjecture(None, "parse", str(e)))
                continue
            key = normal_statement(statement)
            if key in self.known or key in batch:
                results.append(Conjecture(None, "duplicate", "duplicate: this statement is already known"))
                continue
            batch.add(key)
            results.append(None)
            pending.append((i, statement))
        checked = self.verifier.check_statements([s for _, s in pending],
                                                 premises=self.premises([s for _, s in pending]))
        for (i, statement), error in zip(pending, checked):
            stage = "derivative" if error and error.startswith("derivative:") else "typecheck"
            results[i] = Conjecture(statement) if error is None else Conjecture(None, stage, error)
        out = []
        for r in results:
            assert r is not None
            if r.statement is None:
                out.append({"error": r.error, "stage": r.stage})
                continue
            self.known.add(normal_statement(r.statement))
            out.append({"task": theorem_task(r.statement), "statement": r.statement, "stage": None})
        return out

    def close(self) -> None:
        self.verifier.close()
        super().close()


def normal_statement(statement: str) -> str:
    """What duplicates are compared on: the statement with its whitespace normalized and its bound
    variables renamed in order of binding and no spacing around symbols (``forall m:nat, m+0 = m`` is
    ``forall n : nat, n + 0 = n``),
    so a conjecturer cannot farm a reward with renamed copies of one theorem. Not a proof of difference:
    statements equal only up to reordering binders or unfolding definitions still read as new."""
    try:
        text = clean_statement(statement)
    except ProofRejected:
        text = " ".join(statement.split())
    return _alpha_normal(text)


_BINDER = re.compile(r"\b(forall|exists|fun)\b([^,]*?)(,|=>)")
#: A statement's words and symbols, for how close two are.
_TOKEN = re.compile(r"\w+|[^\w\s]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_']*")


def _alpha_normal(text: str) -> str:
    """``text`` with each name bound by ``forall``/``exists``/``fun`` replaced by ``zp_b0``, ``zp_b1``... in
    order of binding (a name bound twice keeps its first number: shadowing is rare in conjectures)."""
    canon: dict[str, str] = {}
    for m in _BINDER.finditer(text):
        for group in re.split(r"[()]", m.group(2)):
            names = group.split(":", 1)[0]
            for name in _IDENT.findall(names):
                canon.setdefault(name, f"zp_b{len(canon)}")
    if canon:
        text = re.sub(r"(?<![A-Za-z0-9_'.])(" + "|".join(map(re.escape, sorted(canon, key=len, reverse=True)))
                      + r")(?![A-Za-z0-9_'])", lambda m: canon[m.group(1)], text)
    return re.sub(r"\s*([^\w\s'])\s*", r"\1", text)  # no spacing around symbols: "m:nat" is "m : nat"
