"""A merchant user sees their own merchant's orders and nothing of another merchant's, in the browser."""
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order
from dockline.warehouses.models import Warehouse


def _merchant_with_order(org, name: str, number: str) -> tuple[Merchant, Order]:
    merchant = Merchant.objects.create(organization=org, name=name)
    store = Store.objects.create(organization=org, merchant=merchant, name=f"{name} shop", platform="bigcommerce")
    warehouse = Warehouse.objects.create(organization=org, name=f"{name} 3PL", credentials={"host": "127.0.0.1"})
    conn = Connection.objects.create(organization=org, name=f"{name} connection", merchant=merchant, store=store,
                                     warehouse=warehouse)
    now = timezone.now()
    order = Order.objects.create(connection=conn, store=store, external_id=number, number=number, placed_at=now,
                                 store_modified_at=now, status="error", error=f"SKU {name}-X has no listing")
    return merchant, order


def test_merchant_user_cannot_see_another_merchants_orders(transactional_db, page, login, shot):
    org = Organization.objects.create(name="Riverside Fulfillment")
    acme, own = _merchant_with_order(org, "Acme", "5001")
    _, other = _merchant_with_order(org, "Globex", "7002")
    user = get_user_model().objects.create_user("acme-user", password="acme-pass-123")
    Membership.objects.create(user=user, organization=org, role=Role.MERCHANT).merchants.add(acme)

    login("acme-user", "acme-pass-123")
    page.goto("/orders/")
    expect(page.locator("table")).to_contain_text("#5001")
    expect(page.locator("table")).not_to_contain_text("#7002")
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)  # merchant users only look
    shot("20-orders-as-merchant-user")

    assert page.goto(f"/orders/{own.pk}/").status == 200
    assert page.goto(f"/orders/{other.pk}/").status == 404
    assert page.goto(f"/connections/{other.connection_id}/").status == 404
    page.goto("/mapping/needed/")
    expect(page.locator("table")).not_to_contain_text("Globex")
