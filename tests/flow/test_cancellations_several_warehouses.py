"""Cancelling an order split across two simulated warehouses over FTP: each warehouse holding a part is
asked once, each answer is recorded per warehouse, and the order is Canceled only when both parts are."""
import pytest

from dockline.core.types import CancelOutcome
from dockline.orders.cancel_state import CancelState
from dockline.orders.cancellations import answer_key
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sync.jobs import sync_orders, sync_shipments
from dockline.warehouses.models import ExchangeState

BC_CANCELLED = 5


@pytest.fixture
def two(transactional_db):
    """The demo world with its second warehouse (Harbor 3PL, the only one with lanterns), split by
    availability; both warehouses act only on `tick()` and ship only when told to."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=3600, partial_rate=0.0, second_warehouse=True,
                   simulate=False)
    yield w
    w.stop()


def _split_and_sent(world):
    order_id = world.store.sandbox.store.place_order(items=[("LANTERN-300", 2), ("ACME-MUG", 1)],
                                                    shipping_method="Flat Rate")
    sync_orders(world.connection)
    for wms in world.all_wms:
        wms.tick()
    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.OPEN and order.parts.count() == 2
    assert all(wms.received == {str(order_id): 1} for wms in world.all_wms)
    return order_id, order


def test_a_split_order_cancelled_in_the_store_is_cancelled_at_both_warehouses_and_only_then_canceled(two):
    first, second = two.wms, two.other_wms[0]
    order_id, order = _split_and_sent(two)
    two.store.sandbox.store.set_status(order_id, BC_CANCELLED)

    sync_orders(two.connection)
    sync_orders(two.connection)  # nothing is sent twice
    order.refresh_from_db()
    assert order.status == S.CANCEL_REQUESTED and order.cancellation.state == CancelState.SENT
    files = order.cancellation.files.all()
    assert sorted(f.warehouse.name for f in files) == sorted(w.name for w in two.connection.warehouses())
    assert all(f.state == ExchangeState.SENT for f in files)

    first.tick()  # only the first warehouse answers yet
    sync_shipments(two.connection)
    order.refresh_from_db()
    assert order.status == S.CANCEL_REQUESTED, "one part is still to be answered"

    second.tick()
    sync_shipments(two.connection)
    order.refresh_from_db()
    number = str(order_id)
    assert order.status == S.CANCELED and order.cancellation.state == CancelState.CANCELLED
    riverside, harbor = two.connection.warehouses()
    assert order.cancellation.answers == {answer_key(riverside, number): "cancelled",
                                          answer_key(harbor, number): "cancelled"}
    assert (first.cancelled, second.cancelled) == ([number], [number])


def test_when_one_part_had_shipped_its_tracking_reaches_the_store_and_the_merchant_is_told_which_part(two):
    first, second = two.wms, two.other_wms[0]
    first.ship_delay = 0  # Riverside ships the mug as soon as it has it
    order_id, order = _split_and_sent(two)
    assert first.shipped_shipments and not second.shipped_shipments
    two.store.sandbox.store.set_status(order_id, BC_CANCELLED)

    sync_orders(two.connection)
    for wms in two.all_wms:
        wms.tick()
    assert [a.outcome for a in first.cancel_answers] == [CancelOutcome.TOO_LATE]
    assert [a.outcome for a in second.cancel_answers] == [CancelOutcome.CANCELLED]
    sync_shipments(two.connection)

    order.refresh_from_db()
    assert order.cancellation.state == CancelState.TOO_LATE
    assert order.status == S.PARTIALLY_SHIPPED  # the mug shipped; the lanterns never will
    posted = two.store.sandbox.store.shipments_for(order_id)
    assert [s["tracking_number"] for s in posted] == [t for s in first.shipped_shipments for t in s.tracking_numbers]
    said = [a.message for a in order.activity.filter(level="warning")]
    assert any(m.startswith("Too late to cancel the part at warehouse Riverside 3PL")
               and "Warehouse Harbor 3PL cancelled its part" in m for m in said), said
    assert second.shipped_shipments == []


def test_a_split_order_cancelled_while_one_part_is_still_to_go_is_asked_of_both_and_the_rest_is_never_sent(two):
    from django.utils import timezone

    first, second = two.wms, two.other_wms[0]
    second.server.drop_after_bytes(10, "upload")  # Harbor's part does not arrive: the order waits (Delayed)
    order_id = two.store.sandbox.store.place_order(items=[("LANTERN-300", 1), ("ACME-MUG", 2)],
                                                  shipping_method="Flat Rate")
    sync_orders(two.connection)
    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.DELAYED
    two.store.sandbox.store.set_status(order_id, BC_CANCELLED)

    sync_orders(two.connection)  # not Canceled here alone: Riverside has its part
    order.refresh_from_db()
    assert order.status == S.CANCEL_REQUESTED
    Order.objects.filter(pk=order.pk).update(retry_at=timezone.now())
    sync_orders(two.connection)  # the part still to go is not sent now
    for wms in two.all_wms:
        wms.tick()
    sync_shipments(two.connection)

    order.refresh_from_db()
    assert order.status == S.CANCELED
    assert str(order_id) not in second.received and first.received == {str(order_id): 1}
    assert first.cancelled == [str(order_id)]
