"""Listings as CSV: one row per warehouse SKU a store SKU picks (a bundle spans several rows).

Columns: store_sku, warehouse_sku, quantity. An import is all or nothing: any bad row
and nothing changes, with every problem listed by line number.

A cell that a spreadsheet would run as a formula (it begins with = + - @, a tab or a carriage
return) is written with a leading apostrophe (OWASP "CSV injection"); the import takes that
apostrophe off again, so a SKU such as "-BLUE" survives a round trip.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from dockline.connections.models import Connection
from dockline.mapping.models import Listing
from dockline.mapping.services import save_listing

HEADER = ["store_sku", "warehouse_sku", "quantity"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value) -> str:
    """The cell as text a spreadsheet shows rather than runs; an apostrophe already standing
    before such a character is escaped too, so that unescape_cell gives the value back exactly."""
    text = str(value)
    if text.startswith(FORMULA_STARTS) or (text.startswith("'") and text[1:].startswith(FORMULA_STARTS)):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """Undo escape_cell: drop one apostrophe standing before a formula character."""
    rest = text[1:]
    if text.startswith("'") and escape_cell(rest) == text:
        return rest
    return text


def export_listings(connection: Connection) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for listing in Listing.objects.filter(connection=connection).prefetch_related("components"):
        for c in sorted(listing.components.all(), key=lambda c: c.warehouse_sku):
            writer.writerow([escape_cell(v) for v in (listing.store_sku, c.warehouse_sku, c.quantity)])
    return out.getvalue()


@dataclass
class ImportResult:
    saved: int = 0
    errors: list[str] = field(default_factory=list)


def import_listings(connection: Connection, data: bytes) -> ImportResult:
    """Create or replace the listings named in the file; others are left alone."""
    result = ImportResult()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append("The file is not UTF-8 text.")
        return result
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:3] != HEADER:
        result.errors.append(f"Line 1: the header must be {','.join(HEADER)}, not {','.join(header) or '(empty)'}.")
        return result
    listings: dict[str, dict[str, int]] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [unescape_cell(c.strip()) for c in row] + ["", "", ""]
        store_sku, warehouse_sku, qty = cells[:3]
        if not store_sku or not warehouse_sku:
            result.errors.append(f"Line {number}: store_sku and warehouse_sku are both needed.")
            continue
        qty = qty or "1"
        if not qty.isdigit() or int(qty) < 1:
            result.errors.append(f"Line {number}: quantity must be a whole number of 1 or more, not '{qty}'.")
            continue
        components = listings.setdefault(store_sku, {})
        if warehouse_sku in components:
            result.errors.append(f"Line {number}: {store_sku} lists {warehouse_sku} twice.")
            continue
        components[warehouse_sku] = int(qty)
    if result.errors:
        return result
    with transaction.atomic():
        for store_sku, components in listings.items():
            save_listing(connection, store_sku, list(components.items()))
    result.saved = len(listings)
    return result
