"""A Manual store's order, created through the API, goes to the simulated warehouse over FTP and comes back shipped."""
from dockline.api.keys import issue_key
from dockline.connections.models import Connection, Store
from dockline.mapping.services import save_listing, save_shipping_rule
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.demo import wait_until
from dockline.sync.jobs import sync_orders, sync_shipments

ORDER = {
    "number": "PHONE-77", "shipping_method": "Phone order, ground",
    "ship_to": {"name": "Ada Lovelace", "street1": "1 Main St", "city": "Springfield", "state": "IL",
                "postal_code": "62701", "country": "US"},
    "lines": [{"sku": "MUG", "quantity": 2, "name": "Camp Mug"}, {"sku": "TT-100-M", "quantity": 1}],
}


def test_an_api_order_for_a_manual_store_is_sent_shipped_and_closed_with_its_tracking_recorded(world, client):
    world.wms.ship_delay = 0
    ours = world.connection
    store = Store.objects.create(organization=ours.organization, merchant=ours.merchant, name="Phone orders",
                                 platform="manual")
    manual = Connection.objects.create(organization=ours.organization, name="Phone orders → Riverside",
                                       merchant=ours.merchant, store=store, warehouse=ours.warehouse, enabled=True)
    save_listing(manual, "MUG", [("MUG-ENML-01", 1)])  # TT-100-M is a warehouse SKU: it needs no listing
    save_shipping_rule(manual, "Phone order, ground", "UPS", "GND")
    token = issue_key(ours.organization, "phone desk", writable=True)[1]

    created = client.post("/api/v1/orders", {**ORDER, "connection": manual.id}, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}")
    assert created.status_code == 201, created.content
    sync_orders(manual)
    order = Order.objects.get(number="PHONE-77")
    assert order.status == S.OPEN
    assert wait_until(lambda: any(s.order_number == "PHONE-77" for s in world.wms.shipped_shipments), 15)
    sync_shipments(manual)

    order.refresh_from_db()
    assert order.status == S.CLOSED
    shown = client.get(f"/api/v1/orders/{order.id}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    [shipment] = shown["shipments"]
    wms_tracking = {t for s in world.wms.shipped_shipments if s.order_number == "PHONE-77" for t in s.tracking_numbers}
    assert {p["tracking_number"] for p in shipment["packages"]} == wms_tracking
    assert shipment["store_shipment_id"].startswith("dockline:")
