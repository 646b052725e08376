"""The exchange with a warehouse end to end: X12 997s both ways, control numbers, duplicates,
malformed files, the SFTP host key, Test Connection."""
import re
from datetime import UTC, datetime

import pytest

from dockline.accounts.models import Organization
from dockline.connections.models import Channel, ChannelKind
from dockline.core.types import Package, ShipmentLine, StockLevel, WarehouseShipment
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.wms import SimulatedWms
from dockline.shipments.models import Shipment
from dockline.sync.jobs import run_channel, sync_orders, sync_shipments
from dockline.warehouses.models import DatabaseControlNumbers, Direction, ExchangeRecord, ExchangeState, Warehouse
from dockline.warehouses.transports import transport_class
from dockline.warehouses.transports.base import Folders, TransportConfig

NOW = datetime.now(UTC).replace(microsecond=0)


def _run(world, kind):
    """Run one channel job the way the scheduler does, with its run recorded."""
    channel = Channel.objects.get(connection=world.connection, kind=kind)
    Channel.objects.filter(pk=channel.pk).update(lease_owner="test")
    return run_channel(channel.id, "test")


def _ship_file(world, name, shipments):
    fmt = world.connection.warehouse.file_format_handler()
    (world.wms.outbox / name).write_bytes(fmt.render_shipments(shipments))


def test_x12_997s_flow_both_ways_over_sftp(make_world):
    world = make_world("sftp", "x12")
    number = world.store.place_order([("ACME-MUG", 1)], "Flat Rate")
    sync_orders(world.connection)
    assert world.wms.wait_for(lambda w: w.acks_sent and w.shipped_shipments, 10)

    sync_shipments(world.connection)

    [sent] = ExchangeRecord.objects.filter(direction=Direction.OUT, kind="orders")
    assert sent.state == ExchangeState.ACKNOWLEDGED, sent.error
    assert Order.objects.get(number=number).status == S.CLOSED
    acks_out = ExchangeRecord.objects.filter(direction=Direction.OUT, kind="acks")
    assert acks_out.exists() and {a.state for a in acks_out} == {ExchangeState.SENT}
    assert world.wms.wait_for(lambda w: len(w.acks_received) == acks_out.count(), 10)
    assert world.wms.errors == []


def test_x12_rejection_is_shown_in_plain_words(make_world):
    world = make_world("ftp", "x12")
    world.wms.pause()
    number = world.store.place_order([("ACME-MUG", 1)], "Flat Rate")
    sync_orders(world.connection)
    [sent_file] = [p for p in world.wms.inbox.iterdir() if p.name.startswith("940_")]
    broken = re.sub(rb"SE\*\d+\*", b"SE*99*", sent_file.read_bytes())  # the warehouse counts segments differently
    (world.wms.outbox / "997_reject.edi").write_bytes(world.wms.format.render_997(broken))

    run = _run(world, ChannelKind.SHIPMENTS)

    assert run.ok and run.counts["rejected"] == 1
    [sent] = ExchangeRecord.objects.filter(direction=Direction.OUT, kind="orders")
    assert sent.state == ExchangeState.REJECTED
    assert "997_reject.edi" in sent.error and "rejected" in sent.error
    assert "number of included segments does not match actual count" in sent.error
    order = Order.objects.get(number=number)
    assert any("rejected" in a.message and a.level == "error" for a in order.activity.all())


def test_x12_control_numbers_per_warehouse_never_reused(db):
    org = Organization.objects.create(name="Org")
    one = Warehouse.objects.create(organization=org, name="One", file_format="x12", credentials={"host": "h"})
    two = Warehouse.objects.create(organization=org, name="Two", file_format="x12", credentials={"host": "h"})
    assert [DatabaseControlNumbers(one).next("interchange") for _ in range(3)] == [1, 2, 3]
    assert DatabaseControlNumbers(one).next("interchange") == 4  # a new allocator (a new process) goes on
    assert DatabaseControlNumbers(two).next("interchange") == 1
    fmt = one.file_format_handler()
    seen = set()
    for _ in range(3):
        fmt.render_inventory([StockLevel("MUG-ENML-01", 1, 1)])
        env = fmt.last_envelope
        seen.add((env.interchange, env.group, env.sets))
    assert len(seen) == 3
    assert min(env[0] for env in seen) > 4
    with pytest.raises(ValueError):
        DatabaseControlNumbers(one).next("nonsense")


def test_same_shipment_id_under_another_checksum_is_recorded_and_ignored(make_world):
    world = make_world()
    world.wms.pause()
    number = world.store.place_order([("ACME-MUG", 1)], "Flat Rate")
    sync_orders(world.connection)
    first = WarehouseShipment("S-7", number, NOW, "UPS", "GND", [Package("1ZFIRST")], [ShipmentLine("MUG-ENML-01", 1)])
    again = WarehouseShipment("S-7", number, NOW, "UPS", "GND", [Package("1ZOTHER")], [ShipmentLine("MUG-ENML-01", 1)])
    _ship_file(world, "shp_a.csv", [first])
    _ship_file(world, "shp_b.csv", [again])  # re-sent with a new tracking number: another checksum

    run = _run(world, ChannelKind.SHIPMENTS)

    assert run.ok and run.counts["duplicates"] == 1
    records = {r.filename: r for r in ExchangeRecord.objects.filter(kind="shipments")}
    assert records["shp_a.csv"].state == ExchangeState.PROCESSED
    assert records["shp_b.csv"].state == ExchangeState.DUPLICATE
    assert "S-7" in records["shp_b.csv"].error and "shp_a.csv" in records["shp_b.csv"].error
    assert Shipment.objects.count() == 1
    assert world.store.tracking_numbers(number) == ["1ZFIRST"]
    assert (world.wms.outbox / "archive" / "shp_b.csv").exists()


def test_a_bad_row_goes_to_the_error_folder_and_stops_nothing_else(make_world):
    world = make_world()
    world.wms.pause()
    one = world.store.place_order([("ACME-MUG", 1)], "Flat Rate")
    two = world.store.place_order([("ACME-SOCKS", 2)], "Flat Rate")
    three = world.store.place_order([("LANTERN-300", 1)], "Flat Rate")
    sync_orders(world.connection)
    fmt = world.connection.warehouse.file_format_handler()
    good = WarehouseShipment("G-1", one, NOW, "UPS", "GND", [Package("1ZGOOD")], [ShipmentLine("MUG-ENML-01", 1)])
    bad = WarehouseShipment("G-2", two, NOW, "UPS", "GND", [Package("1ZBAD")], [ShipmentLine("SOCK-WL-02", 2)])
    mixed = fmt.render_shipments([good, bad]).replace(b"SOCK-WL-02,2", b"SOCK-WL-02,two")
    (world.wms.outbox / "shp_1_mixed.csv").write_bytes(mixed)
    other = WarehouseShipment("G-3", three, NOW, "UPS", "GND", [Package("1ZOTHER")], [ShipmentLine("LANTERN-300", 1)])
    _ship_file(world, "shp_2_other.csv", [other])

    run = _run(world, ChannelKind.SHIPMENTS)

    assert run.ok and run.counts["errors"] == 1 and run.counts["files"] == 2
    record = ExchangeRecord.objects.get(filename="shp_1_mixed.csv")
    assert record.state == ExchangeState.ERROR
    assert record.error.startswith("shp_1_mixed.csv, line 3:") and "'two' is not a whole number" in record.error
    assert (world.wms.outbox / "error" / "shp_1_mixed.csv").exists()
    assert (world.wms.outbox / "archive" / "shp_2_other.csv").exists()
    assert world.store.tracking_numbers(one) == ["1ZGOOD"]  # the good row of the bad file
    assert world.store.tracking_numbers(three) == ["1ZOTHER"]  # the other file
    assert world.store.tracking_numbers(two) == []


def test_sftp_changed_host_key_stops_the_run_keeps_the_pin_and_loses_nothing(make_world):
    world = make_world("sftp")
    world.wms.pause()
    warehouse = world.connection.warehouse
    recorded = warehouse.settings["host_key"]  # pinned at setup, as the wizard pins what Test Connection saw
    assert recorded == world.wms.server.host_key_line
    assert sync_shipments(world.connection) is not None  # the pinned key is trusted

    world.wms.server.rotate_host_key()
    number = world.store.place_order([("ACME-MUG", 1)], "Flat Rate")
    run = _run(world, ChannelKind.ORDERS)

    assert run.ok is False and "host key has changed" in run.error
    assert warehouse.host_key_fingerprint.split()[0] in run.error
    warehouse.refresh_from_db()
    assert warehouse.settings["host_key"] == recorded  # a changed key is never pinned by itself
    assert warehouse.settings["offered_host_key"] == world.wms.server.host_key_line  # kept for a person to accept
    assert Order.objects.get(number=number).status == S.QUEUED  # waits for a person: nothing lost
    assert not list(world.wms.inbox.glob("ord_*"))


@pytest.mark.parametrize("transport", ["ftp", "ftps", "sftp"])
def test_test_connection_reports_the_same_steps_for_every_transport(transport):
    with SimulatedWms({}, transport=transport) as wms:
        s = wms.transport_settings()
        extra = {"ca_file": s["ca_file"]} if "ca_file" in s else {}
        config = TransportConfig(s["host"], s["port"], s["username"], s["password"],
                                 folders=Folders.from_settings(s), timeout=5, extra=extra)
        report = transport_class(transport)(config).test()
        assert report.ok, report.steps
        names = [step.name for step in report.steps]
        assert names[0] == f"Reach 127.0.0.1:{wms.port}" and names[-4] == f"Log in as {wms.username}"
        assert names[-3:] == ["List inbox /in", "List outbox /out", "Write and remove a probe file in inbox"]
        extra_step = {"ftp": [], "ftps": ["Secure the connection with TLS"], "sftp": ["Check host key"]}
        assert names[1:-4] == extra_step[transport]

        bad = transport_class(transport)(TransportConfig(s["host"], s["port"], s["username"], "wrong",
                                                         folders=Folders.from_settings(s), timeout=5, extra=extra))
        report = bad.test()
        assert not report.ok
        failed = report.steps[-1]
        assert failed.name == f"Log in as {wms.username}" and not failed.ok
        assert all(step.ok for step in report.steps[:-1])
        assert failed.detail and "wrong" not in failed.detail  # says why, never echoes the password
