"""Two organizations, two merchants in the first, API keys, and a Manual connection to create orders on."""
import pytest
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.api.keys import issue_key
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order, OrderLine
from dockline.warehouses.models import Warehouse


def make_connection(org, merchant_name: str, platform: str = "bigcommerce") -> Connection:
    merchant, _ = Merchant.objects.get_or_create(organization=org, name=merchant_name)
    store = Store.objects.create(organization=org, merchant=merchant, name=f"{merchant_name} store",
                                 platform=platform, credentials={"store_hash": "x", "access_token": "t"},
                                 settings={"api_base": "http://127.0.0.1:9"})  # any call fails here, not outside
    warehouse = Warehouse.objects.create(organization=org, name=f"{merchant_name} 3PL",
                                         credentials={"host": "127.0.0.1", "password": "p"})
    return Connection.objects.create(organization=org, name=f"{merchant_name} connection", merchant=merchant,
                                     store=store, warehouse=warehouse)


def make_order(connection, number: str, placed_at=None, status: str = "new") -> Order:
    at = placed_at or timezone.now()
    order = Order.objects.create(connection=connection, store=connection.store, external_id=number, number=number,
                                 status=status, placed_at=at, store_modified_at=at,
                                 destinations=[{"ref": "1", "address": {}, "shipping_method": "Ground"}])
    OrderLine.objects.create(order=order, line_id="1", sku="MUG", name="Mug", quantity=1)
    return order


@pytest.fixture
def tenants(db):
    riverside = Organization.objects.create(name="Riverside Fulfillment")
    other = Organization.objects.create(name="Other 3PL")
    return {
        "org": riverside, "other_org": other,
        "acme": make_connection(riverside, "Acme"),
        "bolt": make_connection(riverside, "Bolt"),
        "manual": make_connection(riverside, "Acme", platform="manual"),
        "foreign": make_connection(other, "Foreign"),
    }


@pytest.fixture
def key_for(tenants):
    def make(*, writable: bool = True, merchants=(), org=None) -> str:
        return issue_key(org or tenants["org"], "test key", writable=writable, merchants=merchants)[1]

    return make


@pytest.fixture
def call(client):
    def request(method: str, path: str, token: str, body=None, **headers):
        kwargs = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(client, method.lower())(f"/api/v1{path}", **kwargs)

    return request


ORDER = {
    "number": "M-1001", "shipping_method": "Ground",
    "ship_to": {"name": "Ada Lovelace", "street1": "1 Main St", "city": "Springfield", "postal_code": "12345",
                "country": "us"},
    "lines": [{"sku": "MUG", "quantity": 2, "name": "Mug", "unit_price": "9.50"}],
}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Real hashing costs a second per password; these tests are about keys and scoping, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
