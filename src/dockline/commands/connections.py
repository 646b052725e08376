"""`dockline connections list|test|sync`: the connections, their Test Connection, and running a channel now."""
from __future__ import annotations

import click
from rich.table import Table

from dockline.commands.common import as_data, console, emit_json, find_connection, json_option

CHANNELS = click.Choice(["orders", "shipments", "inventory"])


def command(setup) -> click.Group:
    @click.group()
    def connections() -> None:
        """List, test and sync connections."""

    @connections.command("list")
    @json_option
    def list_(as_json: bool) -> None:
        """Every connection with its merchant, store, warehouse and state."""
        setup()
        from dockline.api.schemas import ConnectionOut
        from dockline.connections.models import Connection

        rows = Connection.objects.select_related("store", "merchant", "warehouse").order_by("id")
        if as_json:
            return emit_json([as_data(ConnectionOut, c) for c in rows])
        table = Table("id", "name", "merchant", "store", "warehouse", "state")
        for c in rows:
            state = "needs re-authorization" if c.has_auth_error else ("enabled" if c.enabled else "disabled")
            table.add_row(str(c.id), c.name, c.merchant.name, f"{c.store.name} ({c.store.platform})",
                          c.warehouse.name, state)
        console.print(table)

    @connections.command()
    @click.argument("connection_id", type=int)
    @json_option
    def test(connection_id: int, as_json: bool) -> None:
        """Test the store side, step by step (as the wizard's Test Connection does)."""
        setup()
        from dockline.core.errors import ConnectorError

        conn = find_connection(connection_id)
        connector = conn.store.connector()
        try:
            report = connector.test_connection()
        except ConnectorError as exc:
            raise click.ClickException(f"The store refused: {exc.message}") from None
        finally:
            connector.close()
        if as_json:
            emit_json({"ok": report.ok, "steps": [vars(s) for s in report.steps]})
        else:
            for step in report.steps:
                mark = "[green]ok[/green]" if step.ok else "[red]failed[/red]"
                console.print(f"{mark}  {step.name}: {step.detail}", highlight=False)
        if not report.ok:
            raise SystemExit(1)

    @connections.command()
    @click.argument("connection_id", type=int)
    @click.option("--channel", type=CHANNELS, help="Only this channel (default: all three).")
    @json_option
    def sync(connection_id: int, channel: str | None, as_json: bool) -> None:
        """Make the connection's channels due now; the scheduler of `dockline serve` runs them."""
        setup()
        from dockline.connections.services import sync_now

        conn = find_connection(connection_id)
        if not conn.enabled:
            raise click.ClickException(f"{conn.name} is disabled; enable it on the dashboard first.")
        touched = sync_now(conn, channel)
        if as_json:
            return emit_json({"connection": conn.id, "channels": touched})
        console.print(f"{conn.name}: {touched} channel(s) due now.", highlight=False)

    return connections
