"""``zeroplay serve MODEL_DIR``: a local transformers model behind an OpenAI-compatible API.

    zeroplay serve ./checkpoints/step-100 --port 8000
    curl http://127.0.0.1:8000/v1/chat/completions -d '{"messages": [{"role": "user", "content": "hi"}]}'

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions`` and ``POST /v1/completions``
(``stream: true`` sends server-sent events, token by token, ending with ``data: [DONE]``),
``GET /health``. Request fields read: ``messages`` / ``prompt`` (a str or a list of str),
``temperature``, ``top_p``, ``max_tokens`` (or ``max_completion_tokens``), ``stop``, ``seed``,
``n``, ``logprobs``, and, as vLLM does, ``return_token_ids`` (adds ``prompt_token_ids`` and
``token_ids`` to each choice, so a client can train on what was sampled).

Built on the standard library's ``ThreadingHTTPServer``: one thread per connection parses and
answers; one worker thread owns the model and runs the requests that arrived together (same
sampling params, no fixed seed) as one batch, so concurrent clients share forward passes.

Guarantees: a malformed request gets a 4xx with an OpenAI-style ``{"error": {...}}`` body that
says what is wrong; a request body is capped; a slow client times out. Does not: authenticate
(it binds 127.0.0.1 by default; put a proxy in front to expose it), or implement tools,
``top_logprobs`` or ``response_format``.
"""

from __future__ import annotations

import argparse
import errno
import json
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from zeroplay.agents.policy import Generation, SamplingParams, check_messages, cut_at_stop
from zeroplay.core.errors import ConfigError

MAX_BODY_BYTES = 8 << 20
#: how long the worker waits for more requests to join a batch
BATCH_WINDOW_S = 0.005


class RequestError(Exception):
    """A client mistake: becomes a 4xx answer with this message."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST, param: str | None = None):
        super().__init__(message)
        self.status, self.param = status, param


# -- the worker that owns the model -----------------------------------------------------------
@dataclass
class _Job:
    prompt_ids: list[list[int]]
    params: SamplingParams
    stream: queue.Queue[tuple[int, int]] | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    result: list[Generation] | None = None
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
            job.finished.set()


def _group(jobs: list[_Job]) -> list[list[_Job]]:
    groups: dict[Any, list[_Job]] = {}
    for i, job in enumerate(jobs):
        key = ("alone", i) if job.params.seed is not None else job.params
        groups.setdefault(key, []).append(job)
    return list(groups.values())


# -- request parsing ----------------------------------------------------------------------
def sampling_from_request(body: dict[str, Any], default_max_tokens: int) -> SamplingParams:
    """The :class:`SamplingParams` an OpenAI-style request asks for; RequestError if invalid."""
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    stop = body.get("stop") or ()
    stop = (stop,) if isinstance(stop, str) else stop
    if not isinstance(stop, (list, tuple)) or not all(isinstance(s, str) and s for s in stop):
        raise RequestError("stop must be a non-empty string or a list of them", param="stop")
    try:
        return SamplingParams(
            temperature=_number(body.get("temperature"), 1.0, "temperature"),
            top_p=_number(body.get("top_p"), 1.0, "top_p"),
            max_new_tokens=default_max_tokens if max_tokens is None else _optional_int(max_tokens, "max_tokens"),
            stop=tuple(stop),
            seed=_optional_int(body.get("seed"), "seed"),
            # chat sends logprobs: true; the legacy API an int count of top log-probs, where 0 still
            # means "the sampled token's log-prob"
            logprobs=body.get("logprobs") is True or type(body.get("logprobs")) is int,
        )
    except ValueError as e:
        raise RequestError(f"invalid sampling parameters: {e}") from e


def _number(value: Any, default: float, name: str) -> float:
    if value is None:
        return default
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise RequestError(f"{name} must be a number, got {value!r:.40}", param=name)
    return float(value)


def _optional_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RequestError(f"{name} must be an integer, got {value!r:.40}", param=name)
    return value


def _choices_count(body: dict[str, Any]) -> int:
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 64:
        raise RequestError(f"n must be an integer from 1 to 64, got {n!r:.40}", param="n")
    return n


# -- the HTTP side ------------------------------------------------------------------------
class OpenAIServer(ThreadingHTTPServer):
    """The HTTP server; ``agent`` is an :class:`~zeroplay.agents.hf.HFAgent`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], agent: Any, *, model_name: str, default_max_tokens: int = 256):
        self.agent, self.model_name, self.default_max_tokens = agent, model_name, default_max_tokens
        self.worker = BatchingWorker(agent)
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # a client that stops sending mid-request is dropped
    server: OpenAIServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet by default: one line per request drowns the console during evaluation

    # routes ----------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/models":
            self._json(
                {"object": "list", "data": [{"id": self.server.model_name, "object": "model", "owned_by": "zeroplay"}]}
            )
        elif path == "/health":
            self._json({"status": "ok"})
        else:
            self._error(RequestError(f"no route GET {path}; try /v1/models", HTTPStatus.NOT_FOUND))

    def do_POST(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        try:
            if path not in ("/v1/chat/completions", "/v1/completions"):
                raise RequestError(
                    f"no route POST {path}; use /v1/chat/completions or /v1/completions", HTTPStatus.NOT_FOUND
                )
            body = self._read_json()
            self._check_model(body)
            self._complete(body, chat=path == "/v1/chat/completions")
        except RequestError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away; nothing to answer
        except Exception as e:  # noqa: BLE001 - report, keep serving
            self._error(RequestError(f"{type(e).__name__}: {e}", HTTPStatus.INTERNAL_SERVER_ERROR))

    # reading ---------------------------------------------------------------------------
    def _read_json(self) -> dict[str, Any]:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise RequestError("send a JSON body with a Content-Length header", HTTPStatus.LENGTH_REQUIRED)
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            raise RequestError(f"request body over {MAX_BODY_BYTES} bytes", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        raw = self.rfile.read(int(length))
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RequestError(f"the request body is not valid JSON: {e}") from e
        if not isinstance(body, dict):
            raise RequestError("the request body must be a JSON object")
        return body

    def _check_model(self, body: dict[str, Any]) -> None:
        model = body.get("model")
        if model is not None and model != self.server.model_name:
            raise RequestError(
                f"the model {model!r} does not exist here; this server serves {self.server.model_name!r}",
                HTTPStatus.NOT_FOUND,
                "model",
            )

    def _prompt_ids(self, body: dict[str, Any], chat: bool) -> list[list[int]]:
        agent = self.server.agent
        if chat:
            try:
                messages = check_messages(body.get("messages"))
            except TypeError as e:
                raise RequestError(f"messages: {e}", param="messages") from e
            try:
                return [agent.encode(messages, chat=True)]
            except ValueError as e:  # no chat template
                raise RequestError(f"this model cannot format chat messages ({e}); use /v1/completions") from e
        prompt = body.get("prompt")
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise RequestError("prompt must be a string or a non-empty list of strings", param="prompt")
        return [agent.encode(p, chat=False) for p in prompts]

    # answering -------------------------------------------------------------------------
    def _complete(self, body: dict[str, Any], chat: bool) -> None:
        params = sampling_from_request(body, self.server.default_max_tokens)
        n = _choices_count(body)
        prompts = [ids for ids in self._prompt_ids(body, chat) for _ in range(n)]
        stream = bool(body.get("stream"))
        job = _Job(prompts, params, stream=queue.Queue() if stream else None)
        self.server.worker.submit(job)
        meta = _Meta(
            id=("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24],
            created=int(time.time()),
            model=self.server.model_name,
            chat=chat,
            token_ids=bool(body.get("return_token_ids")),
        )
        if stream:
            self._stream(job, meta, params)
            return
        job.finished.wait()
        if job.error is not None:
            raise job.error
        self._json(_response(job.result or [], meta, self.server.agent.tokenizer))

    def _stream(self, job: _Job, meta: _Meta, params: SamplingParams) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")  # the end of the stream is the end of the connection
        self.end_headers()
        self.close_connection = True
        deltas = _StreamText(self.server.agent.tokenizer, len(job.prompt_ids), params.stop)
        if meta.chat:
            for k in range(len(job.prompt_ids)):
                self._event(_chunk(meta, k, {"role": "assistant", "content": ""}, None))
        for k, text in _drain(job, deltas):
            if text:
                self._event(_chunk(meta, k, {"content": text} if meta.chat else text, None))
        if job.error is not None:
            self._event({"error": {"message": f"{type(job.error).__name__}: {job.error}", "type": "server_error"}})
        else:
            for k, gen in enumerate(job.result or []):
                rest = deltas.rest(k, gen.text)
                self._event(_chunk(meta, k, {"content": rest} if meta.chat else rest, gen.finish_reason))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        self.wfile.flush()

    def _json(self, payload: dict[str, Any], status: HTTPStatus = HTTPStatus.OK) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, e: RequestError) -> None:
        kind = "invalid_request_error" if e.status < 500 else "server_error"
        try:
            self._json({"error": {"message": str(e), "type": kind, "param": e.param, "code": int(e.status)}}, e.status)
        except (BrokenPipeError, ConnectionResetError):
            pass


# -- response shapes ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Meta:
    id: str
    created: int
    model: str
    chat: bool
    token_ids: bool


def _response(gens: list[Generation], meta: _Meta, tokenizer: Any) -> dict[str, Any]:
    choices = []
    for k, g in enumerate(gens):
        choice: dict[str, Any] = {"index": k, "finish_reason": g.finish_reason}
        if meta.chat:
            choice["message"] = {"role": "assistant", "content": g.text}
        else:
            choice["text"] = g.text
        choice["logprobs"] = _logprobs(g, tokenizer, meta.chat) if g.logprobs is not None else None
        if meta.token_ids:
            choice["prompt_token_ids"], choice["token_ids"] = g.prompt_ids, g.completion_ids
        choices.append(choice)
    prompt_tokens = sum(len(g.prompt_ids) for g in gens[:1])
    completion_tokens = sum(len(g.completion_ids) for g in gens)
    return {
        "id": meta.id,
        "object": "chat.completion" if meta.chat else "text_completion",
        "created": meta.created,
        "model": meta.model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _logprobs(g: Generation, tokenizer: Any, chat: bool) -> dict[str, Any]:
    tokens = [tokenizer.decode([t]) for t in g.completion_ids]
    if chat:
        return {
            "content": [
                {"token": t, "logprob": lp, "bytes": list(t.encode()), "top_logprobs": []}
                for t, lp in zip(tokens, g.logprobs or [])
            ]
        }
    return {"tokens": tokens, "token_logprobs": g.logprobs, "top_logprobs": None, "text_offset": None}


def _chunk(meta: _Meta, index: int, delta: Any, finish_reason: str | None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "finish_reason": finish_reason}
    if meta.chat:
        choice["delta"] = delta
    else:
        choice["text"] = delta
    return {
        "id": meta.id,
        "object": "chat.completion.chunk" if meta.chat else "text_completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [choice],
    }


class _StreamText:
    """Turns a growing list of token ids into safe text deltas: never sends text that a stop
    string could still cut, nor a half-decoded UTF-8 character."""

    def __init__(self, tokenizer: Any, n: int, stop: tuple[str, ...]):
        self.tokenizer, self.stop = tokenizer, stop
        self.hold = max((len(s) for s in stop), default=1) - 1
        self.ids: list[list[int]] = [[] for _ in range(n)]
        self.sent = [""] * n
        self.stopped = [False] * n

    def push(self, k: int, token: int) -> str:
        self.ids[k].append(token)
        if self.stopped[k]:
            return ""
        text, hit = cut_at_stop(self.tokenizer.decode(self.ids[k], skip_special_tokens=True), self.stop)
        self.stopped[k] = hit
        if not hit:
            text = text[: len(text) - self.hold] if self.hold else text
            text = text.rstrip("\ufffd")
        return self._advance(k, text)

    def rest(self, k: int, final: str) -> str:
        """What is left to send once the final text is known."""
        return self._advance(k, final)

    def _advance(self, k: int, text: str) -> str:
        if not text.startswith(self.sent[k]) or len(text) <= len(self.sent[k]):
            return ""
        delta, self.sent[k] = text[len(self.sent[k]) :], text
        return delta


def _drain(job: _Job, deltas: _StreamText) -> Iterator[tuple[int, str]]:
    """Text deltas of a streaming job as its tokens arrive, until it finishes."""
    assert job.stream is not None
    while True:
        try:
            k, token = job.stream.get(timeout=0.05)
        except queue.Empty:
            if job.finished.is_set() and job.stream.empty():
                return
            continue
        yield k, deltas.push(k, token)


# -- command line -------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model_dir", metavar="MODEL_DIR", help="a local transformers checkpoint (config, weights, tokenizer)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one; the URL is printed)")
    parser.add_argument("--name", default=None, help="the model name clients send (default: the directory name)")
    parser.add_argument("--max-tokens", type=int, default=256, help="max_tokens when a request gives none")
    parser.add_argument("--batch-size", type=int, default=16, help="most sequences in one forward pass")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when present)")
    parser.add_argument("--dtype", default=None, help="float32, bfloat16, float16 (default: the checkpoint's)")


def build_server(args: argparse.Namespace, on_ready: Callable[[OpenAIServer], None] | None = None) -> OpenAIServer:
    from zeroplay.agents.hf import HFAgent

    path = Path(args.model_dir).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"{args.model_dir} is not a directory; pass a checkpoint saved with save_pretrained")
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be 0..65535 (0 picks a free one), got {args.port}")
    _check_address_free(args.host, args.port)  # before the slow model load
    agent = HFAgent(str(path), chat=False, batch_size=args.batch_size, device=args.device, dtype=args.dtype)
    server = OpenAIServer(
        (args.host, args.port), agent, model_name=args.name or path.name, default_max_tokens=args.max_tokens
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
