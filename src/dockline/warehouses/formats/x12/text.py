"""Text as X12 sends it: the basic or the extended character set, and word-boundary pieces.

X12 004010 defines a basic character set (upper-case letters, digits, space and
``! " & ' ( ) * + , - . / : ; ? =``) that every partner must accept, and an
extended set (adds lower-case letters and ``% @ [ ] _ { } \\ | < > ~ ^ ` # $``)
used by agreement. Free text is transliterated into the chosen set
(``Zoë`` -> ``ZOE`` in basic, ``Zoe`` in extended); characters with no
equivalent become spaces. Identifiers are never changed: one that does not fit
is refused by the caller.
"""
from __future__ import annotations

import string
import unicodedata

BASIC = frozenset(string.ascii_uppercase + string.digits + " !\"&'()*+,-./:;?=")
EXTENDED = BASIC | frozenset(string.ascii_lowercase + "%@[]_{}\\|<>~^`#$")
_SPELLED = {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
            "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "ı": "i"}


def transliterate(value: str, allowed: frozenset[str]) -> str:
    """`value` in the allowed set: accents dropped, upper-cased for the basic set, others -> space;
    runs of spaces become one and the ends are stripped."""
    value = "".join(_SPELLED.get(c, c) for c in str(value or ""))
    value = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    if "a" not in allowed:
        value = value.upper()
    return " ".join("".join(c if c in allowed else " " for c in value).split())


def fits(value: str, allowed: frozenset[str]) -> bool:
    return all(c in allowed for c in value)


def pieces(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, broken at spaces; a longer word is cut."""
    out: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > size:
            if current:
                out.append(current)
                current = ""
            out.append(word[:size])
            word = word[size:]
        if not word:
            continue
        if current and len(current) + 1 + len(word) > size:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


def shorten(text: str, size: int) -> str:
    """`text` cut to `size` characters at a space when one is near the end."""
    if len(text) <= size:
        return text
    cut = text[:size]
    space = cut.rfind(" ")
    return cut[:space].rstrip() if space >= size // 2 else cut
