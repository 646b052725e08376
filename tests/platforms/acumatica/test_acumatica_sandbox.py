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
