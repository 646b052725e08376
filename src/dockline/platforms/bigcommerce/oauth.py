"""The BigCommerce app install flow: exchange the auth callback's code for a store access token.

On install, BigCommerce opens Dockline's auth callback with `code`, `scope` and
`context` (`stores/{store_hash}`); Dockline POSTs them, with the app's Client ID
and Client Secret, to `https://login.bigcommerce.com/oauth2/token` and gets the
store's permanent access token and the scopes it grants.
"""
from __future__ import annotations

import httpx

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.net import unreachable

DEFAULT_LOGIN_BASE = "https://login.bigcommerce.com"


def store_hash_of(context: str) -> str:
    prefix, _, store_hash = (context or "").partition("/")
    if prefix != "stores" or not store_hash or "/" in store_hash:
        raise ConnectorError(f"BigCommerce sent an unexpected context {context!r} (expected stores/<hash>)")
    return store_hash


def exchange_code(
    *, code: str, scope: str, context: str, client_id: str, client_secret: str, redirect_uri: str,
    login_base: str = DEFAULT_LOGIN_BASE, timeout: float = 20.0,
) -> dict:
    """Credentials for the connector (store_hash, access_token, client_id, scope) from an install's code."""
    store_hash = store_hash_of(context)
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
    return {
        "store_hash": store_hash,
        "access_token": answer["access_token"],
        "client_id": client_id,
        "scope": answer.get("scope") or scope,
    }
