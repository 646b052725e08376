"""Reading X12 elements: the content error a set reports, and the element readers.

Every reader takes a segment, an element position and what the element is
(``W1203 number of units shipped``), reads the value through the shared
field layer (``formats/fields.py``) and raises :class:`Bad` naming the
element and the value, with the AK3/AK4 codes a 997 needs to report it.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from dockline.warehouses.formats import fields
from dockline.warehouses.formats.fields import FieldError, show
from dockline.warehouses.formats.x12.envelope import Segment

VERSION = "004010"  # GS08 written (ISA12 is its first five digits, 00401)

FUNCTIONAL_IDS = {"940": "OW", "945": "SW", "846": "IB", "870": "RS", "997": "FA"}
SET_NAMES = {
    "940": "Warehouse Shipping Order",
    "945": "Warehouse Shipping Advice",
    "846": "Inventory Inquiry/Advice",
    "870": "Order Status Report",
    "997": "Functional Acknowledgment",
}

# Product/Service ID qualifiers (X12 element 235) tried, after the configured one, to find the SKU.
SKU_QUALIFIERS = ("VN", "SK", "BP", "IN", "MG", "VP", "UP", "EN", "UK", "CB", "PI", "ZZ")

# US time codes (X12 element 623) -> fixed UTC offsets in hours, or an IANA zone.
_TIME_CODES: dict[str, int | str] = {
    "UT": 0, "GM": 0, "Z": 0,
    "ES": -5, "CS": -6, "MS": -7, "PS": -8, "AS": -4, "HS": -10,
    "ED": -4, "CD": -5, "MD": -6, "PD": -7, "AD": -3,
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver", "PT": "America/Los_Angeles",
}
# FieldError kinds -> AK4 codes (X12 element 723).
_AK4 = {fields.MISSING: "1", fields.INVALID: "6", fields.OUT_OF_RANGE: "7", fields.BAD_DATE: "8", fields.BAD_TIME: "9"}


class Bad(Exception):
    """A content error in a transaction set, with what a 997 needs to report it.

    `seg`/`element` point at the segment and element in error; without `seg`,
    `missing` names a mandatory segment that is absent (AK3 code 3).
    """

    def __init__(
        self,
        reason: str,
        seg: Segment | None = None,
        element: int | None = None,
        *,
        seg_code: str = "8",
        el_code: str = "7",
        missing: str = "",
        after: Segment | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.seg = seg
        self.after = after  # with `missing`: the segment the missing one should have followed
        self.element = element
        self.seg_code = seg_code if seg is not None else "3"
        self.el_code = el_code
        self.missing = missing


def name(seg: Segment, n: int, what: str) -> str:
    """``W1203 number of units shipped``: how messages name an element."""
    return f"{seg.id}{n:02d} {what}"


def _read(reader, seg: Segment, n: int, what: str, **options):
    try:
        return reader(seg.el(n), name(seg, n, what), **options)
    except FieldError as bad:
        raise Bad(str(bad), seg, n, el_code=_AK4[bad.kind]) from None


def required(seg: Segment, n: int, what: str) -> str:
    return _read(fields.required, seg, n, what)


def number(seg: Segment, n: int, what: str) -> Decimal | None:
    return _read(fields.number, seg, n, what)


def whole(seg: Segment, n: int, what: str, *, minimum: int | None = None, required: bool = True) -> int | None:
    return _read(fields.whole, seg, n, what, minimum=minimum, required=required)


def measure(seg: Segment, n: int, what: str) -> Decimal | None:
    return _read(fields.number, seg, n, what, negative=False)


def _date(seg: Segment, n: int, what: str) -> datetime:
    raw = seg.el(n)
    if not raw:
        raise Bad(f"{name(seg, n, what)} is empty", seg, n, el_code="1")
    try:
        if len(raw) == 8 and raw.isdigit():
            return datetime(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
        if len(raw) == 6 and raw.isdigit():  # YYMMDD (older releases)
            return datetime(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:6]))
    except ValueError:
        pass
    raise Bad(f"{name(seg, n, what)} {show(raw)} is not a date (CCYYMMDD)", seg, n, el_code="8")


def _time(seg: Segment, n: int, what: str) -> timedelta:
    raw = seg.el(n)
    if not raw:
        return timedelta(0)
    if raw.isdigit() and len(raw) in (4, 6, 7, 8):
        h, m = int(raw[:2]), int(raw[2:4])
        s = int(raw[4:6]) if len(raw) >= 6 else 0
        frac = raw[6:]
        if h < 24 and m < 60 and s < 60:
            micro = int(frac.ljust(6, "0")) if frac else 0
            return timedelta(hours=h, minutes=m, seconds=s, microseconds=micro)
    raise Bad(f"{name(seg, n, what)} {show(raw)} is not a time (HHMM or HHMMSS)", seg, n, el_code="9")


def _zone(seg: Segment, n: int) -> timezone | object:
    code = seg.el(n).upper()
    if not code:
        return UTC
    zone = _TIME_CODES.get(code)
    if isinstance(zone, int):
        return timezone(timedelta(hours=zone))
    if isinstance(zone, str):
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(zone)
        except Exception:  # noqa: BLE001 - no tz database: fall back to standard time
            return timezone(timedelta(hours={"ET": -5, "CT": -6, "MT": -7, "PT": -8}[code]))
    if code == "LT":
        return UTC  # "local time" of an unknown place: read as UTC (documented)
    raise Bad(f"{seg.id}{n:02d} time code {show(code)} is not known", seg, n)


def when(seg: Segment, date_n: int, time_n: int | None, zone_n: int | None, what: str) -> datetime:
    """A date element, with its time and time-code elements when given, in UTC."""
    day = _date(seg, date_n, what)
    local = day + (_time(seg, time_n, what) if time_n else timedelta(0))
    zone = _zone(seg, zone_n) if zone_n else UTC
    return local.replace(tzinfo=zone).astimezone(UTC)


def pounds(value: Decimal, unit: str, seg: Segment, n: int) -> Decimal:
    unit = unit.upper()
    if unit in ("", "LB", "L", "01"):
        return value
    if unit in ("KG", "K"):
        return (value * Decimal("2.20462262")).quantize(Decimal("0.001"))
    if unit in ("OZ", "Z"):
        return (value / Decimal(16)).quantize(Decimal("0.001"))
    raise Bad(f"{seg.id}{n:02d} weight unit {show(unit)} is not LB, KG or OZ", seg, n)


def inches(value: Decimal, unit: str, seg: Segment, n: int) -> Decimal:
    unit = unit.upper()
    if unit in ("", "IN"):
        return value
    if unit == "CM":
        return (value / Decimal("2.54")).quantize(Decimal("0.01"))
    if unit == "FT":
        return value * 12
    raise Bad(f"{seg.id}{n:02d} length unit {show(unit)} is not IN, CM or FT", seg, n)


def num(value: Decimal | int) -> str:
    """A number as X12 writes it: no exponent, no trailing zeros."""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
