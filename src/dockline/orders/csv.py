"""Orders from a CSV file (docs/orders-csv.md): one row per order line, rows sharing an order number form one order.

Columns (header row, any order, case ignored): order_number, sku, quantity are required on every row;
name, street1, city, postal_code, country and shipping_method on an order's first row; placed_at, email,
company, street2, state, phone, notes, item_name and unit_price are optional. An order's later rows may
leave its address and shipping columns empty, or repeat them exactly.

A file is all or nothing: any bad row and no order is stored, with every problem listed by line number.
Order numbers the merchant already has are skipped (a file uploaded twice stores nothing twice).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from dockline.connections.models import Connection
from dockline.core.types import Address
from dockline.mapping.csv import unescape_cell
from dockline.orders.actions import Who
from dockline.orders.manual import ManualLine, ManualOrder, check_manual, create_orders

REQUIRED = ("order_number", "sku", "quantity")
FIRST_ROW = ("name", "street1", "city", "postal_code", "country", "shipping_method")
ADDRESS = ("name", "company", "street1", "street2", "city", "state", "postal_code", "country", "phone")
ORDER_LEVEL = (*ADDRESS, "shipping_method", "email", "placed_at", "notes")
OPTIONAL = ("placed_at", "email", "company", "street2", "state", "phone", "notes", "item_name", "unit_price")
COLUMNS = (*REQUIRED, *FIRST_ROW, *OPTIONAL)
MAX_BYTES = 5_000_000
MAX_NUMBER = 100
MAX_PRICE = Decimal("1e10")


@dataclass
class CsvResult:
    created: list[str] = field(default_factory=list)  # order numbers stored
    skipped: list[str] = field(default_factory=list)  # already there
    errors: list[str] = field(default_factory=list)


def import_orders_csv(connection: Connection, data: bytes, by: Who, *, filename: str = "a CSV file") -> CsvResult:
    """Read the file and store its orders, or none of them when any row is wrong."""
    result = CsvResult()
    check_manual(connection)
    orders = parse_orders_csv(data, result.errors)
    if result.errors:
        return result
    created, result.skipped = create_orders(connection, orders, by, source=filename)
    result.created = [o.number for o in created]
    return result


def parse_orders_csv(data: bytes, errors: list[str]) -> list[ManualOrder]:
    """The file's orders; every problem is appended to `errors` as "Line N: ..." (parsing never raises)."""
    if len(data) > MAX_BYTES:
        errors.append(f"The file is larger than {MAX_BYTES // 1_000_000} MB; split it.")
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append("The file is not UTF-8 text; save it as CSV UTF-8.")
        return []
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in (*REQUIRED, *FIRST_ROW) if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        said = [f"missing {', '.join(missing)}"] if missing else []
        said += [f"unknown {', '.join(unknown)}"] if unknown else []
        errors.append(f"Line 1: the header is {'; '.join(said)} (the columns are in docs/orders-csv.md).")
        return []
    orders: dict[str, ManualOrder] = {}
    first_line: dict[str, tuple[int, dict]] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, (unescape_cell(c.strip()) for c in row), strict=False))
        row_errors: list[str] = []
        order_number = cells.get("order_number", "")
        if not order_number:
            row_errors.append("order_number is empty")
        elif len(order_number) > MAX_NUMBER:
            row_errors.append(f"order_number is longer than {MAX_NUMBER} characters")
        line = _line(cells, row_errors)
        if order_number in first_line:
            seen_at, seen = first_line[order_number]
            for column in ORDER_LEVEL:
                if cells.get(column) and cells[column] != seen.get(column, ""):
                    row_errors.append(f"{column} '{cells[column]}' differs from line {seen_at} of the same order")
        elif order_number:
            row_errors += [f"{c} is empty (needed on an order's first line)" for c in FIRST_ROW if not cells.get(c)]
            placed_at = _placed_at(cells.get("placed_at", ""), row_errors)
            if len(cells.get("country", "")) != 2:
                row_errors.append(f"country must be a two-letter code such as US, not '{cells.get('country', '')}'")
            if not row_errors:
                first_line[order_number] = (number, cells)
                address = {**{c: cells.get(c, "") for c in ADDRESS}, "country": cells["country"].upper()}
                orders[order_number] = ManualOrder(
                    number=order_number, ship_to=Address(**address), shipping_method=cells["shipping_method"],
                    customer_email=cells.get("email", ""), notes=cells.get("notes", ""), placed_at=placed_at)
        if row_errors:
            errors.append(f"Line {number}: " + "; ".join(row_errors) + ".")
        elif order_number in orders:
            orders[order_number].lines.append(line)
    if not orders and not errors:
        errors.append("The file has a header but no orders.")
    return list(orders.values())


def _line(cells: dict, errors: list[str]) -> ManualLine:
    sku, quantity, price = cells.get("sku", ""), cells.get("quantity", ""), cells.get("unit_price", "") or "0"
    if not sku:
        errors.append("sku is empty")
    if not quantity.isdigit() or int(quantity) < 1:
        errors.append(f"quantity must be a whole number of 1 or more, not '{quantity}'")
    try:
        unit_price = Decimal(price)
        if not unit_price.is_finite() or not 0 <= unit_price < MAX_PRICE:
            raise InvalidOperation
    except InvalidOperation:
        errors.append(f"unit_price must be a number such as 12.50, not '{price}'")
        unit_price = Decimal("0")
    return ManualLine(sku=sku, quantity=int(quantity) if quantity.isdigit() else 0, name=cells.get("item_name", ""),
                      unit_price=unit_price.quantize(Decimal("0.01")))


def _placed_at(text: str, errors: list[str]) -> datetime | None:
    """An ISO date or date and time; without a zone it is UTC. Empty: now."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        errors.append(f"placed_at must be a date such as 2026-03-01 or 2026-03-01T14:30:00Z, not '{text}'")
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
