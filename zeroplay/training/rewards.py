"""Reward shaping, with the papers' defaults.

- Solver (Absolute Zero): +1 correct, -0.5 well-formed but wrong, -1 malformed (the template's
  answer format was not followed).
- Proposer (Absolute Zero): learnability ``1 - solve_rate`` when the solvers sometimes but not
  always succeed, 0 when they always or never do; -1 for an invalid proposal.
- Games (SPIRAL): an illegal or unparsable move ends the game with -1.5 for the offender and
  +0.5 for the opponent during training, so that the offender pays more than a loss and the
  opponent gains less than a win; in evaluation the env's own -1/+1 is kept.

Rewards are named parts (:data:`zeroplay.training.registry.REWARDS`, entry-point group
``zeroplay.rewards``), of three kinds, each a plain function a loop calls:

- :class:`SolverReward`   ``(correct, well_formed, shaping) -> float``: ``correctness`` (default), ``binary``;
- :class:`ProposerReward` ``(valid, solve_rate, shaping) -> float``: ``learnability`` (default);
- :class:`GameReward`     ``(returns, info, shaping) -> list[float]``: ``illegal_move_penalty`` (default),
  ``env_returns``;
- :class:`GroupReward`    ``(answers, same, shaping) -> list[float]``, one reward per sample of a group
  (the samples of one prompt), marked with :func:`group_reward`: ``majority_vote`` (label-free). Only
  the ``rlvr`` loop calls group rewards.

Label-free signals (EVOL-RL, TTRL): :func:`majority_vote` finds a group's pseudo-label, :func:`novelty`
scores how much each completion's wording differs from the rest of its group (the loop adds
``rlvr.novelty_weight`` times it to any solver reward).

A loop section picks them by name, e.g. ``propose_solve.proposer_reward: learnability``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict


class RewardShaping(BaseModel):
    """Reward values; every field has the default of the paper it comes from."""

    model_config = ConfigDict(extra="forbid")

    solver_correct: float = 1.0
    """Solver answer judged correct by the verifier."""
    solver_wrong: float = -0.5
    """Solver answer in the right format but wrong."""
    solver_malformed: float = -1.0
    """Solver output that does not follow the answer format."""
    proposer_invalid: float = -1.0
    """Proposal the proposer env rejected (does not run, not deterministic, ...)."""
    illegal_move_offender: float = -1.5
    """Training return of a player whose illegal move ended the game."""
    illegal_move_opponent: float = 0.5
    """Training return of the other player(s) when an illegal move ended the game."""


class SolverReward(Protocol):
    def __call__(self, correct: bool, well_formed: bool, shaping: RewardShaping) -> float: ...


class ProposerReward(Protocol):
    def __call__(self, valid: bool, solve_rate: float | None, shaping: RewardShaping) -> float:
        """``solve_rate`` is None for an invalid proposal (nothing was solved)."""
        ...


class GameReward(Protocol):
    def __call__(self, returns: Sequence[float], info: dict[str, Any], shaping: RewardShaping) -> list[float]:
        """Every player's training return from the env's final ``returns`` and the last ``info``."""
        ...


def solver_reward(correct: bool, well_formed: bool, shaping: RewardShaping) -> float:
    if not well_formed:
        return shaping.solver_malformed
    return shaping.solver_correct if correct else shaping.solver_wrong


def binary_reward(correct: bool, well_formed: bool, shaping: RewardShaping) -> float:
    """1 for a correct, well-formed answer, else 0 (no format penalty)."""
    return 1.0 if correct and well_formed else 0.0


def learnability(solve_rate: float) -> float:
    """Absolute Zero's proposer reward for a valid task: ``1 - solve_rate``, or 0 when the
    task is trivial (always solved) or impossible (never solved): both teach nothing."""
    if solve_rate <= 0.0 or solve_rate >= 1.0:
        return 0.0
    return 1.0 - solve_rate


def proposer_reward(valid: bool, solve_rate: float | None, shaping: RewardShaping) -> float:
    if not valid or solve_rate is None:
        return shaping.proposer_invalid
    return learnability(solve_rate)


def game_training_returns(returns: Sequence[float], info: dict[str, Any], shaping: RewardShaping) -> list[float]:
    """The env's final returns, with the training penalty applied when an invalid move ended
    the game (``info["invalid_move"]`` with ``info["offender"]``)."""
    offender = info.get("offender")
    if not info.get("invalid_move") or offender is None:
        return [float(r) for r in returns]
    return [shaping.illegal_move_offender if p == offender else shaping.illegal_move_opponent
            for p in range(len(returns))]


def env_returns(returns: Sequence[float], info: dict[str, Any], shaping: RewardShaping) -> list[float]:
    """The env's own returns, unchanged (its rule for illegal moves applies in training too)."""
    return [float(r) for r in returns]


# -- label-free rewards (one group of samples of one prompt at a time) -----------------------

class GroupReward(Protocol):
    def __call__(self, answers: Sequence[str | None], same: Callable[[str, str], bool],
                 shaping: RewardShaping) -> list[float]:
        """One reward per sample from every sample's answer (None: no answer) and an equivalence
        test ``same(answer, representative)`` (the env's verifier, or string equality)."""
        ...


_F = TypeVar("_F", bound=Callable[..., Any])


def group_reward(fn: _F) -> _F:
    """Mark ``fn`` as a :class:`GroupReward` (the rlvr loop calls it once per group, not per sample)."""
    fn.group_reward = True  # type: ignore[attr-defined]
    return fn


def is_group_reward(fn: Any) -> bool:
    return bool(getattr(fn, "group_reward", False))


@dataclass(frozen=True)
class MajorityVote:
    """The outcome of :func:`majority_vote` over one group."""

    label: str | None
    """The pseudo-label: the answer of the majority cluster's first member; None on a tie or with no answers."""
    representative: int | None
    """Index of the sample whose answer is ``label`` (the majority cluster's first member)."""
    agrees: list[bool]
    """Per sample: its answer is in the majority cluster (always False without a label)."""
    counts: list[int]
    """Size of every answer cluster, in order of first appearance."""
    reason: str
    """``majority``, ``tie`` (two or more clusters share the top count) or ``no-answer`` (nobody voted)."""


def _no_answer(answer: str | None) -> bool:
    return answer is None or not answer.strip()


def majority_vote(answers: Sequence[str | None], same: Callable[[str, str], bool] = operator.eq) -> MajorityVote:
    """Self-consistency over one group: the most common answer is the pseudo-label.

    Answers are clustered greedily in order: each answer joins the first cluster whose first member
    it is ``same`` as (``same(answer, first_member)``), else opens a new cluster. So with the math
    verifier as ``same``, ``0.5`` and ``1/2`` are one vote. Rules, stated because they decide rewards:

    - a sample with no answer (None or blank) never votes and never agrees;
    - the largest cluster is the majority, however small (one vote of one is a majority);
    - a tie for the largest cluster gives no pseudo-label: nobody agrees;
    - no answers at all: no pseudo-label.
    """
    clusters: list[list[int]] = []
    for i, answer in enumerate(answers):
        if _no_answer(answer):
            continue
        for members in clusters:
            if same(answer, answers[members[0]]):  # type: ignore[arg-type]
                members.append(i)
                break
        else:
            clusters.append([i])
    counts = [len(c) for c in clusters]
    if not clusters:
        return MajorityVote(None, None, [False] * len(answers), counts, "no-answer")
    top = max(counts)
    if counts.count(top) > 1:
        return MajorityVote(None, None, [False] * len(answers), counts, "tie")
    winners = clusters[counts.index(top)]
    chosen = set(winners)
    return MajorityVote(answers[winners[0]], winners[0], [i in chosen for i in range(len(answers))], counts, "majority")


@group_reward
def majority_vote_reward(answers: Sequence[str | None], same: Callable[[str, str], bool],
                         shaping: RewardShaping) -> list[float]:
    """1 for a sample whose answer agrees with the group's pseudo-label (:func:`majority_vote`), else 0:
    0 for every sample on a tie or when nobody answered, and 0 for a sample without an answer."""
    return [1.0 if a else 0.0 for a in majority_vote(answers, same).agrees]


_TOKEN = re.compile(r"\w+|[^\w\s]")
#: Novelty reads at most this many characters of a completion (its start: the reasoning).
NOVELTY_MAX_CHARS = 1 << 16


def ngrams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    """The set of token ``n``-grams of ``text`` (tokens: lower-cased words and single punctuation marks)."""
    tokens = _TOKEN.findall(text[:NOVELTY_MAX_CHARS].lower())
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def jaccard(a: set[Any], b: set[Any]) -> float:
    """|a & b| / |a | b|; two empty sets are identical (1.0)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def novelty(texts: Sequence[str], n: int = 3) -> list[float]:
    """Per completion: 1 - its mean Jaccard similarity (token ``n``-gram sets) to the group's other
    completions. 1: shares no n-gram with any other; 0: the same n-grams as every other. A group of
    one has nothing to differ from: 0. A lexical measure: cheap, blind to paraphrase (an embedding
    model would see that; not here yet)."""
    grams = [ngrams(t if isinstance(t, str) else "", n) for t in texts]
    k = len(grams)
    if k < 2:
        return [0.0] * k
    sim = [[jaccard(grams[i], grams[j]) if i < j else 0.0 for j in range(k)] for i in range(k)]
    return [1.0 - sum(sim[min(i, j)][max(i, j)] for j in range(k) if j != i) / (k - 1) for i in range(k)]
