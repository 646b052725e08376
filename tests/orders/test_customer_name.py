"""The customer's name is kept with the order: the billing name where the store gives one, else the
first ship-to's, so the list can show and search it."""
from dockline.orders.imports import store_new_order
from dockline.orders.models import Order
from dockline.platforms.bigcommerce.connector import to_store_order as bigcommerce_order
from dockline.platforms.ultracart.connector import to_store_order as ultracart_order

SHIP_TO = {"id": 9, "first_name": "Ben", "last_name": "Receiver", "street_1": "1 Main St", "city": "Austin",
           "state": "Texas", "zip": "78701", "country_iso2": "US", "shipping_method": "Ground",
           "line_items": [{"id": 1, "sku": "MUG", "quantity": 1, "type": "physical"}]}


def test_bigcommerce_and_ultracart_orders_carry_the_billing_name():
    raw = {"id": 118, "date_created": "Tue, 03 Mar 2026 14:05:00 +0000",
           "billing_address": {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
           "consignments": {"shipping": [SHIP_TO]}}
    assert bigcommerce_order(raw).customer_name == "Ann Lee"
    uc = ultracart_order({"order_id": "UC-1", "billing": {"first_name": "Cleo", "last_name": "Buyer"},
                          "shipping": {"first_name": "Dev"}, "items": []})
    assert uc.customer_name == "Cleo Buyer"


def test_an_order_without_a_billing_name_keeps_the_ship_to_name(conn):
    raw = {"id": 119, "date_created": "Tue, 03 Mar 2026 14:05:00 +0000", "consignments": {"shipping": [SHIP_TO]}}
    assert store_new_order(conn, bigcommerce_order(raw), source="BigCommerce")
    assert Order.objects.get(external_id="119").customer_name == "Ben Receiver"
