"""``zeroplay serve`` under hostile request bodies: never a 5xx, never a traceback, never a hang.

A fixed-seed generator mutates valid requests (wrong types, huge and non-finite numbers, lone
surrogates, deep nesting, unknown fields) and sends raw bytes that are no JSON at all; the count
is bounded and every request has a timeout, so a hang fails the test instead of stalling it.
"""

from __future__ import annotations

import json
import random

import httpx
import pytest

pytest.importorskip("transformers")

REQUESTS = 160
FIELDS = [
    "model", "messages", "prompt", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
    "n", "stream", "stream_options", "logprobs", "top_logprobs", "return_token_ids", "tools", "tool_choice",
    "response_format", "presence_penalty", "logit_bias", "best_of", "echo", "user", "zzz_unknown",
]  # fmt: skip
HOSTILE = [
    None, True, False, 0, -1, 1, 2, 21, 2**63, -(2**63) - 1, 10**30, 1e-300, 1e308, -0.0, float("nan"),
    float("inf"), "", "x", "\ud800", "\x00", "a" * 5000, [], [1], [-1], [10**9], [[]], [[1, 2]], ["a", 3], {},
    {"type": "text"}, {"include_usage": "yes"}, {"include_usage": True}, [{"role": "user"}],
    [{"role": "tool", "content": "x"}], [{"role": "user", "content": [{"type": "text"}]}],
    [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
    [{"role": "user", "content": "hi", "name": "bob"}], [{"role": "user", "content": "\ud800"}], [None],
]  # fmt: skip
RAW = [b"", b"{", b"[" * 100_000, b"\xff\xfe{}", b'{"prompt": 1' + b"0" * 5000 + b"}", b"null", b'"str"', b"{}"]


def _hostile_bodies(rng: random.Random) -> list[tuple[str, bytes]]:
    out = [(path, raw) for raw in RAW for path in ("/completions", "/chat/completions")]
    while len(out) < REQUESTS:
        chat = rng.random() < 0.5
        body = (
            {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
            if chat
            else {"prompt": "hi", "max_tokens": 2}
        )
        for name in rng.sample(FIELDS, rng.randint(1, 3)):
            body[name] = rng.choice(HOSTILE)
        if type(body.get("max_tokens")) is int and body["max_tokens"] > 4:
            body["max_tokens"] = 4  # valid but long generations would only slow the test
        if type(body.get("n")) is int and body["n"] > 4:
            body["n"] = 4
        out.append(("/chat/completions" if chat else "/completions", json.dumps(body).encode()))
    return out


def test_hostile_bodies_get_4xx_or_an_answer(served_tiny: str) -> None:
    rng = random.Random(20)
    seen: set[int] = set()
    with httpx.Client(base_url=served_tiny, timeout=60) as client:
        for path, raw in _hostile_bodies(rng):
            r = client.post(path, content=raw, headers={"Content-Type": "application/json"})
            seen.add(r.status_code)
            what = f"{path} {raw[:200]!r} -> {r.status_code} {r.text[:300]}"
            assert r.status_code < 500, what
            assert "Traceback" not in r.text, what
            if r.status_code >= 400:
                error = r.json()["error"]
                assert set(error) == {"message", "type", "param", "code"}, what
                assert isinstance(error["code"], str) and error["message"], what
            elif r.headers["content-type"] == "text/event-stream":
                assert r.text.rstrip().endswith("data: [DONE]") and '"error"' not in r.text, what
            else:
                assert r.json()["choices"], what
    assert 200 in seen and 400 in seen  # the mutations reach both sides
    assert client.is_closed
    health = httpx.get(served_tiny.removesuffix("/v1") + "/health", timeout=30)
    assert health.json() == {"status": "ok"}


def test_hostile_headers(served_tiny: str) -> None:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(served_tiny)
    for head in [
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        b"GARBAGE\r\n\r\n",
        b"BREW /v1/completions HTTP/1.1\r\nHost: x\r\n\r\n",
    ]:
        with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
            sock.sendall(head)
            answer = b""
            while not answer.endswith(b"}}"):  # the error body's end; a closed socket ends it too
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        if answer.startswith(b"HTTP/1."):  # else an HTTP/0.9 answer: the body alone
            assert answer[9:12] in (b"400", b"404", b"411", b"501"), answer[:200]
            answer = answer.split(b"\r\n\r\n", 1)[1]
        assert json.loads(answer)["error"]["code"] in ("invalid_request", "unknown_url", "length_required",
                                                        "unsupported_method"), answer[:200]  # fmt: skip
