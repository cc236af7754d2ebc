"""Attacks on the proposer's ``determinism`` stage (zeroplay/envs/code/propose.py): a task program
whose output is not a function of its input makes the "gold" noise, and the proposer is paid for the
solver's luck (a coin flip it guesses right half the time is the most "learnable" task there is).

What got through: a *coarse* clock. The reruns come milliseconds after the first run, so
``int(uptime) % 2`` (``linecache``/``codecs.open`` of ``/proc/uptime``), the hundredths-second
stamp of ``email.utils.make_msgid`` cut to seconds, ``timeit.default_timer()`` in whole seconds, or
today's weekday (``email.utils.formatdate``) read the same in all 8 runs (measured: each coin passed
5 of 6 validations once the twins were warm). The static policy refuses the standard library's
clocks and file readers (``zeroplay.envs.code.policy.CLOCK_AND_FILE_MODULES``, the ``open``
attribute), and the reruns now run their clocks ahead (a day, an hour, a minute and a second more
each), which catches a clock read through any module; not the idle-time field of ``/proc/uptime``
nor procfs timestamps, which only the policy keeps out.

Kept as regression tests: what the reruns do catch (addresses through ``repr(object())`` and
``__hash__``, string hashes through ``__hash__``, ``/dev/urandom``), that a warm worker's history
does not leak into a run (module state starts fresh each run), and honest programs with ``codecs``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from code_corpus import prop

from zeroplay.envs.code.policy import (CLOCK_AND_FILE_MODULES, DEFAULT_BANNED_ATTRIBUTES, DEFAULT_BANNED_MODULES,
                                       CodePolicy)
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
    # a second red team's: the idle field of /proc/uptime, which no rerun's clock moves
    "xml.sax input source": ("from xml.sax.saxutils import prepare_input_source\ndef f(x):\n"
                             "    text = prepare_input_source('/proc/uptime').getByteStream().read()\n"
                             "    return int(float(text.split()[1]) // 3600) % 2 + x"),
    "ElementTree.parse": ("import xml.etree.ElementTree as ET\ndef f(x):\n    try:\n"
                          "        ET.parse('/proc/loadavg')\n    except ET.ParseError as e:\n"
                          "        return str(e)[:4] + str(x)\n    return str(x)"),
    "optparse read_file": ("import optparse\ndef f(x):\n    try:\n"
                           "        optparse.Values().read_file('/proc/loadavg')\n"
                           "    except SyntaxError as e:\n        return e.text[:4] + str(x)\n    return str(x)"),
    "wave.open": ("import wave\ndef f(x):\n    try:\n        wave.open('/proc/uptime')\n"
                  "    except Exception as e:\n        return str(e)[:3] + str(x)"),
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


#: Clocks the shifted reruns see with the policy's clock and file modules allowed, and what moves them:
#: libfaketime (the wall clock) or the time namespace (the monotonic and boot clocks, /proc/uptime).
SHIFTED = {
    "weekday": "wall", "make_msgid stamp": "wall", "log record time": "wall",
    "time.time parity": "wall", "datetime hour": "wall",
    "timeit seconds": "boot", "uptime via linecache": "boot", "uptime via codecs.open": "boot",
    "shlex source": "boot", "monotonic": "boot",
}
#: Of those, the clocks the run-time guard refuses first: ``/proc/uptime`` opened, the host name asked for.
GUARDED = {"make_msgid stamp", "uptime via linecache", "uptime via codecs.open", "shlex source"}
CLOCKS_TOO = {
    "time.time parity": "import time\ndef f(x):\n    return int(time.time()) % 2 + x",
    "datetime hour": "import datetime\ndef f(x):\n    return datetime.datetime.now().hour + x",
    "monotonic": "import time\ndef f(x):\n    return int(time.monotonic()) % 2 + x",
}


@pytest.mark.parametrize("name", list(SHIFTED))
def test_the_reruns_shifted_clocks_catch_a_coarse_clock_whatever_module_reads_it(quick_box, name) -> None:
    """With the policy's clock modules (and ``time``, ``datetime``, ``open``) allowed, a program whose
    output follows a coarse clock fails at ``determinism``: each rerun's clocks run a day, an hour, a
    minute and a second further ahead. (Without the shifts a weekday passed every stage: the reruns
    come milliseconds after the first run.)"""
    from zeroplay.envs.code.runner import clock_shift_for
    from zeroplay.sandbox.isolation import time_namespace_support

    if not clock_shift_for(quick_box, 1):
        pytest.skip("no clock shift here: it needs libfaketime (setup.sh installs faketime) and the pool backend")
    if SHIFTED[name] == "boot" and not time_namespace_support():
        pytest.skip("the monotonic and boot clocks shift only on root hosts with time namespaces")
    lax = CodePolicy(banned_modules=DEFAULT_BANNED_MODULES - CLOCK_AND_FILE_MODULES - {"time", "datetime"},
                     banned_attributes=DEFAULT_BANNED_ATTRIBUTES - {"open"})
    program = {**CLOCKS, **CLOCKS_TOO}[name]
    result = ProposalValidator("deduction", sandbox=quick_box, policy=lax).validate(prop(program, "1"))
    if name in GUARDED:  # the run-time guard refuses the file or the host name before any rerun
        assert result.stage == "run" and "refused at run time" in result.error, (name, result.stage, result.error)
        unguarded = CodePolicy(banned_modules=lax.banned_modules, banned_attributes=lax.banned_attributes,
                               runtime_guard=False)
        result = ProposalValidator("deduction", sandbox=quick_box, policy=unguarded).validate(prop(program, "1"))
    assert result.stage == "determinism", (name, result.stage, result.error, result.task)
    honest = ProposalValidator("deduction", sandbox=quick_box, policy=lax).validate(
        prop("import time\ndef f(x):\n    return x + len(time.strftime('%Y', time.gmtime(0)))", "1"))
    assert honest.ok, (honest.stage, honest.error)  # a fixed date reads the same under any shift


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
