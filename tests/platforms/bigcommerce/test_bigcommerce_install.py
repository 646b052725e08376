"""The app install flow: the auth callback exchanges the code at the (sandbox) token endpoint,
stores the token encrypted, and checks the granted scopes at once, naming any that are missing."""
from __future__ import annotations

import pytest

from dockline.connections.models import Store
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.bigcommerce.oauth import exchange_code


@pytest.fixture
def app(sandbox, settings):
    settings.BIGCOMMERCE_CLIENT_ID, settings.BIGCOMMERCE_CLIENT_SECRET = sandbox.app.app_credentials
    settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    settings.BIGCOMMERCE_API_BASE = sandbox.base_url
    return sandbox


@pytest.fixture
def member(db, client):
    from django.contrib.auth import get_user_model

    from dockline.accounts.models import Membership, Merchant, Organization, Role

    org = Organization.objects.create(name="Org")
    Merchant.objects.create(organization=org, name="Merchant")
    user = get_user_model().objects.create_user("installer", password="pw-long-enough-1")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    client.force_login(user)
    return org


def _callback(client, sandbox, code=None):
    scope = " ".join(sorted(sandbox.scopes))
    return client.get("/bigcommerce/auth/", {"code": code or sandbox.app.issue_code(), "scope": scope,
                                             "context": f"stores/{sandbox.store_hash}"})


def test_install_stores_the_token_and_reinstall_updates_it(app, member, client):
    response = _callback(client, app)
    assert response.status_code == 200, response.content
    store = Store.objects.get(organization=member, platform="bigcommerce")
    assert store.credentials["access_token"] == app.access_token
    assert store.credentials["store_hash"] == "demo" and "store_v2_orders" in store.credentials["scope"]
    assert app.access_token not in response.content.decode()  # never shown

    assert _callback(client, app).status_code == 200  # reinstall: same store, new token
    assert Store.objects.filter(organization=member).count() == 1


def test_install_with_missing_scope_names_it_at_setup(app, member, client):
    app.scopes = {"store_v2_orders", "store_v2_products_read_only"}
    response = _callback(client, app)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Inventory: modify: FAILED" in page and "store_inventory" in page


def test_a_used_or_forged_code_is_refused(app, member, client):
    code = app.app.issue_code()
    assert _callback(client, app, code).status_code == 200
    again = _callback(client, app, code)
    assert again.status_code == 400 and "Invalid verification code" in again.content.decode()
    assert _callback(client, app, "made-up").status_code == 400


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


def test_callback_needs_a_logged_in_dockline_user(app, client, db):
    response = client.get("/bigcommerce/auth/", {"code": "x", "scope": "s", "context": "stores/demo"})
    assert response.status_code == 302
