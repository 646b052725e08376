"""BigCommerce order JSON to a StoreOrder, without a server: `to_store_order` is pure."""
from datetime import UTC, datetime
from decimal import Decimal

from dockline.platforms.bigcommerce.connector import to_store_order

ORDER = {
    "id": 118, "status": "Awaiting Fulfillment", "status_id": 11,
    "date_created": "Tue, 03 Mar 2026 14:05:00 +0000", "date_modified": "Tue, 03 Mar 2026 15:30:00 +0000",
    "customer_message": "Leave at the back door", "billing_address": {"email": "ann@example.com"},
}
ADDRESS = {"id": 9, "first_name": "Ann", "last_name": "Lee", "street_1": "1 Main St", "city": "Austin",
           "state": "Texas", "zip": "78701", "country_iso2": "US", "shipping_method": "Ground"}
MUG = {"id": 501, "sku": "MUG", "name": "Mug", "quantity": 2, "price_ex_tax": "12.5000", "order_address_id": 9,
       "type": "physical"}
CARD = {"id": 502, "sku": "GIFT", "name": "Gift card", "quantity": 1, "price_ex_tax": "25", "type": "digital"}


def test_an_order_with_consignments_maps_destinations_lines_and_times_without_fetching():
    raw = {**ORDER, "consignments": {"shipping": [{**ADDRESS, "line_items": [MUG]}]}}
    order = to_store_order(raw)
    assert (order.external_id, order.number, order.store_status) == ("118", "118", "Awaiting Fulfillment")
    assert order.placed_at == datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
    assert order.modified_at == datetime(2026, 3, 3, 15, 30, tzinfo=UTC)
    [dest] = order.destinations
    assert (dest.ref, dest.shipping_method, dest.address.name, dest.address.postal_code) == ("9", "Ground", "Ann Lee",
                                                                                            "78701")
    [line] = order.lines
    assert (line.line_id, line.sku, line.quantity, line.unit_price, line.destination_ref) == (
        "501", "MUG", 2, Decimal("12.5000"), "9")
    assert (order.customer_email, order.notes) == ("ann@example.com", "Leave at the back door")


def test_a_consignment_listing_only_links_takes_its_lines_from_the_fetched_products():
    links = [{"url": "https://api.bigcommerce.com/stores/x/v2/orders/118/products?order_address_id=9"}]
    raw = {**ORDER, "consignments": {"shipping": [{**ADDRESS, "line_items": links}]}}
    other = {**MUG, "id": 503, "order_address_id": 10}  # belongs to another consignment
    order = to_store_order(raw, products=[MUG, other])
    assert [(ln.line_id, ln.destination_ref) for ln in order.lines] == [("501", "9")]


def test_an_answer_without_consignments_ships_only_physical_products_to_the_fetched_addresses():
    order = to_store_order(ORDER, products=[MUG, CARD], shipping_addresses=[ADDRESS])
    assert [d.ref for d in order.destinations] == ["9"]
    assert [ln.sku for ln in order.lines] == ["MUG"]


def test_an_order_with_nothing_to_ship_maps_to_none():
    assert to_store_order({**ORDER, "consignments": {"shipping": []}}) is None
    assert to_store_order(ORDER, products=[CARD], shipping_addresses=[]) is None
