"""``python -m zeroplay.training.torchrun TORCHRUN-ARGS``: torchrun for ``zeroplay train --nproc N``.

The same launcher as ``torchrun`` (``torch.distributed.run``), with the same arguments, except for
what it says when a process fails: each rank has already printed its own error (one line for a
config error), so instead of the launcher's traceback and failure table this prints one line naming
the rank that failed first and its exit status, and exits with that status (2 for a config error, as
a one-process run). A SIGTERM stops every rank (torchrun's own handling) and exits 128 + the signal
quietly: ``zeroplay train --nproc`` passes SIGTERM on and says what can be resumed. Also sets
``OMP_NUM_THREADS`` to the CPU count divided among the processes when it is unset (torchrun would
set 1 and print a banner about it).
"""

from __future__ import annotations

import os
import sys


def _threads_per_process(argv: list[str]) -> int:
    nproc = next((a.split("=", 1)[1] for a in argv if a.startswith("--nproc_per_node=")), "1")
    try:
        return max(1, (os.cpu_count() or 1) // max(1, int(nproc)))
    except ValueError:
        return 1


def _quiet_elastic_loggers() -> None:
    """Silence torch elastic's loggers below CRITICAL: those made through its ``get_logger`` (which read
    ``LOGLEVEL``) and those made with ``logging.getLogger``, which torch's own logging setup prints."""
    import logging

    for name in ["torch.distributed.elastic", *logging.root.manager.loggerDict]:
        if name.startswith("torch.distributed.elastic"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("LOGLEVEL", "CRITICAL")  # torch elastic's loggers read it when made: the line below says it
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    _quiet_elastic_loggers()  # its "Sending process N closing signal SIGTERM" warnings: the stop is told below
    os.environ.setdefault("OMP_NUM_THREADS", str(_threads_per_process(argv)))
    try:
        run(parse_args(argv))
    except ChildFailedError as e:
        rank, failure = e.get_first_failure()
        code = failure.exitcode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        others = len(e.failures) - 1
        also = f" first ({others} more stopped after it: their messages may follow its own)" if others else ""
        print(f"zeroplay train: rank {rank} {how}{also}; rank {rank}'s error is above", file=sys.stderr)
        return code if code > 0 else 1
    except SignalException as e:  # SIGTERM: the ranks are stopped; `zeroplay train` says what can be resumed
        return 128 + int(e.sigval)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
