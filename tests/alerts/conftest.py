"""An organization with one enabled connection, a policy, and the real SMTP server on loopback."""

import pytest

from dockline.accounts.models import Merchant, Organization
from dockline.alerts.models import AlertPolicy
from dockline.alerts.status import Condition
from dockline.connections.models import Connection, Store
from dockline.warehouses.models import Warehouse


@pytest.fixture
def org(db):
    return Organization.objects.create(name="Riverside Fulfillment")


@pytest.fixture
def connection(org):
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme store", platform="bigcommerce",
                                 credentials={"store_hash": "x", "access_token": "t"})
    warehouse = Warehouse.objects.create(organization=org, name="Acme 3PL", credentials={"host": "127.0.0.1"})
    return Connection.objects.create(organization=org, name="Acme connection", merchant=merchant, store=store,
                                     warehouse=warehouse, enabled=True)


@pytest.fixture
def policy(org):
    def make(*conditions: Condition, **fields) -> AlertPolicy:
        return AlertPolicy.objects.create(organization=org, name="Ops", conditions=list(conditions),
                                          recipients="ops@riverside.example", **fields)

    return make




@pytest.fixture
def smtp(smtp, settings):
    """The shared loopback SMTP server (tests/conftest.py), with the public address the mails link to."""
    settings.PUBLIC_URL = "https://dockline.riverside.example"
    return smtp


@pytest.fixture(autouse=True)
def fresh_inbox_listings(monkeypatch):
    """Each test lists inboxes afresh (the listings are kept for 15 minutes per warehouse server)."""
    from dockline.alerts import inbox

    monkeypatch.setattr(inbox, "_listings", {})
