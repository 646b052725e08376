"""HTTP client for UltraCart's REST API v2 (the fulfillment resources).

* Sends `x-ultracart-simple-key` (the merchant's API key) and
  `X-UltraCart-Api-Version: 2017-03-01` with every request, JSON both ways.
* Errors: UltraCart answers an ErrorResponse (`{"success": false, "error":
  {"user_message", "developer_message", ...}}`) and the `UC-REST-ERROR`
  header. 401/410 -> REAUTH, 429 -> RATE_LIMITED, 5xx and network trouble ->
  RETRYABLE, other 4xx -> FATAL with UltraCart's message.
* GET is retried on 5xx/timeouts with a short backoff; writes are not (the
  caller decides, since a write whose answer was lost may have been applied).
* A request that gets no answer says which host and why, in plain words
  (`dockline.core.net.unreachable`).

The API key is never logged nor put in an error message.
"""
from __future__ import annotations

import time
from typing import Any

import httpx

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.net import unreachable

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


def classify(response: httpx.Response) -> ConnectorError:
    status, message = response.status_code, error_message(response)
    if status in (401, 410):
        return ConnectorError(f"UltraCart refused the API key ({status}): {message}", ErrorKind.REAUTH)
    if status == 429:
        retry = response.headers.get("Retry-After")
        try:
            wait = float(retry) if retry else DEFAULT_RETRY_AFTER
        except ValueError:
            wait = DEFAULT_RETRY_AFTER
        return ConnectorError(f"UltraCart rate limit reached: {message}", ErrorKind.RATE_LIMITED, retry_after=wait)
    if status >= 500:
        return ConnectorError(f"UltraCart server error {status}: {message}", ErrorKind.RETRYABLE)
    return ConnectorError(f"UltraCart rejected the request ({status}): {message}", ErrorKind.FATAL)


class UltraCartClient:
    def __init__(self, api_key: str, *, api_base: str = DEFAULT_API_BASE, timeout: float = 30.0,
                 retries: int = 2, retry_backoff: float = 0.5):
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.http = http.client(
            timeout=timeout,
            headers={"x-ultracart-simple-key": api_key, "X-UltraCart-Api-Version": API_VERSION,
                     "Accept": "application/json"},
        )

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """JSON answer of one call (None for 204); raises a classified ConnectorError."""
        attempts = 1 + (self.retries if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                response = self.http.request(method, self.api_base + path, json=body)
            except httpx.TransportError as exc:
                error = ConnectorError(unreachable("UltraCart", self.api_base, exc), ErrorKind.RETRYABLE)
            else:
                if response.status_code < 400:
                    return response.json() if response.content else None
                error = classify(response)
            if error.kind != ErrorKind.RETRYABLE or attempt == attempts - 1:
                raise error
            time.sleep(self.retry_backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.http.close()
