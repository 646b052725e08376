"""An organization with one enabled connection, a policy, and a real SMTP server on loopback."""
import socket

import pytest
from aiosmtpd.controller import Controller

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


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.PUBLIC_URL = "https://dockline.riverside.example"
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def fresh_inbox_listings(monkeypatch):
    """Each test lists inboxes afresh (the listings are kept for 15 minutes per warehouse server)."""
    from dockline.alerts import inbox

    monkeypatch.setattr(inbox, "_listings", {})
