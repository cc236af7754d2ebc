"""UTRL: a test writer and a coder trained against each other (Lee et al. 2025, arXiv:2508.21107).

Each step draws ``problems_per_step`` problems from the bank (:mod:`zeroplay.envs.code.unit_tests`);
for each problem:

1. coder: ``coder_samples`` solutions (the coder prompt: signature, description, one example); the
   code is the answer's last fenced block, else the whole answer;
2. test writer: ``test_samples`` test suites (the test-writer prompt), each read by
   :func:`~zeroplay.verifiers.code.unit_tests.parse_tests` into ``assert f(ARGS) == EXPECTED`` data;
3. sandbox, one batch for the whole step (:class:`~zeroplay.verifiers.code.unit_tests.UnitTestRunner`):
   the problem's reference solution and every coder solution each run the union of the problem's
   unique generated tests as a split job (the solution an untrusted subject, the tests data that
   never enter its process); coder solutions also run the ground-truth tests (for the metrics, and
   the reward when ``coder_tests`` asks for them). A test is *valid* when it passes on the reference
   and the problem's precondition holds for its arguments (a test outside the spec is invalid).
4. rewards, as UTRL's authors compute them:
   - test writer (``utrl.test_writer_reward``, default ``utrl_discrimination``):
     ``0.85 * discrimination + 0.05 * n_valid / max(12, n_tests) + 0.1 * well_formed``, where
     discrimination is the fraction of this problem's coder solutions that fail at least one of the
     suite's valid tests, n_tests counts its unique tests and the asserts it wrote that are not
     supported tests (those count as invalid), and well_formed means the template was followed,
     at least one test was read and none rejected; ``invalid_cost`` (ours, default 0) subtracts
     ``invalid_cost * n_invalid / n_tests``;
   - coder (``utrl.coder_reward``, default ``utrl_code``): ``0.9 * pass rate + 0.1 * well_formed``,
     the pass rate over the problem's valid generated tests (``coder_tests: generated``, the paper's;
     0 when there is none), or the ground-truth tests (``ground_truth``: RL on ground-truth tests,
     the paper's baseline), or both; well_formed: the template was followed and the code is in a
     closed fenced block.

Both reward kinds are registered parts (:data:`~zeroplay.training.registry.REWARDS`) with signatures
:class:`TestWriterReward` ``(outcome: SuiteOutcome, weights: UTRLConfig) -> float`` and
:class:`CoderReward` ``(passed: Sequence[bool], well_formed: bool, weights: UTRLConfig) -> float``.

Metrics: ``utrl/test_writer/{valid_rate,discrimination,tests,valid_tests,well_formed,reward}``,
``utrl/coder/{gt_pass_rate,gt_accuracy,pass_rate,well_formed,reward}`` and per (env, role) rewards.
Evaluation (the first ``eval.samples`` problems of the bank, one sample per role): the coder on the
ground-truth tests (``eval/coder/gt_pass_rate``, ``eval/accuracy`` = all passed), the test writer
against the bank's known-buggy solutions (``eval/test_writer/discrimination``, ``.../valid_rate``).

Differences from the paper: one step trains both roles at once (the paper alternates whole
iterations); the tests are data (``assert f(ARGS) == EXPECTED``, literals only) rather than any
Python, so tests cannot check types or exceptions; one reference solution per problem in the bank
(the outcome supports several). For CPU tests, :class:`ScriptedCoder` and :class:`ScriptedTestWriter`
play a role through the config's ``scripted:`` block.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rewards import reward_kind
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, shard_range, to_sample)


class UTRLConfig(BaseModel):
    """The ``utrl:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    problems: str = ""
    """A JSONL file of problems (fields of :class:`~zeroplay.envs.code.unit_tests.UnitTestProblem`);
    empty: the built-in bank (21 problems)."""
    problems_per_step: int = Field(4, ge=1)
    """Problems per step (without repeats while the bank has enough)."""
    coder_samples: int = Field(4, ge=1)
    """Coder solutions per problem: the coder's GRPO group, and the candidates every test suite of the
    problem is scored against (UTRL's M)."""
    test_samples: int = Field(4, ge=1)
    """Test suites per problem: the test writer's GRPO group."""
    max_tests: int = Field(32, ge=1, le=256)
    """Asserts read from one suite (the rest are ignored); also stated in the prompt."""
    coder_tests: Literal["generated", "ground_truth", "both"] = "generated"
    """What the coder's pass rate is over: the problem's valid generated tests (UTRL), the
    ground-truth tests (RL on ground-truth tests), or both together."""
    test_writer_reward: str = "utrl_discrimination"
    """A registered test-writer reward, called as ``f(outcome, weights)``."""
    coder_reward: str = "utrl_code"
    """A registered coder reward, called as ``f(passed, well_formed, weights)``."""
    discrimination_weight: float = 0.85
    """Weight of the discrimination (share of the coder's solutions a valid test catches)."""
    validity_weight: float = 0.05
    """Weight of the clipped validity ratio ``n_valid / max(validity_tau, n_tests)``."""
    test_format_weight: float = 0.1
    """Weight of a well-formed test suite."""
    validity_tau: float = Field(12.0, ge=1)
    """τ of the clipped validity ratio: a suite of fewer tests cannot reach the full validity bonus."""
    invalid_cost: float = Field(0.0, ge=0)
    """Subtracted times the share of invalid tests in a suite (0: the paper's reward)."""
    code_pass_weight: float = 0.9
    """Weight of the coder's pass rate."""
    code_format_weight: float = 0.1
    """Weight of a well-formed coder answer (code in a closed fenced block)."""
    timeout_s: float = Field(5.0, gt=0)
    """Wall-time limit of one sandbox program (a solution with its tests)."""
    call_timeout_s: float = Field(1.0, gt=0)
    """Limit of one call of a solution; a test whose call on the reference runs past it is invalid."""
    memory_mb: int = Field(256, ge=32)
    """Memory limit of each process of a sandbox program."""
    max_rounds: int = Field(4, ge=1)
    """Fresh processes a solution gets when it dies mid-way (the tests after the fatal one run again)."""
    float_tol: float = Field(1e-9, ge=0)
    """Compare floats within this relative and absolute tolerance (0: Python ``==``, the authors' asserts;
    then a test like ``median([0.2, 0.939]) == 0.5695`` catches a correct solution that rounds once more)."""

    _test_writer = field_validator("test_writer_reward")(reward_field("test_writer"))
    _coder = field_validator("coder_reward")(reward_field("coder"))

    @model_validator(mode="after")
    def _timeouts(self) -> UTRLConfig:
        if self.call_timeout_s > self.timeout_s - 1.0:
            raise ValueError(f"call_timeout_s ({self.call_timeout_s}) must be at least 1 s below timeout_s "
                             f"({self.timeout_s}): a program must have time to start and finish one call")
        return self


# -- rewards ------------------------------------------------------------------------------------

class TestWriterReward(Protocol):
    def __call__(self, outcome: Any, weights: UTRLConfig) -> float:
        """The reward of one test suite from its :class:`~zeroplay.verifiers.code.unit_tests.SuiteOutcome`."""
        ...


class CoderReward(Protocol):
    def __call__(self, passed: Sequence[bool], well_formed: bool, weights: UTRLConfig) -> float:
        """The reward of one solution from its results on the tests it is judged by (one bool each)."""
        ...


@reward_kind("test_writer")
def utrl_discrimination_reward(outcome: Any, weights: UTRLConfig) -> float:
    """UTRL's test-writer reward: ``discrimination_weight * discrimination + validity_weight *
    n_valid / max(validity_tau, n_tests) + test_format_weight * well_formed - invalid_cost * n_invalid / n_tests``."""
    from zeroplay.verifiers.code.unit_tests import suite_score

    return suite_score(outcome, discrimination_weight=weights.discrimination_weight,
                             validity_weight=weights.validity_weight, format_weight=weights.test_format_weight,
                             tau=weights.validity_tau, invalid_cost=weights.invalid_cost)


@reward_kind("coder")
def utrl_code_reward(passed: Sequence[bool], well_formed: bool, weights: UTRLConfig) -> float:
    """UTRL's code reward: ``code_pass_weight * (fraction passed; 0 without tests) +
    code_format_weight * well_formed``."""
    from zeroplay.verifiers.code.unit_tests import code_score

    return code_score(passed, well_formed, pass_weight=weights.code_pass_weight,
                      format_weight=weights.code_format_weight)


# -- the loop -----------------------------------------------------------------------------------

class UTRLLoop(ShardedLoop):
    config_class = UTRLConfig
    roles = ("test_writer", "coder")
    """What ``policies:`` and ``scripted:`` may assign (one shared policy plays both by default)."""

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.code.unit_tests import load_problems
        from zeroplay.verifiers.code.unit_tests import UnitTestRunner

        super().__init__(cfg, sampler, policy)
        self.uc: UTRLConfig = cfg.loop_config
        self.problems = load_problems(self.uc.problems or None)
        self.test_writer_reward = lookup(REWARDS, self.uc.test_writer_reward)
        self.coder_reward = lookup(REWARDS, self.uc.coder_reward)
        self.runner = UnitTestRunner(timeout_s=self.uc.timeout_s, call_timeout_s=self.uc.call_timeout_s,
                                     memory_mb=self.uc.memory_mb, max_rounds=self.uc.max_rounds,
                                     float_tol=self.uc.float_tol)
        self._gt: dict[str, list[Any]] = {}

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        from zeroplay.envs.code.unit_tests import coder_prompt, load_problems, writer_prompt

        uc = cfg.loop_config
        lines = []
        for q in load_problems(uc.problems or None):
            lines += [coder_prompt(q), writer_prompt(q, uc.max_tests), q.reference, *q.tests]
        return lines

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("test writer", ["utrl/test_writer/valid_rate", "utrl/test_writer/discrimination"]),
                ("coder", ["utrl/coder/gt_pass_rate", "eval/coder/gt_pass_rate"]), ("reward", ["reward/mean"])]

    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """(coder prompt, reference solution) pairs: the instruction-code pairs UTRL assumes; none for the
        test writer (its ground-truth tests are what UTRL does without)."""
        from zeroplay.envs.code.unit_tests import coder_prompt

        rng = np.random.default_rng(seed)
        picks = rng.integers(len(self.problems), size=n)
        return [(coder_prompt(self.problems[i]), f"```python\n{self.problems[i].reference}```") for i in picks]

    def ground_truth(self, problem: Any) -> list[Any]:
        """The problem's ground-truth tests, parsed once."""
        from zeroplay.verifiers.code.unit_tests import reference_tests

        if problem.id not in self._gt:
            spec = {"entry_point": problem.entry_point, "tests": list(problem.tests)}
            self._gt[problem.id] = reference_tests(spec)[1]
        return self._gt[problem.id]

    def draw(self, step: int) -> list[Any]:
        """The step's problems (the same in every shard): without repeats while the bank has enough."""
        rng = np.random.default_rng(seed_for(self.seed, step, 3))
        n = self.uc.problems_per_step
        idx = rng.choice(len(self.problems), size=n, replace=n > len(self.problems))
        return [self.problems[int(i)] for i in idx]

    # -- one step ------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        drawn = self.draw(step)
        mine = [(p, drawn[p]) for p in shard_range(len(drawn), shard, shards)]
        if not mine:
            return ShardResult([], {})
        codes = self._write_code([q for _, q in mine], self.uc.coder_samples)
        suites = self._write_tests([q for _, q in mine], self.uc.test_samples)
        t0 = time.perf_counter()
        scored = self._score([q for _, q in mine], codes, suites, [[q.judged_reference] for _, q in mine])
        self.sampler.timer.add("verify", time.perf_counter() - t0, sum(len(c) + len(s) for c, s in zip(codes, suites)))
        samples: list[Sample] = []
        stats: dict[str, list[Any]] = {}
        for (p, q), code_outs, suite_outs, (outcomes, coder_results) in zip(mine, codes, suites, scored):
            for j, ((gen, _, ok, parsed), outcome) in enumerate(zip(suite_outs, outcomes)):
                s = to_sample(gen, reward=self.test_writer_reward(outcome, self.uc), role="test_writer",
                              env="utrl/tests", task_type=q.id, group=f"{step}-tests-{p}", episode=f"{step}-t{p}-{j}",
                              well_formed=outcome.well_formed)
                s.meta.update(valid=outcome.n_valid, tests=outcome.n_tests, discrimination=outcome.discrimination)
                samples.append(s)
                _add(stats, tw_valid_rate=outcome.valid_rate, tw_discrimination=outcome.discrimination,
                     tw_tests=outcome.n_tests, tw_valid=outcome.n_valid, tw_well_formed=outcome.well_formed,
                     tw_reward=s.reward)
            for j, ((gen, _, ok, _code), (gen_passed, gt_passed)) in enumerate(zip(code_outs, coder_results)):
                passed = {"generated": gen_passed, "ground_truth": gt_passed, "both": gen_passed + gt_passed}
                s = to_sample(gen, reward=self.coder_reward(passed[self.uc.coder_tests], ok, self.uc), role="coder",
                              env="utrl/code", task_type=q.id, group=f"{step}-code-{p}", episode=f"{step}-c{p}-{j}",
                              well_formed=ok)
                samples.append(s)
                _add(stats, coder_gt_pass_rate=_mean(gt_passed), coder_gt_accuracy=bool(gt_passed) and all(gt_passed),
                     coder_well_formed=ok, coder_reward=s.reward)
                if gen_passed:
                    _add(stats, coder_pass_rate=_mean(gen_passed))
        return ShardResult(samples, stats)

    def _write_code(self, problems: list[Any], k: int) -> list[list[tuple[Any, str, bool, str]]]:
        """``k`` coder answers per problem: (generation, action, well_formed, code)."""
        from zeroplay.core.answers import code_block
        from zeroplay.envs.code.unit_tests import coder_prompt
        from zeroplay.verifiers.code.verifier import extract_code

        outs = sampler_for(self.sampler, "coder").generate([coder_prompt(q) for q in problems for _ in range(k)])
        rows = []
        for gen, action, ok in outs:
            fenced = isinstance(action, str) and code_block(action) is not None
            rows.append((gen, action, bool(ok and fenced), extract_code(action) if isinstance(action, str) else ""))
        return [rows[i * k:(i + 1) * k] for i in range(len(problems))]

    def _write_tests(self, problems: list[Any], m: int) -> list[list[tuple[Any, str, bool, Any]]]:
        """``m`` test suites per problem: (generation, action, well_formed, ParsedTests)."""
        from zeroplay.envs.code.unit_tests import writer_prompt
        from zeroplay.verifiers.code.unit_tests import parse_tests

        outs = sampler_for(self.sampler, "test_writer").generate(
            [writer_prompt(q, self.uc.max_tests) for q in problems for _ in range(m)])
        rows = []
        for i, (gen, action, ok) in enumerate(outs):
            parsed = parse_tests(action, problems[i // m].entry_point, max_tests=self.uc.max_tests)
            rows.append((gen, action, bool(ok and parsed.well_formed), parsed))
        return [rows[i * m:(i + 1) * m] for i in range(len(problems))]

    def _score(self, problems: list[Any], codes: list[list[tuple]], suites: list[list[tuple]],
               references: list[list[str]]) -> list[tuple[list[Any], list[tuple[list[bool], list[bool]]]]]:
        """Per problem: each suite's :class:`SuiteOutcome` and each coder solution's (passed on the valid
        generated tests, passed on the ground-truth tests). One sandbox batch for every problem.

        Each suite runs in jobs of its own (one per reference and per coder solution), and the ground-truth
        tests in one more per solution: a suite whose tests hang or kill the solution's process (which
        costs the tests after them in that job their rounds) can only fail its own tests, never make another
        suite's tests invalid or a coder fail them."""
        from zeroplay.verifiers.code.unit_tests import SuiteOutcome, TestJob

        jobs: list[Any] = []
        plans = []
        for q, code_outs, suite_outs, refs in zip(problems, codes, suites, references):
            per_suite = []  # (first job of the suite's reference runs, first job of its coder runs)
            for *_, parsed in suite_outs:
                if not parsed.tests:
                    per_suite.append(None)
                    continue
                first = len(jobs)
                jobs += [TestJob(r, q.entry_point, parsed.tests) for r in refs]
                jobs += [TestJob(code, q.entry_point, parsed.tests) for *_, code in code_outs]
                per_suite.append(first)
            gt_first = len(jobs)
            jobs += [TestJob(code, q.entry_point, self.ground_truth(q)) for *_, code in code_outs]
            plans.append((per_suite, gt_first, len(refs)))
        results = self.runner.run(jobs)
        out = []
        for (per_suite, gt_first, n_refs), code_outs, suite_outs in zip(plans, codes, suites):
            n_codes = len(code_outs)
            outcomes = []
            pooled: list[dict[str, bool]] = [{} for _ in range(n_codes)]  # per solution: valid test source -> passed
            for first, (*_, ok, parsed) in zip(per_suite, suite_outs):
                if first is None:
                    outcomes.append(SuiteOutcome(parsed.n_items, (), tuple(False for _ in range(n_codes)), ok))
                    continue
                ref_rows = results[first:first + n_refs]
                coder_rows = results[first + n_refs:first + n_refs + n_codes]
                valid = tuple(all(r[t].passed for r in ref_rows) for t in range(len(parsed.tests)))
                detected = tuple(any(v and not row[t].passed for t, v in enumerate(valid)) for row in coder_rows)
                outcomes.append(SuiteOutcome(parsed.n_items, valid, detected, ok))
                for k, row in enumerate(coder_rows):
                    for t, test in enumerate(parsed.tests):
                        if valid[t]:
                            pooled[k].setdefault(test.source, row[t].passed)  # a test in two suites counts once
            gt_rows = results[gt_first:gt_first + n_codes]
            out.append((outcomes, [(list(pooled[k].values()), [r.passed for r in gt_rows[k]]) for k in range(n_codes)]))
        return out

    def merge(self, step: int, results: Sequence[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        metrics = {"utrl/test_writer/valid_rate": mean("tw_valid_rate"),
                   "utrl/test_writer/discrimination": mean("tw_discrimination"),
                   "utrl/test_writer/tests": mean("tw_tests"), "utrl/test_writer/valid_tests": mean("tw_valid"),
                   "utrl/test_writer/well_formed": mean("tw_well_formed"), "utrl/test_writer/reward": mean("tw_reward"),
                   "utrl/coder/gt_pass_rate": mean("coder_gt_pass_rate"),
                   "utrl/coder/gt_accuracy": mean("coder_gt_accuracy"), "utrl/coder/pass_rate": mean("coder_pass_rate"),
                   "utrl/coder/well_formed": mean("coder_well_formed"), "utrl/coder/reward": mean("coder_reward"),
                   **reward_by_env_role(samples, "utrl")}
        return samples, metrics

    # -- evaluation: the coder on ground-truth tests, the test writer on known-buggy solutions ------
    def evaluate(self, step: int) -> dict[str, float]:
        problems = self.problems[:min(self.cfg.eval.samples, len(self.problems))]
        codes = self._write_code(problems, 1)
        suites = self._write_tests(problems, 1)
        # the bank's buggy solutions stand in for the coder's: a fixed yardstick for the tests
        buggy = [[(None, "", True, b) for b in q.buggy] for q in problems]
        scored = self._score(problems, [c + b for c, b in zip(codes, buggy)], suites,
                             [[q.judged_reference] for q in problems])
        gt_rates, gt_all, disc, valid = [], [], [], []
        for (outcomes, coder), q in zip(scored, problems):
            gt = coder[0][1]
            gt_rates.append(_mean(gt))
            gt_all.append(bool(gt) and all(gt))
            outcome = outcomes[0]
            disc.append(sum(outcome.detected[1:]) / len(q.buggy) if q.buggy else 0.0)
            valid.append(outcome.valid_rate)
        return {"eval/coder/gt_pass_rate": float(np.mean(gt_rates)), "eval/accuracy": float(np.mean(gt_all)),
                "eval/test_writer/discrimination": float(np.mean(disc)),
                "eval/test_writer/valid_rate": float(np.mean(valid))}


def _add(stats: dict[str, list[Any]], **values: Any) -> None:
    for k, v in values.items():
        stats.setdefault(k, []).append(v)


def _mean(xs: Sequence[bool]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


# -- scripted roles (CPU tests: a tiny model writes neither meaningful code nor tests) -------------

class _BankAgent:
    """A scripted role that recognizes the bank's problem in a prompt by its function name."""

    def __init__(self, seed: int = 0, problems: str = ""):
        self.rng = np.random.default_rng(seed)
        self.problems = problems or None

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def problem(self, prompt: str) -> Any:
        from zeroplay.envs.code.unit_tests import entry_point_of, problem_by_entry_point

        name = entry_point_of(prompt) if isinstance(prompt, str) else None
        return problem_by_entry_point(name, self.problems) if name else None

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        out = []
        for obs in observations:
            q = self.problem(obs)
            out.append(f"```python\n{self.write(q)}```" if q is not None else "I do not know this problem.")
        return out

    def write(self, problem: Any) -> str:
        raise NotImplementedError


class ScriptedCoder(_BankAgent):
    """A scripted coder (``scripted: {coder: "zeroplay.training.selfplay.utrl:ScriptedCoder"}``): answers a
    bank problem with its reference solution with probability ``correct``, else with one of its
    known-buggy solutions (drawn uniformly). It reads the problem bank (``problems``: the loop's
    ``utrl.problems`` file; empty: the built-in bank), which no model ever sees. Its answers are
    plain fenced code, for the ``plain`` template."""

    def __init__(self, seed: int = 0, correct: float = 0.5, problems: str = ""):
        super().__init__(seed, problems)
        self.correct = correct

    def write(self, problem: Any) -> str:
        if not problem.buggy or self.rng.random() < self.correct:
            return problem.reference
        return problem.buggy[int(self.rng.integers(len(problem.buggy)))]


class ScriptedTestWriter(_BankAgent):
    """A scripted test writer (``scripted: {test_writer: "zeroplay.training.selfplay.utrl:ScriptedTestWriter"}``):
    writes a bank problem's ground-truth tests (each kept with probability ``keep``) and, after each,
    with probability ``wrong`` a copy whose expected value is changed (an invalid test). Reads the bank
    like :class:`ScriptedCoder`; plain fenced code, for the ``plain`` template."""

    def __init__(self, seed: int = 0, keep: float = 1.0, wrong: float = 0.25, problems: str = ""):
        super().__init__(seed, problems)
        self.keep, self.wrong = keep, wrong

    def write(self, problem: Any) -> str:
        from zeroplay.verifiers.code.unit_tests import parse_tests

        lines = []
        for t in parse_tests("\n".join(problem.tests), problem.entry_point, max_tests=1 << 12).tests:
            if self.rng.random() < self.keep:
                lines.append(t.source)
            if self.rng.random() < self.wrong:
                args = ", ".join([*map(repr, t.args), *(f"{k}={v!r}" for k, v in t.kwargs.items())])
                lines.append(f"assert {problem.entry_point}({args}) == {wrong_value(t.expected)!r}")
        return "\n".join(lines) + "\n"


def wrong_value(value: Any) -> Any:
    """A literal that differs from ``value`` (for invalid tests)."""
    if value is None or isinstance(value, bool):
        return 0 if value is None else not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, (list, tuple)):
        return type(value)([*value, 0])
    if isinstance(value, dict):
        return {**value, "zz_wrong": 0}
    return None
