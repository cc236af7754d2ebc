"""The Coq proof verifier: real proofs checked by coqc in the sandbox; every way to fake one refused.

The policy is an attacker. Attacks are tested twice where it matters: against the host filter
(refused before Coq runs) and against the sandbox checks alone (``verify_unfiltered``: compile,
then the judge's type check and ``Print Assumptions`` in a fresh sandbox), so each layer holds by
itself. Every batch runs in one ``verify_batch`` call (all compile runs at once) to stay quick.
"""

from __future__ import annotations

import random

import pytest

from zeroplay import verifiers
from zeroplay.core.errors import ConfigError
from zeroplay.verifiers.proof import (FORBIDDEN, TACTICS, CoqVerifier, ProofRejected, clean_proof, clean_statement,
                                      coq_available, parse_conjecture, sentences, strip_comments)

needs_coq = pytest.mark.skipif(not coq_available(),
                               reason="coqc is not installed (apt-get install coq; setup.sh --languages)")

ADD0 = "forall n : nat, n + 0 = n"
FALSE = "1 = 2"


@pytest.fixture(scope="module")
def coq():
    v = CoqVerifier(timeout_s=8.0)
    yield v
    v.close()


def test_registered_by_name():
    assert "coq" in verifiers.registered()
    assert isinstance(verifiers.make("coq"), CoqVerifier)


# -- the host filter (no Coq needed) -------------------------------------------------------------
@pytest.mark.parametrize("proof, why", [
    ("admit.", "'admit'"),
    ("intros. Admitted.", "'Admitted'"),
    ("intros. give_up.", "'give_up'"),
    ("Abort. Theorem zp_goal : True. exact I.", "'Abort'"),
    ("Abort.\nAxiom cheat : False. destruct cheat.", "'Abort'"),
    ("exact cheat. Qed. Axiom cheat : False.", "'Qed'"),
    ("Unset Guard Checking. intros; lia.", "'Unset'"),
    ("Local Unset Guard Checking. lia.", "'Local'"),
    ("Require Import Coq.Logic.Classical. lia.", "'Require'"),
    ("Load Evil. lia.", "'Load'"),
    ("Declare ML Module coq-core.plugins.ltac. lia.", "'Declare'"),
    ("Fail reflexivity. lia.", "'Fail'"),
    ("Drop.", "'Drop'"),
    ("Redirect Judge Print nat. lia.", "'Redirect'"),
    ("Extraction Cand nat. lia.", "'Extraction'"),
    ("Timeout 1 lia.", "'Timeout'"),
    ("intros. lia. Defined. Print Assumptions zp_goal.", "'Defined'"),
    ("Proof using. lia.", "'Proof'"),
    ("intros; exact_no_check I.", "'exact_no_check'"),
    ("intros; native_compute; lia.", "'native_compute'"),
    ("- admit.", "'admit'"),
    ("all: admit.", "'admit'"),
    ("2: { Admitted. }", "'Admitted'"),
    ("auto.Admitted.", "'Admitted'"),            # no blank after the period: one word to our reader, refused anyway
    ("auto.(*x*)Admitted.", "'Admitted'"),       # a comment is a blank
    ("try (exact ltac:(admit)).", "'admit'"),
    ("Ltac t := admit. t.", "'Ltac'"),
    ("Goal True. exact I. Qed. lia.", "'Goal'"),
])
def test_the_filter_refuses_fakes_with_a_reason(proof, why):
    with pytest.raises(ProofRejected, match=why):
        clean_proof(proof)


@pytest.mark.parametrize("proof, reason", [
    ('idtac "Closed under the global context". lia.', "string-literal"),
    ("intros. (* unclosed lia.", "unclosed-comment"),
    ("intros. lia\u2024 Admitted.", "non-ascii"),
    ("", "no-proof"),
    ("Proof. Qed.", "no-proof"),
    ("x" * 9000, "oversized-input"),
    ("n + 0 = n.", "not-a-tactic"),
])
def test_the_filter_refuses_unreadable_text(proof, reason):
    with pytest.raises(ProofRejected, match=reason):
        clean_proof(proof)


def test_the_filter_keeps_bullets_braces_selectors_and_comments_out():
    body = clean_proof("Proof.\n(* (* nested *) *) intros n.\ninduction n as [|n IH].\n- reflexivity.\n"
                       "- simpl. { rewrite IH. reflexivity. }\nall: auto.\nQed.")
    assert "(*" not in body and "Proof" not in body and "Qed" not in body
    assert body.splitlines() == ["intros n.", "induction n as [|n IH].", "- reflexivity.", "- simpl.",
                                 "{ rewrite IH.", "reflexivity.", "}", "all: auto."]


def test_sentences_cut_like_coq():
    assert sentences("intros n. simpl.\tauto.\nQed.") == ["intros n", "simpl", "auto", "Qed"]
    assert sentences("apply Nat.add_comm. exact (x.(f)).") == ["apply Nat.add_comm", "exact (x.(f))"]
    assert strip_comments("a (* b (* c *) d *) e") == "a   e"


def test_filter_fuzz_accepts_only_tactic_sentences():
    """Hostile token soup: the filter either refuses (ProofRejected) or returns sentences that all
    start with an allowed tactic and name nothing forbidden."""
    rng = random.Random(0)
    atoms = ["intros", "Admitted", "admit", ".", ". ", " ", "\n", "(*", "*)", "-", "+", "*", "{", "}", "all:", "1:",
             "Abort", "Qed", "Proof", "lia", "auto", "Set", "Axiom", "(", ")", ";", "\t", "..", ". .", "Require", "x",
             "Theorem", ":", "True", "exact I", "\"", "\u00a0", "repeat", "ltac:(", "Fail", "Unset Guard Checking"]
    accepted = 0
    for _ in range(3000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 25)))
        try:
            body = clean_proof(text)
        except ProofRejected:
            continue
        accepted += 1
        for s in sentences(body):
            words = [w for w in s.replace("(", " ").replace(")", " ").replace(";", " ").split()]
            assert not any(w.strip(".:") in FORBIDDEN for w in words), (text, body)
    assert accepted > 10  # the soup sometimes makes a harmless proof: the check above was exercised


@pytest.mark.parametrize("statement, reason", [
    ("True. Axiom cheat : False", "two-sentences"),
    ("True (* x *)", "comment"),
    ("(True", "unbalanced"),
    ('"a" = "a"', "string-literal"),
    ("ltac:(exact True)", "forbidden"),
    ("", "empty-statement"),
    ("forall n : nat, n = n" + " " * 10 + "/\\ True" * 200, "oversized-input"),
])
def test_statements_are_one_proposition(statement, reason):
    with pytest.raises(ProofRejected, match=reason):
        clean_statement(statement)


def test_conjectures_parse_from_a_theorem_line():
    assert parse_conjecture("```coq\nTheorem mine : forall b : bool,\n  negb (negb b) = b.\n```") == \
        "forall b : bool, negb (negb b) = b"
    assert parse_conjecture("Lemma x : 0 = 0. Proof. Admitted.") == "0 = 0"
    for bad, why in [("forall n, n = n", "no-theorem"), ("Theorem t (n : nat) : n = n.", "binders"),
                     ("Theorem t : 0 = 0. Axiom a : False.", "trailing-text"), ("Theorem t : 0 = 0", "no-period"),
                     ("Theorem t : 0 = 0. Axiom f : False. Theorem u : 1 = 1.", "trailing-text")]:
        with pytest.raises(ProofRejected, match=why):
            parse_conjecture(bad)


def test_bad_references_are_the_callers_error():
    v = CoqVerifier()
    with pytest.raises(ConfigError, match="statement"):
        v.verify("lia.", 42)
    with pytest.raises(ConfigError, match="not allowed"):
        v.verify("lia.", {"statement": "True", "imports": ["Classical"]})
    with pytest.raises(ConfigError, match="refused"):
        v.verify("lia.", "True. Axiom a : False")


def test_tactic_list_is_lower_case_and_disjoint_from_forbidden():
    assert not TACTICS & FORBIDDEN
    assert all(t[0].islower() for t in TACTICS)


# -- real checking in the sandbox ------------------------------------------------------------------
@needs_coq
def test_correct_proofs_pass_and_wrong_ones_fail(coq):
    cases = [
        ("```coq\nProof.\nintros n. induction n as [|n IH]; simpl; auto.\nQed.\n```", ADD0, True, "proved"),
        ("intros n; lia.", ADD0, True, "proved"),
        ("intros b; destruct b; reflexivity.", "forall b : bool, negb (negb b) = b", True, "proved"),
        ("intros l. rewrite rev_involutive. reflexivity.", "forall l : list nat, rev (rev l) = l", True, "proved"),
        ("intros n. reflexivity.", ADD0, False, "coq-error"),           # unsolvable this way
        ("intros n. simpl.", ADD0, False, "coq-error"),                 # goals left: Qed refuses
        ("admit.", ADD0, False, "not-a-tactic"),
        ("intros n. Admitted.", ADD0, False, "not-a-tactic"),
    ]
    verdicts = coq.verify_batch([c[0] for c in cases], [c[1] for c in cases])
    for (proof, _, ok, reason), v in zip(cases, verdicts):
        assert v.correct is ok and v.score == float(ok), (proof, v.reason)
        assert v.reason.startswith(reason), (proof, v.reason)


@needs_coq
def test_the_sandbox_checks_alone_refuse_every_fake(coq):
    """Raw text between our ``Proof.`` and ``Qed.``, no host filter: the boundary by itself."""
    fakes = {
        "admit": "admit.",
        "give_up": "give_up.",
        "admitted": "Admitted.",
        "admitted-then-redefine": "Admitted. Theorem zp_other : True. exact I.",
        "abort-then-same-name-other-statement": "Abort. Theorem zp_goal : True. exact I.",
        "abort-then-axiom": "Abort. Axiom cheat : False. Theorem zp_goal : 1 = 2. destruct cheat.",
        "parameter": "Abort. Parameter cheat : 1 = 2. Theorem zp_goal : 1 = 2. exact cheat.",
        "hypothesis-outside-section": "Abort. Hypothesis cheat : False. Theorem zp_goal : 1 = 2. destruct cheat.",
        "guard-off": ("Abort. Unset Guard Checking. Fixpoint f (n : nat) : False := f n. "
                      "Theorem zp_goal : 1 = 2. destruct (f 0)."),
        "local-guard-off": ("Abort. Local Unset Guard Checking. Fixpoint f (n : nat) : False := f n. "
                            "Theorem zp_goal : 1 = 2. destruct (f 0)."),
        "positivity-off": ("Abort. Unset Positivity Checking. Inductive B := c : (B -> False) -> B. "
                           "Definition nb (b : B) : False := match b with c h => h b end. "
                           "Theorem zp_goal : 1 = 2. destruct (nb (c nb))."),
        "print-spoof": ('Abort. Axiom cheat : False. Goal True. idtac "Closed under the global context". exact I. '
                        "Qed. Theorem zp_goal : 1 = 2. destruct cheat."),
        "extraction-clobbers-files": ('Abort. Axiom cheat : False. Require Extraction. Extraction "Judge.v" nat. '
                                      'Extraction "Cand.vo" nat. Theorem zp_goal : 1 = 2. destruct cheat.'),
        "redirect": 'Abort. Axiom cheat : False. Redirect "Judge" Print nat. Theorem zp_goal : 1 = 2. destruct cheat.',
        "require-load": 'Abort. Load "Judge". Require Import Coq.Logic.Classical. exact I.',
        "drop": "Drop.",
        "fail-qed": "Fail Qed. Admitted.",
        "module-shadow": "Abort. Module Cand. Theorem zp_goal : True. exact I. Qed. End Cand. Goal True. exact I.",
    }
    verdicts = coq.verify_unfiltered(list(fakes.values()), [FALSE] * len(fakes))
    for name, v in zip(fakes, verdicts):
        assert not v.correct and v.score == 0.0, (name, v.reason)
    by_name = dict(zip(fakes, verdicts))
    for name in ("abort-then-axiom", "parameter", "guard-off", "local-guard-off", "print-spoof", "redirect",
                 "extraction-clobbers-files"):
        assert by_name[name].reason.startswith("assumptions"), (name, by_name[name].reason)
    assert by_name["abort-then-same-name-other-statement"].reason.startswith("wrong-theorem")
    assert "Closed under" not in by_name["print-spoof"].details["judge"]


@needs_coq
def test_a_closed_proof_passes_the_sandbox_checks_alone(coq):
    """The unfiltered path is no stricter than it must be: a real proof passes it (so the fakes above
    fail for what they are, not for going through this path)."""
    (v,) = coq.verify_unfiltered(["intros n. induction n; simpl; auto."], [ADD0])
    assert v.correct and v.details["judge"] == "Closed under the global context"


@needs_coq
def test_looping_proofs_stop_at_the_limit():
    v = CoqVerifier(timeout_s=3.0)
    try:
        verdicts = v.verify_batch(["intros n. repeat (assert True by exact I).",
                                   "intros n. assert (H : Nat.iter 1000 (fun _ => Nat.iter 1000 (fun _ => "
                                   "Nat.iter 1000 S 0) 0) 0 = 0) by (vm_compute; reflexivity). lia."],
                                  [ADD0, ADD0])
    finally:
        v.close()
    assert verdicts[0].reason.startswith("timeout"), verdicts[0].reason
    assert verdicts[1].reason.startswith("timeout"), verdicts[1].reason  # a deep computation, small memory


@needs_coq
def test_statements_are_accepted_only_when_they_type_check(coq):
    reasons = coq.check_statements([ADD0, "forall l : list nat, length (rev l) = length l",
                                    "forall n : nat, n + true = n", "nat", "forall x, undefined_thing x",
                                    "True. Axiom a : False"])
    assert reasons[:2] == [None, None]
    assert reasons[2].startswith("ill-typed") and reasons[3].startswith("ill-typed")
    assert reasons[4].startswith("ill-typed") and reasons[5].startswith("two-sentences")


@needs_coq
def test_hostile_responses_never_raise(coq):
    rng = random.Random(1)
    junk = [None, b"intros n; lia.", 17, "```coq\n", "```\nintros.\n```" * 50, "\x00" * 100,
            "".join(chr(rng.randrange(32, 127)) for _ in range(400))]
    verdicts = coq.verify_batch(junk, [ADD0] * len(junk))
    assert [v.correct for v in verdicts] == [False, True, False, False, False, False, False]
