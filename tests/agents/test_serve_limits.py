"""``zeroplay serve`` at its limits: prompts over the model's context, and mistakes at startup.

A prompt the model cannot hold gets a 400 naming the limit and the counts (as vLLM and OpenAI
answer), never a silently cut prompt; ``max_tokens`` that does not fit after the prompt gets a 400
too, while a request that leaves it out gets what fits. The server is the real command on the tiny
model (the ``served_tiny`` fixture: context 512). Startup mistakes end with exit code 2 and one
line, before any model is loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytest.importorskip("transformers")

CONTEXT = 512  # max_position_embeddings of the tiny model in conftest.py


def _post(url: str, path: str, body: dict) -> httpx.Response:
    return httpx.post(url + path, json=body, timeout=60)


def _context_error(r: httpx.Response, param: str) -> str:
    assert r.status_code == 400, r.text[:300]
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "context_length_exceeded"
    assert error["param"] == param and "\n" not in error["message"]
    assert f"maximum context length is {CONTEXT} tokens" in error["message"]
    return error["message"]


# -- the prompt alone is over the context ------------------------------------------------------
def test_long_text_prompt_is_refused_not_cut(served_tiny: str, tiny_agent) -> None:
    prompt = "START " + "a " * 3000 + "END"  # the trial's repro
    size = len(tiny_agent.encode(prompt, chat=False))
    assert size > CONTEXT
    message = _context_error(_post(served_tiny, "/completions", {"prompt": prompt, "max_tokens": 5}), "prompt")
    assert f"{size} tokens" in message and "shorten the prompt" in message


def test_prompt_exactly_the_context_leaves_no_room(served_tiny: str) -> None:
    message = _context_error(_post(served_tiny, "/completions", {"prompt": [7] * CONTEXT}), "prompt")
    assert f"{CONTEXT} tokens" in message


def test_long_chat_is_refused(served_tiny: str, tiny_agent) -> None:
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi " * 2000}]
    size = len(tiny_agent.encode(messages, chat=True))
    r = _post(served_tiny, "/chat/completions", {"messages": messages, "max_completion_tokens": 3})
    message = _context_error(r, "messages")
    assert f"{size} tokens" in message and "shorten the messages" in message


def test_which_prompt_of_a_list_is_too_long(served_tiny: str) -> None:
    r = _post(served_tiny, "/completions", {"prompt": [[5, 6], [7] * 600], "max_tokens": 1})
    assert "prompt[1] has 600 tokens" in _context_error(r, "prompt")


def test_streaming_request_is_refused_before_the_stream(served_tiny: str) -> None:
    r = _post(served_tiny, "/completions", {"prompt": [7] * 900, "max_tokens": 2, "stream": True})
    assert r.headers["content-type"] == "application/json"
    _context_error(r, "prompt")


# -- prompt + max_tokens over the context (vLLM's rule) ---------------------------------------
def test_max_tokens_past_the_context_is_refused(served_tiny: str) -> None:
    r = _post(served_tiny, "/completions", {"prompt": [7] * (CONTEXT - 10), "max_tokens": 11})
    message = _context_error(r, "prompt")
    assert f"you requested {CONTEXT + 1} tokens ({CONTEXT - 10} in the prompt, 11 in the completion)" in message
    assert "max_tokens" in message
    r = _post(
        served_tiny,
        "/chat/completions",
        {"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": CONTEXT},
    )
    assert "max_completion_tokens" in _context_error(r, "messages")


def test_a_request_that_just_fits_is_answered(served_tiny: str) -> None:
    body = {"prompt": [7] * (CONTEXT - 2), "max_tokens": 2, "temperature": 0, "return_token_ids": True}
    data = _post(served_tiny, "/completions", body).json()
    assert data["usage"]["prompt_tokens"] == CONTEXT - 2  # the whole prompt, nothing cut
    assert data["choices"][0]["prompt_token_ids"] == [7] * (CONTEXT - 2)


def test_without_max_tokens_the_completion_gets_the_room_left(served_tiny: str) -> None:
    body = {"prompt": [7] * (CONTEXT - 1), "temperature": 0}  # the server's default (256) does not fit
    data = _post(served_tiny, "/completions", body).json()
    assert data["usage"]["prompt_tokens"] == CONTEXT - 1
    assert data["usage"]["completion_tokens"] <= 1
    assert data["choices"][0]["finish_reason"] in ("length", "stop")


# -- startup mistakes: exit code 2 and one line -------------------------------------------------
def _serve(argv: list[str]) -> tuple[int, str]:
    """``zeroplay serve ARGV`` in a subprocess (a server that starts by mistake fails the test at
    the timeout instead of hanging it): its exit code and the last line it printed."""
    command = [sys.executable, "-m", "zeroplay.cli", "serve", *argv, "--port", "0"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def _run_dir(root: Path, roles: tuple[str, ...] = (), finished: bool = True) -> Path:
    """A training run's directory as ``zeroplay train`` leaves it (the models are stand-ins:
    the server must refuse before loading anything)."""
    run = root / "runs" / "x"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"name": "x", "loop": "rlvr", "steps": 2}))
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    if finished:
        (run / "summary.json").write_text("{}")
        for model in [run / "final_model" / r for r in roles] or [run / "final_model"]:
            model.mkdir(parents=True)
            (model / "config.json").write_text('{"model_type": "llama"}')
    return run


def test_a_run_dir_names_its_model(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    code, line = _serve([str(run)])
    assert code == 2
    assert line == f"zeroplay serve: error: {run} is a training run; serve its model: {run}/final_model"
    code, line = _serve([f"{run}/"])  # a trailing slash, as shells complete it
    assert code == 2 and line.endswith(f"serve its model: {run}/final_model")


def test_a_run_dir_with_role_models(tmp_path: Path) -> None:
    run = _run_dir(tmp_path, roles=("solver", "proposer"))
    code, line = _serve([str(run)])
    assert code == 2 and f"serve one of its models: {run}/final_model/proposer (or solver)" in line
    code, line = _serve([str(run / "final_model")])
    assert code == 2 and f"serve one: {run}/final_model/proposer (or solver)" in line


def test_an_unfinished_run_dir(tmp_path: Path) -> None:
    run = _run_dir(tmp_path, finished=False)
    code, line = _serve([str(run)])
    assert code == 2 and f"{run} is a training run with no final_model yet" in line


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--dtype", "bogus"], "argument --dtype: invalid choice: 'bogus'"),
        (["--device", "tpu"], "argument --device: 'tpu' is not a device here; use cpu, cuda or cuda:N"),
        (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1, got '0'"),
        (["--max-tokens", "-5"], "argument --max-tokens: must be an integer >= 1, got '-5'"),
        (["--max-tokens", "many"], "argument --max-tokens: must be an integer >= 1, got 'many'"),
    ],
)
def test_bad_flags_are_one_line(tiny_model_dir: Path, flags: list[str], says: str) -> None:
    code, line = _serve([str(tiny_model_dir), *flags])
    assert code == 2 and says in line and line.startswith("zeroplay serve: error: "), line


def test_a_device_this_machine_lacks(tiny_model_dir: Path) -> None:
    code, line = _serve([str(tiny_model_dir), "--device", "cuda:99"])
    assert code == 2 and line.startswith("zeroplay serve: error: --device cuda:99:"), line
    assert "use --device cpu" in line or "use cuda:0" in line
