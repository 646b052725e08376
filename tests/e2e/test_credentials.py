"""Credentials and setup in the browser (issue 16), each screen shot at 1366 and 390 pixels wide: changing a
store's credentials from "Needs re-authorization", an administrator accepting a changed SFTP host key on the
warehouse's credential screen, the wizard reusing a warehouse and refusing an untested one without "Add anyway",
and a merchant entering the store's credentials through a one-time link the 3PL never sees the secret of."""
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Connection, ConnectionActivity, Store
from dockline.sandbox.bigcommerce import BigCommerceSandbox
from dockline.warehouses.models import Warehouse

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-9"
OLD_TOKEN = "old-token-00000000"
NEW_TOKEN = "new-token-abcdef9876"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _merchant_shots(page, name: str) -> None:
    """Screenshots of the merchant's own browser (not the `page` fixture), beside the others."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def _both(page, shot, name: str) -> None:
    """The same screen at a desktop's and a phone's width."""
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        shot(f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def bigcommerce():
    with BigCommerceSandbox(store_hash="acme", access_token=NEW_TOKEN) as box:
        yield box


@pytest.fixture
def world(transactional_db, bigcommerce):
    org = Organization.objects.create(name="Riverside Fulfillment")
    user = get_user_model().objects.create_user("ops", password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    merchant = Merchant.objects.create(organization=org, name="Acme Outfitters")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme on BigCommerce",
                                 platform="bigcommerce", credentials={"store_hash": "acme", "access_token": OLD_TOKEN},
                                 settings={"api_base": bigcommerce.base_url})
    warehouse = Warehouse.objects.create(organization=org, name="Riverside 3PL", transport="ftp",
                                         credentials={"host": "127.0.0.1", "port": 1, "username": "wms",
                                                      "password": "wms-password-1"})
    conn = Connection.objects.create(organization=org, name="Acme → Riverside", merchant=merchant, store=store,
                                     warehouse=warehouse,
                                     store_auth_error="BigCommerce refused the access token (401).")
    return conn


def test_store_credentials_are_changed_from_the_reauthorization_notice(page, shot, login, world):
    login("ops", PASSWORD)
    page.goto(f"/connections/{world.pk}/")
    notice = page.locator(".msg.error", has_text="The store needs re-authorization")
    notice.get_by_role("link", name="Change the store credentials →").click()
    expect(page.get_by_role("heading", name="Store credentials")).to_be_visible()
    expect(page.locator("#c__access_token")).to_have_value("")
    assert OLD_TOKEN not in page.content()
    page.fill("#c__access_token", "still-the-wrong-token")
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#credentials-report")).to_contain_text("Connection failed")
    _both(page, shot, "creds-01-store-test-failed")

    page.fill("#c__access_token", NEW_TOKEN)
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#credentials-report")).to_contain_text("Connection works")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg.success")).to_contain_text("Store credentials saved (Access Token changed)")
    expect(page.locator("#auth-error")).to_have_count(0)
    expect(page.locator("#last-check")).to_contain_text("✓ passed")
    expect(page.locator("#credentials-activity")).to_contain_text("ops — Saved the store credentials (Access Token) — Test Connection passed.")
    assert NEW_TOKEN not in page.content()
    _both(page, shot, "creds-02-store-saved")

    page.goto(f"/connections/{world.pk}/")  # the notice is gone and the menu leads to both screens
    expect(page.locator(".msg.error")).to_have_count(0)
    page.get_by_text("Actions ▾").click()
    expect(page.locator("details.menu").get_by_role("link", name="Warehouse credentials")).to_be_visible()
    expect(page.locator("ul.check")).to_contain_text("Store: passed Test Connection")
    world.store.refresh_from_db()
    assert world.store.credentials["access_token"] == NEW_TOKEN


def test_administrator_accepts_a_changed_host_key_on_the_warehouse_screen(page, shot, login, world, tmp_path):
    from dockline.sandbox.sftpserver import SftpServer
    from dockline.warehouses.transports.sftp import fingerprint

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    with SftpServer(tmp_path, password="wms-Pa55word") as server:
        warehouse = world.warehouse
        warehouse.transport = "sftp"
        warehouse.credentials = {"host": server.host, "port": server.port, "username": server.username,
                                 "password": "an-old-password"}
        warehouse.settings = {"inbox": "/in", "outbox": "/out", "host_key": server.host_key_line}
        warehouse.save()
        new = fingerprint(server.rotate_host_key())
        login("ops", PASSWORD)
        page.goto(f"/connections/{world.pk}/warehouse/credentials/")
        page.fill("#c__password", server.password)
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#credentials-report")).to_contain_text("Connection failed")
        expect(page.locator("#credentials-report")).to_contain_text(new)
        page.check("#save_anyway")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".msg.warning")).to_contain_text("Warehouse credentials saved (Password changed)")
        box = page.locator("#offered-host-key")
        expect(box).to_contain_text("The server's host key has changed.")
        _both(page, shot, "creds-03-warehouse-host-key-changed")

        page.get_by_role("button", name=re.compile("Accept the new key")).click()
        expect(page).to_have_url(re.compile(r"/warehouse/credentials/"))
        expect(page.locator(".msg.success")).to_contain_text("accepted")
        page.get_by_role("button", name="Save").click()  # the saved values, tested again: now they pass
        expect(page.locator(".msg.success")).to_contain_text("Test Connection passed")
        expect(page.locator("#last-check")).to_contain_text("✓ passed")
        _both(page, shot, "creds-04-warehouse-key-accepted")
    warehouse.refresh_from_db()
    assert warehouse.credentials["password"] == "wms-Pa55word"


def test_wizard_reuses_a_warehouse_and_adds_a_failed_store_only_when_told(page, shot, login, world, bigcommerce):
    login("ops", PASSWORD)
    page.goto("/connections/new/")
    page.fill("#name", "Acme second store")
    page.get_by_role("button", name="Next →").click()
    page.select_option("#merchant_id", label="Acme Outfitters")
    page.get_by_role("button", name="Next →").click()

    page.get_by_label("Use an existing warehouse").check()
    expect(page.locator("#name")).to_be_hidden()
    page.select_option("#existing_id", str(world.warehouse_id))
    _both(page, shot, "creds-05-wizard-existing-warehouse")
    page.get_by_role("button", name="Next →").click()

    page.fill("#name", "Acme outlet")
    page.select_option("#platform", "bigcommerce")
    page.fill("#p_bigcommerce__store_hash", "acme")
    page.fill("#p_bigcommerce__access_token", "wrong-token-123456")
    page.fill("#s_bigcommerce__api_base", bigcommerce.base_url)
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#store-report")).to_contain_text("Connection failed")
    page.get_by_role("button", name="Next →").click()

    tests = page.locator("#wizard-tests")
    expect(tests.locator("[data-side=store]")).to_contain_text("Failed at")
    expect(tests.locator("[data-side=warehouse]")).to_contain_text("Not tested with these values")
    expect(page.locator("#wizard-tests .yes")).to_have_count(0)
    _both(page, shot, "creds-06-wizard-review-needs-add-anyway")
    page.get_by_role("button", name="Add Connection").click()
    expect(page.locator(".msg.error")).to_contain_text("Add anyway")
    page.get_by_label("Add anyway; it stays disabled").check()
    page.get_by_role("button", name="Add Connection").click()
    expect(page.locator(".msg.success")).to_contain_text("was added")
    checks = page.locator("ul.check")
    expect(checks).to_contain_text("Store: failed Test Connection")
    expect(checks).to_contain_text("Warehouse: never tested")
    expect(checks.locator("li.yes", has_text="Store and warehouse credentials")).to_have_count(0)
    _both(page, shot, "creds-07-checklist-real-result")
    added = Connection.objects.get(name="Acme second store")
    assert added.warehouse_id == world.warehouse_id and not added.enabled


def test_merchant_enters_credentials_through_a_one_time_link(page, shot, login, world, browser, live_server,
                                                              settings):
    settings.PUBLIC_URL = live_server.url
    login("ops", PASSWORD)
    page.goto(f"/connections/{world.pk}/store/credentials/")
    page.fill("#id_hours", "48")
    page.get_by_role("button", name="Create a credential link").click()
    link = page.locator("#new-link code").inner_text()
    expect(page.locator("#new-link")).to_contain_text("shown only once")
    _both(page, shot, "creds-08-link-created")

    merchant = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        them = merchant.new_page()
        them.goto(link)
        expect(them.get_by_role("heading", name="Store credentials for Riverside Fulfillment")).to_be_visible()
        assert "Acme → Riverside" not in them.content() and OLD_TOKEN not in them.content()
        them.fill("#c__store_hash", "acme")
        them.fill("#c__access_token", NEW_TOKEN)
        them.get_by_role("button", name="Test Connection").click()
        expect(them.locator("#credentials-report")).to_contain_text("Connection works")
        _merchant_shots(them, "creds-09-merchant-link")
        them.get_by_role("button", name="Send").click()
        expect(them.locator("#link-done")).to_contain_text("the credentials were received")
        _merchant_shots(them, "creds-10-merchant-done")
        them.goto(link)  # works once
        expect(them.locator("#link-refused")).to_contain_text("already used")
        _merchant_shots(them, "creds-11-link-used")
    finally:
        merchant.close()

    page.goto(f"/connections/{world.pk}/store/credentials/")
    expect(page.locator("#credentials-activity")).to_contain_text(
        "Acme Outfitters (credential link) — Credentials received from the merchant")
    expect(page.locator("#c__access_token")).to_have_attribute("placeholder", "kept: ••••••••9876")
    assert NEW_TOKEN not in page.content()
    expect(page.locator("#auth-error")).to_have_count(0)
    _both(page, shot, "creds-12-3pl-sees-masked-result")
    assert ConnectionActivity.objects.filter(connection=world, actor__contains="credential link").count() == 1


def test_acumatica_is_reauthorized_with_the_password_again(page, shot, login, world):
    from dockline.sandbox.acumatica import AcumaticaSandbox

    with AcumaticaSandbox(action_seconds=0.01) as sb:
        store = world.store
        store.platform, store.settings = "acumatica", {}
        store.credentials = {**sb.credentials, "password": "changed-since", "token": {"access_token": "stale"},
                             "reauth": {"fingerprint": "x", "at": "2026-12-01T00:00:00+00:00"}}
        store.save()
        Connection.objects.filter(pk=world.pk).update(
            store_auth_error="Acumatica refused Dockline's sign-in: enter the credentials again.")
        login("ops", PASSWORD)
        page.goto(f"/connections/{world.pk}/")
        page.get_by_role("link", name="Change the store credentials →").click()
        expect(page.locator("#reauth-note")).to_contain_text("password grant")
        page.fill("#c__password", sb.password)
        page.get_by_role("button", name="Test Connection").click()
        expect(page.locator("#credentials-report")).to_contain_text("Signed in to")
        _both(page, shot, "creds-13-acumatica-reauthorize")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".msg.success")).to_contain_text("Password changed")
        expect(page.locator("#auth-error")).to_have_count(0)
        store.refresh_from_db()
        assert store.credentials == sb.credentials and sb.password not in page.content()
