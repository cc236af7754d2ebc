"""The tool protocol: parsing a model turn (hand-made and hostile text) and the ToolEnv budgets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from zeroplay.core.errors import EpisodeOverError
from zeroplay.core.tools import ToolEnv, Turn, check_tool, parse_turn
from zeroplay.core.types import Verdict

TOOLS = ("search", "calc")


@pytest.mark.parametrize("text, expected", [
    ("<search>river towns</search>", Turn("call", "search", "river towns", 28)),
    ("think first <answer> 42 </answer>", Turn("answer", "", "42", 33)),
    ("<calc>1+1</calc> then <search>x</search>", Turn("call", "calc", "1+1", 16)),
    # the pair that closes first wins: what a sampler stopping at </search> would have cut
    ("<answer>A <search>q</search> still A</answer>", Turn("call", "search", "q", 28)),
    # an unclosed call is no call; the answer after it counts
    ("<search>never closed <answer>B</answer>", Turn("answer", "", "B", 39)),
    # nested: the opening tag pairs with the first closing tag after it
    ("<search><search>q</search></search>", Turn("call", "search", "<search>q", 26)),
    ("</search><search>q", Turn("none")),
    ("<SEARCH>q</SEARCH>", Turn("none")),  # tags are case-sensitive
    ("<search>q</search >", Turn("none")),
    ("<unknown>q</unknown>", Turn("none")),
    ("", Turn("none")),
])
def test_parse_turn_hand_made(text, expected):
    assert parse_turn(text, TOOLS) == expected


@pytest.mark.parametrize("bad", [None, b"<search>q</search>", 7, ["<answer>1</answer>"]])
def test_parse_turn_non_text_is_no_call(bad):
    assert parse_turn(bad, TOOLS) == Turn("none")


def test_parse_turn_fuzzed_tag_soup_never_raises_and_reads_inside_the_text():
    rng = np.random.default_rng(0)
    pieces = ["<search>", "</search>", "<answer>", "</answer>", "<calc>", "</calc>", "<", ">", "/", "q", " ",
              "\x00", "漢", "\ud800", "search", "answer"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces, size=int(rng.integers(0, 40))))
        turn = parse_turn(text, TOOLS)
        if turn.kind != "none":
            tag = turn.name or "answer"
            assert text[:turn.end].endswith(f"</{tag}>") and turn.argument in text[:turn.end]


def test_parse_turn_reads_megabytes():
    huge = "<search>" * 200_000 + "x" * (1 << 20) + "</search>"
    assert parse_turn(huge, TOOLS).kind == "call"
    assert parse_turn("<" * (1 << 21), TOOLS) == Turn("none")


class Echo:
    name, description = "echo", "repeats its argument"

    def __call__(self, argument: str) -> str:
        return f"echo:{argument}"


class Broken:
    name, description = "broken", "always fails"

    def __call__(self, argument: str) -> str:
        raise RuntimeError("disk on fire")


class NotText:
    name, description = "nottext", "returns a number"

    def __call__(self, argument: str) -> str:
        return 5  # type: ignore[return-value]


class EchoEnv(ToolEnv):
    """Answer 'yes' to 'Say yes.' after any number of tool calls."""

    def __init__(self, **kw):
        super().__init__([Echo(), Broken(), NotText()], **kw)

    def new_problem(self, rng, options):
        return f"Say yes. {self.tool_instructions()}", {}

    def score(self, answer: str) -> Verdict:
        return Verdict(answer == "yes", float(answer == "yes"), "eq", answer)


def test_a_tool_call_continues_the_episode_and_shows_the_output():
    env = EchoEnv()
    obs0, _ = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("let me check <echo>hi</echo> ignored tail")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["tool_output"] == "\n<result>\necho:hi\n</result>\n"
    assert info["tool_call"] == {"name": "echo", "argument": "hi"} and info["calls"] == 1
    assert obs == obs0 + "let me check <echo>hi</echo>" + info["tool_output"]  # self-contained, tail dropped
    obs, reward, terminated, _, info = env.step("<answer>yes</answer>")
    assert (reward, terminated, info["answered"], info["verdict"].correct) == (1.0, True, True, True)
    with pytest.raises(EpisodeOverError):
        env.step("<answer>yes</answer>")


def test_call_budget_ends_the_episode_with_a_reason():
    env = EchoEnv(max_calls=2)
    env.reset(seed=0)
    assert not env.step("<echo>1</echo>")[2] and not env.step("<echo>2</echo>")[2]
    _, reward, terminated, _, info = env.step("<echo>3</echo>")
    assert terminated and reward == 0.0 and info["budget_spent"] and "2 calls" in info["reason"]


def test_output_budget_cuts_then_ends():
    env = EchoEnv(max_output_chars=12)
    env.reset(seed=0)
    _, _, _, _, info = env.step("<echo>abcdefghij</echo>")  # "echo:abcdefghij" is 15 chars: cut to 12
    assert info["tool_output"] == "\n<result>\necho:abcdefg\n</result>\n" and info["output_chars_left"] == 0
    _, reward, terminated, _, info = env.step("<echo>more</echo>")
    assert terminated and reward == 0.0 and "tool-output budget" in info["reason"]


def test_a_failing_tool_gives_an_error_text_not_an_exception():
    env = EchoEnv()
    env.reset(seed=0)
    assert "tool error: RuntimeError: disk on fire" in env.step("<broken>x</broken>")[4]["tool_output"]
    assert "returned int" in env.step("<nottext>x</nottext>")[4]["tool_output"]


def test_tool_output_cannot_close_its_wrapper():
    env = EchoEnv()
    env.reset(seed=0)
    out = env.step("<echo>a&lt;/result&gt;b</echo>")[4]["tool_output"]
    assert out.count("</result>") == 1
    assert env._run_tool("echo", "a</result>b") == "echo:a</ result>b"  # a tool that echoes the tag cannot close it


def test_a_turn_without_call_or_answer_ends_with_zero():
    env = EchoEnv()
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("yes")
    assert terminated and reward == 0.0 and "no tool call" in info["reason"] and not info.get("answered")


def test_end_episode_truncates():
    env = EchoEnv()
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.end_episode("token budget")
    assert (reward, terminated, truncated, info["reason"]) == (0.0, False, True, "token budget")


def test_stop_strings_and_long_arguments():
    env = EchoEnv(max_argument_chars=5)
    assert env.stop_strings == ("</echo>", "</broken>", "</nottext>", "</answer>")
    env.reset(seed=0)
    assert env.step("<echo>abcdefghij</echo>")[4]["tool_output"] == "\n<result>\necho:abcde\n</result>\n"


def test_gymnasium_checker_and_hostile_turns():
    env = EchoEnv(max_calls=12, max_output_chars=65536)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)
    env.reset(seed=0)
    for _ in range(12):  # the longest transcript the budgets allow stays in the observation space
        obs, _, terminated, _, _ = env.step("x" * 60000 + "<echo>a</echo>")
        assert not terminated
    obs, _, terminated, _, _ = env.step("z" * (1 << 20))
    assert terminated and env.observation_space.contains(obs)


class Named:
    description = "returns its argument"

    def __init__(self, name):
        self.name = name

    def __call__(self, argument: str) -> str:
        return argument


@pytest.mark.parametrize("tool, match", [(object(), "not a Tool"), (Named("an swer"), "letters"),
                                         (Named("answer"), "reserved"), (Named("result"), "reserved")])
def test_bad_tools_are_refused_with_a_reason(tool, match):
    with pytest.raises((TypeError, ValueError), match=match):
        check_tool(tool)


def test_bad_budgets_are_refused():
    with pytest.raises(ValueError, match="max_calls"):
        EchoEnv(max_calls=13)
    with pytest.raises(ValueError, match="max_output_chars"):
        EchoEnv(max_output_chars=-1)
