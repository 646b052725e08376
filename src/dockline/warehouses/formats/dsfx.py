"""DSFX CSV: pick tickets out, shipment confirmations and inventory snapshots back.

See docs/formats/dsfx.md for every column. In short:

* ``ord_<order>_<yymmddhhmmss>.csv`` — a column-header row naming the version
  (``DSFX-V1``/``DSFX-V2``/``DSFX-V3`` in its first cell), then per order one
  ``H`` (pick header) row followed by its ``D`` (pick detail) rows.
* ``shp_*.csv`` — a header row, then one row per shipped line; rows sharing a
  ``shipment_id`` form one shipment.
* ``inv_*.csv`` — a header row, then one row per SKU (and facility): a full snapshot.

Parsing never raises: bad rows become :class:`RowError` entries naming the
line, column and value, and good records still parse. A record spread over
several rows (an order, a shipment) is left out whole when any of its rows is
bad, so that nothing is ever recorded half.
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

from dockline.core.types import (
    Address,
    Package,
    ShipmentLine,
    StockLevel,
    WarehouseLine,
    WarehouseOrder,
    WarehouseShipment,
)
from dockline.warehouses.formats import fields
from dockline.warehouses.formats.base import (
    FileError,
    FileFormat,
    Parsed,
    RenderError,
    RowError,
    StampedNames,
    decode_text,
    register,
)
from dockline.warehouses.formats.dsfx_cancel import DsfxCancellations
from dockline.warehouses.formats.fields import (
    FieldError,
    moment,
    required,
    show,
    utc,
    whole,
)

VERSIONS = ("1", "2", "3")
DEFAULT_VERSION = "2"

HEADER_V1: tuple[str, ...] = (
    "record_type",
    "order_number",
    "order_date",
    "ship_to_name",
    "ship_to_company",
    "ship_to_address1",
    "ship_to_address2",
    "ship_to_city",
    "ship_to_state",
    "ship_to_zip",
    "ship_to_country",
    "ship_to_phone",
    "carrier",
    "service",
)
HEADER_V2 = HEADER_V1 + ("customer_email", "notes")
HEADER_V3 = HEADER_V2 + ("facility_id",)
HEADER_COLUMNS: dict[str, tuple[str, ...]] = {"1": HEADER_V1, "2": HEADER_V2, "3": HEADER_V3}
DETAIL_COLUMNS: tuple[str, ...] = ("record_type", "order_number", "line_no", "sku", "quantity", "description")

SHIPMENT_COLUMNS: tuple[str, ...] = (
    "order_number",
    "shipment_id",
    "ship_date",
    "carrier",
    "service",
    "tracking_numbers",
    "sku",
    "quantity",
    "package_weight",
    "package_length",
    "package_width",
    "package_height",
)
SHIPMENT_REQUIRED = ("order_number", "shipment_id", "ship_date", "sku", "quantity")
INVENTORY_COLUMNS: tuple[str, ...] = ("sku", "on_hand", "available", "facility", "as_of")
INVENTORY_REQUIRED = ("sku", "on_hand", "available")

_VERSION_TAG = re.compile(r"^DSFX[-_ ]?V?(\w+)$", re.IGNORECASE)
_DIMENSIONS = ("package_weight", "package_length", "package_width", "package_height")


class _BadRow(Exception):
    """A row that cannot be read, for reasons beyond one value (width, mismatched ids)."""


_Bad = (_BadRow, FieldError)


def _text(row: list[str], i: int) -> str:
    return row[i] if i < len(row) else ""


def _iso(at: datetime) -> str:
    return utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


# -- reading CSV -----------------------------------------------------------------


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, cells) for every non-blank row; a CSV syntax error is file-level."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FileError(f"the file is not valid CSV ({exc})", previous + 1) from None
        start, previous = previous + 1, reader.line_num
        if any(cell.strip() for cell in row):
            rows.append((start, row))
    return rows


def _table(data: bytes) -> list[tuple[int, list[str]]]:
    """The rows of a file whose first row names the columns (shipments, stock); empty or cut off is file-level.

    RFC 4180 lets the last row go without a line break, but a whole one still has every column. One that
    stops short with no line break after it is where a transfer broke off, or a writer had not finished:
    its cells may be cut too (a quantity of 12 read as 1), so nothing in the file is read.
    """
    text = decode_text(data)
    rows = _rows(text)
    if not rows:
        raise FileError("file is empty: no header row")
    (line, last), width = rows[-1], len(rows[0][1])
    unended = text[max(text.rfind("\n"), text.rfind("\r")) + 1:].strip()
    if len(rows) > 1 and unended and len(last) < width:
        raise FileError(
            f"the file stops in this row, at {len(last)} of the header's {width} columns and with no line break: "
            "it looks cut off (still being written, or its transfer broke off), so nothing in it was read. "
            "A WMS that writes files in place needs a longer settle_seconds",
            line,
        )
    return rows


def _header_map(header: list[str], known: tuple[str, ...], required: tuple[str, ...], kind: str) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    positions: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in known and name not in positions:
            positions[name] = i
    missing = [c for c in required if c not in positions]
    if missing:
        raise FileError(
            f"no {kind} header row: the first row must name the columns "
            f"({', '.join(required)}); missing {', '.join(missing)}",
            None,
        )
    return positions


def _check_width(row: list[str], width: int, what: str) -> None:
    if len(row) < width:
        raise _BadRow(f"{what} has {len(row)} columns, expected {width}")
    if any(cell.strip() for cell in row[width:]):
        raise _BadRow(f"{what} has {len(row)} columns, expected {width}")


# -- builders for records spread over rows -----------------------------------------


@dataclass
class _OrderDraft:
    line: int
    order: WarehouseOrder | None  # None: the header row was bad
    number: str
    bad: bool = False
    line_nos: set[int] = field(default_factory=set)


@dataclass
class _ShipmentDraft:
    line: int
    shipment: WarehouseShipment
    quantities: dict[str, int] = field(default_factory=dict)
    bad: bool = False


@register
class DsfxFormat(DsfxCancellations, StampedNames, FileFormat):
    prefixes: ClassVar[tuple[str, str, str]] = ("ord", "shp", "inv")
    extension: ClassVar[str] = "csv"
    name: ClassVar[str] = "dsfx"
    label: ClassVar[str] = "DSFX CSV"
    order_pattern: ClassVar[re.Pattern] = re.compile(r"^ord_[A-Za-z0-9_.-]+\.csv$")
    shipment_pattern: ClassVar[re.Pattern] = re.compile(r"^shp_[A-Za-z0-9_.-]+\.csv$")
    inventory_pattern: ClassVar[re.Pattern] = re.compile(r"^inv_[A-Za-z0-9_.-]+\.csv$")
    inventory_is_snapshot: ClassVar[bool] = True

    def __init__(self, settings: dict | None = None) -> None:
        settings = settings or {}
        version = str(settings.get("dsfx_version") or DEFAULT_VERSION).strip().lower().lstrip("v")
        if version not in VERSIONS:
            raise ValueError(f"unknown DSFX version {settings.get('dsfx_version')!r}: use 1, 2 or 3")
        self.version = version

    # -- file names ------------------------------------------------------------

    # -- orders (Dockline writes, the warehouse reads) -----------------------------

    def render_orders(self, orders: list[WarehouseOrder]) -> bytes:
        columns = HEADER_COLUMNS[self.version]
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([f"DSFX-V{self.version}", *columns[1:]])
        for order in orders:
            if not order.order_number.strip():
                raise RenderError("order_number", "an order has no order number")
            if not order.lines:
                raise RenderError("lines", f"order {order.order_number} has no lines")
            a = order.ship_to
            row = [
                "H",
                order.order_number,
                _iso(order.placed_at),
                a.name,
                a.company,
                a.street1,
                a.street2,
                a.city,
                a.state,
                a.postal_code,
                a.country,
                a.phone,
                order.carrier,
                order.service,
            ]
            if self.version in ("2", "3"):
                row += [order.email, order.notes]
            if self.version == "3":
                row.append(order.facility)
            writer.writerow(row)
            for line in order.lines:
                if line.quantity < 1:
                    raise RenderError("quantity", f"order {order.order_number}: line {line.line_no} quantity must be at least 1")
                writer.writerow(["D", order.order_number, line.line_no, line.sku, line.quantity, line.description])
        return out.getvalue().encode("utf-8")

    def parse_orders(self, data: bytes) -> Parsed[WarehouseOrder]:
        result: Parsed[WarehouseOrder] = Parsed()
        try:
            rows = _rows(decode_text(data))
            if not rows:
                raise FileError("file is empty: no column-header row")
            first_line, header = rows[0]
            version = self._order_version(header, first_line)
        except FileError as bad:
            result.errors.append(bad.error)
            return result

        columns = HEADER_COLUMNS[version]
        draft: _OrderDraft | None = None

        def finish() -> None:
            if draft is None or draft.order is None or draft.bad:
                return
            if not draft.order.lines:
                result.errors.append(RowError(draft.line, f"order {draft.number} has no detail (D) rows"))
                return
            result.items.append(draft.order)

        for line, row in rows[1:]:
            record = row[0].strip().upper()
            if record == "H":
                finish()
                number = _text(row, 1).strip()
                try:
                    draft = _OrderDraft(line, self._header_row(row, columns, version), number)
                except _Bad as bad:
                    suffix = f" (order {number} not read)" if number else ""
                    result.errors.append(RowError(line, str(bad) + suffix))
                    draft = _OrderDraft(line, None, number, bad=True)
            elif record == "D":
                if draft is None:
                    result.errors.append(RowError(line, "detail (D) row before any header (H) row"))
                    continue
                if draft.order is None:
                    continue  # belongs to an order whose header row was already reported
                try:
                    wl = self._detail_row(row, draft)
                except _Bad as bad:
                    result.errors.append(RowError(line, f"{bad!s} (order {draft.number} not read)"))
                    draft.bad = True
                    continue
                draft.order.lines.append(wl)
            else:
                reason = f"record_type {show(row[0])} is not H (pick header) or D (pick detail)"
                if draft is not None and draft.order is not None and not draft.bad:
                    reason += f" (order {draft.number} not read)"
                    draft.bad = True
                result.errors.append(RowError(line, reason))
        finish()
        return result

    def _order_version(self, header: list[str], line: int) -> str:
        match = _VERSION_TAG.match(header[0].strip())
        if not match:
            raise FileError(
                f"no column-header row: the first row must start with DSFX-V1, DSFX-V2 or DSFX-V3, "
                f"found {show(header[0])}",
                line,
            )
        version = match.group(1).lower().lstrip("v")
        if version not in VERSIONS:
            raise FileError(f"unknown DSFX version {show(match.group(1))}: this reader knows 1, 2 and 3", line)
        expected = HEADER_COLUMNS[version]
        names = [h.strip().lower() for h in header]
        while len(names) > len(expected) and not names[-1]:
            names.pop()
        for i, col in enumerate(expected[1:], start=1):
            found = names[i] if i < len(names) else None
            if found != col:
                shown = "missing" if found is None else repr(found)
                raise FileError(
                    f"column-header row does not match DSFX v{version}: column {i + 1} is {shown}, expected {col!r}",
                    line,
                )
        if len(names) > len(expected):
            raise FileError(
                f"column-header row has {len(names)} columns, DSFX v{version} has {len(expected)}", line
            )
        return version

    @staticmethod
    def _header_row(row: list[str], columns: tuple[str, ...], version: str) -> WarehouseOrder:
        _check_width(row, len(columns), f"header (H) row for DSFX v{version}")
        cell = dict(zip(columns, row, strict=False))
        return WarehouseOrder(
            order_number=required(cell["order_number"], "order_number"),
            placed_at=moment(cell["order_date"], "order_date"),  # type: ignore[arg-type]
            ship_to=Address(
                name=cell["ship_to_name"],
                company=cell["ship_to_company"],
                street1=cell["ship_to_address1"],
                street2=cell["ship_to_address2"],
                city=cell["ship_to_city"],
                state=cell["ship_to_state"].strip(),
                postal_code=cell["ship_to_zip"].strip(),
                country=cell["ship_to_country"].strip(),
                phone=cell["ship_to_phone"],
            ),
            carrier=cell["carrier"].strip(),
            service=cell["service"].strip(),
            lines=[],
            email=cell.get("customer_email", "").strip(),
            notes=cell.get("notes", ""),
            facility=cell.get("facility_id", "").strip(),
        )

    @staticmethod
    def _detail_row(row: list[str], draft: _OrderDraft) -> WarehouseLine:
        _check_width(row, len(DETAIL_COLUMNS), "detail (D) row")
        cell = dict(zip(DETAIL_COLUMNS, row, strict=False))
        number = cell["order_number"].strip()
        if number != draft.number:
            raise _BadRow(f"order_number {show(cell['order_number'])} does not match its header row's {draft.number!r}")
        line_no = whole(cell["line_no"], "line_no", minimum=1)
        if line_no in draft.line_nos:
            raise _BadRow(f"line_no {show(cell['line_no'])} appears twice")
        draft.line_nos.add(line_no)
        return WarehouseLine(
            line_no=line_no,
            sku=required(cell["sku"], "sku"),
            quantity=whole(cell["quantity"], "quantity", minimum=1),
            description=cell["description"],
        )

    # -- shipments (the warehouse writes, Dockline reads) ----------------------------

    def render_shipments(self, shipments: list[WarehouseShipment]) -> bytes:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(SHIPMENT_COLUMNS)
        for s in shipments:
            if not s.lines:
                raise ValueError(f"shipment {s.shipment_id} has no lines")
            for p in s.packages:
                if "|" in p.tracking_number:
                    raise ValueError(f"tracking number {p.tracking_number!r} contains '|'")
            packages = s.packages
            tracking = "|".join(p.tracking_number for p in packages)
            dims = []
            for attr in ("weight", "length", "width", "height"):
                values = [getattr(p, attr) for p in packages]
                dims.append("" if all(v is None for v in values) else "|".join(_num(v) for v in values))
            for line in s.lines:
                writer.writerow(
                    [s.order_number, s.shipment_id, _iso(s.shipped_at), s.carrier, s.service, tracking,
                     line.sku, line.quantity, *dims]
                )
        return out.getvalue().encode("utf-8")

    def parse_shipments(self, data: bytes) -> Parsed[WarehouseShipment]:
        result: Parsed[WarehouseShipment] = Parsed()
        try:
            rows = _table(data)
            cols = _header_map(rows[0][1], SHIPMENT_COLUMNS, SHIPMENT_REQUIRED, "shipment")
        except FileError as bad:
            result.errors.append(bad.error)
            return result

        drafts: dict[str, _ShipmentDraft] = {}
        for line, row in rows[1:]:
            cell = defaultdict(str, {name: _text(row, i) for name, i in cols.items()})
            get = cell.__getitem__  # a column the file does not have reads as ""
            sid = get("shipment_id").strip()
            draft = drafts.get(sid) if sid else None
            try:
                if not sid:
                    raise _BadRow("shipment_id is empty")
                order_number = required(get("order_number"), "order_number")
                shipped_at = moment(get("ship_date"), "ship_date")
                carrier, service = get("carrier").strip(), get("service").strip()
                sku = required(get("sku"), "sku")
                quantity = whole(get("quantity"), "quantity", minimum=1)
                packages = self._packages(get)
                if draft is not None and not draft.bad:
                    s = draft.shipment
                    for col, mine, theirs in (
                        ("order_number", order_number, s.order_number),
                        ("ship_date", shipped_at, s.shipped_at),
                        ("carrier", carrier, s.carrier),
                        ("service", service, s.service),
                    ):
                        if mine != theirs:
                            shown = show(get(col))
                            raise _BadRow(f"{col} {shown} differs from line {draft.line} of shipment {sid}")
            except _Bad as bad:
                if draft is not None:
                    draft.bad = True
                elif sid:
                    drafts[sid] = _ShipmentDraft(line, _empty_shipment(sid), bad=True)
                suffix = f" (shipment {sid} not read)" if sid else ""
                result.errors.append(RowError(line, str(bad) + suffix))
                continue
            if draft is not None and draft.bad:
                continue  # the shipment is already left out
            if draft is None:
                draft = drafts[sid] = _ShipmentDraft(
                    line,
                    WarehouseShipment(sid, order_number, shipped_at, carrier, service, [], []),  # type: ignore[arg-type]
                )
            _merge_packages(draft.shipment.packages, packages, first=not draft.quantities)
            draft.quantities[sku] = draft.quantities.get(sku, 0) + quantity
        for draft in drafts.values():
            if draft.bad:
                continue
            draft.shipment.lines = [ShipmentLine(sku, qty) for sku, qty in draft.quantities.items()]
            result.items.append(draft.shipment)
        return result

    @staticmethod
    def _packages(get) -> list[Package]:
        raw = get("tracking_numbers")
        tracking = [t.strip() for t in raw.split("|")] if raw.strip() else []
        dims: dict[str, list[Decimal | None]] = {}
        for col in _DIMENSIONS:
            value = get(col)
            if not value.strip():
                continue
            parts = value.split("|")
            count = max(len(tracking), 1)
            if len(parts) != count:
                raise _BadRow(
                    f"{col} {show(value)} has {len(parts)} value(s) for {count} package(s) in tracking_numbers"
                )
            dims[col] = [fields.number(p, col, negative=False) for p in parts]
        if not tracking and dims:
            tracking = [""]  # one package without a tracking number
        packages = []
        for i, number in enumerate(tracking):
            d = {col: values[i] for col, values in dims.items()}
            packages.append(
                Package(
                    tracking_number=number,
                    weight=d.get("package_weight"),
                    length=d.get("package_length"),
                    width=d.get("package_width"),
                    height=d.get("package_height"),
                )
            )
        return packages

    # -- inventory (the warehouse writes, Dockline reads) -------------------------------

    def render_inventory(self, levels: list[StockLevel]) -> bytes:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(INVENTORY_COLUMNS)
        for level in levels:
            writer.writerow(
                [level.sku, level.on_hand, level.available, level.facility, _iso(level.as_of) if level.as_of else ""]
            )
        return out.getvalue().encode("utf-8")

    def parse_inventory(self, data: bytes) -> Parsed[StockLevel]:
        result: Parsed[StockLevel] = Parsed()
        try:
            rows = _table(data)
            cols = _header_map(rows[0][1], INVENTORY_COLUMNS, INVENTORY_REQUIRED, "inventory")
        except FileError as bad:
            result.errors.append(bad.error)
            return result
        seen: dict[tuple[str, str], int] = {}
        for line, row in rows[1:]:
            cell = {name: _text(row, i) for name, i in cols.items()}
            try:
                sku = required(cell["sku"], "sku")
                on_hand = whole(cell["on_hand"], "on_hand", minimum=0)
                available = whole(cell["available"], "available")
                facility = cell.get("facility", "").strip()
                as_of = moment(cell.get("as_of", ""), "as_of", required=False)
                key = (sku, facility)
                if key in seen:
                    where = f" at facility {facility!r}" if facility else ""
                    raise _BadRow(f"sku {show(sku)}{where} is listed twice (first on line {seen[key]})")
            except _Bad as bad:
                result.errors.append(RowError(line, str(bad)))
                continue
            seen[key] = line
            result.items.append(StockLevel(sku, on_hand, available, facility, as_of))
        return result


def _empty_shipment(sid: str) -> WarehouseShipment:
    return WarehouseShipment(sid, "", datetime.min.replace(tzinfo=UTC), "", "", [], [])


def _merge_packages(packages: list[Package], new: list[Package], *, first: bool) -> None:
    """Rows of one shipment repeat its packages: keep each tracking number once."""
    index = {p.tracking_number: i for i, p in enumerate(packages) if p.tracking_number}
    for p in new:
        if not p.tracking_number:
            if first:
                packages.append(p)
            continue
        if p.tracking_number not in index:
            index[p.tracking_number] = len(packages)
            packages.append(p)
            continue
        old = packages[index[p.tracking_number]]
        if all(getattr(old, a) is None for a in ("weight", "length", "width", "height")):
            packages[index[p.tracking_number]] = p
