"""``zeroplay serve``'s command: its arguments, the checks before the model loads, and ``run``.

Guarantees: a mistake a user can fix (a missing directory, a training run's directory instead of
its ``final_model``, a directory of per-role models, a port in use or out of range, a device this
machine lacks, a count below 1, an unknown ``--dtype``) is refused in one line (``zeroplay`` exits
with code 2) before the slow model load; before it, only a ``--device`` other than cpu imports
torch, to check it. Does not: check that the
checkpoint's weights load (the model load does, with its own error).
"""

from __future__ import annotations

import argparse
import errno
import re
import sys
from collections.abc import Callable
from pathlib import Path

from zeroplay.agents.local_model import check_device, check_model_dir
from zeroplay.agents.serve.server import OpenAIServer
from zeroplay.core.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model_dir", metavar="MODEL_DIR", help="a local transformers checkpoint (config, weights, tokenizer)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one; the URL is printed)")
    parser.add_argument("--name", default=None, help="the model name clients send (default: the directory name)")
    parser.add_argument(
        "--max-tokens", type=_positive_int, default=256, help="max_tokens when a request gives none (cut to what fits)"
    )
    parser.add_argument("--batch-size", type=_positive_int, default=16, help="most sequences in one forward pass")
    parser.add_argument(
        "--device", type=_device, default=None, help="cpu, cuda, cuda:1 ... (default: cuda when present)"
    )
    parser.add_argument(
        "--dtype", choices=DTYPES, default=None, help="float32, bfloat16, float16 (default: the checkpoint's)"
    )


#: the ``--dtype`` values (torch's names; the default keeps the checkpoint's)
DTYPES = ("float32", "bfloat16", "float16")
_DEVICE = re.compile(r"cpu|mps|cuda(:\d+)?")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _device(text: str) -> str:
    if not _DEVICE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a device here; use cpu, cuda or cuda:N")
    return text


def build_server(args: argparse.Namespace, on_ready: Callable[[OpenAIServer], None] | None = None) -> OpenAIServer:
    from zeroplay.agents.hf import HFAgent

    path = Path(args.model_dir).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"{args.model_dir} is not a directory; pass a checkpoint saved with save_pretrained")
    check_model_dir(path, Path(args.model_dir))
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be 0..65535 (0 picks a free one), got {args.port}")
    _check_address_free(args.host, args.port)  # before the slow model load
    check_device(args.device)
    # no compiled decode step: each new (batch, length) shape of a request would pause it for a compile
    agent = HFAgent(str(path), chat=False, batch_size=args.batch_size, device=args.device, dtype=args.dtype,
                    compile=False)
    config = path / "config.json"
    server = OpenAIServer(
        (args.host, args.port),
        agent,
        model_name=args.name or path.name,
        default_max_tokens=args.max_tokens,
        created=int((config if config.exists() else path).stat().st_mtime),  # when the checkpoint was saved
    )
    if on_ready is not None:
        on_ready(server)
    return server


def _check_address_free(host: str, port: int) -> None:
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        why = "is in use" if e.errno == errno.EADDRINUSE else f"cannot be bound ({e.strerror or e})"
        raise ConfigError(f"{host}:{port} {why}; pick another --port (0 picks a free one) or --host") from None


def run(args: argparse.Namespace) -> int:
    server = build_server(args)
    print(f"zeroplay serve: {server.model_name} at {server.url}  (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("zeroplay serve: stopped", file=sys.stderr, flush=True)
    return 0
