"""One connection shipping from two simulated warehouses over FTP: split orders, routed orders, in-flight stock."""
import time

import pytest

from dockline.inventory.services import stock_terms
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.demo import SECOND_WAREHOUSE
from dockline.shipments.models import Shipment
from dockline.sync.jobs import sync_inventory, sync_orders, sync_shipments


@pytest.fixture
def two(transactional_db):
    """The demo world with its second warehouse (Harbor 3PL, the only one with lanterns); split by availability."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=0.0, partial_rate=0.0, second_warehouse=True)
    yield w
    w.stop()


def _skus(wms, number):
    return sorted((ln.sku, ln.quantity) for o in wms.received_orders if o.order_number == number for ln in o.lines)


def test_a_split_order_ships_from_both_warehouses_and_each_shipment_reaches_the_store_once(two):
    first, second = two.wms, two.other_wms[0]
    second.pause()  # the second warehouse takes its part later
    order_id = two.store.sandbox.store.place_order(items=[("LANTERN-300", 2), ("ACME-MUG", 1)],
                                                  shipping_method="Flat Rate")
    number = str(order_id)
    sync_orders(two.connection)
    order = Order.objects.get(external_id=number)
    assert order.status == S.OPEN
    assert sorted(p.warehouse.name for p in order.parts.all()) == [SECOND_WAREHOUSE, "Riverside 3PL"]

    assert first.wait_for(lambda w: any(s.order_number == number for s in w.shipped_shipments), 15)
    sync_shipments(two.connection)
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_SHIPPED  # the lanterns have not shipped yet
    assert _skus(first, number) == [("MUG-ENML-01", 1)]

    second.resume()
    assert second.wait_for(lambda w: any(s.order_number == number for s in w.shipped_shipments), 15)
    sync_shipments(two.connection)
    sync_shipments(two.connection)  # a second run posts nothing again
    order.refresh_from_db()
    assert order.status == S.CLOSED
    assert _skus(second, number) == [("LANTERN-300", 2)]
    assert first.received[number] == 1 and second.received[number] == 1
    wms_tracking = [t for wms in (first, second) for s in wms.shipped_shipments if s.order_number == number
                    for t in s.tracking_numbers]
    posted = [s["tracking_number"] for s in two.store.sandbox.store.shipments_for(order_id)]
    assert len(wms_tracking) >= 2
    assert sorted(posted) == sorted(wms_tracking)  # each warehouse's tracking, exactly once


def test_an_order_goes_whole_to_the_warehouse_that_holds_every_line(two):
    two.wms.pause()
    two.other_wms[0].pause()
    order_id = two.store.sandbox.store.place_order(items=[("LANTERN-300", 1), ("ACME-TEE-M", 2)],
                                                  shipping_method="Flat Rate")
    sync_orders(two.connection)
    order = Order.objects.get(external_id=str(order_id))
    assert [p.warehouse.name for p in order.parts.all()] == [SECOND_WAREHOUSE]
    two.other_wms[0].tick()
    two.wms.tick()
    assert _skus(two.other_wms[0], str(order_id)) == [("LANTERN-300", 1), ("TT-100-M", 2)]
    assert str(order_id) not in two.wms.received


def test_units_sent_after_the_last_count_are_not_offered_to_the_store_again(two):
    for wms in two.all_wms:
        wms.pause()
    sync_inventory(two.connection)
    store = two.store.sandbox.store
    assert store.inventory_level("LANTERN-300") == 3000
    number = str(store.place_order(items=[("LANTERN-300", 40)], shipping_method="Flat Rate"))
    sync_orders(two.connection)  # at Harbor, which has not counted since

    sync_inventory(two.connection)
    terms = stock_terms(two.connection)[0]["LANTERN-300"]
    assert [(t.warehouse, t.available, t.in_flight) for t in terms.warehouses] == [(SECOND_WAREHOUSE, 3000, 40)]
    assert store.inventory_level("LANTERN-300") == 2960
    assert store.inventory_level("ACME-TEE-M") == 4500  # both warehouses' medium tees

    two.other_wms[0].resume()  # it ships the 40 and counts again: nothing in flight any more
    assert two.other_wms[0].wait_for(
        lambda w: number in w.shipment_written_at and w.inventory_written_at > w.shipment_written_at[number], 15)
    sync_shipments(two.connection)  # shipped before that count: in it, even within the same second
    sync_inventory(two.connection)
    terms = stock_terms(two.connection)[0]["LANTERN-300"]
    assert (terms.warehouses[0].available, terms.warehouses[0].in_flight, terms.quantity) == (2960, 0, 2960)


def test_a_warehouse_that_drops_the_upload_delays_only_its_part_and_nothing_reaches_a_warehouse_twice(two):
    from django.utils import timezone

    first, second = two.wms, two.other_wms[0]
    for wms in (first, second):
        wms.pause()
    second.server.drop_after_bytes(10, "upload")
    order_id = two.store.sandbox.store.place_order(items=[("LANTERN-300", 1), ("ACME-MUG", 2)],
                                                  shipping_method="Flat Rate")
    number = str(order_id)
    sync_orders(two.connection)
    order = Order.objects.get(external_id=number)
    assert order.status == S.DELAYED
    assert {p.warehouse.name: bool(p.sent_at) for p in order.parts.all()} == {"Riverside 3PL": True,
                                                                               SECOND_WAREHOUSE: False}
    Order.objects.filter(pk=order.pk).update(retry_at=timezone.now())
    sync_orders(two.connection)
    sync_orders(two.connection)
    order.refresh_from_db()
    assert order.status == S.OPEN
    first.tick()
    second.tick()
    assert (first.received, second.received) == ({number: 1}, {number: 1})
    assert (_skus(first, number), _skus(second, number)) == ([("MUG-ENML-01", 2)], [("LANTERN-300", 1)])


def test_the_second_warehouse_refusing_the_login_is_named_and_the_first_ones_success_does_not_clear_it(two):
    from dockline.connections.models import Channel, ChannelKind, Connection
    from dockline.core.errors import ErrorKind
    from dockline.sync.jobs import run_channel

    harbor = two.connection.warehouses()[1]
    harbor.credentials = {**harbor.credentials, "password": "not-the-password"}
    harbor.save()
    channel = Channel.objects.get(connection=two.connection, kind=ChannelKind.SHIPMENTS)
    Channel.objects.filter(pk=channel.pk).update(lease_owner="test")
    run = run_channel(channel.id, "test")  # Riverside answers, then Harbor refuses
    assert not run.ok and run.kind == ErrorKind.REAUTH
    assert run.error.startswith(f"Warehouse {SECOND_WAREHOUSE}: ")
    assert Connection.objects.get(pk=two.connection.pk).warehouse_auth_error.startswith(f"Warehouse {SECOND_WAREHOUSE}")


@pytest.fixture
def two_on_amazon(transactional_db):
    """The same two warehouses behind an Amazon seller, whose shipments are told apart by Dockline's reference."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), platform="amazon", ship_delay=0.0, partial_rate=0.0,
                   second_warehouse=True)
    yield w
    w.stop()


def test_two_warehouses_numbering_their_shipments_alike_both_reach_the_store(two_on_amazon):
    world = two_on_amazon
    first, second = world.wms, world.other_wms[0]
    number = world.store.place_order([("LANTERN-300", 1), ("ACME-MUG", 1)], "Flat Rate")
    sync_orders(world.connection)
    assert Order.objects.get(external_id=number).parts.count() == 2
    for wms in (first, second):
        assert wms.wait_for(lambda w: any(s.order_number == number for s in w.shipped_shipments), 15)
    ids = [s.shipment_id for wms in (first, second) for s in wms.shipped_shipments if s.order_number == number]
    assert len(set(ids)) < len(ids)  # the simulated warehouses number shipments by order: both say "<order>-1"
    sync_shipments(world.connection)
    sync_shipments(world.connection)
    shipped = {t for wms in (first, second) for s in wms.shipped_shipments if s.order_number == number
               for t in s.tracking_numbers}
    posted = world.store.tracking_numbers(number)
    assert sorted(posted) == sorted(shipped), ids  # each warehouse's box once, none taken for the other's
    assert Order.objects.get(external_id=number).status == S.CLOSED


def test_a_box_shipped_earlier_but_read_later_carries_only_its_own_tracking(two_on_amazon):
    """Dockline posts boxes in the order they shipped and records them in the order it reads them. The second
    warehouse's box, shipped first and read last, must not take the first's box along as one still waiting:
    the first's tracking would reach the store twice and its own never."""
    world = two_on_amazon
    first, second = world.wms, world.other_wms[0]
    first.pause()
    number = world.store.place_order([("LANTERN-300", 1), ("ACME-MUG", 1)], "Flat Rate")
    sync_orders(world.connection)
    assert second.wait_for(lambda w: any(s.order_number == number for s in w.shipped_shipments), 15)
    time.sleep(1.1)  # the warehouses' ship times are to the second
    first.resume()
    assert first.wait_for(lambda w: any(s.order_number == number for s in w.shipped_shipments), 15)

    sync_shipments(world.connection)  # the first warehouse's outbox is read first

    recorded = list(Shipment.objects.filter(order__external_id=number).order_by("id"))
    assert [s.warehouse_id for s in recorded] == [w.id for w in world.connection.warehouses()]
    assert recorded[0].shipped_at > recorded[1].shipped_at
    shipped = [t for wms in (first, second) for s in wms.shipped_shipments if s.order_number == number
               for t in s.tracking_numbers]
    assert sorted(world.store.tracking_numbers(number)) == sorted(shipped)
    assert Order.objects.get(external_id=number).status == S.CLOSED
