"""`dockline export orders --format csv`: orders to a CSV file or standard output."""
from __future__ import annotations

import sys

import click

from dockline.commands.common import console, emit_json, json_option, progress


def command(setup) -> click.Group:
    @click.group()
    def export() -> None:
        """Export data for spreadsheets and other systems."""

    @export.command()
    @click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
    @click.option("--status", help="Only orders in this status.")
    @click.option("--connection", type=int, help="Only this connection's orders.")
    @click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
    @json_option
    def orders(fmt: str, status: str | None, connection: int | None, output: str | None, as_json: bool) -> None:
        """Orders, newest first, one row each (id, number, status, connection, store, placed_at, ...)."""
        setup()
        from dockline.orders.export import export_orders
        from dockline.orders.models import Order

        rows = Order.objects.select_related("connection", "store").prefetch_related("lines").order_by("-placed_at")
        if status:
            rows = rows.filter(status=status)
        if connection:
            rows = rows.filter(connection_id=connection)
        out = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
        try:
            with progress(as_json or not output) as bar:
                task = bar.add_task("Exporting orders", total=rows.count())
                written = export_orders(rows.iterator(chunk_size=500), out, on_row=lambda: bar.advance(task))
        finally:
            if output:
                out.close()
        if as_json:
            return emit_json({"format": fmt, "orders": written, "output": output or "-"})
        if output:
            console.print(f"{written} order(s) written to {output}.", highlight=False)

    return export
