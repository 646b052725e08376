"""The rules page in the browser: an invalid condition refused with its position, the rule saved off,
its Test trace on a real order, and the list with its switch, at desktop and phone widths."""
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order, OrderLine
from dockline.rules.models import Rule
from dockline.warehouses.models import Warehouse

pytestmark = pytest.mark.integration
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture
def acme(transactional_db):
    org = Organization.objects.create(name="Riverside Fulfillment")
    user = get_user_model().objects.create_user("ops", password="correct-horse-9")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    merchant = Merchant.objects.create(organization=org, name="Acme Outfitters")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme on BigCommerce",
                                 platform="bigcommerce", credentials={"store_hash": "x", "access_token": "t"})
    warehouse = Warehouse.objects.create(organization=org, name="Riverside 3PL", credentials={"host": "127.0.0.1"})
    conn = Connection.objects.create(organization=org, name="Acme → Riverside", merchant=merchant, store=store,
                                     warehouse=warehouse)
    now = timezone.now()
    order = Order.objects.create(
        connection=conn, store=store, external_id="1042", number="1042", placed_at=now, store_modified_at=now,
        customer_email="ana@example.com", raw={"total_inc_tax": "129.00"},
        destinations=[{"ref": "1", "address": {"name": "Ana Lee", "street1": "PO Box 77", "city": "Austin",
                                               "postal_code": "78701", "country": "US"}, "shipping_method": "Flat Rate"}])
    OrderLine.objects.create(order=order, line_id="1", sku="ACME-CAMP-KIT", name="Camp Kit", quantity=3,
                             unit_price="36.00")
    return order


def _at(page, shot, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        shot(f"rules-{name}-{width}")
        assert label  # both widths written


def test_a_rule_is_refused_then_saved_off_and_its_test_trace_shows_each_condition(page, shot, login, acme):
    login("ops", "correct-horse-9")
    page.goto("/rules/new/")
    page.fill("#id_name", "Thank-you card over $100")
    page.fill("#id_conditions", "order.total > 100.0\norder.ship_to.street1.matches(\"(?i)^p\\.?o\\.? box\"")
    page.fill("#id_actions", "add_item: CARD-THANKS 1 Thank-you card\nadd_tag: big-order")
    page.click("button.primary")
    expect(page.get_by_role("alert")).to_contain_text("Condition 2")
    expect(page.get_by_role("alert")).to_contain_text("line 1, column")
    _at(page, shot, "refused")
    assert not Rule.objects.exists()

    page.fill("#id_conditions", "order.total > 100.0\norder.ship_to.street1.matches(\"(?i)^p\\.?o\\.? box\")\n"
                                '"GIFT-WRAP" in order.skus')
    page.click("button.primary")
    expect(page.get_by_role("heading", name="Test “Thank-you card over $100”")).to_be_visible()
    assert Rule.objects.get().active is False

    page.fill("#order", "1042")
    page.get_by_role("button", name="Test").click()
    trace = page.locator("#trace")
    expect(trace).to_contain_text("The rule is inactive")
    expect(trace.locator("tr", has_text="order.total > 100.0")).to_contain_text("true")
    expect(trace.locator("tr", has_text="GIFT-WRAP")).to_contain_text("false")
    expect(trace).to_contain_text("The rule would not act")
    expect(trace).to_contain_text("add 1 × CARD-THANKS (Thank-you card)")
    _at(page, shot, "test-trace")
    assert acme.lines.count() == 1 and acme.tags == []

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/rules/")
    page.get_by_role("button", name="Switch Thank-you card over $100 on").click()
    expect(page.get_by_text("is on.")).to_be_visible()
    _at(page, shot, "list")
    assert Rule.objects.get().active is True
