"""What every warehouse file format offers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Generic, Protocol, TypeVar

from dockline.core.types import StockLevel, WarehouseOrder, WarehouseShipment

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
