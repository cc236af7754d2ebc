"""Programming problems checked by input and output, in any sandbox language (as in Agnostics).

``zp.make("zeroplay/CodeIO-v0", language="lua")``: each episode shows one problem and asks for a
complete program in that language that reads stdin and writes stdout; ``step`` runs it in the
sandbox on every I/O pair of the problem (the ``code`` verifier's ``io`` mode: compiled languages
compile in the same run) and the reward is 1.0 when all pass (``score="fraction"``: the fraction).
The answer is the last fenced block labelled as the language (else the last fenced block).

Problems come from a JSONL file (default: 24 small ones shipped with zeroplay), one object a line
with ``id`` and ``statement`` and either ``io`` (``[{"stdin", "stdout"}, ...]``) or a Python-style
``calls``/``tests`` reference (with ``entry_point``), turned into I/O form by
:func:`zeroplay.verifiers.code.convert.to_io` (the prompt then states the I/O layout). A row that
cannot be converted is an error naming its line. Languages: any of
:func:`zeroplay.sandbox.languages` (the shipped files: python, lua, ocaml, fortran, r), one added
with :func:`zeroplay.sandbox.load_languages`, or the path of a language file (``language=cobol.yaml``,
``--set rlvr.env_kwargs.language=cobol.yaml``): it is loaded and its ``name`` is the language's
(:func:`~zeroplay.sandbox.language_files.resolve_language`; the tasks' references keep the path, so
a verifier in another process loads it too).

Format: ``info["well_formed"]`` is False when the answer holds no closed fenced block labelled as
the language (one of its ``fences``) or unlabelled, with code in it: the prompt asks for one, and a
loop gives such an answer the malformed penalty (:mod:`zeroplay.training.rlvr`). The verifier still
scores it as always (its last block of any label, else the whole text), so the reward of ``step``
does not change.

Not guaranteed: that the language's toolchain is installed (``./setup.sh --languages``); a missing
one fails every answer with the run's error, so the constructor refuses it with the command to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zeroplay.core.errors import ConfigError
from zeroplay.core.tasks import TaskEnv, read_jsonl
from zeroplay.core.types import Task

DEFAULT_PROBLEMS = Path(__file__).with_name("io_problems.jsonl")

PROMPT_TEMPLATE = (
    "Solve the following problem in {title}.\n\n{statement}\n\n"
    "Write a complete {title} program that reads the input from standard input and prints the answer "
    "to standard output. Answer with the whole program in one fenced code block: ```{fence} ... ```."
)


class CodeIOEnv(TaskEnv):
    """I/O programming problems in one language (see the module docstring).

    ``language``: a sandbox language name, or the path of a language file. ``path``: a JSONL of
    problems (default: the shipped ones). ``score``: ``"all"`` or ``"fraction"``.
    ``timeout_s``/``memory_mb``: the limits of one run (default: the language file's, compile
    included). ``backend``: the sandbox backend.
    ``check_toolchain``: refuse a language whose toolchain is not installed here.
    """

    def __init__(self, language: str = "python", *, path: str | Path | None = None, score: str = "all",
                 timeout_s: float | None = None, memory_mb: int | None = None, backend: str = "auto",
                 check_toolchain: bool = True, render_mode: str | None = None):
        from zeroplay.sandbox.language_files import available, is_language_path, language_spec
        from zeroplay.verifiers.code import CodeVerifier

        if is_language_path(language):  # absolute, for a verifier that runs in another process
            language = str(Path(language).expanduser().resolve())
        try:
            self.language_spec = language_spec(language)  # not self.spec: zp.make sets that (the EnvSpec)
        except KeyError as e:
            raise ConfigError(f"CodeIO-v0: {e}") from None
        if check_toolchain:
            ok, why = available(self.language_spec.name)
            if not ok:
                raise ConfigError(f"CodeIO-v0(language={language!r}): {why}")
        self.language = self.language_spec.name
        tasks = load_problems(path or DEFAULT_PROBLEMS, language)
        verifier = CodeVerifier(score=score, timeout_s=timeout_s, memory_mb=memory_mb, language=language,
                                backend=backend)
        super().__init__(tasks, verifier=verifier, render_mode=render_mode)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = super().step(action)
        info["well_formed"] = has_code_block(action, self.language_spec.fence_labels)
        return obs, reward, terminated, truncated, info


def has_code_block(response: Any, labels: frozenset[str]) -> bool:
    """Whether ``response`` holds a closed fenced block labelled with one of ``labels`` (or unlabelled)
    with code (not only blanks) in it."""
    from zeroplay.core.answers import fenced_blocks

    return any(b.closed and b.lang in labels | {""} and b.body.strip() for b in fenced_blocks(response))


def load_problems(path: str | Path, language: str) -> list[Task]:
    """The problems of a JSONL file as tasks in ``language`` (see the module docstring)."""
    from zeroplay.sandbox.language_files import language_spec

    spec = language_spec(language)  # a path to a language file: loaded, and the references keep the path
    fence = sorted(spec.fence_labels, key=lambda f: (f != spec.name, f))[0]
    tasks = []
    for line, row in read_jsonl(path):
        where = f"{path}:{line}"
        reference, statement = _reference(row, where), row.get("statement")
        if not isinstance(statement, str) or not statement.strip():
            raise ConfigError(f"{where}: a problem needs a non-empty 'statement'")
        if "io" not in row:
            from zeroplay.verifiers.code.convert import IO_FORMAT

            statement = f"{statement}\n\nInput and output: {IO_FORMAT}"
        prompt = PROMPT_TEMPLATE.format(title=spec.prompt_name, statement=statement.strip(), fence=fence)
        reference["language"] = str(language)
        tasks.append(Task(f"{row.get('id', line)}-{spec.name}", prompt, reference, "code",
                          {"language": spec.name, "problem": str(row.get("id", line))}))
    if not tasks:
        raise ConfigError(f"{path} holds no problems")
    return tasks


def _reference(row: dict[str, Any], where: str) -> dict[str, Any]:
    from zeroplay.verifiers.code.convert import to_io

    if "io" in row:
        pairs = row["io"]
        if (not isinstance(pairs, list) or not pairs
                or not all(isinstance(p, dict) and isinstance(p.get("stdin", ""), str)
                           and isinstance(p.get("stdout"), str) for p in pairs)):
            raise ConfigError(f"{where}: 'io' must be a non-empty list of {{'stdin': str, 'stdout': str}}")
        return {"io": pairs}
    source = {k: row[k] for k in ("calls", "tests", "entry_point") if k in row}
    converted = to_io(source) if ("calls" in source or "tests" in source) else None
    if converted is None:
        raise ConfigError(f"{where}: a problem needs 'io' pairs, or 'calls'/'tests' that have an I/O form "
                          "(plain values; see zeroplay.verifiers.code.convert)")
    return converted
