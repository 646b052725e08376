"""The Add Connection wizard on the server side: order of steps, Back keeps typing, secrets stay encrypted."""
import json

import pytest

from dockline.accounts.models import Merchant, Role
from dockline.connections.models import Connection
from dockline.web.wizard import SESSION_KEY

pytestmark = pytest.mark.django_db
SECRET_PASSWORD = "wh-secret-password-123"
SECRET_TOKEN = "store-access-token-abcdef"


def _warehouse_form(password=SECRET_PASSWORD):
    return {"name": "Riverside 3PL", "transport": "ftp", "format": "dsfx", "t_ftp__host": "127.0.0.1",
            "t_ftp__port": "1", "t_ftp__username": "wms", "t_ftp__password": password,
            "folder_inbox": "/in", "folder_outbox": "/out", "folder_archive": "", "folder_error": ""}


def _store_form(token=SECRET_TOKEN):
    return {"name": "Acme on BigCommerce", "platform": "bigcommerce", "p_bigcommerce__store_hash": "acme",
            "p_bigcommerce__access_token": token, "s_bigcommerce__api_base": "http://127.0.0.1:1",
            "s_bigcommerce__monitored_status_id": "11"}


def test_whole_wizard_creates_a_disabled_connection_and_never_shows_secrets(client, org, login_as):
    login_as(Role.ADMIN)
    assert client.get("/connections/new/store/")["Location"].endswith("/connections/new/basic/")  # no skipping
    assert client.post("/connections/new/basic/", {"name": ""}).status_code == 200  # stays, says what is missing
    client.post("/connections/new/basic/", {"name": "Acme → Riverside", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme Outfitters", "go": "next"})
    client.post("/connections/new/warehouse/", {**_warehouse_form(), "go": "next"})
    client.post("/connections/new/store/", {**_store_form(), "go": "next"})

    session_dump = json.dumps(dict(client.session))
    assert SECRET_PASSWORD not in session_dump and SECRET_TOKEN not in session_dump

    # Back to the warehouse step: typed values are there, the password only as a mask.
    page = client.get("/connections/new/warehouse/").content.decode()
    assert 'value="Riverside 3PL"' in page and SECRET_PASSWORD not in page and "kept: ••••••••-123" in page
    client.post("/connections/new/warehouse/", {**_warehouse_form(password=""), "go": "next"})  # empty = keep
    review = client.get("/connections/new/review/").content.decode()
    assert SECRET_TOKEN not in review and SECRET_PASSWORD not in review and "Acme Outfitters (new)" in review

    refused = client.post("/connections/new/review/", {"go": "next"})  # neither side was tested
    assert refused["Location"].endswith("/connections/new/review/") and not Connection.objects.exists()
    response = client.post("/connections/new/review/", {"go": "next", "add_anyway": "on"})
    conn = Connection.objects.get(name="Acme → Riverside")
    assert response["Location"] == f"/connections/{conn.pk}/"
    assert not conn.enabled
    assert conn.warehouse.credentials["password"] == SECRET_PASSWORD
    assert conn.store.credentials["access_token"] == SECRET_TOKEN
    assert conn.store.settings["api_base"] == "http://127.0.0.1:1"
    assert Merchant.objects.filter(name="Acme Outfitters").exists()
    assert SESSION_KEY not in client.session


def test_test_connection_reports_each_step_in_plain_words(client, org, login_as):
    login_as(Role.ADMIN)
    page = client.post("/connections/new/test-warehouse/", _warehouse_form()).content.decode()
    assert "Connection failed" in page and SECRET_PASSWORD not in page
    page = client.post("/connections/new/test-warehouse/", {**_warehouse_form(), "t_ftp__host": ""}).content.decode()
    assert "Host is required" in page
    page = client.post("/connections/new/test-store/", _store_form()).content.decode()
    assert "Connection failed" in page and SECRET_TOKEN not in page


def test_staff_cannot_create_merchants(client, org, login_as):
    acme = Merchant.objects.create(organization=org, name="Acme")
    login_as(Role.STAFF, [acme])
    client.post("/connections/new/basic/", {"name": "c", "go": "next"})
    page = client.get("/connections/new/merchant/").content.decode()
    assert "A new merchant" not in page and "Acme" in page
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Sneaky", "go": "next"})
    assert not Merchant.objects.filter(name="Sneaky").exists()


def test_a_passing_store_test_offers_the_stores_own_order_statuses(client, org, login_as):
    from dockline.sandbox.bigcommerce import BigCommerceSandbox

    login_as(Role.ADMIN)
    with BigCommerceSandbox(store_hash="acme", access_token=SECRET_TOKEN) as sandbox:
        sandbox.store.status_labels[11] = "Ready to pick"  # a custom workflow label
        form = {**_store_form(), "s_bigcommerce__api_base": sandbox.base_url}
        page = client.post("/connections/new/test-store/", form).content.decode()
    assert "Connection works" in page
    assert 'datalist id="choices-s_bigcommerce__monitored_status_id"' in page
    assert '<option value="11">Ready to pick</option>' in page
    assert '<option value="9">Awaiting Shipment</option>' in page


def test_review_posted_after_empty_steps_creates_nothing_and_sends_back_to_the_first_bad_step(client, org, login_as):
    login_as(Role.ADMIN)
    for step in ("basic", "merchant", "warehouse", "store"):  # every step posted empty, as a hand-made request would
        client.post(f"/connections/new/{step}/", {"go": "next"})
    response = client.post("/connections/new/review/", {"go": "next"})

    assert response.status_code == 302 and response["Location"].endswith("/connections/new/basic/")
    assert not Connection.objects.exists()


def test_an_unknown_platform_is_refused_in_words_not_a_server_error(client, org, login_as):
    login_as(Role.ADMIN)
    client.post("/connections/new/basic/", {"name": "Acme → Riverside", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme Outfitters", "go": "next"})
    client.post("/connections/new/warehouse/", {**_warehouse_form(), "go": "next"})
    response = client.post("/connections/new/store/", {**_store_form(), "platform": "bogus", "go": "next"})

    assert response.status_code == 200 and "platform" in response.content.decode().lower()
    assert client.get("/connections/new/review/")["Location"].endswith("/connections/new/store/")
    assert client.post("/connections/new/review/", {"go": "next"}).status_code == 302
    assert not Connection.objects.exists()
