"""File transports to a warehouse's file drop, by name."""
from __future__ import annotations

from dockline.warehouses.transports.base import Transport


def transport_class(name: str) -> type[Transport]:
    from dockline.warehouses.transports.ftp import FtpTransport

    classes = {FtpTransport.name: FtpTransport}
    try:
        return classes[name]
    except KeyError:
        raise KeyError(f"unknown warehouse transport {name!r}") from None
