"""API keys (per organization, optionally narrowed to merchants) and the first answers to idempotent POSTs."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from dockline.accounts.models import Merchant, Organization
from dockline.core.activity import Actor, ActorKind


class ApiKey(models.Model):
    """A secret a script sends as `Authorization: Bearer <token>`.

    Only the SHA-256 of the token is kept, with its visible prefix (`dl_1a2b3c4d`) so people can tell
    keys apart; the token itself is shown once, when the key is made. A key sees what an administrator
    of its organization sees, or only `merchants` when `all_merchants` is off; it may change things
    only when `writable`.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    writable = models.BooleanField(default=False)
    all_merchants = models.BooleanField(default=True)
    merchants = models.ManyToManyField(Merchant, blank=True, related_name="api_keys")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def visible_merchants(self):
        """The merchants whose objects the key sees (the same question a Membership answers)."""
        merchants = self.organization.merchants.all()
        return merchants if self.all_merchants else merchants.filter(api_keys=self)

    @property
    def actor(self) -> Actor:
        """Who acted, for activity entries written on this key's requests."""
        return Actor(ActorKind.API_KEY, f"API key {self.name} ({self.prefix})")

    @property
    def access(self) -> str:
        return "read-write" if self.writable else "read-only"


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to retries with the same key.

    `status` is None while the first request is still running. `fingerprint` is the SHA-256 of the
    method, path and body, so the same key on a different request is refused rather than replayed.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="idempotent_requests")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="uniq_idempotency_key")]
