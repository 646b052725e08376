"""HTTP client for Amazon's Selling Partner API (SP-API) and its Login with Amazon (LWA) token exchange.

* Access: the seller's refresh token is exchanged at LWA (`POST /auth/o2/token`,
  grant_type=refresh_token, with the app's client ID and secret) for an access token,
  cached until a minute before it expires; every SP-API call sends it as
  `x-amz-access-token`. A refused refresh token (`invalid_grant`) is REAUTH: the seller
  must authorize the app again.
* Retries, waits and the kinds of failures follow the shared policy
  (`dockline.core.http.HttpPolicy`). Amazon's part: a 403 is first taken as a stale
  access token (exchanged again, once); a second 403 means the app lacks the operation's
  role: CONFIG, naming the role. A 429 carries no Retry-After; the wait is one token of the
  operation's usage plan.
* Every call names its operation and takes a slot of that operation's usage plan first
  (`quota.UsagePlans`), shared by every worker that talks to the seller.
* Errors carry Amazon's own words (the `errors` list: code, message, details).

Secrets (client secret, refresh token, access tokens) are never logged nor put in a message.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.http import HttpPolicy
from dockline.platforms.amazon.quota import UsagePlans

DEFAULT_API_BASE = "https://sellingpartnerapi-na.amazon.com"  # North America
DEFAULT_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
TOKEN_MARGIN = 60.0  # seconds before expiry an access token is exchanged anew
LABEL = "Amazon"
USER_AGENT = "Dockline (Language=Python)"  # SP-API asks apps to name themselves and their language

# The role an operation needs (SP-API "roles" of the app's registration), for messages.
ROLES = {
    "searchOrders": "Inventory and Order Tracking",
    "getOrder": "Inventory and Order Tracking",
    "confirmShipment": "Inventory and Order Tracking",
    "createRestrictedDataToken": "Direct-to-Consumer Delivery (Restricted)",
    "getListingsItem": "Product Listing",
    "patchListingsItem": "Product Listing",
    "createFeedDocument": "Product Listing",
    "createFeed": "Product Listing",
    "getFeed": "Product Listing",
    "getFeedDocument": "Product Listing",
}


def amazon_words(response: httpx.Response) -> str:
    """Amazon's message: the first of `errors` (message and details), else LWA's error_description."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            text = str(first.get("message") or first.get("code") or "")
            return f"{text} ({first['details']})" if first.get("details") else text
        if body.get("error_description") or body.get("error"):
            return str(body.get("error_description") or body.get("error"))
    return response.reason_phrase or f"HTTP {response.status_code}"


class RoleDenied(ConnectorError):
    """Amazon denied an operation to the app: the seller did not grant (or Amazon did not approve) its role."""

    def __init__(self, operation: str, words: str):
        self.operation = operation
        self.role = ROLES.get(operation, "")
        needs = f"the {self.role} role" if self.role else "access to this operation"
        super().__init__(f"Amazon denied {operation}: {words}. The app needs {needs}: add it to the app in "
                         f"Seller Central (Apps and Services > Develop Apps), then authorize the app again.",
                         ErrorKind.CONFIG)


class AmazonClient:
    """One seller's SP-API access through one LWA app."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str, *, seller: str,
                 api_base: str = DEFAULT_API_BASE, token_url: str = DEFAULT_TOKEN_URL, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep, quota_sleep: Callable[[float], None] = time.sleep,
                 storage: str | None = None):
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.token_url = token_url or DEFAULT_TOKEN_URL
        self._lwa = (client_id, client_secret, refresh_token)
        self.plans = UsagePlans(f"{client_id}/{seller}", storage, sleep=quota_sleep)
        self.policy = HttpPolicy(LABEL, sleep=sleep)
        self.http = http.client(timeout=timeout, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._lock = threading.Lock()

    # ------------------------------------------------------------ LWA
    def access_token(self, *, renew: bool = False) -> str:
        """The cached access token, exchanged at LWA when missing, near its expiry, or `renew`."""
        with self._lock:
            if not renew and self._token and self.policy.monotonic() < self._token[1]:
                return self._token[0]
            client_id, secret, refresh = self._lwa
            form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id,
                    "client_secret": secret}
            body = self.policy.send(self.http, "POST", self.token_url, data=form, explain=self._lwa_refusal,
                                    read=lambda r: r.json())
            token = body.get("access_token") if isinstance(body, dict) else None
            if not token:
                raise ConnectorError("Login with Amazon answered without an access token; Dockline tries again "
                                     "later.", ErrorKind.RETRYABLE)
            lifetime = float(body.get("expires_in") or 3600)
            self._token = (token, self.policy.monotonic() + max(0.0, lifetime - TOKEN_MARGIN))
            return token

    def _lwa_refusal(self, response: httpx.Response, kind: ErrorKind, retry_after: float | None) -> ConnectorError:
        words = amazon_words(response)
        try:
            code = (response.json() or {}).get("error")
        except (ValueError, AttributeError):
            code = None
        if code == "invalid_grant":
            return ConnectorError(f"Amazon refused the seller's refresh token ({words}): the store needs "
                                  f"re-authorization; authorize the app again in Seller Central and save the new "
                                  f"refresh token.", ErrorKind.REAUTH)
        if code in ("invalid_client", "unauthorized_client"):
            return ConnectorError(f"Login with Amazon refused the app's client ID or secret ({words}): check the "
                                  f"LWA credentials.", ErrorKind.REAUTH)
        return self._refusal("Login with Amazon", response, kind, retry_after)

    # ------------------------------------------------------------ SP-API
    def request(self, operation: str, method: str, path: str, *, params: dict | None = None, json: Any = None,
                token: str | None = None) -> Any:
        """JSON answer of one SP-API operation (None for 204); raises a classified ConnectorError.

        `token`: a Restricted Data Token to send instead of the access token."""
        url = self.api_base + path
        renewed = False

        def attempt() -> httpx.Response:
            nonlocal renewed
            self.plans.take(operation)
            response = self.http.request(method, url, params=params, json=json,
                                         headers={"x-amz-access-token": token or self.access_token()})
            self.plans.learn(operation, response.headers.get("x-amzn-RateLimit-Limit"))
            if response.status_code == 403 and token is None and not renewed:
                renewed = True  # perhaps the cached token expired early: exchange it once more
                self.access_token(renew=True)
                self.plans.take(operation)
                response = self.http.request(method, url, params=params, json=json,
                                             headers={"x-amz-access-token": self.access_token()})
            return response

        def explain(response: httpx.Response, kind: ErrorKind, retry_after: float | None) -> ConnectorError:
            if response.status_code == 403:
                return RoleDenied(operation, amazon_words(response))
            if kind is ErrorKind.RATE_LIMITED:
                retry_after = 1.0 / self.plans.rate(operation)
            return self._refusal(f"Amazon ({operation})", response, kind, retry_after)

        response = self.policy.call(method, url, attempt, explain=explain)
        return response.json() if response.content else None

    def fetch_document(self, url: str) -> bytes:
        """The contents behind a presigned feed-document URL (no SP-API token: the URL is the key)."""
        return self.policy.send(self.http, "GET", url, read=lambda r: r.content)

    def upload_document(self, url: str, content: bytes, content_type: str) -> None:
        """Upload to a presigned URL; a PUT of the same bytes is idempotent."""
        self.policy.send(self.http, "PUT", url, content=content, headers={"Content-Type": content_type})

    def _refusal(self, who: str, response: httpx.Response, kind: ErrorKind,
                 retry_after: float | None) -> ConnectorError:
        status, words = response.status_code, amazon_words(response)
        if kind is ErrorKind.RATE_LIMITED:
            return ConnectorError(f"{who} asks Dockline to slow down ({words}); it tries again in "
                                  f"{retry_after or 0:.0f} s.", kind, retry_after=retry_after)
        if kind is ErrorKind.RETRYABLE:
            return ConnectorError(f"{who} could not answer ({status}: {words}); Dockline tries again later.", kind)
        if kind is ErrorKind.REAUTH:
            return ConnectorError(f"{who} refused Dockline's credentials ({status}: {words}): authorize the app "
                                  f"again.", kind)
        return ConnectorError(f"{who} refused the request ({status}): {words}", kind)

    def close(self) -> None:
        self.http.close()
