"""End to end: enabling a connection registers BigCommerce hooks; a placed order arrives by webhook
within seconds, though the orders channel would not poll for an hour; disabling removes the hooks."""
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


@pytest.fixture
def hooked(world, live_server, settings):
    settings.PUBLIC_URL = live_server.url
    enable(world.connection)
    return world


def test_enable_registers_the_order_hooks_with_a_secret(hooked, live_server):
    sandbox = hooked.store.sandbox
    hooks = sorted(sandbox.store.hooks.values(), key=lambda h: h["scope"])
    assert [h["scope"] for h in hooks] == ["store/order/created", "store/order/statusUpdated"]
    destination = f"{live_server.url}/hooks/bigcommerce/{hooked.connection.id}/"
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
