"""The transports against Debian's stock vsftpd (FTP, FTPS with TLS session reuse required) and OpenSSH sshd."""
from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.warehouses.transports import transport_class


def _transport(server, **kw):
    return transport_class(server.kind)(server.config(**kw))


def test_round_trip_upload_list_read_move(stock_server):
    folders = stock_server.folders()
    with _transport(stock_server) as t:
        t.write_atomic(folders.outbox, "b.csv", b"bee")
        t.write_atomic(folders.outbox, "a.csv", b"a" * 10)
        listed = t.list(folders.outbox)
        assert [(f.name, f.size) for f in listed] == [("a.csv", 10), ("b.csv", 3)]
        now = datetime.now(UTC)
        assert all(now - timedelta(minutes=1) < f.modified <= now + timedelta(seconds=2) for f in listed)
        assert t.read(f"{folders.outbox}/b.csv") == b"bee"
        assert t.move(f"{folders.outbox}/a.csv", folders.archive) == f"{folders.archive}/a.csv"
        t.write_atomic(folders.outbox, "a.csv", b"second")
        assert t.move(f"{folders.outbox}/a.csv", folders.archive) == f"{folders.archive}/a-1.csv"
        assert [f.name for f in t.list(folders.outbox)] == ["b.csv"]
    assert (stock_server.root / "out" / "archive" / "a-1.csv").read_bytes() == b"second"
    assert not [p for p in (stock_server.root / "out").iterdir() if p.name.endswith(".part")]


def test_test_connection_passes_every_step(stock_server):
    report = _transport(stock_server).test()
    assert report.ok, report.steps
    assert report.steps[-1].name == "Write and remove a probe file in inbox"
    assert list((stock_server.root / "in").iterdir()) == []


def test_wrong_password_asks_for_new_credentials_without_showing_it(stock_server):
    with pytest.raises(ConnectorError) as info:
        with _transport(stock_server, password="not-the-password"):
            pass
    assert info.value.kind is ErrorKind.REAUTH
    assert "not-the-password" not in info.value.message


def test_sftp_key_login(stock_sshd):
    config = stock_sshd.config(password="", private_key=stock_sshd.private_key, host_key=stock_sshd.host_key)
    with transport_class("sftp")(config) as t:
        assert t.list(stock_sshd.folders().inbox) == []


def test_unwritable_inbox_is_a_setup_problem_in_the_servers_words(stock_server):
    inbox = stock_server.root / "in"
    os.chmod(inbox, 0o555)  # owned by the login, but not writable: the server runs as that user
    words = {"ftp": "553 Could not create file", "ftps": "553 Could not create file", "sftp": "Permission denied"}
    with _transport(stock_server) as t:
        with pytest.raises(ConnectorError) as info:
            t.write_atomic(str(inbox), "ORD1.csv", b"order")
    assert info.value.kind is ErrorKind.CONFIG
    assert words[stock_server.kind] in info.value.message
    assert "ask the warehouse to let this login write there" in info.value.message
    assert list(inbox.iterdir()) == []


def test_unwritable_inbox_fails_the_probe_step(stock_server):
    os.chmod(stock_server.root / "in", 0o555)
    report = _transport(stock_server).test()
    assert not report.ok
    assert report.steps[-1].name == "Write and remove a probe file in inbox"
    assert "permission denied on" in report.steps[-1].detail


def test_ftps_to_a_server_without_tls_says_so_instead_of_asking_for_the_password(stock_vsftpd):
    config = stock_vsftpd.config()
    with pytest.raises(ConnectorError) as info:
        with transport_class("ftps")(config):
            pass
    assert info.value.kind is ErrorKind.CONFIG
    assert "the server does not offer TLS (FTPS): choose plain FTP or ask the warehouse to enable TLS" in info.value.message
    assert "login incorrect" not in info.value.message
    report = transport_class("ftps")(config).test()
    assert [s.ok for s in report.steps] == [True, False]
    assert "does not offer TLS" in report.steps[1].detail


@pytest.mark.parametrize("when", ["before connecting", "mid-session"])
def test_frozen_server_fails_fast_and_retryable(stock_server, when):
    timeout = 1.5
    inbox = stock_server.folders().inbox
    t = _transport(stock_server, timeout=timeout)
    try:
        if when == "mid-session":
            t.connect()
            t.list(inbox)
        stock_server.freeze()
        started = time.monotonic()
        with pytest.raises(ConnectorError) as info:
            t.write_atomic(inbox, "ORD1.csv", b"order" * 1000)
        elapsed = time.monotonic() - started
    finally:
        stock_server.thaw()
        t.close()
    assert info.value.kind is ErrorKind.RETRYABLE, info.value.message
    assert elapsed < 3 * timeout + 1, f"took {elapsed:.1f} s with a {timeout} s timeout"


def test_ftps_data_connections_resume_the_tls_session_vsftpd_requires(stock_vsftpd_tls):
    folders = stock_vsftpd_tls.folders()
    data = b"0123456789" * 50_000
    with _transport(stock_vsftpd_tls) as t:
        t.write_atomic(folders.outbox, "shp_1.csv", data)
        assert t._ftp.last_data_session_reused is True
        assert t.read(f"{folders.outbox}/shp_1.csv") == data
        assert t._ftp.last_data_session_reused is True


def test_big_file_round_trip_through_the_spool(stock_server):
    from dockline.warehouses.transports.base import SPOOL_IN_MEMORY, spool

    folders = stock_server.folders()
    data = os.urandom(SPOOL_IN_MEMORY + 12345)  # past the in-memory part: spills to disk
    (stock_server.root / "out" / "big.bin").write_bytes(data)
    with _transport(stock_server) as t:
        with spool(t, f"{folders.outbox}/big.bin") as sink:
            assert sink._rolled and sink.read() == data
