"""UltraCart connector against the UltraCart sandbox over loopback."""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import StockUpdate, StoreShipment, StoreShipmentLine
from dockline.platforms.base import Capability, connector_class
from dockline.platforms.ultracart import UltraCartConnector
from dockline.platforms.ultracart.client import API_VERSION


def _shipment(order_id: str, tracking: list[str]) -> StoreShipment:
    return StoreShipment(order_external_id=order_id, destination_ref="shipping", lines=[StoreShipmentLine("1", 1)],
                         carrier="UPS", service="Ground", tracking_numbers=tracking, shipped_at=datetime.now(UTC))


def test_declares_platform_contract():
    cls = connector_class("ultracart")
    assert cls is UltraCartConnector and cls.label == "UltraCart"
    assert cls.capabilities == {Capability.ORDERS, Capability.SHIPMENTS, Capability.INVENTORY}
    fields = {f.name: f for f in cls.credential_fields}
    assert list(fields) == ["merchant_id", "api_key", "distribution_center_code"]
    assert fields["api_key"].secret and not fields["merchant_id"].secret
    assert {f.name: f.default for f in cls.settings_fields} == {"api_base": "https://secure.ultracart.com/rest/v2"}


def test_fetch_maps_the_order_and_sends_the_documented_headers(sandbox, connector):
    order_id = sandbox.store.place_order([("WIDGET-1", 2), ("GADGET-2", 1)], "UPS Ground")
    [order] = list(connector.fetch_orders(None))
    assert order.external_id == order.number == order_id
    assert [(line.sku, line.quantity, line.name, line.unit_price) for line in order.lines] == [
        ("WIDGET-1", 2, "Widget", Decimal("9.99")), ("GADGET-2", 1, "Gadget", Decimal("24.5"))]
    dest = order.destinations[0]
    assert dest.shipping_method == "UPS Ground" and dest.address.country == "US" and dest.address.street1
    assert order.customer_email.endswith("@example.com") and order.placed_at.tzinfo is not None
    assert sandbox.store.requests[-1] == ("GET", "/rest/v2/fulfillment/distribution_centers/DFLT/orders")
    # the key and version headers are what the sandbox checks; a wrong one is refused (see below)
    assert connector.client.http.headers["X-UltraCart-Api-Version"] == API_VERSION


def test_unacknowledged_queue_is_read_once_not_looped(sandbox, connector):
    for _ in range(130):
        sandbox.store.place_order([("WIDGET-1", 1)])
    fetched = list(connector.fetch_orders(None))  # nobody acknowledges: the queue keeps giving the same 100
    assert len(fetched) == 100 and len({o.external_id for o in fetched}) == 100
    assert len(sandbox.store.queues["DFLT"]) == 130


def test_acknowledge_sends_at_most_100_ids_a_call(sandbox, connector):
    ids = [sandbox.store.place_order([("WIDGET-1", 1)]) for _ in range(230)]
    orders = []
    for order in connector.fetch_orders(None):
        orders.append(order)
        if len(orders) % 100 == 0:
            connector.acknowledge(orders[-100:])
    connector.acknowledge(orders[len(orders) // 100 * 100:])
    assert sorted(o.external_id for o in orders) == sorted(ids)
    assert sandbox.store.queues["DFLT"] == []
    acks = [r for r in sandbox.store.requests if r[1].endswith("/acknowledgements")]
    assert len(acks) == 3


def test_shipment_posts_tracking_numbers_for_the_order(sandbox, connector):
    order_id = sandbox.store.place_order([("WIDGET-1", 1)])
    assert connector.post_shipment(_shipment(order_id, ["1Z999AA10123456784", "1Z999AA10123456785"])) == order_id
    assert sandbox.store.tracking_numbers(order_id) == ["1Z999AA10123456784", "1Z999AA10123456785"]


def test_shipment_for_an_unknown_order_is_fatal_with_ultracarts_message(sandbox, connector):
    with pytest.raises(ConnectorError) as err:
        connector.post_shipment(_shipment("DEMO-404", ["1Z1"]))
    assert err.value.kind == ErrorKind.FATAL and "Order DEMO-404 not found" in err.value.message


def test_push_stock_sends_at_most_500_items_a_call(sandbox, connector):
    updates = [StockUpdate("WIDGET-1", 7), StockUpdate("GADGET-2", 3)] + [StockUpdate(f"X-{n}", n) for n in range(1098)]
    result = connector.push_stock(updates)
    assert len(result.updated) == 1100 and not result.skipped
    calls = [r for r in sandbox.store.requests if r[1].endswith("/inventory")]
    assert len(calls) == 3  # 500 + 500 + 100
    assert sandbox.store.inventory_level("WIDGET-1") == 7 and sandbox.store.inventory_level("GADGET-2") == 3


def test_sandbox_refuses_more_than_500_inventories_as_ultracart_does(sandbox):
    import httpx

    response = httpx.post(f"{sandbox.base_url}/fulfillment/distribution_centers/DFLT/inventory",
                          json=[{"itemId": "WIDGET-1", "quantity": 1.0}] * 501,
                          headers={"x-ultracart-simple-key": sandbox.api_key, "X-UltraCart-Api-Version": API_VERSION})
    assert response.status_code == 400
    assert response.json()["error"]["user_message"] == "inventories can not contain more than 500 records at a time"
    assert response.headers["UC-REST-ERROR"] == response.json()["error"]["user_message"]


def test_bad_key_is_reauth_and_never_leaks(sandbox, caplog):
    creds = {**sandbox.credentials, "api_key": "wrong-key-abcdef"}
    conn = UltraCartConnector(creds, sandbox.settings)
    with caplog.at_level(logging.DEBUG), pytest.raises(ConnectorError) as err:
        list(conn.fetch_orders(None))
    assert err.value.kind == ErrorKind.REAUTH and "Invalid credentials" in err.value.message
    assert "wrong-key-abcdef" not in err.value.message + caplog.text


@pytest.mark.parametrize("status,kind", [(429, ErrorKind.RATE_LIMITED), (410, ErrorKind.REAUTH),
                                         (400, ErrorKind.FATAL)])
def test_errors_are_classified(sandbox, connector, status, kind):
    sandbox.faults.fail_next("PUT", "/acknowledgements", status)
    with pytest.raises(ConnectorError) as err:
        connector.client.request("PUT", "/fulfillment/distribution_centers/DFLT/acknowledgements", [])
    assert err.value.kind == kind
    if status == 429:  # UltraCart sends no Retry-After: a minute, too long to wait inside the call
        assert err.value.retry_after == 60


def test_server_errors_on_reads_are_retried(sandbox, connector):
    sandbox.store.place_order([("WIDGET-1", 1)])
    sandbox.faults.fail_next("GET", "/orders", 503, times=2)
    assert len(list(connector.fetch_orders(None))) == 1
    sandbox.faults.fail_next("GET", "/orders", 503, times=3)
    with pytest.raises(ConnectorError) as err:
        list(connector.fetch_orders(None))
    assert err.value.kind == ErrorKind.RETRYABLE


def test_test_connection_checks_key_and_distribution_center(sandbox, connector):
    report = connector.test_connection()
    assert report.ok, report.steps
    assert [s.name for s in report.steps] == ["API key", "Distribution center", "Order queue"]
    wrong = UltraCartConnector({**sandbox.credentials, "distribution_center_code": "EAST"}, sandbox.settings)
    report = wrong.test_connection()
    assert not report.ok and "EAST" in report.steps[-1].detail and "DFLT, WEST" in report.steps[-1].detail


def test_test_connection_flags_another_merchants_key(sandbox):
    sandbox.store.place_order([("WIDGET-1", 1)])
    conn = UltraCartConnector({**sandbox.credentials, "merchant_id": "OTHER"}, sandbox.settings)
    report = conn.test_connection()
    assert not report.ok and report.steps[-1].name == "Merchant ID" and "DEMO" in report.steps[-1].detail


def test_shipment_body_matches_the_spec_shape(sandbox, connector):
    order_id = sandbox.store.place_order([("WIDGET-1", 1)])
    seen = []
    connector.client.http.event_hooks["request"] = [lambda r: seen.append((r.method, r.url.path, r.read()))]
    connector.post_shipment(_shipment(order_id, ["T1"]))
    method, path, body = seen[0]
    assert (method, path) == ("POST", "/rest/v2/fulfillment/distribution_centers/DFLT/shipments")
    assert json.loads(body) == [{"order_id": order_id, "tracking_numbers": ["T1"]}]
