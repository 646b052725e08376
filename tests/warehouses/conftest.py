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
