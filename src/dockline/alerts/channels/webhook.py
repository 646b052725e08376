"""Outbound webhooks: events posted as signed JSON (or as a Slack or Teams message), retried with backoff.

Signature: `Dockline-Signature: v1=<hex>` where hex is HMAC-SHA256 with the endpoint's secret over
`"<Dockline-Timestamp>.<raw body>"`; `Dockline-Timestamp` is Unix seconds. A receiver recomputes it,
compares in constant time and refuses a timestamp more than five minutes old (`verify` does all three).
`Dockline-Event-Id` is the same on every attempt and on a redelivery, so a receiver can drop repeats.

Each tick of the periodic job sends every delivery that is due, one attempt each. A 2xx answer
delivers it; anything else (or no answer) schedules the next attempt after BACKOFF doubled per
attempt (at most BACKOFF_CAP); after MAX_ATTEMPTS the delivery fails and says so. Requests go
through `core.http.client`, so they reach only addresses `core.addresses` allows.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta

import httpx
from django.utils import timezone

from dockline.alerts.models import Delivery, Endpoint, EndpointFormat, Event
from dockline.alerts.status import DeliveryState
from dockline.core import http
from dockline.core.errors import ConnectorError
from dockline.core.net import unreachable

BACKOFF = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 8
TOLERANCE = 300  # seconds a receiver should accept a timestamp for
TIMEOUT = 10.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(secret: str, headers, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        timestamp = int(headers.get("Dockline-Timestamp", ""))
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), headers.get("Dockline-Signature", ""))


def summary(event: Event) -> str:
    """One line for people (Slack, Teams): the payload's own text, else the kind and what it is about."""
    data = event.payload
    if data.get("text"):
        return str(data["text"])
    about = [f"order #{data['order']['number']}"] if "order" in data else []
    if "connection" in data:
        about.append(f"on {data['connection']['name']}")
    return " ".join([event.kind, *about])


def body_of(endpoint: Endpoint, event: Event) -> dict:
    if endpoint.format == EndpointFormat.SLACK:
        return {"text": summary(event)}
    if endpoint.format == EndpointFormat.TEAMS:
        return {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": summary(event),
                "themeColor": "C0392B" if event.kind.endswith((".error", ".opened")) else "2E7D32",
                "text": summary(event)}
    return {"id": event.id, "kind": event.kind, "created_at": event.created_at.isoformat(),
            "organization": event.organization_id, "data": event.payload}


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF * 2 ** (attempts - 1))


def deliver_due(now: datetime | None = None, *, limit: int = 200) -> dict:
    """Send every pending delivery whose time has come (one attempt each); returns counts."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    due = (Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
           .select_related("endpoint", "event").order_by("next_attempt_at", "id")[:limit])
    with http.client(timeout=TIMEOUT, follow_redirects=False) as client:
        for delivery in due:
            counts[attempt(delivery, client, now)] += 1
    return counts


def attempt(delivery: Delivery, client: httpx.Client, now: datetime) -> str:
    """Post one delivery once and record the outcome: "delivered", "retrying" or "failed"."""
    endpoint, event = delivery.endpoint, delivery.event
    raw = json.dumps(body_of(endpoint, event), separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {"Content-Type": "application/json", "User-Agent": "Dockline-Webhooks/1",
               "Dockline-Event": event.kind, "Dockline-Event-Id": str(event.id),
               "Dockline-Timestamp": str(timestamp), "Dockline-Signature": sign(endpoint.secret, timestamp, raw)}
    attempts = delivery.attempts + 1
    status, error = None, ""
    try:
        response = client.post(endpoint.url, content=raw, headers=headers)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"{endpoint.url} answered {status} {response.reason_phrase}".strip()
    except httpx.HTTPError as exc:
        error = unreachable(endpoint.name, endpoint.url, exc)
    except ConnectorError as exc:  # the address guard refused the destination
        error = exc.message
    answer = {"attempts": attempts, "last_status": status}
    if not error:
        delivery.move_to(DeliveryState.DELIVERED, delivered_at=now, last_error="", **answer)
        return "delivered"
    if attempts >= MAX_ATTEMPTS:
        delivery.move_to(DeliveryState.FAILED, **answer, last_error=f"{error.rstrip('.')}. Gave up after {attempts} "
                         "attempts; press Redeliver once fixed.")
        return "failed"
    retry_at = now + backoff(attempts)
    delivery.move_to(DeliveryState.PENDING, next_attempt_at=retry_at, **answer,
                     last_error=f"{error.rstrip('.')}; trying again at {retry_at:%H:%M:%S} UTC.")
    return "retrying"


def redeliver(delivery: Delivery, now: datetime | None = None) -> None:
    """Send a delivery again on the next tick (the same event id), whatever became of it."""
    delivery.move_to(DeliveryState.PENDING, attempts=0, next_attempt_at=now or timezone.now(), last_error="")
