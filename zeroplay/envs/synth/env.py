"""``SynthEnv``: a single-step task env over a synthesized source, run in the sandbox.

``reset`` shows a prompt; ``step(answer)`` ends the episode with ``score`` as reward and a
:class:`~zeroplay.core.types.Verdict` in ``info["verdict"]`` (like
:class:`~zeroplay.core.tasks.TaskEnv`). ``info["task"]`` holds the problem as a
:class:`~zeroplay.core.types.Task` for the ``synth`` verifier: its ``reference`` locates the
instance (:func:`~zeroplay.envs.synth.verify.synth_reference`; the env's own reference answer is
``reference["answer"]``), so the task can be stored and scored later by name, with the same verdict.

Cost: the source never runs in this process. Prompts come ``batch_size`` at a time from one
sandbox job (the instance seeds are drawn from ``self.np_random`` up front, so a seeded reset
is deterministic); each ``step`` is one sandbox job that rebuilds the instance from its seed
and scores the answer (and checks the rebuilt instance is the one shown). With the warm pool a
job costs a few milliseconds; with a cold backend, an interpreter start. A reset to a seed
seen lately reuses its batch (no job). Use :meth:`SynthEnv.score_many` to score many answers
of one env in one job.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from zeroplay.core.env import TextEnv
from zeroplay.core.errors import EpisodeOverError, SandboxError, ZeroplayError
from zeroplay.core.types import Task, Verdict
from zeroplay.envs.synth import spec
from zeroplay.envs.synth.runner import EnvRunner, RunnerConfig
from zeroplay.envs.synth.verify import score_answers, synth_reference


class SynthEnv(TextEnv):
    """A synthesized environment: ``SynthEnv("Name")`` from the library, or ``SynthEnv(source=...)``.

    ``difficulty`` defaults to the level the library recorded (calibrated when calibration ran);
    ``difficulty="mixed"`` draws each episode's level uniformly from ``levels`` (the calibrated
    band's levels for a library env); ``reset(options={"difficulty": d})`` overrides it for one
    episode. Prompts made for a batch of instance seeds are remembered (the last
    ``cache_batches`` batches), so resetting to the same seed again, as RLVR loops do once per
    sampled answer, costs no sandbox job. The env trusts that the
    source passed :func:`~zeroplay.envs.synth.validate.validate`; a source that fails at play
    time gives a failing verdict on ``step`` (reward 0), and ``reset`` raises
    :class:`~zeroplay.core.errors.ZeroplayError` only when no instance at all can be made.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        library: str | None = None,
        source: str | None = None,
        difficulty: int | str | None = None,
        levels: list[int] | None = None,
        batch_size: int = 8,
        cache_batches: int = 64,
        runner: EnvRunner | None = None,
        runner_config: RunnerConfig | None = None,
        render_mode: str | None = None,
    ):
        super().__init__(render_mode=render_mode)
        self._library: tuple[str, str] | None = None  # (path, sha256) of a library env: what its tasks cite
        if source is None:
            if name is None:
                raise ValueError("SynthEnv needs a library env name or source=...; e.g. SynthEnv('ShortestPath')")
            from zeroplay.envs.synth.library import Library

            lib = Library(library)
            entry = lib.get(name)
            source = lib.source(name)
            difficulty = entry.difficulty if difficulty is None else difficulty
            levels = entry.levels if levels is None else levels
            self._library = (str(lib.path), entry.sha256)
        self.name = name or spec.declared_name(source) or "SynthEnv"
        self.source = source
        self.levels = [self._check_difficulty(d) for d in (levels or spec.DIFFICULTIES)]
        if difficulty == "mixed":
            self.difficulty: int | str = "mixed"
        else:
            self.difficulty = self._check_difficulty(1 if difficulty is None else difficulty)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self._own_runner = runner is None
        self.runner = runner or EnvRunner(runner_config)
        self.cache_batches = cache_batches
        self._queues: dict[int, deque[tuple[int, dict[str, Any]]]] = {}
        self._made: OrderedDict[tuple[int, tuple[int, ...]], list[tuple[int, dict[str, Any]]]] = OrderedDict()
        self.task: Task | None = None
        self._current: dict[str, Any] | None = None
        self._done = True

    @staticmethod
    def _check_difficulty(d: Any) -> int:
        if isinstance(d, bool) or not isinstance(d, int) or d not in spec.DIFFICULTIES:
            raise ValueError(f"difficulty must be one of {spec.DIFFICULTIES} or 'mixed', got {d!r}")
        return d

    # -- gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self._queues.clear()
        difficulty = (options or {}).get("difficulty", self.difficulty)
        if difficulty == "mixed":
            difficulty = self.levels[int(self.np_random.integers(len(self.levels)))]
        difficulty = self._check_difficulty(difficulty)
        queue = self._queues.setdefault(difficulty, deque())
        if not queue:
            queue.extend(self._make_batch(difficulty))
        inst_seed, item = queue.popleft()
        self._current = {"seed": inst_seed, "difficulty": difficulty, "inst_hash": item["inst_hash"]}
        prompt = spec.full_prompt(item["prompt"])
        where = {"instance_seed": inst_seed, "difficulty": difficulty, "inst_hash": item["inst_hash"]}
        if self._library is None:
            reference = synth_reference(name=self.name, answer=item["reference"], source=self.source, **where)
        else:
            path, sha256 = self._library
            reference = synth_reference(name=self.name, answer=item["reference"], library=path, sha256=sha256, **where)
        self.task = Task(
            id=f"{self.name}/{difficulty}/{inst_seed}", prompt=prompt, reference=reference, verifier="synth",
            meta={"env": self.name, **where, "oracle_answer": item["reference"]},
        )
        self._done = False
        self._last_obs = prompt
        return prompt, {"task": self.task, "difficulty": difficulty}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._current is None or self._done:
            raise EpisodeOverError("step() on a finished or never-started episode; call reset() first")
        self._done = True
        text, problem = self.clean_action(action)
        verdict = self._verdicts([(self._current, text)])[0]
        info: dict[str, Any] = {"verdict": verdict, "task": self.task}
        if problem:
            info["reason"] = problem
        return self._last_obs, float(verdict.score), True, False, info

    # -- batching ------------------------------------------------------------------------
    def score_many(self, tasks: list[Task], answers: list[str]) -> list[Verdict]:
        """Verdicts on many answers to tasks this env served (``info["task"]``), in one sandbox job."""
        if len(tasks) != len(answers):
            raise ValueError(f"score_many got {len(tasks)} tasks but {len(answers)} answers")
        items = []
        for task, answer in zip(tasks, answers):
            meta = task.meta
            items.append(({"seed": meta["instance_seed"], "difficulty": meta["difficulty"], "inst_hash": meta.get("inst_hash", "")},
                          self.clean_action(answer)[0]))
        return self._verdicts(items)

    def _verdicts(self, items: list[tuple[dict[str, Any], str]]) -> list[Verdict]:
        return score_answers(self.runner, [(self.source, self.name, where, text) for where, text in items])

    def _make_batch(self, difficulty: int) -> list[tuple[int, dict[str, Any]]]:
        seeds = tuple(int(s) for s in self.np_random.integers(0, 2**31 - 1, size=self.batch_size))
        key = (difficulty, seeds)
        if key in self._made:
            self._made.move_to_end(key)
            return list(self._made[key])
        job = self.runner.job(self.source, "instances", cases=[[s, difficulty] for s in seeds])
        outcome = self.runner.run_jobs([job])[0]
        why = outcome.failure()
        if why is not None:
            raise SandboxError(f"synth env {self.name!r} could not make instances: {why}")
        made = [(s, item) for s, item in zip(seeds, outcome.result["instances"]) if "error" not in item]
        if not made:
            first = outcome.result["instances"][0]["error"] if outcome.result["instances"] else "no instances"
            raise ZeroplayError(f"synth env {self.name!r} failed on every instance at difficulty {difficulty}: {first}; "
                                "validate the source again (zeroplay.envs.synth.validate)")
        self._made[key] = made
        while len(self._made) > self.cache_batches:
            self._made.popitem(last=False)
        return list(made)

    def close(self) -> None:
        if self._own_runner:
            self.runner.close()
