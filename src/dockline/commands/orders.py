"""`dockline orders list|show|reprocess|reset|archive|cancel`: the dashboard's order actions, from a terminal."""
from __future__ import annotations

import json

import click
from rich.table import Table

from dockline.commands.common import as_data, check_status, console, emit_json, json_option, progress, who

STATUS_HELP = "Only orders in this status (new, queued, open, error, ...)."


def command(setup) -> click.Group:
    @click.group()
    def orders() -> None:
        """List, show and act on orders."""

    @orders.command("list")
    @click.option("--status", default="", help=STATUS_HELP)
    @click.option("--search", "q", default="", help="An order number, email, SKU, tracking number or name start.")
    @click.option("--connection", type=int, help="Only this connection's orders.")
    @click.option("--limit", default=50, show_default=True)
    @json_option
    def list_(status: str, q: str, connection: int | None, limit: int, as_json: bool) -> None:
        """The newest orders first, with the dashboard's status filter and search."""
        setup()
        from dockline.api.schemas import OrderOut
        from dockline.orders.models import Order
        from dockline.web import order_list

        check_status(status)
        given = order_list.read_filters({"status": status, "q": q})
        rows = order_list.apply_filters(Order.objects.select_related("connection"), given)
        if connection:
            rows = rows.filter(connection_id=connection)
        rows = list(rows.order_by("-placed_at", "-id")[:limit])
        if as_json:
            return emit_json([as_data(OrderOut, o) for o in rows])
        table = Table("id", "number", "status", "connection", "placed (UTC)", "error")
        for o in rows:
            table.add_row(str(o.id), o.number, o.get_status_display(), o.connection.name,
                          f"{o.placed_at:%Y-%m-%d %H:%M}", o.error[:60])
        console.print(table)

    @orders.command()
    @click.argument("order_id", type=int)
    @json_option
    def show(order_id: int, as_json: bool) -> None:
        """One order with its lines, shipments and activity."""
        setup()
        from dockline.api.routers.orders import detail
        from dockline.api.schemas import OrderDetail

        order = _order(order_id)
        data = json.loads(OrderDetail.model_validate(detail(order)).model_dump_json())
        if as_json:
            return emit_json(data)
        console.print(f"[bold]#{order.number}[/bold] {order.get_status_display()} · {order.connection.name} · "
                      f"placed {order.placed_at:%Y-%m-%d %H:%M} UTC", highlight=False)
        if order.error:
            console.print(f"[red]{order.error}[/red]", highlight=False)
        for line in data["lines"]:
            console.print(f"  {line['quantity']} × {line['sku']} {line['name']}", highlight=False)
        for s in data["shipments"]:
            tracking = ", ".join(p["tracking_number"] for p in s["packages"]) or "no tracking"
            console.print(f"  shipped {s['shipped_at'][:16]} via {s['carrier']} {s['service']} ({tracking})",
                          highlight=False)
        for entry in data["activity"]:
            console.print(f"  [dim]{entry['at'][:16]} {entry['actor']}:[/dim] {entry['message']}", highlight=False)

    for name in ("reprocess", "reset", "archive", "cancel"):
        orders.add_command(_action(setup, name))
    return orders


def _order(order_id: int):
    from dockline.orders.models import Order

    try:
        return Order.objects.select_related("connection", "store").get(pk=order_id)
    except Order.DoesNotExist:
        raise click.ClickException(f"There is no order {order_id}.") from None


def _action(setup, name: str) -> click.Command:
    @click.command(name, help=f"{name.capitalize()} orders by id (as the dashboard's {name.capitalize()} does).")
    @click.argument("order_ids", type=int, nargs=-1, required=True)
    @json_option
    def act(order_ids: tuple[int, ...], as_json: bool) -> None:
        setup()
        from dockline.orders import actions

        results = []
        with progress(as_json or len(order_ids) < 2) as bar:
            task = bar.add_task(name.capitalize(), total=len(order_ids))
            for order_id in order_ids:
                order = _order(order_id)
                try:
                    actions.ACTIONS[name](order, who())
                    order.refresh_from_db()
                    results.append({"id": order.id, "number": order.number, "done": True, "status": order.status})
                except actions.ActionRefused as exc:
                    results.append({"id": order.id, "number": order.number, "done": False, "refused": str(exc)})
                bar.advance(task)
        if as_json:
            emit_json(results)
        else:
            for r in results:
                console.print(f"#{r['number']}: " + (f"{name} done; now {r['status']}." if r["done"] else
                                                     f"[red]{r['refused']}[/red]"), highlight=False)
        if not all(r["done"] for r in results):
            raise SystemExit(1)

    return act
