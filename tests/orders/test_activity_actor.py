"""An order's history says who acted (a person, Dockline) and what happened as data, and can be filtered by both."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Connection, Store
from dockline.core.activity import Actor, ActorKind, Event
from dockline.inventory.models import StockLevel
from dockline.mapping.models import ShippingRule
from dockline.orders.actions import archive, reprocess, reset
from dockline.orders.models import Activity, Order, OrderLine
from dockline.orders.status import OrderStatus as S
from dockline.warehouses.models import Warehouse


def _connection() -> Connection:
    org = Organization.objects.create(name="Riverside Fulfillment")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme store", platform="bigcommerce")
    warehouse = Warehouse.objects.create(organization=org, name="Riverside 3PL", credentials={"host": "127.0.0.1"})
    return Connection.objects.create(organization=org, name="Acme", merchant=merchant, store=store,
                                     warehouse=warehouse)


def _order(conn: Connection, number: str, status: S, sku: str = "HAT-01") -> Order:
    now = timezone.now()
    order = Order.objects.create(connection=conn, store=conn.store, external_id=number, number=number,
                                 status=status, placed_at=now, store_modified_at=now,
                                 destinations=[{"ref": "1", "address": {}, "shipping_method": "Flat Rate"}])
    OrderLine.objects.create(order=order, line_id="1", sku=sku, name="Hat", quantity=1)
    return order


@pytest.fixture
def conn(db):
    conn = _connection()
    ShippingRule.objects.create(connection=conn, store_method="Flat Rate", carrier="UPS", service="GND")
    StockLevel.objects.create(warehouse=conn.warehouse, sku="HAT-01", available=5)
    return conn


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password="pw-long-enough-1")


def test_a_persons_reprocess_is_recorded_as_theirs_with_its_event(conn, alice):
    order = _order(conn, "1001", S.ERROR)
    reprocess(order, by=alice)
    assert order.status == S.QUEUED
    asked, queued = order.activity.all()
    assert (asked.event, asked.actor_kind, asked.user, asked.actor) == (Event.REPROCESSED, ActorKind.USER, alice,
                                                                       "alice")
    assert asked.message == "Reprocess asked by alice."  # the sentence is as it was
    assert (queued.event, queued.actor_kind, queued.user) == (Event.QUEUED, ActorKind.USER, alice)


def test_the_name_stays_when_the_person_is_renamed_or_removed(conn, alice):
    order = _order(conn, "1001", S.FAILED)
    reset(order, by=alice)
    alice.username = "alice.smith"
    alice.save()
    alice.delete()
    entry = order.activity.get()
    assert (entry.event, entry.actor_kind, entry.user, entry.actor) == (Event.RESET, ActorKind.USER, None, "alice")


def test_a_move_dockline_makes_on_its_own_is_recorded_as_the_systems(conn):
    order = _order(conn, "1001", S.NEW)
    order.move_to(S.QUEUED, "Every item and the shipping method are mapped; queued for the warehouse.")
    order.log("A note.")
    moved, note = order.activity.all()
    assert (moved.event, moved.actor_kind, moved.user, moved.actor) == (Event.QUEUED, ActorKind.SYSTEM, None,
                                                                       "Dockline")
    assert (note.event, note.actor_kind) == (Event.NOTE, ActorKind.SYSTEM)


def test_the_history_filters_by_actor_kind_and_event(conn, alice):
    order, other = _order(conn, "1001", S.QUEUED), _order(conn, "1002", S.QUEUED)
    order.move_to(S.OPEN, "Sent to warehouse Riverside 3PL in file ord_1001.csv.")
    archive(order, by=alice)
    archive(other, by=alice)
    order.log("Checked by a rule.", actor=Actor(ActorKind.RULE, "Hold big orders"))

    mine = Activity.objects.for_order(order)
    assert [a.event for a in mine.by_actor(ActorKind.USER)] == [Event.ARCHIVED]
    assert [a.actor for a in mine.by_actor(ActorKind.RULE, ActorKind.SYSTEM)] == ["Dockline", "Hold big orders"]
    assert [a.message for a in mine.of_event(Event.SENT)] == ["Sent to warehouse Riverside 3PL in file ord_1001.csv."]
    assert Activity.objects.by_user(alice).of_event(Event.ARCHIVED).count() == 2


def test_the_order_page_shows_who_acted(client, conn, alice):
    Membership.objects.create(user=alice, organization=conn.organization, role=Role.ADMIN)
    client.force_login(alice)
    order = _order(conn, "1001", S.FAILED)
    order.log("Imported from Acme store: 1 line(s), 1 item(s).", event=Event.IMPORTED)
    client.post(f"/orders/{order.pk}/action/", {"action": "reset"})
    entry = order.activity.last()
    assert (entry.actor_kind, entry.user, entry.event) == (ActorKind.USER, alice, Event.RESET)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert ">alice</td>" in page and ">Dockline</td>" in page


@pytest.mark.django_db(transaction=True)
def test_existing_entries_get_their_event_and_a_persons_action_gets_its_person():
    conn = _connection()
    alice = get_user_model().objects.create_user("alice", password="pw-long-enough-1")
    order = _order(conn, "1001", S.NEW)
    before = [("orders", "0003_warehouse_moved")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldActivity = executor.loader.project_state(before).apps.get_model("orders", "Activity")
    for message, level in (("Imported from Acme store: 1 line(s), 1 item(s).", "info"),
                           ("Stopped: SKU NOPE has no listing.", "error"),
                           ("Reset to New by alice.", "info"),
                           ("Archived by bob.", "info"),
                           ("Could not post tracking to the store (gone); fix the cause.", "error"),
                           ("Something said long ago.", "info")):
        OldActivity.objects.create(order_id=order.id, message=message, level=level)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = list(Activity.objects.for_order(order).values_list("event", "actor_kind", "actor", "user"))
    assert rows == [(Event.IMPORTED, ActorKind.SYSTEM, "Dockline", None),
                    (Event.ERROR, ActorKind.SYSTEM, "Dockline", None),
                    (Event.RESET, ActorKind.USER, "alice", alice.pk),
                    (Event.ARCHIVED, ActorKind.USER, "bob", None),  # no such user any more: the name stays
                    (Event.ERROR, ActorKind.SYSTEM, "Dockline", None),
                    (Event.NOTE, ActorKind.SYSTEM, "Dockline", None)]
