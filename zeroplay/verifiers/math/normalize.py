"""String normalization of math answers (pure Python: no sympy, cheap, linear).

What it does, in order: Unicode minus signs (U+2212 and its small/full-width forms) become
``-`` and Unicode spaces (thin, narrow no-break...) a space; text escaped twice (``\\\\frac``,
with no single backslash command anywhere) is unescaped once; ``\\leqslant``, ``≠``, ``∞``,
``π``, ``×``, ``·``, ``\\langle``/``\\rangle`` get their one LaTeX/bracket spelling;
LaTeX sizing (``\\left``, ``\\bigl``...) and spacing commands go; ``\\dfrac``/``\\tfrac``
become ``\\frac``; ``\\text{}``-like wrappers are unwrapped; dollar signs go; then, as options,
degrees, percent (only a ``%`` that ends a value: ``5\\%0`` keeps its ``%`` and is not ``50``),
trailing units (not words that change the number: ``3 million`` stays) and thousands separators.
Unicode math is spelled in LaTeX (``½`` is ``\\frac{1}{2}``, ``2½`` the mixed number, ``1⁄2`` is
``1/2``, ``x²`` is ``x^{2}``, ``2√3`` is ``2\\sqrt{3}``). A ``U`` between two intervals is ``\\cup``.
``20 percent`` is ``20\\%``. A unit set in text after a value (``500 \\, \\text{nm}``, ``300
\\text{ K}``, ``16\\pi \\text{ square units}``) goes, as ``\\text{}`` marks it as no math (a bare
``300 K`` keeps its ``K``: it may be a variable). A clock time with a.m./p.m. is written on the
24-hour clock (``3:45 PM`` is ``15:45``). ``a:b`` of two integers is the ratio ``\\frac{a}{b}``,
except where ``b`` has exactly two digits (``3:45`` may be a time: it stays text).
It never changes what a correct answer means; it only removes notation that carries no value, and
it never drops a minus sign.
"""

from __future__ import annotations

import re
from fractions import Fraction

from zeroplay.verifiers.math.extract import braced
from zeroplay.verifiers.math.options import MathOptions

_SIZING = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\.?")
#: Spacing: ``\\,`` ``\\;`` ``\\:`` ``\\!`` ``\\ `` (also right before a letter: ``2\\,x``), word commands, ``~``.
_SPACES = re.compile(r"(?<!\\)(?:\\[,;:! ]|\\(?:quad|qquad|displaystyle|textstyle|limits|nolimits)(?![a-zA-Z]))|~")
_WRAPPERS = ("text", "textnormal", "textup", "textsf", "textbf", "textit", "textrm", "mathrm", "mathbf", "mathit",
             "mbox", "boxed", "operatorname", "mathsf")
_WRAPPER = re.compile(r"\\(" + "|".join(_WRAPPERS) + r")\s*(?=\{)")
#: A degree sign; a bare ``\\circ`` only after a number (``g \\circ f`` is a composition).
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree(?![a-zA-Z])|(?<=\d)\s*\\circ(?![a-zA-Z])")
#: A percent sign that ends a value (end of answer, or before a separator or closing bracket).
_PERCENT = re.compile(r"\\?%(?=\s*(?:$|[,;)\]}]|\\[}\]]))")
#: Minus signs other than ASCII ``-``: MINUS SIGN, SMALL HYPHEN-MINUS, FULLWIDTH HYPHEN-MINUS.
_MINUS = str.maketrans({"\u2212": "-", "\ufe63": "-", "\uff0d": "-"})
#: Unicode spaces (THIN SPACE, NARROW NO-BREAK SPACE, NO-BREAK SPACE, HAIR SPACE...) read as a space.
_UNICODE_SPACES = str.maketrans({c: " " for c in "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                                                 "\u2008\u2009\u200a\u202f\u205f\u3000"})
#: Relation and bracket spellings with one reading each: ``\\leqslant`` is ``\\leq``, ``≠`` is ``\\neq``,
#: ``\\langle 1, 2\\rangle`` is the vector ``(1, 2)``.
_SPELLINGS = re.compile(r"\\(leqslant|geqslant|leqq|geqq|langle|rangle)(?![a-zA-Z])|(≠|∞|π|×|·|÷)")
_SPELLED = {"leqslant": "\\leq ", "geqslant": "\\geq ", "leqq": "\\leq ", "geqq": "\\geq ", "langle": "(",
            "rangle": ")", "≠": "\\neq ", "∞": "\\infty ", "π": "\\pi ", "×": "\\times ", "·": "\\cdot ",
            "÷": "\\div "}
#: Text escaped once more (JSON-style ``\\\\frac``): a doubled backslash before a command, and no single one.
_DOUBLED_COMMAND = re.compile(r"(?<!\\)\\\\(?:frac|dfrac|tfrac|sqrt|left|right|begin|end|boxed|pi|infty|cdot|"
                              r"times|text|mathrm|pm|le|ge|leq|geq|neq|approx|circ|log|ln|sin|cos|tan|cup|in|\{|\})"
                              r"(?![a-zA-Z])")
_SINGLE_COMMAND = re.compile(r"(?<!\\)\\[a-zA-Z{}]")
_TRIG = re.compile(r"\\(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])")
_ANGLE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree(?![a-zA-Z]))")
_REPEATING = re.compile(r"^([+-]?)(\d*)\.(\d*)(?:\\overline\{(\d{1,50})\}|\((\d{1,50})\))$")  # 0.1\overline{6}, 0.1(6)
_EMPTY_SET = re.compile(r"\\emptyset|\\varnothing|∅|\\\{\s*\\\}")
_REALS = re.compile(r"^(?:\\mathbb\{R\}|ℝ|all real numbers|\(-\\infty,\s*\+?\\infty\))$", re.I)
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_MIXED = re.compile(r"^([+-]?)(\d+)\s*\\frac(?:\{(\d+)\}|(\d))(?:\{(\d+)\}|(\d))$")  # 3\frac{1}{2}, 3\frac12
#: A mixed number in plain text: ``2 1/2`` is 5/2 (never 21/2).
_MIXED_PLAIN = re.compile(r"^([+-]?)(\d+)\s+(\d+)\s*/\s*(\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
#: Digits in groups of three set apart by (thin) spaces: ``1 000 000``.
_SPACED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?$")
_UNITS = frozenset(
    """units unit sq square cubic cm mm m km in inch inches ft feet foot yd yard yards mi mile miles meter meters
    metre metres centimeter centimeters kilometer kilometers millimeter millimeters degrees degree deg radians
    dollars dollar cents cent seconds second sec secs minutes minute min mins hours hour hr hrs days day weeks week
    months month years year kg g grams gram kilograms lb lbs pounds pound oz ounces liters litres liter litre ml mph
    people students persons ways times points cups miles/hour km/h m/s""".split()
)
_LAST_WORD = re.compile(r"\s*([A-Za-z/]+)(?:\^\{?[23]\}?)?$")
_NUMBER_THEN_WORDS = re.compile(r"^([+-]?\d[\d,]*(?:\.\d+)?)\s+[a-z]{3,}(?:\s+[a-z]{2,}){0,2}$")
#: A number and a note in parentheses: ``10 (songs)``, ``63 (cookies)``.
_NUMBER_THEN_NOTE = re.compile(r"^([+-]?\d[\d,]*(?:\.\d+)?)\s*\(\s*[a-z]{3,}(?:\s+[a-z]{2,}){0,2}\s*\)$")
#: A ``\text{...}`` (or a like wrapper) that ends the text before a trailing ``\text{}`` unit.
_ENDS_IN_TEXT = re.compile(r"\\(?:text\w*|mbox|mathrm|operatorname)\s*\{[^{}]*\}$")
#: Words that change the number before them (``3 million``, ``5 minus two``): never dropped as units.
_VALUE_WORDS = frozenset(
    """plus minus times over and or divided multiplied less more than hundred thousand million billion trillion
    dozen percent squared cubed half halves third quarter fourth fifth sixth seventh eighth ninth tenth hundredth
    thousandth point not factorial power root double triple twice inverse reciprocal negative eleventh twelfth
    thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth quadrillion quintillion
    pair score gross millionth billionth doubled tripled halved fold lakh crore googol""".split()
    + list(_NUMBER_WORDS))


def changes_value(word: str) -> bool:
    """``word`` (lower case) changes the number before it, in the singular or plural (``3 fourths``,
    ``5 hundreds``, ``5 factorial``): it is never dropped as a unit."""
    return word in _VALUE_WORDS or (word.endswith("s") and word[:-1] in _VALUE_WORDS)

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?$")
_RATIO = re.compile(r"^([+-]?)(\d{1,400})/(\d{1,400})$")
_FRAC = re.compile(r"^([+-]?)\\frac(?:\{([+-]?\d{1,400})\}|(\d))(?:\{(\d{1,400})\}|(\d))$")
_CHOICE = re.compile(r"^\(?([A-E])\)?$")
_CHOICE_ANSWER = re.compile(r"^\(?([A-E])\)?(?:[\s:.)]|$)")
#: Another choice after the first: ``B``, ``(B)`` or ``(b)`` (a bare lower-case letter is a word: ``a``).
_OTHER_CHOICE = re.compile(r"(?<![A-Za-z])(?:\(?[A-E]\)?|\([a-e]\))(?![A-Za-z])")
_VAR_EQ = re.compile(r"^[A-Za-z]\s*=\s*(?!.*=)")


def unwrap(s: str, pattern: re.Pattern[str]) -> str:
    """Replace every ``\\cmd{content}`` matched by ``pattern`` with ``content`` (nesting respected)."""
    for _ in range(20):  # bounded: each pass removes at least one wrapper
        m = pattern.search(s)
        if m is None:
            return s
        got = braced(s, m.end())
        if got is None:
            return s[: m.start()] + s[m.end() :]
        inner, end = got
        s = s[: m.start()] + inner + s[end:]
    return s


#: Unicode vulgar fractions and the LaTeX they stand for.
_VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5), "⅗": (3, 5),
           "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅐": (1, 7), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
           "⅑": (1, 9), "⅒": (1, 10)}
_VULGAR_RE = re.compile(r"(\d?)([" + "".join(_VULGAR) + "])")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_ROOT_SIGNS = {"√": "\\sqrt", "∛": "\\sqrt[3]", "∜": "\\sqrt[4]"}
#: The argument of a root sign: a number, one letter, or one LaTeX command (``√\\pi``).
_ROOT_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?|[A-Za-z](?![A-Za-z])|\\[A-Za-z]+)")
_LETTER_UNION = re.compile(r"(?<=[)\]])\s*U\s*(?=[(\[])")
_PERCENT_WORD = re.compile(r"(?<=\d)\s*(?:percent|per\s?cent)$", re.I)
#: A trailing unit set in text: ``\\text{ nm}``, ``\\text{ square units}``, ``\\mbox{cm}^2``.
_TEXT_UNIT = re.compile(r"\\(?:text|textnormal|textrm|textup|mbox)\s*\{\s*([A-Za-z]+(?:[ /][A-Za-z]+){0,2})\s*\}"
                        r"(?:\^\{?[23]\}?)?\s*\.?$")
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)\s*([AaPp])\.?\s*[Mm]\.?$")
_COLON_RATIO = re.compile(r"^(\d{1,50})\s*:\s*(\d{1,50})$")


def unicode_math(s: str) -> str:
    """Unicode fractions, superscripts and root signs in LaTeX (see the module docstring)."""
    if s.isascii():
        return s
    s = _VULGAR_RE.sub(_vulgar, s)
    s = s.replace("\u2044", "/")  # FRACTION SLASH
    s = _SUPERSCRIPT_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", s)
    for sign, command in _ROOT_SIGNS.items():
        while sign in s:
            at = s.index(sign)
            rest = s[at + 1:].lstrip()
            if rest.startswith(("{", "(")):
                close = _matching(rest, 0)
                if close is None:
                    return s
                arg, after = rest[1:close] if rest[0] == "{" else rest[: close + 1], rest[close + 1:]
            else:
                m = _ROOT_TOKEN.match(rest)
                if m is None:
                    return s
                arg, after = m.group(1), rest[m.end():]
            s = s[:at] + command + "{" + arg + "}" + after
    return s


def _vulgar(m: re.Match[str]) -> str:
    """``½`` -> ``\\frac{1}{2}``; after a digit a mixed number: ``2½`` -> ``(2+\\frac{1}{2})``."""
    frac = "\\frac{%d}{%d}" % _VULGAR[m.group(2)]
    return f"({m.group(1)}+{frac})" if m.group(1) else frac


def _matching(s: str, start: int) -> int | None:
    """Index of the bracket closing the ``(`` or ``{`` at ``s[start]``, or None."""
    pair = {"(": ")", "{": "}"}[s[start]]
    depth = 0
    for i in range(start, len(s)):
        if s[i] == s[start]:
            depth += 1
        elif s[i] == pair:
            depth -= 1
            if depth == 0:
                return i
    return None


def strip_text_unit(s: str) -> str:
    """``500 \\text{ nm}`` -> ``500``: a trailing ``\\text{}`` of unit-like words after a value (a digit,
    closing bracket or ``\\pi``), unless a word changes the value (``\\text{ million}``)."""
    m = _TEXT_UNIT.search(s)
    if m is None:
        return s
    words = m.group(1).lower().replace("/", " ").split()
    if any(changes_value(w) or w in ("e", "i") for w in words):
        return s
    rest = s[: m.start()].rstrip()
    if _ENDS_IN_TEXT.search(rest):  # \text{yes}\text{ maybe no}: words after words are no unit
        return s
    return rest if rest and (rest[-1] in "0123456789})]" or rest.endswith("\\pi")) else s


def _degrees_of_radians(s: str) -> bool:
    """A degree sign on something that is not a plain number, in an answer that names pi
    (``\\frac{\\pi}{6}^\\circ``): an angle in radians marked as degrees, which no sign-stripping may turn
    into the radians. ``180^\\circ \\cdot \\frac{\\pi}{180}`` marks a number: its sign goes as usual."""
    return "\\pi" in s and any(not re.search(r"\d\s*$", s[: m.start()]) for m in _DEGREES.finditer(s))


def clock_or_ratio(s: str) -> str:
    """``3:45 p.m.`` -> ``15:45`` (24-hour clock); ``3:2`` -> ``\\frac{3}{2}``; a colon pair whose
    right side has exactly two digits (``3:45``, a time or a ratio) stays as it is."""
    m = _CLOCK.match(s)
    if m:
        hour, minute, half = int(m.group(1)), m.group(2), m.group(3).lower()
        if 1 <= hour <= 12:
            return f"{hour % 12 + (12 if half == 'p' else 0)}:{minute}"
        return s
    m = _COLON_RATIO.match(s)
    if m and len(m.group(2)) != 2 and int(m.group(2)) != 0:
        return f"\\frac{{{m.group(1)}}}{{{m.group(2)}}}"
    return s


def strip_units(s: str) -> str:
    """Drop trailing unit words after a number or closing bracket (``12 square feet`` -> ``12``), and
    lower-case nouns after a plain number (``42 apples`` -> ``42``)."""
    m = _NUMBER_THEN_WORDS.match(s) or _NUMBER_THEN_NOTE.match(s)
    if m and not any(w == "pi" or changes_value(w) for w in re.findall(r"[a-z]+", s)):
        return m.group(1)
    rest = s
    for _ in range(3):
        m = _LAST_WORD.search(rest)
        if not m or m.group(1).lower() not in _UNITS or not rest[: m.start()].strip():
            break
        rest = rest[: m.start()].rstrip()
    return rest if rest != s and rest[-1] in "0123456789})]" else s


def normalize(s: str, opts: MathOptions) -> str:
    """The normalized answer string (see the module docstring). Never raises on str input."""
    s = unicode_math(str(s).translate(_MINUS).translate(_UNICODE_SPACES).strip())
    if "\\\\" in s and _DOUBLED_COMMAND.search(s) and not _SINGLE_COMMAND.search(s):
        s = re.sub(r"\\{2,}", lambda m: "\\" * (len(m.group(0)) // 2), s)  # \\\\frac -> \\frac, \\\\\\\\ -> \\\\
    s = _SPELLINGS.sub(lambda m: _SPELLED[m.group(1) or m.group(2)], s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = _SIZING.sub("", s)
    s = re.sub(r"(\d)(?:\\,|\{,\}|\\ )(?=\d{3}(?!\d))", r"\1,", s)  # 1\,000 and 1{,}000 are separators
    s = _SPACES.sub(" ", s)
    if opts.strip_units:
        s = strip_text_unit(s)
    s = unwrap(s, _WRAPPER)
    s = _LETTER_UNION.sub(" \\\\cup ", s)
    s = s.replace("\\$", "").replace("$", "")
    if opts.strip_degrees and not _degrees_of_radians(s):
        trig = bool(_TRIG.search(s))
        # inside trig functions degrees are an angle unit that changes the value; elsewhere just a sign
        if trig:
            s = _ANGLE.sub(lambda m: "{\\frac{" + m.group(1) + "\\pi}{180}}", s)
        s = _DEGREES.sub("", s)
    if opts.strip_percent:
        s = _PERCENT.sub("", s)
    s = " ".join(s.split())
    if s.endswith("."):
        s = s[:-1].rstrip()
    if opts.strip_percent:
        s = _PERCENT_WORD.sub("", s)  # "20 percent" is "20%"
    s = clock_or_ratio(s)
    if opts.strip_units:
        s = strip_units(s)
    if opts.thousands_separators and (_THOUSANDS.match(s) or _SPACED_THOUSANDS.match(s)):
        s = s.replace(",", "").replace(" ", "")
    s = _EMPTY_SET.sub("\\\\{\\\\}", s)
    if _REALS.match(s):
        s = "(-\\infty,\\infty)"
    s = _NUMBER_WORDS.get(s.lower(), s)
    m = _REPEATING.match(s)
    if m:  # 0.1\overline{6} = 0.1(6) = 1/6
        sign, whole, fixed, over, paren = m.groups()
        s = _repeating_fraction(sign, whole, fixed, over or paren)
    m = _MIXED.match(s) or _MIXED_PLAIN.match(s)
    if m:
        sign, whole = m.group(1), int(m.group(2))
        num, den = (int(g) for g in [g for g in m.groups()[2:] if g is not None])
        if 0 < num < den:  # 3\frac{1}{2} and 3 1/2 are the mixed number 7/2
            s = f"{sign}\\frac{{{whole * den + num}}}{{{den}}}"
    return s


def _repeating_fraction(sign: str, whole: str, fixed: str, period: str) -> str:
    """``whole.fixed(period repeating)`` as an exact ``\\frac{p}{q}``."""
    value = Fraction(int(whole or "0")) + Fraction(int(fixed or "0"), 10 ** len(fixed))
    value += Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
    value = -value if sign == "-" else value
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def compact(s: str) -> str:
    """``s`` without spaces, but for one between two digits (``2 3`` is not ``23``): the key of the
    exact-string fast path."""
    return "".join(_DIGIT_GAP.sub("\x00", s).split()).replace("\x00", " ")


_DIGIT_GAP = re.compile(r"(?<=\d)\s+(?=\d)")


def plain_number(s: str) -> tuple[Fraction, bool] | None:
    """``(value, is_decimal)`` when ``s`` is a plain number (``12``, ``-0.5``, ``1e-3``, ``3/4``,
    ``\\frac{3}{4}``, ``\\frac34``), else None. Exact: no floats involved."""
    s = s.strip()
    if re.search(r"\s", s) and not s.startswith("\\frac"):  # 2e - 1 is Euler's e, not 0.2; 2 1/2 not 21/2
        s = re.sub(r"\s*/\s*", "/", s)
        if re.search(r"\s", s):
            return None
    s = compact(s)
    if _NUMBER.match(s):
        return Fraction(s), ("." in s or "e" in s.lower())
    m = _RATIO.match(s)
    if m and int(m.group(3)) != 0:
        value = Fraction(int(m.group(2)), int(m.group(3)))
        return (-value if m.group(1) == "-" else value), False
    m = _FRAC.match(s)
    if m:
        num, den = int(m.group(2) or m.group(3)), int(m.group(4) or m.group(5))
        if den != 0:
            value = Fraction(num, den)
            return (-value if m.group(1) == "-" else value), False
    return None


def choice_letter(s: str, *, gold: bool) -> str | None:
    """The multiple-choice letter of ``s``: a gold must be just ``B`` or ``(B)``; an answer may go on
    (``(B) 12``), but not name another choice (``B or C``, ``B and C``: a hedge is no answer)."""
    s = s.strip()
    m = (_CHOICE if gold else _CHOICE_ANSWER).match(s)
    if m is None or (not gold and _OTHER_CHOICE.search(s, m.end())):
        return None
    return m.group(1)


def drop_variable(s: str) -> str:
    """``x = 5`` -> ``5`` (one letter, one ``=``); anything else unchanged."""
    m = _VAR_EQ.match(s)
    return s[m.end() :] if m else s
