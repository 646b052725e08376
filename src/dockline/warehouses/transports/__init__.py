"""File transports to a warehouse's file drop, by name."""
from __future__ import annotations

from dockline.warehouses.transports.base import Transport


def transport_class(name: str) -> type[Transport]:
    from dockline.warehouses.transports.ftp import FtpTransport
    from dockline.warehouses.transports.ftps import FtpsTransport
    from dockline.warehouses.transports.sftp import SftpTransport

    classes = {cls.name: cls for cls in (FtpTransport, FtpsTransport, SftpTransport)}
    try:
        return classes[name]
    except KeyError:
        raise KeyError(f"unknown warehouse transport {name!r}") from None
