"""The HTTP side of ``zeroplay serve``: :class:`OpenAIServer` and its request handler.

Built on the standard library's ``ThreadingHTTPServer``: one thread per connection reads the
body, parses it (:mod:`~zeroplay.agents.serve.request`), hands the job to the
:class:`~zeroplay.agents.serve.worker.BatchingWorker` and writes the answer or the stream.

Guarantees: every refusal, the standard library's own included, is a JSON body
``{"error": {"message", "type", "param", "code"}}`` with a 4xx (a 500 for a server fault, and
the server keeps serving); a body over :data:`MAX_BODY_BYTES` or without a length is refused
before it is read; a client that stops sending mid-request is dropped after ``_Handler.timeout``;
a client that leaves mid-stream costs nothing but its own answer. Does not: authenticate, or
keep a streaming connection open after ``data: [DONE]``.
"""

from __future__ import annotations

import json
import queue
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from zeroplay.agents.serve.request import RequestError, parse_request
from zeroplay.agents.serve.responses import (
    _chunk,
    _drain,
    _logprobs,
    _Meta,
    _response,
    _StreamText,
    _token_logprobs,
    _usage,
)
from zeroplay.agents.serve.worker import BatchingWorker, _Job

MAX_BODY_BYTES = 8 << 20


class OpenAIServer(ThreadingHTTPServer):
    """The HTTP server; ``agent`` is an :class:`~zeroplay.agents.hf.HFAgent`. ``created`` is the
    Unix time ``/v1/models`` reports (default: now)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        agent: Any,
        *,
        model_name: str,
        default_max_tokens: int = 256,
        created: int | None = None,
    ):
        self.agent, self.model_name, self.default_max_tokens = agent, model_name, default_max_tokens
        self.created = int(time.time()) if created is None else created
        self.worker = BatchingWorker(agent)
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def model_card(self) -> dict[str, Any]:
        return {"id": self.model_name, "object": "model", "created": self.created, "owned_by": "zeroplay"}


#: the error ``code`` when the raiser names none
_DEFAULT_CODES = {
    HTTPStatus.BAD_REQUEST: "invalid_value",
    HTTPStatus.NOT_FOUND: "not_found",
    HTTPStatus.LENGTH_REQUIRED: "length_required",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "request_too_large",
    HTTPStatus.INTERNAL_SERVER_ERROR: "internal_error",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # a client that stops sending mid-request is dropped
    server: OpenAIServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet by default: one line per request drowns the console during evaluation

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own refusals (a bad request line, an unknown method, huge
        headers) in the API's error shape rather than an HTML page."""
        self._answered, self.close_connection = False, True
        status = HTTPStatus(code)
        reason = "unsupported_method" if status == HTTPStatus.NOT_IMPLEMENTED else "invalid_request"
        self._error(RequestError(f"{message or status.phrase}: {explain or status.description}", status, code=reason))

    # routes ----------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._answered = False
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/models":
            self._json({"object": "list", "data": [self.server.model_card()]})
        elif path == f"/v1/models/{self.server.model_name}":
            self._json(self.server.model_card())
        elif path.startswith("/v1/models/"):
            self._error(self._no_model(path.removeprefix("/v1/models/"), param=None))
        elif path == "/health":
            self._json({"status": "ok"})
        else:
            missing = RequestError(f"no route GET {path:.80}; try /v1/models", HTTPStatus.NOT_FOUND, code="unknown_url")
            self._error(missing)

    def do_POST(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        self._answered = False
        try:
            if path not in ("/v1/chat/completions", "/v1/completions"):
                raise RequestError(
                    f"no route POST {path:.80}; use /v1/chat/completions or /v1/completions",
                    HTTPStatus.NOT_FOUND,
                    code="unknown_url",
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
            self.close_connection = True  # an unread body must not be parsed as the next request
            raise RequestError("send a JSON body with a Content-Length header", HTTPStatus.LENGTH_REQUIRED)
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            raise RequestError(f"request body over {MAX_BODY_BYTES} bytes", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        raw = self.rfile.read(int(length))
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as e:  # bad JSON or UTF-8, an int over 4300 digits, deep nesting
            raise RequestError(f"the request body is not valid JSON: {str(e):.200}", code="invalid_json") from None
        if not isinstance(body, dict):
            raise RequestError("the request body must be a JSON object", code="invalid_json")
        return body

    def _check_model(self, body: dict[str, Any]) -> None:
        model = body.get("model")
        if model is None or model == self.server.model_name:
            return
        if not isinstance(model, str):
            raise RequestError(f"model must be a string, got {model!r:.40}", param="model", code="invalid_type")
        raise self._no_model(model, param="model")

    def _no_model(self, model: str, param: str | None) -> RequestError:
        return RequestError(
            f"the model {model!r:.80} does not exist here; this server serves {self.server.model_name!r}",
            HTTPStatus.NOT_FOUND,
            param,
            code="model_not_found",
        )

    # answering -------------------------------------------------------------------------
    def _complete(self, body: dict[str, Any], chat: bool) -> None:
        server = self.server
        request = parse_request(body, chat=chat, agent=server.agent, default_max_tokens=server.default_max_tokens)
        job = _Job(
            request.prompt_ids,
            request.params,
            # with log-probs the tokens are sent once known with their log-probs, not as they come
            stream=queue.Queue() if request.stream and not request.params.logprobs else None,
            top_logprobs=request.top_logprobs,
        )
        server.worker.submit(job)
        meta = _Meta(
            id=("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24],
            created=int(time.time()),
            model=server.model_name,
            chat=chat,
            token_ids=request.token_ids,
            n=request.n,
            top_logprobs=request.top_logprobs,
            include_usage=request.include_usage,
        )
        if request.stream:
            self._stream(job, meta)
            return
        job.finished.wait()
        if job.error is not None:
            raise job.error
        self._json(_response(job, meta, server.agent.tokenizer))

    def _stream(self, job: _Job, meta: _Meta) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")  # the end of the stream is the end of the connection
        self.end_headers()
        self._answered = True
        self.close_connection = True
        tokenizer = self.server.agent.tokenizer
        deltas = _StreamText(tokenizer, len(job.prompt_ids), job.params.stop)
        if meta.chat:
            for k in range(len(job.prompt_ids)):
                self._event(_chunk(meta, k, {"role": "assistant", "content": ""}, None))
        if job.stream is not None:  # token by token, as they are sampled
            for k, text in _drain(job, deltas):
                if text:
                    self._event(_chunk(meta, k, text, None))
        else:
            job.finished.wait()
        if job.error is not None:
            error = {"message": f"{type(job.error).__name__}: {job.error}", "type": "server_error"}
            self._event({"error": {**error, "param": None, "code": "internal_error"}})
        else:
            for k, gen in enumerate(job.result or []):
                tokens = _token_logprobs(gen, job.tops[k] if job.tops else None, tokenizer)
                start = 0
                if tokens is not None:  # one chunk per token that adds text, with its log-probs
                    for i, token in enumerate(gen.completion_ids):
                        text = deltas.push(k, token)
                        if text:
                            self._event(_chunk(meta, k, text, None, _logprobs(tokens[start : i + 1], meta)))
                            start = i + 1
                rest = deltas.rest(k, gen.text)
                lps = _logprobs(tokens[start:], meta) if tokens and tokens[start:] else None
                self._event(_chunk(meta, k, rest, gen.finish_reason, lps))
            if meta.include_usage:
                self._event({**_chunk(meta, 0, "", None), "choices": [], "usage": _usage(job.result or [], meta)})
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
        self._answered = True
        self.wfile.write(data)

    def _error(self, e: RequestError) -> None:
        if getattr(self, "_answered", False):  # mid-stream: the status line is long gone
            self.close_connection = True
            return
        kind = "invalid_request_error" if e.status < 500 else "server_error"
        code = e.code or _DEFAULT_CODES.get(e.status, "invalid_request")
        try:
            self._json({"error": {"message": str(e), "type": kind, "param": e.param, "code": code}}, e.status)
        except (BrokenPipeError, ConnectionResetError):
            pass
