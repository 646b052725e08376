"""The edit window (the store's changes while an order waits are applied; a cancelled order never goes out),
and orders open at the warehouse too long becoming Abandoned."""
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from dockline.orders import actions
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.rules import decisions
from dockline.rules.abandoned import abandon_stale_orders, abandoned_orders
from dockline.rules.holds import held_orders, release_due_holds
from dockline.sandbox.demo import wait_until
from dockline.sync.jobs import sync_orders

CANCELLED = 5


def test_in_the_edit_window_the_new_address_goes_out_and_the_cancelled_order_never_does(world):
    bc = world.store.sandbox.store
    world.connection.hold_minutes = 10
    world.connection.save()
    store = world.connection.store
    store.settings = {**store.settings, "monitored_status_id": ""}  # see cancelled orders too
    store.save()
    before = datetime.now(UTC).replace(microsecond=0)
    moved = bc.place_order(items=[("ACME-MUG", 1)], address={"street_1": "1 Old Rd", "city": "Reno"})
    cancelled = bc.place_order(items=[("ACME-SOCKS", 2)])
    for order_id in (moved, cancelled):
        bc.set_date_modified(order_id, before - timedelta(seconds=60))

    sync_orders(world.connection)
    assert {o.status for o in Order.objects.all()} == {S.PENDING}
    holds = held_orders([world.connection])
    assert len(holds) == 2 and all(h.until > timezone.now() + timedelta(minutes=9) for h in holds)

    bc.change_shipping_address(moved, {"street_1": "22 New St", "city": "Sparks"}, when=before - timedelta(seconds=30))
    bc.set_status(cancelled, CANCELLED, when=before - timedelta(seconds=30))
    sync_orders(world.connection)
    assert Order.objects.get(external_id=str(cancelled)).status == S.CANCELED
    assert Order.objects.get(external_id=str(moved)).status == S.PENDING
    assert world.wms.received == {}, "nothing goes out during the edit window"

    assert release_due_holds(world.connection, timezone.now() + timedelta(minutes=11)) == 1
    sync_orders(world.connection)
    assert wait_until(lambda: str(moved) in world.wms.received, 10)
    ticket = next(o for o in world.wms.received_orders if o.order_number == str(moved))
    assert (ticket.ship_to.street1, ticket.ship_to.city) == ("22 New St", "Sparks")
    sync_orders(world.connection)
    assert str(cancelled) not in world.wms.received
    assert Order.objects.get(external_id=str(cancelled)).status == S.CANCELED


def test_a_person_extends_a_hold_then_releases_it(world):
    world.connection.hold_minutes = 10
    world.connection.save()
    number = str(world.store.sandbox.store.place_order(items=[("ACME-MUG", 1)]))
    sync_orders(world.connection)
    order = Order.objects.get(number=number)
    until = decisions.extend(order, "Dana", 60)
    assert until > timezone.now() + timedelta(minutes=69)
    assert release_due_holds(world.connection, timezone.now() + timedelta(minutes=15)) == 0

    decisions.release(order, "Dana")
    sync_orders(world.connection)
    assert wait_until(lambda: number in world.wms.received, 10)
    assert "Released by Dana" in " ".join(order.activity.values_list("message", flat=True))


def test_an_order_open_past_the_set_days_is_abandoned_and_a_person_resets_it(world):
    world.wms.pause()  # the warehouse never ships it
    world.connection.abandon_after_days = 45
    world.connection.save()
    number = str(world.store.sandbox.store.place_order(items=[("ACME-MUG", 1)]))
    sync_orders(world.connection)
    order = Order.objects.get(number=number)
    assert order.status == S.OPEN
    now = timezone.now()

    assert abandon_stale_orders(world.connection, now + timedelta(days=44)) == 0
    assert abandon_stale_orders(world.connection, now + timedelta(days=46)) == 1
    order.refresh_from_db()
    assert order.status == S.ABANDONED
    [waiting] = abandoned_orders([world.connection], now + timedelta(days=47))
    assert waiting.order == order and waiting.days == 47

    actions.reset(order, "Dana")
    order.refresh_from_db()
    assert order.status == S.NEW
