"""A training run over several processes (one per GPU, or CPU processes with gloo), launched by
``torchrun --nproc_per_node N -m zeroplay.cli train CONFIG`` or ``zeroplay train CONFIG --nproc N``.

What a run over N processes guarantees, and how:

- The same samples on every rank. A step's ``rollout_shards`` (fixed by the config, never by N) are
  dealt out, shard ``k`` to rank ``k % N`` (as the Ray actors take them); every rank then gathers all
  shards' results (``all_gather_object``: samples and stats, small) and merges them in shard order. So
  every rank holds the step's samples, loop state and advantages of the one-process run with the
  same ``rollout_shards``.
- One optimizer step equal to the one-process step. The learner splits the batch into the same
  micro-batches as one process would, rank ``r`` runs micro-batches ``r, r + N, ...`` with the loss
  normalized for the whole batch, and the gradients are summed over ranks (:meth:`Dist.sum_grads`)
  before the clip and the step, which then run identically on every rank. Only the order of the
  float additions differs from one process (a relative difference near 1e-7 per step).
- Checkpoints that resume on any process count: every rank holds the whole model and optimizer
  (data parallel, not sharded), rank 0 alone writes run files and checkpoints, and every rank loads the
  same checkpoint and RNG states on resume.

Why a manual all-reduce and not ``DistributedDataParallel``: ranks may run different numbers of
micro-batches (a step with fewer micro-batches than ranks leaves some with none), which DDP's
per-backward hooks cannot sync without hanging; the policy object is shared with the sampler, which
generates with the plain module; and the sum is one coalesced all-reduce per optimizer step, what
DDP with ``no_sync`` over the accumulation does at its last micro-batch anyway. What it gives up is
DDP's overlap of the reduce with the last backward.

Not built: FSDP or any sharding of weights or optimizer state (each rank holds a full replica, so a
model must fit one device with its optimizer); vLLM sampling and Ray rollout actors under several
processes (refused with a message); evaluation is run by every rank (same seed, same result, no
wall time lost since ranks run it at once) so their states never diverge.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from zeroplay.core.errors import ConfigError

#: How long a rank waits in a collective for the others (a dead peer ends the run after this).
TIMEOUT = datetime.timedelta(minutes=10)


class Dist:
    """The process group of a run: this process's ``rank`` of ``world`` (1: a plain one-process run,
    where every method is a no-op or the identity)."""

    def __init__(self, rank: int = 0, world: int = 1, local_rank: int = 0):
        self.rank, self.world, self.local_rank = rank, world, local_rank

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that writes run files, checkpoints and the final model."""
        return self.rank == 0

    def mine(self, n: int) -> list[int]:
        """The indices of ``n`` items (shards, micro-batches) this rank takes: ``rank, rank + world, ...``."""
        return list(range(self.rank, n, self.world))

    def gather(self, items: dict[int, Any], n: int) -> list[Any]:
        """Every rank's ``{index: item}`` (its share of ``n`` items, :meth:`mine`) as one list in index order."""
        if not self.active:
            return [items[i] for i in range(n)]
        parts: list[Any] = [None] * self.world
        torch.distributed.all_gather_object(parts, items)
        merged: dict[int, Any] = {}
        for part in parts:
            merged.update(part)
        return [merged[i] for i in range(n)]

    def sum_grads(self, params: Iterable[torch.nn.Parameter]) -> None:
        """Sum the gradients of ``params`` over ranks, in place, as one flat all-reduce per dtype and
        device. A parameter with a gradient on some rank gets one on every rank (zeros where it had
        none); one without a gradient anywhere keeps None, as one process leaves it (AdamW skips it)."""
        if not self.active:
            return
        params = [p for p in params if p.requires_grad]
        has = self.sum_floats([float(p.grad is not None) for p in params])
        params = [p for p, h in zip(params, has) if h > 0]
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        groups: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}
        for p in params:
            groups.setdefault((p.grad.dtype, p.grad.device), []).append(p.grad)
        for grads in groups.values():
            flat = torch.cat([g.reshape(-1) for g in grads])
            torch.distributed.all_reduce(flat)
            offset = 0
            for g in grads:
                g.copy_(flat[offset:offset + g.numel()].view_as(g))
                offset += g.numel()

    def sum_floats(self, values: Sequence[float]) -> list[float]:
        """``values`` summed element-wise over ranks (float64, so sums of counts stay exact)."""
        if not self.active:
            return list(values)
        t = torch.tensor(list(values), dtype=torch.float64, device=self._comm_device())
        torch.distributed.all_reduce(t)
        return t.cpu().tolist()

    def broadcast_module(self, module: torch.nn.Module) -> None:
        """Rank 0's parameters and buffers into every rank's ``module`` (replicas start identical)."""
        if not self.active:
            return
        with torch.no_grad():
            for t in list(module.parameters()) + list(module.buffers()):
                torch.distributed.broadcast(t.data, src=0)

    def barrier(self) -> None:
        if self.active:
            torch.distributed.barrier()

    def close(self) -> None:
        if self.active and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()

    def _comm_device(self) -> torch.device:
        backend = torch.distributed.get_backend()
        return torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else torch.device("cpu")


def world_from_env(env: dict[str, str] | None = None) -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment variables; (0, 1, 0) without them."""
    env = os.environ if env is None else env
    try:
        world = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
        local = int(env.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise ConfigError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (torchrun sets them); "
                          "unset them to train in one process") from None
    if world < 1 or not 0 <= rank < world:
        raise ConfigError(f"RANK={rank} WORLD_SIZE={world}: the rank must lie in 0..WORLD_SIZE-1 "
                          "(launch with torchrun, or unset them to train in one process)")
    return rank, world, local


def init_distributed(device: torch.device) -> Dist:
    """Join the process group torchrun describes (``nccl`` on CUDA, ``gloo`` on CPU), or a one-process
    :class:`Dist` when there is none. On CUDA each process takes the GPU of its local rank."""
    rank, world, local = world_from_env()
    if world == 1:
        return Dist()
    dist = torch.distributed
    if not dist.is_available():
        raise ConfigError("this torch build has no torch.distributed: train in one process (no torchrun)")
    if "MASTER_ADDR" not in os.environ or "MASTER_PORT" not in os.environ:
        raise ConfigError("WORLD_SIZE is set but MASTER_ADDR/MASTER_PORT are not: launch with "
                          "torchrun --nproc_per_node N (or zeroplay train CONFIG --nproc N)")
    _die_with_launcher()
    cuda = device.type == "cuda"
    if cuda:
        if local >= torch.cuda.device_count():
            raise ConfigError(f"local rank {local} has no GPU ({torch.cuda.device_count()} visible): "
                              "use --nproc_per_node at most the number of GPUs")
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world, timeout=TIMEOUT)
    return Dist(rank, world, local)


def _die_with_launcher() -> None:
    """On Linux, have the kernel SIGKILL this rank when its launcher (torchrun's agent, which starts each
    rank in a session of its own) dies, so a kill -9 of the launcher never leaves ranks training on."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # no prctl: the launcher's own cleanup still stops the ranks
        return
    if os.getppid() == 1:  # the launcher died before the call: nothing would kill this rank later
        os._exit(1)


def rank_device(device: torch.device, d: Dist) -> torch.device:
    """``device`` for this rank: its own GPU (``cuda:LOCAL_RANK``) on CUDA, else unchanged."""
    if d.active and device.type == "cuda":
        return torch.device("cuda", d.local_rank)
    return device


def check_distributable(cfg: Any, d: Dist) -> None:
    """Refuse what does not run over several processes yet, with what to do instead."""
    if not d.active:
        return
    if cfg.backend == "vllm":
        raise ConfigError("backend vllm does not run under torchrun yet: train with one process, "
                          "or use backend hf with several processes")
    if cfg.ray_workers:
        raise ConfigError("ray_workers with several processes: the processes already share the rollout shards; "
                          "set ray_workers: 0 under torchrun")
