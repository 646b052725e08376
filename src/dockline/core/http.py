"""Outgoing HTTP clients. Loading the CA bundle costs about 0.2 s, so one TLS context serves a whole process.

Every client connects only where `core.addresses` allows: the host of each new connection is
resolved and checked, then the connection goes to the checked address (TLS still verifies the
certificate against the host name).
"""
from __future__ import annotations

import socket
import ssl
from functools import cache

import certifi
import httpcore
import httpx

from dockline.core.addresses import resolve_destination


@cache
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting only to addresses `resolve_destination` checked."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = resolve_destination(host, port)
        except socket.gaierror as exc:  # httpx reports it as a ConnectError, in words by core.net
            raise httpcore.ConnectError(f"getaddrinfo failed for {host}: {exc}") from exc
        error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("Dockline does not connect to local sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over GuardedBackend."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pool._network_backend = GuardedBackend()  # httpx does not pass a backend through


def client(**kwargs) -> httpx.Client:
    """An httpx client verifying TLS against the shared context, connecting only to allowed addresses
    (a `transport` given by a test replaces the network, and with it the check)."""
    if kwargs.get("transport") is None:
        kwargs["transport"] = GuardedTransport(verify=tls_context())
    return httpx.Client(verify=tls_context(), **kwargs)
