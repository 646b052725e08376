"""Outgoing HTTP: the clients every store connector uses, and the one policy they send requests by.

Loading the CA bundle costs about 0.2 s, so one TLS context serves a whole process (`client`).
Every client connects only where `core.addresses` allows: the host of each new connection is
resolved and checked, then the connection goes to the checked address (TLS still verifies the
certificate against the host name).

`HttpPolicy` decides, the same way for every platform:

* what a failure is: network trouble, 408 and 5xx -> RETRYABLE; 429 -> RATE_LIMITED with the wait
  its `Retry-After` asks for (seconds or an HTTP date; `default_retry_after` when there is none);
  401 -> REAUTH; any other 4xx -> FATAL. `statuses` overrides this per platform (403 -> REAUTH ...).
* when to try again: a RETRYABLE failure is retried `retries` times with exponential backoff
  (`backoff` doubled each time, at most `backoff_cap`, shortened by up to `jitter` of itself), if that
  is safe: the method is idempotent, or the request never left (the connection could not be opened).
  A POST whose answer was lost may have been applied, so its caller decides.
* how long to wait: a rate limit that lifts within `max_wait` seconds is waited out inside the call
  (at most `max_waits` times); a longer one is raised, with `retry_after`, for the engine to schedule.

Each client keeps its platform's words and rules on top: `explain` turns a refusal into its
ConnectorError (it may change the kind, e.g. a 500 that is a business-rule refusal is FATAL), and
`call` takes a callable for one attempt, so quota slots or a token renewal wrap every attempt.
Sleeping and the clocks are fields, so tests replace them and never sleep.
"""
from __future__ import annotations

import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import certifi
import httpcore
import httpx

from dockline.core.addresses import resolve_destination
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.net import host_of, unreachable

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Failures before any byte of the request went out: safe to repeat whatever the method.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# explain(response, kind, retry_after) -> the platform's ConnectorError for a refused request
Explain = Callable[[httpx.Response, ErrorKind, float | None], ConnectorError]


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


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class HttpPolicy:
    """Retries, waits and the classification of failures for one platform's client (see the module)."""

    platform: str  # as merchants know it: "BigCommerce", "1ShoppingCart"
    retries: int = 2
    backoff: float = 0.5
    backoff_cap: float = 8.0
    jitter: float = 0.0  # 0..1: each delay is shortened by a random part of up to this fraction
    max_wait: float = 30.0
    max_waits: int = 3
    default_retry_after: float = 60.0
    wait_margin: float = 0.05  # slept past a rate limit's end, so the retry does not arrive just before it
    idempotent: frozenset[str] = IDEMPOTENT
    statuses: Mapping[int, ErrorKind] = field(default_factory=dict)
    error: type[ConnectorError] = ConnectorError  # the platform's error class, for network trouble
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = utcnow  # wall clock, for Retry-After dates
    monotonic: Callable[[], float] = time.monotonic  # for the clients' own waits and deadlines
    random: Callable[[], float] = random.random
    # Attempts that went out and got no answer (a timeout, a connection dropped after sending): the server
    # may still apply them, after a later request. A caller compares it before and after a write.
    unanswered: int = 0

    # ------------------------------------------------------------ rules
    def kind_of(self, status: int) -> ErrorKind | None:
        """What an HTTP status means for the engine; None for a success."""
        if status < 400:
            return None
        if status in self.statuses:
            return self.statuses[status]
        if status == 401:
            return ErrorKind.REAUTH
        if status == 429:
            return ErrorKind.RATE_LIMITED
        if status == 408 or status >= 500:
            return ErrorKind.RETRYABLE
        return ErrorKind.FATAL

    def retry_after(self, response: httpx.Response) -> float:
        """Seconds the `Retry-After` header asks for (a number or an HTTP date), else the default."""
        raw = response.headers.get("Retry-After", "").strip()
        if not raw:
            return self.default_retry_after
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return self.default_retry_after
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - self.now()).total_seconds())

    def delay(self, retry: int) -> float:
        """Seconds to sleep before retry number `retry` (1, 2, ...)."""
        delay = min(self.backoff_cap, self.backoff * 2 ** (retry - 1))
        return delay * (1 - self.jitter * self.random())

    def refusal(self, response: httpx.Response, kind: ErrorKind, retry_after: float | None) -> ConnectorError:
        """The default words for a refused request, naming the platform and the host."""
        where = f"{self.platform} at {host_of(response.request.url)}"
        status = f"{response.status_code} {response.reason_phrase}".strip()
        if kind is ErrorKind.RETRYABLE:
            text = f"{where} could not answer ({status}); Dockline tries again later."
        elif kind is ErrorKind.RATE_LIMITED:
            text = f"{where} asks Dockline to slow down ({status}); it tries again in {retry_after or 0:.0f} s."
        elif kind is ErrorKind.REAUTH:
            text = f"{where} refused Dockline's credentials ({status}): check them in the store's settings."
        else:
            text = f"{where} refused the request ({status})."
        return self.error(text, kind, retry_after=retry_after)

    # ------------------------------------------------------------ sending
    def send(self, client: httpx.Client, method: str, url: str, *, explain: Explain | None = None,
             read: Callable[[httpx.Response], Any] | None = None, **kwargs) -> Any:
        """`client.request(method, url, **kwargs)` under the policy; see `call`."""
        return self.call(method, url, lambda: client.request(method, url, **kwargs), explain=explain, read=read)

    def call(self, method: str, url: str, attempt: Callable[[], httpx.Response], *,
             explain: Explain | None = None, read: Callable[[httpx.Response], Any] | None = None) -> Any:
        """Run `attempt` (one request) until it succeeds or the policy gives up.

        Returns the response (2xx/3xx), or `read(response)` when given: a ConnectorError that `read`
        or `attempt` raise is handled like a refusal of its kind (a truncated answer is RETRYABLE).
        Raises the ConnectorError of the last failure.
        """
        method = method.upper()
        retries = waits = 0
        while True:
            sent = True
            try:
                response = attempt()
                kind = self.kind_of(response.status_code)
                if kind is None:
                    return read(response) if read else response
                wait = self.retry_after(response) if kind is ErrorKind.RATE_LIMITED else None
                error = (explain or self.refusal)(response, kind, wait)
            except httpx.TransportError as exc:
                sent = not isinstance(exc, NOT_SENT)
                self.unanswered += sent
                error = self.error(unreachable(self.platform, url, exc), ErrorKind.RETRYABLE)
                error.__cause__ = exc
            except ConnectorError as exc:
                error = exc
            where = f"{method} {host_of(url)}{httpx.URL(url).path}"
            if error.kind is ErrorKind.RETRYABLE and retries < self.retries and (method in self.idempotent or not sent):
                retries += 1
                delay = self.delay(retries)
                log.info("%s %s: %s; retry %d/%d in %.2fs", self.platform, where, error.message, retries,
                         self.retries, delay)
                self.sleep(delay)
                continue
            wait = error.retry_after
            if error.kind is ErrorKind.RATE_LIMITED and wait is not None and wait <= self.max_wait \
                    and waits < self.max_waits:
                waits += 1
                log.info("%s rate limit on %s; waiting %.2fs", self.platform, where, wait)
                self.sleep(wait + self.wait_margin)
                continue
            if retries and error.kind is ErrorKind.RETRYABLE:
                error.message = f"{error.message.rstrip('.')}. Tried {retries + 1} times."
                error.args = (error.message,)
            raise error
