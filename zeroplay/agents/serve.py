"""``zeroplay serve MODEL_DIR``: a local transformers model behind an OpenAI-compatible API.

    zeroplay serve ./checkpoints/step-100 --port 8000
    curl http://127.0.0.1:8000/v1/chat/completions -d '{"messages": [{"role": "user", "content": "hi"}]}'

Endpoints: ``GET /v1/models``, ``GET /v1/models/NAME``, ``POST /v1/chat/completions`` and
``POST /v1/completions`` (``stream: true`` sends server-sent events ending with ``data: [DONE]``),
``GET /health``. The official ``openai`` client works against it (tests/agents/test_serve_openai.py).

Request fields read: ``messages`` (content a str or a list of ``{"type": "text", "text": ...}``
parts, joined with newlines as vLLM does; role ``developer`` is read as ``system``) / ``prompt``
(a str, a list of str, a list of token ids or a list of such lists), ``temperature`` (0 to 2;
below 1e-5 means greedy, as in vLLM), ``top_p``, ``max_tokens`` (or ``max_completion_tokens``),
``stop``, ``seed``, ``n``, ``stream``, ``stream_options.include_usage`` (a last chunk with the
usage and no choices), ``logprobs`` and ``top_logprobs`` (chat: ``logprobs: true, top_logprobs: k``;
completions: ``logprobs: k``; k <= 20), and, as vLLM does, ``return_token_ids`` (adds
``prompt_token_ids`` and ``token_ids`` to each choice, so a client can train on what was sampled).
``user``, ``metadata``, ``store``, ``service_tier``, ``prompt_cache_key``, ``safety_identifier`` and
``parallel_tool_calls`` are accepted and change nothing. Every other OpenAI field (tools,
response_format, penalties, logit_bias, echo, ...) is refused with a 400 naming it unless it has
its no-op value (``tools: []``, ``presence_penalty: 0`` ...); unknown fields are refused too.

Context: prompts are never cut (training's :class:`~zeroplay.agents.hf.HFAgent` cuts them from the
left; a server must not answer a question it did not read). As vLLM and OpenAI do, a prompt of
``max_position_embeddings`` tokens or more (no room for one completion token), or a request whose
``max_tokens`` (or ``max_completion_tokens``) does not fit after its prompt, gets a 400
``invalid_request_error`` with code ``context_length_exceeded`` and param ``messages`` / ``prompt``,
naming the limit and the counts. Without ``max_tokens`` the completion gets ``--max-tokens`` or
the room left, whichever is less (``finish_reason: length`` when that runs out), as in vLLM.

Log-probs: a token's ``logprob`` is the one generation computed (``Generation.logprobs``: the raw
distribution at temperature 1). ``top_logprobs`` come from one more forward pass over prompt and
completion after generation, so they describe the same distribution. A stream that asks for
log-probs sends its tokens once generation ends (the log-probs are only known then); other
streams are sent token by token.

Built on the standard library's ``ThreadingHTTPServer``: one thread per connection parses and
answers; one worker thread owns the model and runs the requests that arrived together (same
sampling params, no fixed seed) as one batch, so concurrent clients share forward passes.

Guarantees: a malformed request gets a 4xx with an OpenAI-style body
``{"error": {"message", "type", "param", "code"}}`` (``code`` a string such as
``"invalid_value"`` or ``"unsupported_parameter"``) that says what is wrong; a request body is
capped, and so is the number of sequences one request asks for; a slow client times out. Startup
mistakes (a training run's directory instead of its ``final_model``, a bad ``--dtype``, a device
this machine lacks, a count below 1) end with exit code 2 and one line, before the model loads.
Does not: authenticate (it binds 127.0.0.1 by default; put a proxy in front to expose it), or
implement tools, structured output, penalties, ``echo``/``suffix`` or ``best_of``.
"""

from __future__ import annotations

import argparse
import errno
import json
import queue
import re
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

from zeroplay.agents.policy import Generation, Message, SamplingParams, check_messages, cut_at_stop
from zeroplay.core.errors import AgentError, ConfigError

MAX_BODY_BYTES = 8 << 20
#: the most sequences one request may ask for (prompts times ``n``)
MAX_SEQUENCES = 256
#: the most alternatives ``top_logprobs`` (chat) or ``logprobs`` (completions) may ask for
MAX_TOP_LOGPROBS = 20
#: temperatures below this decode greedily (vLLM's threshold): dividing float32 logits by a
#: smaller number overflows
GREEDY_BELOW = 1e-5
#: how long the worker waits for more requests to join a batch
BATCH_WINDOW_S = 0.005


class RequestError(Exception):
    """A client mistake: becomes a 4xx answer with this message, ``param`` and string ``code``."""

    def __init__(
        self,
        message: str,
        status: HTTPStatus = HTTPStatus.BAD_REQUEST,
        param: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.status, self.param, self.code = status, param, code


# -- the worker that owns the model -----------------------------------------------------------
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


# -- request parsing ----------------------------------------------------------------------
#: fields each endpoint reads (see the module docstring)
_READ = {"model", "temperature", "top_p", "max_tokens", "stop", "seed", "n", "stream", "stream_options",
         "logprobs", "return_token_ids"}  # fmt: skip
CHAT_FIELDS = _READ | {"messages", "max_completion_tokens", "top_logprobs"}
COMPLETION_FIELDS = _READ | {"prompt"}
#: fields that change nothing about the answer, so accepting them hides nothing
IGNORED_FIELDS = {"user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier",
                  "parallel_tool_calls"}  # fmt: skip
_EMPTY = (None, [], {})
#: OpenAI fields that zeroplay serve does not implement, with the values that mean "off"
UNSUPPORTED_FIELDS: dict[str, tuple[Any, ...]] = {
    "tools": _EMPTY,
    "tool_choice": (None, "none"),
    "functions": _EMPTY,
    "function_call": (None, "none"),
    "response_format": (None, {"type": "text"}),
    "presence_penalty": (None, 0),
    "frequency_penalty": (None, 0),
    "logit_bias": _EMPTY,
    "modalities": (None, ["text"]),
    "audio": (None,),
    "prediction": (None,),
    "reasoning_effort": (None,),
    "web_search_options": (None,),
    "verbosity": (None,),
    "echo": (None, False),
    "suffix": (None, ""),
    "best_of": (None, 1),
}
_MESSAGE_UNSUPPORTED: dict[str, tuple[Any, ...]] = {
    "name": (None,),
    "tool_calls": _EMPTY,
    "tool_call_id": (None,),
    "function_call": (None,),
    "audio": (None,),
    "refusal": (None,),
}
_ROLE_ALIASES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


@dataclass(frozen=True)
class ParsedRequest:
    """What one completion request asks for, checked."""

    #: token ids of every sequence to generate: each prompt ``n`` times, in choice order
    prompt_ids: list[list[int]]
    params: SamplingParams
    n: int
    #: alternatives per token to report; 0 reports only the sampled token's log-prob (if asked)
    top_logprobs: int
    stream: bool
    include_usage: bool
    token_ids: bool


def parse_request(body: dict[str, Any], *, chat: bool, agent: Any, default_max_tokens: int) -> ParsedRequest:
    """Check an OpenAI-style request body and encode its prompts; RequestError if it is invalid."""
    check_fields(body, chat=chat)
    params = sampling_from_request(body, default_max_tokens, chat=chat)
    n = _choices_count(body)
    prompts = _chat_prompt(body, agent) if chat else _completion_prompts(body, agent)
    check_context(prompts, params, context=context_length(agent), chat=chat, asked=_max_tokens_field(body))
    if len(prompts) * n > MAX_SEQUENCES:
        raise RequestError(
            f"{len(prompts)} prompts x n={n} is over {MAX_SEQUENCES} sequences per request; send fewer", param="n"
        )
    stream = _optional_bool(body.get("stream"), "stream") or False
    options = body.get("stream_options")
    if options is not None and not stream:
        raise RequestError("stream_options is only allowed when stream is true", param="stream_options")
    if options is not None and not isinstance(options, dict):
        raise RequestError(f"stream_options must be an object, got {options!r:.60}", param="stream_options")
    for key in sorted(set(options or {}) - {"include_usage", "include_obfuscation"}):  # obfuscation: a no-op here
        raise RequestError(
            f"stream_options.{key:.40} is not supported by zeroplay serve; it reads include_usage",
            param=f"stream_options.{key:.40}",
            code="unsupported_parameter",
        )
    include_usage = _optional_bool((options or {}).get("include_usage"), "stream_options.include_usage") or False
    return ParsedRequest(
        prompt_ids=[ids for ids in prompts for _ in range(n)],
        params=params,
        n=n,
        top_logprobs=_top_logprobs_count(body, chat),
        stream=stream,
        include_usage=include_usage,
        token_ids=_optional_bool(body.get("return_token_ids"), "return_token_ids") or False,
    )


def check_fields(body: dict[str, Any], *, chat: bool) -> None:
    """Refuse fields zeroplay serve would otherwise ignore: unknown ones, and OpenAI features it
    does not implement unless they carry their no-op value."""
    known = CHAT_FIELDS if chat else COMPLETION_FIELDS
    for name, value in body.items():
        if name in known or name in IGNORED_FIELDS:
            continue
        if name in UNSUPPORTED_FIELDS:
            if _is_one_of(value, UNSUPPORTED_FIELDS[name]) or (name == "best_of" and value == body.get("n")):
                continue
            raise RequestError(
                f"{name} is not supported by zeroplay serve (got {value!r:.60}); leave it out",
                param=name,
                code="unsupported_parameter",
            )
        endpoint = "/v1/chat/completions" if chat else "/v1/completions"
        raise RequestError(
            f"unrecognized request argument {name!r:.60} for {endpoint}; it reads {', '.join(sorted(known))}",
            param=name[:60],
            code="unknown_parameter",
        )


def _is_one_of(value: Any, allowed: tuple[Any, ...]) -> bool:
    # type-aware: True == 1 and 0.0 == 0 in Python, and only the latter is a no-op penalty
    return any(type(value) is type(a) and value == a or (a == 0 and _is_number(value) and value == 0) for a in allowed)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _max_tokens_field(body: dict[str, Any]) -> str | None:
    """The field that sets the completion's length (``max_completion_tokens`` wins), or None."""
    for name in ("max_completion_tokens", "max_tokens"):
        if body.get(name) is not None:
            return name
    return None


def context_length(agent: Any) -> int | None:
    """The most tokens prompt and completion may hold together (the model's
    ``max_position_embeddings``, as the agent reads it); None when the config does not say."""
    return getattr(getattr(agent.model, "config", None), "max_position_embeddings", None) or None


def check_context(
    prompts: list[list[int]], params: SamplingParams, *, context: int | None, chat: bool, asked: str | None
) -> None:
    """Refuse prompts the model cannot hold, rather than cut them as training does: a prompt must
    leave room for one completion token, and prompt + ``max_tokens`` must fit when the request
    sets ``max_tokens`` (vLLM's rules). Without it the completion gets the room left."""
    if context is None:
        return
    param = "messages" if chat else "prompt"
    longest = max(range(len(prompts)), key=lambda i: len(prompts[i]))
    size = len(prompts[longest])
    limit = f"This model's maximum context length is {context} tokens."
    if size >= context:
        subject = "the messages have" if chat else "the prompt has" if len(prompts) == 1 else f"prompt[{longest}] has"
        raise RequestError(
            f"{limit} However, {subject} {size} tokens, leaving no room for the completion; shorten the {param}",
            param=param,
            code="context_length_exceeded",
        )
    if asked is not None and size + params.max_new_tokens > context:
        raise RequestError(
            f"{limit} However, you requested {size + params.max_new_tokens} tokens ({size} in the {param}, "
            f"{params.max_new_tokens} in the completion); shorten the {param} or lower {asked}",
            param=param,
            code="context_length_exceeded",
        )


def sampling_from_request(body: dict[str, Any], default_max_tokens: int, *, chat: bool = True) -> SamplingParams:
    """The :class:`SamplingParams` an OpenAI-style request asks for; RequestError if invalid."""
    name = _max_tokens_field(body) or "max_tokens"
    max_tokens = _optional_int(body.get(name), name)
    if max_tokens is not None and max_tokens < 1:
        raise RequestError(f"{name} must be at least 1 (max_new_tokens >= 1), got {max_tokens}", param=name)
    temperature = _number(body.get("temperature"), 1.0, "temperature")
    if not 0 <= temperature <= 2:
        raise RequestError(f"temperature must be from 0 to 2, got {temperature!r}", param="temperature")
    top_p = _number(body.get("top_p"), 1.0, "top_p")
    if not 0 < top_p <= 1:
        raise RequestError(f"top_p must be in (0, 1], got {top_p!r}", param="top_p")
    seed = _optional_int(body.get("seed"), "seed")
    if seed is not None and not -(2**63) <= seed < 2**63:
        raise RequestError(f"seed must be a 64-bit integer, got {seed}", param="seed")
    logprobs = body.get("logprobs")
    if chat:
        wants_logprobs = _optional_bool(logprobs, "logprobs") or False
    else:  # the legacy API: an int count of top log-probs, where 0 still means "the sampled token's"
        wants_logprobs = _optional_int(logprobs, "logprobs") is not None
    try:
        return SamplingParams(
            temperature=0.0 if temperature < GREEDY_BELOW else temperature,
            top_p=top_p,
            max_new_tokens=default_max_tokens if max_tokens is None else max_tokens,
            stop=_stop_strings(body.get("stop")),
            seed=seed,
            logprobs=wants_logprobs,
        )
    except ValueError as e:
        raise RequestError(f"invalid sampling parameters: {e}") from e


def _stop_strings(stop: Any) -> tuple[str, ...]:
    if stop is None:
        return ()
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops) or len(stops) > 16:
        raise RequestError("stop must be a non-empty string or a list of up to 16 of them", param="stop")
    for s in stops:
        _check_text(s, "stop")
    return tuple(stops)


def _top_logprobs_count(body: dict[str, Any], chat: bool) -> int:
    name = "top_logprobs" if chat else "logprobs"
    k = _optional_int(body.get(name), name)
    if k is None:
        return 0
    if not 0 <= k <= MAX_TOP_LOGPROBS:
        raise RequestError(f"{name} must be from 0 to {MAX_TOP_LOGPROBS}, got {k}", param=name)
    if chat and body.get("logprobs") is not True:
        raise RequestError("top_logprobs needs logprobs: true", param="top_logprobs")
    return k


def _number(value: Any, default: float, name: str) -> float:
    if value is None:
        return default
    if not _is_number(value):
        raise RequestError(f"{name} must be a number, got {value!r:.40}", param=name, code="invalid_type")
    if value != value or value in (float("inf"), float("-inf")):
        raise RequestError(f"{name} must be a finite number, got {value!r}", param=name)
    return float(value)


def _optional_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RequestError(f"{name} must be an integer, got {value!r:.40}", param=name, code="invalid_type")
    return value


def _optional_bool(value: Any, name: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise RequestError(f"{name} must be true or false, got {value!r:.40}", param=name, code="invalid_type")
    return value


def _check_text(text: str, name: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise RequestError(f"{name} is not valid Unicode text ({e.reason})", param=name) from None
    return text


def _choices_count(body: dict[str, Any]) -> int:
    n = body.get("n")
    n = 1 if n is None else n
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 64:
        raise RequestError(f"n must be an integer from 1 to 64, got {n!r:.40}", param="n")
    return n


def chat_messages(raw: Any) -> list[Message]:
    """OpenAI chat messages as zeroplay's ``{"role", "content"}`` dicts; RequestError if a
    message uses what the server does not implement (images, tool calls, names)."""
    if not isinstance(raw, list) or not raw:
        raise RequestError(
            "messages must be a non-empty list of {role, content} objects, got "
            + ("an empty list" if isinstance(raw, list) else type(raw).__name__),
            param="messages",
            code="invalid_type",
        )
    out = []
    for i, m in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise RequestError(f"{where} must be an object with role and content, got {m!r:.60}", param=where)
        for key, value in m.items():
            if key in ("role", "content"):
                continue
            if key in _MESSAGE_UNSUPPORTED and _is_one_of(value, _MESSAGE_UNSUPPORTED[key]):
                continue
            why = "is not supported by zeroplay serve" if key in _MESSAGE_UNSUPPORTED else "is not a message field"
            raise RequestError(
                f"{where}.{key:.40} {why}", param=f"{where}.{key:.40}", code="unsupported_parameter"
            )
        role = m.get("role")
        if role not in _ROLE_ALIASES:
            raise RequestError(
                f"{where}.role must be one of {sorted(_ROLE_ALIASES)}, got {role!r:.40}"
                + (" (tools are not supported by zeroplay serve)" if role in ("tool", "function") else ""),
                param=f"{where}.role",
            )
        out.append({"role": _ROLE_ALIASES[role], "content": _content_text(m.get("content"), f"{where}.content")})
    try:
        return check_messages(out)
    except TypeError as e:
        raise RequestError(f"messages: {e}", param="messages") from e


def _content_text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return _check_text(content, where)
    if not isinstance(content, list) or not content:
        raise RequestError(
            f"{where} must be a string or a non-empty list of text parts, got {content!r:.60}",
            param=where,
            code="invalid_type",
        )
    texts = []
    for j, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
            kind = part.get("type") if isinstance(part, dict) else None
            what = f"{kind!r:.30} parts are not supported by zeroplay serve" if kind not in (None, "text") else ""
            raise RequestError(
                f"{where}[{j}] must be {{'type': 'text', 'text': str}}{'; ' + what if what else ''}",
                param=f"{where}[{j}]",
                code="unsupported_parameter" if what else "invalid_type",
            )
        texts.append(_check_text(part["text"], f"{where}[{j}].text"))
    return "\n".join(texts)


def _chat_prompt(body: dict[str, Any], agent: Any) -> list[list[int]]:
    messages = chat_messages(body.get("messages"))
    try:
        return [agent.encode(messages, chat=True)]
    except ValueError as e:  # no chat template
        raise RequestError(f"this model cannot format chat messages ({e}); use /v1/completions") from e
    except AgentError as e:  # the template refused them (roles must alternate, no system message ...)
        raise RequestError(str(e), param="messages") from e
    except Exception as e:  # noqa: BLE001 - a template's raise_exception (roles must alternate ...)
        raise RequestError(f"the model's chat template refused these messages: {e}", param="messages") from e


def _completion_prompts(body: dict[str, Any], agent: Any) -> list[list[int]]:
    prompt = body.get("prompt")
    vocab = agent.model.get_input_embeddings().num_embeddings
    if isinstance(prompt, list) and prompt and all(_is_token(t) for t in prompt):
        prompt = [prompt]  # one prompt given as token ids
    if isinstance(prompt, str):
        prompt = [prompt]
    if not isinstance(prompt, list) or not prompt:
        raise RequestError(
            "prompt must be a string, a list of strings, a list of token ids or a list of such lists",
            param="prompt",
            code="invalid_type",
        )
    out = []
    for i, p in enumerate(prompt):
        if isinstance(p, str):
            out.append(agent.encode(_check_text(p, f"prompt[{i}]"), chat=False))
        elif isinstance(p, list) and p and all(_is_token(t) for t in p):
            if max(p) >= vocab:
                raise RequestError(f"prompt[{i}] has token id {max(p)}; this model's ids are 0..{vocab - 1}")
            out.append(list(p))
        else:
            raise RequestError(
                f"prompt[{i}] must be a string or a non-empty list of token ids, got {p!r:.40}",
                param="prompt",
                code="invalid_type",
            )
    return out


def _is_token(t: Any) -> bool:
    return isinstance(t, int) and not isinstance(t, bool) and t >= 0


# -- the HTTP side ------------------------------------------------------------------------
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


# -- response shapes ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Meta:
    id: str
    created: int
    model: str
    chat: bool
    token_ids: bool
    n: int
    top_logprobs: int
    include_usage: bool


@dataclass(frozen=True)
class _TokenLogprob:
    """One completion token as the API reports it: its text and bytes, log-prob, offset in the
    completion text, and the most likely alternatives at its step."""

    piece: _Piece
    logprob: float
    offset: int
    top: list[tuple[_Piece, float]]


def _response(job: _Job, meta: _Meta, tokenizer: Any) -> dict[str, Any]:
    gens = job.result or []
    choices = []
    for k, g in enumerate(gens):
        choice: dict[str, Any] = {"index": k, "finish_reason": g.finish_reason}
        if meta.chat:
            choice["message"] = {"role": "assistant", "content": g.text}
        else:
            choice["text"] = g.text
        choice["logprobs"] = _logprobs(_token_logprobs(g, job.tops[k] if job.tops else None, tokenizer), meta)
        if meta.token_ids:
            choice["prompt_token_ids"], choice["token_ids"] = g.prompt_ids, g.completion_ids
        choices.append(choice)
    return {
        "id": meta.id,
        "object": "chat.completion" if meta.chat else "text_completion",
        "created": meta.created,
        "model": meta.model,
        "choices": choices,
        "usage": _usage(gens, meta),
    }


def _usage(gens: list[Generation], meta: _Meta) -> dict[str, int]:
    prompt_tokens = sum(len(g.prompt_ids) for g in gens[:: meta.n])  # each prompt counts once, not n times
    completion_tokens = sum(len(g.completion_ids) for g in gens)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _token_logprobs(
    g: Generation, tops: list[list[tuple[int, float]]] | None, tokenizer: Any
) -> list[_TokenLogprob] | None:
    """The completion's tokens with their log-probs; None when the request did not ask."""
    if g.logprobs is None:
        return None
    context = list(g.prompt_ids) + list(g.completion_ids)
    out = []
    for i, (token, lp) in enumerate(zip(g.completion_ids, g.logprobs)):
        before = context[max(0, len(g.prompt_ids) + i - 4) : len(g.prompt_ids) + i]
        offset = len(tokenizer.decode(g.completion_ids[:i]))  # where the token's text starts
        top = [(_piece(tokenizer, before, t), v) for t, v in tops[i]] if tops else []
        out.append(_TokenLogprob(_piece(tokenizer, before, token), lp, offset, top))
    return out


@dataclass(frozen=True)
class _Piece:
    """A token as the API names it: its text (``bytes:\\xe2\\x80`` for part of a character, as
    OpenAI writes it) and its UTF-8 bytes."""

    text: str
    bytes: bytes


def _piece(tokenizer: Any, before: list[int], token: int) -> _Piece:
    """What ``token`` adds after ``before`` (decoding it alone loses a leading space in some
    tokenizers), or the raw bytes when it ends in part of a UTF-8 character."""
    head = tokenizer.decode(before)
    whole = tokenizer.decode(before + [token])
    text = whole[len(head) :] if whole.startswith(head) else tokenizer.decode([token])
    if "\ufffd" not in text:
        return _Piece(text, text.encode())
    raw = _raw_bytes(tokenizer, token)
    if raw is None:
        return _Piece(text, text.encode())
    return _Piece("bytes:" + "".join(f"\\x{b:02x}" for b in raw), raw)


def _raw_bytes(tokenizer: Any, token: int) -> bytes | None:
    """The bytes a byte-level BPE token (GPT-2's alphabet) or a byte-fallback token (``<0xE2>``)
    stands for; None for other tokens."""
    name = tokenizer.convert_ids_to_tokens(token)
    if not isinstance(name, str):
        return None
    if len(name) == 6 and name.startswith("<0x") and name.endswith(">"):
        return bytes([int(name[3:5], 16)])
    table = _byte_level_table()
    return bytes(table[c] for c in name) if all(c in table for c in name) else None


_BYTE_LEVEL: dict[str, int] = {}


def _byte_level_table() -> dict[str, int]:
    """GPT-2's byte-level alphabet, character to byte: printable bytes stand for themselves,
    the others are shifted past 255."""
    if not _BYTE_LEVEL:
        printable = [*range(ord("!"), ord("~") + 1), *range(ord("\xa1"), ord("\xac") + 1), *range(ord("\xae"), 256)]
        shifted = 0
        for b in range(256):
            if b in printable:
                _BYTE_LEVEL[chr(b)] = b
            else:
                _BYTE_LEVEL[chr(256 + shifted)] = b
                shifted += 1
    return _BYTE_LEVEL


def _logprobs(tokens: list[_TokenLogprob] | None, meta: _Meta) -> dict[str, Any] | None:
    """``tokens`` in the shape of the chat API (``content``) or the legacy completions API."""
    if tokens is None:
        return None
    if meta.chat:
        return {
            "content": [
                {
                    "token": t.piece.text,
                    "logprob": t.logprob,
                    "bytes": list(t.piece.bytes),
                    "top_logprobs": [{"token": p.text, "logprob": v, "bytes": list(p.bytes)} for p, v in t.top],
                }
                for t in tokens
            ],
            "refusal": None,
        }
    return {
        "tokens": [t.piece.text for t in tokens],
        "token_logprobs": [t.logprob for t in tokens],
        "top_logprobs": [{p.text: v for p, v in t.top} for t in tokens] if meta.top_logprobs else None,
        "text_offset": [t.offset for t in tokens],
    }


def _chunk(
    meta: _Meta,
    index: int,
    text: str | dict[str, str],
    finish_reason: str | None,
    logprobs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One server-sent event of a stream; ``text`` is the delta (a dict: the whole chat delta)."""
    choice: dict[str, Any] = {"index": index, "finish_reason": finish_reason, "logprobs": logprobs}
    if meta.chat:
        choice["delta"] = text if isinstance(text, dict) else ({"content": text} if text else {})
    else:
        choice["text"] = text
    chunk = {
        "id": meta.id,
        "object": "chat.completion.chunk" if meta.chat else "text_completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [choice],
    }
    if meta.include_usage:
        chunk["usage"] = None  # as OpenAI does: only the last chunk carries it
    return chunk


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
    _check_model_dir(path, Path(args.model_dir))
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be 0..65535 (0 picks a free one), got {args.port}")
    _check_address_free(args.host, args.port)  # before the slow model load
    _check_device(args.device)
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


#: what ``zeroplay train`` writes into a run's directory, and no checkpoint holds
RUN_MARKERS = ("metrics.jsonl", "summary.json", "final_model")


def _check_model_dir(path: Path, shown: Path) -> None:
    """Point at the model when given a training run's directory (its config.json is the run's,
    not a model's) or a directory of per-role models; ``shown`` is the path as the user wrote it."""
    if any((path / name).exists() for name in RUN_MARKERS):
        roles = _models_in(path / "final_model")
        if (path / "final_model" / "config.json").is_file():
            raise ConfigError(f"{shown} is a training run; serve its model: {shown / 'final_model'}")
        if roles:
            models = _choice(shown / "final_model", roles)
            raise ConfigError(f"{shown} is a training run; serve one of its models: {models}")
        raise ConfigError(f"{shown} is a training run with no final_model yet; let it finish, or serve another "
                          "checkpoint saved with save_pretrained")  # fmt: skip
    roles = _models_in(path)
    if not (path / "config.json").is_file() and roles:
        raise ConfigError(f"{shown} holds one model per role; serve one: {_choice(shown, roles)}")


def _models_in(path: Path) -> list[str]:
    """The subdirectories of ``path`` that hold a checkpoint, by name."""
    return sorted(p.parent.name for p in path.glob("*/config.json")) if path.is_dir() else []


def _choice(parent: Path, names: list[str]) -> str:
    rest = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
    return f"{parent / names[0]}{rest}"


def _check_device(device: str | None) -> None:
    """Refuse a device this machine lacks before loading the model onto it."""
    if device is None or device == "cpu":
        return
    import torch

    if device == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError("--device mps: MPS is not available on this machine; use --device cpu")
        return
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise ConfigError(f"--device {device}: this machine has no CUDA device torch can use; use --device cpu")
    index = int(device.partition(":")[2] or 0)
    if index >= count:
        raise ConfigError(
            f"--device {device}: this machine has {count} CUDA device(s); use cuda:0 to cuda:{count - 1}"
        )


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
