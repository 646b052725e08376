"""App install intents: the server-side record that lets a BigCommerce install callback land.

BigCommerce opens the auth callback inside its control panel, a cross-site frame in which
Dockline's session cookie is not sent, so the callback cannot know who is installing. An
administrator (or Staff of the store's merchant) therefore starts the install in Dockline for
one store hash; the callback looks the intent up by the store hash BigCommerce's token answer
names, uses it once, and only within INTENT_LIFETIME.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Store

INTENT_LIFETIME = timedelta(hours=1)


def _nonce() -> str:
    return secrets.token_urlsafe(24)


class InstallIntent(models.Model):
    """Who started an install for which store hash, into which store (reinstall) or merchant (new store)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="bigcommerce_intents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             related_name="bigcommerce_intents")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="bigcommerce_intents")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="bigcommerce_intents")
    store_hash = models.CharField(max_length=40, db_index=True)
    nonce = models.CharField(max_length=40, unique=True, default=_nonce)  # one use: see used_at
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)  # what the callback did with it

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"install of BigCommerce store {self.store_hash} by {self.user}"

    def is_open(self, now=None) -> bool:
        return self.used_at is None and self.created_at > (now or timezone.now()) - INTENT_LIFETIME
