"""``zeroplay serve``: the real command on a tiny model, spoken to over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

pytest.importorskip("transformers")

from zeroplay import agents

CHAT = [{"role": "user", "content": "You are player 0. Legal moves: [1] [2]."}]


def test_models_and_health(served_tiny: str) -> None:
    assert httpx.get(f"{served_tiny}/models").json()["data"][0]["id"] == "tiny"
    assert httpx.get(served_tiny.removesuffix("/v1") + "/health").json() == {"status": "ok"}


def test_chat_matches_the_hf_agent(served_tiny: str, tiny_agent) -> None:
    body = {
        "model": "tiny",
        "messages": CHAT,
        "temperature": 0,
        "max_tokens": 12,
        "logprobs": True,
        "return_token_ids": True,
    }
    data = httpx.post(f"{served_tiny}/chat/completions", json=body, timeout=60).json()
    choice = data["choices"][0]
    (local,) = tiny_agent.generate([CHAT], agents_params(12))
    assert choice["message"]["content"] == local.text
    assert choice["token_ids"] == local.completion_ids and choice["prompt_token_ids"] == local.prompt_ids
    assert [x["logprob"] for x in choice["logprobs"]["content"]] == pytest.approx(local.logprobs, abs=1e-4)
    assert data["usage"]["completion_tokens"] == len(local.completion_ids)
    assert choice["finish_reason"] == local.finish_reason


def agents_params(max_new: int):
    from zeroplay.agents.policy import SamplingParams

    return SamplingParams(temperature=0, max_new_tokens=max_new, logprobs=True)


def test_completions_list_and_n(served_tiny: str) -> None:
    body = {"prompt": ["abc", "a longer prompt here"], "n": 2, "temperature": 0, "max_tokens": 6}
    choices = httpx.post(f"{served_tiny}/completions", json=body, timeout=60).json()["choices"]
    assert [c["index"] for c in choices] == [0, 1, 2, 3]
    assert choices[0]["text"] == choices[1]["text"] and choices[2]["text"] == choices[3]["text"]


def _stream(url: str, body: dict) -> tuple[list[dict], list[str]]:
    events, raw = [], []
    with httpx.stream("POST", url, json={**body, "stream": True}, timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
        for line in r.iter_lines():
            if line.startswith("data: "):
                raw.append(line)
                if line != "data: [DONE]":
                    events.append(json.loads(line[6:]))
    return events, raw


@pytest.mark.parametrize("stop", [None, "e"])
def test_streaming_equals_whole_answer(served_tiny: str, stop: str | None) -> None:
    body = {"messages": CHAT, "temperature": 0, "max_tokens": 20, **({"stop": stop} if stop else {})}
    whole = httpx.post(f"{served_tiny}/chat/completions", json=body, timeout=60).json()["choices"][0]
    events, raw = _stream(f"{served_tiny}/chat/completions", body)
    assert raw[-1] == "data: [DONE]"
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
    assert text == whole["message"]["content"]
    assert events[-1]["choices"][0]["finish_reason"] == whole["finish_reason"]
    assert sum(1 for e in events if e["choices"][0]["delta"].get("content")) > 1 or len(text) <= 1  # token by token


def test_streaming_completions(served_tiny: str) -> None:
    body = {"prompt": "hello", "temperature": 0, "max_tokens": 10}
    whole = httpx.post(f"{served_tiny}/completions", json=body, timeout=60).json()["choices"][0]["text"]
    events, _ = _stream(f"{served_tiny}/completions", body)
    assert "".join(e["choices"][0]["text"] for e in events) == whole


def test_concurrent_requests_share_batches_and_agree(served_tiny: str) -> None:
    prompts = [f"prompt number {i} " + "x" * i for i in range(6)]

    def ask(p: str) -> str:
        body = {"prompt": p, "temperature": 0, "max_tokens": 8}
        return httpx.post(f"{served_tiny}/completions", json=body, timeout=60).json()["choices"][0]["text"]

    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(ask, prompts))
    assert together == [ask(p) for p in prompts]


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/chat/completions", {"messages": "hi"}, 400, "messages"),
        ("/chat/completions", {"messages": []}, 400, "got an empty list"),
        ("/chat/completions", {"messages": [{"role": "user"}]}, 400, "content"),
        ("/completions", {"prompt": 5}, 400, "prompt"),
        ("/completions", {"prompt": "x", "temperature": "hot"}, 400, "temperature"),
        ("/completions", {"prompt": "x", "max_tokens": 0}, 400, "max_new_tokens"),
        ("/completions", {"prompt": "x", "n": 1000}, 400, "n must"),
        ("/completions", {"prompt": "x", "stop": [3]}, 400, "stop"),
        ("/completions", {"prompt": "x", "model": "gpt-9"}, 404, "serves 'tiny'"),
        ("/embeddings", {"input": "x"}, 404, "no route"),
    ],
)
def test_bad_requests_get_clear_4xx(served_tiny: str, path: str, body: dict, status: int, says: str) -> None:
    r = httpx.post(served_tiny + path, json=body, timeout=30)
    assert r.status_code == status
    assert says in r.json()["error"]["message"]


def test_malformed_body(served_tiny: str) -> None:
    r = httpx.post(f"{served_tiny}/completions", content=b"{nope", timeout=30)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = httpx.post(f"{served_tiny}/completions", content=b"[1, 2]", timeout=30)
    assert r.status_code == 400 and "JSON object" in r.json()["error"]["message"]


def test_openai_agent_through_serve_equals_hf(served_tiny: str, tiny_agent) -> None:
    remote = agents.make("openai", base_url=served_tiny, temperature=0.0, max_new_tokens=10, concurrency=3)
    obs = ["Your move: [1] [2] [3]", "hi", "What is 2+2?", "x" * 40]
    local = agents.make("hf", model=str(Path(tiny_agent.model.name_or_path)), temperature=0.0, max_new_tokens=10)
    assert remote.act(obs) == local.act(obs)
    raw = agents.make("openai", base_url=served_tiny, chat=False, temperature=0.0, max_new_tokens=10, token_ids=True)
    gens = raw.generate(obs, agents_params(10))
    assert all(g.completion_ids and g.prompt_ids and len(g.logprobs) == len(g.completion_ids) for g in gens)
    assert remote.model == "tiny"  # asked the server


def test_client_leaving_mid_stream_does_not_hurt_the_server(served_tiny: str) -> None:
    body = {"messages": CHAT, "temperature": 0, "max_tokens": 64, "stream": True}
    with httpx.stream("POST", f"{served_tiny}/chat/completions", json=body, timeout=60) as r:
        next(r.iter_lines())  # read one event, then hang up
    after = httpx.post(f"{served_tiny}/completions", json={"prompt": "still there?", "max_tokens": 3}, timeout=60)
    assert after.status_code == 200 and len(after.json()["choices"]) == 1


def test_serve_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from zeroplay.cli import main

    assert main(["serve", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_oversized_body_is_refused_before_it_is_read(served_tiny: str) -> None:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(served_tiny)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        # announce a body of ~1 GB and send none of it: the answer must come at once
        sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
        answer = b""
        while b"}}" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b"request body over" in answer
