"""Units after the value: a unit dropped on one side is fine, a different unit on both sides is not.

Dropping trailing units alone had paid ``5 cm`` for the gold ``5 m``, ``3 minutes`` for ``3 hours`` and
``10 cents`` for ``10 dollars``: a policy could collect the reward with the right number of the wrong
quantity. Every pair goes through ``verify`` end to end, the answer in a ``\\boxed{}``.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from zeroplay.verifiers.math.units import Conversion, conversion, names_a_unit, trailing_unit

B = r"\boxed{%s}"


#: (gold, answer): the same number of another unit, or another kind of quantity.
WRONG_UNIT = [
    ("5 m", "5 cm"),
    (r"5\text{ m}", r"5\text{ cm}"),
    (r"10 \text{ dollars}", r"10 \text{ cents}"),
    (r"3 \text{ hours}", r"3 \text{ minutes}"),
    (r"7\text{ inches}", r"7\text{ feet}"),
    (r"12 \text{ km/h}", r"12 \text{ m/s}"),
    (r"12 \text{ mph}", r"12 \text{ km/h}"),
    (r"4 \text{ cm}^2", r"4 \text{ cm}"),
    (r"4\text{ square meters}", r"4\text{ meters}"),
    (r"8 \text{ cm}^3", r"8 \text{ cm}^2"),
    (r"6 \text{ kg}", r"6 \text{ g}"),
    (r"6 \text{ kg}", r"6 \text{ m}"),
    (r"2 \text{ months}", r"2 \text{ days}"),
    (r"60 \text{ days}", r"2 \text{ months}"),
    (r"100^\circ C", r"100^\circ F"),
    (r"300 \text{ K}", r"300 \text{ m}"),
    (r"\$5", r"5 \text{ cents}"),
    (r"5\sqrt{2} \text{ cm}", r"5\sqrt{2} \text{ m}"),
    (r"\frac{\pi}{4} \text{ radians}", r"\frac{\pi}{4} \text{ degrees}"),
    (r"2 \text{ liters}", r"2 \text{ ml}"),
    (r"3 \text{ weeks}", r"3 \text{ days}"),
    ("5 meters", "500 mm"),
    (r"6 \text{ cm}^3", r"6\text{ L}"),
    (r"20 \text{ m}^3", r"20\text{ L}"),
    (r"18 \text{ months}", r"18 \text{ years}"),
    (r"37^\circ C", r"37^\circ \text{F}"),
    # hedges: several units, or a unit the answer names where it cannot be read as the value's
    (r"5\text{ m}", "5 m cm"),
    (r"5\text{ m}", "5 cm m"),
    (r"5\text{ m}", r"5 \text{ m}\text{ cm}"),
    (r"5\text{ m}", "5 apples cm"),
    (r"5\text{ m}", r"5 \, \text{c m}"),
    (r"5\text{ m}", r"5\text{cm}\quad"),
    (r"5\text{ m}", "5 cms"),
    (r"(3, 4)\text{ m}", r"(300, 500)\text{ cm}"), (r"(3, 4)\text{ m}", r"(3, 4)\text{ cm}"),
]

#: (gold, answer): right, with the unit dropped on either side, spelled another way, or converted.
RIGHT = [
    (r"5\text{ m}", "5"),
    ("5", r"5 \text{ m}"),
    (r"5\text{ m}", r"5\text{ meters}"),
    (r"5\text{ metres}", "5 m"),
    (r"5\,\text{m}", r"500\,\text{cm}"),
    (r"2 \text{ kg}", r"2000 \text{ g}"),
    (r"2 \text{ hours}", r"120 \text{ minutes}"),
    (r"1.5 \text{ hours}", r"90 \text{ min}"),
    (r"1 \text{ ft}", r"12 \text{ inches}"),
    (r"2.54 \text{ cm}", r"1 \text{ in}"),
    (r"1 \text{ yd}^2", r"9 \text{ square feet}"),
    (r"1 \text{ m}^2", r"10000 \text{ cm}^2"),
    (r"1000 \text{ cm}^3", r"1 \text{ liter}"),
    (r"36 \text{ km/h}", r"10 \text{ m/s}"),
    (r"60 \text{ mph}", r"88 \text{ feet per second}"),
    (r"\$2.50", r"250 \text{ cents}"),
    (r"2 \text{ weeks}", r"14 \text{ days}"),
    (r"5\sqrt{2} \text{ m}", r"500\sqrt{2} \text{ cm}"),
    (r"3 \text{ months}", r"3 \text{ months}"),
    (r"16\pi \text{ square units}", r"16\pi \text{ cm}^2"),  # "units" names no unit
    (r"42 \text{ students}", r"42 \text{ people}"),  # nouns are no units
    (r"100^\circ C", r"100^\circ \text{C}"),
    (r"45^\circ", r"45 \text{ degrees}"),
    (r"18 \text{ months}", r"1.5\text{ years}"),
    (r"100^\circ C", r"212^\circ\text{F}"),
    (r"0^\circ\text{C}", r"273.15\text{ K}"),
    (r"1000 \text{ cm}^3", r"1\text{ L}"),
    (r"20 \text{ m}^3", r"20000\text{ L}"),
    (r"-40^\circ F", r"-40^\circ C"),
    (r"2 \text{ kg m}^2", r"2\text{ kg m}^2"),
    (r"(3, 4)\text{ m}", r"(300, 400)\text{ cm}"), (r"[2, 5)\text{ m}", r"[200, 500)\text{ cm}"),
    # algebra is no unit: variables after a coefficient are compared as usual
    ("3x^2y", "3yx^2"), ("2a+3b", "3b+2a"), ("4x^2y^3", "4y^3x^2"), ("6x^3-4x^2+2x", "2x-4x^2+6x^3"),
]


#: A red team's second round (a helper who read the code): unknown units (dm, ms, tons, knots, euros),
#: upper-case prefixes (Mm, Mg, ML, NM), other wrappers (\mathbf, \textsf), a unit split by a wrapper
#: (\text{k}m), Unicode powers, golds whose unit was not read, degrees against radians, a power after a
#: compound unit read on the whole (m/s^2 as (m/s)^2), dollar signs in other places, and letters in golds
#: that are variables (2mg, 2\pi h). Every (gold, answer) pair below was paid.
RED_TEAM_WRONG = [
    (r"5 \text{ m}", r"5 \text{ dm}"), (r"5 \text{ m}", "5 decimeters"), (r"5 \text{ s}", r"5 \text{ ms}"),
    (r"5 \text{ s}", "5 milliseconds"), (r"5 \text{ kg}", "5 tons"), (r"5 \text{ kg}", r"5 \text{ tonnes}"),
    (r"5 \text{ L}", "5 gallons"), (r"5 \text{ L}", r"5 \text{ dm}^2"), (r"5 \text{ m}^2", r"5 \text{ square dm}"),
    (r"5 \text{ hours}", r"5 \text{ d}"), (r"5 \text{ hours}", r"5 \text{ wks}"),
    (r"5 \text{ months}", r"5 \text{ yrs}"),
    (r"5 \text{ months}", r"5 \text{ yr}"), (r"5 \text{ years}", r"5 \text{ decades}"),
    (r"60 \text{ mph}", r"60 \text{ kmph}"),
    (r"60 \text{ km/h}", "60 knots"), (r"30^\circ", "30 gradians"), (r"\$5", r"5 \text{ c}"), (r"\$5", r"5 \text{ ct}"),
    (r"\$5", r"5 \text{ pennies}"), (r"\$5", "5 euros"), (r"5 \text{ cents}", r"5 \text{ nickels}"),
    (r"5 \text{ cents}", r"5 \text{ dimes}"), (r"5 \text{ cents}", r"5 \text{ USD}"),
    (r"5 \text{ m}", r"5 \text{ square}"),
    (r"5 \text{ m}", r"5 \text{ sq}"), (r"5 \text{ m}", r"5 \text{ cubic}"),
    (r"5 \text{ mm}", r"5 \text{ Mm}"), (r"5 \text{ mg}", r"5 \text{ Mg}"), (r"5 \text{ mL}", r"5 \text{ ML}"),
    (r"5 \text{ nm}", r"5 \text{ NM}"),
    (r"5 \text{ cm}", r"5 \mathbf{m}"), (r"5 \text{ cm}", r"5 \textbf{m}"), (r"5 \text{ cm}", r"5 \mathit{m}"),
    (r"5 \text{ cm}", r"5 \mathsf{m}"), (r"5 \text{ cm}", r"5 \mathbf{in}"), (r"5 \text{ kg}", r"5 \mathbf{g}"),
    (r"5 \text{ kg}", r"5 \textsf{g}"),
    (r"5 \text{ m}", r"5 \text{c}m"), (r"5 \text{ m}", r"5 \text{k}m"), (r"5 \text{ m}", r"5 \mathrm{k}m"),
    (r"5 \text{ g}", r"5 \text{k}g"),
    (r"5 \text{ cm}^2", "5 m²"), (r"5 \text{ km}^2", "5 m²"), (r"5 \text{ m}", "5 m²"), (r"5 \text{ m}^2", "5 m³"),
    (r"5 \text{ L}", "5 m³"), (r"5 \text{ cm}^2", "5 in²"),
    ("5 cm²", r"5 \text{ m}^2"), ("5 m²", r"5 \text{ cm}^2"), ("5 cm³", r"5 \text{ m}^3"), ("5 m³", r"5 \text{ L}"),
    (r"5 \mathbf{cm}", r"5 \text{ m}"), (r"5 \textbf{cm}", r"5 \text{ m}"), (r"5 \text{ l}", r"5 \text{ mL}"),
    (r"5 \text{ t}", r"5 \text{ kg}"), (r"30^\circ", r"30 \text{ rad}"), (r"30^\circ", "30 radians"),
    (r"\frac{\pi}{6}", r"\frac{\pi}{6} \text{ degrees}"), (r"\frac{\pi}{6}", r"\frac{\pi}{6}\text{ deg}"),
    (r"2 \text{ radians}", r"2^\circ"), (r"2 \text{ rad}", "2°"),
    (r"9.8 \text{ m/s}^2", r"98000 \text{ cm/s}^2"), (r"1 \text{ g/cm}^3", r"0.001 \text{ kg/m}^3"),
    (r"1000 \text{ kg/m}^3", r"1000000 \text{ g/cm}^3"), (r"2 \text{ km/h}^2", r"2000000 \text{ m/h}^2"),
    (r"10 \text{ cubic feet per minute}", r"2160000 \text{ cubic feet per hour}"),
    (r"5 \text{ cents}", r"5\$"), (r"5 \text{ cents}", r"\${5}"), (r"5 \text{ cents}", r"\$ {5}"),
    (r"5 \text{ cents}", r"\$(5)"),
    (r"5 \text{ cents}", r"\$\mathbf{5}"), (r"5 \text{ cents}", r"\$\frac{5}{1}"),
    ("2m", r"200 \text{ cm}"), ("3h", r"180 \text{ min}"), ("2mg", r"0.002 \text{ g}"),
    (r"\frac{3}{2}mg", r"0.0015 \text{ g}"),
    (r"2\pi h", r"7200\pi \text{ s}"), ("4s", r"\frac{1}{15}\text{ min}"), ("2L", r"2000 \text{ mL}"),
    ("1990s", "1990 seconds"),
    (r"300 \text{ K}", r"300 \text{ k}"),
]
RED_TEAM_RIGHT = [
    (r"9.8 \text{ m/s}^2", r"980 \text{ cm/s}^2"), (r"1 \text{ g/cm}^3", r"1000 \text{ kg/m}^3"),
    (r"1000 \text{ kg/m}^3", r"1 \text{ g/cm}^3"), (r"1 \text{ g/cm}^3", r"1000 \text{ g/L}"),
    (r"2 \text{ km/h}^2", r"2000 \text{ m/h}^2"),
    (r"10 \text{ cubic feet per minute}", r"600 \text{ cubic feet per hour}"),
    (r"5 \text{ cm}^2", "5 cm²"), (r"5 \text{ m}^2", "50000 cm²"),
    (r"20^\circ C", r"20 \text{ degrees Celsius}"), (r"20^\circ C", "20"), (r"20^\circ C", r"20^\circ"),
    (r"20^\circ C", "20 ℃"),
    (r"20 \text{ degrees Celsius}", r"68 \text{ degrees Fahrenheit}"), (r"300 \text{ K}", "300 K"),
    (r"27^\circ C", "300.15 K"),
    (r"5 \text{ m}", r"5\displaystyle\text{ m}"), (r"5 \text{ m}", r"5\hspace{1mm}\text{m}"),
    (r"5 \text{ m}", "5m"), (r"5 \text{ m}", "5 m"), (r"45^\circ", r"45 \text{ degrees}"), (r"45^\circ", "45"),
    (r"\$5", "5"), (r"\$5", "5 dollars"), (r"\$5", "500 cents"),
]


#: A third round (another helper): a unit written after the box (\boxed{5}\text{ cm}), unknown symbols on
#: both sides (N and J, kN and N, gallons and quarts), percent against units, square units for a length,
#: unbalanced brackets around a converted value, a ~ b with a decimal a. An answer here may be a whole
#: response (it has its own \boxed).
RED_TEAM3_WRONG = [
    ('5 \\text{ m}', 'The length is \\boxed{5}\\text{ cm}.'),
    ('5 \\text{ m}', 'The length is \\boxed{5} cm.'),
    ('5 \\text{ kg}', 'So $\\boxed{5}$ grams.'),
    ('5 \\text{ m}', 'The answer is $\\boxed{5}$ km.'),
    ('5 \\text{ m}', '\\boxed{5}\\,\\mathrm{cm}'),
    ('5 \\text{ N}', '5 \\text{ J}'),
    ('5 \\text{ kN}', '5 \\text{ N}'),
    ('5 \\text{ kJ}', '5 \\text{ J}'),
    ('100 \\text{ J}', '100 \\text{ W}'),
    ('5 \\text{ MHz}', '5 \\text{ kHz}'),
    ('2 \\text{ atm}', '2 \\text{ Pa}'),
    ('5 \\text{ mol}', '5 \\text{ mmol}'),
    ('5 \\text{ V}', '5 \\text{ A}'),
    ('5 \\text{ W}', '5 \\text{ kW}'),
    ('3 \\text{ ms}', '3 \\text{ ns}'),
    ('5 \\text{ MJ}', '5 \\text{ mJ}'),
    ('5 \\text{ gallons}', '5 \\text{ quarts}'),
    ('5 gallons', '5 quarts'),
    ('5 acres', '5 hectares'),
    ('5 \\text{ tons}', '5 \\text{ tonnes}'),
    ('5 \\text{ dm}', '5 \\text{ dam}'),
    ('1 \\text{ century}', '1 \\text{ decade}'),
    ('5 kilonewtons', '5 newtons'),
    ('5m', '5 \\text{ dm}'),
    ('5m', '5 \\text{ Mm}'),
    ('5m', '5 \\text{ nmi}'),
    ('12cm', '12 \\text{ dm}'),
    ('0.5 \\text{ m}', '50\\%'),
    ('0.5 \\text{ m}', '50 \\%'),
    ('\\frac{1}{2} \\text{ m}', '50\\%'),
    ('0.25 \\text{ kg}', '25\\%'),
    ('\\$0.50', '50\\%'),
    ('5 \\text{ m}', '5\\%'),
    ('\\$5', '5\\%'),
    ('5^\\circ C', '5\\%'),
    ('30^\\circ', '30\\%'),
    ('30\\%', '30^\\circ'),
    ('5\\%', '5 \\text{ cents}'),
    ('20\\%', '20 \\text{ kg}'),
    ('5 \\text{ m}', '5 \\text{ square units}'),
    ('5 \\text{ m}^2', '5 \\text{ cubic units}'),
    ('5 \\text{ square units}', '5 \\text{ cm}'),
    ('5 \\text{ cubic units}', '5 \\text{ m}^2'),
    ('5 \\text{ m}', '0)+5+(0 \\text{ cm}'),
    ('5 \\text{ m}', '1)\\cdot(500 \\text{ cm}'),
    ('5 \\text{ m}', '5)/(1/100 \\text{ cm}'),
    ('5 \\text{ m}', '5.0 \\text{ cm} \\approx 5 \\text{ m}'),
    ('5 \\text{ m}', '5.0 \\text{ kg} \\approx 5 \\text{ m}'),
    ('5 \\text{ m}', '0.05 \\text{ m} \\approx 5 \\text{ m}'),
    ('5', '0.05 \\approx 5'),
    ('293.15 \\text{ K}', '293.15^\\circ'),
]
RED_TEAM3_RIGHT = [
    ('5 \\text{ m}', 'Final answer: \\boxed{500}\\text{ cm}'),
    ('5 \\text{ kg}', '5 Kg'),
    ('5 \\text{ km}', '5 KM'),
    ('5 \\text{ km}', '5 Km'),
    ('5 \\text{ hrs}', '5 Hrs'),
    ('5 \\text{ min}', '5 Min'),
    ('\\$5', '5 USD'),
    ('\\$5', '5 bucks'),
    ('\\$5', '500¢'),
    ('0.005 \\text{ s}', '5 \\text{ ms}'),
    ('5 \\mu\\text{m}', '5000 \\text{ nm}'),
    ('5 \\text{ L}', '5 \\text{ dm}^3'),
    ('5 \\text{ mL}', '5 \\text{ cc}'),
    ('1 \\text{ km}^2', '100 \\text{ ha}'),
    ('5 \\text{ kPa}', '5000 \\text{ Pa}'),
    ('20^\\circ C', '20 \\text{ degrees}'),
]

#: Readings the unit bench's helper-labelled items asked for: an angle in degrees against one in radians
#: (converted through pi/180), an amount written in parts (2 hours 30 minutes), and a product of units
#: with a negative power (m s^{-2}). Each beside wrong pairs of the same shapes.
ANGLES_PARTS_PRODUCTS_RIGHT = [
    (r"45^\circ", r"\frac{\pi}{4}"), (r"\frac{\pi}{3}", r"60^\circ"), (r"180^\circ", r"\pi"),
    (r"45^\circ", r"0.25\pi"), (r"\frac{\pi}{4}", r"45 \text{ degrees}"), (r"90^\circ", r"\frac{\pi}{2} \text{ rad}"),
    ("2 hours 30 minutes", r"150\text{ minutes}"), ("1.5 h", r"1\text{ h } 30\text{ min}"),
    ("2.5", "2 hours 30 minutes"),
    ("63 in", "5 ft 3 in"), ("5.25 ft", "5 feet 3 inches"), ("2 h", "1 h and 60 min"), ("1.25 m", "1 m 25 cm"),
    ("9.8 m/s^2", r"9.8\text{ m s}^{-2}"), ("9.8 m/s^2", r"980 \text{ cm s}^{-2}"),
    ("3 m/s", r"3 \text{ m}\cdot\text{s}^{-1}"),
    # a second round's: algebra in golds and answers is no unit product, pi in a degree gold is no radian
    (r"2 s t^{-1}", r"\frac{2s}{t}"), (r"2 m g^{-1}", r"\frac{2m}{g}"), (r"\frac{180}{\pi}^\circ", r"\frac{180}{\pi}"),
    (r"4.2 \text{ J/g}", r"4.2 \text{ J g}^{-1}"), (r"4200 \text{ J/kg}", r"4.2 \text{ J g}^{-1}"),
]
ANGLES_PARTS_PRODUCTS_WRONG = [
    (r"45^\circ", r"\frac{\pi}{3}"), (r"\frac{\pi}{3}", r"45^\circ"), (r"\frac{\pi}{6}", r"\frac{\pi}{6}^\circ"),
    (r"45^\circ", r"\frac{\pi}{4} \text{ m}"), (r"45^\circ", r"0.7853981634 \text{ rad}"),
    (r"45^\circ", r"\frac{\pi}{4} \text{ cm } 45^\circ"), (r"\frac{\pi}{4}", "45"),
    ("1.5 h", "1 h 20 min"), ("2 hours 30 minutes", "130 minutes"), ("2 h", "1 h 61 min"), ("5 m", "5 m 3 m"),
    ("2.5 h", "30 min 2 h"), ("5 ft 3 in", "5 ft 4 in"), ("1.25 m", "1 m 25 kg"), ("2 h", "1 h 60 cm"),
    ("9.8 m/s^2", "9.8 m s^{-1}"), ("9.8 m/s^2", "9.8 m s^{2}"), ("9.8 m/s^2", r"9.8 \text{ cm s}^{-2}"),
    ("3 m/s", "3 m kg^{-1}"), ("3 m/s", "3 apples s^{-1}"),
    # a second round's: a percent angle, a product with a Celsius offset or no dimension, parts in a list
    (r"30^\circ", r"\frac{\pi}{6}\%"), ("27 K", r"27 \text{ C m m}^{-1}"), ("5", r"5 \text{ km m}^{-1}"),
    ("5 m, 3 cm", "503 cm"), ("503 cm", "5 m, 3 cm"), ("9.8 m/s^2", "9.8 m s^{-3}"),
]


@pytest.mark.parametrize(("gold", "answer"),
                         WRONG_UNIT + RED_TEAM_WRONG + RED_TEAM3_WRONG + ANGLES_PARTS_PRODUCTS_WRONG)
def test_a_different_unit_is_wrong(math_v, gold: str, answer: str) -> None:
    verdict = math_v.verify(answer if r"\boxed" in answer else B % answer, gold)
    assert verdict.score == 0.0, (gold, answer, verdict.reason)


@pytest.mark.parametrize(("gold", "answer"), RIGHT + RED_TEAM_RIGHT + RED_TEAM3_RIGHT + ANGLES_PARTS_PRODUCTS_RIGHT)
def test_the_same_quantity_is_right(math_v, gold: str, answer: str) -> None:
    verdict = math_v.verify(answer if r"\boxed" in answer else B % answer, gold)
    assert verdict.score == 1.0, (gold, answer, verdict.reason)


def test_the_reason_names_both_units(math_v) -> None:
    verdict = math_v.verify(B % r"5 \text{ cm}", r"5 \text{ kg}")
    assert verdict.reason.startswith("unit-different") and "cm" in verdict.reason and "kg" in verdict.reason


def test_a_wrong_converted_value_is_wrong(math_v) -> None:
    assert math_v.verify(B % r"50 \text{ cm}", r"5 \text{ m}").score == 0.0
    assert math_v.verify(B % r"3.28 \text{ ft}", r"1 \text{ m}").score == 0.0  # 0.999744 m


@pytest.mark.parametrize("text", ["x + 5", r"2\pi r", r"x \in (0, 1)", "300K", "2m", "5 apples", r"5\text{ units}",
                                  r"\min(3, 4)", "3 in 4", r"(C) 12", "$5$"])
def test_no_unit_is_read_where_there_is_none(text: str) -> None:
    assert trailing_unit(text) is None, text


def unit_ratio(answer: str, gold: str):
    a, g = trailing_unit(answer), trailing_unit(gold)
    return None if a is None or g is None else conversion(a, g)


def test_names_a_unit() -> None:
    assert names_a_unit("5 apples cm") and names_a_unit(r"5 \, \text{c m}") and names_a_unit("3 hours later")
    assert not names_a_unit("x in [1, 2]") and not names_a_unit(r"\min(3, 4)") and not names_a_unit("5 m")


def test_conversions() -> None:
    assert unit_ratio("500 cm", "5 m") == Conversion(Fraction(1, 100))
    assert unit_ratio(r"212^\circ F", r"100^\circ C") == Conversion(Fraction(5, 9), Fraction(-160, 9))
    assert unit_ratio("5 m", "5 meters") is None
    assert unit_ratio("5", "5 m") is None
    assert isinstance(unit_ratio("5 kg", "5 m"), str)
    assert trailing_unit(r"5\sqrt{2}\,\text{ square cm}").value == r"5\sqrt{2}"


def test_hostile_text_never_raises() -> None:
    """Model output is hostile: any mix of numbers, unit words, wrappers and junk gives a unit or None."""
    import random

    rng = random.Random(7)
    tokens = ["5", "0", "}", ")", r"\pi", " ", "/", "per", "square", "cubic", "sq.", "^2", "^{3}", r"\text{", "{",
              "m", "cm", "K", "C", "°", r"^\circ", r"\$", "$", "months", "feet", "mph", "km/h", "inches", "s", ".",
              "é", "\x00", "\\", "per per", "//", "lbs", "units", "1e308"]
    for _ in range(3000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 12)))
        got = trailing_unit(text)
        assert got is None or got.name
        ratio = unit_ratio(text, "5 m")
        assert ratio is None or isinstance(ratio, (Conversion, str))
    assert trailing_unit("1" + "a" * 100_000 + "!") is None
    assert trailing_unit("1 " * 50_000 + "m") is not None


def test_unit_after_the_box() -> None:
    from zeroplay.verifiers.math.units import unit_after

    assert unit_after(r"\text{ cm}.") == r"\text{ cm}" and unit_after(" grams.") == "grams"
    assert unit_after("$ km.") == "km" and unit_after(r"\%") == r"\%"
    assert unit_after(" is the answer.") == "" and unit_after(" in total.") == "" and unit_after("") == ""
