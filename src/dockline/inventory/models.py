"""Warehouse stock levels, and what was last pushed to each store."""
from __future__ import annotations

from django.db import models

from dockline.connections.models import Connection, Warehouse


class StockLevel(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock")
    sku = models.CharField(max_length=100)
    on_hand = models.IntegerField(default=0)
    available = models.IntegerField(default=0)
    facility = models.CharField(max_length=60, blank=True)
    as_of = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse", "sku"], name="uniq_stock_sku")]
        ordering = ["sku"]


class PushedStock(models.Model):
    """The quantity last written to a store for one store SKU (or why it was skipped)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="pushed_stock")
    store_sku = models.CharField(max_length=100)
    quantity = models.IntegerField(null=True)
    pushed_at = models.DateTimeField(null=True)
    skipped_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "store_sku"], name="uniq_pushed_sku")]
        ordering = ["store_sku"]
