"""BigCommerce connector against the BigCommerce sandbox over loopback."""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import StockUpdate, StoreShipment, StoreShipmentLine
from dockline.platforms.base import Capability, connector_class
from dockline.platforms.bigcommerce.connector import CARRIERS, BigCommerceConnector, carrier_codes
from dockline.sandbox.bigcommerce import BigCommerceSandbox
from dockline.sandbox.demo import wait_until


def _shipment(order, lines, tracking=("1Z999AA10123456784",), carrier="UPS", service="Ground", ref="") -> StoreShipment:
    return StoreShipment(
        order_external_id=order.external_id,
        destination_ref=order.destinations[0].ref,
        lines=[StoreShipmentLine(line_id, qty) for line_id, qty in lines],
        carrier=carrier,
        service=service,
        tracking_numbers=list(tracking),
        shipped_at=datetime.now(UTC),
        reference=ref,
    )


def _only_order(connector, order_id):
    return next(o for o in connector.fetch_orders(None) if o.external_id == str(order_id))


# ------------------------------------------------------------------ contract
def test_declares_platform_contract():
    cls = connector_class("bigcommerce")
    assert cls is BigCommerceConnector
    assert cls.label == "BigCommerce"
    assert cls.capabilities == {Capability.ORDERS, Capability.SHIPMENTS, Capability.INVENTORY, Capability.WEBHOOKS}
    creds = {f.name: f for f in cls.credential_fields}
    assert list(creds) == ["store_hash", "access_token", "client_id", "client_secret"]
    assert creds["access_token"].secret and creds["client_secret"].secret and not creds["store_hash"].secret
    assert creds["client_id"].required is False and creds["client_secret"].required is False
    settings = {f.name: f.default for f in cls.settings_fields}
    assert settings == {
        "api_base": "https://api.bigcommerce.com", "monitored_status_id": "11",
        "forwarded_status_id": "9", "location_id": "1",
    }


# ------------------------------------------------------------------ orders
def test_fetch_orders_maps_products_and_addresses(sandbox, connector):
    store = sandbox.store
    store.add_product(sku="WIDGET-1", name="Widget", price="9.99", inventory_level=10)
    store.add_product(sku="GADGET-2", name="Gadget", price="24.50", inventory_level=10)
    home = {"first_name": "Ada", "last_name": "Lovelace", "company": "Engines Ltd", "street_1": "12 Analytical Way",
            "street_2": "Apt 3", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States",
            "country_iso2": "US", "phone": "555-0100", "email": "ada@example.com"}
    office = {"first_name": "Charles", "last_name": "Babbage", "city": "Denver", "state": "Colorado", "zip": "80202"}
    oid = store.place_multi_address_order(
        [
            {"address": home, "shipping_method": "UPS Ground", "items": [("WIDGET-1", 2), ("GADGET-2", 1)]},
            {"address": office, "shipping_method": "Free Shipping", "items": [("WIDGET-1", 1)]},
        ],
        customer_message="Leave at the back door",
        email="buyer@example.com",
    )

    order = _only_order(connector, oid)

    assert order.external_id == order.number == str(oid)
    assert order.customer_email == "buyer@example.com"
    assert order.notes == "Leave at the back door"
    assert order.store_status == "Awaiting Fulfillment"
    assert order.placed_at.tzinfo is not None and order.placed_at.utcoffset() == timedelta(0)
    assert abs(order.placed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert order.raw["id"] == oid

    addresses = store.order_addresses(oid)
    assert [d.ref for d in order.destinations] == [str(a["id"]) for a in addresses]
    first, second = order.destinations
    assert first.shipping_method == "UPS Ground" and second.shipping_method == "Free Shipping"
    assert first.address.name == "Ada Lovelace"
    assert first.address.company == "Engines Ltd"
    assert (first.address.street1, first.address.street2) == ("12 Analytical Way", "Apt 3")
    assert (first.address.city, first.address.state, first.address.postal_code) == ("Austin", "Texas", "78751")
    assert first.address.country == "US" and first.address.phone == "555-0100"
    assert second.address.name == "Charles Babbage" and second.address.city == "Denver"

    products = store.order_products(oid)
    assert [line.line_id for line in order.lines] == [str(p["id"]) for p in products]
    assert [(line.sku, line.quantity, line.name) for line in order.lines] == [
        ("WIDGET-1", 2, "Widget"), ("GADGET-2", 1, "Gadget"), ("WIDGET-1", 1, "Widget")]
    assert order.lines[1].unit_price == Decimal("24.50")
    assert [line.destination_ref for line in order.lines] == [first.ref, first.ref, second.ref]
    # one call brought products and addresses
    assert sandbox.stats.count("GET /v2/orders/{order_id}/products") == 0
    assert sandbox.stats.count("GET /v2/orders/{order_id}/shipping_addresses") == 0


@pytest.mark.parametrize("count", [250, 251])
def test_fetch_orders_pages_at_250(sandbox, connector, count):
    sandbox.store.add_product(sku="SKU", price="1.00", inventory_level=0)
    ids = [sandbox.store.place_order(items=[("SKU", 1)]) for _ in range(count)]

    orders = list(connector.fetch_orders(None))

    assert sorted(int(o.external_id) for o in orders) == ids
    limits = {q for m, p, q, s in sandbox.stats.log if p.endswith("/v2/orders")}
    assert len([q for q in limits if "status_id=11" in q]) == 2
    assert all("limit=250" in q for q in limits)
    # exactly 250: the second page is empty and BigCommerce answers 204 No Content (as for the
    # cancelled and declined orders, read once each: there are none)
    assert sandbox.stats.by_status[204] == (1 if count == 250 else 0) + 2


def test_fetch_orders_filters_on_modification_date_and_status(sandbox, connector):
    store = sandbox.store
    store.add_product(sku="SKU", price="1.00")
    now = datetime.now(UTC).replace(microsecond=0)
    old = store.place_order(items=[("SKU", 1)], placed_at=now - timedelta(days=2))
    recent = store.place_order(items=[("SKU", 1)], placed_at=now - timedelta(hours=3))
    touched = store.place_order(items=[("SKU", 1)], placed_at=now - timedelta(days=5))
    store.set_date_modified(touched, now - timedelta(minutes=30))
    other_status = store.place_order(items=[("SKU", 1)], status_id=7, placed_at=now - timedelta(hours=1))

    orders = list(connector.fetch_orders(now - timedelta(hours=4)))

    assert [o.external_id for o in orders] == [str(recent), str(touched)]  # oldest modification first
    assert orders[1].modified_at == now - timedelta(minutes=30)
    assert str(old) not in {o.external_id for o in orders} and str(other_status) not in {o.external_id for o in orders}
    # all of them when since is None
    assert {o.external_id for o in connector.fetch_orders(None)} == {str(old), str(recent), str(touched)}


def test_mark_forwarded_sets_status_but_never_undoes_a_cancellation(sandbox, connector):
    store = sandbox.store
    store.add_product(sku="SKU", price="1.00")
    a = store.place_order(items=[("SKU", 1)])
    b = store.place_order(items=[("SKU", 1)])
    orders = {o.external_id: o for o in connector.fetch_orders(None)}

    connector.mark_forwarded(orders[str(a)])
    store.set_status(b, 5)  # the merchant cancels b meanwhile
    connector.mark_forwarded(str(b))

    assert store.orders[a]["status_id"] == 9 and store.orders[a]["status"] == "Awaiting Shipment"
    assert store.orders[b]["status_id"] == 5
    assert str(a) not in {o.external_id for o in connector.fetch_orders(None)}


def test_mark_forwarded_does_nothing_when_no_status_configured(sandbox, connector_for):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 1)])
    conn = connector_for(sandbox, forwarded_status_id="")
    conn.mark_forwarded(str(oid))
    assert sandbox.store.orders[oid]["status_id"] == 11
    assert sandbox.stats.count("PUT /v2/orders/{order_id}") == 0


# ------------------------------------------------------------------ shipments
def test_post_shipment_twice_creates_one_shipment(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 2)])
    order = _only_order(connector, oid)
    shipment = _shipment(order, [(order.lines[0].line_id, 2)])

    first = connector.post_shipment(shipment)
    second = connector.post_shipment(shipment)

    assert first == second
    assert len(sandbox.store.shipments_for(oid)) == 1
    assert sandbox.stats.count("POST /v2/orders/{order_id}/shipments") == 1
    posted = sandbox.store.shipments_for(oid)[0]
    assert str(posted["id"]) == first
    assert posted["tracking_number"] == "1Z999AA10123456784"
    assert (posted["shipping_provider"], posted["tracking_carrier"]) == ("ups", "ups")
    assert posted["shipping_method"] == "Ground"
    assert sandbox.store.orders[oid]["status"] == "Shipped"


def test_partial_shipments_move_order_to_partially_shipped_then_shipped(sandbox, connector):
    store = sandbox.store
    store.add_product(sku="A", price="1.00")
    store.add_product(sku="B", price="2.00")
    oid = store.place_order(items=[("A", 3), ("B", 1)])
    order = _only_order(connector, oid)
    line_a, line_b = order.lines

    connector.post_shipment(_shipment(order, [(line_a.line_id, 2)], tracking=["TRACK-1"], carrier="FedEx"))
    assert store.orders[oid]["status_id"] == 3 and store.orders[oid]["status"] == "Partially Shipped"

    connector.post_shipment(_shipment(order, [(line_a.line_id, 1), (line_b.line_id, 1)], tracking=["TRACK-2"]))
    assert store.orders[oid]["status_id"] == 2 and store.orders[oid]["status"] == "Shipped"
    assert [s["tracking_number"] for s in store.shipments_for(oid)] == ["TRACK-1", "TRACK-2"]

    # the store refuses to ship more than remains; the connector says why and does not retry
    with pytest.raises(ConnectorError) as err:
        connector.post_shipment(_shipment(order, [(line_b.line_id, 1)], tracking=["TRACK-3"]))
    assert err.value.kind is ErrorKind.FATAL
    assert "remaining" in err.value.message
    assert len(store.shipments_for(oid)) == 2


def test_one_store_shipment_per_package_posted_once(sandbox, connector):
    store = sandbox.store
    store.add_product(sku="A", price="1.00")
    store.add_product(sku="B", price="1.00")
    oid = store.place_order(items=[("A", 2), ("B", 1)])
    order = _only_order(connector, oid)
    (a, b) = order.lines
    shipment = _shipment(order, [(a.line_id, 2), (b.line_id, 1)], tracking=["BOX-1", "BOX-2", "BOX-3"])

    first = connector.post_shipment(shipment)
    again = connector.post_shipment(shipment)

    posted = store.shipments_for(oid)
    assert [s["tracking_number"] for s in posted] == ["BOX-1", "BOX-2", "BOX-3"]  # a link for every box
    assert first == again == str(posted[0]["id"])
    assert sum(i["quantity"] for s in posted for i in s["items"]) == 3  # every unit shipped exactly once
    assert store.orders[oid]["status"] == "Shipped"
    assert sandbox.stats.count("POST /v2/orders/{order_id}/shipments") == 3


def test_more_packages_than_units_and_unknown_carrier(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 2)])
    order = _only_order(connector, oid)
    connector.post_shipment(_shipment(
        order, [(order.lines[0].line_id, 2)], tracking=["PKG-1", "PKG-2", "PKG-3"],
        carrier="Acme Freight", service="Two Day", ref="WH-SHIP-77",
    ))
    posted = sandbox.store.shipments_for(oid)
    assert [s["tracking_number"] for s in posted] == ["PKG-1", "PKG-2"]
    assert "PKG-3" in posted[-1]["comments"]  # no unit left for a third shipment
    for s in posted:
        assert s["shipping_provider"] == "" and s["tracking_carrier"] == ""
        assert "Acme Freight" in s["shipping_method"] and "Acme Freight" in s["comments"]
        assert "WH-SHIP-77" in s["comments"]


def test_a_tracking_number_over_50_characters_stops_the_shipment_before_any_post(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 2)])
    order = _only_order(connector, oid)
    too_long = "1Z" + "9" * 49  # 51 characters: a label barcode pasted for the tracking number
    with pytest.raises(ConnectorError) as err:
        connector.post_shipment(_shipment(order, [(order.lines[0].line_id, 2)], tracking=["1ZGOOD", too_long]))
    assert err.value.kind is ErrorKind.FATAL
    assert too_long in err.value.message and "51 characters" in err.value.message and "at most 50" in err.value.message
    assert "Ask the warehouse" in err.value.message
    assert sandbox.store.shipments_for(oid) == [] and sandbox.stats.count("POST /v2/orders/{order_id}/shipments") == 0

    connector.post_shipment(_shipment(order, [(order.lines[0].line_id, 2)], tracking=[too_long[:50]]))
    assert [s["tracking_number"] for s in sandbox.store.shipments_for(oid)] == [too_long[:50]]


def test_rerun_after_a_crash_posts_only_the_missing_packages(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 2)])
    order = _only_order(connector, oid)
    shipment = _shipment(order, [(order.lines[0].line_id, 2)], tracking=["P-1", "P-2"])
    _fail_second_post(sandbox)
    with pytest.raises(ConnectorError):
        connector.post_shipment(shipment)
    assert [s["tracking_number"] for s in sandbox.store.shipments_for(oid)] == ["P-1"]

    connector.post_shipment(shipment)
    assert [s["tracking_number"] for s in sandbox.store.shipments_for(oid)] == ["P-1", "P-2"]


def _fail_second_post(sandbox):
    app = sandbox.app
    original = app.dispatch
    posts = []

    def dispatch(request):
        if request.method == "POST":
            posts.append(1)
            if len(posts) == 2:
                app.dispatch = original
                sandbox.faults.fail_next(1, status=400)
        return original(request)

    app.dispatch = dispatch


def test_shipment_without_tracking_is_deduplicated_by_reference(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 2)])
    order = _only_order(connector, oid)
    shipment = _shipment(order, [(order.lines[0].line_id, 1)], tracking=[], carrier="LTL", ref="WH-1")
    assert connector.post_shipment(shipment) == connector.post_shipment(shipment)
    assert len(sandbox.store.shipments_for(oid)) == 1


def test_shipment_whose_answer_is_lost_is_found_not_posted_again(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 1)])
    order = _only_order(connector, oid)
    shipment = _shipment(order, [(order.lines[0].line_id, 1)], tracking=["LOST-1"])
    # the store creates the shipment but the connection drops before the answer:
    # the POST is not blindly retried; the connector looks and finds it
    _lose_on_post(sandbox)

    sid = connector.post_shipment(shipment)

    assert [str(s["id"]) for s in sandbox.store.shipments_for(oid)] == [sid]
    assert sandbox.stats.count("POST /v2/orders/{order_id}/shipments") == 1
    assert connector.post_shipment(shipment) == sid


def test_shipment_post_dropped_before_the_store_saw_it_is_retryable(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 1)])
    order = _only_order(connector, oid)
    shipment = _shipment(order, [(order.lines[0].line_id, 1)])
    _drop_on_post(sandbox)
    with pytest.raises(ConnectorError) as err:
        connector.post_shipment(shipment)
    assert err.value.kind is ErrorKind.RETRYABLE
    assert sandbox.store.shipments_for(oid) == []
    connector.post_shipment(shipment)  # the engine retries later
    assert len(sandbox.store.shipments_for(oid)) == 1


def test_shipment_post_that_timed_out_is_retried_without_a_duplicate(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    oid = sandbox.store.place_order(items=[("SKU", 2)])
    order = _only_order(connector, oid)
    shipment = _shipment(order, [(order.lines[0].line_id, 1)], tracking=["SLOW-1"])
    connector.client.http.timeout = httpx.Timeout(0.5)
    # the store sits on the POST past Dockline's timeout, then carries it out anyway
    _on_next_post(sandbox, lambda n: sandbox.faults.timeout_next(n, seconds=1.5))

    with pytest.raises(ConnectorError) as err:
        connector.post_shipment(shipment)
    assert err.value.kind is ErrorKind.RETRYABLE  # not there yet when it looked: the engine retries later
    assert wait_until(lambda: len(sandbox.store.shipments_for(oid)) == 1, timeout=5)

    sid = connector.post_shipment(shipment)  # the retry finds the shipment instead of posting it again

    assert [str(s["id"]) for s in sandbox.store.shipments_for(oid)] == [sid]
    assert sandbox.stats.count("POST /v2/orders/{order_id}/shipments") == 1
    assert sandbox.store.order(oid)["status"] == "Partially Shipped"


def _lose_on_post(sandbox):
    """Lose the answer of the next POST only (GETs before it pass)."""
    _on_next_post(sandbox, sandbox.faults.lose_answer_next)


def _drop_on_post(sandbox):
    _on_next_post(sandbox, sandbox.faults.drop_next)


def _on_next_post(sandbox, arm):
    app = sandbox.app
    original = app.dispatch

    def dispatch(request):
        if request.method == "POST":
            app.dispatch = original
            arm(1)
        return original(request)

    app.dispatch = dispatch


def test_carrier_codes_are_valid_bigcommerce_values(carrier_values, v2_spec):
    carriers = carrier_values
    providers = set(v2_spec["components"]["schemas"]["shipping_provider_standard"]["enum"])
    for name, (provider, carrier) in CARRIERS.items():
        assert provider in providers, name
        assert carrier == "" or carrier in carriers, name
    assert carrier_codes("UPS") == ("ups", "ups")
    assert carrier_codes("FedEx Home Delivery") == ("fedex", "fedex")
    assert carrier_codes("usps") == ("usps", "usps")
    assert carrier_codes("DHL Express") == ("", "dhl")
    assert carrier_codes("FDXE") == ("fedex", "fedex")  # a SCAC from an X12 warehouse
    assert carrier_codes("Pony Express") == ("", "")


# ------------------------------------------------------------------ inventory
def test_push_stock_updates_tracked_items_and_skips_others_with_reasons(sandbox, connector):
    store = sandbox.store
    store.add_product(sku="TRACKED", name="Tracked", inventory_level=1)
    store.add_product(sku="UNTRACKED", name="Gift Card", inventory_level=0, inventory_tracking="none")
    store.add_product(sku="SHIRT", name="Shirt", inventory_tracking="variant", variants=[
        {"sku": "SHIRT-S", "label": "S", "inventory_level": 1}, {"sku": "SHIRT-M", "label": "M"}])
    store.add_product(sku="MUG", name="Mug", inventory_tracking="product", inventory_level=4, variants=[
        {"sku": "MUG-RED", "label": "Red"}])

    result = connector.push_stock([
        StockUpdate("TRACKED", 40), StockUpdate("UNTRACKED", 5), StockUpdate("SHIRT-S", 7),
        StockUpdate("SHIRT-M", 0), StockUpdate("NOPE-404", 3), StockUpdate("MUG", 12), StockUpdate("MUG-RED", 9),
    ])

    assert sorted(result.updated) == ["MUG", "SHIRT-M", "SHIRT-S", "TRACKED"]
    reasons = dict(result.skipped)
    assert set(reasons) == {"UNTRACKED", "NOPE-404", "MUG-RED"}
    assert "does not track inventory" in reasons["UNTRACKED"]
    assert "not found" in reasons["NOPE-404"]
    assert "product level" in reasons["MUG-RED"]
    assert store.inventory_level("TRACKED") == 40
    assert store.inventory_level("SHIRT-S") == 7 and store.inventory_level("SHIRT-M") == 0
    assert store.inventory_level("MUG") == 12
    assert store.inventory_level("UNTRACKED") == 0
    assert sandbox.stats.count("PUT /v3/inventory/adjustments/absolute") == 1


def test_push_stock_batches_2000_items_per_request(sandbox, connector):
    store = sandbox.store
    for n in range(2500):
        store.add_product(sku=f"SKU-{n:04d}", price="1.00", inventory_level=0)

    result = connector.push_stock([StockUpdate(f"SKU-{n:04d}", n % 17) for n in range(2500)])

    assert len(result.updated) == 2500 and result.skipped == []
    assert sandbox.stats.count("PUT /v3/inventory/adjustments/absolute") == 2
    assert [a["items"] for a in store.adjustments] == [2000, 500]
    assert store.inventory_level("SKU-2499") == 2499 % 17
    assert store.inventory_level("SKU-0016") == 16


def test_push_stock_resolves_variant_skus_one_by_one_when_few(sandbox, connector):
    store = sandbox.store
    store.add_product(sku="TEE", inventory_tracking="variant", variants=[{"sku": "TEE-L", "label": "L"}])
    result = connector.push_stock([StockUpdate("TEE-L", 5)])
    assert result.updated == ["TEE-L"]
    assert store.inventory_level("TEE-L") == 5
    assert sandbox.stats.count("GET /v3/catalog/variants") == 1


# ------------------------------------------------------------------ errors
def test_bad_token_is_reauth_and_never_leaks(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "wrong-token-s3cr3t"
    conn = BigCommerceConnector({"store_hash": "demo", "access_token": secret}, {"api_base": sandbox.base_url})
    with pytest.raises(ConnectorError) as err:
        list(conn.fetch_orders(None))
    assert err.value.kind is ErrorKind.REAUTH
    report = conn.test_connection()
    assert not report.ok
    assert report.steps[0].name == "Reach the store API" and "access token" in report.steps[0].detail.lower()
    assert secret not in caplog.text and secret not in err.value.message and secret not in repr(conn)
    assert all(secret not in s.detail for s in report.steps)


def test_test_connection_reports_each_step(sandbox, connector):
    report = connector.test_connection()
    assert report.ok
    assert [s.name for s in report.steps] == [
        "Reach the store API", "Orders: read", "Orders: modify (status, shipments)", "Products: read",
        "Inventory: read", "Inventory: modify", "Webhooks",
    ]
    assert sandbox.store.orders == {} and not sandbox.store.adjustments  # the write probes changed nothing


def test_test_connection_names_wrong_store_hash(sandbox):
    conn = BigCommerceConnector({"store_hash": "nope42", "access_token": "sandbox-token"}, {"api_base": sandbox.base_url})
    report = conn.test_connection()
    assert not report.ok
    assert "store hash" in report.steps[0].detail.lower() and "nope42" in report.steps[0].detail


def test_missing_scope_is_reauth_naming_the_scope(sandbox, connector):
    sandbox.scopes = {"store_v2_orders", "store_v2_products_read_only", "store_inventory_read_only"}
    sandbox.store.add_product(sku="SKU", inventory_level=1)
    with pytest.raises(ConnectorError) as err:
        connector.push_stock([StockUpdate("SKU", 3)])
    assert err.value.kind is ErrorKind.REAUTH
    assert "store_inventory" in err.value.message


@pytest.mark.parametrize("scopes, failing, named", [
    ({"store_v2_orders"}, {"Products: read", "Inventory: read", "Inventory: modify"}, "store_v2_products_read_only"),
    ({"store_v2_orders_read_only", "store_v2_products_read_only", "store_inventory"},
     {"Orders: modify (status, shipments)"}, "store_v2_orders"),
    ({"store_v2_orders", "store_v2_products_read_only", "store_inventory_read_only"},
     {"Inventory: modify"}, "Store Inventory (modify)"),
])
def test_test_connection_names_each_missing_scope(sandbox, connector, scopes, failing, named):
    sandbox.scopes = scopes
    report = connector.test_connection()
    assert not report.ok
    assert {s.name for s in report.steps if not s.ok} == failing
    assert any(named in s.detail for s in report.steps if not s.ok)
    assert all("scope" in s.detail for s in report.steps if not s.ok)


def test_app_install_scopes_are_checked_without_asking_the_api(sandbox):
    creds = {**sandbox.credentials, "scope": "store_v2_orders store_v2_products_read_only"}
    conn = BigCommerceConnector(creds, {"api_base": sandbox.base_url})
    report = conn.test_connection()
    conn.close()
    failed = {s.name: s.detail for s in report.steps if not s.ok}
    assert set(failed) == {"Inventory: read", "Inventory: modify"}
    assert "store_inventory" in failed["Inventory: modify"]
    assert sandbox.stats.count("PUT /v3/inventory/adjustments/absolute") == 0


def test_server_errors_are_retried_then_retryable(sandbox, connector):
    sandbox.store.add_product(sku="SKU", price="1.00")
    sandbox.store.place_order(items=[("SKU", 1)])
    sandbox.faults.fail_next(2, status=500)
    assert len(list(connector.fetch_orders(None))) == 1  # two 500s, then success
    assert sandbox.stats.by_status[500] == 2

    sandbox.faults.fail_next(10, status=503)
    with pytest.raises(ConnectorError) as err:
        list(connector.fetch_orders(None))
    assert err.value.kind is ErrorKind.RETRYABLE and err.value.retryable
    assert sandbox.stats.by_status[503] == connector.client.policy.retries + 1
    sandbox.faults.reset()


def test_timeouts_are_retried_then_retryable(sandbox):
    sandbox.store.add_product(sku="SKU", price="1.00")
    sandbox.store.place_order(items=[("SKU", 1)])
    conn = BigCommerceConnector(sandbox.credentials, {"api_base": sandbox.base_url})
    conn.client.http.timeout = httpx.Timeout(0.3)
    conn.client.policy.backoff = 0.01
    conn.client.policy.retries = 1

    sandbox.faults.timeout_next(1, seconds=0.8)
    assert len(list(conn.fetch_orders(None))) == 1

    sandbox.faults.timeout_next(2, seconds=0.8)
    with pytest.raises(ConnectorError) as err:
        list(conn.fetch_orders(None))
    assert err.value.kind is ErrorKind.RETRYABLE


def test_more_requests_than_the_quota_wait_instead_of_failing(connector_for):
    with BigCommerceSandbox(quota=5, window_seconds=1.0) as sb:
        sb.store.add_product(sku="SKU", price="1.00")
        conn = connector_for(sb)
        started = time.monotonic()
        for _ in range(4):  # 3 requests each: the monitored status, Cancelled and Declined
            list(conn.fetch_orders(None))
        elapsed = time.monotonic() - started
        assert sb.stats.requests == 12
        assert sb.stats.rate_limited == 0  # it read X-Rate-Limit-Requests-Left and slept; no 429 at all
        assert elapsed >= 1.5  # 12 requests at 5 per second need at least two window resets


def test_429_is_waited_out_and_retried(connector_for):
    with BigCommerceSandbox(quota=3, window_seconds=1.0) as sb:
        sb.store.add_product(sku="SKU", price="1.00")
        sb.store.place_order(items=[("SKU", 1)])
        other = httpx.Client(headers={"X-Auth-Token": "sandbox-token", "Accept": "application/json"})
        for _ in range(3):  # someone else spends the quota
            other.get(f"{sb.base_url}/stores/demo/v2/order_statuses")
        conn = connector_for(sb)
        started = time.monotonic()
        assert len(list(conn.fetch_orders(None))) == 1
        assert sb.stats.rate_limited == 1
        assert time.monotonic() - started >= 0.5
        other.close()


def test_persistent_429_surfaces_as_rate_limited_after_bounded_waits(connector_for):
    with BigCommerceSandbox(quota=1000, window_seconds=0.2) as sb:
        conn = connector_for(sb)
        conn.client.policy.max_waits = 2
        sb.faults.throttle_next(10)
        with pytest.raises(ConnectorError) as err:
            list(conn.fetch_orders(None))
        assert err.value.kind is ErrorKind.RATE_LIMITED
        assert 0 < err.value.retry_after <= 0.201  # one window, rounded up to the whole millisecond
        assert sb.stats.rate_limited == 3  # first answer + 2 waits, then it gives up


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self):
        self.now, self.slept = 1000.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def test_a_429_is_waited_out_as_long_as_the_reset_header_says_and_only_once(sandbox):
    clock = FakeClock()
    conn = BigCommerceConnector(sandbox.credentials, {"api_base": sandbox.base_url}, sleep=clock.sleep)
    conn.client.policy.monotonic = clock.monotonic
    sandbox.store.add_product(sku="SKU", price="1.00")
    sandbox.store.place_order(items=[("SKU", 1)])
    sandbox.faults.throttle_next(1)  # a 429 with X-Rate-Limit-Requests-Left 0 and the window's Reset-Ms
    assert len(list(conn.fetch_orders(None))) == 1
    conn.close()
    [waited] = clock.slept  # the policy's wait covers the spent quota too: no second sleep before the retry
    assert 29 < waited <= 30.05  # the rest of the sandbox's 30 s window, not the 1 s default


def test_long_rate_limit_reset_is_handed_to_the_scheduler(sandbox, connector):
    connector.client.policy.max_wait = 5.0  # the sandbox window is 30 s: not worth blocking a worker for
    sandbox.faults.throttle_next(1)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as err:
        list(connector.fetch_orders(None))
    assert time.monotonic() - started < 2
    assert err.value.kind is ErrorKind.RATE_LIMITED and err.value.retry_after > 5


def test_unreachable_store_names_the_host_and_the_cause_in_plain_words(closed_port):
    conn = BigCommerceConnector({"store_hash": "demo", "access_token": "t"},
                                {"api_base": f"http://127.0.0.1:{closed_port}"}, sleep=lambda seconds: None)
    with pytest.raises(ConnectorError) as err:
        list(conn.fetch_orders(None))
    assert err.value.kind is ErrorKind.RETRYABLE
    assert err.value.message == (f"Cannot reach BigCommerce at 127.0.0.1:{closed_port}: the connection was refused "
                                 "(nothing is listening at that address and port). Tried 4 times.")
    report = conn.test_connection()
    step = report.steps[0]
    assert not report.ok and step.name == "Reach the store API"
    assert f"127.0.0.1:{closed_port}: the connection was refused" in step.detail and "API base URL" in step.detail
    assert "Error" not in step.detail  # no exception class names (ConnectError) for the merchant
