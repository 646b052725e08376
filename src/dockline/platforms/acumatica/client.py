"""HTTP client for Acumatica's contract-based REST API with OAuth 2 (password grant + rotating refresh tokens).

One API session per connection: the access token is kept with the credentials and shared by every
connector of the same connection in this process, so runs reuse it instead of signing in again
(each new sign-in takes one of the licence's API user slots). Tokens are renewed with the refresh
token under a lock; every rotation is handed to `on_token` at once, because the old refresh token
stops working the moment the new one is issued.

A refresh token lives about 30 days from the first sign-in, however often it is rotated (sliding
expiration only came with 2024 R1). When a refresh is refused with `invalid_grant`, the client signs
in again with the stored user and password; only when that is refused too does the connection need
re-authorization, and then the password is not tried again until a person enters credentials
(a wrong password tried every few minutes would lock the user out).

Requests follow the shared policy (`dockline.core.http.HttpPolicy`) with Acumatica's rules on top:
PUT is not retried once sent (a PUT without key fields creates a record), a 401 renews the token
once within the attempt, "API Login Limit" is RATE_LIMITED for a minute, and a 500 that a business
rule raised (`PX.` exception types) is FATAL.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import quote, urljoin

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.http import HttpPolicy
from dockline.core.net import unreachable

log = logging.getLogger(__name__)

SCOPE = "api offline_access"
PAGE = 100  # records per list request
LOGIN_LIMIT_WAIT = 60.0  # seconds before trying again when the API user slots are all taken
ACTION_TIMEOUT = 120.0  # seconds a long-running action may take before the run gives up (it is checked next run)

_LOCK = threading.RLock()
_TOKENS: dict[tuple[str, str, str], dict] = {}  # (instance url, client id, username) -> newest token


class AcumaticaError(ConnectorError):
    """`fields`: the (field path, message) pairs of a refused record, e.g. ("ShipVia", "Ship Via 'X' ...")."""

    def __init__(self, message: str, kind: ErrorKind, status: int | None = None, retry_after: float | None = None,
                 fields: list[tuple[str, str]] | None = None):
        super().__init__(message, kind, retry_after)
        self.status = status
        self.fields = fields or []


def field_errors(entity: dict, prefix: str = "") -> list[tuple[str, str]]:
    """The errors Acumatica placed in a refused record: `{"ShipVia": {"value": "X", "error": "..."}}` and the
    same inside detail rows (`Details[2].ShippedQty`) and linked entities; the record's own generic
    `error` on top is left out."""
    found = []
    for name, got in entity.items():
        rows = got if isinstance(got, list) else [got]
        for n, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                continue
            where = prefix + name + (f"[{n}]" if isinstance(got, list) else "")
            if row.get("error"):
                found.append((where, str(row["error"])))
            if not set(row) <= {"value", "error"}:  # a linked entity or a detail row: look inside
                found.extend(field_errors(row, where + "."))
    return found


def _newer(a: dict | None, b: dict | None) -> dict | None:
    if not a or not b:
        return a or b
    return a if float(a.get("expires_at") or 0) >= float(b.get("expires_at") or 0) else b


def value(record: dict | None, name: str, default=None):
    """A field of a contract-based record: `{"Field": {"value": ...}}` -> ...; default when absent or null."""
    field = (record or {}).get(name)
    got = field.get("value") if isinstance(field, dict) else None
    return default if got is None else got


def literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def forget_token(instance_url: str, client_id: str, username: str) -> None:
    with _LOCK:
        _TOKENS.pop((instance_url, client_id, username), None)


class AcumaticaClient:
    def __init__(self, instance_url: str, client_id: str, client_secret: str, username: str, password: str, *,
                 token: dict | None, on_token: Callable[[dict | None], None], version: str,
                 stored_token: Callable[[], dict | None] = lambda: None, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.instance_url = instance_url.rstrip("/")
        self.base = f"{self.instance_url}/entity/Default/{version}"
        self.token_url = f"{self.instance_url}/identity/connect/token"
        self.username, self._password = username, password
        self._key = (self.instance_url, client_id, username)
        self._on_token = on_token
        self._stored_token = stored_token  # the token as saved now (another process may have rotated it)
        self.policy = HttpPolicy("Acumatica", idempotent=frozenset({"GET", "HEAD", "OPTIONS", "DELETE"}),
                                 default_retry_after=LOGIN_LIMIT_WAIT, error=AcumaticaError, sleep=sleep)
        self.oauth = OAuth2Client(client_id=client_id, client_secret=client_secret, scope=SCOPE,
                                  token_endpoint_auth_method="client_secret_post", timeout=timeout,
                                  verify=http.tls_context())
        with _LOCK:
            current = _newer(_TOKENS.get(self._key), token)
        if current:
            self.oauth.token = dict(current)

    # ---------------------------------------------------------------- tokens
    @property
    def token(self) -> dict | None:
        return dict(self.oauth.token) if self.oauth.token else None

    def sign_in(self) -> None:
        """Password grant: opens a new API session (only when there is no usable token)."""
        with _LOCK:
            try:
                self.oauth.fetch_token(self.token_url, grant_type="password", username=self.username,
                                       password=self._password, scope=SCOPE)
            except OAuthError as exc:
                raise self._oauth_failure(exc, "sign-in") from None
            except httpx.TransportError as exc:
                raise AcumaticaError(unreachable("Acumatica", self.token_url, exc), ErrorKind.RETRYABLE) from None
            except ValueError:
                raise self._not_a_token() from None
            self._saved()

    def _not_a_token(self) -> AcumaticaError:
        return AcumaticaError(
            f"Acumatica at {self.instance_url} did not answer the sign-in with a token: check the Instance URL "
            "(it ends with the instance name, e.g. https://acme.acumatica.com/AcmeInstance).", ErrorKind.RETRYABLE)

    def _renew(self, *, force: bool) -> None:
        with _LOCK:
            shared, mine = _TOKENS.get(self._key), self.token
            replaced = shared and shared.get("access_token") != (mine or {}).get("access_token")
            if replaced and _newer(shared, mine) is shared:
                self.oauth.token = dict(shared)  # another run of this connection renewed it already
                mine, force = self.token, False
            if not mine:
                self.sign_in()
                return
            if not force and not self.oauth.token.is_expired(leeway=60):
                return
            if not mine.get("refresh_token"):
                self.sign_in()
                return
            try:
                self.oauth.refresh_token(self.token_url, refresh_token=mine["refresh_token"])
            except OAuthError as exc:
                if exc.error != "invalid_grant":
                    raise self._oauth_failure(exc, "refresh") from None
                stored = self._stored_token()
                if stored and stored.get("refresh_token") != mine["refresh_token"]:
                    self.oauth.token = dict(stored)  # rotated meanwhile by another worker: carry on with it
                    _TOKENS[self._key] = dict(stored)
                    return
                log.warning("Acumatica at %s no longer accepts the refresh token of user %s (they live about 30 "
                            "days): signing in again with the stored password", self.instance_url, self.username)
                forget_token(*self._key)
                self.sign_in()  # refused too: re-authorization (see _oauth_failure)
                return
            except httpx.TransportError as exc:
                raise AcumaticaError(unreachable("Acumatica", self.token_url, exc), ErrorKind.RETRYABLE) from None
            except ValueError:
                raise self._not_a_token() from None
            self._saved()

    def _saved(self) -> None:
        token = dict(self.oauth.token)
        _TOKENS[self._key] = token
        self._on_token(token)

    def _oauth_failure(self, exc: OAuthError, step: str) -> AcumaticaError:
        log.error("Acumatica at %s refused the %s of user %s (%s): the connection needs re-authorization",
                  self.instance_url, step, self.username, exc.error)
        if exc.error == "invalid_client":
            return AcumaticaError(
                "Acumatica refused the Client ID or Shared Secret (invalid_client): the shared secret has probably "
                "expired. Add a new secret to the connected application in Acumatica and enter it in Dockline.",
                ErrorKind.REAUTH)
        if exc.error == "invalid_grant":
            forget_token(*self._key)
            self._on_token(None)  # the password is not tried again until a person enters credentials
            return AcumaticaError(
                f"Acumatica refused the username or password of '{self.username}' (invalid_grant), or the user "
                "is disabled: check the integration user and enter its password again to re-authorize.",
                ErrorKind.REAUTH)
        return AcumaticaError(f"Acumatica's sign-in failed: {exc.error} {exc.description or ''}".strip(),
                              ErrorKind.REAUTH)

    # ---------------------------------------------------------------- requests
    def url(self, *parts: str) -> str:
        return "/".join([self.base, *(quote(str(p), safe="") for p in parts)])

    def request(self, method: str, url: str, *, params: dict | None = None, json=None) -> httpx.Response:
        """The response (2xx) or a classified AcumaticaError. Signing in is not retried here: a sign-in
        whose answer was lost may hold one of the licence's API user slots already."""
        self._renew(force=False)

        def attempt() -> httpx.Response:
            response = self._send(method, url, params, json)
            if response.status_code == 401:  # the token ended early (session closed on the server): renew once
                self._renew(force=True)
                response = self._send(method, url, params, json)
            return response

        return self.policy.call(method, url, attempt, explain=self._api_error)

    def _send(self, method: str, url: str, params: dict | None, json) -> httpx.Response:
        try:
            return self.oauth.request(method, url, params=params, json=json, headers={"Accept": "application/json"})
        except OAuthError as exc:
            raise self._oauth_failure(exc, "refresh") from None

    def get(self, *parts: str, params: dict | None = None):
        return self.request("GET", self.url(*parts), params=params).json()

    def read_all(self, entity: str, base: str, key: str, expand: str) -> list[dict]:
        """Every record matching `base`, without relying on the order of the answers.

        The contract-based API has no `$orderby` and promises no order, so a page of `$top` records is
        some of the matching ones, not necessarily the lowest keys. What holds whatever the order: an
        answer shorter than `$top` is all there is. So records are read by key range, `(lo, hi]`:
        a short answer completes its range; a full one is proven to be the lowest keys by one more,
        keys-only request over `(lo, second-highest key]` (it must return exactly the keys we have),
        and otherwise its range is halved at the page's median key and both halves read again.
        Ranges only shrink, so this ends; an instance answering in key order costs one keys-only
        request per page.
        """
        found: dict[str, dict] = {}
        ranges: list[tuple[str | None, str | None]] = [(None, None)]
        while ranges:
            lo, hi = ranges.pop()
            page = self._page(entity, base, key, lo, hi, expand=expand)
            if len(page) < PAGE:
                found.update((value(r, key), r) for r in page)
                continue
            keys = sorted(value(r, key) for r in page)
            cut = keys[-2]
            check = {value(r, key) for r in self._page(entity, base, key, lo, cut, select=key)}
            if len(check) < PAGE and check <= set(keys):
                found.update((value(r, key), r) for r in page if value(r, key) in check)
                ranges.append((cut, hi))
            else:
                middle = keys[PAGE // 2 - 1]
                ranges.extend([(middle, hi), (lo, middle)])
        return list(found.values())

    def _page(self, entity: str, base: str, key: str, lo: str | None, hi: str | None, **shape) -> list[dict]:
        flt = base + (f" and {key} gt {literal(lo)}" if lo is not None else "") \
            + (f" and {key} le {literal(hi)}" if hi is not None else "")
        params = {"$filter": flt, "$top": PAGE}
        params.update({f"${name}": text for name, text in shape.items()})
        return self.get(entity, params=params)

    def put(self, entity: str, body: dict, params: dict | None = None) -> dict:
        return self.request("PUT", self.url(entity), params=params, json=body).json()

    def action(self, entity: str, action: str, body: dict) -> None:
        """Invoke a long-running action: 202 Accepted + Location, polled until 204 No Content."""
        response = self.request("POST", self.url(entity, action), json=body)
        location = response.headers.get("Location")
        if response.status_code != 202 or not location:
            return
        status_url = urljoin(self.instance_url + "/", location)
        deadline, wait = self.policy.monotonic() + ACTION_TIMEOUT, 0.1
        while self.policy.monotonic() < deadline:
            self.policy.sleep(wait)
            if self.request("GET", status_url).status_code == 204:
                return
            wait = min(wait * 2, 2.0)
        raise AcumaticaError(f"Acumatica's {action} is still running after {ACTION_TIMEOUT:.0f}s", ErrorKind.RETRYABLE)

    @staticmethod
    def _api_error(response: httpx.Response, kind: ErrorKind, retry_after: float | None) -> AcumaticaError:
        """Acumatica's words for a refusal the policy classified as `kind`, and its own exceptions to it."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        text = body.get("exceptionMessage") or body.get("error") or body.get("message") or response.reason_phrase
        fields = field_errors(body)
        if fields:  # a refused record comes back whole, each refusal on its field
            said = "; ".join(f"{message.rstrip('.')} (field {path})" for path, message in fields)
            return AcumaticaError(f"Acumatica refused the record: {said}.", ErrorKind.FATAL, status, fields=fields)
        if "API Login Limit" in str(text):  # a 500 (or a 429) when the licence's API user slots are all taken
            wait = retry_after if kind is ErrorKind.RATE_LIMITED else LOGIN_LIMIT_WAIT
            return AcumaticaError(
                "Acumatica's API login limit is reached (every API user slot of the licence is in use); Dockline "
                "keeps its one session and tries again later.", ErrorKind.RATE_LIMITED, status, wait)
        if kind is ErrorKind.RATE_LIMITED:
            return AcumaticaError(f"Acumatica's request limit is reached: {text}", kind, status, retry_after)
        if status == 401:
            return AcumaticaError("Acumatica rejected Dockline's access token (401): re-authorize the connection.",
                                  kind, status)
        if status == 403:
            return AcumaticaError(f"The integration user lacks access rights (403): {text}", kind, status)
        if str(body.get("exceptionType", "")).startswith("PX."):
            kind = ErrorKind.FATAL  # a business rule refused it: the same request would be refused again
        return AcumaticaError(f"Acumatica answered {status}: {text}", kind, status)

    def close(self) -> None:
        self.oauth.close()
