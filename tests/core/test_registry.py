"""Registries: register/make/registered for envs, verifiers and agents, and their errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gymnasium
import pytest

import zeroplay as zp
from zeroplay import agents, verifiers
from zeroplay.core import EnvCreationError, RegistrationError, Task, TaskEnv, UnknownIdError
from zeroplay.core.registry import gym_id


class EchoEnv(TaskEnv):
    """A one-task env for registry tests: the answer is 'yes'."""

    def __init__(self, answer: str = "yes"):
        super().__init__([Task("t0", "Say yes.", answer)], verifier=verifiers.make("exact"))


ECHO_MODULE = """
from zeroplay.core import Task, TaskEnv
from zeroplay.verifiers.exact import ExactVerifier

class EchoEnv(TaskEnv):
    def __init__(self, answer="yes"):
        super().__init__([Task("t0", "Say yes.", answer)], verifier=ExactVerifier())
"""


@pytest.fixture(autouse=True)
def echo_module(tmp_path, monkeypatch):
    """A real module on sys.path, so string entry points are imported lazily as users write them."""
    (tmp_path / "zp_echo_env.py").write_text(ECHO_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_register_then_make_through_zeroplay_and_gymnasium() -> None:
    zp.register("tests/Echo-v0", entry_point="zp_echo_env:EchoEnv")
    assert "tests/Echo-v0" in zp.registered()
    for env in (zp.make("tests/Echo-v0"), gymnasium.make("tests/Echo-v0")):
        obs, _ = env.reset(seed=0)
        assert obs == "Say yes."
        _, reward, terminated, _, info = env.step("Yes")
        assert (reward, terminated, info["verdict"].correct) == (1.0, True, True)


def test_registered_kwargs_are_defaults_and_make_kwargs_override() -> None:
    zp.register("tests/EchoNo-v0", entry_point=EchoEnv, answer="no")
    env = zp.make("tests/EchoNo-v0")
    env.reset(seed=0)
    assert env.step("no")[1] == 1.0
    env = zp.make("tests/EchoNo-v0", answer="maybe")
    env.reset(seed=0)
    assert env.step("maybe")[1] == 1.0


def test_unknown_env_id_lists_close_matches() -> None:
    zp.register("tests/Echo-v0", entry_point="zp_echo_env:EchoEnv")
    with pytest.raises(UnknownIdError, match=r"Did you mean 'tests/Echo-v0'"):
        zp.make("tests/Ecoh-v0")


def test_bad_registrations_say_how_to_fix() -> None:
    with pytest.raises(RegistrationError, match="namespace/Name-v0"):
        zp.register("no version", entry_point="x:y")
    with pytest.raises(RegistrationError, match="package.module:Class"):
        zp.register("tests/Bad-v0", entry_point="not an entry point")


def test_env_construction_errors_name_the_id_and_kwargs() -> None:
    zp.register("tests/Echo-v0", entry_point="zp_echo_env:EchoEnv")
    with pytest.raises(EnvCreationError, match=r"tests/Echo-v0.*'colour': 'red'"):
        zp.make("tests/Echo-v0", colour="red")


def test_deep_ids_map_to_gymnasium_namespaced_ids() -> None:
    assert gym_id("zeroplay/synth/Maze-v0") == "zeroplay/synth.Maze-v0"
    zp.register("tests/deep/Echo-v0", entry_point=EchoEnv)
    assert zp.make("tests/deep/Echo-v0").reset(seed=0)[0] == "Say yes."
    assert gymnasium.make("tests/deep.Echo-v0").reset(seed=0)[0] == "Say yes."


def test_verifier_and_agent_registries() -> None:
    assert {"exact", "math", "code", "format"} <= set(verifiers.registered())
    assert {"random", "minimax", "nash", "oracle", "hf", "vllm", "openai", "human"} <= set(agents.registered())
    v = verifiers.make("exact")
    assert v.verify("  Paris. ", "paris").correct
    assert not v.verify("London", "paris").correct
    with pytest.raises(UnknownIdError, match="Did you mean 'math'"):
        verifiers.make("maths")
    with pytest.raises(UnknownIdError, match="Did you mean 'random'"):
        agents.make("randon")


def test_register_a_verifier_and_an_agent() -> None:
    verifiers.register("tests-exact", "zeroplay.verifiers.exact:ExactVerifier", normalize=False)
    assert not verifiers.make("tests-exact").verify("YES", "yes").correct
    agents.register("tests-random", "zeroplay.agents.scripted:RandomAgent", seed=3)
    a, b = agents.make("tests-random"), agents.make("tests-random")
    infos = [{"legal_actions": [str(i) for i in range(100)]}] * 5
    assert a.act(["obs"] * 5, infos) == b.act(["obs"] * 5, infos)


def test_deep_ids_have_one_spelling_that_works_in_both_makes(tmp_path) -> None:
    import gymnasium

    import zeroplay as zp
    from zeroplay.core import Task, TaskEnv
    from zeroplay.core.registry import gym_id

    class Deep(TaskEnv):
        def __init__(self):
            super().__init__([Task("a", "Say a.", "a")], verifier="exact")

    zp.register("zptest/deep/Thing-v0", entry_point=Deep)
    dotted = gym_id("zptest/deep/Thing-v0")
    assert dotted == "zptest/deep.Thing-v0"
    for env in (zp.make("zptest/deep/Thing-v0"), zp.make(dotted), gymnasium.make(dotted).unwrapped):
        assert isinstance(env, Deep)


# -- one "module:attr" walk; each loader words its failures its own way, on one line --------------------

WALK_MODULE = """
class Outer:
    class Inner:
        '''A nested class reached by a dotted attribute.'''

    VALUE = 7

THRESHOLD = 3
"""


def test_the_three_loaders_walk_dotted_attributes_alike(tmp_path) -> None:
    from zeroplay.core.registry import import_attribute, import_module_of, load_entry_point, load_registered

    (tmp_path / "zp_walk_probe.py").write_text(WALK_MODULE)
    spec = "zp_walk_probe:Outer.Inner"
    inner = load_entry_point(spec)
    assert inner.__qualname__ == "Outer.Inner"
    assert load_registered("agent", "walker", spec) is inner
    assert import_attribute(spec, "agent", import_module_of(spec, "agent")) is inner
    assert load_entry_point("zp_walk_probe:Outer.VALUE") == 7  # load_entry_point does not ask for a callable


@pytest.mark.parametrize("spec, said", [
    ("zp_walk_nowhere:X", "entry point 'zp_walk_nowhere:X': cannot import module 'zp_walk_nowhere'; add the directory "
                          "that holds zp_walk_nowhere to PYTHONPATH"),
    ("zp_walk_probe:Outer.Nope", "entry point 'zp_walk_probe:Outer.Nope': module 'zp_walk_probe' has no 'Outer.Nope'"),
    ("zp_walk_raises:X", "entry point 'zp_walk_raises:X': importing 'zp_walk_raises' failed: ValueError: bad line one "
                         "and two"),
])
def test_load_entry_point_fails_with_one_entry_point_error_line(tmp_path, spec: str, said: str) -> None:
    from zeroplay.core.registry import EntryPointError, load_entry_point

    (tmp_path / "zp_walk_probe.py").write_text(WALK_MODULE)
    (tmp_path / "zp_walk_raises.py").write_text("raise ValueError('bad line one\\n  and two')\n")
    with pytest.raises(EntryPointError) as e:
        load_entry_point(spec)
    assert str(e.value).startswith(said) and "\n" not in str(e.value), str(e.value)
    assert isinstance(e.value, ImportError)  # what a caller catching an import failure already catches
    # the module's own error stays attached (for a traceback); a module that is not there has none to show
    assert (e.value.__cause__ is None) == (spec != "zp_walk_raises:X")


def test_load_registered_and_import_specs_word_a_missing_attribute_their_own_way(tmp_path) -> None:
    from zeroplay.core.registry import EntryPointError, ImportSpecError, load_registered

    (tmp_path / "zp_walk_probe.py").write_text(WALK_MODULE)
    with pytest.raises(EntryPointError, match=r"^verifier 'w' \(entry point 'zp_walk_probe:Outer\.Innr'\): module "
                                              r"'zp_walk_probe' has no 'Outer\.Innr'; fix the registration$"):
        load_registered("verifier", "w", "zp_walk_probe:Outer.Innr")
    with pytest.raises(EntryPointError, match=r"is a int, not a class or a function; fix the registration$"):
        load_registered("verifier", "w", "zp_walk_probe:THRESHOLD")
    with pytest.raises(ImportSpecError, match=r"^agent 'zp_walk_probe:THRESHOL': module 'zp_walk_probe' has no "
                                              r"'THRESHOL'\. Did you mean 'THRESHOLD'\?$"):
        agents.make("zp_walk_probe:THRESHOL")


def test_a_missing_optional_dependency_comes_as_zeroplay_s_own_error(tmp_path) -> None:
    from zeroplay.core.errors import MissingDependencyError
    from zeroplay.core.registry import load_entry_point, load_registered

    (tmp_path / "zp_walk_needs.py").write_text(
        "from zeroplay.core.errors import MissingDependencyError\nraise MissingDependencyError('zz', 'zz-extra')\n")
    for load in (lambda: load_entry_point("zp_walk_needs:X"), lambda: load_registered("loop", "l", "zp_walk_needs:X")):
        with pytest.raises(MissingDependencyError, match=r"pip install 'zeroplay\[zz-extra\]'"):
            load()


# ---------------------------------------------------------------------------------------------
# What a module that does not import is said to need: the path, or a submodule that is not there


def _play(spec: str, cwd, pythonpath: str | None) -> subprocess.CompletedProcess[str]:
    """``zeroplay play SPEC`` as a user runs it: the console script, from ``cwd``, with ``PYTHONPATH`` or without."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    script = Path(sys.executable).parent / "zeroplay"
    return subprocess.run([str(script), "play", spec, "--agents", "random,random", "-n", "1"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_package_that_imports_but_lacks_the_submodule_is_not_a_path_problem(tmp_path) -> None:
    (tmp_path / "r" / "zp_hint_pkg" / "sub").mkdir(parents=True)
    (tmp_path / "r" / "zp_hint_pkg" / "__init__.py").write_text("")
    (tmp_path / "r" / "zp_hint_pkg" / "sub" / "__init__.py").write_text("")
    here = tmp_path / "r"
    pkg = (here / "zp_hint_pkg").resolve()
    # the bug: the package imported (PYTHONPATH=.), its submodule does not exist, and the hint said PYTHONPATH=.
    proc = _play("zp_hint_pkg.nosuch:Env", here, ".")
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert err == ("zeroplay play: error: env 'zp_hint_pkg.nosuch:Env': cannot import module 'zp_hint_pkg.nosuch'; "
                   f"module zp_hint_pkg has no submodule nosuch (zp_hint_pkg is at {pkg})"), err
    # deeper: the deepest package that imported is named, with the first part missing under it
    proc = _play("zp_hint_pkg.sub.gone.deeper:Env", tmp_path, str(here))
    assert proc.returncode == 2 and ("module zp_hint_pkg.sub has no submodule gone (zp_hint_pkg.sub is at "
                                     f"{pkg / 'sub'})") in proc.stderr, proc.stderr
    # the top package itself missing: today's hints, the current directory one only when it holds the package
    proc = _play("zp_hint_pkg.nosuch:Env", here, None)
    assert proc.returncode == 2 and proc.stderr.strip().endswith(
        "zp_hint_pkg is in the current directory, which is not on the import path: run with PYTHONPATH=."), proc.stderr
    proc = _play("zp_hint_absent.nosuch:Env", here, ".")
    assert proc.returncode == 2 and proc.stderr.strip().endswith(
        "add the directory that holds zp_hint_absent to PYTHONPATH (PYTHONPATH=DIR zeroplay ...) or install its "
        "package"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_the_current_directory_is_not_advised_when_it_is_already_on_the_path(tmp_path, monkeypatch) -> None:
    from zeroplay.core.registry import _path_hint

    here = tmp_path / "cwd"  # not tmp_path: the autouse fixture put that on the path
    here.mkdir()
    (here / "zp_hint_here.py").write_text("")
    monkeypatch.chdir(here)
    assert _path_hint("zp_hint_here.x").endswith("run with PYTHONPATH=.")
    monkeypatch.syspath_prepend(str(here))  # as PYTHONPATH=. puts it; the module failed for some other reason
    assert _path_hint("zp_hint_here.x") == ("add the directory that holds zp_hint_here to PYTHONPATH "
                                            "(PYTHONPATH=DIR zeroplay ...) or install its package")
