"""Send each part of a routed order to its warehouse, and confirm parts a warehouse shipped from.

A part keeps the order's number at its warehouse (one part per warehouse), so shipments from every
warehouse find the order by (warehouse, number) as before and post to the store as the order's
shipments. The order stays Queued (or Delayed) until every part's file is in its warehouse's inbox,
then it is Open; a part already sent is never sent again. A passing failure delays the whole order
(its sent parts stay sent), as `forward_orders` does for an order without parts.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dockline.connections.models import Connection
from dockline.core.activity import Event
from dockline.core.errors import ConnectorError
from dockline.mapping.services import Mapper
from dockline.orders.models import Dispatch, Order, OrderPart
from dockline.orders.services import RENDER_PROBLEM, _delay, _delivered, _tell_store_forwarded, warehouse_orders
from dockline.orders.status import OrderStatus as S
from dockline.platforms.base import StoreConnector
from dockline.sync.scheduler import ensure_lease
from dockline.warehouses.formats.base import FileFormat, RenderError
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse
from dockline.warehouses.transports.base import Transport


def parts_due(connection: Connection, now: datetime | None = None) -> QuerySet[OrderPart]:
    """Parts not yet sent, of orders Queued or Delayed and due."""
    now = now or timezone.now()
    return OrderPart.objects.filter(order__connection=connection, sent_at__isnull=True).filter(
        Q(order__status=S.QUEUED) | Q(order__status=S.DELAYED, order__retry_at__lte=now))


def warehouses_with_parts_due(connection: Connection) -> list[Warehouse]:
    """The connection's warehouses that have a part waiting to go, in the connection's order."""
    waiting = set(parts_due(connection).values_list("warehouse_id", flat=True))
    return [w for w in connection.warehouses() if w.pk in waiting]


def forward_parts(connection: Connection, warehouse: Warehouse, transport: Transport, fmt: FileFormat,
                  connector: StoreConnector, now: datetime | None = None) -> dict:
    """Send the waiting parts for `warehouse`, one file per part; an order whose last part went is Open.

    Like `forward_orders`: a passing failure delays that order and ends sending for this run; a refusal
    that is not about the order raises `ConnectorError`; a part the format cannot write stops the order in Error.
    """
    now = now or timezone.now()
    mapper = Mapper.for_connection(connection)
    counts = {"parts_sent": 0, "sent": 0, "delayed": 0}
    due = list(parts_due(connection, now).filter(warehouse=warehouse).select_related("order", "exchange")
               .prefetch_related("lines", "order__lines").order_by("order__placed_at", "order_id"))
    for part in due:
        ensure_lease()
        order = part.order
        try:
            exchange, resumed = _part_exchange(part, fmt, mapper, now)
        except RenderError as exc:
            message = (f"{RENDER_PROBLEM}: {exc.field}: {exc.reason.rstrip('.')}. "
                       "Fix it in the store, then reprocess.")
            order.move_to(S.ERROR, f"Stopped: {message}", level="error", error=message)
            continue
        try:
            if not (resumed and _delivered(transport, warehouse.folders, exchange.filename)):
                transport.write_atomic(warehouse.folders.inbox, exchange.filename, exchange.data)
        except ConnectorError as exc:
            if not exc.retryable:
                raise
            _delay(order, exc, now)
            counts["delayed"] += 1
            break
        with transaction.atomic():
            exchange.move_to(ExchangeState.SENT)
            part.sent_at = now
            part.save(update_fields=["sent_at"])
            order.log(f"Its part for warehouse {warehouse.name} was sent in file {exchange.filename}.",
                      event=Event.SENT)
            counts["parts_sent"] += 1
            opened = _open_if_all_sent(order)
        if opened:
            counts["sent"] += 1
            _tell_store_forwarded(order, connector)
    return counts


def confirm_part(order: Order, warehouse: Warehouse) -> bool:
    """A shipment came from `warehouse` for an order still waiting to go out, so its part there did arrive
    (a run stopped after the upload, before confirming it): mark that part sent.

    True when no part of the order still waits (also for an order without parts), so that the order
    may now be confirmed as a whole.
    """
    parts = list(order.parts.select_related("exchange"))
    for part in parts:
        if part.warehouse_id == warehouse.pk and part.sent_at is None:
            if part.exchange is not None and part.exchange.state == ExchangeState.PENDING:
                part.exchange.move_to(ExchangeState.SENT)
            part.sent_at = timezone.now()
            part.save(update_fields=["sent_at"])
    return all(part.sent_at for part in parts)


def _open_if_all_sent(order: Order) -> bool:
    if order.parts.filter(sent_at__isnull=True).exists():
        return False
    names = ", ".join(p.warehouse.name for p in order.parts.select_related("warehouse"))
    order.attempts = 0
    order.retry_at = None
    order.move_to(S.OPEN, f"Every part is at its warehouse ({names}).")
    if order.shipments.exists():  # a warehouse shipped its part before the last part went out
        order.move_to(S.PARTIALLY_SHIPPED, "Some items have shipped; waiting for the rest.")
    return True


def _part_exchange(part: OrderPart, fmt: FileFormat, mapper: Mapper, now: datetime) -> tuple[ExchangeRecord, bool]:
    """The part's file record, and whether it is resumed from a run that died before confirming it."""
    if part.exchange is not None and part.exchange.state == ExchangeState.PENDING:
        return part.exchange, True
    order = part.order
    units = {pl.order_line_id: pl.quantity for pl in part.lines.all()}
    documents = warehouse_orders(order, mapper, units)
    several = len(order.destinations) > 1
    refs = {(f"{order.number}-{i}" if several else order.number): d["ref"]
            for i, d in enumerate(order.destinations, start=1)}
    content = fmt.render_orders(documents)
    with transaction.atomic():
        exchange = ExchangeRecord.objects.create(
            warehouse=part.warehouse, direction=Direction.OUT, kind=ExchangeKind.ORDERS,
            filename=fmt.order_filename(order.number, now), checksum=ExchangeRecord.checksum_of(content),
            size=len(content), business_keys=[d.order_number for d in documents], content=content,
        )
        for doc in documents:
            Dispatch.objects.update_or_create(
                warehouse=part.warehouse, warehouse_order_number=doc.order_number,
                defaults={"order": order, "destination_ref": refs[doc.order_number], "exchange": exchange},
            )
        part.exchange = exchange
        part.save(update_fields=["exchange"])
    return exchange, False
