"""Outgoing HTTP clients. Loading the CA bundle costs about 0.2 s, so one TLS context serves a whole process."""
from __future__ import annotations

import ssl
from functools import cache

import certifi
import httpx


@cache
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def client(**kwargs) -> httpx.Client:
    """An httpx client verifying TLS against the shared context."""
    return httpx.Client(verify=tls_context(), **kwargs)
