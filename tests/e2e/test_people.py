"""An administrator invites a staff member in the browser, and the invitee joins through the link (1366 px)."""
from pathlib import Path

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(page, name: str) -> None:
    """A full-page screenshot of this test's own page (the shared `shot` fixture shoots the shared page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_admin_invites_staff_and_the_invitee_joins_with_the_link_once(transactional_db, browser, live_server,
                                                                       settings):
    settings.PUBLIC_URL = live_server.url
    org = Organization.objects.create(name="Riverside Fulfillment")
    Merchant.objects.create(organization=org, name="Acme")
    Merchant.objects.create(organization=org, name="Globex")
    admin = get_user_model().objects.create_user("alice", email="alice@example.com", password="alice-pass-123")
    Membership.objects.create(user=admin, organization=org, role=Role.ADMIN)

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.get_by_role("link", name="People").click()
    page.fill("#id_email", "bob@example.com")
    page.select_option("#id_role", "staff")
    page.locator("#invite").get_by_label("Acme").check()
    page.get_by_role("button", name="Invite").click()
    expect(page.locator(".msg")).to_contain_text("shown only this once")
    expect(page.locator("#invitations")).to_contain_text("bob@example.com")
    link = page.locator("#link-once input").input_value()
    assert link.startswith(f"{live_server.url}/invite/")
    page.get_by_text("Change…").click()
    shot(page, "60-people-invitation-link")
    context.close()

    guest = browser.new_context(viewport={"width": 1366, "height": 900})
    guest.set_default_timeout(15_000)
    page = guest.new_page()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Join Riverside Fulfillment")
    shot(page, "61-invite-accept")
    page.fill("#id_username", "bob")
    page.fill("#id_password1", "bob-passphrase-456")
    page.fill("#id_password2", "bob-passphrase-456")
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".msg")).to_contain_text("Welcome to Riverside Fulfillment: you are staff")
    expect(page.locator("nav")).not_to_contain_text("People")
    member = Membership.objects.get(user__username="bob")
    assert member.role == Role.STAFF and [m.name for m in member.merchants.all()] == ["Acme"]

    assert page.goto(link).status == 410
    expect(page.locator(".card")).to_contain_text("This invitation has been used already")
    shot(page, "62-invite-used")
    guest.close()
