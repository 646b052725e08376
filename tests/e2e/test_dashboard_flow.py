"""A fulfillment provider's day in the browser: log in, add a connection through the wizard against the
sandboxes, enable it, watch orders close, map an unmapped SKU and see its held order flow."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Organization, Role
from dockline.connections.models import Channel, Connection
from dockline.orders.models import Order
from dockline.sandbox.bigcommerce.demo import BigCommerceDemoStore
from dockline.sandbox.demo import CATALOG, UNMAPPED_SKU, WAREHOUSE_STOCK, wait_until
from dockline.sandbox.wms import SimulatedWms

pytestmark = pytest.mark.integration
HAT_WAREHOUSE_SKU = "HAT-SUN-01"


@pytest.fixture
def sandboxes():
    store = BigCommerceDemoStore()
    store.start()
    for sku, name, price, _ in CATALOG:
        store.add_product(sku, name, price, tracked=True)
    store.add_product(*UNMAPPED_SKU, tracked=False)
    wms = SimulatedWms({**WAREHOUSE_STOCK, HAT_WAREHOUSE_SKU: 50}, ship_delay=0.0, partial_rate=0.0,
                       inventory_interval=1.0)
    wms.start()
    yield store, wms
    wms.stop()
    store.stop()


def _status_of(number: str) -> str | None:
    order = Order.objects.filter(number=number).first()
    return order.status if order else None


def _reload_until(page, url: str, text: str, timeout: float = 40) -> None:
    """Reload a page until it shows `text` (the engine works in the background)."""
    def shows() -> bool:
        page.goto(url)
        return text in page.content()

    assert wait_until(shows, timeout, interval=1.0), f"{url} never showed {text!r}"


def test_add_connection_enable_it_and_orders_close(page, shot, login, engine, sandboxes, tmp_path):
    store, wms = sandboxes
    org = Organization.objects.create(name="Riverside Fulfillment")
    user = get_user_model().objects.create_user("ops", password="correct-horse-9")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    shot("01-login")
    login("ops", "correct-horse-9")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    # ---- the wizard, step by step
    page.goto("/connections/")
    page.get_by_role("link", name="+ Add your first connection").click()
    page.fill("#name", "Acme → Riverside")
    shot("02-wizard-basic")
    page.get_by_role("button", name="Next →").click()

    page.get_by_label("A new merchant").check()
    page.fill("#new_name", "Acme Outfitters")
    shot("03-wizard-merchant")
    page.get_by_role("button", name="Next →").click()

    page.fill("#name", "Riverside 3PL")
    page.select_option("#transport", "ftp")
    page.fill("#t_ftp__host", wms.host)
    page.fill("#t_ftp__port", str(wms.port))
    page.fill("#t_ftp__username", wms.username)
    page.fill("#t_ftp__password", "not-the-password")
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#warehouse-report")).to_contain_text("Connection failed")
    shot("04-wizard-warehouse-test-failed")
    page.fill("#t_ftp__password", wms.password)
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#warehouse-report")).to_contain_text("Connection works")
    shot("05-wizard-warehouse-test-passed")
    page.get_by_role("button", name="Next →").click()

    page.fill("#name", "Acme on BigCommerce")
    options = page.locator("#platform option").all_inner_texts()
    assert "BigCommerce" in options  # every registered connector is offered
    page.select_option("#platform", "bigcommerce")
    creds = store.credentials
    page.fill("#p_bigcommerce__store_hash", creds["store_hash"])
    page.fill("#p_bigcommerce__access_token", "wrong-token")
    page.fill("#s_bigcommerce__api_base", store.settings["api_base"])
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#store-report")).to_contain_text("Connection failed")
    page.fill("#p_bigcommerce__access_token", creds["access_token"])
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#store-report")).to_contain_text("Connection works")
    shot("06-wizard-store")
    page.get_by_role("button", name="Next →").click()

    # Back keeps what was typed; the secret comes back masked, never in full.
    page.get_by_role("button", name="← Back").click()
    expect(page.locator("#name")).to_have_value("Acme on BigCommerce")
    expect(page.locator("#p_bigcommerce__access_token")).to_have_value("")
    token_hint = page.locator("#p_bigcommerce__access_token").get_attribute("placeholder")
    assert token_hint.endswith(creds["access_token"][-4:]) and creds["access_token"] not in token_hint
    assert creds["access_token"] not in page.content()
    page.get_by_role("button", name="Next →").click()
    assert creds["access_token"] not in page.content() and wms.password not in page.content()
    shot("07-wizard-review")
    page.get_by_role("button", name="Add Connection").click()

    expect(page.locator(".msg.success")).to_contain_text("was added")
    expect(page.locator(".page-head .state")).to_have_text("Disabled")
    connection = Connection.objects.get(name="Acme → Riverside")
    assert connection.store.credentials["access_token"] == creds["access_token"]
    assert connection.warehouse.credentials["password"] == wms.password
    shot("08-connection-new")

    # ---- mappings: listings by CSV import, a shipping rule by hand
    csv_file = tmp_path / "listings.csv"
    rows = ["store_sku,warehouse_sku,quantity"] + [
        f"{sku},{w},{q}" for sku, _, _, comps in CATALOG for w, q in comps]
    csv_file.write_text("\n".join(rows) + "\n")
    page.goto(f"/connections/{connection.pk}/listings/")
    page.set_input_files("input[type=file]", str(csv_file))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".msg.success")).to_contain_text("6 listing(s) imported")
    expect(page.locator("table")).to_contain_text("Bundle")
    shot("09-listings")
    page.goto(f"/connections/{connection.pk}/shipping/")
    page.fill("#store_method", "Flat Rate")
    page.fill("#carrier", "UPS")
    page.fill("#service", "GND")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("table")).to_contain_text("Flat Rate")

    # ---- orders in the store, then Enable from the Actions menu
    mapped = [store.place_order([("ACME-MUG", 1), ("ACME-CAMP-KIT", 1)], "Flat Rate"),
              store.place_order([("LANTERN-300", 2)], "Flat Rate")]
    held = store.place_order([("ACME-TEE-M", 1), (UNMAPPED_SKU[0], 1)], "Flat Rate")
    # Short schedules so the test sees a day's work in seconds (the UI's minimum is a minute).
    Channel.objects.filter(connection=connection).update(interval=timedelta(seconds=1))
    page.goto("/connections/")
    card = page.locator(".connection", has_text="Acme → Riverside")
    card.locator("summary", has_text="Actions").click()
    card.get_by_role("button", name="Enable").click()
    expect(page.locator(".msg.success")).to_contain_text("is enabled")
    expect(card.locator(".state")).to_have_text("Enabled")

    assert wait_until(lambda: all(_status_of(n) == "closed" for n in mapped), 45), \
        [(n, _status_of(n)) for n in mapped]
    page.goto("/orders/?status=closed")
    for number in mapped:
        expect(page.locator("table")).to_contain_text(f"#{number}")
    shot("10-orders")
    page.get_by_role("link", name=f"#{mapped[0]}").click()
    expect(page.locator("h1 .badge")).to_have_text("Closed")
    activity = page.locator(".card", has_text="Activity")
    expect(activity).to_contain_text("Every item has shipped.")  # Shipped ...
    expect(activity).to_contain_text("order closed")  # ... then Closed
    expect(page.locator(".card", has_text="Shipments").locator("a[href*='ups.com']").first).to_be_visible()
    shot("11-order-closed")

    # ---- the held order: Error until its SKU is mapped from "Needs mapping"
    assert wait_until(lambda: _status_of(held) == "error", 20)
    page.goto(f"/orders/?q={held}")
    expect(page.locator("table")).to_contain_text(f"SKU {UNMAPPED_SKU[0]} has no listing")
    page.goto("/mapping/needed/")
    row = page.locator("tr", has_text=UNMAPPED_SKU[0])
    shot("12-needs-mapping")
    row.get_by_placeholder(re.compile("Warehouse SKU")).fill(HAT_WAREHOUSE_SKU)
    row.get_by_role("button", name="Map").click()
    expect(page.locator(".msg.success")).to_contain_text("1 held order(s) are queued")
    expect(page.locator("table")).to_contain_text("Everything in recent orders is mapped.")
    assert wait_until(lambda: _status_of(held) == "closed", 45), _status_of(held)
    page.goto(f"/orders/?q={UNMAPPED_SKU[0]}")
    expect(page.locator("table .badge")).to_have_text("Closed")
    assert wms.received.get(held) == 1

    # ---- the other main pages, for the record
    page.goto("/")
    expect(page.locator("svg.chart rect").first).to_be_visible()
    shot("13-home")
    page.goto(f"/connections/{connection.pk}/")
    expect(page.locator(".check li.yes")).to_have_count(4)
    shot("14-connection-enabled")
    page.goto("/connections/")
    shot("15-connections")
    page.goto("/inventory/")
    expect(page.locator("table")).to_contain_text("ACME-CAMP-KIT")
    shot("16-inventory")
