"""Helpers for the dashboard's server-side tests: an organization, connections, orders, signed-in users."""
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dockline.accounts.models import Membership, Merchant, Organization
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order, OrderLine
from dockline.warehouses.models import Warehouse


@pytest.fixture
def org(db):
    return Organization.objects.create(name="Riverside Fulfillment")


@pytest.fixture
def make_connection(org):
    def make(name: str = "Acme") -> Connection:
        merchant, _ = Merchant.objects.get_or_create(organization=org, name=name)
        store = Store.objects.create(organization=org, merchant=merchant, name=f"{name} store",
                                     platform="bigcommerce", credentials={"store_hash": "x", "access_token": "t"})
        warehouse = Warehouse.objects.create(organization=org, name=f"{name} 3PL",
                                             credentials={"host": "127.0.0.1", "password": "p"})
        return Connection.objects.create(organization=org, name=f"{name} connection", merchant=merchant,
                                         store=store, warehouse=warehouse)

    return make


@pytest.fixture
def make_order():
    def make(connection, number: str, skus=("SKU-1",), method: str = "Flat Rate", status: str = "new") -> Order:
        now = timezone.now()
        order = Order.objects.create(
            connection=connection, store=connection.store, external_id=number, number=number, status=status,
            placed_at=now, store_modified_at=now, destinations=[{"ref": "1", "address": {}, "shipping_method": method}],
        )
        for i, sku in enumerate(skus):
            OrderLine.objects.create(order=order, line_id=str(i), sku=sku, name=f"Item {sku}", quantity=1)
        return order

    return make


@pytest.fixture
def login_as(client, org):
    def login(role: str, merchants=(), username: str | None = None):
        user = get_user_model().objects.create_user(username or f"user-{role}", password="pw-long-enough-1")
        Membership.objects.create(user=user, organization=org, role=role).merchants.set(merchants)
        client.force_login(user)
        return user

    return login


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Real hashing costs a second per password; these tests are about who sees what, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
