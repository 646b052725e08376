"""Cancellations from the sandbox store (or a person, or the warehouse) to the simulated warehouse and back,
in each warehouse format, over real FTP and SFTP: before the order went out, and after, with the warehouse
answering "cancelled" and "too late"."""
import pytest

from dockline.core.types import CancelOutcome
from dockline.orders import actions
from dockline.orders.cancel_state import CancelOrigin, CancelState
from dockline.orders.imports import import_orders
from dockline.orders.models import Order
from dockline.orders.services import prepare_orders
from dockline.orders.status import OrderStatus as S
from dockline.sandbox import demo
from dockline.sync.jobs import sync_orders, sync_shipments
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState

BC_CANCELLED, BC_SHIPPED = 5, 2  # BigCommerce order status ids

FORMATS = [("ftp", "dsfx"), ("ftp", "x12"), ("ftp", "json"), ("sftp", "x12")]


@pytest.fixture
def warehouse_world(transactional_db):
    """make(transport, file_format): a world whose warehouse only acts on `world.wms.tick()`."""
    worlds = []

    def make(transport="ftp", file_format="dsfx"):
        w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=3600, partial_rate=0.0,
                       transport=transport, file_format=file_format, simulate=False)
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.stop()


def _sent(world, items=(("ACME-MUG", 2),)):
    """An order placed in the store, sent, and taken by the warehouse (not shipped: ship_delay is long)."""
    order_id = world.store.sandbox.store.place_order(items=list(items), shipping_method="Flat Rate")
    sync_orders(world.connection)
    world.wms.tick()
    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.OPEN and str(order_id) in world.wms.received
    return order_id, order


def _messages(order):
    return [a.message for a in order.activity.all()]


@pytest.mark.parametrize(("transport", "file_format"), FORMATS)
def test_an_order_cancelled_in_the_store_after_it_went_out_is_cancelled_at_the_warehouse_and_never_ships(
        warehouse_world, transport, file_format):
    world = warehouse_world(transport, file_format)
    order_id, order = _sent(world)
    world.store.sandbox.store.set_status(order_id, BC_CANCELLED)

    sync_orders(world.connection)  # reads the cancellation, sends it to the warehouse
    order.refresh_from_db()
    assert order.status == S.CANCEL_REQUESTED
    assert order.cancellation.state == CancelState.SENT
    world.wms.tick()  # the warehouse reads it and answers
    sync_shipments(world.connection)

    order.refresh_from_db()
    assert order.status == S.CANCELED
    assert world.wms.cancelled == [str(order_id)]
    world.wms.ship_delay = 0
    world.wms.tick()
    assert world.wms.shipped_shipments == []  # it left the pick queue
    assert any("cancelled it; nothing of it ships" in m for m in _messages(order))
    answers = ExchangeRecord.objects.get(direction=Direction.IN, kind=ExchangeKind.CANCELLATIONS)
    assert answers.state == ExchangeState.PROCESSED
    assert world.store.sandbox.store.orders[order_id]["status_id"] == BC_CANCELLED


@pytest.mark.parametrize(("transport", "file_format"), FORMATS)
def test_a_cancellation_that_comes_after_the_warehouse_shipped_is_too_late_and_the_tracking_still_reaches_the_store(
        warehouse_world, transport, file_format):
    world = warehouse_world(transport, file_format)
    world.wms.ship_delay = 0
    order_id, order = _sent(world)  # taken and shipped in the same tick
    assert world.wms.shipped_shipments

    actions.cancel(order, "Ann Operator")  # a person cancels from the order's actions
    order.refresh_from_db()
    assert order.status == S.CANCEL_REQUESTED
    sync_orders(world.connection)
    world.wms.tick()
    assert [a.outcome for a in world.wms.cancel_answers] == [CancelOutcome.TOO_LATE]
    sync_shipments(world.connection)

    order.refresh_from_db()
    assert order.status == S.CLOSED  # the shipment flowed as usual
    assert order.cancellation.state == CancelState.TOO_LATE
    assert any(m.startswith("Too late to cancel") for m in _messages(order))
    assert world.store.sandbox.store.orders[order_id]["status_id"] == BC_SHIPPED
    assert world.store.sandbox.store.shipments_for(order_id)


def test_an_order_cancelled_in_the_store_before_it_went_out_is_never_sent(warehouse_world):
    world = warehouse_world("ftp", "x12")
    store = world.store.sandbox.store
    order_id = store.place_order(items=[("ACME-MUG", 1)], shipping_method="Flat Rate")
    import_orders(world.connection, world.connection.store.connector())
    prepare_orders(world.connection)
    store.set_status(order_id, BC_CANCELLED)

    sync_orders(world.connection)
    world.wms.tick()

    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.CANCELED
    assert order.cancellation.origin == CancelOrigin.STORE
    assert world.wms.received == {}
    assert not ExchangeRecord.objects.filter(direction=Direction.OUT, kind=ExchangeKind.ORDERS).exists()


def test_an_order_cancelled_in_the_store_before_dockline_ever_saw_it_is_not_stored(warehouse_world):
    world = warehouse_world("ftp", "json")
    store = world.store.sandbox.store
    order_id = store.place_order(items=[("ACME-MUG", 1)], shipping_method="Flat Rate")
    store.set_status(order_id, BC_CANCELLED)

    counts = sync_orders(world.connection)

    assert counts["fetched"] == 1 and counts["new"] == 0
    assert not Order.objects.filter(external_id=str(order_id)).exists()


@pytest.mark.parametrize("file_format", ["dsfx", "x12", "json"])
def test_an_order_the_warehouse_cancels_on_its_own_is_shown_cancelled_and_cancelled_in_the_store(
        warehouse_world, file_format):
    world = warehouse_world("ftp", file_format)
    order_id, order = _sent(world)

    world.wms.cancel_at_warehouse(str(order_id), "" if file_format == "x12" else "damaged in the warehouse")
    sync_shipments(world.connection)
    sync_shipments(world.connection)  # told once

    order.refresh_from_db()
    assert order.status == S.CANCELED
    assert order.cancellation.origin == CancelOrigin.WAREHOUSE
    assert world.store.sandbox.store.orders[order_id]["status_id"] == BC_CANCELLED
    messages = _messages(order)
    assert any(m.startswith("Cancelled at warehouse") for m in messages)
    assert messages.count("The order is cancelled in BigCommerce too.") == 1


def test_a_malformed_answer_is_an_error_naming_the_field_and_changes_nothing(warehouse_world):
    world = warehouse_world("ftp", "dsfx")
    order_id, order = _sent(world)
    (world.wms.outbox / "cxa_bad_1.csv").write_bytes(
        f"order_number,status,answered_at,reason\r\n{order_id},maybe,2026-01-01T00:00:00Z,\r\n".encode())

    sync_shipments(world.connection)

    record = ExchangeRecord.objects.get(direction=Direction.IN, kind=ExchangeKind.CANCELLATIONS)
    assert record.state == ExchangeState.ERROR
    assert "status 'maybe' is not cancelled or too_late" in record.error
    order.refresh_from_db()
    assert order.status == S.OPEN
    assert (world.wms.outbox / "error" / "cxa_bad_1.csv").exists()


def test_cancelling_an_order_twice_is_refused_in_plain_words(warehouse_world):
    world = warehouse_world("ftp", "dsfx")
    _order_id, order = _sent(world)
    actions.cancel(order, "Ann Operator")
    with pytest.raises(actions.ActionRefused, match="already being cancelled"):
        actions.cancel(order, "Ann Operator")


def test_an_order_whose_upload_was_never_confirmed_is_cancelled_at_the_warehouse_not_just_here(
        warehouse_world, monkeypatch):
    from dockline.core.errors import ConnectorError, ErrorKind
    from dockline.warehouses.transports.ftp import FtpTransport

    world = warehouse_world("ftp", "dsfx")
    order_id = world.store.sandbox.store.place_order(items=[("ACME-MUG", 1)], shipping_method="Flat Rate")
    real = FtpTransport.write_atomic

    def lands_but_the_answer_is_lost(self, folder, name, data):
        real(self, folder, name, data)
        raise ConnectorError("connection lost", ErrorKind.RETRYABLE)

    monkeypatch.setattr(FtpTransport, "write_atomic", lands_but_the_answer_is_lost)
    sync_orders(world.connection)
    monkeypatch.setattr(FtpTransport, "write_atomic", real)
    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.DELAYED  # Dockline does not know the file arrived

    actions.cancel(order, "Ann Operator")
    order.refresh_from_db()
    assert order.status == S.CANCEL_REQUESTED
    sync_orders(world.connection)  # sends the cancellation, not the order again
    world.wms.tick()  # takes the order file, then the cancellation
    sync_shipments(world.connection)

    order.refresh_from_db()
    assert order.status == S.CANCELED
    assert world.wms.received == {str(order_id): 1} and world.wms.cancelled == [str(order_id)]
    world.wms.ship_delay = 0
    world.wms.tick()
    assert world.wms.shipped_shipments == []
