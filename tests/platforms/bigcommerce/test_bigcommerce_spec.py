"""Every request the connector sends to the sandbox, and every answer it gets,
validated with openapi-core against BigCommerce's published specs."""
from __future__ import annotations

from datetime import UTC, datetime

from dockline.core.types import StockUpdate, StoreShipment, StoreShipmentLine


def test_connector_traffic_matches_the_official_specs(sandbox, connector, recorder, spec_validators, connection_stub):
    store = sandbox.store
    store.add_product(sku="WIDGET-1", name="Widget", price="9.99", inventory_level=3)
    store.add_product(sku="SHIRT", name="Shirt", price="20", inventory_tracking="variant", variants=[
        {"sku": "SHIRT-S", "label": "S", "inventory_level": 2}, {"sku": "SHIRT-M", "label": "M", "price": "22"}])
    store.add_product(sku="CARD", name="Gift card", inventory_tracking="none")
    store.place_multi_address_order([
        {"items": [("WIDGET-1", 2), ("SHIRT-M", 1)], "shipping_method": "UPS Ground"},
        {"items": [("SHIRT-S", 1)]},
    ], customer_message="hi")
    store.place_order(items=[("WIDGET-1", 1)])
    probes = recorder(connector)
    assert connector.test_connection().ok
    for request, _ in probes.pairs:  # the scope probes' answers (404, 422) are not all documented
        spec_validators.api_for(request.url.path).validate_request(spec_validators.request(request))
    rec = recorder(connector)

    assert dict(connector.order_statuses())["11"] == "Awaiting Fulfillment"
    assert connector.on_enable(connection_stub, public_url="https://dockline.example") == ""
    hook_ids = [str(i) for i in sandbox.store.hooks]
    assert connector.on_disable(connection_stub, public_url="https://dockline.example") == len(hook_ids) == 2
    orders = list(connector.fetch_orders(datetime(2020, 1, 1, tzinfo=UTC)))
    order = orders[0]
    connector.post_shipment(StoreShipment(
        order_external_id=order.external_id, destination_ref=order.destinations[0].ref,
        lines=[StoreShipmentLine(order.lines[0].line_id, 2)], carrier="UPS", service="Ground",
        tracking_numbers=["1Z1", "1Z2"], shipped_at=datetime.now(UTC), reference="WH-1"))
    connector.mark_forwarded(orders[1])
    connector.push_stock([StockUpdate("WIDGET-1", 9), StockUpdate("SHIRT-S", 4), StockUpdate("CARD", 1)])
    client = connector.client
    client.get(f"/v2/orders/{order.external_id}/products")
    client.get(f"/v2/orders/{order.external_id}/shipping_addresses")
    client.get(f"/v2/orders/{order.external_id}/shipments", {"page": 1, "limit": 250})
    client.get(f"/v2/orders/{order.external_id}", {"include": "consignments.line_items", "consignment_structure": "object"})
    client.get("/v3/catalog/variants", {"limit": 10})
    client.get("/v3/catalog/products", {"sku:in": "WIDGET-1,SHIRT", "include": "variants"})
    client.get("/v3/inventory/items", {"location_id:in": 1})

    validated = set()
    for request, response in rec.pairs:
        route = f"{request.method} {request.url.path}"
        spec_validators.validate(request, response)
        validated.add(route.replace(order.external_id, "{id}"))

    assert {
        "GET /stores/demo/v2/order_statuses",
        "GET /stores/demo/v2/orders",
        "GET /stores/demo/v2/orders/{id}",
        "PUT /stores/demo/v2/orders/" + orders[1].external_id,
        "GET /stores/demo/v2/orders/{id}/products",
        "GET /stores/demo/v2/orders/{id}/shipping_addresses",
        "GET /stores/demo/v2/orders/{id}/shipments",
        "POST /stores/demo/v2/orders/{id}/shipments",
        "GET /stores/demo/v3/catalog/products",
        "GET /stores/demo/v3/catalog/variants",
        "PUT /stores/demo/v3/inventory/adjustments/absolute",
        "GET /stores/demo/v3/inventory/items",
        "GET /stores/demo/v3/hooks",
        "POST /stores/demo/v3/hooks",
        "DELETE /stores/demo/v3/hooks/{hook}",
    } <= {route.replace(hook_ids[0], "{hook}").replace(hook_ids[1], "{hook}") for route in validated}


def test_validator_rejects_a_wrong_answer(sandbox, connector, recorder, spec_validators):
    """The validation above is not vacuous: a sandbox answer bent out of shape fails it."""
    import json

    import httpx
    import pytest

    sandbox.store.add_product(sku="WIDGET-1", price="9.99")
    sandbox.store.place_order(items=[("WIDGET-1", 2)])
    rec = recorder(connector)
    list(connector.fetch_orders(None))
    request, response = rec.pairs[0]
    good = response.json()
    for bend in ("status_id", "line_quantity", "line_extra_field", "consignment_number"):
        body = json.loads(json.dumps(good))
        shipping = body[0]["consignments"]["shipping"][0]
        if bend == "status_id":
            body[0]["status_id"] = "11"
        elif bend == "line_quantity":
            shipping["line_items"][0]["quantity"] = "2"
        elif bend == "line_extra_field":
            shipping["line_items"][0]["colour"] = "red"  # orderProducts has additionalProperties: false
        else:
            shipping["items_total"] = "2"
        bent = httpx.Response(200, json=body, request=request)
        with pytest.raises(Exception):  # noqa: B017 - openapi-core or jsonschema error, either is a rejection
            spec_validators.validate(request, bent)


def test_a_body_less_get_without_its_required_content_type_fails_validation(spec_validators):
    """The spec requires Content-Type on GET /orders/{id}/products; a request without it must not pass
    (openapi-core would let the parameter's default stand in for it)."""
    import httpx
    import pytest

    url = "http://127.0.0.1:5555/stores/demo/v2/orders/100/products"
    auth = {"X-Auth-Token": "t", "Accept": "application/json"}
    api = spec_validators.api_for("/stores/demo/v2/orders/100/products")
    with pytest.raises(Exception, match="Content-Type"):  # openapi-core's MissingRequiredParameter
        api.validate_request(spec_validators.request(httpx.Request("GET", url, headers=auth)))
    api.validate_request(spec_validators.request(
        httpx.Request("GET", url, headers={**auth, "Content-Type": "application/json"})))


def test_missing_specs_fail_the_test_saying_where_they_belong(shared_specs, monkeypatch, tmp_path):
    import pytest

    monkeypatch.setenv("DOCKLINE_SHARED", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="official specs are missing") as failed:
        shared_specs("bigcommerce")
    assert str(tmp_path / "specs" / "bigcommerce") in str(failed.value)
