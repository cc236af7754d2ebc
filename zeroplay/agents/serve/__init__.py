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

Guarantees: a malformed request gets a 4xx with an OpenAI-style body
``{"error": {"message", "type", "param", "code"}}`` (``code`` a string such as
``"invalid_value"`` or ``"unsupported_parameter"``) that says what is wrong; a request body is
capped, and so is the number of sequences one request asks for; a slow client times out. Startup
mistakes (a training run's directory instead of its ``final_model``, a bad ``--dtype``, a device
this machine lacks, a count below 1) end with exit code 2 and one line, before the model loads.
Does not: authenticate (it binds 127.0.0.1 by default; put a proxy in front to expose it), or
implement tools, structured output, penalties, ``echo``/``suffix`` or ``best_of``.

Layout: :mod:`~zeroplay.agents.serve.worker` (the thread that owns the model and batches requests),
:mod:`~zeroplay.agents.serve.request` (parsing and checking request bodies),
:mod:`~zeroplay.agents.serve.server` (the HTTP server and its routes),
:mod:`~zeroplay.agents.serve.responses` (answer bodies, log-probs, stream chunks) and
:mod:`~zeroplay.agents.serve.cli` (the command: arguments, startup checks, ``run``).
"""

from __future__ import annotations

from zeroplay.agents.local_model import RUN_MARKERS
from zeroplay.agents.serve.cli import DTYPES, add_arguments, build_server, run
from zeroplay.agents.serve.request import (
    CHAT_FIELDS,
    COMPLETION_FIELDS,
    GREEDY_BELOW,
    IGNORED_FIELDS,
    MAX_SEQUENCES,
    MAX_TOP_LOGPROBS,
    UNSUPPORTED_FIELDS,
    ParsedRequest,
    RequestError,
    chat_messages,
    check_context,
    check_fields,
    context_length,
    parse_request,
    sampling_from_request,
)
from zeroplay.agents.serve.server import MAX_BODY_BYTES, OpenAIServer
from zeroplay.agents.serve.worker import BATCH_WINDOW_S, BatchingWorker, top_logprobs

__all__ = [
    "BATCH_WINDOW_S", "CHAT_FIELDS", "COMPLETION_FIELDS", "DTYPES", "GREEDY_BELOW", "IGNORED_FIELDS", "MAX_BODY_BYTES",
    "MAX_SEQUENCES", "MAX_TOP_LOGPROBS", "RUN_MARKERS", "UNSUPPORTED_FIELDS", "BatchingWorker", "OpenAIServer",
    "ParsedRequest", "RequestError", "add_arguments", "build_server", "chat_messages", "check_context", "check_fields",
    "context_length", "parse_request", "run", "sampling_from_request", "top_logprobs",
]  # fmt: skip
