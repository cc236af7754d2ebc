"""Stage 1 of validation: read the source without running it.

Checks that it parses, defines the four spec functions with the right arity, imports only
:data:`~zeroplay.envs.synth.spec.ALLOWED_IMPORTS`, names no banned builtin, no dunder or
private (``._x``) attribute, and uses no ``global``. This is a policy check (what an
environment may use, so that it stays deterministic and self-contained); the driver enforces
the same policy again at run time (guarded imports, read-only module views). Neither is the
security boundary: safety comes from the sandbox, which runs the source with real limits
whatever this stage says.
"""

from __future__ import annotations

import ast

from zeroplay.envs.synth import spec


def check_source(source: str) -> str | None:
    """None when the source passes stage 1, else why it does not (and how to fix it)."""
    if not isinstance(source, str) or not source.strip():
        return "the source is empty; define sample_instance, render, reference and score"
    if len(source) > spec.MAX_SOURCE_CHARS:
        return f"the source has {len(source)} characters; keep it under {spec.MAX_SOURCE_CHARS}"
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return f"syntax error: {e.msg} (line {e.lineno})"
    except (ValueError, RecursionError, MemoryError) as e:
        return f"the source cannot be parsed: {type(e).__name__}"
    return _check_functions(tree) or _check_nodes(tree)


def _check_functions(tree: ast.Module) -> str | None:
    defined = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name, arity in spec.REQUIRED_FUNCTIONS.items():
        fn = defined.get(name)
        if fn is None:
            return f"no top-level `def {name}(...)`; every environment defines {', '.join(spec.REQUIRED_FUNCTIONS)}"
        args = fn.args
        positional = len(args.posonlyargs) + len(args.args)
        required = positional - len(args.defaults)
        if not (required <= arity <= positional or (args.vararg and required <= arity)):
            return f"{name} must take {arity} positional argument(s); it takes {positional}"
    return None


def _check_nodes(tree: ast.Module) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in spec.ALLOWED_IMPORTS:
                    return _banned_import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level or not node.module or node.module.split(".")[0] not in spec.ALLOWED_IMPORTS:
                return _banned_import("." * node.level + (node.module or ""), node.lineno)
            private = [a.name for a in node.names if a.name.startswith("_")]
            if private:
                return f"line {node.lineno}: importing the private name {private[0]!r} is not allowed"
        elif isinstance(node, ast.Name) and node.id in spec.BANNED_BUILTINS:
            return f"line {node.lineno}: `{node.id}` is not allowed in an environment"
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            # dunders lead to the interpreter's internals, and modules' private names
            # (random._os, collections._sys) to modules an env may not import
            return f"line {node.lineno}: private and dunder attributes such as `.{node.attr}` are not allowed"
        elif isinstance(node, ast.Name) and node.id.startswith("__") and node.id != "__name__":
            return f"line {node.lineno}: the name `{node.id}` is not allowed"
        elif isinstance(node, ast.Global):
            return f"line {node.lineno}: `global` is not allowed; keep all state in the instance"
    return None


def _banned_import(name: str, lineno: int) -> str:
    allowed = ", ".join(sorted(spec.ALLOWED_IMPORTS))
    return f"line {lineno}: import of {name!r} is not allowed; an environment may import only: {allowed}"
