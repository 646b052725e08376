"""The app install flow: an administrator (or Staff of the merchant) starts the install in Dockline for one
store hash; BigCommerce's auth callback, which carries no Dockline session, exchanges the code at the
(sandbox) token endpoint and the token lands only on the store that start names, checked at once."""
from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Store
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.bigcommerce.models import InstallIntent
from dockline.platforms.bigcommerce.oauth import exchange_code


@pytest.fixture
def app(sandbox, settings):
    settings.BIGCOMMERCE_CLIENT_ID, settings.BIGCOMMERCE_CLIENT_SECRET = sandbox.app.app_credentials
    settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    settings.BIGCOMMERCE_API_BASE = sandbox.base_url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return sandbox


@pytest.fixture
def org(db):
    org = Organization.objects.create(name="Org")
    Merchant.objects.create(organization=org, name="Acme")  # the organization's first merchant
    Merchant.objects.create(organization=org, name="Zephyr")
    return org


@pytest.fixture
def person(org):
    """person(role, merchants=()) -> a Client signed in as a new user of that role."""
    def make(role, merchants=()):
        user = get_user_model().objects.create_user(f"{role}-{len(merchants)}-{Membership.objects.count()}",
                                                    password="pw-long-enough-1")
        Membership.objects.create(user=user, organization=org, role=role).merchants.set(merchants)
        browser = Client()
        browser.force_login(user)
        return browser

    return make


def merchant(org, name):
    return Merchant.objects.get(organization=org, name=name)


def start(browser, store_hash="demo", *, store=None, merchant=None):
    target = f"store:{store.pk}" if store else f"merchant:{merchant.pk}"
    return browser.post("/bigcommerce/install/", {"store_hash": store_hash, "target": target})


def callback(sandbox, code=None, context=None):
    """The auth callback as BigCommerce's control panel opens it: a fresh browser, no Dockline session."""
    scope = " ".join(sorted(sandbox.scopes))
    return Client().get("/bigcommerce/auth/", {"code": code or sandbox.app.issue_code(), "scope": scope,
                                               "context": context or f"stores/{sandbox.store_hash}"})


def test_install_started_in_dockline_stores_the_token_and_reinstall_updates_it(app, org, person):
    admin = person(Role.ADMIN)
    page = start(admin, merchant=merchant(org, "Zephyr"))
    assert page.status_code == 200 and "expects the install of BigCommerce store" in page.content.decode()
    response = callback(app)
    assert response.status_code == 200, response.content
    store = Store.objects.get(organization=org, platform="bigcommerce")
    assert store.merchant.name == "Zephyr"  # the merchant chosen, not the organization's first
    assert store.credentials["access_token"] == app.access_token
    assert store.credentials["store_hash"] == "demo" and "store_v2_orders" in store.credentials["scope"]
    assert app.access_token not in response.content.decode()  # never shown

    assert start(admin, store=store).status_code == 200
    assert callback(app).status_code == 200  # reinstall: same store, new token
    assert Store.objects.filter(organization=org).count() == 1


def test_a_callback_nobody_started_in_dockline_keeps_nothing_and_says_what_to_do(app, org, person, caplog):
    """The reported attack: a read-only Merchant user brings a valid code for a store hash."""
    store = Store.objects.create(organization=org, merchant=merchant(org, "Acme"), name="Acme shop",
                                 platform="bigcommerce", credentials={"store_hash": "demo", "access_token": "old"})
    person(Role.MERCHANT, [merchant(org, "Zephyr")])
    with caplog.at_level(logging.WARNING, logger="dockline.alerts"):
        response = callback(app)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Nobody started installing BigCommerce store demo in Dockline" in page
    assert "/bigcommerce/install/" in page and "enter store hash demo" in page
    store.refresh_from_db()
    assert store.credentials["access_token"] == "old"
    assert any("Refused a BigCommerce app callback for store demo" in r.getMessage() for r in caplog.records)


def test_a_merchant_user_cannot_start_an_install(app, org, person):
    viewer = person(Role.MERCHANT, [merchant(org, "Acme")])
    assert start(viewer, merchant=merchant(org, "Acme")).status_code == 404
    assert not InstallIntent.objects.exists()


def test_staff_install_only_for_their_own_merchants(app, org, person):
    staff = person(Role.STAFF, [merchant(org, "Zephyr")])
    other = Store.objects.create(organization=org, merchant=merchant(org, "Acme"), name="Acme shop",
                                 platform="bigcommerce", credentials={"store_hash": "demo", "access_token": "old"})
    assert start(staff, merchant=merchant(org, "Acme")).status_code == 404  # not one of theirs: not shown
    assert start(staff, store=other).status_code == 404
    refused = start(staff, merchant=merchant(org, "Zephyr"))  # the hash belongs to Acme's store
    assert refused.status_code == 400 and "Only an administrator, or Staff of this merchant" in refused.content.decode()
    assert callback(app).status_code == 403
    other.refresh_from_db()
    assert other.credentials["access_token"] == "old"

    assert start(staff, "fresh1", merchant=merchant(org, "Zephyr")).status_code == 200
    assert InstallIntent.objects.get(store_hash="fresh1").merchant.name == "Zephyr"


def test_an_install_start_is_used_once_and_only_within_the_hour(app, org, person):
    admin = person(Role.ADMIN)
    assert start(admin, merchant=merchant(org, "Acme")).status_code == 200
    assert callback(app).status_code == 200
    assert callback(app).status_code == 403  # used up

    assert start(admin, store=Store.objects.get()).status_code == 200
    InstallIntent.objects.filter(used_at__isnull=True).update(created_at=timezone.now() - timedelta(minutes=61))
    assert callback(app).status_code == 403


def test_starting_an_install_is_refused_across_sites(app, org):
    user = get_user_model().objects.create_user("csrf-admin", password="pw-long-enough-1")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert start(browser, merchant=merchant(org, "Acme")).status_code == 403
    assert not InstallIntent.objects.exists()


def test_the_callbacks_may_be_framed_by_the_bigcommerce_control_panel_only(app, org, person):
    start(person(Role.ADMIN), merchant=merchant(org, "Acme"))
    response = callback(app)
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"].startswith("frame-ancestors 'self' https://*.bigcommerce.com")
    assert Client().get("/orders/").get("X-Frame-Options") == "DENY"  # the dashboard itself: never framed


def test_install_with_missing_scope_names_it_at_setup(app, org, person):
    app.scopes = {"store_v2_orders", "store_v2_products_read_only"}
    start(person(Role.ADMIN), merchant=merchant(org, "Acme"))
    response = callback(app)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Inventory: modify: FAILED" in page and "store_inventory" in page


def test_a_used_or_forged_code_is_refused(app, org, person):
    admin = person(Role.ADMIN)
    start(admin, merchant=merchant(org, "Acme"))
    code = app.app.issue_code()
    assert callback(app, code).status_code == 200
    start(admin, store=Store.objects.get())
    again = callback(app, code)
    assert again.status_code == 400 and "Invalid verification code" in again.content.decode()
    assert callback(app, "made-up").status_code == 400


class _TokenAnswering(BaseHTTPRequestHandler):
    """A token endpoint that grants every code a token for store "victim", whatever the request says."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"access_token": "victim-token", "scope": "store_v2_orders",
                           "context": "stores/victim"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def victim_login(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenAnswering)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BIGCOMMERCE_CLIENT_ID, settings.BIGCOMMERCE_CLIENT_SECRET = "id", "secret"
    settings.BIGCOMMERCE_LOGIN_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield
    server.shutdown()
    server.server_close()


def test_the_store_hash_comes_from_the_token_answer_not_from_the_request(victim_login, org, person):
    admin = person(Role.ADMIN)
    start(admin, "attacker", merchant=merchant(org, "Acme"))
    forged = Client().get("/bigcommerce/auth/", {"code": "c", "scope": "s", "context": "stores/attacker"})
    assert forged.status_code == 403 and "store victim" in forged.content.decode()
    assert not Store.objects.exists()
    assert InstallIntent.objects.get(store_hash="attacker").used_at is None  # still there for the real install


def test_exchange_checks_context_and_app_credentials(app):
    with pytest.raises(ConnectorError, match="unexpected context"):
        exchange_code(code="x", scope="s", context="users/1", client_id="a", client_secret="b",
                      redirect_uri="https://d/", login_base=app.base_url)
    with pytest.raises(ConnectorError) as err:
        exchange_code(code=app.app.issue_code(), scope="s", context="stores/demo", client_id="a",
                      client_secret="wrong", redirect_uri="https://d/", login_base=app.base_url)
    assert err.value.kind is ErrorKind.REAUTH and "Invalid client id" in err.value.message


def test_unreachable_login_server_names_the_host_and_says_to_install_again(closed_port):
    with pytest.raises(ConnectorError) as err:
        exchange_code(code="x", scope="s", context="stores/demo", client_id="a", client_secret="b",
                      redirect_uri="https://d/", login_base=f"http://127.0.0.1:{closed_port}")
    assert err.value.kind is ErrorKind.RETRYABLE
    assert err.value.message.startswith(f"Cannot reach BigCommerce at 127.0.0.1:{closed_port}: the connection "
                                        "was refused")
    assert "start it again from the BigCommerce control panel" in err.value.message
