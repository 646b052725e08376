"""Cancel orders: before they reach the warehouse, at the warehouse, and as the warehouse reports them.

An order not yet sent is simply Canceled. An order the warehouse holds (Open) goes to Cancel
Requested: the next orders run writes a cancellation in the warehouse's format
(`send_cancellations`), and the shipments run reads the warehouse's answer
(`pull_cancel_answers`): cancelled (the order is Canceled) or too late because it shipped (the
order goes back to Open, or stays Shipped if its shipment came first; the shipment flows to the store
as usual and the activity tells the merchant). An answer for an order Dockline did not ask about is
a cancellation made at the warehouse: the order is Canceled and, where the platform allows it, the
store is told (`tell_stores`). Each cancellation is one `Cancellation` row per order, so a signal
read twice (the same store status on every import, the same answer file) changes nothing.

A routed order (`orders/parts.py`) is asked of every warehouse that holds a part of it, one file each;
it is Canceled only when every part is answered "cancelled". With one "too late", the parts that shipped
flow to the store as usual and the activity names the warehouse whose part could not be cancelled.
"""
from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from dockline.connections.models import Connection
from dockline.core.activity import SYSTEM, Actor, Event
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import CancelAnswer, CancelOutcome, CancelRequest, StoreOrder, WarehouseOrder
from dockline.orders.cancel_state import CancelOrigin, CancelState
from dockline.orders.models import Cancellation, Dispatch, Order
from dockline.orders.status import AT_WAREHOUSE, BEFORE_WAREHOUSE
from dockline.orders.status import OrderStatus as S
from dockline.platforms.base import StoreConnector
from dockline.sync.scheduler import ensure_lease
from dockline.warehouses.formats.base import FileFormat, RenderError, RowError
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse
from dockline.warehouses.services import Handled, receive_files
from dockline.warehouses.transports.base import Transport

log = logging.getLogger(__name__)

_SHIPPED = {S.PARTIALLY_SHIPPED, S.SHIPPED, S.CLOSED}


class CannotCancel(Exception):
    """The order cannot be cancelled through Dockline as it stands; the message says why and what to do."""


# -- asking -----------------------------------------------------------------------------------------


def cancel_from_store(connection: Connection, so: StoreOrder, *, source: str) -> bool:
    """The store reports `so` cancelled: cancel Dockline's order too. True when something changed.

    An order Dockline never imported is not stored. Idempotent: the store says it again on every
    import, and an order with a cancellation already is left as it is.
    """
    order = Order.objects.filter(store_id=connection.store_id, external_id=so.external_id).first()
    if order is None or Cancellation.objects.filter(order=order).exists() or order.status in (S.CANCELED, S.ARCHIVED):
        return False
    status = f" (status {so.store_status})" if so.store_status else ""
    if order.status in _SHIPPED:
        Cancellation.objects.create(order=order, origin=CancelOrigin.STORE, state=CancelState.TOO_LATE,
                                    reason=f"cancelled in {source}", store_told=True)
        order.log(f"The order was cancelled in {source}{status}, but it has already shipped: refund or follow up "
                  "with the customer in the store.", level="warning", event=Event.WARNING)
        return True
    try:
        request_cancellation(order, CancelOrigin.STORE, reason=f"cancelled in {source}{status}")
    except CannotCancel as exc:
        order.log(f"The order was cancelled in {source}{status}. {exc}", level="warning", event=Event.WARNING)
        return False
    return True


def request_cancellation(order: Order, origin: CancelOrigin, *, reason: str, actor: Actor = SYSTEM) -> None:
    """Cancel `order` now if it was not sent, or ask its warehouse to (Cancel Requested).

    Raises `CannotCancel` for an order the warehouse has shipped or whose format carries no cancellations.
    """
    if Cancellation.objects.filter(order=order).exists():
        raise CannotCancel(f"#{order.number} is already being cancelled ({order.cancellation.get_state_display()}).")
    status = S(order.status)
    if status in BEFORE_WAREHOUSE and not _file_may_be_there(order):
        with transaction.atomic():
            Cancellation.objects.create(order=order, origin=origin, state=CancelState.CANCELLED, reason=reason,
                                        store_told=origin == CancelOrigin.STORE)
            order.move_to(S.CANCELED, f"Canceled: {reason}. It had not gone to the warehouse, and will not be sent.",
                          actor=actor)
        return
    if status not in AT_WAREHOUSE and not _file_may_be_there(order):
        raise CannotCancel(f"#{order.number} is {order.get_status_display()}: only orders not yet shipped can be "
                           "cancelled.")
    holders = holding_warehouses(order)
    for warehouse in holders:
        fmt = warehouse.file_format_handler()
        if not fmt.cancels:
            raise CannotCancel(f"Warehouse {warehouse.name} speaks {fmt.label}, which has no cancellation file: ask "
                               "the warehouse to cancel the order.")
    names = " and ".join(w.name for w in holders)
    with transaction.atomic():
        Cancellation.objects.create(order=order, origin=origin, state=CancelState.REQUESTED, reason=reason,
                                    store_told=origin == CancelOrigin.STORE)
        order.move_to(S.CANCEL_REQUESTED, f"Cancel requested: {reason}. Dockline asks warehouse {names} "
                                          "to cancel it and waits for its answer.", actor=actor)


def holding_warehouses(order: Order) -> list[Warehouse]:
    """The warehouses that have (or may have) the order: those it was written for; the first one if none."""
    held = set(order.dispatches.values_list("warehouse_id", flat=True))
    return [w for w in order.connection.warehouses() if w.pk in held] or [order.connection.warehouse]


def _file_may_be_there(order: Order) -> bool:
    """A run wrote the order's file but died (or lost the connection) before confirming it: the warehouse may
    have it, so it is asked to cancel (it answers "cancelled" for an order it never got)."""
    if order.status not in (S.QUEUED, S.DELAYED):
        return False
    return (order.parts.filter(sent_at__isnull=False).exists()  # a routed order: some parts are out already
            or ExchangeRecord.objects.filter(dispatches__order=order, direction=Direction.OUT,
                                             state=ExchangeState.PENDING).exists())


# -- sending ----------------------------------------------------------------------------------------


def has_cancellations_to_send(connection: Connection) -> bool:
    return Cancellation.objects.filter(order__connection=connection, state=CancelState.REQUESTED).exists()


def warehouses_with_cancellations_to_send(connection: Connection) -> list[Warehouse]:
    """The connection's warehouses other than its first that hold an order waiting to be cancelled."""
    waiting = set(Dispatch.objects.filter(order__connection=connection,
                                          order__cancellation__state=CancelState.REQUESTED)
                  .exclude(warehouse_id=connection.warehouse_id).values_list("warehouse_id", flat=True))
    return [w for w in connection.warehouses() if w.pk in waiting]


def send_cancellations(connection: Connection, transport: Transport, fmt: FileFormat,
                       now: datetime | None = None, *, warehouse: Warehouse | None = None) -> dict:
    """Write one cancellation file per order waiting in Cancel Requested to `warehouse`'s inbox (the
    connection's first warehouse by default); a routed order gets one at each warehouse holding a part.

    The file is recorded (an outgoing exchange record) before it is written, and written under a
    temporary name, then renamed: a run that dies in between writes the same file, under the same
    name, next time. The cancellation is Sent once every warehouse holding the order has its file.
    A passing failure ends the sending for this run; any other refusal is raised.
    """
    now = now or timezone.now()
    warehouse = warehouse or connection.warehouse
    counts = {"cancellations_sent": 0}
    pending = (Cancellation.objects.filter(order__connection=connection, state=CancelState.REQUESTED)
               .select_related("order").prefetch_related("files").order_by("id"))
    for cancellation in pending:
        ensure_lease()
        order = cancellation.order
        holders = holding_warehouses(order)
        if warehouse not in holders:
            continue
        if order.status in (S.SHIPPED, S.CLOSED):  # every item shipped before the cancellation could go out
            cancellation.move_to(CancelState.TOO_LATE)
            order.log(_too_late(warehouse), level="warning", event=Event.WARNING)
            continue
        files = {f.warehouse_id: f for f in cancellation.files.all()}
        exchange = files.get(warehouse.pk)
        if exchange is not None and exchange.state != ExchangeState.PENDING:
            continue  # this warehouse has its file; another one still waits for its own
        try:
            exchange = exchange or _cancellation_file(cancellation, warehouse, fmt, now)
        except RenderError as exc:
            order.log(f"Could not write the cancellation for warehouse {warehouse.name}: {exc.field}: {exc.reason} "
                      "Ask the warehouse to cancel it.", level="error", event=Event.ERROR)
            continue
        try:
            transport.write_atomic(warehouse.folders.inbox, exchange.filename, exchange.data)
        except ConnectorError as exc:
            if not exc.retryable:
                raise
            order.log(f"Could not send the cancellation to warehouse {warehouse.name} yet ({exc.message}); the next "
                      "run tries again.", level="warning", event=Event.DELAYED)
            break
        with transaction.atomic():
            exchange.move_to(ExchangeState.SENT)
            files[warehouse.pk] = exchange
            if all(w.pk in files and files[w.pk].state == ExchangeState.SENT for w in holders):
                cancellation.move_to(CancelState.SENT)
            order.log(f"Cancellation sent to warehouse {warehouse.name} in file {exchange.filename}.",
                      event=Event.CANCEL_REQUESTED)
        counts["cancellations_sent"] += 1
    return counts


def _cancellation_file(cancellation: Cancellation, warehouse: Warehouse, fmt: FileFormat,
                       now: datetime) -> ExchangeRecord:
    order = cancellation.order
    dispatches = list(order.dispatches.filter(warehouse=warehouse).select_related("exchange").order_by("id"))
    requests = [CancelRequest(d.warehouse_order_number, now, cancellation.reason, order=_as_sent(d, fmt))
                for d in dispatches]
    content = fmt.render_cancellations(requests)
    with transaction.atomic():
        exchange = ExchangeRecord.objects.create(
            warehouse=warehouse, direction=Direction.OUT, kind=ExchangeKind.CANCELLATIONS,
            filename=fmt.cancellation_filename(order.number, now), checksum=ExchangeRecord.checksum_of(content),
            size=len(content), business_keys=[r.order_number for r in requests], content=content,
        )
        cancellation.files.add(exchange)
    return exchange


def _as_sent(dispatch: Dispatch, fmt: FileFormat) -> WarehouseOrder | None:
    """The pick ticket as the warehouse received it, read back from the file sent (X12 repeats it)."""
    if dispatch.exchange is None:
        return None
    parsed = fmt.parse_orders(dispatch.exchange.data)
    return next((o for o in parsed.items if o.order_number == dispatch.warehouse_order_number), None)


# -- the warehouse's answers -------------------------------------------------------------------------


def pull_cancel_answers(warehouse: Warehouse, transport: Transport, fmt: FileFormat) -> dict:
    """Read the warehouse's answer files (and cancellations it made on its own); a bad entry is an error
    on the file's record naming the field, the others are applied."""
    if not fmt.cancels:
        return {}

    def handle(data: bytes, record: ExchangeRecord) -> Handled:
        parsed = fmt.parse_cancel_answers(data)
        handled = Handled(errors=list(parsed.errors))
        for answer in parsed.items:
            problem = apply_cancel_answer(warehouse, answer)
            if problem:
                handled.errors.append(RowError(None, problem))
            handled.keys.append(answer.order_number)
        return handled

    counts = receive_files(warehouse, transport, ExchangeKind.CANCELLATIONS, fmt.cancel_answer_pattern, handle, fmt)
    return {"cancel_answer_files": counts["files"], "cancel_answer_errors": counts["errors"]}


def apply_cancel_answer(warehouse: Warehouse, answer: CancelAnswer) -> str:
    """Apply one answer to its order (idempotent: the same answer again changes nothing); a problem or ''.

    The order is settled once every warehouse order number it was sent under, at every warehouse that
    holds it, is answered."""
    dispatch = (Dispatch.objects.filter(warehouse=warehouse, warehouse_order_number=answer.order_number)
                .select_related("order").first())
    if dispatch is None:
        return f"order_number {answer.order_number!r}: Dockline never sent this order to this warehouse"
    order = dispatch.order
    cancellation = Cancellation.objects.filter(order=order).first()
    if cancellation is None:
        if answer.outcome == CancelOutcome.CANCELLED:
            _cancelled_at_warehouse(order, warehouse, answer)
        return ""
    key = answer_key(warehouse, answer.order_number)
    if cancellation.answers.get(key) == answer.outcome:
        return ""
    cancellation.answers = {**cancellation.answers, key: str(answer.outcome)}
    asked = {answer_key(d.warehouse, d.warehouse_order_number)
             for d in order.dispatches.filter(warehouse__in=holding_warehouses(order)).select_related("warehouse")}
    if cancellation.state in (CancelState.CANCELLED, CancelState.TOO_LATE) or not asked <= set(cancellation.answers):
        cancellation.save(update_fields=["answers", "updated_at"])  # settled already, or parts still to answer
        return ""
    several = len({k.split(":", 1)[0] for k in asked}) > 1
    with transaction.atomic():
        if all(cancellation.answers[k] == CancelOutcome.CANCELLED for k in asked):
            cancellation.move_to(CancelState.CANCELLED)
            who = "Every warehouse holding a part" if several else f"Warehouse {warehouse.name}"
            if order.status == S.CANCEL_REQUESTED:
                order.move_to(S.CANCELED, f"{who} cancelled it{_because(answer)}; nothing of it ships.",
                              event=Event.CANCELED)
            else:
                order.log(f"{who} says it cancelled the order, which is {order.get_status_display()} here: check "
                          "with the warehouse.", level="warning", event=Event.WARNING)
        else:
            cancellation.move_to(CancelState.TOO_LATE)
            message = _too_late_parts(order, cancellation.answers, asked) if several else _too_late(warehouse)
            if order.status == S.CANCEL_REQUESTED:
                order.move_to(S.OPEN, message, level="warning", event=Event.WARNING)
            else:
                order.log(message, level="warning", event=Event.WARNING)
    return ""


def answer_key(warehouse: Warehouse, order_number: str) -> str:
    """How `Cancellation.answers` names one warehouse order: a routed order has its number at each warehouse."""
    return f"{warehouse.pk}:{order_number}"


def _too_late_parts(order: Order, answers: dict[str, str], asked: set[str]) -> str:
    names = {w.pk: w.name for w in order.connection.warehouses()}

    def at(outcome: str) -> str:
        return " and ".join(sorted({names.get(int(k.split(":", 1)[0]), "?") for k in asked if answers[k] == outcome}))

    cancelled = at(CancelOutcome.CANCELLED)
    done = f" Warehouse {cancelled} cancelled its part: nothing of it ships." if cancelled else ""
    return (f"Too late to cancel the part at warehouse {at(CancelOutcome.TOO_LATE)}: it had already shipped. Its "
            f"shipment is recorded and its tracking goes to the store as usual; refund or follow up with the "
            f"customer in the store for what it shipped.{done}")


def _cancelled_at_warehouse(order: Order, warehouse: Warehouse, answer: CancelAnswer) -> None:
    """A cancellation the warehouse made on its own: the order is Canceled and the store is to be told."""
    with transaction.atomic():
        Cancellation.objects.create(order=order, origin=CancelOrigin.WAREHOUSE, state=CancelState.CANCELLED,
                                    reason=answer.reason,
                                    answers={answer_key(warehouse, answer.order_number): str(answer.outcome)})
        message = f"Cancelled at warehouse {warehouse.name}{_because(answer)}."
        if order.status in (S.OPEN, S.CANCEL_REQUESTED):
            order.move_to(S.CANCELED, f"{message} Nothing of it ships.", level="warning", event=Event.CANCELED)
        else:
            order.log(f"{message} The order is {order.get_status_display()} here: check with the warehouse.",
                      level="warning", event=Event.WARNING)


def _because(answer: CancelAnswer) -> str:
    return f" ({answer.reason})" if answer.reason else ""


def _too_late(warehouse: Warehouse) -> str:
    return (f"Too late to cancel: warehouse {warehouse.name} had already shipped it. Its shipment is recorded and "
            "its tracking goes to the store as usual; refund or follow up with the customer in the store.")


# -- telling the store -------------------------------------------------------------------------------


def _untold(connection: Connection):
    return (Cancellation.objects.filter(order__connection=connection, state=CancelState.CANCELLED, store_told=False)
            .exclude(origin=CancelOrigin.STORE))


def has_cancellations_to_tell(connection: Connection) -> bool:
    return _untold(connection).exists()


def tell_stores(connection: Connection, connector: StoreConnector) -> dict:
    """Tell the store about orders cancelled at the warehouse or by a person, once each.

    Through `connector.cancel_order`, which is idempotent (it reads the order's status first); where
    the platform has no such write, the activity asks the merchant to cancel the order in the store.
    A failure is said once and tried again on the next run; rate limits and expired access stop the run.
    """
    counts = {"stores_told": 0}
    pending = _untold(connection).select_related("order")
    for cancellation in pending:
        ensure_lease()
        order = cancellation.order
        try:
            told = connector.cancel_order(order.external_id)
        except ConnectorError as exc:
            if exc.kind in (ErrorKind.RATE_LIMITED, ErrorKind.REAUTH):
                raise
            note = f"Could not cancel the order in {connector.label} ({exc.message}); will retry."
            if not order.activity.filter(message=note).exists():
                order.log(note, level="warning", event=Event.WARNING)
            continue
        if told:
            order.log(f"The order is cancelled in {connector.label} too.", event=Event.CANCELED)
        else:
            order.log(f"{connector.label} does not let Dockline cancel orders: cancel #{order.number} in the store "
                      "yourself.", level="warning", event=Event.WARNING)
        cancellation.store_told = True
        cancellation.save(update_fields=["store_told", "updated_at"])
        counts["stores_told"] += 1
    return counts
