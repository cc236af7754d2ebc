"""Attacks on the proposer's ``determinism`` stage (zeroplay/envs/code/propose.py): a task program
whose output is not a function of its input makes the "gold" noise, and the proposer is paid for the
solver's luck (a coin flip it guesses right half the time is the most "learnable" task there is).

What got through: a *coarse* clock. The reruns come milliseconds after the first run, so
``int(uptime) % 2`` (``linecache``/``codecs.open`` of ``/proc/uptime``), the hundredths-second
stamp of ``email.utils.make_msgid`` cut to seconds, ``timeit.default_timer()`` in whole seconds, or
today's weekday (``email.utils.formatdate``) read the same in all 8 runs (measured: each coin passed
5 of 6 validations once the twins were warm). No rerun can vary the wall clock, so the static policy
now refuses the standard library's clocks and file readers
(``zeroplay.envs.code.policy.CLOCK_AND_FILE_MODULES``, the ``open`` attribute).

Kept as regression tests: what the reruns do catch (addresses through ``repr(object())`` and
``__hash__``, string hashes through ``__hash__``, ``/dev/urandom``), that a warm worker's history
does not leak into a run (module state starts fresh each run), and honest programs with ``codecs``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from code_corpus import prop

from zeroplay.envs.code.policy import CLOCK_AND_FILE_MODULES, DEFAULT_BANNED_MODULES, CodePolicy
from zeroplay.envs.code.propose import ProposalValidator

_ASLR = Path("/proc/sys/kernel/randomize_va_space")
_NO_ASLR = _ASLR.is_file() and _ASLR.read_text().strip() == "0"

#: name -> program (input 1): a coarse clock, the same over the reruns, noise to a solver later.
CLOCKS = {
    "timeit seconds": "import timeit\ndef f(x):\n    return int(timeit.default_timer()) % 2 + x",
    "uptime via linecache": ("import linecache\ndef f(x):\n"
                             "    return int(float(linecache.getline('/proc/uptime', 1).split()[0])) % 2 + x"),
    "uptime via codecs.open": ("import codecs\ndef f(x):\n"
                               "    return int(float(codecs.open('/proc/uptime').read().split()[0])) % 2 + x"),
    "make_msgid stamp": ("from email.utils import make_msgid\ndef f(x):\n"
                         "    return int(make_msgid()[1:].split('.')[0]) // 100 % 2 + x"),
    "weekday": "import email.utils\ndef f(x):\n    return email.utils.formatdate()[:3] + str(x)",
    "log record time": "import logging\ndef f(x):\n    return int(logging.makeLogRecord({}).created) % 2 + x",
    "mtime of /proc/self": "import posixpath\ndef f(x):\n    return int(posixpath.getmtime('/proc/self')) % 2 + x",
    "warnings reads a file": ("import warnings\ndef f(x):\n"
                              "    return warnings.formatwarning('', UserWarning, '/proc/uptime', 1)[-4:] + str(x)"),
    "argparse @file": ("import argparse\ndef f(x):\n    p = argparse.ArgumentParser(fromfile_prefix_chars='@')\n"
                       "    return p.parse_known_args(['@/proc/uptime'])[1][0][-1] + str(x)"),
    "shlex source": ("import shlex\ndef f(x):\n    s = shlex.shlex('source \"/proc/uptime\"')\n"
                     "    s.source = 'source'\n    return int(list(s)[0]) % 2 + x"),
    "tokenize.open": "import tokenize\ndef f(x):\n    return tokenize.open('/proc/uptime').read()[-3:] + str(x)",
}

#: What the reruns catch (each differs between interpreters or seeds), kept as regression tests.
CAUGHT_BY_RERUNS = {
    "repr(object())": "def f(x):\n    return repr(object())[-6:] + str(x)",
    "object().__hash__()": "def f(x):\n    return object().__hash__() % 7 + x",
    "str.__hash__": "def f(x):\n    return 'abc'.__hash__() % 7 + x",
}
_NEEDS_ASLR = {"repr(object())", "object().__hash__()"}


@pytest.mark.parametrize("name", list(CLOCKS))
def test_a_coarse_clock_is_refused_before_the_sandbox(quick_box, name) -> None:
    result = ProposalValidator("deduction", sandbox=quick_box).validate(prop(CLOCKS[name], "1"))
    assert result.stage == "banned", (name, result.stage, result.error, result.task)


def test_the_reruns_alone_cannot_see_a_coarse_clock(quick_box) -> None:
    """Why the policy has to refuse it: with the clock modules allowed, a weekday passes every stage
    (it changes at midnight only; the reruns come milliseconds later)."""
    lax = CodePolicy(banned_modules=DEFAULT_BANNED_MODULES - CLOCK_AND_FILE_MODULES)
    result = ProposalValidator("deduction", sandbox=quick_box, policy=lax).validate(prop(CLOCKS["weekday"], "1"))
    assert result.ok, (result.stage, result.error)
    assert result.task.outputs[0][1:4] in {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.skipif(_NO_ASLR, reason="address-space randomization is off here"))
    if n in _NEEDS_ASLR else n for n in CAUGHT_BY_RERUNS])
def test_addresses_and_hashes_are_caught_by_the_reruns(quick_box, name) -> None:
    result = ProposalValidator("deduction", sandbox=quick_box).validate(prop(CAUGHT_BY_RERUNS[name], "1"))
    assert result.stage == "determinism", (name, result.stage, result.error, result.task)


def test_a_workers_history_does_not_reach_a_run(quick_box) -> None:
    """Module state a program leaves behind would make its output count earlier runs; each run starts fresh."""
    program = ("import json\ndef f(x):\n    try:\n        json.zp_runs += 1\n    except AttributeError:\n"
               "        json.zp_runs = 0\n    return json.zp_runs + x")
    results = ProposalValidator("deduction", sandbox=quick_box).validate_many([prop(program, str(n)) for n in (1, 2)])
    assert [r.task.outputs if r.ok else r.error for r in results] == [("1",), ("2",)]


def test_honest_programs_with_codecs_and_hashes_of_numbers_pass(quick_box) -> None:
    programs = ["import codecs\ndef f(s):\n    return codecs.encode(s, 'rot13')",
                "def f(s):\n    return sorted(hash(n) % 97 for n in (len(s), 2 ** 70, -1))".replace("hash(n)",
                                                                                                     "n.__hash__()")]
    results = ProposalValidator("deduction", sandbox=quick_box).validate_many([prop(p, "'abc'") for p in programs])
    assert [r.task.outputs if r.ok else r.error for r in results] == [("'nop'",), ("[3, 27, 95]",)]
