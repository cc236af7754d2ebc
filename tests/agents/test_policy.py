"""SamplingParams, Prompter and the stop-string cut: plain data, no model."""

from __future__ import annotations

import pytest

from zeroplay.agents.policy import Prompter, SamplingParams, check_messages, cut_at_stop


def test_sampling_params_validate() -> None:
    assert SamplingParams(temperature=0).greedy
    assert SamplingParams(stop="\n").stop == ("\n",)
    assert SamplingParams(stop=["a", "b"]).stop == ("a", "b")
    for bad in (
        dict(temperature=-1),
        dict(temperature=float("nan")),
        dict(top_p=0),
        dict(top_p=1.5),
        dict(max_new_tokens=0),
        dict(stop=[""]),
    ):
        with pytest.raises(ValueError):
            SamplingParams(**bad)


def test_prompter_chat_and_raw() -> None:
    p = Prompter(system_prompt="Be brief.")
    assert p.messages("hi") == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    given = [{"role": "user", "content": "x"}]
    assert p.messages(given) == given  # a message list is used as given: no system prompt added
    assert Prompter(chat=False).text("raw") == "raw"
    with pytest.raises(TypeError, match="chat=False"):
        Prompter(chat=False).text(given)


@pytest.mark.parametrize("bad", [[], "not a list", [{"role": "user"}], [{"role": "wizard", "content": "x"}], [42]])
def test_bad_messages_say_what_is_wrong(bad: object) -> None:
    with pytest.raises(TypeError):
        check_messages(bad)


def test_cut_at_stop_takes_earliest() -> None:
    assert cut_at_stop("abc]def\nxyz", ["\n", "]"]) == ("abc", True)
    assert cut_at_stop("abc", ["z"]) == ("abc", False)


def test_agent_stop_kwarg_takes_one_string(tiny_agent) -> None:
    from zeroplay import agents

    assert agents.make("openai", stop="]]").sampling.stop == ("]]",)
    assert type(tiny_agent)(tiny_agent.model, tiny_agent.tokenizer, stop="]]").sampling.stop == ("]]",)
