"""The minimal dashboard: login, connections, orders, and who may see them."""
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order
from dockline.warehouses.models import Warehouse

pytestmark = pytest.mark.django_db


def _order(org, merchant_name, number):
    merchant = Merchant.objects.create(organization=org, name=merchant_name)
    store = Store.objects.create(organization=org, merchant=merchant, name=f"{merchant_name} store",
                                 platform="bigcommerce")
    wh = Warehouse.objects.create(organization=org, name=f"{merchant_name} wh", credentials={"host": "h"})
    conn = Connection.objects.create(organization=org, name=f"{merchant_name} conn", merchant=merchant,
                                     store=store, warehouse=wh)
    now = timezone.now()
    order = Order.objects.create(connection=conn, store=store, external_id=number, number=number,
                                 placed_at=now, store_modified_at=now)
    return merchant, order


def _login(client, org, role, merchants=()):
    user = get_user_model().objects.create_user(f"u-{role}", password="pw-123456789")
    membership = Membership.objects.create(user=user, organization=org, role=role)
    membership.merchants.set(merchants)
    client.force_login(user)


def test_pages_need_a_login(client):
    response = client.get("/orders/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_merchant_user_sees_only_their_own_orders(client):
    org = Organization.objects.create(name="3PL")
    acme, acme_order = _order(org, "Acme", "1001")
    _, other_order = _order(org, "Globex", "2002")
    _login(client, org, Role.MERCHANT, [acme])

    listing = client.get("/orders/").content.decode()
    assert "#1001" in listing and "#2002" not in listing
    assert client.get(f"/orders/{acme_order.pk}/").status_code == 200
    assert client.get(f"/orders/{other_order.pk}/").status_code == 404
    home = client.get("/connections/").content.decode()
    assert "Acme conn" in home and "Globex conn" not in home


def test_connections_page_shows_store_merchant_warehouse_and_state(client):
    org = Organization.objects.create(name="3PL")
    _order(org, "Acme", "1001")
    _login(client, org, Role.ADMIN)
    page = client.get("/connections/").content.decode()
    assert "Acme store — Acme — Acme wh" in page
    assert "Disabled" in page


def test_home_charts_orders_per_day_by_status(client):
    org = Organization.objects.create(name="3PL")
    _, order = _order(org, "Acme", "1001")
    Order.objects.filter(pk=order.pk).update(status="closed")
    _login(client, org, Role.ADMIN)
    page = client.get("/").content.decode()
    today = timezone.now().date()
    assert f"{today:%a} {today.day} {today:%b}: 1 Closed" in page  # the bar's tooltip
    assert "No orders in Error." in page


def test_connection_page_says_what_the_platform_cannot_take_and_runs_its_own_checks(
        client, org, make_connection, make_order, login_as):
    from dockline.inventory.models import StockLevel

    login_as(Role.ADMIN)
    oneshop = make_connection("Shop")
    oneshop.store.platform = "oneshoppingcart"
    oneshop.store.save()
    page = client.get(f"/connections/{oneshop.pk}/").content.decode()
    assert "1ShoppingCart cannot receive tracking" in page and "takes no stock updates" in page

    ultra = make_connection("Ultra")
    ultra.store.platform = "ultracart"
    ultra.store.save()
    make_order(ultra, "U-1", skus=("WIDGET-1", "GADGET-2"))
    StockLevel.objects.create(warehouse=ultra.warehouse, sku="WIDGET-1", on_hand=5, available=5)
    page = client.get(f"/connections/{ultra.pk}/").content.decode()
    assert "UltraCart SKUs must match the warehouse" in page
    assert "never reported 1 SKU(s) from imported orders: GADGET-2" in page
    assert "cannot receive tracking" not in page
