"""Search envs: a BM25 index over a document collection, the ``search`` tool, and questions
answered with multi-turn search (:mod:`zeroplay.envs.search.env`).

Needs ``bm25s`` (a zeroplay dependency: pure Python over numpy), imported only when an index is built.
"""

from __future__ import annotations

ENVS: dict[str, str | tuple[str, dict]] = {
    "zeroplay/SearchQA-v0": "zeroplay.envs.search.env:SearchQAEnv",
}
