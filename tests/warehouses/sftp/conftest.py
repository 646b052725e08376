"""A real asyncssh SFTP server on loopback for each test, and a config pointing at it."""
import pytest

from dockline.sandbox.sftpserver import SftpServer
from dockline.warehouses.transports.base import Folders, TransportConfig


@pytest.fixture
def server(tmp_path):
    srv = SftpServer(tmp_path / "root", password="s3cret-Pa55")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def make_config(server):
    """A TransportConfig for `server`; password login unless told otherwise."""

    def make(*, password=None, private_key=None, host_key=None, timeout=5.0, port=None, **folders):
        extra = {}
        if private_key is not None:
            extra["private_key"] = private_key
        if host_key is not None:
            extra["host_key"] = host_key
        return TransportConfig(
            host=server.host,
            port=server.port if port is None else port,
            username=server.username,
            password=server.password if password is None else password,
            folders=Folders(**folders) if folders else Folders(),
            timeout=timeout,
            extra=extra,
        )

    return make
