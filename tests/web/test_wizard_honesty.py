"""The wizard says what was really tested: a failed or untested side needs "Add anyway", the last result is kept
for the values it ran with, an existing warehouse can be reused, and the setup checklist shows the real result."""
import pytest

from dockline.accounts.models import Merchant, Role
from dockline.connections.models import Connection, CredentialCheck, Side
from dockline.inventory.models import StockLevel
from dockline.sandbox.bigcommerce import BigCommerceSandbox
from dockline.sandbox.ftpserver import LoopbackFtpServer
from dockline.web.summaries import checklist

pytestmark = pytest.mark.django_db
TOKEN = "store-access-token-abcdef"


def _store_form(base_url, token=TOKEN):
    return {"name": "Acme on BigCommerce", "platform": "bigcommerce", "p_bigcommerce__store_hash": "acme",
            "p_bigcommerce__access_token": token, "s_bigcommerce__api_base": base_url}


def _start(client, merchant):
    client.post("/connections/new/basic/", {"name": "Acme → Riverside", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "existing", "merchant_id": str(merchant.pk), "go": "next"})


def test_an_existing_warehouse_is_reused_and_both_passing_tests_add_it_with_a_true_checklist(
        client, org, login_as, make_connection, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    with LoopbackFtpServer(tmp_path) as ftp, BigCommerceSandbox(store_hash="acme", access_token=TOKEN) as bc:
        shared = make_connection("Bolt").warehouse
        shared.credentials = {"host": ftp.host, "port": ftp.port, "username": ftp.username, "password": ftp.password}
        shared.settings = {"inbox": "/in", "outbox": "/out"}
        shared.save()
        acme = Merchant.objects.create(organization=org, name="Acme")
        login_as(Role.ADMIN)
        _start(client, acme)
        page = client.get("/connections/new/warehouse/").content.decode()
        assert "Use an existing warehouse" in page and "Bolt 3PL" in page and ftp.password not in page
        chosen = {"warehouse_choice": "existing", "existing_id": str(shared.pk), "name": "", "transport": "ftp"}
        assert "Connection works" in client.post("/connections/new/test-warehouse/", chosen).content.decode()
        client.post("/connections/new/warehouse/", {**chosen, "go": "next"})
        assert "Connection works" in client.post("/connections/new/test-store/",
                                                 _store_form(bc.base_url)).content.decode()
        client.post("/connections/new/store/", {**_store_form(bc.base_url), "go": "next"})
        review = client.get("/connections/new/review/").content.decode()
        assert "Bolt 3PL</strong> (existing, shared)" in review and "Add anyway" not in review
        assert client.post("/connections/new/review/", {"go": "next"}).status_code == 302

    conn = Connection.objects.get(name="Acme → Riverside")
    assert conn.warehouse == shared and not conn.enabled
    assert {c.side: c.ok for c in CredentialCheck.objects.filter(connection=conn)} == {Side.STORE: True,
                                                                                       Side.WAREHOUSE: True}
    items = {i["label"]: i for i in checklist(conn)}
    assert items["Store and warehouse credentials"]["ok"] is True
    assert "passed Test Connection" in items["Store and warehouse credentials"]["detail"]
    assert items["SKUs mapped"]["ok"] is False  # nothing mapped and no stock reported
    StockLevel.objects.create(warehouse=shared, sku="WIDGET", on_hand=3, available=3)
    skus = next(i for i in checklist(conn) if i["label"] == "SKUs mapped")
    assert skus["ok"] is None and "no order is imported yet" in skus["detail"]  # known SKUs, nothing to tick yet


def test_a_failed_store_test_needs_add_anyway_and_the_checklist_shows_the_failure(client, org, login_as,
                                                                                  make_connection):
    other = make_connection("Bolt").warehouse
    acme = Merchant.objects.create(organization=org, name="Acme")
    login_as(Role.ADMIN)
    with BigCommerceSandbox(store_hash="acme", access_token=TOKEN) as bc:
        _start(client, acme)
        client.post("/connections/new/warehouse/", {"warehouse_choice": "existing", "existing_id": str(other.pk),
                                                    "go": "next"})
        client.post("/connections/new/test-store/", _store_form(bc.base_url, token="wrong-token"))
        client.post("/connections/new/store/", {**_store_form(bc.base_url, token="wrong-token"), "go": "next"})
        review = client.get("/connections/new/review/").content.decode()
    assert "Not tested with these values" in review  # the warehouse was never tested
    assert "Failed at" in review and "Add anyway; it stays disabled" in review
    assert client.post("/connections/new/review/", {"go": "next"})["Location"].endswith("/review/")
    assert not Connection.objects.filter(name="Acme → Riverside").exists()

    client.post("/connections/new/review/", {"go": "next", "add_anyway": "on"})
    conn = Connection.objects.get(name="Acme → Riverside")
    assert not conn.enabled
    item = next(i for i in checklist(conn) if i["label"] == "Store and warehouse credentials")
    assert item["ok"] is False
    assert "Store: failed Test Connection" in item["detail"] and "Warehouse: never tested" in item["detail"]


def test_a_test_passed_with_other_values_does_not_count(client, org, login_as, make_connection):
    other = make_connection("Bolt").warehouse
    acme = Merchant.objects.create(organization=org, name="Acme")
    login_as(Role.ADMIN)
    with BigCommerceSandbox(store_hash="acme", access_token=TOKEN) as bc:
        _start(client, acme)
        client.post("/connections/new/warehouse/", {"warehouse_choice": "existing", "existing_id": str(other.pk),
                                                    "go": "next"})
        client.post("/connections/new/test-store/", _store_form(bc.base_url))  # passes with the right token
        client.post("/connections/new/store/", {**_store_form(bc.base_url, token="typed-afterwards"), "go": "next"})
    review = client.get("/connections/new/review/").content.decode()
    store_row = review.split('data-side="store"')[1].split("</li>")[0]
    assert "Not tested with these values" in store_row and "Passed" not in store_row


def test_ultracart_skus_get_no_tick_before_an_order_is_imported(make_connection):
    conn = make_connection("Acme")
    conn.store.platform = "ultracart"
    conn.store.save()
    item = next(i for i in checklist(conn) if i["label"].startswith("UltraCart SKUs"))
    assert item["ok"] is None and "No order is imported yet" in item["detail"]
