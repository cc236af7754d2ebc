"""Documents for the search tool: a folder of ``.txt`` files or a JSONL file, and the built-in corpus.

- A **JSONL** file: one object a line with the fields ``id`` (string or integer), ``title`` and
  ``text`` (strings); any other field is kept in ``meta``. Ids must be unique.
- A **folder**: every ``*.txt`` file under it (recursively, sorted by path) is one document; its id
  is the path relative to the folder without ``.txt``, its title the first non-blank line, its text
  the whole file (UTF-8).
- :data:`BUILTIN_CORPUS` (``corpus.jsonl`` beside this module, written by the zeroplay authors):
  50 short articles about Morvane, an invented island, so no answer can come from pretraining.

Errors name the file (and line) and say what to fix, for hostile files too (bytes that are not UTF-8,
JSON nested past the decoder's depth). Not checked: that documents are about
anything, or that two documents differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.core.tasks import read_jsonl

#: The built-in corpus (an invented world).
BUILTIN_CORPUS = Path(__file__).with_name("corpus.jsonl")
#: The most documents a corpus may hold (the index lives in memory).
MAX_DOCUMENTS = 2_000_000


@dataclass(frozen=True)
class Document:
    """One searchable document."""

    id: str
    title: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def load_corpus(path: str | Path | None = None) -> list[Document]:
    """The documents of a JSONL file or a folder of ``.txt`` files (default: the built-in corpus)."""
    path = Path(path).expanduser() if path is not None else BUILTIN_CORPUS
    if path.is_dir():
        docs = _from_folder(path)
    elif path.is_file():
        docs = _from_jsonl(path)
    else:
        raise FileNotFoundError(f"no corpus at {path}: give a JSONL file (id, title, text per line) "
                                "or a folder of .txt files")
    if not docs:
        raise ValueError(f"the corpus {path} holds no documents: add .txt files or JSONL lines with id, title, text")
    if len(docs) > MAX_DOCUMENTS:
        raise ValueError(f"the corpus {path} holds {len(docs)} documents, more than {MAX_DOCUMENTS}; split it")
    return docs


def _from_jsonl(path: Path) -> list[Document]:
    docs: list[Document] = []
    seen: dict[str, int] = {}
    rows, last = read_jsonl(path), 0
    while True:
        try:
            lineno, row = next(rows)
        except StopIteration:
            return docs
        except RecursionError:  # json's decoder recurses per nesting level
            raise ValueError(f"{path}: JSON nested too deeply near line {last + 1}; a corpus line is one flat object "
                             "with id, title, text") from None
        last = lineno
        where = f"{path}:{lineno}"
        missing = [k for k in ("id", "title", "text") if k not in row]
        if missing:
            raise ValueError(f"{where}: a corpus line needs the fields id, title, text; missing {', '.join(missing)}")
        doc_id = row["id"]
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            raise ValueError(f"{where}: field 'id' must be a string or an integer, got {type(doc_id).__name__}")
        for key in ("title", "text"):
            if not isinstance(row[key], str):
                raise ValueError(f"{where}: field {key!r} must be a string, got {type(row[key]).__name__}")
        doc_id = str(doc_id)
        if doc_id in seen:
            raise ValueError(f"{where}: id {doc_id!r} already used on line {seen[doc_id]}; ids must be unique")
        seen[doc_id] = lineno
        meta = {k: v for k, v in row.items() if k not in ("id", "title", "text")}
        docs.append(Document(doc_id, row["title"], row["text"], meta))


def _from_folder(folder: Path) -> list[Document]:
    docs = []
    for file in sorted(folder.rglob("*.txt")):
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{file}: not UTF-8 text; save corpus files as UTF-8") from None
        title = next((line.strip() for line in text.splitlines() if line.strip()), file.stem)
        docs.append(Document(str(file.relative_to(folder).with_suffix("")), title[:200], text))
    return docs
