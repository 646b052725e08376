"""eBay's consent (OAuth 2 authorization-code grant): the address that sends the merchant to eBay's
consent page, and the exchange of the code eBay sends back for the refresh token Dockline keeps.

eBay names the redirect by the application's RuName (eBay Redirect URL name), whose "auth accepted"
and "auth declined" URLs are set in eBay's developer portal to Dockline's `/ebay/auth/`. The code is
good for about five minutes and once; the refresh token lives about 18 months (`refresh_token_expires_in`).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.net import unreachable
from dockline.platforms.ebay.client import DEFAULT_API_BASE, SCOPES, TOKEN_PATH

DEFAULT_AUTH_BASE = "https://auth.ebay.com"
AUTHORIZE_PATH = "/oauth2/authorize"


def consent_url(client_id: str, ru_name: str, state: str, auth_base: str = DEFAULT_AUTH_BASE) -> str:
    """eBay's consent page for Dockline's application, asking for the Fulfillment and Inventory scopes."""
    with OAuth2Client(client_id=client_id, redirect_uri=ru_name, scope=" ".join(SCOPES)) as oauth:
        url, _ = oauth.create_authorization_url((auth_base or DEFAULT_AUTH_BASE).rstrip("/") + AUTHORIZE_PATH,
                                                state=state)
    return url


def exchange_code(code: str, *, client_id: str, client_secret: str, ru_name: str,
                  api_base: str = DEFAULT_API_BASE, now: datetime | None = None) -> dict:
    """The credentials to store from a consent: the refresh token and its end (ISO date). The access token that
    came with it is left to expire: the first call asks for one with exactly the scopes Dockline uses."""
    url = (api_base or DEFAULT_API_BASE).rstrip("/") + TOKEN_PATH
    with OAuth2Client(client_id=client_id, client_secret=client_secret, token_endpoint_auth_method="client_secret_basic",
                      verify=http.tls_context()) as oauth:
        try:
            got = oauth.fetch_token(url, grant_type="authorization_code", code=code, redirect_uri=ru_name)
        except OAuthError as exc:
            raise ConnectorError(f"eBay refused to exchange the consent code ({exc.error}): it is good for five "
                                 "minutes and once, so start the consent again.", ErrorKind.REAUTH) from None
        except httpx.TransportError as exc:
            raise ConnectorError(unreachable("eBay", url, exc), ErrorKind.RETRYABLE) from None
    now = now or datetime.now(UTC)
    if not got.get("refresh_token"):
        raise ConnectorError("eBay's answer to the consent held no refresh token; start the consent again.",
                             ErrorKind.REAUTH)
    ends = now + timedelta(seconds=float(got.get("refresh_token_expires_in") or 47_304_000))
    return {"refresh_token": got["refresh_token"], "refresh_token_expires": ends.date().isoformat()}
