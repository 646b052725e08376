"""HTTP client for the BigCommerce REST APIs (V2 and V3).

* Sends `X-Auth-Token`, `Accept: application/json` and, with a body or where
  the spec requires it on a GET (`GET /v2/orders/{id}/products`),
  `Content-Type: application/json`.
* Keeps within the store's quota shared by every worker (quota.SharedQuota: a
  slot is taken before each request), and still honours BigCommerce's
  rate-limit headers: when `X-Rate-Limit-Requests-Left` reaches 0 it sleeps
  `X-Rate-Limit-Time-Reset-Ms` before the next request.
* Retries, backoff and waits follow the shared policy
  (`dockline.core.http.HttpPolicy`): idempotent requests are retried on 5xx,
  timeouts and connection errors; a POST only when the connection could not be
  opened (the store never saw it), since a POST whose answer was lost may have
  been applied. A 429 is waited out for as long as `X-Rate-Limit-Time-Reset-Ms`
  says (a bounded number of times, up to two minutes), else handed to the engine.
* Classifies failures as `BigCommerceError`s in BigCommerce's words: 5xx/network
  -> RETRYABLE (an unreachable store is named with its host and the cause in
  plain words), 429 -> RATE_LIMITED (retry_after from the reset header),
  401 -> REAUTH, 403 -> REAUTH naming the missing scope, other 4xx -> FATAL
  with the store's message.

The access token is never logged nor put in an error message.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.http import HttpPolicy
from dockline.platforms.bigcommerce.quota import SharedQuota

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.bigcommerce.com"
V2_MAX_LIMIT = 250
V3_MAX_LIMIT = 250
JSON = "application/json"
# Body-less requests whose operation in the published specs has a required Content-Type header.
_CONTENT_TYPE_REQUIRED = (
    ("GET", re.compile(r"/v2/orders/[^/]+/products")),
    ("GET", re.compile(r"/v3/catalog/products/[^/]+/bulk-pricing-rules")),
)

# OAuth scopes per API area: (what the control panel calls it, read scope, modify scope)
_SCOPES = (
    ("/v2/order", "Orders", "store_v2_orders_read_only", "store_v2_orders"),
    ("/v3/catalog", "Products", "store_v2_products_read_only", "store_v2_products"),
    ("/v3/inventory/locations", "Store Locations", "store_locations_read_only", "store_locations"),
    ("/v3/inventory", "Store Inventory", "store_inventory_read_only", "store_inventory"),
)


class BigCommerceError(ConnectorError):
    """A ConnectorError with the HTTP status BigCommerce answered (None for network trouble)."""

    def __init__(self, message: str, kind: ErrorKind = ErrorKind.FATAL, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(message, kind, retry_after)
        self.status = status


def scope_needed(method: str, path: str) -> tuple[str, str] | None:
    """(UI name, OAuth scope) that a request needs, or None if unknown."""
    if path.startswith("/v3/inventory/locations/") and path.endswith("/items"):
        path = "/v3/inventory/items"  # location inventory is the Inventory API, not Locations
    for prefix, ui, read, modify in _SCOPES:
        if path.startswith(prefix):
            return ui, (read if method.upper() == "GET" else modify)
    return None


def content_type_required(method: str, path: str) -> bool:
    """Whether the spec requires `Content-Type` on this request even without a body."""
    return any(method == m and pattern.fullmatch(path) for m, pattern in _CONTENT_TYPE_REQUIRED)


def error_message(response: httpx.Response) -> str:
    """The human part of a BigCommerce error body (V2 array or V3 object), else the reason phrase."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] or response.reason_phrase
    parts: list[str] = []
    if isinstance(body, list):
        for item in body:
            if isinstance(item, dict) and item.get("message"):
                parts.append(str(item["message"]))
    elif isinstance(body, dict):
        if body.get("title"):
            parts.append(str(body["title"]))
        elif body.get("message"):
            parts.append(str(body["message"]))
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts.extend(f"{k}: {v}" for k, v in errors.items())
        elif isinstance(errors, list):
            parts.extend(str(e) for e in errors)
    return "; ".join(parts) or response.reason_phrase


def _header_float(response: httpx.Response, name: str) -> float | None:
    raw = response.headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def reset_seconds(response: httpx.Response) -> float | None:
    """Seconds until the rate-limit window resets, from X-Rate-Limit-Time-Reset-Ms."""
    ms = _header_float(response, "X-Rate-Limit-Time-Reset-Ms")
    return None if ms is None else max(0.0, ms / 1000.0)


class BigCommerceClient:
    """One store's API: `{api_base}/stores/{store_hash}` + `/v2/...` or `/v3/...`."""

    def __init__(
        self,
        store_hash: str,
        access_token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        client_id: str = "",
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        rate_limit_storage: str | None = None,
    ):
        self.store_hash = store_hash
        self.base_url = f"{(api_base or DEFAULT_API_BASE).rstrip('/')}/stores/{store_hash}"
        # a 429 without a reset header is retried after a second; a window of up to two minutes is waited out
        self.policy = HttpPolicy("BigCommerce", retries=3, max_waits=5, max_wait=120.0, default_retry_after=1.0,
                                 statuses={403: ErrorKind.REAUTH}, error=BigCommerceError, sleep=sleep)
        self._lock = threading.Lock()
        self._resume_at = 0.0  # monotonic time before which no request is sent (quota spent)
        self.quota = SharedQuota(self.base_url, rate_limit_storage, sleep=sleep)
        headers = {"X-Auth-Token": access_token, "Accept": JSON, "User-Agent": "Dockline/0.1"}
        if client_id:
            headers["X-Auth-Client"] = client_id
        self.http = http.client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            transport=transport,
        )

    # ------------------------------------------------------------ requests
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send a request; returns the response (2xx) or raises a classified BigCommerceError."""
        method = method.upper()
        url = self.base_url + path
        headers = {"Content-Type": JSON} if json is not None or content_type_required(method, path) else None

        def attempt() -> httpx.Response:
            self._wait_for_quota()
            with self.quota.slot():
                response = self.http.request(method, url, params=params, json=json, headers=headers)
                self._note_quota(response)
            log.debug("%s %s -> %s", method, path, response.status_code)
            return response

        return self.policy.call(method, url, attempt,
                                explain=lambda response, kind, wait: self.classify(response, method, path, kind, wait))

    def classify(self, response: httpx.Response, method: str, path: str, kind: ErrorKind,
                 retry_after: float | None) -> BigCommerceError:
        """BigCommerce's words for a refusal the policy classified as `kind`."""
        status = response.status_code
        detail = error_message(response)
        where = f"{method} {path}"
        if kind is ErrorKind.RATE_LIMITED:
            wait = reset_seconds(response)
            wait = retry_after if wait is None else wait
            return BigCommerceError(f"BigCommerce rate limit reached ({where}); retry in {wait:.1f}s",
                                    kind, retry_after=wait, status=status)
        if kind is ErrorKind.RETRYABLE:
            return BigCommerceError(f"BigCommerce server error {status} on {where}: {detail}", kind, status=status)
        if status == 401:
            return BigCommerceError(
                f"BigCommerce rejected the access token (401 on {where}): {detail}. "
                "Check the Access Token and that it belongs to this store.",
                kind,
                status=status,
            )
        if status == 403:
            needed = scope_needed(method, path)
            scope = f" the '{needed[0]}' scope ({needed[1]})" if needed else " a required scope"
            return BigCommerceError(
                f"The BigCommerce API account lacks{scope} needed for {where} (403: {detail}). "
                "Edit the API account's OAuth scopes, then update the Access Token.",
                kind,
                status=status,
            )
        return BigCommerceError(f"BigCommerce refused {where} ({status}): {detail}", kind, status=status)

    def _note_quota(self, response: httpx.Response) -> None:
        quota = _header_float(response, "X-Rate-Limit-Requests-Quota")
        window = _header_float(response, "X-Rate-Limit-Time-Window-Ms")
        if quota is not None and window is not None:
            self.quota.learn(int(quota), int(window))
        left = _header_float(response, "X-Rate-Limit-Requests-Left")
        if left is None or left > 0:
            return
        wait = reset_seconds(response)
        if wait is None:
            return
        with self._lock:
            self._resume_at = max(self._resume_at, self.policy.monotonic() + wait + self.policy.wait_margin)

    def _wait_for_quota(self) -> None:
        with self._lock:
            delay = self._resume_at - self.policy.monotonic()
        if delay > 0:
            log.debug("BigCommerce quota spent; sleeping %.2fs", delay)
            self.policy.sleep(delay)

    # ------------------------------------------------------------ helpers
    def get(self, path: str, params: dict | None = None) -> Any:
        """GET and decode JSON; None for 204 No Content."""
        response = self.request("GET", path, params=params)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def put(self, path: str, body: Any) -> Any:
        response = self.request("PUT", path, json=body)
        return response.json() if response.content else None

    def post(self, path: str, body: Any) -> Any:
        response = self.request("POST", path, json=body)
        return response.json() if response.content else None

    def iter_v2(self, path: str, params: dict | None = None, *, limit: int = V2_MAX_LIMIT) -> Iterator[dict]:
        """Every row of a V2 list: `page`/`limit` paging, ends at a 204 or a short page."""
        limit = min(limit, V2_MAX_LIMIT)
        page = 1
        while True:
            rows = self.get(path, {**(params or {}), "page": page, "limit": limit})
            if not rows:
                return
            yield from rows
            if len(rows) < limit:
                return
            page += 1

    def iter_v3(self, path: str, params: dict | None = None, *, limit: int = V3_MAX_LIMIT) -> Iterator[dict]:
        """Every row of a V3 list, following `meta.pagination`."""
        limit = min(limit, V3_MAX_LIMIT)
        page = 1
        while True:
            body = self.get(path, {**(params or {}), "page": page, "limit": limit}) or {}
            rows = body.get("data") or []
            yield from rows
            pagination = (body.get("meta") or {}).get("pagination") or {}
            total_pages = pagination.get("total_pages")
            if total_pages is None:
                if len(rows) < limit:
                    return
            elif page >= total_pages:
                return
            if not rows:
                return
            page += 1

    def close(self) -> None:
        self.http.close()
