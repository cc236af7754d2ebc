"""(a) Propose-solve, as in Absolute Zero: one policy proposes code tasks and solves them.

Each step, for every task type (deduction, abduction, induction):

1. propose: ``proposals_per_type`` proposer prompts (each showing reference tasks drawn from the
   type's buffer), one completion each;
2. validate: the proposer env checks every proposal in the sandbox (parses, runs, is
   deterministic, is new); valid ones join the buffer;
3. solve: every new valid task, then tasks drawn from the buffer up to ``solve_tasks_per_type``;
   ``solver_samples`` answers each, scored by the type's verifier;
4. rewards: ``propose_solve.solver_reward`` (default ``correctness``: +1 / -0.5 / -1 for correct /
   wrong / malformed) and ``propose_solve.proposer_reward`` (default ``learnability``:
   ``1 - solve_rate`` of its task, 0 if always or never solved, -1 if invalid).

Sharded rollouts (``rollout_shards``, Ray actors) split the task types between shards.

Advantages: TRR++ (six groups: {proposer, solver} x three types); one update of the shared policy,
or of each role's own policy when the config gives ``policies:`` (roles ``proposer`` and ``solver``).
The buffers are saved in checkpoints (so a resumed run proposes against the same references).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from zeroplay.training.config import ProposeSolveConfig, TrainConfig
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, shard_range, to_sample)


class ProposeSolveLoop(ShardedLoop):
    config_class = ProposeSolveConfig
    roles = ("proposer", "solver")
    """What ``policies:`` may assign (one shared policy plays both by default)."""

    def __init__(self, cfg: TrainConfig, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.code.buffer import TaskBuffer, builtin_seeds

        super().__init__(cfg, sampler, policy)
        self.pc: ProposeSolveConfig = cfg.loop_config
        self.solver_reward = lookup(REWARDS, self.pc.solver_reward)
        self.proposer_reward = lookup(REWARDS, self.pc.proposer_reward)
        size = self.pc.buffer_size
        self.buffers = {k: TaskBuffer(k, seeds=builtin_seeds(), max_size=size) for k in self.pc.task_types}
        self._build_envs()

    def _build_envs(self) -> None:
        from zeroplay.envs.code.propose import CodeProposerEnv
        from zeroplay.envs.code.solve import CodeAbductionEnv, CodeDeductionEnv, CodeInductionEnv

        solver_cls = {"deduction": CodeDeductionEnv, "abduction": CodeAbductionEnv, "induction": CodeInductionEnv}
        kw = dict(self.pc.env_kwargs)
        sandbox_kw = {k: kw[k] for k in ("sandbox", "timeout_s", "memory_mb") if k in kw}
        self.proposers = {k: CodeProposerEnv(k, buffer=self.buffers[k], **kw) for k in self.pc.task_types}
        self.solvers = {k: solver_cls[k](self.buffers[k], **sandbox_kw) for k in self.pc.task_types}

    @classmethod
    def corpus_lines(cls, cfg: TrainConfig) -> list[str]:
        return cls(cfg, None, None).example_prompts()  # its envs need no policy

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("proposer", ["propose/valid_rate", "propose/learnability"]),
                ("solver", ["solve/accuracy", "eval/accuracy"]), ("reward", ["reward/mean"])]

    def example_prompts(self) -> list[str]:
        """A proposer and a solver prompt of each type (for the tiny tokenizer's corpus)."""
        from zeroplay.envs.code.buffer import builtin_seeds

        seed = builtin_seeds()[1]
        out = []
        for k in self.pc.task_types:
            out.append(self.proposers[k].reset(seed=0)[0])
            task = seed.to_task(k) if k == "induction" else seed.pick(0).to_task(k)
            out.append(self.solvers[k].reset(seed=0, options={"task": task})[0])
        return out

    # -- one step ------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        """Steps 1-4 for this shard's task types (types are independent: each has its own buffer)."""
        seed = self.cfg.seed
        all_kinds = self.pc.task_types
        kinds = [all_kinds[i] for i in shard_range(len(all_kinds), shard, shards)]
        if not kinds:
            return ShardResult([], {})
        n_prop = self.pc.proposals_per_type
        # 1. propose
        prompts, labels = [], []
        for k in kinds:
            for i in range(n_prop):
                obs, _ = self.proposers[k].reset(seed=seed_for(seed, step, 1, all_kinds.index(k), i))
                prompts.append(obs)
                labels.append(k)
        proposals = sampler_for(self.sampler, "proposer").generate(prompts)
        # 2. validate (one sandbox batch per type); valid tasks join the buffer
        t0 = time.perf_counter()
        new_tasks: dict[str, list[tuple[int, Any]]] = {k: [] for k in kinds}
        added: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
        prop_samples, valid = [], []
        for k in kinds:
            idx = [j for j, lab in enumerate(labels) if lab == k]
            infos = self.proposers[k].validate_batch([proposals[j][1] for j in idx])
            for j, info in zip(idx, infos):
                gen, _, ok = proposals[j]
                s = to_sample(gen, role="proposer", env=f"propose-{k}", task_type=k, group=f"{step}-propose-{k}",
                              episode=f"{step}-p{k}-{j}", well_formed=ok)
                s.meta["stage"] = info.get("stage")
                prop_samples.append(s)
                valid.append(info.get("task") is not None)
                if info.get("task") is not None:
                    new_tasks[k].append((len(prop_samples) - 1, info["task"]))
                    added[k].append(info["code_task"].to_dict())
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(prompts))
        # 3. solve: new tasks first, then tasks from the buffer
        solve_jobs = []  # (kind, task, proposer sample index or None)
        for k in kinds:
            rng = np.random.default_rng(seed_for(seed, step, 2, all_kinds.index(k)))
            jobs = [(k, task, pi) for pi, task in new_tasks[k]]  # every valid proposal gets its solve rate
            while len(jobs) < self.pc.solve_tasks_per_type:
                jobs.append((k, self.buffers[k].sample(rng), None))
            solve_jobs += jobs
        n = self.pc.solver_samples
        solver_prompts = []
        for k, task, _ in solve_jobs:
            obs, _ = self.solvers[k].reset(seed=0, options={"task": task})
            solver_prompts += [obs] * n
        answers = sampler_for(self.sampler, "solver").generate(solver_prompts)
        t0 = time.perf_counter()
        solve_samples: list[Sample] = []
        solved_rates: dict[int, float] = {}
        correct_all = []
        for t, (k, task, pi) in enumerate(solve_jobs):
            outs = answers[t * n:(t + 1) * n]
            verdicts = self._verify(k, [a for _, a, _ in outs], task)
            correct = [v.correct for v in verdicts]
            correct_all += correct
            if pi is not None:
                solved_rates[pi] = float(np.mean(correct))
            for (gen, _, ok), c in zip(outs, correct):
                solve_samples.append(to_sample(gen, reward=self.solver_reward(c, ok, self.cfg.rewards), role="solver",
                                               env=f"solve-{k}", task_type=k, group=f"{step}-solve-{k}-{t}",
                                               episode=f"{step}-s{k}-{t}", well_formed=ok))
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(solver_prompts))
        # 4. proposer rewards from the solvers' results
        learn = []
        for i, s in enumerate(prop_samples):
            s.reward = self.proposer_reward(valid[i], solved_rates.get(i) if valid[i] else None, self.cfg.rewards)
            if valid[i]:
                learn.append(s.reward)
        stats = {"valid": valid, "learnability": learn, "correct": correct_all,
                 "solve_well_formed": [s.well_formed for s in solve_samples],
                 **{f"valid/{k}": [v for v, s in zip(valid, prop_samples) if s.task_type == k] for k in kinds}}
        return ShardResult(prop_samples + solve_samples, stats, state={"added": added})

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        """Proposer samples of every type first, then solver samples; new tasks join this loop's buffers
        (already there when the shard ran in this process: ``add`` skips duplicates)."""
        from zeroplay.envs.code.triplet import CodeTask

        for r in results:
            for k, tasks in r.state.get("added", {}).items():
                for d in tasks:
                    self.buffers[k].add(CodeTask.from_dict(d))
        samples = [s for r in results for s in r.samples if s.role == "proposer"]
        samples += [s for r in results for s in r.samples if s.role == "solver"]
        _, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        metrics = {"propose/valid_rate": mean("valid"), "propose/learnability": mean("learnability"),
                   "solve/accuracy": mean("correct"), "solve/well_formed": mean("solve_well_formed"),
                   **{f"buffer/{k}": float(len(self.buffers[k])) for k in self.pc.task_types},
                   **reward_by_env_role(samples, "propose_solve")}
        for k in self.pc.task_types:
            metrics[f"propose/{k}/valid_rate"] = mean(f"valid/{k}")
        return samples, metrics

    def _verify(self, kind: str, answers: list[str], task: Any) -> list[Any]:
        env = self.solvers[kind]
        try:
            return env.verifier.verify_batch(answers, [task.reference] * len(answers))
        except Exception:  # a verifier bug must not end the run: fall back to one by one (never raises)
            return [env.verify(a, task) for a in answers]

    # -- evaluation: solver accuracy on the built-in seed tasks --------------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        from zeroplay.envs.code.buffer import builtin_seeds

        rng = np.random.default_rng(seed_for(self.cfg.seed, 31337))
        seeds = builtin_seeds()
        out, all_correct = {}, []
        for k in self.pc.task_types:
            tasks = []
            for _ in range(max(1, self.cfg.eval.samples // len(self.pc.task_types))):
                t = seeds[int(rng.integers(len(seeds)))]
                if k != "induction":
                    t = t.pick(int(rng.integers(len(t.inputs))))
                tasks.append(t.to_task(k))
            prompts = [self.solvers[k].reset(seed=0, options={"task": t})[0] for t in tasks]
            outs = sampler_for(self.sampler, "solver").generate(prompts)
            correct = [self._verify(k, [a], t)[0].correct for (_, a, _), t in zip(outs, tasks)]
            out[f"eval/{k}/accuracy"] = float(np.mean(correct))
            all_correct += correct
        out["eval/accuracy"] = float(np.mean(all_correct))
        return out

    # -- warm-up data: the formats and the seed programs, from the seed tasks -----------------
    def warmup_pairs(self, n: int, seed: int) -> list[tuple[str, str]]:
        """``n`` supervised (prompt, completion) pairs built from the built-in seed tasks.

        - Proposer (up to three quarters: writing a whole program is what a tiny model learns
          slowest): a real proposer prompt answered with one of its reference programs (seed
          programs at the start) and NEW inputs: the reference's own inputs with fresh random
          values of the same types (:func:`fresh_args`). Each proposal goes through the real
          validator (sandbox, determinism, not already in the buffer) and only the valid ones are
          kept, so the model is taught that "copy a reference, invent an input" makes a valid new task.
        - Solver (the rest): seed tasks and the new tasks above, answered correctly (deduction: the
          output the sandbox computed; abduction: the input; induction: the program).

        So the answer formats, the seed programs and what a correct answer looks like all come from
        supervised data. What RL adds: which proposals pay (learnability; -1 when invalid), and
        solving the tasks the model proposes itself, scored by the verifiers.
        """
        from zeroplay.envs.code.buffer import builtin_seeds

        rng = np.random.default_rng(seed)
        kinds = self.pc.task_types
        proposed: dict[str, list[tuple[str, str]]] = {k: [] for k in kinds}  # kind -> (prompt, proposal)
        for i in range(n * 3 // 4):
            k = kinds[i % len(kinds)]
            obs, info = self.proposers[k].reset(seed=int(rng.integers(1 << 30)))
            ref = info["references"][int(rng.integers(len(info["references"])))]
            count = info["min_inputs"] if k == "induction" else 1
            inputs = [fresh_args(ref.inputs[int(rng.integers(len(ref.inputs)))], rng) for _ in range(count)]
            proposed[k].append((obs, proposal_text(k, ref.program, inputs, ref.message)))
        pairs = []
        solved = [(k, t if k == "induction" else t.pick(j)) for t in builtin_seeds() for j in range(len(t.inputs))
                  for k in kinds]  # (kind, CodeTask) the solver pairs are drawn from
        for k, props in proposed.items():  # one sandbox batch per kind; a duplicate within it fails too
            results = self.proposers[k].validator.validate_many([text for _, text in props], self.buffers[k])
            for (obs, text), result in zip(props, results):
                if result.ok:
                    pairs.append((obs, text))
                    solved.append((k, result.task))
        while len(pairs) < n:
            k, task = solved[int(rng.integers(len(solved)))]
            obs, _ = self.solvers[k].reset(seed=0, options={"task": task.to_task(k)})
            pairs.append((obs, solver_answer(k, task)))
        return pairs

    # -- checkpoint state ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {k: [t.to_dict() for t in buf] for k, buf in self.buffers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from zeroplay.envs.code.buffer import TaskBuffer
        from zeroplay.envs.code.triplet import CodeTask

        for k, tasks in state.items():
            if k in self.buffers:
                seeds = [CodeTask.from_dict(d) for d in tasks]
                self.buffers[k] = TaskBuffer(k, seeds=seeds, max_size=self.pc.buffer_size)
        self._build_envs()


# -- warm-up helpers ----------------------------------------------------------------------------

_LETTERS = "abcdehilnorstxyz "


def fresh_value(value: Any, rng: np.random.Generator) -> Any:
    """A random literal of the same type (and, for containers, element types) as ``value``:
    ints in 1..29 (no zero or negatives, on which many small programs loop or fail), short
    strings, 1-5 fresh elements shaped like the container's own, dicts with the same keys;
    booleans, None and empty containers stay as they are."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(rng.integers(1, 30))
    if isinstance(value, float):
        return round(float(rng.uniform(0, 10)), 1)
    if isinstance(value, str):
        return "".join(rng.choice(list(_LETTERS), size=int(rng.integers(1, 8))))
    if isinstance(value, (list, tuple)) and value:
        items = [fresh_value(value[int(rng.integers(len(value)))], rng) for _ in range(int(rng.integers(1, 6)))]
        return type(value)(items)
    if isinstance(value, dict):
        return {k: fresh_value(v, rng) for k, v in value.items()}
    return value


def fresh_args(args: str, rng: np.random.Generator) -> str:
    """The call arguments ``args`` (e.g. ``"[1, 2], 3"``) with fresh random values of the same types."""
    from zeroplay.envs.code.triplet import parse_args

    return ", ".join(repr(fresh_value(a, rng)) for a in parse_args(args))


def proposal_text(kind: str, program: str, inputs: list[str], message: str) -> str:
    """A proposal in the format the proposer prompt asks for (induction adds the hint)."""
    blocks = "\n".join(f"```input\n{x}\n```" for x in inputs)
    hint = f"\n<message>{message}</message>" if kind == "induction" else ""
    return f"```python\n{program}\n```\n{blocks}{hint}"


def solver_answer(kind: str, task: Any) -> str:
    """The correct answer to ``task`` (a CodeTask) in the solver prompt's format."""
    if kind == "induction":
        return f"```python\n{task.program}\n```"
    return f"<answer>{task.outputs[0] if kind == 'deduction' else task.inputs[0]}</answer>"


class ScriptedCodeProposer:
    """A scripted proposer (``scripted: {proposer: "zeroplay.training.selfplay.propose_solve:ScriptedCodeProposer"}``):
    copies one of the reference programs the proposer prompt shows and calls it on fresh inputs of the
    same types (:func:`fresh_args`), in the prompt's format. Most of its proposals are valid; a copy
    whose new inputs make the program fail or repeat a known task is rejected by the validator, as a
    model's would be. For CPU tests of the propose-solve data flow, where a tiny model writes no program."""

    _KIND = re.compile(r"code task of type (deduction|abduction|induction)")
    _REFERENCE = re.compile(r"```python\n(.*?)```\nf\(([^\n]*)\) == ", re.S)
    _AT_LEAST = re.compile(r"at least (\d+) different inputs")

    def __init__(self, seed: int = 0, extra_inputs: int = 2):
        self.rng, self.extra_inputs = np.random.default_rng(seed), extra_inputs

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        out = []
        for obs in observations:
            kind, refs = self._KIND.search(obs), self._REFERENCE.findall(obs)
            if kind is None or not refs:
                out.append("")  # not a proposer prompt: an invalid proposal
                continue
            program, args = refs[int(self.rng.integers(len(refs)))]
            least = self._AT_LEAST.search(obs)
            count = min(int(least.group(1)), 32) + self.extra_inputs if least else 1
            out.append(proposal_text(kind.group(1), program.strip(), [fresh_args(args, self.rng) for _ in range(count)],
                                     "the same function as a reference, on new inputs"))
        return out
