"""End to end in each mode: Acumatica sandbox -> Dockline -> simulated warehouse (FTP) -> back to Acumatica."""
import logging
from datetime import UTC, datetime

import pytest

from dockline.connections.models import Channel, ChannelKind
from dockline.core.types import Package, ShipmentLine, WarehouseShipment
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.demo import wait_until
from dockline.sync.jobs import run_channel, sync_orders, sync_shipments


def _instance(world):
    return world.store.sandbox.instance


def _sales_order(world, number):
    return _instance(world).orders[world.store._origin.get(number, ("SO", number))]


def _write_outbox(world, name, shipments):
    fmt = world.connection.warehouse.file_format_handler()
    (world.wms.root / "out" / name).write_bytes(fmt.render_shipments(shipments))


def test_orders_go_to_the_warehouse_and_boxes_come_back_confirmed(acumatica_world):
    world = acumatica_world
    number = world.store.place_order([("ACME-MUG", 2), ("ACME-CAMP-KIT", 1)], "Express")
    counts = sync_orders(world.connection)
    assert counts["new"] == 1 and counts["sent"] == 1
    order = Order.objects.get(connection=world.connection, number=number)
    assert order.destinations[0]["address"]["city"] == "Portland"
    assert wait_until(lambda: any(s.order_number == number for s in world.wms.shipped_shipments), 15)
    [received] = [o for o in world.wms.received_orders if o.order_number == number]
    assert {(line.sku, line.quantity) for line in received.lines} == {("MUG-ENML-01", 3), ("SOCK-WL-02", 2)}

    sync_shipments(world.connection)
    sync_shipments(world.connection)  # a second run posts nothing again
    order.refresh_from_db()
    assert order.status == S.CLOSED
    wms_tracking = sorted(t for s in world.wms.shipped_shipments if s.order_number == number
                          for t in s.tracking_numbers)
    assert sorted(world.store.tracking_numbers(number)) == wms_tracking
    shipments = [s for s in _instance(world).shipments.values() if s["Status"] == "Confirmed"]
    assert len(shipments) == 1 and all(p["BoxID"] for p in shipments[0]["Packages"])
    assert _sales_order(world, number)["Status"] == "Completed"
    assert sync_orders(world.connection)["new"] == 0


def test_partial_shipment_then_the_rest(acumatica_world):
    world = acumatica_world
    world.wms.pause()  # we play the warehouse by hand
    number = world.store.place_order([("ACME-CAMP-KIT", 1), ("ACME-SOCKS", 3)], "Flat Rate")
    sync_orders(world.connection)
    order = Order.objects.get(connection=world.connection, number=number)
    now = datetime.now(UTC).replace(microsecond=0)
    _write_outbox(world, "shp_1.csv", [WarehouseShipment("P-1", number, now, "UPS", "GND", [Package("1ZFIRST")],
                                                         [ShipmentLine("SOCK-WL-02", 3)])])
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_SHIPPED
    assert world.store.tracking_numbers(number) == ["1ZFIRST"]
    assert _sales_order(world, number)["Status"] == "Back Order"
    still_open = {d["InventoryID"]: d["OpenQty"] for d in _sales_order(world, number)["Details"]}
    assert still_open == {"ACME-CAMP-KIT": 1.0, "ACME-SOCKS": 0.0}

    rest = [ShipmentLine("MUG-ENML-01", 1), ShipmentLine("SOCK-WL-02", 2)]
    _write_outbox(world, "shp_2.csv", [WarehouseShipment("P-2", number, now, "UPS", "GND", [Package("1ZSECOND")], rest)])
    sync_shipments(world.connection)
    order.refresh_from_db()
    assert order.status == S.CLOSED
    assert sorted(world.store.tracking_numbers(number)) == ["1ZFIRST", "1ZSECOND"]
    assert _sales_order(world, number)["Status"] == "Completed"
    assert all(s["Status"] == "Confirmed" for s in _instance(world).shipments.values())


def _run(world, kind=ChannelKind.ORDERS):
    channel = Channel.objects.get(connection=world.connection, kind=kind)
    Channel.objects.filter(id=channel.id).update(lease_owner="test")
    return run_channel(channel.id, "test")


@pytest.mark.parametrize("acumatica_world", ["sales_orders"], indirect=True)
def test_expired_secret_stops_import_until_new_credentials_then_resumes_without_loss(acumatica_world, caplog):
    world = acumatica_world
    instance, store = _instance(world), world.connection.store
    first = [world.store.place_order([("ACME-MUG", 1)], "Flat Rate") for _ in range(2)]
    assert _run(world).ok
    instance.expire_secret(world.store.sandbox.client_id)
    instance.expire_access_tokens()
    later = [world.store.place_order([("LANTERN-300", 1)], "Flat Rate") for _ in range(3)]
    cursor = Channel.objects.get(connection=world.connection, kind=ChannelKind.ORDERS).cursor

    with caplog.at_level(logging.INFO, logger="dockline.connections.services"):
        for _ in range(2):
            run = _run(world)
            assert not run.ok and "Shared Secret" in run.error  # marked once per reason, however many runs fail
    world.connection.refresh_from_db()
    assert "expired" in world.connection.store_auth_error  # the dashboard shows "needs re-authorization"
    assert len([r for r in caplog.records if r.name == "dockline.connections.services"]) == 1  # marked once
    assert Order.objects.filter(connection=world.connection).count() == 2
    assert Channel.objects.get(connection=world.connection, kind=ChannelKind.ORDERS).cursor == cursor

    store.refresh_from_db()
    store.save_credentials({**store.credentials, "client_secret": instance.new_secret(world.store.sandbox.client_id)})
    assert _run(world).ok
    world.connection.refresh_from_db()
    assert world.connection.store_auth_error == ""
    numbers = sorted(Order.objects.filter(connection=world.connection).values_list("number", flat=True))
    assert numbers == sorted(first + later)  # nothing lost, nothing twice
    assert wait_until(lambda: all(world.wms.received.get(n) == 1 for n in first + later), 15), world.wms.received
    assert instance.stats.password_grants == 1  # the refresh token carried on: the password was not needed
