"""The ``openai`` agent against small misbehaving stdlib servers on 127.0.0.1: it retries what is
worth retrying (a bounded number of times), fails at once with a clear error otherwise, never hangs."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zeroplay import agents
from zeroplay.agents.openai import OpenAIAgent
from zeroplay.core.errors import AgentError

Behaviour = Callable[[BaseHTTPRequestHandler, int, dict], None]


def completion(text: str) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}


def send_json(h: BaseHTTPRequestHandler, payload: object, status: int = 200, headers: dict | None = None) -> None:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(data)


class FakeServer:
    """A stdlib HTTP server whose answer to the n-th POST (0-based) is ``behaviour(handler, n, body)``."""

    def __init__(self, behaviour: Behaviour):
        self.behaviour, self.posts, self.inflight, self.max_inflight = behaviour, 0, 0, 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                send_json(self, {"data": [{"id": "fake-model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    n = outer.posts
                    outer.posts += 1
                    outer.inflight += 1
                    outer.max_inflight = max(outer.max_inflight, outer.inflight)
                try:
                    outer.behaviour(self, n, body)
                finally:
                    with outer.lock:
                        outer.inflight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], FakeServer]]:
    started: list[FakeServer] = []

    def start(behaviour: Behaviour) -> FakeServer:
        started.append(FakeServer(behaviour))
        return started[-1]

    yield start
    for s in started:
        s.close()


def agent_for(server: FakeServer, **kwargs: object) -> OpenAIAgent:
    defaults = dict(base_url=server.url, model="m", timeout_s=2.0, max_retries=2, backoff_s=0.01)
    return agents.make("openai", **{**defaults, **kwargs})


def echo(h: BaseHTTPRequestHandler, n: int, body: dict) -> None:
    send_json(h, completion("echo:" + body["messages"][-1]["content"]))


def drop(h: BaseHTTPRequestHandler) -> None:
    """Close the connection without a word (as a crashed worker or a proxy does)."""
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def test_echo_and_request_shape(serve) -> None:
    seen = []

    def record(h, n, body):
        seen.append(body)
        echo(h, n, body)

    server = serve(record)
    agent = agent_for(server, system_prompt="SYS", temperature=0.3, stop=["]"], max_new_tokens=7, seed=1)
    assert agent.act(["a", "b"]) == ["echo:a", "echo:b"]
    body = seen[0]
    assert body["messages"][0] == {"role": "system", "content": "SYS"}
    assert (body["model"], body["temperature"], body["max_tokens"], body["stop"], body["seed"]) == (
        "m",
        0.3,
        7,
        ["]"],
        1,
    )
    assert "return_token_ids" not in body  # hosted APIs refuse unknown fields


def test_recovers_from_dropped_connections(serve) -> None:
    server = serve(lambda h, n, body: drop(h) if n < 2 else echo(h, n, body))
    assert agent_for(server).act(["x"]) == ["echo:x"]
    assert server.posts == 3


def test_gives_up_after_bounded_retries_on_drops(serve) -> None:
    server = serve(lambda h, n, body: drop(h))
    with pytest.raises(AgentError, match="failed after 3 attempts") as e:
        agent_for(server, max_retries=2).act(["x"])
    assert "connection" in str(e.value) and "server is up" in str(e.value)
    assert server.posts == 3


def test_slow_server_times_out_without_hanging(serve) -> None:
    release = threading.Event()
    server = serve(lambda h, n, body: release.wait(30))
    try:
        with pytest.raises(AgentError, match="failed after 2 attempts"):
            agent_for(server, timeout_s=0.3, max_retries=1).act(["x"])
        assert server.posts == 2
    finally:
        release.set()


def test_dribbling_server_is_bounded_by_the_total_timeout(serve) -> None:
    # headers at once, then one byte at a time: no single read times out, the request as a whole must
    def dribble(h, n, body):
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(200):
            try:
                h.wfile.write(b" ")
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    server = serve(dribble)
    with pytest.raises(AgentError, match="failed after 1 attempts"):
        agent_for(server, timeout_s=0.5, max_retries=0).act(["x"])


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (b"{this is not json", "not JSON"),
        (b"[1, 2, 3]", "not an object"),
        ({"choices": []}, "not a completion"),
        ({"result": "hi"}, "not a completion"),
        ({"choices": [{"message": {"content": 42}}]}, "not a string"),
    ],
)
def test_malformed_answers_fail_at_once(serve, payload: object, says: str) -> None:
    server = serve(lambda h, n, body: send_json(h, payload))
    with pytest.raises(AgentError, match=says):
        agent_for(server).act(["x"])
    assert server.posts == 1  # not retried: the same server would say the same again


def test_429_then_ok_honours_retry_after(serve) -> None:
    def limited(h, n, body):
        if n == 0:
            send_json(h, {"error": {"message": "slow down"}}, 429, {"Retry-After": "0"})
        else:
            echo(h, n, body)

    server = serve(limited)
    assert agent_for(server).act(["x"]) == ["echo:x"]
    assert server.posts == 2


def test_5xx_retried_then_reported(serve) -> None:
    server = serve(lambda h, n, body: send_json(h, {"error": {"message": "engine died"}}, 503))
    with pytest.raises(AgentError, match="HTTP 503: engine died"):
        agent_for(server, max_retries=3).act(["x"])
    assert server.posts == 4


def test_4xx_fails_at_once_with_the_server_message(serve) -> None:
    server = serve(lambda h, n, body: send_json(h, {"error": {"message": "model 'm' not found"}}, 404))
    with pytest.raises(AgentError, match="refused: HTTP 404: model 'm' not found"):
        agent_for(server).act(["x"])
    assert server.posts == 1


def test_nobody_listening(serve) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free now, and nothing listens on it
    agent = agents.make("openai", base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=1, backoff_s=0.01)
    with pytest.raises(AgentError, match="connection failed"):
        agent.act(["x"])


def test_concurrency_limit_and_order(serve) -> None:
    def slow_echo(h, n, body):
        time.sleep(0.05)
        echo(h, n, body)

    server = serve(slow_echo)
    obs = [str(i) for i in range(8)]
    assert agent_for(server, concurrency=2).act(obs) == [f"echo:{o}" for o in obs]
    assert 1 <= server.max_inflight <= 2


def test_model_name_from_the_server_and_completions_mode(serve) -> None:
    seen = []

    def legacy(h, n, body):
        seen.append(body)
        send_json(h, {"choices": [{"text": "T", "finish_reason": "length", "logprobs": {"token_logprobs": [-0.5]}}]})

    server = serve(legacy)
    agent = agents.make("openai", base_url=server.url, chat=False)
    from zeroplay.agents.policy import SamplingParams

    (g,) = agent.generate(["raw text"], SamplingParams(logprobs=True))
    assert (g.text, g.logprobs, g.finish_reason) == ("T", [-0.5], "length")
    assert seen[0]["prompt"] == "raw text" and seen[0]["model"] == "fake-model" and seen[0]["logprobs"] == 0


def test_works_inside_a_running_event_loop(serve) -> None:
    import asyncio

    server = serve(echo)
    agent = agent_for(server)

    async def main() -> list[str]:
        return agent.act(["in loop"])  # the sync API from async code (a notebook, say)

    assert asyncio.run(main()) == ["echo:in loop"]


def test_answer_cut_off_mid_body_is_retried(serve) -> None:
    def truncated(h, n, body):
        if n == 0:  # promise 1000 bytes, send a few, hang up
            h.send_response(200)
            h.send_header("Content-Length", "1000")
            h.end_headers()
            h.wfile.write(b'{"choices": [')
            h.wfile.flush()
            drop(h)
        else:
            echo(h, n, body)

    server = serve(truncated)
    assert agent_for(server).act(["x"]) == ["echo:x"]
    assert server.posts == 2
