"""A WMS that writes a shipment file under its final name, slowly: Dockline never reads it early.

Against the project's servers (pyftpdlib FTP and FTPS, asyncssh SFTP) and Debian's stock vsftpd
and sshd, a 30-shipment DSFX file appended over four seconds is taken once, whole, after the last
line; files under writing names are never read; a file that grows while it is handled is rolled
back and read whole on the next run; a file over the size limit goes to the error folder unread.
"""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import OperationalError

from dockline.accounts.models import Organization
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Package, ShipmentLine, WarehouseShipment
from dockline.sandbox.ftpserver import LoopbackFtpServer, self_signed_certificate
from dockline.sandbox.sftpserver import SftpServer
from dockline.warehouses.formats.dsfx import DsfxFormat
from dockline.warehouses.models import ExchangeRecord, ExchangeState, Warehouse
from dockline.warehouses.services import Handled, receive_files
from dockline.warehouses.transports import transport_class
from dockline.warehouses.transports.base import Folders, TransportConfig

FMT = DsfxFormat({})
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _shipments(n: int) -> list[bytes]:
    """The header line, then one CSV line per shipment."""
    ships = [WarehouseShipment(f"S-{i}", f"ORD-{i}", NOW, "UPS", "GND", [Package(f"1Z{i:06d}")],
                               [ShipmentLine("MUG-ENML-01", 1)]) for i in range(n)]
    text = FMT.render_shipments(ships)
    return text.splitlines(keepends=True)


class Drop:
    """A warehouse drop: the outbox on disk as the WMS sees it, and a transport config for Dockline."""

    def __init__(self, kind: str, outbox, config: TransportConfig):
        self.kind, self.outbox, self.config = kind, outbox, config


@pytest.fixture(params=["ftp", "ftps", "sftp", "stock-ftp", "stock-ftps", "stock-sftp"])
def drop(request, tmp_path):
    name = request.param
    if name.startswith("stock-"):
        server = request.getfixturevalue({"stock-ftp": "stock_vsftpd", "stock-ftps": "stock_vsftpd_tls",
                                          "stock-sftp": "stock_sshd"}[name])
        yield Drop(server.kind, server.root / "out", server.config())
        return
    root = tmp_path / "root"
    (root / "in").mkdir(parents=True)
    (root / "out").mkdir()
    extra = {}
    if name == "sftp":
        server = SftpServer(root, password="s3cret-Pa55")
        server.start()
    elif name == "ftps":
        cert = self_signed_certificate(tmp_path)
        server = LoopbackFtpServer(root, tls_certfile=cert, tls_required=True).start()
        extra = {"ca_file": str(cert)}
    else:
        server = LoopbackFtpServer(root).start()
    try:
        yield Drop(name, root / "out", TransportConfig(server.host, server.port, server.username, server.password,
                                                       Folders(), timeout=5.0, extra=extra))
    finally:
        server.stop()


def _warehouse(drop: Drop, **settings) -> Warehouse:
    f = drop.config.folders
    org, _ = Organization.objects.get_or_create(name="3PL")
    return Warehouse.objects.create(
        organization=org, name="WMS", transport=drop.kind, credentials={"host": drop.config.host},
        settings={"inbox": f.inbox, "outbox": f.outbox, "archive": f.archive, "error": f.error, **settings},
    )


class Reader:
    """The shipment handler: remembers how many shipments each read saw."""

    def __init__(self):
        self.reads: list[int] = []

    def __call__(self, data: bytes, record) -> Handled:
        parsed = FMT.parse_shipments(data)
        self.reads.append(len(parsed.items))
        return Handled(keys=[s.shipment_id for s in parsed.items], errors=list(parsed.errors))


def _receive(warehouse, transport, reader, **kw) -> dict:
    return receive_files(warehouse, transport, "shipments", FMT.shipment_pattern, reader, FMT, **kw)


def test_a_file_written_slowly_under_its_final_name_is_read_once_whole(db, drop):
    warehouse = _warehouse(drop, settle_seconds=1.5)
    lines = _shipments(30)
    path = drop.outbox / "shp_slow.csv"

    def write_slowly():
        with open(path, "wb") as fh:
            for line in lines:
                fh.write(line)
                fh.flush()
                time.sleep(4 / len(lines))  # 0.13 s between lines, well inside settle_seconds

    writer = threading.Thread(target=write_slowly)
    reader = Reader()
    with transport_class(drop.kind)(drop.config) as t:
        writer.start()
        deadline = time.monotonic() + 40
        while (writer.is_alive() or path.exists()) and time.monotonic() < deadline:
            _receive(warehouse, t, reader)
        writer.join()

    assert reader.reads == [30]  # read once, after the last line, never before
    [record] = ExchangeRecord.objects.filter(kind="shipments")
    assert record.state == ExchangeState.PROCESSED
    assert sorted(record.business_keys) == sorted(f"S-{i}" for i in range(30))
    assert record.data == b"".join(lines)
    assert not path.exists()


def test_names_a_wms_writes_under_are_never_read(db, drop):
    warehouse = _warehouse(drop, settle_seconds=0, writing_pattern=r"shp_.*\.csv\.busy|shp_hold_.*")
    body = b"".join(_shipments(1))
    names = ["shp_a.csv.tmp", "shp_a.csv.part", "shp_a.csv.filepart", ".shp_a.csv", "~shp_a.csv",
             "shp_a.csv.busy", "shp_hold_1.csv"]
    for name in names:
        (drop.outbox / name).write_bytes(body)
    reader = Reader()
    with transport_class(drop.kind)(drop.config) as t:
        counts = _receive(warehouse, t, reader)
    assert counts["files"] == 0 and reader.reads == []
    assert sorted(p.name for p in drop.outbox.iterdir() if p.is_file()) == sorted(names)


def test_a_file_that_grows_while_handled_is_rolled_back_and_read_whole_next_run(db, drop):
    warehouse = _warehouse(drop, settle_seconds=0)
    lines = _shipments(3)
    path = drop.outbox / "shp_grow.csv"
    path.write_bytes(b"".join(lines[:2]))
    reader = Reader()

    def grow_during_first_read(data, record):
        handled = reader(data, record)
        if len(reader.reads) == 1:
            with open(path, "ab") as fh:
                fh.write(b"".join(lines[2:]))
        return handled

    with transport_class(drop.kind)(drop.config) as t:
        first = _receive(warehouse, t, grow_during_first_read)
        assert first["unsettled"] == 1 and first["files"] == 0
        assert not ExchangeRecord.objects.exists()  # the first read's effects are gone
        assert path.exists()
        second = _receive(warehouse, t, grow_during_first_read)
    assert second["files"] == 1 and reader.reads == [1, 3]
    [record] = ExchangeRecord.objects.all()
    assert sorted(record.business_keys) == ["S-0", "S-1", "S-2"]


def test_a_file_over_the_limit_goes_to_the_error_folder_unread(db, drop):
    warehouse = _warehouse(drop, settle_seconds=0, max_file_mb=0.01)
    (drop.outbox / "shp_big.csv").write_bytes(b"".join(_shipments(1)) + b"x" * 20_000)
    reader = Reader()
    with transport_class(drop.kind)(drop.config) as t:
        counts = _receive(warehouse, t, reader)
    assert counts["errors"] == 1 and reader.reads == []
    [record] = ExchangeRecord.objects.all()
    assert record.state == ExchangeState.ERROR
    assert "over this warehouse's limit of 0.01 MB" in record.error and "unread" in record.error
    assert (drop.outbox / "error" / "shp_big.csv").exists()


def test_one_wait_per_run_and_a_file_growing_during_it_is_left_for_later(db, ftp_server, ftp_config):
    drop = Drop("ftp", ftp_server.root / "out", ftp_config)
    warehouse = _warehouse(drop, settle_seconds=4)
    lines = _shipments(3)
    (drop.outbox / "shp_done.csv").write_bytes(lines[0] + lines[1])
    (drop.outbox / "shp_busy.csv").write_bytes(lines[0] + lines[2])
    waits = []

    def sleep_while_the_wms_writes(seconds):
        waits.append(seconds)
        if len(waits) == 1:
            with open(drop.outbox / "shp_busy.csv", "ab") as fh:
                fh.write(lines[3])

    reader = Reader()
    with transport_class("ftp")(ftp_config) as t:
        first = _receive(warehouse, t, reader, sleep=sleep_while_the_wms_writes)
        assert waits == [4] and first["files"] == 1  # one wait for both files; the growing one stays
        assert [p.name for p in drop.outbox.iterdir() if p.is_file()] == ["shp_busy.csv"]
        second = _receive(warehouse, t, reader, sleep=sleep_while_the_wms_writes)
    assert waits == [4, 4] and second["files"] == 1 and reader.reads == [1, 2]


def test_connection_lost_during_the_last_check_rolls_back_and_raises(db, ftp_server, ftp_config):
    drop = Drop("ftp", ftp_server.root / "out", ftp_config)
    warehouse = _warehouse(drop, settle_seconds=0)
    (drop.outbox / "shp_1.csv").write_bytes(b"".join(_shipments(1)))
    reader = Reader()
    with transport_class("ftp")(ftp_config) as t:
        def lost(path):
            raise ConnectorError("FTP checking failed: the connection was dropped", ErrorKind.RETRYABLE)

        t.stat = lost
        with pytest.raises(ConnectorError) as info:
            _receive(warehouse, t, reader)
        assert info.value.retryable
        assert not ExchangeRecord.objects.exists()  # nothing kept that would make the next read a duplicate
        del t.stat
        assert _receive(warehouse, t, reader)["files"] == 1
    assert reader.reads == [1, 1]
    assert ExchangeRecord.objects.get().state == ExchangeState.PROCESSED


def test_a_malformed_file_whose_move_was_cut_off_still_goes_to_the_error_folder(db, ftp_server, ftp_config):
    """Found by the Celery fault trials (seed 6): a worker died between recording the file and moving it."""
    drop = Drop("ftp", ftp_server.root / "out", ftp_config)
    warehouse = _warehouse(drop, settle_seconds=0)
    (drop.outbox / "shp_bad.csv").write_bytes(b"this,is,not\n\x00\xff a shipment file\n")
    reader = Reader()
    with transport_class("ftp")(ftp_config) as t:
        def cut(path, folder):
            raise ConnectorError("FTP rename failed: the connection was dropped", ErrorKind.RETRYABLE)

        t.move = cut
        with pytest.raises(ConnectorError):
            _receive(warehouse, t, reader)
        del t.move
        _receive(warehouse, t, reader)
    assert (drop.outbox / "error" / "shp_bad.csv").exists()
    assert not (drop.outbox / "archive" / "shp_bad.csv").exists()


def test_a_file_cut_off_inside_a_row_goes_to_the_error_folder_unread_and_is_read_whole_when_moved_back(db, drop):
    """A WMS that paused longer than settle_seconds (or a broken transfer) leaves a row cut short: nothing of it
    is taken (a cut 12 could read as 1); finished and moved back to the outbox, it is read whole."""
    warehouse = _warehouse(drop, settle_seconds=0)
    body = b"".join(_shipments(2)).replace(b"MUG-ENML-01,1,", b"MUG-ENML-01,12,")
    cut = body.rindex(b",12,") + 2  # the second shipment's 12 cut to 1, its last columns not written yet
    (drop.outbox / "shp_cut.csv").write_bytes(body[:cut])
    reader = Reader()
    with transport_class(drop.kind)(drop.config) as t:
        assert _receive(warehouse, t, reader)["errors"] == 1
        [refused] = ExchangeRecord.objects.filter(kind="shipments")
        assert refused.state == ExchangeState.ERROR and refused.business_keys == []
        assert "shp_cut.csv, line 3: the file stops in this row, at 8 of the header's 12 columns" in refused.error
        assert "looks cut off" in refused.error
        finished = drop.outbox / "error" / "shp_cut.csv"
        with open(finished, "ab") as fh:  # the WMS's write goes on into the file it had open
            fh.write(body[cut:])
        finished.rename(drop.outbox / "shp_cut.csv")  # the 3PL operator moves it back
        _receive(warehouse, t, reader)
    assert reader.reads == [0, 2]
    read = ExchangeRecord.objects.filter(kind="shipments").exclude(pk=refused.pk).get()
    assert read.state == ExchangeState.PROCESSED and sorted(read.business_keys) == ["S-0", "S-1"]
    assert (drop.outbox / "archive" / "shp_cut.csv").exists()


def test_a_file_whose_handling_the_database_cut_off_stays_in_the_outbox_and_is_read_next_run(db, ftp_server, ftp_config):
    """Found by the Celery fault trials (seeds 434, 435): PostgreSQL restarted while a shipment file was handled,
    and the file was recorded as an error and set aside, its shipment lost to the store. The database going
    away says nothing of the file: the run fails, and the next one reads the file."""
    drop = Drop("ftp", ftp_server.root / "out", ftp_config)
    warehouse = _warehouse(drop, settle_seconds=0)
    (drop.outbox / "shp_1.csv").write_bytes(b"".join(_shipments(1)))
    reader = Reader()

    def restarting(data, record):
        raise OperationalError("terminating connection due to administrator command")

    with transport_class("ftp")(ftp_config) as t:
        with pytest.raises(OperationalError):
            _receive(warehouse, t, restarting)
        assert (drop.outbox / "shp_1.csv").exists() and not (drop.outbox / "error" / "shp_1.csv").exists()
        _receive(warehouse, t, reader)
    assert reader.reads == [1]
    [record] = ExchangeRecord.objects.filter(kind="shipments")
    assert record.state == ExchangeState.PROCESSED and record.business_keys == ["S-0"]
