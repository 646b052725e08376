"""HTTP client for eBay's Sell APIs (Fulfillment v1, Inventory v1) with OAuth 2 user tokens.

* Authorization: the merchant consents once on eBay's page (authorization-code grant with
  Dockline's RuName); what Dockline keeps is the refresh token (valid about 18 months) and its
  expiry. The refresh token is exchanged at `{api_base}/identity/v1/oauth2/token` (Authlib,
  HTTP Basic with App ID and Cert ID) for access tokens that live about two hours, asking for the
  Fulfillment and Inventory scopes; an access token is renewed `RENEW_MARGIN` seconds before it
  ends, and every new one is handed to `on_token` so other workers reuse it. eBay does not rotate
  refresh tokens: a refused refresh (`invalid_grant`) means the merchant must consent again.
* Limits: every call takes a slot of the application's daily call limit for its API, shared by
  all workers (quota.CallLimits); eBay's own 429 is waited out when short (the shared policy,
  `dockline.core.http.HttpPolicy`), else handed to the engine.
* Failures carry eBay's words (`errors[].message` / `longMessage`): 5xx and network trouble ->
  RETRYABLE, 429 -> RATE_LIMITED, 401 -> REAUTH, 403 -> REAUTH naming the missing scope, other
  4xx -> FATAL. A POST whose answer was lost is not repeated here: its caller checks first.

Tokens and secrets are never logged nor put in a message.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.http import HttpPolicy
from dockline.core.net import unreachable
from dockline.platforms.ebay.quota import CallLimits

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.ebay.com"
TOKEN_PATH = "/identity/v1/oauth2/token"
FULFILLMENT = "/sell/fulfillment/v1"
INVENTORY = "/sell/inventory/v1"
SCOPE_FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_INVENTORY = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPES = {SCOPE_FULFILLMENT: "Fulfillment (orders and shipments)", SCOPE_INVENTORY: "Inventory (quantities)"}
RENEW_MARGIN = 300.0  # seconds before an access token ends that it is renewed


class EbayError(ConnectorError):
    """A ConnectorError with eBay's HTTP status and first errorId (None for network trouble)."""

    def __init__(self, message: str, kind: ErrorKind = ErrorKind.FATAL, retry_after: float | None = None,
                 status: int | None = None, error_id: int | None = None, oauth_error: str = ""):
        super().__init__(message, kind, retry_after)
        self.status = status
        self.error_id = error_id
        self.oauth_error = oauth_error  # the token endpoint's `error` (invalid_grant, invalid_scope, ...)


def error_text(errors: list | None) -> str:
    """eBay's human words from an `errors` array."""
    parts = [str(e.get("longMessage") or e.get("message")) for e in errors or []
             if isinstance(e, dict) and (e.get("longMessage") or e.get("message"))]
    return "; ".join(parts)


def _api_of(path: str) -> str:
    return "inventory" if path.startswith(INVENTORY) else "fulfillment"


class EbayClient:
    def __init__(self, client_id: str, client_secret: str, refresh_token: str, *, token: dict | None,
                 on_token: Callable[[dict], None], api_base: str = DEFAULT_API_BASE, marketplace: str = "EBAY_US",
                 call_limits: dict[str, tuple[int, int]] | None = None, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time):
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.token_url = self.api_base + TOKEN_PATH
        self._refresh_token = refresh_token
        self._on_token = on_token
        self._clock = clock
        self._lock = threading.Lock()
        self.token = dict(token) if token and token.get("access_token") else None
        self.policy = HttpPolicy("eBay", retries=3, default_retry_after=10.0, statuses={403: ErrorKind.REAUTH},
                                 error=EbayError, sleep=sleep)
        self.limits = CallLimits(client_id, call_limits)
        self.oauth = OAuth2Client(client_id=client_id, client_secret=client_secret,
                                  token_endpoint_auth_method="client_secret_basic", timeout=timeout,
                                  verify=http.tls_context())
        self.http = http.client(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
                                headers={"Accept": "application/json", "User-Agent": "Dockline/0.1",
                                         "X-EBAY-C-MARKETPLACE-ID": marketplace})

    # ---------------------------------------------------------------- tokens
    def renew(self, scopes: list[str] | None = None, *, force: bool = False) -> dict:
        """A live access token: the kept one unless it ends within RENEW_MARGIN (or `force`)."""
        with self._lock:
            if not force and scopes is None and self.token and \
                    float(self.token.get("expires_at") or 0) - RENEW_MARGIN > self._clock():
                return self.token
            asked = list(SCOPES) if scopes is None else scopes
            try:
                got = self.oauth.refresh_token(self.token_url, refresh_token=self._refresh_token,
                                               scope=" ".join(asked))
            except OAuthError as exc:
                raise self._oauth_failure(exc) from None
            except httpx.TransportError as exc:
                raise EbayError(unreachable("eBay", self.token_url, exc), ErrorKind.RETRYABLE) from None
            except ValueError:
                raise EbayError(f"eBay at {self.api_base} did not answer the token request with a token: check "
                                "the API base URL.", ErrorKind.RETRYABLE) from None
            expires_in = float(got.get("expires_in") or 7200)
            token = {"access_token": got["access_token"], "expires_at": self._clock() + expires_in}
            if scopes is None:
                self.token = token
                log.info("eBay access token renewed; it ends in %.0f s", expires_in)
                self._on_token(dict(token))
            return token

    @staticmethod
    def _oauth_failure(exc: OAuthError) -> EbayError:
        words = {
            "invalid_scope": "eBay refused the scopes Dockline asks for (invalid_scope): the merchant did not grant "
                             "them; consent again on eBay's page with every scope.",
            "invalid_client": "eBay refused the App ID or Cert ID (invalid_client): check the application's "
                              "production keys in eBay's developer portal.",
            "invalid_grant": "eBay no longer accepts the refresh token (invalid_grant): it expired or the merchant "
                             "revoked Dockline's access. The merchant must consent again on eBay's page.",
        }
        text = words.get(exc.error) or f"eBay's token request failed: {exc.error} {exc.description or ''}".strip()
        return EbayError(text, ErrorKind.REAUTH, oauth_error=exc.error or "")

    # ---------------------------------------------------------------- requests
    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> httpx.Response:
        """The response (2xx) or a classified EbayError; a 401 renews the token once within the attempt."""
        method, url, api = method.upper(), self.api_base + path, _api_of(path)

        def attempt() -> httpx.Response:
            response = self._send(method, url, api, params, json, self.renew())
            if response.status_code == 401:  # revoked or ended early: one fresh token, then the 401 stands
                response = self._send(method, url, api, params, json, self.renew(force=True))
            return response

        return self.policy.call(method, url, attempt, explain=lambda r, kind, wait: self.classify(r, method, path,
                                                                                                 kind, wait))

    def _send(self, method: str, url: str, api: str, params, json, token: dict) -> httpx.Response:
        self.limits.take(api)
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        if json is not None:
            headers["Content-Type"] = "application/json"
        response = self.http.request(method, url, params=params, json=json, headers=headers)
        log.debug("%s %s -> %s", method, url, response.status_code)
        return response

    @staticmethod
    def classify(response: httpx.Response, method: str, path: str, kind: ErrorKind,
                 retry_after: float | None) -> EbayError:
        """eBay's words for a refusal the policy classified as `kind`."""
        status = response.status_code
        try:
            errors = response.json().get("errors")
        except (ValueError, AttributeError):
            errors = None
        detail = error_text(errors) or response.reason_phrase
        error_id = next((e.get("errorId") for e in errors or [] if isinstance(e, dict)), None)
        where = f"{method} {path}"
        if kind is ErrorKind.RATE_LIMITED:
            return EbayError(f"eBay's call limit is reached ({where}): {detail}; Dockline tries again in "
                             f"{retry_after or 0:.0f} s.", kind, retry_after, status, error_id)
        if kind is ErrorKind.RETRYABLE:
            return EbayError(f"eBay could not answer {where} ({status}): {detail}", kind, None, status, error_id)
        if status == 401:
            return EbayError(f"eBay refused Dockline's access token (401 on {where}): {detail}. The merchant may "
                             "have revoked access: consent again on eBay's page.", kind, None, status, error_id)
        if status == 403:
            scope = SCOPES[SCOPE_INVENTORY if path.startswith(INVENTORY) else SCOPE_FULFILLMENT]
            return EbayError(f"eBay says Dockline lacks the {scope} permission for {where} (403: {detail}): consent "
                             "again on eBay's page and grant it.", kind, None, status, error_id)
        return EbayError(f"eBay refused {where} ({status}): {detail}", kind, None, status, error_id)

    def get(self, path: str, params: dict | None = None) -> Any:
        response = self.request("GET", path, params=params)
        return response.json() if response.content else None

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.request("POST", path, json=body)

    def close(self) -> None:
        self.http.close()
        self.oauth.close()
