"""``openai``: any OpenAI-compatible server (vLLM's, ``zeroplay serve``, a hosted API).

    agent = agents.make("openai", base_url="http://127.0.0.1:8000/v1", temperature=0.0)
    actions = agent.act(observations)

Chat mode posts to ``/v1/chat/completions``; ``chat=False`` to ``/v1/completions``. Requests of
one batch go out concurrently through an ``httpx.AsyncClient``, at most ``concurrency`` at once.

Guarantees: every request is bounded in time (``timeout_s`` covers the whole request, however
slowly the server dribbles bytes) and in attempts (``max_retries`` retries, with exponential
backoff and jitter, honouring ``Retry-After``) on connection errors, dropped connections,
timeouts, 429 and 5xx. Other 4xx answers and bodies that are not the JSON of a completion fail
at once with :class:`~zeroplay.core.errors.AgentError` saying what the server sent.
Does not: stream, or return token ids unless asked (``token_ids=True``) of a server that sends
them (``zeroplay serve``, vLLM); without them ``Generation.prompt_ids`` and ``completion_ids`` are empty.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from zeroplay.agents.base import Agent
from zeroplay.agents.policy import Generation, Prompt, Prompter, SamplingParams
from zeroplay.core.errors import AgentError

_RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}
#: longest ``Retry-After`` we honour: a server asking for an hour would look like a hang
_MAX_RETRY_AFTER_S = 30.0


class _Retryable(Exception):
    """A failure worth another attempt; carries what to tell the user if attempts run out."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class OpenAIAgent(Agent):
    """An agent and policy backed by an OpenAI-compatible HTTP API.

    Args:
        model: the model name to send; ``None`` asks the server (``GET /v1/models``, first one).
        base_url: the API root, ending in ``/v1`` (default: ``$OPENAI_BASE_URL`` or
            ``http://127.0.0.1:8000/v1``).
        api_key: sent as a bearer token (default: ``$OPENAI_API_KEY``; none when unset).
        chat, system_prompt: as for the ``hf`` agent.
        temperature, top_p, max_new_tokens, stop, seed: default sampling parameters.
        concurrency: the most requests in flight at once.
        timeout_s: the most one attempt may take, connection to last byte.
        max_retries: retries after the first attempt (so ``max_retries + 1`` attempts at most).
        backoff_s: the first backoff; it doubles each retry (plus up to 25% jitter).
        extra_body: extra JSON fields sent with every request (``{"top_k": 20}`` for vLLM ...).
        token_ids: ask for the prompt and completion token ids (``return_token_ids``, which
            ``zeroplay serve`` and vLLM understand; hosted APIs refuse unknown fields).
    """

    name = "openai"

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        chat: bool = True,
        system_prompt: str | None = None,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_new_tokens: int = 256,
        stop: str | Sequence[str] = (),
        seed: int | None = None,
        concurrency: int = 8,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        extra_body: dict[str, Any] | None = None,
        token_ids: bool = False,
    ):
        if concurrency < 1 or timeout_s <= 0 or max_retries < 0 or backoff_s < 0:
            raise ValueError("need concurrency >= 1, timeout_s > 0, max_retries >= 0 and backoff_s >= 0")
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "http://127.0.0.1:8000/v1").rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.prompter = Prompter(system_prompt=system_prompt, chat=chat)
        self.sampling = SamplingParams(
            temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, stop=stop, seed=seed
        )
        self.concurrency, self.timeout_s = concurrency, timeout_s
        self.max_retries, self.backoff_s = max_retries, backoff_s
        self.extra_body = dict(extra_body or {})
        self.token_ids = token_ids
        self._jitter = random.Random()

    # -- Agent / Policy ------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        self._jitter = random.Random(seed)

    def act(self, observations: Sequence[str], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
        return [g.text for g in self.generate(list(observations), self.sampling)]

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        """One :class:`Generation` per prompt, in order. ``logprobs`` are the server's (vLLM's
        default and ``zeroplay serve`` give the raw log-probs, as the ``hf`` agent does)."""
        if isinstance(prompts, (str, dict)):
            raise TypeError("generate() takes a list of prompts; wrap a single prompt in a list")
        return _run_sync(self.agenerate(list(prompts), params))

    async def agenerate(self, prompts: Sequence[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        """:meth:`generate` for callers already in an event loop."""
        params = params or self.sampling
        bodies = [self._body(p, params) for p in prompts]  # bad prompts fail before any request
        limit = asyncio.Semaphore(self.concurrency)
        async with self._client() as client:
            if self.model is None:
                self.model = await self._first_model(client)

            async def one(body: dict[str, Any]) -> Generation:
                async with limit:
                    body["model"] = self.model
                    return _parse(await self._post(client, body), self.prompter.chat)

            return list(await asyncio.gather(*(one(b) for b in bodies)))

    # -- requests ------------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        return httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(self.timeout_s), limits=limits
        )

    def _body(self, prompt: Prompt, params: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_new_tokens,
        }
        if self.token_ids:
            body["return_token_ids"] = True
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        if self.prompter.chat:
            body["messages"] = self.prompter.messages(prompt)
            if params.logprobs:
                body["logprobs"] = True
        else:
            body["prompt"] = self.prompter.text(prompt)
            if params.logprobs:
                body["logprobs"] = 0  # the legacy API: the sampled token's log-prob only
        return {**body, **self.extra_body}

    @property
    def _path(self) -> str:
        return "/chat/completions" if self.prompter.chat else "/completions"

    async def _post(self, client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        return await self._with_retries(lambda: client.post(self._path, json=body), f"POST {self.base_url}{self._path}")

    async def _first_model(self, client: httpx.AsyncClient) -> str:
        data = await self._with_retries(lambda: client.get("/models"), f"GET {self.base_url}/models")
        try:
            return str(data["data"][0]["id"])
        except (KeyError, IndexError, TypeError) as e:
            raise AgentError(f"{self.base_url}/models lists no model ({str(data)[:200]}); pass model='NAME'") from e

    async def _with_retries(self, send: Any, what: str) -> dict[str, Any]:
        problems: list[str] = []
        for attempt in range(self.max_retries + 1):
            try:
                # wait_for bounds the whole attempt: httpx's timeouts are per read, so a server
                # that sends one byte a second would never trip them
                return await asyncio.wait_for(self._attempt(send, what), self.timeout_s)
            except (_Retryable, asyncio.TimeoutError) as e:
                reason = str(e) or f"no complete answer within {self.timeout_s:g} s"
                problems.append(f"attempt {attempt + 1}: {reason}")
                if attempt == self.max_retries:
                    break
                delay = self.backoff_s * 2**attempt * (1 + 0.25 * self._jitter.random())
                retry_after = getattr(e, "retry_after", None)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, _MAX_RETRY_AFTER_S))
                await asyncio.sleep(delay)
        raise AgentError(
            f"{what} failed after {len(problems)} attempts ({'; '.join(problems)}). "
            "Check that the server is up and reachable, or raise timeout_s / max_retries."
        )

    async def _attempt(self, send: Any, what: str) -> dict[str, Any]:
        try:
            response = await send()
        except httpx.TimeoutException as e:
            raise _Retryable(f"timed out ({type(e).__name__})") from e
        except httpx.TransportError as e:  # refused, reset, dropped mid-answer
            raise _Retryable(f"connection failed ({type(e).__name__}: {e})") from e
        if response.status_code in _RETRY_STATUSES or response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}: {_snippet(response)}", _retry_after(response))
        if response.status_code >= 400:
            raise AgentError(f"{what} was refused: HTTP {response.status_code}: {_snippet(response)}")
        try:
            data = response.json()
        except ValueError as e:
            raise AgentError(f"{what} answered with a body that is not JSON: {response.text[:200]!r}") from e
        if not isinstance(data, dict):
            raise AgentError(f"{what} answered with JSON that is not an object: {response.text[:200]!r}")
        return data


def _parse(data: dict[str, Any], chat: bool) -> Generation:
    """A :class:`Generation` from a completion response; AgentError if it is not one."""
    try:
        choice = data["choices"][0]
        text = choice["message"]["content"] if chat else choice["text"]
    except (KeyError, IndexError, TypeError) as e:
        raise AgentError(f"the server's answer is not a completion (no choices[0] text): {str(data)[:200]}") from e
    if text is None:  # some servers send null content for an empty answer
        text = ""
    if not isinstance(text, str):
        raise AgentError(f"the server's completion text is not a string: {str(text)[:100]}")
    logprobs = _logprobs(choice.get("logprobs"), chat)
    finish = "stop" if choice.get("finish_reason") in ("stop", "eos") else "length"
    return Generation(
        text=text,
        prompt_ids=_int_list(choice.get("prompt_token_ids") or data.get("prompt_token_ids")),
        completion_ids=_int_list(choice.get("token_ids")),
        logprobs=logprobs,
        finish_reason=finish,
        meta={"finish_reason": choice.get("finish_reason")},
    )


def _logprobs(raw: Any, chat: bool) -> list[float] | None:
    try:
        if raw is None:
            return None
        if chat:
            return [float(item["logprob"]) for item in raw["content"]]
        return [float(x) for x in raw["token_logprobs"]]
    except (KeyError, TypeError, ValueError):
        return None  # log-probs are extra: a server that garbles them still gives us text


def _int_list(raw: Any) -> list[int]:
    return [int(x) for x in raw] if isinstance(raw, list) and all(isinstance(x, int) for x in raw) else []


def _snippet(response: httpx.Response) -> str:
    try:
        data = response.json()
        message = data["error"]["message"] if isinstance(data.get("error"), dict) else data.get("error", data)
        return str(message)[:300]
    except Exception:  # noqa: BLE001 - any body at all is fine to show
        return response.text[:300] or "(empty body)"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _run_sync(coro: Any) -> Any:
    """Run a coroutine to completion, also from code that is itself inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as e:  # noqa: BLE001 - handed back to the caller's thread
            box["error"] = e

    thread = threading.Thread(target=target, name="zeroplay-openai")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
