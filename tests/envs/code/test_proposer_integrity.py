"""Integrity of proposal validation: the output recorded for an input must be what ``f`` returns.

Each program below defines ``def f(x): return x + 1`` and then tries to make the validator record
something other than ``2`` for the input ``1``. Validation must either fail or record ``2``. The holes
the campaign found are tests below, all closed.
"""

from __future__ import annotations

import pytest
from code_corpus import prop

from zeroplay.envs.code.policy import CodePolicy
from zeroplay.envs.code.propose import ProposalValidator
from zeroplay.sandbox import Sandbox

#: No static filter at all: only the sandbox and the split job stand between the program and the record.
OPEN = CodePolicy(banned_modules=frozenset(), banned_names=frozenset(), banned_calls=frozenset(),
                  banned_attributes=frozenset(), ban_private_modules=False)

F = "def f(x):\n    return x + 1\n"
FAKE = '[[\\"ok\\", \\"999\\"]]'  # the judge's result line, with a wrong value

# name -> program; the default policy must not matter: each attack must fail under OPEN too.
ATTACKS = {
    "brief: typing.sys writes a fake result line then os._exit(0)":
        "import typing\n" + F + f"typing.sys.stdout.write('{FAKE}\\n')\ntyping.sys.stdout.flush()\n"
        "typing.sys.modules['os']._exit(0)\n",
    "fake line on fds 0-20 at load, then _exit":
        "import os\n" + F + f"for fd in range(0, 21):\n    try: os.write(fd, b'{FAKE}\\n')\n    except OSError: pass\n"
        "os._exit(0)\n",
    "fake line inside f, then _exit":
        "import os, sys\ndef f(x):\n    sys.stdout.write('" + FAKE + "\\n')\n    sys.stdout.flush()\n    os._exit(0)\n",
    "SystemExit inside f": "def f(x):\n    raise SystemExit(0)\n",
    "kill the judge inside f": "import os, signal\ndef f(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 999\n",
    "kill(-1) inside f": "import os, signal\ndef f(x):\n    os.kill(-1, signal.SIGKILL)\n    return 999\n",
    "writes the fake line to /proc/<judge>/fd/1": (
        "import os\n" + F + "for p in ('/proc/%d/fd/1' % os.getppid(), '/proc/1/fd/1'):\n"
        f"    try:\n        with open(p, 'w') as fh: fh.write('{FAKE}\\n')\n    except OSError: pass\n"),
    "child writes the fake line after f returns":
        "import os, time\n" + F.replace("    return", "    if os.fork() == 0:\n        time.sleep(0.05)\n"
                                          f"        os.write(1, b'{FAKE}\\n')\n        os._exit(0)\n    return"),
}


@pytest.fixture(scope="module")
def box():
    sandbox = Sandbox(backend="auto", timeout_s=1.5, memory_mb=256, max_output_bytes=1 << 16)
    yield sandbox
    sandbox.close()


def _records_only_the_truth(result) -> bool:
    return (not result.ok) or result.task.outputs == ("2",) or list(result.task.outputs) == ["2"]


@pytest.fixture(scope="module")
def attack_results(box):
    texts = [prop(p, "1") for p in ATTACKS.values()]
    out = {}
    for name, policy in (("default", None), ("open", OPEN)):
        results = ProposalValidator("deduction", sandbox=box, policy=policy).validate_many(texts)
        out.update({(a, name): r for a, r in zip(ATTACKS, results)})
    return out


def test_the_brief_reproduction_is_rejected(attack_results):
    name = "brief: typing.sys writes a fake result line then os._exit(0)"
    for policy in ("default", "open"):
        assert not attack_results[(name, policy)].ok


@pytest.mark.parametrize("policy", ["default", "open"])
@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_cannot_fake_a_recorded_output(name, policy, attack_results):
    result = attack_results[(name, policy)]
    assert _records_only_the_truth(result), (name, policy, result.task.outputs if result.ok else result.error)


def test_honest_program_records_its_real_output(box):
    result = ProposalValidator("deduction", sandbox=box).validate(prop(F, "1"))
    assert result.ok and list(result.task.outputs) == ["2"]


# ---------------------------------------------------------------- holes the campaign found (closed)

HOLES = {
    # `typing.sys` passes the default policy (only imports of sys are banned; `.sys` and `.modules` are
    # plain attributes); the subject's repr_call then takes repr() from the patched builtins.
    "builtins.repr patched through typing.sys": "import typing\n" + F + "typing.sys.modules['builtins'].repr = lambda v: '999'\n",
    # The recorded output is repr(value) taken in the program's own process: a class may say anything.
    "int subclass whose __repr__ says 999": "class R(int):\n    def __repr__(self):\n        return '999'\n"
                                           "def f(x):\n    return R(x + 1)\n",
    # The program writes its own reply to @repr_call on the subject socket (fd 4) and then returns 2.
    "forged reply on the subject socket through typing.sys": (
        "import typing\n" + "def f(x):\n    os = typing.sys.modules['os']\n    m = typing.sys.modules['marshal']\n"
        "    data = m.dumps(('ok', '999'))\n    os.write(4, len(data).to_bytes(4, 'big') + data)\n    os._exit(0)\n"),
}


@pytest.mark.parametrize("name", list(HOLES))
def test_default_policy_records_what_f_returns(name, box):
    result = ProposalValidator("deduction", sandbox=box).validate(prop(HOLES[name], "1"))
    assert _records_only_the_truth(result), result.task.outputs


_HIJACK = 'import os\nos.write(1, b\'[["ok", "999"]]\\n\')\nos._exit(0)\n'
PLANT_AST = (
    "import typing\nos = typing.sys.modules['os']\nfd = os.open('/work/ast.py', os.O_WRONLY | os.O_CREAT, 0o644)\n"
    f"os.write(fd, {_HIJACK.encode()!r})\nos.close(fd)\n" + F
)


@pytest.fixture(scope="module")
def cold_box():
    try:
        sandbox = Sandbox(backend="namespace", timeout_s=1.5, memory_mb=256, max_output_bytes=1 << 16)
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"namespace backend unavailable: {e}")
    yield sandbox
    sandbox.close()


def test_planted_ast_module_is_harmless_on_the_pool(box):
    result = ProposalValidator("deduction", sandbox=box).validate(prop(PLANT_AST, "1"))
    assert _records_only_the_truth(result)


def test_planted_ast_module_cannot_hijack_the_judge_cold(cold_box):
    result = ProposalValidator("deduction", sandbox=cold_box).validate(prop(PLANT_AST, "1"))
    assert _records_only_the_truth(result), result.task.outputs
