"""The language plugin point: a non-Python language runs through its command in every backend."""

from __future__ import annotations

import pytest

from zeroplay import sandbox
from zeroplay.core.errors import ConfigError, UnknownIdError

SH = sandbox.Language("sh", "main.sh", lambda python, path: ["/bin/sh", path])


@pytest.fixture(scope="module", autouse=True)
def _register_sh():
    if "sh" not in sandbox.languages():
        sandbox.register_language(SH)


def test_shell_program_in_every_backend(box):
    prog = sandbox.Program('read x; echo "got $x $1"; cat data.txt; exit 4', stdin="hi\n",
                           files={"data.txt": "file"}, argv=["arg"], language="sh")
    (res,) = box.run_many([prog])
    assert res.status == "error" and res.exit_code == 4
    assert res.stdout == "got hi arg\nfile"


def test_shell_timeout(box):
    (res,) = box.run_many([sandbox.Program("while :; do :; done", language="sh")])
    assert res.status == "timeout"


def test_python_is_built_in_and_unknown_languages_are_named():
    assert "python" in sandbox.languages()
    with pytest.raises(UnknownIdError, match="sandbox language"):
        sandbox.Program("x", language="cobol").payload(sandbox.Limits(), "python")
    with pytest.raises(ConfigError, match="already registered"):
        sandbox.register_language(sandbox.Language("sh", "other.sh", lambda p, f: ["/bin/sh", f]))
