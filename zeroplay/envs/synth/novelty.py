"""Novelty: is a source a near-duplicate of one already in the library?

A source becomes a fingerprint without running it: its AST with every local name replaced by
its order of first appearance within its function (``v0``, ``v1``...), docstrings dropped, and
constants reduced to their type, so renaming variables, rewording prompts or changing numbers
leaves it unchanged; an inserted line changes only the grams of its own function (numbering across
the whole file, read breadth first, let one added line pass as a "novel" environment).
Similarity is the overlap of the fingerprints' token 4-grams, taken in source order: the shared grams
over the smaller set's, so a copy padded with code (a helper never called, hundreds of attribute
loads) is still the copy it contains (the Jaccard index it replaced was diluted by padding: a seed
plus dead code passed as novel). Among the shipped seeds the overlap is at most 0.64. Two sources that
differ in what they compute differ in structure; two that differ only in names and numbers do not.
It does not catch the same task written with a different algorithm.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from zeroplay.envs.synth.spec import REQUIRED_FUNCTIONS

#: Default similarity at or above which a source counts as a near-duplicate.
DEFAULT_THRESHOLD = 0.8
_NGRAM = 4


class _Normalizer(ast.NodeTransformer):
    """Renames identifiers by first appearance within each function, drops docstrings, reduces
    constants to their type."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name in REQUIRED_FUNCTIONS:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._name(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._name(node.name)
        outer, self.names = self.names, dict(self.names)  # numbering restarts in each function
        node.returns = None
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(getattr(node.body[0], "value", None), ast.Constant):
            node.body = node.body[1:] or [ast.Pass()]
        self.generic_visit(node)
        self.names = outer
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant(type(node.value).__name__)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return ast.Constant("str")  # prompt wording is not structure


@dataclass(frozen=True)
class Fingerprint:
    """The 4-gram set of a source's normalized AST."""

    grams: frozenset[tuple[str, ...]]

    def similarity(self, other: Fingerprint) -> float:
        if not self.grams and not other.grams:
            return 1.0
        if not self.grams or not other.grams:
            return 0.0
        return len(self.grams & other.grams) / min(len(self.grams), len(other.grams))


def fingerprint(source: str) -> Fingerprint:
    """The fingerprint of ``source``; a source that does not parse has an empty one."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return Fingerprint(frozenset())
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(getattr(tree.body[0], "value", None), ast.Constant):
        tree.body = tree.body[1:]
    tree = _Normalizer().visit(tree)
    tokens = [tok for node in _preorder(tree) for tok in _tokens(node)]
    return Fingerprint(frozenset(tuple(tokens[i:i + _NGRAM]) for i in range(max(0, len(tokens) - _NGRAM + 1))))


def _preorder(node: ast.AST) -> Iterable[ast.AST]:
    """Nodes in source order (depth first): an inserted statement changes only the grams around it
    (``ast.walk`` goes breadth first, where one statement shifts every level after it)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _tokens(node: ast.AST) -> list[str]:
    out = [type(node).__name__]
    for name in ("id", "arg", "attr", "value"):
        value = getattr(node, name, None)
        if isinstance(value, str):
            out.append(value)
    op = getattr(node, "op", None)
    if op is not None:
        out.append(type(op).__name__)
    return out


def similarity(a: str, b: str) -> float:
    """How alike two sources are, from 0 (nothing shared) to 1 (same up to names and constants)."""
    return fingerprint(a).similarity(fingerprint(b))


def nearest(source: str, others: Iterable[tuple[str, str]]) -> tuple[str | None, float]:
    """The name and similarity of the most similar of ``others`` (pairs of name, source)."""
    mine = fingerprint(source)
    best: tuple[str | None, float] = (None, 0.0)
    for name, other in others:
        s = mine.similarity(fingerprint(other))
        if s > best[1]:
            best = (name, s)
    return best
