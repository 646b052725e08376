"""Every file sent to or received from a warehouse."""
from __future__ import annotations

import hashlib

from django.db import models

from dockline.connections.models import Warehouse


class Direction(models.TextChoices):
    OUT = "out", "Sent"
    IN = "in", "Received"


class ExchangeState(models.TextChoices):
    PENDING = "pending", "Pending"  # recorded, not yet confirmed on the server
    SENT = "sent", "Sent"
    PROCESSED = "processed", "Processed"
    DUPLICATE = "duplicate", "Duplicate (ignored)"
    ERROR = "error", "Error"


class ExchangeRecord(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="exchanges")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=20)  # orders | shipments | inventory
    filename = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64, db_index=True)  # sha256 hex
    size = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=ExchangeState.choices, default=ExchangeState.PENDING)
    business_keys = models.JSONField(default=list, blank=True)  # order numbers / shipment ids / SKUs
    content = models.BinaryField()
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["warehouse", "direction", "checksum"], name="exchange_checksum")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.filename}"

    @staticmethod
    def checksum_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()
