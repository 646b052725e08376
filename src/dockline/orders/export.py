"""Orders as CSV, one row per order: what `dockline export orders` writes (and a spreadsheet can open safely).

Cells a spreadsheet would run as formulas are escaped as in `mapping/csv.py`.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from typing import TextIO

from dockline.mapping.csv import escape_cell
from dockline.orders.models import Order

HEADER = ["id", "number", "status", "connection", "store", "placed_at", "customer_email", "lines", "units", "error"]


def export_orders(orders: Iterable[Order], out: TextIO, on_row: Callable[[], None] | None = None) -> int:
    """Write the orders (their lines prefetched or not) to `out`; returns how many were written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    written = 0
    for order in orders:
        lines = list(order.lines.all())
        writer.writerow([escape_cell(v) for v in (
            order.id, order.number, order.status, order.connection.name, order.store.name,
            order.placed_at.isoformat(), order.customer_email, len(lines), sum(ln.quantity for ln in lines),
            order.error)])
        written += 1
        if on_row:
            on_row()
    return written
