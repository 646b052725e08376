"""`dockline export orders --format csv`: the dashboard's CSV export, to a file or standard output.

The same filters, search, columns and writer as the Orders page's Export CSV (`web/order_list.py`,
`orders/export.py`), over every organization's orders; streamed, whatever the count.
"""
from __future__ import annotations

import sys

import click

from dockline.commands.common import check_status, console, emit_json, json_option, progress


def command(setup) -> click.Group:
    @click.group()
    def export() -> None:
        """Export data for spreadsheets and other systems."""

    @export.command()
    @click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
    @click.option("--status", default="", help="Only orders in this status (new, queued, open, error, ...).")
    @click.option("--store", type=int, help="Only this store's orders (its id).")
    @click.option("--since", default="", help="Placed on or after this day (YYYY-MM-DD).")
    @click.option("--until", default="", help="Placed on or before this day (YYYY-MM-DD).")
    @click.option("--search", "q", default="", help="An order number, email, SKU, tracking number or name start.")
    @click.option("--connection", type=int, help="Only this connection's orders.")
    @click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
    @json_option
    def orders(fmt: str, status: str, store: int | None, since: str, until: str, q: str, connection: int | None,
               output: str | None, as_json: bool) -> None:
        """Orders, newest first, one row each, as the dashboard's Export CSV writes them."""
        setup()
        from dockline.orders.export import csv_lines
        from dockline.orders.models import Order
        from dockline.web import order_list

        check_status(status)
        given = order_list.read_filters({"status": status, "store": str(store or ""), "since": since, "until": until,
                                         "q": q})
        rows = order_list.apply_filters(Order.objects.all(), given)
        if connection:
            rows = rows.filter(connection_id=connection)
        out = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
        written = 0
        try:
            with progress(as_json or not output) as bar:
                task = bar.add_task("Exporting orders", total=rows.count())
                for n, line in enumerate(csv_lines(order_list.CSV_HEADER, order_list.csv_rows(rows))):
                    out.write(line)
                    if n:
                        written += 1
                        bar.advance(task)
        finally:
            if output:
                out.close()
        if as_json:
            return emit_json({"format": fmt, "orders": written, "output": output or "-"})
        if output:
            console.print(f"{written} order(s) written to {output}.", highlight=False)

    return export
