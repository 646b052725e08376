"""Switching connections on and off, running their channels now, changing their schedules and the warehouses
they ship from, deleting them."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dockline.connections.models import AUTH_ERROR_FIELDS, Channel, ChannelKind, Connection, ConnectionWarehouse, Side
from dockline.core import durations
from dockline.core.errors import ConnectorError
from dockline.warehouses.models import Warehouse

log = logging.getLogger(__name__)


class ActionRefused(Exception):
    """What a person asked cannot be done now; the message says why and what to do, in plain words."""


def enable(connection: Connection) -> str:
    """Turn a connection on: its channels become due now, and the store is told where to send webhooks.

    Returns what the person should know about webhooks: "" when they are on (or the platform has
    none), else why they are off and that polling brings the orders meanwhile."""
    connector = connection.store.connector()
    try:
        note = connector.on_enable(connection, public_url=settings.PUBLIC_URL)
    finally:
        connector.close()
    connection.enabled = True
    connection.save(update_fields=["enabled"])
    Channel.objects.filter(connection=connection).update(next_run_at=timezone.now())
    orders = Channel.objects.filter(connection=connection, kind=ChannelKind.ORDERS, enabled=True).first()
    if note and orders:
        note += f" Until then new orders arrive by polling, every {durations.describe(orders.interval)}."
    return note


def disable(connection: Connection) -> None:
    """Turn a connection off; nothing runs for it until enabled again. Webhooks are removed where possible."""
    connection.enabled = False
    connection.save(update_fields=["enabled"])
    connector = connection.store.connector()
    try:
        connector.on_disable(connection, public_url=settings.PUBLIC_URL)
    except ConnectorError as exc:  # the connection is off either way; the hook can be removed later
        log.warning("could not remove webhooks for %s: %s", connection, exc.message)
    finally:
        connector.close()


def sync_now(connection: Connection, kind: str | None = None) -> int:
    """Make one channel (or all) due at once; returns how many channels were touched."""
    channels = Channel.objects.filter(connection=connection)
    if kind:
        channels = channels.filter(kind=kind)
    return channels.update(next_run_at=timezone.now())


@transaction.atomic
def update_settings(connection: Connection, *, name: str = "", inventory_mode: str = "",
                    schedules: dict[str, tuple[bool, timedelta | None]], warehouse_settings: dict) -> None:
    """Rename (an empty name keeps it), set the inventory mode (empty keeps it), switch and time each channel
    ({kind: (on, interval)}, an interval of None keeps the channel's), and merge `warehouse_settings` in."""
    connection.name = name or connection.name
    connection.inventory_mode = inventory_mode or connection.inventory_mode
    connection.save(update_fields=["name", "inventory_mode"])
    warehouse = connection.warehouse
    warehouse.settings = {**warehouse.settings, **warehouse_settings}
    warehouse.save(update_fields=["settings"])
    for channel in Channel.objects.filter(connection=connection, kind__in=schedules):
        channel.enabled, interval = schedules[channel.kind]
        channel.interval = interval or channel.interval
        channel.save(update_fields=["enabled", "interval"])


def delete_connection(connection: Connection, *, now=None) -> str:
    """Delete a connection with its channels, orders and mappings (its store's webhooks are removed first).

    Refused while one of its channels is running: the run would write into what is gone. Returns the name."""
    now = now or timezone.now()
    running = Channel.objects.filter(connection=connection, lease_expires_at__gt=now).exclude(lease_owner="")
    busy = running.first()
    if busy is not None:
        raise ActionRefused(f"{connection.name} is running its {busy.get_kind_display().lower()} channel right now; "
                            "disable it, wait a minute for the run to finish, then delete it.")
    if connection.enabled:
        disable(connection)
    name = connection.name
    connection.delete()
    return name


def needs_reauthorization(connection: Connection, reason: str, *, side: Side) -> bool:
    """Mark one side of the connection "needs re-authorization" with the reason, once per reason.

    The alert (and its "Alert opened" log line on `dockline.alerts`) comes from the next alert check.

    `connection` is as loaded before the failed run; the next successful call to
    the same side clears the mark (`authorization_works`). Returns True when the mark is new.
    """
    if connection.auth_error(side) == reason:
        return False
    field = AUTH_ERROR_FIELDS[side]
    Connection.objects.filter(id=connection.id).update(**{field: reason})
    setattr(connection, field, reason)
    log.info("Connection %s (%s): the %s marked as needing re-authorization: %s",
             connection.id, connection.name, side.label.lower(), reason, extra={"connection_id": connection.id})
    return True


def authorization_works(connection: Connection, side: Side) -> None:
    """A call to `side` succeeded: clear that side's re-authorization mark (the other side's stays)."""
    field = AUTH_ERROR_FIELDS[side]
    if getattr(connection, field):
        Connection.objects.filter(id=connection.id).update(**{field: ""})
        setattr(connection, field, "")


def update_stock_settings(connection: Connection, *, routing: str, buffer: int, buffer_unit: str, minimum: int) -> None:
    """Where orders go among the connection's warehouses, and what is held back from the store's stock."""
    connection.routing = routing
    connection.stock_buffer = buffer
    connection.stock_buffer_unit = buffer_unit
    connection.stock_minimum = minimum
    connection.save(update_fields=["routing", "stock_buffer", "stock_buffer_unit", "stock_minimum"])


def add_other_warehouse(connection: Connection, warehouse: Warehouse) -> ConnectionWarehouse:
    """Let the connection also ship from `warehouse` (of its organization), after those it has."""
    if warehouse.organization_id != connection.organization_id:
        raise ActionRefused("That warehouse belongs to another organization.")
    if warehouse.pk in {w.pk for w in connection.warehouses()}:
        raise ActionRefused(f"{connection.name} already ships from {warehouse.name}.")
    last = connection.other_warehouses.order_by("-position").first()
    return ConnectionWarehouse.objects.create(connection=connection, warehouse=warehouse,
                                              position=(last.position if last else 0) + 1)


def remove_other_warehouse(connection: Connection, warehouse: Warehouse) -> None:
    """Stop routing orders to `warehouse`. Refused while a part of an order waits to go there."""
    from_here = connection.orders.filter(parts__warehouse=warehouse, parts__sent_at__isnull=True)
    if from_here.exists():
        raise ActionRefused(f"{from_here.count()} order(s) still have a part waiting to go to {warehouse.name}: "
                            "send or reroute them first.")
    connection.other_warehouses.filter(warehouse=warehouse).delete()
