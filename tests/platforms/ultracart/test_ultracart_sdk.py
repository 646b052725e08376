"""The UltraCart sandbox and connector checked against UltraCart's own artifact, the official SDK
(`ultracart-rest-sdk`): every sandbox answer deserializes strictly in the SDK's models, the
connector's request bodies are what the SDK's models serialize, and the SDK's FulfillmentApi
runs the whole fulfillment flow against the sandbox."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from ultracart.api.fulfillment_api import FulfillmentApi
from ultracart.model.distribution_centers_response import DistributionCentersResponse
from ultracart.model.error_response import ErrorResponse
from ultracart.model.fulfillment_inventory import FulfillmentInventory
from ultracart.model.fulfillment_shipment import FulfillmentShipment
from ultracart.model.orders_response import OrdersResponse
from ultracart.model_utils import ModelNormal
from ultracart.rest import RESTResponse

from dockline.core.types import StockUpdate, StoreShipment, StoreShipmentLine
from dockline.platforms.ultracart import UltraCartConnector
from dockline.platforms.ultracart.client import API_VERSION

DC = "/fulfillment/distribution_centers"


def undeclared(model, path: str = "") -> list[str]:
    """Keys the SDK kept only as additional properties (the models allow them): the model has no such field."""
    found = []
    if isinstance(model, ModelNormal):
        for key, value in model._data_store.items():
            if key not in model.attribute_map:
                found.append(f"{path}{key}")
            found += undeclared(value, f"{path}{key}.")
    elif isinstance(model, list):
        for n, item in enumerate(model):
            found += undeclared(item, f"{path[:-1]}[{n}].")
    return found


def answer(sdk, sandbox, method: str, path: str, *, key: str | None = None, version: str | None = API_VERSION,
           body=None) -> RESTResponse:
    """One raw call through the SDK's own HTTP pool (its REST client raises on errors before we can look)."""
    headers = {"x-ultracart-simple-key": sandbox.api_key if key is None else key, "Content-Type": "application/json"}
    if version:
        headers["X-UltraCart-Api-Version"] = version
    raw = sdk.rest_client.pool_manager.request(method, sandbox.base_url + path, headers=headers,
                                               body=None if body is None else json.dumps(body))
    return RESTResponse(raw)


def strict(sdk, response: RESTResponse, model):
    """The answer as the SDK's model, type-checked, with no field the model lacks."""
    value = sdk.deserialize(response, (model,), True)
    assert isinstance(value, model)
    assert undeclared(value) == [], f"fields the SDK's {model.__name__} does not have: {undeclared(value)}"
    return value


def _shipment(order_id: str, tracking: list[str]) -> StoreShipment:
    return StoreShipment(order_external_id=order_id, destination_ref="shipping", lines=[StoreShipmentLine("1", 1)],
                         carrier="UPS", service="Ground", tracking_numbers=tracking, shipped_at=datetime.now(UTC))


def test_every_read_answer_deserializes_strictly_in_the_sdk_models(sandbox, sdk):
    sandbox.store.place_order([("WIDGET-1", 2), ("GADGET-2", 1)], "UPS Ground")
    sandbox.store.place_order([("GADGET-2", 3)], "Flat Rate", dc="WEST")
    centers = strict(sdk, answer(sdk, sandbox, "GET", DC), DistributionCentersResponse)
    assert [c.code for c in centers.distribution_centers] == ["DFLT", "WEST"] and centers.success
    for code in ("DFLT", "WEST"):
        orders = strict(sdk, answer(sdk, sandbox, "GET", f"{DC}/{code}/orders"), OrdersResponse)
        [order] = orders.orders
        assert order.current_stage == "Shipping Department" and order.items[0].cost.value > 0
        assert order.shipping.shipping_method and order.billing.email


@pytest.mark.parametrize("case,status", [
    ("bad key", 401), ("no version header", 400), ("unknown center", 404), ("unknown path", 404),
    ("wrong method", 405), ("too many", 400), ("wrong field", 400), ("unknown order", 400),
    ("rate limited", 429), ("server fault", 503),
])
def test_every_error_answer_deserializes_strictly_as_an_error_response(sandbox, sdk, case, status):
    calls = {
        "bad key": ("GET", DC, {"key": "wrong"}),
        "no version header": ("GET", DC, {"version": None}),
        "unknown center": ("GET", f"{DC}/EAST/orders", {}),
        "unknown path": ("GET", "/fulfillment/nothing", {}),
        "wrong method": ("POST", f"{DC}/DFLT/orders", {"body": []}),
        "too many": ("PUT", f"{DC}/DFLT/acknowledgements", {"body": ["X"] * 101}),
        "wrong field": ("POST", f"{DC}/DFLT/inventory", {"body": [{"item_id": "WIDGET-1", "quantity": 1.0}]}),
        "unknown order": ("POST", f"{DC}/DFLT/shipments", {"body": [{"order_id": "NOPE", "tracking_numbers": []}]}),
        "rate limited": ("GET", DC, {}),
        "server fault": ("GET", DC, {}),
    }
    if case in ("rate limited", "server fault"):
        sandbox.faults.fail_next("GET", DC, status)
    method, path, kwargs = calls[case]
    response = answer(sdk, sandbox, method, path, **kwargs)
    assert response.status == status
    body = strict(sdk, response, ErrorResponse)
    assert body.success is False and body.error.user_message == response.getheader("UC-REST-ERROR")


def test_connector_bodies_are_what_the_sdk_models_serialize(sandbox, connector):
    order_id = sandbox.store.place_order([("WIDGET-1", 1)])
    [order] = list(connector.fetch_orders(None))
    connector.acknowledge([order])
    connector.post_shipment(_shipment(order_id, ["1Z999AA10123456784", "1Z999AA10123456785"]))
    connector.push_stock([StockUpdate("WIDGET-1", 7), StockUpdate("GADGET-2", 0), StockUpdate("WIDGET-1", -3)])
    sent = {path.rsplit("/", 1)[1]: body for _, path, body in sandbox.store.bodies}
    expected = {
        "acknowledgements": [order_id],
        "shipments": [FulfillmentShipment(order_id=order_id,
                                          tracking_numbers=["1Z999AA10123456784", "1Z999AA10123456785"])],
        "inventory": [FulfillmentInventory(item_id="WIDGET-1", quantity=7.0),
                      FulfillmentInventory(item_id="GADGET-2", quantity=0.0),
                      FulfillmentInventory(item_id="WIDGET-1", quantity=0.0)],
    }
    for resource, models in expected.items():
        sdk_json = json.dumps(FulfillmentApi().api_client.sanitize_for_serialization(models), sort_keys=True)
        assert json.dumps(sent[resource], sort_keys=True) == sdk_json, resource  # same keys, same number types


def test_the_sdks_fulfillment_api_runs_the_whole_flow_against_the_sandbox(sandbox, sdk):
    api = FulfillmentApi(sdk)
    first = sandbox.store.place_order([("WIDGET-1", 2)], "UPS Ground")
    second = sandbox.store.place_order([("GADGET-2", 1)], "UPS Ground")
    assert [c.code for c in api.get_distribution_centers().distribution_centers] == ["DFLT", "WEST"]
    queued = api.get_distribution_center_orders("DFLT").orders
    assert [o.order_id for o in queued] == [first, second]
    api.acknowledge_orders("DFLT", [first, second])
    assert api.get_distribution_center_orders("DFLT").orders == []
    api.ship_orders("DFLT", [FulfillmentShipment(order_id=first, tracking_numbers=["1ZTRACK1"])])
    api.update_inventory("DFLT", [FulfillmentInventory(item_id="WIDGET-1", quantity=12.0),
                                  FulfillmentInventory(item_id="GADGET-2", quantity=4.0)])
    assert sandbox.store.tracking_numbers(first) == ["1ZTRACK1"] and sandbox.store.tracking_numbers(second) == []
    assert sandbox.store.inventory_level("WIDGET-1") == 12 and sandbox.store.inventory_level("GADGET-2") == 4


def test_an_item_id_inventory_body_is_refused_as_the_sdk_shape_requires(sandbox):
    response = httpx.post(f"{sandbox.base_url}{DC}/DFLT/inventory", json=[{"item_id": "WIDGET-1", "quantity": 5}],
                          headers={"x-ultracart-simple-key": sandbox.api_key, "X-UltraCart-Api-Version": API_VERSION})
    assert response.status_code == 400
    assert response.json()["error"]["user_message"] == (
        "Unknown field 'item_id' in inventories[0]: a FulfillmentInventory has itemId, quantity")
    assert sandbox.store.inventory_level("WIDGET-1") is None  # nothing was applied


def test_a_shipment_with_a_field_the_sdk_lacks_is_refused(sandbox):
    order_id = sandbox.store.place_order([("WIDGET-1", 1)])
    response = httpx.post(f"{sandbox.base_url}{DC}/DFLT/shipments",
                          json=[{"order_id": order_id, "tracking_numbers": ["1Z"], "carrier": "UPS"}],
                          headers={"x-ultracart-simple-key": sandbox.api_key, "X-UltraCart-Api-Version": API_VERSION})
    assert response.status_code == 400 and "Unknown field 'carrier'" in response.json()["error"]["user_message"]
    assert sandbox.store.tracking_numbers(order_id) == []


def test_connection_to_a_closed_port_names_the_host_and_says_refused(sandbox, closed_port):
    conn = UltraCartConnector(sandbox.credentials, {"api_base": f"http://127.0.0.1:{closed_port}/rest/v2"},
                              sleep=lambda seconds: None)
    report = conn.test_connection()
    conn.close()
    assert not report.ok
    detail = report.steps[0].detail
    assert f"127.0.0.1:{closed_port}" in detail and "refused" in detail and "ConnectError" not in detail
    assert detail.startswith("Cannot reach UltraCart at ")
