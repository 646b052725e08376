"""Shipments back to eBay: one shipping fulfillment per package with only the shipped lines, and never
a second one for the same package, even when eBay's answer to the first was lost."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import StoreShipment, StoreShipmentLine


def _order(sandbox, connector, items):
    for sku, _ in items:
        sandbox.store.add_item(sku, sku)
    order_id = sandbox.store.place_order(items)
    [order] = connector.fetch_orders(None)
    return order_id, order


def _shipment(order_id, lines, tracking, carrier="UPS"):
    return StoreShipment(order_id, "shipping", [StoreShipmentLine(line_id, qty) for line_id, qty in lines], carrier,
                         "GND", tracking, datetime(2026, 1, 6, 15, 30, tzinfo=UTC), reference="WH-1")


def test_a_partial_shipment_posts_only_its_lines_and_leaves_the_order_in_progress(sandbox, connector, recorder,
                                                                                 contracts):
    order_id, order = _order(sandbox, connector, [("MUG", 2), ("TEE", 1)])
    mug, tee = order.lines
    rec = recorder(connector)
    fulfillment = connector.post_shipment(_shipment(order_id, [(mug.line_id, 1)], ["1ZPART1"], carrier="UPSN"))
    [made] = sandbox.store.fulfillments[order_id]
    assert made["fulfillmentId"] == fulfillment == "1ZPART1"
    assert made["lineItems"] == [{"lineItemId": mug.line_id, "quantity": 1}]
    assert made["shippingCarrierCode"] == "UPS" and made["shippedDate"] == "2026-01-06T15:30:00.000Z"
    assert sandbox.store.orders[order_id]["orderFulfillmentStatus"] == "IN_PROGRESS"
    # still waiting on eBay's side, so the next import sees it again
    assert [o.external_id for o in connector.fetch_orders(None)] == [order_id]

    connector.post_shipment(_shipment(order_id, [(mug.line_id, 1), (tee.line_id, 1)], ["1ZREST2"]))
    assert sandbox.store.orders[order_id]["orderFulfillmentStatus"] == "FULFILLED"
    assert list(connector.fetch_orders(None)) == []
    for request, response in rec.pairs:
        contracts.validate(request, response)


def test_each_package_becomes_its_own_fulfillment(sandbox, connector):
    order_id, order = _order(sandbox, connector, [("MUG", 2)])
    connector.post_shipment(_shipment(order_id, [(order.lines[0].line_id, 2)], ["1ZBOX1", "1ZBOX2"]))
    assert sandbox.store.tracking_numbers(order_id) == ["1ZBOX1", "1ZBOX2"]


def test_a_fulfillment_whose_answer_was_lost_is_found_not_made_twice(sandbox, connector, recorder, contracts):
    order_id, order = _order(sandbox, connector, [("MUG", 1)])
    sandbox.faults.lose_answer_next(method="POST", path="/shipping_fulfillment")
    rec = recorder(connector)
    shipment = _shipment(order_id, [(order.lines[0].line_id, 1)], ["1ZLOST"])
    assert connector.post_shipment(shipment) == "1ZLOST"  # eBay made it; its answer never came
    assert sandbox.store.tracking_numbers(order_id) == ["1ZLOST"]
    # a later retry by the engine (the same shipment again) finds it too
    assert connector.post_shipment(shipment) == "1ZLOST"
    assert sandbox.store.tracking_numbers(order_id) == ["1ZLOST"]
    posts = [q for m, p, q, _ in sandbox.store.log if m == "POST" and p.endswith("/shipping_fulfillment")]
    assert len(posts) == 1
    for request, response in rec.pairs:
        contracts.validate(request, response)


def test_a_post_that_never_reached_ebay_stays_an_error_to_retry_and_creates_nothing(sandbox, connector):
    order_id, order = _order(sandbox, connector, [("MUG", 1)])
    sandbox.faults.drop_next(method="POST", path="/shipping_fulfillment")
    with pytest.raises(ConnectorError) as raised:
        connector.post_shipment(_shipment(order_id, [(order.lines[0].line_id, 1)], ["1ZDROP"]))
    assert raised.value.kind is ErrorKind.RETRYABLE
    assert sandbox.store.tracking_numbers(order_id) == []
    assert connector.post_shipment(_shipment(order_id, [(order.lines[0].line_id, 1)], ["1ZDROP"])) == "1ZDROP"
    assert sandbox.store.tracking_numbers(order_id) == ["1ZDROP"]


def test_ebay_refusing_a_fulfillment_says_why_in_ebays_words(sandbox, connector):
    order_id, _ = _order(sandbox, connector, [("MUG", 1)])
    with pytest.raises(ConnectorError) as raised:
        connector.post_shipment(_shipment(order_id, [("999", 1)], ["1ZBAD"]))
    assert raised.value.kind is ErrorKind.FATAL and "Invalid line item id" in raised.value.message
