"""Physical units after an answer's value: ``5 \\text{ cm}``, ``12 square feet``, ``3 km/h``.

Normalization drops a trailing unit (golds often leave it out: ``5`` is right for ``5 \\text{ m}``), which
alone would pay ``5 cm`` for the gold ``5 m``. So when both the answer and the gold end in a unit this
module knows, the verifier compares the units first (:func:`conversion`): the same unit (in any spelling:
``m``, ``meters``, ``metre``) goes on as before; a unit of the same kind converts the answer to the
gold's unit (``500 cm`` is ``5 m``, ``2 hours`` is ``120 minutes``); units of different kinds, or of one
kind with no fixed ratio (months and days), make the answer wrong. A side without a known unit (none, or
a noun such as ``students`` or ``square units``) is compared as before, except an answer that names a
known unit where it cannot be read as its value's (``5 m cm``, ``5 apples cm``, ``5 meters long``) against
a gold in units: a hedge between units, wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

#: Base dimensions: length, mass, time, money, calendar time (months: no fixed number of days), temperature.
#: Each unit is (dimension exponents, size in base units).
_L, _M, _T, _D, _CAL, _TEMP = (tuple(int(i == k) for i in range(6)) for k in range(6))
_INCH = Fraction(254, 10000)
_POUND = Fraction(45359237, 10**8)
_BASE: dict[str, tuple[tuple[int, ...], Fraction]] = {
    "mm": (_L, Fraction(1, 1000)), "cm": (_L, Fraction(1, 100)), "m": (_L, Fraction(1)), "km": (_L, Fraction(1000)),
    "nm": (_L, Fraction(1, 10**9)), "in": (_L, _INCH), "ft": (_L, 12 * _INCH), "yd": (_L, 36 * _INCH),
    "mi": (_L, 63360 * _INCH),
    "mg": (_M, Fraction(1, 10**6)), "g": (_M, Fraction(1, 1000)), "kg": (_M, Fraction(1)), "lb": (_M, _POUND),
    "oz": (_M, _POUND / 16),
    "s": (_T, Fraction(1)), "min": (_T, Fraction(60)), "h": (_T, Fraction(3600)), "day": (_T, Fraction(86400)),
    "week": (_T, Fraction(7 * 86400)),
    "dollar": (_D, Fraction(1)), "cent": (_D, Fraction(1, 100)),
    # volume: a litre is a cubic decimetre
    "l": ((3, 0, 0, 0, 0, 0), Fraction(1, 1000)), "ml": ((3, 0, 0, 0, 0, 0), Fraction(1, 10**6)),
    "month": (_CAL, Fraction(1)), "year": (_CAL, Fraction(12)),
    "kelvin": (_TEMP, Fraction(1)), "celsius": (_TEMP, Fraction(1)), "fahrenheit": (_TEMP, Fraction(5, 9)),
}
#: Temperatures are affine: kelvin = (value + offset) * size.
_OFFSET = {"celsius": Fraction(27315, 100), "fahrenheit": Fraction(45967, 100)}
#: Units of a kind of their own: the same unit matches, any other is a different quantity (an angle in
#: degrees is not one in radians by a rational factor).
_OWN_KIND = ("degree", "radian")
_SPELLINGS: dict[str, str] = {
    "millimeter": "mm", "millimetre": "mm", "centimeter": "cm", "centimetre": "cm", "meter": "m", "metre": "m",
    "kilometer": "km", "kilometre": "km", "nanometer": "nm", "nanometre": "nm", "inch": "in", "inche": "in",
    "foot": "ft", "feet": "ft", "yard": "yd", "mile": "mi", "milligram": "mg", "gram": "g", "kilogram": "kg",
    "pound": "lb", "lbs": "lb", "ounce": "oz", "sec": "s", "second": "s", "minute": "min", "hr": "h",
    "hour": "h", "dollar": "dollar", "cent": "cent", "liter": "l", "litre": "l", "milliliter": "ml",
    "millilitre": "ml", "ltr": "l", "mins": "min", "secs": "s", "hrs": "h", "deg": "degree", "rad": "radian",
    "mph": "mi/h", "kph": "km/h", "kmh": "km/h",
}
#: A value, then its unit: optional ``square``/``sq``/``cubic``, one or two unit words joined by ``/`` or
#: ``per``, an optional power ``^2``/``^3``, and nothing after it but a full stop.
_TRAILING = re.compile(
    r"(?:[\d)\]}]|\\pi)\s*(?:(square|sq\.?|cubic)\s+)?([A-Za-z]+)(?:\s*(?:/|\bper\b)\s*([A-Za-z]+))?"
    r"(?:\s*\^\s*\{?\s*([23])\s*\}?)?\s*\.?$")
#: A word not part of a command (``\\min``).
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+")
#: The last word of a text, with a power (``m^2``), after a space.
_LAST_UNIT_WORD = re.compile(r"\s([A-Za-z]+)(?:\s*\^\s*\{?\s*[23]\s*\}?)?\s*$")
_WRAPPED = re.compile(r"\\(?:text|textnormal|textrm|textup|mathrm|mbox|operatorname)\s*\{([^{}]*)\}")
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad(?![A-Za-z])|~|(?<!\\)\$")
#: Degrees Celsius or Fahrenheit: ``20^\circ C``, ``20°F``, ``20^{\circ}\text{C}``.
_TEMPERATURE = re.compile(r"(?:\^\s*\{?\s*\\circ\s*\}?|°)\s*([CF])$")
#: A dollar sign before the value: ``\$5``, ``\$1,000.50`` (a bare ``$`` delimits math).
_DOLLARS = re.compile(r"^\\\$\s*\d[\d,]*(?:\.\d+)?$")


@dataclass(frozen=True)
class Unit:
    """A unit as written (``name``), its dimension and size in base units; ``kind`` names a unit of a kind
    of its own (see ``_OWN_KIND``), which converts to nothing else."""

    name: str
    value: str
    """The text before the unit (wrappers and spacing commands gone): ``5\\sqrt{2}`` of ``5\\sqrt{2}\\text{ cm}``."""
    dims: tuple[int, ...] = (0,) * 6
    size: Fraction = Fraction(1)
    kind: str = ""
    offset: Fraction = Fraction(0)


def _word(word: str) -> tuple[tuple[int, ...], Fraction] | str | None:
    """One unit word: (dims, size), the name of a unit of its own kind, or None when it is no unit."""
    w = "l" if word == "L" else word.lower()
    for cut in (w, w[:-1] if w.endswith("s") and len(w) >= 3 else w):
        cut = _SPELLINGS.get(cut, cut)
        if cut in _BASE:
            return _BASE[cut]
        if cut in _OWN_KIND:
            return cut
        if "/" in cut:
            top, bottom = (_word(p) for p in cut.split("/"))
            if isinstance(top, tuple) and isinstance(bottom, tuple):
                return tuple(a - b for a, b in zip(top[0], bottom[0])), top[1] / bottom[1]
    return None


def trailing_unit(text: str) -> Unit | None:
    """The physical unit that ends ``text`` after a value, or None (no unit, or a word this module does not
    know as one). Case matters only to keep ``K`` (kelvin) apart from ``k``: ``300 K`` reads as kelvin only
    when set in text (``300 \\text{ K}``); bare, it may be a variable."""
    flat = _flat(text)
    if _DOLLARS.match(flat):
        return Unit("dollar", flat[2:].strip(), *_BASE["dollar"])
    flat = _TEMPERATURE.sub(lambda m: " " + {"C": "celsius", "F": "fahrenheit"}[m.group(1)], flat)
    m = _TRAILING.search(flat)
    if m is None:
        return _several_units(flat)
    shape, top, bottom, power = m.groups()
    value = flat[: m.start(2) if shape is None else m.start(1)].rstrip()
    if top == "K" and "\\text" not in text and "\\mathrm" not in text:
        return None
    words = [top] + ([bottom] if bottom else [])
    read = [_word({"K": "kelvin", "C": "celsius", "F": "fahrenheit"}.get(w, w)) for w in words]
    if any(r is None for r in read) or (len(words) == 1 and len(top) == 1 and top not in "mgshKL"):
        return None
    exp = {"square": 2, "sq": 2, "sq.": 2, "cubic": 3}.get((shape or "").lower(), 1) * int(power or 1)
    name = " ".join(p for p in (shape, "/".join(words), f"^{power}" if power else "") if p)
    if any(isinstance(r, str) for r in read):  # a unit of its own kind: only the same one matches
        return Unit(name, value, kind="/".join(r if isinstance(r, str) else str(r) for r in read) + f"^{exp}")
    dims, size = read[0]
    if bottom:
        dims, size = tuple(a - b for a, b in zip(dims, read[1][0])), size / read[1][1]
    if dims == _TEMP and exp == 1:
        word = {"K": "kelvin", "C": "celsius", "F": "fahrenheit"}.get(top, top).lower()
        return Unit(name, value, dims, size, offset=_OFFSET.get(_SPELLINGS.get(word, word), Fraction(0)))
    return Unit(name, value, tuple(d * exp for d in dims), size**exp)


def _flat(text: str) -> str:
    """``text`` with text wrappers unwrapped, spacing commands and math dollars as spaces, no final stop."""
    return _SPACING.sub(" ", _WRAPPED.sub(lambda m: " " + m.group(1) + " ", text)).strip().rstrip(".").strip()


def names_a_unit(text: str) -> bool:
    """Whether a word of ``text`` is a unit this module knows: two letters or more (``in`` aside, a common
    word), or one letter set in text (``\\text{m}``); a bare letter may be a variable. An answer that names a
    unit :func:`trailing_unit` cannot read (``5 apples cm``) must not be compared as if it named none."""
    wrapped = " ".join(m.group(1) for m in _WRAPPED.finditer(text))
    words = _WORD.findall(_flat(text))
    return any(_word(w) is not None and (len(w) > 1 or w in wrapped.split()) and w.lower() != "in" for w in words)


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
