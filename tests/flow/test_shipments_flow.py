"""Shipments and stock from the simulated warehouse back to the sandbox store."""
from datetime import UTC, datetime

import pytest

from dockline.core.types import Package, ShipmentLine, WarehouseShipment
from dockline.inventory.models import StockLevel
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.demo import wait_until
from dockline.shipments.models import Shipment
from dockline.sync.jobs import sync_inventory, sync_orders, sync_shipments
from dockline.warehouses.models import Direction, ExchangeRecord, ExchangeState


def _write_outbox(world, name, shipments):
    fmt = world.connection.warehouse.file_format_handler()
    path = world.wms.root / "out" / name
    path.write_bytes(fmt.render_shipments(shipments))
    return path


def _order_sent(world, items, method="Flat Rate"):
    order_id = world.store.sandbox.store.place_order(items=items, shipping_method=method)
    sync_orders(world.connection)
    return order_id, Order.objects.get(external_id=str(order_id))


def test_shipments_post_back_once_and_close_the_order(world):
    world.wms.ship_delay = 0
    order_id, order = _order_sent(world, [("ACME-MUG", 2), ("ACME-TEE-M", 1)])
    assert wait_until(lambda: any(s.order_number == str(order_id) for s in world.wms.shipped_shipments), 15)

    sync_shipments(world.connection)
    sync_shipments(world.connection)  # a second run posts nothing again

    order.refresh_from_db()
    assert order.status == S.CLOSED
    store_shipments = world.store.sandbox.store.shipments_for(order_id)
    wms_tracking = {t for s in world.wms.shipped_shipments for t in s.tracking_numbers}
    assert sorted(s["tracking_number"] for s in store_shipments) == sorted(wms_tracking)
    assert world.store.sandbox.store.orders[order_id]["status_id"] == 2  # Shipped


def test_partial_shipment_then_rest(world):
    world.wms.pause()  # we play the warehouse by hand
    order_id, order = _order_sent(world, [("ACME-CAMP-KIT", 1), ("ACME-SOCKS", 3)])
    now = datetime.now(UTC).replace(microsecond=0)
    first = WarehouseShipment("S-1", str(order_id), now, "UPS", "GND", [Package("1ZFIRST")],
                              [ShipmentLine("SOCK-WL-02", 3)])
    _write_outbox(world, "shp_0001.csv", [first])
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_SHIPPED
    posted = world.store.sandbox.store.shipments_for(order_id)
    assert [s["tracking_number"] for s in posted] == ["1ZFIRST"]
    assert world.store.sandbox.store.orders[order_id]["status_id"] == 3  # Partially Shipped

    rest = WarehouseShipment("S-2", str(order_id), now, "UPS", "GND", [Package("1ZSECOND")],
                             [ShipmentLine("MUG-ENML-01", 1), ShipmentLine("SOCK-WL-02", 2)])
    _write_outbox(world, "shp_0002.csv", [rest])
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.CLOSED
    assert world.store.sandbox.store.orders[order_id]["status_id"] == 2


def test_same_shipment_file_twice_and_a_bad_file_lose_nothing(world):
    world.wms.pause()
    order_id, order = _order_sent(world, [("ACME-MUG", 1)])
    now = datetime.now(UTC).replace(microsecond=0)
    ship = WarehouseShipment("S-9", str(order_id), now, "FEDEX", "2DAY", [Package("7700")],
                             [ShipmentLine("MUG-ENML-01", 1)])
    _write_outbox(world, "shp_a.csv", [ship])
    _write_outbox(world, "shp_b.csv", [ship])  # the warehouse sent it twice
    stranger = WarehouseShipment("S-10", "99999", now, "UPS", "GND", [Package("1Z0")], [ShipmentLine("X", 1)])
    _write_outbox(world, "shp_c.csv", [stranger])

    sync_shipments(world.connection)

    assert Shipment.objects.count() == 1
    assert len(world.store.sandbox.store.shipments_for(order_id)) == 1
    records = {r.filename: r for r in ExchangeRecord.objects.filter(direction=Direction.IN)}
    assert records["shp_b.csv"].state == ExchangeState.DUPLICATE
    assert records["shp_c.csv"].state == ExchangeState.ERROR
    assert "99999" in records["shp_c.csv"].error
    assert (world.wms.root / "out" / "error" / "shp_c.csv").exists()
    assert (world.wms.root / "out" / "archive" / "shp_a.csv").exists()
    assert not list((world.wms.root / "out").glob("shp_*.csv"))


def test_warehouse_stock_reaches_the_store_through_listings(world):
    world.wms.pause()
    fmt = world.connection.warehouse.file_format_handler()
    from dockline.core.types import StockLevel as Level

    levels = [Level("MUG-ENML-01", 10, 9), Level("SOCK-WL-02", 40, 7), Level("LANTERN-300", 5, 5)]
    # Named to sort after any snapshot the warehouse wrote before it was paused: read last, it wins.
    (world.wms.root / "out" / "inv_991231235959999.csv").write_bytes(fmt.render_inventory(levels))
    sync_inventory(world.connection)

    store = world.store.sandbox.store
    assert StockLevel.objects.get(sku="SOCK-WL-02").available == 7
    assert store.inventory_level("ACME-MUG") == 9
    assert store.inventory_level("ACME-SOCKS") == 7
    assert store.inventory_level("ACME-CAMP-KIT") == 3  # 1 mug + 2 socks per kit: 7 // 2
    assert store.inventory_level("LANTERN-300") == 5


def test_bundle_split_over_two_files_read_in_one_run_posts_each_item_once(world):
    world.wms.pause()
    order_id, order = _order_sent(world, [("ACME-MUG", 3), ("ACME-CAMP-KIT", 2), ("LANTERN-300", 3)])
    now = datetime.now(UTC).replace(microsecond=0)
    first = WarehouseShipment("B-1", str(order_id), now, "UPS", "GND", [Package("1ZB1")],
                              [ShipmentLine("MUG-ENML-01", 5), ShipmentLine("SOCK-WL-02", 1)])
    second = WarehouseShipment("B-2", str(order_id), now, "UPS", "GND", [Package("1ZB2")],
                               [ShipmentLine("SOCK-WL-02", 3), ShipmentLine("LANTERN-300", 3)])
    _write_outbox(world, "shp_b1.csv", [first])
    _write_outbox(world, "shp_b2.csv", [second])

    sync_shipments(world.connection)

    order.refresh_from_db()
    assert order.status == S.CLOSED, list(order.activity.values_list("message", flat=True))
    store = world.store.sandbox.store
    shipped = {}
    for shipment in store.shipments_for(order_id):
        for item in shipment["items"]:
            shipped[item["order_product_id"]] = shipped.get(item["order_product_id"], 0) + item["quantity"]
    products = {p["sku"]: p for p in store.order_products(order_id)}
    assert shipped == {products["ACME-MUG"]["id"]: 3, products["ACME-CAMP-KIT"]["id"]: 2,
                       products["LANTERN-300"]["id"]: 3}
    assert store.orders[order_id]["status_id"] == 2


def test_a_box_that_completes_no_whole_item_gets_its_tracking_posted_with_the_next(world):
    world.wms.pause()
    order_id, order = _order_sent(world, [("ACME-CAMP-KIT", 1)])
    now = datetime.now(UTC).replace(microsecond=0)
    part = WarehouseShipment("K-1", str(order_id), now, "UPS", "GND", [Package("1ZPART")],
                             [ShipmentLine("MUG-ENML-01", 1), ShipmentLine("SOCK-WL-02", 1)])
    _write_outbox(world, "shp_k1.csv", [part])
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_SHIPPED
    assert world.store.sandbox.store.shipments_for(order_id) == []  # a kit is not shipped until all of it is

    rest = WarehouseShipment("K-2", str(order_id), now, "UPS", "GND", [Package("1ZREST")],
                             [ShipmentLine("SOCK-WL-02", 1)])
    _write_outbox(world, "shp_k2.csv", [rest])
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.CLOSED
    assert sorted(world.store.tracking_numbers(str(order_id))) == ["1ZPART", "1ZREST"]


def test_a_shipment_for_an_order_whose_upload_was_never_confirmed_is_recorded_and_the_order_not_sent_again(
        world, monkeypatch):
    """A run that dies after the order file reached the warehouse, before confirming it (found by the fault
    trials, seed 28): the warehouse ships it, and its shipment file must not be set aside as an error."""
    from dockline.connections.models import Warehouse
    from dockline.sandbox.chaos import Killed

    world.wms.pause()
    order_id = world.store.sandbox.store.place_order(items=[("ACME-MUG", 1)], shipping_method="Flat Rate")
    real_open = Warehouse.open_transport

    def dies_after_upload(warehouse):
        transport = real_open(warehouse)
        write = transport.write_atomic

        def write_then_die(*args):
            write(*args)
            raise Killed("the job thread died right after the upload")

        transport.write_atomic = write_then_die
        return transport

    monkeypatch.setattr(Warehouse, "open_transport", dies_after_upload)
    with pytest.raises(Killed):
        sync_orders(world.connection)
    monkeypatch.undo()
    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.QUEUED
    world.wms.tick()  # takes the file and ships it

    sync_shipments(world.connection)
    sync_orders(world.connection)

    order.refresh_from_db()
    assert order.status == S.CLOSED, list(order.activity.values_list("message", flat=True))
    assert world.wms.received == {str(order_id): 1}
    assert sorted(world.store.tracking_numbers(str(order_id))) == sorted(world.wms.shipped_shipments[0].tracking_numbers)
    assert not ExchangeRecord.objects.filter(direction=Direction.IN, state=ExchangeState.ERROR).exists()


def test_the_store_gets_one_call_at_a_time_in_order_while_dockline_records_the_last(world, monkeypatch):
    """Forwarding tells the store each order's status, and posting sends each shipment, while Dockline records
    the one before (platforms/calls.py); the store still sees one call at a time, in Dockline's order."""
    import threading
    import time

    from dockline.connections.models import Store

    under_way, most, seen = [0], [0], []
    guard = threading.Lock()
    real_connector = Store.connector

    def slowly(call):
        def wrapped(arg):
            with guard:
                under_way[0] += 1
                most[0] = max(most[0], under_way[0])
            time.sleep(0.05)  # a store 50 ms away
            try:
                return call(arg)
            finally:
                with guard:
                    under_way[0] -= 1
                    seen.append((call.__name__, getattr(arg, "order_external_id", arg)))
        return wrapped

    def connector(store):
        made = real_connector(store)
        made.post_shipment, made.mark_forwarded = slowly(made.post_shipment), slowly(made.mark_forwarded)
        return made

    monkeypatch.setattr(Store, "connector", connector)
    world.wms.ship_delay = 0
    ids = [str(world.store.sandbox.store.place_order(items=[("ACME-MUG", 1)])) for _ in range(4)]
    sync_orders(world.connection)
    assert [order for name, order in seen if name == "mark_forwarded"] == ids
    assert wait_until(lambda: len(world.wms.shipped_shipments) >= 4, 15)
    sync_shipments(world.connection)
    posted = [order for name, order in seen if name == "post_shipment"]
    assert sorted(posted) == sorted(ids) and len(posted) == 4
    assert most[0] == 1
    assert set(Order.objects.filter(external_id__in=ids).values_list("status", flat=True)) == {S.CLOSED}
    assert all(len(world.store.sandbox.store.shipments_for(int(i))) == 1 for i in ids)


def test_an_order_is_closed_even_when_the_run_that_posted_its_last_tracking_died_before_closing_it(world,
                                                                                                   monkeypatch):
    """Found by the Celery fault trials (seed 37): PostgreSQL restarted between recording the post and closing
    the order, which then stayed Shipped for good. Recording the post and closing are now one transaction, and
    each run closes a Shipped order whose every shipment is posted."""
    from dockline.shipments import services as shipment_services

    world.wms.ship_delay = 0
    order_id, order = _order_sent(world, [("ACME-MUG", 1)])
    assert wait_until(lambda: any(s.order_number == str(order_id) for s in world.wms.shipped_shipments), 15)

    def dies(order):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(shipment_services, "close_if_done", dies)
        with pytest.raises(RuntimeError):
            sync_shipments(world.connection)
    assert world.store.sandbox.store.shipments_for(order_id)  # the store has it; Dockline had not recorded it
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.CLOSED
    assert len(world.store.sandbox.store.shipments_for(order_id)) == 1

    Order.objects.filter(pk=order.pk).update(status=S.SHIPPED)  # left by an earlier version, every box posted
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.CLOSED
