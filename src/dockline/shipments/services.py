"""Record what warehouses shipped, and post it back to the store."""
from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from dockline.alerts import events
from dockline.connections.models import Connection
from dockline.core.activity import Event
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Package as PackageInfo
from dockline.core.types import ShipmentLine as ShipmentLineInfo
from dockline.core.types import StoreShipment, StoreShipmentLine, WarehouseShipment
from dockline.orders.models import Dispatch, Order, OrderLine
from dockline.orders.parts import confirm_part
from dockline.orders.status import SHIPPABLE
from dockline.orders.status import OrderStatus as S
from dockline.platforms.base import StoreConnector
from dockline.platforms.calls import StoreCalls
from dockline.platforms.manual.connector import PLATFORM as MANUAL
from dockline.shipments.models import Package, Shipment, ShipmentLine
from dockline.sync.scheduler import ensure_lease
from dockline.warehouses.formats.base import FileFormat, RowError
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse
from dockline.warehouses.services import Handled, receive_files
from dockline.warehouses.transports.base import Transport

log = logging.getLogger(__name__)


def pull_shipments(warehouse: Warehouse, transport: Transport, fmt: FileFormat) -> dict:
    def handle(data: bytes, record: ExchangeRecord) -> Handled:
        parsed = fmt.parse_shipments(data)
        handled = Handled(errors=list(parsed.errors))
        for ws in parsed.items:
            problem = record_shipment(warehouse, ws, record)
            if problem:
                handled.errors.append(RowError(None, problem))
            handled.keys.append(ws.shipment_id)
        return handled

    return receive_files(warehouse, transport, ExchangeKind.SHIPMENTS, fmt.shipment_pattern, handle)


def record_shipment(warehouse: Warehouse, ws: WarehouseShipment, record: ExchangeRecord | None) -> str:
    """Record one warehouse shipment against its order (idempotent on shipment id); returns a problem or ''.

    A bundle's warehouse order carries several store orders: the box is recorded for each of them, its
    units going to the bundle's own order first, then to each order it absorbed."""
    if Shipment.objects.filter(warehouse=warehouse, warehouse_shipment_id=ws.shipment_id).exists():
        return ""
    dispatches = list(
        Dispatch.objects.filter(warehouse=warehouse, warehouse_order_number=ws.order_number)
        .select_related("order").order_by("id")
    )
    if not dispatches:
        return f"shipment {ws.shipment_id} is for order {ws.order_number}, which Dockline never sent to this warehouse"
    left = ws
    for dispatch in dispatches:
        left = _record_for(warehouse, dispatch, left, record, last=dispatch is dispatches[-1])
    return ""


def _record_for(warehouse: Warehouse, dispatch: Dispatch, ws: WarehouseShipment, record: ExchangeRecord | None,
                *, last: bool) -> WarehouseShipment:
    """Record the shipment for one store order; returns it with the units that order did not take."""
    order = dispatch.order
    shipment = Shipment.objects.create(
        order=order, warehouse=warehouse, warehouse_shipment_id=ws.shipment_id,
        destination_ref=dispatch.destination_ref, shipped_at=ws.shipped_at,
        carrier=ws.carrier, service=ws.service, exchange=record,
    )
    Package.objects.bulk_create(
        Package(shipment=shipment, tracking_number=p.tracking_number, box_id=p.box_id,
                weight=p.weight, length=p.length, width=p.width, height=p.height)
        for p in ws.packages
    )
    lines = list(order.lines.prefetch_related("shipped"))
    several = len(order.destinations) > 1
    mine = [ln for ln in lines if not several or ln.destination_ref == dispatch.destination_ref]
    extra, taken = _allocate(shipment, mine, ws)
    units = sum(sl.quantity for sl in ws.lines) if last else sum(taken.values())
    tracking = ", ".join(ws.tracking_numbers) or "no tracking number"
    order.log(f"Warehouse shipped {units} item(s) via {ws.carrier} {ws.service} ({tracking}).".replace("  ", " "),
              event=Event.SHIPPED)
    if extra and last:
        order.log(f"The warehouse reported more than was ordered: {extra}.", level="warning", event=Event.WARNING)
    if order.status in (S.QUEUED, S.DELAYED):
        if not confirm_part(order, warehouse):
            return ""  # a routed order: another warehouse still waits for its part; the order is Open once it has it
        _delivered_after_all(order, warehouse)
    if order.status in SHIPPABLE:
        done = all(shipped_units(ln, plus=taken) >= ln.quantity for ln in lines if not ln.added)
        if done:
            if order.status != S.SHIPPED:  # a late box (an insert) for an order already complete moves nothing
                order.move_to(S.SHIPPED, "Every item has shipped.")
        elif order.status != S.PARTIALLY_SHIPPED:
            order.move_to(S.PARTIALLY_SHIPPED, "Some items have shipped; waiting for the rest.")
    took: dict[str, int] = {}
    for (_line, sku), quantity in taken.items():
        took[sku] = took.get(sku, 0) + quantity
    rest = [ShipmentLineInfo(sl.sku, sl.quantity - took.get(sl.sku, 0)) for sl in ws.lines]
    return replace(ws, lines=[sl for sl in rest if sl.quantity > 0])


def _delivered_after_all(order: Order, warehouse: Warehouse) -> None:
    """A shipment for an order still waiting to go out: its file did reach the warehouse (a run died
    after the upload, before confirming it). Confirm it now, so that it is not sent again."""
    ExchangeRecord.objects.filter(dispatches__order=order).move(Direction.OUT, ExchangeState.PENDING,
                                                               ExchangeState.SENT)
    order.attempts = 0
    order.retry_at = None
    order.move_to(S.OPEN, f"Warehouse {warehouse.name} shipped it, so it has the order file "
                          "(the run that sent it stopped before confirming).")


def _allocate(shipment: Shipment, lines: list[OrderLine], ws: WarehouseShipment) -> tuple[str, dict]:
    """Spread the shipped warehouse SKU units over the order lines that asked for them (one insert);
    returns what was more than ordered, and the units taken by (order line id, warehouse SKU)."""
    surplus = []
    taken: dict[tuple[int, str], int] = {}
    lines = sorted(lines, key=lambda ln: len(ln.components))  # plain lines before bundles
    for sl in ws.lines:
        left = sl.quantity
        for line in lines:
            per = next((c["quantity"] for c in line.components if c["sku"] == sl.sku), 0)
            if not per or left <= 0:
                continue
            already = sum(s.quantity for s in line.shipped.all() if s.warehouse_sku == sl.sku)
            take = min(left, per * line.quantity - already - taken.get((line.id, sl.sku), 0))
            if take > 0:
                taken[(line.id, sl.sku)] = taken.get((line.id, sl.sku), 0) + take
                left -= take
        if left > 0:
            surplus.append(f"{left} x {sl.sku}")
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, order_line_id=line_id, warehouse_sku=sku, quantity=qty)
        for (line_id, sku), qty in taken.items()
    )
    return ", ".join(surplus), taken


def shipped_units(line: OrderLine, before: int | None = None, *, plus: dict[tuple[int, str], int] | None = None) -> int:
    """Whole store units of a line shipped (a bundle counts once all its parts shipped).

    With `before`, only shipments recorded before that shipment id count; `plus` adds units
    not in `line.shipped` yet, by (order line id, warehouse SKU) as `_allocate` returns them.
    """
    if not line.components:
        return 0
    totals: dict[str, int] = {}
    for s in line.shipped.all():
        if before is None or s.shipment_id < before:
            totals[s.warehouse_sku] = totals.get(s.warehouse_sku, 0) + s.quantity
    for (line_id, sku), qty in (plus or {}).items():
        if line_id == line.id:
            totals[sku] = totals.get(sku, 0) + qty
    return min(totals.get(c["sku"], 0) // c["quantity"] for c in line.components)


@events.endpoints_read_once()
def post_shipments(connection: Connection, connector: StoreConnector) -> dict:
    """Post every recorded, unposted shipment of this connection to the store, oldest first.

    Each shipment is recorded as posted while the next one is being posted (`platforms/calls.py`); a shipment
    of the same order as the one under way waits for it to be recorded first (it may have to carry its boxes).
    """
    counts = {"posted": 0, "failed": 0, "closed": _close_left_shipped(connection)}
    pending = (
        Shipment.objects.filter(order__connection=connection, posted_at__isnull=True, post_held=False)
        .select_related("order")
        .prefetch_related("packages", Prefetch("order__lines", queryset=OrderLine.objects.prefetch_related("shipped")))
        .order_by("shipped_at", "id")
    )
    out: _Posting | None = None  # posted, its answer not recorded yet
    with StoreCalls() as calls:
        for shipment in pending:
            ensure_lease()
            if out is not None and out.shipment.order_id == shipment.order_id:
                _settle(out, connection, connector, counts)
                out = None
            posting = _prepare(shipment, connection)
            if posting is None:
                with transaction.atomic():
                    if _inserts_only(shipment):
                        counts["posted"] += 1
                        counts["closed"] += close_if_done(shipment.order)
                continue
            posting.answer = calls.submit(connector.post_shipment, posting.store_shipment)
            if out is not None:
                _settle(out, connection, connector, counts)
            out = posting
        if out is not None:
            _settle(out, connection, connector, counts)
    return counts


@dataclass
class _Posting:
    shipment: Shipment
    waiting: list[Shipment]  # the order's earlier boxes that completed no item: they ride with this one
    store_shipment: StoreShipment
    answer: Future | None = None


def store_reference(shipment: Shipment, connection: Connection) -> str:
    """Dockline's idempotency key for a shipment at the store: the warehouse's shipment id, and for a connection's
    other warehouses that id after the warehouse's (two warehouses may number their shipments alike)."""
    if shipment.warehouse_id == connection.warehouse_id:
        return shipment.warehouse_shipment_id
    return f"W{shipment.warehouse_id}-{shipment.warehouse_shipment_id}"


def _prepare(shipment: Shipment, connection: Connection) -> _Posting | None:
    """What to post for one shipment of the connection's; None when it completes no whole item yet (its boxes
    ride with the next one)."""
    order = shipment.order
    store_lines = _completed_lines(order, shipment.id)
    if not store_lines:
        return None
    waiting = [  # by id, the order they were recorded in; not the order they are posted in (by when they shipped)
        s for s in Shipment.objects.filter(order=order, destination_ref=shipment.destination_ref,
                                           posted_at__isnull=True, id__lt=shipment.id).prefetch_related("packages")
        if not _completed_lines(order, s.id)
    ]
    packages = [p for s in [*waiting, shipment] for p in s.packages.all()]
    return _Posting(shipment, waiting, StoreShipment(
        order_external_id=order.external_id,
        destination_ref=shipment.destination_ref,
        lines=store_lines,
        carrier=shipment.carrier,
        service=shipment.service,
        tracking_numbers=[p.tracking_number for p in packages if p.tracking_number],
        shipped_at=shipment.shipped_at,
        packages=[_package(p) for p in packages],
        reference=store_reference(shipment, connection),
    ))


def _completed_lines(order: Order, shipment_id: int) -> list[StoreShipmentLine]:
    """The store units the shipment with this id completes (with the order's boxes recorded before it)."""
    lines = []
    for line in order.lines.all():
        if line.added:  # a rule's insert: the store never had it
            continue
        units = shipped_units(line, before=shipment_id + 1) - shipped_units(line, before=shipment_id)
        if units > 0:
            lines.append(StoreShipmentLine(line_id=line.line_id, quantity=units))
    return lines


def _settle(posting: _Posting, connection: Connection, connector: StoreConnector, counts: dict) -> None:
    """Record the store's answer to one posting: posted (and the order closed when done), or why not.
    A rate limit or a lost authorization ends the run (raised)."""
    shipment = posting.shipment
    try:
        store_id = posting.answer.result()
    except ConnectorError as exc:
        counts["failed"] += 1
        if exc.message != shipment.post_error:  # say it once, not on every retry
            shipment.order.log(
                f"Could not post tracking to the store ({exc.message}); "
                + ("will retry." if exc.retryable else "fix the cause, then reprocess the shipment."),
                level="warning" if exc.retryable else "error",
                event=Event.WARNING if exc.retryable else Event.ERROR,
            )
        shipment.post_attempts += 1
        shipment.post_error = exc.message
        shipment.post_held = exc.kind == ErrorKind.FATAL
        shipment.save(update_fields=["post_attempts", "post_error", "post_held"])
        if exc.kind in (ErrorKind.RATE_LIMITED, ErrorKind.REAUTH):
            raise
        return
    order, store_shipment = shipment.order, posting.store_shipment
    with transaction.atomic():
        for posted in [*posting.waiting, shipment]:
            posted.store_shipment_id = store_id
            posted.posted_at = timezone.now()
            posted.post_error = ""
            posted.save(update_fields=["store_shipment_id", "posted_at", "post_error"])
        where = ("recorded in Dockline (a Manual store has no shop to post to)" if connector.platform == MANUAL
                 else "posted to the store")
        order.log(f"Tracking {', '.join(store_shipment.tracking_numbers) or '(none)'} {where}.", event=Event.POSTED)
        closed = close_if_done(order)
    events.publish(connection.organization_id, events.SHIPMENT_POSTED, {"shipment": {
        "id": shipment.id, "warehouse_shipment_id": shipment.warehouse_shipment_id, "store_shipment_id": store_id,
        "carrier": shipment.carrier, "service": shipment.service, "tracking_numbers": store_shipment.tracking_numbers,
        "shipped_at": shipment.shipped_at.isoformat(), "lines": [vars(line) for line in store_shipment.lines]}},
        connection=connection, order=order)
    counts["posted"] += 1
    counts["closed"] += closed


def _inserts_only(shipment: Shipment) -> bool:
    """A box holding only what rules added (inserts, gifts): the store has no item to post it against, so it is
    kept in Dockline and counts as done (True). Any other box without a whole item waits for the next (False)."""
    lines = list(shipment.lines.select_related("order_line"))
    if not lines or not all(sl.order_line.added for sl in lines):
        return False
    shipment.posted_at = timezone.now()
    shipment.save(update_fields=["posted_at"])
    shipment.order.log(f"A box with only inserts ({', '.join(shipment.tracking_numbers) or 'no tracking'}) shipped; "
                       "the store has no item for it, so its tracking stays in Dockline.", event=Event.NOTE)
    return True


def _package(p: Package) -> PackageInfo:
    return PackageInfo(tracking_number=p.tracking_number, weight=p.weight, length=p.length,
             width=p.width, height=p.height, box_id=p.box_id)


def _close_left_shipped(connection: Connection) -> int:
    """Close the connection's Shipped orders whose every shipment is posted: a run that died between recording
    the last post and closing the order (before both were one transaction) left them Shipped."""
    return sum(close_if_done(order) for order in _all_posted(Order.objects.filter(connection=connection)))


def close_if_done(order: Order) -> int:
    """Close a Shipped order whose every shipment is posted (read afresh: its other shipments may have moved it)."""
    if not _all_posted(Order.objects.filter(pk=order.pk)).exists():
        return 0
    order.status = S.SHIPPED
    order.move_to(S.CLOSED, "Every shipment's tracking is in the store; order closed.")
    return 1


def _all_posted(orders):
    """Those of `orders` that are Shipped with every shipment posted to the store."""
    unposted = Shipment.objects.filter(order=OuterRef("pk"), posted_at__isnull=True)
    return orders.filter(status=S.SHIPPED).exclude(Exists(unposted))
