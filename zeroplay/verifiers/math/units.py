"""Physical units after an answer's value: ``5 \\text{ cm}``, ``12 square feet``, ``3 km/h``, ``9.8 m/s^2``.

Normalization drops a trailing unit (golds often leave it out: ``5`` is right for ``5 \\text{ m}``), which
alone would pay ``5 cm`` for the gold ``5 m``. So the verifier asks :func:`unit_check` first:

- both sides end in a unit this module knows: the same unit (in any spelling: ``m``, ``meters``,
  ``metre``) compares the values as usual; a unit of the same kind converts the answer to the gold's
  unit (``500 cm`` is ``5 m``, ``2 hours`` is ``120 minutes``, ``212^\\circ F`` is ``100^\\circ C``);
  another kind, or one with no fixed ratio (months and days), is wrong. A unit may be a product with
  negative powers (``9.8 m s^{-2}`` is ``9.8 m/s^2``), and an amount may be written in parts, largest unit
  first (``2 hours 30 minutes`` is ``2.5`` hours, ``150 minutes``);
- an angle in degrees against one in radians (``rad``, or a value that names ``\\pi`` with no unit), either
  way: the answer's value is taken to the gold's unit through pi/180 (``\\frac{\\pi}{4}`` is ``45^\\circ``);
- the gold is in a known unit and the answer ends in a word that is not that unit (``5 dm``, ``5 Mm``,
  ``5 apples``), or names a unit elsewhere (``5 m cm``, ``5 meters long``): wrong, a hedge or an unknown
  unit is not the gold's;
- the answer is in a known unit and the gold ends in some other word (``5 furlongs``, ``2m`` with ``m`` a
  variable): wrong, unless the word is ``units``;
- only one side has a unit and the other a bare value: the values are compared (``20`` for ``20^\\circ C``);
  a percentage against a unit, either way, is wrong;
- neither side's unit is known but both are a number, a space and a word, and one of the words looks like
  a symbol (three letters or fewer, or a capital: ``N``, ``kJ``, ``atm``): the words must be the same
  (``5 N`` is not ``5 J``); nouns (``students``, ``people``) and algebra (``3x^2y``) are compared as usual;
- an answer with a unit that names another unit in its value (``0.05 m \\approx 5 m``, ``500 cm = 5 m``)
  is wrong: one quantity, one unit.

The verifier also reads a unit written right after the answer's box (``\\boxed{5}\\text{ cm}``,
``$\\boxed{5}$ grams.``: :func:`unit_after`). Left to context, and read one fixed way: ``C`` is Celsius
(not coulombs), ``K`` after a number in a gold is kelvin (not thousand), ``pounds`` are mass, ``oz`` are
mass ounces, ``g`` is grams, and a one-letter gold unit after a plain number (``2 h``) is a unit.

Abbreviations of up to three letters are read in lower case only (``Mm`` is no millimetre), except
``L``, ``mL``, ``K``, ``C``, ``F``; a one-letter unit needs a space or a text wrapper before it (``2m`` may
be a variable). A gold is read more strictly, as datasets write variables there (``2\\pi h``, ``2mg``): its
unit must stand apart from the value, and a one-letter one must be set in text or follow a plain number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from zeroplay.verifiers.math.normalize import _WRAPPERS as _NORMALIZE_WRAPPERS

#: Base dimensions: length, mass, time, money, calendar time (months: no fixed number of days), temperature,
#: electric current, amount of substance. Each unit is (dimension exponents, size in base units).
_L, _M, _T, _D, _CAL, _TEMP, _I, _N = (tuple(int(i == k) for i in range(8)) for k in range(8))


def _dims(**powers: int) -> tuple[int, ...]:
    """Dimension exponents from base names: ``_dims(L=2, M=1, T=-2)`` is the joule's."""
    order = ("L", "M", "T", "D", "CAL", "TEMP", "I", "N")
    return tuple(powers.get(k, 0) for k in order)


_INCH = Fraction(254, 10000)
_POUND = Fraction(45359237, 10**8)
_GALLON = Fraction(3785411784, 10**12)  # US gallon, in cubic metres
#: Unit symbols that take SI prefixes (``km``, ``ms``, ``kN``, ``MHz``, ``mmol``), with their size in base units.
_SI: dict[str, tuple[tuple[int, ...], Fraction]] = {
    "m": (_L, Fraction(1)), "g": (_M, Fraction(1, 1000)), "s": (_T, Fraction(1)),
    "l": (_dims(L=3), Fraction(1, 1000)), "L": (_dims(L=3), Fraction(1, 1000)),
    "N": (_dims(L=1, M=1, T=-2), Fraction(1)), "J": (_dims(L=2, M=1, T=-2), Fraction(1)),
    "W": (_dims(L=2, M=1, T=-3), Fraction(1)), "Pa": (_dims(L=-1, M=1, T=-2), Fraction(1)),
    "A": (_I, Fraction(1)), "V": (_dims(L=2, M=1, T=-3, I=-1), Fraction(1)), "Hz": (_dims(T=-1), Fraction(1)),
    "mol": (_N, Fraction(1)), "cal": (_dims(L=2, M=1, T=-2), Fraction(4184, 1000)),
}
_PREFIXES = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "µ": Fraction(1, 10**6), "μ": Fraction(1, 10**6),
             "m": Fraction(1, 1000), "c": Fraction(1, 100), "d": Fraction(1, 10), "k": Fraction(1000),
             "M": Fraction(10**6), "G": Fraction(10**9)}
_BASE: dict[str, tuple[tuple[int, ...], Fraction]] = {
    "in": (_L, _INCH), "ft": (_L, 12 * _INCH), "yd": (_L, 36 * _INCH), "mi": (_L, 63360 * _INCH),
    "nmi": (_L, Fraction(1852)), "lb": (_M, _POUND), "oz": (_M, _POUND / 16), "tonne": (_M, Fraction(1000)),
    "min": (_T, Fraction(60)), "h": (_T, Fraction(3600)), "day": (_T, Fraction(86400)),
    "week": (_T, Fraction(7 * 86400)),
    "dollar": (_D, Fraction(1)), "cent": (_D, Fraction(1, 100)),
    "gallon": (_dims(L=3), _GALLON), "quart": (_dims(L=3), _GALLON / 4), "pint": (_dims(L=3), _GALLON / 8),
    "cc": (_dims(L=3), Fraction(1, 10**6)), "acre": (_dims(L=2), Fraction(40468564224, 10**7)),
    "ha": (_dims(L=2), Fraction(10**4)), "atm": (_dims(L=-1, M=1, T=-2), Fraction(101325)),
    "bar": (_dims(L=-1, M=1, T=-2), Fraction(10**5)),
    "month": (_CAL, Fraction(1)), "year": (_CAL, Fraction(12)), "decade": (_CAL, Fraction(120)),
    "century": (_CAL, Fraction(1200)),
    "kelvin": (_TEMP, Fraction(1)), "celsius": (_TEMP, Fraction(1)), "fahrenheit": (_TEMP, Fraction(5, 9)),
}
#: Temperatures by their letters; they are affine: kelvin = (value + offset) * size.
_TEMPERATURES = {"K": "kelvin", "C": "celsius", "F": "fahrenheit"}
_OFFSET = {"celsius": Fraction(27315, 100), "fahrenheit": Fraction(45967, 100)}
#: Units of a kind of their own: the same unit matches, any other is a different quantity (an angle in
#: degrees is not one in radians by a rational factor: unit_check converts those two; a ton is short, long or
#: metric).
_OWN_KIND = ("degree", "radian", "ton", "knot")
#: Unit abbreviations of three letters or fewer are read as written (``kN``, ``MHz``, ``mL``), or else in
#: lower case (``Kg``, ``KM``, ``Hrs``, ``USD``), but not where a capital is a prefix or names another unit
#: before one of these (``Mm`` is a megametre, ``NM`` a nautical mile: neither is read).
_PREFIXED = ("m", "g", "s", "l", "n", "j", "w", "a", "v", "hz", "pa", "mol", "mi")
_SPELLINGS: dict[str, str] = {
    "millimeter": "mm", "millimetre": "mm", "centimeter": "cm", "centimetre": "cm", "meter": "m", "metre": "m",
    "kilometer": "km", "kilometre": "km", "nanometer": "nm", "nanometre": "nm", "decimeter": "dm",
    "decimetre": "dm", "micrometer": "um", "micrometre": "um", "micron": "um", "inch": "in", "inche": "in",
    "foot": "ft", "feet": "ft", "yard": "yd", "mile": "mi", "milligram": "mg", "gram": "g", "kilogram": "kg",
    "pound": "lb", "lbs": "lb", "ounce": "oz", "sec": "s", "second": "s", "millisecond": "ms",
    "microsecond": "us", "nanosecond": "ns", "minute": "min", "hr": "h", "hour": "h", "dollar": "dollar",
    "cent": "cent", "usd": "dollar", "buck": "dollar", "penny": "cent", "pennie": "cent", "liter": "l",
    "litre": "l", "milliliter": "ml", "millilitre": "ml", "ltr": "l", "mins": "min", "secs": "s", "hrs": "h",
    "yr": "year", "yrs": "year", "wk": "week", "wks": "week", "d": "day", "deg": "degree", "rad": "radian",
    "mph": "mi/h", "kph": "km/h", "kmh": "km/h", "kmph": "km/h", "newton": "N", "joule": "J", "watt": "W",
    "volt": "V", "ampere": "A", "amp": "A", "hertz": "Hz", "mole": "mol", "pascal": "Pa", "calorie": "cal",
    "kilocalorie": "kcal", "kilonewton": "kN", "kilojoule": "kJ", "kilowatt": "kW", "kilopascal": "kPa",
    "t": "tonne", "centurie": "century", "hectare": "ha",
}
_POWER = r"(?:\s*\^\s*\{?\s*([23])\s*\}?)?"  # ^2, ^{3}: captured
_POWER_23 = _POWER.replace("([23])", "[23]")  # the same, not captured
_CIRC = r"\^\s*\{?\s*\\circ\s*\}?"  # a degree sign in LaTeX: ^\circ, ^{\circ}
_ANY_POWER = r"(?:\s*\^\s*\{?\s*-?\d\s*\}?)?"  # ^2, ^{-1}: not captured
_SHAPE = r"(?:(square|sq\.?|cubic)\s+)?"
_VALUE_CHAR = r"(?:[\d)\]}]|\\pi)"  # what a value ends in: a digit, a closing bracket, pi
_NUM = r"[+-]?\d[\d,]*(?:\.\d+)?"  # a plain number
#: A value, then its unit: a unit word with an optional ``square``/``sq``/``cubic`` and power, and
#: optionally ``/`` or ``per`` another (the power binds to the word before it: ``m/s^2``), then nothing
#: but a full stop.
_TRAILING = re.compile(_VALUE_CHAR + r"(\s*)" + _SHAPE + r"([A-Za-zµμ]+)" + _POWER
                       + r"(?:\s*(?:/|\bper\b)\s*" + _SHAPE + r"([A-Za-zµμ]+)" + _POWER + r")?\s*\.?$")
#: A word not part of a command (``\\min``).
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+")
#: The last word of a text, with a power (``m^2``), after a space.
_LAST_UNIT_WORD = re.compile(r"\s([A-Za-z]+)" + _POWER_23 + r"\s*$")
_PLAIN_VALUE = re.compile(f"^{_NUM}$")
_VALUE_END = re.compile(_VALUE_CHAR + r"\s*$")
#: A word right after a value (``m`` of ``0.05 m``): a unit there is a second unit in an answer.
_AFTER_VALUE = re.compile(_VALUE_CHAR + r"\s*([A-Za-zµμ]+)(?![A-Za-z])")
#: A plain number, a space, and one word (with a power): ``5 N``, ``100 kJ``, ``3 m^{-1}``.
_NUMBER_WORD = re.compile(f"^{_NUM}" + r"\s+([A-Za-zµμ]+" + _ANY_POWER + ")$")
_PERCENT_END = re.compile(r"\\?%\s*$")
#: One amount of a quantity written in parts (``2 hours`` of ``2 hours 30 minutes``), with what joins it to the next.
_PIECE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*(?:and\s+)?")  # no comma: 5 m, 3 cm is a list
_SIGNED_POWER = r"(?:\s*\^\s*\{?\s*(-?\d)\s*\}?)?"
#: A unit word with a power that may be negative (``s^{-2}``).
_FACTOR = re.compile(r"([A-Za-zµμ]+)" + _SIGNED_POWER)
#: Two to four such words after a value and a space, apart or joined by ``\cdot``: a product of units.
_PRODUCT = re.compile(r"(?<=[\d)\]}])\s+((?:[A-Za-zµμ]+" + _SIGNED_POWER.replace("(-?", "(?:-?")
                      + r"(?:\s*\\cdot\s*|\s+)){1,3}[A-Za-zµμ]+" + _SIGNED_POWER.replace("(-?", "(?:-?") + r")\s*$")
#: Generic units at the end of a text: ``units``, ``square units``, ``units^2``.
_GENERIC_END = re.compile(r"\s" + _SHAPE + "units?" + _POWER + r"\s*$")
#: A word (not a command) that ends a text after a value or bracket, maybe glued to it (``5m``, ``5 dm^2``).
_DANGLING = re.compile(r"(?<![\\A-Za-z])([A-Za-z]+)" + _ANY_POWER + r"\s*\.?$")
#: Text and font wrappers: normalization's (a box aside) and a few more.
_WRAPPERS = tuple(w for w in _NORMALIZE_WRAPPERS if w != "boxed") + ("texttt", "mathtt", "mathnormal", "boldsymbol")
_WRAPPED = re.compile(r"\\(?:" + "|".join(_WRAPPERS) + r")\s*\{([^{}]*)\}")
#: What may follow an answer's box as its unit: spacing, a closing ``$``, then one unit (a word, a
#: wrapped word, a degree or percent sign, with a power or ``/`` another), then the end of a sentence.
_UNIT_AFTER = re.compile(
    r"\s*\$*\s*(?:\\[,;: !]\s*)*((?:\\(?:" + "|".join(_WRAPPERS) + r")\s*\{[^{}]*\}|[A-Za-z]+|\\?%|°[CF]?"
    r"|" + _CIRC + r"\s*[CF]?)" + _POWER_23 + r"(?:\s*/\s*[A-Za-z]+)?)\s*\$*\s*(?:[.,;:!)]|$|\n)")
_SPACING = re.compile(r"\\[,;:! ]|\\(?:q?quad|displaystyle|textstyle)(?![A-Za-z])|\\hspace\*?\s*\{[^{}]*\}|~|(?<!\\)\$")
_MICRO = re.compile(r"\\mu\s*(?=[A-Za-z])")
_SUPERSCRIPTS = str.maketrans({"²": "^2", "³": "^3", "℃": "°C", "℉": "°F", "¢": " cents"})
#: Degrees Celsius or Fahrenheit: ``20^\circ C``, ``20°F``, ``20^{\circ}\text{C}``, ``20 degrees Celsius``.
_TEMPERATURE = re.compile(r"(?:" + _CIRC + r"|°|\s+degrees?\s+)\s*(C|F|[Cc]elsius|[Ff]ahrenheit)$")
#: A degree sign that ends the text (an angle: ``45^\circ``).
_DEGREE_SIGN = re.compile(r"(?:" + _CIRC + r"|°|\\degree(?![A-Za-z]))\s*$")
_TRIG = re.compile(r"\\(?:sin|cos|tan|cot|sec|csc)(?![A-Za-z])")
#: An escaped dollar sign (``\$5``, ``5\$``, ``\${5}``); a bare ``$`` delimits math.
_DOLLAR = re.compile(r"\\\$")


@dataclass(frozen=True)
class Unit:
    """A unit as written (``name``), its dimension and size in base units; ``kind`` names a unit of a kind
    of its own (see ``_OWN_KIND``), which converts to nothing else."""

    name: str
    value: str
    """The text before the unit (wrappers and spacing commands gone): ``5\\sqrt{2}`` of ``5\\sqrt{2}\\text{ cm}``."""
    dims: tuple[int, ...] = _dims()
    size: Fraction = Fraction(1)
    kind: str = ""
    offset: Fraction = Fraction(0)


def _word(word: str) -> tuple[tuple[int, ...], Fraction] | str | None:
    """One unit word: (dims, size), the name of a unit of its own kind, or None when it is no unit."""
    word = _TEMPERATURES.get(word, word)
    if len(word) <= 3 and word != word.lower():
        if word in _SI or (word[0] in _PREFIXES and word[1:] in _SI):  # as written: kN, MHz, mL, Pa
            return _si(word)
        if word[0] in "MGNTP" and word[1:].lower() in _PREFIXED:  # Mm, MG, NM: a prefix or another unit
            return None
    w = word.lower()
    for cut in (w, w[:-1] if w.endswith("s") and len(w) >= 3 else w):
        cut = _SPELLINGS.get(cut, cut)
        read = _BASE.get(cut) or _si(cut)
        if read is not None:
            return read
        if cut in _OWN_KIND:
            return cut
        if "/" in cut:
            top, bottom = (_word(p) for p in cut.split("/"))
            if isinstance(top, tuple) and isinstance(bottom, tuple):
                return tuple(a - b for a, b in zip(top[0], bottom[0])), top[1] / bottom[1]
    return None


def _si(symbol: str) -> tuple[tuple[int, ...], Fraction] | None:
    """A unit symbol with an optional SI prefix (``km``, ``ms``, ``kN``, ``mmol``, ``µm``), or None."""
    if symbol in _SI:
        return _SI[symbol]
    if len(symbol) > 1 and symbol[0] in _PREFIXES and symbol[1:] in _SI:
        dims, size = _SI[symbol[1:]]
        return dims, size * _PREFIXES[symbol[0]]
    return None


@lru_cache(maxsize=1024)  # a check reads the answer's and the gold's text several ways
def _flat(text: str) -> str:
    """``text`` with text wrappers unwrapped, spacing commands and math dollars as spaces, superscript
    digits as powers, no final stop."""
    text = _WRAPPED.sub(lambda m: m.group(1), _WRAPPED.sub(lambda m: m.group(1), text.translate(_SUPERSCRIPTS)))
    text = _MICRO.sub("µ", text)
    return " ".join(_SPACING.sub(" ", text).split()).rstrip(".").rstrip()  # one space at most: linear regexes


def _exponent(shape: str | None, power: str | None) -> int:
    return {"square": 2, "sq": 2, "sq.": 2, "cubic": 3}.get((shape or "").lower(), 1) * int(power or 1)


def trailing_unit(text: str, strict: bool = False) -> Unit | None:
    """The physical unit that ends ``text`` after a value, or None (no unit, or a word this module does not
    know as one; see the module docstring for case and one-letter units). ``strict`` (for golds, where
    letters are often variables: ``2\\pi h``, ``2mg``) reads a unit only apart from its value, and a
    one-letter unit only set in text (``5 \\text{ m}``) or after a plain number (``0.2 m``)."""
    flat = _flat(text)
    if _DOLLAR.search(flat):
        rest = _DOLLAR.sub(" ", flat).strip()
        return None if _DANGLING.search(rest) else Unit("dollar", rest, *_BASE["dollar"])
    flat = _TEMPERATURE.sub(lambda m: " " + _TEMPERATURES[m.group(1)[0].upper()], flat)
    sign = _DEGREE_SIGN.search(flat)
    if sign is not None:  # an angle in degrees, unless a trig function reads it (sin 30^\circ is a number)
        value = flat[: sign.start()].strip()
        return None if _TRIG.search(value) or not value else Unit("°", value, kind="degree^1")
    compound = _compound(flat)
    if compound is not None:
        return compound
    m = _TRAILING.search(flat)
    if m is None:
        return _product(flat, _wrapped_words(text)) or _several_units(flat)
    gap, shape, top, power, shape2, bottom, power2 = m.groups()
    if len(top) == 1 and not bottom and (not gap or top not in "mgshLKCF"):
        return None
    if top in "KCF" and not strict and top not in _wrapped_words(text):  # 300 K may be 300 thousand
        return None
    if strict and (not gap or (len(top) == 1 and not bottom and top not in _wrapped_words(text)
                               and not _PLAIN_VALUE.match(flat[: m.start(1)]))):
        return None
    read = [_word(w) for w in (top, bottom) if w]
    if any(r is None for r in read):
        return None
    value = flat[: m.start(1)]
    exps = [_exponent(shape, power), _exponent(shape2, power2)]
    name = flat[m.end(1):].strip().rstrip(".").strip()
    if any(isinstance(r, str) for r in read):  # a unit of its own kind: only the same one matches
        kinds = [f"{r}^{e}" if isinstance(r, str) else f"{r[0]}:{r[1]}^{e}" for r, e in zip(read, exps)]
        return Unit(name, value, kind="/".join(kinds))
    dims = tuple(d * exps[0] for d in read[0][0])
    size = read[0][1] ** exps[0]
    if bottom:
        dims = tuple(d - b * exps[1] for d, b in zip(dims, read[1][0]))
        size /= read[1][1] ** exps[1]
    if dims == _TEMP:
        word = _TEMPERATURES.get(top, top).lower()
        return Unit(name, value, dims, size, offset=_OFFSET.get(_SPELLINGS.get(word, word), Fraction(0)))
    return Unit(name, value, dims, size)


def _wrapped_words(text: str) -> list[str]:
    return " ".join(m.group(1) for m in _WRAPPED.finditer(text)).split()


def names_a_unit(text: str) -> bool:
    """Whether a word of ``text`` is a unit this module knows: two letters or more (``in`` aside, a common
    word), or one letter set in text (``\\text{m}``); a bare letter may be a variable."""
    wrapped = _wrapped_words(text)
    words = _WORD.findall(_flat(text))
    return any(_word(w) is not None and (len(w) > 1 or w in wrapped) and w.lower() != "in" for w in words)


def _several_units(flat: str) -> Unit | None:
    """Two to four unit words in a row after a value (``5 m cm``, ``2 kg m^2``): a unit of its own kind named
    by all of them, so only the same words match (a policy unsure of the unit must not be paid for naming
    several); None when the words before the last are no unit after a value."""
    words: list[str] = []
    rest = flat
    for _ in range(3):
        last = _LAST_UNIT_WORD.search(rest)
        if last is None or _word(last.group(1)) is None:
            return None
        words.insert(0, last.group(0).strip())
        rest = rest[: last.start()]
        inner = trailing_unit(rest) if _TRAILING.search(rest) else None
        if inner is not None:
            name = " ".join([inner.name, *words])
            return Unit(name, inner.value, kind=name)
    return None


def _compound(flat: str) -> Unit | None:
    """Two or three amounts of one kind of quantity, largest unit first (``2 hours 30 minutes``, ``5 ft 3 in``,
    ``1 h and 30 min``; with commas they are a list): their sum in the first unit (``\\frac{5}{2}`` hours); None
    otherwise."""
    pieces, at = [], 0
    while at < len(flat):
        m = _PIECE.match(flat, at)
        if m is None:
            return None
        pieces.append(m.groups())
        at = m.end()
    if not 2 <= len(pieces) <= 3:
        return None
    read = [_word(word) for _, word in pieces]
    if not all(isinstance(r, tuple) for r in read) or len({r[0] for r in read}) != 1 or read[0][0] == _TEMP:
        return None
    sizes = [r[1] for r in read]  # type: ignore[index]
    if any(later >= earlier for earlier, later in zip(sizes, sizes[1:])):
        return None  # 5 m 3 m, 30 min 2 h: not one amount written in parts
    total = sum(Fraction(n) * size for (n, _), size in zip(pieces, sizes)) / sizes[0]
    value = str(total.numerator) if total.denominator == 1 else f"\\frac{{{total.numerator}}}{{{total.denominator}}}"
    return Unit(pieces[0][1], value, read[0][0], sizes[0])  # type: ignore[index]


def _product(flat: str, wrapped: list[str]) -> Unit | None:
    """A product of unit words after a value, one with a negative power (``9.8 m s^{-2}``,
    ``4.2 J g^{-1} K^{-1}``): that unit; None otherwise (``5 m cm`` is read by :func:`_several_units`). A
    one-letter word must be set in text (``\\text{ m s}^{-2}``: ``2 s t^{-1}`` is algebra); a temperature with
    an offset (Celsius, Fahrenheit) or a product with no dimension left (``km m^{-1}``) is no unit here."""
    m = _PRODUCT.search(flat)
    if m is None:
        return None
    factors = _FACTOR.findall(m.group(1).replace("\\cdot", " "))
    if not any(power.startswith("-") for _, power in factors):
        return None
    dims, size = _dims(), Fraction(1)
    for word, power in factors:
        read = _word(word)
        if not isinstance(read, tuple) or (len(word) == 1 and word not in wrapped):
            return None
        if _TEMPERATURES.get(word, word).lower() in _OFFSET or _SPELLINGS.get(word.lower(), word.lower()) in _OFFSET:
            return None
        k = int(power or 1)
        dims = tuple(d + e * k for d, e in zip(dims, read[0]))
        size *= read[1] ** k
    if not any(dims):
        return None
    return Unit(m.group(1), flat[: m.start()].strip(), dims, size)


def _dangling(text: str) -> tuple[str, str] | None:
    """The word that ends ``text`` (not a command) with its power, and the text before it when that ends in
    a value (else ``""``: another word comes before, ``c m``): ``("dm", "5")`` of ``5 dm``, ``("m", "2")``
    of ``2m``."""
    flat = _flat(text)
    m = _DANGLING.search(flat)
    if m is None:
        return None
    before = flat[: m.start()].rstrip()
    return m.group(0).strip().rstrip(".").strip(), before if _VALUE_END.search(before) else ""


def _as_unit(word: str, value: str) -> Unit | None:
    """``word`` read as a unit set in text after ``value`` (a bare ``K`` or one glued to its value is not
    read by :func:`trailing_unit`)."""
    return trailing_unit(f"{value} \\text{{ {word}}}") if value else None


@dataclass(frozen=True)
class Conversion:
    """The answer's value in the gold's unit is ``value * scale + shift`` (a shift only between temperatures)."""

    scale: Fraction
    shift: Fraction = Fraction(0)


def conversion(a: Unit, g: Unit) -> Conversion | str | None:
    """How the answer's unit ``a`` relates to the gold's ``g``: None when they are the same unit; the
    :class:`Conversion` that takes the answer's value to the gold's unit; or the reason they cannot match."""
    if a.kind or g.kind:
        return None if a.kind == g.kind else f"the answer is in {a.name}, the gold in {g.name}"
    if a.dims != g.dims:
        return f"the answer is in {a.name}, the gold in {g.name}: not the same kind of quantity"
    # the gold's value v_g from the answer's v_a, through base units: (v_a + o_a) * s_a = (v_g + o_g) * s_g
    scale = a.size / g.size
    shift = a.offset * scale - g.offset
    return None if scale == 1 and shift == 0 else Conversion(scale, shift)


@dataclass(frozen=True)
class UnitCheck:
    """What the units of an answer and its gold decide: ``wrong`` (the reason), or the values to compare
    (the texts before the units) and the :class:`Conversion` of the answer's (None: the same unit)."""

    wrong: str = ""
    answer: str = ""
    gold: str = ""
    to: Conversion | None = None


def unit_check(answer: str, gold: str) -> UnitCheck | None:
    """The units' verdict on ``answer`` against ``gold`` (see the module docstring); None when units decide
    nothing and the texts are compared as they are."""
    a, g = trailing_unit(answer), trailing_unit(gold, strict=True)
    angle = _angles(answer, gold, a, g)
    if angle is not None:
        return angle
    if a is not None and g is not None:
        if a.kind == "degree^1" and g.dims == _TEMP and g.offset:  # 20^\circ for 20^\circ C (not for kelvin)
            return UnitCheck(answer=a.value, gold=g.value)
        to = conversion(a, g)
        if isinstance(to, str):
            return UnitCheck(wrong=to)
        if names_a_unit(a.value) or any(_word(w) for w in _AFTER_VALUE.findall(a.value)):  # 5.0 cm \approx 5 m
            return UnitCheck(wrong="the answer names more than one unit")
        if to is not None and not _balanced(a.value):  # 0)+5+(0 cm: a scale must cover the whole value
            return UnitCheck(wrong="the answer's value has unbalanced brackets")
        return UnitCheck(answer=a.value, gold=g.value, to=to)
    if g is not None:
        if _percent_tail(answer):
            return UnitCheck(wrong=f"the answer is a percentage, the gold in {g.name}")
        word, before = _dangling(answer) or ("", "")
        read = _as_unit(word, before)  # 500cm, 300 K, 5m: a unit glued to its value or bare
        to = conversion(read, g) if read is not None else "no unit"
        if not isinstance(to, str) and (to is None or _balanced(read.value)):
            return UnitCheck(answer=read.value, gold=g.value, to=to)
        if word and not _generic_fits(answer, g):
            return UnitCheck(wrong=f"the answer ends in {word!r}, not a unit read as the gold's {g.name}")
        if names_a_unit(answer):
            return UnitCheck(wrong=f"the answer names a unit, but not as one unit after its value "
                                   f"(the gold is in {g.name})")
        return UnitCheck(answer=answer if not word else _value_before_generic(answer), gold=g.value)
    if a is not None:
        if _percent_tail(gold):
            return UnitCheck(wrong=f"the answer is in {a.name}, the gold a percentage")
        word, before = _dangling(gold) or ("", "")
        read = _as_unit(word, before) if len(word.split("^")[0]) > 1 else None  # 1990s: no seconds
        if read is not None and conversion(a, read) is None:  # the same unit, glued in the gold (5m): no
            return UnitCheck(answer=a.value, gold=read.value)  # conversion, as 2mg may be m times g
        if word and not _generic_fits(gold, a):
            return UnitCheck(wrong=f"the answer is in {a.name}, the gold ends in {word!r}")
        return UnitCheck(answer=a.value, gold=gold if not word else _value_before_generic(gold))
    # neither unit known: a number then a symbol on both sides (5 N, 5 J) must be the same symbol
    words = [_NUMBER_WORD.match(_flat(answer)), _NUMBER_WORD.match(_flat(gold))]
    if words[0] and words[1] and any(_symbol_like(w.group(1)) for w in words) and words[0][1] != words[1][1]:
        return UnitCheck(wrong=f"the answer ends in {words[0][1]!r}, the gold in {words[1][1]!r}")
    return None


def _angles(answer: str, gold: str, a: Unit | None, g: Unit | None) -> UnitCheck | None:
    """An angle in degrees against one in radians, either way: the answer's value taken to the gold's unit
    (``60^\\circ`` for ``\\frac{\\pi}{3}``, ``\\frac{\\pi}{4}`` for ``45^\\circ``). Radians are ``rad`` or a value
    with no unit that names ``\\pi``; None when the two are not degrees and radians."""
    def radians(text: str, unit: Unit | None) -> str | None:
        if unit is not None:
            return unit.value if unit.kind == "radian^1" else None
        if _percent_tail(text):
            return None
        return text if "\\pi" in text and not _DANGLING.search(_flat(text)) else None

    a_deg, g_deg = a is not None and a.kind == "degree^1", g is not None and g.kind == "degree^1"
    if a_deg and radians(gold, g) is not None:
        value, factor, to = a.value, "\\frac{\\pi}{180}", radians(gold, g)  # type: ignore[union-attr]
    elif g_deg and "\\pi" not in g.value and radians(answer, a) is not None:  # type: ignore[union-attr]
        # (a gold of \frac{180}{\pi}^\circ names pi in degrees: a bare value naming pi is its value, unconverted)
        value, factor, to = radians(answer, a), "\\frac{180}{\\pi}", g.value  # type: ignore[union-attr]
    else:
        return None
    if names_a_unit(value) or not _balanced(value):  # type: ignore[arg-type]
        return UnitCheck(wrong="the answer's angle is not one value in one unit")
    return UnitCheck(answer=f"{factor}\\cdot\\left({value}\\right)", gold=to)  # type: ignore[arg-type]


def _balanced(text: str) -> bool:
    """Whether the brackets of ``text`` close in order (``(1)+(2)``, ``[1, 2)``; not ``0)+(5``)."""
    stack: list[str] = []
    for ch in text.replace("[", "(").replace("]", ")"):  # an interval may open with one and close with the other
        if ch in "([{":
            stack.append(")]}"["([{".index(ch)])
        elif ch in ")]}" and (not stack or stack.pop() != ch):
            return False
    return not stack


def unit_after(text: str) -> str:
    """A unit that ``text`` (what follows an answer's box) starts with: `` cm.`` of ``\\boxed{5} cm.``,
    ``\\text{ grams}`` of ``\\boxed{5}\\text{ grams}``; ``""`` when it starts with no known unit (``is the
    answer``, ``in total``)."""
    m = _UNIT_AFTER.match(text[:200])
    if m is None:
        return ""
    unit = m.group(1)
    read = trailing_unit(f"1 {unit}") or trailing_unit(f"1 \\text{{ {unit}}}")
    return unit if read is not None or _PERCENT_END.search(unit) else ""


def _percent_tail(text: str) -> bool:
    return bool(_PERCENT_END.search(_flat(text)))


def _symbol_like(word: str) -> bool:
    """A word that reads as a unit symbol (``N``, ``kJ``, ``atm``, ``MHz``), not a noun (``students``)."""
    return len(word.split("^")[0]) <= 3 or word != word.lower()


def _generic_fits(text: str, unit: Unit) -> bool:
    """Whether ``text`` ends in generic units that fit ``unit``: ``units`` any, ``square units`` an area,
    ``cubic units`` a volume."""
    m = _GENERIC_END.search(_flat(text))
    if m is None:
        return False
    power = _exponent(m.group(1), m.group(2))
    return m.group(1) is None and m.group(2) is None or unit.dims == _dims(L=power)


def _value_before_generic(text: str) -> str:
    flat = _flat(text)
    m = _GENERIC_END.search(flat)
    return flat[: m.start()].strip() if m else text
