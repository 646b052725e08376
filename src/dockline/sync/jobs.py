"""Run one channel job: the work of each channel kind, with its run recorded."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from dockline.connections.models import Channel, ChannelKind, Connection, InventoryMode
from dockline.connections.services import needs_reauthorization
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.inventory.services import pull_inventory, push_inventory
from dockline.orders.services import forward_orders, import_orders, prepare_orders
from dockline.platforms.base import Capability
from dockline.shipments.services import post_shipments, pull_shipments
from dockline.sync.models import SyncRun
from dockline.sync.scheduler import LeaseLost, heartbeat, release, take

log = logging.getLogger(__name__)


def sync_orders(connection: Connection) -> dict:
    connector = connection.store.connector()
    try:
        counts = import_orders(connection, connector)
        counts.update(prepare_orders(connection))
        if counts["queued"] or connection.orders.filter(status__in=["queued", "delayed"]).exists():
            with connection.warehouse.open_transport() as transport:
                counts.update(forward_orders(connection, transport, connection.warehouse.file_format_handler(), connector))
        return counts
    finally:
        connector.close()


def sync_shipments(connection: Connection) -> dict:
    warehouse = connection.warehouse
    with warehouse.open_transport() as transport:
        counts = pull_shipments(warehouse, transport, warehouse.file_format_handler())
    connector = connection.store.connector()
    try:
        if Capability.SHIPMENTS in connector.capabilities:
            counts.update(post_shipments(connection, connector))
    finally:
        connector.close()
    return counts


def sync_inventory(connection: Connection) -> dict:
    warehouse = connection.warehouse
    with warehouse.open_transport() as transport:
        counts = pull_inventory(warehouse, transport, warehouse.file_format_handler())
    connector = connection.store.connector()
    try:
        counts.update(push_inventory(connection, connector, full=connection.inventory_mode == InventoryMode.FULL))
    finally:
        connector.close()
    return counts


WORK = {
    ChannelKind.ORDERS: sync_orders,
    ChannelKind.SHIPMENTS: sync_shipments,
    ChannelKind.INVENTORY: sync_inventory,
}


def run_channel(channel_id: int, claim_token: str) -> SyncRun | None:
    """Run a claimed job. A claim that was already taken (a redelivered message) or that expired is not run."""
    owner = take(channel_id, claim_token)
    if owner is None:
        return None
    with heartbeat(channel_id, owner):
        return _run(channel_id, owner)


def _run(channel_id: int, owner: str) -> SyncRun | None:
    channel = Channel.objects.select_related("connection__store", "connection__warehouse").get(id=channel_id)
    if not channel.connection.enabled:
        release(channel.id, owner)
        return None
    run = SyncRun.objects.create(channel=channel)
    run_again_at = None
    try:
        run.counts = WORK[ChannelKind(channel.kind)](channel.connection)
        run.ok = True
        if channel.connection.auth_error:
            Connection.objects.filter(id=channel.connection_id).update(auth_error="")
    except LeaseLost as exc:
        run.ok = False
        run.error = f"Stopped: {exc}."
    except ConnectorError as exc:
        run.ok = False
        run.error = exc.message
        if exc.kind == ErrorKind.RATE_LIMITED and exc.retry_after:
            run_again_at = timezone.now() + timedelta(seconds=exc.retry_after)
        elif exc.kind == ErrorKind.REAUTH:
            needs_reauthorization(channel.connection, exc.message)
    except Exception as exc:  # a bug or an unexpected answer: record it, keep the engine running
        log.exception("channel %s failed", channel)
        run.ok = False
        run.error = f"Unexpected error: {exc}"
    finally:
        run.finished_at = timezone.now()
        run.save()
        release(channel.id, owner, run_again_at=run_again_at)
    return run
