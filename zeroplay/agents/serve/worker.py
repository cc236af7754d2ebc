"""The worker thread that owns the model: every generation of ``zeroplay serve`` runs here.

Guarantees: one thread calls the model, so HTTP threads never touch it; requests that arrive
within :data:`BATCH_WINDOW_S` of each other with equal sampling params and no fixed seed run as
one batch (concurrent clients share forward passes); a request with a seed runs alone, so its
output does not depend on who else asked; a failed batch reports the error to every request in
it, and a failed ``top_logprobs`` pass only to its own. Does not: bound the queue, or cancel a
job whose client went away (it runs to the end).
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from zeroplay.agents.policy import Generation, SamplingParams

#: how long the worker waits for more requests to join a batch
BATCH_WINDOW_S = 0.005


@dataclass
class _Job:
    prompt_ids: list[list[int]]
    params: SamplingParams
    stream: queue.Queue[tuple[int, int]] | None = None
    #: alternatives per token to report (0: none); computed on the worker after generation
    top_logprobs: int = 0
    finished: threading.Event = field(default_factory=threading.Event)
    result: list[Generation] | None = None
    #: per generation, per completion token: the ``top_logprobs`` most likely (token id, log-prob)
    tops: list[list[list[tuple[int, float]]]] | None = None
    error: BaseException | None = None


class BatchingWorker:
    """Runs generation on one thread; jobs queued together with equal params share a batch.

    Jobs with a fixed seed run alone, so their output does not depend on who else asked.
    """

    def __init__(self, agent: Any):
        self.agent = agent
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="zeroplay-serve-worker", daemon=True)
        self.thread.start()

    def submit(self, job: _Job) -> _Job:
        self.jobs.put(job)
        return job

    def _loop(self) -> None:
        while True:
            pending = [self.jobs.get()]
            time.sleep(BATCH_WINDOW_S)
            while True:
                try:
                    pending.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            for group in _group(pending):
                self._run(group)

    def _run(self, group: list[_Job]) -> None:
        rows = [(job, k) for job in group for k in range(len(job.prompt_ids))]

        def on_token(row: int, token: int) -> None:
            job, k = rows[row]
            if job.stream is not None:
                job.stream.put((k, token))

        try:
            gens = self.agent.generate_from_ids([job.prompt_ids[k] for job, k in rows], group[0].params, on_token)
        except Exception as e:  # noqa: BLE001 - every waiting client must hear about it
            for job in group:
                job.error = e
                job.finished.set()
            return
        at = 0
        for job in group:
            job.result = gens[at : at + len(job.prompt_ids)]
            at += len(job.prompt_ids)
            try:
                if job.top_logprobs:
                    job.tops = [top_logprobs(self.agent, g, job.top_logprobs) for g in job.result]
            except Exception as e:  # noqa: BLE001 - reported to this client only
                job.error = e
            job.finished.set()


def _group(jobs: list[_Job]) -> list[list[_Job]]:
    groups: dict[Any, list[_Job]] = {}
    for i, job in enumerate(jobs):
        key = ("alone", i) if job.params.seed is not None else job.params
        groups.setdefault(key, []).append(job)
    return list(groups.values())


def top_logprobs(agent: Any, gen: Generation, k: int) -> list[list[tuple[int, float]]]:
    """For each completion token of ``gen``, the ``k`` most likely tokens at that step and their
    log-probs under the raw distribution (the one :attr:`Generation.logprobs` reports), most
    likely first; from one forward pass over prompt + completion."""
    if not gen.completion_ids:
        return []
    torch, model = agent.torch, agent.model
    ids = torch.tensor([list(gen.prompt_ids) + list(gen.completion_ids)], dtype=torch.long, device=agent.device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, len(gen.prompt_ids) - 1 : -1].float()
    finally:
        model.train(was_training)
    values, indices = torch.log_softmax(logits, dim=-1).topk(min(k, logits.shape[-1]), dim=-1)
    return [list(zip(i, v)) for i, v in zip(indices.tolist(), values.tolist())]
