"""What every warehouse file format offers."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Generic, Protocol, TypeVar

from dockline.core.types import StockLevel, WarehouseOrder, WarehouseShipment
from dockline.warehouses.formats.fields import file_part, utc

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


class FileError(Exception):
    """A problem with the whole file (encoding, header, envelope): one RowError, no records."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.error = RowError(line, reason)


def decode_text(data: bytes | str, *, latin1: bool = False) -> str:
    """The file's text without a byte-order mark; UTF-8, or Latin-1 for legacy senders when `latin1`."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        raw = bytes(data)
    except TypeError:
        raise FileError(f"file content is {type(data).__name__}, not bytes") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if latin1:
            return raw.decode("latin-1")  # every byte maps to one character
        raise FileError(f"file is not UTF-8 text (invalid byte at offset {exc.start})") from None


class RenderError(ValueError):
    """An order cannot be written in this format as it stands: `field` names the value, `reason` says why.

    Raised by `render_orders`; the order stops in Error with the message, so a
    non-conforming document is never sent.
    """

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass
class Parsed(Generic[T]):
    """A parsed file: the good records, and one error per bad row.

    A file-level error (unreadable encoding, missing header) leaves `items`
    empty and one entry in `errors`.
    """

    items: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def first_of_each(result: Parsed[T], key: Callable[[T], object], twice: Callable[[T], str]) -> Parsed[T]:
    """Keep the first record of each `key`; every later one becomes an error with the words `twice(record)`."""
    seen: set = set()
    kept: list[T] = []
    for item in result.items:
        if key(item) in seen:
            result.errors.append(RowError(None, twice(item)))
            continue
        seen.add(key(item))
        kept.append(item)
    result.items = kept
    return result


def read_guarded(fill: Callable[[Parsed], None], what: str = "the file") -> Parsed:
    """Run ``fill(result)`` so that parsing never raises: a FileError becomes the file's one error, any
    other exception an "internal error" entry (a bug shows as a file-level error, not a crash)."""
    result: Parsed = Parsed()
    try:
        fill(result)
    except FileError as bad:
        result.items = []
        result.errors.append(bad.error)
    except Exception as exc:  # noqa: BLE001 - parsing never raises
        result.items = []
        result.errors.append(RowError(None, f"internal error reading {what}: {type(exc).__name__}: {exc}"))
    return result


def stamped_name(prefix: str, part: str, what: str, at: datetime, ext: str) -> str:
    """``<prefix>_<part made safe>_<yymmddhhmmss>.<ext>``, the time in UTC."""
    return f"{prefix}_{file_part(part, what)}_{utc(at):%y%m%d%H%M%S}.{ext}"


class StampedNames:
    """File names from the class's `prefixes` (order, shipment, inventory) and `extension`."""

    prefixes: ClassVar[tuple[str, str, str]]
    extension: ClassVar[str]

    def order_filename(self, order_number: str, at: datetime) -> str:
        return stamped_name(self.prefixes[0], order_number, "order number", at, self.extension)

    def shipment_filename(self, shipment_id: str, at: datetime) -> str:
        return stamped_name(self.prefixes[1], shipment_id, "shipment id", at, self.extension)

    def inventory_filename(self, at: datetime) -> str:
        """``<prefix>_<yymmddhhmmssfff>.<ext>``: milliseconds keep two snapshots in one second apart."""
        at = utc(at)
        return f"{self.prefixes[2]}_{at:%y%m%d%H%M%S}{at.microsecond // 1000:03d}.{self.extension}"


class FileFormat(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]
    shipment_pattern: ClassVar[re.Pattern]  # final names of shipment files
    inventory_pattern: ClassVar[re.Pattern]  # final names of inventory files
    inventory_is_snapshot: ClassVar[bool]  # True: a file lists every SKU; False: deltas

    def __init__(self, settings: dict) -> None: ...

    def order_filename(self, order_number: str, at: datetime) -> str: ...

    def render_orders(self, orders: list[WarehouseOrder]) -> bytes: ...

    def parse_shipments(self, data: bytes) -> Parsed[WarehouseShipment]: ...

    def parse_inventory(self, data: bytes) -> Parsed[StockLevel]: ...

    # The warehouse's side, used by the simulated WMS and by round-trip tests.
    def parse_orders(self, data: bytes) -> Parsed[WarehouseOrder]: ...

    def shipment_filename(self, shipment_id: str, at: datetime) -> str: ...

    def render_shipments(self, shipments: list[WarehouseShipment]) -> bytes: ...

    def inventory_filename(self, at: datetime) -> str: ...

    def render_inventory(self, levels: list[StockLevel]) -> bytes: ...
