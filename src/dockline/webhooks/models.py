"""Webhook endpoints (one per connection, with its secret) and the deliveries they received."""
from __future__ import annotations

from django.db import models

from dockline.connections.models import Connection
from dockline.core.crypto import EncryptedJSONField


class WebhookEndpoint(models.Model):
    """Where a connection's store sends webhooks, and the secret it must send back with each."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="webhook_endpoint")
    secrets = EncryptedJSONField(default=dict)  # {"secret": "..."}
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"webhooks for {self.connection}"

    @property
    def secret(self) -> str:
        return self.secrets.get("secret", "")


class WebhookDelivery(models.Model):
    """One delivery: accepted (verified, first of its payload hash) or rejected (and why).

    A rejected delivery keeps only its metadata, its size and the first EXCERPT_BYTES of its body,
    so forged deliveries cannot fill the database."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="webhook_deliveries")
    topic = models.CharField(max_length=100, blank=True)
    payload_hash = models.CharField(max_length=64)
    verified = models.BooleanField()
    rejected_reason = models.CharField(max_length=200, blank=True)
    duplicates = models.PositiveIntegerField(default=0)  # the same payload delivered again
    payload = models.JSONField(default=dict, blank=True)  # verified deliveries only
    size = models.PositiveIntegerField(default=0)  # bytes of the body as received
    excerpt = models.TextField(blank=True)  # rejected deliveries: the start of the body, for diagnosis
    remote_addr = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "payload_hash"], condition=models.Q(verified=True), name="uniq_verified_delivery"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic or 'webhook'} {self.payload_hash[:12]}"
