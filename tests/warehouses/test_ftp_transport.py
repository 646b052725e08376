"""FtpTransport against a real pyftpdlib server on loopback."""
from __future__ import annotations

import dataclasses
import ftplib
import logging
import socket
import threading

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.warehouses.transports import transport_class
from dockline.warehouses.transports.base import Folders, RemoteFile
from dockline.warehouses.transports.ftp import FtpTransport


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_registry_and_fields():
    assert transport_class("ftp") is FtpTransport
    fields = {f.name: f for f in FtpTransport.credential_fields}
    assert list(fields) == ["host", "port", "username", "password"]
    assert fields["port"].default == "21"
    assert fields["password"].secret and not fields["username"].secret


def test_write_list_read_exists_move(ftp_config, ftp_server):
    (ftp_server.root / "out" / "subfolder").mkdir()
    with FtpTransport(ftp_config) as t:
        t.write_atomic("/out", "b.csv", b"bee")
        t.write_atomic("/out", "a.csv", b"a" * 10)
        t.write_atomic("/deep/new/folder", "c.csv", b"sea")  # folders are created
        assert t.list("/out") == [RemoteFile("a.csv", 10), RemoteFile("b.csv", 3)]  # files only, sorted
        assert t.list("/deep/new/folder") == [RemoteFile("c.csv", 3)]
        assert t.read("/out/b.csv") == b"bee"
        assert t.exists("/out/a.csv") and not t.exists("/out/zzz.csv")

        assert t.move("/out/a.csv", "/out/archive") == "/out/archive/a.csv"  # archive created
        t.write_atomic("/out", "a.csv", b"second")
        assert t.move("/out/a.csv", "/out/archive") == "/out/archive/a-1.csv"  # never overwrites
        assert t.read("/out/archive/a.csv") == b"a" * 10
        assert t.read("/out/archive/a-1.csv") == b"second"
        assert [f.name for f in t.list("/out")] == ["b.csv"]

        t.write_atomic("/out", "b.csv", b"replaced")  # same name again: replaced
        assert t.read("/out/b.csv") == b"replaced"
        assert not [p for p in (ftp_server.root / "out").iterdir() if p.name.endswith(".part")]


def test_nlst_fallback_lists_files_only(ftp_config, ftp_server):
    (ftp_server.root / "out" / "sub").mkdir()
    (ftp_server.root / "out" / "x.csv").write_bytes(b"12345")
    (ftp_server.root / "out" / "w.csv").write_bytes(b"1")
    with FtpTransport(ftp_config) as t:
        t._features = set()  # pretend the server has no MLST/MLSD
        assert t.list("/out") == [RemoteFile("w.csv", 1), RemoteFile("x.csv", 5)]
        assert t.exists("/out/x.csv") and not t.exists("/out/nope.csv")
        assert t.move("/out/x.csv", "/out/archive") == "/out/archive/x.csv"


def test_reader_never_sees_final_name_before_upload_completes(ftp_config, monkeypatch):
    data = bytes(range(256)) * 2048  # 512 KiB: many blocks
    seen_during_upload: list[set[str]] = []
    observer = FtpTransport(ftp_config)
    observer.connect()
    original = ftplib.FTP.storbinary

    def observed_storbinary(self, cmd, fp, blocksize=8192, *args, **kwargs):
        class Observed:
            def read(self, size):
                seen_during_upload.append({f.name for f in observer.list("/in")})
                return fp.read(size)

        return original(self, cmd, Observed(), blocksize, *args, **kwargs)

    monkeypatch.setattr(ftplib.FTP, "storbinary", observed_storbinary)
    try:
        with FtpTransport(ftp_config) as t:
            t.write_atomic("/in", "ord_1001_240501120000.csv", data)
        monkeypatch.undo()
        assert len(seen_during_upload) > 10
        assert all("ord_1001_240501120000.csv" not in names for names in seen_during_upload)
        assert any(".ord_1001_240501120000.csv.part" in names for names in seen_during_upload)
        assert observer.list("/in") == [RemoteFile("ord_1001_240501120000.csv", len(data))]
        assert observer.read("/in/ord_1001_240501120000.csv") == data
    finally:
        observer.close()


def test_connection_dropped_mid_upload_leaves_no_final_file(ftp_config, ftp_server, monkeypatch):
    original = ftplib.FTP.storbinary

    def dropping_storbinary(self, cmd, fp, blocksize=8192, *args, **kwargs):
        ftp = self

        class Dropping:
            blocks = 0

            def read(self, size):
                Dropping.blocks += 1
                if Dropping.blocks == 3:
                    ftp.sock.close()  # the line goes dead half-way
                    raise ConnectionResetError(104, "Connection reset by peer")
                return fp.read(size)

        return original(self, cmd, Dropping(), blocksize, *args, **kwargs)

    t = FtpTransport(ftp_config)
    t.connect()
    monkeypatch.setattr(ftplib.FTP, "storbinary", dropping_storbinary)
    with pytest.raises(ConnectorError) as info:
        t.write_atomic("/in", "ord_1002_240501120000.csv", b"x" * 100_000)
    monkeypatch.undo()
    assert info.value.kind is ErrorKind.RETRYABLE and info.value.retryable
    assert "dropped" in info.value.message
    assert not (ftp_server.root / "in" / "ord_1002_240501120000.csv").exists()
    with FtpTransport(ftp_config) as other:
        assert "ord_1002_240501120000.csv" not in {f.name for f in other.list("/in")}
    # The same transport reconnects on its next call and the retry succeeds.
    t.write_atomic("/in", "ord_1002_240501120000.csv", b"x" * 100_000)
    assert (ftp_server.root / "in" / "ord_1002_240501120000.csv").stat().st_size == 100_000
    t.close()


def test_test_connection_success(ftp_config, ftp_server):
    report = FtpTransport(ftp_config).test()
    assert report.ok, report
    assert [s.name for s in report.steps] == [
        f"Reach 127.0.0.1:{ftp_server.port}",
        f"Log in as {ftp_server.username}",
        "List inbox /in",
        "List outbox /out",
        "Write and remove a probe file in inbox",
    ]
    assert list((ftp_server.root / "in").iterdir()) == []  # the probe is gone


def test_test_connection_wrong_password(ftp_config, ftp_server):
    report = FtpTransport(dataclasses.replace(ftp_config, password="wrong")).test()
    assert not report.ok
    assert [s.ok for s in report.steps] == [True, False]  # later steps not attempted
    assert report.steps[1].name == f"Log in as {ftp_server.username}"
    assert "login incorrect" in report.steps[1].detail


def test_test_connection_wrong_port(ftp_config):
    port = _free_port()
    report = FtpTransport(dataclasses.replace(ftp_config, port=port)).test()
    assert [s.ok for s in report.steps] == [False]
    assert report.steps[0].name == f"Reach 127.0.0.1:{port}"
    assert "connection refused" in report.steps[0].detail


def test_test_connection_timeout():
    with socket.socket() as silent:  # accepts connections, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        from dockline.warehouses.transports.base import TransportConfig

        report = FtpTransport(TransportConfig("127.0.0.1", port, "u", "p", timeout=0.3)).test()
    assert [s.ok for s in report.steps] == [False]
    assert "timed out" in report.steps[0].detail


@pytest.mark.parametrize("which", ["inbox", "outbox"])
def test_test_connection_missing_folder(ftp_config, which):
    folders = dataclasses.replace(Folders(), **{which: "/missing"})
    report = FtpTransport(dataclasses.replace(ftp_config, folders=folders)).test()
    assert not report.ok
    failed = report.steps[-1]
    assert failed.name == f"List {which} /missing" and not failed.ok
    assert "missing" in failed.detail and "/missing" in failed.detail
    assert len(report.steps) == (3 if which == "inbox" else 4)


def test_test_connection_permission_denied(ftp_config, ftp_server):
    ftp_server.add_user("reader", "readerpw", perm="elr")
    report = FtpTransport(dataclasses.replace(ftp_config, username="reader", password="readerpw")).test()
    assert [s.ok for s in report.steps] == [True, True, True, True, False]
    assert "permission denied" in report.steps[-1].detail


def test_error_classification(ftp_config):
    with pytest.raises(ConnectorError) as info:
        with FtpTransport(dataclasses.replace(ftp_config, password="wrong")):
            pass
    assert info.value.kind is ErrorKind.REAUTH

    with pytest.raises(ConnectorError) as info:
        with FtpTransport(dataclasses.replace(ftp_config, port=_free_port())):
            pass
    assert info.value.kind is ErrorKind.RETRYABLE

    with FtpTransport(ftp_config) as t:
        with pytest.raises(ConnectorError) as info:
            t.read("/in/nope.csv")
        assert info.value.kind is ErrorKind.FATAL
        with pytest.raises(ConnectorError) as info:
            t.list("/nope")
        assert info.value.kind is ErrorKind.CONFIG  # a missing folder is the setup's fault
        assert "No such directory" in info.value.message and "warehouse's settings" in info.value.message
        assert t.list("/in") == []  # the connection still works after a 5xx


def test_temporary_reply_is_retryable(ftp_config, monkeypatch):
    with FtpTransport(ftp_config) as t:
        def busy(*a, **k):
            raise ftplib.error_temp("421 Too many connections, try later.")

        monkeypatch.setattr(t._ftp, "retrbinary", busy)
        with pytest.raises(ConnectorError) as info:
            t.read("/in/x.csv")
    assert info.value.kind is ErrorKind.RETRYABLE


def test_password_never_logged_nor_shown(ftp_config, caplog):
    caplog.set_level(logging.DEBUG)
    secret = ftp_config.password
    with FtpTransport(ftp_config) as t:
        t.write_atomic("/in", "x.csv", b"1")
        assert secret not in repr(t) and secret not in repr(ftp_config)
    bad = dataclasses.replace(ftp_config, password="hunter2-secret")
    report = FtpTransport(bad).test()
    with pytest.raises(ConnectorError) as info:
        FtpTransport(bad).connect()
    for text in (caplog.text, str(report), str(info.value)):
        assert secret not in text and "hunter2-secret" not in text


def test_concurrent_transports(ftp_config):
    errors: list[Exception] = []

    def worker(n: int) -> None:
        try:
            with FtpTransport(ftp_config) as t:
                for i in range(5):
                    t.write_atomic(f"/in/w{n}", f"f{i}.csv", f"{n}-{i}".encode())
                assert len(t.list(f"/in/w{n}")) == 5
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


@pytest.mark.parametrize("hang_up", [True, False])
def test_download_cut_short_is_never_returned(ftp_config, ftp_server, hang_up):
    """Cut mid-download, whether the server hangs up or reports the short transfer complete."""
    data = b"order_number,shipment_id\n" + b"1001,S-1\n" * 5000
    (ftp_server.root / "out" / "shp_1.csv").write_bytes(data)
    ftp_server.drop_after_bytes(1000, "download", hang_up=hang_up)
    with FtpTransport(ftp_config) as t:
        with pytest.raises(ConnectorError) as info:
            t.read("/out/shp_1.csv")
        assert info.value.retryable
        assert t.read("/out/shp_1.csv") == data  # the next try reads it whole
    assert ftp_server.drops == 1


def test_an_upload_cut_before_its_first_byte_fails_and_leaves_no_empty_order_file(ftp_config, ftp_server):
    """The sandbox's cut at 0 bytes used to swallow the upload and answer 226 (found by the fault trials,
    seed 256): an empty order file under its final name, taken by the warehouse as nothing."""
    ftp_server.drop_after_bytes(0, "upload")
    with FtpTransport(ftp_config) as t:
        with pytest.raises(ConnectorError) as info:
            t.write_atomic("/in", "ord_1.csv", b"H,1001\n")
        assert info.value.retryable
    assert not (ftp_server.root / "in" / "ord_1.csv").exists()
    assert ftp_server.drops == 1
