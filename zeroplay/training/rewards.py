"""Reward shaping, with the papers' defaults.

- Solver (Absolute Zero): +1 correct, -0.5 well-formed but wrong, -1 malformed (the template's
  answer format was not followed).
- Proposer (Absolute Zero): learnability ``1 - solve_rate`` when the solvers sometimes but not
  always succeed, 0 when they always or never do; -1 for an invalid proposal.
- Games (SPIRAL): an illegal or unparsable move ends the game with -1.5 for the offender and
  +0.5 for the opponent during training, so that the offender pays more than a loss and the
  opponent gains less than a win; in evaluation the env's own rule is kept (-1/+1; poker: at least
  a fold's cost). Both scale with what the env charged the offender (poker: the chips a fold would
  lose), and a cooperative partner keeps the team's loss (:func:`game_training_returns`).

Rewards are named parts (:data:`zeroplay.training.registry.REWARDS`, entry-point group
``zeroplay.rewards``), of five kinds, each a plain function a loop calls:

- :class:`SolverReward`   ``(correct, well_formed, shaping) -> float``: ``correctness`` (default), ``binary``;
- :class:`ProposerReward` ``(valid, solve_rate, shaping) -> float``: ``learnability`` (default);
- :class:`GameReward`     ``(returns, info, shaping) -> list[float]``: ``illegal_move_penalty`` (default),
  ``env_returns``;
- :class:`GroupReward`    ``(answers, same, shaping) -> list[float]``, one reward per sample of a group
  (the samples of one prompt), marked with :func:`group_reward`: ``majority_vote`` (label-free). Only
  the ``rlvr`` loop calls group rewards;
- :class:`LikelihoodReward` ``(without, with_hint, shaping) -> float``, from a model's token log-probs of
  the same responses under two prompts: ``hint_delta`` (G-Zero's Hint-δ; the ``g_zero`` loop).

Label-free signals (EVOL-RL, TTRL): :func:`majority_vote` finds a group's pseudo-label, :func:`novelty`
scores how much each completion's wording differs from the rest of its group, and
:func:`embedding_novelty` how much its meaning does, as a local model's embeddings see it
(:class:`TextEmbedder`; the loop adds ``rlvr.novelty_weight`` times either to any solver reward).

A loop section picks them by name, e.g. ``propose_solve.proposer_reward: learnability``. Each built-in
reward declares its kind with :func:`reward_kind` (:func:`group_reward` declares ``group``), and each
config field that takes a reward accepts only the kinds its loop can call, so a proposer reward in a
solver's place is refused when the config is validated (``--dry-run`` included), with the rewards of
the right kind. Besides the five kinds above, loops declare their own: ``proposer_band`` (a proposer
reward that also takes ``band=``: ``svs_band``), ``generator`` (``(stage, novelty, shaping)``:
``env_admission``), ``test_writer`` and ``coder`` (UTRL's, ``(outcome, weights)`` and ``(passed,
well_formed, weights)``). A plug-in reward that declares no kind is accepted by every reward field and
is called there as that field's kind is: decorate it with ``@reward_kind("solver")`` (or another kind)
to have it checked too. What is not checked: that a function's signature matches the kind it declares.
What a plug-in reward returns is checked at each call (:func:`checked_reward`): a number, or numbers
(a game's returns, a group's rewards); anything else is a :class:`RewardError` naming the reward.
"""

from __future__ import annotations

import functools
import numbers
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from zeroplay.core.errors import ZeroplayError


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
    """Training return of a player whose illegal move ended the game (times what the env charged it, when
    more than 1: :func:`game_training_returns`)."""
    illegal_move_opponent: float = 0.5
    """Training return of the other player(s) when an illegal move ended a zero-sum game (scaled alike;
    a cooperative partner keeps the team's loss)."""


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


_F = TypeVar("_F", bound=Callable[..., Any])


def reward_kind(kind: str) -> Callable[[_F], _F]:
    """Declare the kind of reward ``fn`` is (``@reward_kind("proposer")``): the signature a loop calls it
    with (this module's docstring lists them); a config field that takes a reward checks it."""
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
        raise ValueError(f"a reward kind is one lower-case word (solver, proposer, game...), got {kind!r}")

    def mark(fn: _F) -> _F:
        fn.reward_kind = kind  # type: ignore[attr-defined]
        return fn
    return mark


class RewardError(ZeroplayError, TypeError):
    """A reward returned something that is not a reward: not a number, nor a sequence of numbers."""


def checked_reward(name: str, fn: _F) -> _F:
    """``fn`` (the reward registered as ``name``), with each return value checked: a real number, or a
    list, tuple or array of them (a game reward's returns, a group reward's rewards); anything else
    (None, a string, a dict...) is a :class:`RewardError` naming the reward, raised where it was called,
    instead of a TypeError from deep inside the step's statistics. Its kind and signature are ``fn``'s.
    NaN and infinities are numbers here: the trainer refuses them with the step and the source."""
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        value = fn(*args, **kwargs)
        if not _is_reward_value(value):
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            kind = kind_of(fn)
            want = ("a list of numbers, one per player" if kind == "game" else
                    "a list of numbers, one per sample" if kind == "group" else "a number (a float)" if kind else
                    "a number (a float), or a list of numbers for a game's or a group's reward")
            raise RewardError(f"reward {name!r} returned {shown} ({type(value).__name__}); a "
                              f"{kind + ' ' if kind else ''}reward returns {want}")
        return value
    return call  # type: ignore[return-value]


def _is_reward_value(value: Any) -> bool:
    def number(x: Any) -> bool:
        return isinstance(x, numbers.Real)
    if number(value):
        return True
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        try:
            return len(value) > 0 and all(number(x) for x in value)
        except TypeError:  # a 0-d array
            return False
    return False


def kind_of(fn: Any) -> str | None:
    """The kind ``fn`` declares (:func:`reward_kind`; ``group`` for a :func:`group_reward`), None if none."""
    kind = getattr(fn, "reward_kind", None)
    if isinstance(kind, str):
        return kind
    return "group" if is_group_reward(fn) else None


@reward_kind("solver")
def solver_reward(correct: bool, well_formed: bool, shaping: RewardShaping) -> float:
    if not well_formed:
        return shaping.solver_malformed
    return shaping.solver_correct if correct else shaping.solver_wrong


@reward_kind("solver")
def binary_reward(correct: bool, well_formed: bool, shaping: RewardShaping) -> float:
    """1 for a correct, well-formed answer, else 0 (no format penalty)."""
    return 1.0 if correct and well_formed else 0.0


def learnability(solve_rate: float) -> float:
    """Absolute Zero's proposer reward for a valid task: ``1 - solve_rate``, or 0 when the
    task is trivial (always solved) or impossible (never solved): both teach nothing."""
    if solve_rate <= 0.0 or solve_rate >= 1.0:
        return 0.0
    return 1.0 - solve_rate


@reward_kind("proposer")
def proposer_reward(valid: bool, solve_rate: float | None, shaping: RewardShaping) -> float:
    if not valid or solve_rate is None:
        return shaping.proposer_invalid
    return learnability(solve_rate)


@reward_kind("game")
def game_training_returns(returns: Sequence[float], info: dict[str, Any], shaping: RewardShaping) -> list[float]:
    """The env's final returns, with the training penalty applied when an invalid move ended
    the game (``info["invalid_move"]`` with ``info["offender"]``).

    The penalty is in units of what the env made the invalid move cost, ``scale = max(1, -returns[offender])``
    (1 in games whose returns are -1..1; in poker the chips a fold would have lost, as the env charges
    them): the offender gets ``illegal_move_offender * scale``, so an invalid move never pays more than
    the env's own rule, which is never more than a legal way to give up. The others get
    ``illegal_move_opponent * scale`` when the env's returns are zero-sum; where they are not (a
    cooperative team's loss) they keep their env returns: nobody profits from a partner's mistake."""
    offender = info.get("offender")
    if not info.get("invalid_move") or offender is None:
        return [float(r) for r in returns]
    scale = max(1.0, -float(returns[offender]))
    zero_sum = abs(sum(float(r) for r in returns)) < 1e-9
    return [shaping.illegal_move_offender * scale if p == offender
            else shaping.illegal_move_opponent * scale if zero_sum else float(returns[p])
            for p in range(len(returns))]


@reward_kind("game")
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


def group_reward(fn: _F) -> _F:
    """Mark ``fn`` as a :class:`GroupReward` (the rlvr loop calls it once per group, not per sample): its
    kind is ``group``."""
    fn.group_reward = True  # type: ignore[attr-defined]
    return reward_kind("group")(fn)


def is_group_reward(fn: Any) -> bool:
    """Marked with :func:`group_reward`, or declared ``@reward_kind("group")``."""
    return bool(getattr(fn, "group_reward", False)) or getattr(fn, "reward_kind", None) == "group"


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
    one has nothing to differ from: 0. A lexical measure: cheap, blind to paraphrase (see
    :func:`embedding_novelty` for one that is not)."""
    grams = [ngrams(t if isinstance(t, str) else "", n) for t in texts]
    k = len(grams)
    if k < 2:
        return [0.0] * k
    sim = [[jaccard(grams[i], grams[j]) if i < j else 0.0 for j in range(k)] for i in range(k)]
    return [1.0 - sum(sim[min(i, j)][max(i, j)] for j in range(k) if j != i) / (k - 1) for i in range(k)]


def cosine_novelty(vectors: Any) -> list[float]:
    """Per row of ``vectors`` (k x d): 1 - its mean cosine similarity to the other rows; the same shape
    as :func:`novelty`, in [0, 2] (a cosine can be negative). Two zero vectors are alike (cosine 1,
    as two texts without n-grams are), a zero vector and another are not (0). A group of one: 0."""
    import numpy as np

    v = np.asarray(vectors, dtype=np.float64)
    k = len(v)
    if k < 2:
        return [0.0] * k
    norms = np.linalg.norm(v, axis=1)
    zero = norms == 0
    unit = v / np.where(zero, 1.0, norms)[:, None]
    cos = np.clip(unit @ unit.T, -1.0, 1.0)
    cos[np.ix_(zero, zero)] = 1.0
    off = ~np.eye(k, dtype=bool)
    return [float(1.0 - cos[i][off[i]].mean()) for i in range(k)]


class TextEmbedder:
    """Texts to vectors with a local Hugging Face model (an encoder, or a decoder whose lm head is left
    out): the mean over a text's tokens of the last hidden states. Loaded once, from ``path`` only
    (``local_files_only``: nothing is downloaded), in eval mode on ``device``; texts are cut to their
    first :data:`NOVELTY_MAX_CHARS` characters and ``max_tokens`` tokens, embedded ``batch_size`` at a time.
    A text with no tokens gets the zero vector."""

    def __init__(self, path: str, *, device: str = "cpu", max_tokens: int = 512, batch_size: int = 32):
        from zeroplay.core.errors import ConfigError
        from zeroplay.core.optional import require

        require("transformers", "train", "embedding novelty")
        from transformers import AutoModel, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModel.from_pretrained(path, local_files_only=True).to(device).eval()
        except (OSError, ValueError, KeyError) as e:  # what transformers raises for a directory it cannot read
            why = " ".join(str(e).split())[:200]
            raise ConfigError(f"novelty_model: cannot load a Hugging Face model from {path!r} ({why}); "
                             "give a local model directory with its tokenizer") from None
        if self.tokenizer.pad_token is None:  # decoders often have none; padding is masked out anyway
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.tokenizer.padding_side = "right"
        self.device, self.max_tokens, self.batch_size = device, max_tokens, batch_size

    def embed(self, texts: Sequence[str]) -> Any:
        """A (len(texts) x hidden) float64 numpy array."""
        import numpy as np
        import torch

        out = []
        for i in range(0, len(texts), self.batch_size):
            chunk = [(t if isinstance(t, str) else "")[:NOVELTY_MAX_CHARS] for t in texts[i:i + self.batch_size]]
            enc = self.tokenizer(chunk, return_tensors="pt", padding=True, truncation=True,
                                 max_length=self.max_tokens, add_special_tokens=False).to(self.device)
            mask = enc["attention_mask"]
            if mask.shape[1] == 0:  # every text of the chunk is empty
                out.append(np.zeros((len(chunk), self.model.config.hidden_size)))
                continue
            with torch.no_grad():
                hidden = self.model(input_ids=enc["input_ids"], attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
            out.append(pooled.double().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.config.hidden_size))


def embedding_novelty(texts: Sequence[str], embedder: TextEmbedder) -> list[float]:
    """Per completion: 1 - its mean cosine similarity to the group's other completions, each embedded by
    ``embedder`` (:func:`cosine_novelty`). Sees paraphrase (two wordings of one argument are close) as
    far as the model does."""
    if len(texts) < 2:
        return [0.0] * len(texts)
    return cosine_novelty(embedder.embed(list(texts)))


# -- likelihood rewards (a model's log-probs of the same responses under two prompts) ------------

class LikelihoodReward(Protocol):
    def __call__(self, without: Sequence[Sequence[float]], with_hint: Sequence[Sequence[float]],
                 shaping: RewardShaping) -> float:
        """One reward from per-token log-probs of some responses: ``without[i]`` and ``with_hint[i]`` are
        the log-probs of response i's tokens given the prompt without and with the extra context."""
        ...


def hint_delta(without: Sequence[float], with_hint: Sequence[float]) -> float:
    """G-Zero's Hint-δ of one response: the per-token average of ``log p(y_t | q, y_<t) - log p(y_t | q, h, y_<t)``.

    ``without`` and ``with_hint`` are the generator's log-probs of the tokens of its own *unassisted*
    response y to the query q, given q alone and given q with the hint h. Positive when the hint makes
    the unassisted answer less likely (the hint would change what the generator says: the query was
    hard for it and the hint informative); about 0 when the hint changes nothing (an easy query, or an
    empty hint). A response with no tokens has nothing to shift: 0.
    """
    if len(without) != len(with_hint):
        raise ValueError(f"hint_delta needs the log-probs of the same tokens twice, got {len(without)} and "
                         f"{len(with_hint)} tokens")
    if not without:
        return 0.0
    return float(sum(a - b for a, b in zip(without, with_hint)) / len(without))


@reward_kind("likelihood")
def hint_delta_reward(without: Sequence[Sequence[float]], with_hint: Sequence[Sequence[float]],
                      shaping: RewardShaping | None = None) -> float:
    """The proposer's reward for one (query, hint): the mean :func:`hint_delta` over the generator's
    unassisted responses to the query (responses without tokens are left out; none left: 0)."""
    if len(without) != len(with_hint):
        raise ValueError(f"hint_delta_reward got {len(without)} responses without the hint but "
                         f"{len(with_hint)} with it")
    deltas = [hint_delta(a, b) for a, b in zip(without, with_hint) if len(a)]
    return float(sum(deltas) / len(deltas)) if deltas else 0.0
