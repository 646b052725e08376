"""The sandbox follows Amazon's models, its usage plans and its access rules, with switchable faults."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from dockline.platforms.amazon.quota import PLANS
from dockline.sandbox.amazon.wire import PLANS as SANDBOX_PLANS


def test_every_request_and_answer_of_a_whole_session_matches_amazons_models(sandbox, connector, model_check):
    from dockline.core.types import StockUpdate, StoreShipment, StoreShipmentLine

    sandbox.seller.place_order([("WIDGET-1", 2)], programs=("PRIME",), gift={"WIDGET-1": "Enjoy"})
    assert connector.test_connection().ok
    order = next(connector.fetch_orders(None))
    connector.post_shipment(StoreShipment(order.external_id, "shipping", [StoreShipmentLine(order.lines[0].line_id, 2)],
                                          "Acme Freight", "GND", ["TRK1"], datetime.now(UTC), reference="WS-1"))
    connector.push_stock([StockUpdate("WIDGET-1", 3), StockUpdate("NOPE", 1)])
    connector.feed_threshold = 1
    connector.push_stock([StockUpdate("WIDGET-1", 4), StockUpdate("FBA-3", 1)])
    with httpx.Client(base_url=sandbox.base_url) as raw:  # refusals must match the models too
        raw.get("/orders/2026-01-01/orders", headers={"x-amz-access-token": "forged"})
        token = connector.client.access_token()
        raw.get("/orders/2026-01-01/orders", headers={"x-amz-access-token": token})  # neither time filter: 400
        raw.get("/orders/2026-01-01/orders/000-0000000-0000000", headers={"x-amz-access-token": token})
    operations = {e.operation for e in sandbox.app.exchanges}
    assert {"searchOrders", "getOrder", "confirmShipment", "createRestrictedDataToken", "getListingsItem",
            "patchListingsItem", "createFeedDocument", "createFeed", "getFeed", "getFeedDocument"} <= operations
    assert model_check(sandbox) >= 15


def test_a_feed_document_follows_the_listings_feed_schema(sandbox, connector, shared_specs):
    import jsonschema

    from dockline.core.types import StockUpdate

    connector.feed_threshold = 0
    connector.push_stock([StockUpdate("WIDGET-1", 4), StockUpdate("GADGET-2", 0)])
    schema = json.loads((shared_specs("amazon") / "listings-feed-schema-v2.json").read_text())
    uploaded = [e for e in sandbox.app.exchanges if e.operation == "s3" and e.method == "PUT"]
    assert len(uploaded) == 1
    jsonschema.validate(json.loads(uploaded[0].body), schema)


def test_usage_plans_are_those_amazons_models_document(shared_specs):
    documented = {}
    for path in shared_specs("amazon").glob("*.json"):
        for item in json.loads(path.read_text()).get("paths", {}).values():
            for method, op in item.items():
                found = method != "parameters" and re.search(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|", op["description"])
                if found:
                    documented[op["operationId"]] = (float(found[1]), int(found[2]))
    modelled = {op for op in PLANS if op != "getMarketplaceParticipations"}  # the Sellers API is not in the files
    for op in modelled:
        assert (PLANS[op].rate, PLANS[op].burst) == documented[op], op
        assert SANDBOX_PLANS[op] == documented[op], op


def test_the_sandbox_answers_429_with_the_rate_header_past_an_operations_burst():
    from dockline.platforms.amazon import AmazonConnector
    from dockline.sandbox.amazon import AmazonSandbox

    with AmazonSandbox(rate_scale=2) as sandbox, httpx.Client(base_url=sandbox.base_url) as raw:
        raw.headers["x-amz-access-token"] = AmazonConnector(sandbox.credentials, sandbox.settings).client.access_token()
        statuses = [raw.get("/orders/2026-01-01/orders/x").status_code for _ in range(40)]  # getOrder: burst 30
        last = raw.get("/orders/2026-01-01/orders/x")
    assert statuses[:30] == [404] * 30 and 429 in statuses[30:]
    assert last.headers["x-amzn-RateLimit-Limit"] == "1"  # 0.5 per second, scaled by 2
    assert last.json()["errors"][0]["code"] == "QuotaExceeded"


def test_switchable_faults_fail_delay_drop_and_lose_answers(sandbox, connector):
    token = connector.client.access_token()
    with httpx.Client(base_url=sandbox.base_url, headers={"x-amz-access-token": token}) as raw:
        sandbox.faults.add("fail", status=503)
        assert raw.get("/orders/2026-01-01/orders/x").status_code == 503
        sandbox.faults.add("throttle", operation="getOrder")
        assert raw.get("/orders/2026-01-01/orders/x").status_code == 429
        sandbox.faults.add("drop")
        with pytest.raises(httpx.TransportError):
            raw.get("/orders/2026-01-01/orders/x")
        order_id = sandbox.seller.place_order([("WIDGET-1", 1)])
        item = sandbox.seller.orders[order_id]["orderItems"][0]["orderItemId"]
        sandbox.faults.add("lose", operation="confirmShipment")
        with pytest.raises(httpx.TransportError):
            raw.post(f"/orders/v0/orders/{order_id}/shipmentConfirmation", json={
                "marketplaceId": "ATVPDKIKX0DER", "packageDetail": {
                    "packageReferenceId": "1", "carrierCode": "UPS", "trackingNumber": "1Z", "shipDate":
                    "2026-01-05T10:00:00Z", "orderItems": [{"orderItemId": item, "quantity": 1}]}})
        assert sandbox.seller.tracking_numbers(order_id) == ["1Z"]  # applied, though the answer never came
        sandbox.faults.latency = 0.2
        started = datetime.now(UTC)
        raw.get("/orders/2026-01-01/orders/x")
        assert datetime.now(UTC) - started >= timedelta(seconds=0.2)
