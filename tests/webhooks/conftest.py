"""A connection with its webhook endpoint, and deliveries posted through Django's test client."""
import json

import pytest


@pytest.fixture
def connection(db):
    from dockline.accounts.models import Merchant, Organization
    from dockline.connections.models import Connection, Store
    from dockline.warehouses.models import Warehouse

    org = Organization.objects.create(name="Org")
    merchant = Merchant.objects.create(organization=org, name="Merchant")
    store = Store.objects.create(organization=org, merchant=merchant, name="Shop", platform="bigcommerce",
                                 credentials={"store_hash": "abc", "access_token": "t"}, settings={})
    warehouse = Warehouse.objects.create(organization=org, name="WH", credentials={"host": "127.0.0.1"})
    conn = Connection.objects.create(organization=org, name="Shop → WH", merchant=merchant, store=store,
                                     warehouse=warehouse, enabled=True)
    return conn


@pytest.fixture
def post_hook(client):
    """post_hook(url, payload, headers) -> response, as BigCommerce would deliver it."""

    def post(url: str, payload: dict, headers: dict | None = None):
        return client.post(url, data=json.dumps(payload), content_type="application/json",
                           headers=headers or {})

    return post
