"""What a person's text must be: not blank to the eye, and (for names) free of bidirectional controls.

`strip()` leaves text that shows nothing: a zero-width space, a word joiner, a Hangul filler, a braille
blank. Such a chat line or name is refused as empty. A name with a right-to-left override (U+202E) would
turn the text after it around wherever it is shown (the chat, the debrief, a CSV), so names lose every
bidirectional control; letters of right-to-left scripts stay and display as they should.
"""

from __future__ import annotations

import unicodedata

# Embeddings, overrides, isolates and marks (Unicode's Bidi_Control property).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that are drawn as nothing, though not in the format or space categories.
BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e")
_INVISIBLE_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"))


def is_blank(text: str) -> bool:
    """True when nothing of `text` would be seen: only spaces, controls, format characters and blanks."""
    return all(char in BLANK_GLYPHS or unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in text)


def name_key(name: str) -> str:
    """What makes two names at a table the same person's: case and every space ignored ("Dina", " dina ",
    "DI NA" are one name).

    >>> name_key(" Di na ") == name_key("DINA")
    True
    """
    return "".join(clean_name(name).split()).casefold()


def clean_name(name: str) -> str:
    """The name without bidirectional controls or other control characters, trimmed."""
    return "".join(char for char in name if char not in BIDI_CONTROLS and unicodedata.category(char) != "Cc").strip()
