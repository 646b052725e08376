"""1ShoppingCart connector against the 1ShoppingCart sandbox over loopback."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from defusedxml.ElementTree import fromstring
from werkzeug.wrappers import Response

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import StockUpdate, StoreShipment
from dockline.platforms.base import Capability, connector_class
from dockline.platforms.oneshoppingcart import OneShoppingCartConnector

BOMB = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<Response success="true"><Orders><Order>&b;</Order></Orders></Response>')


def _queries(sandbox, suffix: str) -> list[dict]:
    return [query for _, path, query in sandbox.store.requests if path.endswith(suffix)]


def _reads(sandbox) -> list[str]:
    return [path.rsplit("/", 1)[1] for _, path, _ in sandbox.store.requests if "/Orders/" in path
            and not path.endswith("/LIST")]


def test_declares_platform_contract():
    cls = connector_class("oneshoppingcart")
    assert cls is OneShoppingCartConnector and cls.label == "1ShoppingCart"
    assert cls.capabilities == {Capability.ORDERS}  # no API write for tracking or stock
    fields = {f.name: f for f in cls.credential_fields}
    assert list(fields) == ["merchant_id", "api_key"] and fields["api_key"].secret
    assert {f.name: f.default for f in cls.settings_fields} == {"api_base": "https://www.mcssl.com"}


def test_fetch_reads_each_order_and_its_client(sandbox, connector):
    store = sandbox.store
    mug = store.add_product("Camp Mug", "12.50", sku="ACME-MUG")
    tee = store.add_product("Trail Tee", "19.00", sku="ACME-TEE-S")
    order_id = store.place_order([(mug, 2), (tee, 1)], "Express")
    [order] = list(connector.fetch_orders(None))
    client = store.clients[store.orders[order_id]["ClientId"]]
    assert order.external_id == order.number == order_id
    assert [(ln.sku, ln.quantity, ln.name, ln.unit_price) for ln in order.lines] == [
        ("ACME-MUG", 2, "Camp Mug", Decimal("12.50")), ("ACME-TEE-S", 1, "Trail Tee", Decimal("19.00"))]
    address = order.destinations[0].address
    assert order.destinations[0].shipping_method == "Express"
    assert address.email == order.customer_email == client["Email"] and address.phone == client["Phone"]
    assert address.country == {"Canada": "CA", "United States": "US"}[client["CountryName"]]
    assert order.placed_at == store.orders[order_id]["OrderDate"]
    calls = [(m, p) for m, p, _ in store.requests]
    assert calls == [("GET", "/API/118303/Orders/LIST"), ("GET", f"/API/118303/Orders/{order_id}"),
                     ("GET", f"/API/118303/Clients/{store.orders[order_id]['ClientId']}")]


def test_list_pages_with_next_record_set_as_query_parameters_of_a_get(sandbox, connector):
    pid = sandbox.store.add_product("Widget", "1.00", sku="W-1")
    ids = [sandbox.store.place_order([(pid, 1)]) for _ in range(230)]
    assert [o.external_id for o in connector.fetch_orders(None)] == ids  # oldest first, each once
    lists = _queries(sandbox, "/Orders/LIST")
    assert [q["LimitOffset"] for q in lists] == ["0", "100", "200"]
    assert all(q["key"] == sandbox.api_key and q["LimitCount"] == "100" for q in lists)
    assert {m for m, _, _ in sandbox.store.requests} == {"GET"}
    assert len(_reads(sandbox)) == 230  # one read per order (and one per client)
    assert len([p for _, p, _ in sandbox.store.requests if "/Clients/" in p]) == 230


def test_since_is_sent_as_a_date_and_time_and_unpaid_orders_wait(sandbox, connector):
    pid = sandbox.store.add_product("Widget", "1.00", sku="W-1")
    old = sandbox.store.place_order([(pid, 1)], placed_at=datetime(2026, 1, 5, 8, 59, 59, tzinfo=UTC))
    pending = sandbox.store.place_order([(pid, 1)], status="Pending")
    paid = sandbox.store.place_order([(pid, 1)])
    fetched = [o.external_id for o in connector.fetch_orders(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))]
    assert fetched == [paid] and old not in fetched and pending not in fetched
    assert _queries(sandbox, "/Orders/LIST")[0]["LimitStartDate"] == "01/05/2026 09:00:00"
    assert list(connector.order_cursor["waiting"]) == [pending]


def test_a_waiting_order_is_read_again_and_yielded_once_accepted(sandbox, connector):
    pid = sandbox.store.add_product("Widget", "1.00", sku="W-1")
    pending = sandbox.store.place_order([(pid, 1)], status="Pending", placed_at=datetime(2026, 1, 5, 1, tzinfo=UTC))
    declined = sandbox.store.place_order([(pid, 1)], status="Pending", placed_at=datetime(2026, 1, 5, 2, tzinfo=UTC))
    assert list(connector.fetch_orders(None)) == []
    assert set(connector.order_cursor["waiting"]) == {pending, declined}
    sandbox.store.orders[pending]["OrderStatusType"] = "Accepted"
    sandbox.store.orders[declined]["OrderStatusType"] = "Declined"
    later = sandbox.store.place_order([(pid, 1)], placed_at=datetime(2026, 1, 7, tzinfo=UTC))
    # a later run: the cursor is far past both order dates, LIST no longer shows them
    fetched = [(o.external_id, o.cancelled) for o in connector.fetch_orders(datetime(2026, 1, 6, tzinfo=UTC))]
    assert fetched == [(pending, False), (declined, True), (later, False)]  # declined: marked, never sent
    assert connector.order_cursor["waiting"] == {}
    sandbox.store.requests.clear()
    again = [o.external_id for o in connector.fetch_orders(datetime(2026, 1, 6, 23, 55, tzinfo=UTC))]
    assert again == [later]  # the overlap reads the newest again (a no-op for Dockline); the others are done
    assert _reads(sandbox) == [later]


def test_an_order_waiting_longer_than_the_watch_is_let_go(sandbox, connector):
    pid = sandbox.store.add_product("Widget", "1.00", sku="W-1")
    stale = sandbox.store.place_order([(pid, 1)], status="Pending", placed_at=datetime(2026, 1, 1, tzinfo=UTC))
    list(connector.fetch_orders(None))
    assert stale in connector.order_cursor["waiting"]
    sandbox.store.place_order([(pid, 1)], placed_at=datetime(2026, 2, 15, tzinfo=UTC))  # 45 days later
    list(connector.fetch_orders(datetime(2026, 2, 1, tzinfo=UTC)))
    assert stale not in connector.order_cursor["waiting"]


def test_a_post_with_an_xml_body_is_refused(sandbox):
    import httpx

    body = f"<Request><Key>{sandbox.api_key}</Key><LimitCount>10</LimitCount></Request>".encode()
    response = httpx.post(f"{sandbox.base_url}/API/118303/Orders/LIST", content=body,
                          headers={"Content-Type": "text/xml"})
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    # the key in a body and not in the query string is no key at all
    response = httpx.request("GET", f"{sandbox.base_url}/API/118303/Orders/LIST", content=body)
    answer = fromstring(response.content)
    assert answer.get("success") == "false" and "API key" in answer.find("Error").text


def test_the_key_in_the_url_is_masked_in_the_http_log(sandbox, connector, caplog):
    with caplog.at_level(logging.DEBUG):
        list(connector.fetch_orders(None))
    assert sandbox.api_key not in caplog.text
    assert "key=***" in caplog.text  # the request log line is there, masked


def test_connection_to_a_closed_port_names_the_host_and_says_refused(closed_port):
    conn = OneShoppingCartConnector({"merchant_id": "118303", "api_key": "k"},
                                    {"api_base": f"http://127.0.0.1:{closed_port}"}, sleep=lambda seconds: None)
    report = conn.test_connection()
    conn.close()
    detail = report.steps[0].detail
    assert not report.ok and detail.startswith("Cannot reach 1ShoppingCart at ")
    assert f"127.0.0.1:{closed_port}" in detail and "refused" in detail and "ConnectError" not in detail


def test_no_data_found_is_an_empty_result(sandbox, connector):
    assert list(connector.fetch_orders(None)) == []


def test_invalid_key_is_reauth_and_never_leaks(sandbox, caplog):
    conn = OneShoppingCartConnector({"merchant_id": "118303", "api_key": "wrong-key-000111"}, sandbox.settings)
    with caplog.at_level(logging.DEBUG), pytest.raises(ConnectorError) as err:
        list(conn.fetch_orders(None))
    assert err.value.kind == ErrorKind.REAUTH and "Invalid merchant ID or API key" in err.value.message
    assert "wrong-key-000111" not in err.value.message + caplog.text
    report = conn.test_connection()
    assert not report.ok and "Merchant ID and API Key" in report.steps[0].detail + report.steps[0].name


def test_other_xml_errors_are_fatal_with_code_and_message(sandbox, connector):
    pid = sandbox.store.add_product("Widget", "1.00", sku="W-1")
    order_id = sandbox.store.place_order([(pid, 1)])
    sandbox.faults.error_next(f"/Orders/{order_id}", "2001", "Order is locked")
    with pytest.raises(ConnectorError) as err:
        list(connector.fetch_orders(None))
    assert err.value.kind == ErrorKind.FATAL and err.value.message == "1ShoppingCart error 2001: Order is locked"


def test_entities_are_refused_not_expanded(sandbox, connector):
    sandbox.faults.answer_next("/Orders/LIST", lambda: Response(BOMB, mimetype="text/xml"))
    with pytest.raises(ConnectorError) as err:
        list(connector.fetch_orders(None))
    assert err.value.kind == ErrorKind.FATAL and "never expanded" in err.value.message


def test_broken_xml_and_server_errors_are_retried(sandbox, connector):
    pid = sandbox.store.add_product("Widget", "1.00", sku="W-1")
    sandbox.store.place_order([(pid, 1)])
    sandbox.faults.answer_next("/Orders/LIST", lambda: Response(b"<Response success=", mimetype="text/xml"))
    sandbox.faults.answer_next("/Orders/LIST", lambda: Response(b"busy", status=503))
    assert len(list(connector.fetch_orders(None))) == 1
    for _ in range(3):
        sandbox.faults.answer_next("/Orders/LIST", lambda: Response(b"busy", status=503))
    with pytest.raises(ConnectorError) as err:
        list(connector.fetch_orders(None))
    assert err.value.kind == ErrorKind.RETRYABLE


def test_tracking_and_stock_cannot_go_to_1shoppingcart(sandbox, connector):
    result = connector.push_stock([StockUpdate("W-1", 5)])
    assert result.updated == [] and result.skipped == [("W-1", "1ShoppingCart's API cannot receive stock levels.")]
    with pytest.raises(ConnectorError) as err:
        connector.post_shipment(StoreShipment("1", "shipping", [], "UPS", "", ["1Z"], datetime.now(UTC)))
    assert "cannot receive tracking" in err.value.message
    report = connector.test_connection()
    assert report.ok and any("cannot receive tracking" in s.detail for s in report.steps)
