"""Findings of the third new-user trial: a language added from a config (the path of its YAML file),
the code env's format check feeding ``train/well_formed``, and the report's samples and curves.

Lua stands in for a user-added language (a file of our own that runs ``lua5.4``, under another
name); tests that run it skip without Lua (``./setup.sh --dev`` installs it)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

import zeroplay as zp
from zeroplay import verifiers
from zeroplay.core.errors import ConfigError, EnvCreationError
from zeroplay.sandbox.language_files import available, registered_specs, resolve_language

SUM = {"io": [{"stdin": "2 3\n", "stdout": "5\n"}, {"stdin": "-7 4\n", "stdout": "-3\n"}]}
LUA_SUM = 'local a, b = io.read("n", "n")\nprint(a + b)\n'
PROBLEMS = json.dumps({"id": "sum", "statement": "Read two integers and print their sum.", **SUM}) + "\n"


def lua_file(folder: Path, name: str = "misc3-lua", fence: str = "mylua") -> Path:
    """A user's language file (not a shipped one) that runs Lua under the name ``name``."""
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\ntitle: My Lua\nfences: [{fence}]\nfile: main.lua\n"
                    "compile: luac5.4 -p {file}\nrun: lua5.4 {file}\ntimeout_s: 5\nmemory_mb: 512\n"
                    "requires: [lua5.4, luac5.4]\ndebian: [lua5.4]\n")
    return path


def need_lua() -> None:
    ok, why = available("lua")
    if not ok:
        pytest.skip(why)


def problems(folder: Path) -> Path:
    path = folder / "sum.jsonl"
    path.write_text(PROBLEMS)
    return path


# -- 1. a language named by the path of its file ------------------------------------------------------

def test_codeio_takes_the_path_of_a_language_file_and_uses_its_name(tmp_path):
    need_lua()
    env = zp.make("zeroplay/CodeIO-v0", language=str(lua_file(tmp_path)), path=str(problems(tmp_path)))
    obs, info = env.reset(seed=0)
    assert env.language == "misc3-lua" and info["task"].meta["language"] == "misc3-lua"
    assert info["task"].id == "sum-misc3-lua" and info["task"].reference["language"] == str(tmp_path / "misc3-lua.yaml")
    assert "in My Lua" in obs and "```mylua" in obs  # the file's title and fence
    _, reward, _, _, info = env.step(f"```mylua\n{LUA_SUM}```")
    assert reward == 1.0 and info["verdict"].reason == "all-pass 2/2"


def test_a_relative_path_is_read_from_the_working_directory(tmp_path, monkeypatch):
    need_lua()
    lua_file(tmp_path, "misc3-rel")
    monkeypatch.chdir(tmp_path)
    assert resolve_language("misc3-rel.yaml") == "misc3-rel"
    v = verifiers.make("code", language="misc3-rel.yaml", timeout_s=5.0)
    try:  # the verifier's own language, and a reference's, may be paths too (both trusted)
        assert v.verify(f"```mylua\n{LUA_SUM}```", SUM).correct
        other = verifiers.make("code", timeout_s=5.0)
        assert other.verify(f"```mylua\n{LUA_SUM}```", {**SUM, "language": str(tmp_path / "misc3-rel.yaml")}).correct
        other.close()
    finally:
        v.close()


def test_a_missing_language_file_is_one_line_saying_what_to_give(tmp_path):
    with pytest.raises(EnvCreationError, match=r"No language file at .*cobol\.yaml: give the path of an existing"):
        zp.make("zeroplay/CodeIO-v0", language=str(tmp_path / "cobol.yaml"))
    with pytest.raises(ConfigError, match="No language file at"):
        verifiers.make("code").verify("```\nprint(1)\n```", {**SUM, "language": str(tmp_path / "x.yml")})


def test_a_response_never_chooses_a_language_file(tmp_path):
    """The language comes from the reference or the verifier (trusted); a response naming a file,
    as text, as a fence label or as the whole answer, loads nothing."""
    evil = tmp_path / "evil.yaml"
    evil.write_text("name: misc3-evil\nfile: main.sh\nrun: sh {file}\nspawn: true\n")
    v = verifiers.make("code", timeout_s=3.0, memory_mb=256)
    try:
        for response in (str(evil), f"```{evil}\nprint(5)\n```", f"language: {evil}\n```python\nprint(5)\n```",
                         "```misc3-evil\necho 5\n```"):
            v.verify(response, SUM)
        assert "misc3-evil" not in {s.name for s in registered_specs()}
    finally:
        v.close()


def test_only_a_shipped_language_is_told_to_run_setup_sh(tmp_path):
    path = tmp_path / "misc3-cobol.yaml"
    path.write_text("name: misc3-cobol\nfile: main.cob\ncompile: zp-no-such-cobc -x {file} -o main\n"
                    "run: ./main\nrequires: [zp-no-such-cobc]\ndebian: [gnucobol]\n")
    with pytest.raises(EnvCreationError) as e:
        zp.make("zeroplay/CodeIO-v0", language=str(path))
    assert "apt-get install gnucobol" in str(e.value) and "setup.sh" not in str(e.value)
    missing = [n for n in ("ocaml", "fortran", "r", "lua") if not available(n)[0]]
    for name in missing:  # a shipped one that is not installed here still names setup.sh
        assert "./setup.sh --languages" in available(name)[1]


# -- 2. a code answer without a block of its language is not well-formed -------------------------------

@pytest.mark.parametrize(("response", "well_formed"), [
    ("garbage without any fence", False),
    ("```lua\nprint(1)\n```", True),
    ("text\n```\nprint(1)\n```\nmore", True),           # unlabelled: run as the language, as the prompt allows
    ("```python\nprint(1)\n```", False),                  # another language's block
    ("```lua\n   \n```", False),                          # an empty block
    ("```lua\nprint(1)\n", False),                        # cut off: not closed
])
def test_codeio_says_whether_the_answer_holds_a_block_of_its_language(response, well_formed):
    need_lua()
    env = zp.make("zeroplay/CodeIO-v0", language="lua")
    env.reset(seed=0)
    _, reward, _, _, info = env.step(response)
    assert info["well_formed"] is well_formed
    assert reward == info["verdict"].score  # the env's reward is the verdict's, as before


def test_the_format_check_never_raises_on_hostile_text():
    from zeroplay.envs.code.anylang import has_code_block

    rng = random.Random(3)
    alphabet = ["```", "lua", "\n", " ", "x", "\x00", "é", "```lua\n", "`"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        assert isinstance(has_code_block(text, frozenset({"lua"})), bool)
    assert has_code_block(None, frozenset({"lua"})) is False
    assert has_code_block("```lua\nx\n```" * 20_000, frozenset({"lua"})) is True


def test_agnostics_counts_garbage_without_a_code_block_as_not_well_formed(tmp_path):
    """The trial's run: a tiny random model writes no fenced block, so train/well_formed is 0 (it was 1.0);
    the language comes from a file path on the config, as ``--set rlvr.env_kwargs.language=FILE``."""
    need_lua()
    from zeroplay.training import config_from_dict, read_metrics, train
    from zeroplay.training.runlog import read_samples

    cfg = {"name": "agn", "out_dir": str(tmp_path), "seed": 0, "loop": "rlvr", "steps": 1, "template": "plain",
           "model": {"tiny": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}},
           "sampling": {"temperature": 1.0, "max_new_tokens": 16, "batch_size": 8},
           "optim": {"lr": 5e-4, "micro_batch_size": 4}, "advantage": {"estimator": "grpo"},
           "rlvr": {"env": "zeroplay/CodeIO-v0", "env_kwargs": {"language": str(lua_file(tmp_path, "misc3-agn"))},
                    "prompts_per_step": 2, "group_size": 2, "reward": "correctness"},
           "eval": {"samples": 2, "samples_per_task": 1, "pass_k": [1]}}
    run = train(config_from_dict(cfg), quiet=True)
    row = [r for r in read_metrics(run) if r["step"] == 1][0]
    samples = read_samples(run)
    assert all("```" not in s["completion"] for s in samples)  # garbage, as in the trial
    assert row["train/well_formed"] == 0.0
    assert samples and not any(s["well_formed"] for s in samples)
    assert {s["reward"] for s in samples} == {-1.0}  # correctness: the malformed penalty, not -0.5
    assert "My Lua" in samples[0]["prompt"]


# -- 3. the report: every env and role, and curves before curve.png ---------------------------------------

def sample(env: str, role: str, reward: float, text: str = "x"):
    from zeroplay.training.rollout import Sample

    return Sample([1, 2], [3], [0.0], text=text, reward=reward, role=role, env=env)


def test_samples_keep_the_best_and_worst_of_every_env_and_role(tmp_path):
    from zeroplay.training.report import render
    from zeroplay.training.runlog import SampleLog, read_samples

    log = SampleLog(tmp_path)
    batch = [sample("zeroplay/LeducHoldem-v0", "0", 7.0), sample("zeroplay/LeducHoldem-v0", "0", -5.0),
             sample("zeroplay/LeducHoldem-v0", "1", 5.0), sample("zeroplay/TicTacToe-v0", "0", 1.0),
             sample("zeroplay/TicTacToe-v0", "0", -1.0), sample("zeroplay/KuhnPoker-v0", "1", 0.5, "kuhn seat 1")]
    log.add(1, batch, decode=lambda x: "prompt")
    log.add(2, batch[:3], decode=lambda x: "prompt")  # step 2 played Leduc only
    rows = read_samples(tmp_path)
    assert {(r["env"], r["role"]) for r in rows if r["step"] == 1} == {
        ("zeroplay/LeducHoldem-v0", "0"), ("zeroplay/LeducHoldem-v0", "1"),
        ("zeroplay/TicTacToe-v0", "0"), ("zeroplay/KuhnPoker-v0", "1")}
    ttt = sorted(r["reward"] for r in rows if r["step"] == 1 and r["env"] == "zeroplay/TicTacToe-v0")
    assert ttt == [-1.0, 1.0] and len([r for r in rows if r["step"] == 1]) == 6
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "reward/mean": 0.1}\n{"step": 2, "reward/mean": 0.2}\n')
    html = render(tmp_path)  # each env and role from its last step: Leduc from 2, the others from 1
    for env in ("LeducHoldem", "TicTacToe", "KuhnPoker"):
        assert f'data-env="zeroplay/{env}-v0"' in html
    assert "kuhn seat 1" in html and html.count('class="sample"') == 6


def test_an_unfinished_runs_report_draws_its_curves_from_metrics(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from zeroplay.training.report import render

    rows = [{"step": s, "reward/mean": 0.1 * s, "train/accuracy": 0.05 * s, "eval/accuracy": 0.2} for s in range(4)]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    html = render(tmp_path)
    assert 'id="curves"' in html and "data:image/png;base64,iVBOR" in html and "drawn from metrics.jsonl" in html
    assert not (tmp_path / "curve.png").exists()  # the report writes nothing into the run but itself
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # a report-only install: no matplotlib
    html = render(tmp_path)
    assert "no curve.png yet" in html and 'id="curves"' not in html
