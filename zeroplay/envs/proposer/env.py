"""A proposer env for any task family: the policy writes a problem (and, where the system needs it, a
reference answer or a hint); ``step`` validates it and returns it as a :class:`~zeroplay.core.types.Task`.

``zeroplay/ProblemProposer-v0`` (:class:`ProblemProposerEnv`). A *family* (:class:`ProblemFamily`,
:data:`FAMILIES`: ``math``, ``exact``; :func:`register_family` adds one) says which verifier checks
answers to the problems, how a solver is asked to answer, and what a problem is called in prompts.
Two modes:

- ``new``: the prompt shows ``examples`` problems of the family (with their answers) and asks for a
  new one (TTCS's synthesizer, Multi-Agent Evolve's proposer, G-Zero's query writer);
- ``variant``: the prompt shows one *original* problem, its answer and optionally a solution, and asks
  for a variant (SvS: a variational problem that keeps the original's answer; TTCS: a harder variant).

The proposal's format is ``<problem>...</problem>``, then ``<answer>...</answer>`` when
``with_answer`` and ``<hint>...</hint>`` when ``with_hint`` (tags after the problem's closing tag; tags
inside the problem text are part of the problem). A proposal is valid when it parses, the problem is
10..``max_chars`` characters, it is not one of the problems the prompt showed (under
:func:`~zeroplay.envs.proposer.pool.problem_key`: case, spacing, punctuation, invisible characters and
look-alike letters folded), and its answer (when asked for) is one the family's verifier can read and
that does not match anything: the verifier accepts it against itself and refuses a blank response and
an unrelated one against it (an exact-match answer of only punctuation would equal every blank answer).
A problem whose own text the verifier reads as its answer (``... The answer is 42.``) is refused:
it would be solved by copying. A valid proposal ends the episode with reward 0 and ``info["task"]`` (reference:
the answer, or None; ``meta``: ``hint``, ``parent``); an invalid one with reward -1 and
``info["error"]`` (``info["stage"]``: ``parse`` or ``check``). The loop sets the proposer's training
reward from how solvers then fare (the env cannot know).

What validation does not promise: that the problem is well posed or the answer right, or that the
answer is not hinted at less plainly than the verifier reads (a loop's solve-rate band does that). A loop checks
that by solving (TTCS, SvS) or judging (Multi-Agent Evolve); a policy under RL will write ill-posed
problems with confident answers if nothing else checks them.

:func:`solver_env` serves a family's tasks to a solver (a :class:`~zeroplay.core.tasks.TaskEnv` with
the family's answer instruction; ``reset(options={"task": task})``); for a family with an ``answer_tag``
(``exact``) it scores the last ``<answer>`` of the response, as its prompt asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from zeroplay.core.answers import last_tag
from zeroplay.core.errors import EpisodeOverError
from zeroplay.core.env import TextEnv
from zeroplay.core.tasks import TaskEnv, TaskSource
from zeroplay.core.types import Task, Verdict
from zeroplay.envs.proposer.pool import contains_problem, problem_key

MIN_PROBLEM_CHARS = 10
MAX_ANSWER_CHARS = 200
#: A response no answer should match: a valid answer is refused when its verifier accepts this (or a blank).
UNRELATED_RESPONSE = "zq unrelated 7391"


@dataclass(frozen=True)
class ProblemFamily:
    """What problems of one kind are: checked by ``verifier``, answered as ``solver_template`` asks."""

    name: str
    verifier: str
    """A registered verifier name (``verifiers.make``)."""
    noun: str
    """What a problem is called in the proposer's prompt (``math problem``)."""
    solver_template: str
    """The solver's prompt, ``{prompt}`` the problem."""
    answer_tag: str | None = None
    """The tag the solver's answer is read from (its last one), for a verifier that reads the whole
    response (``exact``); None: the verifier finds the answer itself (``math`` reads ``\\boxed{}``)."""


FAMILIES: dict[str, ProblemFamily] = {
    "math": ProblemFamily("math", "math", "math problem",
                          "{prompt}\n\nReason step by step, then put your final answer in \\boxed{{}}."),
    "exact": ProblemFamily("exact", "exact", "question with a short exact answer",
                           "{prompt}\n\nGive your final answer in <answer></answer> tags.", answer_tag="answer"),
}


def register_family(family: ProblemFamily) -> None:
    """Make ``family`` usable as ``ProblemProposerEnv(family=family.name)``."""
    if family.name in FAMILIES and FAMILIES[family.name] != family:
        raise ValueError(f"a problem family named {family.name!r} is already registered")
    FAMILIES[family.name] = family


def get_family(name: str) -> ProblemFamily:
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown problem family {name!r}; registered: {', '.join(sorted(FAMILIES))} "
                         "(zeroplay.envs.proposer.register_family adds one)") from None


def solver_env(family: str | ProblemFamily, tasks: Sequence[Task] = ()) -> TaskEnv:
    """A single-step env that serves ``family``'s tasks to a solver (``reset(options={"task": t})``, or a
    draw from ``tasks``) and scores answers with the family's verifier."""
    fam = get_family(family) if isinstance(family, str) else family
    return TaskEnv(list(tasks) or _GivenTasksOnly(), verifier=family_verifier(fam), prompt_template=fam.solver_template)


def family_verifier(family: ProblemFamily) -> Any:
    """The verifier that scores a solver's response for ``family`` (its ``answer_tag`` read first)."""
    from zeroplay import verifiers

    inner = verifiers.make(family.verifier)
    return TaggedAnswer(inner, family.answer_tag) if family.answer_tag else inner


class TaggedAnswer:
    """A verifier that reads the last ``<tag>...</tag>`` of a response and passes it to ``inner``; a
    response with no such tag is scored whole (a bare answer, or a stated reference checked against another)."""

    def __init__(self, inner: Any, tag: str):
        self.inner, self.tag = inner, tag
        self.name = getattr(inner, "name", "tagged")

    def verify(self, response: Any, reference: Any) -> Verdict:
        said = last_tag(response, self.tag) if isinstance(response, str) else None
        return self.inner.verify(response if said is None else said.strip(), reference)


class _GivenTasksOnly(TaskSource):
    """The source of a solver env without tasks of its own: each reset names its task."""

    def sample(self, rng: Any) -> Task:
        raise ValueError("this solver env has no tasks of its own: reset it with options={'task': task}")


@dataclass
class Proposal:
    """What a proposer wrote, parsed (fields None when absent)."""

    problem: str | None
    answer: str | None
    hint: str | None


def parse_proposal(text: str) -> Proposal:
    """The last ``<problem>`` of ``text`` and the last ``<answer>`` / ``<hint>`` after it. Never raises."""
    if not isinstance(text, str):
        return Proposal(None, None, None)
    problem = last_tag(text, "problem")
    if problem is None:
        return Proposal(None, None, None)
    rest = text[text.rfind("</problem>") + len("</problem>"):]
    answer, hint = last_tag(rest, "answer"), last_tag(rest, "hint")
    return Proposal(problem.strip(), answer.strip() if answer is not None else None,
                    hint.strip() if hint is not None else None)


class ProblemProposerEnv(TextEnv):
    """Write a problem of ``family`` (see the module docstring).

    ``mode``: ``new`` or ``variant``. ``examples``: problems shown in ``new`` mode, drawn from
    ``examples_env`` (an env id whose ``reset`` gives problems, default procedural arithmetic) unless
    ``reset(options={"examples": [Task, ...]})`` gives them. In ``variant`` mode
    ``reset(options={"original": Task, "solution": str})`` gives the original (default: one drawn from
    ``examples_env``). ``instruction`` replaces the default request (what kind of problem, harder,
    same answer...). ``with_answer`` / ``with_hint``: ask for them (an answer is then required).
    ``show_answers``: show the answers of the problems in the prompt (default: ``with_answer``; a
    label-free synthesizer sees no label and writes none).
    """

    def __init__(self, family: str = "math", *, mode: Literal["new", "variant"] = "new", examples: int = 3,
                 examples_env: str = "zeroplay/MathArithmetic-v0", with_answer: bool = True, with_hint: bool = False,
                 instruction: str | None = None, max_chars: int = 2000, show_answers: bool | None = None,
                 render_mode: str | None = None):
        super().__init__(render_mode=render_mode)
        if mode not in ("new", "variant"):
            raise ValueError(f"mode must be 'new' or 'variant', got {mode!r}")
        if examples < 0 or max_chars < MIN_PROBLEM_CHARS:
            raise ValueError(f"examples must be >= 0 and max_chars >= {MIN_PROBLEM_CHARS}")
        self.family = get_family(family)
        self.mode, self.n_examples, self.examples_env_id = mode, examples, examples_env
        self.with_answer, self.with_hint, self.instruction, self.max_chars = with_answer, with_hint, instruction, max_chars
        self.show_answers = with_answer if show_answers is None else show_answers
        self._examples_env: Any = None
        self._verifier: Any = None
        self.shown: list[Task] = []
        self.original: Task | None = None
        self._done = True

    # -- prompt -----------------------------------------------------------------------------------
    def _draw(self, n: int) -> list[Task]:
        import zeroplay as zp

        if self._examples_env is None:
            self._examples_env = zp.make(self.examples_env_id)
        seeds = self.np_random.integers(1 << 31, size=n)
        return [self._examples_env.reset(seed=int(s))[1]["task"] for s in seeds]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        solution = options.get("solution")
        if self.mode == "variant":
            self.original = options.get("original") or self._draw(1)[0]
            self.shown = [self.original]
        else:
            self.original = None
            self.shown = list(options["examples"]) if "examples" in options else self._draw(self.n_examples)
        self._done = False
        self._last_obs = self.prompt(self.shown, solution)
        return self._last_obs, {"shown": self.shown, "original": self.original}

    def prompt(self, shown: Sequence[Task], solution: str | None = None) -> str:
        noun = self.family.noun
        if self.mode == "variant":
            orig = shown[0]
            request = self.instruction or (f"Write a variant of this {noun}: change its wording and setting so that "
                                           "it is a different problem, but keep the same answer.")
            parts = [request, "", f"### Original\n{orig.prompt}"]
            if self.show_answers:
                parts.append(f"Answer: {orig.reference}")
            if solution:
                parts.append(f"A correct solution:\n{solution[-4000:]}")
        else:
            request = self.instruction or f"Write a new {noun}, different from these examples, that a careful solver can answer."
            parts = [request, ""]
            for i, t in enumerate(shown, 1):
                parts += [f"### Example {i}\n{t.prompt}", *([f"Answer: {t.reference}"] if self.show_answers else []), ""]
        fmt = "<problem>the problem</problem>"
        if self.with_answer:
            fmt += "\n<answer>its final answer</answer>"
        if self.with_hint:
            fmt += "\n<hint>a hint that helps a solver without giving the answer away</hint>"
        parts += ["", f"Write it in this format:\n{fmt}"]
        return "\n".join(parts).strip()

    # -- validation ----------------------------------------------------------------------------------
    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._done:
            raise EpisodeOverError("step() on a finished or never-started episode; call reset() first")
        self._done = True
        text, problem = self.clean_action(action)
        info = self.validate(text)
        if problem:
            info["reason"] = problem
        return self._last_obs, 0.0 if "task" in info else -1.0, True, False, info

    def validate(self, text: str, shown: Sequence[Task] | None = None) -> dict[str, Any]:
        """The step info of ``text`` against the problems ``shown`` (default: the last reset's): ``task``,
        or ``error`` and ``stage``. Needs no reset when ``shown`` is given (a loop validating a batch)."""
        shown = self.shown if shown is None else shown
        p = parse_proposal(text)
        if not p.problem:
            return {"error": "no <problem>...</problem> with text in it", "stage": "parse"}
        if self.with_answer and not p.answer:
            return {"error": "no <answer>...</answer> after the problem", "stage": "parse"}
        if self.with_hint and not p.hint:
            return {"error": "no <hint>...</hint> after the problem", "stage": "parse"}
        if not MIN_PROBLEM_CHARS <= len(p.problem) <= self.max_chars:
            return {"error": f"the problem must be {MIN_PROBLEM_CHARS}..{self.max_chars} characters, got {len(p.problem)}",
                    "stage": "check"}
        if (p.hint and len(p.hint) > self.max_chars) or (p.answer and len(p.answer) > MAX_ANSWER_CHARS):
            return {"error": f"the answer must be at most {MAX_ANSWER_CHARS} characters and the hint at most "
                             f"{self.max_chars}", "stage": "check"}
        if any(problem_key(p.problem) == problem_key(t.prompt) or contains_problem(p.problem, t.prompt) for t in shown):
            return {"error": "the problem is one the prompt showed (a copy with words added is a copy)",
                    "stage": "check"}
        if p.answer is not None and self.with_answer:
            if not self._readable(p.answer):
                return {"error": f"the {self.family.verifier} verifier cannot read the answer {p.answer[:60]!r}, or "
                                 "it matches any answer (a blank one too)", "stage": "check"}
            if self._accepts(p.problem, p.answer):
                return {"error": "the problem states its own answer: write a problem the solver must work out",
                        "stage": "check"}
        parent = shown[0].id if self.mode == "variant" and shown else None
        task = Task.from_dict({"prompt": p.problem, "reference": p.answer if self.with_answer else None,
                               "verifier": self.family.verifier,
                               "meta": {"hint": p.hint, "parent": parent, "family": self.family.name}})
        return {"task": task, "proposal": p}

    def _readable(self, answer: str) -> bool:
        """Whether the family's verifier accepts ``answer`` against itself (it can read it as a reference)
        and refuses a blank and an unrelated response against it (it does not match anything)."""
        return (self._accepts(answer, answer) and not self._accepts("", answer)
                and not self._accepts(UNRELATED_RESPONSE, answer))

    def _accepts(self, response: str, answer: str) -> bool:
        """Whether the family's verifier scores ``response`` correct against ``answer`` (False if it raises)."""
        if self._verifier is None:
            self._verifier = family_verifier(self.family)
        try:
            return bool(self._verifier.verify(response, answer).correct)
        except Exception:  # noqa: BLE001 - an answer that breaks the verifier is unreadable
            return False
