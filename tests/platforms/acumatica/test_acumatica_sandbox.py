"""The sandbox speaks Acumatica's wire format: token endpoint errors, wrapped values, $filter/$expand, 202 actions."""
import time

import httpx
import pytest


@pytest.fixture
def http(sandbox):
    with httpx.Client(base_url=sandbox.base_url) as client:
        yield client


def _token(http, sandbox, **form):
    data = {"grant_type": "password", "client_id": sandbox.client_id,
            "client_secret": sandbox.credentials["client_secret"], "username": sandbox.username,
            "password": sandbox.password, "scope": "api offline_access", **form}
    return http.post("/identity/connect/token", data=data)


def test_token_endpoint_grants_and_refuses_like_the_identity_server(sandbox, http):
    answer = _token(http, sandbox)
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    assert set(answer.json()) >= {"access_token", "refresh_token", "expires_in", "scope"}
    assert _token(http, sandbox, client_secret="nope").json() == {"error": "invalid_client"}
    assert _token(http, sandbox, password="nope").json()["error"] == "invalid_grant"
    refresh = {"grant_type": "refresh_token", "refresh_token": answer.json()["refresh_token"]}
    rotated = _token(http, sandbox, **refresh)
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != answer.json()["refresh_token"]
    assert _token(http, sandbox, **refresh).json() == {"error": "invalid_grant"}  # spent
    sandbox.instance.expire_secret(sandbox.client_id)
    assert _token(http, sandbox).status_code == 400 and _token(http, sandbox).json() == {"error": "invalid_client"}


def test_entities_need_a_bearer_token_and_come_wrapped(sandbox, http):
    nbr = sandbox.instance.place_order([("A", 2)], "UPSGROUND")
    assert http.get("/entity/Default/22.200.001/SalesOrder").status_code == 401
    headers = {"Authorization": f"Bearer {_token(http, sandbox).json()['access_token']}"}
    plain = http.get("/entity/Default/22.200.001/SalesOrder", headers=headers).json()
    assert plain[0]["OrderNbr"] == {"value": nbr} and "Details" not in plain[0]
    expanded = http.get("/entity/Default/22.200.001/SalesOrder", headers=headers,
                        params={"$expand": "Details,ShipToAddress", "$filter": "Status eq 'Open'"}).json()
    assert expanded[0]["Details"][0]["InventoryID"] == {"value": "A"}
    assert expanded[0]["ShipToAddress"]["City"] == {"value": "Portland"}
    none = http.get("/entity/Default/22.200.001/SalesOrder", headers=headers,
                    params={"$filter": "Status eq 'Completed'"}).json()
    assert none == []
    bad = http.get("/entity/Default/22.200.001/SalesOrder", headers=headers, params={"$filter": "Status is Open"})
    assert bad.status_code == 400


def test_confirm_shipment_is_a_long_running_action(sandbox, http):
    sandbox.app.action_seconds = 0.3
    nbr = sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    shipment = sandbox.instance.create_shipment_for("SO", nbr)
    headers = {"Authorization": f"Bearer {_token(http, sandbox).json()['access_token']}"}
    started = http.post("/entity/Default/22.200.001/Shipment/ConfirmShipment", headers=headers,
                        json={"entity": {"ShipmentNbr": {"value": shipment}}})
    assert started.status_code == 202
    assert http.get(started.headers["Location"], headers=headers).status_code == 202
    time.sleep(0.5)
    assert http.get(started.headers["Location"], headers=headers).status_code == 204
    assert sandbox.instance.shipments[shipment]["Status"] == "Confirmed"
    again = http.post("/entity/Default/22.200.001/Shipment/ConfirmShipment", headers=headers,
                      json={"entity": {"ShipmentNbr": {"value": shipment}}})
    time.sleep(0.5)
    failed = http.get(again.headers["Location"], headers=headers)
    assert failed.status_code == 500 and "already been confirmed" in failed.json()["exceptionMessage"]


def test_login_limit_error_when_every_api_user_slot_is_taken(sandbox, http):
    sandbox.instance.max_sessions = 1
    first = {"Authorization": f"Bearer {_token(http, sandbox).json()['access_token']}"}
    second = {"Authorization": f"Bearer {_token(http, sandbox).json()['access_token']}"}
    assert http.get("/entity/Default/22.200.001/Shipment", headers=first).status_code == 200
    refused = http.get("/entity/Default/22.200.001/Shipment", headers=second)
    assert refused.status_code == 500 and refused.json()["exceptionMessage"] == "API Login Limit"


@pytest.fixture
def api(sandbox, http):
    """GET/PUT on the Default endpoint with a bearer token."""
    headers = {"Authorization": f"Bearer {_token(http, sandbox).json()['access_token']}"}
    base = "/entity/Default/22.200.001"

    class Api:
        def get(self, path, **params):
            return http.get(f"{base}/{path}", headers=headers, params=params)

        def put(self, path, body, **params):
            return http.put(f"{base}/{path}", headers=headers, params=params, json=body)

    return Api()


def test_a_last_modified_date_time_filter_on_sales_orders_is_refused(sandbox, api):
    sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    since = "datetimeoffset'2020-01-01T00:00:00.000+00:00'"
    refused = api.get("SalesOrder", **{"$filter": f"LastModifiedDateTime ge {since}"})
    assert refused.status_code == 400 and "'LastModifiedDateTime'" in refused.json()["message"]
    assert len(api.get("SalesOrder", **{"$filter": f"LastModified ge {since}"}).json()) == 1
    sandbox.instance.create_shipment_for("SO", "000001")
    assert len(api.get("Shipment", **{"$filter": f"LastModifiedDateTime ge {since}"}).json()) == 1
    assert api.get("Shipment", **{"$filter": f"LastModified ge {since}"}).status_code == 400


def test_a_top_level_ship_to_address_on_shipments_does_not_exist(sandbox, api):
    nbr = sandbox.instance.create_shipment_for("SO", sandbox.instance.place_order([("A", 1)], "UPSGROUND"))
    refused = api.get("Shipment", **{"$expand": "ShipToAddress"})
    assert refused.status_code == 400 and "Shipment has no field 'ShipToAddress'" in refused.json()["message"]
    assert api.get(f"Shipment/{nbr}", **{"$expand": "ShipToContact"}).status_code == 400
    [shipment] = api.get("Shipment", **{"$expand": "ShippingSettings,ShippingSettings/ShipToAddress"}).json()
    assert shipment["ShippingSettings"]["ShipToAddress"]["City"] == {"value": "Portland"}
    assert "ShipToContact" not in shipment["ShippingSettings"]  # linked entities only come when expanded


def test_unknown_fields_in_select_expand_and_bodies_are_refused(sandbox, api):
    sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    assert api.get("SalesOrder", **{"$select": "OrderNbr,Nonsense"}).status_code == 400
    assert api.get("SalesOrder", **{"$expand": "Details/Nonsense"}).status_code == 400
    assert api.get("SalesOrder", **{"$expand": "OrderNbr"}).status_code == 400  # a field, not an entity
    assert api.get("SalesOrder", **{"$filter": "Details/InventoryID eq 'A'"}).status_code == 400
    [only] = api.get("SalesOrder", **{"$select": "OrderNbr"}).json()
    assert set(only) - {"id", "rowNumber", "note", "custom"} == {"OrderNbr"}
    body = {"Type": {"value": "Shipment"}, "ShipToAddress": {"City": {"value": "Portland"}}}
    refused = api.put("Shipment", body)
    assert refused.status_code == 400 and "'ShipToAddress'" in refused.json()["message"]


def test_a_refused_record_answers_422_with_the_entity_and_the_error_on_its_field(sandbox, api):
    nbr = sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    body = {"Type": {"value": "Shipment"}, "ShipVia": {"value": "XYZ"},
            "Details": [{"OrderType": {"value": "SO"}, "OrderNbr": {"value": nbr}, "OrderLineNbr": {"value": 1}}]}
    refused = api.put("Shipment", body)
    # the shape of RESTClientTests/ErrorMessagesTests.cs in the official client: generic error on top,
    # the entity's fields as sent, the refused one with its own error
    assert refused.status_code == 422
    answer = refused.json()
    assert answer["error"] == "Inserting 'Shipment' record raised at least one error. Please review the errors."
    assert answer["ShipVia"] == {"value": "XYZ", "error": "Ship Via 'XYZ' cannot be found in the system."}
    assert answer["Details"][0]["OrderNbr"] == {"value": nbr} and answer["id"]
    body["ShipVia"]["value"] = "UPSGROUND"
    body["Details"][0]["ShippedQty"] = {"value": 7}
    detail = api.put("Shipment", body).json()
    assert "exceeds the quantity" in detail["Details"][0]["ShippedQty"]["error"]


def _walk(entity, answer, seen):
    """Every key of an answer, checked against the official model's fields of the entity it belongs to."""
    from dockline.sandbox.acumatica.model import ENTITIES, SYSTEM_FIELDS, kind, target

    fields = ENTITIES[entity]
    for name, got in answer.items():
        assert name in fields or name in SYSTEM_FIELDS, f"{entity}.{name} is not in the official model"
        seen.add(f"{entity}.{name}")
        if name in SYSTEM_FIELDS:
            continue
        if kind(fields[name]) == "value":
            assert set(got) <= {"value", "error"}, f"{entity}.{name} is a value field: {got!r}"
        for row in got if kind(fields[name]) == "detail" else [got] if kind(fields[name]) == "linked" else []:
            _walk(target(fields[name]), row, seen)


def test_every_answer_holds_only_fields_of_the_official_model(sandbox, api):
    nbr = sandbox.instance.place_order([("A", 2), ("B", 1)], "UPSGROUND")
    planned = sandbox.instance.create_shipment_for("SO", nbr)
    sandbox.instance.save_shipment({"ShipmentNbr": planned, "Packages": [{"BoxID": "BOX", "TrackingNbr": "1Z"}]})
    sandbox.instance.confirm_shipment({"ShipmentNbr": planned})
    seen = set()
    order_expand = "Details,ShipToAddress,ShipToContact,Shipments,BillToAddress"
    for answer in api.get("SalesOrder", **{"$expand": order_expand}).json() + [
            api.get(f"SalesOrder/SO/{nbr}", **{"$expand": order_expand}).json()]:
        _walk("SalesOrder", answer, seen)
    shipment_expand = "Details,Packages,ShippingSettings,ShippingSettings/ShipToAddress,ShippingSettings/ShipToContact"
    for answer in api.get("Shipment", **{"$expand": shipment_expand}).json():
        _walk("Shipment", answer, seen)
    assert {"SalesOrder.LastModified", "SalesOrderDetail.OpenQty", "SalesOrderShipment.ShipmentNbr",
            "Shipment.LastModifiedDateTime", "ShipToSettings.ShipToAddress", "Address.City",
            "DocContact.Attention", "ShipmentPackage.TrackingNbr"} <= seen
