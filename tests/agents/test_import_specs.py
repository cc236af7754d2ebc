"""User envs and agents by ``"module.path:Name"`` (no registration), their errors, and how
``zeroplay list envs`` describes envs (the first sentence of their docstring)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import gymnasium
import pytest

import zeroplay as zp
from zeroplay import agents
from zeroplay.agents.base import Agent
from zeroplay.cli import main
from zeroplay.core import ConfigError, EnvCreationError, UnknownIdError
from zeroplay.core.registry import ImportSpecError

USER_MODULE = '''
import gymnasium
import zeroplay as zp
from zeroplay.agents.base import Agent
from zeroplay.core import Task, TaskEnv


class Caps(TaskEnv):
    """Capitals quiz: one question per episode."""

    def __init__(self, answer="Paris"):
        super().__init__([Task("fr", "Capital of France?", answer)], verifier="exact")


def caps_in_japan():
    """A factory: Japan's capital."""
    return Caps(answer="Tokyo")


def not_an_env():
    return 42


class NotAnEnv:
    pass


class NoDoc(TaskEnv):
    def __init__(self):
        super().__init__([Task("t", "Say x.", "x")], verifier="exact")


class AlwaysBet(Agent):
    """Scripted: bets/calls when it can, else the first legal move."""

    name = "alwaysbet"

    def act(self, observations, infos=None):
        out = []
        for info in infos or [{}] * len(observations):
            legal = info.get("legal_actions", [])
            out.append(f"[{next((a for a in ('bet', 'call') if a in legal), legal[0] if legal else 'check')}]")
        return out


def make_always_bet():
    return AlwaysBet()


class NeedsModel(Agent):
    """An agent whose constructor needs an option (given with --agent-arg)."""

    def __init__(self, model):
        self.model = model

    def act(self, observations, infos=None):
        return ["" for _ in observations]


def make_nothing():
    return "not an agent"


zp.register("specs/Caps-v0", entry_point=Caps, answer="Rome")  # found by "module:specs/Caps-v0"
if "SpecsGymCaps-v0" not in gymnasium.registry:  # registered once per process, as a real module would be
    gymnasium.register("SpecsGymCaps-v0", entry_point=Caps, kwargs={"answer": "Oslo"}, disable_env_checker=True)
'''

_counter = itertools.count()


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A script-like module on sys.path (as PYTHONPATH=DIR puts it), fresh per test."""
    name = f"zp_user_specs_{next(_counter)}"
    (tmp_path / f"{name}.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def answer(env: gymnasium.Env, text: str) -> float:
    env.reset(seed=0)
    return env.step(text)[1]


def test_env_class_and_factory_by_module_spec(user_module: str) -> None:
    assert answer(zp.make(f"{user_module}:Caps"), "Paris") == 1.0
    assert answer(zp.make(f"{user_module}:Caps", answer="Lyon"), "Lyon") == 1.0
    assert answer(zp.make(f"{user_module}:caps_in_japan"), "Tokyo") == 1.0
    assert f"{user_module}:Caps" not in zp.registered()


def test_module_spec_naming_an_id_the_module_registers(user_module: str) -> None:
    """gymnasium's convention: import the module, then the part after ':' is a registered id."""
    assert answer(zp.make(f"{user_module}:specs/Caps-v0"), "Rome") == 1.0
    assert answer(zp.make(f"{user_module}:SpecsGymCaps-v0"), "Oslo") == 1.0


def test_env_spec_errors_say_what_to_fix(user_module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnknownIdError, match=r"cannot import module 'zp_nowhere_xyz'.*PYTHONPATH"):
        zp.make("zp_nowhere_xyz:Caps")
    with pytest.raises(ImportSpecError, match=r"has no 'Capz'\. Did you mean 'Caps'"):
        zp.make(f"{user_module}:Capz")
    with pytest.raises(ImportSpecError, match="NotAnEnv is a class but not a gymnasium.Env subclass"):
        zp.make(f"{user_module}:NotAnEnv")
    with pytest.raises(ImportSpecError, match="returned a int, not a gymnasium.Env"):
        zp.make(f"{user_module}:not_an_env")
    with pytest.raises(EnvCreationError, match=r"'colour': 'red'.*known arguments: answer='Paris'"):
        zp.make(f"{user_module}:Caps", colour="red")
    # a script in the current directory, which a console script does not put on the path
    here = tmp_path / "cwd"
    here.mkdir()
    (here / "zp_only_in_cwd.py").write_text(USER_MODULE)
    monkeypatch.chdir(here)
    with pytest.raises(ImportSpecError, match=r"current directory.*PYTHONPATH=\."):
        zp.make("zp_only_in_cwd:Caps")


def test_broken_modules_show_their_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zp_spec_raises.py").write_text("raise RuntimeError('boom at import')\n")
    (tmp_path / "zp_spec_needs_dep.py").write_text("import zp_missing_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportSpecError, match=r"importing 'zp_spec_raises' failed: RuntimeError: boom at import"):
        zp.make("zp_spec_raises:Caps")
    with pytest.raises(ImportSpecError, match=r"zp_missing_dependency_xyz.*install what it imports"):
        agents.make("zp_spec_needs_dep:Agent")


def test_agent_class_and_factory_by_module_spec(user_module: str) -> None:
    info = {"player": 0, "legal_actions": ["check", "bet"]}
    for spec in (f"{user_module}:AlwaysBet", f"{user_module}:make_always_bet"):
        agent = agents.make(spec)
        assert isinstance(agent, Agent) and agent.act(["obs"], [info]) == ["[bet]"]
    assert f"{user_module}:AlwaysBet" not in agents.registered()


def test_agent_spec_errors_say_what_to_fix(user_module: str) -> None:
    with pytest.raises(ImportSpecError, match="Caps is a class but not a zeroplay.agents.base.Agent subclass"):
        agents.make(f"{user_module}:Caps")
    with pytest.raises(ImportSpecError, match="returned a str, not a Agent"):
        agents.make(f"{user_module}:make_nothing")
    with pytest.raises(ImportSpecError, match=r"has no 'AlwaysBett'\. Did you mean 'AlwaysBet'"):
        agents.make(f"{user_module}:AlwaysBett")
    # an option the class does not take: a ConfigError that is a TypeError too, as Python's own, so
    # callers that retry without ``seed`` (evaluation opponents) still work
    with pytest.raises(ConfigError, match="takes no option 'seed'") as caught:
        agents.make(f"{user_module}:AlwaysBet", seed=0)
    assert isinstance(caught.value, TypeError)
    with pytest.raises(UnknownIdError, match="No agent named 'nosuch'"):  # plain unknown names: as before
        agents.make("nosuch")


def test_evaluation_opponents_take_module_specs(user_module: str) -> None:
    from zeroplay.training.selfplay.games import make_opponent

    opponent = make_opponent(f"{user_module}:AlwaysBet", seed=3)
    assert opponent.act(["obs"], [{"legal_actions": ["fold", "call"]}]) == ["[call]"]


def test_cli_plays_module_spec_env_and_agents(user_module: str, capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    out = tmp_path / "caps.json"
    assert main(["play", f"{user_module}:Caps", "--agents", "oracle", "-n", "3", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["accuracy"] == 1.0
    assert main(["play", "zeroplay/KuhnPoker-v0", "--agents", f"{user_module}:AlwaysBet,random", "-n", "4"]) == 0
    assert f"0: {user_module}:AlwaysBet" in capsys.readouterr().out
    assert main(["play", "zp_nowhere_xyz:Caps"]) == 2
    err = capsys.readouterr().err
    assert "cannot import module 'zp_nowhere_xyz'" in err and "PYTHONPATH" in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# zeroplay list envs: descriptions from docstrings


def list_envs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("COLUMNS", "400")  # one row per env
    assert main(["list", "envs"]) == 0
    rows = [line.strip().split(None, 1) for line in capsys.readouterr().out.splitlines()[1:] if line.strip()]
    return {row[0]: row[1] if len(row) > 1 else "" for row in rows}


def test_list_envs_describes_native_and_user_envs(user_module: str, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    module = __import__(user_module)
    zp.register("specs/Japan-v0", entry_point=module.caps_in_japan)
    zp.register("specs/NoDoc-v0", entry_point=f"{user_module}:NoDoc")
    rows = list_envs(capsys, monkeypatch)
    assert rows["specs/Caps-v0"] == "Capitals quiz: one question per episode (answer=Rome)."
    assert rows["specs/Japan-v0"] == "A factory: Japan's capital."
    assert rows["specs/NoDoc-v0"] == ""  # not TaskEnv's inherited docstring
    # a native game whose class docstring points to its module: the module's first sentence
    assert rows["zeroplay/TicTacToe-v0"].startswith("Tic-tac-toe: two players mark cells")
    assert rows["zeroplay/MathArithmetic-v0"].endswith("(generator=arithmetic).")
    assert "``" not in "".join(rows.values())
    native = [i for i in zp.registered() if i.startswith("zeroplay/") and i.count("/") == 1]
    assert len(native) >= 30 and all(rows[i] for i in native), [i for i in native if not rows[i]]


# ---------------------------------------------------------------------------------------------
# zeroplay synth --agent takes what zeroplay play --agents takes


def test_synth_takes_the_agent_specs_play_takes(user_module: str, capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    library = str(tmp_path / "library")
    for spec in (f"{user_module}:AlwaysBet", f"{user_module}:make_always_bet"):  # a class, a factory
        assert main(["synth", "--agent", spec, "-n", "1", "--library", library]) == 0
        out = capsys.readouterr().out
        assert "0 of 1 accepted" in out and "static" in out, out  # "[check]" is not Python: rejected, not refused
    assert main(["synth", "--agent", f"{user_module}:NeedsModel", "--agent-arg", "model=m", "-n", "1",
                 "--library", library]) == 0
    assert "0 of 1 accepted" in capsys.readouterr().out
    # what both refuse, both refuse on one line with exit 2: a constructor missing its option, a class that is
    # not an Agent, a module that is not there
    for spec, said in ((f"{user_module}:NeedsModel", "missing 1 required positional argument: 'model'"),
                       (f"{user_module}:NotAnEnv", "NotAnEnv is a class but not a zeroplay.agents.base.Agent subclass"),
                       ("zp_nowhere_xyz:Author", "cannot import module 'zp_nowhere_xyz'")):
        for argv in (["synth", "--agent", spec, "-n", "1", "--library", library],
                     ["play", "zeroplay/KuhnPoker-v0", "--agents", f"{spec},random", "-n", "1"]):
            assert main(argv) == 2, argv
            err = capsys.readouterr().err
            assert said in err and len(err.strip().splitlines()) == 1, (argv, err)
