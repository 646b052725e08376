"""The BigCommerce app's callbacks: the install code exchange, and the signed load/uninstall payloads.

On install, BigCommerce opens Dockline's auth callback with `code`, `scope` and
`context` (`stores/{store_hash}`); Dockline POSTs them, with the app's Client ID
and Client Secret, to `https://login.bigcommerce.com/oauth2/token` and gets the
store's permanent access token, the scopes it grants, and the store it is for
(`context` in the answer: the only store hash Dockline trusts, the request's can be forged).

The load and uninstall callbacks carry `signed_payload_jwt`: an HS256 JWT signed with the
app's Client Secret, whose `aud` is the Client ID, `iss` is "bc" and `sub` is "stores/{hash}".
"""
from __future__ import annotations

import time

import httpx
from authlib.jose import JoseError, JsonWebToken

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.net import unreachable

DEFAULT_LOGIN_BASE = "https://login.bigcommerce.com"
LEEWAY_SECONDS = 60  # clock difference tolerated on exp / nbf
_JWT = JsonWebToken(["HS256"])  # the one algorithm BigCommerce signs with; "none" and RS* are refused


def store_hash_of(context: str) -> str:
    prefix, _, store_hash = (context or "").partition("/")
    if prefix != "stores" or not store_hash or "/" in store_hash:
        raise ConnectorError(f"BigCommerce sent an unexpected context {context!r} (expected stores/<hash>)")
    return store_hash


def exchange_code(
    *, code: str, scope: str, context: str, client_id: str, client_secret: str, redirect_uri: str,
    login_base: str = DEFAULT_LOGIN_BASE, timeout: float = 20.0,
) -> dict:
    """Credentials for the connector (store_hash, access_token, client_id, scope) from an install's code;
    the store hash is the one BigCommerce's answer names."""
    store_hash_of(context)  # well-formed, or not worth sending
    if not code:
        raise ConnectorError("BigCommerce sent no authorization code")
    if not client_id or not client_secret:
        raise ConnectorError("The Dockline BigCommerce app's Client ID and Client Secret are not configured")
    body = {
        "client_id": client_id, "client_secret": client_secret, "code": code, "scope": scope,
        "grant_type": "authorization_code", "redirect_uri": redirect_uri, "context": context,
    }
    try:
        with http.client(timeout=timeout) as session:
            response = session.post(f"{login_base.rstrip('/')}/oauth2/token", json=body,
                                    headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ConnectorError(f"{unreachable('BigCommerce', login_base, exc)} The install is not finished: "
                             "start it again from the BigCommerce control panel in a few minutes.",
                             ErrorKind.RETRYABLE) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not answer.get("access_token"):
        reason = answer.get("error") or answer.get("title") or response.reason_phrase
        raise ConnectorError(f"BigCommerce refused the install code ({response.status_code}: {reason}); "
                             "start the install again from the BigCommerce control panel",
                             ErrorKind.REAUTH)
    try:
        store_hash = store_hash_of(str(answer.get("context", "")))
    except ConnectorError:
        raise ConnectorError("BigCommerce's answer named no store (no context stores/<hash>); start the install "
                             "again from the BigCommerce control panel") from None
    return {
        "store_hash": store_hash,
        "access_token": answer["access_token"],
        "client_id": client_id,
        "scope": answer.get("scope") or scope,
    }


def verify_signed_payload(token: str, *, client_id: str, client_secret: str, now: float | None = None) -> dict:
    """The claims of a load/uninstall callback's `signed_payload_jwt`, with `store_hash` added, once its
    signature, audience, issuer, times and subject are checked; ConnectorError saying which check failed."""
    if not client_id or not client_secret:
        raise ConnectorError("The Dockline BigCommerce app's Client ID and Client Secret are not configured")
    if not token:
        raise ConnectorError("BigCommerce sent no signed_payload_jwt")
    try:
        claims = _JWT.decode(token, client_secret, claims_options={
            "iss": {"essential": True, "value": "bc"},
            "aud": {"essential": True, "value": client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
        })
        claims.validate(now=int(now if now is not None else time.time()), leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError) as exc:
        raise ConnectorError(f"The signed payload is not valid for this app ({_why(exc)})") from None
    payload = dict(claims)
    payload["store_hash"] = store_hash_of(str(payload.get("sub", "")))
    return payload


def _why(exc: Exception) -> str:
    """JoseError's own words without its class name ("bad_signature: ..." -> "bad signature")."""
    error = getattr(exc, "error", "") or type(exc).__name__
    description = getattr(exc, "description", "") or ""
    return f"{error.replace('_', ' ')}{': ' + description if description else ''}"
