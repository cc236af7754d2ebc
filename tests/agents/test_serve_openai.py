"""``zeroplay serve`` spoken to by the official ``openai`` client, one API feature per test.

The server is the real command on the tiny model (the ``served_tiny`` fixture: a subprocess on
127.0.0.1). Log-probs are checked against the model itself (the in-process ``hf`` agent) and
against each other: streamed equals whole, greedy's choice heads its own ``top_logprobs``.
"""

from __future__ import annotations

import math

import pytest

openai = pytest.importorskip("openai")
pytest.importorskip("transformers")

CHAT = [{"role": "user", "content": "You are player 0. Legal moves: [1] [2]."}]


@pytest.fixture(scope="module")
def client(served_tiny: str):
    with openai.OpenAI(base_url=served_tiny, api_key="unused", max_retries=0, timeout=60) as c:
        yield c


def _pairs(items) -> list[tuple[str, float]]:
    return [(t.token, t.logprob) for t in items]


# -- models ----------------------------------------------------------------------------------------
def test_models_have_created(client) -> None:
    (card,) = client.models.list().data
    assert card.id == "tiny" and card.object == "model" and isinstance(card.created, int) and card.created > 0
    assert client.models.retrieve("tiny").created == card.created
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("gpt-9")
    assert e.value.code == "model_not_found"


# -- top_logprobs ----------------------------------------------------------------------------------
def test_chat_top_logprobs_agree_with_the_model(client, tiny_agent) -> None:
    from zeroplay.agents.policy import SamplingParams

    r = client.chat.completions.create(
        model="tiny", messages=CHAT, temperature=0, max_tokens=10, logprobs=True, top_logprobs=5
    )
    items = r.choices[0].logprobs.content
    (local,) = tiny_agent.generate([CHAT], SamplingParams(temperature=0, max_new_tokens=10, logprobs=True))
    assert [t.logprob for t in items] == pytest.approx(local.logprobs, abs=1e-4)
    assert len(items) == len(local.completion_ids) == r.usage.completion_tokens
    assert b"".join(bytes(t.bytes) for t in items).decode(errors="replace").startswith(r.choices[0].message.content)
    for t in items:
        values = [a.logprob for a in t.top_logprobs]
        assert len(values) == 5 and values == sorted(values, reverse=True) and values[0] <= 0
        assert sum(math.exp(v) for v in values) <= 1 + 1e-4
        # greedy: the chosen token is the most likely one, with the same log-prob
        assert t.top_logprobs[0].token == t.token and t.top_logprobs[0].logprob == pytest.approx(t.logprob, abs=1e-4)
        assert bytes(t.bytes) == t.token.encode() or t.token.startswith("bytes:")  # part of a character


def test_completions_logprobs_k(client) -> None:
    r = client.completions.create(model="tiny", prompt="hello there", temperature=0, max_tokens=8, logprobs=3)
    lp = r.choices[0].logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == 8
    assert lp.text_offset[0] == 0 and lp.text_offset == sorted(lp.text_offset)
    whole = [t for t in lp.tokens if not t.startswith("bytes:")]  # a token that is part of a character
    text = r.choices[0].text  # without special tokens, so an EOS token is not in it
    assert all(text.startswith(t, at) for t, at in zip(lp.tokens, lp.text_offset) if t in whole and at < len(text))
    for token, value, top in zip(lp.tokens, lp.token_logprobs, lp.top_logprobs):
        assert 1 <= len(top) <= 3 and top[token] == pytest.approx(value, abs=1e-4)
        assert max(top.values()) == pytest.approx(value, abs=1e-4)  # greedy


def test_top_logprobs_need_logprobs_true(client) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tiny", messages=CHAT, max_tokens=2, top_logprobs=2)
    assert e.value.param == "top_logprobs"


# -- log-probs while streaming -----------------------------------------------------------------------
@pytest.mark.parametrize("sampling", [{"temperature": 0}, {"temperature": 1.0, "seed": 7}])
def test_streamed_chat_logprobs_equal_the_whole_answer(client, sampling: dict) -> None:
    ask = {"model": "tiny", "messages": CHAT, "max_tokens": 12, "logprobs": True, "top_logprobs": 2, **sampling}
    whole = client.chat.completions.create(**ask).choices[0]
    text, items, finish = "", [], None
    for chunk in client.chat.completions.create(**ask, stream=True):
        choice = chunk.choices[0]
        text += choice.delta.content or ""
        items += choice.logprobs.content if choice.logprobs else []
        finish = choice.finish_reason or finish
    assert text == whole.message.content and finish == whole.finish_reason
    assert _pairs(items) == _pairs(whole.logprobs.content)
    assert [_pairs(t.top_logprobs) for t in items] == [_pairs(t.top_logprobs) for t in whole.logprobs.content]


def test_streamed_completion_logprobs_equal_the_whole_answer(client) -> None:
    ask = {"model": "tiny", "prompt": "once upon", "max_tokens": 10, "logprobs": 2, "temperature": 1.0, "seed": 3}
    whole = client.completions.create(**ask).choices[0]
    text, tokens, values, tops = "", [], [], []
    for chunk in client.completions.create(**ask, stream=True):
        choice = chunk.choices[0]
        text += choice.text
        if choice.logprobs:
            tokens += choice.logprobs.tokens
            values += choice.logprobs.token_logprobs
            tops += choice.logprobs.top_logprobs
    assert text == whole.text
    assert (tokens, values, tops) == (whole.logprobs.tokens, whole.logprobs.token_logprobs, whole.logprobs.top_logprobs)


# -- stream_options.include_usage ----------------------------------------------------------------------
def test_include_usage_sends_a_last_chunk_with_usage(client) -> None:
    ask = {"model": "tiny", "messages": CHAT, "max_tokens": 6, "temperature": 0, "n": 2}
    whole = client.chat.completions.create(**ask)
    chunks = list(client.chat.completions.create(**ask, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1]) and all(c.choices for c in chunks[:-1])
    plain = list(client.chat.completions.create(**ask, stream=True))
    assert all(c.usage is None and c.choices for c in plain)


def test_include_usage_on_completions_counts_each_prompt_once(client) -> None:
    ask = {"model": "tiny", "prompt": ["a", "bb"], "max_tokens": 3, "temperature": 0, "n": 2}
    whole = client.completions.create(**ask)
    last = list(client.completions.create(**ask, stream=True, stream_options={"include_usage": True}))[-1]
    assert last.choices == [] and last.usage == whole.usage
    each = [client.completions.create(model="tiny", prompt=p, max_tokens=1).usage.prompt_tokens for p in ask["prompt"]]
    assert whole.usage.prompt_tokens == sum(each)  # each prompt once, not n times over


def test_stream_options_without_stream_is_refused(client) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tiny", messages=CHAT, stream_options={"include_usage": True})
    assert e.value.param == "stream_options"


# -- content as a list of text parts -------------------------------------------------------------------
def test_text_parts_equal_a_string(client) -> None:
    ask = {"model": "tiny", "temperature": 0, "max_tokens": 8}
    plain = client.chat.completions.create(messages=CHAT, **ask).choices[0].message.content
    parts = [{"role": "user", "content": [{"type": "text", "text": CHAT[0]["content"]}]}]
    assert client.chat.completions.create(messages=parts, **ask).choices[0].message.content == plain
    split = [{"type": "text", "text": "You are player 0."}, {"type": "text", "text": "Legal moves: [1] [2]."}]
    joined = [{"role": "user", "content": "You are player 0.\nLegal moves: [1] [2]."}]
    assert (
        client.chat.completions.create(messages=[{"role": "user", "content": split}], **ask).choices[0].message.content
        == client.chat.completions.create(messages=joined, **ask).choices[0].message.content
    )
    developer = [{"role": "developer", "content": "Be brief."}, *CHAT]
    system = [{"role": "system", "content": "Be brief."}, *CHAT]
    assert (
        client.chat.completions.create(messages=developer, **ask).choices[0].message.content
        == client.chat.completions.create(messages=system, **ask).choices[0].message.content
    )


def test_image_parts_are_refused_by_name(client) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}, image]}]
        )
    assert e.value.param == "messages[0].content[1]" and "image_url" in e.value.message


# -- errors: string codes, unsupported fields named ----------------------------------------------------
TOOL = {"type": "function", "function": {"name": "move", "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tools", [TOOL]),
        ("tool_choice", "required"),
        ("functions", [TOOL["function"]]),
        ("function_call", "auto"),
        ("response_format", {"type": "json_object"}),
        ("presence_penalty", 0.5),
        ("frequency_penalty", -1.0),
        ("logit_bias", {"5": 10}),
        ("reasoning_effort", "high"),
    ],
)
def test_unsupported_chat_fields_are_refused_by_name(client, field: str, value) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tiny", messages=CHAT, max_tokens=2, **{field: value})
    assert e.value.status_code == 400 and e.value.param == field and field in e.value.message
    assert e.value.body["code"] == "unsupported_parameter"  # the raw body, not the client's str()
    assert set(e.value.body) == {"message", "type", "param", "code"} and e.value.body["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("field", "value"), [("echo", True), ("suffix", " end"), ("best_of", 3), ("logit_bias", {"1": 1})]
)
def test_unsupported_completion_fields_are_refused_by_name(client, field: str, value) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.completions.create(model="tiny", prompt="x", max_tokens=2, **{field: value})
    assert e.value.param == field and e.value.body["code"] == "unsupported_parameter"


def test_no_op_values_of_unsupported_fields_are_accepted(client) -> None:
    r = client.chat.completions.create(
        model="tiny",
        messages=CHAT,
        max_tokens=2,
        presence_penalty=0,
        frequency_penalty=0.0,
        response_format={"type": "text"},
        logit_bias={},
        user="someone",
        store=False,
        metadata={"run": "test"},
    )
    assert r.choices[0].finish_reason in ("stop", "length")
    assert client.completions.create(model="tiny", prompt="x", max_tokens=2, echo=False, best_of=1).choices


def test_unknown_fields_are_refused_by_name(client) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tiny", messages=CHAT, max_tokens=2, extra_body={"top_k": 5})
    assert e.value.param == "top_k" and e.value.body["code"] == "unknown_parameter"


@pytest.mark.parametrize(
    ("ask", "param", "code"),
    [
        ({"temperature": "hot"}, "temperature", "invalid_type"),
        ({"temperature": 3}, "temperature", "invalid_value"),
        ({"max_tokens": 0}, "max_tokens", "invalid_value"),
        ({"n": 1000}, "n", "invalid_value"),
        ({"top_logprobs": 50, "logprobs": True}, "top_logprobs", "invalid_value"),
    ],
)
def test_error_codes_are_strings(client, ask: dict, param: str, code: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tiny", messages=CHAT, **ask)
    assert (e.value.param, e.value.body["code"]) == (param, code)


def test_n_choices_with_a_seed(client) -> None:
    ask = {"model": "tiny", "messages": CHAT, "max_tokens": 6, "temperature": 1.0, "seed": 11, "n": 3}
    first, again = client.chat.completions.create(**ask), client.chat.completions.create(**ask)
    assert [c.index for c in first.choices] == [0, 1, 2]
    assert [c.message.content for c in first.choices] == [c.message.content for c in again.choices]


def test_prompt_as_token_ids(client) -> None:
    ask = {"model": "tiny", "max_tokens": 4, "temperature": 0}
    by_text = client.completions.create(prompt="hello", extra_body={"return_token_ids": True}, **ask)
    ids = by_text.choices[0].model_extra["prompt_token_ids"]
    by_ids = client.completions.create(prompt=ids, **ask)
    assert by_ids.choices[0].text == by_text.choices[0].text
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model="tiny", prompt=[10**9], max_tokens=1)
