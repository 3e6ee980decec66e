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
