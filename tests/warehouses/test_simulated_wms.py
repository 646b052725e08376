"""The simulated WMS, driven the way Dockline drives a warehouse: over FTP."""
from __future__ import annotations

import gc
import threading
import time
from datetime import UTC, datetime

import pytest

from dockline.core.types import (
    Address,
    ShipmentLine,
    StockLevel,
    WarehouseLine,
    WarehouseOrder,
    WarehouseShipment,
)
from dockline.sandbox.wms import SimulatedWms
from dockline.warehouses.formats import format_class
from dockline.warehouses.transports.base import Folders, TransportConfig
from dockline.warehouses.transports.ftp import FtpTransport

FMT = format_class("dsfx")({})


def make_order(number: str, lines: list[tuple[str, int]], carrier: str = "UPS") -> WarehouseOrder:
    return WarehouseOrder(
        order_number=number,
        placed_at=datetime(2024, 5, 1, 12, tzinfo=UTC),
        ship_to=Address(name="Jo Smith", street1="1 Main St", city="Springfield", state="IL", postal_code="62701", country="US"),
        carrier=carrier,
        service="GND",
        lines=[WarehouseLine(i + 1, sku, qty) for i, (sku, qty) in enumerate(lines)],
    )


def transport_for(wms: SimulatedWms) -> FtpTransport:
    s = wms.transport_settings()
    return FtpTransport(
        TransportConfig(s["host"], s["port"], s["username"], s["password"], folders=Folders.from_settings(s), timeout=5)
    )


def send(t: FtpTransport, orders: list[WarehouseOrder], name: str | None = None) -> str:
    name = name or FMT.order_filename(orders[0].order_number, datetime.now(UTC))
    t.write_atomic("/in", name, FMT.render_orders(orders))
    return name


def read_outbox(t: FtpTransport) -> tuple[list[WarehouseShipment], list[list[StockLevel]]]:
    shipments, snapshots = [], []
    for f in t.list("/out"):
        data = t.read(f"/out/{f.name}")
        if FMT.shipment_pattern.match(f.name):
            parsed = FMT.parse_shipments(data)
            assert parsed.errors == []
            shipments += parsed.items
        elif FMT.inventory_pattern.match(f.name):
            parsed_inv = FMT.parse_inventory(data)
            assert parsed_inv.errors == []
            snapshots.append(parsed_inv.items)
        else:
            pytest.fail(f"unexpected file in /out: {f.name}")
    return shipments, snapshots


@pytest.fixture
def fast_wms():
    def make(**kw) -> SimulatedWms:
        opts = dict(ship_delay=0.2, poll_interval=0.05, inventory_interval=30.0, partial_rate=0.0)
        opts.update(kw)
        return SimulatedWms({"SKU-A": 10, "SKU-B": 5, "SKU-C": 1}, **opts)

    return make


def test_transport_settings_and_test_connection(fast_wms):
    with fast_wms() as wms:
        s = wms.transport_settings()
        assert set(s) == {"host", "port", "username", "password", "inbox", "outbox", "archive", "error", "taken",
                          "settle_seconds"}
        assert s["host"] == "127.0.0.1" and s["port"] == wms.port > 0
        assert (s["inbox"], s["outbox"], s["archive"], s["error"], s["taken"]) == (
            "/in", "/out", "/out/archive", "/out/error", "/in/processed")
        assert len(wms.password) >= 12
        report = transport_for(wms).test()
        assert report.ok, report
        root = wms.root
    assert root.is_dir()  # files stay readable after stop()...
    del wms
    gc.collect()
    assert not root.exists()  # ...and its own temp root goes with the object


def test_pause_keeps_the_ftp_server_up(fast_wms):
    with fast_wms() as wms:
        wms.pause()
        with transport_for(wms) as t:
            send(t, [make_order("8001", [("SKU-A", 1)])])
            time.sleep(0.3)
            assert wms.received == {} and len(t.list("/in")) == 1
            wms.resume()
            assert wms.wait_for(lambda w: w.shipped_shipments, timeout=5)


def test_receives_and_ships_an_order_in_full(fast_wms):
    with fast_wms() as wms, transport_for(wms) as t:
        name = send(t, [make_order("1001", [("SKU-A", 2), ("SKU-B", 1)])])
        assert wms.wait_for(lambda w: w.shipped_shipments, timeout=5)
        assert wms.wait_for(lambda w: w.stock["SKU-A"] == 8 and len(w.inventory_files) >= 2, timeout=5)

        assert wms.received == {"1001": 1}
        assert [f.name for f in t.list("/in")] == []
        assert [f.name for f in t.list("/in/processed")] == [name]

        shipments, snapshots = read_outbox(t)
        assert shipments == wms.shipped_shipments
        (s,) = shipments
        assert (s.order_number, s.carrier, s.service) == ("1001", "UPS", "GND")
        assert s.lines == [ShipmentLine("SKU-A", 2), ShipmentLine("SKU-B", 1)]
        assert s.tracking_numbers and all(n.startswith("1Z") for n in s.tracking_numbers)
        assert len(set(s.tracking_numbers)) == len(s.packages)

        # The first snapshot is the starting stock, the latest reflects the shipment.
        first, latest = snapshots[0], snapshots[-1]
        assert {lv.sku: lv.available for lv in first} == {"SKU-A": 10, "SKU-B": 5, "SKU-C": 1}
        assert {lv.sku: (lv.on_hand, lv.available) for lv in latest} == {
            "SKU-A": (8, 8), "SKU-B": (4, 4), "SKU-C": (1, 1)
        }
        assert wms.stock == {"SKU-A": 8, "SKU-B": 4, "SKU-C": 1}
        assert wms.errors == []


def test_partial_shipment_in_two_files(fast_wms):
    with fast_wms(partial_rate=1.0) as wms, transport_for(wms) as t:
        send(t, [make_order("2001", [("SKU-A", 3), ("SKU-B", 2)], carrier="FEDEX")])
        assert wms.wait_for(lambda w: len(w.shipped_shipments) == 2, timeout=5)
        first, second = wms.shipped_shipments
        assert first.shipment_id != second.shipment_id
        assert first.shipped_at <= second.shipped_at
        assert {first.order_number, second.order_number} == {"2001"}
        total: dict[str, int] = {}
        for s in (first, second):
            assert s.carrier == "FEDEX" and s.lines
            for line in s.lines:
                total[line.sku] = total.get(line.sku, 0) + line.quantity
        assert total == {"SKU-A": 3, "SKU-B": 2}
        assert wms.wait_for(lambda w: w.stock == {"SKU-A": 7, "SKU-B": 3, "SKU-C": 1}, timeout=5)
        shipments, _ = read_outbox(t)
        assert sorted(s.shipment_id for s in shipments) == ["2001-1", "2001-2"]
        assert len(wms.shipment_files) == 2


def test_single_unit_order_is_never_split(fast_wms):
    with fast_wms(partial_rate=1.0) as wms, transport_for(wms) as t:
        send(t, [make_order("2002", [("SKU-C", 1)])])
        assert wms.wait_for(lambda w: w.shipped_shipments, timeout=5)
        time.sleep(0.4)
        assert len(wms.shipped_shipments) == 1


def test_duplicate_order_is_counted_not_shipped_again(fast_wms):
    with fast_wms() as wms, transport_for(wms) as t:
        order = make_order("3001", [("SKU-A", 1)])
        send(t, [order], "ord_3001_240501120000.csv")
        assert wms.wait_for(lambda w: w.shipped_shipments, timeout=5)
        send(t, [order], "ord_3001_240501120100.csv")  # the same order sent again
        assert wms.wait_for(lambda w: w.received.get("3001") == 2, timeout=5)
        time.sleep(0.5)  # longer than ship_delay: a second shipment would show by now
        assert [s.order_number for s in wms.shipped_shipments] == ["3001"]
        assert wms.duplicates == ["3001"]
        assert wms.stock["SKU-A"] == 9
        assert len(t.list("/in/processed")) == 2


def test_several_orders_per_file_and_bad_rows(fast_wms):
    with fast_wms() as wms, transport_for(wms) as t:
        good = FMT.render_orders([make_order("4001", [("SKU-A", 1)]), make_order("4002", [("SKU-B", 1)])])
        bad = good.replace(b"D,4002,1,SKU-B,1,", b"D,4002,1,SKU-B,lots,")
        t.write_atomic("/in", "ord_4001_240501120000.csv", bad)
        assert wms.wait_for(lambda w: w.shipped_shipments, timeout=5)
        time.sleep(0.3)
        assert [s.order_number for s in wms.shipped_shipments] == ["4001"]
        assert wms.received == {"4001": 1}
        assert len(wms.errors) == 1 and "quantity 'lots' is not a whole number" in wms.errors[0]


def test_temp_and_foreign_names_are_left_alone(fast_wms):
    with fast_wms() as wms:
        data = FMT.render_orders([make_order("5001", [("SKU-A", 1)])])
        for name in (".ord_5001_240501120000.csv.part", "ord_5001.csv.part", "notes.txt"):
            (wms.inbox / name).write_bytes(data)
        time.sleep(0.3)
        assert wms.received == {}
        assert sorted(p.name for p in wms.inbox.iterdir() if p.is_file()) == sorted(
            [".ord_5001_240501120000.csv.part", "ord_5001.csv.part", "notes.txt"]
        )


def test_periodic_inventory_snapshots(fast_wms):
    with fast_wms(inventory_interval=0.2) as wms, transport_for(wms) as t:
        assert wms.wait_for(lambda w: len(w.inventory_files) >= 3, timeout=5)
        _, snapshots = read_outbox(t)
        assert len(snapshots) >= 3
        for levels in snapshots:
            assert [lv.sku for lv in levels] == ["SKU-A", "SKU-B", "SKU-C"]
            assert all(lv.as_of is not None for lv in levels)
        written = wms.inventory_files
        assert written == sorted(written)  # names sort in the order they were written

        wms.set_stock("SKU-C", 40)
        assert wms.wait_for(lambda w: w.stock["SKU-C"] == 40, timeout=1)


def test_counters_can_be_read_while_running(fast_wms):
    stop = threading.Event()
    problems: list[Exception] = []

    with fast_wms(ship_delay=0.05, poll_interval=0.01, partial_rate=0.5, inventory_interval=0.05) as wms:
        def reader() -> None:
            while not stop.is_set():
                try:
                    sum(wms.received.values()), sum(wms.stock.values()), len(wms.shipped_shipments)
                    list(wms.inventory_files), list(wms.duplicates)
                except Exception as exc:  # noqa: BLE001
                    problems.append(exc)

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for th in threads:
            th.start()
        with transport_for(wms) as t:
            for i in range(12):
                send(t, [make_order(f"6{i:03d}", [("SKU-A", 1), ("SKU-B", 1)])], f"ord_6{i:03d}_240501120000.csv")
        assert wms.wait_for(lambda w: len({s.order_number for s in w.shipped_shipments}) == 12, timeout=10)
        assert wms.wait_for(lambda w: w.idle, timeout=5)
        stop.set()
        for th in threads:
            th.join()
        assert problems == []
        assert sum(wms.received.values()) == 12
        assert wms.stock["SKU-A"] == 0 and wms.stock["SKU-B"] == 0  # floored at zero


def test_over_ftps():
    from dockline.warehouses.transports.ftps import FtpsTransport

    with SimulatedWms({"SKU-A": 3}, tls=True, ship_delay=0.1, poll_interval=0.05, partial_rate=0) as wms:
        s = wms.transport_settings()
        config = TransportConfig(
            s["host"], s["port"], s["username"], s["password"], folders=Folders.from_settings(s), timeout=5,
            extra={"ca_file": s["ca_file"]},
        )
        assert FtpsTransport(config).test().ok
        with FtpsTransport(config) as t:
            send(t, [make_order("7001", [("SKU-A", 1)])])
        assert wms.wait_for(lambda w: w.shipped_shipments, timeout=5)
