"""ANSI X12 004010 warehouse documents: 940 out; 945, 846 in; 997 both ways.

See docs/formats/x12.md for every segment used. In short:

* ``940_<order>_<yymmddhhmmss>.edi`` — Warehouse Shipping Order (GS01 ``OW``),
  one transaction set per order.
* ``945_*.edi`` — Warehouse Shipping Advice (``SW``), one set per shipment,
  one LX loop per package (MAN tracking/box, PAL weight and dimensions).
* ``846_*.edi`` — Inventory Inquiry/Advice (``IB``), a full snapshot:
  ``QTY*33`` is the quantity available for sale (what goes to stores),
  ``QTY*17`` the quantity on hand.
* ``997_*.edi`` — Functional Acknowledgment (``FA``), one set per group acknowledged.

Delimiters are read from each file's ISA segment (element separator at
position 3, sub-element separator at 104, segment terminator at 105);
line breaks after segment terminators are ignored.

Parsing never raises. Envelope violations (ISA/IEA, GS/GE, ST/SE control
numbers and counts) are :class:`RowError` entries naming the segment and the
reason, and the records they enclose are not read; a bad transaction set is
left out whole, with one error. ``RowError.line`` is the position of the
segment in the file, counting the ISA segment as 1.

Control numbers come from ``control_numbers.next(kind)`` for the kinds
``"interchange"``, ``"group"`` and ``"set"``. Production code passes a
database-backed source that never reuses a number per warehouse; without one,
:class:`MemoryControlNumbers` counts from 1 in memory — for tests only, since
it restarts with the process.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import ClassVar, Protocol

from dockline.core.types import (
    Address,
    Package,
    ShipmentLine,
    StockLevel,
    WarehouseLine,
    WarehouseOrder,
    WarehouseShipment,
)
from dockline.warehouses.formats.base import Parsed, RowError

VERSION = "004010"  # GS08
ISA_VERSION = "00401"  # ISA12

FUNCTIONAL_IDS = {"940": "OW", "945": "SW", "846": "IB", "997": "FA"}
SET_NAMES = {
    "940": "Warehouse Shipping Order",
    "945": "Warehouse Shipping Advice",
    "846": "Inventory Inquiry/Advice",
    "997": "Functional Acknowledgment",
}

QTY_AVAILABLE = "33"  # Quantity Available for Sale (stock quantity)
QTY_ON_HAND = "17"  # Quantity on Hand

# Product/Service ID qualifiers tried, after the configured one, to find the SKU.
SKU_QUALIFIERS = ("VN", "SK", "BP", "IN", "MG", "VP", "UP", "EN", "UK", "CB", "PI", "ZZ")

# ISA element separator positions when every field has its fixed width.
_ISA_SEPARATORS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_ISA_LENGTH = 106
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
_NUMBER = re.compile(r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_DIGITS = re.compile(r"^[0-9]+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

# 997 code texts (X12 data elements 716, 718, 720, 723) for plain-words reports.
AK5_CODES = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
}
AK9_CODES = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in the header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax",
}
AK3_CODES = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "mandatory segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
}
AK4_CODES = {
    "1": "mandatory data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
}
STATUS_WORDS = {
    "A": "accepted",
    "E": "accepted, but errors were noted",
    "P": "partially accepted",
    "R": "rejected",
    "M": "rejected, message authentication code failed",
    "W": "rejected, assurance failed validity tests",
    "X": "rejected, content could not be analyzed",
}

# US time codes (X12 element 623) -> fixed UTC offsets in hours, or an IANA zone.
_TIME_CODES: dict[str, int | str] = {
    "UT": 0, "GM": 0, "Z": 0,
    "ES": -5, "CS": -6, "MS": -7, "PS": -8, "AS": -4, "HS": -10,
    "ED": -4, "CD": -5, "MD": -6, "PD": -7, "AD": -3,
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver", "PT": "America/Los_Angeles",
}


# -- control numbers -----------------------------------------------------------------


class ControlNumbers(Protocol):
    def next(self, kind: str) -> int:
        """A fresh number for "interchange", "group" or "set"; never one handed out before."""


class MemoryControlNumbers:
    """Counters in memory, from 1. For tests and throwaway use only: a new process starts again at 1,
    so numbers repeat across restarts. Production passes a database-backed source."""

    def __init__(self, start: int = 1) -> None:
        self._next: dict[str, int] = {}
        self._start = start
        self._lock = threading.Lock()

    def next(self, kind: str) -> int:
        with self._lock:
            n = self._next.get(kind, self._start)
            self._next[kind] = n + 1
            return n


@dataclass(frozen=True)
class Envelope:
    """The control numbers used by the last render: record them to match 997s later."""

    functional_id: str
    interchange: int
    group: int
    sets: tuple[str, ...]


# -- the parsed envelope -----------------------------------------------------------------


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    subelement: str = ">"
    segment: str = "~"


@dataclass
class Segment:
    id: str
    elements: list[str]  # elements[0] is the segment id
    pos: int  # position in the file, ISA = 1
    sub: str = ">"  # the file's sub-element separator, for composite elements

    def component(self, n: int, k: int = 1) -> str:
        """Component k (1-based) of composite element n, stripped."""
        parts = self.el(n).split(self.sub)
        return parts[k - 1].strip() if k - 1 < len(parts) else ""

    def el(self, n: int) -> str:
        """Element n (1-based), stripped; "" when absent."""
        return self.elements[n].strip() if n < len(self.elements) else ""

    def raw(self, n: int) -> str:
        return self.elements[n] if n < len(self.elements) else ""


@dataclass
class TransactionSet:
    set_id: str  # ST01
    control: str  # ST02
    segments: list[Segment]  # ST .. SE inclusive (SE absent when missing)
    pos: int
    errors: list[RowError] = field(default_factory=list)  # envelope violations: the set is not read
    ak5_codes: list[str] = field(default_factory=list)

    @property
    def body(self) -> list[Segment]:
        end = -1 if self.segments and self.segments[-1].id == "SE" and len(self.segments) > 1 else None
        return self.segments[1:end]

    @property
    def label(self) -> str:
        return f"ST*{self.set_id}*{self.control}"


@dataclass
class FunctionalGroup:
    functional_id: str  # GS01
    sender: str  # GS02
    receiver: str  # GS03
    control: str  # GS06
    version: str  # GS08
    pos: int
    sets: list[TransactionSet] = field(default_factory=list)
    declared_sets: int | None = None  # GE01
    errors: list[RowError] = field(default_factory=list)  # envelope violations: no set is read
    ak9_codes: list[str] = field(default_factory=list)


@dataclass
class X12Interchange:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control: str  # ISA13
    usage: str  # ISA15: P production, T test
    version: str  # ISA12
    delimiters: Delimiters
    pos: int
    groups: list[FunctionalGroup] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # ISA/IEA violations: nothing is read

    @property
    def ok(self) -> bool:
        return not self.errors


# -- 997 results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SetAck:
    """AK2/AK5: how the receiver took one transaction set."""

    set_id: str  # AK201, e.g. "940"
    control: str  # AK202: the ST02 we sent
    status: str  # AK501: A, E, R (M, W, X are rejections too)
    codes: tuple[str, ...] = ()  # AK502..AK506
    segment_errors: tuple[str, ...] = ()  # AK3/AK4, in plain words

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    def describe(self) -> str:
        words = STATUS_WORDS.get(self.status, f"status {self.status}")
        reasons = [AK5_CODES.get(c, f"code {c}") for c in self.codes] + list(self.segment_errors)
        return f"{self.set_id} {self.control}: {words}" + (f" ({'; '.join(reasons)})" if reasons else "")


@dataclass(frozen=True)
class FunctionalAck:
    """One 997 transaction set: the acknowledgment of one functional group we sent."""

    functional_id: str  # AK101, e.g. "OW"
    group_control: int  # AK102: the GS06 we sent
    status: str  # AK901: A, E, P, R
    sets_included: int  # AK902
    sets_received: int  # AK903
    sets_accepted: int  # AK904
    codes: tuple[str, ...] = ()  # AK905..AK909
    sets: tuple[SetAck, ...] = ()
    interchange_control: str = ""  # ISA13 of the 997's own interchange
    set_control: str = ""  # ST02 of the 997

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    def describe(self) -> str:
        words = STATUS_WORDS.get(self.status, f"status {self.status}")
        reasons = [AK9_CODES.get(c, f"code {c}") for c in self.codes]
        text = (
            f"group {self.functional_id} {self.group_control}: {words}; "
            f"{self.sets_accepted} of {self.sets_received} set(s) accepted"
        )
        if reasons:
            text += f" ({'; '.join(reasons)})"
        bad = [s.describe() for s in self.sets if not s.accepted]
        return text + ("; " + "; ".join(bad) if bad else "")


# -- internal errors ---------------------------------------------------------------------------


class _BadFile(Exception):
    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.error = RowError(line, reason)


class _Bad(Exception):
    """A content error in a transaction set, with what a 997 needs to report it."""

    def __init__(
        self,
        reason: str,
        seg: Segment | None = None,
        element: int | None = None,
        *,
        seg_code: str = "8",
        el_code: str = "7",
        missing: str = "",
    ):
        super().__init__(reason)
        self.reason = reason
        self.seg = seg
        self.element = element
        self.seg_code = seg_code if seg is not None else "3"
        self.el_code = el_code
        self.missing = missing


def _show(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


# -- reading values ------------------------------------------------------------------------------


def _required(seg: Segment, n: int, what: str) -> str:
    value = seg.el(n)
    if not value:
        raise _Bad(f"{seg.id}{n:02d} {what} is empty", seg, n, el_code="1")
    return value


def _number(seg: Segment, n: int, what: str) -> Decimal | None:
    raw = seg.el(n)
    if not raw:
        return None
    if not _NUMBER.match(raw) or len(raw) > 30:
        raise _Bad(f"{seg.id}{n:02d} {what} {_show(raw)} is not a number", seg, n, el_code="6")
    return Decimal(raw)


def _whole(seg: Segment, n: int, what: str, *, minimum: int | None = None, required: bool = True) -> int | None:
    value = _number(seg, n, what)
    if value is None:
        if required:
            raise _Bad(f"{seg.id}{n:02d} {what} is empty", seg, n, el_code="1")
        return None
    if value != value.to_integral_value():
        raise _Bad(f"{seg.id}{n:02d} {what} {_show(seg.el(n))} is not a whole number", seg, n, el_code="6")
    number = int(value)
    if minimum is not None and number < minimum:
        raise _Bad(f"{seg.id}{n:02d} {what} {_show(seg.el(n))} must be at least {minimum}", seg, n)
    return number


def _measure(seg: Segment, n: int, what: str) -> Decimal | None:
    value = _number(seg, n, what)
    if value is not None and value < 0:
        raise _Bad(f"{seg.id}{n:02d} {what} {_show(seg.el(n))} must not be negative", seg, n)
    return value


def _date(seg: Segment, n: int, what: str) -> datetime:
    raw = seg.el(n)
    if not raw:
        raise _Bad(f"{seg.id}{n:02d} {what} is empty", seg, n, el_code="1")
    try:
        if len(raw) == 8 and raw.isdigit():
            return datetime(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
        if len(raw) == 6 and raw.isdigit():  # YYMMDD (older releases)
            return datetime(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:6]))
    except ValueError:
        pass
    raise _Bad(f"{seg.id}{n:02d} {what} {_show(raw)} is not a date (CCYYMMDD)", seg, n, el_code="8")


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
    raise _Bad(f"{seg.id}{n:02d} {what} {_show(raw)} is not a time (HHMM or HHMMSS)", seg, n, el_code="9")


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
    raise _Bad(f"{seg.id}{n:02d} time code {_show(code)} is not known", seg, n)


def _when(seg: Segment, date_n: int, time_n: int | None, zone_n: int | None, what: str) -> datetime:
    day = _date(seg, date_n, what)
    local = day + (_time(seg, time_n, what) if time_n else timedelta(0))
    zone = _zone(seg, zone_n) if zone_n else UTC
    return local.replace(tzinfo=zone).astimezone(UTC)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _num(value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _safe(part: str, what: str) -> str:
    cleaned = _UNSAFE.sub("-", part.strip())[:80]
    if not cleaned:
        raise ValueError(f"{what} is empty")
    return cleaned


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        raw = bytes(data)
    except TypeError:
        raise _BadFile(f"file content is {type(data).__name__}, not bytes") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # legacy 8-bit senders: every byte maps to one character


# -- tokenizing and the envelope ----------------------------------------------------------------------


def read_delimiters(text: str) -> tuple[Delimiters, int]:
    """The delimiters from the ISA segment, and where the ISA starts in `text`."""
    start = len(text) - len(text.lstrip())
    if text[start : start + 3] != "ISA":
        found = text[start : start + 20].strip()
        raise _BadFile(
            "the file does not start with an ISA interchange header"
            + (f" (it starts with {_show(found)})" if found else " (it is empty)"),
            1,
        )
    isa = text[start : start + _ISA_LENGTH]
    elem = isa[3] if len(isa) > 3 else ""
    if not elem or elem.isalnum() or elem.isspace():
        raise _BadFile(f"ISA: element separator {elem!r} (position 4) must be a special character", 1)
    if len(isa) == _ISA_LENGTH and all(isa[p] == elem for p in _ISA_SEPARATORS):
        sub, term = isa[104], isa[105]
    else:
        # Fields not padded to their fixed widths: find the 16th separator instead.
        seen, i = 0, start
        while i < len(text) and seen < 16:
            if text[i] == elem:
                seen += 1
            i += 1
        if seen < 16 or i + 1 >= len(text):
            raise _BadFile("ISA: the segment is cut short; it must have 16 elements and a segment terminator", 1)
        sub, term = text[i], text[i + 1]
    if term == elem or term == sub or sub == elem:
        raise _BadFile(
            f"ISA: the element separator {elem!r}, sub-element separator {sub!r} and segment terminator "
            f"{term!r} must all differ",
            1,
        )
    if term.isalnum() or (term.isspace() and term not in "\r\n"):
        raise _BadFile(f"ISA: segment terminator {term!r} (position 106) must be a special character or a line break", 1)
    if sub.isalnum() or sub.isspace():
        raise _BadFile(f"ISA: sub-element separator {sub!r} (position 105) must be a special character", 1)
    return Delimiters(elem, sub, term), start


def tokenize(text: str) -> tuple[Delimiters, list[Segment]]:
    delims, start = read_delimiters(text)
    segments: list[Segment] = []
    for piece in text[start:].split(delims.segment):
        piece = piece.lstrip().rstrip("\r\n")
        if not piece.strip():
            continue
        elements = piece.split(delims.element)
        segments.append(Segment(elements[0].strip(), elements, len(segments) + 1, delims.subelement))
    return delims, segments


def build_envelopes(delims: Delimiters, segments: list[Segment]) -> tuple[list[X12Interchange], list[RowError]]:
    """Interchanges, groups and sets, with every envelope violation recorded where it belongs."""
    interchanges: list[X12Interchange] = []
    stray: list[RowError] = []
    i, n = 0, len(segments)
    while i < n:
        seg = segments[i]
        if seg.id != "ISA":
            stray.append(RowError(seg.pos, f"segment {_show(seg.id)} is outside any interchange (after IEA or before ISA)"))
            i += 1
            continue
        ic = _read_isa(seg, delims)
        interchanges.append(ic)
        i += 1
        group: FunctionalGroup | None = None
        tx: TransactionSet | None = None
        closed = False
        while i < n:
            seg = segments[i]
            sid = seg.id
            if tx is not None and sid not in ("SE", "ST", "GS", "GE", "ISA", "IEA"):
                tx.segments.append(seg)
                i += 1
                continue
            if tx is not None and sid != "SE":
                _no_trailer(tx)
                tx = None
            if sid == "SE":
                if tx is None:
                    err = RowError(seg.pos, "SE without a matching ST")
                    (group.errors if group is not None else ic.errors).append(err)
                else:
                    tx.segments.append(seg)
                    _check_se(tx, seg)
                    tx = None
            elif sid == "ST":
                if group is None:
                    ic.errors.append(RowError(seg.pos, f"{seg.id}*{seg.el(1)}*{seg.el(2)} is outside a GS/GE functional group"))
                    group = FunctionalGroup("", "", "", "", "", seg.pos)
                    group.errors.append(RowError(seg.pos, "transaction sets without a GS header are not read"))
                    group.ak9_codes.append("3")
                    ic.groups.append(group)
                tx = TransactionSet(seg.el(1), seg.el(2), [seg], seg.pos)
                if not tx.set_id or not _DIGITS.match(tx.set_id):
                    tx.errors.append(RowError(seg.pos, f"ST01 transaction set identifier {_show(seg.el(1))} is missing or invalid"))
                    tx.ak5_codes.append("6")
                if not tx.control:
                    tx.errors.append(RowError(seg.pos, "ST02 transaction set control number is empty"))
                    tx.ak5_codes.append("7")
                group.sets.append(tx)
            elif sid == "GS":
                if group is not None and group.declared_sets is None and not group.errors:
                    _no_ge(group)
                group = _read_gs(seg)
                ic.groups.append(group)
            elif sid == "GE":
                if group is None:
                    ic.errors.append(RowError(seg.pos, "GE without a matching GS"))
                else:
                    _check_ge(group, seg)
                    group = None
            elif sid == "IEA":
                if group is not None:
                    _no_ge(group)
                    group = None
                _check_iea(ic, seg)
                i += 1
                closed = True
                break
            elif sid == "ISA":
                break
            else:
                where = f"{group.functional_id} group" if group is not None else "interchange"
                err = RowError(seg.pos, f"segment {_show(sid)} is outside a transaction set (in the {where})")
                (group.errors if group is not None else ic.errors).append(err)
            i += 1
        if not closed:
            if tx is not None:
                _no_trailer(tx)
            if group is not None and group.declared_sets is None:
                _no_ge(group)
            ic.errors.append(RowError(None, f"interchange {ic.control} has no IEA trailer: the file is cut short"))
    return interchanges, stray


def _read_isa(seg: Segment, delims: Delimiters) -> X12Interchange:
    ic = X12Interchange(
        sender_qualifier=seg.el(5),
        sender_id=seg.el(6),
        receiver_qualifier=seg.el(7),
        receiver_id=seg.el(8),
        control=seg.el(13),
        usage=seg.el(15),
        version=seg.el(12),
        delimiters=delims,
        pos=seg.pos,
    )
    if len(seg.elements) != 17:
        ic.errors.append(RowError(seg.pos, f"ISA has {len(seg.elements) - 1} elements, it must have 16"))
    if not _DIGITS.match(ic.control or "-"):
        ic.errors.append(RowError(seg.pos, f"ISA13 interchange control number {_show(seg.el(13))} is not a number"))
    if not ic.sender_id or not ic.receiver_id:
        ic.errors.append(RowError(seg.pos, "ISA06 sender or ISA08 receiver id is empty"))
    return ic


def _read_gs(seg: Segment) -> FunctionalGroup:
    group = FunctionalGroup(seg.el(1), seg.el(2), seg.el(3), seg.el(6), seg.el(8), seg.pos)
    if not _DIGITS.match(group.control or "-"):
        group.errors.append(RowError(seg.pos, f"GS06 group control number {_show(seg.el(6))} is not a number (group not read)"))
        group.ak9_codes.append("6")
    if not group.functional_id:
        group.errors.append(RowError(seg.pos, "GS01 functional identifier code is empty (group not read)"))
        group.ak9_codes.append("1")
    return group


def _same_number(a: str, b: str) -> bool:
    if _DIGITS.match(a or "-") and _DIGITS.match(b or "-"):
        return int(a) == int(b)
    return a == b


def _no_trailer(tx: TransactionSet) -> None:
    tx.errors.append(RowError(tx.pos, f"{tx.label} has no SE trailer (set not read)"))
    tx.ak5_codes.append("2")


def _check_se(tx: TransactionSet, se: Segment) -> None:
    count, control = se.el(1), se.el(2)
    if not _same_number(control, tx.control):
        tx.errors.append(RowError(se.pos, f"SE02 control number {_show(control)} does not match ST02 {_show(tx.control)} "
                                          f"of {tx.label} (set not read)"))
        tx.ak5_codes.append("3")
    actual = len(tx.segments)
    if not _DIGITS.match(count or "-") or int(count) != actual:
        tx.errors.append(RowError(se.pos, f"SE01 says {_show(count)} segments but {tx.label} has {actual} "
                                          "(ST and SE included; set not read)"))
        tx.ak5_codes.append("4")


def _no_ge(group: FunctionalGroup) -> None:
    group.errors.append(RowError(group.pos, f"GS*{group.functional_id} group {group.control} has no GE trailer (group not read)"))
    group.ak9_codes.append("3")


def _check_ge(group: FunctionalGroup, ge: Segment) -> None:
    count, control = ge.el(1), ge.el(2)
    group.declared_sets = int(count) if _DIGITS.match(count or "-") else -1
    if not _same_number(control, group.control):
        group.errors.append(RowError(ge.pos, f"GE02 group control number {_show(control)} does not match GS06 "
                                             f"{_show(group.control)} (group not read)"))
        group.ak9_codes.append("4")
    if group.declared_sets != len(group.sets):
        group.errors.append(RowError(ge.pos, f"GE01 says {_show(count)} transaction sets but group {group.control} has "
                                             f"{len(group.sets)} (group not read)"))
        group.ak9_codes.append("5")


def _check_iea(ic: X12Interchange, iea: Segment) -> None:
    count, control = iea.el(1), iea.el(2)
    if not _same_number(control, ic.control):
        ic.errors.append(RowError(iea.pos, f"IEA02 interchange control number {_show(control)} does not match ISA13 "
                                           f"{_show(ic.control)} (interchange not read)"))
    if not _DIGITS.match(count or "-") or int(count) != len(ic.groups):
        ic.errors.append(RowError(iea.pos, f"IEA01 says {_show(count)} functional groups but the interchange has "
                                           f"{len(ic.groups)} (interchange not read)"))


# -- the format ------------------------------------------------------------------------------


@dataclass
class _PackageDraft:
    tracking: str = ""
    box: str = ""
    weight: Decimal | None = None
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    has_pal: bool = False

    def build(self) -> Package:
        return Package(self.tracking, self.weight, self.length, self.width, self.height, self.box)


class X12Format:
    """X12 004010 940/945/846/997; see the module docstring and docs/formats/x12.md.

    settings: ``sender_id`` (Dockline's interchange id, default "DOCKLINE"),
    ``sender_qualifier`` ("ZZ"), ``receiver_id`` (the warehouse's, default
    "WAREHOUSE"), ``receiver_qualifier`` ("ZZ"), ``usage`` ("P" or "T"),
    ``facility`` (warehouse facility id), and optionally ``sku_qualifier``
    ("VN"), ``element_separator`` ("*"), ``subelement_separator`` (">"),
    ``segment_terminator`` ("~"), ``newline`` (True: a line break after each
    segment), ``strict_ids`` (False: True refuses files not addressed to us).
    """

    name: ClassVar[str] = "x12"
    label: ClassVar[str] = "X12 004010"
    order_pattern: ClassVar[re.Pattern] = re.compile(r"^940_[A-Za-z0-9_.-]+\.edi$")
    shipment_pattern: ClassVar[re.Pattern] = re.compile(r"^945_[A-Za-z0-9_.-]+\.edi$")
    inventory_pattern: ClassVar[re.Pattern] = re.compile(r"^846_[A-Za-z0-9_.-]+\.edi$")
    ack_pattern: ClassVar[re.Pattern] = re.compile(r"^997_[A-Za-z0-9_.-]+\.edi$")
    inventory_is_snapshot: ClassVar[bool] = True

    def __init__(self, settings: dict | None = None, control_numbers: ControlNumbers | None = None) -> None:
        settings = dict(settings or {})
        self.settings = settings
        self.sender_id = self._isa_id(settings.get("sender_id") or "DOCKLINE", "sender_id")
        self.sender_qualifier = self._qualifier(settings.get("sender_qualifier") or "ZZ", "sender_qualifier")
        self.receiver_id = self._isa_id(settings.get("receiver_id") or "WAREHOUSE", "receiver_id")
        self.receiver_qualifier = self._qualifier(settings.get("receiver_qualifier") or "ZZ", "receiver_qualifier")
        usage = str(settings.get("usage") or "P").strip().upper()
        if usage not in ("P", "T"):
            raise ValueError(f"usage must be P (production) or T (test), not {usage!r}")
        self.usage = usage
        self.facility = str(settings.get("facility") or settings.get("facility_id") or "").strip()
        self.sku_qualifier = str(settings.get("sku_qualifier") or "VN").strip().upper()
        if not re.fullmatch(r"[A-Z0-9]{2}", self.sku_qualifier):
            raise ValueError(f"sku_qualifier must be a 2-character code such as VN, not {self.sku_qualifier!r}")
        self.delimiters = Delimiters(
            str(settings.get("element_separator") or "*"),
            str(settings.get("subelement_separator") or ">"),
            str(settings.get("segment_terminator") or "~"),
        )
        d = self.delimiters
        if any(len(c) != 1 or c.isalnum() or c == " " for c in (d.element, d.subelement, d.segment)) or len(
            {d.element, d.subelement, d.segment}
        ) != 3:
            raise ValueError("the X12 delimiters must be three different single non-alphanumeric characters")
        newline = settings.get("newline", True)
        self.newline = str(newline).strip().lower() not in ("0", "false", "no", "off", "") and d.segment != "\n"
        self.strict_ids = str(settings.get("strict_ids", False)).strip().lower() in ("1", "true", "yes", "on")
        self.control_numbers: ControlNumbers = control_numbers or MemoryControlNumbers()
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.last_envelope: Envelope | None = None

    @staticmethod
    def _isa_id(value: str, what: str) -> str:
        value = str(value).strip()
        if not value or len(value) > 15 or _CONTROL_CHARS.search(value) or not value.isascii():
            raise ValueError(f"{what} must be 1 to 15 ASCII characters, not {value!r}")
        return value

    @staticmethod
    def _qualifier(value: str, what: str) -> str:
        value = str(value).strip().upper()
        if not re.fullmatch(r"[A-Z0-9]{2}", value):
            raise ValueError(f"{what} must be a 2-character code such as ZZ, not {value!r}")
        return value

    # -- file names --------------------------------------------------------------------

    def order_filename(self, order_number: str, at: datetime) -> str:
        return f"940_{_safe(order_number, 'order number')}_{_utc(at):%y%m%d%H%M%S}.edi"

    def shipment_filename(self, shipment_id: str, at: datetime) -> str:
        return f"945_{_safe(shipment_id, 'shipment id')}_{_utc(at):%y%m%d%H%M%S}.edi"

    def inventory_filename(self, at: datetime) -> str:
        at = _utc(at)
        return f"846_{at:%y%m%d%H%M%S}{at.microsecond // 1000:03d}.edi"

    def ack_filename(self, acknowledged_control: str | int, at: datetime) -> str:
        """``997_<control number of the interchange acknowledged>_<yymmddhhmmss>.edi``."""
        return f"997_{_safe(str(acknowledged_control), 'control number')}_{_utc(at):%y%m%d%H%M%S}.edi"

    # -- writing -----------------------------------------------------------------------------

    def _text(self, value: str) -> str:
        """Free text: delimiters and control characters become spaces."""
        d = self.delimiters
        value = _CONTROL_CHARS.sub(" ", str(value or ""))
        for c in (d.element, d.subelement, d.segment):
            value = value.replace(c, " ")
        return value

    def _ident(self, value: str, what: str) -> str:
        """An identifier: must be non-empty and free of delimiters (it has to come back unchanged)."""
        value = str(value or "").strip()
        if not value:
            raise ValueError(f"{what} is empty")
        d = self.delimiters
        bad = [c for c in (d.element, d.subelement, d.segment) if c in value]
        if bad or _CONTROL_CHARS.search(value):
            raise ValueError(f"{what} {value!r} contains an X12 delimiter or control character")
        return value

    def _optional_ident(self, value: str, what: str) -> str:
        return self._ident(value, what) if str(value or "").strip() else ""

    def _seg(self, *elements: str) -> str:
        parts = [str(e) for e in elements]
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        return self.delimiters.element.join(parts)

    def _next_control(self, kind: str) -> int:
        number = int(self.control_numbers.next(kind))
        if not 1 <= number <= 999_999_999:
            raise ValueError(f"{kind} control number {number} is outside 1..999999999")
        return number

    def _interchange(
        self,
        functional_id: str,
        sets: list[tuple[str, list[str]]],
        *,
        sender: tuple[str, str],
        receiver: tuple[str, str],
        gs_sender: str | None = None,
        gs_receiver: str | None = None,
    ) -> bytes:
        """ISA/GS/ST...SE/GE/IEA around `sets` (set id, body segments); records `last_envelope`."""
        now = _utc(self.clock())
        isa_control = self._next_control("interchange")
        d = self.delimiters
        isa = d.element.join(
            [
                "ISA", "00", " " * 10, "00", " " * 10,
                sender[0], sender[1].ljust(15), receiver[0], receiver[1].ljust(15),
                f"{now:%y%m%d}", f"{now:%H%M}", "U", ISA_VERSION, f"{isa_control:09d}", "0", self.usage, d.subelement,
            ]
        )
        segments = [isa]
        group_control = 0
        set_controls: list[str] = []
        if sets:
            group_control = self._next_control("group")
            segments.append(
                self._seg(
                    "GS", functional_id, gs_sender or sender[1], gs_receiver or receiver[1],
                    f"{now:%Y%m%d}", f"{now:%H%M%S}", str(group_control), "X", VERSION,
                )
            )
            for set_id, body in sets:
                control = f"{self._next_control('set'):04d}"
                set_controls.append(control)
                segments.append(self._seg("ST", set_id, control))
                segments.extend(body)
                segments.append(self._seg("SE", str(len(body) + 2), control))
            segments.append(self._seg("GE", str(len(sets)), str(group_control)))
        segments.append(self._seg("IEA", "1" if sets else "0", f"{isa_control:09d}"))
        self.last_envelope = Envelope(functional_id, isa_control, group_control, tuple(set_controls))
        joiner = d.segment + ("\n" if self.newline else "")
        return (joiner.join(segments) + joiner).encode("utf-8")

    @property
    def _us(self) -> tuple[str, str]:
        return (self.sender_qualifier, self.sender_id)

    @property
    def _them(self) -> tuple[str, str]:
        return (self.receiver_qualifier, self.receiver_id)

    # -- 940 (Dockline writes, the warehouse reads) --------------------------------------------

    def render_orders(self, orders: list[WarehouseOrder]) -> bytes:
        sets = [("940", self._order_body(o)) for o in orders]
        return self._interchange("OW", sets, sender=self._us, receiver=self._them)

    def _order_body(self, order: WarehouseOrder) -> list[str]:
        number = self._ident(order.order_number, "order number")
        if not order.lines:
            raise ValueError(f"order {number} has no lines")
        a = order.ship_to
        name, company = self._text(a.name).strip(), self._text(a.company).strip()
        if not name and not company:
            raise ValueError(f"order {number}: the ship-to address has no name or company")
        body = [self._seg("W05", "N", number)]
        body.append(self._seg("N1", "ST", name or company))
        if name and company:
            body.append(self._seg("N2", company))
        street1, street2 = self._text(a.street1).strip(), self._text(a.street2).strip()
        if street1 or street2:
            body.append(self._seg("N3", street1 or street2, street2 if street1 else ""))
        city, state = self._text(a.city).strip(), self._text(a.state).strip()
        postal, country = self._text(a.postal_code).strip(), self._text(a.country).strip()
        if city or state or postal or country:
            body.append(self._seg("N4", city, state, postal, country))
        phone = self._text(a.phone).strip()
        email = self._text(order.email or a.email).strip()
        if phone or email:
            contact = ["PER", "IC", name]
            if phone:
                contact += ["TE", phone]
            if email:
                contact += ["EM", email]
            body.append(self._seg(*contact))
        facility = self._optional_ident(order.facility or self.facility, "facility")
        if facility:
            body.append(self._seg("N1", "WH", facility))
        placed = _utc(order.placed_at)
        body.append(self._seg("G62", "04", f"{placed:%Y%m%d}", "Q", f"{placed:%H%M%S}", "UT"))
        notes = self._text(order.notes)
        for chunk in _chunks(notes, 80):
            body.append(self._seg("NTE", "WHI", chunk))
        carrier = self._optional_ident(order.carrier, "carrier")
        service = self._text(order.service).strip()
        if carrier or service:
            body.append(self._seg("W66", "PP", "U", "", "", service, "", "", "", "", carrier))
        seen: set[int] = set()
        total = 0
        for line in order.lines:
            if line.quantity < 1:
                raise ValueError(f"order {number}: line {line.line_no} quantity must be at least 1")
            if not 1 <= line.line_no <= 999_999:
                raise ValueError(f"order {number}: line number {line.line_no} must be 1..999999")
            if line.line_no in seen:
                raise ValueError(f"order {number}: line number {line.line_no} appears twice")
            seen.add(line.line_no)
            sku = self._ident(line.sku, f"order {number} line {line.line_no} SKU")
            body.append(self._seg("LX", str(line.line_no)))
            body.append(self._seg("W01", str(line.quantity), "EA", "", self.sku_qualifier, sku))
            for chunk in _chunks(self._text(line.description), 45)[:5]:
                body.append(self._seg("G69", chunk))
            total += line.quantity
        body.append(self._seg("W76", str(total)))
        return body

    def parse_orders(self, data: bytes) -> Parsed[WarehouseOrder]:
        return self._parse(data, "940", self._read_940, expect_to=self.receiver_id)

    def _read_940(self, tx: TransactionSet) -> list[WarehouseOrder]:
        number = ""
        placed: datetime | None = None
        ship: dict[str, str] = {}
        facility = carrier = service = email = ""
        notes: list[str] = []
        lines: list[WarehouseLine] = []
        entity = ""
        pending_no: int | None = None
        current: dict | None = None
        declared_total: tuple[int, Segment] | None = None
        first_w05: Segment | None = None

        def finish_line() -> None:
            if current is not None:
                lines.append(WarehouseLine(current["no"], current["sku"], current["qty"], current["desc"]))

        for seg in tx.body:
            sid = seg.id
            if sid not in ("N2", "N3", "N4", "PER"):
                entity = ""
            if sid == "W05":
                if first_w05 is not None:
                    raise _Bad("W05 appears twice", seg, seg_code="5")
                first_w05 = seg
                number = _required(seg, 2, "depositor order number")
            elif sid == "N1":
                entity = seg.el(1).upper()
                if entity == "ST":
                    ship["name"] = seg.el(2)
                elif entity == "WH":
                    facility = seg.el(4) or seg.el(2)
            elif entity == "ST" and sid == "N2":
                ship["company"] = seg.el(1)
            elif entity == "ST" and sid == "N3":
                if "street1" in ship:
                    ship["street2"] = " ".join(p for p in (ship.get("street2", ""), seg.el(1), seg.el(2)) if p)
                else:
                    ship["street1"], ship["street2"] = seg.el(1), seg.el(2)
            elif entity == "ST" and sid == "N4":
                ship["city"], ship["state"], ship["postal_code"], ship["country"] = (
                    seg.el(1), seg.el(2), seg.el(3), seg.el(4))
            elif entity == "ST" and sid == "PER":
                for q, v in ((3, 4), (5, 6), (7, 8)):
                    kind = seg.el(q).upper()
                    if kind == "TE" and seg.el(v):
                        ship["phone"] = seg.el(v)
                    elif kind == "EM" and seg.el(v):
                        email = seg.el(v)
            elif sid == "G62":
                if seg.el(1) == "04":
                    placed = _when(seg, 2, 4, 5, "order date")
            elif sid == "NTE":
                notes.append(seg.raw(2))
            elif sid == "W66":
                carrier, service = seg.el(10), seg.el(5)
            elif sid == "LX":
                pending_no = _whole(seg, 1, "assigned number", minimum=1)
            elif sid == "W01":
                finish_line()
                qty = _whole(seg, 1, "quantity ordered", minimum=1)
                unit = seg.el(2).upper()
                if unit and unit != "EA":
                    raise _Bad(f"W0102 unit {_show(unit)} is not EA (eaches); only eaches are supported", seg, 2)
                sku = self._sku(seg, ((4, 5), (6, 7), (15, 16)), upc=3)
                no = pending_no if pending_no is not None else len(lines) + 1
                if any(line.line_no == no for line in lines):
                    raise _Bad(f"line number {no} appears twice", seg, None)
                current = {"no": no, "sku": sku, "qty": qty, "desc": ""}
                pending_no = None
            elif sid == "G69":
                if current is not None:
                    current["desc"] += seg.raw(1)
            elif sid == "W76":
                declared_total = (_whole(seg, 1, "total quantity ordered", minimum=0), seg)
        finish_line()
        if first_w05 is None:
            raise _Bad("the W05 (shipping order identification) segment is missing", missing="W05")
        if placed is None:
            raise _Bad("no G62 segment with qualifier 04 (order date) was found", missing="G62")
        if not lines:
            raise _Bad("the order has no W01 (line item) segments", missing="W01")
        if declared_total is not None:
            total = sum(line.quantity for line in lines)
            if declared_total[0] != total:
                raise _Bad(f"W7601 total quantity {declared_total[0]} does not match the lines' {total}",
                           declared_total[1], 1)
        order = WarehouseOrder(
            order_number=number,
            placed_at=placed,
            ship_to=Address(
                name=ship.get("name", ""),
                company=ship.get("company", ""),
                street1=ship.get("street1", ""),
                street2=ship.get("street2", ""),
                city=ship.get("city", ""),
                state=ship.get("state", ""),
                postal_code=ship.get("postal_code", ""),
                country=ship.get("country", ""),
                phone=ship.get("phone", ""),
            ),
            carrier=carrier,
            service=service,
            lines=lines,
            email=email,
            notes="".join(notes),
            facility=facility,
        )
        return [order]

    def _sku(self, seg: Segment, pairs: tuple[tuple[int, int], ...], upc: int | None = None) -> str:
        found = {seg.el(q).upper(): seg.el(v) for q, v in pairs if seg.el(q) and seg.el(v)}
        for qualifier in (self.sku_qualifier, *SKU_QUALIFIERS):
            if found.get(qualifier):
                return found[qualifier]
        if found:
            return next(iter(found.values()))
        if upc is not None and seg.el(upc):
            return seg.el(upc)
        q, v = pairs[0]
        raise _Bad(
            f"{seg.id} has no SKU: expected {seg.id}{q:02d} {self.sku_qualifier} and the SKU in {seg.id}{v:02d}",
            seg, v, el_code="2",
        )

    # -- 945 (the warehouse writes, Dockline reads) ---------------------------------------------

    def render_shipments(self, shipments: list[WarehouseShipment]) -> bytes:
        sets = [("945", self._shipment_body(s)) for s in shipments]
        return self._interchange("SW", sets, sender=self._them, receiver=self._us)

    def _shipment_body(self, s: WarehouseShipment) -> list[str]:
        sid = self._ident(s.shipment_id, "shipment id")
        number = self._ident(s.order_number, f"shipment {sid} order number")
        if not s.lines:
            raise ValueError(f"shipment {sid} has no lines")
        shipped = _utc(s.shipped_at)
        body = [self._seg("W06", "F", number, f"{shipped:%Y%m%d}", sid)]
        body.append(self._seg("N1", "WH", self._optional_ident(self.facility, "facility") or self.receiver_id))
        body.append(self._seg("G62", "11", f"{shipped:%Y%m%d}", "8", f"{shipped:%H%M%S}", "UT"))
        carrier = self._optional_ident(s.carrier, "carrier")
        service = self._text(s.service).strip()
        if carrier or service:
            body.append(self._seg("W27", "U", carrier, service))
        loops: list[list[str]] = []
        for i, p in enumerate(s.packages, start=1):
            loop = [self._seg("LX", str(i))]
            tracking = self._optional_ident(p.tracking_number, f"shipment {sid} tracking number")
            box = self._optional_ident(p.box_id, f"shipment {sid} box id")
            if tracking:
                loop.append(self._seg("MAN", "CP", tracking, "", "ZZ" if box else "", box))
            elif box:
                loop.append(self._seg("MAN", "ZZ", box))
            dims = (p.weight, p.length, p.width, p.height)
            for v in dims:
                if v is not None and v < 0:
                    raise ValueError(f"shipment {sid}: package weights and dimensions must not be negative")
            if any(v is not None for v in dims):
                lw = [_num(v) if v is not None else "" for v in (p.length, p.width, p.height)]
                pal = ["PAL", "", "", "", "", "", "", *lw, "IN" if any(lw) else "",
                       _num(p.weight) if p.weight is not None else "", "LB" if p.weight is not None else ""]
                loop.append(self._seg(*pal))
            if len(loop) == 1:
                raise ValueError(f"shipment {sid}: package {i} has no tracking number, box id, weight or size")
            loops.append(loop)
        items = []
        total = 0
        for line in s.lines:
            if line.quantity < 1:
                raise ValueError(f"shipment {sid}: quantity of {line.sku} must be at least 1")
            sku = self._ident(line.sku, f"shipment {sid} SKU")
            items.append(self._seg("W12", "CC", "", str(line.quantity), "", "EA", "", self.sku_qualifier, sku))
            total += line.quantity
        if not loops:
            loops.append([self._seg("LX", "1")])
        loops[0].extend(items)
        for loop in loops:
            body.extend(loop)
        weights = [p.weight for p in s.packages if p.weight is not None]
        w03 = ["W03", str(total), _num(sum(weights, Decimal(0))) if weights else "", "LB" if weights else ""]
        if s.packages:
            w03 += ["", "", str(len(s.packages)), "CT"]
        body.append(self._seg(*w03))
        return body

    def parse_shipments(self, data: bytes) -> Parsed[WarehouseShipment]:
        result = self._parse(data, "945", self._read_945, expect_to=self.sender_id)
        seen: dict[str, int] = {}
        kept: list[WarehouseShipment] = []
        for s in result.items:
            if s.shipment_id in seen:
                result.errors.append(RowError(None, f"shipment {s.shipment_id} appears twice in the file; "
                                                    "the second one was not read"))
                continue
            seen[s.shipment_id] = 1
            kept.append(s)
        result.items = kept
        return result

    def _read_945(self, tx: TransactionSet) -> list[WarehouseShipment]:
        w06: Segment | None = None
        number = sid = ""
        shipped: datetime | None = None
        carrier = service = ""
        packages: list[_PackageDraft] = []
        loop_current: _PackageDraft | None = None
        in_items = False
        quantities: dict[str, int] = {}
        totals: tuple[int, Segment] | None = None
        for seg in tx.body:
            t = seg.id
            if t == "W06":
                if w06 is not None:
                    raise _Bad("W06 appears twice", seg, seg_code="5")
                w06 = seg
                number = _required(seg, 2, "depositor order number")
                sid = seg.el(4)
                if not sid:
                    raise _Bad("W0604 shipment identification number is empty", seg, 4, el_code="1")
                if shipped is None and seg.el(3):
                    shipped = _when(seg, 3, None, None, "shipment date")
            elif t == "G62":
                if seg.el(1) == "11":
                    shipped = _when(seg, 2, 4, 5, "ship date")
            elif t == "W27":
                carrier, service = seg.el(2), seg.el(3)
            elif t == "LX":
                loop_current = None
                in_items = False
            elif t == "MAN":
                if in_items:
                    continue
                qualifier, value = seg.el(1).upper(), seg.el(2)
                if not value:
                    raise _Bad("MAN02 marks and numbers is empty", seg, 2, el_code="1")
                pairs = [(qualifier, value)]
                if seg.el(4) and seg.el(5):
                    pairs.append((seg.el(4).upper(), seg.el(5)))
                first = True
                for q, v in pairs:
                    attr = "tracking" if q == "CP" else "box"
                    if loop_current is None or (first and getattr(loop_current, attr)):
                        loop_current = _PackageDraft()
                        packages.append(loop_current)
                    if not getattr(loop_current, attr):
                        setattr(loop_current, attr, v)
                    first = False
            elif t == "PAL":
                if in_items:
                    continue
                if loop_current is None or loop_current.has_pal:
                    loop_current = _PackageDraft()
                    packages.append(loop_current)
                loop_current.has_pal = True
                unit = seg.el(10).upper()
                for n, attr, what in ((7, "length", "length"), (8, "width", "width"), (9, "height", "height")):
                    value = _measure(seg, n, what)
                    if value is not None:
                        setattr(loop_current, attr, _inches(value, unit, seg, 10))
                weight = _measure(seg, 11, "gross weight per pack")
                if weight is None:
                    weight = _measure(seg, 5, "unit weight")
                    w_unit_n = 6
                else:
                    w_unit_n = 12
                if weight is not None:
                    loop_current.weight = _pounds(weight, seg.el(w_unit_n).upper(), seg, w_unit_n)
            elif t == "MEA":
                if in_items:
                    continue  # an item's measurement, not the package's
                if loop_current is None:
                    loop_current = _PackageDraft()
                    packages.append(loop_current)
                qualifier = seg.el(2).upper()
                value = _measure(seg, 3, "measurement value")
                unit = seg.component(4).upper()
                if value is None:
                    continue
                if qualifier in ("G", "WT", "N"):
                    loop_current.weight = _pounds(value, unit, seg, 4)
                elif qualifier in ("LN", "WD", "HT"):
                    attr = {"LN": "length", "WD": "width", "HT": "height"}[qualifier]
                    setattr(loop_current, attr, _inches(value, unit, seg, 4))
            elif t == "W12":
                in_items = True
                shipped_qty = _whole(seg, 3, "number of units shipped", minimum=0)
                unit = seg.el(5).upper()
                if unit and unit != "EA":
                    raise _Bad(f"W1205 unit {_show(unit)} is not EA (eaches); only eaches are supported", seg, 5)
                sku = self._sku(seg, ((7, 8), (17, 18), (21, 22)), upc=6)
                if shipped_qty:
                    quantities[sku] = quantities.get(sku, 0) + shipped_qty
            elif t == "W03":
                totals = (_whole(seg, 1, "number of units shipped", minimum=0), seg)
        if w06 is None:
            raise _Bad("the W06 (warehouse shipment identification) segment is missing", missing="W06")
        if shipped is None:
            raise _Bad("no ship date: neither W0603 nor a G62 with qualifier 11 is given", missing="G62")
        if not quantities:
            raise _Bad(f"shipment {sid} has no W12 line with a shipped quantity", missing="W12")
        if totals is not None and totals[0] != sum(quantities.values()):
            raise _Bad(f"W0301 says {totals[0]} units shipped but the W12 lines add up to {sum(quantities.values())}",
                       totals[1], 1)
        return [
            WarehouseShipment(
                shipment_id=sid,
                order_number=number,
                shipped_at=shipped,
                carrier=carrier,
                service=service,
                packages=[p.build() for p in packages],
                lines=[ShipmentLine(sku, qty) for sku, qty in quantities.items()],
            )
        ]

    # -- 846 (the warehouse writes, Dockline reads) -------------------------------------------------

    def render_inventory(self, levels: list[StockLevel]) -> bytes:
        runs: list[tuple[str, list[StockLevel]]] = []
        for level in levels:
            facility = level.facility or self.facility
            if runs and runs[-1][0] == facility:
                runs[-1][1].append(level)
            else:
                runs.append((facility, [level]))
        sets = [("846", self._inventory_body(facility, run)) for facility, run in runs]
        return self._interchange("IB", sets, sender=self._them, receiver=self._us)

    def _inventory_body(self, facility: str, levels: list[StockLevel]) -> list[str]:
        stamps = [_utc(level.as_of) for level in levels if level.as_of is not None]
        at = stamps[0] if stamps else _utc(self.clock())
        body = [self._seg("BIA", "00", "DD", f"INV{at:%Y%m%d%H%M%S}", f"{at:%Y%m%d}", f"{at:%H%M%S}")]
        facility = self._optional_ident(facility, "facility")
        if facility:
            body.append(self._seg("N1", "WH", facility))
        for level in levels:
            sku = self._ident(level.sku, "SKU")
            if level.on_hand < 0:
                raise ValueError(f"SKU {sku}: on hand must not be negative")
            body.append(self._seg("LIN", "", self.sku_qualifier, sku))
            if level.as_of is not None:
                when = _utc(level.as_of)
                body.append(self._seg("DTM", "007", f"{when:%Y%m%d}", f"{when:%H%M%S}", "UT"))
            body.append(self._seg("QTY", QTY_ON_HAND, str(level.on_hand), "EA"))
            body.append(self._seg("QTY", QTY_AVAILABLE, str(level.available), "EA"))
        body.append(self._seg("CTT", str(len(levels))))
        return body

    def parse_inventory(self, data: bytes) -> Parsed[StockLevel]:
        result = self._parse(data, "846", self._read_846, expect_to=self.sender_id)
        seen: set[tuple[str, str]] = set()
        kept: list[StockLevel] = []
        for level in result.items:
            key = (level.sku, level.facility)
            if key in seen:
                where = f" at facility {level.facility!r}" if level.facility else ""
                result.errors.append(RowError(None, f"SKU {level.sku!r}{where} is listed twice; the second was not read"))
                continue
            seen.add(key)
            kept.append(level)
        result.items = kept
        return result

    def _read_846(self, tx: TransactionSet) -> tuple[list[StockLevel], list[_Bad]]:
        report_at: datetime | None = None
        bia: Segment | None = None
        facility = ""
        items: list[StockLevel] = []
        problems: list[_Bad] = []
        item: dict | None = None
        lin_count = 0
        ctt: tuple[int, Segment] | None = None
        in_header = True

        def finish() -> None:
            nonlocal item
            if item is None:
                return
            draft, item = item, None
            if draft.get("bad"):
                return
            seg = draft["seg"]
            if draft.get("available") is None:
                problems.append(_Bad(f"LIN for SKU {draft['sku']!r} has no QTY*{QTY_AVAILABLE} (quantity available) "
                                     "segment; SKU not read", seg, seg_code="3"))
                return
            on_hand = draft.get("on_hand")
            if on_hand is None:
                on_hand = max(draft["available"], 0)
            items.append(StockLevel(draft["sku"], on_hand, draft["available"], draft.get("facility", facility),
                                    draft.get("as_of") or report_at))

        for seg in tx.body:
            t = seg.id
            try:
                if t == "BIA":
                    bia = seg
                    report_at = _when(seg, 4, 5, None, "report date")
                elif t == "N1" and seg.el(1).upper() == "WH":
                    value = seg.el(4) or seg.el(2)
                    if in_header:
                        facility = value
                    elif item is not None:
                        item["facility"] = value
                elif t == "LIN":
                    finish()
                    in_header = False
                    lin_count += 1
                    item = {"seg": seg, "sku": ""}
                    item["sku"] = self._sku(seg, tuple((q, q + 1) for q in range(2, 31, 2)))
                elif t == "CTT":
                    finish()
                    ctt = (_whole(seg, 1, "number of line items", minimum=0), seg)
                elif item is not None and item.get("bad"):
                    continue
                elif t == "DTM" and item is not None:
                    if seg.el(1) == "007":
                        item["as_of"] = _when(seg, 2, 3, 4, "effective date")
                elif t == "QTY" and item is not None:
                    qualifier = seg.el(1)
                    unit = seg.component(3).upper()
                    if qualifier in (QTY_AVAILABLE, QTY_ON_HAND) and unit and unit != "EA":
                        raise _Bad(f"QTY03 unit {_show(unit)} is not EA (eaches); only eaches are supported", seg, 3)
                    if qualifier == QTY_AVAILABLE:
                        item["available"] = _whole(seg, 2, "quantity available")
                    elif qualifier == QTY_ON_HAND:
                        item["on_hand"] = _whole(seg, 2, "quantity on hand", minimum=0)
            except _Bad as bad:
                if item is None:
                    raise
                sku = item.get("sku")
                bad.reason += f" (SKU {sku!r} not read)" if sku else " (line item not read)"
                problems.append(bad)
                item["bad"] = True
        finish()
        if bia is None:
            raise _Bad("the BIA (beginning segment for inventory inquiry/advice) segment is missing", missing="BIA")
        if ctt is not None and ctt[0] != lin_count:
            raise _Bad(f"CTT01 says {ctt[0]} line items but the set has {lin_count} LIN segments", ctt[1], 1)
        return items, problems

    # -- 997 ----------------------------------------------------------------------------------------------

    def envelope(self, data: bytes | str) -> Parsed[X12Interchange]:
        """The interchanges in a file with their groups and sets, and every envelope violation."""
        result: Parsed[X12Interchange] = Parsed()
        try:
            delims, segments = tokenize(_decode(data))
            interchanges, stray = build_envelopes(delims, segments)
        except _BadFile as bad:
            result.errors.append(bad.error)
            return result
        except Exception as exc:  # noqa: BLE001 - parsing never raises
            result.errors.append(RowError(None, f"internal error reading the envelope: {type(exc).__name__}: {exc}"))
            return result
        result.items = interchanges
        result.errors.extend(stray)
        for ic in interchanges:
            result.errors.extend(ic.errors)
            for group in ic.groups:
                result.errors.extend(group.errors)
                for tx in group.sets:
                    result.errors.extend(tx.errors)
        return result

    def render_997(self, interchange: X12Interchange | bytes | str) -> bytes:
        """A 997 for every functional group of a received interchange (one 997 set per group).

        Each set is checked (envelope and content) as parse_* would read it:
        AK5 ``A`` accepted, ``E`` accepted with errors (some 846 line items
        left out), ``R`` rejected, with AK3/AK4 naming the segment and element.
        """
        if not isinstance(interchange, X12Interchange):
            parsed = self.envelope(interchange)
            if not parsed.items:
                reason = parsed.errors[0].reason if parsed.errors else "no interchange found"
                raise ValueError(f"cannot acknowledge this file: {reason}")
            interchange = parsed.items[0]
        ic = interchange
        sets = [("997", self._ack_body(ic, group)) for group in ic.groups]
        if not sets:
            raise ValueError("cannot acknowledge an interchange without functional groups")
        first = ic.groups[0]
        return self._interchange(
            "FA",
            sets,
            sender=(ic.receiver_qualifier or "ZZ", ic.receiver_id or self.sender_id),
            receiver=(ic.sender_qualifier or "ZZ", ic.sender_id or self.receiver_id),
            gs_sender=first.receiver or None,
            gs_receiver=first.sender or None,
        )

    def _ack_body(self, ic: X12Interchange, group: FunctionalGroup) -> list[str]:
        body = [self._seg("AK1", self._ack_value(group.functional_id or "ZZ", 2),
                          group.control if _DIGITS.match(group.control or "-") else "0")]
        accepted = 0
        noted = False
        group_ok = not group.errors and not ic.errors
        for tx in group.sets:
            status, codes, ak3 = self._check_set(tx)
            noted = noted or status == "E"
            body.append(self._seg("AK2", self._ack_value(tx.set_id or "000", 3), self._ack_value(tx.control or "0000", 9)))
            body.extend(ak3)
            body.append(self._seg("AK5", status, *codes[:5]))
            if status in ("A", "E") and group_ok:
                accepted += 1
        received = len(group.sets)
        declared = group.declared_sets if group.declared_sets is not None and group.declared_sets >= 0 else received
        if not group_ok or accepted == 0:
            overall = "R"
        elif accepted < received:
            overall = "P"
        elif noted:
            overall = "E"
        else:
            overall = "A"
        body.append(self._seg("AK9", overall, str(declared), str(received), str(accepted), *group.ak9_codes[:5]))
        return body

    def _ack_value(self, value: str, max_len: int) -> str:
        value = self._text(value).strip()[:max_len]
        return value or "0"

    def _check_set(self, tx: TransactionSet) -> tuple[str, list[str], list[str]]:
        """(AK501 status, AK502.. codes, AK3/AK4 segments) for one received set."""
        if tx.errors:
            return "R", list(dict.fromkeys(tx.ak5_codes)), []
        readers = {"940": self._read_940, "945": self._read_945, "846": self._read_846, "997": self._read_997}
        reader = readers.get(tx.set_id)
        if reader is None:
            return "R", ["1"], []
        problems: list[_Bad] = []
        try:
            out = reader(tx)
            if isinstance(out, tuple):
                problems = out[1]
                status = ("E" if out[0] else "R") if problems else "A"
            else:
                status = "A"
        except _Bad as bad:
            problems = [bad]
            status = "R"
        except Exception:  # noqa: BLE001 - a reader bug must not stop the acknowledgment
            return "R", ["5"], []
        ak3: list[str] = []
        for bad in problems[:20]:
            if bad.seg is not None:
                position = bad.seg.pos - tx.pos + 1
                ak3.append(self._seg("AK3", bad.seg.id[:3], str(position), "", bad.seg_code))
                if bad.element is not None:
                    value = self._text(bad.seg.el(bad.element))[:99]
                    ak3.append(self._seg("AK4", str(bad.element), "", bad.el_code, value))
            else:
                missing = bad.missing or "SE"
                ak3.append(self._seg("AK3", missing[:3], str(max(len(tx.segments) - 1, 1)), "", "3"))
        codes = ["5"] if status == "R" else []
        return status, codes, ak3

    def parse_997(self, data: bytes) -> Parsed[FunctionalAck]:
        return self._parse(data, "997", self._read_997, expect_to=None)

    def _read_997(self, tx: TransactionSet) -> list[FunctionalAck]:
        ak1: Segment | None = None
        ak9: Segment | None = None
        sets: list[SetAck] = []
        current: dict | None = None

        def finish() -> None:
            nonlocal current
            if current is not None:
                if current["status"] is None:
                    raise _Bad(f"AK2 for {current['id']} {current['control']} has no AK5 segment",
                               current["seg"], seg_code="3")
                sets.append(SetAck(current["id"], current["control"], current["status"], tuple(current["codes"]),
                                   tuple(current["errors"])))
                current = None

        for seg in tx.body:
            t = seg.id
            if t == "AK1":
                if ak1 is not None:
                    raise _Bad("AK1 appears twice", seg, seg_code="5")
                ak1 = seg
                _required(seg, 1, "functional identifier code")
                _whole(seg, 2, "group control number", minimum=0)
            elif t == "AK2":
                finish()
                current = {"seg": seg, "id": _required(seg, 1, "transaction set identifier"),
                           "control": _required(seg, 2, "transaction set control number"),
                           "status": None, "codes": [], "errors": []}
            elif t == "AK3" and current is not None:
                code = seg.el(4)
                text = AK3_CODES.get(code, f"code {code}" if code else "error")
                current["errors"].append(f"segment {seg.el(1)} at position {seg.el(2)}: {text}")
            elif t == "AK4" and current is not None:
                code = seg.el(3)
                text = AK4_CODES.get(code, f"code {code}" if code else "error")
                position = seg.component(1)
                bad = f" ({seg.el(4)!r})" if seg.el(4) else ""
                current["errors"].append(f"element {position}: {text}{bad}")
            elif t == "AK5":
                if current is None:
                    raise _Bad("AK5 without an AK2 before it", seg, seg_code="2")
                status = _required(seg, 1, "acknowledgment code").upper()
                if status not in STATUS_WORDS:
                    raise _Bad(f"AK501 acknowledgment code {_show(status)} is not A, E, R, M, W or X", seg, 1)
                current["status"] = status
                current["codes"] = [seg.el(n) for n in range(2, 7) if seg.el(n)]
            elif t == "AK9":
                finish()
                ak9 = seg
        finish()
        if ak1 is None:
            raise _Bad("the AK1 (functional group response header) segment is missing", missing="AK1")
        if ak9 is None:
            raise _Bad("the AK9 (functional group response trailer) segment is missing", missing="AK9")
        status = _required(ak9, 1, "acknowledgment code").upper()
        if status not in ("A", "E", "P", "R", "M", "W", "X"):
            raise _Bad(f"AK901 acknowledgment code {_show(status)} is not A, E, P or R", ak9, 1)
        return [
            FunctionalAck(
                functional_id=ak1.el(1),
                group_control=int(_whole(ak1, 2, "group control number", minimum=0) or 0),
                status=status,
                sets_included=int(_whole(ak9, 2, "number of transaction sets included", minimum=0) or 0),
                sets_received=int(_whole(ak9, 3, "number of received transaction sets", minimum=0) or 0),
                sets_accepted=int(_whole(ak9, 4, "number of accepted transaction sets", minimum=0) or 0),
                codes=tuple(ak9.el(n) for n in range(5, 10) if ak9.el(n)),
                sets=tuple(sets),
                set_control=tx.control,
            )
        ]

    # -- the shared reading loop ----------------------------------------------------------------------------

    def _parse(self, data: bytes, set_id: str, reader, *, expect_to: str | None) -> Parsed:
        result: Parsed = Parsed()
        try:
            self._parse_into(result, data, set_id, reader, expect_to)
        except Exception as exc:  # noqa: BLE001 - parsing never raises; a bug shows as a file-level error
            result.items = []
            result.errors.append(RowError(None, f"internal error reading the file: {type(exc).__name__}: {exc}"))
        return result

    def _parse_into(self, result: Parsed, data: bytes, set_id: str, reader, expect_to: str | None) -> None:
        try:
            delims, segments = tokenize(_decode(data))
        except _BadFile as bad:
            result.errors.append(bad.error)
            return
        interchanges, stray = build_envelopes(delims, segments)
        result.errors.extend(stray)
        name = SET_NAMES.get(set_id, set_id)
        found_any = False
        for ic in interchanges:
            if ic.errors:
                result.errors.extend(ic.errors)
                continue
            if self.strict_ids and expect_to and ic.receiver_id != expect_to:
                result.errors.append(RowError(ic.pos, f"ISA08: the interchange is addressed to {ic.receiver_id!r}, "
                                                      f"not to {expect_to!r} (interchange not read)"))
                continue
            for group in ic.groups:
                if group.errors:
                    result.errors.extend(group.errors)
                    continue
                for tx in group.sets:
                    if tx.errors:
                        result.errors.extend(tx.errors)
                        continue
                    if tx.set_id != set_id:
                        result.errors.append(RowError(tx.pos, f"{tx.label} is a {SET_NAMES.get(tx.set_id, tx.set_id)} "
                                                              f"set, not a {set_id} {name} (set not read)"))
                        continue
                    found_any = True
                    try:
                        out = reader(tx)
                    except _Bad as bad:
                        line = bad.seg.pos if bad.seg is not None else tx.pos
                        result.errors.append(RowError(line, f"{tx.label}: {bad.reason} (set not read)"))
                        continue
                    if isinstance(out, tuple):
                        items, problems = out
                        for bad in problems:
                            line = bad.seg.pos if bad.seg is not None else tx.pos
                            result.errors.append(RowError(line, f"{tx.label}: {bad.reason}"))
                    else:
                        items = out
                    if set_id == "997":
                        items = [_with_interchange(a, ic.control) for a in items]
                    result.items.extend(items)
        if not interchanges and not result.errors:
            result.errors.append(RowError(None, "no interchange found in the file"))
        elif not found_any and not result.errors:
            result.errors.append(RowError(None, f"the file holds no {set_id} {name} transaction set"))


def _with_interchange(ack: FunctionalAck, control: str) -> FunctionalAck:
    from dataclasses import replace

    return replace(ack, interchange_control=control)


def _pounds(value: Decimal, unit: str, seg: Segment, n: int) -> Decimal:
    unit = unit.upper()
    if unit in ("", "LB", "L", "01"):
        return value
    if unit in ("KG", "K"):
        return (value * Decimal("2.20462262")).quantize(Decimal("0.001"))
    if unit in ("OZ", "Z"):
        return (value / Decimal(16)).quantize(Decimal("0.001"))
    raise _Bad(f"{seg.id}{n:02d} weight unit {_show(unit)} is not LB, KG or OZ", seg, n)


def _inches(value: Decimal, unit: str, seg: Segment, n: int) -> Decimal:
    unit = unit.upper()
    if unit in ("", "IN"):
        return value
    if unit == "CM":
        return (value / Decimal("2.54")).quantize(Decimal("0.01"))
    if unit == "FT":
        return value * 12
    raise _Bad(f"{seg.id}{n:02d} length unit {_show(unit)} is not IN, CM or FT", seg, n)


__all__ = [
    "ControlNumbers",
    "Delimiters",
    "Envelope",
    "FunctionalAck",
    "FunctionalGroup",
    "MemoryControlNumbers",
    "SetAck",
    "TransactionSet",
    "X12Format",
    "X12Interchange",
]
