"""One-time links a 3PL sends a merchant, who enters the store's credentials without a Dockline account.

The link carries a random token; only its SHA-256 is stored, so the link is shown once, when made, and a copy of
the database cannot open it. A link opens the store's credential fields only (nothing else of the organization),
allows a bounded number of Test Connections, and is spent by the first submission: that happens in one
conditional UPDATE, so two submissions racing each other cannot both store credentials. It stops working at its
expiry or when revoked. What the merchant sends is tested, stored encrypted through
`credentials.save_store_credentials` and recorded as a "credentials received" activity entry; the 3PL sees only
the masked result.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dockline.connections.credentials import Outcome, save_store_credentials, test_store
from dockline.connections.models import Connection, ConnectionActivity, CredentialLink
from dockline.core.activity import Actor, ActorKind
from dockline.platforms.base import CheckReport

DEFAULT_HOURS = 72
MAX_HOURS = 14 * 24
MAX_TESTS = 20  # Test Connection runs one link may start (each reaches out to the store)


class LinkRefused(Exception):
    """The link cannot be used (unknown, spent, expired, revoked, or tested too often); the message says so."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def merchant_actor(link: CredentialLink) -> Actor:
    """The merchant who used the link: a person without a Dockline account, named by their merchant."""
    return Actor(ActorKind.USER, f"{link.connection.merchant.name} (credential link)")


def create_link(connection: Connection, user, *, hours: int = DEFAULT_HOURS, now=None) -> tuple[CredentialLink, str]:
    """A new link for the connection's store side, valid `hours` (1 to MAX_HOURS); returns it with its token,
    which is not stored and cannot be shown again."""
    if not 1 <= hours <= MAX_HOURS:
        raise LinkRefused(f"A credential link lasts 1 to {MAX_HOURS} hours, not {hours}.")
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    link = CredentialLink.objects.create(connection=connection, token_hash=token_hash(token), created_by=user,
                                         created_at=now, expires_at=now + timedelta(hours=hours))
    ConnectionActivity.log(connection, Actor.of(user), "Created a credential link for the merchant to enter the "
                                                       f"store credentials, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC.")
    return link, token


def _refusal(link: CredentialLink | None, now) -> str:
    if link is None:
        return "This link is not valid. Ask your fulfillment provider for a new one."
    if link.used_at:
        return "This link was already used: the credentials were received. Ask your fulfillment provider for a new link."
    if link.revoked_at:
        return "This link was withdrawn by your fulfillment provider. Ask them for a new one."
    if link.expires_at <= now:
        return "This link has expired. Ask your fulfillment provider for a new one."
    return ""


def open_link(token: str, *, now=None) -> CredentialLink:
    """The usable link behind `token`; raises LinkRefused saying why not."""
    now = now or timezone.now()
    link = (CredentialLink.objects.select_related("connection__store", "connection__merchant",
                                                  "connection__organization")
            .filter(token_hash=token_hash(token or "")).first())
    refused = _refusal(link, now)
    if refused:
        raise LinkRefused(refused)
    return link


def test_with_link(link: CredentialLink, credentials: dict) -> CheckReport:
    """Test Connection for the merchant, counted against the link's MAX_TESTS."""
    if not CredentialLink.objects.filter(pk=link.pk, tests__lt=MAX_TESTS).update(tests=F("tests") + 1):
        raise LinkRefused(f"Test Connection was run {MAX_TESTS} times with this link. Ask your fulfillment "
                          "provider for a new link.")
    store = link.connection.store
    return test_store(store.platform, credentials, dict(store.settings))


@transaction.atomic
def submit(link: CredentialLink, credentials: dict, report: CheckReport, *, now=None) -> None:
    """Store what the merchant sent (declared fields, encrypted) and spend the link; refused if it was spent meanwhile."""
    now = now or timezone.now()
    spent = CredentialLink.objects.filter(pk=link.pk, used_at=None, revoked_at=None, expires_at__gt=now).update(
        used_at=now)
    if not spent:
        raise LinkRefused(_refusal(CredentialLink.objects.get(pk=link.pk), now) or "This link cannot be used now.")
    save_store_credentials(link.connection, credentials, Outcome.of(report, now=now), merchant_actor(link),
                           what="Credentials received from the merchant through a credential link")


def revoke(link: CredentialLink, user, *, now=None) -> None:
    now = now or timezone.now()
    if CredentialLink.objects.filter(pk=link.pk, used_at=None, revoked_at=None).update(revoked_at=now):
        ConnectionActivity.log(link.connection, Actor.of(user), "Withdrew an unused credential link.")


def open_links(connection: Connection, *, now=None):
    """The connection's links that still work, newest first."""
    now = now or timezone.now()
    return CredentialLink.objects.filter(connection=connection, used_at=None, revoked_at=None, expires_at__gt=now)
