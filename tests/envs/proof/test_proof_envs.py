"""The Coq envs: every seed theorem's proof is checked by coqc; the prove env scores proofs; the
conjecture env accepts a statement only when it parses, is new and type-checks."""

from __future__ import annotations

import pytest

import zeroplay as zp
from zeroplay.envs.proof.env import STAGES, CoqConjectureEnv, CoqProveEnv, builtin_seeds, theorem_task
from zeroplay.verifiers.proof import CoqVerifier, coq_available

needs_coq = pytest.mark.skipif(not coq_available(),
                               reason="coqc is not installed (apt-get install coq; setup.sh --languages)")


def test_ids_are_registered():
    assert {"zeroplay/CoqProve-v0", "zeroplay/CoqConjecture-v0"} <= set(zp.registered())


def test_seeds_cover_nat_bool_and_lists():
    seeds = builtin_seeds()
    assert len(seeds) >= 20 and len({s.id for s in seeds}) == len(seeds)
    assert {s.topic for s in seeds} == {"nat", "bool", "list"}
    assert len({s.statement for s in seeds}) == len(seeds)


@needs_coq
def test_every_seed_proof_is_checked_by_coqc():
    v = CoqVerifier()
    try:
        verdicts = v.verify_batch([s.proof for s in builtin_seeds()], [s.statement for s in builtin_seeds()])
    finally:
        v.close()
    assert [(s.id, x.reason) for s, x in zip(builtin_seeds(), verdicts) if not x.correct] == []


@needs_coq
def test_prove_env_rewards_a_checked_proof_only():
    env = CoqProveEnv()
    seed = builtin_seeds()[0]
    obs, info = env.reset(seed=0, options={"task": seed.to_task()})
    assert f"Theorem goal : {seed.statement}." in obs and info["task"].verifier == "coq"
    _, reward, terminated, _, info = env.step(f"```coq\nProof.\n{seed.proof}\nQed.\n```")
    assert terminated and reward == 1.0 and info["verdict"].correct
    env.reset(seed=0, options={"task": seed.to_task()})
    _, reward, _, _, info = env.step("intros n. Admitted.")
    assert reward == 0.0 and "Admitted" in info["verdict"].reason
    env.close()


def test_conjecture_env_shows_a_seed_and_is_deterministic():
    env = CoqConjectureEnv()
    a, info = env.reset(seed=3)
    b, _ = env.reset(seed=3)
    assert a == b and f"Theorem seed : {info['seed_theorem'].statement}." in a


@needs_coq
def test_conjectures_go_through_every_stage():
    env = CoqConjectureEnv()
    infos = env.validate_batch([
        "```coq\nTheorem conjecture : forall n : nat, n * 1 = n.\n```",        # valid
        "Theorem c : forall n : nat, n * 1 = n.",                              # repeat within the batch
        f"Theorem c : {builtin_seeds()[0].statement}.",                        # a seed
        "Theorem c : forall n : nat, n + true = n.",                           # ill-typed
        "Theorem c : forall n : nat, n = n. Axiom cheat : False.",             # a second command
        "every number is even",                                                # prose
        "Theorem c : forall n : nat, S n = 0.",                                # false, but a valid statement
        "Theorem c : True -> forall n : nat, n + 0 = n.",                      # a seed by logic alone
    ])
    assert [i["stage"] for i in infos] == [None, "duplicate", "duplicate", "typecheck", "parse", "parse", None,
                                           "derivative"]
    assert set(i["stage"] for i in infos if i["stage"]) == set(STAGES)
    task = infos[0]["task"]
    assert task.reference == theorem_task("forall n : nat, n * 1 = n").reference and task.verifier == "coq"
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("Theorem c : forall n : nat, n * 1 = n.")
    assert info["stage"] == "duplicate" and reward == -1.0 and terminated  # accepted statements become known
    env.close()


#: Rewrites of the seed ``forall n m : nat, n + m = m + n`` (a policy farming a hard theorem's reward) and
#: of ``forall n : nat, n + 0 = n``: each follows from a seed by logic, instances or congruence alone.
TRIVIAL_REWRITES = [
    "True -> forall n m : nat, n + m = m + n",
    "(forall n m : nat, n + m = m + n) /\\ True",
    "True /\\ (forall n m : nat, n + m = m + n)",
    "~ ~ (forall n m : nat, n + m = m + n)",
    "(forall n m : nat, n + m = m + n) \\/ False",
    "forall a b : nat, b + a = a + b",
    "forall a b c : nat, (a + c) + b = b + (a + c)",
    "forall n : nat, S (n + 0) = S n",
    "7 + 0 = 7",
    "forall n : nat, 0 = 0 -> n + 0 = n",
    "forall n m : nat, (n + m = m + n) /\\ (n + 0 = n)",
    # rewriting with the seeds (a red team's: each proved by the seed's own proof, or one tactic more)
    "forall n : nat, n + 0 + 0 = n",
    "forall l : list nat, rev (rev l) ++ [] = l",
    "forall l : list nat, length (rev (rev l)) = length l",
    "forall l : list nat, l = rev (rev l)",
    "forall l1 l2 : list nat, length l1 + length l2 = length (l1 ++ l2)",
    "forall b : bool, b = negb (negb b)",
    "forall n : nat, Nat.even (n + n + 0) = true",
    # a second round: rewriting more than twice, and inside the conjecture's own hypotheses
    "forall n : nat, n + 0 + 0 + 0 + 0 = n",
    "forall n m : nat, n + 0 = m -> m = n",
    "forall a b c d : nat, a + (b + (c + d)) = a + b + c + d",
    # existentials whose witness does not matter
    "exists u : unit, forall n m : nat, n + m = m + n",
    "exists k : nat, forall n : nat, n + 0 = n",
    "exists b : bool, forall l : list nat, rev (rev l) = l",
]


@needs_coq
def test_a_conjecture_that_follows_from_known_theorems_by_logic_alone_is_refused():
    env = CoqConjectureEnv()
    infos = env.validate_batch([f"Theorem c : {s}." for s in TRIVIAL_REWRITES])
    assert [i["stage"] for i in infos] == ["derivative"] * len(TRIVIAL_REWRITES), infos
    assert infos[0]["error"].startswith("derivative: it follows from known theorems")
    # new statements of the same topics are not (induction or arithmetic beyond the seeds is needed)
    from zeroplay.envs.proof.scripted import RELATED

    related = [s for group in RELATED.values() for s in group]
    assert [i["stage"] for i in env.validate_batch([f"Theorem c : {s}." for s in related])] == [None] * len(related)
    # a proved theorem becomes a premise; an accepted one that nobody proved (here false) does not
    env.add_theorems(["forall n : nat, n * 1 = n"])
    infos = env.validate_batch(["Theorem c : forall n : nat, True /\\ n * 1 = n.",
                                "Theorem c : forall n : nat, S n = 0.", "Theorem c : forall n : nat, S (S n) = 0."])
    assert [i["stage"] for i in infos] == ["derivative", None, None]
    env.close()


def test_the_premises_of_a_check_are_the_known_theorems_closest_to_it():
    """A red team's: a theorem proved before 42 others left the window of the latest and came back as new,
    written with a pair of brackets or behind ``True ->``."""
    from zeroplay.envs.proof.env import MAX_PREMISES

    env = CoqConjectureEnv()
    old = "forall n : nat, n * 2 = 2 * n"
    env.add_theorems([old, *(f"forall l : list nat, length (l ++ l) = {k} * length l" for k in range(100))])
    assert len(env.premises()) == MAX_PREMISES and old not in env.premises()  # the latest, when nothing is asked
    for asked in ("forall n : nat, (n * 2) = 2 * n", f"True -> {old}"):
        chosen = env.premises([asked])
        assert len(chosen) == MAX_PREMISES and old in chosen


@needs_coq
def test_a_known_theorem_restated_long_after_is_still_derivative():
    env = CoqConjectureEnv()
    old = "forall n : nat, n * 2 = 2 * n"
    env.add_theorems([old, *(f"forall n : nat, n * {k} = {k} * n" for k in range(3, 45))])
    infos = env.validate_batch([f"Theorem c : {s}." for s in ("forall n : nat, (n * 2) = 2 * n", f"True -> {old}")])
    assert [i["stage"] for i in infos] == ["derivative", "derivative"], infos
    env.close()


def test_renamed_or_respaced_copies_of_a_known_statement_are_duplicates():
    from zeroplay.envs.proof.env import normal_statement

    key = normal_statement("forall n : nat, n + 0 = n")
    assert normal_statement("forall   m:nat, m+0 = m") == key
    assert normal_statement("forall n : nat, 0 + n = n") != key
    two = normal_statement("forall (a b : nat) (l : list nat), length (a :: b :: l) = S (S (length l))")
    assert two == normal_statement("forall (x y : nat) (t : list nat), length (x :: y :: t) = S (S (length t))")
    assert normal_statement("forall n m : nat, n + m = m + n") != normal_statement("forall n m : nat, n + m = n + m")
