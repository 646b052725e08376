"""The conditions an alert policy watches: each a set-based function over the database at a given `now`.

A condition takes a `Scope` (the connections of every policy that watches it with the same threshold),
the threshold and `now`, and returns one `Finding` per cause it sees (a cause is what one alert is
about: a channel, a connection's side, a connection's orders, a warehouse's files). Each asks the
database a constant number of aggregate queries however many connections the scope holds (grouped
by connection, or the last N runs of every channel at once through a window), so a check over
thousands of connections stays within its minute. It changes nothing; `services.evaluate_alerts`
opens, updates and closes alerts from the findings. Only `files_not_taken` reaches outside the
database: for a warehouse format without 997s it lists the warehouse's inbox (`alerts/inbox.py`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from dockline.alerts import inbox
from dockline.alerts.status import Condition
from dockline.connections.models import Channel, ChannelKind, Connection, Side
from dockline.orders.models import Dispatch, Order
from dockline.orders.status import OrderStatus
from dockline.shipments.models import Shipment
from dockline.sync.models import SyncRun
from dockline.warehouses.exchange_status import Direction, ExchangeKind, ExchangeState
from dockline.warehouses.models import ExchangeRecord
from dockline.webhooks.models import WebhookDelivery

S = OrderStatus
SHOWN = 5  # order numbers named in an alert's detail
LISTED_IDS = 2000  # above this many connections a scope is asked for by organization, not by a list of ids


@dataclass(frozen=True)
class Finding:
    cause: str  # stable key: the same cause found again updates the same alert
    connection: Connection
    title: str  # what happened, in one line, naming the connection
    detail: str  # the specifics (the error, which orders)
    todo: str  # what to do
    path: str  # the dashboard page to go to
    count: int = 1


@dataclass
class Scope:
    """The connections one condition is checked over (loaded with store, warehouse and merchant)."""

    connections: list[Connection]
    by_id: dict[int, Connection] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.connections}

    @property
    def ids(self):
        """For `connection_id__in`: the ids, or (for very many) every enabled connection of their organizations;
        rows of connections outside the scope are dropped by `by_id`."""
        if len(self.by_id) <= LISTED_IDS:
            return list(self.by_id)
        organizations = {c.organization_id for c in self.connections}
        return Connection.objects.filter(enabled=True, organization_id__in=organizations).values("id")


Check = Callable[[Scope, float, datetime], list[Finding]]


def _page(connection: Connection) -> str:
    return reverse("connection", args=[connection.id])


def _orders_page(status: OrderStatus) -> str:
    return f"{reverse('orders')}?status={status.value}"


def _some(numbers: list[str], total: int) -> str:
    shown = ", ".join(f"#{n}" for n in numbers[:SHOWN])
    return shown + (f" and {total - SHOWN} more" if total > SHOWN else "")


def _last_runs(runs, partition: str, n: int) -> dict[int, list[SyncRun]]:
    """The last `n` finished runs of each `partition` (channel or connection), newest first, in one query."""
    ranked = runs.exclude(ok=None).annotate(
        bucket=F(partition),
        rank=Window(RowNumber(), partition_by=[F(partition)], order_by=[F("started_at").desc(), F("id").desc()]))
    found = defaultdict(list)
    for run in ranked.filter(rank__lte=n).select_related("channel").order_by("bucket", "rank"):
        found[run.bucket].append(run)
    return found


def _first_orders(orders, scope: Scope, order_by: str) -> dict[Connection, tuple[int, list[tuple[str, str]]]]:
    """{connection: (how many, [(number, error)] of the first SHOWN by `order_by`)}, in one query."""
    by = [F("connection_id")]
    ranked = orders.filter(connection_id__in=scope.ids).annotate(
        rank=Window(RowNumber(), partition_by=by, order_by=[F(order_by).asc(), F("id").asc()]),
        total=Window(Count("id"), partition_by=by))
    found: dict[Connection, tuple[int, list]] = {}
    for connection_id, number, error, total in (ranked.filter(rank__lte=SHOWN).order_by("connection_id", "rank")
                                                .values_list("connection_id", "number", "error", "total")):
        connection = scope.by_id.get(connection_id)
        if connection is not None:
            found.setdefault(connection, (total, []))[1].append((number, error))
    return found


def runs_failing(scope: Scope, runs: float, now: datetime) -> list[Finding]:
    """A channel whose last `runs` finished runs all failed (default 3)."""
    found = []
    n = max(1, int(runs))
    last_runs = _last_runs(SyncRun.objects.filter(channel__connection_id__in=scope.ids, channel__enabled=True,
                                                  started_at__lte=now), "channel_id", n)
    for last in last_runs.values():
        channel = last[0].channel
        connection = scope.by_id.get(channel.connection_id)
        if connection is not None and len(last) == n and not any(r.ok for r in last):
            kind = channel.get_kind_display().lower()
            found.append(Finding(
                f"runs_failing:channel:{channel.id}", connection,
                f"{connection.name}: the {kind} channel failed {n} runs in a row",
                f"The last run said: {last[0].error or 'no reason recorded'}",
                "Open the connection's page, read the runs, fix what the error names (credentials, folders, the "
                "server's address), then press Sync now.", _page(connection), count=n))
    return found


def reauth(scope: Scope, _threshold: float, now: datetime) -> list[Finding]:
    """A connection whose store or warehouse refused Dockline's credentials (marked by the engine)."""
    found = []
    for connection in scope.connections:
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


def orders_in_error(scope: Scope, count: float, now: datetime) -> list[Finding]:
    """At least `count` orders of a connection stopped in Error or Failed (default 1)."""
    found = []
    stuck = _first_orders(Order.objects.filter(status__in=[S.ERROR, S.FAILED]), scope, "updated_at")
    for connection, (total, first) in stuck.items():
        if total >= max(1, int(count)):
            found.append(Finding(
                f"orders_in_error:{connection.id}", connection,
                f"{connection.name}: {total} order{'s' if total != 1 else ''} stopped in Error",
                f"{_some([n for n, _ in first], total)}. The first says: {first[0][1] or 'see its activity'}",
                "Open each order, fix what its message names (usually a SKU or shipping method to map), then "
                "reprocess it.", _orders_page(S.ERROR), count=total))
    return found


def not_sent(scope: Scope, hours: float, now: datetime) -> list[Finding]:
    """Orders imported more than `hours` ago (default 4) that are still not at the warehouse."""
    found = []
    late = Order.objects.filter(status__in=[S.NEW, S.QUEUED, S.DELAYED], created_at__lte=now - timedelta(hours=hours))
    for connection, (total, first) in _first_orders(late, scope, "created_at").items():
        found.append(Finding(
            f"not_sent:{connection.id}", connection,
            f"{connection.name}: {total} order{'s' if total != 1 else ''} not sent to the warehouse "
            f"within {hours:g} hours of import", _some([n for n, _ in first], total),
            "Check the orders channel's last runs on the connection's page (the warehouse's server may be "
            "unreachable or refusing files) and whether the channel is switched on.", _page(connection),
            count=total))
    return found


def not_shipped(scope: Scope, days: float, now: datetime) -> list[Finding]:
    """Orders at the warehouse for more than `days` (default 2) without any shipment: the ship-by promise."""
    found = []
    first_sent = Dispatch.objects.filter(order=OuterRef("pk")).values("order").annotate(at=Min("created_at"))
    late = (Order.objects.filter(status=S.OPEN).annotate(sent_at=Subquery(first_sent.values("at")))
            .filter(sent_at__lte=now - timedelta(days=days))
            .exclude(Exists(Shipment.objects.filter(order=OuterRef("pk")))))
    for connection, (total, first) in _first_orders(late, scope, "placed_at").items():
        warehouse = connection.warehouse.name
        found.append(Finding(
            f"not_shipped:{connection.id}", connection,
            f"{connection.name}: {total} order{'s' if total != 1 else ''} at warehouse "
            f"{warehouse} for more than {days:g} days without a shipment", _some([n for n, _ in first], total),
            f"Ask {warehouse} about these orders; if they have shipped, check that the "
            "shipments channel runs and reads their shipment files.", _orders_page(S.OPEN), count=total))
    return found


def files_not_taken(scope: Scope, hours: float, now: datetime) -> list[Finding]:
    """Order files older than `hours` (default 2) the warehouse has not taken: no 997 (X12), or still in its inbox.

    One cause per warehouse, found on each of its connections in scope (a policy names it by its last one)."""
    cutoff = now - timedelta(hours=hours)
    warehouses = {c.warehouse_id: c.warehouse for c in scope.connections}
    sent = ExchangeRecord.objects.filter(warehouse_id__in=list(warehouses), direction=Direction.OUT,
                                         kind=ExchangeKind.ORDERS, state=ExchangeState.SENT,
                                         created_at__lte=cutoff, created_at__gt=cutoff - timedelta(days=7))
    # A file with a shipped order was taken: only the others are asked about.
    sent = sent.exclude(dispatches__isnull=False, dispatches__order__shipments__isnull=False).annotate(
        rank=Window(RowNumber(), partition_by=[F("warehouse_id")], order_by=[F("created_at").asc(), F("id").asc()]))
    waiting: dict[int, list[str]] = defaultdict(list)
    for warehouse_id, filename in (sent.filter(rank__lte=inbox.ASKED).order_by("warehouse_id", "rank")
                                   .values_list("warehouse_id", "filename")):
        if filename not in waiting[warehouse_id]:
            waiting[warehouse_id].append(filename)
    budget = inbox.Budget()
    said: dict[int, tuple[str, str, str, int]] = {}  # warehouse: (title, detail, todo, count)
    for warehouse_id, names in waiting.items():
        warehouse = warehouses[warehouse_id]
        if warehouse.file_format_handler().acknowledges:
            why, todo = "no 997 acknowledgment came back", "Ask the warehouse whether it received and read these files"
        else:
            listed = inbox.still_in_inbox(warehouse, names, now, budget)
            if listed.error:  # not known whether they were taken: say so, and keep the alert open meanwhile
                said[warehouse_id] = (
                    f"Warehouse {warehouse.name}: Dockline could not check whether {len(names)} order "
                    f"file{'s' if len(names) != 1 else ''} sent {hours:g} hours ago were taken",
                    f"Listing its inbox {warehouse.folders.inbox} failed: {listed.error}",
                    "Check the warehouse's server address and credentials on the connection's page; Dockline "
                    f"lists the inbox again within {inbox.EVERY.seconds // 60} minutes.", len(names))
                continue
            names = listed.names
            why, todo = "they are still in its inbox", "Ask the warehouse whether its system picks up files"
        if names:
            said[warehouse_id] = (
                f"Warehouse {warehouse.name} has not taken {len(names)} order file{'s' if len(names) != 1 else ''} "
                f"after {hours:g} hours", f"{', '.join(names[:5])}: {why}.",
                f"{todo} from {warehouse.folders.inbox}; until it does, these orders are not being picked.", len(names))
    return [Finding(f"files_not_taken:{c.warehouse_id}", c, title, detail, todo, _page(c), count=count)
            for c in scope.connections if c.warehouse_id in said
            for title, detail, todo, count in [said[c.warehouse_id]]]


def no_inventory(scope: Scope, hours: float, now: datetime) -> list[Finding]:
    """No inventory file from the warehouse for `hours` (default 24), on connections whose inventory runs."""
    found = []
    cutoff = now - timedelta(hours=hours)
    stocked = set(Channel.objects.filter(connection_id__in=scope.ids, kind=ChannelKind.INVENTORY, enabled=True)
                  .values_list("connection_id", flat=True))
    watched = [c for c in scope.connections if c.id in stocked]
    newest = dict(ExchangeRecord.objects.filter(warehouse_id__in={c.warehouse_id for c in watched},
                                                direction=Direction.IN, kind=ExchangeKind.INVENTORY)
                  .order_by().values("warehouse_id").annotate(at=Max("created_at")).values_list("warehouse_id", "at"))
    for connection in watched:
        last = newest.get(connection.warehouse_id)
        if (last or connection.created_at) <= cutoff:
            said = f"The last one came {last:%Y-%m-%d %H:%M} UTC." if last else "None has come yet."
            found.append(Finding(
                f"no_inventory:{connection.id}", connection,
                f"{connection.name}: no inventory file from warehouse {connection.warehouse.name} "
                f"for {hours:g} hours", said,
                "Ask the warehouse to send stock files to its outbox; the store's quantities are not being updated.",
                _page(connection)))
    return found


def stock_push_failing(scope: Scope, runs: float, now: datetime) -> list[Finding]:
    """The last `runs` (default 2) inventory runs failed at the store: stock is not reaching it."""
    found = []
    n = max(1, int(runs))
    last_runs = _last_runs(SyncRun.objects.filter(channel__connection_id__in=scope.ids,
                                                  channel__kind=ChannelKind.INVENTORY, started_at__lte=now),
                           "channel__connection_id", n)
    for connection_id, last in last_runs.items():
        connection = scope.by_id.get(connection_id)
        if connection is not None and len(last) == n and all(not r.ok and r.side == Side.STORE for r in last):
            found.append(Finding(
                f"stock_push_failing:{connection.id}", connection,
                f"{connection.name}: stock pushes to {connection.store.name} failed {n} times in a row",
                f"The store said: {last[0].error}",
                "Fix what the store's answer names (credentials, permissions for inventory), then press Sync now on "
                "the inventory channel.", _page(connection), count=n))
    return found


def webhooks_stopped(scope: Scope, hours: float, now: datetime) -> list[Finding]:
    """The store sent webhooks before, none for `hours` (default 6), yet orders keep arriving by polling."""
    found = []
    verified = WebhookDelivery.objects.filter(verified=True).order_by()
    last = dict(verified.filter(connection_id__in=scope.ids).values("connection_id")
                .annotate(at=Max("received_at")).values_list("connection_id", "at"))
    quiet = [i for i, at in last.items() if at <= now - timedelta(hours=hours) and i in scope.by_id]
    newest = verified.filter(connection_id=OuterRef("connection_id")).values("connection_id").annotate(
        at=Max("received_at")).values("at")
    polled = dict(Order.objects.filter(connection_id__in=quiet, created_at__lte=now, created_at__gt=Subquery(newest))
                  .order_by().values("connection_id").annotate(n=Count("id")).values_list("connection_id", "n"))
    for connection_id in quiet:
        if polled.get(connection_id):
            connection, n = scope.by_id[connection_id], polled[connection_id]
            found.append(Finding(
                f"webhooks_stopped:{connection.id}", connection,
                f"{connection.name}: the store's webhooks stopped arriving",
                f"The last came {last[connection_id]:%Y-%m-%d %H:%M} UTC; since then {n} orders came by polling "
                "only, so they arrive late.",
                "Disable and enable the connection so Dockline registers its webhooks again, and check that the "
                "store can reach Dockline's public address.", _page(connection), count=n))
    return found


def credential_expiring(scope: Scope, _threshold: float, now: datetime) -> list[Finding]:
    """A store credential the platform says will end soon (eBay refresh tokens: 30 days before)."""
    found = []
    warnings: dict[int, str | None] = {}  # per store: several connections may share one
    for connection in scope.connections:
        if connection.store_id not in warnings:
            connector = connection.store.connector()
            try:
                warnings[connection.store_id] = connector.reauthorization_warning()
            finally:
                connector.close()
        warning = warnings[connection.store_id]
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
