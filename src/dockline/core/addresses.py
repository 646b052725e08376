"""Where Dockline may connect: no cloud metadata, no link-local, and no private network unless allowed.

Staff type the host of a warehouse or store; without this guard, Test Connection would reach
the cloud's metadata service or probe the internal network for open ports. Every destination
is resolved first (getaddrinfo) and every address it resolves to is checked before a packet is
sent; callers then connect to a checked address, so a name cannot resolve differently in between.

Private, loopback and other non-public addresses are refused unless the setting ALLOW_PRIVATE_ADDRESSES (env
DOCKLINE_ALLOW_PRIVATE_ADDRESSES=1) is on: a Dockline whose 3PLs sit on its own network, the demo
and the tests turn it on. Link-local and metadata addresses are refused whatever the setting.
"""
from __future__ import annotations

import ipaddress
import os
import socket

from dockline.core.errors import ConnectorError, ErrorKind

METADATA_HOSTS = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal",
    "metadata.azure.com", "metadata.platformequinix.com",
})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.169.253", "fd00:ec2::254", "fd00:ec2::23", "100.100.100.200",
))
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))


def private_allowed() -> bool:
    """The ALLOW_PRIVATE_ADDRESSES setting (env DOCKLINE_ALLOW_PRIVATE_ADDRESSES outside Django)."""
    from django.conf import settings

    if settings.configured:
        return bool(getattr(settings, "ALLOW_PRIVATE_ADDRESSES", False))
    return os.environ.get("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "") == "1"


def refusal(address: str) -> str:
    """Why Dockline will not connect to this IP address, or "" when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "it is the cloud's metadata service"
    if any(ip in net for net in LINK_LOCAL):
        return "it is a link-local address"
    if ip.is_unspecified or ip.is_multicast:
        return "it is not an address a server can have"
    if ip.is_global or private_allowed():
        return ""
    kind = "this machine (loopback)" if ip.is_loopback else "a private network address"
    return f"it is {kind}, and this Dockline does not connect to private addresses " \
           "(an administrator can allow them with DOCKLINE_ALLOW_PRIVATE_ADDRESSES=1)"


def resolve_destination(host: str, port: int) -> list[str]:
    """The checked IP addresses of host:port, in resolver order; ConnectorError (CONFIG) when the
    host is a metadata service or any address it resolves to is refused, socket.gaierror when the
    name does not resolve. Sends no packet to the host."""
    name = (host or "").strip().strip("[]").rstrip(".").lower()
    if not name:
        raise ConnectorError("No host is set: enter the server's address.", ErrorKind.CONFIG)
    if name in METADATA_HOSTS:
        raise ConnectorError(f"Dockline does not connect to {host}: it is the cloud's metadata service. "
                             "Enter the server's own address.", ErrorKind.CONFIG)
    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)  # socket.gaierror: the caller words it
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if why := refusal(address):
            shown = host if address == name else f"{host} ({address})"
            raise ConnectorError(f"Dockline does not connect to {shown}: {why}. Enter the server's public "
                                 "address.", ErrorKind.CONFIG)
    return addresses


def check_destination(host: str, port: int) -> None:
    """Refuse (ConnectorError, CONFIG) a destination Dockline must not connect to; see resolve_destination."""
    resolve_destination(host, port)


def connect_checked(host: str, port: int, timeout: float | None = None) -> socket.socket:
    """A TCP connection to the first checked address of host:port that answers (as
    socket.create_connection, but only to addresses resolve_destination allowed)."""
    error: OSError | None = None
    for address in resolve_destination(host, port):
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host} has no address")
