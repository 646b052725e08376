"""Check and map imported orders, and send them to the warehouse (importing them: `orders/imports.py`)."""
from __future__ import annotations

import logging
from concurrent.futures import Future
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dockline.alerts import events
from dockline.connections.models import Connection
from dockline.core.activity import Event
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Address, WarehouseLine, WarehouseOrder
from dockline.mapping.services import Mapper
from dockline.orders.bundles import add_bundle_dispatches, bundle_lines
from dockline.orders.models import Activity, Dispatch, Order, OrderLine
from dockline.orders.status import OrderStatus as S
from dockline.platforms.base import StoreConnector
from dockline.platforms.calls import StoreCalls
from dockline.rules.engine import rules_at, run_rules
from dockline.rules.models import Hook
from dockline.sync.scheduler import ensure_lease
from dockline.warehouses.formats.base import FileFormat, RenderError
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState
from dockline.warehouses.transports.base import Folders, Transport

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# How the error of an order the warehouse's format cannot write begins. Such an order waits for a person's
# Reprocess: the orders run does not retry it by itself, as it does for a missing mapping.
RENDER_PROBLEM = "Cannot write this order for the warehouse"


@events.endpoints_read_once()
def prepare_orders(connection: Connection, mapper: Mapper | None = None) -> dict:
    """Check and map every New order, and retry orders held for a missing mapping."""
    mapper = mapper or Mapper.for_connection(connection)
    counts = {"queued": 0, "error": 0}
    pending = (Order.objects.filter(connection=connection, status__in=[S.NEW, S.ERROR])
               .exclude(status=S.ERROR, error__startswith=RENDER_PROBLEM).prefetch_related("lines"))
    for order in pending:
        problems = map_order(order, mapper)
        if problems:
            message = " ".join(problems)
            if order.status != S.ERROR or order.error != message:
                order.move_to(S.ERROR, f"Stopped: {message}", level="error", error=message)
                events.publish(connection.organization_id, events.ORDER_ERROR, {"error": message},
                               connection=connection, order=order)
            counts["error"] += 1
        else:
            order.move_to(S.QUEUED, "Every item and the shipping method are mapped; queued for the warehouse.")
            counts["queued"] += 1
    return counts


def map_order(order: Order, mapper: Mapper) -> list[str]:
    """Map each line to warehouse SKUs (saved on the line); return what stops the order, in plain words."""
    problems: list[str] = []
    lines = list(order.lines.all())
    if not lines:
        problems.append("The order has no items to ship.")
    for line in lines:
        if not line.sku:
            problems.append(
                f"Item '{line.name or line.line_id}' has no SKU: add the SKU to the product in the store, "
                "then reprocess the order."
            )
            continue
        components = mapper.components(line.sku)
        if components is None:
            problems.append(
                f"SKU {line.sku} has no listing and is not a warehouse SKU: add a listing that maps it."
            )
        elif line.components != components:
            line.components = components
            line.save(update_fields=["components"])
    for dest in order.destinations:
        method = dest.get("shipping_method", "")
        if mapper.shipping(method) is None:
            problems.append(f"Shipping method '{method}' has no shipping rule: add one that names the carrier.")
    return problems


@events.endpoints_read_once()
def forward_orders(connection: Connection, transport: Transport, fmt: FileFormat, connector: StoreConnector,
                   now: datetime | None = None) -> dict:
    """Send Queued orders (and Delayed ones that are due) to the warehouse, one file per order.

    A passing failure (timeout, dropped connection, rate limit) delays that order and ends the
    sending for this run: the others stay as they are for the next run, so a frozen server costs
    one timeout, not one per order. A refusal that is not about the order (folder missing or not
    writable, permission, quota, credentials) raises `ConnectorError` and leaves every order waiting,
    attempts untouched. An order the format cannot write goes to Error; the others flow on.

    The run reads the rules once, and with the due orders whether each has absorbed orders (a bundle) or a
    file left pending by an earlier run: an order with neither, and no rule to run, costs no query to read.
    """
    now = now or timezone.now()
    mapper = Mapper.for_connection(connection)
    due = list((
        Order.objects.filter(connection=connection, status=S.QUEUED)
        | Order.objects.filter(connection=connection, status=S.DELAYED, retry_at__lte=now)
    ).filter(parts__isnull=True).annotate(  # routed: orders/parts.py
        has_absorbed=Exists(Order.objects.filter(bundled_into=OuterRef("pk"), status=S.BUNDLED)),
        resumable=Exists(ExchangeRecord.objects.filter(dispatches__order=OuterRef("pk"), state=ExchangeState.PENDING,
                                                       direction=Direction.OUT)),
    ).prefetch_related("lines").order_by("-priority", "placed_at", "id"))
    rules = rules_at(connection.id, Hook.BEFORE_SEND) if due else []
    counts = {"sent": 0, "delayed": 0}
    folders = connection.warehouse.folders
    told: tuple[Order, Future] | None = None  # the store is being told of the last order sent
    with StoreCalls() as calls:
        try:
            for index, order in enumerate(due):
                ensure_lease()
                if not run_rules(order, Hook.BEFORE_SEND, now=now, rules=rules):
                    continue
                # a rule may have changed the order's lines or bundled others into it: then read them afresh
                afresh = bool(rules) or order.has_absorbed
                try:
                    exchange, resumed = _pending_exchange(order, connection, fmt, mapper, now, afresh=afresh,
                                                          resumable=bool(rules) or order.resumable)
                except RenderError as exc:
                    message = (f"{RENDER_PROBLEM}: {exc.field}: {exc.reason.rstrip('.')}. "
                               "Fix it in the store, then reprocess.")
                    order.move_to(S.ERROR, f"Stopped: {message}", level="error", error=message)
                    events.publish(connection.organization_id, events.ORDER_ERROR, {"error": message},
                                   connection=connection, order=order)
                    counts["unwritable"] = counts.get("unwritable", 0) + 1
                    continue
                _told(told)  # the store has the last order's status before this one's file goes out
                told = None
                try:
                    if not (resumed and _delivered(transport, folders, exchange.filename)):
                        transport.write_atomic(folders.inbox, exchange.filename, exchange.data)
                except ConnectorError as exc:
                    if not exc.retryable:
                        raise _warehouse_refused(exc, connection, due[index:], counts["sent"]) from exc
                    _delay(order, exc, now)
                    counts["delayed"] += 1
                    if len(due) > index + 1:
                        counts["waiting"] = len(due) - index - 1
                    break
                with transaction.atomic():
                    exchange.move_to(ExchangeState.SENT)
                    order.attempts = 0
                    order.retry_at = None
                    order.move_to(S.OPEN, f"Sent to warehouse {connection.warehouse.name} in file {exchange.filename}.")
                counts["sent"] += 1
                events.publish(connection.organization_id, events.ORDER_SENT, {"file": exchange.filename},
                               connection=connection, order=order)
                told = (order, calls.submit(connector.mark_forwarded, order.external_id))
        finally:
            _told(told)
    return counts


def _warehouse_refused(exc: ConnectorError, connection: Connection, waiting: list[Order],
                       sent: int) -> ConnectorError:
    """The run's error for a refusal that is not the order's.

    Each waiting order keeps its status and is told once (not again on every failing run).
    """
    warehouse = connection.warehouse
    cause = _sentence(exc.message)
    if exc.kind not in (ErrorKind.CONFIG, ErrorKind.REAUTH):  # the transport gave no hint: give the usual one
        cause += (f" Check that the folder {warehouse.folders.inbox} exists on the warehouse's server and that "
                  "Dockline's user may write files there.")
    note = f"Waiting: warehouse {warehouse.name} refused the order file."
    told = set(Activity.objects.filter(order__connection=connection, message__startswith=note)
               .values_list("order_id", flat=True))
    Activity.objects.bulk_create(Activity(order=o, message=f"{note} {cause}", level="warning", event=Event.WAITING)
                                 for o in waiting if o.id not in told)
    before = f" {sent} order(s) went out before that." if sent else ""
    message = (f"Stopped sending orders to warehouse {warehouse.name}: {cause}{before} "
               f"{len(waiting)} order(s) keep their status and go out on the first run after this is fixed.")
    return ConnectorError(message, ErrorKind.REAUTH if exc.kind == ErrorKind.REAUTH else ErrorKind.CONFIG)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _delivered(transport: Transport, folders: Folders, filename: str) -> bool:
    """Did an earlier, interrupted run get this file into place? (In the inbox, or already taken.)"""
    places = [folders.inbox, folders.taken] if folders.taken else [folders.inbox]
    return any(transport.exists(f"{folder.rstrip('/')}/{filename}") for folder in places)


def _pending_exchange(order: Order, connection: Connection, fmt: FileFormat, mapper: Mapper, now: datetime, *,
                      afresh: bool, resumable: bool) -> tuple[ExchangeRecord, bool]:
    """The order's file record, and whether it is resumed from an earlier run that died before confirming it.

    `resumable`: the order may have such a file (else it is not looked for); `afresh`: its lines are read
    again with those of the orders it absorbed (else its prefetched lines are its warehouse order's).
    Raises `RenderError` (nothing recorded) when the format cannot write the order.
    """
    existing = resumable and ExchangeRecord.objects.filter(
        dispatches__order=order, state=ExchangeState.PENDING, direction=Direction.OUT
    ).first()
    if existing:
        return existing, True
    warehouse = connection.warehouse
    documents = warehouse_orders(order, mapper, lines=None if afresh else list(order.lines.all()))
    content = fmt.render_orders(documents)
    with transaction.atomic():
        exchange = ExchangeRecord.objects.create(
            warehouse=warehouse,
            direction=Direction.OUT,
            kind=ExchangeKind.ORDERS,
            filename=fmt.order_filename(order.number, now),
            checksum=ExchangeRecord.checksum_of(content),
            size=len(content),
            business_keys=[d.order_number for d in documents],
            content=content,
        )
        for doc, dest in zip(documents, order.destinations, strict=True):
            # an order sent again (reset) has its dispatch already; the run's lease keeps out other writers
            key = {"warehouse": warehouse, "warehouse_order_number": doc.order_number, "order": order}
            if not Dispatch.objects.filter(**key).update(destination_ref=dest["ref"], exchange=exchange):
                Dispatch.objects.create(**key, destination_ref=dest["ref"], exchange=exchange)
            if afresh:
                add_bundle_dispatches(order, warehouse, doc.order_number, exchange)
    return exchange, False


def warehouse_orders(order: Order, mapper: Mapper, units: dict[int, int] | None = None, *,
                     lines: list[OrderLine] | None = None) -> list[WarehouseOrder]:
    """One pick ticket per destination; several destinations get numbers like 1001-2.

    A bundle's ticket carries the lines of the orders it absorbed; a carrier a rule set wins over the mapping.
    With `units` (store units by order line id, a warehouse's part), only those units, and only the
    destinations they reach. `lines`: the order's own, already read, when it absorbed none (else read here).
    """
    lines = bundle_lines(order) if lines is None else sorted(lines, key=lambda line: line.id)
    several = len(order.destinations) > 1
    docs = []
    for index, dest in enumerate(order.destinations, start=1):
        carrier, service = ((dest["carrier"], dest.get("service", "")) if dest.get("carrier")
                            else mapper.shipping(dest.get("shipping_method", "")))
        picks: dict[str, int] = {}
        names: dict[str, str] = {}
        for line in lines:
            if line.destination_ref and line.destination_ref != dest["ref"] and several:
                continue
            quantity = line.quantity if units is None else units.get(line.id, 0)
            for comp in line.components if quantity else []:
                picks[comp["sku"]] = picks.get(comp["sku"], 0) + comp["quantity"] * quantity
                names.setdefault(comp["sku"], line.name)
        if units is not None and not picks:
            continue
        docs.append(
            WarehouseOrder(
                order_number=f"{order.number}-{index}" if several else order.number,
                placed_at=order.placed_at,
                ship_to=Address(**dest["address"]),
                carrier=carrier,
                service=service,
                lines=[
                    WarehouseLine(line_no=n, sku=sku, quantity=qty, description=names[sku])
                    for n, (sku, qty) in enumerate(picks.items(), start=1)
                ],
                email=order.customer_email,
                notes=order.notes,
            )
        )
    return docs


def _delay(order: Order, exc: ConnectorError, now: datetime) -> None:
    """A passing failure: retry later with a growing wait, until the attempts run out (Failed)."""
    order.attempts += 1
    if order.attempts >= MAX_ATTEMPTS:
        order.move_to(
            S.FAILED,
            f"Could not send the order to the warehouse after {order.attempts} attempt(s): {exc.message}. "
            "Fix the warehouse connection, then reprocess the order.",
            level="error",
            error=exc.message,
        )
        return
    wait = timedelta(seconds=exc.retry_after) if exc.retry_after else timedelta(minutes=2 ** order.attempts)
    order.retry_at = now + wait
    order.move_to(
        S.DELAYED,
        f"Could not send the order to the warehouse ({exc.message}); retrying in {_human(wait)}.",
        level="warning",
        error=exc.message,
    )


def _told(told: tuple[Order, Future] | None) -> None:
    """Wait for the store to take an order's new status (`mark_forwarded`); a refusal is noted on the order."""
    if told is None:
        return
    order, answer = told
    try:
        answer.result()
    except ConnectorError as exc:
        _not_told(order, exc)


def _tell_store_forwarded(order: Order, connector: StoreConnector) -> None:
    try:
        connector.mark_forwarded(order.external_id)
    except ConnectorError as exc:
        _not_told(order, exc)


def _not_told(order: Order, exc: ConnectorError) -> None:
    order.log(f"Could not update the order's status in the store: {exc.message}", level="warning",
              event=Event.WARNING)


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{seconds // 60} minutes"
