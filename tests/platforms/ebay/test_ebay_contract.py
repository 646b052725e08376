"""The sandbox and the connector speak eBay's own contracts: every request and answer validated with openapi-core."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dockline.core.types import StockUpdate, StoreShipment, StoreShipmentLine


def test_every_request_and_answer_of_a_full_round_follows_ebays_contracts(sandbox, connector, recorder, contracts):
    sandbox.store.add_item("MUG", "Camp Mug", 3)
    order_id = sandbox.store.place_order([("MUG", 2)])
    rec = recorder(connector)
    assert connector.test_connection().ok
    [order] = list(connector.fetch_orders(datetime.now(UTC) - timedelta(hours=1)))
    line = order.lines[0]
    connector.post_shipment(StoreShipment(order_id, "shipping", [StoreShipmentLine(line.line_id, 2)], "UPS", "GND",
                                          ["1Z999"], datetime.now(UTC)))
    result = connector.push_stock([StockUpdate("MUG", 9), StockUpdate("NOT-THERE", 1)])
    assert result.updated == ["MUG"] and [s for s, _ in result.skipped] == ["NOT-THERE"]
    routes = {f"{rq.method} {rq.url.path.split('/order/')[0]}" for rq, _ in rec.pairs}
    assert len(rec.pairs) >= 6 and any("bulk_update" in r for r in routes)
    for request, response in rec.pairs:
        contracts.validate(request, response)


def test_the_strict_contract_refuses_a_misspelt_field(sandbox, connector, recorder, contracts):
    """The validator can fail: a request body with a field the contract does not name is refused."""
    import httpx
    import pytest
    from openapi_core.validation.request.exceptions import RequestValidationError

    sandbox.store.add_item("MUG", "Camp Mug", 3)
    rec = recorder(connector)
    connector.push_stock([StockUpdate("MUG", 4)])
    request, response = rec.pairs[-1]
    bad = httpx.Request("POST", request.url, headers=request.headers,
                        json={"requests": [{"sku": "MUG", "shipToLocationAvailability": {"qty": 4}}]})
    with pytest.raises(RequestValidationError):
        contracts.validate(bad, response)
