"""A BM25 index over documents, built with `bm25s <https://github.com/xhluca/bm25s>`_ (sparse-matrix
BM25, numpy only), and the ``search`` tool on top of it.

Guarantees: :meth:`BM25Index.search` returns at most ``k`` hits, best first, only documents that
share at least one term with the query (score > 0), ties broken by corpus order; it never raises
on query text (empty, stop words only, megabytes: the query is cut to ``MAX_QUERY_CHARS``), and
the same query on the same corpus gives the same hits. English stop words are dropped, no
stemming. Does not: rank by meaning (it is lexical), update an index in place, or persist it
(an index over the built-in corpus is built once per process: :func:`builtin_index`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from zeroplay.envs.search.corpus import Document, load_corpus

#: The longest query text the index reads.
MAX_QUERY_CHARS = 2048


class BM25Index:
    """Documents and their BM25 index (title and text are indexed together)."""

    def __init__(self, documents: Sequence[Document]):
        import bm25s

        if not documents:
            raise ValueError("BM25Index needs at least one document")
        self.documents = list(documents)
        self._by_id = {d.id: d for d in self.documents}
        self._bm25s = bm25s
        tokens = bm25s.tokenize([f"{d.title}\n{d.text}" for d in self.documents], stopwords="en",
                                show_progress=False)
        self._index = bm25s.BM25()
        self._index.index(tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self.documents)

    def get(self, doc_id: str) -> Document | None:
        """The document with this id, or None."""
        return self._by_id.get(doc_id)

    def search(self, query: Any, k: int = 3) -> list[tuple[Document, float]]:
        """The ``k`` best documents for ``query`` with their scores (see the module docstring)."""
        if not isinstance(query, str) or k < 1:
            return []
        terms = self._bm25s.tokenize([query[:MAX_QUERY_CHARS]], stopwords="en", show_progress=False,
                                     return_ids=False)
        if not terms or not terms[0]:
            return []
        k = min(k, len(self.documents))
        ids, scores = self._index.retrieve(terms, k=k, show_progress=False, n_threads=1)
        hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]
        hits.sort(key=lambda h: (-h[1], h[0]))
        return [(self.documents[i], s) for i, s in hits]


@lru_cache(maxsize=1)
def builtin_index() -> BM25Index:
    """The index of the built-in corpus, built once per process."""
    return BM25Index(load_corpus())


def format_hits(hits: Sequence[tuple[Document, float]], max_doc_chars: int = 600) -> str:
    """Search results as the agent sees them: ``[n] (id) Title`` then the text, cut to ``max_doc_chars``."""
    if not hits:
        return "No documents match this query. Try other words."
    return "\n\n".join(f"[{n}] ({doc.id}) {doc.title}\n{_cut(doc.text, max_doc_chars)}"
                       for n, (doc, _) in enumerate(hits, 1))


def format_documents(documents: Sequence[Document], max_doc_chars: int = 600) -> str:
    """Documents as a reader sees them: each title, then its text cut to ``max_doc_chars``; no numbers
    and no ids, so nothing in them tells one document's place."""
    return "\n\n".join(f"Title: {doc.title}\n{_cut(doc.text, max_doc_chars)}" for doc in documents)


def _cut(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars] + " ..."


class SearchTool:
    """The ``search`` tool: BM25 over a corpus, the top ``k`` documents as text.

    ``seen`` collects the ids of every document it returned since :meth:`clear` (what an agent
    has read: the proposer's documents of search self-play).
    """

    name = "search"
    description = "search the document collection; the argument is a query in plain words"

    def __init__(self, index: BM25Index, *, k: int = 3, max_doc_chars: int = 600):
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.index, self.k, self.max_doc_chars = index, k, max_doc_chars
        self.seen: list[str] = []

    def clear(self) -> None:
        self.seen = []

    def __call__(self, argument: str) -> str:
        if not argument.strip():
            return "Empty query: write the words to search for."
        hits = self.index.search(argument, self.k)
        self.seen += [d.id for d, _ in hits if d.id not in self.seen]
        return format_hits(hits, self.max_doc_chars)
