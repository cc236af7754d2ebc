"""The ``synth`` verifier: scores answers to synthesized-env tasks, in the sandbox, as ``SynthEnv.step`` does.

A synth task's ``reference`` locates the instance rather than holding a gold string, because
the env's own ``score`` decides (it may accept many answers, or give partial credit)::

    {"name": str, "difficulty": int, "instance_seed": int, "inst_hash": str, "answer": str,
     "source": str}                                # an env given as source, or
     "library": str | None, "sha256": str}         # a library env (None: the default library)

``answer`` is the env's reference answer (for people and the oracle; scoring does not read it).
:func:`synth_reference` builds one; ``SynthEnv`` puts it in every ``info["task"]``, so a synth
:class:`~zeroplay.core.types.Task` can be written to JSONL and scored later by name
(``verifiers.make("synth")``, ``TaskEnv``, ``zeroplay verify``). JSON text of the dict is
accepted too (what ``zeroplay verify synth PRED GOLD`` passes).

Guarantees: the env's code runs only in the sandbox (one job per distinct env in a batch, run
concurrently), never in this process; a response is cleaned and its answer extracted exactly as
``SynthEnv.step`` does, so the verdicts are equal; model text never raises (empty, huge, binary,
non-str: a verdict). An env that fails at scoring time, a missing library entry or a source
edited since it was accepted gives a failing verdict whose reason starts with ``env-error``.
Time per batch is bounded by the runner's job limit (:class:`~zeroplay.envs.synth.runner.RunnerConfig`).
Does not: check that the source ever passed validation when it comes inline (``"source"``);
library envs are checked against the hash recorded when they were accepted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from zeroplay.core.env import TextEnv
from zeroplay.core.types import Verdict
from zeroplay.core.verifier import Verifier
from zeroplay.envs.synth import spec
from zeroplay.envs.synth.runner import EnvRunner, RunnerConfig

#: Keys every synth reference has (besides "source", or "library" and "sha256").
REFERENCE_KEYS = ("name", "difficulty", "instance_seed", "inst_hash")


def synth_reference(*, name: str, difficulty: int, instance_seed: int, inst_hash: str, answer: str,
                    source: str | None = None, library: str | None = None, sha256: str | None = None) -> dict[str, Any]:
    """The ``reference`` of a synth task: inline ``source``, or a library env (``library``, ``sha256``)."""
    ref: dict[str, Any] = {"name": name, "difficulty": difficulty, "instance_seed": instance_seed,
                           "inst_hash": inst_hash, "answer": answer}
    if source is not None:
        ref["source"] = source
    else:
        ref["library"], ref["sha256"] = library, sha256
    return ref


def parse_reference(reference: Any) -> dict[str, Any]:
    """A synth reference as a dict; raises ValueError saying what is missing."""
    if isinstance(reference, str):
        try:
            reference = json.loads(reference)
        except json.JSONDecodeError:
            raise ValueError("a synth reference is a dict (or its JSON text) locating the instance, as SynthEnv puts "
                             f"in info['task'].reference; got the string {reference[:80]!r}") from None
    if not isinstance(reference, dict):
        raise ValueError(f"a synth reference is a dict locating the instance, got {type(reference).__name__}")
    missing = [k for k in REFERENCE_KEYS if k not in reference]
    if "source" not in reference and "sha256" not in reference:
        missing.append("source (or library and sha256)")
    if missing:
        raise ValueError(f"synth reference lacks {', '.join(missing)}; build it with zeroplay.envs.synth.verify.synth_reference")
    return reference


def score_answers(runner: EnvRunner, requests: Sequence[tuple[str, str, dict[str, Any], str]]) -> list[Verdict]:
    """Verdicts on ``(source, env name, where, text)`` requests, in order; ``where`` holds the
    instance's ``seed``, ``difficulty`` and ``inst_hash``, ``text`` the cleaned response.

    Sandbox jobs of a few requests of one source each (:meth:`EnvRunner.score_jobs`), all run together.
    Never raises on what a source does.
    """
    answers = [spec.extract_answer(text) for _, _, _, text in requests]
    by_source: dict[str, list[int]] = {}
    for i, (source, _, _, _) in enumerate(requests):
        by_source.setdefault(source, []).append(i)
    groups: list[list[int]] = []  # the requests of each job, in its items' order
    jobs: list[dict[str, Any]] = []
    for source, idx in by_source.items():
        for job in runner.score_jobs(source, [{**requests[i][2], "answer": answers[i]} for i in idx]):
            jobs.append(job)
            groups.append(idx[:len(job["items"])])
            idx = idx[len(job["items"]):]
    verdicts: list[Verdict] = [Verdict.fail("env-error: no score returned")] * len(requests)
    try:
        outcomes = runner.run_jobs(jobs)
    except Exception as e:  # noqa: BLE001 - the sandbox itself failed: a failing verdict, never a crash mid-training
        return [Verdict.fail(f"env-error: sandbox failed: {type(e).__name__}: {str(e)[:200]}") for _ in requests]
    for idx, outcome in zip(groups, outcomes):
        why = outcome.failure()
        if why is not None:
            for i in idx:
                verdicts[i] = Verdict.fail(f"env-error: {why}")
            continue
        for i, res in zip(idx, outcome.result.get("scores", [])):
            answer, name = answers[i], requests[i][1]
            if "error" in res:
                verdicts[i] = Verdict.fail(f"env-error: {res['error']}", extracted=answer[:200])
            else:
                s = float(res["score"])
                verdicts[i] = Verdict(s >= 1.0 - 1e-9, s, "synth-score", answer[:200], {"env": name})
    return verdicts


class SynthVerifier(Verifier):
    """Scores responses against synth references (see the module docstring for the format and guarantees).

    ``runner`` shares a sandbox runner (e.g. a SynthEnv's); else one is made from ``runner_config``.
    """

    name = "synth"

    def __init__(self, *, runner: EnvRunner | None = None, runner_config: RunnerConfig | None = None):
        self._own_runner = runner is None
        self.runner = runner or EnvRunner(runner_config)

    def verify(self, response: str, reference: Any) -> Verdict:
        return self.verify_batch([response], [reference])[0]

    def verify_batch(self, responses: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        if len(responses) != len(references):
            raise ValueError(f"verify_batch got {len(responses)} responses but {len(references)} references")
        refs = [parse_reference(r) for r in references]
        sources: dict[tuple[Any, ...], str | Verdict] = {}
        requests, slots = [], []
        verdicts: list[Verdict | None] = [None] * len(refs)
        for i, (response, ref) in enumerate(zip(responses, refs)):
            source = self._source(ref, sources)
            if isinstance(source, Verdict):
                verdicts[i] = source
                continue
            where = {"seed": ref["instance_seed"], "difficulty": ref["difficulty"], "inst_hash": ref["inst_hash"]}
            requests.append((source, str(ref["name"]), where, TextEnv.clean_action(response)[0]))
            slots.append(i)
        for i, verdict in zip(slots, score_answers(self.runner, requests)):
            verdicts[i] = verdict
        return verdicts  # type: ignore[return-value] - every slot is filled

    @staticmethod
    def _source(ref: dict[str, Any], seen: dict[tuple[Any, ...], str | Verdict]) -> str | Verdict:
        """The env source a reference names, or a failing verdict saying why there is none (cached per batch)."""
        if "source" in ref:
            return str(ref["source"])
        key = (ref.get("library"), ref["name"], ref["sha256"])
        if key not in seen:
            from zeroplay.core.errors import ZeroplayError
            from zeroplay.envs.synth.library import Library

            try:
                source = Library(ref.get("library")).source(str(ref["name"]))
            except ZeroplayError as e:
                seen[key] = Verdict.fail(f"env-error: {e}")
            else:
                if spec.source_sha(source) != ref["sha256"]:
                    seen[key] = Verdict.fail(f"env-error: library env {ref['name']!r} is not the version this task came "
                                             "from (its source hash differs)")
                else:
                    seen[key] = source
        return seen[key]

    def close(self) -> None:
        if self._own_runner:
            self.runner.close()
