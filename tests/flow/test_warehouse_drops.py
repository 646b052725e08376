"""A connection dropped in the middle of an upload or a download, through sync_orders / sync_shipments,
against real FTP, FTPS and SFTP servers: no partial file is read, nothing is lost, nothing is duplicated."""
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from dockline.core.errors import ConnectorError
from dockline.core.types import Package, ShipmentLine, WarehouseShipment
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.shipments.models import Shipment
from dockline.sync.jobs import sync_orders, sync_shipments
from dockline.warehouses.models import Direction, ExchangeRecord, ExchangeState

TRANSPORTS = ["ftp", "ftps", "sftp"]


def _final_order_files(world) -> list[str]:
    fmt = world.wms.format
    return sorted(p.name for p in world.wms.inbox.iterdir() if fmt.order_pattern.match(p.name))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_upload_dropped_midway_is_sent_once_on_the_next_run(make_world, transport):
    world = make_world(transport)
    world.wms.pause()  # the warehouse looks only after the retry
    number = world.store.place_order([("ACME-MUG", 2), ("ACME-TEE-M", 1)], "Flat Rate")
    world.wms.server.drop_after_bytes(40, "upload")

    counts = sync_orders(world.connection)

    assert counts["sent"] == 0 and counts["delayed"] == 1
    assert world.wms.server.drops == 1
    assert _final_order_files(world) == []  # at most a temp file: nothing the warehouse would read
    order = Order.objects.get(connection=world.connection, number=number)
    assert order.status == S.DELAYED

    Order.objects.filter(pk=order.pk).update(retry_at=timezone.now())
    counts = sync_orders(world.connection)
    sync_orders(world.connection)  # a further run sends nothing again

    assert counts["sent"] == 1
    world.wms.resume()
    assert world.wms.wait_for(lambda w: w.received.get(number), 10)
    assert world.wms.wait_for(lambda w: w.shipped_shipments, 10)
    assert world.wms.received == {number: 1} and world.wms.duplicates == []
    assert world.wms.errors == []
    [record] = ExchangeRecord.objects.filter(direction=Direction.OUT, kind="orders")
    assert record.state == ExchangeState.SENT and record.business_keys == [number]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_download_dropped_midway_is_read_whole_on_the_next_run(make_world, transport):
    world = make_world(transport)
    world.wms.pause()  # we play the warehouse by hand
    number = world.store.place_order([("ACME-MUG", 2)], "Flat Rate")
    sync_orders(world.connection)
    fmt = world.connection.warehouse.file_format_handler()
    now = datetime.now(UTC).replace(microsecond=0)
    shipment = WarehouseShipment("D-1", number, now, "UPS", "GND", [Package("1ZDROPPED")],
                                 [ShipmentLine("MUG-ENML-01", 2)])
    name = fmt.shipment_filename("D-1", now)
    (world.wms.outbox / name).write_bytes(fmt.render_shipments([shipment]))
    world.wms.server.drop_after_bytes(30, "download")

    with pytest.raises(ConnectorError) as info:
        sync_shipments(world.connection)

    assert info.value.retryable
    assert world.wms.server.drops == 1
    assert Shipment.objects.count() == 0
    assert not ExchangeRecord.objects.filter(kind="shipments").exists()  # half a file is never recorded
    assert (world.wms.outbox / name).exists()

    sync_shipments(world.connection)
    sync_shipments(world.connection)

    assert Shipment.objects.filter(warehouse_shipment_id="D-1").count() == 1
    assert world.store.tracking_numbers(number) == ["1ZDROPPED"]
    assert Order.objects.get(connection=world.connection, number=number).status == S.CLOSED
    [record] = ExchangeRecord.objects.filter(direction=Direction.IN, kind="shipments")
    assert record.state == ExchangeState.PROCESSED and record.filename == name
    assert (world.wms.outbox / "archive" / name).exists()
