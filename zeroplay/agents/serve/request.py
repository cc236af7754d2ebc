"""Request parsing for ``zeroplay serve``: an OpenAI-style JSON body to a checked :class:`ParsedRequest`.

Guarantees: every field is checked before anything is generated, and a bad one raises
:class:`RequestError` whose message says what is wrong (``param`` and ``code`` as OpenAI names
them); unknown fields and unimplemented OpenAI features are refused unless they carry their no-op
value; prompts are never cut (one that does not fit the model's context is refused); a request
asks for at most :data:`MAX_SEQUENCES` sequences. The fields read are listed in
:mod:`zeroplay.agents.serve`. Does not: touch the model beyond encoding prompts and reading its
config, or know about HTTP (the status is carried on the error).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from zeroplay.agents.policy import Message, SamplingParams, check_messages
from zeroplay.core.errors import AgentError

#: the most sequences one request may ask for (prompts times ``n``)
MAX_SEQUENCES = 256
#: the most alternatives ``top_logprobs`` (chat) or ``logprobs`` (completions) may ask for
MAX_TOP_LOGPROBS = 20
#: temperatures below this decode greedily (vLLM's threshold): dividing float32 logits by a
#: smaller number overflows
GREEDY_BELOW = 1e-5


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
