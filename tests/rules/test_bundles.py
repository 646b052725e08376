"""A bundle: two store orders to the same customer and address go to the warehouse as one, ship in one box,
and each store order gets the tracking posted, on the BigCommerce sandbox."""
import pytest

from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.demo import wait_until
from dockline.sync.jobs import sync_orders, sync_shipments

ANA = {"first_name": "Ana", "last_name": "Lee", "company": "", "street_1": "1 Elm St", "street_2": "",
       "city": "Austin", "state": "Texas", "zip": "78701", "country_iso2": "US"}


@pytest.mark.parametrize("hook", ["import", "before_send"])
def test_two_orders_bundled_ship_in_one_box_and_both_store_orders_get_the_tracking(world, active_rule, hook):
    bc = world.store.sandbox.store
    active_rule(world.connection, "One box per customer", "bundle", "", hook)
    first = bc.place_order(items=[("ACME-MUG", 1)], address=ANA, email="ana@example.com")
    second = bc.place_order(items=[("ACME-TEE-M", 2)], address=ANA, email="ana@example.com")
    other = bc.place_order(items=[("ACME-SOCKS", 1)], address={**ANA, "street_1": "9 Oak Ave"},
                           email="ana@example.com")

    sync_orders(world.connection)

    orders = {o.external_id: o for o in Order.objects.all()}
    bundled = [o for o in orders.values() if o.status == S.BUNDLED]
    assert len(bundled) == 1 and bundled[0].external_id in (str(first), str(second))
    carrier = bundled[0].bundled_into
    assert wait_until(lambda: carrier.number in world.wms.received, 10)
    ticket = next(o for o in world.wms.received_orders if o.order_number == carrier.number)
    assert {ln.sku: ln.quantity for ln in ticket.lines} == {"MUG-ENML-01": 1, "TT-100-M": 2}
    assert bundled[0].number not in world.wms.received, "the absorbed order is not sent on its own"
    assert wait_until(lambda: str(other) in world.wms.received, 10), "another address ships on its own"

    assert wait_until(lambda: any(s.order_number == carrier.number for s in world.wms.shipped_shipments), 10)
    box = next(s for s in world.wms.shipped_shipments if s.order_number == carrier.number)
    sync_shipments(world.connection)
    sync_shipments(world.connection)  # nothing is posted twice

    for order_id, skus in [(first, {"ACME-MUG"}), (second, {"ACME-TEE-M"})]:
        posted = bc.shipments_for(order_id)
        assert sorted(world.store.tracking_numbers(str(order_id))) == sorted(box.tracking_numbers)
        products = {p["id"]: p["sku"] for p in bc.order_products(order_id)}
        assert {products[i["order_product_id"]] for s in posted for i in s["items"]} == skus
        assert Order.objects.get(external_id=str(order_id)).status == S.CLOSED
