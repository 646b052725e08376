"""BigCommerce order webhooks: Dockline's two V3 hooks per connection, and where the store may send them.

BigCommerce delivers webhooks only to https addresses served on port 443 ("custom ports are not
currently supported", webhooks.v3.yml createWebhooks). With any other public address Dockline
registers nothing and says why; new orders then arrive by polling alone, as they would if every
delivery were lost.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.bigcommerce.client import BigCommerceClient

log = logging.getLogger(__name__)

SCOPES = ("store/order/created", "store/order/statusUpdated")


def delivers_to(url: str) -> bool:
    """Whether BigCommerce can deliver to this address: https, a host, and port 443 (stated or implied)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number
        return False
    return parts.scheme == "https" and bool(parts.hostname) and port in (None, 443)


def refusal(public_url: str) -> str:
    """Why webhooks cannot be on with this public address ("" when they can)."""
    if delivers_to(public_url):
        return ""
    return (f"Webhooks are off: BigCommerce delivers them only to https addresses on port 443, and Dockline's "
            f"public address (DOCKLINE_PUBLIC_URL) is {public_url}. Set DOCKLINE_PUBLIC_URL to the https address "
            "where stores reach this Dockline, then enable the connection again.")


def find(client: BigCommerceClient, destination: str) -> list[dict]:
    """The store's hooks that deliver to this destination."""
    return [h for h in client.iter_v3("/v3/hooks", {"destination": destination})
            if h.get("destination") == destination]


def register(client: BigCommerceClient, destination: str, headers: dict[str, str]) -> str:
    """Create each order hook, or repair one BigCommerce deactivated; returns why some are off ("" when none).

    Idempotent: an active hook with the same scope, destination and headers is left alone. A token or
    network problem raises (it would stop the imports too); a hook the store refuses is reported.
    """
    existing = {h["scope"]: h for h in find(client, destination)}
    refused: list[tuple[str, str]] = []
    for scope in SCOPES:
        hook = existing.get(scope)
        body = {"scope": scope, "destination": destination, "is_active": True, "headers": headers}
        try:
            if hook is None:
                client.post("/v3/hooks", body)
            elif not hook.get("is_active") or (hook.get("headers") or {}) != headers:
                client.put(f"/v3/hooks/{hook['id']}", body)
        except ConnectorError as exc:
            if exc.kind is not ErrorKind.FATAL:
                raise
            log.warning("BigCommerce refused the %s webhook to %s (%s); orders come by polling only",
                        scope, destination, exc.message)
            refused.append((scope, exc.message))
    if not refused:
        return ""
    state = "off" if len(refused) == len(SCOPES) else "partly off"
    reasons = "; ".join(f"{scope}: {message}" for scope, message in refused)
    return f"Webhooks are {state}: BigCommerce refused to send them to {destination} ({reasons})."


def unregister(client: BigCommerceClient, destination: str) -> int:
    """Remove Dockline's hooks for this destination; returns how many were removed."""
    hooks = find(client, destination)
    for hook in hooks:
        client.request("DELETE", f"/v3/hooks/{hook['id']}")
    return len(hooks)


def wants_import(payload: dict, settings: dict) -> bool:
    """Whether a delivery can bring an order to import: a new order, or one that entered the
    monitored status (not, say, Dockline's own move to Awaiting Shipment)."""
    if payload.get("scope") != "store/order/statusUpdated":
        return True
    monitored = str((settings or {}).get("monitored_status_id", "11") or "").strip()
    if not monitored:  # every status is imported
        return True
    status = (payload.get("data") or {}).get("status") or {}
    return str(status.get("new_status_id", monitored)) == monitored
