"""Run one channel job: the work of each channel kind, with its run recorded.

Each call to the store or to the warehouse goes through `Sides.calling`, so the
engine knows which side raised an error (a store's expired token must not mark
the warehouse, and a run that never touched the warehouse must not clear its
mark) and which sides worked.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from dockline.alerts import events
from dockline.connections.models import Channel, ChannelKind, Connection, InventoryMode, Side
from dockline.connections.services import authorization_works, needs_reauthorization
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.inventory.services import pull_inventory, push_inventory
from dockline.orders.cancellations import (
    has_cancellations_to_send,
    has_cancellations_to_tell,
    pull_cancel_answers,
    send_cancellations,
    tell_stores,
    warehouses_with_cancellations_to_send,
)
from dockline.orders.imports import import_orders
from dockline.orders.parts import forward_parts, warehouses_with_parts_due
from dockline.orders.routing import route_orders
from dockline.orders.services import forward_orders, prepare_orders
from dockline.orders.status import OrderStatus
from dockline.platforms.base import Capability
from dockline.rules.abandoned import abandon_stale_orders
from dockline.rules.holds import release_due_holds
from dockline.shipments.services import post_shipments, pull_shipments
from dockline.sync.models import SyncRun
from dockline.sync.scheduler import LeaseLost, heartbeat, release, take
from dockline.warehouses.models import Warehouse

log = logging.getLogger(__name__)


class Sides:
    """Which sides of the connection a run called: those whose calls worked, and the one that failed."""

    def __init__(self) -> None:
        self.worked: set[Side] = set()
        self.failed: Side | None = None

    @contextmanager
    def calling(self, side: Side) -> Iterator[None]:
        try:
            yield
        except ConnectorError:
            self.failed = side
            raise
        self.worked.add(side)


def sync_orders(connection: Connection, sides: Sides | None = None) -> dict:
    sides = sides or Sides()
    connector = connection.store.connector()
    try:
        with sides.calling(Side.STORE):
            counts = import_orders(connection, connector)
        if released := release_due_holds(connection):
            counts["released"] = released
        counts.update(prepare_orders(connection))
        counts.update(route_orders(connection))
        if _has_orders_to_send(connection) or has_cancellations_to_send(connection):
            with sides.calling(Side.WAREHOUSE), connection.warehouse.open_transport() as transport:
                fmt = connection.warehouse.file_format_handler()
                counts.update(forward_orders(connection, transport, fmt, connector))
                counts.update(send_cancellations(connection, transport, fmt))
        for warehouse in warehouses_with_parts_due(connection):  # routed orders, to each of their warehouses
            with sides.calling(Side.WAREHOUSE), _at(connection, warehouse), warehouse.open_transport() as transport:
                _add(counts, forward_parts(connection, warehouse, transport, warehouse.file_format_handler(),
                                           connector))
        for warehouse in warehouses_with_cancellations_to_send(connection):  # routed orders' other parts
            with sides.calling(Side.WAREHOUSE), _at(connection, warehouse), warehouse.open_transport() as transport:
                _add(counts, send_cancellations(connection, transport, warehouse.file_format_handler(),
                                                warehouse=warehouse))
        return counts
    finally:
        connector.close()


def _has_orders_to_send(connection: Connection) -> bool:
    return connection.orders.filter(
        Q(status=OrderStatus.QUEUED) | Q(status=OrderStatus.DELAYED, retry_at__lte=timezone.now()),
        parts__isnull=True,
    ).exists()


@contextmanager
def _at(connection: Connection, warehouse: Warehouse) -> Iterator[None]:
    """Name the warehouse in an error from one of the connection's other warehouses (the first needs no name)."""
    try:
        yield
    except ConnectorError as exc:
        if warehouse.pk == connection.warehouse_id:
            raise
        raise ConnectorError(f"Warehouse {warehouse.name}: {exc.message}", exc.kind, exc.retry_after) from exc


def _add(counts: dict, more: dict) -> None:
    """Add one warehouse's counts to the run's (several warehouses count into the same keys)."""
    for key, value in more.items():
        counts[key] = counts.get(key, 0) + value


def sync_shipments(connection: Connection, sides: Sides | None = None) -> dict:
    sides = sides or Sides()
    counts: dict = {}
    for warehouse in connection.warehouses():
        with sides.calling(Side.WAREHOUSE), _at(connection, warehouse), warehouse.open_transport() as transport:
            fmt = warehouse.file_format_handler()
            _add(counts, pull_shipments(warehouse, transport, fmt))
            _add(counts, pull_cancel_answers(warehouse, transport, fmt))
    if abandoned := abandon_stale_orders(connection):
        counts["abandoned"] = abandoned
    connector = connection.store.connector()
    try:
        if Capability.SHIPMENTS in connector.capabilities:
            with sides.calling(Side.STORE):
                counts.update(post_shipments(connection, connector))
        if has_cancellations_to_tell(connection):
            with sides.calling(Side.STORE):
                counts.update(tell_stores(connection, connector))
    finally:
        connector.close()
    return counts


def sync_inventory(connection: Connection, sides: Sides | None = None) -> dict:
    sides = sides or Sides()
    counts: dict = {}
    for warehouse in connection.warehouses():
        with sides.calling(Side.WAREHOUSE), _at(connection, warehouse), warehouse.open_transport() as transport:
            _add(counts, pull_inventory(warehouse, transport, warehouse.file_format_handler()))
    connector = connection.store.connector()
    try:
        with sides.calling(Side.STORE):
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
    connection = channel.connection
    if not connection.enabled:
        release(channel.id, owner)
        return None
    run = SyncRun.objects.create(channel=channel)
    run_again_at = None
    sides = Sides()
    try:
        with events.endpoints_read_once():  # one read of the event endpoints for the run's services
            run.counts = WORK[ChannelKind(channel.kind)](connection, sides)
        run.ok = True
    except LeaseLost as exc:
        run.ok = False
        run.error = f"Stopped: {exc}."
    except ConnectorError as exc:
        run.ok = False
        run.error = exc.message
        run.kind = exc.kind
        run.side = sides.failed or ""
        if exc.kind == ErrorKind.RATE_LIMITED and exc.retry_after:
            run_again_at = timezone.now() + timedelta(seconds=exc.retry_after)
        elif exc.kind == ErrorKind.REAUTH and sides.failed:
            needs_reauthorization(connection, exc.message, side=sides.failed)
        elif exc.kind == ErrorKind.CONFIG:
            _warn_once(channel, run)
    except Exception as exc:  # a bug or an unexpected answer: record it, keep the engine running
        log.exception("channel %s failed", channel, extra={"connection_id": connection.id, "channel_id": channel.id})
        run.ok = False
        run.error = f"Unexpected error: {exc}"
    finally:
        for side in sides.worked - {sides.failed}:  # one warehouse's success does not clear another's refusal
            authorization_works(connection, side)
        run.finished_at = timezone.now()
        run.save()
        release(channel.id, owner, run_again_at=run_again_at)
    return run


def _warn_once(channel: Channel, run: SyncRun) -> None:
    """Log a setup problem at one side, unless the channel's previous run already failed on one there.

    Not on `dockline.alerts`: the alert is the "failed runs in a row" condition's, which logs its opening."""
    previous = SyncRun.objects.filter(channel=channel).exclude(id=run.id).exclude(ok=None).first()
    if previous and not previous.ok and previous.kind == run.kind and previous.side == run.side:
        return
    where = Side(run.side).label.lower() if run.side else "store or warehouse"
    log.warning("Connection %s (%s): the %s's setup needs fixing: %s",
                channel.connection_id, channel.connection.name, where, run.error,
                extra={"connection_id": channel.connection_id, "channel_id": channel.id})
