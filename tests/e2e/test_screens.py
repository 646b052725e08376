"""Issue 16's screens in Chromium, each at 1366 and 390 pixels wide (screenshots in test-artifacts/screenshots/):
schedules and runs, natural intervals that a rename keeps, honest screens, local times, phone layout, and what
to map an unmapped SKU to."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Channel, ChannelKind, Connection, Store
from dockline.inventory.models import StockLevel
from dockline.mapping.models import Listing, ListingComponent
from dockline.orders.models import Order, OrderLine
from dockline.orders.status import OrderStatus
from dockline.sync.models import SyncRun
from dockline.warehouses.models import Warehouse

WIDE, PHONE = 1366, 390


@pytest.fixture
def world(transactional_db):
    org = Organization.objects.create(name="Riverside Fulfillment", time_zone="America/Chicago")
    user = get_user_model().objects.create_user("ops", password="correct-horse-9")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    merchant = Merchant.objects.create(organization=org, name="Acme Outfitters")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme on BigCommerce",
                                 platform="bigcommerce", credentials={"store_hash": "acme", "access_token": "t" * 32},
                                 settings={"api_base": "http://127.0.0.1:1"})
    warehouse = Warehouse.objects.create(organization=org, name="Riverside 3PL",
                                         credentials={"host": "127.0.0.1", "password": "p"})
    conn = Connection.objects.create(organization=org, name="Acme → Riverside", merchant=merchant, store=store,
                                     warehouse=warehouse, enabled=True)
    Channel.objects.filter(connection=conn).update(interval=timedelta(seconds=5))
    now = timezone.now()
    failures = {ChannelKind.ORDERS: "BigCommerce rejected the access token (401). Check the Access Token, and "
                                    "that the API account belongs to store hash 'acme'.",
                ChannelKind.SHIPMENTS: "The warehouse's FTP server refused the login (530).", ChannelKind.INVENTORY: ""}
    channels = {ch.kind: ch for ch in conn.channels.all()}
    runs = []
    for i in reversed(range(30)):  # oldest first, as runs happen; the newest 3 of orders and shipments fail
        for kind, error in failures.items():
            failed = bool(error) and i < 3
            started = now - timedelta(minutes=5 * i, seconds=10 * len(runs) % 30)
            runs.append(SyncRun(channel=channels[kind], started_at=started, finished_at=started + timedelta(seconds=2),
                                ok=not failed, error=error if failed else "",
                                counts={} if failed else {"imported": i % 4, "sent": i % 3}))
    SyncRun.objects.bulk_create(runs)
    Channel.objects.filter(connection=conn, kind=ChannelKind.INVENTORY).update(next_run_at=now + timedelta(minutes=4))
    listing = Listing.objects.create(connection=conn, store_sku="ACME-MUG")
    ListingComponent.objects.create(listing=listing, warehouse_sku="MUG-ENML-01", quantity=1)
    for sku in ("MUG-ENML-01", "LANTERN-300", "HAT-SUN-01"):
        StockLevel.objects.create(warehouse=warehouse, sku=sku, on_hand=50, available=50)
    for n in range(6):
        order = Order.objects.create(
            connection=conn, store=store, external_id=str(100 + n), number=str(100 + n),
            status=OrderStatus.ERROR if n == 0 else OrderStatus.CLOSED, placed_at=now - timedelta(days=n * 2),
            store_modified_at=now, destinations=[{"ref": "1", "address": {"name": "Dana Whitfield", "city": "Portland"},
                                                 "shipping_method": "Flat Rate"}])
        OrderLine.objects.create(order=order, line_id="1", sku="ACME-HAT" if n == 0 else "ACME-MUG",
                                 name="Sun Hat" if n == 0 else "Camp Mug", quantity=1)
    return conn


@pytest.fixture
def both(page, shot):
    """Screenshot the page at 1366 and at 390 wide; at 390 nothing may scroll sideways."""
    def take(name: str, wide: bool = True) -> None:
        if wide:
            page.set_viewport_size({"width": WIDE, "height": 900})
            shot(f"16-{name}-1366")
        page.set_viewport_size({"width": PHONE, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE, f"{name} scrolls sideways at {PHONE} px: {width} px wide"
        shot(f"16-{name}-390")
        page.set_viewport_size({"width": WIDE, "height": 900})

    return take


def test_a_channel_shows_its_next_run_and_paged_history_and_runs_opens_as_a_full_page(page, login, both, world):
    login("ops", "correct-horse-9")
    page.goto(f"/connections/{world.pk}/")
    orders = page.locator(f"#runs-{world.pk} tr[data-channel=orders]")
    expect(orders.locator(".next-run")).to_contain_text("due now")
    expect(page.locator(f"#runs-{world.pk} tr[data-channel=inventory] .next-run")).to_contain_text(re.compile(r"in \d\xa0minutes · \d\d:\d\d"))
    expect(page.locator("#history")).to_contain_text("imported")
    with page.expect_response(lambda r: r.url.endswith(f"/connections/{world.pk}/runs/")) as refreshed:
        pass  # htmx refreshes the channels table every 5 s with the fragment, not a page inside the page
    assert "<html" not in refreshed.value.text()
    expect(page.locator("header")).to_have_count(1)
    expect(page.locator(f"#runs-{world.pk}")).to_have_count(1)
    both("schedule-connection")
    page.goto(f"/connections/{world.pk}/runs/?channel=shipments")
    expect(page.locator("header nav")).to_be_visible()  # a whole page, styled, not a bare fragment
    expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
    expect(page.locator("#history table")).to_contain_text("refused the login (530)")
    expect(page.locator("#history table")).not_to_contain_text("access token")
    page.get_by_role("link", name="Older runs →").click()
    expect(page.locator("#history tr")).to_have_count(11)  # the oldest 10 of 30 shipments runs, and the header
    both("schedule-runs-page")


def test_renaming_in_the_browser_keeps_5_second_intervals(page, login, both, world):
    login("ops", "correct-horse-9")
    page.goto(f"/connections/{world.pk}/#settings")
    expect(page.locator("select[name=orders_every_unit]")).to_have_value("seconds")
    both("intervals-form")
    page.fill("#name", "Acme → Riverside (main)")
    page.locator("#settings").get_by_role("button", name="Save").click()
    expect(page.locator(".msg.success")).to_have_text("Settings saved.")
    assert set(world.channels.values_list("interval", flat=True)) == {timedelta(seconds=5)}
    expect(page.locator(f"#runs-{world.pk}")).to_contain_text("5 seconds")
    page.select_option("select[name=shipments_every_unit]", "hours")
    page.fill("input[name=shipments_every]", "4")
    page.locator("#settings").get_by_role("button", name="Save").click()
    expect(page.locator(f"#runs-{world.pk} tr[data-channel=shipments]")).to_contain_text("4 hours")
    both("intervals-saved")


def test_honest_screens_health_disabled_sync_and_delete_confirmation(page, login, both, world):
    login("ops", "correct-horse-9")
    page.goto("/connections/")
    expect(page.locator(".state")).to_have_text("Enabled · failing: orders, shipments")
    both("health-list")
    Connection.objects.filter(pk=world.pk).update(enabled=False)
    page.goto(f"/connections/{world.pk}/")
    page.locator("details.menu summary").click()
    page.get_by_role("button", name="Sync orders now").click()
    expect(page.locator(".msg.warning")).to_contain_text("is disabled: the sync of orders will not run until you enable it")
    expect(page.locator(".msg")).not_to_contain_text("starts within seconds")
    both("sync-disabled")

    page.goto(f"/connections/{world.pk}/listings/")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Delete listing ACME-MUG").click()
    assert asked and "ACME-MUG" in asked[0]
    expect(page.locator("table")).to_contain_text("ACME-MUG")  # dismissed: still there
    both("listing-before-delete")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete listing ACME-MUG").click()
    expect(page.locator(".msg.success")).to_contain_text("Listing ACME-MUG deleted")


def test_times_show_in_the_readers_zone_with_utc_on_hover_and_the_chart_names_days(page, login, both, world):
    login("ops", "correct-horse-9")
    page.goto(f"/connections/{world.pk}/runs/")
    first = page.locator("#history time").first
    assert first.get_attribute("title").endswith(" UTC") and first.get_attribute("datetime").endswith("Z")
    expect(page.locator(".page-head")).to_contain_text("times in America/Chicago")
    page.goto("/account/")
    page.select_option("#id_time_zone", "Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".msg.success")).to_contain_text("times show in Asia/Tokyo")
    expect(page.locator("#now")).to_contain_text("JST")
    both("account-time-zone")
    page.goto("/")
    labels = page.locator("svg.chart text").evaluate_all("els => els.map(e => e.textContent)")
    today = timezone.now().astimezone(ZoneInfo("Asia/Tokyo")).date()
    assert f"{today:%a} {today.day} {today:%b}" in labels, labels
    both("home-chart")


def test_every_main_page_fits_a_phone_and_its_navigation_shows_every_item(page, login, both, world):
    login("ops", "correct-horse-9")
    order = Order.objects.get(number="100")
    pages = {"home": "/", "connections": "/connections/", "connection": f"/connections/{world.pk}/",
             "orders": "/orders/", "order": f"/orders/{order.pk}/", "needs-mapping": "/mapping/needed/",
             "inventory": "/inventory/", "listings": f"/connections/{world.pk}/listings/",
             "shipping": f"/connections/{world.pk}/shipping/", "people": "/people/", "account": "/account/",
             "wizard": "/connections/new/"}
    for name, url in pages.items():
        page.set_viewport_size({"width": PHONE, "height": 844})
        page.goto(url)
        for item in ("Home", "Connections", "Orders", "Needs mapping", "Inventory", "People"):
            box = page.locator("header nav").get_by_role("link", name=item, exact=True).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE, (name, item, box)
        logout = page.get_by_role("button", name="Log out").bounding_box()
        assert logout and logout["x"] + logout["width"] <= PHONE, (name, logout)
        both(f"phone-{name}", wide=name in ("orders", "order", "people", "wizard"))


def test_needs_mapping_says_what_to_map_the_unmapped_sku_to(page, login, both, world):
    login("ops", "correct-horse-9")
    page.goto("/mapping/needed/")
    row = page.locator("tr", has_text="ACME-HAT")
    expect(row.locator(".unlisted")).to_contain_text("HAT-SUN-01, LANTERN-300")  # the likeliest first
    expect(row.locator(".unlisted")).not_to_contain_text("MUG-ENML-01")  # already picked by a listing
    both("needs-mapping-hint")
