"""The conditions an alert policy watches: each a plain function over the database at a given `now`.

A condition takes the policy's connections, its threshold and `now`, and returns one `Finding` per
cause it sees (a cause is what one alert is about: a channel, a connection's side, a connection's
orders). It changes nothing; `services.evaluate_alerts` opens, updates and closes alerts from the
findings. Only `files_not_taken` reaches outside the database: for a warehouse format without
997s, it lists the warehouse's inbox to see whether our older files are still there.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Min
from django.urls import reverse

from dockline.alerts.status import Condition
from dockline.connections.models import ChannelKind, Connection, Side
from dockline.core.errors import ConnectorError
from dockline.orders.models import Dispatch, Order
from dockline.orders.status import OrderStatus
from dockline.sync.models import SyncRun
from dockline.warehouses.exchange_status import Direction, ExchangeKind, ExchangeState
from dockline.warehouses.models import ExchangeRecord
from dockline.webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)
S = OrderStatus


@dataclass(frozen=True)
class Finding:
    cause: str  # stable key: the same cause found again updates the same alert
    connection: Connection
    title: str  # what happened, in one line, naming the connection
    detail: str  # the specifics (the error, which orders)
    todo: str  # what to do
    path: str  # the dashboard page to go to
    count: int = 1


Check = Callable[[list[Connection], float, datetime], list[Finding]]


def _page(connection: Connection) -> str:
    return reverse("connection", args=[connection.id])


def _orders_page(status: OrderStatus) -> str:
    return f"{reverse('orders')}?status={status.value}"


def _some(numbers: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"#{n}" for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def runs_failing(connections: list[Connection], runs: float, now: datetime) -> list[Finding]:
    """A channel whose last `runs` finished runs all failed (default 3)."""
    found = []
    n = max(1, int(runs))
    for connection in connections:
        for channel in connection.channels.filter(enabled=True):
            last = list(SyncRun.objects.filter(channel=channel, started_at__lte=now).exclude(ok=None)[:n])
            if len(last) == n and not any(r.ok for r in last):
                kind = channel.get_kind_display().lower()
                found.append(Finding(
                    f"runs_failing:channel:{channel.id}", connection,
                    f"{connection.name}: the {kind} channel failed {n} runs in a row",
                    f"The last run said: {last[0].error or 'no reason recorded'}",
                    "Open the connection's page, read the runs, fix what the error names (credentials, folders, the "
                    "server's address), then press Sync now.", _page(connection), count=n))
    return found


def reauth(connections: list[Connection], _threshold: float, now: datetime) -> list[Finding]:
    """A connection whose store or warehouse refused Dockline's credentials (marked by the engine)."""
    found = []
    for connection in connections:
        for side in Side:
            reason = connection.auth_error(side)
            if reason:
                where = side.label.lower()
                found.append(Finding(
                    f"reauth:{connection.id}:{side.value}", connection,
                    f"{connection.name}: the {where} needs re-authorization", reason,
                    f"Enter working credentials for the {where} in the connection's settings (or authorize Dockline "
                    f"again on the {where}'s side); the mark clears on the next call that works.", _page(connection)))
    return found


def orders_in_error(connections: list[Connection], count: float, now: datetime) -> list[Finding]:
    """At least `count` orders of a connection stopped in Error or Failed (default 1)."""
    found = []
    for connection in connections:
        stuck = list(connection.orders.filter(status__in=[S.ERROR, S.FAILED]).order_by("updated_at")
                     .values_list("number", "error")[:200])
        if stuck and len(stuck) >= max(1, int(count)):
            total = connection.orders.filter(status__in=[S.ERROR, S.FAILED]).count()
            found.append(Finding(
                f"orders_in_error:{connection.id}", connection,
                f"{connection.name}: {total} order{'s' if total != 1 else ''} stopped in Error",
                f"{_some([n for n, _ in stuck])}. The first says: {stuck[0][1] or 'see its activity'}",
                "Open each order, fix what its message names (usually a SKU or shipping method to map), then "
                "reprocess it.", _orders_page(S.ERROR), count=total))
    return found


def not_sent(connections: list[Connection], hours: float, now: datetime) -> list[Finding]:
    """Orders imported more than `hours` ago (default 4) that are still not at the warehouse."""
    found = []
    cutoff = now - timedelta(hours=hours)
    for connection in connections:
        late = connection.orders.filter(status__in=[S.NEW, S.QUEUED, S.DELAYED], created_at__lte=cutoff)
        numbers = list(late.order_by("created_at").values_list("number", flat=True)[:200])
        if numbers:
            total = late.count()
            found.append(Finding(
                f"not_sent:{connection.id}", connection,
                f"{connection.name}: {total} order{'s' if total != 1 else ''} not sent to the warehouse "
                f"within {hours:g} hours of import", _some(numbers),
                "Check the orders channel's last runs on the connection's page (the warehouse's server may be "
                "unreachable or refusing files) and whether the channel is switched on.", _page(connection),
                count=total))
    return found


def not_shipped(connections: list[Connection], days: float, now: datetime) -> list[Finding]:
    """Orders at the warehouse for more than `days` (default 2) without any shipment: the ship-by promise."""
    found = []
    cutoff = now - timedelta(days=days)
    for connection in connections:
        sent = (Dispatch.objects.filter(order__connection=connection, order__status=S.OPEN)
                .values("order").annotate(first=Min("created_at")).filter(first__lte=cutoff).values("order"))
        late = Order.objects.filter(id__in=sent, shipments__isnull=True)
        numbers = list(late.order_by("placed_at").values_list("number", flat=True)[:200])
        if numbers:
            total = late.count()
            found.append(Finding(
                f"not_shipped:{connection.id}", connection,
                f"{connection.name}: {total} order{'s' if total != 1 else ''} at warehouse "
                f"{connection.warehouse.name} for more than {days:g} days without a shipment", _some(numbers),
                f"Ask {connection.warehouse.name} about these orders; if they have shipped, check that the "
                "shipments channel runs and reads their shipment files.", _orders_page(S.OPEN), count=total))
    return found


def files_not_taken(connections: list[Connection], hours: float, now: datetime) -> list[Finding]:
    """Order files older than `hours` (default 2) the warehouse has not taken: no 997 (X12), or still in its inbox."""
    found = []
    cutoff = now - timedelta(hours=hours)
    for warehouse_id, connection in {c.warehouse_id: c for c in connections}.items():
        warehouse = connection.warehouse
        sent = ExchangeRecord.objects.filter(warehouse_id=warehouse_id, direction=Direction.OUT,
                                             kind=ExchangeKind.ORDERS, state=ExchangeState.SENT,
                                             created_at__lte=cutoff, created_at__gt=cutoff - timedelta(days=7))
        # A file with a shipped order was taken: only the others are asked about.
        sent = sent.exclude(dispatches__isnull=False, dispatches__order__shipments__isnull=False)
        names = list(sent.order_by("created_at").values_list("filename", flat=True).distinct()[:200])
        if not names:
            continue
        if warehouse.file_format_handler().acknowledges:
            why, todo = "no 997 acknowledgment came back", "Ask the warehouse whether it received and read these files"
        else:
            names = _still_in_inbox(warehouse, names, now)
            why, todo = "they are still in its inbox", "Ask the warehouse whether its system picks up files"
        if names:
            found.append(Finding(
                f"files_not_taken:{warehouse_id}", connection,
                f"Warehouse {warehouse.name} has not taken {len(names)} order file{'s' if len(names) != 1 else ''} "
                f"after {hours:g} hours", f"{', '.join(names[:5])}: {why}.",
                f"{todo} from {warehouse.folders.inbox}; until it does, these orders are not being picked.",
                _page(connection), count=len(names)))
    return found


# The inbox listed per warehouse server and folder: {key: (when, names)}, reused for INBOX_EVERY, so a check
# every minute costs one listing per warehouse every quarter of an hour at most.
_inboxes: dict[tuple, tuple[datetime, set[str]]] = {}
INBOX_EVERY = timedelta(minutes=15)


def _still_in_inbox(warehouse, names: list[str], now: datetime) -> list[str]:
    key = (warehouse.id, warehouse.transport, warehouse.credentials.get("host"), warehouse.credentials.get("port"),
           warehouse.folders.inbox)
    listed = _inboxes.get(key)
    if listed is None or not timedelta(0) <= now - listed[0] < INBOX_EVERY:
        try:
            with warehouse.open_transport() as transport:
                listed = (now, {f.name for f in transport.list(warehouse.folders.inbox)})
        except ConnectorError as exc:  # unreachable: the channels' runs report it, not this condition
            log.info("could not list the inbox of %s: %s", warehouse, exc.message)
            return []
        _inboxes[key] = listed
    return [n for n in names if n in listed[1]]


def no_inventory(connections: list[Connection], hours: float, now: datetime) -> list[Finding]:
    """No inventory file from the warehouse for `hours` (default 24), on connections whose inventory runs."""
    found = []
    cutoff = now - timedelta(hours=hours)
    for connection in connections:
        if not connection.channels.filter(kind=ChannelKind.INVENTORY, enabled=True).exists():
            continue
        newest = ExchangeRecord.objects.filter(warehouse=connection.warehouse, direction=Direction.IN,
                                               kind=ExchangeKind.INVENTORY).aggregate(at=Max("created_at"))["at"]
        since = newest or connection.created_at
        if since <= cutoff:
            last = f"The last one came {newest:%Y-%m-%d %H:%M} UTC." if newest else "None has come yet."
            found.append(Finding(
                f"no_inventory:{connection.id}", connection,
                f"{connection.name}: no inventory file from warehouse {connection.warehouse.name} "
                f"for {hours:g} hours", last,
                "Ask the warehouse to send stock files to its outbox; the store's quantities are not being updated.",
                _page(connection)))
    return found


def stock_push_failing(connections: list[Connection], runs: float, now: datetime) -> list[Finding]:
    """The last `runs` (default 2) inventory runs failed at the store: stock is not reaching it."""
    found = []
    n = max(1, int(runs))
    for connection in connections:
        last = list(SyncRun.objects.filter(channel__connection=connection, channel__kind=ChannelKind.INVENTORY,
                                           started_at__lte=now).exclude(ok=None)[:n])
        if len(last) == n and all(not r.ok and r.side == Side.STORE for r in last):
            found.append(Finding(
                f"stock_push_failing:{connection.id}", connection,
                f"{connection.name}: stock pushes to {connection.store.name} failed {n} times in a row",
                f"The store said: {last[0].error}",
                "Fix what the store's answer names (credentials, permissions for inventory), then press Sync now on "
                "the inventory channel.", _page(connection), count=n))
    return found


def webhooks_stopped(connections: list[Connection], hours: float, now: datetime) -> list[Finding]:
    """The store sent webhooks before, none for `hours` (default 6), yet orders keep arriving by polling."""
    found = []
    cutoff = now - timedelta(hours=hours)
    for connection in connections:
        last = WebhookDelivery.objects.filter(connection=connection, verified=True).aggregate(
            at=Max("received_at"))["at"]
        if last is None or last > cutoff:
            continue
        polled = connection.orders.filter(created_at__gt=last, created_at__lte=now).count()
        if polled:
            found.append(Finding(
                f"webhooks_stopped:{connection.id}", connection,
                f"{connection.name}: the store's webhooks stopped arriving",
                f"The last came {last:%Y-%m-%d %H:%M} UTC; since then {polled} orders came by polling only, "
                "so they arrive late.",
                "Disable and enable the connection so Dockline registers its webhooks again, and check that the "
                "store can reach Dockline's public address.", _page(connection), count=polled))
    return found


def credential_expiring(connections: list[Connection], _threshold: float, now: datetime) -> list[Finding]:
    """A store credential the platform says will end soon (eBay refresh tokens: 30 days before)."""
    found = []
    for connection in connections:
        connector = connection.store.connector()
        try:
            warning = connector.reauthorization_warning()
        finally:
            connector.close()
        if warning:
            found.append(Finding(
                f"credential_expiring:{connection.store_id}", connection,
                f"{connection.name}: {connection.store.name}'s authorization is about to end", warning,
                "Renew the credential before it ends, then enter it in the connection's settings.", _page(connection)))
    return found


CHECKS: dict[Condition, Check] = {
    Condition.RUNS_FAILING: runs_failing,
    Condition.REAUTH: reauth,
    Condition.ORDERS_IN_ERROR: orders_in_error,
    Condition.NOT_SENT: not_sent,
    Condition.NOT_SHIPPED: not_shipped,
    Condition.FILES_NOT_TAKEN: files_not_taken,
    Condition.NO_INVENTORY: no_inventory,
    Condition.STOCK_PUSH_FAILING: stock_push_failing,
    Condition.WEBHOOKS_STOPPED: webhooks_stopped,
    Condition.CREDENTIAL_EXPIRING: credential_expiring,
}
