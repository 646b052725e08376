"""Plain words for a network failure: which host could not be reached, and why."""
from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx


def cause_of(exc: BaseException) -> str:
    """What went wrong on the wire, in words a merchant understands (never a class name alone)."""
    text = str(exc).lower()
    if isinstance(exc, httpx.TimeoutException) or isinstance(exc, TimeoutError):
        return "it did not answer in time"
    if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text \
            or "temporary failure in name resolution" in text or "no address associated" in text:
        return "the host name does not exist (check the address)"
    if "refused" in text:
        return "the connection was refused (nothing is listening at that address and port)"
    if isinstance(exc, ssl.SSLError) or "certificate" in text or "ssl" in text or "tls" in text:
        return "the secure (TLS) connection failed: the server's certificate could not be verified"
    if isinstance(exc, httpx.RemoteProtocolError) or "disconnected" in text or "reset" in text:
        return "the server closed the connection without answering"
    if isinstance(exc, httpx.NetworkError) or isinstance(exc, OSError):
        return "the network connection failed"
    return "the request failed before any answer came back"


def host_of(url: str | httpx.URL) -> str:
    """host[:port] of a URL, for messages."""
    parts = urlsplit(str(url))
    return parts.netloc.rsplit("@", 1)[-1] or str(url)


def unreachable(platform: str, url: str | httpx.URL, exc: BaseException) -> str:
    """"Cannot reach UltraCart at secure.ultracart.com: the connection was refused (...)"."""
    return f"Cannot reach {platform} at {host_of(url)}: {cause_of(exc)}."
