"""Normalized answer strings -> structured values holding sympy expressions.

The parser is sympy's own ``parse_expr`` (maintained with sympy, fast, handles implicit
multiplication), fed by a small LaTeX-to-text layer here (``\\frac``, ``\\sqrt``, ``\\log_b``,
``\\binom``, Greek constants, floor/ceil/abs...). sympy's ``parse_latex`` was not used: its antlr
backend pins antlr4 4.11 (math-verify pins 4.13), and its lark backend took 10-250 ms per
expression here, rejected ``\\pi/2`` and ``(1,2)``, and evaluated ``2^{2^{2^{100}}}`` eagerly.

Safety: ``parse_expr`` evaluates text, so the text it sees is built from a whitelist (digits,
operators, brackets, known function names, one-letter symbols) and evaluated with empty
builtins. Expressions are parsed unevaluated and rebuilt bottom-up with size guards, so power
towers, huge factorials and giant integers are refused (:class:`Oversized`) before sympy
computes them. Anything else that runs away is stopped by the worker's time budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy
from sympy.parsing.sympy_parser import (
    function_exponentiation,
    implicit_application,
    implicit_multiplication,
    parse_expr,
    standard_transformations,
)

from zeroplay.verifiers.math.extract import braced
from zeroplay.verifiers.math.options import MathOptions


class ParseFailure(ValueError):
    """The answer is not math this parser reads (it may still match as text)."""


class Oversized(ValueError):
    """The answer asks for a computation too big to do (power tower, huge factorial, giant number)."""


_FUNCS = {
    "sqrt": sympy.sqrt, "root": sympy.root, "log": sympy.log, "exp": sympy.exp, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "cot": sympy.cot, "sec": sympy.sec, "csc": sympy.csc, "asin": sympy.asin, "acos": sympy.acos,
    "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh, "Abs": sympy.Abs,
    "acot": sympy.acot, "asec": sympy.asec, "acsc": sympy.acsc, "asinh": sympy.asinh, "acosh": sympy.acosh,
    "atanh": sympy.atanh,
    "floor": sympy.floor, "ceiling": sympy.ceiling, "binomial": sympy.binomial, "gcd": sympy.gcd, "lcm": sympy.lcm,
}
_LATEX_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc", "arcsin": "asin",
    "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "ln": "log", "log": "log",
    "exp": "exp", "gcd": "gcd", "lcm": "lcm",
}
_LATEX_SYMBOLS = {
    "pi": " pi ", "infty": " oo ", "infinity": " oo ", "cdot": "*", "times": "*", "ast": "*", "div": "/",
    "lfloor": " floor(", "rfloor": ")", "lceil": " ceiling(", "rceil": ")", "lvert": "|", "rvert": "|",
    "vert": "|", "mid": "|", "theta": " theta ", "alpha": " alpha ", "beta": " beta ", "gamma": " gamma ",
    "phi": " phi ", "omega": " omega ", "lambda": " lamda ", "mu": " mu ", "sigma": " sigma ", "tau": " tau ",
    "varphi": " phi ", "vartheta": " theta ", "epsilon": " epsilon ", "delta": " delta ", "rho": " rho ",
    "dots": "", "ldots": "", "cdots": "",
}
_CONSTANTS = {"pi": sympy.pi, "oo": sympy.oo, "E": sympy.E, "I": sympy.I}
_GREEK = {"theta", "alpha", "beta", "gamma", "phi", "omega", "lamda", "mu", "sigma", "tau", "epsilon", "delta", "rho"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAFE_TEXT = re.compile(r"^[0-9A-Za-z_+\-*/().,!| ]*$")
_GLOBALS: dict[str, Any] = {
    "__builtins__": {}, "Integer": sympy.Integer, "Float": sympy.Float, "Rational": sympy.Rational,
    "Symbol": sympy.Symbol, "factorial": sympy.factorial, "Function": sympy.Function,
    "Add": sympy.Add, "Mul": sympy.Mul, "Pow": sympy.Pow,
}
_TRANSFORMS = standard_transformations + (implicit_multiplication, implicit_application, function_exponentiation)
#: sympy evaluates factorial/binomial of an integer literal while parsing, guards or not
_EAGER = re.compile(r"(\d+)\)*\s*!|binomial\(\s*(\d+)")
MAX_FACTORIAL = 2000
MAX_TOWER = 3
_SCIENTIFIC = re.compile(r"(\d\.?\d*)[eE]([+-]?\d+)(?![\w(])")
MAX_NODES = 400
MAX_DIGITS = 400


# ---------------------------------------------------------------------------------------------
# LaTeX -> plain text

def _arg(s: str, i: int) -> tuple[str, int]:
    """One macro argument at ``s[i]``: ``{...}``, a command like ``\\pi``, or one character."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        raise ParseFailure("a LaTeX command is missing its argument")
    if s[i] == "{":
        got = braced(s, i)
        if got is None:
            raise ParseFailure("unbalanced braces")
        return got
    if s[i] == "\\":
        m = re.match(r"\\[a-zA-Z]+", s[i:])
        if m:
            return m.group(0), i + m.end()
    return s[i], i + 1


def _parenthesized(s: str, start: int) -> tuple[str, int] | None:
    """The content of the ``(...)`` opening at ``s[start]`` (nesting respected) and the index after
    it, or None when it is never closed."""
    depth = 0
    for j in range(start, len(s)):
        depth += {"(": 1, ")": -1}.get(s[j], 0)
        if depth == 0:
            return s[start + 1 : j], j + 1
    return None


def _log_argument(s: str, i: int) -> tuple[str, int]:
    """The argument of ``\\log_b``: ``(...)``, ``{...}``, or a run of letters and digits."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] == "(":
        got = _parenthesized(s, i)
        if got is None:
            raise ParseFailure("unbalanced parentheses after \\log")
        return got
    if i < len(s) and s[i] in "{\\":
        return _arg(s, i)
    m = re.match(r"[\w.]+", s[i:])
    if not m:
        raise ParseFailure("\\log_b needs an argument")
    return m.group(0), i + m.end()


#: An unbraced exponent of several digits: ``2^10``, ``x^{10}``'s plain-text twin.
_EXPONENT_DIGITS = re.compile(r"\s*(\d+(?:\.\d+)?)")  # 2^10, 2^1.5


def latex_to_text(s: str, depth: int = 0) -> str:
    """Plain math text for ``s`` (LaTeX or plain), ready for the whitelist and ``parse_expr``."""
    if depth > 30:
        raise Oversized("nesting deeper than 30 levels")
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = re.match(r"\\([a-zA-Z]+|.)", s[i:])
            name = m.group(1) if m else ""
            i += m.end() if m else 1
            text, i = _command(name, s, i, depth)
            out.append(text)
        elif c == "{":
            got = braced(s, i)
            if got is None:
                raise ParseFailure("unbalanced braces")
            out.append("(" + latex_to_text(got[0], depth + 1) + ")")
            i = got[1]
        elif c == "^":
            digits = _EXPONENT_DIGITS.match(s, i + 1)
            # 2^10 is 1024 as everyone types it (LaTeX would set 2^1 0); a braced exponent is as written
            arg, i = (digits.group(1), digits.end()) if digits else _arg(s, i + 1)
            out.append("**(" + latex_to_text(arg, depth + 1) + ")")
        elif c == "_":
            arg, i = _arg(s, i + 1)
            sub = re.sub(r"\W", "", arg)
            if not sub:
                raise ParseFailure(f"cannot read subscript {arg!r}")
            out.append("_" + sub + " ")
        elif c in "[]":
            out.append("(" if c == "[" else ")")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _command(name: str, s: str, i: int, depth: int) -> tuple[str, int]:
    """Text for the LaTeX command ``\\name`` whose arguments start at ``s[i]``, and the index after them."""
    if name == "frac":
        a, i = _arg(s, i)
        b, i = _arg(s, i)
        return f"(({latex_to_text(a, depth + 1)})/({latex_to_text(b, depth + 1)}))", i
    if name == "binom":
        a, i = _arg(s, i)
        b, i = _arg(s, i)
        return f" binomial({latex_to_text(a, depth + 1)},{latex_to_text(b, depth + 1)})", i
    if name == "sqrt":
        index = None
        if i < len(s) and s[i] == "[":
            close = s.find("]", i)
            if close < 0:
                raise ParseFailure("unclosed [ in \\sqrt[n]")
            index, i = s[i + 1 : close], close + 1
        a, i = _arg(s, i)
        inner = latex_to_text(a, depth + 1)
        return (f" sqrt({inner})" if index is None else f" root({inner},{latex_to_text(index, depth + 1)})"), i
    if name == "log" and i < len(s) and s[i] == "_":
        base, i = _arg(s, i + 1)
        arg, i = _log_argument(s, i)
        return f" log({latex_to_text(arg, depth + 1)},{latex_to_text(base, depth + 1)})", i
    if name in _LATEX_FUNCS:
        return _function(_LATEX_FUNCS[name], s, i, depth)
    if name in _LATEX_SYMBOLS:
        return _LATEX_SYMBOLS[name], i
    if name in ("{", "}"):
        raise ParseFailure("set braces inside an expression")
    raise ParseFailure(f"unsupported LaTeX command \\{name}")


_ARG_END = re.compile(r"[+\-=,;<>/]|\\(?:cdot|times|div|" + "|".join(_LATEX_FUNCS) + r")(?![a-zA-Z])")


def _function(func: str, s: str, i: int, depth: int) -> tuple[str, int]:
    """``\\sin x``, ``\\sin^2 x``, ``\\sin(x)``: in LaTeX an unbracketed argument runs to the next
    operator or function (``2\\sin x\\cos x`` is ``2 sin(x) cos(x)``)."""
    power = ""
    j = i
    while j < len(s) and s[j] == " ":
        j += 1
    if j < len(s) and s[j] == "^":
        exp, j = _arg(s, j + 1)
        if exp.strip() == "-1" and func in ("sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh"):
            func = "a" + func  # \cos^{-1} is arccos, not 1/cos
        else:
            power = f"**({latex_to_text(exp, depth + 1)})"
        while j < len(s) and s[j] == " ":
            j += 1
    if j < len(s) and s[j] == "(":
        got = _parenthesized(s, j)
        if got is None:
            raise ParseFailure("unbalanced parentheses after a function")
        inner, end = got
        return f" ({func}({latex_to_text(inner, depth + 1)}){power})", end
    if j < len(s) and s[j] == "|":  # \ln|x+1| is ln(|x+1|), not ln|x| + 1|
        end = _closing_bar(s, j)
        return f" ({func}(|{latex_to_text(s[j + 1 : end], depth + 1)}|){power})", end + 1
    end = j
    braces = 0
    while end < len(s):
        if s[end] == "{":
            braces += 1
        elif s[end] == "}":
            braces -= 1
        elif braces == 0 and _ARG_END.match(s, end) and end > j:
            break
        end += 1
    arg = s[j:end].strip()
    if not arg:
        raise ParseFailure(f"{func} without an argument")
    return f" ({func}({latex_to_text(arg, depth + 1)}){power})", end


def _closing_bar(s: str, start: int) -> int:
    """The index of the ``|`` that closes the one opening at ``s[start]``: a bar after an operator,
    an opening bracket or another bar opens (``||x| - 1|``), any other closes; braces are skipped."""
    bars, braces = 0, 0
    for k in range(start, len(s)):
        c = s[k]
        braces += {"{": 1, "}": -1}.get(c, 0)
        if c != "|" or braces:
            continue
        before = s[start:k].rstrip()[-1:]
        if k == start or before in ("", "|", "(", "[", "{", "+", "-", "*", "/", "^", ",", "="):
            bars += 1
        else:
            bars -= 1
            if bars == 0:
                return k
    raise ParseFailure("unpaired | bars after a function")


# ---------------------------------------------------------------------------------------------
# Text -> sympy, guarded

def _identifiers(text: str, constants_i_e: bool) -> tuple[str, dict[str, Any]]:
    """Whitelist the identifiers of ``text``: returns the text (multi-letter products split) and its local names."""
    local: dict[str, Any] = {}

    def one(m: re.Match[str]) -> str:
        name = m.group(0)
        if name in _FUNCS:
            local[name] = _FUNCS[name]
            return name
        if name in _CONSTANTS:
            local[name] = _CONSTANTS[name]
            return name
        if name in _GREEK:
            local[name] = sympy.Symbol(name)
            return name
        if name.startswith("_") or len(name) > 12:
            raise ParseFailure(f"unreadable name {name!r}")
        head, _, sub = name.partition("_")
        if sub and len(head) == 1 and head.isalpha():
            local[name] = sympy.Symbol(name)
            return name
        if sub or not name.isalpha() or len(name) > 3:
            raise ParseFailure(f"word {name!r} is not math")
        parts = []
        for ch in name:  # "xy" is x*y; e and i are constants when opts say so
            if constants_i_e and ch in "ei":
                key = "E" if ch == "e" else "I"
                local[key] = _CONSTANTS[key]
                parts.append(key)
            else:
                local[ch] = sympy.Symbol(ch)
                parts.append(ch)
        return "*".join(parts)

    return _IDENT.sub(one, text), local


def _abs_bars(text: str) -> str:
    """``|x|`` -> ``Abs(x)`` for bars that pair up without nesting."""
    if "|" not in text:
        return text
    text = re.sub(r"\|([^|]*)\|", r" Abs(\1)", text)
    if "|" in text:
        raise ParseFailure("unpaired | bars")
    return text


def _guarded(e: Any, count: list[int]) -> sympy.Basic:
    """Rebuild an unevaluated expression bottom-up, refusing computations that blow up."""
    count[0] += 1
    if count[0] > MAX_NODES:
        raise Oversized(f"expression has more than {MAX_NODES} nodes")
    if not isinstance(e, sympy.Basic):
        raise ParseFailure(f"not an expression ({type(e).__name__})")
    if not e.args:
        if e.is_Integer and abs(int(e)) > 10**MAX_DIGITS:
            raise Oversized(f"integer with more than {MAX_DIGITS} digits")
        return e
    args = [_guarded(a, count) for a in e.args]
    if isinstance(e, sympy.Pow):
        _check_power(*args)
    elif isinstance(e, (sympy.factorial, sympy.binomial)):
        n = args[0]
        if n.is_number and n.is_real and abs(float(n)) > MAX_FACTORIAL:
            raise Oversized(f"factorial/binomial of a number above {MAX_FACTORIAL}")
    elif isinstance(e, sympy.Mul) and sum(1 for a in args if a.is_Integer) > 50:
        raise Oversized("too many factors")
    return e.func(*args)


def _tower_height(e: sympy.Basic) -> int:
    height = 0
    while isinstance(e, sympy.Pow) and height < 10:
        height, e = height + 1, e.exp
    return height


def _check_power(base: sympy.Basic, exp: sympy.Basic) -> None:
    if not (exp.is_number and exp.is_real):
        # x^(x^(x^x)) is astronomically large at the random points where it would be compared
        if 1 + _tower_height(exp) > MAX_TOWER:
            raise Oversized(f"power tower higher than {MAX_TOWER}")
        return
    try:
        e = abs(float(exp))
    except (TypeError, ValueError, OverflowError):
        raise Oversized("exponent too large") from None
    if e <= 1000:
        return
    if base.is_number:
        try:
            b = abs(complex(base))
        except (TypeError, ValueError, OverflowError):
            raise Oversized("power base too large") from None
        if b in (0.0, 1.0):
            return
    raise Oversized(f"power with exponent {e:.3g}")


#: A plain integer literal (no leading zeros, which ``parse_expr`` reads oddly: ``007`` is 0): its
#: value is ``sympy.Integer`` of it, exactly what the full parse builds, without tokenizing.
_INTEGER_LITERAL = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,%d})" % (MAX_DIGITS - 1))


def parse_expression(s: str, opts: MathOptions) -> sympy.Basic:
    """A sympy expression for one normalized answer piece, or :class:`ParseFailure` / :class:`Oversized`.
    Pieces repeat within and across answers (``1``, ``\\infty``, a shared gold), so results are
    cached per (text, ``constants_i_e``), the one option the parse reads; sympy values are immutable."""
    return _parse_cached(s, opts.constants_i_e)


@lru_cache(maxsize=4096)
def _parse_cached(s: str, constants_i_e: bool) -> sympy.Basic:
    stripped = s.strip()
    if _INTEGER_LITERAL.fullmatch(stripped):
        return sympy.Integer(stripped)
    return _parse_expression(s, constants_i_e)


#: ``\lvert``, ``\rvert``, ``\vert``: the bar ``|`` (so that ``\ln\lvert x+1 \rvert`` reads as ``\ln|x+1|``).
_BAR = re.compile(r"\\[lr]?vert(?![a-zA-Z])\s*")


def _parse_expression(s: str, constants_i_e: bool) -> sympy.Basic:
    if re.search(r"\d{%d,}" % (MAX_DIGITS + 1), s):
        raise Oversized(f"number with more than {MAX_DIGITS} digits")
    text = latex_to_text(_BAR.sub("|", s))
    text = _SCIENTIFIC.sub(r"\1*10**(\2)", text)
    text = _abs_bars(text)
    if not _SAFE_TEXT.match(text):
        bad = sorted(set(re.sub(r"[0-9A-Za-z_+\-*/().,!| ]", "", text)))[:5]
        raise ParseFailure(f"characters {''.join(bad)!r} are not math")
    if not text.strip():
        raise ParseFailure("empty expression")
    for m in _EAGER.finditer(text):
        if int(m.group(1) or m.group(2)) > MAX_FACTORIAL:
            raise Oversized(f"factorial/binomial of a number above {MAX_FACTORIAL}")
    text, local = _identifiers(text, constants_i_e)
    try:
        raw = parse_expr(text, local_dict=local, global_dict=dict(_GLOBALS), transformations=_TRANSFORMS, evaluate=False)
    except (SyntaxError, TypeError, ValueError, AttributeError, IndexError, KeyError, NameError, TokenError) as e:
        raise ParseFailure(f"cannot parse {s[:60]!r}: {type(e).__name__}") from None
    if isinstance(raw, tuple):
        raise ParseFailure("a tuple where an expression was expected")
    return _guarded(raw, [0])


try:  # tokenize errors surface under this name
    from tokenize import TokenError
except ImportError:  # pragma: no cover
    TokenError = SyntaxError  # type: ignore[misc,assignment]


# ---------------------------------------------------------------------------------------------
# Structure: sets, tuples, intervals, matrices, equations, relations, text

@dataclass(frozen=True)
class Value:
    """A parsed answer. ``kind`` is one of ``expr``, ``seq`` (with ``brackets``), ``set``, ``list``,
    ``interval``, ``matrix``, ``eq``, ``rel``, ``text``, ``approx`` (``a \\approx b`` where ``b`` rounds
    the exact ``a``: items ``(a, b)``); ``items`` holds the parts. ``decimals`` lists the decimal
    literals a matrix, tuple or interval was written with, as written (``("0.6", "2.6667")``), for
    the rounding rule of :mod:`~zeroplay.verifiers.math.equivalence`."""

    kind: str
    items: tuple[Any, ...]
    brackets: str = ""
    decimals: tuple[str, ...] = ()


_REL_OPS = [("\\leq", "<="), ("\\geq", ">="), ("\\le", "<="), ("\\ge", ">="), ("\\neq", "!="), ("\\ne", "!="),
            ("\\lt", "<"), ("\\gt", ">"), ("≤", "<="), ("≥", ">="), ("<=", "<="), (">=", ">="), ("=<", "<="),
            ("=>", ">="), ("!=", "!="), ("<", "<"), (">", ">"), ("=", "=")]
_REL_SPLIT = re.compile(r"\\leq(?![a-zA-Z])|\\geq(?![a-zA-Z])|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z])|\\neq(?![a-zA-Z])|"
                        r"\\ne(?![a-zA-Z])|\\lt(?![a-zA-Z])|\\gt(?![a-zA-Z])|≤|≥|<=|>=|"
                        r"(?<![\d)!\s])!=|(?<=\s)!=|<|>|=")  # "5!=120" is a factorial, "x != 3" is not
_MATRIX = re.compile(r"^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", re.S)
#: ``c\\begin{pmatrix}...\\end{pmatrix}`` (a scalar times a matrix), or an array in brackets
#: ``[\\begin{array}...\\end{array}]``; never a vmatrix (a determinant).
_SCALED_MATRIX = re.compile(
    r"^([^\\]*|[^\\]*\\frac\{[^{}]*\}\{[^{}]*\}[^\\]*)(\\begin\{([pbB]?matrix|array)\}.*\\end\{\3\})$", re.S)
_BRACKETED_ARRAY = re.compile(r"^[\[(]\s*(\\begin\{array\}.*\\end\{array\})\s*[\])]$", re.S)
#: ``1,22``: a decimal comma (1.22) or the list 1, 22; it is compared as text only (see equivalence).
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")
_DECIMAL = re.compile(r"(?<![\d.])\d*\.\d+(?![\d.])")
_APPROX = ("\\approx", "≈")
_PLAIN_LITERAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)$")
#: Largest degree of a one-variable inequality solved into a set (numerator and denominator).
MAX_SOLVED_DEGREE = 6
_IN_PREFIX = re.compile(r"^[A-Za-z]\s*(?:\\in|∈)\s*")
#: ``x = ...``, ``f(x) = ...``, ``f^{-1}(x) = ...``, ``f'(x) = ...``: the named side is the function or
#: variable with its decoration (``f^{-1}`` is not ``f``), so two such equations compare their names.
_SOLVED_FOR = re.compile(r"^([A-Za-z](?:\^\{?-1\}?|'{1,3})?)(?:\(\s*[A-Za-z]\s*\))?\s*=\s*(?![^=]*(?:=|<|>|\\le|\\ge))")
#: ``A \setminus B`` (also ``\backslash``): the set difference of two sets or intervals.
_SET_MINUS = ("\\setminus", "\\backslash")
_REAL_LINE = re.compile(r"^(?:\\mathbb\{R\}|ℝ|\\R)$")
#: The first side of a chain named in words (``Total cost = 4 \times 12 + 8 = 56``).
_WORDS_SIDE = re.compile(r"^[A-Za-z][A-Za-z ]*[A-Za-z]$")
_AND = ("\\text{ and }", " and ")
_LIST_SEPARATORS = (",", ";", "\\text{ and }", " and ", " or ", "\\text{ or }")
_WORDS = re.compile(r"^[A-Za-z][A-Za-z\s'\-]*$")
#: Two-letter answers read as words, not as products of two variables (``xy`` stays x*y).
_SHORT_WORDS = frozenset("no ok on up is it of or to so we us my go do if".split())


def split_top(s: str, seps: tuple[str, ...] = (",",)) -> list[str]:
    """Split ``s`` at separators outside any (), [], {} (braces of LaTeX included)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(s):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            for sep in seps:
                if s.startswith(sep, i):
                    parts.append(s[start:i])
                    i += len(sep)
                    start = i
                    break
            else:
                i += 1
                continue
            continue
        i += 1
    parts.append(s[start:])
    return [p.strip() for p in parts]


def _outer_brackets(s: str) -> tuple[str, str, str] | None:
    """(open, inner, close) when one bracket pair encloses all of ``s``."""
    if len(s) < 2:
        return None
    opens = {"(": 0, "[": 0}
    if s.startswith("\\{") and s.endswith("\\}"):
        return "{", s[2:-2], "}"
    if s[0] not in opens or s[-1] not in ")]":
        return None
    depth = 0
    for i, c in enumerate(s):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0 and i != len(s) - 1:
                return None
    return (s[0], s[1:-1], s[-1]) if depth == 0 else None


def parse_value(s: str, opts: MathOptions) -> Value:
    """The structured value of a normalized answer string. Raises :class:`Oversized`; never ParseFailure
    (what does not parse as math becomes a ``text`` value)."""
    s = s.strip()
    try:
        v = _structured(s, opts, 0)
    except ParseFailure:
        return Value("text", (text_key(s),))
    if v.kind in ("matrix", "seq", "interval") and "." in s:
        v = Value(v.kind, v.items, v.brackets, tuple(_DECIMAL.findall(s)))
    return v


#: What a text answer is compared by: words, numbers with their points and colons (``1.5`` is not
#: ``1:5`` nor ``15``), a factorial, and every other mark (signs, brackets, operators) one by one;
#: LaTeX escapes, braces, dollars, quotes and sentence punctuation do not count.
_TEXT_TOKEN = re.compile(r"\d+(?:[.:]\d+)+|\w+|(?<=\d)!|[^\w\s\\{}$'\"`.!?:;]")


def text_key(s: str) -> str:
    """Text answers compare case- and space-insensitively, and ignore LaTeX braces and backslashes,
    quotes and sentence punctuation, but never signs or brackets: ``\\vec{i}-2\\vec{j}`` is not
    ``-\\vec{i}+2\\vec{j}``, and ``a-(b-c)`` is not ``a-b-c``."""
    return " ".join(_TEXT_TOKEN.findall(s.lower()))


def _structured(s: str, opts: MathOptions, depth: int) -> Value:
    if depth > 6:
        raise Oversized("answer nested deeper than 6 levels")
    s = _IN_PREFIX.sub("", s).strip()
    if not s:
        raise ParseFailure("empty")
    if _WORDS.match(s) and any(len(w) >= 3 and w not in _FUNCS and w not in _CONSTANTS for w in re.findall(r"[A-Za-z]+", s)):
        raise ParseFailure("a word answer")
    if s.lower() in _SHORT_WORDS:  # "no" is a word, not n*o (which "on" would equal)
        raise ParseFailure("a word answer")
    if _DECIMAL_COMMA.match(s):
        raise ParseFailure("a decimal comma or a list: ambiguous")
    if "\\begin" in s:
        matrix = _matrix(s, opts)
        if matrix is not None:
            return matrix
    if any(a in s for a in _APPROX) and len(split_top(s, _LIST_SEPARATORS)) == 1:
        return _approximation(s, opts, depth)  # (x \approx 1.41 or x \approx -1.41 is a list of two)
    if _REAL_LINE.match(s):
        return Value("interval", (sympy.Interval(-sympy.oo, sympy.oo),))
    for minus in _SET_MINUS:
        if minus in s:
            parts = split_top(s, (minus,))
            if len(parts) == 2:
                left, right = (_as_set(_structured(p, opts, depth + 1)) for p in parts)
                return Value("interval", (sympy.Complement(left, right),))
    conjunction = _conjunction(s, opts, depth)
    if conjunction is not None:
        return conjunction
    for union in ("\\cup", "∪"):
        if union in s:
            parts = split_top(s, (union,))
            if len(parts) > 1:
                return Value("interval", (_as_set(Value("list", tuple(_structured(p, opts, depth + 1) for p in parts))),))
    pieces = split_top(s, _LIST_SEPARATORS)
    if len(pieces) > 1:
        return Value("list", tuple(_structured(p, opts, depth + 1) for p in pieces if p))
    if s.startswith("{") and s.endswith("}") and braced(s, 0) == (s[1:-1], len(s)) and "," in s:
        s = "\\{" + s[1:-1] + "\\}"  # {1, 3} with plain braces: the set written without escapes
    outer = _outer_brackets(s)
    if outer:
        left, inner, right = outer
        if left == "{" and not inner.strip():
            return Value("set", ())
        items = tuple(_structured(p, opts, depth + 1) for p in split_top(inner, (",", ";")))
        if left == "{":
            return Value("set", items)
        if len(items) > 1:
            return Value("seq", items, left + right)
    m = _SOLVED_FOR.match(s)
    if m:  # "x = ..." : the value side keeps its structure (x = 1 \pm \sqrt2 is a pair of values)
        rhs = _structured(s[m.end():], opts, depth + 1)
        name = m.group(1).replace("{", "").replace("}", "")
        return Value("eq", (sympy.Symbol(name), rhs.items[0])) if rhs.kind == "expr" else rhs
    if "\\pm" in s or "±" in s:  # a ± b, also inside fractions: both signs, as an unordered pair
        s = s.replace("±", "\\pm")
        plus, minus = s.replace("\\pm", "+", 1), s.replace("\\pm", "-", 1)
        return Value("list", (_structured(plus, opts, depth + 1), _structured(minus, opts, depth + 1)))
    rel = _relation(s, opts)
    if rel is not None:
        return rel
    return Value("expr", (parse_expression(s, opts),))


def _conjunction(s: str, opts: MathOptions, depth: int) -> Value | None:
    """``x > -2 \\text{ and } x < 3``: relations in one and the same variable joined by "and" are
    the intersection of their solution sets (``(-2, 3)``). None when ``s`` is not that (a list of
    solutions ``x = 1 and x = 2`` stays a list). Refused when the intersection is empty: ``x < -2
    and x > 3`` is a slip for "or" or the empty set, and neither reading may score."""
    parts = split_top(s, _AND)
    if len(parts) < 2 or not all(_REL_SPLIT.search(p) and "=" not in _REL_SPLIT.findall(p) for p in parts):
        return None
    variables = set()
    sets = []
    for p in parts:
        try:
            sides = [parse_expression(x, opts) for x in _REL_SPLIT.split(p)]
        except ParseFailure:
            return None
        variables |= set().union(*(x.free_symbols for x in sides))
        v = _structured(p, opts, depth + 1)
        if v.kind != "interval":
            return None
        sets.append(v.items[0])
    if len(variables) != 1:
        return None
    meet = sympy.Intersection(*sets)
    if meet is sympy.S.EmptySet:
        raise ParseFailure("relations joined by 'and' that no number satisfies")
    return Value("interval", (meet,))


def _matrix(s: str, opts: MathOptions) -> Value | None:
    """A matrix: ``\\begin{pmatrix}...``, ``[\\begin{array}{cc}...\\end{array}]``, or a scalar times a
    matrix (``-\\begin{pmatrix}...``, ``\\frac{1}{5}\\begin{pmatrix}...``); None when ``s`` is none of these."""
    m = _BRACKETED_ARRAY.match(s)
    if m:
        s = m.group(1)
    m = _MATRIX.match(s)
    if m:
        rows = [r for r in re.split(r"\\\\", m.group(2)) if r.strip()]
        cells = [[parse_expression(c.strip(), opts) for c in r.split("&")] for r in rows]
        if len({len(r) for r in cells}) != 1:
            raise ParseFailure("ragged matrix")
        if m.group(1) in ("vmatrix", "Vmatrix"):  # a determinant or a norm: compared as written, never the matrix
            raise ParseFailure("a determinant (or norm) is compared as written")
        return Value("matrix", (sympy.Matrix(cells),))
    m = _SCALED_MATRIX.match(s)
    if m and m.group(1).strip():
        coef_text = m.group(1).strip()
        coef = sympy.Integer(-1) if coef_text == "-" else parse_expression(coef_text, opts)
        inner = _matrix(m.group(2), opts)
        if inner is None or not coef.is_number or coef.free_symbols:
            raise ParseFailure("a matrix times something that is not a number")
        return Value("matrix", (inner.items[0].applyfunc(lambda c: coef * c),))
    return None


def _approximation(s: str, opts: MathOptions, depth: int) -> Value:
    """``a \\approx b``: the exact ``a`` is the answer when it is exact (no decimal point); the
    approximation ``b`` when ``a`` is not exact or absent (``\\approx 3.14``, ``x \\approx 11``).
    When ``b`` is ``a`` correctly rounded to the digits written, both are kept (``approx``), so a
    decimal gold may match ``b``; an inconsistent ``b`` (``\\frac13 \\approx 1.3``) never counts."""
    parts = split_top(s, _APPROX)
    first, last = parts[0], parts[-1]
    if not last:
        raise ParseFailure("nothing after \\approx")
    if not first or re.fullmatch(r"[A-Za-z]", first):
        return _structured(f"{first} = {last}" if first else last, opts, depth + 1)
    exact = _structured(first, opts, depth + 1)
    value = exact.items[1] if exact.kind == "eq" and isinstance(exact.items[0], sympy.Symbol) else exact.items[0]
    rounded = _structured(last, opts, depth + 1)
    if exact.kind not in ("expr", "eq") or not isinstance(value, sympy.Expr):
        return rounded
    literal = last.strip()
    if value.has(sympy.Float):  # a decimal a: b, unless b is no rounding of it (0.05 \approx 5 is 0.05)
        return exact if _inconsistent(value, rounded, literal, first) else rounded
    if rounded.kind == "expr" and _PLAIN_LITERAL.match(literal) and value.is_number and not value.free_symbols:
        ulp_half = sympy.Rational(1, 2) / 10 ** len(literal.partition(".")[2])
        diff = sympy.N(value - sympy.Rational(literal), 30)
        if diff.is_real and abs(diff) <= ulp_half:
            return Value("approx", (exact, rounded))
    return exact


def _inconsistent(value: sympy.Expr, rounded: Value, literal: str, first: str) -> bool:
    """Whether the plain number ``literal`` (``b`` of ``a \\approx b``, parsed as ``rounded``) differs from the
    number ``value`` (``a``) by more than half a unit in the last digit either writes."""
    plain_first = first.split("=")[-1].strip()
    if rounded.kind != "expr" or not _PLAIN_LITERAL.match(literal) or value.free_symbols or not value.is_number:
        return False
    digits = [len(literal.partition(".")[2])]
    if _PLAIN_LITERAL.match(plain_first):
        digits.append(len(plain_first.partition(".")[2]))
    diff = sympy.N(value - sympy.Rational(literal), 30)
    return bool(diff.is_real and abs(diff) > sympy.Rational(1, 2) / 10 ** min(digits))


def _relation(s: str, opts: MathOptions) -> Value | None:
    ops = _REL_SPLIT.findall(s)
    if not ops:
        return None
    parts = _REL_SPLIT.split(s)
    norm = [dict(_REL_OPS)[o] for o in ops]
    if set(norm) == {"="}:
        return _equation_chain(parts, opts)
    exprs = [parse_expression(p, opts) for p in parts]
    if "=" in norm:
        raise ParseFailure("mixed equation and inequality")
    if len(exprs) == 2:
        lhs, rhs = exprs
        op = norm[0]
        if op != "!=" and isinstance(lhs, sympy.Symbol) and rhs.is_number:
            return Value("interval", (_half_line(op, rhs),), "")
        if op != "!=" and isinstance(rhs, sympy.Symbol) and lhs.is_number:
            return Value("interval", (_half_line(_flip(op), lhs),), "")
        solved = _solution_set(lhs, op, rhs)
        if solved is not None:
            return Value("interval", (solved,), "")
        if op == "!=":
            raise ParseFailure("an inequation that is not in one variable")
        return Value("rel", (lhs, op, rhs))
    if "!=" in norm:
        raise ParseFailure("a chain with !=")
    if len(exprs) == 3 and isinstance(exprs[1], sympy.Symbol) and exprs[0].is_number and exprs[2].is_number:
        a, b = exprs[0], exprs[2]
        if norm[0] in ("<", "<=") and norm[1] in ("<", "<="):
            return Value("interval", (_interval(a, b, norm[0] == "<", norm[1] == "<"),))
        if norm[0] in (">", ">=") and norm[1] in (">", ">="):
            return Value("interval", (_interval(b, a, norm[1] == ">", norm[0] == ">"),))
    if len(exprs) == 3 and (norm[0] in "<<=") == (norm[1] in "<<="):
        left, right = _solution_set(exprs[0], norm[0], exprs[1]), _solution_set(exprs[1], norm[1], exprs[2])
        if left is not None and right is not None and (exprs[0] - exprs[2]).free_symbols == set():
            meet = sympy.Intersection(left, right)
            if meet is sympy.S.EmptySet:
                raise ParseFailure("a chain of relations that no number satisfies")
            return Value("interval", (meet,))
    raise ParseFailure("unsupported chain of relations")


def _equation_chain(parts: list[str], opts: MathOptions) -> Value:
    """``lhs = rhs``, or a chain ``x = 5 + 6 = 11`` / ``2^{10} = 1024``, read as its last value.

    A chain counts as its last value when its first side is a variable (``x = ... = 11`` is
    ``x = 11``), a computation (``\\frac{12}{16} = \\frac34``), or, in three or more parts, the
    quantity asked (``m + n = 36 + 37 = 73`` is 73); never when its first side is a bare
    number (``3 = 3`` and ``4 = 3`` are statements, not answers). Middle steps are not checked:
    the last value is the answer, as a grader reads it."""
    if not parts[0].strip() and len(parts) >= 3:  # "= 24 = 24"-style continuations of a derivation
        parts = parts[1:]
    if len(parts) >= 2 and _WORDS_SIDE.match(parts[0].strip()) and len(parts[0].strip()) > 3:
        try:
            parse_expression(parts[0], opts)
        except ParseFailure:  # "Total cost = 4 \times 12 + 8 = 56": the quantity named in words
            last = parse_expression(parts[-1], opts)
            if last.free_symbols:
                raise ParseFailure("a chain of equations ending in variables") from None
            return Value("expr", (last,))
    first = parse_expression(parts[0], opts)
    last = parse_expression(parts[-1], opts)
    if len(parts) == 2 and (first.free_symbols or last.free_symbols):
        return Value("eq", (first, last))
    if _PLAIN_LITERAL.match(parts[0].strip()):
        raise ParseFailure("a number stated equal to something")
    if isinstance(first, sympy.Symbol):
        return Value("eq", (first, last))
    if last.free_symbols:
        raise ParseFailure("a chain of equations ending in variables")
    return Value("expr", (last,))


def _solution_set(lhs: sympy.Basic, op: str, rhs: sympy.Basic) -> sympy.Set | None:
    """``{x : lhs op rhs}`` over the reals for a relation in one variable ``x`` whose sides are rational
    functions of degree at most :data:`MAX_SOLVED_DEGREE`; None otherwise."""
    diff = lhs - rhs
    free = diff.free_symbols
    if len(free) != 1 or diff.has(sympy.Float):
        return None
    (x,) = free
    num, den = sympy.fraction(sympy.together(diff))
    try:
        if not (num.is_polynomial(x) and den.is_polynomial(x)):
            return None
        if sympy.degree(num, x) > MAX_SOLVED_DEGREE or sympy.degree(den, x) > MAX_SOLVED_DEGREE:
            return None
        if op == "!=":
            return sympy.Complement(sympy.S.Reals, sympy.solveset(sympy.Eq(diff, 0), x, sympy.S.Reals))
        relation = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge}[op](diff, 0)
        return sympy.solve_univariate_inequality(relation, x, relational=False)
    except (NotImplementedError, ValueError, TypeError, sympy.PolynomialError):
        return None


def _flip(op: str) -> str:
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[op]


def _half_line(op: str, c: sympy.Basic) -> sympy.Set:
    """The set {x : x op c}."""
    return {
        "<": sympy.Interval.open(-sympy.oo, c), "<=": sympy.Interval(-sympy.oo, c),
        ">": sympy.Interval.open(c, sympy.oo), ">=": sympy.Interval(c, sympy.oo),
    }[op]


def _as_set(v: Value) -> sympy.Set:
    """An interval-like value as a sympy set (for unions and interval comparisons)."""
    if v.kind == "interval":
        return v.items[0]
    if v.kind == "seq" and len(v.items) == 2 and all(i.kind == "expr" for i in v.items):
        a, b = v.items[0].items[0], v.items[1].items[0]
        return _interval(a, b, v.brackets[0] == "(", v.brackets[1] == ")")
    if v.kind == "set" and all(i.kind == "expr" for i in v.items):
        return sympy.FiniteSet(*(i.items[0] for i in v.items))
    if v.kind == "list":
        return sympy.Union(*(_as_set(i) for i in v.items))
    raise ParseFailure(f"not an interval or set: {v.kind}")


def _interval(a: sympy.Basic, b: sympy.Basic, left_open: bool, right_open: bool) -> sympy.Set:
    """The interval from ``a`` to ``b``; :class:`ParseFailure` when it holds no number (``[1, 0]``,
    ``(2, 2)``, ``1 < x < 0``): such notation is a pair or a slip, never the empty set, and two of
    them must not compare equal (``[1, 0]`` would match every pair ``(a, b)`` with ``a >= b``)."""
    interval = sympy.Interval(a, b, left_open, right_open)
    if interval is sympy.S.EmptySet:
        raise ParseFailure("an interval that holds no number (its start is not below its end)")
    return interval


def as_set(v: Value) -> sympy.Set | None:
    """``v`` as a sympy set when it reads as one (interval, union, finite set), else None."""
    try:
        return _as_set(v)
    except (ParseFailure, TypeError, ValueError):
        return None
