"""Formal proof checking with Coq: ``verifiers.make("coq")``.

The reference is a theorem *statement* (a Coq proposition, e.g. ``forall n : nat, n + 0 = n``, or
``{"statement": ..., "imports": [...]}``); the response holds a *proof script*: the tactics that go
between ``Proof.`` and ``Qed.``, in its last ```` ```coq ```` block or as the whole text. The
verifier writes the file itself: the imports, ``Theorem zp_goal : <statement>.`` exactly as the
reference gives it (never the model's restatement), ``Proof.``, the model's tactics, ``Qed.``.

The model is treated as an attacker. A proof is accepted only when all three checks pass:

1. host (a filter with clear reasons, not the boundary): ASCII text without string literals, cut
   into sentences the way Coq's lexer cuts them (a period followed by a blank, bullets and braces
   alone), comments removed; every sentence must start with a tactic of :data:`TACTICS` (an
   allow-list: no vernacular such as ``Admitted``, ``Abort``, ``Axiom``, ``Require``, ``Set``,
   ``Unset Guard Checking``, ``Fail``, ``Drop``, ``Redirect``, ``Extraction``, ``Timeout``, ``Theorem``)
   and no sentence may name a word of :data:`FORBIDDEN` anywhere (``admit``, ``give_up``,
   ``exact_no_check``, ``native_compute``...).
2. compile (sandbox run 1): ``coqc`` compiles the file within the time and memory limits. A proof
   that loops (``repeat`` of a tactic that always succeeds, a deep ``Compute``) ends with status
   ``timeout``. Unsolved or given-up goals fail here (``Qed`` refuses them). Only the compiled
   ``.vo`` leaves this run (coqc's own output goes to a log file the script keeps apart).
3. judge (sandbox run 2, a fresh sandbox holding only that ``.vo`` and our own file): ``Require``
   the compiled library without importing it, check ``Definition zp_check : <statement> :=
   Zp.Cand.zp_goal.`` (the proved constant has the reference's type, whatever the model's file
   declared or redefined), then ``Print Assumptions zp_check``. The verdict needs coqc to exit 0
   and its whole output to be exactly ``Closed under the global context``: any axiom, admitted
   lemma, unsafe fixpoint (guard checking off), assumed positivity or universe inconsistency is
   listed there, and nothing the model wrote runs in this process or prints to its output (a
   compiled library holds declarations, not commands). In the same run ``coqchk`` (Coq's
   standalone checker: it re-types the library from the ``.vo`` alone, without coqc's elaborator,
   flags or state) re-checks every declaration of the library, its dependencies admitted from the installed
   standard library (``-norec``); it must accept it too. ``Print Assumptions`` alone misses the
   unsafe flags of a functor application (Coq issues #12155, #16646, #22366: an unguarded
   fixpoint or ``Type : Type`` passed through a ``Parameter Inline`` reads as closed); ``coqchk``
   refuses those libraries.

So printed text cannot forge a verdict: the judge's output comes from a process whose only
model-made input is the compiled library, and the type check pins the statement. Only the host
filter keeps module, section and flag commands out; the sandbox checks hold without it for every
attack in tests/verifiers/test_proof.py and test_proof_integrity.py (each run both ways).

Guarantees: never raises on a response (a failing :class:`Verdict` with a reason instead);
each run is bounded by the sandbox (``timeout_s``, ``memory_mb``); ``verify_batch`` runs every
compile job of the batch concurrently, then every judge job. Not guaranteed: safety against bugs
in both Coq's kernel and ``coqchk`` at once, or in OCaml's unmarshalling of ``.vo`` files (the ``.vo``
comes from our own coqc run, not from the model's bytes); proofs needing libraries outside
:data:`ALLOWED_IMPORTS`; proofs whose re-check does not fit in the judge's ``timeout_s`` too (coqchk
re-checks the whole proof, without the bytecode machine a ``vm_compute`` used).
Needs ``coqc`` and ``coqchk`` (Debian package ``coq``) under ``/usr/bin``, which the namespace sandbox sees.
"""

from __future__ import annotations

import base64
import re
import secrets
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zeroplay.core.answers import fenced_blocks
from zeroplay.core.errors import ConfigError
from zeroplay.core.types import ExecResult, Verdict
from zeroplay.core.verifier import Verifier
from zeroplay.sandbox.owner import SandboxOwner

#: The name the verifier gives the theorem (the model never names it).
THEOREM = "zp_goal"
#: Standard-library modules a reference may import (``From Coq Require Import ...``).
ALLOWED_IMPORTS = frozenset({"Arith", "Bool", "Lia", "List", "PeanoNat", "Nat", "ZArith", "Lists.List", "Setoid",
                             "Morphisms", "Decidable", "Compare_dec", "EqNat", "Even", "Div2", "Sorting",
                             "Permutation"})
DEFAULT_IMPORTS = ("Arith", "List", "Bool", "Lia")
#: Longest proof script and statement read (longer ones fail without running).
MAX_PROOF_CHARS = 8000
MAX_STATEMENT_CHARS = 1000
#: What ``Print Assumptions`` says of a theorem that rests on nothing but Coq's kernel.
CLOSED = "Closed under the global context"

#: Words a proof sentence may start with: Coq's tactics (lower case), never a vernacular command.
TACTICS = frozenset("""
abstract absurd all apply assert assumption auto autorewrite autounfold btauto case case_eq cbn cbv change
clear clearbody compute congruence constructor contradict contradiction cut cutrewrite decide decompose dependent
destruct discriminate do eapply eassert eassumption easy eauto econstructor edestruct eexact eexists einduction
elim eleft enough epose eremember erewrite eright eset esimplify_eq esplit exact exfalso exists f_equal
field first firstorder fix fold functional generalize hnf idtac induction info_auto info_eauto injection instantiate
intro intros intuition inversion inversion_clear lazy lazymatch left let lia match multimatch nia now
omega once pattern pose progress red refine reflexivity remember rename repeat replace revert rewrite
right ring ring_simplify set simpl simple solve specialize split split_Rabs subst symmetry tauto
transitivity trivial try tryif unfold vm_compute
""".split())

#: Words no proof may contain anywhere: tactics that skip or fake checking, and vernacular commands.
FORBIDDEN = frozenset("""
admit give_up exact_no_check vm_cast_no_check native_cast_no_check change_no_check native_compute shelve
Admitted Abort Axiom Axioms Parameter Parameters Hypothesis Hypotheses Variable Variables Conjecture Context
Qed Defined Save Proof Require Import Export Load Declare Unset Fail Succeed Drop Redirect Extraction
Recursive Timeout Time Instructions Print Theorem Lemma Fact Remark Corollary Proposition Property Example
Definition Fixpoint CoFixpoint Inductive CoInductive Record Structure Class Instance Existing Ltac Ltac2 Tactic
Notation Infix Reserved Module Section End Reset Back BackTo Restart Undo Focus Unfocus Unshelve Goal Local
Global Opaque Transparent Arguments Hint Obligation Obligations Next Program Canonical Coercion Include Typeclasses
Strategy Optimize Show Guarded Abort Set Add Remove Test Cd Pwd Locate Search SearchPattern Check Eval Compute
Attributes Universe Universes Constraint Polymorphic Monomorphic Cumulative NonCumulative Primitive Register
Derive Scheme Combined Functional Generalizable Implicit Let Open Close Delimit Bind Bullet Default Declare
""".split())

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_']*")
_SENTENCE_END = re.compile(r"\.(?=\s|$)")
_BULLETS = re.compile(r"^[\s\-+*{}]*")
_RANGE = r"\d+(?:\s*-\s*\d+)?"
_SELECTOR = re.compile(rf"^(?:all|par|!|{_RANGE}(?:\s*,\s*{_RANGE})*|\[\s*[A-Za-z_][\w']*\s*\])\s*:\s*")


class ProofRejected(ValueError):
    """Text refused before it reaches Coq; the message is the verdict's reason."""


# -- host-side reading of model text ------------------------------------------------------------
def extract_script(response: str) -> str:
    """The proof text of a response: its last closed ```` ```coq ```` block (also ``v``/``coq-proof``
    labels), else its last closed block of any label, else the whole text."""
    blocks = [b for b in fenced_blocks(response) if b.closed]
    for b in reversed(blocks):
        if b.lang.lower() in ("coq", "v", "rocq", "gallina"):
            return b.body
    return blocks[-1].body if blocks else response


def _check_characters(text: str, what: str) -> None:
    bad = next((c for c in text if not (c.isascii() and (c.isprintable() or c in "\n\t\r"))), None)
    if bad is not None:
        raise ProofRejected(f"non-ascii: the {what} holds {bad!r}; write plain ASCII Coq")
    if '"' in text:
        raise ProofRejected(f"string-literal: the {what} holds a '\"'; strings are not allowed")


def strip_comments(text: str) -> str:
    """``text`` with Coq comments ``(* ... *)`` (nested) replaced by a blank each."""
    out, depth, i = [], 0, 0
    while i < len(text):
        if text.startswith("(*", i):
            depth, i = depth + 1, i + 2
            continue
        if depth and text.startswith("*)", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                out.append(" ")
            continue
        if depth == 0:
            out.append(text[i])
        i += 1
    if depth:
        raise ProofRejected("unclosed-comment: a '(*' is never closed")
    return "".join(out)


def sentences(text: str) -> list[str]:
    """Coq sentences of comment-free ``text``: cut at each period followed by a blank or the end
    (the text after the last period, if any, is a sentence too); empty ones dropped."""
    parts = _SENTENCE_END.split(text)
    return [p.strip() for p in parts if p.strip()]


def _head(sentence: str) -> str:
    """The first word of a sentence after its bullets, braces and goal selector ('' when none)."""
    rest = _BULLETS.sub("", sentence)
    rest = _SELECTOR.sub("", rest)
    rest = _BULLETS.sub("", rest)
    m = _WORD.match(rest)
    if m is None and rest:
        raise ProofRejected(f"not-a-tactic: the sentence {sentence[:60]!r} does not start with a tactic")
    return m.group(0) if m else ""


def clean_proof(script: str) -> str:
    """The proof body to compile: the checked sentences of ``script`` (one per line, comments gone,
    a leading ``Proof.`` and a final ``Qed.``/``Defined.`` dropped). Raises :class:`ProofRejected`."""
    if len(script) > MAX_PROOF_CHARS:
        raise ProofRejected(f"oversized-input: {len(script)} chars of proof (at most {MAX_PROOF_CHARS})")
    _check_characters(script, "proof")
    parts = sentences(strip_comments(script))
    if parts and parts[0] == "Proof":
        parts = parts[1:]
    if parts and parts[-1] in ("Qed", "Defined"):
        parts = parts[:-1]
    if not parts:
        raise ProofRejected("no-proof: the response holds no tactics")
    for s in parts:
        head = _head(s)
        if head and head not in TACTICS:
            raise ProofRejected(f"not-a-tactic: {head!r} is not an allowed tactic "
                                "(only tactics between Proof. and Qed.)")
        bad = next((w for w in _WORD.findall(s) if w in FORBIDDEN), None)
        if bad is not None:
            raise ProofRejected(f"forbidden: {bad!r} is not allowed in a proof")
    return "\n".join(s if _BULLETS.sub("", s) == "" else s + "." for s in parts)


def clean_statement(statement: str) -> str:
    """A statement fit to follow ``Theorem zp_goal :``: one proposition, no sentence end, comment,
    string, tactic-in-term or vernacular word, balanced parentheses. Raises :class:`ProofRejected`."""
    if not isinstance(statement, str):
        raise ProofRejected(f"bad-input: a statement is a str, got {type(statement).__name__}")
    text = statement.strip()
    if text.endswith("."):
        text = text[:-1].rstrip()
    if not text:
        raise ProofRejected("empty-statement: no proposition given")
    if len(text) > MAX_STATEMENT_CHARS:
        raise ProofRejected(f"oversized-input: {len(text)} chars of statement (at most {MAX_STATEMENT_CHARS})")
    _check_characters(text, "statement")
    if "(*" in text or "*)" in text:
        raise ProofRejected("comment: a statement may not hold comments")
    if _SENTENCE_END.search(text):
        raise ProofRejected("two-sentences: a statement is one proposition (no '.' followed by a blank)")
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            break
    if depth != 0:
        raise ProofRejected("unbalanced: the statement's parentheses do not match")
    bad = next((w for w in _WORD.findall(text) if w in FORBIDDEN or w in ("ltac", "constr", "uconstr")), None)
    if bad is not None:
        raise ProofRejected(f"forbidden: {bad!r} is not allowed in a statement")
    return " ".join(text.split())


_THEOREM_HEAD = re.compile(r"^\s*(?:Theorem|Lemma|Fact|Remark|Corollary|Proposition|Conjecture|Example)\s+"
                           r"[A-Za-z_][\w']*\s*(?:\([^()]*\)\s*)*:", re.S)


def parse_conjecture(text: str) -> str:
    """The statement of a conjecture written as ``Theorem NAME : STATEMENT.`` (in its last ```coq
    block, or as the whole text); binders before the colon are refused. Raises :class:`ProofRejected`."""
    if not isinstance(text, str):
        raise ProofRejected(f"bad-input: a conjecture is a str, got {type(text).__name__}")
    body = extract_script(text).strip()
    m = _THEOREM_HEAD.match(body)
    if m is None:
        raise ProofRejected("no-theorem: write the conjecture as `Theorem name : statement.`")
    if "(" in body[:m.end()].split(":", 1)[0]:
        raise ProofRejected("binders: put every variable in the statement (`forall n : nat, ...`), "
                            "not before the colon")
    rest = body[m.end():]
    end = _SENTENCE_END.search(rest)
    if end is None:
        raise ProofRejected("no-period: end the statement with a '.'")
    tail = rest[end.end():].strip()
    if tail and not re.fullmatch(r"(?:Proof\s*\.)?\s*(?:Admitted|Abort|Qed)?\s*\.?", tail):
        raise ProofRejected("trailing-text: give the statement only (no proof, no other commands)")
    return clean_statement(rest[:end.start()])


# -- references and the files Coq reads ---------------------------------------------------------
@dataclass(frozen=True)
class CoqReference:
    """A theorem to prove: the statement and the standard-library modules it needs."""

    statement: str
    imports: tuple[str, ...] = DEFAULT_IMPORTS

    @classmethod
    def coerce(cls, reference: Any) -> CoqReference:
        if isinstance(reference, CoqReference):
            return reference
        if isinstance(reference, str):
            return cls(reference)
        if isinstance(reference, dict) and "statement" in reference:
            unknown = set(reference) - {"statement", "imports"}
            if unknown:
                raise ConfigError(f"A coq reference has keys 'statement' and 'imports' only; got {sorted(unknown)}")
            imports = tuple(reference.get("imports") or DEFAULT_IMPORTS)
            bad = [m for m in imports if m not in ALLOWED_IMPORTS]
            if bad:
                raise ConfigError(f"coq reference imports {bad} are not allowed; choose from {sorted(ALLOWED_IMPORTS)}")
            return cls(str(reference["statement"]), imports)
        raise ConfigError("A coq reference is a statement (str) or {'statement': ..., 'imports': [...]}; "
                          f"got {type(reference).__name__}")

    def prelude(self) -> str:
        lines = [f"From Coq Require Import {' '.join(self.imports)}."]
        if "List" in self.imports or "Lists.List" in self.imports:
            lines.append("Import ListNotations.")
        return "\n".join(lines) + "\n"


def candidate_file(reference: CoqReference, statement: str, proof: str) -> str:
    return f"{reference.prelude()}\nTheorem {THEOREM} : {statement}.\nProof.\n{proof}\nQed.\n"


def judge_file(reference: CoqReference, statement: str) -> str:
    return (f"{reference.prelude()}Require Zp.Cand.\n"
            f"Definition zp_check : {statement} := Zp.Cand.{THEOREM}.\n"
            "Print Assumptions zp_check.\n")


def statement_file(reference: CoqReference, statement: str, premises: Sequence[str] = (),
                   timeout_s: int = 0) -> str:
    """The type check of ``statement``; with ``premises`` (true statements), also the attempt of
    :func:`derive_tactic` to prove it from them within ``timeout_s`` (default :data:`DERIVE_TIMEOUT_S`), which
    prints :data:`DERIVED` when it follows from them by first-order logic and rewriting with them alone,
    :data:`NOT_DERIVED` when the attempt failed, and nothing (coqc fails with ``Timeout!``) when it ran out
    of time."""
    text = f"{reference.prelude()}\nDefinition zp_statement : Prop := ({statement}).\n"
    if premises:
        hyps = "".join(f"Hypothesis zp_premise{i} : ({p}).\n" for i, p in enumerate(premises))
        text += (f"Section zp_derived.\n{hyps}Goal ({statement}).\nProof.\n"
                 f"Timeout {timeout_s or DERIVE_TIMEOUT_S} first [solve [{derive_tactic(len(premises))}]; "
                 f'idtac "{DERIVED}" | idtac "{NOT_DERIVED}"].\nAbort.\nEnd zp_derived.\n')
    return text


#: Witnesses tried on an existential goal whose witness does not matter (``exists u : unit, S``).
_WITNESSES = "exists tt | exists 0 | exists true | exists I | exists nil"


def derive_tactic(n_premises: int) -> str:
    """How a conjecture is tried against ``n_premises`` known theorems (:func:`statement_file`):
    ``firstorder`` with them as hypotheses, on the goal as it is, flipped (``symmetry``), after
    rewriting the goal and its hypotheses with all of them left to right (four times over), and after
    one rewrite with each. So what follows from them by logic, instances, congruence and rewriting
    alone is found (``True -> S``, ``S /\\ True``, ``~ ~ S``, ``S \\/ T``, ``S`` at ``n + 1``,
    ``S (a) = S (b)`` from ``a = b``, ``b = a``, ``n + 0 + 0 + 0 = n``, ``n + 0 = 5 -> n = 5``,
    ``rev (rev l) ++ [] = l``, ``exists u : unit, S``), not what needs induction, case analysis or
    arithmetic beyond them."""
    sweep = "; ".join(f"try rewrite zp_premise{i} in *" for i in range(n_premises))
    single = "".join(f" | solve [rewrite zp_premise{i} in *; firstorder]" for i in range(n_premises))
    return ("intros; first [solve [firstorder] | solve [symmetry; firstorder]"
            f" | solve [repeat (first [{_WITNESSES}]); firstorder]"
            f" | solve [do 4 ({sweep}); firstorder] | solve [symmetry; do 4 ({sweep}); firstorder]{single}]")


DERIVE_TIMEOUT_S = 2
#: The longer time limit of a second try, for a statement whose first ran out of time (a loaded machine
#: slows coqc; one still out of time is refused: not known to be new).
DERIVE_RETRY_S = 8
#: The lines the derivation attempt prints: it followed from the premises, or it did not.
DERIVED, NOT_DERIVED = "ZP_DERIVED", "ZP_NOT_DERIVED"


#: findlib's configuration (coqc looks its plugins up through it; the sandbox has no /etc).
FINDLIB_CONF = 'destdir="/usr/lib/ocaml"\npath="/usr/lib/ocaml:/usr/lib/ocaml/METAS"\n'
_ENV = 'export OCAMLFIND_CONF="$PWD/zp_findlib.conf" LANG=C.UTF-8\n'


def compile_script(token: str) -> str:
    """Run 1: compile; coqc's output goes to a log (tail to stderr); stdout carries only the .vo."""
    return (_ENV + "coqc -q -Q . Zp Cand.v >cand.log 2>&1\nrc=$?\ntail -c 3000 cand.log >&2\n"
            '[ "$rc" -eq 0 ] || exit 3\n[ -f Cand.vo ] || exit 4\n'
            f"printf '%s ' {token}\nbase64 -w0 Cand.vo\nprintf ' %s\\n' {token}\n")


#: Run 2: the type check and Print Assumptions (stdout: exactly what coqc says), then coqchk on the
#: library alone (its log's tail to stderr; exit :data:`CHECKER_REFUSED` when it refuses).
JUDGE_SCRIPT = _ENV + ("coqc -q -Q . Zp Judge.v 2>&1 || exit 3\n"
                       "coqchk -silent -Q . Zp -norec Zp.Cand >chk.log 2>&1 || { tail -c 1000 chk.log >&2; exit 5; }\n")
CHECKER_REFUSED = 5
STATEMENT_SCRIPT = _ENV + "coqc -q Stmt.v 2>&1\n"

NO_COQ = "no-coq: coqc and coqchk are not installed; install Coq (apt-get install coq, or setup.sh --languages)"

#: The sandbox language of the scripts above (a POSIX shell script run by /bin/sh).
LANGUAGE_NAME = "zeroplay-coq"
_language_lock = threading.Lock()


def _ensure_language() -> None:
    from zeroplay import sandbox

    with _language_lock:
        if LANGUAGE_NAME not in sandbox.languages():
            sandbox.register_language(sandbox.Language(LANGUAGE_NAME, "run.sh", lambda python, path: ["/bin/sh", path]))


def coq_available() -> bool:
    """Whether ``coqc`` and ``coqchk`` are installed where the sandbox sees them (``/usr/bin``)."""
    found = [shutil.which(tool) for tool in ("coqc", "coqchk")]
    return all(f is not None and f.startswith("/usr/") for f in found)


# -- the verifier ----------------------------------------------------------------------------------
@dataclass
class _Job:
    reference: CoqReference | None = None
    statement: str = ""
    proof: str = ""
    token: str = ""
    verdict: Verdict | None = None
    vo: bytes = b""
    log: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _status_reason(res: ExecResult, what: str) -> str:
    if res.status == "timeout":
        return f"timeout: {what} ran past the time limit"
    if res.status == "memory":
        return f"memory: {what} ran out of memory"
    if res.status == "output_limit":
        return f"output_limit: {what} wrote too much"
    return f"{res.status}: {what} failed"


class CoqVerifier(SandboxOwner, Verifier):
    """Checks Coq proofs of a reference statement (see the module docstring for the three checks).

    ``timeout_s`` and ``memory_mb`` bound each sandbox run (compile, then judge); ``backend``,
    ``workers`` or a ready ``sandbox`` choose where they run. ``details`` of a verdict hold the
    compile log's tail (``log``), the judge's output (``judge``) and coqchk's log tail (``checker``).
    """

    name = "coq"

    def __init__(self, *, timeout_s: float = 10.0, memory_mb: int = 1024, backend: str = "auto", sandbox: Any = None,
                 workers: int | None = None):
        self.timeout_s, self.memory_mb, self.backend, self.workers = timeout_s, memory_mb, backend, workers
        self._own_sandbox(sandbox)

    # -- proofs ---------------------------------------------------------------------------------
    def verify(self, response: str, reference: Any) -> Verdict:
        """The verdict on the proof in ``response`` of the theorem ``reference`` (see :meth:`verify_batch`)."""
        return self.verify_batch([response], [reference])[0]

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        """Verdicts in order: every compile run of the batch at once, then every judge run."""
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        return self._run([self._job(r, g) for r, g in zip(responses, references)])

    def verify_unfiltered(self, scripts: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        """The sandbox checks alone (compile, judge) on raw proof text, without the host filter: what
        the boundary refuses by itself. The text still goes between ``Proof.`` and ``Qed.`` of our file."""
        jobs = [_Job(ref, statement, script, token=f"ZPVO{secrets.token_hex(12)}")
                for script, (ref, statement) in zip(scripts, map(_reference, references))]
        return self._run(jobs)

    def _run(self, jobs: list[_Job]) -> list[Verdict]:
        self._compile([j for j in jobs if j.verdict is None])
        self._judge([j for j in jobs if j.verdict is None])
        return [j.verdict for j in jobs]  # type: ignore[misc]

    def _job(self, response: Any, reference: Any) -> _Job:
        ref, statement = _reference(reference)
        if isinstance(response, bytes):
            response = response.decode("utf-8", errors="replace")
        if not isinstance(response, str):
            return _Job(verdict=Verdict.fail(f"bad-input: response must be str, got {type(response).__name__}"))
        try:
            proof = clean_proof(extract_script(response))
        except ProofRejected as e:
            return _Job(verdict=Verdict.fail(str(e), extract_script(response)[:2000]))
        return _Job(ref, statement, proof, token=f"ZPVO{secrets.token_hex(12)}")

    def _compile(self, jobs: list[_Job]) -> None:
        from zeroplay.sandbox import Program

        if not jobs:
            return
        if not coq_available():
            for job in jobs:
                job.verdict = Verdict.fail(NO_COQ, job.proof[:2000])
            return
        _ensure_language()
        programs = [Program(compile_script(j.token), language=LANGUAGE_NAME,
                            files={"Cand.v": candidate_file(j.reference, j.statement, j.proof),  # type: ignore
                                   "zp_findlib.conf": FINDLIB_CONF}) for j in jobs]
        for job, res in zip(jobs, self.sandbox().run_many(programs)):
            job.log = res.stderr[-2000:]
            if res.status in ("timeout", "memory", "output_limit", "killed"):
                job.verdict = Verdict.fail(_status_reason(res, "the proof"), job.proof[:2000], log=job.log)
                continue
            if res.exit_code == 3:
                job.verdict = Verdict.fail(f"coq-error: {_first_error(job.log)}", job.proof[:2000], log=job.log)
                continue
            vo = _read_vo(res.stdout, job.token)
            if vo is None:
                job.verdict = Verdict.fail(f"no-library: coqc gave no compiled proof (exit {res.exit_code})",
                                           job.proof[:2000], log=job.log)
            job.vo = vo or b""

    def _judge(self, jobs: list[_Job]) -> None:
        from zeroplay.sandbox import Program

        if not jobs:
            return
        programs = [Program(JUDGE_SCRIPT, language=LANGUAGE_NAME,
                            files={"Cand.vo": j.vo, "Judge.v": judge_file(j.reference, j.statement),  # type: ignore
                                   "zp_findlib.conf": FINDLIB_CONF}) for j in jobs]
        for job, res in zip(jobs, self.sandbox().run_many(programs)):
            out = res.stdout.strip()
            details = {"log": job.log, "judge": out[-2000:], "checker": res.stderr[-1000:], "status": res.status}
            if res.status != "ok" and res.status != "error":
                job.verdict = Verdict.fail(_status_reason(res, "the judge"), job.proof[:2000], **details)
            elif res.exit_code == CHECKER_REFUSED:
                job.verdict = Verdict.fail(f"checker: coqchk refused the compiled proof: {_checker_error(res.stderr)}",
                                           job.proof[:2000], **details)
            elif res.exit_code != 0:
                job.verdict = Verdict.fail(f"wrong-theorem: the proved constant does not have the stated type: "
                                           f"{_first_error(out)}", job.proof[:2000], **details)
            elif out != CLOSED:
                job.verdict = Verdict.fail(f"assumptions: the proof is not closed: {' '.join(out.split())[:200]}",
                                           job.proof[:2000], **details)
            else:
                job.verdict = Verdict(True, 1.0, "proved: checked by coqc, closed under the global context",
                                      job.proof[:2000], details)

    # -- statements (conjectures) -----------------------------------------------------------------
    def check_statements(self, statements: Sequence[str], imports: Sequence[str] = DEFAULT_IMPORTS,
                         premises: Sequence[str] = ()) -> list[str | None]:
        """For each statement: None when it parses and type-checks as a proposition (``Prop``) with
        ``imports``, else the reason it is refused; with ``premises`` (statements known to be true,
        e.g. proved theorems), one that follows from them by first-order logic and rewriting alone
        (:func:`derive_tactic`) is refused too,
        with a reason that starts with ``derivative:``. One sandbox run each, all at once; a statement whose
        attempt runs out of time (:data:`DERIVE_TIMEOUT_S`: a busy machine slows coqc) is tried once more with
        :data:`DERIVE_RETRY_S`, and refused when it runs out again: it is not known to be new."""
        ref = CoqReference.coerce({"statement": "True", "imports": list(imports)})
        out: list[str | None] = [None] * len(statements)
        todo: list[tuple[int, str]] = []
        for i, s in enumerate(statements):
            try:
                todo.append((i, clean_statement(s)))
            except ProofRejected as e:
                out[i] = str(e)
        if todo and not coq_available():
            return [NO_COQ if r is None else r for r in out]
        if todo:
            _ensure_language()
            premises = [clean_statement(p) for p in premises]
            late = self._check_some(todo, ref, premises, DERIVE_TIMEOUT_S, out)
            if late:  # ran out of time (a busy machine): once more with a longer limit, then refused
                for i in self._check_some(late, ref, premises, DERIVE_RETRY_S, out):
                    out[i] = (f"derivative: whether it follows from known theorems was not settled within "
                              f"{DERIVE_RETRY_S} s; not known to be new, so refused")
        return out

    def _check_some(self, todo: list[tuple[int, str]], ref: CoqReference, premises: list[str], timeout_s: int,
                    out: list[str | None]) -> list[tuple[int, str]]:
        """One sandbox run per statement of ``todo``, each verdict into ``out``; the statements whose
        derivation attempt ran out of time (their ``out`` left as is)."""
        from zeroplay.sandbox import Program

        programs = [Program(STATEMENT_SCRIPT, language=LANGUAGE_NAME,
                            files={"Stmt.v": statement_file(ref, s, premises, timeout_s),
                                   "zp_findlib.conf": FINDLIB_CONF}) for _, s in todo]
        late = []
        for (i, s), res in zip(todo, self.sandbox().run_many(programs)):
            lines = res.stdout.splitlines()
            if res.status not in ("ok", "error"):
                out[i] = _status_reason(res, "type-checking the statement")
            elif res.exit_code == 0 and DERIVED in lines:
                out[i] = ("derivative: it follows from known theorems by first-order logic and rewriting "
                          "(firstorder proves it from them, as it is, flipped or rewritten with them)")
            elif res.exit_code != 0 and premises and "Error: Timeout!" in lines:  # only the attempt has a limit
                late.append((i, s))
            elif res.exit_code != 0:
                out[i] = f"ill-typed: {_first_error(res.stdout)}"
            elif premises and NOT_DERIVED not in lines:
                out[i] = "derivative: the check that it does not follow from known theorems gave no answer"
        return late


def _reference(reference: Any) -> tuple[CoqReference, str]:
    """The reference and its checked statement; a bad reference is the caller's error: it raises."""
    ref = CoqReference.coerce(reference)
    try:
        return ref, clean_statement(ref.statement)
    except ProofRejected as e:
        raise ConfigError(f"coq reference statement refused: {e}") from None


def _read_vo(stdout: str, token: str) -> bytes | None:
    """The compiled library between the run's token markers (None when absent or malformed)."""
    parts = stdout.strip().split(" ")
    if len(parts) != 3 or parts[0] != token or parts[2] != token:
        return None
    try:
        return base64.b64decode(parts[1], validate=True)
    except ValueError:
        return None


def _checker_error(log: str) -> str:
    """coqchk's ``Fatal Error`` line, on one line."""
    text = " ".join(log.split())
    at = text.find("Fatal Error:")
    return (text[at + 12:] if at >= 0 else text)[:200].strip() or "coqchk failed"


def _first_error(log: str) -> str:
    """The first ``Error:`` of a Coq log, on one line."""
    text = " ".join(log.split())
    at = text.find("Error:")
    return (text[at + 6:] if at >= 0 else text)[:200].strip() or "coqc failed"
