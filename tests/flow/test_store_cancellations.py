"""Each platform's own cancellation signal, set in its sandbox as the platform would, reaches the warehouse:
an order already sent is cancelled there and ends Canceled, without ever shipping."""
import pytest

from dockline.orders.cancel_state import CancelOrigin
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox import demo
from dockline.sync.jobs import sync_orders, sync_shipments


def _cancel_in_store(platform: str, store, number: str) -> None:
    sb = store.sandbox
    if platform == "bigcommerce":
        sb.store.set_status(int(number), 5)  # Cancelled (GET /v2/order_statuses)
    elif platform == "ultracart":
        sb.store.reject(number)  # current_stage Rejected
    elif platform == "oneshoppingcart":
        sb.store.orders[number]["OrderStatusType"] = "Cancelled"
    elif platform == "acumatica":
        sb.instance.cancel_order("SO", number)  # Status Canceled
    elif platform == "amazon":
        sb.seller.update(number, fulfillmentStatus="CANCELLED")
    elif platform == "ebay":
        sb.store.touch(number, cancelStatus={"cancelState": "CANCEL_REQUESTED", "cancelRequests": []})


@pytest.mark.parametrize("platform", ["bigcommerce", "ultracart", "oneshoppingcart", "acumatica", "amazon", "ebay"])
def test_an_order_cancelled_in_the_store_after_it_went_out_never_ships(transactional_db, platform):
    world = demo.build(intervals=demo.demo_intervals(3600), platform=platform, ship_delay=3600, partial_rate=0.0,
                       simulate=False)
    try:
        number = world.store.place_order([("ACME-MUG", 1)], "Flat Rate")
        sync_orders(world.connection)
        world.wms.tick()
        order = Order.objects.get(connection=world.connection, number=number)
        assert order.status == S.OPEN

        _cancel_in_store(platform, world.store, number)
        sync_orders(world.connection)
        order.refresh_from_db()
        assert order.status == S.CANCEL_REQUESTED, [a.message for a in order.activity.all()]
        world.wms.tick()
        sync_shipments(world.connection)

        order.refresh_from_db()
        assert order.status == S.CANCELED
        assert order.cancellation.origin == CancelOrigin.STORE
        world.wms.ship_delay = 0
        world.wms.tick()
        assert world.wms.shipped_shipments == []
    finally:
        world.stop()
