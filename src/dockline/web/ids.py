"""Reading object ids typed into a query string or a form: a bad one answers 400, never a 500.

A database id is a 64-bit signed integer; a number past that range cannot name anything, and
handing it to the database raises an overflow error instead of "not found".
"""
from __future__ import annotations

from django.core.exceptions import BadRequest

MAX_ID = 2**63 - 1


def is_id(raw: str) -> bool:
    """True for a plain decimal number from 1 to 2**63 - 1."""
    return raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID


def parse_id(raw: str | None, what: str) -> int:
    """The id in `raw`, or BadRequest (400) naming `what` ("store", "connection")."""
    raw = (raw or "").strip()
    if not is_id(raw):
        raise BadRequest(f"That is not a {what} number: {raw[:40]!r}.")
    return int(raw)
