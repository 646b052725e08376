"""`dockline import-orders --connection N --since DATE`: backfill older orders through the store's connector."""
from __future__ import annotations

from datetime import UTC, datetime

import click

from dockline.commands.common import console, emit_json, find_connection, json_option, progress


def command(setup) -> click.Command:
    @click.command("import-orders")
    @click.option("--connection", "connection_id", type=int, required=True, help="The connection's id.")
    @click.option("--since", required=True, help="Orders modified on or after this date (YYYY-MM-DD, UTC).")
    @json_option
    def import_orders(connection_id: int, since: str, as_json: bool) -> None:
        """Import every order modified since DATE, however old; orders already here are not imported again."""
        setup()
        from dockline.connections.services import sync_now
        from dockline.core.errors import ConnectorError
        from dockline.orders.imports import backfill_orders

        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(f"'{since}' is not a date such as 2026-01-31.", param_hint="--since") from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        conn = find_connection(connection_id)
        connector = conn.store.connector()
        try:
            with progress(as_json) as bar:
                task = bar.add_task(f"Importing from {conn.store.name}", total=None)
                counts = backfill_orders(conn, connector, start,
                                         on_order=lambda order, new: bar.advance(task))
        except ConnectorError as exc:
            raise click.ClickException(f"The store stopped the import: {exc.message}") from None
        finally:
            connector.close()
        if counts["new"] and conn.enabled:
            sync_now(conn, "orders")  # map and send them on the next orders run
        if as_json:
            return emit_json({"connection": conn.id, **counts})
        console.print(f"{conn.name}: {counts['fetched']} order(s) since {start:%Y-%m-%d}, {counts['new']} new; "
                      f"{counts['fetched'] - counts['new']} were already here.", highlight=False)

    return import_orders
