"""An administrator makes an API key in the browser, copies it once, and a script uses it (1366 and 390 px)."""
from pathlib import Path

import httpx
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def test_an_administrator_makes_a_key_in_the_browser_and_a_script_reads_with_it(transactional_db, browser,
                                                                                  live_server):
    org = Organization.objects.create(name="Riverside Fulfillment")
    Merchant.objects.create(organization=org, name="Acme")
    admin = get_user_model().objects.create_user("alice", password="alice-pass-123")
    Membership.objects.create(user=admin, organization=org, role=Role.ADMIN)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.get_by_role("link", name="API keys").click()
    page.fill("#id_name", "ERP nightly export")
    page.get_by_role("button", name="Make key").click()
    expect(page.locator("#new-token")).to_be_visible()
    token = page.locator("#new-token").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "api-keys-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "api-keys-390.png"), full_page=True)

    answer = httpx.get(f"{live_server.url}/api/v1/connections", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json() == []
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    expect(page.locator("table")).to_contain_text("read-only")
    context.close()
