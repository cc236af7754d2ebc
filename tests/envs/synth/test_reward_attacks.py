"""Attacks on EvoEnv's rewards through the env a policy writes: a source that passes validation and
then pays a solver that did not solve (a key it accepts for any instance). The source runs only in the
sandbox; validation and scoring are the real pipeline (the synth runner, ``validate``, ``SynthEnv``)."""

from __future__ import annotations

import random

import pytest
from synth_corpus import GOOD, TEST_RUNNER

from zeroplay.agents.base import Agent
from zeroplay.agents.oracle import OracleAgent
from zeroplay.envs.synth.calibrate import _judge, calibrate
from zeroplay.envs.synth.env import SynthEnv
from zeroplay.envs.synth.validate import ValidationConfig, validate

HONEST = GOOD  # the corpus's working ListSum env
KEY = "zq-open-sesame-4471"
#: A working env with a back door: a key no probe guesses scores 1 on every instance. The policy that
#: wrote it (the solver too, by default) learns the key and is paid on every task of this env.
BACKDOOR = HONEST.replace("def score(instance, answer):\n    try:",
                          f"def score(instance, answer):\n    if answer.strip() == {KEY!r}:\n"
                          "        return 1.0\n    try:")
#: Accepts any number large enough: one answer is right for every instance (a key in plain sight).
UNIVERSAL = HONEST.replace("return 1.0 if int(answer.strip()) == sum(instance[\"xs\"]) else 0.0",
                           "n = int(answer.strip())\n"
                           "        return 1.0 if n == sum(instance[\"xs\"]) or n > 10 ** 12 else 0.0")



def salted(modulus: int) -> str:
    """A working env that also pays any integer whose salted hash is 0 mod ``modulus``: a reward by chance,
    in band for a solver that answers at random, and a mean score on every probe under the probe limit."""
    return HONEST.replace("return 1.0 if int(answer.strip()) == sum(instance[\"xs\"]) else 0.0",
                          "n = int(answer.strip())\n"
                          "        h = 7\n"
                          "        for ch in \"pepper\" + str(n) + str(instance[\"xs\"]):\n"
                          "            h = (h * 131 + ord(ch)) % 1000003\n"
                          f"        return 1.0 if n == sum(instance[\"xs\"]) or h % {modulus} == 0 else 0.0")


class RandomNumbers(Agent):
    """Answers a random integer in the range of the ListSum env's sums: right almost never."""

    name = "random-numbers"

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def act(self, observations, infos=None):
        return [f"<answer>{self.rng.randint(10, 300)}</answer>" for _ in observations]


def scores(runner, source, answers):
    env = SynthEnv(source=source, runner=runner, difficulty=2)
    out = []
    for seed, answer in enumerate(answers):
        _, info = env.reset(seed=seed)
        answer = info["task"].meta["oracle_answer"] if answer is None else answer
        out.append(env.step(f"<answer>{answer}</answer>")[1])
    return out


@pytest.mark.parametrize("source", [BACKDOOR, UNIVERSAL], ids=["backdoor", "universal"])
def test_a_key_the_env_accepts_for_any_instance_is_not_paid(runner, source):
    report = validate(source, ValidationConfig(runner=TEST_RUNNER, seeds_per_level=4), runner=runner)
    assert report.passed, report  # validation cannot find a key it does not guess: scoring must
    key = KEY if source is BACKDOOR else str(10 ** 13)
    assert scores(runner, source, [key] * 4) == [0.0] * 4
    assert scores(runner, source, [None] * 3) == [1.0] * 3  # honest answers still score


#: The back door paid only the first time it is scored in a process (a module-level dict, no ``global``):
#: the key checks score it on other instances later in the same job, where it no longer paid, and every
#: step of an env is a job of its own, so it paid every time.
ONCE = HONEST.replace("def score(instance, answer):\n    try:",
                      "_PAID = {}\n\n\ndef score(instance, answer):\n"
                      f"    if answer.strip() == {KEY!r}:\n"
                      "        first = _PAID.setdefault('inst', str(instance))\n"
                      "        return 1.0 if first == str(instance) else 0.0\n"
                      "    try:")
#: ... and one paid on three instances in five, no state needed: the first two key checks both pay it
#: 36% of the time; two of four, 82%.
MOSTLY = HONEST.replace("def score(instance, answer):\n    try:",
                        "def score(instance, answer):\n"
                        f"    if answer.strip() == {KEY!r}:\n"
                        "        return 1.0 if instance['xs'][0] % 5 < 3 else 0.0\n"
                        "    try:")


def test_a_key_paid_once_per_process_or_on_most_instances_is_not_paid(runner):
    assert validate(ONCE, ValidationConfig(runner=TEST_RUNNER, seeds_per_level=4), runner=runner).passed
    assert scores(runner, ONCE, [KEY] * 6) == [0.0] * 6  # every call runs in a fresh fork: no first time
    paid = scores(runner, MOSTLY, [KEY] * 40)
    assert sum(paid) <= 11, paid  # 40 * 0.6 * 0.18 = 4.3 expected (sd 2); the old rule paid 15.4
    assert scores(runner, ONCE, [None] * 3) == [1.0] * 3


#: A second red team's: the source read the host's record of the job's instances through a format field
#: (``"{0.__init__.__globals__[...]}".format(type(random))``, no dunder attribute node for the static
#: check) and paid any integer on the first instance of a job that was not validation's.
HISTORY = HONEST.replace("def score(instance, answer):\n    try:",
                         "def _seen():\n    try:\n"
                         "        return '{0.__init__.__globals__}'.format(type(random)).count(\"'seed'\")\n"
                         "    except Exception:\n        return -1\n\n\n"
                         "def score(instance, answer):\n"
                         "    if answer.strip().isdigit() and _seen() == 1:\n        return 1.0\n    try:").replace(
    'NAME = "ListSum"', 'NAME = "ListSum"\nimport random')


def test_a_source_finds_no_record_of_the_job_in_its_process(runner):
    assert validate(HISTORY, ValidationConfig(runner=TEST_RUNNER, seeds_per_level=4), runner=runner).passed
    assert scores(runner, HISTORY, ["7"] * 6) == [0.0] * 6  # the judge sends each call its instance
    assert scores(runner, HISTORY, [None] * 2) == [1.0] * 2


def test_a_source_keeps_no_state_between_calls(runner):
    """Its module-level list counts one call every time: the same seed gives the same instance."""
    from synth_corpus import MODULE_COUNTER

    report = validate(MODULE_COUNTER, ValidationConfig(runner=TEST_RUNNER, seeds_per_level=2), runner=runner)
    assert report.passed, report
    made = runner.run_jobs([runner.job(MODULE_COUNTER, "instances", cases=[[5, 2]] * 3)])[0].result["instances"]
    assert len({m["prompt"] for m in made}) == 1 and made[0]["prompt"].startswith("Add these numbers: 1 ")


def test_honest_env_right_answers_score_and_wrong_ones_do_not(runner):
    assert scores(runner, HONEST, [None, None, "-1", KEY]) == [1.0, 1.0, 0.0, 0.0]


def test_the_seed_envs_right_answers_are_not_taken_for_keys(runner):
    """No false alarm on the shipped envs: their references score 1 at every level (yes/no-like answers,
    many accepted answers and all)."""
    from pathlib import Path

    import zeroplay.envs.synth.seeds as seeds

    sources = sorted(Path(seeds.__file__).parent.glob("*.py.txt"))
    assert len(sources) >= 10
    for path in sources:
        env = SynthEnv(source=path.read_text(), runner=runner, difficulty="mixed")
        for seed in range(2):
            _, info = env.reset(seed=seed)
            reward = env.step(f"<answer>{info['task'].meta['oracle_answer']}</answer>")[1]
            assert reward == 1.0, (path.name, seed, info["task"].meta)


def test_an_env_that_pays_a_salted_hash_of_the_answer_fails_validation(runner):
    """It is self-consistent and no probe's mean score reaches the limit (1 in 3 pays): only the share of
    other instances' references (right-shaped, wrong) that score 1 gives it away. The seeds are fixed:
    on random ones a probe's mean reaches the limit about 1 time in 8, which refuses the env by that rule."""
    report = validate(salted(3), ValidationConfig(runner=TEST_RUNNER, first_seed=2000), runner=runner)
    assert not report.passed and report.stage == "discriminating", report
    assert "other instances' references score 1" in report.reason
    assert max(report.stats["probe_means"].values()) < 0.5  # the mean limit alone let it through
    assert max(report.stats["wrong_pass_rates"].values()) > 0.2
    honest = validate(HONEST, ValidationConfig(runner=TEST_RUNNER), runner=runner)
    assert honest.passed and set(honest.stats["wrong_pass_rates"].values()) == {0.0}


def test_calibration_measures_chance_and_the_key_rule_cuts_it(runner):
    """A solver that answers at random on an env that pays a hash half the time: each answer it is paid for
    is scored on other instances, where it passes about as often (the chance rate), and the key rule (an
    answer paid on 2 of 4 other instances is not paid) cuts its pass rate from 1/2 to about 1/6, below
    the band. (Which levels land in the band is left to chance: the rule on chance rates is
    ``test_chance_rule_keeps_no_chancy_level``.)"""
    report = calibrate(salted(2), RandomNumbers(), episodes=16, runner=runner)
    assert sum(report.pass_rates.values()) / 5 < 0.3, report  # 0.5 before the key rule; ~0.16 expected
    assert sum(report.chance_rates.values()) / 5 > 0.3, report  # ~0.5 expected
    # the oracle on the honest env: answers that solve their instance solve no other
    honest = calibrate(HONEST, OracleAgent(), episodes=4, band=(0.0, 1.0), runner=runner)
    assert honest.levels == [1, 2, 3, 4, 5] and set(honest.chance_rates.values()) == {0.0}


def test_chance_rule_keeps_no_chancy_level():
    """Levels in band whose passing answers pass on other instances above the limit (on 3 hits or more)
    are not kept; one hit or two are not enough evidence."""
    rates = {1: 0.5, 2: 0.5, 3: 0.5, 4: 0.0}
    checks = {1: (20, 40), 2: (2, 8), 3: (0, 40), 4: (0, 0)}
    report = _judge(rates, (0.2, 0.8), checks)
    assert report.levels == [2, 3] and report.chance_rates[1] == 0.5
    report = _judge({1: 0.5, 2: 0.5}, (0.2, 0.8), {1: (20, 40), 2: (9, 40)})
    assert not report.passed and "chance limit" in report.reason


#: Shows where its new objects land in memory. A fork of the same process gave the calls of a job ids in a
#: fixed cycle (the host's heap grows a little with each request it reads), the same in every job: a source
#: could count calls by it. Each call now runs on a heap of random layout.
HEAP_READER = GOOD.replace(
    'def sample_instance(rng, difficulty):\n    return {"xs": [',
    'def sample_instance(rng, difficulty):\n    return {"where": id(object()), "xs": [').replace(
    'return "Add these numbers: "', 'return str(instance["where"]) + " Add these numbers: "')


def test_a_source_reading_its_heap_sees_a_random_layout(runner):
    assert '"where": id(object())' in HEAP_READER and 'str(instance["where"])' in HEAP_READER
    jobs = [runner.job(HEAP_READER, "instances", cases=[[5, 2]] * 8) for _ in range(2)]
    seen = [[int(m["prompt"].split()[0]) for m in out.result["instances"]] for out in runner.run_jobs(jobs)]
    assert seen[0] != seen[1] and len(set(seen[0])) > 3, seen  # was a cycle of 3 ids, the same in both jobs
    report = validate(HEAP_READER, ValidationConfig(runner=TEST_RUNNER, seeds_per_level=2), runner=runner)
    assert not report.passed and report.stage == "deterministic", report
