"""Fixtures for the warehouse tests: real FTP servers on loopback."""
from __future__ import annotations

import pytest

from dockline.sandbox.ftpserver import LoopbackFtpServer
from dockline.warehouses.transports.base import Folders, TransportConfig


@pytest.fixture
def ftp_server(tmp_path):
    root = tmp_path / "ftproot"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    server = LoopbackFtpServer(root).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ftp_config(ftp_server) -> TransportConfig:
    return TransportConfig(
        host=ftp_server.host,
        port=ftp_server.port,
        username=ftp_server.username,
        password=ftp_server.password,
        folders=Folders(),
        timeout=5.0,
    )


# -- Debian's stock vsftpd and sshd (tests/warehouses/stock_servers.py) ------------------------


@pytest.fixture(scope="session")
def stock_password():
    from tests.warehouses import stock_servers

    try:
        stock_servers.ensure_installed()
    except stock_servers.Unavailable as exc:
        pytest.skip(str(exc))
    stock_servers.ensure_user()
    return stock_servers.PASSWORD


def _session_server(request, start):
    server = start()
    request.addfinalizer(server.stop)
    return server


@pytest.fixture(scope="session")
def _stock_vsftpd(request, stock_password):
    from tests.warehouses import stock_servers

    return _session_server(request, lambda: stock_servers.start_vsftpd(stock_password, tls=False))


@pytest.fixture(scope="session")
def _stock_vsftpd_tls(request, stock_password):
    from tests.warehouses import stock_servers

    return _session_server(request, lambda: stock_servers.start_vsftpd(stock_password, tls=True))


@pytest.fixture(scope="session")
def _stock_sshd(request, stock_password):
    from tests.warehouses import stock_servers

    return _session_server(request, lambda: stock_servers.start_sshd(stock_password))


@pytest.fixture
def stock_vsftpd(_stock_vsftpd):
    """Stock vsftpd, plain FTP, with empty in/ and out/ folders."""
    _stock_vsftpd.reset()
    return _stock_vsftpd


@pytest.fixture
def stock_vsftpd_tls(_stock_vsftpd_tls):
    """Stock vsftpd, explicit TLS with require_ssl_reuse=YES, with empty in/ and out/ folders."""
    _stock_vsftpd_tls.reset()
    return _stock_vsftpd_tls


@pytest.fixture
def stock_sshd(_stock_sshd):
    """Stock OpenSSH sshd with internal-sftp, with empty in/ and out/ folders."""
    _stock_sshd.reset()
    return _stock_sshd


@pytest.fixture(params=["ftp", "ftps", "sftp"])
def stock_server(request):
    """Each stock server in turn."""
    return request.getfixturevalue({"ftp": "stock_vsftpd", "ftps": "stock_vsftpd_tls", "sftp": "stock_sshd"}[request.param])
