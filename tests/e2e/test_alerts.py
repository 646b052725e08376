"""The alerts page in the browser: an open alert found by evaluation, the header badge, acknowledging
with a note (1366 px and 390 px)."""
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.alerts.services import evaluate_alerts
from dockline.connections.models import Connection, Store
from dockline.warehouses.models import Warehouse


def test_an_admin_sees_the_badge_acknowledges_the_alert_with_a_note_and_the_badge_clears(transactional_db, page,
                                                                                        login, shot):
    org = Organization.objects.create(name="Riverside Fulfillment")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme store", platform="bigcommerce",
                                 credentials={"store_hash": "x", "access_token": "t"})
    warehouse = Warehouse.objects.create(organization=org, name="Acme 3PL", credentials={"host": "127.0.0.1"})
    Connection.objects.create(organization=org, name="Acme connection", merchant=merchant, store=store,
                              warehouse=warehouse, enabled=True,
                              store_auth_error="BigCommerce refused Dockline's credentials (401 Unauthorized): "
                                               "check them in the store's settings.")
    user = get_user_model().objects.create_user("alice", email="alice@example.com", password="alice-pass-123")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    assert evaluate_alerts()["opened"] == 1  # the default policy: every condition, to the administrators

    login("alice", "alice-pass-123")
    badge = page.locator("#alerts-badge")
    expect(badge).to_contain_text("1")
    badge.click()
    card = page.locator(".alert").first
    expect(card).to_contain_text("Acme connection: the store needs re-authorization")
    expect(card).to_contain_text("What to do")
    page.set_viewport_size({"width": 1366, "height": 900})
    shot("alerts-open-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("alerts-open-390")

    card.get_by_label("Acknowledge with a note").fill("Asked Acme for a new API token; due by noon.")
    card.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".msg")).to_contain_text("Acknowledged")
    expect(page.locator("#tab-acknowledged")).to_have_class("on")
    expect(page.locator(".alert .note")).to_have_text("Asked Acme for a new API token; due by noon.")
    expect(page.locator("#alerts-badge span")).to_have_count(0)
    shot("alerts-acknowledged-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    shot("alerts-acknowledged-1366")
