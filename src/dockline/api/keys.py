"""Making, checking and revoking API keys.

A token is `dl_<8 hex>_<43 url-safe characters>` (256 random bits after the prefix): high entropy,
so one unsalted SHA-256 is enough to store it, and looking it up by digest needs no slow hash.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dockline.accounts.models import Organization
from dockline.api.models import ApiKey

PREFIX = "dl_"
TOUCH_EVERY = timedelta(minutes=1)  # last use is written at most this often per key


class KeyRefused(Exception):
    """The key cannot be made as asked; the message says why."""


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_key(organization: Organization, name: str, *, writable: bool, merchants=(), created_by=None
              ) -> tuple[ApiKey, str]:
    """Make a key; returns it with its token, which is never stored and cannot be shown again.

    `merchants` (of the same organization) narrows the key to them; none means every merchant."""
    name = name.strip()
    if not name:
        raise KeyRefused("Give the key a name that says what uses it (for example \"ERP nightly export\").")
    merchants = list(merchants)
    if any(m.organization_id != organization.id for m in merchants):
        raise KeyRefused("A key can only be narrowed to merchants of its own organization.")
    prefix = f"{PREFIX}{secrets.token_hex(4)}"
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(organization=organization, name=name[:100], prefix=prefix, digest=digest_of(token),
                                writable=writable, all_merchants=not merchants, created_by=created_by)
    key.merchants.set(merchants)
    return key, token


def authenticate(token: str, *, now=None) -> ApiKey | None:
    """The live key this token belongs to, or None; notes when it was last used."""
    if not token.startswith(PREFIX):
        return None
    key = (ApiKey.objects.select_related("organization")
           .filter(digest=digest_of(token), revoked_at__isnull=True).first())
    if key is None:
        return None
    now = now or timezone.now()
    if key.last_used_at is None or key.last_used_at < now - TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
                                                ).update(last_used_at=now)
        key.last_used_at = now
    return key


def revoke_key(key: ApiKey) -> None:
    """Stop the key working at once; it stays listed, marked revoked."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
