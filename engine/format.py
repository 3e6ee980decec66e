"""Money as people read it: "12,5 mio. kr." in Danish, "DKK 12.5m" in English."""

from __future__ import annotations

MINUS = "\u2212"  # a typographic minus, as in the brief's "−4 / −8"


def format_mio(value: float, lang: str = "da") -> str:
    """Mio. kr. with one decimal; Danish uses a decimal comma and thousands dots.

    >>> format_mio(1234.56)
    '1.234,6 mio. kr.'
    >>> format_mio(-4, "en")
    'DKK −4.0m'
    """
    rounded = round(value, 1)
    sign = MINUS if rounded < 0 else ""  # so -0.04 reads "0,0", not "−0,0"
    digits = f"{abs(rounded):,.1f}"
    if lang == "en":
        return f"DKK {sign}{digits}m"
    danish = digits.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{sign}{danish} mio. kr."


def parse_number(text: str) -> float | None:
    """A number as a person types it, Danish or English: a decimal comma or point, thousands dots, spaces or
    commas, a typographic minus and a trailing unit ignored. None when it is not a number. The same rules as
    clients/web/static/js/format.js's `parseNumber` (tests/web/test_numbers.py compares them).

    One separator alone is the decimal separator (",": Danish, ".": English), unless it is repeated or both
    appear: then the last kind is the decimal separator and the other groups thousands.

    >>> parse_number("12,5")
    12.5
    >>> parse_number("12.5")
    12.5
    >>> parse_number("1.234,5 mio. kr.")
    1234.5
    >>> parse_number("1,234.5")
    1234.5
    >>> parse_number("1.000.000")
    1000000.0
    >>> parse_number("\u22124")
    -4.0
    >>> parse_number("tolv") is None
    True
    """
    value = text.strip().replace(MINUS, "-").replace("\u00a0", " ")
    for unit in ("mio. kr.", "mio.kr.", "mio kr", "mio.", "kr.", "dkk", "min.", "min", "m"):
        if value.lower().endswith(unit):
            value = value[: -len(unit)].strip()
            break
    if value.lower().startswith("dkk"):
        value = value[3:].strip()
    value = value.replace(" ", "")
    if "," in value and "." in value:
        decimal = "," if value.rfind(",") > value.rfind(".") else "."
    elif value.count(",") > 1:
        decimal = "."  # "1,000,000": thousands commas
    elif value.count(".") > 1:
        decimal = ","  # "1.000.000": thousands dots
    else:
        decimal = "," if "," in value else "."
    thousands = "." if decimal == "," else ","
    value = value.replace(thousands, "").replace(decimal, ".")
    sign = ""
    if value[:1] in "+-" and value:
        sign, value = value[0], value[1:]
    if not value or not all(c in "0123456789." for c in value) or value.count(".") > 1 or value == ".":
        return None
    return float(sign + value)
