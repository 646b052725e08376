"""The Amazon connector against the sandbox: what it imports, confirms and pushes, and what it refuses."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import StockUpdate, StoreShipment, StoreShipmentLine
from dockline.platforms.amazon import AmazonConnector
from dockline.platforms.amazon.connector import is_importable, to_store_order
from dockline.sandbox.amazon import AmazonSandbox


def _searches(sandbox):
    return [parse_qs(e.query) for e in sandbox.app.exchanges if e.operation == "searchOrders"]


def _shipment(order, lines, reference, carrier="UPS", tracking="1Z999"):
    return StoreShipment(order.external_id, "shipping", [StoreShipmentLine(line_id, qty) for line_id, qty in lines],
                         carrier, "Ground", [tracking], datetime(2026, 1, 6, 15, 0, tzinfo=UTC), reference=reference)


# ---------------------------------------------------------------- orders
def test_orders_are_paged_by_next_token_and_come_oldest_first(sandbox, connector):
    ids = [sandbox.seller.place_order([("WIDGET-1", 1)]) for _ in range(230)]
    orders = list(connector.fetch_orders(None))
    assert [o.external_id for o in orders] == ids
    searches = _searches(sandbox)
    assert len(searches) == 3 and "paginationToken" not in searches[0]
    assert all("paginationToken" in s for s in searches[1:])
    assert searches[0]["fulfilledBy"] == ["MERCHANT"] and searches[0]["fulfillmentStatuses"] == [
        "UNSHIPPED,PARTIALLY_SHIPPED,CANCELLED"]


def test_amazon_fulfilled_orders_are_never_imported_and_cancelled_ones_come_marked_cancelled(sandbox, connector):
    mine = sandbox.seller.place_order([("WIDGET-1", 1)])
    afn = sandbox.seller.place_order([("FBA-3", 1)], fulfilled_by="AMAZON")
    cancelled = sandbox.seller.place_order([("WIDGET-1", 1)])
    sandbox.seller.update(cancelled, fulfillmentStatus="CANCELLED")
    assert {o.external_id: o.cancelled for o in connector.fetch_orders(None)} == {mine: False, cancelled: True}
    # and should a search ever return them, the connector's own rule drops them
    assert not is_importable(sandbox.seller.orders[afn]) and not is_importable(sandbox.seller.orders[cancelled])
    assert is_importable(sandbox.seller.orders[mine])


def test_the_warehouse_gets_what_amazon_promised_the_buyer(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 1), ("GADGET-2", 2)], service_level="NEXT_DAY",
                                          programs=("PRIME", "AMAZON_BUSINESS"), gift={"GADGET-2": "Happy birthday!"})
    order = next(connector.fetch_orders(None))
    latest = sandbox.seller.orders[order_id]["fulfillment"]["shipByWindow"]["latestDateTime"]
    assert order.destinations[0].shipping_method == "Next Day"
    assert f"Ship by {latest[:10]} {latest[11:16]} UTC." in order.notes
    assert "Prime order." in order.notes and "Business order (PO PO-" in order.notes
    assert "Gift (Classic wrap) for GADGET-2: Happy birthday!" in order.notes
    assert [(line.sku, line.quantity) for line in order.lines] == [("WIDGET-1", 1), ("GADGET-2", 2)]


def test_buyer_addresses_reach_the_order_and_nothing_personal_is_kept_beside_it(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 1)])
    order = next(connector.fetch_orders(None))
    amazon = sandbox.seller.orders[order_id]["recipient"]["deliveryAddress"]
    assert order.destinations[0].address.street1 == amazon["addressLine1"]
    assert order.destinations[0].address.name == amazon["name"]
    assert amazon["name"] not in str(order.raw) and amazon["addressLine1"] not in str(order.raw)


def test_without_the_delivery_role_import_stops_and_says_which_role_to_add(sandbox, connector):
    sandbox.seller.place_order([("WIDGET-1", 1)])
    sandbox.app.denied_roles.add("Direct-to-Consumer Delivery (Restricted)")
    with pytest.raises(ConnectorError) as caught:
        list(connector.fetch_orders(None))
    assert caught.value.kind is ErrorKind.CONFIG
    assert "Direct-to-Consumer Delivery (Restricted)" in caught.value.message


def test_a_partially_shipped_order_is_imported_with_what_is_left_to_ship(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 3)])
    first = next(connector.fetch_orders(None))
    connector.post_shipment(_shipment(first, [(first.lines[0].line_id, 1)], "WS-1"))
    again = to_store_order(sandbox.seller.orders[order_id])
    assert again.store_status == "PARTIALLY_SHIPPED" and again.lines[0].quantity == 2


# ---------------------------------------------------------------- shipments
def test_a_partial_shipment_confirms_only_its_items(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 2), ("GADGET-2", 1)])
    order = next(connector.fetch_orders(None))
    widget, gadget = order.lines
    connector.post_shipment(_shipment(order, [(widget.line_id, 1)], "WS-1", tracking="1ZA"))
    amazon = sandbox.seller.orders[order_id]
    assert amazon["fulfillment"]["fulfillmentStatus"] == "PARTIALLY_SHIPPED"
    assert amazon["packages"][0]["packageItems"] == [{"orderItemId": widget.line_id, "quantity": 1}]
    connector.post_shipment(_shipment(order, [(widget.line_id, 1), (gadget.line_id, 1)], "WS-2", tracking="1ZB"))
    assert amazon["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert sandbox.seller.tracking_numbers(order_id) == ["1ZA", "1ZB"]


def test_a_confirmation_whose_answer_was_lost_is_never_sent_again(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 1)])
    order = next(connector.fetch_orders(None))
    shipment = _shipment(order, [(order.lines[0].line_id, 1)], "WS-77")
    sandbox.faults.add("lose", operation="confirmShipment")  # Amazon applies it; the answer never arrives
    reference = connector.post_shipment(shipment)
    assert connector.post_shipment(shipment) == reference  # the engine's retry of the same shipment
    assert len(sandbox.seller.confirmations) == 1
    assert [p["packageReferenceId"] for p in sandbox.seller.orders[order_id]["packages"]] == [reference]
    sent = [e for e in sandbox.app.exchanges if e.operation == "confirmShipment"]
    assert len(sent) == 1


def test_a_confirmation_amazon_could_not_take_is_sent_once_it_can(sandbox, connector):
    sandbox.seller.place_order([("WIDGET-1", 1)])
    order = next(connector.fetch_orders(None))
    shipment = _shipment(order, [(order.lines[0].line_id, 1)], "WS-9")
    sandbox.faults.add("fail", status=503, operation="confirmShipment")
    with pytest.raises(ConnectorError) as caught:
        connector.post_shipment(shipment)  # a POST whose fate is unknown is not repeated blindly
    assert caught.value.kind is ErrorKind.RETRYABLE and sandbox.seller.confirmations == []
    connector.post_shipment(shipment)
    assert len(sandbox.seller.confirmations) == 1


def test_a_carrier_not_on_amazons_list_goes_as_other_with_its_name(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 1)])
    order = next(connector.fetch_orders(None))
    connector.post_shipment(_shipment(order, [(order.lines[0].line_id, 1)], "WS-1", carrier="Acme Freight"))
    detail = sandbox.seller.confirmations[0]["packageDetail"]
    assert (detail["carrierCode"], detail["carrierName"]) == ("Other", "Acme Freight")
    assert sandbox.seller.orders[order_id]["packages"][0]["carrier"] == "Acme Freight"


# ---------------------------------------------------------------- stock
def test_a_few_skus_are_patched_one_by_one_and_refusals_carry_amazons_reason(sandbox, connector):
    result = connector.push_stock([StockUpdate("WIDGET-1", 7), StockUpdate("FBA-3", 2)])
    assert result.updated == ["WIDGET-1"] and sandbox.seller.quantity("WIDGET-1") == 7
    assert result.skipped == [("FBA-3", "Quantity cannot be set for an offer fulfilled by Amazon (FBA). (90220)")]


def test_many_skus_go_as_one_feed_whose_report_names_each_refused_sku(sandbox, connector):
    connector.feed_threshold = 2
    updates = [StockUpdate("WIDGET-1", 5), StockUpdate("FBA-3", 1), StockUpdate("GADGET-2", 9),
               StockUpdate("GONE-4", 2)]
    result = connector.push_stock(updates)
    assert result.updated == ["WIDGET-1", "GADGET-2"]
    assert dict(result.skipped) == {
        "FBA-3": "Quantity cannot be set for an offer fulfilled by Amazon (FBA). (90220)",
        "GONE-4": "The SKU 'GONE-4' does not match any listing in this marketplace. (4000003)"}
    assert (sandbox.seller.quantity("WIDGET-1"), sandbox.seller.quantity("GADGET-2")) == (5, 9)
    operations = [e.operation for e in sandbox.app.exchanges]
    assert "patchListingsItem" not in operations and operations.count("createFeed") == 1


# ---------------------------------------------------------------- access and setup
def test_test_connection_checks_login_marketplace_and_every_role(connector):
    report = connector.test_connection()
    assert report.ok, report.steps
    assert [s.name for s in report.steps] == ["Login with Amazon", "Marketplace", "Orders", "Buyer addresses",
                                              "Listings"]


@pytest.mark.parametrize("role,step", [("Inventory and Order Tracking", "Orders"),
                                       ("Direct-to-Consumer Delivery (Restricted)", "Buyer addresses"),
                                       ("Product Listing", "Listings")])
def test_a_missing_role_is_named_at_setup(sandbox, connector, role, step):
    sandbox.app.denied_roles.add(role)
    report = connector.test_connection()
    failed = [s for s in report.steps if not s.ok]
    assert not report.ok and [s.name for s in failed] == [step]
    assert failed[0].detail.startswith(f"Missing role: {role}.")


def test_a_marketplace_the_seller_does_not_sell_in_is_refused_at_setup(sandbox):
    connector = AmazonConnector(sandbox.credentials, {**sandbox.settings, "marketplace_id": "A2EUQ1WTGCTBG2"})
    report = connector.test_connection()
    assert not report.ok
    assert "does not sell in marketplace A2EUQ1WTGCTBG2" in report.steps[-1].detail
    assert "ATVPDKIKX0DER (Amazon.com)" in report.steps[-1].detail


def test_a_refused_refresh_token_asks_for_re_authorization_without_showing_secrets(sandbox, connector, caplog):
    caplog.set_level("DEBUG")
    sandbox.app.refresh_tokens.clear()
    with pytest.raises(ConnectorError) as caught:
        list(connector.fetch_orders(None))
    assert caught.value.kind is ErrorKind.REAUTH and "needs re-authorization" in caught.value.message
    assert sandbox.refresh_token not in caught.value.message and sandbox.client_secret not in caught.value.message
    assert not connector.test_connection().ok
    assert sandbox.refresh_token not in caplog.text and sandbox.client_secret not in caplog.text


def test_the_access_token_is_reused_until_it_expires_and_renewed_when_amazon_drops_it(sandbox, connector):
    clock = [1000.0]
    connector.client.policy.monotonic = lambda: clock[0]
    for _ in range(3):
        connector.push_stock([StockUpdate("WIDGET-1", 1)])
    logins = lambda: sum(e.operation == "lwa" for e in sandbox.app.exchanges)  # noqa: E731
    assert logins() == 1
    clock[0] += 3600  # an hour later the cached token is past its life
    connector.push_stock([StockUpdate("WIDGET-1", 2)])
    assert logins() == 2
    sandbox.app.tokens.clear()  # Amazon no longer takes it
    assert connector.push_stock([StockUpdate("WIDGET-1", 3)]).updated == ["WIDGET-1"]
    assert logins() == 3


# ---------------------------------------------------------------- usage plans
def test_a_429_is_waited_out_for_one_token_of_the_operations_plan(sandbox):
    waits = []
    connector = AmazonConnector(sandbox.credentials, sandbox.settings, sleep=waits.append)
    sandbox.faults.add("throttle", operation="patchListingsItem")
    assert connector.push_stock([StockUpdate("WIDGET-1", 4)]).updated == ["WIDGET-1"]
    # one token at the rate Amazon announced (5 per second, scaled by 1000), plus the policy's margin
    assert waits == [pytest.approx(1 / 5000 + connector.client.policy.wait_margin)]


def test_workers_sharing_a_seller_keep_within_the_usage_plan_and_are_never_answered_429():
    with AmazonSandbox(rate_scale=30) as sandbox:  # getOrder: 15 per second, burst 30
        sandbox.seller.add_listing("WIDGET-1", "Widget", "9.99")
        order_id = sandbox.seller.place_order([("WIDGET-1", 1)])
        workers = [AmazonConnector(sandbox.credentials, sandbox.settings) for _ in range(2)]
        for worker in workers:
            worker.client.access_token()
        started = time.monotonic()
        threads = [threading.Thread(target=lambda w=w: [w.packages(order_id) for _ in range(22)]) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    served = [e for e in sandbox.app.exchanges if e.operation == "getOrder"]
    # 44 calls (one more where a loaded machine let a read time out and it was sent again), none answered 429,
    # whatever the machine does between a worker taking a slot and the sandbox counting the call (quota.py)
    assert 44 <= len(served) <= 46 and sandbox.app.throttled == []
    assert elapsed >= 1.9  # 44 calls: the burst, then the rest when the window allows
    assert timedelta(seconds=elapsed) < timedelta(seconds=10)


def test_a_shipment_in_two_boxes_confirms_two_packages_holding_all_its_units_once(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 2), ("GADGET-2", 1)])
    order = next(connector.fetch_orders(None))
    shipment = _shipment(order, [(line.line_id, line.quantity) for line in order.lines], "WS-5")
    shipment.tracking_numbers = ["1ZA", "1ZB"]
    connector.post_shipment(shipment)
    connector.post_shipment(shipment)
    packages = sandbox.seller.orders[order_id]["packages"]
    assert [p["trackingNumber"] for p in packages] == ["1ZA", "1ZB"]
    widget, gadget = (line.line_id for line in order.lines)
    assert [p["packageItems"] for p in packages] == [[{"orderItemId": widget, "quantity": 2}],
                                                     [{"orderItemId": gadget, "quantity": 1}]]
    assert sandbox.seller.orders[order_id]["fulfillment"]["fulfillmentStatus"] == "SHIPPED"


def test_a_dropped_connection_or_a_5xx_on_a_read_is_retried_within_the_call(sandbox, connector):
    order_id = sandbox.seller.place_order([("WIDGET-1", 1)])
    sandbox.faults.add("drop", operation="searchOrders")
    sandbox.faults.add("fail", status=500, operation="searchOrders")
    assert [o.external_id for o in connector.fetch_orders(None)] == [order_id]
    assert [fault[2] for fault in sandbox.faults.pending] == [0, 0]  # both happened
