"""A disabled connection of one organization, for tests of orders and what people do to them."""
import pytest

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Connection, Store
from dockline.warehouses.models import Warehouse


@pytest.fixture
def conn(db):
    org = Organization.objects.create(name="Riverside Fulfillment")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme store", platform="bigcommerce")
    warehouse = Warehouse.objects.create(organization=org, name="Riverside 3PL", credentials={"host": "127.0.0.1"})
    return Connection.objects.create(organization=org, name="Acme", merchant=merchant, store=store,
                                     warehouse=warehouse, enabled=False)
