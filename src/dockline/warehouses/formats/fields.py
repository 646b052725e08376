"""Reading one value of a warehouse file, the same way in every format.

Each reader takes the raw value and the name of its field — a DSFX column
(``quantity``), a JSON path (``shipments[3].lines[0].quantity``) or an X12
element (``W1203 number of units shipped``) — and returns the value, or raises
:class:`FieldError` naming the field and the value. Formats catch it and turn
it into a ``RowError``, so parsing still never raises.

Text values may come as strings, or (JSON) as numbers; numbers may come as
strings or as numbers. Blank strings count as absent.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")  # no exponent in a text
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_ABSENT = object()

# What kind of problem a FieldError is (an X12 997 turns each into an AK4 code).
MISSING, INVALID, OUT_OF_RANGE, BAD_DATE, BAD_TIME = "missing", "invalid", "range", "date", "time"


class FieldError(ValueError):
    """A value that cannot be read: `field` names it, `value` is what the file said."""

    def __init__(self, field: str, reason: str, value: Any = _ABSENT, *, kind: str = INVALID):
        self.field, self.reason, self.kind = field, reason, kind
        self.value = None if value is _ABSENT else value
        super().__init__(f"{field} {reason}" if value is _ABSENT else f"{field} {show(value)} {reason}")


def show(value: Any) -> str:
    """A value as the file had it, quoted and cut to 40 characters."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def required(value: Any, field: str) -> str:
    """Text that must be there, stripped."""
    if absent(value):
        raise FieldError(field, "is empty", kind=MISSING)
    return str(value).strip()


def number(value: Any, field: str, *, negative: bool = True, required: bool = False) -> Decimal | None:
    """A decimal number (text or number); None when absent and not required."""
    if absent(value):
        if required:
            raise FieldError(field, "is empty", kind=MISSING)
        return None
    parsed: Decimal | None = None
    if isinstance(value, bool):
        parsed = None
    elif isinstance(value, (int, Decimal)):
        parsed = Decimal(value)
    elif isinstance(value, float):
        parsed = Decimal(repr(value))
    elif isinstance(value, str) and _NUMBER.match(value.strip()) and len(value.strip()) <= 30:
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            parsed = None
    if parsed is None or not parsed.is_finite():
        raise FieldError(field, "is not a number", value)
    if not negative and parsed < 0:
        raise FieldError(field, "must not be negative", value, kind=OUT_OF_RANGE)
    return parsed


def whole(value: Any, field: str, *, minimum: int | None = None, required: bool = True) -> int | None:
    """A whole number (``5``, ``"5"``, ``"5.0"``); None when absent and not required."""
    if absent(value):
        if required:
            raise FieldError(field, "is empty", kind=MISSING)
        return None
    try:
        parsed = number(value, field)
    except FieldError:
        raise FieldError(field, "is not a whole number", value) from None
    if parsed is None or parsed != parsed.to_integral_value() or abs(parsed) >= 10**18:
        raise FieldError(field, "is not a whole number", value)
    result = int(parsed)
    if minimum is not None and result < minimum:
        raise FieldError(field, f"must be at least {minimum}", value, kind=OUT_OF_RANGE)
    return result


def moment(value: Any, field: str, *, required: bool = True) -> datetime | None:
    """An ISO 8601 date and time; without a zone it is UTC. None when absent and not required."""
    if absent(value):
        if required:
            raise FieldError(field, "is empty", kind=MISSING)
        return None
    if not isinstance(value, str):
        raise FieldError(field, "is not an ISO 8601 date and time text", value, kind=BAD_DATE)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        raise FieldError(field, "is not an ISO 8601 date and time", value, kind=BAD_DATE) from None


def utc(at: datetime) -> datetime:
    """`at` in UTC; a naive time is taken as UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def file_part(value: str, field: str) -> str:
    """`value` made safe for a file name: other characters than ``[A-Za-z0-9_.-]`` become ``-``."""
    cleaned = _UNSAFE.sub("-", str(value).strip())[:80]
    if not cleaned:
        raise ValueError(f"{field} is empty")
    return cleaned
