"""Scripted Coq agents for CPU runs and tests, where a tiny model cannot write Coq yet.

Both are real agents (``act(observations, infos) -> list[str]``, ``reseed(seed)``), usable as a
``scripted:`` role of the ``stp`` loop or anywhere an agent is.

- :class:`ScriptedProver` answers a prove prompt with one of :data:`PROOF_SCRIPTS`, standard tactic
  scripts drawn at random; each works on some statements and not others, so solve rates over a
  few attempts land anywhere in [0, 1] (the seeds range from 0 to 8 scripts of 11).
- :class:`ScriptedConjecturer` reads the seed theorem of a conjecture prompt and writes a related
  statement of its topic (:data:`RELATED`: new, some provable by the scripts, some not) or a variant:
  the equation flipped or a conjunct added (derivative: they follow from the seed by logic and
  rewriting alone), the statement negated (type-checks, never provable), a copy (a duplicate), a
  type error, or prose (unparsable). So a run sees every validation stage.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

#: Generic tactic scripts the scripted prover draws from.
PROOF_SCRIPTS = (
    "intros; simpl; auto.",
    "intros; lia.",
    "intros n; induction n; simpl; lia.",
    "intros l; induction l; simpl; auto.",
    "intros l; induction l; simpl; lia.",
    "intros; ring.",
    "auto.",
    "intros b; destruct b; reflexivity.",
    "intros a b; destruct a, b; reflexivity.",
    "intros; reflexivity.",
    "intros; split; [auto | lia].",
)

_SEED = re.compile(r"Theorem seed : (.+?)\.\n", re.S)
_GOAL = re.compile(r"Theorem goal : (.+?)\.\n", re.S)


def _reply(text: str) -> str:
    return f"```coq\n{text}\n```"


class ScriptedProver:
    """Answers every prompt with a proof script drawn from :data:`PROOF_SCRIPTS` (or ``scripts``)."""

    name = "scripted-coq-prover"

    def __init__(self, seed: int = 0, scripts: Sequence[str] = PROOF_SCRIPTS):
        self.scripts = list(scripts)
        self.rng = random.Random(seed)

    def reseed(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [_reply(f"Proof.\n{self.rng.choice(self.scripts)}\nQed.") for _ in observations]


#: Statements related to the seeds of each topic, none of which follows from the seeds by logic and
#: rewriting alone; the scripted prover's scripts prove most of them (0 to 5 scripts of 11 each).
RELATED = {
    "nat": ("forall n : nat, n * 1 = n", "forall n m : nat, n <= n + m", "forall n : nat, n * 2 = n + n",
            "forall n : nat, Nat.min n n = n", "forall n m : nat, Nat.max n m = Nat.max m n",
            "forall n m : nat, n * m = m * n", "forall n : nat, n - n = 0"),
    "bool": ("forall b : bool, orb b false = b", "forall b : bool, xorb b b = false",
             "forall a b : bool, orb a b = orb b a", "forall b : bool, andb b (negb b) = false",
             "forall b : bool, orb b (negb b) = true"),
    "list": ("forall l : list nat, 0 <= length l", "forall (x : nat) (l : list nat), In x (l ++ [x])",
             "forall l : list nat, rev l = [] -> l = []", "forall (x : nat) (l : list nat), x :: l <> []"),
}


class ScriptedConjecturer:
    """Writes a statement related to the seed theorem shown in each conjecture prompt, or a variant of
    it (see the module docstring)."""

    name = "scripted-coq-conjecturer"
    VARIANTS = ("related", "related", "related", "flip", "conjunct", "negate", "copy", "type_error", "prose")

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def reseed(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [self.write(o) for o in observations]

    def write(self, prompt: str) -> str:
        found = _SEED.search(prompt) or _GOAL.search(prompt)
        if found is None:
            return "I see no theorem to vary."
        statement = " ".join(found.group(1).split())
        variant = self.rng.choice(self.VARIANTS)
        if variant == "prose":
            return f"A nice conjecture: {statement} holds for every input, and then some."
        return _reply(f"Theorem conjecture : {getattr(self, '_' + variant)(statement)}.")

    @staticmethod
    def _split(statement: str) -> tuple[str, str]:
        """(binders with their trailing comma, body) of ``forall ..., body``."""
        if statement.startswith("forall ") and ", " in statement:
            head, body = statement.split(", ", 1)
            return head + ", ", body
        return "", statement

    def _flip(self, statement: str) -> str:
        head, body = self._split(statement)
        if body.count(" = ") == 1:
            left, right = body.split(" = ")
            return f"{head}{right} = {left}"
        return f"{head}({body}) /\\ True"

    def _conjunct(self, statement: str) -> str:
        head, body = self._split(statement)
        extra = self.rng.choice(["True", "0 <= 0", "1 + 1 = 2"])
        return f"{head}({body}) /\\ {extra}"

    def _negate(self, statement: str) -> str:
        head, body = self._split(statement)
        return f"{head}~ ({body})"

    def _related(self, statement: str) -> str:
        topic = "list" if "list" in statement else "bool" if "bool" in statement else "nat"
        return self.rng.choice(RELATED[topic])

    def _copy(self, statement: str) -> str:
        return statement

    def _type_error(self, statement: str) -> str:
        head, body = self._split(statement)
        return f"{head}({body}) /\\ true + 1 = 0"
