"""Receiving store webhooks: verify the secret, record, de-duplicate, make the orders channel due.

Each connection has one endpoint, `{PUBLIC_URL}/hooks/{platform}/{connection id}/`,
and a random secret the store sends back in `SECRET_HEADER` with every delivery
(set when the hooks are registered). A delivery only ever makes the connection's
orders channel due now: the scheduler runs the import, so answering stays fast
and a burst of deliveries costs one import.

A delivery that fails verification is recorded by its metadata and a short excerpt
only, and each source address may have REFUSALS_PER_MINUTE of them: past that it is
answered 429 and nothing is stored (the count lives in the `limits` storage named by
RATE_LIMIT_STORAGE, shared by every web process when that is Redis).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from dockline.connections.models import ChannelKind, Connection
from dockline.connections.services import sync_now
from dockline.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Dockline-Webhook-Secret"
MAX_BODY = 256 * 1024
EXCERPT_BYTES = 512
REFUSALS_PER_MINUTE = 20
REFUSALS = RateLimitItemPerMinute(REFUSALS_PER_MINUTE, namespace="WEBHOOK_REFUSED")


@dataclass(frozen=True)
class Outcome:
    status: int  # HTTP status to answer
    detail: str


def endpoint(connection: Connection, public_url: str) -> tuple[str, dict[str, str]]:
    """(destination URL, headers the store must send) for a connection; the secret is made once."""
    ep, _ = WebhookEndpoint.objects.get_or_create(
        connection=connection, defaults={"secrets": {"secret": secrets.token_urlsafe(32)}}
    )
    url = f"{public_url.rstrip('/')}/hooks/{connection.store.platform}/{connection.id}/"
    return url, {SECRET_HEADER: ep.secret}


def payload_hash(payload: dict, body: bytes) -> str:
    """The platform's own event hash when it sends one (BigCommerce `hash`), else SHA-256 of the body."""
    given = payload.get("hash") if isinstance(payload, dict) else None
    if isinstance(given, str) and 0 < len(given) <= 64:
        return given
    return hashlib.sha256(body).hexdigest()


@cache
def _refusal_limiter(uri: str) -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(storage_from_string(uri))


def refusal_allowed(remote_addr: str) -> bool:
    """Count one refused delivery from this address; False once it is past REFUSALS_PER_MINUTE."""
    return _refusal_limiter(settings.RATE_LIMIT_STORAGE).hit(REFUSALS, remote_addr or "unknown")


def excerpt(body: bytes) -> str:
    """The first EXCERPT_BYTES of a body as text (undecodable bytes replaced)."""
    return body[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def receive(platform: str, connection_id: int, headers, body: bytes, remote_addr: str = "") -> Outcome:
    """Handle one delivery. 404 for no such endpoint, 401 for a missing or wrong secret (recorded
    briefly), 429 past REFUSALS_PER_MINUTE refusals from the address (not recorded), 400 for a body
    that is not JSON, 200 otherwise (a duplicate is counted, not acted on twice)."""
    connection = Connection.objects.select_related("store").filter(id=connection_id).first()
    if connection is None or connection.store.platform != platform:
        return Outcome(404, "no such webhook endpoint")
    ep = WebhookEndpoint.objects.filter(connection=connection).first()
    try:
        payload = json.loads(body) if len(body) <= MAX_BODY else None
    except ValueError:
        payload = None
    topic = str(payload.get("scope", ""))[:100] if isinstance(payload, dict) else ""
    given = headers.get(SECRET_HEADER, "")
    if ep is None or not ep.secret or not hmac.compare_digest(given.encode(), ep.secret.encode()):
        reason = "no secret header" if not given else "wrong secret"
        if not refusal_allowed(remote_addr):
            log.debug("refused %s webhook for connection %s from %s: over %s refusals a minute",
                        platform, connection_id, remote_addr, REFUSALS_PER_MINUTE)
            return Outcome(429, "too many refused deliveries from this address; try again in a minute")
        WebhookDelivery.objects.create(
            connection=connection, topic=topic, payload_hash=hashlib.sha256(body).hexdigest(), verified=False,
            rejected_reason=reason, size=len(body), excerpt=excerpt(body), remote_addr=remote_addr[:64],
        )
        log.warning("rejected a %s webhook for connection %s from %s: %s", platform, connection_id, remote_addr, reason)
        return Outcome(401, "webhook secret missing or wrong")
    if not isinstance(payload, dict):
        return Outcome(400, "the body is not a JSON object")
    digest = payload_hash(payload, body)
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                connection=connection, topic=topic, payload_hash=digest, verified=True, payload=payload,
                size=len(body), remote_addr=remote_addr[:64],
            )
    except IntegrityError:
        WebhookDelivery.objects.filter(connection=connection, payload_hash=digest, verified=True).update(
            duplicates=F("duplicates") + 1
        )
        return Outcome(200, "duplicate delivery ignored")
    if connection.enabled and _wants_import(connection, payload):
        sync_now(connection, ChannelKind.ORDERS)
    return Outcome(200, "accepted")


def _wants_import(connection: Connection, payload: dict) -> bool:
    """Ask the platform's connector class whether this event can bring an order."""
    from dockline.platforms.base import connector_class

    return connector_class(connection.store.platform).webhook_wants_import(payload, connection.store.settings)
