"""FtpsTransport (explicit TLS) against pyftpdlib's TLS_FTPHandler."""
from __future__ import annotations

import dataclasses

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.sandbox.ftpserver import LoopbackFtpServer, self_signed_certificate
from dockline.warehouses.transports.base import RemoteFile, TransportConfig
from dockline.warehouses.transports.ftp import FtpTransport
from dockline.warehouses.transports.ftps import FtpsTransport


@pytest.fixture
def tls_server(tmp_path):
    cert = self_signed_certificate(tmp_path)
    root = tmp_path / "root"
    (root / "in").mkdir(parents=True)
    (root / "out").mkdir()
    server = LoopbackFtpServer(root, tls_certfile=cert, tls_required=True).start()
    server.cert = cert
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tls_config(tls_server) -> TransportConfig:
    return TransportConfig(
        tls_server.host,
        tls_server.port,
        tls_server.username,
        tls_server.password,
        timeout=5.0,
        extra={"ca_file": str(tls_server.cert)},
    )


def test_transfers_reuse_the_tls_session(tls_config):
    assert FtpsTransport.name == "ftps" and issubclass(FtpsTransport, FtpTransport)
    data = b"0123456789" * 50_000
    with FtpsTransport(tls_config) as t:
        t.write_atomic("/out", "shp_1.csv", data)
        assert t._ftp.last_data_session_reused is True
        assert t.list("/out") == [RemoteFile("shp_1.csv", len(data))]
        assert t.read("/out/shp_1.csv") == data
        assert t._ftp.last_data_session_reused is True
        assert t.move("/out/shp_1.csv", "/out/archive") == "/out/archive/shp_1.csv"


def test_test_connection_over_tls(tls_config, tls_server):
    report = FtpsTransport(tls_config).test()
    assert report.ok, report
    assert [s.name for s in report.steps] == [
        f"Reach 127.0.0.1:{tls_server.port}",
        "Secure the connection with TLS",
        f"Log in as {tls_server.username}",
        "List inbox /in",
        "List outbox /out",
        "Write and remove a probe file in inbox",
    ]


def test_untrusted_certificate_is_fatal(tls_config):
    untrusted = dataclasses.replace(tls_config, extra={})
    report = FtpsTransport(untrusted).test()
    assert [s.ok for s in report.steps] == [True, False]
    assert "not trusted" in report.steps[1].detail
    with pytest.raises(ConnectorError) as info:
        FtpsTransport(untrusted).connect()
    assert info.value.kind is ErrorKind.FATAL
    # Verification can be switched off explicitly.
    assert FtpsTransport(dataclasses.replace(tls_config, extra={"verify_tls": "false"})).test().ok


def test_plain_ftp_refused_by_tls_only_server(tls_config):
    report = FtpTransport(tls_config).test()
    assert not report.ok and not report.steps[-1].ok


def test_server_requiring_session_reuse_refuses_plain_ftplib_but_not_dockline(tmp_path, tls_config):
    import ftplib
    import ssl

    root = tmp_path / "strict"
    (root / "out").mkdir(parents=True)
    (root / "out" / "shp_1.csv").write_bytes(b"x" * 1000)
    cert = tls_config.extra["ca_file"]
    with LoopbackFtpServer(root, tls_certfile=cert, tls_required=True, require_session_reuse=True) as server:
        plain = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=cert), timeout=5)
        plain.connect(server.host, server.port)
        plain.login(server.username, server.password)
        plain.prot_p()
        with pytest.raises(ftplib.error_perm, match="522"):
            plain.retrbinary("RETR /out/shp_1.csv", lambda _: None)
        plain.close()
        assert server.refused_data_connections == 1

        config = dataclasses.replace(tls_config, port=server.port, username=server.username, password=server.password)
        with FtpsTransport(config) as t:
            assert t.read("/out/shp_1.csv") == b"x" * 1000
        assert server.refused_data_connections == 1
