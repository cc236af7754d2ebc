"""EvoEnv in the loop: the policy writes environments, the admitted ones become its training envs.

Each step has two roles (one shared policy by default, or one each with ``policies:``):

1. generator: ``proposals_per_step`` authoring prompts, each showing two seed environments
   (:func:`zeroplay.envs.synth.pipeline.authoring_prompt`); each completion is an env source.
2. admission: the real synth pipeline (:func:`zeroplay.envs.synth.pipeline.synthesize`): staged
   validation in the sandbox, novelty against the seeds, the run's library and the batch, then
   difficulty calibration with the *solver* (the policy playing ``solver``): a source is admitted
   when some difficulty level has a pass rate inside ``band`` and its passes are not chance (answers
   that pass on other instances too: :mod:`zeroplay.envs.synth.calibrate`). Admitted sources join the run's
   library (``RUN_DIR/library``), which is saved in the checkpoint and rebuilt from it on resume.
3. generator reward: ``evoenv.generator_reward`` (default ``env_admission``, :func:`env_admission_reward`):
   -1 rejected by validation, 0 a near-duplicate, 0.25 valid and novel but no level in the band,
   0.5 + 0.5 * novelty when admitted (novelty = 1 - the highest similarity to a seed or library env).
4. solver: ``prompts_per_step`` problems drawn from the env mixture (every seed env with weight
   ``seed_weight``, every admitted env with weight 1; levels drawn from the calibrated ones),
   ``group_size`` answers each, scored by the ``synth`` verifier in the sandbox;
   reward ``evoenv.solver_reward`` (default ``correctness``). An answer that scores 1 on other instances of
   its env too (a key the env accepts for anything: a back door no validation probe guesses, or "any huge
   number", or one it pays on most instances) scores 0 (:func:`zeroplay.envs.synth._driver.elsewhere`), so a
   written env cannot pay its writer's solver for a key; every call into a source runs in a fresh fork,
   so a source keeps no state to pay its key once per job.
5. retirement: an admitted env whose solver pass rate over its last ``retire_window`` answers has left
   ``band`` leaves the mixture (learned, or a shortcut the env pays was found, or no signal left); an
   admitted env that fails to make a problem leaves it too. Both stay in the library and count for novelty.

``generator: scripted`` replaces the policy's completions with :class:`ScriptedEnvWriter`'s (a
tiny random model almost never writes a valid env): it reads the example sources in the same
prompts and writes variants of them. Everything after the completions is the same: same pipeline,
same rewards (logged; the generator then has no samples to train on), same solver mixture. A
``scripted: {generator: ...}`` agent plays the role only with ``generator: policy`` (with both, the
config is refused).

Not built: rollout shards and Ray actors (the step is one piece); a warm-up for the generator.
"""

from __future__ import annotations

import ast
import random
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zeroplay.core.errors import ConfigError
from zeroplay.training.policies import sampler_for
from zeroplay.training.registry import REWARDS, lookup, reward_field
from zeroplay.training.rewards import reward_kind
from zeroplay.training.rollout import (Sample, Sampler, ShardedLoop, ShardResult, concat_stats, reward_by_env_role,
                                       seed_for, split_over_mixture, to_sample)

#: Where a generated env can end: a validation stage (zeroplay.envs.synth.validate.STAGES), or these.
ADMISSION_STAGES = ("novelty", "calibration")


class EvoEnvConfig(BaseModel):
    """The ``evoenv:`` section of a config."""

    model_config = ConfigDict(extra="forbid")

    generator: Literal["policy", "scripted"] = "policy"
    """Who writes the env sources: the policy (``generator`` role), or :class:`ScriptedEnvWriter`
    (for CPU runs with a tiny model; the rest of the data flow is the same)."""
    proposals_per_step: int = Field(4, ge=1)
    """Authoring prompts (env sources written) per step."""
    theme: str = ""
    """Theme given in every authoring prompt (empty: the model's choice)."""
    prompts_per_step: int = Field(4, ge=1)
    """Solver problems per step, drawn from the env mixture."""
    group_size: int = Field(4, ge=1)
    """Solver answers per problem (the GRPO group)."""
    seed_weight: float = Field(1.0, ge=0)
    """Weight of each seed env in the solver's mixture (each admitted env has weight 1); 0: library envs only
    once there are some."""
    solver_reward: str = "correctness"
    """A registered solver reward (``correctness``: +1 / -0.5 / -1; ``binary``)."""
    generator_reward: str = "env_admission"
    """A registered generator reward, called as ``f(stage, novelty, shaping)`` (see :func:`env_admission_reward`)."""
    novelty_threshold: float = Field(0.8, gt=0, le=1)
    """Similarity at or above which a source is a near-duplicate (zeroplay.envs.synth.novelty)."""
    band: tuple[float, float] = (0.2, 0.8)
    """Calibration: the solver pass rates a level must lie in to be kept; an env with no such level is refused."""
    calibration_episodes: int = Field(8, ge=1)
    """Instances per difficulty level in calibration."""
    retire_window: int = Field(32, ge=0)
    """The solver's last answers on each admitted env that are watched: once there are this many and their
    pass rate has left ``band``, the env leaves the mixture (too easy: nothing left to learn, or a shortcut
    the env pays was found; too hard: no signal). It stays in the library, so it is no novelty when written
    again. 0: envs are never retired."""
    validation_seeds_per_level: int = Field(8, ge=1)
    """Instances per difficulty level in validation."""
    timeout_s: float = Field(20.0, gt=0)
    """Wall-time limit of one sandbox job."""

    _solver = field_validator("solver_reward")(reward_field("solver"))
    _generator = field_validator("generator_reward")(reward_field("generator"))

    @field_validator("band")
    @classmethod
    def _band(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 <= v[0] <= v[1] <= 1.0:
            raise ValueError(f"band must satisfy 0 <= low <= high <= 1, got {list(v)}")
        return v


@reward_kind("generator")
def env_admission_reward(stage: str | None, novelty: float, shaping: Any = None) -> float:
    """The generator's reward for one env source: -1 rejected by a validation stage, 0 a near-duplicate
    (``novelty``), 0.25 valid and novel but no difficulty level in the calibration band
    (``calibration``), ``0.5 + 0.5 * novelty`` when admitted (``stage`` None; ``novelty`` = 1 - the
    highest similarity to a seed or library env, so 0.6 to 1.0 with the default threshold 0.8)."""
    if stage is None:
        return 0.5 + 0.5 * float(novelty)
    return {"novelty": 0.0, "calibration": 0.25}.get(stage, -1.0)


class EvoEnvLoop(ShardedLoop):
    config_class = EvoEnvConfig
    one_piece = "the library grows within it"
    roles = ("generator", "solver")
    """What ``policies:`` and ``scripted:`` may assign (one shared policy plays both by default)."""

    @classmethod
    def check_config(cls, cfg: Any) -> None:
        """``generator: scripted`` (the built-in writer) and a ``scripted: {generator: ...}`` agent both
        claim the generator role: refused, rather than one of them silently ignored."""
        if cfg.loop_config.generator == "scripted" and "generator" in cfg.scripted:
            raise ValueError(f"evoenv.generator: scripted (the built-in ScriptedEnvWriter) conflicts with "
                             f"scripted.generator ({cfg.scripted['generator'].agent}): set evoenv.generator: policy to "
                             "have that agent write the envs, or drop scripted.generator to keep the built-in writer")

    def __init__(self, cfg: Any, sampler: Sampler | None, policy: Any):
        from zeroplay.envs.synth.library import Library
        from zeroplay.envs.synth.runner import EnvRunner, RunnerConfig

        super().__init__(cfg, sampler, policy)
        self.ec: EvoEnvConfig = cfg.loop_config
        self.solver_reward = lookup(REWARDS, self.ec.solver_reward)
        self.generator_reward = lookup(REWARDS, self.ec.generator_reward)
        self.writer = ScriptedEnvWriter()
        self.runner = EnvRunner(RunnerConfig(timeout_s=self.ec.timeout_s))
        self.library = Library(Path(cfg.out_dir) / cfg.name / "library")
        self.admitted: list[dict[str, Any]] = []  # library entries with their sources: the checkpointed truth
        self.quarantined = 0  # admitted envs dropped since the run (re)started: they failed to make a problem
        #: Admitted envs out of the mixture (retired or quarantined): kept in the library and for novelty.
        self.retired: list[dict[str, Any]] = []
        self.recent: dict[str, list[bool]] = {}  # admitted env -> the solver's last answers (pass or not)
        self._envs: dict[str, Any] = {}
        self._materialize()

    @classmethod
    def corpus_lines(cls, cfg: Any) -> list[str]:
        from zeroplay.envs.synth.pipeline import authoring_prompt, seed_sources

        seeds = list(seed_sources().values())
        return [authoring_prompt(seeds[:2])] + seeds

    def panels(self) -> list[tuple[str, list[str]]]:
        return [("generator", ["evoenv/admitted_rate", "evoenv/generator/reward"]),
                ("library", ["evoenv/library_size", "evoenv/retired"]),
                ("solver", ["evoenv/solver/accuracy", "eval/accuracy"]), ("reward", ["reward/mean"])]

    # -- the env mixture ----------------------------------------------------------------------------
    def mixture(self) -> list[tuple[str, float]]:
        """(key, weight) of each env the solver trains on: ``seed:NAME`` for seeds, the library name for admitted ones."""
        from zeroplay.envs.synth.pipeline import seed_sources

        library = [(e["name"], 1.0) for e in self.admitted]
        seeds = [(f"seed:{name}", self.ec.seed_weight) for name in seed_sources()]
        if not library or self.ec.seed_weight > 0:
            return [(k, w if w > 0 else 1.0) for k, w in seeds] + library
        return library

    def env(self, key: str) -> Any:
        from zeroplay.envs.synth.env import SynthEnv
        from zeroplay.envs.synth.pipeline import seed_sources

        if key not in self._envs:
            if key.startswith("seed:"):
                self._envs[key] = SynthEnv(source=seed_sources()[key[5:]], difficulty="mixed", batch_size=1,
                                           runner=self.runner)
            else:
                self._envs[key] = SynthEnv(key, library=str(self.library.path), difficulty="mixed", batch_size=1,
                                           runner=self.runner)
        return self._envs[key]

    # -- one step -----------------------------------------------------------------------------------
    def collect_shard(self, step: int, shard: int, shards: int) -> ShardResult:
        gen_samples, stats = self._generate(step)
        solve_samples, correct = self._solve(step)
        stats["correct"] = correct
        return ShardResult(gen_samples + solve_samples, stats)

    def _generate(self, step: int) -> tuple[list[Sample], dict[str, list[Any]]]:
        """Write, admit (the synth pipeline) and reward ``proposals_per_step`` env sources."""
        from zeroplay.envs.synth.novelty import fingerprint
        from zeroplay.envs.synth.pipeline import seed_sources, synthesize
        from zeroplay.envs.synth.runner import RunnerConfig
        from zeroplay.envs.synth.validate import ValidationConfig

        known = [fingerprint(s) for s in seed_sources().values()]
        known += [fingerprint(e["source"]) for e in self.admitted + self.retired]
        author = _Author(self, random.Random(seed_for(self.seed, step, 8)))
        t0 = time.perf_counter()
        results = synthesize(
            author, self.ec.proposals_per_step, theme=self.ec.theme, library=self.library, solver=_Solver(self),
            config=ValidationConfig(seeds_per_level=self.ec.validation_seeds_per_level,
                                    runner=RunnerConfig(timeout_s=self.ec.timeout_s)),
            novelty_threshold=self.ec.novelty_threshold, band=self.ec.band, episodes=self.ec.calibration_episodes,
            seed=seed_for(self.seed, step, 7))
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(results))
        rewards, novelty = [], []
        for r in results:
            nov = 0.0
            if r.accepted:
                mine = fingerprint(r.source)
                nov = 1.0 - max((mine.similarity(fp) for fp in known), default=0.0)
                known.append(mine)
                novelty.append(nov)
                self.admitted.append({**_entry_dict(r.entry), "source": r.source})
            rewards.append(self.generator_reward(r.stage, nov, self.cfg.rewards))
        samples = []
        for i, ((gen, _, ok), r, reward) in enumerate(zip(author.generations, results, rewards)):
            s = to_sample(gen, reward=reward, role="generator", env="author", task_type="author",
                          group=f"{step}-author", episode=f"{step}-a{i}", well_formed=ok)
            s.meta["stage"] = r.stage
            samples.append(s)
        stats = {"admitted": [r.accepted for r in results], "stage": [r.stage or "admitted" for r in results],
                 "generator_reward": rewards, "novelty": novelty}
        return samples, stats

    def _problems(self, n: int, seed: int) -> list[tuple[str, int]]:
        """(env key, reset seed) of ``n`` problems drawn from the mixture with ``seed``."""
        mix = self.mixture()
        entry = split_over_mixture(n, [w for _, w in mix], seed)
        return [(mix[entry[i]][0], seed_for(seed, i)) for i in range(n)]

    def _answer(self, problems: list[tuple[str, int]], n: int) -> tuple[list[tuple[Any, str, bool]], list[bool]]:
        """``n`` answers to each problem, scored by the synth verifier (one batch)."""
        from zeroplay.envs.synth.verify import SynthVerifier

        tasks = [self._task(key, s) for key, s in problems]
        outs = sampler_for(self.sampler, "solver").generate([t.prompt for t in tasks for _ in range(n)])
        t0 = time.perf_counter()
        verdicts = SynthVerifier(runner=self.runner).verify_batch([a for _, a, _ in outs],
                                                                  [t.reference for t in tasks for _ in range(n)])
        self.sampler.timer.add("verify", time.perf_counter() - t0, len(outs))
        return outs, [v.correct for v in verdicts]

    def _task(self, key: str, seed: int) -> Any:
        """The task of problem (``key``, ``seed``). An admitted env that fails to make it (it passed
        validation, whose seeds it may recognise, or has a bug validation missed) leaves the mixture for
        the rest of the run, with a warning; its problem goes to a seed env. A seed env's failure is ours."""
        from zeroplay.core.errors import ZeroplayError
        from zeroplay.envs.synth.pipeline import seed_sources

        try:
            return self.env(key).reset(seed=seed)[1]["task"]
        except ZeroplayError as e:
            if key.startswith("seed:"):
                raise
            warnings.warn(f"evoenv: admitted env {key!r} failed to make a problem and leaves the solver's mixture: "
                          f"{' '.join(str(e).split())[:300]}", stacklevel=2)
            self._retire(key, "failed to make a problem")
            self.quarantined += 1
            names = list(seed_sources())
            return self.env(f"seed:{names[seed % len(names)]}").reset(seed=seed)[1]["task"]

    def _solve(self, step: int) -> tuple[list[Sample], list[bool]]:
        n = self.ec.group_size
        problems = self._problems(self.ec.prompts_per_step, seed_for(self.seed, step, 5))
        outs, correct = self._answer(problems, n)
        samples = []
        for j, ((gen, _, ok), c) in enumerate(zip(outs, correct)):
            i = j // n
            label = problems[i][0].removeprefix("seed:")
            samples.append(to_sample(gen, reward=self.solver_reward(c, ok, self.cfg.rewards), role="solver",
                                     env=f"synth/{label}", task_type=label, group=f"{step}-{i}",
                                     episode=f"{step}-s{i}", well_formed=ok))
        for j, c in enumerate(correct):
            self._watch(problems[j // n][0], bool(c))
        return samples, correct

    def _watch(self, key: str, passed: bool) -> None:
        """Note one solver answer on env ``key``; retire an admitted env whose last ``retire_window``
        answers' pass rate has left the band."""
        window = self.ec.retire_window
        if not window or key.startswith("seed:") or all(e["name"] != key for e in self.admitted):
            return
        recent = self.recent.setdefault(key, [])
        recent.append(passed)
        del recent[:-window]
        rate, (lo, hi) = sum(recent) / len(recent), self.ec.band
        if len(recent) == window and not lo <= rate <= hi:
            self._retire(key, f"the solver's pass rate over its last {window} answers was {rate:.2f}, "
                              f"outside the band [{lo}, {hi}]")

    def _retire(self, key: str, why: str) -> None:
        """Move admitted env ``key`` out of the mixture (``why`` is kept with it)."""
        self.retired += [{**e, "retired": why} for e in self.admitted if e["name"] == key]
        self.admitted = [e for e in self.admitted if e["name"] != key]
        self.recent.pop(key, None)
        self._envs.pop(key, None)

    def merge(self, step: int, results: list[ShardResult]) -> tuple[list[Sample], dict[str, float]]:
        samples, stats = concat_stats(results)

        def mean(key: str) -> float:
            return float(np.mean(stats[key])) if stats.get(key) else 0.0

        solver = [s for s in samples if s.role == "solver"]
        metrics = {"evoenv/proposals": float(len(stats.get("stage", []))),
                   "evoenv/admitted": float(sum(stats.get("admitted", []))), "evoenv/admitted_rate": mean("admitted"),
                   "evoenv/library_size": float(len(self.admitted)), "evoenv/novelty": mean("novelty"),
                   "evoenv/quarantined": float(self.quarantined), "evoenv/retired": float(len(self.retired)),
                   "evoenv/generator/reward": mean("generator_reward"),
                   "evoenv/author/generator/reward": mean("generator_reward"),
                   "evoenv/solver/accuracy": mean("correct"),
                   "evoenv/solver/reward": float(np.mean([s.reward for s in solver])) if solver else 0.0,
                   **reward_by_env_role(samples, "evoenv")}
        for stage in stats.get("stage", []):
            if stage != "admitted":
                metrics[f"evoenv/rejected/{stage}"] = metrics.get(f"evoenv/rejected/{stage}", 0.0) + 1.0
        return samples, metrics

    # -- evaluation: solver accuracy on fixed seed-env problems ---------------------------------------
    def evaluate(self, step: int) -> dict[str, float]:
        from zeroplay.envs.synth.pipeline import seed_sources

        names = list(seed_sources())
        rng = np.random.default_rng(seed_for(self.seed, 31337))
        problems = [(f"seed:{names[int(rng.integers(len(names)))]}", int(rng.integers(1 << 30)))
                    for _ in range(self.cfg.eval.samples)]
        _, correct = self._answer(problems, 1)
        return {"eval/accuracy": float(np.mean(correct)), "eval/library_size": float(len(self.admitted))}

    # -- checkpoint state: the library ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"library": [dict(e) for e in self.admitted], "retired": [dict(e) for e in self.retired],
                "recent": {k: list(v) for k, v in self.recent.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.admitted = [dict(e) for e in state.get("library", [])]
        self.retired = [dict(e) for e in state.get("retired", [])]
        self.recent = {k: [bool(x) for x in v] for k, v in state.get("recent", {}).items()}
        self._materialize()

    def _materialize(self) -> None:
        """Make ``RUN_DIR/library`` hold exactly the admitted and retired envs (a killed step may have added more)."""
        shutil.rmtree(self.library.path, ignore_errors=True)
        self._envs = {k: v for k, v in self._envs.items() if k.startswith("seed:")}
        for e in self.admitted + self.retired:
            meta = {k: v for k, v in e.items() if k not in ("name", "file", "sha256", "created", "source", "retired")}
            entry = self.library.add(e["source"], name=e["name"], sha256=e["sha256"], **meta)
            if entry.name != e["name"]:
                raise ConfigError(f"evoenv: the library in {self.library.path} could not be rebuilt "
                                  f"({entry.name} != {e['name']}); delete the run directory to start over")
        if self.admitted or self.retired:
            self.library.register()


def _entry_dict(entry: Any) -> dict[str, Any]:
    from dataclasses import asdict

    d = asdict(entry)
    d["levels"] = list(d["levels"])
    return d


class _Author:
    """The generator as the synth pipeline's agent: the policy's completions (kept as generations for
    the learner), or the scripted writer's."""

    def __init__(self, loop: EvoEnvLoop, rng: random.Random):
        self.loop, self.rng = loop, rng
        self.generations: list[tuple[Any, str, bool]] = []
        self.name = f"evoenv-{loop.ec.generator}"

    def act(self, prompts: list[str], infos: list[dict[str, Any]]) -> list[str]:
        if self.loop.ec.generator == "scripted":
            return [self.loop.writer.write(p, self.rng) for p in prompts]
        self.generations = sampler_for(self.loop.sampler, "generator").generate(prompts)
        return [gen.text for gen, _, _ in self.generations]


class _Solver:
    """The solver as the calibration agent: the answers of the policy playing ``solver``."""

    def __init__(self, loop: EvoEnvLoop):
        self.loop = loop

    def act(self, prompts: list[str], infos: list[dict[str, Any]]) -> list[str]:
        return [action for _, action, _ in sampler_for(self.loop.sampler, "solver").generate(prompts)]


# -- the scripted generator ------------------------------------------------------------------------

_SPEC = ("sample_instance", "render", "reference", "score")

_PAIR = '''

def sample_instance(rng, difficulty):
    return {"first": _one_sample_instance(rng, difficulty), "second": _one_sample_instance(rng, difficulty)}


def render(instance):
    return ("Solve both problems. Answer with the answer to problem 1, then ' ;; ', then the answer to problem 2.\\n"
            "Problem 1: " + _one_render(instance["first"]) + "\\nProblem 2: " + _one_render(instance["second"]))


def reference(instance):
    return _one_reference(instance["first"]) + " ;; " + _one_reference(instance["second"])


def score(instance, answer):
    parts = answer.split(";;")
    if len(parts) != 2:
        return 0.0
    first = _one_score(instance["first"], parts[0].strip())
    second = _one_score(instance["second"], parts[1].strip())
    return 1.0 if first >= 1.0 and second >= 1.0 else 0.25 * (first + second)
'''


class ScriptedEnvWriter:
    """A stand-in generator for CPU runs: reads the example sources of an authoring prompt and writes a
    variant of one of them, as a reply with one ```python block.

    Variants (drawn per prompt): ``pair`` (two instances of the example in one problem: new structure,
    usually admitted the first time), ``constants`` (its integer constants nudged: usually a
    near-duplicate, as novelty ignores constants, or broken) and ``harder`` (its difficulty shifted up
    one level: a near-duplicate). So a run sees admissions and rejections at several stages.
    """

    VARIANTS = ("pair", "pair", "constants", "harder")

    def write(self, prompt: str, rng: random.Random) -> str:
        from zeroplay.core.answers import PYTHON_LANGS, fenced_blocks

        examples = [b.body for b in fenced_blocks(prompt) if b.closed and b.lang in PYTHON_LANGS and "def " in b.body]
        if not examples:
            return "I cannot see an example environment."
        source = examples[rng.randrange(len(examples))]
        variant = rng.choice(self.VARIANTS)
        try:
            written = getattr(self, f"_{variant}")(ast.parse(source), rng)
        except (SyntaxError, ValueError):
            written = source
        return f"```python\n{written}\n```"

    @staticmethod
    def _rename(tree: ast.Module, suffix: str) -> None:
        for node in tree.body:
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "NAME" for t in node.targets)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                node.value = ast.Constant(node.value.value + suffix)

    def _pair(self, tree: ast.Module, rng: random.Random) -> str:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in _SPEC:
                node.name = f"_one_{node.name}"
            elif isinstance(node, ast.Name) and node.id in _SPEC:
                node.id = f"_one_{node.id}"
        self._rename(tree, "Pair")
        return ast.unparse(tree) + _PAIR

    def _constants(self, tree: ast.Module, rng: random.Random) -> str:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 2
                    and rng.random() < 0.5):
                node.value = node.value + rng.choice((-1, 1, 2))
        self._rename(tree, "Variant")
        return ast.unparse(tree)

    def _harder(self, tree: ast.Module, rng: random.Random) -> str:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "sample_instance" and len(node.args.args) == 2:
                arg = node.args.args[1].arg
                node.body.insert(0, ast.parse(f"{arg} = min(5, {arg} + 1)").body[0])
        self._rename(tree, "Harder")
        return ast.unparse(tree)
