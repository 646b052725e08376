"""Switching connections on and off, and running their channels now."""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from dockline.connections.models import Channel, ChannelKind, Connection
from dockline.core.errors import ConnectorError

log = logging.getLogger(__name__)
alerts = logging.getLogger("dockline.alerts")


def enable(connection: Connection) -> str:
    """Turn a connection on: its channels become due now, and the store is told where to send webhooks.

    Returns what the person should know about webhooks: "" when they are on (or the platform has
    none), else why they are off and that polling brings the orders meanwhile."""
    connector = connection.store.connector()
    note = ""
    try:
        if hasattr(connector, "on_enable"):
            note = connector.on_enable(connection, public_url=settings.PUBLIC_URL)
    finally:
        connector.close()
    connection.enabled = True
    connection.save(update_fields=["enabled"])
    Channel.objects.filter(connection=connection).update(next_run_at=timezone.now())
    orders = Channel.objects.filter(connection=connection, kind=ChannelKind.ORDERS, enabled=True).first()
    if note and orders:
        minutes = max(1, round(orders.interval.total_seconds() / 60))
        note += f" Until then new orders arrive by polling, every {minutes} minute{'s' if minutes > 1 else ''}."
    return note


def disable(connection: Connection) -> None:
    """Turn a connection off; nothing runs for it until enabled again. Webhooks are removed where possible."""
    connection.enabled = False
    connection.save(update_fields=["enabled"])
    connector = connection.store.connector()
    try:
        if hasattr(connector, "on_disable"):
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


def needs_reauthorization(connection: Connection, reason: str) -> bool:
    """Mark the connection "needs re-authorization" with the reason, and raise an alert once per reason.

    `connection` is as loaded before the failed run; the next successful run clears the mark.
    Returns True when an alert was raised.
    """
    if connection.auth_error == reason:
        return False
    Connection.objects.filter(id=connection.id).update(auth_error=reason)
    connection.auth_error = reason
    alerts.error("Connection %s (%s) needs re-authorization: %s", connection.id, connection.name, reason)
    return True
