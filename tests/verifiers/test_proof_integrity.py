"""Integrity of the Coq proof checks: a policy under RL is an attacker searching for a "proved" verdict
(or an accepted conjecture) it did not earn. Every attack here proves nothing honestly; none may pass.

Each attack runs both ways where it matters: through the host filter (refused before Coq runs) and,
without it, through the sandbox checks alone (``verify_unfiltered``: compile, then the judge's type
check, ``Print Assumptions`` and ``coqchk``), so each layer holds by itself. Attacks run in one
batch per layer (one sandbox round each).

Holes this campaign found, each a test below, all closed:

- a functor applied while guard or universe checking is off, through a ``Parameter Inline``, makes
  ``Print Assumptions`` say "Closed under the global context" of a proof of ``1 = 2`` (Coq issues
  #12155, #16646, #22366, open in 8.16). The judge now also runs ``coqchk`` on the library, which
  refuses it. (The host filter refused ``Module``/``Unset`` already; the sandbox layer did not.)
"""

from __future__ import annotations

import random
import string

import pytest

from zeroplay.envs.proof.env import CoqConjectureEnv, builtin_seeds
from zeroplay.verifiers.proof import (CLOSED, MAX_STATEMENT_CHARS, CoqVerifier, ProofRejected, _read_vo, clean_proof,
                                      clean_statement, coq_available, parse_conjecture)

needs_coq = pytest.mark.skipif(not coq_available(),
                               reason="coqc/coqchk are not installed (apt-get install coq; setup.sh --languages)")

FALSE = "1 = 2"
ADD0 = "forall n : nat, n + 0 = n"

#: Coq issue #22366: an unguarded fixpoint passed through a functor applied with guard checking off.
FUNCTOR_GUARD = """Abort.
Module Type Sig. Parameter Inline T : (nat -> False). End Sig.
Module F (S : Sig). Definition loop : nat -> False := S.T. End F.
Module X. Local Unset Guard Checking. Fixpoint T (n : nat) : False := T (S n). End X.
Unset Guard Checking. Module M := F X. Set Guard Checking.
Theorem zp_goal : 1 = 2. destruct (M.loop 0)."""
#: Coq issue #12155: Hurkens' paradox typed with universe checking off, passed through a functor.
FUNCTOR_UNIVERSES = """Abort.
Require Import Coq.Logic.Hurkens.
Module Type Sig. Parameter Inline bad : False. End Sig.
Module T1. Unset Universe Checking. Definition bad := PropNeqType.paradox eq_refl. Set Universe Checking. End T1.
Module T2 (F : Sig). Definition bad := F.bad. End T2.
Module T3 := T2 T1.
Theorem zp_goal : 1 = 2. destruct T3.bad."""

#: Attacks on the sandbox layer alone: (name, proof text between our Proof. and Qed., statement, reasons allowed).
UNFILTERED = [
    ("functor-guard-flag", FUNCTOR_GUARD, FALSE, ("checker",)),
    ("functor-universe-flag", FUNCTOR_UNIVERSES, FALSE, ("checker",)),
    ("attribute-bypass-guard", "Abort. #[bypass_check(guard)] Fixpoint f (n : nat) : False := f n. "
                               "Theorem zp_goal : 1 = 2. destruct (f 0).", FALSE, ("assumptions",)),
    ("attribute-bypass-universes", "Abort. Require Import Coq.Logic.Hurkens. #[bypass_check(universes)] "
                                   "Definition bad : False := PropNeqType.paradox eq_refl. "
                                   "Theorem zp_goal : 1 = 2. destruct bad.", FALSE, ("assumptions",)),
    ("declared-module-axiom", "Abort. Module Type T. Axiom c : False. End T. Declare Module X : T. "
                              "Theorem zp_goal : 1 = 2. destruct X.c.", FALSE, ("assumptions",)),
    ("redefined-False", "Abort. Inductive False := fake. Theorem zp_goal : False. exact fake.", "False",
     ("wrong-theorem",)),
    ("shadow-Zp-Cand-path", "Abort. Module Zp. Module Cand. Axiom zp_goal : 1 = 2. End Cand. End Zp. "
                            "Theorem zp_goal : 1 = 2. exact Zp.Cand.zp_goal.", FALSE, ("assumptions",)),
    ("shadow-zp_check", "Abort. Axiom cheat : 1 = 2. Definition zp_check : 1 = 2 := cheat. "
                        "Theorem zp_goal : 1 = 2. exact zp_check.", FALSE, ("assumptions",)),
    ("numerals-redefined", "Abort. Definition one (u : Number.uint) : option nat := Some 1. "
                           "Definition none (n : nat) : option Number.uint := None. "
                           "Number Notation nat one none : nat_scope. Theorem zp_goal : 1 = 2. reflexivity.",
     FALSE, ("wrong-theorem",)),
    ("global-scope-notation", "Abort. Declare Scope evil. Notation \"x = y\" := (@eq nat x x) : evil. "
                              "Global Open Scope evil. Theorem zp_goal : 1 = 2. reflexivity.", FALSE,
     ("wrong-theorem", "coq-error")),
    ("global-silent-hides-axioms", "Abort. Global Set Silent. Axiom cheat : 1 = 2. "
                                   "Theorem zp_goal : 1 = 2. exact cheat.", FALSE, ("assumptions",)),
    ("program-admit-obligations", "Abort. Program Definition zp_goal : 1 = 2 := _. Admit Obligations. "
                                  "Goal True.", FALSE, ("assumptions", "coq-error")),
    ("register-fake-bool", "Abort. Inductive B := BF | BT. Register B as kernel.ind_bool. "
                           "Theorem zp_goal : 1 = 2.", FALSE, ("coq-error",)),
    ("reset-initial", "Abort All. Reset Initial. Theorem zp_goal : 1 = 2. Admitted. Goal True.", FALSE,
     ("assumptions", "coq-error")),
]


@pytest.fixture(scope="module")
def coq():
    v = CoqVerifier(timeout_s=8.0)
    yield v
    v.close()


# -- the host filter: every attack above, and tricks aimed at the filter itself ----------------------
@pytest.mark.parametrize("name, proof", [(name, proof) for name, proof, _, _ in UNFILTERED])
def test_the_filter_refuses_every_sandbox_attack(name, proof):
    with pytest.raises(ProofRejected):
        clean_proof(proof)


@pytest.mark.parametrize("proof, why", [
    ("Abort All.", "'Abort'"),
    ("Reset Initial. lia.", "'Reset'"),
    ("Back 2. lia.", "'Back'"),
    ("Variant B := c. exact I.", "'Variant'"),                     # vernacular no word list names: not a tactic
    ("SubClass S := nat. lia.", "'SubClass'"),
    ("Create HintDb h. auto.", "'Create'"),
    ("idtac.(* x *)Quit.", "'Quit'"),                               # a comment is a blank: a new sentence
    ("#[bypass_check(guard)] lia.", "not-a-tactic"),               # attributes start no tactic
    ("#[local] Unset Guard Checking. lia.", "not-a-tactic"),
    ("Notation cheat := I. exact cheat.", "'Notation'"),
    ("Ltac2 t () := (). lia.", "'Ltac2'"),
    ("Program Definition x : False := _. Next Obligation. Admit Obligations.", "'Program'"),
    ("Universe u. lia.", "'Universe'"),
    ("Register bool as kernel.ind_bool. lia.", "'Register'"),
    ("Primitive i := #int63_type. lia.", "'Primitive'"),
    ("Declare Module X : T. lia.", "'Declare'"),
    ("Global Set Silent. lia.", "'Global'"),
    ("intros. change_no_check (1 = 1). reflexivity.", "'change_no_check'"),
    ("exact ltac:(give_up).", "'give_up'"),
    ("[zp_goal]: Abort.", "'Abort'"),
    ("{Abort.", "'Abort'"),
    ("1 - 2: Admitted.", "'Admitted'"),
    ("intros.\rAdmitted.", "'Admitted'"),
    ("intros.\u2028Admitted.", "non-ascii"),                        # a line separator
    ("intros. \u0410dmitted.", "non-ascii"),                        # a Cyrillic A
    ("intros\uff0e Admitted.", "non-ascii"),                        # a full-width period
    ("intros.\x00Abort.", "non-ascii"),
    ("intros.\x0bAbort.", "non-ascii"),                             # vertical tab: a blank to some readers
    ("intros.\x0cAbort.", "non-ascii"),                             # form feed
    ("intros. exact (I\u200b).", "non-ascii"),                      # zero-width space
])
def test_the_filter_refuses_tricks_aimed_at_it(proof, why):
    with pytest.raises(ProofRejected, match=why):
        clean_proof(proof)


def test_the_filter_is_quick_and_total_on_fuzzed_text():
    """Random printable text and control bytes (bounded sizes): a ProofRejected or a body, never another
    exception; a body never names a word that starts vernacular."""
    rng = random.Random(3)
    alphabet = string.printable + "\u2028\u00a0\x00\uff0e\u0410"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        try:
            body = clean_proof(text)
        except ProofRejected:
            continue
        assert all(w not in body.split() for w in ("Abort", "Qed", "Admitted", "Axiom"))


# -- the sandbox layer alone ------------------------------------------------------------------------
@needs_coq
def test_the_sandbox_checks_alone_refuse_every_attack(coq):
    verdicts = coq.verify_unfiltered([proof for _, proof, _, _ in UNFILTERED],
                                     [statement for _, _, statement, _ in UNFILTERED])
    for (name, _, _, reasons), v in zip(UNFILTERED, verdicts):
        assert not v.correct and v.score == 0.0, (name, v.reason)
        assert v.reason.startswith(reasons), (name, v.reason)
    by_name = {name: v for (name, _, _, _), v in zip(UNFILTERED, verdicts)}
    for name in ("functor-guard-flag", "functor-universe-flag"):
        # Print Assumptions alone is fooled (what got through before coqchk); coqchk is not
        assert by_name[name].details["judge"] == CLOSED, (name, by_name[name].details)
        assert "Fatal Error" in by_name[name].details["checker"]


@needs_coq
def test_an_honest_proof_passes_coqchk_too(coq):
    """The checker is no stricter than it must be: honest proofs (induction, lia, a small vm_compute, an
    abstracted lemma) pass the whole judge, so the attacks above fail for what they are."""
    proofs = ["intros n. induction n; simpl; auto.", "intros n; lia.",
              "intros n. assert (H : Nat.iter 50 (fun x => x + 50) 0 = 2500) by (vm_compute; reflexivity). lia.",
              "intros n. abstract lia."]
    verdicts = coq.verify_batch(proofs, [ADD0] * len(proofs))
    assert [(v.correct, v.reason) for v in verdicts] == [(True, verdicts[0].reason)] * len(proofs)
    assert all(v.details["judge"] == CLOSED for v in verdicts)


# -- the compile run's result channel ----------------------------------------------------------------
def test_the_compiled_library_is_read_only_between_this_runs_markers():
    token = "ZPVO" + "ab" * 12
    good = f"{token} QUJD {token}\n"
    assert _read_vo(good, token) == b"ABC"
    forged = [
        f"{token} QUJD {token}\n{token} WFla {token}\n",       # a second library after the first
        f"ZPVO{'00' * 12} QUJD ZPVO{'00' * 12}\n",              # another run's (or a guessed) marker
        f"{token}  QUJD {token}",                               # doubled blank
        f"{token} QU\nJD {token}",                              # a line break inside
        f"{token} QU*D {token}",                                # not base64
        f"{token} QUJD\x00 {token}",
        f"{token} {token}",
        "",
        f"{token} " + "Q" * 10 + f" {token} {token}",
    ]
    assert [_read_vo(s, token) for s in forged] == [None] * len(forged)


@needs_coq
def test_what_the_proof_prints_while_compiling_never_reaches_the_result_channel(coq):
    """Compile output that imitates the markers and the judge's line (strings: the sandbox layer alone)
    still needs a real proof: the marker is fresh per job and the compile log goes to stderr."""
    spoof = ('idtac "ZPVO000000000000000000000000 QUJD ZPVO000000000000000000000000". '
             'do 50 (idtac "Closed under the global context"). exact I.')
    (v,) = coq.verify_unfiltered([spoof], [FALSE])
    assert not v.correct and v.reason.startswith("coq-error"), v.reason
    (ok,) = coq.verify_batch(["intros n. let t := constr:(n + 0) in idtac t. induction n; simpl; auto."], [ADD0])
    assert ok.correct, ok.reason  # printing is harmless: a real proof that prints still passes


# -- resources: every run ends at a limit with a clear reason -----------------------------------------
@needs_coq
def test_resource_attacks_end_at_a_limit_with_a_reason():
    v = CoqVerifier(timeout_s=4.0, memory_mb=1024)
    try:
        verdicts = v.verify_batch([
            "intros n. let x := eval vm_compute in (Nat.iter 300000 S 0) in assert (H : x = x) by reflexivity. lia.",
            "intros n. do 30000 (assert True by (abstract exact I)). lia.",             # a library of many lemmas
            "intros n. match goal with H : nat |- _ => do 100000 (idtac H) end. lia.",  # a flood into the log
            "intros n. assert (H : Nat.pow 10 9 = Nat.pow 10 9 + 0) by reflexivity. lia.",  # a huge unary number
        ], [ADD0] * 4)
    finally:
        v.close()
    for verdict in verdicts:
        assert verdict.reason.split(":")[0] in ("timeout", "memory", "output_limit", "coq-error", "proved", "checker")
        assert len(verdict.reason) < 400
    assert not verdicts[0].correct and not verdicts[3].correct  # measured: stack overflow; timeout


# -- conjectures: a statement that makes proving trivial, or smuggles commands -----------------------
@pytest.mark.parametrize("text, why", [
    ("Theorem c : True.Axiom a : False.", "forbidden"),
    ("Theorem c : True. Proof. exact I. Qed. Axiom a : False.", "trailing-text"),
    ("Theorem c : 1 = 1) -> (False.", "unbalanced"),
    ("Theorem c : forall n : nat,\u2028n = n.", "non-ascii"),
    ("Theorem c : ltac:(exact True).", "forbidden"),
    ("Theorem c : True (* x *).", "comment"),
    ("Theorem c (n : nat) : n = n.", "binders"),
    ("Theorem c : " + "True /\\ " * (MAX_STATEMENT_CHARS // 8) + "True.", "oversized-input"),
])
def test_conjectures_that_smuggle_text_are_refused_before_coq(text, why):
    with pytest.raises(ProofRejected, match=why):
        parse_conjecture(text)


@needs_coq
def test_conjectures_that_are_not_propositions_are_refused():
    env = CoqConjectureEnv()
    try:
        infos = env.validate_batch([
            "Theorem c : True := I.",                          # a body after the statement
            "Theorem c : nat.",                                # a type with inhabitants, not a Prop
            "Theorem c : Type.",
            "Theorem c : Prop.",
            "Theorem c : zp_statement.",                       # the checker's own names
            "Theorem c : Zp.Cand.zp_goal = Zp.Cand.zp_goal.",
            "Theorem c : True with d : False.",                # a mutual theorem
            None, b"\xff\xfe", 17,
        ])
    finally:
        env.close()
    assert [i["stage"] for i in infos] == ["typecheck"] * 7 + ["parse"] * 3, infos
    assert all(i["error"] and "task" not in i for i in infos)


def test_statements_never_raise_on_hostile_text():
    rng = random.Random(5)
    for _ in range(500):
        text = "".join(rng.choice("()=.:,;* x\n\t\"\u2028_ATheorem") for _ in range(rng.randint(0, 80)))
        try:
            clean_statement(text)
            parse_conjecture(text)
        except ProofRejected:
            pass
    assert builtin_seeds()  # the seeds themselves read as statements
    assert all(clean_statement(s.statement) for s in builtin_seeds())
