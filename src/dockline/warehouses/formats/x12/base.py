"""What every X12 document shares: settings, control numbers, writing an envelope, the reading loop.

`X12Base` holds the trading-partner settings and the helpers the document
modules (940, 945, 846, 997) build on: text in the agreed character set,
identifiers that must come back unchanged, element lengths, the ISA/GS/ST
envelope around rendered sets, and `_parse`, the loop that walks a received
file's envelopes and hands each transaction set to a reader. Parsing never
raises: envelope violations and content errors become ``RowError`` entries.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Protocol

from dockline.warehouses.formats.base import (
    Parsed,
    RenderError,
    RowError,
    StampedNames,
    decode_text,
    read_guarded,
    stamped_name,
)
from dockline.warehouses.formats.fields import show, utc
from dockline.warehouses.formats.x12 import text as x12text
from dockline.warehouses.formats.x12.envelope import (
    Delimiters,
    Segment,
    TransactionSet,
    build_envelopes,
    tokenize,
)
from dockline.warehouses.formats.x12.segments import (
    SET_NAMES,
    SKU_QUALIFIERS,
    VERSION,
    Bad,
)

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


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


def _flag(value, default: bool) -> bool:
    if value is None:
        return default
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


class X12Base(StampedNames):
    """Settings and shared machinery; `X12Format` adds the documents (see its docstring)."""

    prefixes: ClassVar[tuple[str, str, str]] = ("940", "945", "846")
    extension: ClassVar[str] = "edi"

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
        self.sku_qualifier = self._qualifier(settings.get("sku_qualifier") or "VN", "sku_qualifier")
        charset = str(settings.get("character_set") or "basic").strip().lower()
        if charset not in ("basic", "extended"):
            raise ValueError(f"character_set must be basic or extended, not {charset!r}")
        self.character_set = charset
        self.allowed = x12text.EXTENDED if charset == "extended" else x12text.BASIC
        self.pack_sizes = self._pack_sizes(settings.get("pack_sizes") or {})
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
        self.newline = _flag(settings.get("newline"), True) and d.segment != "\n"
        self.strict_ids = _flag(settings.get("strict_ids"), False)
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

    @staticmethod
    def _pack_sizes(value) -> dict[str, int]:
        if not isinstance(value, dict):
            raise ValueError("pack_sizes must map each SKU to its units per case, e.g. {\"MUG-1\": 12}")  # noqa: TRY004
        sizes = {}
        for sku, units in value.items():
            if isinstance(units, bool) or not str(units).strip().isdigit() or int(units) < 1:
                raise ValueError(f"pack_sizes: units per case of {sku!r} must be a whole number of 1 or more, "
                                 f"not {units!r}")
            sizes[str(sku).strip()] = int(units)
        return sizes

    # -- file names ----------------------------------------------------------------------

    def ack_filename(self, acknowledged_control: str | int, at: datetime) -> str:
        """``997_<control number of the interchange acknowledged>_<yymmddhhmmss>.edi``."""
        return stamped_name("997", str(acknowledged_control), "control number", at, "edi")

    # -- writing ---------------------------------------------------------------------------

    def _text(self, value: str, allowed: frozenset[str] | None = None) -> str:
        """Free text in the agreed character set (or `allowed`); delimiters and control characters become
        spaces."""
        return x12text.transliterate(self._plain(value), (allowed or self.allowed) - set(self._delimiter_chars))

    def _plain(self, value: str) -> str:
        """Free text with delimiters and control characters made spaces, otherwise as it is (what the
        simulated warehouse writes: partners' files are not held to our character set)."""
        value = _CONTROL_CHARS.sub(" ", str(value or ""))
        for c in self._delimiter_chars:
            value = value.replace(c, " ")
        return value.strip()

    @property
    def _delimiter_chars(self) -> tuple[str, str, str]:
        d = self.delimiters
        return (d.element, d.subelement, d.segment)

    def _ident(self, value: str, what: str, *, max_len: int | None = None, min_len: int = 1,
               charset: bool = True) -> str:
        """An identifier: sent as it is or refused with RenderError (it has to come back unchanged).
        `charset`: held to the agreed character set (what Dockline sends)."""
        value = str(value or "").strip()
        if not value:
            raise RenderError(what, "is empty")
        if any(c in value for c in self._delimiter_chars) or _CONTROL_CHARS.search(value):
            raise RenderError(what, f"{show(value)} contains an X12 delimiter or control character")
        if charset and not x12text.fits(value, self.allowed):
            bad = "".join(sorted({c for c in value if c not in self.allowed}))
            hint = (" (set the format setting character_set: extended if the warehouse agrees)"
                    if self.character_set == "basic" and x12text.fits(value, x12text.EXTENDED) else "")
            raise RenderError(what, f"{show(value)} has characters outside the X12 {self.character_set} character "
                                    f"set: {show(bad)}{hint}")
        if max_len is not None and not min_len <= len(value) <= max_len:
            size = f"exactly {max_len}" if min_len == max_len else f"{min_len} to {max_len}"
            raise RenderError(what, f"{show(value)} has {len(value)} characters; X12 004010 allows {size}")
        return value

    def _optional_ident(self, value: str, what: str, **limits) -> str:
        return self._ident(value, what, **limits) if str(value or "").strip() else ""

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
        version: str = VERSION,
    ) -> bytes:
        """ISA/GS/ST...SE/GE/IEA around `sets` (set id, body segments); records `last_envelope`."""
        now = utc(self.clock())
        isa_control = self._next_control("interchange")
        d = self.delimiters
        isa = d.element.join(
            [
                "ISA", "00", " " * 10, "00", " " * 10,
                sender[0], sender[1].ljust(15), receiver[0], receiver[1].ljust(15),
                f"{now:%y%m%d}", f"{now:%H%M}", "U", version[:5],
                f"{isa_control:09d}", "0", self.usage, d.subelement,
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
                    f"{now:%Y%m%d}", f"{now:%H%M%S}", str(group_control), "X", version,
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

    # -- reading -----------------------------------------------------------------------------

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
        raise Bad(
            f"{seg.id} has no SKU: expected {seg.id}{q:02d} {self.sku_qualifier} and the SKU in {seg.id}{v:02d}",
            seg, v, el_code="2",
        )

    def _readers(self) -> dict[str, Callable]:
        """The reader of each transaction set this format reads, by ST01 (X12Format fills it in)."""
        return {}

    def _parse(self, data: bytes, set_id: str, *, expect_to: str | None, reader: Callable | None = None) -> Parsed:
        """Read every `set_id` set of the file with its reader (or `reader`, e.g. the 940 cancellations')."""
        return read_guarded(lambda result: self._parse_into(result, data, set_id, expect_to, reader))

    def _parse_into(self, result: Parsed, data: bytes, set_id: str, expect_to: str | None,
                    reader: Callable | None = None) -> None:
        delims, segments = tokenize(decode_text(data, latin1=True))
        interchanges, stray = build_envelopes(delims, segments)
        result.errors.extend(stray)
        reader = reader or self._readers()[set_id]
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
                    self._read_set(result, tx, reader, ic.control)
        if not interchanges and not result.errors:
            result.errors.append(RowError(None, "no interchange found in the file"))
        elif not found_any and not result.errors:
            result.errors.append(RowError(None, f"the file holds no {set_id} {name} transaction set"))

    def _read_set(self, result: Parsed, tx: TransactionSet, reader, interchange_control: str) -> None:
        try:
            out = reader(tx)
        except Bad as bad:
            result.errors.append(RowError(_line(bad, tx), f"{tx.label}: {bad.reason} (set not read)"))
            return
        items, problems = out if isinstance(out, tuple) else (out, [])
        for bad in problems:
            result.errors.append(RowError(_line(bad, tx), f"{tx.label}: {bad.reason}"))
        result.items.extend(self._received(items, interchange_control))

    def _received(self, items: list, interchange_control: str) -> list:
        """Items as read from one set; the 997 reader adds the interchange's control number."""
        return items


def _line(bad: Bad, tx: TransactionSet) -> int:
    where = bad.seg or bad.after
    return where.pos if where is not None else tx.pos
