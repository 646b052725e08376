"""A tracking number BigCommerce cannot take holds the shipment with a message saying what to fix."""
from datetime import UTC, datetime

from dockline.core.types import Package, ShipmentLine, WarehouseShipment
from dockline.orders.models import Order
from dockline.shipments.models import Shipment
from dockline.sync.jobs import sync_orders, sync_shipments


def test_an_over_long_tracking_number_leaves_the_shipment_unposted_saying_what_to_do(world):
    world.wms.pause()  # the test plays the warehouse
    order_id = world.store.sandbox.store.place_order(items=[("ACME-SOCKS", 1)], shipping_method="Flat Rate")
    sync_orders(world.connection)
    order = Order.objects.get(external_id=str(order_id))
    label = "420" + "9" * 60  # a label barcode sent where the carrier's tracking number belongs
    fmt = world.connection.warehouse.file_format_handler()
    shipment = WarehouseShipment("S-LONG", str(order_id), datetime.now(UTC).replace(microsecond=0), "USPS", "Priority",
                                 [Package(label)], [ShipmentLine("SOCK-WL-02", 1)])
    (world.wms.root / "out" / "shp_long.csv").write_bytes(fmt.render_shipments([shipment]))

    sync_shipments(world.connection)
    sync_shipments(world.connection)  # held: not tried, nor said, again

    held = Shipment.objects.get(order=order)
    assert held.posted_at is None and held.post_held and held.post_attempts == 1
    assert world.store.sandbox.store.shipments_for(order_id) == []
    said = [a.message for a in order.activity.all() if "Could not post" in a.message]
    assert len(said) == 1
    assert label in said[0] and "at most 50" in said[0] and "Ask the warehouse" in said[0]
    assert "reprocess the shipment" in said[0]
