"""Checkable proofs: algebraic identities and arithmetic claims, proved by a chain of equalities whose
every step a program checks. The true grade of a proof, for the ``deepseekmath_v2`` loop (a proof
generator and a proof verifier) on CPU, where no formal prover or human grader is at hand.

A *claim* is ``LHS = RHS`` (:class:`Claim`), e.g. ``(x + 2)*(x + 3) = x^2 + 5*x + 6`` or
``3*(4 + 5) - 6 = 21``. A *proof* (:data:`PROOF_FORMAT`) is one expression a line: the first line is
the left side as the claim writes it, every further line is ``= expression [justification]``, the last
one the right side as the claim writes it::

    (x + 2)*(x + 3)
    = x*(x + 3) + 2*(x + 3)   [distribute]
    = x^2 + 3*x + 2*x + 6     [distribute]
    = x^2 + 5*x + 6           [collect like terms]

:func:`grade_proof` gives its grade on DeepSeekMath-V2's scale, by these rules, in this order:

- **0** the proof cannot be read (no lines, a line that is not an expression or does not start with
  ``=``, a forbidden or oversized expression); or it does not start from the claim's left side or does
  not end at its right side *as written* (the same expression tree: spacing and redundant ``*`` aside,
  so the right side restated at the start is no proof); or a step is not an equality (its expression
  differs, as a polynomial, from the previous one): the first such step decides;
- **0.5** every step is a valid equality and the chain goes from the left side to the right, but a
  step has no justification (no non-empty ``[...]`` at its end): a skipped justification, the minor
  flaw of this family;
- **1** otherwise.

Expressions: integers (ASCII digits), one-letter variables, ``+ - * / ^`` (``**`` too), parentheses,
implicit products (``2x``, ``3(x + 1)``, ``x(x + 1)``), blanks and tabs between tokens; anything else
(other Unicode digits or spaces, homoglyphs) is unreadable. Forms a reader could take two ways are
refused, not guessed: an implicit product right after a division (``1/2x``: write ``(1/2)x`` or
``1/(2x)``) and ``0^0``. Equality is exact polynomial identity over the rationals
(:class:`Polynomial`, Fractions): division only by a non-zero constant, exponents integers
0..:data:`MAX_EXPONENT`. Lines are cut at ``\n`` only (``\r\n`` and ``\r`` count as ``\n``); a line
holding any other non-printable character (U+2028, NUL...) is unreadable.

Guarantees: parsing is our own recursive descent over a whitelist (no ``eval``, no sympy
``parse_expr``, which evaluates Python); every input is bounded (:data:`MAX_PROOF_CHARS`,
:data:`MAX_LINES`, :data:`MAX_EXPR_CHARS`, nesting :data:`MAX_DEPTH`, polynomial size
:data:`MAX_TERMS`, coefficient size :data:`MAX_COEFFICIENT_BITS` (checked on every polynomial made, so
a tower of powers stops at its first oversized step), multiplication work :data:`MAX_WORK` per
product and :data:`MAX_TOTAL_WORK` per proof), so :func:`grade_proof` never raises and
takes milliseconds on any text. Not promised: that a justification names the rule the step used (any
text in brackets counts), or anything about proofs outside this family.

:func:`random_claim` draws claims with a correct proof (four templates: a product of binomials, a
square, a difference of squares, arithmetic); :func:`flawed_proof` makes a correct proof subtly wrong
(a missing justification: 0.5; an arithmetic slip in one step: 0); :func:`labelled_proof` draws
(claim, proof, true grade) triples with the three grades equally often, for a verifier's labelled data.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

MAX_PROOF_CHARS = 8000
MAX_LINES = 40
MAX_EXPR_CHARS = 300
MAX_DEPTH = 24
MAX_EXPONENT = 12
MAX_DIGITS = 9
MAX_TERMS = 400
MAX_WORK = 20_000
"""Most term products one multiplication may compute (len(a) * len(b))."""
MAX_TOTAL_WORK = 200_000
"""Most term products one :func:`grade_proof` (or :func:`value_of`) may compute in all."""
MAX_COEFFICIENT_BITS = 1024
"""Largest numerator or denominator of a coefficient, in bits (about 308 digits); without it
``((((9^12)^12)^12)^12)^12`` (34 characters) took seconds and one power more, hours."""

#: The grades of DeepSeekMath-V2's rubric: sound and complete, a minor flaw, wrong.
GRADES = (0.0, 0.5, 1.0)

PROOF_FORMAT = ("Write the proof as a chain of equalities, one expression per line: the first line is the "
                "left side exactly as the claim writes it, every further line is '= expression [justification]', "
                "and the last line is the right side exactly as the claim writes it.")


class ProofError(ValueError):
    """A proof or expression that cannot be read (the reason is the message)."""


# -- expressions ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"[ \t]*(?:([0-9]+)|([a-z])|(\*\*|[-+*/^()]))")


def tokenize(text: str) -> list[str]:
    """The tokens of an expression; a ProofError for anything outside the whitelist."""
    if len(text) > MAX_EXPR_CHARS:
        raise ProofError(f"an expression is longer than {MAX_EXPR_CHARS} characters")
    out, pos, text = [], 0, text.rstrip(" \t")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            bad = text[pos:].lstrip(_BLANKS)[:1]
            raise ProofError(f"unexpected character {bad!r} (U+{ord(bad):04X}) in {text[:60]!r}")
        tok = m.group(1) or m.group(2) or m.group(3)
        if m.group(1) and len(tok) > MAX_DIGITS:
            raise ProofError(f"a number with more than {MAX_DIGITS} digits")
        out.append("^" if tok == "**" else tok)
        pos = m.end()
    if not out:
        raise ProofError("an empty expression")
    return out


class _Parser:
    """Recursive descent: expr := term (('+'|'-') term)*; term := unary (('*'|'/')? unary)*;
    unary := ('-'|'+') unary | power; power := atom ('^' unary)?; atom := number | letter | '(' expr ')'.
    The tree is nested tuples: ``("num", n)``, ``("var", c)``, ``(op, a, b)`` for + - * / ^, ``("neg", a)``."""

    def __init__(self, tokens: list[str]):
        self.tokens, self.i, self.depth = tokens, 0, 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ProofError("the expression ends too early")
        self.i += 1
        return tok

    def parse(self) -> tuple:
        tree = self.expr()
        if self.peek() is not None:
            raise ProofError(f"unexpected {self.peek()!r} after a complete expression")
        return tree

    def expr(self) -> tuple:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ProofError(f"parentheses nested deeper than {MAX_DEPTH}")
        tree = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            tree = (op, tree, self.term())
        self.depth -= 1
        return tree

    def term(self) -> tuple:
        tree = self.unary()
        while True:
            tok = self.peek()
            if tok in ("*", "/"):
                self.take()
                tree = (tok, tree, self.unary())
            elif tok is not None and (tok == "(" or tok.isalpha()):  # implicit product: 2x, 3(x + 1), x(x + 1)
                if tree[0] == "/":
                    raise ProofError("an implicit product right after a division reads two ways: "
                                     "write (a/b)c or a/(bc)")
                tree = ("*", tree, self.unary())
            else:
                return tree

    def unary(self) -> tuple:
        if self.peek() in ("-", "+"):
            op = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ProofError(f"signs nested deeper than {MAX_DEPTH}")
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner) if op == "-" else inner
        return self.power()

    def power(self) -> tuple:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return ("^", base, self.unary())
        return base

    def atom(self) -> tuple:
        tok = self.take()
        if tok[0] in "0123456789":
            return ("num", int(tok))
        if tok.isalpha():
            return ("var", tok)
        if tok == "(":
            tree = self.expr()
            if self.take() != ")":
                raise ProofError("a '(' is not closed")
            return tree
        raise ProofError(f"unexpected {tok!r}")


def parse_expression(text: str) -> tuple:
    """The expression tree of ``text`` (see :class:`_Parser`); a ProofError when it is not one."""
    if not isinstance(text, str):
        raise ProofError(f"an expression must be text, got {type(text).__name__}")
    return _Parser(tokenize(text)).parse()


Monomial = tuple[tuple[str, int], ...]

_budget = threading.local()


def _spend(work: int) -> None:
    """Count ``work`` term products against the current check's budget (:func:`_fresh_budget`)."""
    left = getattr(_budget, "left", MAX_TOTAL_WORK) - work
    if left < 0:
        raise ProofError("the expressions are too large to expand")
    _budget.left = left


def _fresh_budget() -> None:
    _budget.left = MAX_TOTAL_WORK


class Polynomial:
    """A polynomial with rational coefficients: {monomial: coefficient}, zero terms dropped. Exact."""

    def __init__(self, terms: dict[Monomial, Fraction] | None = None):
        self.terms = {m: c for m, c in (terms or {}).items() if c != 0}
        if len(self.terms) > MAX_TERMS:
            raise ProofError(f"an expression expands to more than {MAX_TERMS} terms")
        if any(c.numerator.bit_length() > MAX_COEFFICIENT_BITS or c.denominator.bit_length() > MAX_COEFFICIENT_BITS
               for c in self.terms.values()):
            raise ProofError(f"a number in the expression is larger than {MAX_COEFFICIENT_BITS} bits")

    @classmethod
    def constant(cls, value: int | Fraction) -> Polynomial:
        return cls({(): Fraction(value)})

    @classmethod
    def variable(cls, name: str) -> Polynomial:
        return cls({((name, 1),): Fraction(1)})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Polynomial) and self.terms == other.terms

    def __hash__(self) -> int:
        return hash(frozenset(self.terms.items()))

    def __add__(self, other: Polynomial) -> Polynomial:
        out = dict(self.terms)
        for m, c in other.terms.items():
            out[m] = out.get(m, Fraction(0)) + c
        return Polynomial(out)

    def __neg__(self) -> Polynomial:
        return Polynomial({m: -c for m, c in self.terms.items()})

    def __sub__(self, other: Polynomial) -> Polynomial:
        return self + (-other)

    def __mul__(self, other: Polynomial) -> Polynomial:
        if len(self.terms) * len(other.terms) > MAX_WORK:
            raise ProofError("an expression is too large to expand")
        _spend(len(self.terms) * len(other.terms))
        out: dict[Monomial, Fraction] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                powers = dict(m1)
                for v, e in m2:
                    powers[v] = powers.get(v, 0) + e
                m = tuple(sorted(powers.items()))
                out[m] = out.get(m, Fraction(0)) + c1 * c2
        return Polynomial(out)

    def constant_value(self) -> Fraction | None:
        """The value when the polynomial is a constant, else None."""
        if not self.terms:
            return Fraction(0)
        if set(self.terms) == {()}:
            return self.terms[()]
        return None

    def degree(self) -> int:
        return max((sum(e for _, e in m) for m in self.terms), default=0)


def to_polynomial(tree: tuple) -> Polynomial:
    """The polynomial an expression tree denotes; a ProofError for a division by a non-constant or zero,
    an exponent that is not an integer in 0..MAX_EXPONENT, ``0^0``, or a result beyond the size bounds
    (a fresh :data:`MAX_TOTAL_WORK` budget per call)."""
    _fresh_budget()
    return _to_polynomial(tree)


def _to_polynomial(tree: tuple) -> Polynomial:
    kind = tree[0]
    if kind == "num":
        return Polynomial.constant(tree[1])
    if kind == "var":
        return Polynomial.variable(tree[1])
    if kind == "neg":
        return -_to_polynomial(tree[1])
    a = _to_polynomial(tree[1])
    if kind == "^":
        e = _to_polynomial(tree[2]).constant_value()
        if e is None or e.denominator != 1 or not 0 <= e <= MAX_EXPONENT:
            raise ProofError(f"exponents must be integers from 0 to {MAX_EXPONENT}")
        if e == 0 and not a.terms:
            raise ProofError("0^0 is undefined")
        if a.degree() * int(e) > 4 * MAX_EXPONENT:
            raise ProofError("an expression's degree is too high")
        out = Polynomial.constant(1)
        for _ in range(int(e)):
            out = out * a
        return out
    b = _to_polynomial(tree[2])
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    d = b.constant_value()  # "/"
    if d is None or d == 0:
        raise ProofError("division only by a non-zero number")
    return a * Polynomial.constant(1 / d)


def value_of(text: str) -> Fraction | None:
    """The value of a constant expression (``3*(4 + 5) - 6`` is 21); None when ``text`` is not one."""
    try:
        return to_polynomial(parse_expression(text)).constant_value()
    except ProofError:
        return None


# -- claims and proofs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    lhs: str
    rhs: str
    kind: str = ""
    """The template that made it (``product``, ``square``, ``difference``, ``arithmetic``), or empty."""

    @property
    def text(self) -> str:
        return f"{self.lhs} = {self.rhs}"

    @classmethod
    def parse(cls, text: str) -> Claim:
        """A claim from ``LHS = RHS`` (one ``=``); a ProofError otherwise."""
        if not isinstance(text, str) or text.count("=") != 1:
            raise ProofError("a claim is 'LHS = RHS' with exactly one '='")
        lhs, rhs = (s.strip() for s in text.split("="))
        parse_expression(lhs), parse_expression(rhs)
        return cls(lhs, rhs)


@dataclass(frozen=True)
class Step:
    expression: str
    justification: str | None
    """The text of the step's ``[...]``; None when it has none (the first line never needs one)."""


@dataclass(frozen=True)
class ProofGrade:
    score: float
    """1.0, 0.5 or 0.0 (:data:`GRADES`)."""
    reason: str
    step: int | None = None
    """The line (1-based) that decided, when one did."""


_JUSTIFIED = re.compile(r"^(.*?)\[([^\[\]]*)\][ \t]*$", re.DOTALL)
_BLANKS = " \t"


def parse_proof(text: str) -> list[Step]:
    """The steps of a proof (see the module docstring); a ProofError when it does not follow the format."""
    if not isinstance(text, str):
        raise ProofError(f"a proof must be text, got {type(text).__name__}")
    if len(text) > MAX_PROOF_CHARS:
        raise ProofError(f"the proof is longer than {MAX_PROOF_CHARS} characters")
    lines = [ln.strip(_BLANKS) for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [ln for ln in lines if ln]
    bad = next((c for ln in lines for c in ln if c != "\t" and not c.isprintable()), None)
    if bad is not None:
        raise ProofError(f"the proof holds the non-printable character U+{ord(bad):04X}; lines end at a newline")
    if len(lines) < 2:
        raise ProofError("a proof needs the left side and at least one '= ...' line")
    if len(lines) > MAX_LINES:
        raise ProofError(f"a proof has at most {MAX_LINES} lines")
    steps = []
    for i, line in enumerate(lines):
        if i > 0:
            if not line.startswith("="):
                raise ProofError(f"line {i + 1} does not start with '='")
            line = line[1:]
        elif line.startswith("="):
            raise ProofError("the first line is the left side itself, without '='")
        m = _JUSTIFIED.match(line)
        expr, why = (m.group(1), m.group(2).strip(_BLANKS)) if m else (line, None)
        steps.append(Step(expr.strip(_BLANKS), why or None))
    return steps


def grade_proof(claim: Claim | str, proof: Any) -> ProofGrade:
    """The true grade of ``proof`` for ``claim`` (rules in the module docstring). Never raises."""
    _fresh_budget()
    try:
        claim = claim if isinstance(claim, Claim) else Claim.parse(claim)
        lhs, rhs = parse_expression(claim.lhs), parse_expression(claim.rhs)
        steps = parse_proof(proof)
    except ProofError as e:
        return ProofGrade(0.0, f"unreadable: {e}")
    trees, polys = [], []
    for i, s in enumerate(steps, 1):
        try:
            tree = parse_expression(s.expression)
            trees.append(tree)
            polys.append(_to_polynomial(tree))
        except ProofError as e:
            return ProofGrade(0.0, f"line {i} is not a valid expression: {e}", i)
    if trees[0] != lhs:
        return ProofGrade(0.0, "the proof does not start from the claim's left side as written", 1)
    for i in range(1, len(polys)):
        if polys[i] != polys[i - 1]:
            return ProofGrade(0.0, f"line {i + 1} does not equal line {i}", i + 1)
    if trees[-1] != rhs:
        return ProofGrade(0.0, "the proof does not end at the claim's right side as written", len(steps))
    for i, s in enumerate(steps[1:], 2):
        if not s.justification:
            return ProofGrade(0.5, f"line {i} has no justification", i)
    return ProofGrade(1.0, "every step is a justified equality from the left side to the right")


def render_proof(steps: Sequence[Step]) -> str:
    """The proof text of ``steps`` (the inverse of :func:`parse_proof`)."""
    lines = [steps[0].expression]
    for s in steps[1:]:
        lines.append(f"= {s.expression}" + (f"  [{s.justification}]" if s.justification else ""))
    return "\n".join(lines)


# -- claims with proofs, and flawed proofs ----------------------------------------------------------

def _signed(x: int) -> str:
    """`` + 3`` or `` - 3``."""
    return f" + {x}" if x >= 0 else f" - {-x}"


def _product(v: str, a: int, b: int) -> tuple[Claim, list[Step]]:
    lhs = f"({v}{_signed(a)})*({v}{_signed(b)})"
    mid = f"{v}^2{_signed(b)}*{v}{_signed(a)}*{v}{_signed(a * b)}"
    rhs = f"{v}^2" + (_signed(a + b) + f"*{v}" if a + b else "") + (_signed(a * b) if a * b else "")
    steps = [Step(lhs, None), Step(f"{v}*({v}{_signed(b)}){_signed(a)}*({v}{_signed(b)})", "distribute"),
             Step(mid, "distribute"), Step(rhs, "collect like terms")]
    return Claim(lhs, rhs, "product"), steps


def _square(v: str, a: int) -> tuple[Claim, list[Step]]:
    claim, steps = _product(v, a, a)
    lhs = f"({v}{_signed(a)})^2"
    return Claim(lhs, claim.rhs, "square"), [Step(lhs, None), Step(claim.lhs, "definition of a square"), *steps[1:]]


def _difference(v: str, a: int) -> tuple[Claim, list[Step]]:
    lhs, rhs = f"({v} - {a})*({v} + {a})", f"{v}^2 - {a * a}"
    steps = [Step(lhs, None), Step(f"{v}*({v} + {a}) - {a}*({v} + {a})", "distribute"),
             Step(f"{v}^2 + {a}*{v} - {a}*{v} - {a * a}", "distribute"), Step(rhs, "cancel")]
    return Claim(lhs, rhs, "difference"), steps


def _arithmetic(a: int, b: int, c: int, d: int) -> tuple[Claim, list[Step]]:
    lhs, value = f"{a}*({b} + {c}) - {d}", a * (b + c) - d
    steps = [Step(lhs, None), Step(f"{a}*{b + c} - {d}", "add"), Step(f"{a * (b + c)} - {d}", "multiply"),
             Step(str(value) if value >= 0 else f"-{-value}", "subtract")]
    return Claim(lhs, steps[-1].expression, "arithmetic"), steps


KINDS = ("product", "square", "difference", "arithmetic")


def random_claim(rng: np.random.Generator, kind: str | None = None) -> tuple[Claim, list[Step]]:
    """A claim of ``kind`` (default: drawn from :data:`KINDS`) and a correct proof of it (grade 1)."""
    kind = kind or KINDS[int(rng.integers(len(KINDS)))]
    v = "xytn"[int(rng.integers(4))]

    def small() -> int:
        return int(rng.integers(1, 10)) * (1 if rng.random() < 0.7 else -1)

    if kind == "product":
        return _product(v, small(), small())
    if kind == "square":
        return _square(v, small())
    if kind == "difference":
        return _difference(v, int(rng.integers(1, 10)))
    if kind == "arithmetic":
        return _arithmetic(*(int(x) for x in rng.integers(2, 10, size=4)))
    raise ValueError(f"unknown claim kind {kind!r}; one of {', '.join(KINDS)}")


_PRODUCT = re.compile(r"\(([a-z]) ([+-]) (\d)\)\*\(\1 ([+-]) (\d)\)")
_SQUARE = re.compile(r"\(([a-z]) ([+-]) (\d)\)\^2")
_ARITHMETIC = re.compile(r"(\d)\*\((\d) \+ (\d)\) - (\d)")


def prove(claim: Claim) -> list[Step] | None:
    """A correct proof of a claim :func:`random_claim` could have made (read back from its left side), or
    None for any other claim. For scripted provers: the proof a careful student of the templates writes."""
    def sign(s: str, n: str) -> int:
        return int(n) if s == "+" else -int(n)

    if m := _SQUARE.fullmatch(claim.lhs):
        made = _square(m.group(1), sign(m.group(2), m.group(3)))
    elif m := _PRODUCT.fullmatch(claim.lhs):
        made = _product(m.group(1), sign(m.group(2), m.group(3)), sign(m.group(4), m.group(5)))
    elif m := _ARITHMETIC.fullmatch(claim.lhs):
        made = _arithmetic(*(int(g) for g in m.groups()))
    else:
        return None
    return made[1] if made[0].rhs == claim.rhs else None


_NUMBER = re.compile(r"(?<![\^\d])\d+")


def flawed_proof(steps: Sequence[Step], flaw: str, rng: np.random.Generator) -> list[Step]:
    """A copy of a correct proof with one flaw: ``unjustified`` (one step's justification dropped:
    grade 0.5) or ``slip`` (one number of a middle step off by one: grade 0, the step no longer equal)."""
    out = list(steps)
    if flaw == "unjustified":
        i = int(rng.integers(1, len(out)))
        out[i] = Step(out[i].expression, None)
        return out
    if flaw == "slip":
        i = int(rng.integers(1, len(out) - 1))
        numbers = list(_NUMBER.finditer(out[i].expression))
        m = numbers[int(rng.integers(len(numbers)))]
        shifted = int(m.group()) + (1 if rng.random() < 0.5 or m.group() == "0" else -1)
        text = out[i].expression
        out[i] = Step(text[:m.start()] + str(shifted) + text[m.end():], out[i].justification)
        return out
    raise ValueError(f"unknown flaw {flaw!r}; 'unjustified' or 'slip'")


@dataclass(frozen=True)
class LabelledProof:
    claim: Claim
    proof: str
    grade: float
    """The checker's grade (:func:`grade_proof`), never the intended one."""


def labelled_proof(rng: np.random.Generator) -> LabelledProof:
    """A claim, a proof of it (correct, unjustified or slipped, equally often) and its true grade."""
    claim, steps = random_claim(rng)
    flaw = ("none", "unjustified", "slip")[int(rng.integers(3))]
    if flaw != "none":
        steps = flawed_proof(steps, flaw, rng)
    text = render_proof(steps)
    return LabelledProof(claim, text, grade_proof(claim, text).score)


def read_grade(text: Any) -> float | None:
    """A grade written as ``0``, ``0.5``, ``1`` (``1.0``, ``.5``, ``1/2`` too) in ASCII digits, or None for
    anything else (``1e0``, ``-0``, ``nan``, full-width or other Unicode digits)."""
    if not isinstance(text, str) or len(text) > 16:
        return None
    t = text.strip(" \t\n").rstrip(".")
    if t in ("1/2", "\\frac{1}{2}", "\\frac12"):
        return 0.5
    if not re.fullmatch(r"[0-9]*\.?[0-9]+|[0-9]+\.", t):
        return None
    x = float(t)
    return next((g for g in GRADES if g == x), None)
