"""The warehouse file format base class and registry, and what the formats share."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Generic, TypeVar

from dockline.core.plugins import Registry
from dockline.core.types import CancelAnswer, CancelRequest, StockLevel, WarehouseOrder, WarehouseShipment
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


class FileFormat:
    """The base class of every warehouse file format: fill in the required methods.

    Required on Dockline's side: `order_filename`, `render_orders` (raising RenderError for an
    order it cannot write), `parse_shipments`, `parse_inventory` (parsing never raises); on the
    warehouse's side, used by the simulated WMS and round-trip tests: `parse_orders`,
    `shipment_filename`, `render_shipments`, `inventory_filename`, `render_inventory`
    (`StampedNames` supplies the three file names). Functional acknowledgments are an optional
    ability: a format that has them sets `acknowledges` and fills in the ack hooks. So are
    cancellations: a format that carries them sets `cancels` and fills in the cancellation hooks
    (`formats/cancellations.py` holds what the built-in ones share). A subclass registers itself
    with `@register`.
    """

    name: ClassVar[str]  # the registry key, stored on each Warehouse
    label: ClassVar[str]  # what the wizard shows
    order_pattern: ClassVar[re.Pattern]  # final names of order files (the warehouse takes these)
    shipment_pattern: ClassVar[re.Pattern]  # final names of shipment files
    inventory_pattern: ClassVar[re.Pattern]  # final names of inventory files
    inventory_is_snapshot: ClassVar[bool] = True  # True: a file lists every SKU; False: deltas

    # Acknowledgments (X12 997): whether files are acknowledged both ways, and the final names
    # of acknowledgment files. Without them (the default) no ack is written, read or awaited.
    acknowledges: ClassVar[bool] = False
    ack_pattern: ClassVar[re.Pattern | None] = None

    # Cancellations: whether the format carries them, and the final names of the cancellation files
    # Dockline writes to the inbox and of the warehouse's answers in the outbox. Without them (the
    # default) an order already at the warehouse cannot be cancelled through Dockline.
    cancels: ClassVar[bool] = False
    cancel_pattern: ClassVar[re.Pattern | None] = None
    cancel_answer_pattern: ClassVar[re.Pattern | None] = None

    def __init__(self, settings: dict | None = None) -> None:
        """Built from the warehouse's settings (the format's own keys among them)."""

    def _missing(self, what: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__name__} must implement {what}")

    # -- Dockline's side -------------------------------------------------------
    def order_filename(self, order_number: str, at: datetime) -> str:
        raise self._missing("order_filename")

    def render_orders(self, orders: list[WarehouseOrder]) -> bytes:
        raise self._missing("render_orders")

    def parse_shipments(self, data: bytes) -> Parsed[WarehouseShipment]:
        raise self._missing("parse_shipments")

    def parse_inventory(self, data: bytes) -> Parsed[StockLevel]:
        raise self._missing("parse_inventory")

    # -- the warehouse's side ----------------------------------------------------
    def parse_orders(self, data: bytes) -> Parsed[WarehouseOrder]:
        raise self._missing("parse_orders")

    def shipment_filename(self, shipment_id: str, at: datetime) -> str:
        raise self._missing("shipment_filename")

    def render_shipments(self, shipments: list[WarehouseShipment]) -> bytes:
        raise self._missing("render_shipments")

    def inventory_filename(self, at: datetime) -> str:
        raise self._missing("inventory_filename")

    def render_inventory(self, levels: list[StockLevel]) -> bytes:
        raise self._missing("render_inventory")

    # -- acknowledgments (only when `acknowledges`) ------------------------------
    def render_997(self, data: bytes) -> bytes:
        """The acknowledgment of a received file, to be written back (named by `ack_pattern`)."""
        raise self._missing("render_997 (it sets acknowledges)")

    def parse_997(self, data: bytes) -> Parsed:
        """The acknowledgments in a received ack file; parsing never raises."""
        raise self._missing("parse_997 (it sets acknowledges)")

    # -- cancellations (only when `cancels`) -------------------------------------
    def cancellation_filename(self, order_number: str, at: datetime) -> str:
        """The name of the cancellation file for one warehouse order (matches `cancel_pattern`)."""
        raise self._missing("cancellation_filename (it sets cancels)")

    def render_cancellations(self, requests: list[CancelRequest]) -> bytes:
        """Dockline's cancellation file; strict like `render_orders` (RenderError naming the field)."""
        raise self._missing("render_cancellations (it sets cancels)")

    def parse_cancel_answers(self, data: bytes) -> Parsed[CancelAnswer]:
        """The warehouse's answers (and cancellations it made on its own); parsing never raises."""
        raise self._missing("parse_cancel_answers (it sets cancels)")

    def parse_cancellations(self, data: bytes) -> Parsed[CancelRequest]:
        """The warehouse's side: read Dockline's cancellation file; parsing never raises."""
        raise self._missing("parse_cancellations (it sets cancels)")

    def cancel_answer_filename(self, order_number: str, at: datetime) -> str:
        """The warehouse's side: the name of an answer file (matches `cancel_answer_pattern`)."""
        raise self._missing("cancel_answer_filename (it sets cancels)")

    def render_cancel_answers(self, answers: list[CancelAnswer]) -> bytes:
        """The warehouse's side: write answers to cancellations, or cancellations it made itself."""
        raise self._missing("render_cancel_answers (it sets cancels)")


REGISTRY: Registry[FileFormat] = Registry(
    "warehouse file format", FileFormat, key="name", package="dockline.warehouses.formats")
register = REGISTRY.register  # class decorator: @register above a FileFormat subclass
