"""End to end: enabling a connection registers BigCommerce hooks; a placed order arrives by webhook
within seconds, though the orders channel would not poll for an hour; disabling removes the hooks.
BigCommerce delivers only to https on port 443: Dockline's public address is https://dockline.test,
which the sandbox resolves to the test's live server; with an address it cannot deliver to, Enable
says webhooks are off and polling carries the load."""
import time

import pytest

from dockline.connections.services import disable, enable
from dockline.orders.models import Order
from dockline.sandbox.demo import wait_until
from dockline.sync.runners import Dispatcher, LocalRunner
from dockline.webhooks.models import WebhookDelivery
from dockline.webhooks.services import SECRET_HEADER


@pytest.fixture
def scheduler():
    runner = LocalRunner(workers=2)
    dispatcher = Dispatcher(runner, tick=0.2)
    dispatcher.start()
    yield dispatcher
    dispatcher.stop()
    dispatcher.join(timeout=5)
    runner.shutdown()


PUBLIC = "https://dockline.test"


@pytest.fixture
def hooked(world, live_server, settings):
    settings.PUBLIC_URL = PUBLIC
    world.store.sandbox.webhooks.resolve["dockline.test"] = live_server.url
    assert enable(world.connection) == ""
    return world


def test_enable_registers_the_order_hooks_with_a_secret(hooked):
    sandbox = hooked.store.sandbox
    hooks = sorted(sandbox.store.hooks.values(), key=lambda h: h["scope"])
    assert [h["scope"] for h in hooks] == ["store/order/created", "store/order/statusUpdated"]
    destination = f"{PUBLIC}/hooks/bigcommerce/{hooked.connection.id}/"
    assert {h["destination"] for h in hooks} == {destination}
    assert all(h["is_active"] and len(h["headers"][SECRET_HEADER]) >= 32 for h in hooks)
    enable(hooked.connection)  # enabling again repairs rather than duplicates
    assert len(sandbox.store.hooks) == 2

    disable(hooked.connection)
    assert sandbox.store.hooks == {}


def test_order_is_imported_within_seconds_of_being_placed(hooked, scheduler):
    channel = hooked.connection.channels.get(kind="orders")
    assert channel.interval.total_seconds() == 3600  # polling alone would take up to an hour
    # let the run that enabling started finish, so only the webhook can bring the next order
    assert wait_until(lambda: hooked.connection.channels.get(kind="orders").last_run_at is not None, timeout=10)
    placed = time.monotonic()
    number = hooked.place_order()
    assert wait_until(lambda: Order.objects.filter(external_id=number).exists(), timeout=8, interval=0.1)
    assert time.monotonic() - placed < 8
    assert WebhookDelivery.objects.filter(connection=hooked.connection, verified=True,
                                          topic="store/order/created").exists()


def test_a_webhook_delivered_twice_imports_the_order_once(hooked, scheduler):
    sandbox = hooked.store.sandbox
    sandbox.webhooks.repeat = 2
    number = hooked.place_order()
    assert wait_until(lambda: Order.objects.filter(external_id=number).exists(), timeout=8, interval=0.1)
    assert wait_until(sandbox.webhooks.idle, timeout=5)
    created = WebhookDelivery.objects.get(connection=hooked.connection, topic="store/order/created")
    assert created.duplicates == 1
    assert Order.objects.filter(external_id=number).count() == 1


def test_enable_with_an_http_public_address_says_webhooks_are_off_and_polling_brings_the_orders(world, settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    note = enable(world.connection)
    assert note.startswith("Webhooks are off: BigCommerce delivers them only to https addresses on port 443")
    assert "(DOCKLINE_PUBLIC_URL) is http://127.0.0.1:8000" in note
    assert note.endswith("Until then new orders arrive by polling, every 1 hour.")
    assert world.store.sandbox.store.hooks == {}
    world.connection.refresh_from_db()
    assert world.connection.enabled


def test_the_enable_button_shows_why_webhooks_are_off(world, settings, client):
    settings.PUBLIC_URL = "https://dockline.example:8443"
    world.connection.enabled = False
    world.connection.save(update_fields=["enabled"])
    assert client.login(username=world.username, password=world.password)
    page = client.post(f"/connections/{world.connection.id}/enable/", follow=True).content.decode()
    assert "is enabled" in page
    assert "Webhooks are off" in page and "https://dockline.example:8443" in page and "every 1 hour" in page
