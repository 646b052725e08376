"""The app's load and uninstall callbacks trust only a signed_payload_jwt signed with the app's Client
Secret for its Client ID by "bc", in date, about "stores/{hash}"; uninstalling forgets the token and
switches the store's connections off with the reason on them."""
from __future__ import annotations

import logging
import time

import pytest
from authlib.jose import jwt
from django.test import Client

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Connection, Store
from dockline.warehouses.models import Warehouse

CLIENT_ID, SECRET = "dockline-app-id", "dockline-app-secret"


@pytest.fixture
def app(settings):
    settings.BIGCOMMERCE_CLIENT_ID, settings.BIGCOMMERCE_CLIENT_SECRET = CLIENT_ID, SECRET


@pytest.fixture
def connected(db):
    org = Organization.objects.create(name="Riverside Fulfillment")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme shop", platform="bigcommerce",
                                 credentials={"store_hash": "abc123", "access_token": "live-token"})
    warehouse = Warehouse.objects.create(organization=org, name="East 3PL", credentials={"host": "127.0.0.1"})
    return Connection.objects.create(organization=org, name="Acme → East", merchant=merchant, store=store,
                                     warehouse=warehouse, enabled=True)


def signed(key=SECRET, alg="HS256", **changes) -> str:
    now = int(time.time())
    claims = {"aud": CLIENT_ID, "iss": "bc", "iat": now, "nbf": now - 5, "exp": now + 600, "jti": "j-1",
              "sub": "stores/abc123", "user": {"id": 9, "email": "owner@acme.example"},
              "owner": {"id": 9, "email": "owner@acme.example"}, "url": "/"}
    claims.update(changes)
    return jwt.encode({"alg": alg, "typ": "JWT"}, {k: v for k, v in claims.items() if v is not None}, key).decode()


def call(path: str, token: str):
    return Client().get(path, {"signed_payload_jwt": token})


def test_load_shows_the_stores_connections_inside_the_control_panel(app, connected):
    response = call("/bigcommerce/load/", signed())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme shop" in page and "Acme → East" in page and "East 3PL" in page and ">On<" in page
    assert "live-token" not in page
    assert "X-Frame-Options" not in response and "frame-ancestors" in response["Content-Security-Policy"]


@pytest.mark.parametrize("bad, words", [
    (lambda: signed(key="someone-elses-secret"), "bad signature"),
    (lambda: signed(aud="another-app"), "aud"),
    (lambda: signed(iss="not-bc"), "iss"),
    (lambda: signed(exp=int(time.time()) - 3600), "expired"),
    (lambda: signed(nbf=int(time.time()) + 3600), "not valid yet"),
    (lambda: signed(exp=None), "exp"),
    (lambda: signed(sub="users/9"), "unexpected context"),
    (lambda: "not.a.jwt", "not valid"),
    (lambda: "", "no signed_payload_jwt"),
])
def test_a_payload_not_signed_for_this_app_is_refused_and_changes_nothing(app, connected, bad, words, caplog):
    token = bad()
    with caplog.at_level(logging.WARNING, logger="dockline.alerts"):
        load, gone = call("/bigcommerce/load/", token), call("/bigcommerce/uninstall/", token)
    assert load.status_code == gone.status_code == 401
    assert words in load.content.decode() and "Acme" not in load.content.decode()
    connected.refresh_from_db()
    connected.store.refresh_from_db()
    assert connected.enabled and connected.store.credentials["access_token"] == "live-token"
    assert any("Refused a BigCommerce app callback" in r.getMessage() for r in caplog.records)


def test_a_none_algorithm_payload_is_refused(app, connected):
    import base64
    import json

    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    token = f"{part({'alg': 'none'})}.{part({'aud': CLIENT_ID, 'iss': 'bc', 'sub': 'stores/abc123', 'exp': now + 60})}."
    assert call("/bigcommerce/uninstall/", token).status_code == 401
    connected.refresh_from_db()
    assert connected.enabled


def test_uninstall_forgets_the_token_and_switches_the_connection_off_saying_why(app, connected, caplog):
    with caplog.at_level(logging.WARNING, logger="dockline.alerts"):
        response = call("/bigcommerce/uninstall/", signed())
    assert response.status_code == 200
    connected.refresh_from_db()
    store = connected.store
    store.refresh_from_db()
    assert "access_token" not in store.credentials and store.credentials["store_hash"] == "abc123"
    assert not connected.enabled
    assert "uninstalled from BigCommerce store abc123" in connected.store_auth_error
    assert "owner@acme.example" in connected.store_auth_error and "install it again from Dockline" in connected.store_auth_error
    assert any("switched off" in r.getMessage() for r in caplog.records)

    after = call("/bigcommerce/load/", signed())  # the store shows as not connected any more
    assert after.status_code == 404 and "not connected to Dockline" in after.content.decode()
