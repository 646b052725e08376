"""The orders screens in Chromium, at 1366 and 390 px: cursor pages, search, CSV export, the order page,
actions offered by status with per-order outcomes, and the list and home refreshing while orders move."""
import csv
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order, OrderLine
from dockline.shipments.models import Package, Shipment
from dockline.warehouses.models import Warehouse

WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


def world(n: int = 130) -> Connection:
    org = Organization.objects.create(name="Riverside Fulfillment")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme store", platform="bigcommerce",
                                 credentials={"store_hash": "x", "access_token": "t"})
    warehouse = Warehouse.objects.create(organization=org, name="Acme 3PL", credentials={"host": "127.0.0.1"})
    conn = Connection.objects.create(organization=org, name="Acme connection", merchant=merchant, store=store,
                                     warehouse=warehouse)
    user = get_user_model().objects.create_user("olga", password="olga-pass-123")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    now = timezone.now()
    statuses = ["closed", "closed", "open", "error"]
    orders = Order.objects.bulk_create(
        Order(connection=conn, store=store, external_id=str(i), number=str(1000 + i), status=statuses[i % 4],
              placed_at=now - timedelta(minutes=n - i), store_modified_at=now,
              customer_name=f"{['Ann', 'Ben', 'Cleo'][i % 3]} Buyer{i}", customer_email=f"buyer{i}@example.com",
              error="SKU NOPE has no listing: map it under Listings." if statuses[i % 4] == "error" else "",
              destinations=[{"ref": "1", "shipping_method": "Ground", "address": {
                  "name": f"Receiver {i}", "company": "", "street1": f"{i} Dock Rd", "street2": "Suite 4",
                  "city": "Reno", "state": "NV", "postal_code": "89501", "country": "US",
                  "phone": "+1 775 555 0199"}}])
        for i in range(n))
    OrderLine.objects.bulk_create(OrderLine(order=o, line_id="1", sku="NOPE" if o.status == "error" else "ACME-MUG",
                                            name="Mug", quantity=1) for o in orders)
    for o in orders[-8:]:
        if o.status == "closed":
            s = Shipment.objects.create(order=o, warehouse=warehouse, warehouse_shipment_id=f"S{o.pk}",
                                        shipped_at=now, carrier="UPS")
            Package.objects.create(shipment=s, tracking_number=f"1Z9999{o.pk:08d}")
    return conn


def both(page, shot, name: str) -> None:
    """Screenshots at 1366 and at 390 px wide, back to 1366 after."""
    page.set_viewport_size(WIDE)
    shot(f"{name}-1366")
    page.set_viewport_size(PHONE)
    shot(f"{name}-390")
    page.set_viewport_size(WIDE)


def test_orders_list_pages_by_cursor_searches_and_exports_what_it_shows(page, shot, login, tmp_path):
    world()
    login("olga", "olga-pass-123")
    page.set_viewport_size(WIDE)
    page.goto("/orders/")
    rows = page.locator("table.orders tr:has(td a)")
    expect(rows).to_have_count(50)
    expect(page.locator("#orders-count")).to_have_text("130 orders")
    expect(rows.first).to_contain_text("#1129")
    expect(rows.first).to_contain_text("Reno, NV US")
    expect(page.locator("table.orders")).to_contain_text("1Z9999")  # the tracking column
    both(page, shot, "70-orders-list")
    page.click("#older")
    page.click("#older")
    expect(rows).to_have_count(30)
    expect(rows.last).to_contain_text("#1000")  # the oldest order is reachable
    expect(page.locator("#older")).to_have_count(0)
    both(page, shot, "71-orders-last-page")
    page.click("#newer")
    expect(rows.first).to_contain_text("#1079")

    page.goto("/orders/")
    page.fill("#f-q", "cleo buyer5")
    page.click("#filters button.primary")
    expect(rows).to_have_count(5)  # Cleo Buyer5, 50, 53, 56 and 59: the start of the name, any case
    page.fill("#f-q", "buyer77@example.com")
    page.click("#filters button.primary")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("#1077")
    both(page, shot, "72-orders-search-email")

    page.goto("/orders/?status=error")
    with page.expect_download() as download:
        page.click("#export")
    path = tmp_path / "orders.csv"
    download.value.save_as(path)
    exported = list(csv.reader(path.open()))
    assert exported[0][0] == "Order" and len(exported) == 1 + 32
    assert {r[3] for r in exported[1:]} == {"Error"}


def test_order_page_shows_the_ship_to_and_customer_and_offers_what_the_status_allows(page, shot, login):
    conn = world(8)
    closed = Order.objects.filter(connection=conn, status="closed").order_by("-placed_at").first()
    stuck = Order.objects.filter(connection=conn, status="error").first()
    login("olga", "olga-pass-123")
    page.goto(f"/orders/{closed.pk}/")
    expect(page.locator("#ship-to")).to_contain_text("Suite 4")
    expect(page.locator("#ship-to")).to_contain_text("Reno, NV 89501")
    expect(page.locator("#ship-to")).to_contain_text("+1 775 555 0199")
    expect(page.locator("#customer")).to_contain_text(closed.customer_email)
    expect(page.locator("#order-actions button")).to_have_text(["Archive"])
    both(page, shot, "73-order-closed")
    page.goto(f"/orders/{stuck.pk}/")
    expect(page.locator("#order-actions button")).to_have_text(["Reprocess", "Reset to New", "Archive", "Cancel order"])
    page.get_by_role("button", name="Reprocess").click()
    expect(page.locator(".msg.error").first).to_contain_text(f"#{stuck.number} went back to Error: ")
    both(page, shot, "74-order-reprocess-back-to-error")


def test_bulk_actions_are_live_only_for_ticked_orders_that_allow_them_and_report_each(page, shot, login):
    conn = world(8)
    login("olga", "olga-pass-123")
    page.goto("/orders/")
    reprocess = page.locator("#bulk button[value=reprocess]")
    expect(reprocess).to_be_disabled()
    closed = Order.objects.filter(connection=conn, status="closed").first()
    stuck = list(Order.objects.filter(connection=conn, status="error").order_by("id"))
    page.get_by_label(f"Tick #{closed.number}").check()
    expect(reprocess).to_be_disabled()  # a Closed order cannot be reprocessed
    expect(page.locator("#bulk button[value=archive]")).to_be_enabled()
    for o in stuck:
        page.get_by_label(f"Tick #{o.number}").check()
    expect(reprocess).to_be_enabled()
    both(page, shot, "75-orders-bulk-ticked")
    reprocess.click()
    expect(page.locator(".msg.warning")).to_contain_text("Reprocess on 3 order(s): 2 now Error, 1 refused.")
    expect(page.locator(".messages")).to_contain_text(f"#{stuck[0].number} went back to Error: SKU NOPE")
    expect(page.locator(".messages")).to_contain_text(f"#{closed.number} is Closed; only")
    both(page, shot, "76-orders-bulk-outcomes")


def test_orders_list_and_home_refresh_while_orders_move(page, shot, login):
    conn = world(8)
    login("olga", "olga-pass-123")
    stuck = list(Order.objects.filter(connection=conn, status="error").order_by("id"))
    in_error = page.locator("#home-live .stat a[href$='status=error'] strong")
    expect(in_error).to_have_text("2")
    Order.objects.filter(pk=stuck[0].pk).update(status="queued", error="")
    expect(in_error).to_have_text("1", timeout=12_000)
    both(page, shot, "77-home-live")

    page.goto("/orders/?status=error")
    page.evaluate("window.scrollTo(0, 120)")
    expect(page.locator("table.orders tr:has(td a)")).to_have_count(1)
    Order.objects.filter(pk=stuck[0].pk).update(status="error", error="Stopped again.")
    expect(page.locator("table.orders tr:has(td a)")).to_have_count(2, timeout=12_000)
    assert page.url.endswith("/orders/?status=error")  # the filter stayed
    expect(page.locator("#f-status")).to_have_value("error")
    both(page, shot, "78-orders-live")
