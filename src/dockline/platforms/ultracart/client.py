"""HTTP client for UltraCart's REST API v2 (the fulfillment resources).

* Sends `x-ultracart-simple-key` (the merchant's API key) and
  `X-UltraCart-Api-Version: 2017-03-01` with every request, JSON both ways.
* Retries, waits and the kinds of failures follow the shared policy
  (`dockline.core.http.HttpPolicy`); UltraCart's part: 410 Gone is REAUTH
  like 401, and a 429 without `Retry-After` (UltraCart documents none)
  means 60 s, so it goes back to the engine.
* Errors carry UltraCart's own words: its ErrorResponse (`{"success": false,
  "error": {"user_message", "developer_message", ...}}`), else the
  `UC-REST-ERROR` header.

The API key is never logged nor put in an error message.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.http import HttpPolicy

DEFAULT_API_BASE = "https://secure.ultracart.com/rest/v2"
API_VERSION = "2017-03-01"
DEFAULT_RETRY_AFTER = 60.0  # UltraCart documents 429 but no Retry-After header


def error_message(response: httpx.Response) -> str:
    """UltraCart's human message: the ErrorResponse body, else the UC-REST-ERROR header, else the reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        message = err.get("user_message") or err.get("developer_message")
        if message:
            return str(message)
    return response.headers.get("UC-REST-ERROR") or response.reason_phrase or f"HTTP {response.status_code}"


def classify(response: httpx.Response, kind: ErrorKind, retry_after: float | None) -> ConnectorError:
    """UltraCart's words for a refusal the policy classified as `kind`."""
    status, message = response.status_code, error_message(response)
    if kind is ErrorKind.REAUTH:
        return ConnectorError(f"UltraCart refused the API key ({status}): {message}", kind)
    if kind is ErrorKind.RATE_LIMITED:
        return ConnectorError(f"UltraCart rate limit reached: {message}", kind, retry_after=retry_after)
    if kind is ErrorKind.RETRYABLE:
        return ConnectorError(f"UltraCart server error {status}: {message}", kind)
    return ConnectorError(f"UltraCart rejected the request ({status}): {message}", kind)


class UltraCartClient:
    def __init__(self, api_key: str, *, api_base: str = DEFAULT_API_BASE, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.policy = HttpPolicy("UltraCart", default_retry_after=DEFAULT_RETRY_AFTER,
                                 statuses={410: ErrorKind.REAUTH}, sleep=sleep)
        self.http = http.client(
            timeout=timeout,
            headers={"x-ultracart-simple-key": api_key, "X-UltraCart-Api-Version": API_VERSION,
                     "Accept": "application/json"},
        )

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """JSON answer of one call (None for 204); raises a classified ConnectorError."""
        response = self.policy.send(self.http, method, self.api_base + path, json=body, explain=classify)
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()
