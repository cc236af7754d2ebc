"""Task programs up to renaming, for the proposer's ``duplicate`` stage.

:func:`canonical_program` maps a program to a text that is equal for two programs that differ
only in formatting, comments, docstrings (and any other statement that is a bare constant, or
``pass``), type annotations, and the names of the variables they bind themselves: function
arguments, local variables, comprehension and loop targets, ``except ... as`` and pattern names,
and module-level names other than the entry ``f``. Such names become canonical ones in order of
first appearance within their scope (a function's arguments first, in order), so
``def f(a, b): return a - b`` and ``def f(x, y): return x - y`` collide while
``def f(a, b): return b - a`` does not. Names bound per scope, as Python resolves them
(``global``, ``nonlocal``, closures, class bodies that methods do not see).

Kept as written: the entry ``f``, builtins and any other name the program does not bind, names it
imports (``import math as m`` keeps ``m``), attribute names, names bound in a class body (they are
attributes of the class), keyword names at call sites, string contents.

Guaranteed: equal canonical texts mean the programs are the same syntax tree up to the removals
above and a one-to-one renaming of bound names within each scope. Not guaranteed: two programs
that compute the same thing in other ways (``x * 2`` and ``x + x``, reordered statements, a
renamed import, a helper inlined) get different texts; a program that reaches a variable by its
name as a string (``globals()``, ``eval``, a function's ``__name__``, a keyword argument naming a
renamed parameter) can collide with a copy where that name was changed, which then fails as a
duplicate though it differs (the static policy bans the first two).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager

#: The function every task program defines (``triplet.ENTRY``); the harness calls it by name, so it is kept.
ENTRY = "f"

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def canonical_program(program: str) -> str:
    """The canonical text of ``program`` (see the module docstring). Raises SyntaxError (or
    ValueError, RecursionError, MemoryError) when it does not parse or is nested too deeply."""
    tree = ast.parse(program)
    _strip(tree)
    module, scopes = _Scope("module", None), {}
    _Walker(module, scopes, collect=True).visit(tree)
    _Walker(module, scopes, collect=False).visit(tree)
    return ast.dump(tree)


def _strip(tree: ast.AST) -> None:
    """Drop what cannot change what the program computes: annotations, docstrings and other
    bare constants used as statements, ``pass`` (an emptied block gets one ``pass`` back)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(None)  # kept as a statement: ``x: int`` makes x local
        for name, value in ast.iter_fields(node):
            if isinstance(value, list) and value and all(isinstance(s, ast.stmt) for s in value):
                kept = [s for s in value if not _is_noop(s)]
                setattr(node, name, kept or [ast.Pass()])


def _is_noop(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))


class _Scope:
    """One Python scope: what it binds, imports and declares; canonical names once walked."""

    def __init__(self, kind: str, parent: _Scope | None):
        self.kind, self.parent = kind, parent  # kind: module, function, class or comprehension
        self.depth = 0 if parent is None else parent.depth + 1
        self.bound: set[str] = set()
        self.imported: set[str] = set()
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()
        self.canonical: dict[str, str] = {}

    def canonical_name(self, name: str) -> str:
        """``name``'s canonical name in this scope: depth and order of first appearance, in a form no
        identifier has (so it never meets a kept name)."""
        if name not in self.canonical:
            self.canonical[name] = f"<{self.depth}.{len(self.canonical)}>"
        return self.canonical[name]

    def module(self) -> _Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def binding_of(self, name: str) -> _Scope | None:
        """The scope whose variable ``name`` means here, or None to keep the name (builtins, imports,
        class attributes, ``f``, names the program never binds)."""
        if name in self.declared_global:
            return self.module()._own(name)
        if name not in self.declared_nonlocal and (name in self.bound or name in self.imported):
            return self._own(name)
        scope = self.parent
        while scope is not None:
            if scope.kind == "module" or name in scope.declared_global:
                return scope.module()._own(name)
            if scope.kind != "class" and name not in scope.declared_nonlocal and (
                    name in scope.bound or name in scope.imported):
                return scope._own(name)
            scope = scope.parent
        return None

    def _own(self, name: str) -> _Scope | None:
        """This scope, when its binding of ``name`` is renamed."""
        if name in self.imported or name not in self.bound or self.kind == "class":
            return None
        if self.kind == "module" and name == ENTRY:
            return None
        return self


class _Walker(ast.NodeVisitor):
    """Walks a tree scope by scope. ``collect``: record what each scope binds; else rename in place.

    Both passes visit the same nodes, so the scopes the first pass makes (in ``scopes``, by node id)
    are found again by the second.
    """

    def __init__(self, module: _Scope, scopes: dict[int, _Scope], *, collect: bool):
        self.scope, self.scopes, self.collect = module, scopes, collect

    # -- names ---------------------------------------------------------------------------
    def name(self, name: str, *, binds: bool, scope: _Scope | None = None) -> str:
        """First pass: record a binding of ``name`` (in ``scope``, default the current one). Second
        pass: ``name``'s canonical name where it occurs (as written when it is kept)."""
        if self.collect:
            if binds:
                (scope or self.scope).bound.add(name)
            return name
        owner = self.scope.binding_of(name)
        return name if owner is None else owner.canonical_name(name)

    @contextmanager
    def child(self, node: ast.AST, kind: str) -> Iterator[_Scope]:
        if self.collect:
            self.scopes[id(node)] = _Scope(kind, self.scope)
        outer, self.scope = self.scope, self.scopes[id(node)]
        try:
            yield self.scope
        finally:
            self.scope = outer

    def visit_all(self, nodes: list) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    # -- scopes --------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            node.name = self.name(node.name, binds=True)
            self.visit_all(node.decorator_list)
        self.visit_all([*node.args.defaults, *node.args.kw_defaults])  # evaluated where the def is
        with self.child(node, "function"):
            a = node.args
            for arg in [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg]:
                if arg is not None:
                    arg.arg = self.name(arg.arg, binds=True)
            self.visit_all(node.body if isinstance(node.body, list) else [node.body])

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        node.name = self.name(node.name, binds=True)
        self.visit_all([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)])
        with self.child(node, "class"):
            self.visit_all(node.body)

    def visit_comprehension_scope(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        self.visit(node.generators[0].iter)  # the first iterable is evaluated outside
        with self.child(node, "comprehension"):
            for n, gen in enumerate(node.generators):
                if n:
                    self.visit(gen.iter)
                self.visit(gen.target)
                self.visit_all(gen.ifs)
            self.visit_all([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt])

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_comprehension_scope

    # -- bindings ------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        node.id = self.name(node.id, binds=not isinstance(node.ctx, ast.Load))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        scope = self.scope  # a walrus in a comprehension binds in the scope around it
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        node.target.id = self.name(node.target.id, binds=True, scope=scope)
        self.visit(node.value)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        if self.collect:
            for alias in node.names:
                if alias.name != "*":
                    self.scope.imported.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        if self.collect:
            declared = self.scope.declared_global if isinstance(node, ast.Global) else self.scope.declared_nonlocal
            declared.update(node.names)
        else:
            node.names = [self.name(n, binds=False) for n in node.names]

    visit_Nonlocal = visit_Global

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name is not None:
            node.name = self.name(node.name, binds=True)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs | ast.MatchStar) -> None:
        if node.name is not None:
            node.name = self.name(node.name, binds=True)
        self.generic_visit(node)

    visit_MatchStar = visit_MatchAs

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest is not None:
            node.rest = self.name(node.rest, binds=True)
        self.generic_visit(node)
