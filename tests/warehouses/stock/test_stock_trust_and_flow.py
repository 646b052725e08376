"""Trust and the order flow against Debian's stock servers: vsftpd FTPS with a self-signed CN-only
certificate (pinned by fingerprint, or pasted), sshd with its host key pinned at setup, and an inbox
the stock server refuses to write into."""
from __future__ import annotations

import os
import ssl

import pytest

from dockline.connections.models import Channel, ChannelKind, Side
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sync.jobs import run_channel
from dockline.warehouses.transports import transport_class
from dockline.warehouses.transports.ftps import cert_fingerprint
from dockline.warehouses.transports.sftp import fingerprint_label


def _ftps(server, **trust):
    config = server.config(**trust)
    config.extra.pop("verify_tls", None)  # these tests choose how the certificate is checked
    return transport_class("ftps")(config)


def _certificate(server) -> tuple[str, bytes]:
    pem = (server.base / "cert.pem").read_text()
    return pem, ssl.PEM_cert_to_DER_cert(pem)


def test_stock_ftps_with_a_self_signed_cn_only_certificate_is_refused_against_the_system_cas(stock_vsftpd_tls):
    _, der = _certificate(stock_vsftpd_tls)
    with pytest.raises(ConnectorError) as info:
        with _ftps(stock_vsftpd_tls, tls_mode="system"):
            pass
    assert "not trusted" in info.value.message
    assert cert_fingerprint(der) in info.value.message  # what to check with the warehouse, and pin


def test_stock_ftps_pinned_by_the_fingerprint_test_connection_showed_works_with_session_reuse(stock_vsftpd_tls):
    _, der = _certificate(stock_vsftpd_tls)
    probe = _ftps(stock_vsftpd_tls, tls_mode="pin")
    report = probe.test()  # pin mode with no pin yet: shows the fingerprint to pin
    assert probe.seen_fingerprint == cert_fingerprint(der)
    assert report.ok, report.steps

    folders = stock_vsftpd_tls.folders()
    with _ftps(stock_vsftpd_tls, tls_mode="pin", tls_pin=probe.seen_fingerprint) as t:
        t.write_atomic(folders.outbox, "shp_1.csv", b"pinned")  # vsftpd refuses data without TLS reuse
        assert t.read(f"{folders.outbox}/shp_1.csv") == b"pinned"


def test_stock_ftps_with_another_pin_is_refused_before_the_password_is_sent(stock_vsftpd_tls):
    wrong = "SHA256 " + ":".join(["AB"] * 32)
    log = stock_vsftpd_tls.base / "vsftpd.log"  # vsftpd logs every command (log_ftp_protocol)
    seen = log.stat().st_size
    with pytest.raises(ConnectorError) as info:
        with _ftps(stock_vsftpd_tls, tls_mode="pin", tls_pin=wrong):
            pass
    assert "not the pinned one" in info.value.message and "stopped before logging in" in info.value.message
    with open(log, "rb") as f:
        f.seek(seen)
        commands = f.read().decode(errors="replace")
    assert '"AUTH TLS"' in commands and '"USER ' not in commands and '"PASS ' not in commands


def test_stock_ftps_trusting_the_pasted_cn_only_certificate_works(stock_vsftpd_tls):
    pem, _ = _certificate(stock_vsftpd_tls)
    with _ftps(stock_vsftpd_tls, tls_mode="certificate", tls_certificate=pem) as t:
        assert t.list(stock_vsftpd_tls.folders().inbox) == []


def test_stock_sshd_with_the_key_pinned_at_setup_works_and_a_changed_key_is_refused(stock_sshd):
    with transport_class("sftp")(stock_sshd.config(host_key=stock_sshd.host_key)) as t:
        assert t.list(stock_sshd.folders().inbox) == []

    other = transport_class("sftp")(stock_sshd.config())
    other.require_pinned_host_key = True
    with pytest.raises(ConnectorError) as info:
        with other:
            pass
    assert fingerprint_label(stock_sshd.host_key).split(" ")[0] in info.value.message  # the key it met

    changed = stock_sshd.config(host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBK9QwV7bCSJ1I3Xn5YcGcpTcgu6Y1qI1o4v0ZlVdDbz")
    with pytest.raises(ConnectorError) as info:
        with transport_class("sftp")(changed):
            pass
    message = info.value.message
    assert fingerprint_label(stock_sshd.host_key).split(" ")[0] in message
    assert fingerprint_label(changed.extra["host_key"]).split(" ")[0] in message


@pytest.fixture(params=["ftp", "sftp"])
def stock_world(request, world):
    """The demo world, its warehouse moved onto a stock server (the simulated WMS no longer sees the files)."""
    server = request.getfixturevalue({"ftp": "stock_vsftpd", "sftp": "stock_sshd"}[request.param])
    warehouse = world.connection.warehouse
    folders = server.folders()
    warehouse.transport = server.kind
    warehouse.credentials = {"host": server.host, "port": server.port, "username": server.username,
                             "password": server.password}
    warehouse.settings = {**warehouse.settings, "inbox": folders.inbox, "outbox": folders.outbox,
                          "archive": folders.archive, "error": folders.error, "taken": "",
                          "host_key": server.host_key, "settle_seconds": 0}
    warehouse.save()
    return world, server


def _run_orders(world):
    channel = Channel.objects.get(connection=world.connection, kind=ChannelKind.ORDERS)
    Channel.objects.filter(pk=channel.pk).update(lease_owner="test")
    return run_channel(channel.id, "test")


def test_a_stock_server_refusing_the_inbox_fails_the_run_and_keeps_orders_queued_until_fixed(stock_world):
    world, server = stock_world
    numbers = {world.place_order() for _ in range(3)}
    inbox = server.root / "in"
    os.chmod(inbox, 0o555)  # the server runs as its user, who may no longer write there

    run = _run_orders(world)

    assert run.ok is False and run.kind == ErrorKind.CONFIG and run.side == Side.WAREHOUSE
    assert {"ftp": "553 Could not create file", "sftp": "Permission denied"}[server.kind] in run.error
    assert {(o.status, o.attempts) for o in Order.objects.filter(connection=world.connection)} == {(S.QUEUED, 0)}
    assert list(inbox.iterdir()) == []

    os.chmod(inbox, 0o755)
    run = _run_orders(world)

    assert run.ok and run.counts["sent"] == 3
    assert set(Order.objects.values_list("status", flat=True)) == {S.OPEN}
    sent = sorted(p.name for p in inbox.iterdir())
    assert len(sent) == 3 and not [n for n in sent if n.endswith(".part")]
    assert all(any(number in name for name in sent) for number in numbers)
