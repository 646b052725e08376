"""JSON warehouse files: one document per file. See docs/formats/json.md.

* ``ord_<order>_<yymmddhhmmss>.json`` — ``{"version": 1, "orders": [...]}``
* ``shp_<shipment>_<yymmddhhmmss>.json`` — ``{"version": 1, "shipments": [...]}``
* ``inv_<yymmddhhmmssfff>.json`` — ``{"version": 1, "inventory": [...]}``, a full snapshot

Parsing is tolerant and never raises: unknown keys are ignored, numbers may
come as JSON numbers or numeric strings, times without a zone are UTC. Each
problem becomes a :class:`RowError` whose reason starts with the path of the
value, e.g. ``shipments[3].lines[0].quantity: ...``; a record with a problem
(an order, a shipment, an inventory entry) is left out whole, the others are
read. ``RowError.line`` is the line in the file where the record starts.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

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
    first_of_each,
    read_guarded,
    register,
)
from dockline.warehouses.formats.fields import (
    FieldError,
    moment,
    show,
    utc,
    whole,
)
from dockline.warehouses.formats.json_cancel import JsonCancellations

SCHEMA_VERSION = 1
ADDRESS_KEYS = ("name", "company", "street1", "street2", "city", "state", "postal_code", "country", "phone", "email")


class _Problems:
    """Collects problems for one record, each starting with the path of the value."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append(f"{path}: {reason}")

    def read(self, reader, obj: dict, key: str, path: str, **options):
        """``reader(obj[key], "path.key", **options)``; a FieldError is recorded and gives None."""
        try:
            return reader(obj.get(key), f"{path}.{key}", **options)
        except FieldError as bad:
            self.items.append(str(bad))
            return None


def _iso(at: datetime) -> str:
    at = utc(at)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + (f".{at.microsecond:06d}" if at.microsecond else "") + "Z"


def _at(facility: str) -> str:
    return f" at facility {facility!r}" if facility else ""


def _number_out(value: Decimal | None) -> Any:
    """A Decimal as a JSON number (int when whole); None stays null."""
    if value is None:
        return None
    if value == value.to_integral_value() and abs(value) < 10**15:
        return int(value)
    return float(value) if len(value.normalize().as_tuple().digits) <= 15 else str(value)


def _text(value: Any, field: str, *, required: bool = False) -> str:
    """Text; numbers are taken as text (numeric ids and postal codes)."""
    if isinstance(value, (bool, dict, list)):
        raise FieldError(field, "must be text", value)
    if value is None or (required and not str(value).strip()):
        if required:
            raise FieldError(field, "is missing" if value is None else "is empty", kind=fields.MISSING)
        return ""
    return str(value)


def _decimal(value: Any, field: str) -> Decimal | None:
    return fields.number(value, field, negative=False)


def _object(value: Any, path: str, problems: _Problems) -> dict | None:
    if not isinstance(value, dict):
        problems.add(path, f"must be an object, got {show(value)}")
        return None
    return value


def _array(obj: dict, key: str, path: str, problems: _Problems, *, required: bool = True) -> list | None:
    value = obj.get(key)
    if value is None:
        if required:
            problems.add(f"{path}.{key}", "is missing")
            return None
        return []
    if not isinstance(value, list):
        problems.add(f"{path}.{key}", f"must be a list, got {show(value)}")
        return None
    return value


# -- the document ------------------------------------------------------------------------------


def _load(data: bytes | str, key: str) -> tuple[list, str]:
    """The records under `key`, and the document text (for line numbers)."""
    text = decode_text(data)
    if not text.strip():
        raise FileError("file is empty: expected a JSON document")
    try:
        doc = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise FileError(f"file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise FileError(f"file is not valid JSON: {exc}") from None
    if isinstance(doc, list):
        return doc, text
    if not isinstance(doc, dict):
        raise FileError(f'the document must be an object with "{key}": [...], got {show(doc)}')
    version = doc.get("version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, (int, Decimal, str)) or str(version).strip() not in (
        str(SCHEMA_VERSION), f"{SCHEMA_VERSION}.0"
    ):
        raise FileError(f"version: this reader knows version {SCHEMA_VERSION}, the file says {show(version)}")
    if key not in doc:
        raise FileError(f'the document has no "{key}" list (keys found: {", ".join(sorted(map(str, doc))) or "none"})')
    records = doc[key]
    if not isinstance(records, list):
        raise FileError(f"{key}: must be a list, got {show(records)}")
    return records, text


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def _record_lines(text: str, key: str, count: int) -> list[int | None]:
    """The line where each record of the list starts (None when it cannot be told)."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    ws = re.compile(r"[ \t\n\r]*")

    def skip(i: int) -> int:
        return ws.match(text, i).end()  # type: ignore[union-attr]

    i = skip(0)
    if text[i : i + 1] == "{":
        i = skip(i + 1)
        while text[i : i + 1] == '"':
            name, i = json.decoder.scanstring(text, i + 1)
            i = skip(i)
            i = skip(i + 1)  # the colon
            if name == key:
                break
            _value, i = decoder.raw_decode(text, i)
            i = skip(i)
            if text[i : i + 1] == ",":
                i = skip(i + 1)
        else:
            return [None] * count
    if text[i : i + 1] != "[":
        return [None] * count
    lines: list[int | None] = []
    i = skip(i + 1)
    while len(lines) < count and text[i : i + 1] not in ("]", ""):
        lines.append(text.count("\n", 0, i) + 1)
        _value, i = decoder.raw_decode(text, i)
        i = skip(i)
        if text[i : i + 1] == ",":
            i = skip(i + 1)
    return (lines + [None] * count)[:count]


@register
class JsonFormat(JsonCancellations, StampedNames, FileFormat):
    prefixes: ClassVar[tuple[str, str, str]] = ("ord", "shp", "inv")
    extension: ClassVar[str] = "json"
    name: ClassVar[str] = "json"
    label: ClassVar[str] = "JSON"
    order_pattern: ClassVar[re.Pattern] = re.compile(r"^ord_[A-Za-z0-9_.-]+\.json$")
    shipment_pattern: ClassVar[re.Pattern] = re.compile(r"^shp_[A-Za-z0-9_.-]+\.json$")
    inventory_pattern: ClassVar[re.Pattern] = re.compile(r"^inv_[A-Za-z0-9_.-]+\.json$")
    inventory_is_snapshot: ClassVar[bool] = True

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = dict(settings or {})
        self.indent = 2 if str(self.settings.get("pretty", True)).lower() not in ("0", "false", "no", "off") else None

    # -- file names --------------------------------------------------------------------

    def _dump(self, key: str, records: list[dict]) -> bytes:
        doc = {"version": SCHEMA_VERSION, key: records}
        return (json.dumps(doc, ensure_ascii=False, indent=self.indent) + "\n").encode("utf-8")

    # -- orders --------------------------------------------------------------------------

    def render_orders(self, orders: list[WarehouseOrder]) -> bytes:
        records = []
        for o in orders:
            if not o.order_number.strip():
                raise RenderError("order_number", "an order has no order number")
            if not o.lines:
                raise RenderError("lines", f"order {o.order_number} has no lines")
            for line in o.lines:
                if line.quantity < 1:
                    raise RenderError("quantity", f"order {o.order_number}: line {line.line_no} quantity must be at least 1")
            records.append(
                {
                    "order_number": o.order_number,
                    "placed_at": _iso(o.placed_at),
                    "ship_to": {k: getattr(o.ship_to, k) for k in ADDRESS_KEYS},
                    "carrier": o.carrier,
                    "service": o.service,
                    "email": o.email,
                    "notes": o.notes,
                    "facility": o.facility,
                    "lines": [
                        {"line_no": w.line_no, "sku": w.sku, "quantity": w.quantity, "description": w.description}
                        for w in o.lines
                    ],
                }
            )
        return self._dump("orders", records)

    def parse_orders(self, data: bytes) -> Parsed[WarehouseOrder]:
        return self._parse(data, "orders", self._order)

    def _order(self, raw: Any, path: str, problems: _Problems) -> WarehouseOrder | None:
        obj = _object(raw, path, problems)
        if obj is None:
            return None
        number = problems.read(_text, obj, "order_number", path, required=True)
        placed = problems.read(moment, obj, "placed_at", path)
        ship_raw = obj.get("ship_to")
        address: Address | None = None
        if ship_raw is None:
            problems.add(f"{path}.ship_to", "is missing")
        else:
            ship = _object(ship_raw, f"{path}.ship_to", problems)
            if ship is not None:
                values = {k: problems.read(_text, ship, k, f"{path}.ship_to") for k in ADDRESS_KEYS}
                if all(v is not None for v in values.values()):
                    address = Address(**values)  # type: ignore[arg-type]
        extra = {k: problems.read(_text, obj, k, path) for k in ("carrier", "service", "email", "notes", "facility")}
        lines: list[WarehouseLine] = []
        raw_lines = _array(obj, "lines", path, problems)
        if raw_lines is not None and not raw_lines:
            problems.add(f"{path}.lines", "is empty: an order needs at least one line")
        seen: set[int] = set()
        for i, raw_line in enumerate(raw_lines or []):
            lp = f"{path}.lines[{i}]"
            line = _object(raw_line, lp, problems)
            if line is None:
                continue
            line_no = problems.read(whole, line, "line_no", lp, minimum=1, required=False)
            if line_no is None and "line_no" not in line:
                line_no = i + 1
            sku = problems.read(_text, line, "sku", lp, required=True)
            qty = problems.read(whole, line, "quantity", lp, minimum=1)
            desc = problems.read(_text, line, "description", lp)
            if line_no is not None and line_no in seen:
                problems.add(f"{lp}.line_no", f"{line_no} appears twice in this order")
                continue
            if line_no is not None:
                seen.add(line_no)
            if None not in (line_no, sku, qty, desc):
                lines.append(WarehouseLine(line_no, sku.strip(), qty, desc))  # type: ignore[arg-type, union-attr]
        if problems.items or address is None or number is None or placed is None:
            return None
        return WarehouseOrder(
            order_number=number.strip(),
            placed_at=placed,
            ship_to=address,
            carrier=extra["carrier"].strip(),  # type: ignore[union-attr]
            service=extra["service"].strip(),  # type: ignore[union-attr]
            lines=lines,
            email=extra["email"].strip(),  # type: ignore[union-attr]
            notes=extra["notes"],  # type: ignore[arg-type]
            facility=extra["facility"].strip(),  # type: ignore[union-attr]
        )

    # -- shipments -----------------------------------------------------------------------

    def render_shipments(self, shipments: list[WarehouseShipment]) -> bytes:
        records = []
        for s in shipments:
            if not s.lines:
                raise ValueError(f"shipment {s.shipment_id} has no lines")
            records.append(
                {
                    "shipment_id": s.shipment_id,
                    "order_number": s.order_number,
                    "shipped_at": _iso(s.shipped_at),
                    "carrier": s.carrier,
                    "service": s.service,
                    "packages": [
                        {
                            "tracking_number": p.tracking_number,
                            "weight": _number_out(p.weight),
                            "length": _number_out(p.length),
                            "width": _number_out(p.width),
                            "height": _number_out(p.height),
                            "box_id": p.box_id,
                        }
                        for p in s.packages
                    ],
                    "lines": [{"sku": line.sku, "quantity": line.quantity} for line in s.lines],
                }
            )
        return self._dump("shipments", records)

    def parse_shipments(self, data: bytes) -> Parsed[WarehouseShipment]:
        result = self._parse(data, "shipments", self._shipment)
        return first_of_each(result, lambda s: s.shipment_id,
                             lambda s: f"shipments: shipment_id {s.shipment_id!r} appears twice; the second was not read")

    def _shipment(self, raw: Any, path: str, problems: _Problems) -> WarehouseShipment | None:
        obj = _object(raw, path, problems)
        if obj is None:
            return None
        sid = problems.read(_text, obj, "shipment_id", path, required=True)
        number = problems.read(_text, obj, "order_number", path, required=True)
        shipped = problems.read(moment, obj, "shipped_at", path)
        carrier = problems.read(_text, obj, "carrier", path)
        service = problems.read(_text, obj, "service", path)
        packages: list[Package] = []
        for i, raw_pkg in enumerate(_array(obj, "packages", path, problems, required=False) or []):
            pp = f"{path}.packages[{i}]"
            pkg = _object(raw_pkg, pp, problems)
            if pkg is None:
                continue
            tracking = problems.read(_text, pkg, "tracking_number", pp)
            box = problems.read(_text, pkg, "box_id", pp)
            dims = {k: problems.read(_decimal, pkg, k, pp) for k in ("weight", "length", "width", "height")}
            if tracking is not None and box is not None:
                packages.append(Package(tracking.strip(), box_id=box.strip(), **dims))
        quantities: dict[str, int] = {}
        raw_lines = _array(obj, "lines", path, problems)
        if raw_lines is not None and not raw_lines:
            problems.add(f"{path}.lines", "is empty: a shipment needs at least one line")
        for i, raw_line in enumerate(raw_lines or []):
            lp = f"{path}.lines[{i}]"
            line = _object(raw_line, lp, problems)
            if line is None:
                continue
            sku = problems.read(_text, line, "sku", lp, required=True)
            qty = problems.read(whole, line, "quantity", lp, minimum=1)
            if sku is not None and qty is not None:
                quantities[sku.strip()] = quantities.get(sku.strip(), 0) + qty
        if problems.items or None in (sid, number, shipped, carrier, service):
            return None
        return WarehouseShipment(
            shipment_id=sid.strip(),  # type: ignore[union-attr]
            order_number=number.strip(),  # type: ignore[union-attr]
            shipped_at=shipped,  # type: ignore[arg-type]
            carrier=carrier.strip(),  # type: ignore[union-attr]
            service=service.strip(),  # type: ignore[union-attr]
            packages=packages,
            lines=[ShipmentLine(sku, qty) for sku, qty in quantities.items()],
        )

    # -- inventory ------------------------------------------------------------------------

    def render_inventory(self, levels: list[StockLevel]) -> bytes:
        records = []
        for level in levels:
            record: dict[str, Any] = {
                "sku": level.sku,
                "on_hand": level.on_hand,
                "available": level.available,
                "facility": level.facility,
            }
            record["as_of"] = _iso(level.as_of) if level.as_of else None
            records.append(record)
        return self._dump("inventory", records)

    def parse_inventory(self, data: bytes) -> Parsed[StockLevel]:
        result = self._parse(data, "inventory", self._level)
        return first_of_each(result, lambda level: (level.sku, level.facility),
                             lambda level: f"inventory: sku {level.sku!r}{_at(level.facility)} is listed twice; "
                                           "the second was not read")

    def _level(self, raw: Any, path: str, problems: _Problems) -> StockLevel | None:
        obj = _object(raw, path, problems)
        if obj is None:
            return None
        sku = problems.read(_text, obj, "sku", path, required=True)
        on_hand = problems.read(whole, obj, "on_hand", path, minimum=0)
        available = problems.read(whole, obj, "available", path)
        facility = problems.read(_text, obj, "facility", path)
        as_of = problems.read(moment, obj, "as_of", path, required=False)
        if problems.items or None in (sku, on_hand, available, facility):
            return None
        return StockLevel(sku.strip(), on_hand, available, facility.strip(), as_of)  # type: ignore[union-attr, arg-type]

    # -- the shared reading loop --------------------------------------------------------------

    def _parse(self, data: bytes, key: str, build) -> Parsed:
        return read_guarded(lambda result: self._parse_into(result, data, key, build))

    def _parse_into(self, result: Parsed, data: bytes, key: str, build) -> None:
        records, text = _load(data, key)
        try:
            lines = _record_lines(text, key, len(records))
        except Exception:  # noqa: BLE001 - line numbers are a convenience
            lines = [None] * len(records)
        for i, raw in enumerate(records):
            path = f"{key}[{i}]"
            problems = _Problems()
            try:
                item = build(raw, path, problems)
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
                problems.add(path, f"internal error: {type(exc).__name__}: {exc}")
                item = None
            if problems.items:
                for reason in problems.items:
                    result.errors.append(RowError(lines[i], reason))
            elif item is not None:
                result.items.append(item)
